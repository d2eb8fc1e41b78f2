//! Entry `stakker-core+tokio`: the same listener actor and per-connection actors as
//! `stakker-core+mio` (the same [`Echo`] code), driven from a current-thread tokio runtime and
//! a `LocalSet` on the server thread.
//!
//! **The host is a stand-in until the stakker-tokio adapter exists** (it has no public API
//! yet). It is an [`EventLoop`] run by the core's own async driver ([`RunFuture`]) inside
//! `LocalSet::block_on`, which is how an async host plugs in (docs/src/writing-an-adapter.md):
//!
//! - I/O: each socket has one `spawn_local` readiness task. A connection's task awaits
//!   `TcpStream::ready` (readable, plus writable while the actor has output buffered), `fwd`s
//!   a [`Ready`] to the actor (which only queues the call), raises the host's local signal (a
//!   flag plus the stored task waker), then waits until the actor has handled it (a `Notify`),
//!   since tokio only clears readiness when the actor's `try_read`/`try_write` hits
//!   `WouldBlock`. The actor owns the stream (through an `Rc` shared with its task) and reads
//!   and writes it with `try_read`/`try_write`. The listener's task awaits `accept` and
//!   forwards each stream to the listener actor.
//! - `poll_wait` returns `Ready` at once when the local signal or a cross-thread wake is
//!   pending; otherwise it stores `cx.waker()` for both, arms a `tokio::time::Sleep` for the
//!   `max` the runtime allows and polls it (elapsed: a timeout, `Activity::NONE`), else
//!   returns `Pending`.
//! - Cross-thread wakes (the runtime's poll waker, used by `Core::waker`; the bench stops the
//!   server through one) set an atomic flag and wake the stored task waker.
//!
//! No priorities, no futures-to-`Ret` bridge, no buffered-stream helpers.

use super::common::{Echo, Ready, ServerHandle, Stopper};
use stakker_core::host::{Activity, EventLoop, RunFuture};
use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, actor_in_slab, fwd_to, ret_shutdown};
use stakker_core::{ActorOwnSlab, Fwd, Stakker, StopCause, CX};
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::Sleep;

/// The longest the host sleeps when nothing is scheduled.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// A sleep deadline this close to the wanted one (and not yet elapsed) is kept rather than
/// re-registered with tokio's timer on every wait; tokio's timer has millisecond resolution.
const SLACK: Duration = Duration::from_millis(1);

/// Wakes the host from the I/O tasks (same thread): something was forwarded.
struct Signal {
    pending: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

impl Signal {
    fn raise(&self) {
        if !self.pending.replace(true) {
            if let Some(w) = self.waker.borrow().as_ref() {
                w.wake_by_ref();
            }
        }
    }
}

/// Wakes the host from other threads: the runtime's poll waker.
struct Remote {
    woken: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Remote {
    fn wake(&self) {
        self.woken.store(true, Ordering::Release);
        if let Some(w) = self.waker.lock().expect("poisoned").as_ref() {
            w.wake_by_ref();
        }
    }
}

/// Stores `w` in `slot` unless it already holds a waker that wakes the same task.
fn store_waker(slot: &mut Option<Waker>, w: &Waker) {
    if !slot.as_ref().is_some_and(|old| old.will_wake(w)) {
        *slot = Some(w.clone());
    }
}

/// The stand-in host: the two signals and a timer.
struct TokioHost {
    local: Rc<Signal>,
    remote: Arc<Remote>,
    sleep: Pin<Box<Sleep>>,
}

impl TokioHost {
    /// Takes a pending cross-thread wake (the driver then queues `poll_wake`).
    fn take_remote(&mut self) -> bool {
        self.remote.woken.swap(false, Ordering::AcqRel)
    }
}

impl EventLoop for TokioHost {
    type Error = std::convert::Infallible;

    fn now(&mut self) -> Instant {
        Instant::now()
    }

    fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Self::Error>> {
        // Both checks run, so neither signal is left behind for the next wait.
        let io = self.local.pending.replace(false);
        let woken = self.take_remote();
        if woken || io {
            return Poll::Ready(Ok(Activity {
                activity: io,
                io_pending: false,
                woken,
            }));
        }
        if max.is_zero() {
            return Poll::Ready(Ok(Activity::NONE));
        }
        store_waker(&mut self.local.waker.borrow_mut(), cx.waker());
        store_waker(&mut self.remote.waker.lock().expect("poisoned"), cx.waker());
        // A wake that came in before the waker was stored would otherwise be missed.
        if self.take_remote() {
            return Poll::Ready(Ok(Activity::WOKEN));
        }
        let target = tokio::time::Instant::now() + max;
        let cur = self.sleep.deadline();
        if self.sleep.is_elapsed() || cur > target || target - cur > SLACK {
            self.sleep.as_mut().reset(target);
        }
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Ok(Activity::NONE)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// `Read`/`Write` over a tokio stream's `try_read`/`try_write`, for [`Echo`]. Records whether
/// the last write hit `WouldBlock`: with `Echo`'s logic that is exactly when output is
/// buffered, so it tells the readiness task to wait for writable too.
struct TryIo<'a> {
    stream: &'a TcpStream,
    want_write: &'a Cell<bool>,
}

impl Read for TryIo<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.stream.try_read(buf)
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

/// What a connection actor shares with its readiness task.
struct Link {
    stream: TcpStream,
    /// Output is buffered: wait for writable as well as readable.
    want_write: Cell<bool>,
    /// The actor has handled the last readiness report.
    handled: Notify,
}

/// A connection's readiness task: forwards one report at a time, each once the actor has
/// handled the one before (until then tokio's readiness is still set). Aborted when the actor
/// is dropped.
async fn watch(link: Rc<Link>, fwd: Fwd<Ready>, signal: Rc<Signal>) {
    loop {
        let interest = if link.want_write.get() {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        let ready = match link.stream.ready(interest).await {
            Ok(r) => Ready {
                readable: r.is_readable() || r.is_read_closed() || r.is_error(),
                writable: r.is_writable() || r.is_write_closed() || r.is_error(),
            },
            // Let the actor's next read or write report it.
            Err(_) => Ready {
                readable: true,
                writable: true,
            },
        };
        fwd.fwd(ready); // only queues the actor call
        signal.raise();
        link.handled.notified().await;
    }
}

/// The listener's task: forwards each accepted stream (or the error, which ends it).
async fn accept(sock: TcpListener, fwd: Fwd<std::io::Result<TcpStream>>, signal: Rc<Signal>) {
    loop {
        let r = sock.accept().await.map(|(stream, _)| stream);
        let failed = r.is_err();
        fwd.fwd(r);
        signal.raise();
        if failed {
            return;
        }
    }
}

/// Accepts connections; owns one [`Conn`] actor per connection.
struct Listener {
    signal: Rc<Signal>,
    conns: ActorOwnSlab<Conn>,
    task: JoinHandle<()>,
}

impl Listener {
    fn init(cx: CX![], signal: Rc<Signal>, sock: TcpListener) -> Option<Self> {
        let fwd = fwd_to!([cx], accepted() as (std::io::Result<TcpStream>));
        let task = tokio::task::spawn_local(accept(sock, fwd, signal.clone()));
        Some(Listener {
            signal,
            conns: ActorOwnSlab::new(),
            task,
        })
    }

    fn accepted(&mut self, cx: CX![], r: std::io::Result<TcpStream>) {
        match r {
            Ok(stream) => {
                let signal = self.signal.clone();
                actor_in_slab!(self.conns, cx, Conn::init(signal, stream));
            }
            Err(e) => cx.fail(e),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection: the stream (shared with its readiness task) and its echo state.
struct Conn {
    link: Rc<Link>,
    echo: Echo,
    task: JoinHandle<()>,
}

impl Conn {
    fn init(cx: CX![], signal: Rc<Signal>, stream: TcpStream) -> Option<Self> {
        if let Err(e) = stream.set_nodelay(true) {
            cx.fail(e);
            return None;
        }
        let link = Rc::new(Link {
            stream,
            want_write: Cell::new(false),
            handled: Notify::new(),
        });
        let fwd = fwd_to!([cx], ready() as (Ready));
        let task = tokio::task::spawn_local(watch(link.clone(), fwd, signal));
        Some(Conn {
            link,
            echo: Echo::new(),
            task,
        })
    }

    fn ready(&mut self, cx: CX![], ready: Ready) {
        let mut io = TryIo {
            stream: &self.link.stream,
            want_write: &self.link.want_write,
        };
        if self.echo.ready(&mut io, ready) {
            self.link.handled.notify_one();
        } else {
            cx.stop(); // the listener's slab drops it; its task is aborted, the stream closed
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.task.abort();
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
        let local = tokio::task::LocalSet::new();
        let mut s = Stakker::new(std::time::Instant::now());
        let remote = Arc::new(Remote {
            woken: AtomicBool::new(false),
            waker: Mutex::new(None),
        });
        let r2 = remote.clone();
        s.set_poll_waker(move || r2.wake());
        let signal = Rc::new(Signal {
            pending: Cell::new(false),
            waker: RefCell::new(None),
        });
        let mut host = {
            // Creating a `Sleep` needs the runtime's context.
            let _enter = rt.enter();
            TokioHost {
                local: signal.clone(),
                remote,
                sleep: Box::pin(tokio::time::sleep(MAX_WAIT)),
            }
        };
        let stop = s.waker(|s, _| s.shutdown(StopCause::Stopped));
        let stopper: Stopper = Box::new(move || stop.wake());
        local.block_on(&rt, async {
            let sock = TcpListener::from_std(listener).expect("TcpListener::from_std");
            let server = actor!(s, Listener::init(signal, sock), ret_shutdown!(s));
            ready.send(stopper).expect("bench thread gone");
            let cause = RunFuture::new(&mut s, &mut host, MAX_WAIT).await;
            let cause = match cause {
                Ok(c) => c,
                Err(never) => match never {},
            };
            assert!(
                matches!(cause, Some(StopCause::Stopped)),
                "server stopped with {cause:?}"
            );
            // Drop the actors (aborting their tasks) while the runtime is still here.
            drop(server);
            s.run(std::time::Instant::now(), false);
        });
        // The aborted tasks (and the streams they hold) go with the LocalSet, before the
        // runtime and the Stakker.
        drop(local);
        drop(host);
    })
}
