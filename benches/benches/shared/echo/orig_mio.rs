//! Entry `stakker-0.2.16+stakker_mio`: the original `stakker` 0.2.16 with its own mio adapter,
//! `stakker_mio` 0.3.0, used the way that crate documents: a `MioPoll` (which installs itself
//! as the poll waker and in the anymap), sources added with `MioPoll::add`, a `TcpStreamBuf`
//! per connection (`read` until `WouldBlock`, `flush` on writable), and the documented main
//! loop (`next_wait_max` / `MioPoll::poll` / `run`).
//!
//! With default features the original crate allows `Stakker` instances on one thread per
//! process only (its deferrer is a process-wide global locked to the first thread that makes
//! one). This entry's server thread is the only one that ever does, once per process.

use super::common::{ServerHandle, Stopper};
use stakker::{actor, actor_in_slab, fwd_to, ret_shutdown};
use stakker::{ActorOwnSlab, Stakker, StopCause, CX};
use stakker_mio::mio::net::{TcpListener, TcpStream};
use stakker_mio::mio::{Events, Interest, Poll};
use stakker_mio::{MioPoll, MioSource, ReadStatus, Ready, TcpStreamBuf};
use std::io::ErrorKind;
use std::time::{Duration, Instant};

/// The longest the loop sleeps when nothing is scheduled.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// The most one `TcpStreamBuf::read` call takes in.
const READ_MAX: usize = 16 * 1024;
/// The one priority level used for every source.
const PRI: u32 = 0;

/// Accepts connections; owns one [`Conn`] actor per connection.
struct Listener {
    sock: MioSource<TcpListener>,
    conns: ActorOwnSlab<Conn>,
}

impl Listener {
    fn init(cx: CX![], sock: TcpListener) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        match miopoll.add(
            sock,
            Interest::READABLE,
            PRI,
            fwd_to!([cx], ready() as (Ready)),
        ) {
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

    fn ready(&mut self, cx: CX![], _: Ready) {
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

/// One connection: a `TcpStreamBuf` (input buffer, output buffer, the registered stream).
struct Conn {
    tcp: TcpStreamBuf,
}

impl Conn {
    fn init(cx: CX![], stream: TcpStream) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let fwd = fwd_to!([cx], ready() as (Ready));
        match miopoll.add(stream, Interest::READABLE | Interest::WRITABLE, PRI, fwd) {
            Ok(src) => {
                let mut tcp = TcpStreamBuf::new();
                tcp.set_nodelay(true); // applied on the first flush
                tcp.init(src);
                Some(Conn { tcp })
            }
            Err(e) => {
                cx.fail(e);
                None
            }
        }
    }

    fn ready(&mut self, cx: CX![], ready: Ready) {
        if ready.is_readable() || ready.is_read_closed() || ready.is_error() {
            loop {
                match self.tcp.read(READ_MAX) {
                    ReadStatus::NewData => {
                        // Echo: move everything received to the output buffer.
                        let tcp = &mut self.tcp;
                        tcp.out.extend_from_slice(&tcp.inp[tcp.rd..tcp.wr]);
                        tcp.rd = tcp.wr;
                    }
                    ReadStatus::WouldBlock => break,
                    ReadStatus::EndOfStream => {
                        self.tcp.out_eof = true;
                        break;
                    }
                    ReadStatus::Error(_) => return cx.stop(),
                }
            }
        }
        if self.tcp.flush().is_err() || (self.tcp.inp_eof && self.tcp.out.is_empty()) {
            cx.stop(); // the listener's slab drops it; MioSource deregisters the stream
        }
    }
}

/// Starts the server thread.
pub(crate) fn start() -> ServerHandle {
    ServerHandle::spawn("stakker-0.2.16-mio", |listener, ready| {
        let mut s = Stakker::new(Instant::now());
        let poll = Poll::new().expect("mio Poll");
        let miopoll =
            MioPoll::new(&mut s, poll, Events::with_capacity(256), PRI).expect("MioPoll::new");
        let sock = TcpListener::from_std(listener);
        let server = actor!(s, Listener::init(sock), ret_shutdown!(s));
        let stop = s.waker(|s, _| s.shutdown(StopCause::Stopped));
        let stopper: Stopper = Box::new(move || stop.wake());
        ready.send(stopper).expect("bench thread gone");

        // The main loop as stakker_mio documents it.
        let mut idle_pending = s.run(Instant::now(), false);
        let mut io_pending = false;
        while s.not_shutdown() {
            let maxdur = s.next_wait_max(Instant::now(), MAX_WAIT, idle_pending || io_pending);
            let (activity, pending) = miopoll.poll(maxdur).expect("MioPoll::poll");
            io_pending = pending;
            idle_pending = s.run(Instant::now(), !activity);
        }
        let cause = s.shutdown_reason();
        assert!(
            matches!(cause, Some(StopCause::Stopped)),
            "server stopped with {cause:?}"
        );
        drop(server);
        s.run(Instant::now(), false);
    })
}
