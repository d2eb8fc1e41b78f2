//! Tokio I/O readiness delivered as `Fwd<Ready>` calls, with stakker-mio's priorities.

use crate::driver::{Remote, Shared, TokioHandle};
use stakker_core::host::{PriorityQueues, MAX_PRIORITY};
use stakker_core::Fwd;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::{Arc, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream, UdpSocket};

/// Priorities are `0..=MAX_PRI`, higher first (as in stakker-mio).
pub const MAX_PRI: u32 = MAX_PRIORITY;

/// Readiness flags of one delivery: the core's [`Ready`](stakker_core::host::Ready), the same
/// type as stakker-mio's `Ready`.
///
/// Sockets polled through `poll_read_ready`/`poll_write_ready` (`TcpStream`, `UdpSocket`,
/// `UnixStream`, [`Listener`]) report only readable and writable (a closed or failed socket
/// reads as ready; the next `try_read`/`try_write` tells which). `AsyncFd` reports every flag
/// tokio knows (readable, writable, read/write closed, error, priority); `is_aio` and `is_lio`
/// are always `false` (tokio has no such events).
///
/// ```
/// use stakker_tokio::Ready;
/// let r = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(r.is_readable() && r.is_read_closed() && !r.is_writable() && !r.is_aio());
/// ```
pub use stakker_core::host::Ready;

/// The readiness flags of a tokio `Ready`.
fn ready_of(r: tokio::io::Ready) -> Ready {
    let flag = Ready::flag_if;
    flag(r.is_readable(), Ready::READABLE)
        | flag(r.is_writable(), Ready::WRITABLE)
        | flag(r.is_error(), Ready::ERROR)
        | flag(r.is_read_closed(), Ready::READ_CLOSED)
        | flag(r.is_write_closed(), Ready::WRITE_CLOSED)
        | flag(r.is_priority(), Ready::PRIORITY)
}

/// A tokio I/O object whose readiness can be polled without doing I/O. Implemented for
/// `TcpStream`, `UdpSocket`, [`Listener`], and on unix `UnixStream` and `AsyncFd<T>`.
pub trait TokioIo: 'static {
    /// Polls readiness for `interest`; directions not ready register `cx`'s waker, which
    /// tokio wakes when they become ready. Returns the flags that are ready now (empty when
    /// none).
    fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Ready;
}

/// Readiness from a pair of `poll_read_ready`/`poll_write_ready`-style results.
fn dir(p: Poll<io::Result<()>>, flag: Ready) -> Ready {
    match p {
        Poll::Pending => Ready::EMPTY,
        Poll::Ready(Ok(())) => flag,
        Poll::Ready(Err(_)) => flag | Ready::ERROR,
    }
}

macro_rules! rw_ready {
    ($ty:ty, $read:ident, $write:ident) => {
        impl TokioIo for $ty {
            fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Ready {
                let mut r = Ready::EMPTY;
                if interest.is_readable() {
                    r = r | dir(self.$read(cx), Ready::READABLE);
                }
                if interest.is_writable() {
                    r = r | dir(self.$write(cx), Ready::WRITABLE);
                }
                r
            }
        }
    };
}

rw_ready!(TcpStream, poll_read_ready, poll_write_ready);
rw_ready!(UdpSocket, poll_recv_ready, poll_send_ready);
#[cfg(unix)]
rw_ready!(tokio::net::UnixStream, poll_read_ready, poll_write_ready);

#[cfg(unix)]
impl<T: std::os::unix::io::AsRawFd + 'static> TokioIo for tokio::io::unix::AsyncFd<T> {
    fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Ready {
        // The guards are dropped without `clear_ready`: readiness stays until the handler's
        // own `try_io` meets `WouldBlock`.
        let mut r = Ready::EMPTY;
        if interest.is_readable() {
            match self.poll_read_ready(cx) {
                Poll::Ready(Ok(g)) => r = r | ready_of(g.ready()),
                Poll::Ready(Err(_)) => r = r | Ready::READABLE | Ready::ERROR,
                Poll::Pending => {}
            }
        }
        if interest.is_writable() {
            match self.poll_write_ready(cx) {
                Poll::Ready(Ok(g)) => r = r | ready_of(g.ready()),
                Poll::Ready(Err(_)) => r = r | Ready::WRITABLE | Ready::ERROR,
                Poll::Pending => {}
            }
        }
        r
    }
}

/// A `TcpListener` that can be registered: tokio's listener offers no readiness without
/// accepting, so polling accepts into a small queue that [`try_accept`](Listener::try_accept)
/// empties first. Readable means "`try_accept` has something".
#[derive(Debug)]
pub struct Listener {
    inner: TcpListener,
    accepted: RefCell<VecDeque<io::Result<(TcpStream, SocketAddr)>>>,
    /// The driver's waker for this registration, from the last poll.
    waker: RefCell<Option<Waker>>,
}

impl Listener {
    /// Wraps `listener`.
    pub fn new(listener: TcpListener) -> Listener {
        Listener {
            inner: listener,
            accepted: RefCell::default(),
            waker: RefCell::default(),
        }
    }

    /// The listener's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Accepts one connection without waiting: `Err(WouldBlock)` when none is waiting. Call
    /// it until `WouldBlock` on each readable delivery.
    pub fn try_accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        if let Some(r) = self.accepted.borrow_mut().pop_front() {
            return r;
        }
        // Accepting registers a waker for the next connection: the driver's, once polled.
        let waker = self.waker.borrow();
        let Some(waker) = waker.as_ref() else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        match self.inner.poll_accept(&mut Context::from_waker(waker)) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl TokioIo for Listener {
    fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Ready {
        if !interest.is_readable() {
            return Ready::EMPTY;
        }
        let mut waker = self.waker.borrow_mut();
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
        if self.accepted.borrow().is_empty() {
            match self.inner.poll_accept(cx) {
                Poll::Ready(r) => self.accepted.borrow_mut().push_back(r),
                Poll::Pending => return Ready::EMPTY,
            }
        }
        Ready::READABLE
    }
}

/// One registration in the table.
struct Entry {
    io: Rc<dyn TokioIo>,
    interest: Option<Interest>,
    pri: u32,
    fwd: Fwd<Ready>,
    waker: Waker,
    /// Held back at a lower priority (not polled again until dispatched).
    held: bool,
    /// Its call is queued and has not run yet (not polled again until it has).
    queued: bool,
    /// The dispatch round that last polled it (polled at most once per round).
    round: u64,
}

/// A token packs a slot index (low 32 bits) and the slot's generation, so a stale token of a
/// dropped registration never reaches the slot's next occupant.
fn token(index: usize, gen: u32) -> u64 {
    (u64::from(gen) << 32) | index as u64
}

/// The registrations, the held-back queues and the tokens to re-poll.
#[derive(Default)]
pub(crate) struct IoTable {
    slots: Vec<(u32, Option<Entry>)>,
    free: Vec<usize>,
    /// The levels registered and the events held back (§8.1.3), by token.
    prio: PriorityQueues<(u64, Ready)>,
    /// Delivered, waiting for the run that calls the handler (see [`ran`]).
    delivered: Vec<u64>,
    /// To poll in the next round: delivered before the last run, or newly registered.
    recheck: Vec<u64>,
    /// Scratch: the tokens being polled this round (fired wakers, then `recheck`).
    polling: Vec<u64>,
    /// Scratch: the calls of this round, made after the table is released.
    calls: Vec<(Fwd<Ready>, Ready)>,
    round: u64,
}

impl IoTable {
    fn get(&mut self, token: u64) -> Option<&mut Entry> {
        entry(&mut self.slots, token)
    }
}

/// The live entry of `token`: `None` once its registration was dropped (even if the slot has
/// been reused).
fn entry(slots: &mut [(u32, Option<Entry>)], token: u64) -> Option<&mut Entry> {
    let (gen, slot) = slots.get_mut((token & 0xffff_ffff) as usize)?;
    if u64::from(*gen) == token >> 32 {
        slot.as_mut()
    } else {
        None
    }
}

/// Wakes the driver when tokio reports readiness for one registration.
struct TokenWake {
    token: u64,
    remote: Arc<Remote>,
}

impl Wake for TokenWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let mut fired = self
            .remote
            .fired
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        fired.push(self.token);
        let first = fired.len() == 1;
        drop(fired);
        // The driver takes the whole list at once, so a non-empty list means it was woken
        // after it last looked: one wake per batch of readiness (tokio reports them together).
        if first {
            self.remote.wake_task();
        }
    }
}

/// What one dispatch found, for `Activity`.
pub(crate) struct Found {
    pub(crate) activity: bool,
    pub(crate) io_pending: bool,
}

/// Polls the registrations that may have changed, then calls `Fwd`s by priority (§8.1.3 of
/// the API): the top level at once; otherwise the highest held level with a live event.
pub(crate) fn dispatch(shared: &Shared) -> Found {
    // The buffers are kept in the table between rounds, so a round allocates nothing.
    let mut calls = {
        let mut t = shared.io.borrow_mut();
        let t = &mut *t;
        std::mem::swap(
            &mut *shared
                .remote
                .fired
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            &mut t.polling,
        );
        if t.polling.is_empty() && t.recheck.is_empty() && !t.prio.has_held() {
            return Found {
                activity: false,
                io_pending: false,
            };
        }
        t.round += 1;
        let round = t.round;
        let mut polling = std::mem::take(&mut t.polling);
        polling.append(&mut t.recheck);
        let mut calls = std::mem::take(&mut t.calls);
        for &tok in &polling {
            let Some(e) = entry(&mut t.slots, tok) else {
                continue;
            };
            if e.held || e.queued || e.round == round {
                continue;
            }
            e.round = round;
            let Some(interest) = e.interest else { continue };
            let ready =
                e.io.poll_ready(&mut Context::from_waker(&e.waker), interest);
            if ready.is_empty() {
                continue;
            }
            match t.prio.offer(e.pri, (tok, ready)) {
                Some((tok, ready)) => {
                    e.queued = true;
                    calls.push((e.fwd.clone(), ready));
                    t.delivered.push(tok);
                }
                None => e.held = true,
            }
        }
        polling.clear();
        t.polling = polling;
        if calls.is_empty() {
            t.prio.dispatch_held(|(tok, ready)| {
                let Some(e) = entry(&mut t.slots, tok) else {
                    return false; // its registration was dropped while the event was held
                };
                e.held = false;
                e.queued = true;
                calls.push((e.fwd.clone(), ready));
                t.delivered.push(tok);
                true
            });
        }
        calls
    };
    let activity = !calls.is_empty();
    for (fwd, ready) in calls.drain(..) {
        fwd.fwd(ready);
    }
    let mut t = shared.io.borrow_mut();
    t.calls = calls;
    Found {
        activity,
        io_pending: t.prio.has_held(),
    }
}

/// The runtime has run since the last dispatch: the handlers of the delivered calls have run,
/// so their objects are polled again in the next round.
pub(crate) fn ran(shared: &Shared) {
    let mut t = shared.io.borrow_mut();
    let mut delivered = std::mem::take(&mut t.delivered);
    for &tok in &delivered {
        if let Some(e) = t.get(tok) {
            e.queued = false;
        }
    }
    t.recheck.append(&mut delivered);
    t.delivered = delivered;
}

/// A registered I/O object: dereferences to it (tokio's `try_read`, `try_write`, `try_io`
/// take `&self`). Dropping it unregisters and drops the object.
pub struct IoSource<S: TokioIo> {
    io: Rc<S>,
    token: u64,
    shared: Rc<Shared>,
}

impl<S: TokioIo> Deref for IoSource<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.io
    }
}

impl<S: TokioIo> IoSource<S> {
    /// Changes what is watched: `None` pauses deliveries (for backpressure), `Some` resumes
    /// them with that interest. A change is polled in the driver's next round.
    pub fn set_interest(&self, interest: Option<Interest>) {
        let mut t = self.shared.io.borrow_mut();
        match t.get(self.token) {
            Some(e) if e.interest != interest => {
                e.interest = interest;
                t.recheck.push(self.token);
            }
            _ => return,
        }
        drop(t);
        self.shared.remote.wake_task();
    }
}

impl<S: TokioIo> Drop for IoSource<S> {
    fn drop(&mut self) {
        // Taken out first: the entry's drop (its `Fwd`) may run user code.
        let entry = {
            let mut t = self.shared.io.borrow_mut();
            let index = (self.token & 0xffff_ffff) as usize;
            let (gen, slot) = &mut t.slots[index];
            let entry = slot.take();
            *gen = gen.wrapping_add(1);
            t.free.push(index);
            entry
        };
        drop(entry);
    }
}

impl TokioHandle {
    /// Registers `io` so that its readiness for `interest` arrives as `fwd` calls, with
    /// priority `pri` (clamped to `0..=10`, higher first, as in stakker-mio).
    ///
    /// The edge contract: a delivery when readiness appears; none while the call is queued;
    /// after the runtime has run the handler the object is polled again and readiness still
    /// set (the handler did not meet `WouldBlock`, or new data came) is delivered again. So
    /// nothing is stranded, and a handler that reads or writes until `WouldBlock` is called
    /// once per burst. Watch `WRITABLE` only while output is waiting (use
    /// [`IoSource::set_interest`]), as with tokio's own `writable()`: a writable socket stays
    /// ready and would be delivered every round.
    pub fn register<S: TokioIo>(
        &self,
        io: S,
        interest: Interest,
        pri: u32,
        fwd: Fwd<Ready>,
    ) -> IoSource<S> {
        let io = Rc::new(io);
        let mut t = self.shared.io.borrow_mut();
        let pri = t.prio.register(pri);
        let index = t.free.pop().unwrap_or_else(|| {
            t.slots.push((0, None));
            t.slots.len() - 1
        });
        let token = token(index, t.slots[index].0);
        let waker = Waker::from(Arc::new(TokenWake {
            token,
            remote: self.shared.remote.clone(),
        }));
        t.slots[index].1 = Some(Entry {
            io: io.clone(),
            interest: Some(interest),
            pri,
            fwd,
            waker,
            held: false,
            queued: false,
            round: 0,
        });
        t.recheck.push(token);
        drop(t);
        self.shared.remote.wake_task();
        IoSource {
            io,
            token,
            shared: self.shared.clone(),
        }
    }
}
