//! Entry `tokio-local`: plain tokio tasks as stakker-tokio's actors run them: a current-thread
//! runtime and a `LocalSet` on the server thread, one `spawn_local` task per connection
//! running the `read` + `write_all` loop of `tokio-current-thread` (`tokio_rt.rs`). The
//! baseline for `stakker-core+tokio`.

use super::common::{ServerHandle, Stopper};
use super::tokio_rt::{accept_until, conn};
use tokio::net::TcpListener;

/// Starts the server thread.
pub(crate) fn start() -> ServerHandle {
    ServerHandle::spawn("tokio-local", |listener, ready| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("tokio runtime");
        let local = tokio::task::LocalSet::new();
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let stopper: Stopper = Box::new(move || {
            let _ = stop_tx.send(());
        });
        local.block_on(&rt, async move {
            let listener = TcpListener::from_std(listener).expect("TcpListener::from_std");
            ready.send(stopper).expect("bench thread gone");
            accept_until(listener, &mut stop_rx, |stream| {
                tokio::task::spawn_local(conn(stream));
            })
            .await;
        });
        // Dropping the set cancels any connection task still running, before the runtime.
        drop(local);
    })
}
