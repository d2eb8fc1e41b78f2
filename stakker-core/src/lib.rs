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
//! use stakker_core::host::{run_blocking, ThreadLoop};
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
//! let mut host = ThreadLoop::new(&mut s); // the std host: sleeps until a timer or a wake
//! let _client = actor!(s, Client::init(), ret_shutdown!(s));
//! let cause = run_blocking(&mut s, &mut host).unwrap(); // ThreadLoop's error is Infallible
//! assert!(cause.unwrap().is_stopped());
//! ```
//!
//! The loop is the host's job: [`host::run_blocking`] runs the runtime until an actor records
//! a shutdown (here `ret_shutdown!` does, when `Client` stops), sleeping in between until the
//! next timer or cross-thread wake. Do not call [`Stakker::run`] in a loop of your own with
//! `Instant::now()` and nothing to wait on: that spins at full CPU. A host loop of your own
//! (GUI toolkit, embedded super-loop) uses [`host::Driver`] or [`Stakker::next_wait_max`].
//!
//! # The guide
//!
//! A book of Markdown pages in the repository, under `docs/src/` (start at
//! `docs/src/SUMMARY.md`), each with runnable examples that are compiled and run as this crate's
//! doc tests:
//!
//! - `docs/src/getting-started.md`: a first actor system, run with
//!   `cargo run -p stakker-core --example getting_started`;
//! - `docs/src/actors-and-calls.md`: the lifecycle, the `call!` forms and the run order;
//! - `docs/src/fwd-and-ret.md`: callbacks and replies, and which macro to choose;
//! - `docs/src/timers-and-time.md`: fixed, Max and Min timers, `Ret::with_timeout`, virtual time;
//! - `docs/src/cross-thread.md`: `Waker`, `Channel`, `BoundedChannel`, `PipedThread`;
//! - `docs/src/writing-an-adapter.md`: the [`host`] contract and an I/O adapter over an OS poller;
//! - `docs/src/porting.md`: every difference from the original `stakker` 0.2;
//! - `docs/src/design-notes.md`: the closure queue, the timer store, no_std, no global state,
//!   panic containment, and what each operation costs.
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
//! [`Core::interval`] and [`interval!`] repeat a callback every period, on a fixed grid, until
//! their [`IntervalKey`] is dropped; a `run` that is late by several periods runs one tick
//! and skips the rest.
//!
//! # Actor lifecycle
//!
//! An actor starts in **Prep** (no state value; Ready calls are parked in arrival order), becomes
//! **Ready** when a Prep call returns `Some(state)` (the parked calls then run at once, in
//! order), and ends as a **Zombie** once terminated (every later call is dropped unrun, so a
//! `Ret` it carried reports `None`). The first stop cause wins.
//!
//! # Monitors
//!
//! Only an actor's owners hear why it stopped, through its notify `Ret`. Any other code can
//! ask to be told too, with [`Actor::monitor`]: the `Fwd<StopCause>` it gives is called once,
//! as a queued item after the owner's notification, without keeping the actor running; the
//! returned [`Monitor`] cancels it when dropped. Monitors live in a table per runtime that a
//! terminating actor consults with one counter read, so unmonitored actors pay nothing on the
//! call path and carry nothing extra. Restart strategies built on these notifications are in
//! the `stakker-supervisor` crate (guide: [Supervision](../../docs/src/supervision.md)).
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
//! `std`, the panic message), carried out by the next `run`. The message is known only for a
//! panic that reached `run` (or [`Actor::query`]) uncaught; a panic in [`Actor::apply`] called
//! outside `run` fails the actor without one. A delivered cause's text never changes. With
//! `std`, [`Stakker::set_catch_panics`] contains panics at the actor-call boundary instead.
//!
//! Queueing a call never unwinds, so that actor methods which queue calls need no unwinding
//! path of their own (it costs every delivery, see `docs/BENCHMARKS.md`). Three failures there
//! abort the process instead, with a message: a queue that cannot grow (as `Vec::push` when
//! memory runs out), more than `u32::MAX` references to one actor (as `Rc`), and a panic in an
//! [`explore`] interceptor or in the `Drop` of a call dropped because its runtime is gone.
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
mod actor_slab;
mod auto_traits;
mod closure_queue;
mod cx;
mod deferrer;
mod error;
pub mod explore;
mod fwd;
pub mod host;
pub mod log;
mod macros;
mod monitor;
mod ret;
mod runtime;
mod runtime_shared;
mod share;
pub mod sync;
pub mod task;
pub mod time;
mod timer;
mod timer_wheel;
#[cfg(feature = "tracing")]
pub mod tracing_bridge;
#[cfg(not(feature = "no-unsafe"))]
mod word_move;

pub use actor::{Actor, ActorOwn, ActorOwnAnon};
pub use actor_slab::{aux, ActorOwnSlab};
pub use cx::Cx;
pub use deferrer::Deferrer;
pub use error::StopCause;
pub use fwd::Fwd;
pub use log::{LogFilter, LogID, LogLevel, LogLevelError, LogRecord, LogVisitor};
pub use monitor::Monitor;
pub use ret::Ret;
pub use runtime::{Core, Stakker};
pub use share::{Share, Share2, Share2Weak, ShareWeak};
#[doc(hidden)]
pub use sync::Waker;
#[cfg(feature = "std")]
#[doc(hidden)]
pub use sync::{PipedLink, PipedThread};
pub use timer::{FixedTimerKey, IntervalKey, MaxTimerKey, MinTimerKey};

// The guide's pages about the core (docs/src/*.md): every Rust block of each runs as a doc test.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/src/getting-started.md")]
struct GettingStartedGuide;
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/src/actors-and-calls.md")]
struct ActorsAndCallsGuide;
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/src/fwd-and-ret.md")]
struct FwdAndRetGuide;
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/src/timers-and-time.md")]
struct TimersAndTimeGuide;
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/src/cross-thread.md")]
struct CrossThreadGuide;
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/src/writing-an-adapter.md")]
struct WritingAnAdapterGuide;
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/src/porting.md")]
struct PortingGuide;
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../docs/src/design-notes.md")]
struct DesignNotesGuide;

/// The README's example runs as a doc test too.
#[cfg(all(doctest, feature = "std"))]
#[doc = include_str!("../../README.md")]
mod readme {}

/// What macro expansions reach that is not public API. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    use crate::{Actor, Cx};

    pub use crate::timer::interval_body;
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::String;

    /// `call!`'s Ready call: queues `f` on the actor's own runtime, delivered with
    /// [`Actor::apply`]; the queued item takes over `actor`.
    #[inline(always)]
    pub fn defer_apply_owned<A: 'static>(
        actor: Actor<A>,
        f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static,
    ) {
        actor.defer_apply_owned(f);
    }

    /// `call!`'s Prep call: queues `f` on the actor's own runtime, delivered with
    /// [`Actor::apply_prep`]; the queued item takes over `actor`.
    #[inline(always)]
    pub fn defer_apply_prep_owned<A: 'static>(
        actor: Actor<A>,
        f: impl FnOnce(&mut Cx<'_, A>) -> Option<A> + 'static,
    ) {
        actor.defer_apply_prep_owned(f);
    }
}
