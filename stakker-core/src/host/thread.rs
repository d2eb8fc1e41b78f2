//! `ThreadLoop`: an [`EventLoop`] for a plain thread with no I/O library.

use super::{Activity, EventLoop};
use crate::deferrer::Deferrer;
use crate::runtime::Stakker;
use crate::time::{Duration, Instant};
use alloc::sync::Arc;
use core::convert::Infallible;
use core::task::{Context, Poll};
use std::sync::{Condvar, Mutex, PoisonError};

/// Set by the poll waker, cleared by the loop.
#[derive(Default)]
struct WakeFlag {
    woken: Mutex<bool>,
    cond: Condvar,
}

impl WakeFlag {
    fn wake(&self) {
        *self.woken.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.cond.notify_one();
    }
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
    flag: Arc<WakeFlag>,
    deferrer: Deferrer,
}

impl ThreadLoop {
    /// Installs this loop's wake function as `stakker`'s poll waker.
    ///
    /// # Panics
    ///
    /// If `stakker` already has a poll waker.
    pub fn new(stakker: &mut Stakker) -> ThreadLoop {
        let flag = Arc::new(WakeFlag::default());
        let f = flag.clone();
        stakker.set_poll_waker(move || f.wake());
        ThreadLoop {
            flag,
            deferrer: stakker.deferrer(),
        }
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
        let mut woken = self
            .flag
            .woken
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !*woken && !max.is_zero() {
            woken = self
                .flag
                .cond
                .wait_timeout_while(woken, max, |w| !*w)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        let activity = core::mem::take(&mut *woken);
        drop(woken);
        if activity {
            self.deferrer.defer(|s| s.poll_wake());
        }
        Poll::Ready(Ok(Activity {
            activity,
            io_pending: false,
        }))
    }
}
