//! Bridges between futures and actors, both ways.

use crate::driver::{Shared, TokioHandle};
use futures_core::Stream;
use stakker_core::sync::{Channel, ChannelGuard};
use stakker_core::{Core, Fwd, Ret, Stakker};
use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

/// Owns a bridged task: dropping it cancels the task (its future or stream is dropped the next
/// time tokio runs the set, and a pending `Ret` then reports `None`). Keep it in the actor
/// that wants the result, so the task ends with the actor.
#[derive(Debug)]
#[must_use = "dropping the guard cancels the task"]
pub struct TaskGuard(Option<AbortHandle>);

impl TaskGuard {
    /// Lets the task run on without the guard (it still ends with the driver, for local
    /// tasks, or with its runtime).
    pub fn detach(mut self) {
        self.0 = None;
    }

    /// Whether the task has finished (completed, or been cancelled and dropped).
    pub fn is_finished(&self) -> bool {
        self.0.as_ref().map_or(true, AbortHandle::is_finished)
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if let Some(h) = self.0.take() {
            h.abort();
        }
    }
}

/// Delivers a local task's output, or `None` if the task is dropped first, and wakes the
/// driver either way.
struct Reply<T: 'static> {
    ret: Option<Ret<T>>,
    shared: Rc<Shared>,
}

impl<T> Reply<T> {
    fn send(mut self, out: T) {
        if let Some(ret) = self.ret.take() {
            ret.ret(out);
        }
    }
}

impl<T> Drop for Reply<T> {
    fn drop(&mut self) {
        drop(self.ret.take());
        self.shared.kick();
    }
}

/// Stream credit: how many more items may be taken before the actor has handled earlier ones.
struct Credit {
    free: Cell<usize>,
    waker: RefCell<Option<Waker>>,
}

impl Credit {
    fn release(&self) {
        self.free.set(self.free.get() + 1);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    fn poll_acquire(&self, cx: &mut Context<'_>) -> Poll<()> {
        match self.free.get() {
            0 => {
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
            n => {
                self.free.set(n - 1);
                Poll::Ready(())
            }
        }
    }
}

impl TokioHandle {
    /// Runs `future` on the driver's `LocalSet` and delivers its output through `ret`
    /// (queued on the runtime as usual). Dropping the returned guard cancels it: the future
    /// is dropped and `ret` reports `None`. If the driver has finished, the future is dropped
    /// at once and `ret` reports `None`.
    ///
    /// ```
    /// use stakker_core::{ret_shutdown, Ret, Stakker, StopCause};
    /// use stakker_tokio::TokioDriver;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut s = Stakker::new(stakker_tokio::now());
    /// let driver = TokioDriver::new(&mut s);
    /// let d = s.deferrer();
    /// let done = Ret::new(move |n: Option<u32>| {
    ///     assert_eq!(n, Some(42));
    ///     d.defer(|s| s.shutdown(StopCause::Stopped));
    /// });
    /// let guard = driver.handle().spawn(async { 42 }, done);
    /// assert!(driver.run(s).await.is_some());
    /// assert!(guard.is_finished());
    /// # });
    /// ```
    pub fn spawn<T: 'static>(
        &self,
        future: impl Future<Output = T> + 'static,
        ret: Ret<T>,
    ) -> TaskGuard {
        let reply = Reply {
            ret: Some(ret),
            shared: self.shared.clone(),
        };
        let Some(set) = self.local_set() else {
            return TaskGuard(None);
        };
        let task = set.spawn_local(async move { reply.send(future.await) });
        TaskGuard(Some(task.abort_handle()))
    }

    /// Forwards `stream`'s items to `fwd` as `Some(item)`, then `None` once at its end.
    ///
    /// Backpressure: at most `window` (at least 1) items are taken from the stream ahead of
    /// the actor; the next item is polled only after the call delivering an earlier one has
    /// run (a marker queued behind each call releases its slot). Dropping the guard cancels:
    /// the stream is dropped; items already queued are still delivered; no `None` follows.
    pub fn forward_stream<T: 'static>(
        &self,
        stream: impl Stream<Item = T> + 'static,
        window: usize,
        fwd: Fwd<Option<T>>,
    ) -> TaskGuard {
        let mut stream = Box::pin(stream);
        self.pump(window, fwd, move |cx| stream.as_mut().poll_next(cx))
    }

    /// Forwards a bounded tokio `mpsc` receiver like [`forward_stream`](Self::forward_stream):
    /// senders see the channel fill once `window` messages wait on the actor, so at most
    /// `capacity + window` messages are in flight. `None` is delivered once all senders are
    /// gone and the channel is empty.
    pub fn forward_mpsc<T: 'static>(
        &self,
        mut rx: mpsc::Receiver<T>,
        window: usize,
        fwd: Fwd<Option<T>>,
    ) -> TaskGuard {
        self.pump(window, fwd, move |cx| rx.poll_recv(cx))
    }

    /// Forwards an unbounded tokio `mpsc` receiver like [`forward_mpsc`](Self::forward_mpsc);
    /// messages wait in the channel (unbounded) while `window` are queued on the actor.
    pub fn forward_unbounded<T: 'static>(
        &self,
        mut rx: mpsc::UnboundedReceiver<T>,
        window: usize,
        fwd: Fwd<Option<T>>,
    ) -> TaskGuard {
        self.pump(window, fwd, move |cx| rx.poll_recv(cx))
    }

    fn pump<T: 'static>(
        &self,
        window: usize,
        fwd: Fwd<Option<T>>,
        mut next: impl FnMut(&mut Context<'_>) -> Poll<Option<T>> + 'static,
    ) -> TaskGuard {
        let Some(set) = self.local_set() else {
            return TaskGuard(None);
        };
        let shared = self.shared.clone();
        let credit = Rc::new(Credit {
            free: Cell::new(window.max(1)),
            waker: RefCell::new(None),
        });
        let task = set.spawn_local(async move {
            loop {
                poll_fn(|cx| credit.poll_acquire(cx)).await;
                let item = poll_fn(&mut next).await;
                let end = item.is_none();
                fwd.fwd(item);
                let c = credit.clone();
                shared.deferrer.defer(move |_| c.release());
                shared.kick();
                if end {
                    break;
                }
            }
        });
        TaskGuard(Some(task.abort_handle()))
    }

    /// Queues `call` on the runtime with a fresh `Ret` and returns a future of its answer:
    /// how async code on the runtime's thread calls an actor and awaits the reply. Resolves
    /// to `None` if the `Ret` is dropped unanswered (the actor died, or dropped it).
    ///
    /// ```
    /// use stakker_core::{actor, call, ret_nop, Stakker, CX};
    /// use stakker_tokio::TokioDriver;
    /// struct Doubler;
    /// impl Doubler {
    ///     fn init(_: CX![]) -> Option<Self> { Some(Doubler) }
    ///     fn double(&self, _: CX![], n: u32, ret: stakker_core::Ret<u32>) { ret.ret(n * 2) }
    /// }
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let mut s = Stakker::new(stakker_tokio::now());
    /// let driver = TokioDriver::new(&mut s);
    /// let h = driver.handle();
    /// let doubler = actor!(s, Doubler::init(), ret_nop!());
    /// let a = doubler.clone();
    /// let answer = h.ask(move |_, ret| call!([a], double(21, ret)));
    /// let h2 = h.clone();
    /// tokio::task::LocalSet::new().run_until(async move {
    ///     tokio::task::spawn_local(driver.run(s));
    ///     assert_eq!(answer.await, Some(42));
    ///     h2.defer(|s| s.shutdown(stakker_core::StopCause::Stopped));
    /// }).await;
    /// # });
    /// ```
    pub fn ask<T: 'static>(
        &self,
        call: impl FnOnce(&mut Stakker, Ret<T>) + 'static,
    ) -> RetFuture<T> {
        let (ret, answer) = ret_future();
        self.defer(move |s| call(s, ret));
        answer
    }
}

/// The state a [`RetFuture`] shares with its `Ret`.
struct Slot<T> {
    value: Option<Option<T>>,
    waker: Option<Waker>,
}

/// The answer of a `Ret` made by [`ret_future`]: resolves to `Some(value)` when the `Ret` is
/// used and to `None` when it is dropped unused. Dropping the future first is harmless (the
/// answer is discarded). Not `Send`: it lives on the runtime's thread.
pub struct RetFuture<T>(Rc<RefCell<Slot<T>>>);

impl<T> Future for RetFuture<T> {
    type Output = Option<T>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut slot = self.0.borrow_mut();
        match slot.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// A `Ret` paired with the future of its answer, for async code on the runtime's thread.
/// Pass the `Ret` to an actor (from async code, through [`TokioHandle::defer`] or
/// [`TokioHandle::ask`], so a sleeping driver wakes).
///
/// ```
/// let (ret, answer) = stakker_tokio::ret_future::<u8>();
/// drop(ret); // never answered
/// let got = tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(answer);
/// assert_eq!(got, None);
/// ```
pub fn ret_future<T: 'static>() -> (Ret<T>, RetFuture<T>) {
    let slot = Rc::new(RefCell::new(Slot {
        value: None,
        waker: None,
    }));
    let s = slot.clone();
    let ret = Ret::new(move |v| {
        let mut slot = s.borrow_mut();
        slot.value = Some(v);
        if let Some(w) = slot.waker.take() {
            drop(slot);
            w.wake();
        }
    });
    (ret, RetFuture(slot))
}

/// Runs a `Send` future with tokio's `spawn` on `runtime` (for example a multi-thread
/// runtime) and delivers its output through `ret` on the runtime's thread, through a core
/// [`Waker`](stakker_core::sync::Waker) (so any host with a poll waker will do). Dropping the
/// guard aborts the task: the future is dropped on its thread and `ret` reports `None`, as it
/// does if the runtime shuts down first.
///
/// # Panics
///
/// Like `Core::waker`: if the runtime has no poll waker.
pub fn spawn_send<T: Send + 'static>(
    core: &mut Core,
    runtime: &tokio::runtime::Handle,
    future: impl Future<Output = T> + Send + 'static,
    ret: Ret<T>,
) -> TaskGuard {
    let out = Arc::new(Mutex::new(None::<T>));
    let o = out.clone();
    let mut ret = Some(ret);
    let waker = core.waker(move |_, gone| {
        let value = o.lock().unwrap_or_else(PoisonError::into_inner).take();
        match value {
            Some(v) => {
                if let Some(r) = ret.take() {
                    r.ret(v);
                }
            }
            None if gone => drop(ret.take()),
            None => {}
        }
    });
    let task = runtime.spawn(async move {
        let v = future.await;
        *out.lock().unwrap_or_else(PoisonError::into_inner) = Some(v);
        waker.wake();
    });
    TaskGuard(Some(task.abort_handle()))
}

/// The sending side of [`asker`]: `Clone` and `Send`, for tokio tasks on any thread that call
/// an actor and await its answer through the core's [`Channel`].
pub struct Asker<Q: Send + 'static, R: Send + 'static>(Channel<(Q, oneshot::Sender<R>)>);

impl<Q: Send, R: Send> Clone for Asker<Q, R> {
    fn clone(&self) -> Self {
        Asker(self.0.clone())
    }
}

impl<Q: Send + 'static, R: Send + 'static> Asker<Q, R> {
    /// Sends `question` to the actor and waits for its answer: `None` if the `Ret` was
    /// dropped unanswered or the channel is closed (its guard dropped).
    pub async fn ask(&self, question: Q) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        if !self.0.send((question, tx)) {
            return None;
        }
        rx.await.ok()
    }
}

/// A channel from other threads to `fwd`, which receives each question with a `Ret` for the
/// answer. Keep the guard in the receiving actor: dropping it closes the channel (pending
/// questions are dropped and their askers get `None`).
///
/// # Panics
///
/// Like `Channel::new`: if the runtime has no poll waker.
pub fn asker<Q: Send + 'static, R: Send + 'static>(
    core: &mut Core,
    fwd: Fwd<(Q, Ret<R>)>,
) -> (Asker<Q, R>, ChannelGuard) {
    let to_ret = Fwd::new(move |(q, tx): (Q, oneshot::Sender<R>)| {
        fwd.fwd((
            q,
            Ret::new(move |r: Option<R>| {
                if let Some(r) = r {
                    let _unwanted = tx.send(r);
                }
            }),
        ));
    });
    let (chan, guard) = Channel::new(core, to_ret);
    (Asker(chan), guard)
}
