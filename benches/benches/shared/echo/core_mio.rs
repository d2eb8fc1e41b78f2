//! Entry `stakker-mio`: a listener actor and one actor per connection on `stakker-core`, run
//! by the stakker-mio adapter (`MioPoll` as the host loop, `MioPoll::run`). Each connection
//! actor runs the same echo code as the hand-written `mio-plain` loop ([`Echo`] on the raw
//! `mio::net::TcpStream`), so the two differ only in how readiness reaches that code: the
//! adapter's token table, priority dispatch and `Fwd` call, then the runtime's queue.

use super::common::{Echo, Ready, ServerHandle, Stopper};
use stakker_core::{actor, actor_in_slab, fwd_to, ret_shutdown};
use stakker_core::{ActorOwnSlab, Stakker, StopCause, CX};
use stakker_mio_ours::mio::net::{TcpListener, TcpStream};
use stakker_mio_ours::mio::{Events, Interest, Poll};
use stakker_mio_ours::{MioPoll, MioSource};
use std::io::ErrorKind;

/// The one priority level used for every source.
const PRI: u32 = 10;

/// Readiness as the shared echo code wants it.
fn ready_of(r: stakker_mio_ours::Ready) -> Ready {
    let bad = r.is_error();
    Ready {
        readable: r.is_readable() || r.is_read_closed() || bad,
        writable: r.is_writable() || r.is_write_closed() || bad,
    }
}

/// Accepts connections; owns one [`Conn`] actor per connection.
struct Listener {
    sock: MioSource<TcpListener>,
    conns: ActorOwnSlab<Conn>,
}

impl Listener {
    fn init(cx: CX![], sock: TcpListener) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let fwd = fwd_to!([cx], ready() as (stakker_mio_ours::Ready));
        match miopoll.add(sock, Interest::READABLE, PRI, fwd) {
            Ok(sock) => Some(Listener {
                sock,
                conns: ActorOwnSlab::new(),
            }),
            Err(e) => {
                cx.fail(e);
                None
            }
        }
    }

    fn ready(&mut self, cx: CX![], _: stakker_mio_ours::Ready) {
        loop {
            match self.sock.accept() {
                Ok((stream, _)) => {
                    actor_in_slab!(self.conns, cx, Conn::init(stream));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return cx.fail(e),
            }
        }
    }
}

/// One connection: the registered stream and its echo state.
struct Conn {
    stream: MioSource<TcpStream>,
    echo: Echo,
}

impl Conn {
    fn init(cx: CX![], stream: TcpStream) -> Option<Self> {
        if let Err(e) = stream.set_nodelay(true) {
            cx.fail(e);
            return None;
        }
        let miopoll = cx.anymap_get::<MioPoll>();
        let fwd = fwd_to!([cx], ready() as (stakker_mio_ours::Ready));
        match miopoll.add(stream, Interest::READABLE | Interest::WRITABLE, PRI, fwd) {
            Ok(stream) => Some(Conn {
                stream,
                echo: Echo::new(),
            }),
            Err(e) => {
                cx.fail(e);
                None
            }
        }
    }

    fn ready(&mut self, cx: CX![], ready: stakker_mio_ours::Ready) {
        if !self.echo.ready(&mut *self.stream, ready_of(ready)) {
            cx.stop(); // the listener's slab drops it; MioSource deregisters the stream
        }
    }
}

/// Starts the server thread.
pub(crate) fn start() -> ServerHandle {
    ServerHandle::spawn("stakker-mio", |listener, ready| {
        let mut s = Stakker::new(std::time::Instant::now());
        let poll = Poll::new().expect("mio Poll");
        let miopoll =
            MioPoll::new(&mut s, poll, Events::with_capacity(256), PRI).expect("MioPoll::new");
        let sock = TcpListener::from_std(listener);
        let server = actor!(s, Listener::init(sock), ret_shutdown!(s));
        let stop = s.waker(|s, _| s.shutdown(StopCause::Stopped));
        let stopper: Stopper = Box::new(move || stop.wake());
        ready.send(stopper).expect("bench thread gone");
        let cause = miopoll.run(&mut s).expect("mio poll failed");
        assert!(
            matches!(cause, Some(StopCause::Stopped)),
            "server stopped with {cause:?}"
        );
        // Drop the actors (closing their sockets) while the runtime is still here.
        drop(server);
        s.run(std::time::Instant::now(), false);
    })
}
