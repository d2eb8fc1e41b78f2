//! Shared by the test files.
#![allow(dead_code)] // each test file uses its own part of this module

use std::future::Future;
use std::time::Duration;

/// Awaits `f`, failing the test if it has not finished after 10 s of tokio's clock, so a lost
/// wake or delivery fails the test instead of hanging it. Under a paused clock the bound is
/// virtual time, which tokio reaches as soon as everything waits: a stuck test fails at once.
pub(crate) async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), f)
        .await
        .expect("not finished within 10 s: a wake or a delivery was lost")
}

/// Returns `Pending` once after waking itself at once: unlike `tokio::task::yield_now`, whose
/// wake tokio defers to its next I/O poll, the task stays in the run queue.
pub(crate) async fn yield_plain() {
    let mut done = false;
    std::future::poll_fn(|cx| {
        if done {
            return std::task::Poll::Ready(());
        }
        done = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
    .await
}
