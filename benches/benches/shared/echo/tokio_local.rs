//! Entry `tokio-local`: plain tokio tasks as stakker-tokio's actors run them: a current-thread
//! runtime and a `LocalSet` on the server thread, one `spawn_local` task per connection
//! running a `read` + `write_all` loop. The baseline for `stakker-core+tokio`.

use super::common::{ServerHandle, Stopper};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Size of a connection task's read buffer (as in the other servers).
const READ_BUF: usize = 16 * 1024;

/// Echoes until the peer closes or an error.
async fn conn(mut stream: TcpStream) {
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if stream.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

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
            loop {
                tokio::select! {
                    _ = &mut stop_rx => break,
                    accepted = listener.accept() => {
                        let (stream, _) = accepted.expect("accept");
                        stream.set_nodelay(true).expect("TCP_NODELAY");
                        tokio::task::spawn_local(conn(stream));
                    }
                }
            }
        });
        // Dropping the set cancels any connection task still running, before the runtime.
        drop(local);
    })
}
