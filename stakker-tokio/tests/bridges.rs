//! Futures, streams and channels to actors, and actors to futures, with their cancellation.

mod support;
use futures_core::Stream;
use stakker_core::{actor, call, fwd_to, ret_nop, ret_shutdown, ret_to, stop};
use stakker_core::{Ret, Stakker, StopCause, CX};
use stakker_tokio::{TaskGuard, TokioDriver, TokioHandle};
use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use support::within;

/// A future that finishes when told to and records when it is dropped.
struct Gate {
    open: Rc<Cell<Option<u32>>>,
    dropped: Rc<Cell<bool>>,
}

impl std::future::Future for Gate {
    type Output = u32;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        match self.open.get() {
            Some(v) => Poll::Ready(v),
            None => {
                // Polled again on every scheduler round until opened.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.dropped.set(true);
    }
}

/// Holds the guard of a bridged future; its answers go to `got`.
struct Holder {
    got: Rc<RefCell<Vec<Option<u32>>>>,
    guard: Option<TaskGuard>,
}

impl Holder {
    fn init(
        cx: CX![],
        got: Rc<RefCell<Vec<Option<u32>>>>,
        gate: Gate,
        to_self: bool,
    ) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let ret: Ret<u32> = if to_self {
            ret_to!([cx], answer() as (u32))
        } else {
            let g = got.clone();
            Ret::new(move |v| g.borrow_mut().push(v))
        };
        let guard = Some(h.spawn(gate, ret));
        Some(Holder { got, guard })
    }
    fn answer(&mut self, cx: CX![], v: Option<u32>) {
        self.got.borrow_mut().push(v);
        stop!(cx);
    }
    fn cancel(&mut self, _: CX![]) {
        self.guard = None;
    }
}

/// The gate, its opener and its drop flag.
type GateParts = (Gate, Rc<Cell<Option<u32>>>, Rc<Cell<bool>>);

fn gate() -> GateParts {
    let open = Rc::new(Cell::new(None));
    let dropped = Rc::new(Cell::new(false));
    (
        Gate {
            open: open.clone(),
            dropped: dropped.clone(),
        },
        open,
        dropped,
    )
}

#[tokio::test(flavor = "current_thread")]
async fn future_output_arrives_by_ret() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let (g, open, dropped) = gate();
    let _holder = actor!(s, Holder::init(got.clone(), g, true), ret_shutdown!(s));
    let opener = tokio::task::LocalSet::new();
    opener.spawn_local(async move {
        tokio::task::yield_now().await;
        open.set(Some(9));
    });
    assert!(opener.run_until(within(driver.run(s))).await.is_some());
    assert_eq!(*got.borrow(), [Some(9)]);
    assert!(dropped.get());
}

#[tokio::test(flavor = "current_thread")]
async fn dropping_the_guard_drops_the_future_and_ret_reports_none() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let (g, _open, dropped) = gate();
    let holder = actor!(s, Holder::init(got.clone(), g, true), ret_nop!());
    let local = tokio::task::LocalSet::new();
    let (dropped2, got2) = (dropped.clone(), got.clone());
    local
        .run_until(async move {
            let (dropped, got) = (dropped2, got2);
            let run = tokio::task::spawn_local(driver.run(s));
            tokio::task::yield_now().await;
            assert!(!dropped.get());
            let a = holder.clone();
            h.defer(move |_| call!([a], cancel()));
            // The answer (None) stops the holder, whose owner ends the run.
            let d = dropped.clone();
            let g2 = got.clone();
            h.defer(move |s| {
                let d = d.clone();
                let g2 = g2.clone();
                poll_until(s, move || d.get() && !g2.borrow().is_empty());
            });
            within(run).await.unwrap();
        })
        .await;
    assert!(dropped.get(), "the future was dropped");
    assert_eq!(*got.borrow(), [None]);
}

/// Shuts the runtime down once `cond` holds, checking on a 1 ms timer.
fn poll_until(s: &mut Stakker, cond: impl Fn() -> bool + 'static) {
    if cond() {
        s.shutdown(StopCause::Stopped);
    } else {
        stakker_core::after!(std::time::Duration::from_millis(1), [s], |s| {
            poll_until(s, cond)
        });
    }
}

#[tokio::test(flavor = "current_thread")]
async fn actor_death_cancels_the_future_and_ret_reports_none() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let (g, _open, dropped) = gate();
    // The Ret is not bound to the holder, so its None is observable after the holder died.
    let holder = actor!(s, Holder::init(got.clone(), g, false), ret_nop!());
    let h = driver.handle();
    h.defer(move |_| drop(holder)); // its last owner: the holder dies
    let (d, g2) = (dropped.clone(), got.clone());
    h.defer(move |s| poll_until(s, move || d.get() && !g2.borrow().is_empty()));
    assert!(within(driver.run(s)).await.is_some());
    assert!(dropped.get());
    assert_eq!(*got.borrow(), [None]);
}

/// A stream of `0..n` that records how many items it has handed out.
struct Counting {
    next: u32,
    n: u32,
    taken: Rc<Cell<u32>>,
}

impl Stream for Counting {
    type Item = u32;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<u32>> {
        if self.next == self.n {
            return Poll::Ready(None);
        }
        let v = self.next;
        self.next += 1;
        self.taken.set(self.taken.get() + 1);
        Poll::Ready(Some(v))
    }
}

/// Records each item and how far ahead of it the stream was.
struct Consumer {
    items: Vec<u32>,
    ahead: Vec<u32>,
    taken: Rc<Cell<u32>>,
    done: Rc<RefCell<(Vec<u32>, Vec<u32>)>>,
    _guard: Option<TaskGuard>,
}

impl Consumer {
    fn init(
        cx: CX![],
        taken: Rc<Cell<u32>>,
        window: usize,
        done: Rc<RefCell<(Vec<u32>, Vec<u32>)>>,
    ) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let stream = Counting {
            next: 0,
            n: 20,
            taken: taken.clone(),
        };
        let guard = h.forward_stream(stream, window, fwd_to!([cx], item() as (Option<u32>)));
        Some(Consumer {
            items: Vec::new(),
            ahead: Vec::new(),
            taken,
            done,
            _guard: Some(guard),
        })
    }
    fn item(&mut self, cx: CX![], v: Option<u32>) {
        match v {
            Some(v) => {
                self.items.push(v);
                self.ahead.push(self.taken.get() - self.items.len() as u32);
            }
            None => {
                *self.done.borrow_mut() = (
                    std::mem::take(&mut self.items),
                    std::mem::take(&mut self.ahead),
                );
                stop!(cx);
            }
        }
    }
}

async fn stream_run(window: usize) -> (Vec<u32>, Vec<u32>) {
    let done = Rc::new(RefCell::new((Vec::new(), Vec::new())));
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let _c = actor!(
        s,
        Consumer::init(Rc::default(), window, done.clone()),
        ret_shutdown!(s)
    );
    assert!(within(driver.run(s)).await.is_some());
    let d = done.borrow().clone();
    d
}

#[tokio::test(flavor = "current_thread")]
async fn stream_forwarding_keeps_within_the_window() {
    for window in [1, 3] {
        let (items, ahead) = stream_run(window).await;
        assert_eq!(items, (0..20).collect::<Vec<_>>());
        // When the actor handles an item, the stream has handed out at most `window - 1`
        // further items (the stream is always ready, so the window is full).
        assert!(
            ahead.iter().all(|&a| (a as usize) < window),
            "{window}: {ahead:?}"
        );
        assert!(
            ahead.iter().any(|&a| a as usize == window - 1),
            "{window}: {ahead:?}"
        );
    }
}

/// Receives channel messages; stops at the end of the channel.
struct Inbox {
    got: Rc<RefCell<Vec<u32>>>,
    _guard: TaskGuard,
}

impl Inbox {
    fn bounded(
        cx: CX![],
        rx: tokio::sync::mpsc::Receiver<u32>,
        got: Rc<RefCell<Vec<u32>>>,
    ) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let guard = h.forward_mpsc(rx, 1, fwd_to!([cx], recv() as (Option<u32>)));
        Some(Inbox { got, _guard: guard })
    }
    fn unbounded(
        cx: CX![],
        rx: tokio::sync::mpsc::UnboundedReceiver<u32>,
        got: Rc<RefCell<Vec<u32>>>,
    ) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let guard = h.forward_unbounded(rx, 2, fwd_to!([cx], recv() as (Option<u32>)));
        Some(Inbox { got, _guard: guard })
    }
    fn recv(&mut self, cx: CX![], m: Option<u32>) {
        match m {
            Some(m) => self.got.borrow_mut().push(m),
            None => stop!(cx),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn bounded_mpsc_feeds_an_actor_and_holds_senders_back() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    let _inbox = actor!(s, Inbox::bounded(rx, got.clone()), ret_shutdown!(s));
    let local = tokio::task::LocalSet::new();
    let g = got.clone();
    local.spawn_local(async move {
        for i in 0..10 {
            tx.send(i).await.unwrap();
            // Capacity 2 plus a window of 1: a sender is never more than 3 ahead.
            assert!(i + 1 - g.borrow().len() as u32 <= 3);
        }
    });
    assert!(local.run_until(within(driver.run(s))).await.is_some());
    assert_eq!(*got.borrow(), (0..10).collect::<Vec<_>>());
}

#[tokio::test(flavor = "current_thread")]
async fn unbounded_mpsc_feeds_an_actor() {
    let got = Rc::new(RefCell::new(Vec::new()));
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..10 {
        tx.send(i).unwrap();
    }
    drop(tx);
    let _inbox = actor!(s, Inbox::unbounded(rx, got.clone()), ret_shutdown!(s));
    assert!(within(driver.run(s)).await.is_some());
    assert_eq!(*got.borrow(), (0..10).collect::<Vec<_>>());
}

/// Answers questions, or drops the `Ret` for odd ones.
struct Oracle;
impl Oracle {
    fn init(_: CX![]) -> Option<Self> {
        Some(Oracle)
    }
    fn ask(&mut self, _: CX![], q: u32, ret: Ret<u32>) {
        if q % 2 == 0 {
            ret.ret(q * 10);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn async_code_on_the_same_thread_awaits_an_actor() {
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let oracle = actor!(s, Oracle::init(), ret_nop!());
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let run = tokio::task::spawn_local(driver.run(s));
            let a = oracle.clone();
            assert_eq!(
                within(h.ask(move |_, ret| call!([a], ask(4, ret)))).await,
                Some(40)
            );
            let a = oracle.clone();
            assert_eq!(
                within(h.ask(move |_, ret| call!([a], ask(3, ret)))).await,
                None
            );
            h.defer(|s| s.shutdown(StopCause::Stopped));
            assert!(within(run).await.unwrap().is_some());
        })
        .await;
}

/// Serves an `Asker` channel until its guard is dropped.
struct Server {
    guard: Option<stakker_core::sync::ChannelGuard>,
}

impl Server {
    fn init(
        cx: CX![],
        tx: std::sync::mpsc::Sender<stakker_tokio::Asker<u32, u32>>,
    ) -> Option<Self> {
        let fwd = fwd_to!([cx], ask() as ((u32, Ret<u32>)));
        let (asker, guard) = stakker_tokio::asker(cx, fwd);
        tx.send(asker).unwrap();
        Some(Server { guard: Some(guard) })
    }
    fn ask(&mut self, cx: CX![], (q, ret): (u32, Ret<u32>)) {
        match q {
            0 => {
                self.guard = None; // closed: later questions get None
                stop!(cx);
            }
            q if q % 2 == 0 => ret.ret(q + 1),
            _ => drop(ret),
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_task_on_another_thread_awaits_an_actor() {
    let other = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let (tx, rx) = std::sync::mpsc::channel();
    let _server = actor!(s, Server::init(tx), ret_shutdown!(s));
    let task = other.spawn(async move {
        // The server sends its asker from `init`, which runs once the driver starts.
        let asker = tokio::task::spawn_blocking(move || rx.recv().unwrap())
            .await
            .unwrap();
        let answers = (asker.ask(2).await, asker.ask(3).await, asker.ask(0).await);
        (answers, asker.ask(4).await)
    });
    assert!(within(driver.run(s)).await.is_some());
    let ((a, b, c), after) = within(task).await.unwrap();
    assert_eq!((a, b, c, after), (Some(3), None, None, None));
    other.shutdown_background();
}

#[tokio::test(flavor = "current_thread")]
async fn send_future_on_a_multi_thread_runtime_reports_by_waker() {
    let other = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let got = Rc::new(RefCell::new(Vec::new()));
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let g = got.clone();
    let done =
        stakker_core::Ret::new(move |v: Option<std::thread::ThreadId>| g.borrow_mut().push(v));
    let guard = stakker_tokio::spawn_send(
        &mut s,
        other.handle(),
        async { std::thread::current().id() },
        done,
    );
    // A cancelled one: its future never finishes, and it is dropped on the other runtime.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let g = got.clone();
    let cancelled =
        stakker_core::Ret::new(move |v: Option<std::thread::ThreadId>| g.borrow_mut().push(v));
    let never = stakker_tokio::spawn_send(
        &mut s,
        other.handle(),
        async move {
            let _tx = tx; // dropped with the future
            std::future::pending::<std::thread::ThreadId>().await
        },
        cancelled,
    );
    let h = driver.handle();
    let local = tokio::task::LocalSet::new();
    let got2 = got.clone();
    local
        .run_until(async move {
            let got = got2;
            let run = tokio::task::spawn_local(driver.run(s));
            drop(never);
            assert!(
                within(rx).await.is_err(),
                "the cancelled future was dropped"
            );
            let g = got.clone();
            h.defer(move |s| poll_until(s, move || g.borrow().len() == 2));
            assert!(within(run).await.unwrap().is_some());
        })
        .await;
    let got = got.borrow();
    assert!(got.contains(&None));
    let ran_on = got.iter().flatten().next().copied().unwrap();
    assert_ne!(ran_on, std::thread::current().id());
    drop(guard);
    other.shutdown_background();
}
