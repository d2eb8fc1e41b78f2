//! What the peer runtimes of the `core` bench share: the current-thread tokio runtime and the
//! latches an iteration waits on.
//!
//! **One thread.** `STAKKER_BENCH_CLOCK=cpu` measures the CPU time of the benchmarking thread
//! only, so every peer runs its whole workload on that thread: current-thread tokio runtimes
//! (actix's `System` is one too), no worker threads, no `spawn_blocking`, all of it driven by
//! `block_on` from inside criterion's `b.iter`. Work done on any other thread would simply be
//! missing from the CPU-time figures.
//!
//! **Completion.** Unlike a stakker `run`, which returns when the queues are empty, an async
//! runtime's `block_on` returns when the future it was given is done. So each iteration hands
//! `block_on` a future that sends the workload's messages and then waits on a latch, which the
//! actors count down as they finish their part (the last ping, each fanout hit, each spawned
//! actor's init and drop): the iteration ends exactly when the workload's work is complete.
//! The latch is bench instrumentation, kept out of the actors' state (a thread-local here, a
//! `static` for kameo, whose actors must be `Send`), so the state stays what the stakker
//! workloads have.

use std::cell::Cell;
use std::future::poll_fn;
use std::task::{Poll, Waker};

/// A current-thread tokio runtime with the I/O and time drivers, as
/// `#[tokio::main(flavor = "current_thread")]` and actix's `System::new()` build it.
pub(crate) fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a current-thread tokio runtime")
}

// ---------------------------------------------------------------------------------------------
// The single-threaded latch (actix, tokio-local)

/// Events still to come, and the driver waiting for them.
struct LocalLatch {
    left: Cell<usize>,
    waiter: Cell<Option<Waker>>,
}

thread_local! {
    static LOCAL: LocalLatch = const {
        LocalLatch {
            left: Cell::new(0),
            waiter: Cell::new(None),
        }
    };
}

/// Expects `n` (at least one) calls of [`local_hit`] before [`local_wait`] completes.
pub(crate) fn local_arm(n: usize) {
    assert!(n > 0, "a latch waits for at least one event");
    LOCAL.with(|l| {
        assert_eq!(l.left.get(), 0, "latch armed while still counting");
        l.left.set(n);
    });
}

/// Counts one event; the last one wakes the driver.
pub(crate) fn local_hit() {
    LOCAL.with(|l| {
        let left = l
            .left
            .get()
            .checked_sub(1)
            .expect("latch hit more often than armed");
        l.left.set(left);
        if left == 0 {
            if let Some(w) = l.waiter.take() {
                w.wake();
            }
        }
    });
}

/// Completes once every armed event has been counted.
pub(crate) async fn local_wait() {
    poll_fn(|cx| {
        LOCAL.with(|l| {
            if l.left.get() == 0 {
                Poll::Ready(())
            } else {
                l.waiter.set(Some(cx.waker().clone()));
                Poll::Pending
            }
        })
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// The `Sync` latch (kameo)

#[cfg(feature = "peers")]
pub(crate) use sync_latch::SyncLatch;

#[cfg(feature = "peers")]
mod sync_latch {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::sync::Notify;

    /// The latch for actors that must be `Send` (kameo): an atomic count and a `Notify`.
    pub(crate) struct SyncLatch {
        left: AtomicUsize,
        done: Notify,
    }

    impl SyncLatch {
        pub(crate) const fn new() -> Self {
            SyncLatch {
                left: AtomicUsize::new(0),
                done: Notify::const_new(),
            }
        }

        /// Expects `n` (at least one) calls of [`hit`](Self::hit) before
        /// [`wait`](Self::wait) completes.
        pub(crate) fn arm(&self, n: usize) {
            assert!(n > 0, "a latch waits for at least one event");
            let before = self.left.swap(n, Ordering::Relaxed);
            assert_eq!(before, 0, "latch armed while still counting");
        }

        /// Counts one event; the last one wakes the driver.
        pub(crate) fn hit(&self) {
            let before = self.left.fetch_sub(1, Ordering::AcqRel);
            assert!(before > 0, "latch hit more often than armed");
            if before == 1 {
                // Stores a permit if the driver is not waiting yet, so no wake-up is lost.
                self.done.notify_one();
            }
        }

        /// Completes once every armed event has been counted (consumes the permit of the
        /// last one, so every `arm` must be followed by exactly one `wait`).
        pub(crate) async fn wait(&self) {
            self.done.notified().await;
        }
    }
}
