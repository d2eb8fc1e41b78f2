//! `Stakker` (the host loop's view of the runtime) and `Core` (the part actors may use).

use crate::closure_queue::FnQueue;
use crate::deferrer::Deferrer;
use crate::runtime_shared::Shared;
use crate::time::{Duration, Instant};
use crate::timer::TimerStore;
use crate::StopCause;
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use core::any::{Any, TypeId};
use core::ops::{Deref, DerefMut};
use qcell::{QCellOwner, QCellOwnerID};

/// The part of the runtime that actor code may use, reached through `&mut Stakker` or
/// `&mut Cx` (both deref to it): the clock, the queues, timers, the anymap, shutdown, shares
/// and handles. Not constructible by users.
pub struct Core {
    pub(crate) deferrer: Deferrer,
    now: Instant,
    start: Instant,
    pub(crate) timers: TimerStore,
    /// Owner of every `Share` cell of this runtime.
    pub(crate) share_owner: QCellOwner,
    /// ID of `Stakker::share2_owner`, for creating `Share2` cells.
    pub(crate) share2_owner_id: QCellOwnerID,
    anymap: BTreeMap<TypeId, Box<dyn Any>>,
    shutdown: Option<StopCause>,
    #[cfg(feature = "std")]
    systime: Option<std::time::SystemTime>,
    #[cfg(feature = "std")]
    pub(crate) catch_panics: bool,
    #[cfg_attr(not(feature = "logger"), allow(dead_code))]
    pub(crate) log: crate::log::logger::LogState,
    /// Wake handlers and the link to the host's poll waker.
    pub(crate) wake: crate::sync::WakeState,
}

/// The runtime as seen by the host loop: it owns every queue, the timers and the right to touch
/// actor state. Derefs to [`Core`].
///
/// The host loop calls [`Stakker::run`] with the current time, then asks
/// [`Stakker::next_wait_max`] how long it may sleep (see the adapter contract in the crate
/// docs). Any number of runtimes may exist in one thread or process.
///
/// ```
/// use stakker_core::{Stakker, call};
/// use std::time::Instant;
/// let mut s = Stakker::new(Instant::now());
/// let log = std::rc::Rc::new(std::cell::Cell::new(0));
/// let l = log.clone();
/// call!([s], |_s| l.set(l.get() + 1));
/// s.run(Instant::now(), false);
/// assert_eq!(log.get(), 1);
/// ```
pub struct Stakker {
    /// Owner of every actor state cell and task cell of this runtime. Kept outside `Core` so
    /// that an actor's state and `&mut Core` can be borrowed together. Declared first so it is
    /// dropped before `Core`: owners released while `Core`'s contents drop then find the
    /// runtime gone and drop their actor's state at once.
    pub(crate) actor_owner: crate::actor::StateOwner,
    pub(crate) core: Core,
    /// Owner of every `Share2` cell, lent to `Cx` during actor calls.
    pub(crate) share2_owner: QCellOwner,
    /// When the drained main queue gives memory back.
    main_trim: BurstTrim,
}

impl Deref for Stakker {
    type Target = Core;
    #[inline]
    fn deref(&self) -> &Core {
        &self.core
    }
}

impl DerefMut for Stakker {
    #[inline]
    fn deref_mut(&mut self) -> &mut Core {
        &mut self.core
    }
}

/// What a drained main queue keeps for the next burst: 32,768 8-byte slots (256 KiB), room
/// for about 10,000 queued calls.
const TRIM_KEEP_SLOTS: usize = 1 << 15;
/// Runs a regrown buffer is first kept for; doubled each time keeping proves too short.
const TRIM_HOLD_MIN: u32 = 16;
const TRIM_HOLD_MAX: u32 = 4096;

/// When a drained main queue gives back the memory a burst made it grow by.
///
/// A one-off burst (say 100,000 actors created at start-up, each with a queued init call)
/// leaves a buffer far larger than ordinary traffic needs: it is trimmed to
/// `TRIM_KEEP_SLOTS` at the end of the `run` that drained it. A workload that bursts again
/// and again would instead pay to regrow the buffer after every trim (fresh pages and
/// copying; measured in `docs/BENCHMARKS.md`). So when the buffer has grown back past the limit
/// within `hold` runs of a trim, it is kept for the next `hold` runs, and `hold` doubles each
/// time that proves too short (up to `TRIM_HOLD_MAX`); it falls back to `TRIM_HOLD_MIN` once
/// a trim stays trimmed for `hold` runs. The steady state pays one comparison per `run`.
struct BurstTrim {
    /// Runs left before a large buffer may be trimmed again.
    keep_for: u32,
    /// Runs since the last trim (saturating; starts "long ago").
    since_trim: u32,
    /// How long the next regrowth is kept for.
    hold: u32,
}

impl BurstTrim {
    const fn new() -> Self {
        Self {
            keep_for: 0,
            since_trim: u32::MAX,
            hold: TRIM_HOLD_MIN,
        }
    }

    /// Called at the end of every `run`, when `queue` has been drained.
    #[inline]
    fn after_drain(&mut self, queue: &FnQueue<Stakker>) {
        self.since_trim = self.since_trim.saturating_add(1);
        if queue.capacity_items() <= 2 * TRIM_KEEP_SLOTS {
            if self.since_trim > self.hold {
                self.hold = TRIM_HOLD_MIN;
            }
            return;
        }
        self.large(queue);
    }

    #[cold]
    fn large(&mut self, queue: &FnQueue<Stakker>) {
        if self.keep_for > 0 {
            self.keep_for -= 1;
        } else if self.since_trim <= self.hold {
            // Grown back soon after the last trim: bursts recur, keep the buffer a while.
            self.hold = (self.hold * 2).min(TRIM_HOLD_MAX);
            self.keep_for = self.hold;
        } else {
            queue.shrink(TRIM_KEEP_SLOTS);
            self.since_trim = 0;
        }
    }
}

/// Runs one detached lazy batch. However the batch ends (normally or by a panic unwinding
/// through it), the rest of the batch goes back in front of anything queued meanwhile, so no
/// pending item is lost or reordered; the batch's buffer is kept for reuse.
struct LazyBatch<'a> {
    batch: FnQueue<Stakker>,
    queue: &'a FnQueue<Stakker>,
}

impl Drop for LazyBatch<'_> {
    fn drop(&mut self) {
        let newer = self.queue.take();
        let batch = core::mem::take(&mut self.batch);
        batch.append(newer);
        self.queue.restore(batch);
    }
}

/// Forgets the actors listed as panic victims once the code that ran them has returned: their
/// panics were caught by user code, so a later panic is not theirs, and their failures (already
/// queued) carry no message.
#[cfg(feature = "std")]
#[inline]
fn forget_caught_victims(shared: &Shared) {
    if !shared.panicked.borrow().is_empty() {
        let caught = core::mem::take(&mut *shared.panicked.borrow_mut());
        drop(caught); // no user code: an actor's state is dropped by its queued failure
    }
}

/// Clears the re-entrancy flag however `run` exits.
struct RunFlag<'a>(&'a Shared);

impl<'a> RunFlag<'a> {
    #[track_caller]
    fn enter(shared: &'a Shared, api: &str) -> Self {
        if shared.in_run.replace(true) {
            panic!("{api}: called from inside an item that Stakker::run is executing; re-entrant run is not allowed");
        }
        RunFlag(shared)
    }
}

impl Drop for RunFlag<'_> {
    fn drop(&mut self) {
        self.0.in_run.set(false);
    }
}

impl Stakker {
    /// Creates an idle runtime whose current time and start instant are both `now`.
    pub fn new(now: impl Into<Instant>) -> Stakker {
        let now = now.into();
        let deferrer = Deferrer(Rc::new(Shared::new()));
        let actor_owner =
            crate::actor::StateOwner::new(&deferrer).expect("a new runtime has no state owner yet");
        let share2_owner = QCellOwner::new();
        Stakker {
            actor_owner,
            core: Core {
                deferrer,
                now,
                start: now,
                timers: TimerStore::new(),
                share_owner: QCellOwner::new(),
                share2_owner_id: share2_owner.id(),
                anymap: BTreeMap::new(),
                shutdown: None,
                #[cfg(feature = "std")]
                systime: None,
                #[cfg(feature = "std")]
                catch_panics: false,
                log: Default::default(),
                wake: Default::default(),
            },
            share2_owner,
            main_trim: BurstTrim::new(),
        }
    }

    /// Runs one step of the runtime (see [the crate docs, "Run order"](crate#run-order)): if
    /// `idle` is true, first
    /// runs the oldest idle item; then advances time to `now` (ignored if not later than
    /// [`Core::now`]), moves due timers to the main queue in due-time order, and runs the main
    /// and lazy queues until both are empty. Returns whether idle items remain.
    ///
    /// # Panics
    ///
    /// If called from inside an item that `run` is executing, and whenever an item panics
    /// (the panic passes through; every other pending item stays pending, in order).
    pub fn run(&mut self, now: impl Into<Instant>, idle: bool) -> bool {
        let now = now.into();
        // One catch per run (not per call) gives failed actors their panic message.
        #[cfg(feature = "std")]
        {
            let result = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
                self.run_step(now, idle)
            }));
            match result {
                Ok(idle_left) => {
                    forget_caught_victims(&self.core.deferrer.0);
                    idle_left
                }
                Err(payload) => {
                    let text = crate::error::payload_text(&*payload);
                    let panicked = &self.core.deferrer.0.panicked;
                    let victims = core::mem::take(&mut *panicked.borrow_mut());
                    for victim in victims {
                        victim.set_message(&text);
                    }
                    std::panic::resume_unwind(payload)
                }
            }
        }
        #[cfg(not(feature = "std"))]
        self.run_step(now, idle)
    }

    #[inline]
    fn run_step(&mut self, now: Instant, idle: bool) -> bool {
        let shared = self.core.deferrer.0.clone();
        let _flag = RunFlag::enter(&shared, "Stakker::run");

        if idle {
            self.drain(&shared.idle, true);
        }

        if now > self.core.now {
            self.core.now = now;
            self.core.timers.expire(now, &shared);
        }

        loop {
            self.drain(&shared.main, false);
            if shared.lazy.is_empty() {
                break;
            }
            let lazy = LazyBatch {
                batch: shared.lazy.take(),
                queue: &shared.lazy,
            };
            self.drain(&lazy.batch, false);
        }
        self.main_trim.after_drain(&shared.main);
        !shared.idle.is_empty()
    }

    /// Runs the items of `queue` until it is empty (or just one, if `once`). The containment
    /// choice is made here, once per drain, to keep the per-item path free of it.
    #[inline]
    fn drain(&mut self, queue: &FnQueue<Stakker>, once: bool) {
        #[cfg(feature = "std")]
        if self.core.catch_panics {
            return self.drain_contained(queue, once);
        }
        if once {
            queue.call_next(self);
        } else {
            while queue.call_next(self) {}
        }
    }

    /// `drain` with each item caught: a panic that unwound through an actor call fails that
    /// actor at once and the drain carries on; any other panic passes through.
    #[cfg(feature = "std")]
    #[cold]
    fn drain_contained(&mut self, queue: &FnQueue<Stakker>, once: bool) {
        loop {
            let result =
                std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| queue.call_next(self)));
            match result {
                Ok(more) => {
                    forget_caught_victims(&self.core.deferrer.0);
                    if !more || once {
                        return;
                    }
                }
                Err(payload) => {
                    let victims = core::mem::take(&mut *self.core.deferrer.0.panicked.borrow_mut());
                    if victims.is_empty() {
                        std::panic::resume_unwind(payload);
                    }
                    let text = crate::error::payload_text(&*payload);
                    for victim in victims {
                        victim.set_message(&text);
                        victim.fail_now(self);
                    }
                    if once {
                        return;
                    }
                }
            }
        }
    }

    /// Returns the instant at which [`Stakker::run`] next has timer work, or `None` if no
    /// timers exist. Never later than the due time of the earliest pending timer, which is
    /// kept exactly as given (no rounding; see [the crate docs, "Timers"](crate#timers)), so
    /// a `run` with this `now` fires that timer. Only a Max timer moved later may show an
    /// earlier checkpoint here.
    pub fn next_expiry(&mut self) -> Option<Instant> {
        self.core.timers.next_expiry()
    }

    /// [`Stakker::next_expiry`] minus `now`, saturating at zero; `None` if there are no
    /// timers.
    pub fn next_wait(&mut self, now: impl Into<Instant>) -> Option<Duration> {
        let now = now.into();
        self.next_expiry().map(|t| t.saturating_duration_since(now))
    }

    /// How long the host may wait before calling [`Stakker::run`] again: zero if `pending`
    /// (idle items or held-back I/O events are waiting); else the time to the next timer
    /// capped at `maxdur`, or `maxdur` if there are no timers.
    pub fn next_wait_max(
        &mut self,
        now: impl Into<Instant>,
        maxdur: Duration,
        pending: bool,
    ) -> Duration {
        if pending {
            return Duration::ZERO;
        }
        match self.next_wait(now) {
            Some(wait) => wait.min(maxdur),
            None => maxdur,
        }
    }

    /// Sets the value [`Core::systime`] returns from now on (`Some`), for virtual-time hosts,
    /// or makes it read the system clock again (`None`).
    #[cfg(feature = "std")]
    pub fn set_systime(&mut self, systime: Option<std::time::SystemTime>) {
        self.core.systime = systime;
    }

    /// Contains panics at the actor-call boundary when `on` is true: a panic inside an actor
    /// method, Prep method, inline closure or `query` closure fails that actor at once
    /// (`StopCause::Failed` with the panic message) and `run` carries on. Panics outside actor
    /// calls still propagate. Default: off, so panics reach the caller of `run`.
    #[cfg(feature = "std")]
    pub fn set_catch_panics(&mut self, on: bool) {
        self.core.catch_panics = on;
    }

    /// Tears the runtime down (see the crate docs, "Dropping the Stakker"): every queued item,
    /// timer and wake handler is dropped unrun; actors whose termination was still queued have
    /// their state dropped (their notify `Ret` reports `None`); dropping things may queue more,
    /// which is dropped too, for a bounded number of rounds.
    fn teardown(&mut self) {
        let shared = self.core.deferrer.0.clone();
        shared.tearing_down.set(true);
        let timers = core::mem::replace(&mut self.core.timers, TimerStore::new());
        drop(timers);
        for q in [&shared.lazy, &shared.idle] {
            drop(q.take());
        }
        let task = shared.current_task.borrow_mut().take();
        drop(task);
        for _ in 0..TEARDOWN_ROUNDS {
            let main = shared.main.take();
            let orphans_waiting = !shared.orphans.borrow().is_empty();
            if main.is_empty() && !orphans_waiting {
                break;
            }
            drop(main);
            let orphans = core::mem::take(&mut *shared.orphans.borrow_mut());
            for actor in orphans {
                actor.teardown(self);
            }
        }
        // From here on anything deferred is discarded at once.
        shared.end();
        shared.tearing_down.set(false);
        for q in [&shared.main, &shared.lazy, &shared.idle] {
            drop(q.take());
        }
        let orphans = core::mem::take(&mut *shared.orphans.borrow_mut());
        drop(orphans);
        // No actor can be created any more; actors dropped later free their own blocks.
        shared.actor_pool.clear();
    }
}

/// Bound on teardown rounds, so a pathological `Drop` that keeps queueing cannot loop forever.
const TEARDOWN_ROUNDS: usize = 1000;

impl Drop for Stakker {
    fn drop(&mut self) {
        self.teardown();
    }
}

impl Core {
    /// The runtime's current time: the greatest `now` given so far to [`Stakker::run`] (or
    /// to [`Stakker::new`]). Actors use it instead of reading a clock.
    #[inline]
    pub fn now(&self) -> Instant {
        self.now
    }

    /// The `now` passed to [`Stakker::new`].
    #[inline]
    pub fn start_instant(&self) -> Instant {
        self.start
    }

    /// The wall-clock time set by [`Stakker::set_systime`], or `SystemTime::now()` if none is
    /// set. For display and persistence, not for measuring intervals.
    #[cfg(feature = "std")]
    pub fn systime(&self) -> std::time::SystemTime {
        self.systime.unwrap_or_else(std::time::SystemTime::now)
    }

    /// Queues `f` on the main queue.
    #[inline]
    pub fn defer(&mut self, f: impl FnOnce(&mut Stakker) + 'static) {
        self.deferrer.defer(f);
    }

    /// Queues `f` on the lazy queue, which runs only when the main queue is empty; used to
    /// batch work such as flushing.
    #[inline]
    pub fn lazy(&mut self, f: impl FnOnce(&mut Stakker) + 'static) {
        let shared = &self.deferrer.0;
        shared.push(&shared.lazy, f);
    }

    /// Queues `f` on the idle queue, which runs one item per `run(_, true)`, i.e. only when
    /// the host found nothing else to do; used for backpressure.
    #[inline]
    pub fn idle(&mut self, f: impl FnOnce(&mut Stakker) + 'static) {
        let shared = &self.deferrer.0;
        shared.push(&shared.idle, f);
    }

    /// A handle that queues onto this runtime's main queue without needing `Core`.
    #[inline]
    pub fn deferrer(&self) -> Deferrer {
        self.deferrer.clone()
    }

    /// Stores `val`, replacing any value of the same type. For environment handles such as
    /// the I/O poll an adapter drives the runtime with.
    pub fn anymap_set<T: Clone + 'static>(&mut self, val: T) {
        self.anymap.insert(TypeId::of::<T>(), Box::new(val));
    }

    /// Removes the value of type `T`, if present.
    pub fn anymap_unset<T: Clone + 'static>(&mut self) {
        self.anymap.remove(&TypeId::of::<T>());
    }

    /// Returns a clone of the value of type `T`.
    ///
    /// # Panics
    ///
    /// If no value of type `T` is stored; the message names the type.
    #[track_caller]
    pub fn anymap_get<T: Clone + 'static>(&mut self) -> T {
        match self.anymap_try_get() {
            Some(v) => v,
            None => panic!(
                "Core::anymap_get: no value of type {} is stored in the anymap",
                core::any::type_name::<T>()
            ),
        }
    }

    /// Returns a clone of the value of type `T`, or `None` if absent.
    pub fn anymap_try_get<T: Clone + 'static>(&mut self) -> Option<T> {
        self.anymap
            .get(&TypeId::of::<T>())
            .and_then(|b| b.downcast_ref::<T>())
            .cloned()
    }

    /// Records a request for the host loop to stop, replacing any cause already recorded.
    /// The runtime itself keeps working.
    pub fn shutdown(&mut self, cause: StopCause) {
        self.shutdown = Some(cause);
    }

    /// `true` while no shutdown cause is recorded.
    pub fn not_shutdown(&self) -> bool {
        self.shutdown.is_none()
    }

    /// Takes the recorded shutdown cause, clearing it.
    pub fn shutdown_reason(&mut self) -> Option<StopCause> {
        self.shutdown.take()
    }

    /// Macro support: returns `self`.
    #[inline]
    pub fn access_core(&mut self) -> &mut Core {
        self
    }

    /// Macro support: this runtime's deferrer.
    #[inline]
    pub fn access_deferrer(&self) -> &Deferrer {
        &self.deferrer
    }

    /// Macro support: always 0 (a bare `Core` is not inside an actor).
    #[inline]
    pub fn access_log_id(&self) -> crate::LogID {
        0
    }

    /// Panics unless `d` belongs to this runtime.
    #[inline]
    #[track_caller]
    pub(crate) fn check_runtime(&self, d: &Deferrer, api: &str) {
        if !self.deferrer.same_runtime(d) {
            wrong_runtime(api);
        }
    }

    /// The time a timer set now for `expiry` is due: never at or before `now` (timers never
    /// fire in the run that added them).
    #[inline]
    pub(crate) fn timer_due(&self, expiry: Instant) -> Instant {
        if expiry > self.now {
            expiry
        } else {
            self.now.saturating_add(Duration::from_nanos(1))
        }
    }
}

#[cold]
#[inline(never)]
#[track_caller]
pub(crate) fn wrong_runtime(api: &str) -> ! {
    panic!("{api}: the object belongs to a different runtime (Stakker) than the one passed in");
}

#[cfg(test)]
mod trim_tests {
    use super::*;

    /// Queues `n` one-slot items on `q` and runs them all.
    fn burst(s: &mut Stakker, q: &FnQueue<Stakker>, n: usize) {
        for _ in 0..n {
            q.push(|_: &mut Stakker| ());
        }
        while q.call_next(s) {}
    }

    #[test]
    fn one_burst_is_given_back_recurring_bursts_keep_the_buffer() {
        let mut s = Stakker::new(Instant::from_secs(1));
        let q = FnQueue::new();
        let mut trim = BurstTrim::new();
        let big = 4 * TRIM_KEEP_SLOTS;
        burst(&mut s, &q, big);
        assert!(q.capacity_items() >= big);
        trim.after_drain(&q);
        assert!(
            q.capacity_items() <= TRIM_KEEP_SLOTS,
            "a one-off burst is given back"
        );

        // The same burst in every run: the buffer is regrown a few times (each time keeping
        // proved too short), then kept.
        let mut regrowths = 0;
        for _ in 0..300 {
            let before = q.capacity_items();
            burst(&mut s, &q, big);
            regrowths += usize::from(q.capacity_items() > before);
            trim.after_drain(&q);
        }
        assert!(q.capacity_items() >= big, "kept while bursts recur");
        assert!(regrowths <= 5, "regrown {regrowths} times in 300 bursts");

        // The bursts stop: the buffer goes back within the longest hold.
        let mut quiet_runs = 0;
        while q.capacity_items() > TRIM_KEEP_SLOTS {
            burst(&mut s, &q, 10);
            trim.after_drain(&q);
            quiet_runs += 1;
            assert!(quiet_runs <= TRIM_HOLD_MAX + 1, "never given back");
        }
    }

    #[test]
    fn ordinary_traffic_never_trims() {
        let mut s = Stakker::new(Instant::from_secs(1));
        let q = FnQueue::new();
        let mut trim = BurstTrim::new();
        burst(&mut s, &q, 2 * TRIM_KEEP_SLOTS);
        let cap = q.capacity_items();
        for _ in 0..100 {
            burst(&mut s, &q, 1000);
            trim.after_drain(&q);
            assert_eq!(q.capacity_items(), cap);
        }
    }
}
