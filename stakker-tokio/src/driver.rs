//! The driver: [`TokioDriver`] (the `EventLoop`) and [`TokioHandle`] (its anymap handle).

use crate::io::IoTable;
use stakker_core::host::{Activity, EventLoop, RunFuture, WakeFlag};
use stakker_core::time::{Duration, Instant};
use stakker_core::{Deferrer, Stakker, StopCause};
use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use tokio::task::LocalSet;
use tokio::time::Sleep;

/// The longest the driver sleeps when nothing is scheduled (it then simply waits again).
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// The current time of tokio's clock as a core [`Instant`]: real time normally, virtual time
/// under `tokio::time::pause` / `start_paused`. Create the `Stakker` with it.
pub fn now() -> Instant {
    Instant::from(tokio::time::Instant::now().into_std())
}

/// What other threads (and tokio's I/O driver, which may run elsewhere) touch.
#[derive(Default)]
pub(crate) struct Remote {
    /// The runtime's poll waker fired.
    pub(crate) flag: WakeFlag,
    /// Tokens of I/O sources whose readiness waker fired.
    pub(crate) fired: Mutex<Vec<u64>>,
    /// The driver task's waker, stored while it waits.
    task: Mutex<Option<Waker>>,
}

impl Remote {
    pub(crate) fn wake_task(&self) {
        if let Some(w) = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            w.wake_by_ref();
        }
    }

    fn store_task(&self, w: &Waker) {
        let mut slot = self.task.lock().unwrap_or_else(PoisonError::into_inner);
        if !slot.as_ref().is_some_and(|old| old.will_wake(w)) {
            *slot = Some(w.clone());
        }
    }
}

/// State shared by the driver and every [`TokioHandle`] (one thread).
pub(crate) struct Shared {
    pub(crate) remote: Arc<Remote>,
    /// A bridge queued work from outside a `run` since the last wait.
    kicked: Cell<bool>,
    /// The set the bridges' tasks run on; `None` once the driver has finished.
    set: RefCell<Option<Rc<LocalSet>>>,
    pub(crate) deferrer: Deferrer,
    pub(crate) io: RefCell<IoTable>,
}

impl Shared {
    /// Tells the driver that work was queued from outside a `run` (by a bridge task).
    pub(crate) fn kick(&self) {
        if !self.kicked.replace(true) {
            self.remote.wake_task();
        }
    }
}

/// A cloneable handle to the driver, stored in the runtime's anymap by [`TokioDriver::new`]:
/// actors get it with `cx.anymap_get::<TokioHandle>()`. Registers I/O, spawns bridged
/// futures and streams, and queues work from async code. Not `Send`: it belongs to the
/// runtime's thread.
#[derive(Clone)]
pub struct TokioHandle {
    pub(crate) shared: Rc<Shared>,
}

impl TokioHandle {
    /// Queues `f` on the runtime and makes sure the driver runs it soon: the way for async
    /// code outside the actors (a task, `main`) to reach them. Plain `call!` from outside a
    /// `run` queues too, but nothing would wake a sleeping driver.
    ///
    /// ```
    /// # use stakker_core::Stakker;
    /// # use stakker_tokio::TokioDriver;
    /// # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    /// # rt.block_on(async {
    /// let mut s = Stakker::new(stakker_tokio::now());
    /// let driver = TokioDriver::new(&mut s);
    /// driver.handle().defer(|s| s.shutdown(stakker_core::StopCause::Stopped));
    /// let cause = driver.run(s).await;
    /// assert!(matches!(cause, Some(stakker_core::StopCause::Stopped)));
    /// # });
    /// ```
    pub fn defer(&self, f: impl FnOnce(&mut Stakker) + 'static) {
        self.shared.deferrer.defer(f);
        self.shared.kick();
    }

    /// Whether the driver has finished (after which spawned futures are dropped at once and
    /// their `Ret`s report `None`).
    pub fn is_finished(&self) -> bool {
        self.shared.set.borrow().is_none()
    }

    /// The set bridged tasks run on, or `None` after the driver finished.
    pub(crate) fn local_set(&self) -> Option<Rc<LocalSet>> {
        self.shared.set.borrow().clone()
    }
}

/// Runs a [`Stakker`] inside tokio: implements the core's [`EventLoop`] with tokio's clock,
/// timer and wakers, and [`run`](TokioDriver::run) drives the runtime with the core's
/// [`RunFuture`] until shutdown.
///
/// What the driver guarantees, besides the core's loop (`stakker_core::host`):
///
/// - **It yields between runs.** After each `Stakker::run` the driver future returns
///   `Pending` at least once before the next `run` (waiting, or rescheduling itself at the
///   back of tokio's run queue), so one poll of the future is at most one `run`, and other
///   tasks on the thread progress between runs.
/// - **Idle items wait for the rest of the thread, as far as tokio lets a task know.** A
///   `run` with idle items allowed happens only after the driver has awaited
///   `tokio::task::yield_now` (which tokio completes at its next poll of its I/O and timer
///   drivers: when its run queue is empty, or after `event_interval` task polls, 61 by
///   default, if it never empties; a `LocalSet` likewise stops after 61 tasks per tick),
///   then rescheduled itself once more behind the tasks those drivers woke (its bridge tasks
///   among them), and then found no I/O readiness, no wake from another thread and no
///   delivery from a bridge. So idle items never run ahead of anything that reached the
///   driver, and they run after the other tasks on the thread when those need fewer than 61
///   polls between them before they all wait. Tokio cannot tell a task whether others are
///   ready, so under a constant load idle items run once per tokio tick: early, never
///   starved.
/// - **Time** is tokio's clock ([`now`]), so `tokio::time::pause`, `advance` and
///   `start_paused` give virtual time. The `Stakker` must be created with [`now`].
pub struct TokioDriver {
    shared: Rc<Shared>,
    sleep: Pin<Box<Sleep>>,
    /// Tokio's clock as last read by `now`, which the driver reads just before each wait.
    last_now: tokio::time::Instant,
    /// Set by the run future at each poll: the next wait may lead straight to a `run`.
    fresh: Rc<Cell<bool>>,
    /// A deferred yield in progress (idle path only).
    yielding: Option<Pin<Box<dyn Future<Output = ()>>>>,
    /// After a deferred yield, one plain yield still lets the bridge tasks run.
    settle: bool,
    /// What was found by a wait that then yielded first, reported by the next one.
    carried: Activity,
    /// The last wait returned `Ready`: the runtime has run since (the next wait is after it).
    ran: bool,
}

impl TokioDriver {
    /// Sets the driver up for `stakker`: installs its wake function as the poll waker and
    /// stores a [`TokioHandle`] in the anymap. Call it inside a tokio runtime (its timer is
    /// tokio's) before creating actors.
    ///
    /// # Panics
    ///
    /// If `stakker` already has a poll waker, or if called outside a tokio runtime with the
    /// time driver enabled.
    #[track_caller]
    pub fn new(stakker: &mut Stakker) -> TokioDriver {
        let remote = Arc::new(Remote::default());
        let r = remote.clone();
        remote.flag.install(stakker, move || r.wake_task());
        let shared = Rc::new(Shared {
            remote,
            kicked: Cell::new(false),
            set: RefCell::new(Some(Rc::new(LocalSet::new()))),
            deferrer: stakker.deferrer(),
            io: RefCell::new(IoTable::default()),
        });
        stakker.anymap_set(TokioHandle {
            shared: shared.clone(),
        });
        let last_now = tokio::time::Instant::now();
        TokioDriver {
            shared,
            sleep: Box::pin(tokio::time::sleep_until(last_now)),
            last_now,
            fresh: Rc::new(Cell::new(true)),
            yielding: None,
            settle: false,
            carried: Activity::NONE,
            ran: false,
        }
    }

    /// Another handle to the driver (the same one the anymap holds).
    pub fn handle(&self) -> TokioHandle {
        TokioHandle {
            shared: self.shared.clone(),
        }
    }

    /// Drives `stakker` until shutdown and resolves to the shutdown cause. The future is
    /// `'static` and not `Send`: await it from a current-thread or `LocalRuntime` `main`, or
    /// `spawn_local` it on a `LocalSet`.
    ///
    /// Futures and streams bridged with the [`TokioHandle`] run on a `LocalSet` owned by this
    /// future, so they need no `LocalSet` from the caller. When the runtime shuts down, that
    /// set is dropped before this future resolves: every bridged future is dropped (its `Ret`
    /// reports `None` into the finished runtime, where it is discarded) and no task is left.
    /// The `Stakker` is dropped after that.
    pub fn run(self, stakker: Stakker) -> impl Future<Output = Option<StopCause>> + 'static {
        self.run_max_wait(stakker, MAX_WAIT)
    }

    /// [`run`](Self::run) with the longest single sleep chosen (when nothing is scheduled).
    pub fn run_max_wait(
        mut self,
        mut stakker: Stakker,
        max_wait: Duration,
    ) -> impl Future<Output = Option<StopCause>> + 'static {
        let set = self.handle().local_set();
        async move {
            let shared = self.shared.clone();
            let fresh = self.fresh.clone();
            let turns = Turns {
                fresh,
                inner: RunFuture::new(&mut stakker, &mut self, max_wait),
            };
            let result = match set {
                Some(set) => set.run_until(turns).await,
                None => turns.await,
            };
            // Drops every bridged task now, while the runtime still exists.
            let set = shared.set.borrow_mut().take();
            drop(set);
            match result {
                Ok(cause) => cause,
                Err(never) => match never {},
            }
        }
    }

    /// Takes what arrived since the last wait: bridge deliveries, cross-thread wakes, I/O.
    fn collect(&mut self) -> Activity {
        let kicked = self.shared.kicked.replace(false);
        let woken = self.shared.remote.flag.take();
        let io = crate::io::dispatch(&self.shared);
        let found = Activity {
            activity: kicked || io.activity || self.carried.activity,
            io_pending: io.io_pending,
            woken: woken || self.carried.woken,
        };
        self.carried = Activity::NONE;
        found
    }

    /// Ends this poll of the driver future, asking to be polled again after the tasks that
    /// are ready now; `found` is reported by the next wait.
    fn yield_with(
        &mut self,
        cx: &mut Context<'_>,
        found: Activity,
    ) -> Poll<Result<Activity, Infallible>> {
        self.carried = found;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl EventLoop for TokioDriver {
    type Error = Infallible;

    fn now(&mut self) -> Instant {
        self.last_now = tokio::time::Instant::now();
        Instant::from(self.last_now.into_std())
    }

    fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Infallible>> {
        if std::mem::take(&mut self.ran) {
            crate::io::ran(&self.shared);
        }
        let found = self.wait(cx, max);
        self.ran = found.is_ready();
        found
    }
}

impl TokioDriver {
    /// The wait itself; `poll_wait` adds the bookkeeping of runs.
    fn wait(&mut self, cx: &mut Context<'_>, max: Duration) -> Poll<Result<Activity, Infallible>> {
        let fresh = self.fresh.replace(false);
        if let Some(y) = self.yielding.as_mut() {
            if y.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.yielding = None;
            self.settle = true;
            // Bridge tasks woken by tokio's drivers run on our set after this poll.
            return self.yield_with(cx, Activity::NONE);
        }
        // Stored before looking: whatever arrives after the look wakes this task.
        self.shared.remote.store_task(cx.waker());
        let found = self.collect();
        if found.any() || found.io_pending {
            self.settle = false;
            return if fresh {
                Poll::Ready(Ok(found))
            } else {
                self.yield_with(cx, found)
            };
        }
        if max.is_zero() {
            if fresh && self.settle {
                // Nothing arrived after tokio ran everything that was ready: idle may run.
                self.settle = false;
                return Poll::Ready(Ok(Activity::NONE));
            }
            // Tokio wakes a yielded task only after running the ready ones and polling its
            // drivers; the first poll of `yield_now` always returns `Pending`.
            let mut y: Pin<Box<dyn Future<Output = ()>>> = Box::pin(tokio::task::yield_now());
            let _pending = y.as_mut().poll(cx);
            self.yielding = Some(y);
            return Poll::Pending;
        }
        self.settle = false;
        // Re-registering with tokio's timer costs a lock: only when the sleep would end too
        // late. One that ends early just costs a loop (no timer fires before its time).
        let target = self.last_now + max;
        if self.sleep.is_elapsed() || self.sleep.deadline() > target {
            self.sleep.as_mut().reset(target);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) if fresh => Poll::Ready(Ok(Activity::NONE)),
            Poll::Ready(()) => self.yield_with(cx, Activity::NONE),
        }
    }
}

/// The core's [`RunFuture`], marking each poll so the driver runs at most once per poll.
struct Turns<'a> {
    fresh: Rc<Cell<bool>>,
    inner: RunFuture<'a, TokioDriver>,
}

impl Future for Turns<'_> {
    type Output = Result<Option<StopCause>, Infallible>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.fresh.set(true);
        Pin::new(&mut self.inner).poll(cx)
    }
}
