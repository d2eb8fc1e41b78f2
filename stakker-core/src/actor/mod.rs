//! Actors: references (`Actor`, `ActorOwn`, `ActorOwnAnon`), the lifecycle, and termination.

use crate::cx::Cx;
use crate::deferrer::Deferrer;
use crate::error::{PanicError, PanicMessage};
use crate::runtime::{Core, Stakker};
use crate::{LogID, Ret, StopCause};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::error::Error;
use core::ops::{Deref, DerefMut};

#[cfg(not(feature = "no-unsafe"))]
mod cell_fast;
#[cfg(not(feature = "no-unsafe"))]
pub(crate) use cell_fast::StateCell;
#[cfg(feature = "no-unsafe")]
mod cell_safe;
#[cfg(feature = "no-unsafe")]
pub(crate) use cell_safe::StateCell;

/// The right to borrow every `StateCell` of one runtime: exactly one exists per runtime, in
/// its `Stakker` (the cell modules' soundness rests on that).
pub(crate) struct StateOwner {
    runtime: Deferrer,
}

impl StateOwner {
    /// The owner for `runtime`, or `None` if one was already created for it.
    pub(crate) fn new(runtime: &Deferrer) -> Option<Self> {
        if runtime.0.state_owner_taken.replace(true) {
            return None;
        }
        Some(StateOwner {
            runtime: runtime.clone(),
        })
    }

    /// The runtime this owner belongs to.
    #[inline]
    fn runtime(&self) -> &Deferrer {
        &self.runtime
    }
}

impl Drop for StateOwner {
    fn drop(&mut self) {
        self.runtime.0.state_owner_gone.set(true);
        self.runtime.0.monitors.clear();
    }
}

/// A borrow of an actor's inner state through the runtime's `StateOwner`.
#[cfg(not(feature = "no-unsafe"))]
type InnerRef<'a, A> = &'a mut Inner<A>;
#[cfg(feature = "no-unsafe")]
type InnerRef<'a, A> = core::cell::RefMut<'a, Inner<A>>;

#[cfg(not(feature = "no-unsafe"))]
mod defer_fast;
#[cfg(not(feature = "no-unsafe"))]
use defer_fast::defer_owning;
#[cfg(feature = "no-unsafe")]
mod defer_safe;
#[cfg(feature = "no-unsafe")]
use defer_safe::defer_owning;

#[cfg(not(feature = "no-unsafe"))]
mod rc_fast;
#[cfg(not(feature = "no-unsafe"))]
use rc_fast::ActorRc;
#[cfg(not(feature = "no-unsafe"))]
pub(crate) use rc_fast::BlockPool;
#[cfg(feature = "no-unsafe")]
mod rc_safe;
#[cfg(feature = "no-unsafe")]
use rc_safe::ActorRc;
#[cfg(feature = "no-unsafe")]
pub(crate) use rc_safe::BlockPool;

/// A value that belongs to a runtime (an actor's box: calls go to that runtime's queue, and
/// the fast `ActorRc` takes its block from that runtime's pool).
pub(crate) trait InRuntime {
    /// The value's runtime.
    fn deferrer(&self) -> &Deferrer;
}

/// A Ready call parked on a Prep actor until it becomes Ready.
type Parked<A> = Box<dyn FnOnce(&mut A, &mut Cx<'_, A>)>;

/// Moves a new state in (word by word in the default build: the value was just built on the
/// stack, see `word_move`).
#[cfg(not(feature = "no-unsafe"))]
use crate::word_move::replace as replace_state;
#[cfg(feature = "no-unsafe")]
use core::mem::replace as replace_state;

/// Ends a borrow explicitly, whatever its type.
#[cfg(feature = "std")]
fn release<T>(_: T) {}

/// Lifecycle phase, readable without the runtime (for `is_zombie`). Kept in the top two bits
/// of `ActorBox::word`; the owner count is in the other 30.
const PREP: u32 = 0;
const READY: u32 = 1;
/// A call panicked: calls are dropped, and the queued `Failed` termination is the only one
/// still accepted.
const FAILING: u32 = 2;
const ZOMBIE: u32 = 3;
const PHASE_SHIFT: u32 = 30;
const OWNERS_MASK: u32 = (1 << PHASE_SHIFT) - 1;

/// What the state cell holds in each phase.
enum State<A: 'static> {
    Prep(Vec<Parked<A>>),
    Ready(A),
    Zombie,
}

/// Everything guarded by the runtime's actor owner.
struct Inner<A: 'static> {
    state: State<A>,
    /// Taken (left empty) at termination.
    notify: Ret<StopCause>,
}

impl<A: 'static> Inner<A> {
    /// Leaves the actor a zombie, handing back its state (or parked calls) and notify `Ret`
    /// to be dropped or called with no borrow held.
    fn take_all(&mut self) -> (State<A>, Ret<StopCause>) {
        (
            core::mem::replace(&mut self.state, State::Zombie),
            core::mem::replace(&mut self.notify, Ret::nop()),
        )
    }
}

/// The shared allocation behind every reference to one actor.
pub(crate) struct ActorBox<A: 'static> {
    #[cfg(feature = "logger")]
    id: LogID,
    /// State and notify, tagged with the runtime (whose `Deferrer` the actor uses).
    inner: StateCell<Inner<A>>,
}

/// A cloneable, non-owning reference to an actor with state type `A`.
///
/// Holding one keeps the actor's allocation alive (possibly as a zombie) but does not keep the
/// actor running. Calls are made with the macros ([`call!`](crate::call),
/// [`fwd_to!`](crate::fwd_to), ...) or with [`Actor::apply`] from code holding the
/// `Stakker`.
///
/// ```
/// use stakker_core::{actor, call, ret_nop, Stakker, CX};
/// use std::time::Instant;
///
/// struct Counter(u32);
/// impl Counter {
///     fn init(_cx: CX![], start: u32) -> Option<Self> { Some(Counter(start)) }
///     fn add(&mut self, _cx: CX![], n: u32) { self.0 += n; }
/// }
///
/// let mut s = Stakker::new(Instant::now());
/// let counter = actor!(s, Counter::init(1), ret_nop!());
/// call!([counter], add(2));
/// s.run(Instant::now(), false);
/// assert_eq!(counter.query(&mut s, |this, _| this.0), Some(3));
/// ```
pub struct Actor<A: 'static> {
    rc: ActorRc<ActorBox<A>>,
}

impl<A: 'static> Clone for Actor<A> {
    #[inline]
    fn clone(&self) -> Self {
        Actor {
            rc: self.rc.clone(),
        }
    }
}

impl<A: 'static> InRuntime for ActorBox<A> {
    #[inline]
    fn deferrer(&self) -> &Deferrer {
        self.inner.runtime()
    }
}

impl<A: 'static> Actor<A> {
    /// Borrows the actor's state through the runtime's owner.
    ///
    /// # Panics
    ///
    /// If `owner` belongs to another runtime, naming `api`.
    #[inline]
    #[track_caller]
    fn inner_rw<'a>(&'a self, owner: &'a mut StateOwner, api: &str) -> InnerRef<'a, A> {
        match self.rc.inner.rw(owner) {
            Some(inner) => inner,
            None => crate::runtime::wrong_runtime(api),
        }
    }
}

/// The phase (top two bits) and number of `ActorOwn` owners (the rest) live in the reference
/// count's spare word, so an actor stays small.
impl<A: 'static> ActorRc<ActorBox<A>> {
    #[inline]
    fn phase(&self) -> u32 {
        self.word().get() >> PHASE_SHIFT
    }
    #[inline]
    fn set_phase(&self, phase: u32) {
        let w = self.word();
        w.set((w.get() & OWNERS_MASK) | (phase << PHASE_SHIFT));
    }
    #[inline]
    fn owners(&self) -> u32 {
        self.word().get() & OWNERS_MASK
    }
    #[inline]
    fn set_owners(&self, n: u32) {
        assert!(n <= OWNERS_MASK, "ActorOwn: too many owners of one actor");
        let w = self.word();
        w.set((w.get() & !OWNERS_MASK) | n);
    }
}

/// Restores the phase and queues a `Failed` termination if an actor call unwinds, so the
/// actor never stays Ready with half-updated state and no user code runs during unwinding.
/// The panic message, where available, is filled in later by `Stakker::run`.
struct FailOnUnwind<'a, A: 'static> {
    actor: &'a Actor<A>,
}

impl<A: 'static> Drop for FailOnUnwind<'_, A> {
    /// Inlined, and handing the cold path a handle by value: a reference to the caller's
    /// handle reaching a call that is not inlined would make every actor call keep that handle
    /// in memory for the rare panic (two stores per delivered call).
    #[inline(always)]
    fn drop(&mut self) {
        fail_on_unwind(self.actor.clone());
    }
}

/// The work of `FailOnUnwind`: fails `actor`, and if `run` is executing (and so will catch the
/// panic), lists the actor as its victim so that `run` can give it the message. Takes the
/// handle by value (see `FailOnUnwind::drop`).
#[cold]
#[inline(never)]
fn fail_on_unwind<A: 'static>(actor: Actor<A>) {
    #[cfg(feature = "std")]
    {
        let shared = actor.rc.deferrer().0.clone();
        if shared.in_run.get() {
            let slot = crate::error::PanicSlot::default();
            actor.begin_panic_failure(PanicMessage::Pending(slot.clone()));
            let victim = Box::new(Victim { actor, slot });
            // Actor calls of one runtime never nest, so an earlier victim still listed is
            // from a panic that user code caught before `run` saw it: this panic is not
            // its own, and it must not get this message. (Dropping it runs no user code:
            // its queued termination, or the termination already done, owns the state.)
            let stale = core::mem::take(&mut *shared.panicked.borrow_mut());
            shared.panicked.borrow_mut().push(victim);
            drop(stale);
            return;
        }
    }
    // Outside `run` nobody will catch the panic for us: no message can be had.
    actor.begin_panic_failure(PanicMessage::Fixed(PanicError::unknown()));
}

/// An actor whose call panicked during the current `run`: `run` gives it the panic message,
/// or with containment on fails it at once.
#[cfg(feature = "std")]
pub(crate) trait PanicVictim {
    /// Records the panic message in the actor's pending failure.
    fn set_message(&self, text: &str);
    /// Carries out the failure now (containment).
    fn fail_now(&self, s: &mut Stakker);
}

#[cfg(feature = "std")]
struct Victim<A: 'static> {
    actor: Actor<A>,
    slot: crate::error::PanicSlot,
}

#[cfg(feature = "std")]
impl<A: 'static> PanicVictim for Victim<A> {
    fn set_message(&self, text: &str) {
        *self.slot.borrow_mut() = Some(String::from(text));
    }
    fn fail_now(&self, s: &mut Stakker) {
        let err = PanicError::from_slot(&self.slot);
        self.actor
            .terminate_failing(s, StopCause::Failed(Box::new(err)));
    }
}

/// The parked calls still to run after a Prep call made the actor Ready. Dropped normally, the
/// leftovers are dropped at once (the actor has stopped). If a parked call panics, dropping
/// them is queued instead, so no user `Drop` runs during unwinding.
struct ParkedRest<'a, A: 'static> {
    actor: &'a Actor<A>,
    calls: alloc::vec::IntoIter<Parked<A>>,
}

impl<A: 'static> Drop for ParkedRest<'_, A> {
    fn drop(&mut self) {
        if self.calls.len() > 0 && self.actor.rc.phase() == FAILING {
            let calls = core::mem::replace(&mut self.calls, Vec::new().into_iter());
            self.actor.defer(move |_| drop(calls));
        }
    }
}

impl<A: 'static> Actor<A> {
    fn new(core: &mut Core, notify: Ret<StopCause>, _parent_id: LogID) -> Self {
        #[cfg(feature = "logger")]
        let id = core.log_span_open(core::any::type_name::<A>(), _parent_id, |_| {});
        Actor {
            rc: ActorRc::new(
                (PREP << PHASE_SHIFT) | 1,
                ActorBox {
                    #[cfg(feature = "logger")]
                    id,
                    inner: StateCell::new(
                        core.deferrer.clone(),
                        Inner {
                            state: State::Prep(Vec::new()),
                            notify,
                        },
                    ),
                },
            ),
        }
    }

    /// `true` once the actor has terminated (or has failed after a panic and awaits its
    /// queued termination).
    #[inline]
    pub fn is_zombie(&self) -> bool {
        self.rc.phase() >= FAILING
    }

    /// The actor's logging ID (0 without the `logger` feature).
    #[inline]
    pub fn id(&self) -> LogID {
        #[cfg(feature = "logger")]
        {
            self.rc.id
        }
        #[cfg(not(feature = "logger"))]
        {
            0
        }
    }

    /// Queues `f` on the actor's runtime without needing a `Core` (for example from a `Drop`
    /// implementation).
    #[inline]
    pub fn defer(&self, f: impl FnOnce(&mut Stakker) + 'static) {
        self.rc.deferrer().defer(f);
    }

    /// Queues a Ready call on the actor's own runtime, delivered with [`Actor::apply`] when it
    /// reaches the front of the main queue.
    #[inline]
    pub(crate) fn defer_apply(&self, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static) {
        self.clone().defer_apply_owned(f);
    }

    /// [`Actor::defer_apply`] consuming this reference (which the queued call then holds),
    /// saving a reference-count round trip per call.
    #[inline]
    pub(crate) fn defer_apply_owned(self, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static) {
        defer_owning(self, move |this, s| this.apply_owned(s, f));
    }

    /// [`Actor::defer_apply_prep`] consuming this reference.
    #[inline]
    pub(crate) fn defer_apply_prep_owned(
        self,
        f: impl FnOnce(&mut Cx<'_, A>) -> Option<A> + 'static,
    ) {
        defer_owning(self, move |this, s| this.apply_prep(s, f));
    }

    /// Queues a Prep call on the actor's own runtime, delivered with [`Actor::apply_prep`].
    #[inline]
    pub(crate) fn defer_apply_prep(&self, f: impl FnOnce(&mut Cx<'_, A>) -> Option<A> + 'static) {
        self.clone().defer_apply_prep_owned(f);
    }

    /// Runs `f` now with the state and a context if the actor is Ready; parks it until the
    /// actor becomes Ready if it is in Prep; drops it unrun if the actor is a zombie. If `f`
    /// requested stop or failure, the actor terminates right after `f` returns.
    ///
    /// # Panics
    ///
    /// If `s` is not the actor's runtime; and if `f` panics (the panic passes through after
    /// the actor has been marked failed, unless panic containment is on).
    #[inline(always)]
    pub fn apply(&self, s: &mut Stakker, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static) {
        // The Ready path is written out here and everything else kept out of line, so that
        // the whole delivery inlines into the queue item. Where it did not (or where `f` was
        // moved into another closure), the compiler copied `f` through the stack with loads
        // wider than the stores that had just written it: a store-forwarding stall per call.
        if self.rc.phase() != READY {
            return self.apply_not_ready(s, f);
        }
        let stop = {
            #[allow(unused_mut)] // `mut` is needed by the `no-unsafe` twin (a `RefMut`)
            let (mut inner, mut cx) = self.enter(s, "Actor::apply");
            self.run_ready(&mut inner.state, &mut cx, f);
            cx.into_stop()
        };
        if let Some(cause) = stop {
            self.terminate(s, cause);
        }
    }

    /// [`Actor::apply`] for a queued call, consuming the reference the call held. Every
    /// early exit hands that reference on to a cold function (a tail call), so a method that
    /// cannot panic, inlined here, leaves the delivery with no unwinding path and no stack
    /// frame (see `docs/BENCHMARKS.md`).
    #[inline(always)]
    fn apply_owned(self, s: &mut Stakker, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static) {
        if self.rc.phase() != READY {
            return self.apply_owned_cold(s, f);
        }
        let stop = {
            let Stakker {
                core,
                actor_owner,
                share2_owner,
                ..
            } = &mut *s;
            #[allow(unused_mut)] // `mut` is needed by the `no-unsafe` twin (a `RefMut`)
            let Some(mut inner) = self.rc.inner.rw(actor_owner) else {
                return self.apply_owned_cold(s, f); // another runtime's actor: panics
            };
            let mut cx = Cx::new(core, &self, share2_owner);
            self.run_ready(&mut inner.state, &mut cx, f);
            cx.into_stop()
        };
        if let Some(cause) = stop {
            self.terminate_owned(s, cause);
        }
    }

    /// Runs a Ready call on the state, under the guard that fails the actor if it unwinds.
    /// The body `apply` and `apply_owned` share.
    #[inline(always)]
    fn run_ready(
        &self,
        state: &mut State<A>,
        cx: &mut Cx<'_, A>,
        f: impl FnOnce(&mut A, &mut Cx<'_, A>),
    ) {
        let guard = FailOnUnwind { actor: self };
        if let State::Ready(ref mut a) = state {
            f(a, cx);
        }
        core::mem::forget(guard);
    }

    /// The rare cases of `apply_owned`, as `apply` handles them.
    #[cold]
    #[inline(never)]
    fn apply_owned_cold(self, s: &mut Stakker, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static) {
        self.apply(s, f);
    }

    /// `terminate`, consuming the reference (see `apply_owned`).
    #[cold]
    #[inline(never)]
    fn terminate_owned(self, s: &mut Stakker, cause: StopCause) {
        self.terminate(s, cause);
    }

    /// [`Actor::apply`] on an actor that is not Ready: parks the call (Prep) or drops it.
    #[cold]
    #[inline(never)]
    fn apply_not_ready(&self, s: &mut Stakker, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static) {
        if self.rc.phase() == PREP {
            #[allow(unused_mut)] // `mut` is needed by the `no-unsafe` twin (a `RefMut`)
            let mut inner = self.inner_rw(&mut s.actor_owner, "Actor::apply");
            if let State::Prep(ref mut parked) = inner.state {
                parked.push(Box::new(f));
            }
        } else {
            s.core.check_runtime(self.rc.deferrer(), "Actor::apply");
            drop(f);
        }
    }

    /// Runs one Ready call with panic handling; returns the stop request, if any.
    #[inline]
    fn call_ready<R>(
        &self,
        s: &mut Stakker,
        api: &'static str,
        f: impl FnOnce(&mut A, &mut Cx<'_, A>) -> R,
    ) -> Option<StopCause> {
        self.call_guarded(s, api, |state, cx| {
            if let State::Ready(ref mut a) = state {
                f(a, cx);
            }
        })
        .and_then(|(_, cause)| cause)
    }

    /// Splits the runtime for one call: the actor's state and a context holding `Core`.
    #[inline(always)]
    fn enter<'a>(&'a self, s: &'a mut Stakker, api: &str) -> (InnerRef<'a, A>, Cx<'a, A>) {
        let Stakker {
            core,
            actor_owner,
            share2_owner,
            ..
        } = s;
        (
            self.inner_rw(actor_owner, api),
            Cx::new(core, self, share2_owner),
        )
    }

    /// Runs `f` with the state cell and a context, applying the panic rules of the crate docs.
    /// Returns `None` if a panic was contained (the actor has then already failed), else
    /// `f`'s result and the stop request.
    ///
    /// This costs nothing extra unless `f` unwinds: a guard then marks the actor failed, and
    /// `Stakker::run` (which catches once per run, or per item with containment on, never
    /// per call) fills in the panic message or fails the actor at once.
    #[inline]
    fn call_guarded<R>(
        &self,
        s: &mut Stakker,
        api: &'static str,
        f: impl FnOnce(&mut State<A>, &mut Cx<'_, A>) -> R,
    ) -> Option<(R, Option<StopCause>)> {
        #[allow(unused_mut)] // `mut` is needed by the `no-unsafe` twin (a `RefMut`)
        let (mut inner, mut cx) = self.enter(s, api);
        let guard = FailOnUnwind { actor: self };
        let r = f(&mut inner.state, &mut cx);
        core::mem::forget(guard);
        Some((r, cx.into_stop()))
    }

    /// `call_guarded` with the call caught at its boundary (for `query`, usually called from
    /// outside `run`): a panic fails the actor at once if containment is on, else after
    /// marking the actor failed (with the panic message) the panic carries on.
    #[cfg(feature = "std")]
    fn call_caught<R>(
        &self,
        s: &mut Stakker,
        api: &'static str,
        f: impl FnOnce(&mut State<A>, &mut Cx<'_, A>) -> R,
    ) -> Option<(R, Option<StopCause>)> {
        #[allow(unused_mut)] // `mut` is needed by the `no-unsafe` twin (a `RefMut`)
        let (mut inner, mut cx) = self.enter(s, api);
        let result = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
            f(&mut inner.state, &mut cx)
        }));
        match result {
            Ok(r) => Some((r, cx.into_stop())),
            Err(payload) => {
                let contain = cx.catch_panics();
                drop(cx);
                release(inner); // (a `RefMut` in the `no-unsafe` twin)
                let err = PanicError::with_text(crate::error::payload_text(&*payload));
                if contain {
                    self.rc.set_phase(FAILING);
                    self.terminate_failing(s, StopCause::Failed(Box::new(err)));
                    None
                } else {
                    self.begin_panic_failure(PanicMessage::Fixed(err));
                    std::panic::resume_unwind(payload)
                }
            }
        }
    }

    /// Marks the actor failed after a panic and queues its `Failed` termination, to be
    /// carried out by the next `run`.
    fn begin_panic_failure(&self, message: PanicMessage) {
        if self.rc.phase() >= FAILING {
            return;
        }
        self.rc.set_phase(FAILING);
        let pending = Pending(Some(self.clone()));
        self.rc.deferrer().defer(move |s| {
            if let Some(actor) = pending.take() {
                let err = message.into_error();
                actor.terminate_failing(s, StopCause::Failed(Box::new(err)));
            }
        });
    }

    /// Runs `f` now if the actor is in Prep; otherwise drops `f` unrun. If `f` requested stop
    /// or failure, the actor terminates (dropping any value returned); else `Some(v)` makes
    /// `v` the state and runs every parked call, in order, before returning.
    ///
    /// # Panics
    ///
    /// If `s` is not the actor's runtime, and as for [`Actor::apply`].
    pub fn apply_prep(&self, s: &mut Stakker, f: impl FnOnce(&mut Cx<'_, A>) -> Option<A>) {
        s.core
            .check_runtime(self.rc.deferrer(), "Actor::apply_prep");
        if self.rc.phase() != PREP {
            return;
        }
        let Some((parked, cause)) = self.call_guarded(s, "Actor::apply_prep", |state, cx| {
            let val = f(cx)?;
            if cx.stop_requested() {
                return None; // value dropped; termination below
            }
            let old = replace_state(state, State::Ready(val));
            match old {
                State::Prep(parked) => Some(parked),
                _ => None,
            }
        }) else {
            return;
        };
        if let Some(cause) = cause {
            self.terminate(s, cause);
            return;
        }
        let Some(parked) = parked else { return };
        self.rc.set_phase(READY);
        if parked.is_empty() {
            return; // the usual case: nothing was called before init finished
        }
        let mut rest = ParkedRest {
            actor: self,
            calls: parked.into_iter(),
        };
        for call in rest.calls.by_ref() {
            if let Some(cause) = self.call_ready(s, "Actor::apply_prep", call) {
                self.terminate(s, cause);
            }
            if self.rc.phase() != READY {
                break;
            }
        }
        // Calls left because the actor stopped are dropped by `rest`, outside every borrow.
    }

    /// Synchronous access for code outside the actor system: if the actor is Ready, runs `f`
    /// now and returns `Some(result)` (terminating afterwards if `f` requested it); otherwise
    /// returns `None` without running or keeping `f`.
    ///
    /// # Panics
    ///
    /// If `s` is not the actor's runtime, and as for [`Actor::apply`].
    pub fn query<R>(
        &self,
        s: &mut Stakker,
        f: impl FnOnce(&mut A, &mut Cx<'_, A>) -> R,
    ) -> Option<R> {
        s.core.check_runtime(self.rc.deferrer(), "Actor::query");
        if self.rc.phase() != READY {
            return None;
        }
        let call = |state: &mut State<A>, cx: &mut Cx<'_, A>| match state {
            State::Ready(a) => Some(f(a, cx)),
            _ => None,
        };
        // Usually called from outside `run`, so it catches for itself to get the message.
        #[cfg(feature = "std")]
        let (r, cause) = self.call_caught(s, "Actor::query", call)?;
        #[cfg(not(feature = "std"))]
        let (r, cause) = self.call_guarded(s, "Actor::query", call)?;
        if let Some(cause) = cause {
            self.terminate(s, cause);
        }
        r
    }

    /// Terminates the actor with `cause` (see the crate docs, "Termination"): first cause
    /// wins; the state (or parked calls) is dropped, then the notify `Ret` gets the cause.
    pub(crate) fn terminate(&self, s: &mut Stakker, cause: StopCause) {
        if self.rc.phase() >= FAILING {
            return; // first cause wins (a failing actor only accepts its panic failure)
        }
        self.finish_termination(s, cause);
    }

    /// Carries out the `Failed` termination queued for a panicking actor.
    fn terminate_failing(&self, s: &mut Stakker, cause: StopCause) {
        if self.rc.phase() == ZOMBIE {
            return;
        }
        self.finish_termination(s, cause);
    }

    fn finish_termination(&self, s: &mut Stakker, cause: StopCause) {
        self.rc.set_phase(ZOMBIE);
        let (state, notify) = {
            #[allow(unused_mut)] // `mut` is needed by the `no-unsafe` twin (a `RefMut`)
            let mut inner = self.inner_rw(&mut s.actor_owner, "Actor::terminate");
            inner.take_all()
        };
        // User code (the state's `Drop`, the notify handler) runs with no borrow held.
        drop(state);
        #[cfg(feature = "logger")]
        crate::log::logger::log_actor_close(&mut s.core, self.id(), &cause);
        if crate::monitor::any_armed(self.rc.deferrer()) {
            crate::monitor::notify_and_fire(self.rc.deferrer(), self.address(), notify, cause);
        } else {
            notify.ret(cause);
        }
    }

    /// The key of this actor in the runtime's monitor table (its address, unique among
    /// actors not yet terminated), or `None` once it has terminated.
    pub(crate) fn monitor_key(&self) -> Option<usize> {
        (self.rc.phase() != ZOMBIE).then(|| self.address())
    }

    fn address(&self) -> usize {
        &*self.rc as *const ActorBox<A> as usize
    }

    /// Macro support: the actor's deferrer.
    #[inline]
    pub fn access_deferrer(&self) -> &Deferrer {
        self.rc.deferrer()
    }

    /// Macro support: returns `self`.
    #[inline]
    pub fn access_actor(&self) -> &Self {
        self
    }

    /// Macro support: same as [`Actor::id`].
    #[inline]
    pub fn access_log_id(&self) -> LogID {
        self.id()
    }

    /// Adds an owner (for `ActorOwn::owned`).
    #[inline]
    fn add_owner(&self) {
        self.rc.set_owners(self.rc.owners() + 1);
    }

    /// Releases one owner; the last one queues termination with `StopCause::Dropped`. If the
    /// runtime is already gone, the state is dropped at once instead (no termination is
    /// delivered; the notify `Ret` reports `None`), so an actor kept alive by its own
    /// references (a `Fwd` to itself in its state) is not leaked.
    #[inline]
    fn release_owner(&self) {
        let n = self.rc.owners() - 1;
        self.rc.set_owners(n);
        if n != 0 || self.rc.phase() == ZOMBIE {
            return;
        }
        let orphaned = self.rc.inner.with_orphaned(Inner::take_all);
        if let Some((state, notify)) = orphaned {
            self.rc.set_phase(ZOMBIE);
            drop(state);
            drop(notify);
        } else if self.rc.phase() < FAILING {
            let pending = Pending(Some(self.clone()));
            self.rc.deferrer().defer(move |s| {
                if let Some(actor) = pending.take() {
                    actor.terminate(s, StopCause::Dropped);
                }
            });
        }
    }
}

/// An actor whose termination is queued. If the runtime is torn down before the termination
/// runs, dropping this hands the actor to the teardown, which still drops its state, so
/// parent/child reference cycles are not leaked.
struct Pending<A: 'static>(Option<Actor<A>>);

impl<A: 'static> Pending<A> {
    fn take(mut self) -> Option<Actor<A>> {
        self.0.take()
    }
}

impl<A: 'static> Drop for Pending<A> {
    fn drop(&mut self) {
        if let Some(actor) = self.0.take() {
            let shared = actor.rc.deferrer().0.clone();
            if shared.tearing_down.get() {
                shared.orphans.borrow_mut().push(Box::new(actor));
            }
        }
    }
}

/// An actor left over when the runtime is dropped (see `Pending`).
pub(crate) trait Orphan {
    /// Drops the actor's state (or parked calls) and its notify `Ret` (which then reports
    /// `None`: no termination is delivered once the runtime is gone).
    fn teardown(&self, s: &mut Stakker);
}

impl<A: 'static> Orphan for Actor<A> {
    fn teardown(&self, s: &mut Stakker) {
        if self.rc.phase() == ZOMBIE {
            return;
        }
        self.rc.set_phase(ZOMBIE);
        let (state, notify) = {
            #[allow(unused_mut)] // `mut` is needed by the `no-unsafe` twin (a `RefMut`)
            let mut inner = self.inner_rw(&mut s.actor_owner, "Actor::terminate");
            inner.take_all()
        };
        drop(state);
        drop(notify);
    }
}

/// An owning reference to an actor. The actor keeps running while at least one owner exists;
/// when the last owner is dropped, termination with [`StopCause::Dropped`] is queued.
///
/// Derefs to [`Actor`], so every `Actor` method works on it. It does not implement `Clone`:
/// `own.clone()` resolves through deref and yields a non-owning `Actor`; use
/// [`ActorOwn::owned`] for another owner.
///
/// `#[must_use]`: an `ActorOwn` dropped at once (for example `actor!(..);` written as a
/// statement) ends the actor before it runs; store it, typically in the parent's state.
#[must_use = "dropping the last ActorOwn terminates the actor at once (StopCause::Dropped), and `let _ = ..` drops it too; keep it (in a field, or `let _owner = ..`) for as long as the actor should live"]
pub struct ActorOwn<A: 'static> {
    actor: Actor<A>,
}

impl<A: 'static> ActorOwn<A> {
    /// Creates an actor in Prep, with `notify` as its termination handler and `parent_id` as
    /// its logging parent (0 if none). Normally called through [`actor!`](crate::actor) or
    /// [`actor_new!`](crate::actor_new).
    pub fn new(core: &mut Core, notify: Ret<StopCause>, parent_id: LogID) -> ActorOwn<A> {
        ActorOwn {
            actor: Actor::new(core, notify, parent_id),
        }
    }

    /// Another owner of the same actor.
    pub fn owned(&self) -> ActorOwn<A> {
        self.actor.add_owner();
        ActorOwn {
            actor: self.actor.clone(),
        }
    }

    /// Terminates the actor now with `StopCause::Killed(err)`; no effect on a zombie.
    ///
    /// # Panics
    ///
    /// If `s` is not the actor's runtime.
    pub fn kill(&self, s: &mut Stakker, err: Box<dyn Error>) {
        s.core.check_runtime(self.rc.deferrer(), "ActorOwn::kill");
        self.actor.terminate(s, StopCause::Killed(err));
    }

    /// [`ActorOwn::kill`] with an error that displays as `err`.
    pub fn kill_str(&self, s: &mut Stakker, err: &'static str) {
        self.kill(s, Box::new(crate::error::StrError(err)));
    }

    /// [`ActorOwn::kill`] with an error that displays as `err`.
    pub fn kill_string(&self, s: &mut Stakker, err: impl Into<String>) {
        self.kill(s, Box::new(crate::error::StringError(err.into())));
    }

    /// Converts into an owner of unknown actor type.
    pub fn anon(self) -> ActorOwnAnon {
        ActorOwnAnon::new(self)
    }
}

impl<A: 'static> Deref for ActorOwn<A> {
    type Target = Actor<A>;
    #[inline]
    fn deref(&self) -> &Actor<A> {
        &self.actor
    }
}

impl<A: 'static> DerefMut for ActorOwn<A> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Actor<A> {
        &mut self.actor
    }
}

impl<A: 'static> Drop for ActorOwn<A> {
    fn drop(&mut self) {
        self.actor.release_owner();
    }
}

/// An owner of an actor of unknown type. It can only be dropped, which releases the owner.
/// `#[must_use]`, like [`ActorOwn`].
#[must_use = "dropping the last owner terminates the actor at once (StopCause::Dropped), and `let _ = ..` drops it too; keep it for as long as the actor should live"]
pub struct ActorOwnAnon(#[allow(dead_code)] Box<dyn AnyOwner>);

/// Any `ActorOwn<T>`, type-erased (dropping it releases the owner).
trait AnyOwner {}
impl<T: 'static> AnyOwner for ActorOwn<T> {}

impl ActorOwnAnon {
    /// Wraps an owner of an actor of any type.
    pub fn new<T: 'static>(actorown: ActorOwn<T>) -> ActorOwnAnon {
        ActorOwnAnon(Box::new(actorown))
    }
}

#[cfg(test)]
mod tests;
