//! Actors inside a tokio program: runs a [`stakker_core`] runtime as a future on a
//! current-thread runtime, a `LocalRuntime` or a `LocalSet`, with futures, streams, channels
//! and tokio I/O bridged to actor calls.
//!
//! Starting actors from an existing tokio `main` takes three lines (create the `Stakker` with
//! tokio's clock, set up the driver, await it):
//!
//! ```
//! use stakker_core::{actor, after, ret_shutdown, stop, Stakker, CX};
//! use std::time::Duration;
//!
//! struct Hello;
//! impl Hello {
//!     fn init(cx: CX![]) -> Option<Self> {
//!         after!(Duration::from_millis(10), [cx], done());
//!         Some(Hello)
//!     }
//!     fn done(&mut self, cx: CX![]) {
//!         println!("hello from an actor");
//!         stop!(cx);
//!     }
//! }
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() {
//!     let mut stakker = Stakker::new(stakker_tokio::now());
//!     let driver = stakker_tokio::TokioDriver::new(&mut stakker);
//!     let _hello = actor!(stakker, Hello::init(), ret_shutdown!(stakker));
//!     let cause = driver.run(stakker).await;
//!     assert_eq!(cause.unwrap().to_string(), "Actor stopped");
//! }
//! # fn _call_main() { main() }
//! ```
//!
//! The same `driver.run(stakker)` future can be awaited with `#[tokio::main(flavor =
//! "local")]` (a `LocalRuntime`), passed to `LocalSet::run_until`, or started with
//! `spawn_local` next to other tasks.
//!
//! - [`TokioDriver`] implements the core's [`EventLoop`](stakker_core::host::EventLoop) and
//!   its [`run`](TokioDriver::run) future drives the runtime with the core's own loop; a
//!   [`TokioHandle`] is in the anymap (`cx.anymap_get::<TokioHandle>()`).
//! - Futures to actors: [`TokioHandle::spawn`] (output by `Ret`, cancelled by dropping the
//!   [`TaskGuard`]), [`spawn_send`] (a `Send` future on any runtime), [`TokioHandle::forward_stream`],
//!   [`TokioHandle::forward_mpsc`] and [`TokioHandle::forward_unbounded`] (with backpressure).
//! - Actors to futures: [`TokioHandle::ask`] / [`ret_future`] on the same thread, [`asker`]
//!   from tasks on other threads; the core's `Waker`, `Channel`, `BoundedChannel` and
//!   `PipedThread` work unchanged.
//! - I/O: [`TokioHandle::register`] delivers readiness of a `TcpStream`, `UdpSocket`,
//!   [`Listener`], `UnixStream` or `AsyncFd` as `Fwd<Ready>` calls, with stakker-mio's
//!   priorities.
//!
//! # Paused time in tests
//!
//! Under `tokio::time::pause` (or `#[tokio::test(start_paused = true)]`, tokio feature
//! `test-util`) tokio moves its clock straight to the next timer whenever it has no task to
//! run. It does not wait for a wake that another thread is about to send: while a std thread
//! (or a task on another runtime) is still working on the message a `Waker`, `Channel` or
//! `PipedThread` will deliver, the runtime looks idle, so every pending timer fires at once
//! and timeouts expire early in virtual time. A test should do one of these:
//!
//! - run the other thread's work with `tokio::task::spawn_blocking` on the paused runtime:
//!   a current-thread runtime does not auto-advance while a blocking task exists;
//! - have no timer pending while it waits for the other thread, and move time with
//!   `tokio::time::advance` once the message has arrived;
//! - or not pause the clock (real time) for that test.
//!
//! The guide page [Using stakker-tokio](../docs/src/using-stakker-tokio.md) has more, and
//! [Choosing an adapter](../docs/src/choosing-an-adapter.md) compares the adapters.
#![forbid(unsafe_code)]

mod bridge;
mod driver;
mod io;

pub use bridge::{asker, ret_future, spawn_send, Asker, RetFuture, TaskGuard};
pub use driver::{now, TokioDriver, TokioHandle, MAX_WAIT};
pub use io::{IoSource, Listener, Ready, TokioIo, MAX_PRI};
pub use tokio;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/using-stakker-tokio.md")]
struct UsingStakkerTokioGuide;

#[cfg(doctest)]
#[doc = include_str!("../../docs/src/choosing-an-adapter.md")]
struct ChoosingAnAdapterGuide;
