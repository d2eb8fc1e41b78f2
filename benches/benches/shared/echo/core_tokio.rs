//! Entry `stakker-core+tokio`: the same listener actor and per-connection actors as
//! `stakker-core+mio` (the same [`Echo`] code), driven by the stakker-tokio adapter on a
//! current-thread tokio runtime: `TokioDriver::run` awaited by `block_on` on the server
//! thread. The listener and each connection are registered with `TokioHandle::register`, so
//! readiness arrives as `Fwd<Ready>` calls; a connection watches `WRITABLE` only while output
//! is buffered. The actor reads and writes with `try_read`/`try_write` and, like tokio's own
//! `read`, takes a short read as "drained": it then clears the readiness with `try_io`
//! instead of paying a `read` that returns `EAGAIN`, so it makes the same syscalls as the
//! `tokio-local` tasks it is compared with.

use super::common::{Echo, Ready, ServerHandle, Stopper};
use stakker_core::{actor, actor_in_slab, fwd_to, ret_shutdown};
use stakker_core::{ActorOwnSlab, Stakker, StopCause, CX};
use stakker_tokio::{IoSource, TokioDriver, TokioHandle};
use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream};

/// `Read`/`Write` over a tokio stream's `try_read`/`try_write`, for [`Echo`]. Records whether
/// the last write hit `WouldBlock`: with `Echo`'s logic that is exactly when output is
/// buffered, so the connection then watches writable too.
struct TryIo<'a> {
    stream: &'a TcpStream,
    want_write: &'a Cell<bool>,
    /// The last read filled less than its buffer: the socket had no more data.
    drained: bool,
}

impl Read for TryIo<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if std::mem::take(&mut self.drained) {
            // Tokio's `read` rule: a closure's `WouldBlock` clears the readiness tokio has
            // seen so far (data arriving later sets it again), so the drain costs no syscall.
            return self
                .stream
                .try_io(Interest::READABLE, || Err(ErrorKind::WouldBlock.into()));
        }
        let r = self.stream.try_read(buf);
        self.drained = matches!(r, Ok(n) if n > 0 && n < buf.len());
        r
    }
}

impl Write for TryIo<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.stream.try_write(buf);
        self.want_write
            .set(matches!(&r, Err(e) if e.kind() == ErrorKind::WouldBlock));
        r
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bench's readiness flags from the adapter's (closed and error count as both).
fn ready_of(r: stakker_tokio::Ready) -> Ready {
    let bad = r.is_error();
    Ready {
        readable: r.is_readable() || r.is_read_closed() || bad,
        writable: r.is_writable() || r.is_write_closed() || bad,
    }
}

/// Accepts connections; owns one [`Conn`] actor per connection.
struct Listener {
    sock: IoSource<stakker_tokio::Listener>,
    conns: ActorOwnSlab<Conn>,
}

impl Listener {
    fn init(cx: CX![], sock: TcpListener) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let fwd = fwd_to!([cx], accept() as (stakker_tokio::Ready));
        let sock = h.register(
            stakker_tokio::Listener::new(sock),
            Interest::READABLE,
            0,
            fwd,
        );
        Some(Listener {
            sock,
            conns: ActorOwnSlab::new(),
        })
    }

    fn accept(&mut self, cx: CX![], _: stakker_tokio::Ready) {
        loop {
            match self.sock.try_accept() {
                Ok((stream, _)) => {
                    let _ = actor_in_slab!(self.conns, cx, Conn::init(stream));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => return cx.fail(e),
            }
        }
    }
}

/// One connection: the registered stream and its echo state.
struct Conn {
    stream: IoSource<TcpStream>,
    want_write: Cell<bool>,
    echo: Echo,
}

impl Conn {
    fn init(cx: CX![], stream: TcpStream) -> Option<Self> {
        if let Err(e) = stream.set_nodelay(true) {
            cx.fail(e);
            return None;
        }
        let h = cx.anymap_get::<TokioHandle>();
        let fwd = fwd_to!([cx], ready() as (stakker_tokio::Ready));
        Some(Conn {
            stream: h.register(stream, Interest::READABLE, 0, fwd),
            want_write: Cell::new(false),
            echo: Echo::new(),
        })
    }

    fn ready(&mut self, cx: CX![], ready: stakker_tokio::Ready) {
        let mut io = TryIo {
            stream: &self.stream,
            want_write: &self.want_write,
            drained: false,
        };
        if !self.echo.ready(&mut io, ready_of(ready)) {
            return cx.stop(); // the listener's slab drops it, closing the stream
        }
        let interest = if self.want_write.get() {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        self.stream.set_interest(Some(interest));
    }
}

/// Starts the server thread.
pub(crate) fn start() -> ServerHandle {
    ServerHandle::spawn("stakker-core-tokio", |listener, ready| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .expect("tokio runtime");
        rt.block_on(async {
            let mut s = Stakker::new(stakker_tokio::now());
            let driver = TokioDriver::new(&mut s);
            let stop = s.waker(|s, _| s.shutdown(StopCause::Stopped));
            let stopper: Stopper = Box::new(move || stop.wake());
            let sock = TcpListener::from_std(listener).expect("TcpListener::from_std");
            let _server = actor!(s, Listener::init(sock), ret_shutdown!(s));
            ready.send(stopper).expect("bench thread gone");
            let cause = driver.run(s).await;
            assert!(
                matches!(cause, Some(StopCause::Stopped)),
                "server stopped with {cause:?}"
            );
        });
    })
}
