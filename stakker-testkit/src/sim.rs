//! `Sim`: a `Stakker` driven by the core's own loop driver under a virtual clock.

use crate::hub::{self, Hub, Mode};
use crate::probe::{Probe, StopProbe};
use crate::schedule::{Fault, Schedule};
use crate::strategy::{Chooser, Fifo, Replay};
use crate::trace::{Trace, Who};
use core::convert::Infallible;
use core::task::{Context, Poll};
use stakker_core::explore::{set_interceptor, AnyActor};
use stakker_core::host::{Activity, Driver, EventLoop, WakeFlag};
use stakker_core::sync::{BoundedChannel, TrySendError};
use stakker_core::time::{Duration, Instant};
use stakker_core::{Actor, Deferrer, Ret, Stakker, StopCause};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// Where a step of the driver loop stops.
#[derive(Copy, Clone)]
enum Target {
    /// Once nothing is left to do without moving the clock.
    Quiescent,
    /// Once the clock has reached the instant and nothing is left to do at it.
    Until(Instant),
}

/// A delayed external event.
type Event = Box<dyn FnOnce(&mut Stakker)>;

/// The `Sim`'s side of the adapter contract: a virtual clock that jumps instead of sleeping,
/// and a "poll" that hands over the next held delivery or due external event.
struct SimLoop {
    clock: Rc<Cell<Instant>>,
    hub: Rc<RefCell<Hub>>,
    deferrer: Deferrer,
    target: Target,
    /// Waits left before returning `Pending` (`None`: unlimited).
    budget: Option<usize>,
    /// Set when the last `Pending` came from reaching the target, not the budget.
    reached: bool,
    delayed: BTreeMap<(Instant, u64), Event>,
    /// Set when the test queued work between steps: the driver must run before waiting.
    kick: bool,
    /// Set by the runtime's poll waker (cross-thread wakes: channels, `Waker`s).
    wake: WakeFlag,
}

/// A waker that does nothing: the `Sim` never returns `Pending` to wait for one.
struct NoopWake;

impl std::task::Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

impl EventLoop for SimLoop {
    type Error = Infallible;

    fn now(&mut self) -> Instant {
        self.clock.get()
    }

    fn poll_wait(
        &mut self,
        _: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Infallible>> {
        self.reached = false;
        match &mut self.budget {
            Some(0) => return Poll::Pending,
            Some(n) => *n -= 1,
            None => (),
        }
        // 0. Work the test queued between steps (calls, injected events).
        if core::mem::take(&mut self.kick) {
            return Poll::Ready(Ok(Activity::SOME));
        }
        // 1. A held delivery, chosen by the strategy (exploring mode only).
        if let Some(item) = Hub::next_delivery(&self.hub) {
            self.deferrer.defer(item);
            return Poll::Ready(Ok(Activity::SOME));
        }
        // 2. A cross-thread wake (the driver queues `poll_wake`), or a due delayed event.
        if self.wake.take() {
            return Poll::Ready(Ok(Activity::WOKEN));
        }
        let now = self.clock.get();
        if let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 <= now {
                let event = entry.remove();
                self.deferrer.defer(event);
                return Poll::Ready(Ok(Activity::SOME));
            }
        }
        // 3. Idle items or a timer due now: let the driver run them without moving the clock.
        if max.is_zero() {
            return Poll::Ready(Ok(Activity::NONE));
        }
        // 4. Nothing to do now: stop, or jump the clock (to the next timer, delayed event or
        //    the target, whichever comes first).
        let stop_at = match self.target {
            Target::Quiescent => now,
            Target::Until(t) => t,
        };
        if now >= stop_at {
            self.reached = true;
            return Poll::Pending;
        }
        let mut next = now.saturating_add(max).min(stop_at);
        if let Some(&(t, _)) = self.delayed.keys().next() {
            next = next.min(t);
        }
        self.clock.set(next);
        Poll::Ready(Ok(Activity::NONE))
    }
}

/// A [`Stakker`] under a virtual clock of its own, stepped by the core's loop driver
/// ([`stakker_core::host::Driver`]) through an [`EventLoop`] whose waits move the clock
/// instead of sleeping. Nothing is global: any number of `Sim`s run side by side, in one
/// thread or in parallel tests.
///
/// A `Sim` derefs to its `Stakker`, so `actor!(sim, ..)`, `call!([sim], ..)` and
/// `actor.query(&mut sim, ..)` work as with a plain runtime. The steps ([`run`](Sim::run),
/// [`advance_to_next_timer`](Sim::advance_to_next_timer), [`advance`](Sim::advance),
/// [`run_until`](Sim::run_until), [`run_until_cond`](Sim::run_until_cond)) drive the
/// driver; [`inject`](Sim::inject) delivers an external event.
///
/// Three modes:
/// - [`Sim::new`]: the runtime's exact FIFO order, with every delivery recorded in the
///   [`trace`](Sim::trace) and faults available ([`Sim::with_faults`]);
/// - [`Sim::plain`]: no interception at all (no trace, no faults): the plain runtime's speed;
/// - [`Sim::replay`] (and the [`Explore`](crate::Explore) runner): exploring mode, where
///   actor calls and due timers are held and delivered one at a time in an order chosen by a
///   strategy among the legal ones (see the crate docs, "Which orders are explored").
///
/// ```
/// use stakker_core::{actor, after, call, ret_nop, CX};
/// use stakker_core::time::{Duration, Instant};
/// use stakker_testkit::Sim;
///
/// struct Blinker { on: bool, flips: u32 }
/// impl Blinker {
///     fn init(cx: CX![]) -> Option<Self> {
///         after!(Duration::from_secs(1), [cx], flip());
///         Some(Blinker { on: false, flips: 0 })
///     }
///     fn flip(&mut self, cx: CX![]) {
///         self.on = !self.on;
///         self.flips += 1;
///         after!(Duration::from_secs(1), [cx], flip());
///     }
/// }
///
/// let mut sim = Sim::new();
/// let t0 = sim.now();
/// let b = actor!(sim, Blinker::init(), ret_nop!());
/// sim.run();
/// assert_eq!(sim.advance_to_next_timer(), Some(t0 + Duration::from_secs(1)));
/// sim.advance(Duration::from_secs(3600)); // an hour, in no real time
/// assert_eq!(b.query(&mut sim, |b, _| b.flips), Some(3601));
/// assert_eq!(sim.now(), t0 + Duration::from_secs(3601));
/// ```
pub struct Sim {
    stakker: Stakker,
    host: SimLoop,
    driver: Driver,
    hub: Rc<RefCell<Hub>>,
    intercepting: bool,
    shutdown: Option<StopCause>,
    full: Arc<Mutex<FullPlan>>,
}

/// Which `try_send`s through a [`FaultySender`] report `Full`.
#[derive(Default)]
struct FullPlan {
    sends: usize,
    full: Vec<usize>,
}

/// The instant a `Sim`'s clock starts at (unless made by [`Sim::new_at`]).
pub const SIM_EPOCH: Instant = Instant::from_secs(1);

impl Sim {
    /// A simulation in FIFO order (exactly the runtime's own), recording a trace. The clock
    /// starts at [`SIM_EPOCH`].
    pub fn new() -> Sim {
        Sim::new_at(SIM_EPOCH)
    }

    /// [`Sim::new`] with the clock starting at `start` instead of [`SIM_EPOCH`], e.g. to
    /// check code that compares times with fixed instants. (Every other constructor starts
    /// at [`SIM_EPOCH`].)
    ///
    /// ```
    /// use stakker_core::time::{Duration, Instant};
    /// use stakker_testkit::Sim;
    ///
    /// let start = Instant::from_secs(86_400);
    /// let mut sim = Sim::new_at(start);
    /// assert_eq!(sim.now(), start);
    /// assert_eq!(sim.start_instant(), start); // the runtime's own start instant
    /// sim.advance(Duration::from_secs(5));
    /// assert_eq!(sim.elapsed(), Duration::from_secs(5));
    /// ```
    pub fn new_at(start: Instant) -> Sim {
        Sim::build(Some(Mode::PassThrough), Vec::new(), start)
    }

    /// [`Sim::new`] with faults injected (see [`Fault`]); the order stays FIFO.
    pub fn with_faults(faults: Vec<Fault>) -> Sim {
        Sim::build(Some(Mode::PassThrough), faults, SIM_EPOCH)
    }

    /// A simulation with no interception at all: FIFO order, no trace, no step faults
    /// ([`Fault::DropRet`], [`Fault::Delay`] and [`Fault::Full`] still work). The fastest mode.
    pub fn plain() -> Sim {
        Sim::build(None, Vec::new(), SIM_EPOCH)
    }

    /// An exploring simulation that follows `schedule` exactly: its choices (FIFO after the
    /// last one) and its faults. This is how a printed failure is replayed.
    pub fn replay(schedule: &Schedule) -> Sim {
        Sim::exploring(
            Box::new(Replay(schedule.choices.clone())),
            schedule.faults.clone(),
        )
    }

    /// An exploring simulation driven by `chooser`.
    pub(crate) fn exploring(chooser: Box<dyn Chooser>, faults: Vec<Fault>) -> Sim {
        Sim::build(Some(Mode::Explore(chooser)), faults, SIM_EPOCH)
    }

    /// An exploring simulation that always picks the oldest delivery.
    pub fn exploring_fifo() -> Sim {
        Sim::exploring(Box::new(Fifo), Vec::new())
    }

    fn build(mode: Option<Mode>, faults: Vec<Fault>, start: Instant) -> Sim {
        let clock = Rc::new(Cell::new(start));
        let mut stakker = Stakker::new(start);
        let deferrer = stakker.deferrer();
        let full = FullPlan {
            sends: 0,
            full: faults
                .iter()
                .filter_map(|f| match f {
                    Fault::Full { nth } => Some(*nth),
                    _ => None,
                })
                .collect(),
        };
        let intercepting = mode.is_some();
        let hub = Rc::new(RefCell::new(Hub::new(
            mode.unwrap_or(Mode::PassThrough),
            deferrer.clone(),
            clock.clone(),
            faults,
        )));
        let wake = WakeFlag::new();
        wake.install(&mut stakker, || ());
        if intercepting {
            set_interceptor(&mut stakker, Some(hub::interceptor(&hub)));
        }
        Sim {
            stakker,
            host: SimLoop {
                clock,
                hub: hub.clone(),
                deferrer,
                target: Target::Quiescent,
                budget: None,
                reached: false,
                delayed: BTreeMap::new(),
                kick: false,
                wake,
            },
            driver: Driver::default(),
            hub,
            intercepting,
            shutdown: None,
            full: Arc::new(Mutex::new(full)),
        }
    }

    /// The virtual time.
    pub fn now(&self) -> Instant {
        self.host.clock.get()
    }

    /// The virtual time since the `Sim` started: [`Sim::now`] minus the runtime's
    /// `start_instant` ([`SIM_EPOCH`], or the instant given to [`Sim::new_at`]). Handy in
    /// assertions, whose failure messages then show a duration rather than a raw instant.
    ///
    /// ```
    /// use stakker_core::time::Duration;
    /// use stakker_testkit::Sim;
    ///
    /// let mut sim = Sim::new();
    /// assert_eq!(sim.elapsed(), Duration::ZERO);
    /// sim.advance(Duration::from_millis(1500));
    /// assert_eq!(sim.elapsed(), Duration::from_millis(1500));
    /// ```
    pub fn elapsed(&self) -> Duration {
        self.now() - self.stakker.start_instant()
    }

    /// The runtime.
    pub fn stakker(&mut self) -> &mut Stakker {
        &mut self.stakker
    }

    /// Turns panic containment on or off (see `Stakker::set_catch_panics`); needed for
    /// [`Fault::Panic`] to fail the actor instead of reaching the test.
    pub fn set_catch_panics(&mut self, on: bool) {
        self.stakker.set_catch_panics(on);
    }

    /// Drives the loop until it stops at the target or the budget; returns whether it
    /// stopped because the target was reached (or the runtime shut down).
    fn drive(&mut self, target: Target, budget: Option<usize>) -> bool {
        self.host.target = target;
        self.host.budget = budget;
        self.host.kick = !self.stakker.queues_empty();
        let waker = core::task::Waker::from(Arc::new(NoopWake));
        let mut cx = Context::from_waker(&waker);
        match self
            .driver
            .poll_run(&mut self.stakker, &mut self.host, &mut cx)
        {
            Poll::Ready(Ok(cause)) => {
                self.shutdown = cause;
                true
            }
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => self.host.reached,
        }
    }

    /// Runs until nothing is left to do without moving the clock: every queued call, every
    /// held delivery (in exploring mode, in the strategy's order), lazy and idle items.
    /// Stops early if the runtime records a shutdown ([`Sim::shutdown_cause`]).
    pub fn run(&mut self) {
        self.drive(Target::Quiescent, None);
    }

    /// Moves the clock to the next timer's due time and runs everything due then, and
    /// everything that follows at that instant. Returns the new time, or `None` (and does
    /// nothing but [`Sim::run`]) if no timer is pending.
    pub fn advance_to_next_timer(&mut self) -> Option<Instant> {
        self.run();
        let due = self.stakker.next_expiry()?;
        self.run_until(due);
        Some(self.now())
    }

    /// Moves the clock forward by `d`, firing every timer due meanwhile at its own due time.
    pub fn advance(&mut self, d: Duration) {
        let t = self.now().saturating_add(d);
        self.run_until(t);
    }

    /// Moves the clock to `t` (no effect on the clock if `t` is not later), firing every
    /// timer due meanwhile at its own due time, and runs everything due at `t`.
    pub fn run_until(&mut self, t: Instant) {
        self.drive(Target::Until(t.max(self.now())), None);
    }

    /// Steps (one delivery, event or clock move at a time) until `cond` holds, but not past
    /// `deadline`. Returns whether `cond` held.
    pub fn run_until_cond(
        &mut self,
        deadline: Instant,
        mut cond: impl FnMut(&mut Stakker) -> bool,
    ) -> bool {
        loop {
            if cond(&mut self.stakker) {
                return true;
            }
            if self.drive(Target::Until(deadline.max(self.now())), Some(1)) {
                return cond(&mut self.stakker);
            }
        }
    }

    /// Delivers an external event, as I/O or another thread would: `f` runs in the next step
    /// as a main-queue item, and whatever it sends is traced as sent by `external`. With a
    /// [`Fault::Delay`] for it, it runs that much later in virtual time instead.
    pub fn inject(&mut self, f: impl FnOnce(&mut Stakker) + 'static) {
        let nth = take_index(&mut self.hub.borrow_mut().injected);
        let delay = self.hub.borrow().faults.iter().find_map(|f| match f {
            Fault::Delay { nth: n, by } if *n == nth => Some(*by),
            _ => None,
        });
        let event = hub::external(&self.hub, f);
        match delay {
            Some(by) => {
                let at = self.now().saturating_add(by);
                self.host.delayed.insert((at, nth as u64), Box::new(event));
            }
            None => self.stakker.defer(event),
        }
    }

    /// Wraps `ret` so that a [`Fault::DropRet`] for it (counting every `Ret` wrapped by this
    /// `Sim`, from 0) makes its handler see `None`, as if the reply were lost.
    pub fn faulty_ret<M: 'static>(&mut self, ret: Ret<M>) -> Ret<M> {
        let nth = take_index(&mut self.hub.borrow_mut().rets_seen);
        let lose = self.hub.borrow().faults.contains(&Fault::DropRet { nth });
        if !lose {
            return ret;
        }
        Ret::new(move |_| drop(ret))
    }

    /// Wraps a bounded channel's sender so that a [`Fault::Full`] for a send (counting every
    /// `try_send` through any `FaultySender` of this `Sim`, from 0) reports `Full`.
    pub fn faulty_sender<M: Send + 'static>(&self, chan: BoundedChannel<M>) -> FaultySender<M> {
        FaultySender {
            chan,
            plan: self.full.clone(),
        }
    }

    /// A recording sink whose values carry the virtual time at which they arrived.
    pub fn probe<T: 'static>(&self) -> Probe<T> {
        Probe::new(self.host.clock.clone())
    }

    /// A `Ret` for an actor's termination (pass it to `actor!`) and the probe that records
    /// the cause.
    pub fn stop_probe(&self) -> (Ret<StopCause>, StopProbe) {
        StopProbe::new(self.host.clock.clone())
    }

    /// The shutdown cause the runtime recorded (it stops the steps), taken.
    pub fn shutdown_cause(&mut self) -> Option<StopCause> {
        self.shutdown.take()
    }

    /// Every delivery so far (empty for [`Sim::plain`]).
    pub fn trace(&self) -> Trace {
        Trace {
            deliveries: self.hub.borrow().trace.clone(),
        }
    }

    /// The choices made so far and the faults: replaying it with [`Sim::replay`] repeats
    /// this run.
    pub fn schedule(&self) -> Schedule {
        let h = self.hub.borrow();
        Schedule {
            choices: h.choices.clone(),
            faults: h.faults.clone(),
        }
        .trimmed()
    }

    /// The number an actor has in the trace (`None` if no call to it has been seen).
    pub fn actor_id<A: 'static>(&self, actor: &Actor<A>) -> Option<u32> {
        let addr = AnyActor::new(actor).addr();
        let h = self.hub.borrow();
        (1..)
            .map_while(|id| h.actor(id).map(|a| (id, a.addr())))
            .find(|&(_, a)| a == addr)
            .map(|(id, _)| id)
    }

    /// Whether nothing at all is waiting: no queued item, no held delivery, no delayed
    /// external event. Timers are not counted (see [`Sim::no_timers`]).
    pub fn is_quiescent(&self) -> bool {
        self.stakker.queues_empty()
            && self.hub.borrow().held_count() == 0
            && self.host.delayed.is_empty()
    }

    /// Whether no timer is pending.
    pub fn no_timers(&mut self) -> bool {
        self.stakker.next_expiry().is_none()
    }

    /// Panics unless [`Sim::is_quiescent`], saying what is waiting.
    #[track_caller]
    pub fn assert_quiescent(&self) {
        if !self.is_quiescent() {
            panic!(
                "Sim::assert_quiescent: still waiting: queued items: {}, held deliveries: {}, \
                 delayed external events: {}",
                !self.stakker.queues_empty(),
                self.hub.borrow().held_count(),
                self.host.delayed.len()
            );
        }
    }

    /// Panics if a timer is pending, naming its due time.
    #[track_caller]
    pub fn assert_no_timers(&mut self) {
        if let Some(t) = self.stakker.next_expiry() {
            panic!(
                "Sim::assert_no_timers: a timer is due at {t:?} (now {:?})",
                self.now()
            );
        }
    }

    /// Panics unless `actor` is alive (not terminated).
    #[track_caller]
    pub fn assert_alive<A: 'static>(&self, actor: &Actor<A>) {
        assert!(
            !actor.is_zombie(),
            "Sim::assert_alive: the {} actor has terminated",
            core::any::type_name::<A>()
        );
    }

    /// Whether this `Sim` intercepts calls (every mode but [`Sim::plain`]).
    pub fn is_tracing(&self) -> bool {
        self.intercepting
    }

    /// Who an actor is in the trace, for comparing with [`Delivery`](crate::Delivery) fields.
    pub fn who<A: 'static>(&self, actor: &Actor<A>) -> Who {
        self.actor_id(actor).map_or(Who::External, Who::Actor)
    }
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl core::ops::Deref for Sim {
    type Target = Stakker;
    fn deref(&self) -> &Stakker {
        &self.stakker
    }
}

impl core::ops::DerefMut for Sim {
    fn deref_mut(&mut self) -> &mut Stakker {
        &mut self.stakker
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        // Breaks the runtime → interceptor → hub → runtime cycle, then drops held items with
        // no borrow held (dropping one may queue more, which now goes to the main queue).
        set_interceptor(&mut self.stakker, None);
        let held = self.hub.borrow_mut().take_held();
        drop(held);
        drop(core::mem::take(&mut self.host.delayed));
    }
}

/// The value of a counter of things seen (the index of the one being seen now), counted.
fn take_index(counter: &mut usize) -> usize {
    *counter += 1;
    *counter - 1
}

/// A bounded channel's sender with injectable `Full` reports (see [`Sim::faulty_sender`]).
/// `Clone`, `Send + Sync`, like the sender it wraps.
pub struct FaultySender<M: Send + 'static> {
    chan: BoundedChannel<M>,
    plan: Arc<Mutex<FullPlan>>,
}

impl<M: Send + 'static> Clone for FaultySender<M> {
    fn clone(&self) -> Self {
        FaultySender {
            chan: self.chan.clone(),
            plan: self.plan.clone(),
        }
    }
}

impl<M: Send + 'static> FaultySender<M> {
    /// `BoundedChannel::try_send`, except that a send named by a [`Fault::Full`] reports
    /// `Full` and gives the message back.
    pub fn try_send(&self, msg: M) -> Result<(), TrySendError<M>> {
        let full = {
            let mut plan = self.plan.lock().unwrap_or_else(|e| e.into_inner());
            let nth = take_index(&mut plan.sends);
            plan.full.contains(&nth)
        };
        if full {
            return Err(TrySendError::Full(msg));
        }
        self.chan.try_send(msg)
    }

    /// The channel itself.
    pub fn inner(&self) -> &BoundedChannel<M> {
        &self.chan
    }
}
