//! `stakker-mio` will drive a `stakker-core` runtime from a `mio::Poll` loop: I/O readiness
//! delivered as `Fwd<Ready>` calls, priorities, buffered TCP/UDP helpers and optional TLS,
//! with the same public API as the original `stakker_mio` 0.3.0.
//!
//! **Not implemented yet**: this crate has no public API so far. The adapter contract it
//! will implement already exists in the core (`stakker_core::host::EventLoop` and the loop
//! driver); see `docs/writing-an-adapter.md` for how an adapter plugs in.
