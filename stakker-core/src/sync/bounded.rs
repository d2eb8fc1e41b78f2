//! `BoundedChannel`: a cross-thread channel with a capacity and backpressure.

use super::mailbox::{self, Mailbox, RxRef};
use crate::{Core, Fwd, Waker};
use alloc::sync::Arc;
use core::fmt;
use core::time::Duration;

/// Why [`BoundedChannel::try_send`] (or [`BoundedChannel::send_timeout`]) refused a message.
/// Either way the message comes back.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<M> {
    /// The channel holds `capacity` undelivered messages (or the timeout passed first). Try
    /// again later, or use [`BoundedChannel::send_blocking`].
    Full(M),
    /// The receiving side is gone (its [`BoundedChannelGuard`] was dropped). Nothing sent on
    /// this channel will ever be delivered again.
    Closed(M),
}

impl<M> TrySendError<M> {
    /// The refused message.
    pub fn into_inner(self) -> M {
        match self {
            TrySendError::Full(m) | TrySendError::Closed(m) => m,
        }
    }

    /// Whether the channel was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the channel was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<M> fmt::Debug for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<M> fmt::Display for TrySendError<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Closed(_) => f.write_str("sending on a closed channel"),
        }
    }
}

impl<M> core::error::Error for TrySendError<M> {}

/// The sending end of a bounded channel into an actor: any number of threads send, one
/// [`Fwd`] on the runtime's thread receives. `Clone`, `Send + Sync`. Needs `std`.
///
/// - **Capacity.** At most `capacity` messages are undelivered at once (queued, or taken by
///   the runtime and not yet handed to the `Fwd`). A sender then gets
///   [`TrySendError::Full`] from [`try_send`](Self::try_send) with its message back, or waits
///   in [`send_blocking`](Self::send_blocking) / [`send_timeout`](Self::send_timeout) until
///   the runtime frees space.
/// - **Batches.** Each wake-handler call (one per [`Stakker::poll_wake`](crate::Stakker::poll_wake))
///   hands at most `batch` messages to the `Fwd` (default: the capacity). If more are waiting
///   the handler wakes its own `Waker`, so the next batch comes in the next `poll_wake`, after
///   the host loop has had its turn: other actors' queued calls, timers and I/O are not
///   starved by a fast producer. Once every sender is gone the rest is handed over in batches
///   queued on the main queue.
/// - **Pause.** [`BoundedChannelGuard::set_paused`] stops delivery (messages queue up to the
///   capacity, then senders feel the backpressure); resuming arranges the next batch. A
///   typical actor pauses when it falls behind and resumes from an `idle!` call.
/// - **Closing.** Dropping the [`BoundedChannelGuard`] closes the channel: undelivered
///   messages are dropped, blocked senders return, and every later send gets
///   [`TrySendError::Closed`] (or `Err(msg)`). [`is_closed`](Self::is_closed) tells senders
///   the receiving side is gone.
///
/// ```
/// use stakker_core::sync::{BoundedChannel, TrySendError};
/// use stakker_core::{Fwd, Stakker};
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::{cell::RefCell, rc::Rc, time::Instant};
///
/// let mut s = Stakker::new(Instant::now());
/// let woken = Arc::new(AtomicBool::new(false));
/// let w = woken.clone();
/// s.set_poll_waker(move || w.store(true, Ordering::SeqCst));
///
/// let got = Rc::new(RefCell::new(Vec::new()));
/// let g = got.clone();
/// let (tx, guard) = BoundedChannel::new(&mut s, 2, Fwd::new(move |n: u32| g.borrow_mut().push(n)));
///
/// let tx2 = tx.clone();
/// let producer = std::thread::spawn(move || {
///     for n in 0..10 {
///         tx2.send_blocking(n).unwrap(); // waits while two messages are undelivered
///     }
/// });
/// while got.borrow().len() < 10 {
///     if woken.swap(false, Ordering::SeqCst) {
///         s.poll_wake(); // hands over at most one batch (2 messages)
///     } else {
///         std::thread::yield_now();
///     }
/// }
/// producer.join().unwrap();
/// assert_eq!(*got.borrow(), (0..10).collect::<Vec<_>>());
///
/// drop(guard); // the receiving side is gone
/// assert!(matches!(tx.try_send(99), Err(TrySendError::Closed(99))));
/// ```
pub struct BoundedChannel<M: Send + 'static> {
    tx: Arc<Tx<M>>,
}

struct Tx<M: Send + 'static> {
    mailbox: Arc<Mailbox<M>>,
    waker: Waker,
}

impl<M: Send + 'static> Clone for BoundedChannel<M> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<M: Send + 'static> BoundedChannel<M> {
    /// Creates a channel holding at most `capacity` undelivered messages (at least 1), whose
    /// messages go to `fwd` on the runtime's thread, in send order per sender. Returns the
    /// sending end and the guard that keeps the channel open. Registers a [`Waker`].
    ///
    /// # Panics
    ///
    /// Like [`Core::waker`]: if no poll waker is set, or without the `inter-thread` feature.
    #[track_caller]
    pub fn new(
        core: &mut Core,
        capacity: usize,
        fwd: Fwd<M>,
    ) -> (BoundedChannel<M>, BoundedChannelGuard<M>) {
        let capacity = capacity.max(1);
        let mailbox = Arc::new(Mailbox::new(capacity));
        let (waker, rx) = mailbox::register(core, mailbox.clone(), fwd, capacity, None);
        (
            BoundedChannel {
                tx: Arc::new(Tx { mailbox, waker }),
            },
            BoundedChannelGuard { rx },
        )
    }

    /// Sends `msg` if there is space. Never blocks. On success the runtime is woken (unless
    /// messages were already waiting, for which it has been woken).
    pub fn try_send(&self, msg: M) -> Result<(), TrySendError<M>> {
        if self.tx.mailbox.try_push(msg)? {
            self.tx.waker.wake();
        }
        Ok(())
    }

    /// Sends `msg`, waiting as long as the channel is full. `Err(msg)` if the channel is (or
    /// becomes, while waiting) closed.
    ///
    /// # Panics
    ///
    /// If it would have to wait on the runtime's own thread (the thread that created the
    /// channel), where waiting could never end; use [`try_send`](Self::try_send) there.
    #[track_caller]
    pub fn send_blocking(&self, msg: M) -> Result<(), M> {
        match self
            .tx
            .mailbox
            .push_wait(msg, None, "BoundedChannel::send_blocking")
        {
            Ok(was_empty) => {
                if was_empty {
                    self.tx.waker.wake();
                }
                Ok(())
            }
            Err(e) => Err(e.into_inner()),
        }
    }

    /// Like [`send_blocking`](Self::send_blocking), but waits at most `timeout`;
    /// [`TrySendError::Full`] if the channel is still full then.
    ///
    /// # Panics
    ///
    /// If it would have to wait on the runtime's own thread.
    #[track_caller]
    pub fn send_timeout(&self, msg: M, timeout: Duration) -> Result<(), TrySendError<M>> {
        let deadline = std::time::Instant::now().checked_add(timeout);
        let was_empty = self
            .tx
            .mailbox
            .push_wait(msg, deadline, "BoundedChannel::send_timeout")?;
        if was_empty {
            self.tx.waker.wake();
        }
        Ok(())
    }

    /// Whether the receiving side is gone. Once `true`, stays `true`.
    pub fn is_closed(&self) -> bool {
        self.tx.mailbox.is_closed()
    }

    /// The capacity the channel was created with (at least 1).
    pub fn capacity(&self) -> usize {
        self.tx.mailbox.capacity()
    }

    /// Messages not yet handed to the receiving `Fwd` (a snapshot).
    pub fn len(&self) -> usize {
        self.tx.mailbox.len()
    }

    /// Whether no message is waiting (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<M: Send + 'static> fmt::Debug for BoundedChannel<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedChannel")
            .field("capacity", &self.capacity())
            .field("closed", &self.is_closed())
            .field("blocked_senders", &self.tx.mailbox.blocked())
            .finish()
    }
}

/// The receiving side of a [`BoundedChannel`], kept by the receiving actor. Dropping it closes
/// the channel (undelivered messages are dropped, senders get `Closed`). Controls delivery:
/// pause, resume and batch size. Not `Send`, `Sync` or `Clone`.
pub struct BoundedChannelGuard<M: Send + 'static> {
    rx: RxRef<M>,
}

impl<M: Send + 'static> BoundedChannelGuard<M> {
    /// Pauses (`true`) or resumes (`false`) delivery. While paused, nothing is handed to the
    /// `Fwd` (a batch being handed over stops after the current message, and the rest goes
    /// back to the front of the queue); senders keep filling the channel up to its capacity.
    /// Resuming arranges the next batch (through the poll waker). Typically the actor pauses
    /// when it falls behind and resumes from `idle!`.
    pub fn set_paused(&self, paused: bool) {
        mailbox::set_paused(&self.rx, paused);
    }

    /// Whether delivery is paused.
    pub fn is_paused(&self) -> bool {
        mailbox::is_paused(&self.rx)
    }

    /// Sets the most messages handed over per wake-handler call (at least 1; default: the
    /// capacity).
    pub fn set_batch(&self, batch: usize) {
        mailbox::set_batch(&self.rx, batch);
    }

    /// Messages not yet handed to the `Fwd` (a snapshot).
    pub fn len(&self) -> usize {
        mailbox::mailbox(&self.rx).len()
    }

    /// Whether no message is waiting (a snapshot).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The channel's capacity.
    pub fn capacity(&self) -> usize {
        mailbox::mailbox(&self.rx).capacity()
    }
}

impl<M: Send + 'static> Drop for BoundedChannelGuard<M> {
    fn drop(&mut self) {
        mailbox::close(&self.rx);
    }
}
