//! Entry `stakker-core+mio`: a listener actor and one actor per connection on `stakker-core`,
//! driven by a minimal mio loop written here.
//!
//! **The loop is a stand-in until the stakker-mio adapter exists** (it has no public API yet).
//! It is an [`EventLoop`] and runs through the core's own driver ([`run_blocking`]), which is
//! how an adapter plugs in (docs/src/writing-an-adapter.md): `poll_wait` polls with the timeout the
//! runtime allows, forwards each event to the `Fwd` registered under its token (which only
//! queues a call), and the driver then calls `Stakker::run`. Token 0 is a `mio::Waker`
//! installed as the runtime's poll waker, so `Core::waker` works (the bench stops the server
//! through one). No priorities, no held-back events, no TCP/UDP helpers.

use super::common::{Echo, Ready, ServerHandle, Stopper};
use mio::event::Source;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};
use stakker_core::host::{run_blocking, Activity, EventLoop};
use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, actor_in_slab, fwd_to, ret_shutdown};
use stakker_core::{ActorOwnSlab, Fwd, Stakker, StopCause, CX};
use std::cell::RefCell;
use std::io::ErrorKind;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll as TaskPoll};

/// The token of the cross-thread `mio::Waker`.
const WAKE: Token = Token(0);

/// Registered sources: token `i + 1` forwards to `fwds[i]`.
struct Table {
    registry: Registry,
    fwds: Vec<Option<Fwd<Ready>>>,
    free: Vec<usize>,
}

/// The stand-in loop's registration handle, shared by the host and the actors.
#[derive(Clone)]
struct Io(Rc<RefCell<Table>>);

impl Io {
    /// Registers `src` (edge-triggered); readiness is forwarded to `fwd` until the returned
    /// guard is dropped.
    fn add<S: Source>(
        &self,
        mut src: S,
        interest: Interest,
        fwd: Fwd<Ready>,
    ) -> std::io::Result<Registered<S>> {
        let mut t = self.0.borrow_mut();
        let slot = match t.free.pop() {
            Some(i) => i,
            None => {
                t.fwds.push(None);
                t.fwds.len() - 1
            }
        };
        let token = Token(slot + 1);
        if let Err(e) = t.registry.register(&mut src, token, interest) {
            t.free.push(slot);
            return Err(e);
        }
        t.fwds[slot] = Some(fwd);
        Ok(Registered {
            io: self.clone(),
            token,
            src,
        })
    }
}

/// A registered source; dropping it deregisters it and frees its token. Sources are only
/// dropped inside `run`, never while a poll's events are being dispatched, so a token is never
/// reused within one batch of events.
struct Registered<S: Source> {
    io: Io,
    token: Token,
    src: S,
}

impl<S: Source> Drop for Registered<S> {
    fn drop(&mut self) {
        let mut t = self.io.0.borrow_mut();
        let _ = t.registry.deregister(&mut self.src);
        let slot = self.token.0 - 1;
        t.fwds[slot] = None;
        t.free.push(slot);
    }
}

/// The stand-in host: a `mio::Poll` and the token table.
struct MioHost {
    poll: Poll,
    events: Events,
    io: Io,
}

impl EventLoop for MioHost {
    type Error = std::io::Error;

    fn now(&mut self) -> Instant {
        Instant::now()
    }

    fn poll_wait(
        &mut self,
        _: &mut Context<'_>,
        max: Duration,
    ) -> TaskPoll<Result<Activity, std::io::Error>> {
        match self.poll.poll(&mut self.events, Some(max)) {
            Ok(()) => (),
            Err(e) if e.kind() == ErrorKind::Interrupted => {
                return TaskPoll::Ready(Ok(Activity::NONE))
            }
            Err(e) => return TaskPoll::Ready(Err(e)),
        }
        let mut activity = false;
        let mut woken = false;
        let table = self.io.0.borrow();
        for ev in self.events.iter() {
            if ev.token() == WAKE {
                woken = true; // the driver queues poll_wake
            } else if let Some(Some(fwd)) = table.fwds.get(ev.token().0 - 1) {
                fwd.fwd(Ready::of(ev)); // only queues the actor call
                activity = true;
            }
        }
        TaskPoll::Ready(Ok(Activity {
            activity,
            io_pending: false,
            woken,
        }))
    }
}

/// Accepts connections; owns one [`Conn`] actor per connection.
struct Listener {
    io: Io,
    sock: Registered<TcpListener>,
    conns: ActorOwnSlab<Conn>,
}

impl Listener {
    fn init(cx: CX![], io: Io, sock: TcpListener) -> Option<Self> {
        match io.add(sock, Interest::READABLE, fwd_to!([cx], ready() as (Ready))) {
            Ok(sock) => Some(Listener {
                io,
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
            match self.sock.src.accept() {
                Ok((stream, _)) => {
                    let io = self.io.clone();
                    actor_in_slab!(self.conns, cx, Conn::init(io, stream));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return cx.fail(e),
            }
        }
    }
}

/// One connection: the stream and its echo state (read buffer, unwritten output).
struct Conn {
    stream: Registered<TcpStream>,
    echo: Echo,
}

impl Conn {
    fn init(cx: CX![], io: Io, stream: TcpStream) -> Option<Self> {
        if let Err(e) = stream.set_nodelay(true) {
            cx.fail(e);
            return None;
        }
        let fwd = fwd_to!([cx], ready() as (Ready));
        match io.add(stream, Interest::READABLE | Interest::WRITABLE, fwd) {
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

    fn ready(&mut self, cx: CX![], ready: Ready) {
        if !self.echo.ready(&mut self.stream.src, ready) {
            cx.stop(); // the listener's slab drops it; the stream is deregistered and closed
        }
    }
}

/// Starts the server thread.
pub(crate) fn start() -> ServerHandle {
    ServerHandle::spawn("stakker-core-mio", |listener, ready| {
        let poll = Poll::new().expect("mio Poll");
        let waker = Arc::new(mio::Waker::new(poll.registry(), WAKE).expect("mio Waker"));
        let mut s = Stakker::new(std::time::Instant::now());
        s.set_poll_waker(move || waker.wake().expect("mio Waker::wake"));
        let io = Io(Rc::new(RefCell::new(Table {
            registry: poll.registry().try_clone().expect("Registry::try_clone"),
            fwds: Vec::new(),
            free: Vec::new(),
        })));
        let mut host = MioHost {
            poll,
            events: Events::with_capacity(256),
            io: io.clone(),
        };
        let sock = TcpListener::from_std(listener);
        let server = actor!(s, Listener::init(io, sock), ret_shutdown!(s));
        let stop = s.waker(|s, _| s.shutdown(StopCause::Stopped));
        let stopper: Stopper = Box::new(move || stop.wake());
        ready.send(stopper).expect("bench thread gone");
        let cause = run_blocking(&mut s, &mut host).expect("mio poll failed");
        assert!(
            matches!(cause, Some(StopCause::Stopped)),
            "server stopped with {cause:?}"
        );
        // Drop the actors (closing their sockets) while the runtime is still here.
        drop(server);
        s.run(std::time::Instant::now(), false);
    })
}
