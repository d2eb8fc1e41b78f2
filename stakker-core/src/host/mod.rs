//! The adapter contract: the host loop's side ([`EventLoop`]) and the one loop that drives a
//! [`Stakker`] through it ([`Driver`], [`run_blocking`], [`RunFuture`]).
//!
//! Every host — stakker-mio, stakker-tokio, the testkit's virtual clock, a GUI toolkit, an
//! embedded super-loop — implements [`EventLoop`] and lets the core run the loop, so no adapter
//! contains scheduling logic of its own. The loop is:
//!
//! 1. `idle_pending = run(now, false)`; `io_pending = false`.
//! 2. While no shutdown is recorded:
//!    - (a) `wait = next_wait_max(now, max_wait, idle_pending || io_pending)`;
//!    - (b) [`EventLoop::poll_wait`] waits at most `wait` for I/O readiness or a cross-thread
//!      wake, dispatches the readiness events (calling their `Fwd`s, which only queue) and
//!      reports [`Activity`]; when it reports [`woken`](Activity::woken), the driver queues
//!      [`Stakker::poll_wake`] itself;
//!    - (c) `idle_pending = run(now, !(activity || woken))`, and `io_pending` is taken from (b).
//! 3. The recorded shutdown cause is returned.
//!
//! So the host never sleeps while held-back events or idle items are waiting, never passes
//! `idle = true` after a poll that found activity, and never spins with a zero wait unless
//! something is actually pending. A virtual-time host does not sleep in (b): it moves its clock
//! forward by `wait`.
//!
//! The driver also checks the host's clock: a host whose `now` reads more than
//! [`CLOCK_BEHIND_LIMIT`] behind the runtime's, or whose first reading is more than
//! [`CLOCK_AHEAD_LIMIT`] ahead of the time the `Stakker` was created with, is almost always a
//! program that created the `Stakker` with one clock and drives it with another; the driver
//! panics naming both instants instead of waiting forever or jumping centuries.
//!
//! ```
//! use core::task::{Context, Poll};
//! use stakker_core::host::{run_blocking, Activity, EventLoop};
//! use stakker_core::time::{Duration, Instant};
//! use stakker_core::{after, actor, ret_shutdown, stop, Stakker, CX};
//!
//! /// A virtual clock with no I/O: waiting just moves time forward.
//! struct Virtual(Instant);
//! impl EventLoop for Virtual {
//!     type Error = core::convert::Infallible;
//!     fn now(&mut self) -> Instant { self.0 }
//!     fn poll_wait(&mut self, _: &mut Context<'_>, max: Duration)
//!         -> Poll<Result<Activity, Self::Error>>
//!     {
//!         self.0 += max;
//!         Poll::Ready(Ok(Activity::NONE))
//!     }
//! }
//!
//! struct Alarm;
//! impl Alarm {
//!     fn init(cx: CX![]) -> Option<Self> {
//!         after!(Duration::from_secs(3600), [cx], ring());
//!         Some(Alarm)
//!     }
//!     fn ring(&mut self, cx: CX![]) { stop!(cx); }
//! }
//!
//! let mut host = Virtual(Instant::from_secs(1));
//! let mut s = Stakker::new(host.now());
//! let _alarm = actor!(s, Alarm::init(), ret_shutdown!(s));
//! let cause = run_blocking(&mut s, &mut host).unwrap();
//! assert_eq!(cause.unwrap().to_string(), "Actor stopped");
//! assert!(host.0 >= Instant::from_secs(3601)); // an hour passed in no time
//! ```

mod priority;
mod ready;
#[cfg(feature = "std")]
mod thread;
mod wake_flag;
pub use priority::{PriorityQueues, MAX_PRIORITY};
pub use ready::Ready;
#[cfg(feature = "std")]
pub use thread::ThreadLoop;
pub use wake_flag::WakeFlag;

use crate::runtime::Stakker;
use crate::time::{Duration, Instant};
use crate::StopCause;
use alloc::sync::Arc;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// What one wait of the host found (step 2(b) of the loop).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Activity {
    /// Something was dispatched: an I/O event's `Fwd` was called. Idle work must then wait.
    pub activity: bool,
    /// Events were held back (for example lower-priority ones) for a later round; the host
    /// must not sleep next time. Only for events the host itself holds: when the OS has more
    /// events than the host's buffer, the kernel keeps them and the next wait returns them.
    pub io_pending: bool,
    /// The runtime's poll waker fired since the last wait (typically read with
    /// [`WakeFlag::take`]). The driver then queues [`Stakker::poll_wake`] before the `run`
    /// of step 2(c), and counts it as activity; the host needs no `Deferrer` for this.
    pub woken: bool,
}

impl Activity {
    /// Nothing happened: the wait timed out.
    pub const NONE: Activity = Activity {
        activity: false,
        io_pending: false,
        woken: false,
    };
    /// Something was dispatched and nothing is held back.
    pub const SOME: Activity = Activity {
        activity: true,
        io_pending: false,
        woken: false,
    };
    /// Only the poll waker fired.
    pub const WOKEN: Activity = Activity {
        activity: false,
        io_pending: false,
        woken: true,
    };

    /// Whether the `run` after this wait must not run idle items: something was dispatched
    /// or a wake arrived.
    pub const fn any(self) -> bool {
        self.activity || self.woken
    }
}

/// How far (1 s) the host's clock may read behind the runtime's `now` before the driver
/// reports mixed clocks instead of waiting. Small steps back are tolerated (the runtime ignores
/// time going backwards), so a host whose clock is read in two places does not trip it.
pub const CLOCK_BEHIND_LIMIT: Duration = Duration::from_secs(1);

/// How far (one year) the host's first clock reading may be ahead of the time the `Stakker`
/// was created with before the driver reports mixed clocks instead of jumping that far.
pub const CLOCK_AHEAD_LIMIT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Panics with a message naming both instants when `host_now` cannot come from the clock the
/// runtime was started with.
#[track_caller]
fn check_clock(s: &Stakker, host_now: Instant, first: bool) {
    let rt_now = s.now();
    if let Some(behind) = rt_now.checked_duration_since(host_now) {
        if behind > CLOCK_BEHIND_LIMIT {
            mixed_clocks(rt_now, host_now, "behind", behind);
        }
    } else if first {
        let ahead = host_now - rt_now;
        if ahead > CLOCK_AHEAD_LIMIT {
            mixed_clocks(rt_now, host_now, "ahead of", ahead);
        }
    }
}

#[cold]
#[track_caller]
fn mixed_clocks(rt_now: Instant, host_now: Instant, rel: &str, by: Duration) -> ! {
    panic!(
        "stakker host driver: the host's clock reads {host_now:?}, {by:?} {rel} the runtime's \
         now {rt_now:?}. The Stakker was most likely created with a different clock from the \
         one the host loop reads (for example `Stakker::new(std::time::Instant::now())` driven \
         by a virtual clock that starts at `Instant::from_secs(1)`, or the reverse): create the \
         Stakker with the host's own `now()`"
    );
}

/// The host loop's side of the contract: a clock, and a way to wait for I/O or a wake.
///
/// A blocking host (mio, a condition variable) waits inside `poll_wait` and always returns
/// `Ready`; an async host (tokio) registers `cx`'s waker and returns `Pending`, and the loop
/// calls it again when woken. Readiness is dispatched by calling the `Fwd`s registered with
/// the host, which only queue work.
///
/// A host that can be woken from other threads installs a wake function at set-up, usually
/// with [`WakeFlag::install`] (which calls [`Stakker::set_poll_waker`]): the function runs on
/// another thread, sets the flag and interrupts the host's wait (a `mio::Waker`, a condition
/// variable, a `tokio::sync::Notify`). `poll_wait` then takes the flag and reports it as
/// [`Activity::woken`]; the driver queues [`Stakker::poll_wake`] itself.
pub trait EventLoop {
    /// The host's error type (for example `std::io::Error`).
    type Error;

    /// The current time, real or virtual. Must never go backwards.
    fn now(&mut self) -> Instant;

    /// Waits at most `max` (zero: check without sleeping) for I/O readiness or a wake,
    /// dispatches what arrived and reports it.
    fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Self::Error>>;
}

impl<L: EventLoop + ?Sized> EventLoop for &mut L {
    type Error = L::Error;
    fn now(&mut self) -> Instant {
        (**self).now()
    }
    fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Self::Error>> {
        (**self).poll_wait(cx, max)
    }
}

impl<L: EventLoop + ?Sized> EventLoop for alloc::boxed::Box<L> {
    type Error = L::Error;
    fn now(&mut self) -> Instant {
        (**self).now()
    }
    fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Self::Error>> {
        (**self).poll_wait(cx, max)
    }
}

/// The loop state, for hosts that own their loop and call in from callbacks (the
/// single-step form). [`run_blocking`] and [`RunFuture`] are built on it.
///
/// ```
/// use stakker_core::host::{Activity, Driver};
/// use stakker_core::time::{Duration, Instant};
/// use stakker_core::Stakker;
///
/// let t0 = Instant::from_secs(10);
/// let mut s = Stakker::new(t0);
/// let mut d = Driver::new(Duration::from_secs(60));
/// d.start(&mut s, t0);                      // step 1
/// let wait = d.wait_time(&mut s, t0);       // step 2(a): nothing scheduled
/// assert_eq!(wait, Duration::from_secs(60));
/// // ... the host sleeps up to `wait`, dispatching events ...
/// d.after_wait(&mut s, t0 + wait, Activity::NONE); // step 2(c)
/// assert!(d.running(&s));
/// ```
#[derive(Debug, Clone)]
pub struct Driver {
    max_wait: Duration,
    idle_pending: bool,
    io_pending: bool,
    started: bool,
}

impl Driver {
    /// A loop that sleeps at most `max_wait` when nothing is scheduled.
    pub const fn new(max_wait: Duration) -> Self {
        Driver {
            max_wait,
            idle_pending: false,
            io_pending: false,
            started: false,
        }
    }

    /// The `max_wait` used when nothing is scheduled, unless the host chooses another: 60 s.
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);

    /// Step 1: the first `run`.
    ///
    /// # Panics
    ///
    /// If `now` cannot come from the clock the `Stakker` was created with (see the module
    /// docs: more than [`CLOCK_BEHIND_LIMIT`] behind it or [`CLOCK_AHEAD_LIMIT`] ahead).
    #[track_caller]
    pub fn start(&mut self, s: &mut Stakker, now: Instant) {
        check_clock(s, now, true);
        self.idle_pending = s.run(now, false);
        self.io_pending = false;
        self.started = true;
    }

    /// Whether the loop should go on (no shutdown is recorded).
    pub fn running(&self, s: &Stakker) -> bool {
        s.not_shutdown()
    }

    /// Step 2(a): how long the host may wait.
    pub fn wait_time(&self, s: &mut Stakker, now: Instant) -> Duration {
        s.next_wait_max(now, self.max_wait, self.idle_pending || self.io_pending)
    }

    /// Step 2(c): what the wait found, then the `run` that follows it. A reported wake queues
    /// [`Stakker::poll_wake`] first, so the wake handlers run inside this `run`.
    ///
    /// # Panics
    ///
    /// If `now` reads more than [`CLOCK_BEHIND_LIMIT`] behind the runtime's clock (mixed
    /// clocks, see the module docs).
    #[track_caller]
    pub fn after_wait(&mut self, s: &mut Stakker, now: Instant, found: Activity) {
        check_clock(s, now, false);
        self.io_pending = found.io_pending;
        if found.woken {
            s.defer(|s| s.poll_wake());
        }
        self.idle_pending = s.run(now, !found.any());
    }

    /// Drives `s` through `host` until shutdown, returning `Pending` when an async host is
    /// waiting. Calling it again after `Ready` starts a new loop.
    pub fn poll_run<L: EventLoop + ?Sized>(
        &mut self,
        s: &mut Stakker,
        host: &mut L,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<StopCause>, L::Error>> {
        if !self.started {
            let now = host.now();
            self.start(s, now);
        }
        while self.running(s) {
            let now = host.now();
            let wait = self.wait_time(s, now);
            let found = match host.poll_wait(cx, wait) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => {
                    self.started = false;
                    return Poll::Ready(Err(e));
                }
                Poll::Ready(Ok(found)) => found,
            };
            let now = host.now();
            self.after_wait(s, now, found);
        }
        self.started = false;
        Poll::Ready(Ok(s.shutdown_reason()))
    }
}

impl Default for Driver {
    /// `max_wait` of [`Driver::DEFAULT_MAX_WAIT`] (60 s).
    fn default() -> Self {
        Driver::new(Driver::DEFAULT_MAX_WAIT)
    }
}

/// A waker that does nothing, for blocking hosts (which never return `Pending`).
struct NoopWake;

impl alloc::task::Wake for NoopWake {
    fn wake(self: Arc<Self>) {}
}

/// Drives `s` through a blocking `host` until shutdown, returning the shutdown cause.
///
/// When nothing is scheduled (no timer, no idle item, nothing held back) the host is asked to
/// wait at most [`Driver::DEFAULT_MAX_WAIT`] (60 s) at a time; that only bounds one sleep, since
/// the loop goes on waiting until something arrives. Use [`run_blocking_max_wait`] to choose
/// another bound.
///
/// Returns `Ok(Some(cause))` once a shutdown is recorded (by `ret_shutdown!` or
/// [`Core::shutdown`](crate::Core::shutdown)): the loop ends only then and takes the cause
/// with [`Core::shutdown_reason`](crate::Core::shutdown_reason) at once, so it never returns `Ok(None)`; the `Option` is
/// that method's. It returns `Err` as soon as the host's `poll_wait` fails, and never returns
/// while no shutdown is recorded (a program whose actors all finished without recording one
/// waits on, sleeping up to the maximum wait each round).
///
/// # Panics
///
/// If the host returns `Pending` (an async host must be driven with [`RunFuture`]), or its
/// clock does not match the runtime's (see the module docs).
pub fn run_blocking<L: EventLoop + ?Sized>(
    s: &mut Stakker,
    host: &mut L,
) -> Result<Option<StopCause>, L::Error> {
    run_blocking_max_wait(s, host, Driver::DEFAULT_MAX_WAIT)
}

/// [`run_blocking`] with the longest single wait chosen: the host sleeps at most `max_wait` at a
/// time when nothing is scheduled (a shorter bound suits hosts that must poll something the
/// runtime does not know about).
///
/// # Panics
///
/// As [`run_blocking`].
pub fn run_blocking_max_wait<L: EventLoop + ?Sized>(
    s: &mut Stakker,
    host: &mut L,
    max_wait: Duration,
) -> Result<Option<StopCause>, L::Error> {
    let waker = core::task::Waker::from(Arc::new(NoopWake));
    let mut cx = Context::from_waker(&waker);
    let mut driver = Driver::new(max_wait);
    match driver.poll_run(s, host, &mut cx) {
        Poll::Ready(r) => r,
        Poll::Pending => panic!(
            "host::run_blocking: the EventLoop returned Pending; drive async hosts with RunFuture"
        ),
    }
}

/// A future driving a [`Stakker`] through an async host until shutdown; resolves to the
/// shutdown cause. Not `Send` (neither is the runtime).
pub struct RunFuture<'a, L: EventLoop + ?Sized> {
    stakker: &'a mut Stakker,
    host: &'a mut L,
    driver: Driver,
}

impl<'a, L: EventLoop + ?Sized> RunFuture<'a, L> {
    /// Drives `stakker` through `host`, sleeping at most `max_wait` when nothing is scheduled.
    pub fn new(stakker: &'a mut Stakker, host: &'a mut L, max_wait: Duration) -> Self {
        RunFuture {
            stakker,
            host,
            driver: Driver::new(max_wait),
        }
    }
}

impl<L: EventLoop + ?Sized> Future for RunFuture<'_, L> {
    type Output = Result<Option<StopCause>, L::Error>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.driver.poll_run(this.stakker, this.host, cx)
    }
}
