//! `PipedThread` and `PipedLink`: a worker thread with a queue each way.

use super::mailbox::{self, Mailbox};
use crate::{Core, Fwd, Waker};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use core::any::Any;
use core::fmt;
use core::marker::PhantomData;
use core::panic::AssertUnwindSafe;
use core::sync::atomic::{AtomicBool, Ordering};
use std::panic::catch_unwind;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Messages from the runtime to the worker, and the cancel flag.
struct Inbox<O> {
    state: Mutex<InboxState<O>>,
    ready: Condvar,
    /// Mirror of `state.cancelled`, readable without the lock.
    cancelled: AtomicBool,
}

struct InboxState<O> {
    items: VecDeque<O>,
    cancelled: bool,
}

impl<O> Inbox<O> {
    fn lock(&self) -> MutexGuard<'_, InboxState<O>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A worker thread connected to the runtime by a queue in each direction, made by
/// [`PipedThread::spawn`]. The actor keeps the `PipedThread`; the thread gets a
/// [`PipedLink`]. Needs `std`.
///
/// - [`PipedThread::send`] queues an `O` for the thread and wakes it if it is waiting in
///   [`PipedLink::recv`].
/// - [`PipedLink::send`] queues an `I` and wakes the runtime, which hands every `I` to
///   `fwd_recv`, in order, in its next [`Stakker::poll_wake`](crate::Stakker::poll_wake).
/// - When the thread's function returns or panics, the link is dropped; the runtime then
///   delivers the remaining `I`s and calls `fwd_term` once: `None` for a normal return,
///   `Some(text)` for a panic (the panic message if it is a `String` or `&str`). A panic is
///   never lost.
/// - Dropping the `PipedThread` cancels the thread: queued `O`s are dropped, `recv` returns
///   `None`, `PipedLink::send` returns `false` and `cancel()` returns `true`; the thread
///   should then return.
///
/// `Send + Sync`, not `Clone`.
///
/// ```
/// use stakker_core::sync::PipedThread;
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
/// let ended = Rc::new(RefCell::new(None));
/// let (g, e) = (got.clone(), ended.clone());
/// let mut pipe: PipedThread<u64, u64> = PipedThread::spawn(
///     Fwd::new(move |n: u64| g.borrow_mut().push(n)),
///     Fwd::new(move |term: Option<String>| *e.borrow_mut() = Some(term)),
///     &mut s,
///     |link| {
///         // The worker: square numbers until told to stop (0).
///         while let Some(n) = link.recv() {
///             if n == 0 {
///                 return;
///             }
///             link.send(n * n);
///         }
///     },
/// );
/// pipe.send(3);
/// pipe.send(4);
/// pipe.send(0);
/// while ended.borrow().is_none() {
///     if woken.swap(false, Ordering::SeqCst) {
///         s.poll_wake();
///     } else {
///         std::thread::yield_now();
///     }
/// }
/// assert_eq!(*got.borrow(), [9, 16]);
/// assert_eq!(*ended.borrow(), Some(None)); // returned normally
/// ```
pub struct PipedThread<O: Send + 'static, I: Send + 'static> {
    inbox: Arc<Inbox<O>>,
    _recv: PhantomData<fn(I)>,
}

/// The worker thread's end of a [`PipedThread`]. `Send + Sync`, not `Clone`.
pub struct PipedLink<O: Send + 'static, I: Send + 'static> {
    inbox: Arc<Inbox<O>>,
    outbox: Arc<Mailbox<I>>,
    waker: Waker,
}

impl<O: Send + 'static, I: Send + 'static> PipedThread<O, I> {
    /// Starts a thread running `run(&mut link)`. Messages the thread sends go to `fwd_recv`;
    /// when `run` returns or panics, `fwd_term` gets `None` or `Some(panic text)` after the
    /// last message. `core` comes third so that `fwd_to!([cx], ..)` can be written inline in
    /// the first two arguments. Registers a [`Waker`], held by the link.
    ///
    /// # Panics
    ///
    /// Like [`Core::waker`] (no poll waker set, or no `inter-thread` feature), and if the
    /// thread cannot be started.
    #[track_caller]
    pub fn spawn(
        fwd_recv: Fwd<I>,
        fwd_term: Fwd<Option<String>>,
        core: &mut Core,
        run: impl FnOnce(&mut PipedLink<O, I>) + Send + 'static,
    ) -> PipedThread<O, I> {
        let inbox = Arc::new(Inbox {
            state: Mutex::new(InboxState {
                items: VecDeque::new(),
                cancelled: false,
            }),
            ready: Condvar::new(),
            cancelled: AtomicBool::new(false),
        });
        let outbox = Arc::new(Mailbox::new(usize::MAX));
        let term: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
        let t = term.clone();
        let on_end: Box<dyn FnOnce()> = Box::new(move || {
            let text = t.lock().unwrap_or_else(PoisonError::into_inner).take();
            fwd_term.fwd(text);
        });
        let (waker, _rx) =
            mailbox::register(core, outbox.clone(), fwd_recv, usize::MAX, Some(on_end));
        let mut link = PipedLink {
            inbox: inbox.clone(),
            outbox,
            waker,
        };
        let spawned = std::thread::Builder::new()
            .name("stakker-piped".into())
            .spawn(move || {
                let result = catch_unwind(AssertUnwindSafe(|| run(&mut link)));
                if let Err(payload) = result {
                    let text = panic_text(&*payload);
                    *term.lock().unwrap_or_else(PoisonError::into_inner) = Some(text);
                    drop(payload);
                }
                // Dropping the link drops the waker: the runtime delivers what is left, then
                // calls `fwd_term`.
                drop(link);
            });
        if let Err(e) = spawned {
            panic!("PipedThread::spawn: cannot start the worker thread: {e}");
        }
        PipedThread {
            inbox,
            _recv: PhantomData,
        }
    }

    /// Queues `msg` for the thread and wakes it if it is waiting in [`PipedLink::recv`].
    pub fn send(&mut self, msg: O) {
        let mut st = self.inbox.lock();
        st.items.push_back(msg);
        drop(st);
        self.inbox.ready.notify_one();
    }
}

impl<O: Send + 'static, I: Send + 'static> Drop for PipedThread<O, I> {
    /// Cancels the thread: `recv` returns `None` from now on and queued messages are dropped.
    fn drop(&mut self) {
        let mut st = self.inbox.lock();
        st.cancelled = true;
        self.inbox.cancelled.store(true, Ordering::SeqCst);
        let items = core::mem::take(&mut st.items);
        drop(st);
        self.inbox.ready.notify_all();
        drop(items);
    }
}

impl<O: Send + 'static, I: Send + 'static> PipedLink<O, I> {
    /// Queues `msg` for the runtime and wakes it; `true`. `false` (and `msg` is dropped) once
    /// the `PipedThread` has been dropped.
    pub fn send(&mut self, msg: I) -> bool {
        if self.inbox.cancelled.load(Ordering::SeqCst) {
            return false;
        }
        match self.outbox.try_push(msg) {
            Ok(was_empty) => {
                if was_empty {
                    self.waker.wake();
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Waits for the next message from the runtime. `None` once the `PipedThread` has been
    /// dropped, even if messages were still queued; the thread should then return.
    pub fn recv(&mut self) -> Option<O> {
        let mut st = self.inbox.lock();
        loop {
            if st.cancelled {
                return None;
            }
            if let Some(msg) = st.items.pop_front() {
                return Some(msg);
            }
            st = self
                .inbox
                .ready
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Whether the `PipedThread` has been dropped (the thread should return).
    pub fn cancel(&mut self) -> bool {
        self.inbox.cancelled.load(Ordering::SeqCst)
    }
}

impl<O: Send + 'static, I: Send + 'static> fmt::Debug for PipedThread<O, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PipedThread")
    }
}

impl<O: Send + 'static, I: Send + 'static> fmt::Debug for PipedLink<O, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PipedLink")
            .field("cancelled", &self.inbox.cancelled.load(Ordering::SeqCst))
            .finish()
    }
}

/// The text `fwd_term` gets for a panic payload.
fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&'static str>() {
        String::from(*s)
    } else {
        String::from("PipedThread: the worker thread panicked with a payload of unknown type")
    }
}
