//! A lightweight, low-level, single-threaded actor runtime, layered on top of whatever event
//! loop the application already uses.
//!
//! Actors are plain structs. An asynchronous call names one method of one actor and is checked
//! at compile time; delivery is a closure appended to a flat queue and invoked in place, so a
//! message costs about as much as a function call. The runtime also keeps timers and lazy and
//! idle queues. It never reads a clock and never does I/O: the host loop passes `now` in and
//! asks how long it may sleep, which is what makes virtual time and deterministic tests
//! possible.
//!
//! ```
//! use stakker_core::{actor, call, ret_some_to, ret_shutdown, stop, Stakker, CX};
//! use std::time::Instant;
//!
//! struct Adder;
//! impl Adder {
//!     fn init(_: CX![]) -> Option<Self> { Some(Adder) }
//!     fn add(&self, _: CX![], a: u32, b: u32, ret: stakker_core::Ret<u32>) {
//!         stakker_core::ret!([ret], a + b);
//!     }
//! }
//!
//! struct Client { adder: stakker_core::ActorOwn<Adder> }
//! impl Client {
//!     fn init(cx: CX![]) -> Option<Self> {
//!         let adder = actor!(cx, Adder::init(), stakker_core::ret_nop!());
//!         call!([adder], add(2, 3, ret_some_to!([cx], got() as (u32))));
//!         Some(Client { adder })
//!     }
//!     fn got(&mut self, cx: CX![], sum: u32) {
//!         assert_eq!(sum, 5);
//!         stop!(cx);
//!     }
//! }
//!
//! let mut s = Stakker::new(Instant::now());
//! let _client = actor!(s, Client::init(), ret_shutdown!(s));
//! while s.not_shutdown() {
//!     s.run(Instant::now(), false);
//! }
//! assert_eq!(s.shutdown_reason().unwrap().to_string(), "Actor stopped");
//! ```
//!
//! # Run order
//!
//! One call of [`Stakker::run`]`(now, idle)`:
//!
//! 1. if `idle` is true and the idle queue is not empty, runs its oldest item;
//! 2. if `now` is later than [`Core::now`], advances time and appends every due timer's
//!    callback to the main queue, in due-time order (ties in creation order);
//! 3. runs main-queue items until the main queue is empty (items queued meanwhile run too,
//!    after everything already queued);
//! 4. if the lazy queue is not empty, detaches its current contents as one batch, runs it, and
//!    goes back to 3;
//! 5. returns whether idle items remain.
//!
//! Every way of queueing (`Core::defer`, `Deferrer::defer`, `call!`, `Fwd`/`Ret` deliveries,
//! queued terminations, due timers) appends to one main FIFO per runtime, so the order of a
//! run is fully determined by its inputs.
//!
//! # Timers
//!
//! [`Core::after`], [`Core::timer_add`] and the Max/Min timers ([`Core::timer_max_add`],
//! [`Core::timer_min_add`]) and their macros fire a callback as a main-queue item in the first
//! `run` whose `now` is at or after the due time. **The resolution is one nanosecond**: due
//! times are kept exactly as given (no rounding grid), and [`Stakker::next_expiry`] reports
//! them exactly, so a virtual-time host that jumps to `next_expiry()` fires the timer in that
//! run. A timer never fires early and never in the `run` that added it: a due time at or
//! before [`Core::now`] is treated as `now + 1 ns`. Timers due in the same `run` fire in
//! due-time order, ties in creation order, however far ahead they were set; deadlines years
//! ahead (up to the end of the `u64` nanosecond range) work, and `after(Duration::MAX, ..)`
//! saturates instead of panicking. Only Max timers may report an earlier checkpoint in
//! `next_expiry` (after an update moved them later); their callback never runs at it.
//!
//! # Actor lifecycle
//!
//! An actor starts in **Prep** (no state value; Ready calls are parked in arrival order), becomes
//! **Ready** when a Prep call returns `Some(state)` (the parked calls then run at once, in
//! order), and ends as a **Zombie** once terminated (every later call is dropped unrun, so a
//! `Ret` it carried reports `None`). The first stop cause wins.
//!
//! # Memory kept for reuse
//!
//! A runtime keeps some memory so the next burst costs fewer allocations: the main queue's
//! buffer, and the blocks of dropped actors, by 16-byte size class, up to 8 MiB, handed to new
//! actors of the same class. Both are freed when the `Stakker` is dropped. A main queue that a
//! burst grew beyond 512 KiB is trimmed to 256 KiB at the end of the `run` that drained it,
//! unless bursts recur (it grew back soon after the last trim): then it is kept for a number
//! of runs that doubles, up to 4,096, each time keeping it proved too short.
//!
//! # Panics
//!
//! A panic inside an actor call reaches the caller of `run` by default, but the runtime stays
//! usable: the panicking item is consumed, every other pending item stays pending in order,
//! and the actor fails with [`StopCause::Failed`] (the error's text contains `panic` and, with
//! `std`, the panic message), carried out by the next `run`. With `std`,
//! [`Stakker::set_catch_panics`] contains panics at the actor-call boundary instead.
//!
//! # Features
//!
//! - `std` (default): conversions to and from `std::time::Instant`, `Core::systime`, panic
//!   containment.
//! - `inter-thread` (default): the cross-thread wake machinery.
//! - `no-unsafe`: `#![forbid(unsafe_code)]`; every unsafe leaf module is replaced by its safe
//!   twin (flat closure queue → boxed queue, actor reference count → `Rc` with no block pool,
//!   actor state cell → `RefCell`, inline timer callbacks and `Ret` handlers → boxes).
//!   Behaviour and API are identical.
//! - `no-unsafe-queue`: only the closure queue is replaced.
//! - `logger`: actor logging IDs and span records.
//! - `tracing`: the `tracing_bridge` module forwards log records to the `tracing` crate (implies
//!   `logger` and `std`).
//! - `multi-thread`, `multi-stakker`, `inline-deferrer`, `anymap`: accepted for compatibility
//!   with the original `stakker` crate; they do nothing here.
#![no_std]
#![cfg_attr(feature = "no-unsafe", forbid(unsafe_code))]
#![warn(
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::std_instead_of_alloc
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod actor;
mod cx;
mod deferrer;
mod error;
mod fwd;
pub mod host;
pub mod log;
mod logging;
mod macros;
mod queue;
mod ret;
mod runtime;
mod share;
mod slab;
pub mod sync;
pub mod task;
pub mod time;
mod timer;
mod timers;
#[cfg(feature = "tracing")]
pub mod tracing_bridge;

pub use actor::{Actor, ActorOwn, ActorOwnAnon};
pub use cx::Cx;
pub use deferrer::Deferrer;
pub use error::StopCause;
pub use fwd::Fwd;
pub use log::{LogFilter, LogID, LogLevel, LogLevelError, LogRecord, LogVisitor};
pub use ret::Ret;
pub use runtime::{Core, Stakker};
pub use share::{Share, Share2, Share2Weak, ShareWeak};
pub use slab::{aux, ActorOwnSlab};
#[doc(hidden)]
pub use sync::Waker;
#[cfg(feature = "std")]
#[doc(hidden)]
pub use sync::{PipedLink, PipedThread};
pub use timer::{FixedTimerKey, MaxTimerKey, MinTimerKey};

/// The guide "Writing an adapter" (docs/writing-an-adapter.md); its examples run as doc tests.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/writing-an-adapter.md")]
mod guide_writing_an_adapter {}

/// The README's example runs as a doc test too.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
mod readme {}

/// Re-exports used by macro expansions. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::String;
}
