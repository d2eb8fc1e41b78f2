//! The driver: virtual time, the three driver forms, yielding, wakes, shutdown and panics.

mod support;
use stakker_core::sync::Channel;
use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, after, call, fwd_to, ret_shutdown, stop, timer_max, MaxTimerKey};
use stakker_core::{ActorOwn, Stakker, StopCause, CX};
use stakker_tokio::{TokioDriver, TokioHandle};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use support::{within, yield_plain};

type Trace = Rc<RefCell<Vec<String>>>;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Records the virtual time of each timer, relative to the runtime's start.
struct Clock {
    trace: Trace,
}

impl Clock {
    fn init(cx: CX![], trace: Trace) -> Option<Self> {
        after!(ms(10), [cx], tick("a"));
        after!(ms(25), [cx], tick("b"));
        let at = cx.now() + ms(1000);
        stakker_core::at!(at, [cx], tick("c"));
        after!(ms(1001), [cx], done());
        Some(Clock { trace })
    }
    fn tick(&mut self, cx: CX![], name: &'static str) {
        let since = cx.now() - cx.start_instant();
        self.trace.borrow_mut().push(format!("{name}@{since:?}"));
    }
    fn done(&mut self, cx: CX![]) {
        stop!(cx);
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn timers_fire_at_exact_virtual_times() {
    let trace = Trace::default();
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let _clock = actor!(s, Clock::init(trace.clone()), ret_shutdown!(s));
    let t0 = tokio::time::Instant::now();
    let cause = within(driver.run(s)).await;
    assert!(matches!(cause, Some(StopCause::Stopped)));
    assert_eq!(*trace.borrow(), ["a@10ms", "b@25ms", "c@1s"]);
    assert_eq!(
        tokio::time::Instant::now() - t0,
        std::time::Duration::from_millis(1001)
    );
}

/// `after!` and a `timer_max!` extended before an `advance` that passes only the first.
struct Alarms {
    trace: Trace,
    key: MaxTimerKey,
}

impl Alarms {
    fn init(cx: CX![], trace: Trace) -> Option<Self> {
        after!(ms(100), [cx], fired("after"));
        let mut key = MaxTimerKey::default();
        timer_max!(&mut key, cx.now() + ms(200), [cx], fired("max"));
        Some(Alarms { trace, key })
    }
    fn extend(&mut self, cx: CX![]) {
        let until = cx.start_instant() + ms(400);
        timer_max!(&mut self.key, until, [cx], fired("unused"));
    }
    fn fired(&mut self, cx: CX![], name: &'static str) {
        let since = cx.now() - cx.start_instant();
        self.trace.borrow_mut().push(format!("{name}@{since:?}"));
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn after_and_timer_max_across_advance() {
    let trace = Trace::default();
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let alarms = actor!(s, Alarms::init(trace.clone()), ret_shutdown!(s));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let run = tokio::task::spawn_local(driver.run(s));
            tokio::task::yield_now().await;
            let a = alarms.clone();
            h.defer(move |_| call!([a], extend()));
            tokio::time::advance(ms(150)).await;
            settle().await;
            assert_eq!(*trace.borrow(), ["after@150ms"]);
            tokio::time::advance(ms(100)).await; // 250 ms: the Max timer now waits for 400
            settle().await;
            assert_eq!(*trace.borrow(), ["after@150ms"]);
            tokio::time::advance(ms(200)).await;
            settle().await;
            assert_eq!(*trace.borrow(), ["after@150ms", "max@450ms"]);
            h.defer(|s| s.shutdown(StopCause::Stopped));
            drop(alarms);
            assert!(within(run).await.unwrap().is_some());
        })
        .await;
}

/// Lets the driver run what the last step made due (a few scheduler rounds).
async fn settle() {
    for _ in 0..4 {
        tokio::task::yield_now().await;
    }
}

/// The small system every driver form runs: a timer chain, a bridged future and a stop.
struct Small {
    trace: Trace,
    n: u32,
    _task: Option<stakker_tokio::TaskGuard>,
}

impl Small {
    fn init(cx: CX![], trace: Trace) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let ret = stakker_core::ret_to!([cx], answer() as (u32));
        let task = h.spawn(
            async {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                7
            },
            ret,
        );
        after!(ms(1), [cx], tick());
        Some(Small {
            trace,
            n: 0,
            _task: Some(task),
        })
    }
    fn tick(&mut self, cx: CX![]) {
        self.n += 1;
        self.trace.borrow_mut().push(format!("tick{}", self.n));
        if self.n < 3 {
            after!(ms(1), [cx], tick());
        }
    }
    fn answer(&mut self, cx: CX![], v: Option<u32>) {
        self.trace.borrow_mut().push(format!("answer {v:?}"));
        stop!(cx);
    }
}

fn small() -> (Stakker, TokioDriver, Trace, ActorOwn<Small>) {
    let trace = Trace::default();
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let a = actor!(s, Small::init(trace.clone()), ret_shutdown!(s));
    (s, driver, trace, a)
}

fn check_small(cause: Option<StopCause>, trace: Trace) {
    assert!(matches!(cause, Some(StopCause::Stopped)), "{cause:?}");
    assert_eq!(
        *trace.borrow(),
        ["tick1", "tick2", "tick3", "answer Some(7)"]
    );
}

#[test]
fn form_current_thread_block_on() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let (cause, trace) = rt.block_on(async {
        let (s, driver, trace, _a) = small();
        (within(driver.run(s)).await, trace)
    });
    check_small(cause, trace);
}

#[test]
fn form_local_set_task() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let (cause, trace) = local.block_on(&rt, async {
        let (s, driver, trace, _a) = small();
        let cause = tokio::task::spawn_local(within(driver.run(s)))
            .await
            .unwrap();
        (cause, trace)
    });
    check_small(cause, trace);
}

#[test]
fn form_local_runtime() {
    let rt = tokio::runtime::LocalRuntime::new().unwrap();
    let (cause, trace) = rt.block_on(async {
        tokio::time::pause();
        let (s, driver, trace, _a) = small();
        (within(driver.run(s)).await, trace)
    });
    check_small(cause, trace);
    // And as a task spawned on it.
    let (cause, trace) = rt.block_on(async {
        let (s, driver, trace, _a) = small();
        (rt_spawn(within(driver.run(s))).await, trace)
    });
    check_small(cause, trace);
}

async fn rt_spawn<T: 'static>(f: impl std::future::Future<Output = T> + 'static) -> T {
    tokio::task::spawn_local(f).await.unwrap()
}

/// Re-arms a zero-length timer forever, recording how far a plain local task got each time.
struct Spinner {
    seen: Rc<RefCell<Vec<u32>>>,
    other: Rc<Cell<u32>>,
}

impl Spinner {
    fn init(cx: CX![], seen: Rc<RefCell<Vec<u32>>>, other: Rc<Cell<u32>>) -> Option<Self> {
        after!(Duration::ZERO, [cx], spin());
        Some(Spinner { seen, other })
    }
    fn spin(&mut self, cx: CX![]) {
        self.seen.borrow_mut().push(self.other.get());
        if self.seen.borrow().len() < 20 {
            after!(Duration::ZERO, [cx], spin());
        } else {
            stop!(cx);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn other_local_tasks_progress_between_runs() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let other = Rc::new(Cell::new(0));
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let _spinner = actor!(
        s,
        Spinner::init(seen.clone(), other.clone()),
        ret_shutdown!(s)
    );
    let local = tokio::task::LocalSet::new();
    let o = other.clone();
    local.spawn_local(async move {
        loop {
            o.set(o.get() + 1);
            tokio::task::yield_now().await;
        }
    });
    let cause = local.run_until(within(driver.run(s))).await;
    assert!(cause.is_some());
    let seen = seen.borrow();
    // Each run of the spinner sees the other task further on than the run before.
    assert!(seen.windows(2).all(|w| w[1] > w[0]), "{seen:?}");
}

/// Runs a local task that stays in the run queue for `polls` polls next to a runtime with an
/// idle item; returns how many polls the task had done when the idle item ran.
async fn busy_count_at_idle(polls: u32) -> u32 {
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let busy = Rc::new(Cell::new(0u32));
    let at_idle = Rc::new(Cell::new(None));
    let (b, i) = (busy.clone(), at_idle.clone());
    s.idle(move |s| {
        i.set(Some(b.get()));
        s.shutdown(StopCause::Stopped);
    });
    let local = tokio::task::LocalSet::new();
    let b = busy.clone();
    local.spawn_local(async move {
        // Ready the whole time: it wakes itself directly (not a deferred yield).
        for _ in 0..polls {
            b.set(b.get() + 1);
            yield_plain().await;
        }
    });
    assert!(within(local.run_until(driver.run(s))).await.is_some());
    at_idle.get().expect("the idle item ran")
}

/// The guaranteed part: a task needing fewer than tokio's 61 polls per tick is done before
/// the idle item runs.
#[tokio::test(flavor = "current_thread")]
async fn idle_items_wait_for_ready_tasks() {
    for polls in [1, 20, 60] {
        assert_eq!(
            busy_count_at_idle(polls).await,
            polls,
            "the idle item ran while the task was still ready"
        );
    }
}

/// The documented limit: under a constant load (far more polls than a tick) idle items run
/// before the load ends, and are not starved by it.
#[tokio::test(flavor = "current_thread")]
async fn idle_items_are_not_starved_by_constant_load() {
    let at = busy_count_at_idle(10_000).await;
    assert!(at < 10_000, "idle ran only after the load: {at}");
}

/// Receives from a channel fed by another thread; stops after `want` messages.
struct Sink {
    got: Trace,
    want: usize,
    _guard: Option<stakker_core::sync::ChannelGuard>,
}

impl Sink {
    fn init(
        cx: CX![],
        got: Trace,
        want: usize,
        tx: std::sync::mpsc::Sender<Channel<String>>,
    ) -> Option<Self> {
        let fwd = fwd_to!([cx], recv() as (String));
        let (chan, guard) = Channel::new(cx, fwd);
        tx.send(chan).unwrap();
        Some(Sink {
            got,
            want,
            _guard: Some(guard),
        })
    }
    fn recv(&mut self, cx: CX![], m: String) {
        self.got.borrow_mut().push(m);
        if self.got.borrow().len() == self.want {
            stop!(cx);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn wakes_from_a_std_thread() {
    let got = Trace::default();
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let (tx, rx) = std::sync::mpsc::channel();
    let _sink = actor!(s, Sink::init(got.clone(), 3, tx), ret_shutdown!(s));
    let sender = std::thread::spawn(move || {
        let chan: Channel<String> = rx.recv().unwrap();
        for i in 0..3 {
            std::thread::sleep(std::time::Duration::from_millis(2));
            assert!(chan.send(format!("m{i}")));
        }
    });
    assert!(matches!(
        within(driver.run(s)).await,
        Some(StopCause::Stopped)
    ));
    sender.join().unwrap();
    assert_eq!(*got.borrow(), ["m0", "m1", "m2"]);
}

#[tokio::test(flavor = "current_thread")]
async fn wakes_from_a_task_on_another_runtime() {
    let other = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let got = Trace::default();
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let (tx, rx) = std::sync::mpsc::channel();
    let _sink = actor!(s, Sink::init(got.clone(), 3, tx), ret_shutdown!(s));
    let task = other.spawn(async move {
        // The sink sends its channel from `init`, which runs once the driver starts.
        let chan: Channel<String> = tokio::task::spawn_blocking(move || rx.recv().unwrap())
            .await
            .unwrap();
        for i in 0..3 {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            assert!(chan.send(format!("t{i}")));
        }
    });
    assert!(matches!(
        within(driver.run(s)).await,
        Some(StopCause::Stopped)
    ));
    within(task).await.unwrap();
    assert_eq!(*got.borrow(), ["t0", "t1", "t2"]);
    other.shutdown_background();
}

/// A future that never finishes and records when it is dropped.
struct Pending(Rc<Cell<bool>>);
impl std::future::Future for Pending {
    type Output = u32;
    fn poll(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<u32> {
        std::task::Poll::Pending
    }
}
impl Drop for Pending {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn shutdown_leaves_no_task_on_the_set() {
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let dropped: Vec<Rc<Cell<bool>>> = (0..5).map(|_| Rc::default()).collect();
    let answers = Rc::new(RefCell::new(Vec::new()));
    let guards: Vec<_> = dropped
        .iter()
        .map(|d| {
            let a = answers.clone();
            h.spawn(
                Pending(d.clone()),
                stakker_core::Ret::new(move |v| a.borrow_mut().push(v)),
            )
        })
        .collect();
    let (_tx, rx) = tokio::sync::mpsc::unbounded_channel::<u8>();
    let _stream = h.forward_unbounded(rx, 1, stakker_core::fwd_nop!());
    h.defer(|s| {
        let d = s.deferrer();
        stakker_core::after!(Duration::from_millis(1), [s], |_| ());
        d.defer(|s| s.shutdown(StopCause::Stopped));
    });
    assert!(within(driver.run(s)).await.is_some());
    // Dropped before `run` resolved: not one task is left to poll.
    assert!(dropped.iter().all(|d| d.get()));
    assert!(guards.iter().all(|g| g.is_finished()));
    assert!(h.is_finished());
    // Spawning after the end drops the future at once and answers None.
    let late = Rc::new(Cell::new(false));
    let a = answers.clone();
    let _g = h.spawn(
        Pending(late.clone()),
        stakker_core::Ret::new(move |v| a.borrow_mut().push(v)),
    );
    assert!(late.get());
    assert_eq!(answers.borrow().len(), 6);
    assert!(answers.borrow().iter().all(Option::is_none));
}

struct Bomb;
impl Bomb {
    fn init(cx: CX![]) -> Option<Self> {
        after!(ms(1), [cx], boom());
        Some(Bomb)
    }
    fn boom(&mut self, _: CX![]) {
        panic!("bomb went off");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn panicking_actor_without_catch_panics_fails_only_its_task() {
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let _bomb = actor!(s, Bomb::init(), ret_shutdown!(s));
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let run = tokio::task::spawn_local(driver.run(s));
            let err = within(run).await.unwrap_err();
            assert!(err.is_panic());
            // The runtime and the set go on.
            let other = tokio::task::spawn_local(async { 5 });
            assert_eq!(other.await.unwrap(), 5);
        })
        .await;
}

#[tokio::test(flavor = "current_thread")]
async fn panicking_actor_with_catch_panics_is_a_failure_cause() {
    let mut s = Stakker::new(stakker_tokio::now());
    s.set_catch_panics(true);
    let driver = TokioDriver::new(&mut s);
    let _bomb = actor!(s, Bomb::init(), ret_shutdown!(s));
    let cause = within(driver.run(s)).await.unwrap();
    assert!(matches!(cause, StopCause::Failed(_)));
    assert!(cause.to_string().contains("bomb went off"), "{cause}");
}

#[test]
fn virtual_clock_maps_to_core_instants() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async {
        let a = stakker_tokio::now();
        tokio::time::advance(ms(1500)).await;
        let b = stakker_tokio::now();
        assert_eq!(b - a, ms(1500));
        assert!(a > Instant::from_secs(0));
    });
}

/// A timer queued from outside while the driver sleeps until a later one fires at its own
/// time: the driver shortens its sleep.
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn a_timer_added_during_a_sleep_fires_on_time() {
    let trace = Trace::default();
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let start = s.now();
    let t = trace.clone();
    after!(ms(100), [s], |s| {
        t.borrow_mut().push(format!("late@{:?}", s.now() - start));
        s.shutdown(StopCause::Stopped);
    });
    let local = tokio::task::LocalSet::new();
    let t = trace.clone();
    local.spawn_local(async move {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        h.defer(move |s| {
            after!(ms(5), [s], |s| t
                .borrow_mut()
                .push(format!("early@{:?}", s.now() - start)));
        });
    });
    assert!(within(local.run_until(driver.run(s))).await.is_some());
    assert_eq!(*trace.borrow(), ["early@15ms", "late@100ms"]);
}

/// Before idle items run, the bridge tasks that tokio's I/O poll woke (the poll that ended
/// the driver's yield) run first: here a bridged future receiving a datagram that is already
/// waiting, so its answer comes before the idle item.
#[tokio::test(flavor = "current_thread")]
async fn idle_items_wait_for_bridge_tasks_woken_with_the_yield() {
    let trace = Trace::default();
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"x", sock.local_addr().unwrap()).unwrap();
    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let t = trace.clone();
    let answer = stakker_core::Ret::new(move |n: Option<usize>| {
        t.borrow_mut().push(format!("answer {n:?}"));
    });
    let _guard = h.spawn(
        async move {
            let mut buf = [0; 8];
            sock.recv(&mut buf).await.unwrap()
        },
        answer,
    );
    let t = trace.clone();
    s.idle(move |s| {
        t.borrow_mut().push("idle".to_string());
        s.shutdown(StopCause::Stopped);
    });
    assert!(within(driver.run(s)).await.is_some());
    assert_eq!(*trace.borrow(), ["answer Some(1)", "idle"]);
}
