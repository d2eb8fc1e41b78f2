//! Entry `tokio-current-thread`: plain tokio, a current-thread runtime on the server thread, one
//! spawned task per connection running a `read` + `write_all` loop. (This is also what an
//! actix or kameo application does for sockets: those frameworks have no I/O layer of their
//! own.)

use super::common::{ServerHandle, Stopper};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Size of a connection task's read buffer.
const READ_BUF: usize = 16 * 1024;

/// Echoes until the peer closes or an error.
pub(crate) async fn conn(mut stream: TcpStream) {
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
    ServerHandle::spawn("tokio", |listener, ready| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .expect("tokio runtime");
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        let stopper: Stopper = Box::new(move || {
            let _ = stop_tx.send(());
        });
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener).expect("TcpListener::from_std");
            ready.send(stopper).expect("bench thread gone");
            accept_until(listener, &mut stop_rx, |stream| {
                tokio::spawn(conn(stream));
            })
            .await;
        });
        // Dropping the runtime cancels any connection task still running.
    })
}

/// Accepts connections, handing each (with `TCP_NODELAY` set) to `spawn`, until `stop` fires.
pub(crate) async fn accept_until(
    listener: TcpListener,
    stop: &mut tokio::sync::oneshot::Receiver<()>,
    spawn: impl Fn(TcpStream),
) {
    loop {
        tokio::select! {
            _ = &mut *stop => break,
            accepted = listener.accept() => {
                let (stream, _) = accepted.expect("accept");
                stream.set_nodelay(true).expect("TCP_NODELAY");
                spawn(stream);
            }
        }
    }
}
