//! Drives a [`stakker_core`] runtime from a [`mio`] poll: I/O readiness arrives as
//! [`Fwd`](stakker_core::Fwd)`<`[`Ready`]`>` calls, with priorities, buffered TCP and UDP
//! helpers, and optional TLS (feature `rustls`). The API is the original `stakker_mio` 0.3.0's,
//! so code written for it needs only its `use` lines changed.
//!
//! A complete echo server (it serves one client here, then stops):
//!
//! ```
//! use stakker_core::{actor, actor_in_slab, fail, fwd_to, ret_shutdown, ret_some_to, stop};
//! use stakker_core::{ActorOwnSlab, Stakker, StopCause, CX};
//! use stakker_mio::mio::net::{TcpListener, TcpStream};
//! use stakker_mio::mio::{Events, Interest, Poll};
//! use stakker_mio::{MioPoll, MioSource, ReadStatus, Ready, TcpStreamBuf};
//! use std::io::{ErrorKind, Read, Write};
//!
//! struct Server {
//!     listener: MioSource<TcpListener>,
//!     conns: ActorOwnSlab<Echo>,
//! }
//!
//! impl Server {
//!     fn init(cx: CX![], listener: TcpListener) -> Option<Self> {
//!         let miopoll = cx.anymap_get::<MioPoll>();
//!         let fwd = fwd_to!([cx], accept() as (Ready));
//!         match miopoll.add(listener, Interest::READABLE, 10, fwd) {
//!             Ok(listener) => Some(Server { listener, conns: ActorOwnSlab::new() }),
//!             Err(e) => { fail!(cx, "listener: {}", e); None }
//!         }
//!     }
//!
//!     fn accept(&mut self, cx: CX![], _: Ready) {
//!         loop { // accept until WouldBlock: readiness is edge-triggered
//!             match self.listener.accept() {
//!                 Ok((stream, _peer)) => {
//!                     // This demo stops the server when its first client leaves.
//!                     let ret = ret_some_to!([cx], |_this, cx, _cause: StopCause| stop!(cx));
//!                     actor_in_slab!(self.conns, cx, Echo::init(stream), ret);
//!                 }
//!                 Err(e) if e.kind() == ErrorKind::WouldBlock => return,
//!                 Err(e) => return fail!(cx, "accept: {}", e),
//!             }
//!         }
//!     }
//! }
//!
//! struct Echo {
//!     tcp: TcpStreamBuf,
//! }
//!
//! impl Echo {
//!     fn init(cx: CX![], stream: TcpStream) -> Option<Self> {
//!         let miopoll = cx.anymap_get::<MioPoll>();
//!         let fwd = fwd_to!([cx], ready() as (Ready));
//!         let mut tcp = TcpStreamBuf::new();
//!         match miopoll.add(stream, Interest::READABLE | Interest::WRITABLE, 10, fwd) {
//!             Ok(src) => tcp.init(src),
//!             Err(e) => { fail!(cx, "register: {}", e); return None; }
//!         }
//!         Some(Echo { tcp })
//!     }
//!
//!     fn ready(&mut self, cx: CX![], _: Ready) {
//!         loop { // read until WouldBlock
//!             match self.tcp.read(8192) {
//!                 ReadStatus::NewData => {
//!                     let (rd, wr) = (self.tcp.rd, self.tcp.wr);
//!                     self.tcp.out.extend_from_slice(&self.tcp.inp[rd..wr]);
//!                     self.tcp.rd = wr;
//!                 }
//!                 ReadStatus::WouldBlock => break,
//!                 ReadStatus::EndOfStream => { self.tcp.out_eof = true; break; }
//!                 ReadStatus::Error(e) => return fail!(cx, "read: {}", e),
//!             }
//!         }
//!         if let Err(e) = self.tcp.flush() {
//!             return fail!(cx, "write: {}", e);
//!         }
//!         if self.tcp.out_eof && self.tcp.out.is_empty() {
//!             stop!(cx); // everything echoed and the write side shut down
//!         }
//!     }
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     let mut s = Stakker::new(std::time::Instant::now());
//!     let miopoll = MioPoll::new(&mut s, Poll::new()?, Events::with_capacity(1024), 10)?;
//!     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
//!     let addr = listener.local_addr()?;
//!     let _server = actor!(s, Server::init(listener), ret_shutdown!(s));
//!
//!     let client = std::thread::spawn(move || {
//!         let mut c = std::net::TcpStream::connect(addr).unwrap();
//!         c.write_all(b"hello").unwrap();
//!         c.shutdown(std::net::Shutdown::Write).unwrap();
//!         let mut back = String::new();
//!         c.read_to_string(&mut back).unwrap();
//!         back
//!     });
//!     let cause = miopoll.run(&mut s)?; // the whole event loop
//!     assert!(matches!(cause, Some(StopCause::Stopped)));
//!     assert_eq!(client.join().unwrap(), "hello");
//!     Ok(())
//! }
//! ```
//!
//! # The pieces
//!
//! - [`MioPoll`] wraps a `mio::Poll` as the runtime's host loop: it implements the core's
//!   [`EventLoop`](stakker_core::host::EventLoop), so [`MioPoll::run`] (the core's
//!   `run_blocking`) runs a whole program, and it is stored in the runtime's anymap for actors
//!   (`cx.anymap_get::<MioPoll>()`). Wakes from other threads (`Waker`, `Channel`,
//!   `PipedThread`) interrupt its wait.
//! - [`MioPoll::add`] registers a source with a priority and a `Fwd<Ready>`, returning a
//!   [`MioSource`] that deregisters on drop. Readiness is edge-triggered: a handler reads
//!   (or writes, or accepts) until `WouldBlock`, and copes with spurious calls.
//! - [`TcpStreamBuf`] buffers a TCP stream both ways; [`UdpQueue`] and [`UdpServerQueue`]
//!   queue datagrams for connected and unconnected UDP sockets; [`FdSource`] registers any
//!   unix descriptor.
//!
//! # Priorities
//!
//! Each source has a priority `0..=10` (higher first). The top level is the highest ever
//! registered, including the waker's. Events at the top level are dispatched as they arrive;
//! events at lower levels are held, and dispatched one level per poll (the highest holding a
//! live event) only when nothing arrived at the top. Held events of a source dropped in the
//! meantime are discarded. Under constant top-level load, lower levels wait: that is the point.
//!
//! # Past one thread
//!
//! A `Stakker` and its `MioPoll` belong to one thread. When one thread is not enough, run one
//! runtime per thread and give each connection to one of them: [`Shards`] starts the shard
//! threads (one per core by default), hands them accepted connections through the core's
//! `Channel`, and stops them all with one call. The `sharded` example is a complete server.
//!
//! # Guide
//!
//! [Using stakker-mio](../../docs/src/using-stakker-mio.md) explains readiness, re-arming,
//! priorities, the buffered sockets and sharding at more length.
//!
//! All calls retry internally on `ErrorKind::Interrupted`; `WouldBlock` is never reported as
//! an error.

#![forbid(unsafe_code)]

/// The `rustls` this crate's TLS engines are built on (feature `rustls`).
#[cfg(feature = "rustls")]
pub use rustls;

/// The `mio` this crate is built on (1.x with `os-poll`, `os-ext` and `net`): use it instead of
/// a `mio` dependency of your own, so both name the same types.
pub use mio;

#[cfg(unix)]
mod fdsource;
mod miopoll;
mod shard;
mod tcp;
#[cfg(feature = "rustls")]
mod tls;
mod udp;

#[cfg(unix)]
pub use fdsource::FdSource;
pub use miopoll::{MioPoll, MioSource};
pub use shard::Shards;
/// The readiness flags of one event (§8.1.5): the core's type, shared with stakker-tokio.
pub use stakker_core::host::Ready;
pub use tcp::{ReadStatus, TcpStreamBuf};
#[cfg(feature = "rustls")]
pub use tls::{TlsClientEngine, TlsEof, TlsError, TlsServerEngine};
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

/// The guide page "Using stakker-mio", compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/src/using-stakker-mio.md")]
struct UsingStakkerMioGuide;
