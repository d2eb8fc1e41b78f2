//! `stakker-tokio` will drive a `stakker-core` runtime as a task on a tokio `LocalSet` or
//! current-thread runtime: readiness of tokio I/O objects delivered as `Fwd` calls, futures
//! whose output arrives through a `Ret`, and cross-thread wakes through the poll waker.
//!
//! **Not implemented yet**: this crate has no public API so far. It will implement the core's
//! `stakker_core::host::EventLoop` (whose `poll_wait` is already shaped for async hosts) and
//! run the core's `RunFuture`.
