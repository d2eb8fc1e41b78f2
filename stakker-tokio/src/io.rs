//! Tokio I/O readiness delivered as `Fwd<Ready>` calls, with stakker-mio's priorities.

use crate::driver::{Remote, Shared, TokioHandle};
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
pub const MAX_PRI: u32 = 10;

/// Readiness flags of one delivery: the same accessors as stakker-mio's `Ready`.
///
/// Sockets polled through `poll_read_ready`/`poll_write_ready` (`TcpStream`, `UdpSocket`,
/// `UnixStream`, [`Listener`]) report only readable and writable (a closed or failed socket
/// reads as ready; the next `try_read`/`try_write` tells which). `AsyncFd` reports every flag
/// tokio knows (readable, writable, read/write closed, error, priority); `is_aio` and `is_lio`
/// are always `false` (tokio has no such events).
///
/// ```
/// use stakker_tokio::Ready;
/// let r = Ready::from(tokio::io::Ready::READABLE | tokio::io::Ready::READ_CLOSED);
/// assert!(r.is_readable() && r.is_read_closed() && !r.is_writable());
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub struct Ready(u8);

const READABLE: u8 = 1;
const WRITABLE: u8 = 2;
const ERROR: u8 = 4;
const READ_CLOSED: u8 = 8;
const WRITE_CLOSED: u8 = 16;
const PRIORITY: u8 = 32;

impl Ready {
    /// Readable (or at end of stream, or failed).
    pub fn is_readable(&self) -> bool {
        self.0 & READABLE != 0
    }
    /// Writable (or failed).
    pub fn is_writable(&self) -> bool {
        self.0 & WRITABLE != 0
    }
    /// An error is pending (or polling readiness failed).
    pub fn is_error(&self) -> bool {
        self.0 & ERROR != 0
    }
    /// The read side is closed.
    pub fn is_read_closed(&self) -> bool {
        self.0 & READ_CLOSED != 0
    }
    /// The write side is closed.
    pub fn is_write_closed(&self) -> bool {
        self.0 & WRITE_CLOSED != 0
    }
    /// Priority data is readable.
    pub fn is_priority(&self) -> bool {
        self.0 & PRIORITY != 0
    }
    /// Always `false`: tokio reports no AIO events.
    pub fn is_aio(&self) -> bool {
        false
    }
    /// Always `false`: tokio reports no LIO events.
    pub fn is_lio(&self) -> bool {
        false
    }
    /// Readable only.
    pub const READABLE: Ready = Ready(READABLE);
    /// Writable only.
    pub const WRITABLE: Ready = Ready(WRITABLE);
    /// Error only.
    pub const ERROR: Ready = Ready(ERROR);

    fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for Ready {
    type Output = Ready;
    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl From<tokio::io::Ready> for Ready {
    fn from(r: tokio::io::Ready) -> Ready {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        Ready(
            bit(r.is_readable(), READABLE)
                | bit(r.is_writable(), WRITABLE)
                | bit(r.is_error(), ERROR)
                | bit(r.is_read_closed(), READ_CLOSED)
                | bit(r.is_write_closed(), WRITE_CLOSED)
                | bit(r.is_priority(), PRIORITY),
        )
    }
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
fn dir(p: Poll<io::Result<()>>, flag: u8) -> Ready {
    match p {
        Poll::Pending => Ready(0),
        Poll::Ready(Ok(())) => Ready(flag),
        Poll::Ready(Err(_)) => Ready(flag | ERROR),
    }
}

macro_rules! rw_ready {
    ($ty:ty, $read:ident, $write:ident) => {
        impl TokioIo for $ty {
            fn poll_ready(&self, cx: &mut Context<'_>, interest: Interest) -> Ready {
                let mut r = Ready(0);
                if interest.is_readable() {
                    r = r | dir(self.$read(cx), READABLE);
                }
                if interest.is_writable() {
                    r = r | dir(self.$write(cx), WRITABLE);
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
        let mut r = Ready(0);
        if interest.is_readable() {
            match self.poll_read_ready(cx) {
                Poll::Ready(Ok(g)) => r = r | Ready::from(g.ready()),
                Poll::Ready(Err(_)) => r = r | Ready(READABLE | ERROR),
                Poll::Pending => {}
            }
        }
        if interest.is_writable() {
            match self.poll_write_ready(cx) {
                Poll::Ready(Ok(g)) => r = r | Ready::from(g.ready()),
                Poll::Ready(Err(_)) => r = r | Ready(WRITABLE | ERROR),
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
            return Ready(0);
        }
        let mut waker = self.waker.borrow_mut();
        if !waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            *waker = Some(cx.waker().clone());
        }
        if self.accepted.borrow().is_empty() {
            match self.inner.poll_accept(cx) {
                Poll::Ready(r) => self.accepted.borrow_mut().push_back(r),
                Poll::Pending => return Ready(0),
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
    /// The highest priority ever registered; never goes down.
    top: u32,
    held: [VecDeque<(u64, Ready)>; MAX_PRI as usize + 1],
    /// How many events `held` has, in all levels.
    held_count: usize,
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
        let (gen, slot) = self.slots.get_mut((token & 0xffff_ffff) as usize)?;
        if u64::from(*gen) == token >> 32 {
            slot.as_mut()
        } else {
            None
        }
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
        if t.polling.is_empty() && t.recheck.is_empty() && t.held_count == 0 {
            return Found {
                activity: false,
                io_pending: false,
            };
        }
        t.round += 1;
        let (round, top) = (t.round, t.top);
        let mut polling = std::mem::take(&mut t.polling);
        polling.append(&mut t.recheck);
        let mut calls = std::mem::take(&mut t.calls);
        for &tok in &polling {
            let Some(e) = t.get(tok) else { continue };
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
            if e.pri >= top {
                e.queued = true;
                calls.push((e.fwd.clone(), ready));
                t.delivered.push(tok);
            } else {
                e.held = true;
                let pri = e.pri as usize;
                t.held[pri].push_back((tok, ready));
                t.held_count += 1;
            }
        }
        polling.clear();
        t.polling = polling;
        if calls.is_empty() && t.held_count > 0 {
            for pri in (0..top as usize).rev() {
                while let Some((tok, ready)) = t.held[pri].pop_front() {
                    t.held_count -= 1;
                    if let Some(e) = t.get(tok) {
                        e.held = false;
                        e.queued = true;
                        calls.push((e.fwd.clone(), ready));
                        t.delivered.push(tok);
                    }
                }
                if !calls.is_empty() {
                    break;
                }
            }
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
        io_pending: t.held_count > 0,
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
        let pri = pri.min(MAX_PRI);
        let mut t = self.shared.io.borrow_mut();
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
        t.top = t.top.max(pri);
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
