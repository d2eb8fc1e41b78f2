//! Drives a `stakker-core` runtime from a `mio` poll loop.
//!
//! (Crate docs: see below; filled in step 4.)

#![forbid(unsafe_code)]

/// The `mio` this crate is built on (1.x with `os-poll`, `os-ext` and `net`): use it instead of
/// a `mio` dependency of your own, so both name the same types.
pub use mio;

#[cfg(unix)]
mod fdsource;
mod miopoll;
mod tcp;
mod udp;

#[cfg(unix)]
pub use fdsource::FdSource;
pub use miopoll::{MioPoll, MioSource, Ready};
pub use tcp::{ReadStatus, TcpStreamBuf};
pub use udp::{UdpQueue, UdpServerQueue};

/// Runs `f` again while it fails with `ErrorKind::Interrupted` (a signal arrived): in a
/// non-blocking loop a retry is always the right answer.
pub(crate) fn retry<R>(mut f: impl FnMut() -> std::io::Result<R>) -> std::io::Result<R> {
    loop {
        match f() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}
