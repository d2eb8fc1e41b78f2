//! `Channel`: an unbounded cross-thread channel into an actor.

use super::mailbox::{self, Mailbox};
use crate::{Core, Fwd, Waker};
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::fmt;

/// An unbounded channel into the runtime: any number of senders on any threads, one
/// receiving [`Fwd`] on the runtime's thread. `Clone` (all clones feed one channel),
/// `Send + Sync`. Needs `std`.
///
/// [`send`](Self::send) appends the message and wakes the channel's [`Waker`]; the next
/// [`Stakker::poll_wake`](crate::Stakker::poll_wake) hands every message that has arrived to
/// the `Fwd`, one by one, in send order per sender (senders on different threads interleave
/// in arrival order). Dropping the [`ChannelGuard`] closes the channel: undelivered messages
/// are dropped, `send` returns `false` (dropping its message) and `is_closed` returns `true`.
/// Keep the guard in the receiving actor so that the channel closes when the actor dies.
///
/// For a channel with a capacity and backpressure see
/// [`BoundedChannel`](super::BoundedChannel).
///
/// ```
/// use stakker_core::sync::Channel;
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
/// let (chan, guard) = Channel::new(&mut s, Fwd::new(move |m: String| g.borrow_mut().push(m)));
/// let c = chan.clone();
/// std::thread::spawn(move || {
///     assert!(c.send("hello".to_string()));
///     assert!(c.send("world".to_string()));
/// })
/// .join()
/// .unwrap();
///
/// assert!(woken.swap(false, Ordering::SeqCst));
/// s.poll_wake();
/// assert_eq!(*got.borrow(), ["hello", "world"]);
///
/// drop(guard);
/// assert!(chan.is_closed());
/// assert!(!chan.send("lost".to_string()));
/// ```
pub struct Channel<M: Send> {
    tx: Arc<Tx<M>>,
}

struct Tx<M: Send> {
    mailbox: Arc<Mailbox<M>>,
    waker: Waker,
}

impl<M: Send> Clone for Channel<M> {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl<M: Send + 'static> Channel<M> {
    /// Creates a channel whose messages go to `fwd` on the runtime's thread. Returns the
    /// sending end and the guard that keeps it open. Registers a [`Waker`].
    ///
    /// # Panics
    ///
    /// Like [`Core::waker`]: if no poll waker is set, or without the `inter-thread` feature.
    #[track_caller]
    pub fn new(core: &mut Core, fwd: Fwd<M>) -> (Channel<M>, ChannelGuard) {
        let mailbox = Arc::new(Mailbox::new(usize::MAX));
        let (waker, rx) = mailbox::register(core, mailbox.clone(), fwd, usize::MAX, None);
        let guard = ChannelGuard {
            close: Some(Box::new(move || mailbox::close(&rx))),
        };
        (
            Channel {
                tx: Arc::new(Tx { mailbox, waker }),
            },
            guard,
        )
    }
}

impl<M: Send> Channel<M> {
    /// Appends `msg` and wakes the runtime (only if nothing was waiting: otherwise it has
    /// been woken already); `true`. Once the channel is closed, drops `msg` and returns
    /// `false`.
    pub fn send(&self, msg: M) -> bool {
        match self.tx.mailbox.try_push(msg) {
            Ok(was_empty) => {
                if was_empty {
                    self.tx.waker.wake();
                }
                true
            }
            Err(refused) => {
                drop(refused);
                false
            }
        }
    }

    /// Whether the channel is closed (its [`ChannelGuard`] was dropped). Once `true`, stays
    /// `true`.
    pub fn is_closed(&self) -> bool {
        self.tx.mailbox.is_closed()
    }
}

impl<M: Send> fmt::Debug for Channel<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Keeps a [`Channel`] open; dropping it closes the channel (undelivered messages are dropped,
/// later sends return `false`). Keep it in the receiving actor. Not `Send`, `Sync` or `Clone`.
pub struct ChannelGuard {
    close: Option<Box<dyn FnOnce()>>,
}

impl Drop for ChannelGuard {
    fn drop(&mut self) {
        if let Some(close) = self.close.take() {
            close();
        }
    }
}

impl fmt::Debug for ChannelGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChannelGuard")
    }
}
