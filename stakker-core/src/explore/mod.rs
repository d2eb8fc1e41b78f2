//! The delivery hook for test harnesses (used by `stakker-testkit`): intercepting queued actor
//! calls and due timer callbacks, so a harness can trace them and deliver them in another
//! legal order. Not needed by applications.
//!
//! # What is intercepted
//!
//! While an [`Interceptor`] is installed with [`set_interceptor`], two kinds of main-queue item
//! are handed to it instead of being appended to the main queue:
//!
//! - every **actor call** queued on the main queue (`call!` with any target, `Fwd`s and
//!   `Ret`s made by `fwd_to!`, `ret_to!` and friends, `actor!`'s Prep call): a [`Held`] whose
//!   [`Held::receiver`] names the actor;
//! - every **due timer callback** (`after!`, `at!`, `timer_max!`, ...) when `Stakker::run`
//!   moves it to the main queue: a [`Held`] with no receiver.
//!
//! Everything else (`Core::defer`, `Deferrer::defer`, queued terminations, `lazy!` and
//! `idle!` calls on the lazy and idle queues) is untouched. The interceptor decides what to do with each item: put it on the main
//! queue at once with [`Held::deliver`] (so the order is exactly the normal one), or keep it
//! and deliver it later in an order of its choosing; a harness that records deliveries queues
//! its own item with `Core::defer` and calls [`Held::run`] from it. Dropping a `Held` drops its
//! item unrun, like a runtime that is gone (a `Ret` it carried reports `None`).
//!
//! # Cost
//!
//! With no interceptor installed, the only cost is one byte read from memory the queueing path
//! reads anyway and one well-predicted branch per actor call or due timer; delivery is exactly
//! the normal FIFO. Installing an interceptor boxes each intercepted item.
//!
//! ```
//! use stakker_core::explore::{set_interceptor, Held};
//! use stakker_core::{actor, call, ret_nop, Stakker, CX};
//! use stakker_core::time::Instant;
//! use std::{cell::RefCell, rc::Rc};
//!
//! struct Counter(u32);
//! impl Counter {
//!     fn init(_: CX![]) -> Option<Self> { Some(Counter(0)) }
//!     fn add(&mut self, _: CX![], n: u32) { self.0 += n; }
//! }
//!
//! let mut s = Stakker::new(Instant::from_secs(1));
//! let held: Rc<RefCell<Vec<Held>>> = Rc::default();
//! let h = held.clone();
//! set_interceptor(&mut s, Some(Rc::new(move |call: Held| h.borrow_mut().push(call))));
//! let counter = actor!(s, Counter::init(), ret_nop!());
//! call!([counter], add(2));
//! call!([counter], add(3));
//! s.run(Instant::from_secs(1), false);
//! assert_eq!(counter.query(&mut s, |c, _| c.0), None); // nothing delivered: still in Prep
//! let calls: Vec<Held> = held.borrow_mut().drain(..).collect();
//! assert_eq!(calls.len(), 3); // init, add(2), add(3)
//! assert!(calls[0].receiver_type_name().unwrap().ends_with("Counter"));
//! for call in calls {
//!     call.deliver(&mut s);
//! }
//! s.run(Instant::from_secs(1), false);
//! assert_eq!(counter.query(&mut s, |c, _| c.0), Some(5));
//! ```

use crate::actor::Actor;
use crate::closure_queue::FnQueue;
use crate::deferrer::Deferrer;
use crate::runtime::Core;
use crate::runtime::Stakker;
use crate::runtime_shared::Shared;
use crate::StopCause;
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;

/// Receives every intercepted item (see the module docs). Called from inside `Stakker::run`
/// (or wherever the call was queued); it must not call back into the runtime's `run`, and
/// must not panic: it runs inside `call!`, which never unwinds, so a panic here aborts the
/// process.
pub type Interceptor = Rc<dyn Fn(Held)>;

/// Installs (`Some`) or removes (`None`) the runtime's interceptor. Items already handed to
/// an interceptor stay wherever it put them.
pub fn set_interceptor(s: &mut Stakker, interceptor: Option<Interceptor>) {
    let shared = &s.core.deferrer.0;
    shared.set_intercepting(interceptor.is_some());
    *shared.interceptor.borrow_mut() = interceptor;
}

/// Whether an interceptor is installed on the runtime behind `shared`: the one check on the
/// normal path.
#[inline(always)]
pub(crate) fn intercepting(shared: &Shared) -> bool {
    shared.intercepting.get()
}

/// The main-queue item for an actor call: `call(actor, s)`, handing on the actor reference
/// it owns. Made here for both the normal path and [`hold_call`], so that both queue the
/// same closure type.
#[inline(always)]
pub(crate) fn queued_call<A: 'static, C: FnOnce(Actor<A>, &mut Stakker) + 'static>(
    actor: Actor<A>,
    call: C,
) -> impl FnOnce(&mut Stakker) + 'static {
    move |s: &mut Stakker| call(actor, s)
}

/// Whether an actor call may go straight onto the main queue of the runtime behind `shared`:
/// the one check on the normal path (see `Shared::direct`). Otherwise [`hold_call`] takes it.
#[inline(always)]
pub(crate) fn direct(shared: &Shared) -> bool {
    shared.direct.get()
}

/// The cold path of queueing an actor call, where [`direct`] said no: hands the call to the
/// interceptor, or drops it if the runtime is gone.
///
/// Never unwinds (`extern "C"`: a panic in the interceptor, or in the `Drop` of a call
/// dropped for a runtime that is gone, aborts the process). Every `call!` can reach this
/// path, so if it could unwind, every actor method making a call would need an unwinding
/// path, and with it a stack frame (see `closure_queue::cannot_grow`).
#[cold]
#[inline(never)]
#[allow(improper_ctypes_definitions)] // called from Rust only: `extern "C"` for "nounwind"
pub(crate) extern "C" fn hold_call<A: 'static, C: FnOnce(Actor<A>, &mut Stakker) + 'static>(
    actor: Actor<A>,
    call: C,
) {
    let runtime = actor.access_deferrer().clone();
    let held = Held {
        site: core::any::type_name::<C>(),
        item: Box::new(CallItem { actor, call }),
    };
    hold(&runtime.0, held);
}

/// Hands `held` to the interceptor (or drops it if the runtime is gone). Never unwinds, as
/// [`hold_call`].
#[cold]
#[inline(never)]
#[allow(improper_ctypes_definitions)] // called from Rust only: `extern "C"` for "nounwind"
extern "C" fn hold(shared: &Shared, held: Held) {
    if !shared.alive.get() {
        return; // dropped unrun, as `Deferrer::defer` does once the runtime is gone
    }
    // Cloned out so the interceptor may install another one.
    let interceptor = shared.interceptor.borrow().clone();
    match interceptor {
        Some(interceptor) => interceptor(held),
        None => shared.main.push(move |s: &mut Stakker| held.run(s)),
    }
}

/// Macro support (`call!([actor, core], ..)`): queues `call(&actor, s)` on `runtime`'s main
/// queue (the one `core` gives access to), or hands it to the interceptor.
#[doc(hidden)]
#[inline(always)]
pub fn __defer_call<A: 'static, C: FnOnce(&Actor<A>, &mut Stakker) + 'static>(
    runtime: &Deferrer,
    actor: Actor<A>,
    call: C,
) {
    let call = move |actor: Actor<A>, s: &mut Stakker| call(&actor, s);
    if !direct(&runtime.0) {
        return hold_call(actor, call);
    }
    runtime.0.main.push(queued_call(actor, call));
}

/// Appends a due timer callback to the main queue, or hands it to the interceptor.
#[inline(always)]
pub(crate) fn push_timer<F: FnOnce(&mut Stakker) + 'static>(shared: &Shared, f: F) {
    if intercepting(shared) {
        let held = Held {
            site: "",
            item: Box::new(TimerItem(f)),
        };
        hold(shared, held);
    } else {
        shared.main.push(f);
    }
}

/// A held item, type-erased: what it is for, and running it.
trait HeldItem {
    /// The receiving actor, for actor calls.
    fn actor(&self) -> Option<&dyn ErasedActor>;
    fn run(self: Box<Self>, s: &mut Stakker);
}

/// A held actor call: the receiver and the call, made into the main queue's item only when
/// it runs.
struct CallItem<A: 'static, C> {
    actor: Actor<A>,
    call: C,
}

impl<A: 'static, C: FnOnce(Actor<A>, &mut Stakker) + 'static> HeldItem for CallItem<A, C> {
    fn actor(&self) -> Option<&dyn ErasedActor> {
        Some(&self.actor)
    }
    fn run(self: Box<Self>, s: &mut Stakker) {
        let CallItem { actor, call } = *self;
        // The very closure the main queue would have held, run through the queue's own call
        // function for its type: intercepting adds no caller of the actor's method (a
        // second caller made the compiler stop inlining the method into the queue's call,
        // see `docs/BENCHMARKS.md`).
        FnQueue::run_one(queued_call(actor, call), s);
    }
}

/// A held due timer callback.
struct TimerItem<F>(F);

impl<F: FnOnce(&mut Stakker) + 'static> HeldItem for TimerItem<F> {
    fn actor(&self) -> Option<&dyn ErasedActor> {
        None
    }
    fn run(self: Box<Self>, s: &mut Stakker) {
        FnQueue::run_one(self.0, s); // as for `CallItem`
    }
}

/// An intercepted item: an actor call (with its receiver) or a due timer callback. One
/// allocation.
pub struct Held {
    site: &'static str,
    item: Box<dyn HeldItem>,
}

impl Held {
    /// The actor the call is for (a new handle); `None` for a timer callback.
    pub fn receiver(&self) -> Option<AnyActor> {
        self.item.actor().map(|a| a.any())
    }

    /// The receiver's identity, as [`AnyActor::addr`], without making a handle.
    pub fn receiver_addr(&self) -> Option<usize> {
        self.item.actor().map(|a| a.addr())
    }

    /// The receiver's state type name, as [`AnyActor::type_name`].
    pub fn receiver_type_name(&self) -> Option<&'static str> {
        self.item.actor().map(|a| a.type_name())
    }

    /// Where an actor call was made: the type name of the queued closure, which names the
    /// function that wrote the `call!` (or made the `Fwd`/`Ret`) among its type parameters,
    /// for example `stakker_core::actor::Actor<app::Cache>::defer_apply_owned<app::Admin::roll_out::{{closure}}>::{{closure}}`.
    /// Its exact form is the compiler's and may change; use it for display only. Empty for
    /// timer callbacks.
    pub fn site(&self) -> &'static str {
        self.site
    }

    /// Appends the item to the main queue of `s` (bypassing the interceptor); the next `run`
    /// runs it.
    pub fn deliver(self, s: &mut Stakker) {
        s.defer(move |s| self.run(s));
    }

    /// Runs the item now, as the main queue would. Meant for a harness's own queued item
    /// (one that records the delivery first), which is already running inside
    /// `Stakker::run`: panics then get the runtime's usual handling.
    pub fn run(self, s: &mut Stakker) {
        self.item.run(s);
    }
}

/// What a harness may do with an actor it knows only by a held call.
trait ErasedActor {
    fn any(&self) -> AnyActor;
    fn addr(&self) -> usize;
    fn type_name(&self) -> &'static str;
    fn is_zombie(&self) -> bool;
    fn terminate(&self, s: &mut Stakker, cause: StopCause);
    fn panic_in(&self, s: &mut Stakker, msg: String);
}

impl<A: 'static> ErasedActor for Actor<A> {
    fn any(&self) -> AnyActor {
        AnyActor::new(self)
    }
    fn addr(&self) -> usize {
        // The runtime handle every actor keeps lives inside the actor's own block, so its
        // address identifies the actor (the unit test below pins this down).
        self.access_deferrer() as *const Deferrer as usize
    }
    fn type_name(&self) -> &'static str {
        core::any::type_name::<A>()
    }
    fn is_zombie(&self) -> bool {
        Actor::is_zombie(self)
    }
    fn terminate(&self, s: &mut Stakker, cause: StopCause) {
        s.core
            .check_runtime(self.access_deferrer(), "AnyActor::terminate");
        Actor::terminate(self, s, cause);
    }
    fn panic_in(&self, s: &mut Stakker, msg: String) {
        self.apply(s, move |_, _| panic!("{msg}"));
    }
}

/// A type-erased, non-owning, cloneable reference to an actor: identity, name, liveness, and
/// the faults a harness injects. Like [`Actor`], it keeps the actor's allocation (not the
/// actor) alive, so [`AnyActor::addr`] is never reused by another actor while it exists.
#[derive(Clone)]
pub struct AnyActor(Rc<dyn ErasedActor>);

impl AnyActor {
    /// A reference to `actor`.
    pub fn new<A: 'static>(actor: &Actor<A>) -> AnyActor {
        AnyActor(Rc::new(actor.clone()))
    }

    /// The actor's identity: equal for two references to the same actor, and distinct from
    /// every other actor's while this reference exists.
    pub fn addr(&self) -> usize {
        self.0.addr()
    }

    /// The actor's state type name (`core::any::type_name`).
    pub fn type_name(&self) -> &'static str {
        self.0.type_name()
    }

    /// Whether the actor has terminated (or is failing after a panic).
    pub fn is_zombie(&self) -> bool {
        self.0.is_zombie()
    }

    /// Terminates the actor now with `cause`, as [`ActorOwn::kill`](crate::ActorOwn::kill)
    /// does (the first cause wins; no effect on a zombie).
    ///
    /// # Panics
    ///
    /// If `s` is not the actor's runtime.
    pub fn terminate(&self, s: &mut Stakker, cause: StopCause) {
        self.0.terminate(s, cause);
    }

    /// Runs a Ready call on the actor that panics with `msg`, as if one of its handlers had
    /// panicked (the actor fails; with containment on, `Stakker::run` carries on). Like any
    /// Ready call, it is parked if the actor is still in Prep and dropped if it is a zombie.
    pub fn panic_in(&self, s: &mut Stakker, msg: impl Into<String>) {
        self.0.panic_in(s, msg.into());
    }
}

impl Core {
    /// Whether the main, lazy and idle queues are all empty (nothing is waiting to run; items
    /// held by an interceptor and timers are not counted). Cheap: three loads.
    pub fn queues_empty(&self) -> bool {
        let shared = &self.deferrer.0;
        shared.main.is_empty() && shared.lazy.is_empty() && shared.idle.is_empty()
    }
}

#[cfg(test)]
mod tests;
