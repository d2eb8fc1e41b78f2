//! The mailbox: the message queue shared by sending threads and the runtime, and the
//! runtime-side delivery loop used by `Channel`, `BoundedChannel` and `PipedThread`.
//!
//! Why a `Mutex<VecDeque>` and not a lock-free queue: the runtime takes a whole batch per
//! lock (a swap when it takes everything), delivers outside the lock, and runs no user code
//! under it, so the lock is only ever held for a push or a swap and contention stays low;
//! closing, the capacity check and blocking senders (`Condvar`) then need no extra protocol
//! (a send either gets in before the close, and is dropped by it, or sees the close), order is
//! exactly arrival order, and no dependency or `unsafe` code is needed.

use super::bounded::TrySendError;
use super::wake::SelfWake;
use crate::{Core, Deferrer, Fwd, Waker};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::sync::Arc;
use core::cell::RefCell;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, ThreadId};
use std::time::Instant as StdInstant;

/// Messages on their way from other threads to the runtime.
pub(super) struct Mailbox<M> {
    state: Mutex<State<M>>,
    /// Signalled when space frees up or the queue closes.
    space: Condvar,
    capacity: usize,
    /// The runtime's thread: a send that would block there panics instead of deadlocking.
    runtime_thread: ThreadId,
}

struct State<M> {
    items: VecDeque<M>,
    /// Taken by the runtime and not yet handed over; still counts against the capacity.
    in_flight: usize,
    closed: bool,
    /// Senders waiting for space.
    blocked: usize,
}

impl<M> Mailbox<M> {
    /// A queue holding at most `capacity` undelivered messages (`usize::MAX`: unbounded).
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                items: VecDeque::new(),
                in_flight: 0,
                closed: false,
                blocked: 0,
            }),
            space: Condvar::new(),
            capacity,
            runtime_thread: thread::current().id(),
        }
    }

    /// No user code runs under the lock, so a poisoned lock only means a thread died between
    /// two of our own statements; the state is still consistent.
    fn lock(&self) -> MutexGuard<'_, State<M>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Undelivered messages, including a batch being handed over right now.
    pub(super) fn len(&self) -> usize {
        let st = self.lock();
        st.items.len() + st.in_flight
    }

    /// Senders waiting for space (a snapshot; shown by `Debug`).
    pub(super) fn blocked(&self) -> usize {
        self.lock().blocked
    }

    pub(super) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Appends `msg` unless the queue is closed or full. `Ok(true)` if the queue was empty,
    /// when the sender must wake the runtime.
    ///
    /// Waking only then is enough: messages that were already waiting have a delivery
    /// arranged that has not taken them yet. They arrived on an empty queue (whose sender
    /// woke the runtime), or were put back by `finish`, which reports them so that the next
    /// delivery is arranged; a delivery that finds the receiver paused leaves them for
    /// `set_paused` to rearrange. `take` and every push hold the lock, so a push either lands
    /// before a take (which takes it along) or finds what the take left. This saves the
    /// waker's locked `fetch_or` on every message but the first of a burst.
    pub(super) fn try_push(&self, msg: M) -> Result<bool, TrySendError<M>> {
        let mut st = self.lock();
        if st.closed {
            Err(TrySendError::Closed(msg))
        } else if st.items.len() + st.in_flight >= self.capacity {
            Err(TrySendError::Full(msg))
        } else {
            st.items.push_back(msg);
            Ok(st.items.len() == 1)
        }
    }

    /// Appends `msg`, waiting for space until `deadline` (forever if `None`). `Full` only on
    /// timeout. `Ok(true)` if the queue was empty, as for `try_push`.
    ///
    /// Panics (naming `api`) instead of waiting on the runtime's own thread, which is the only
    /// thread that can make space.
    #[track_caller]
    pub(super) fn push_wait(
        &self,
        msg: M,
        deadline: Option<StdInstant>,
        api: &str,
    ) -> Result<bool, TrySendError<M>> {
        let mut st = self.lock();
        loop {
            if st.closed {
                return Err(TrySendError::Closed(msg));
            }
            if st.items.len() + st.in_flight < self.capacity {
                st.items.push_back(msg);
                return Ok(st.items.len() == 1);
            }
            if thread::current().id() == self.runtime_thread {
                drop(st);
                panic!(
                    "{api}: called on the runtime's own thread while the channel is full; \
                     waiting here would deadlock (use try_send on the runtime's thread)"
                );
            }
            st.blocked += 1;
            st = match deadline {
                None => self.space.wait(st).unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let now = StdInstant::now();
                    if now >= deadline {
                        st.blocked -= 1;
                        return Err(TrySendError::Full(msg));
                    }
                    match self.space.wait_timeout(st, deadline - now) {
                        Ok((g, _)) => g,
                        Err(e) => e.into_inner().0,
                    }
                }
            };
            st.blocked -= 1;
        }
    }

    /// Closes the queue, wakes blocked senders and returns the undelivered messages (for the
    /// caller to drop outside the lock).
    pub(super) fn close(&self) -> VecDeque<M> {
        let mut st = self.lock();
        st.closed = true;
        let items = core::mem::take(&mut st.items);
        if st.blocked > 0 {
            self.space.notify_all();
        }
        items
    }

    /// Moves up to `max` messages into the empty `out`; they stay counted until `finish`.
    fn take(&self, max: usize, out: &mut VecDeque<M>) {
        let mut st = self.lock();
        let n = max.min(st.items.len());
        if n == st.items.len() {
            core::mem::swap(out, &mut st.items);
        } else {
            out.extend(st.items.drain(..n));
        }
        st.in_flight += n;
    }

    /// Ends the hand-over of `taken` messages: `back` (not handed over, in order) returns to
    /// the front, or is returned for dropping if the queue closed meanwhile. Wakes blocked
    /// senders. Returns whether messages are waiting.
    fn finish(&self, taken: usize, back: &mut VecDeque<M>) -> (bool, VecDeque<M>) {
        let mut st = self.lock();
        st.in_flight = st.in_flight.saturating_sub(taken);
        let dropped = if st.closed {
            core::mem::take(back)
        } else {
            while let Some(m) = back.pop_back() {
                st.items.push_front(m);
            }
            VecDeque::new()
        };
        if st.blocked > 0 {
            self.space.notify_all();
        }
        (!st.items.is_empty(), dropped)
    }
}

/// The runtime side of one queue: where messages go and how fast.
pub(super) struct Rx<M: 'static> {
    mailbox: Arc<Mailbox<M>>,
    /// `None` once the receiving side closed (or delivery ended).
    fwd: Option<Fwd<M>>,
    paused: bool,
    /// Most messages handed over per delivery.
    batch: usize,
    /// Marks the waker again for the next batch; `None` after the final wake call.
    rewake: Option<SelfWake>,
    /// The `Waker` was dropped: nothing more will arrive.
    senders_gone: bool,
    /// Runs once when the senders are gone and everything was handed over.
    on_end: Option<Box<dyn FnOnce()>>,
    deferrer: Deferrer,
    delivering: bool,
    spare: VecDeque<M>,
}

pub(super) type RxRef<M> = Rc<RefCell<Rx<M>>>;

/// Registers the waker whose handler delivers from `mailbox` to `fwd`, at most `batch` messages
/// per call.
#[track_caller]
pub(super) fn register<M: Send + 'static>(
    core: &mut Core,
    mailbox: Arc<Mailbox<M>>,
    fwd: Fwd<M>,
    batch: usize,
    on_end: Option<Box<dyn FnOnce()>>,
) -> (Waker, RxRef<M>) {
    let rx = Rc::new(RefCell::new(Rx {
        mailbox,
        fwd: Some(fwd),
        paused: false,
        batch: batch.max(1),
        rewake: None,
        senders_gone: false,
        on_end,
        deferrer: core.deferrer(),
        delivering: false,
        spare: VecDeque::new(),
    }));
    let r = rx.clone();
    let waker = core.waker(move |_, last| {
        if last {
            let mut rx = r.borrow_mut();
            rx.rewake = None;
            rx.senders_gone = true;
        }
        deliver(&r);
    });
    rx.borrow_mut().rewake = Some(waker.self_wake());
    (waker, rx)
}

/// Closes from the receiving side: drops undelivered messages, refuses later sends.
pub(super) fn close<M: 'static>(rx: &RxRef<M>) {
    let (mailbox, fwd, on_end) = {
        let mut r = rx.borrow_mut();
        (r.mailbox.clone(), r.fwd.take(), r.on_end.take())
    };
    let dropped = mailbox.close();
    drop((dropped, fwd, on_end));
}

pub(super) fn set_paused<M: 'static>(rx: &RxRef<M>, paused: bool) {
    let mut r = rx.borrow_mut();
    let resumed = r.paused && !paused;
    r.paused = paused;
    if resumed {
        schedule(rx, &r);
    }
}

pub(super) fn is_paused<M: 'static>(rx: &RxRef<M>) -> bool {
    rx.borrow().paused
}

pub(super) fn set_batch<M: 'static>(rx: &RxRef<M>, batch: usize) {
    rx.borrow_mut().batch = batch.max(1);
}

pub(super) fn mailbox<M: 'static>(rx: &RxRef<M>) -> Arc<Mailbox<M>> {
    rx.borrow().mailbox.clone()
}

/// Arranges another delivery: through the waker while the senders exist (so each batch goes
/// through the host loop, which keeps I/O and timers fair), else on the main queue.
fn schedule<M: 'static>(rx: &RxRef<M>, r: &Rx<M>) {
    match &r.rewake {
        Some(w) => w.wake(),
        None => {
            let rx = rx.clone();
            r.deferrer.defer(move |_| deliver(&rx));
        }
    }
}

/// Hands at most one batch to the `Fwd`, in order, then arranges the next batch if messages
/// remain, or ends delivery once the senders are gone and all is handed over.
fn deliver<M: 'static>(rx: &RxRef<M>) {
    let (fwd, batch, mailbox, buf) = {
        let mut r = rx.borrow_mut();
        if r.paused || r.delivering {
            return;
        }
        let Some(fwd) = r.fwd.clone() else {
            return;
        };
        r.delivering = true;
        (
            fwd,
            r.batch,
            r.mailbox.clone(),
            core::mem::take(&mut r.spare),
        )
    };
    let mut d = Delivery {
        rx,
        mailbox,
        buf,
        taken: 0,
        unwinding: true,
    };
    d.mailbox.take(batch, &mut d.buf);
    d.taken = d.buf.len();
    while let Some(m) = d.buf.pop_front() {
        fwd.fwd(m);
        let r = rx.borrow();
        if r.fwd.is_none() || r.paused {
            break;
        }
    }
    d.unwinding = false;
    let on_end = d.end();
    drop(d);
    if let Some(f) = on_end {
        f();
    }
}

/// One batch being handed over. Dropped normally or while a `Fwd` panics: either way the
/// messages not handed over go back to the front of the queue and the next delivery is
/// arranged, so nothing is lost or reordered.
struct Delivery<'a, M: 'static> {
    rx: &'a RxRef<M>,
    mailbox: Arc<Mailbox<M>>,
    buf: VecDeque<M>,
    taken: usize,
    unwinding: bool,
}

impl<M: 'static> Delivery<'_, M> {
    /// Returns the undelivered messages, clears `delivering`, and arranges what comes next.
    /// Returns the end callback if it is due now (never while unwinding: then it is left for
    /// a delivery queued on the main queue).
    fn end(&mut self) -> Option<Box<dyn FnOnce()>> {
        let taken = core::mem::take(&mut self.taken);
        let (more, dropped) = self.mailbox.finish(taken, &mut self.buf);
        let mut r = self.rx.borrow_mut();
        r.delivering = false;
        r.spare = core::mem::take(&mut self.buf);
        let mut on_end = None;
        if r.fwd.is_some() && !r.paused {
            let ending = !more && r.senders_gone;
            if more || (ending && self.unwinding) {
                schedule(self.rx, &r);
            } else if ending {
                r.fwd = None;
                on_end = r.on_end.take();
            }
        }
        drop(r);
        drop(dropped);
        on_end
    }
}

impl<M: 'static> Drop for Delivery<'_, M> {
    fn drop(&mut self) {
        if self.unwinding {
            self.end();
        }
    }
}
