//! `WakeFlag`: the cross-thread half of a host's wake handling.

use crate::runtime::Stakker;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, Ordering};

/// A flag that the runtime's poll waker sets from any thread and the host's
/// [`poll_wait`](super::EventLoop::poll_wait) takes on the runtime's thread, reporting it as
/// [`Activity::woken`](super::Activity::woken). Cloning gives another handle to the same flag.
///
/// [`install`](WakeFlag::install) makes it the runtime's poll waker together with the host's
/// own way of interrupting a wait (a `mio::Waker`, a condition variable, a
/// `tokio::sync::Notify`). The flag is set before `notify` runs, so a host that checks the flag
/// after arming its wait (or under the lock its notifier takes) never misses a wake.
///
/// ```
/// use stakker_core::host::WakeFlag;
/// use stakker_core::time::Instant;
/// use stakker_core::Stakker;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let notified = Arc::new(AtomicUsize::new(0));
/// let n = notified.clone();
/// let flag = WakeFlag::new();
/// flag.install(&mut s, move || { n.fetch_add(1, Ordering::SeqCst); });
///
/// let waker = s.waker(|_, _| ()); // a Waker another thread could use
/// std::thread::spawn(move || waker.wake()).join().unwrap();
/// assert!(notified.load(Ordering::SeqCst) >= 1);
/// assert!(flag.take());   // poll_wait reports Activity::woken ...
/// assert!(!flag.take());  // ... once
/// ```
#[derive(Clone, Debug, Default)]
pub struct WakeFlag(Arc<AtomicBool>);

impl WakeFlag {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs, as `stakker`'s poll waker, a function that sets this flag and then calls
    /// `notify` (which must interrupt the host's current or next wait, and must not panic).
    ///
    /// # Panics
    ///
    /// If `stakker` already has a poll waker.
    #[track_caller]
    pub fn install(&self, stakker: &mut Stakker, notify: impl Fn() + Send + Sync + 'static) {
        let flag = self.clone();
        stakker.set_poll_waker(move || {
            flag.set();
            notify();
        });
    }

    /// Sets the flag (what the installed poll waker does).
    pub fn set(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether the flag is set, without clearing it (for a host deciding whether to sleep).
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// Clears the flag, returning whether it was set: `poll_wait` calls this after waiting and
    /// reports the result as [`Activity::woken`](super::Activity::woken).
    pub fn take(&self) -> bool {
        self.0.swap(false, Ordering::AcqRel)
    }
}
