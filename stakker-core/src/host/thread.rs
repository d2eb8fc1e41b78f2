//! `ThreadLoop`: an [`EventLoop`] for a plain thread with no I/O library.

use super::{Activity, EventLoop, WakeFlag};
use crate::runtime::Stakker;
use crate::time::{Duration, Instant};
use alloc::sync::Arc;
use core::convert::Infallible;
use core::task::{Context, Poll};
use std::sync::{Condvar, Mutex, PoisonError};

/// What a sleeping `ThreadLoop` waits on. The wake function sets the [`WakeFlag`] first and
/// then notifies under the lock, and the loop checks the flag under the same lock, so a wake
/// that arrives between the check and the sleep is not lost.
#[derive(Default)]
struct Sleeper {
    lock: Mutex<()>,
    cond: Condvar,
}

/// An [`EventLoop`] that sleeps on a condition variable and is woken by other threads through
/// the runtime's [`Waker`](crate::sync::Waker)s. Time is the std monotonic clock. Use it for a
/// runtime that has timers and cross-thread input but no sockets of its own.
///
/// ```
/// use stakker_core::host::{run_blocking, ThreadLoop};
/// use stakker_core::time::Duration;
/// use stakker_core::{after, actor, ret_shutdown, stop, Stakker, CX};
///
/// struct Tick(u32);
/// impl Tick {
///     fn init(cx: CX![]) -> Option<Self> {
///         after!(Duration::from_millis(1), [cx], tick());
///         Some(Tick(0))
///     }
///     fn tick(&mut self, cx: CX![]) {
///         self.0 += 1;
///         if self.0 == 3 { stop!(cx); } else { after!(Duration::from_millis(1), [cx], tick()); }
///     }
/// }
///
/// let mut s = Stakker::new(std::time::Instant::now());
/// let mut host = ThreadLoop::new(&mut s);
/// let _tick = actor!(s, Tick::init(), ret_shutdown!(s));
/// let cause = run_blocking(&mut s, &mut host).unwrap();
/// assert_eq!(cause.unwrap().to_string(), "Actor stopped");
/// ```
pub struct ThreadLoop {
    flag: WakeFlag,
    sleeper: Arc<Sleeper>,
}

impl ThreadLoop {
    /// Installs this loop's wake function as `stakker`'s poll waker.
    ///
    /// # Panics
    ///
    /// If `stakker` already has a poll waker.
    pub fn new(stakker: &mut Stakker) -> ThreadLoop {
        let flag = WakeFlag::new();
        let sleeper = Arc::new(Sleeper::default());
        let notify = sleeper.clone();
        flag.install(stakker, move || {
            drop(notify.lock.lock().unwrap_or_else(PoisonError::into_inner));
            notify.cond.notify_one();
        });
        ThreadLoop { flag, sleeper }
    }
}

impl EventLoop for ThreadLoop {
    type Error = Infallible;

    fn now(&mut self) -> Instant {
        Instant::now()
    }

    fn poll_wait(
        &mut self,
        _cx: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Infallible>> {
        if !max.is_zero() && !self.flag.is_set() {
            let guard = self
                .sleeper
                .lock
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let _unused = self
                .sleeper
                .cond
                .wait_timeout_while(guard, max, |_| !self.flag.is_set())
                .unwrap_or_else(PoisonError::into_inner);
        }
        let woken = self.flag.take();
        Poll::Ready(Ok(Activity {
            activity: false,
            io_pending: false,
            woken,
        }))
    }
}
