//! Cross-thread benchmarks: `Waker` latency and cost, and channel throughput into an actor
//! against `std::sync::mpsc` and tokio's `mpsc` as the transport.
//!
//! - `wake_latency/stakker/*`: a runtime driven by `host::ThreadLoop` on its own thread
//!   sleeps (nothing scheduled); this thread calls `Waker::wake`, and the time is taken from
//!   just before the call until the actor that the wake handler calls (`call!`) records the
//!   instant it ran. Before each wake the bench waits until the loop is back in its wait and
//!   then leaves it idle for 20 µs (`idle_20us`) or 1 ms (`idle_1ms`). The baselines do the
//!   same with a plain thread blocked in `std::sync::mpsc::Receiver::recv` (`std_mpsc/*`) and
//!   an idle current-thread tokio runtime in `UnboundedReceiver::recv().await`
//!   (`tokio_mpsc/*`): what the OS (and hypervisor) costs any sleeping thread. Besides
//!   criterion's statistics (of means per sample) the bench prints the distribution of the
//!   individual wakes (p50 is the median the target refers to), and of the time the sender
//!   spent inside the waking call.
//! - `wake/pending`: `wake()` in a tight loop on a `Waker` that is already marked and not
//!   collected (the runtime lives on another thread and never polls), i.e. the cost a sender
//!   pays for every wake after the first in a quiet period.
//! - `channel_100k/*`: 100,000 `u64` messages per iteration from this thread to a receiver on
//!   another thread that sums them; the iteration ends when the receiver reports the sum. The
//!   receivers: an actor behind `sync::Channel` and behind `sync::BoundedChannel` (capacity
//!   1024, `send_blocking`), each in a runtime driven by `ThreadLoop`; a plain thread on
//!   `std::sync::mpsc` (`channel` and `sync_channel(1024)`); a current-thread tokio runtime on
//!   `tokio::sync::mpsc` (`unbounded_channel` and `channel(1024)` with `blocking_send`).
//! - `channel_send_1k/stakker-Channel`: the uncontended cost of `Channel::send` plus its
//!   delivery, on one thread: 1,000 sends into a channel of a runtime on this same thread,
//!   then `poll_wake` and `run` hand them to a `Fwd` that sums them. Nothing waits on another
//!   thread, so this one honours `STAKKER_BENCH_CLOCK=cpu`.
//!
//! Run with `cargo bench -p stakker-benches --bench sync` (add `-- --quick` for a short run).
//! Everything here spans two threads, so it always measures wall-clock time and ignores
//! `STAKKER_BENCH_CLOCK`: the thread CPU clock of the other targets would leave out the
//! waiting that is being measured.

use criterion::{BenchmarkGroup, Criterion, Throughput};

// Only `channel_send` runs on one thread, so only it takes the clock choice (not `bench_main!`).
#[allow(unused_macros, unused_imports)]
#[path = "shared/clock.rs"]
mod clock;
use stakker_core::host::{run_blocking, Activity, EventLoop, ThreadLoop};
use stakker_core::sync::{BoundedChannel, BoundedChannelGuard, Channel, ChannelGuard, Waker};
use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, call, fwd_to, ret_shutdown, stop, Stakker, StopCause, CX};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::thread::{self, JoinHandle};

/// Messages per channel iteration.
const N: u64 = 100_000;
/// Capacity of the bounded channels.
const CAP: usize = 1024;
/// Sentinel that tells every receiver to finish.
const STOP: u64 = u64::MAX;
/// How long the receiver is left idle before each wake, after it reports that it is about to
/// block: short enough that the hypervisor may still be polling the idle vCPU, and long enough
/// that the vCPU has certainly halted. Shorter than 1 ms is spun, longer is slept.
const IDLE: [(&str, std::time::Duration); 2] = [
    ("idle_20us", std::time::Duration::from_micros(20)),
    ("idle_1ms", std::time::Duration::from_millis(1)),
];

// ---------------------------------------------------------------------------------------------
// Wake latency

/// A `ThreadLoop` that reports when it is about to sleep.
struct Watched {
    inner: ThreadLoop,
    stamp: Arc<Stamp>,
}

impl EventLoop for Watched {
    type Error = core::convert::Infallible;

    fn now(&mut self) -> Instant {
        self.inner.now()
    }

    fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Self::Error>> {
        if !max.is_zero() {
            self.stamp.sleeping.store(true, Ordering::SeqCst);
        }
        let found = self.inner.poll_wait(cx, max);
        self.stamp.sleeping.store(false, Ordering::SeqCst);
        found
    }
}

/// Where the woken side records when it ran: nanoseconds since `base`, and a sequence number.
struct Stamp {
    base: std::time::Instant,
    seen_at: AtomicU64,
    seq: AtomicU64,
    /// Set just before the woken side blocks, cleared when it returns.
    sleeping: AtomicBool,
}

impl Stamp {
    fn new() -> Arc<Stamp> {
        Arc::new(Stamp {
            base: std::time::Instant::now(),
            seen_at: AtomicU64::new(0),
            seq: AtomicU64::new(0),
            sleeping: AtomicBool::new(false),
        })
    }

    fn now(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    fn mark(&self) {
        self.seen_at.store(self.now(), Ordering::SeqCst);
        self.seq.fetch_add(1, Ordering::SeqCst);
    }
}

/// The actor that a wake reaches: records when it ran.
struct Probe(Arc<Stamp>);

impl Probe {
    fn init(_: CX![], stamp: Arc<Stamp>) -> Option<Self> {
        Some(Probe(stamp))
    }

    fn woken(&mut self, _: CX![]) {
        self.0.mark();
    }
}

/// Constructor of a [`LatencyRig`].
type MakeRig = fn() -> LatencyRig;

/// A sleeping receiver on its own thread and the sender-side call (`kick`) that wakes it.
/// Dropping `kick` ends the receiver.
struct LatencyRig {
    stamp: Arc<Stamp>,
    kick: Option<Box<dyn Fn()>>,
    thread: Option<JoinHandle<()>>,
    /// Every measured wake: nanoseconds until the receiver ran.
    latencies: Vec<u64>,
    /// Every measured wake: nanoseconds spent inside `kick`.
    sender: Vec<u64>,
}

impl LatencyRig {
    /// A runtime driven by `ThreadLoop`, idle; `kick` is `Waker::wake`, whose handler calls
    /// a `Probe` actor.
    fn stakker() -> Self {
        let stamp = Stamp::new();
        let (tx, rx) = mpsc::channel();
        let st = stamp.clone();
        let thread = thread::spawn(move || {
            let mut s = Stakker::new(std::time::Instant::now());
            let mut host = Watched {
                inner: ThreadLoop::new(&mut s),
                stamp: st.clone(),
            };
            let probe = actor!(s, Probe::init(st), ret_shutdown!(s));
            let target = probe.clone();
            let waker = s.waker(move |s, last| {
                if last {
                    s.shutdown(StopCause::Stopped);
                } else {
                    call!([target], woken());
                }
            });
            tx.send(waker).unwrap();
            run_blocking(&mut s, &mut host).unwrap();
            drop(probe);
        });
        let waker = rx.recv().unwrap();
        Self::with(stamp, Box::new(move || waker.wake()), thread)
    }

    /// Baseline: a plain thread blocked in `std::sync::mpsc::Receiver::recv`.
    fn std_mpsc() -> Self {
        let stamp = Stamp::new();
        let (tx, rx) = mpsc::channel::<()>();
        let st = stamp.clone();
        let thread = thread::spawn(move || loop {
            st.sleeping.store(true, Ordering::SeqCst);
            let got = rx.recv();
            st.sleeping.store(false, Ordering::SeqCst);
            if got.is_err() {
                break;
            }
            st.mark();
        });
        Self::with(stamp, Box::new(move || tx.send(()).unwrap()), thread)
    }

    /// Baseline: an idle current-thread tokio runtime in `UnboundedReceiver::recv().await`.
    fn tokio_mpsc() -> Self {
        let stamp = Stamp::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
        let st = stamp.clone();
        let thread = thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(async move {
                loop {
                    st.sleeping.store(true, Ordering::SeqCst);
                    let got = rx.recv().await;
                    st.sleeping.store(false, Ordering::SeqCst);
                    if got.is_none() {
                        break;
                    }
                    st.mark();
                }
            });
        });
        Self::with(stamp, Box::new(move || tx.send(()).unwrap()), thread)
    }

    fn with(stamp: Arc<Stamp>, kick: Box<dyn Fn()>, thread: JoinHandle<()>) -> Self {
        LatencyRig {
            stamp,
            kick: Some(kick),
            thread: Some(thread),
            latencies: Vec::new(),
            sender: Vec::new(),
        }
    }

    /// Waits until the receiver is asleep and then `idle` longer, kicks it, waits until it has run. Returns the time
    /// from just before the kick until the receiver ran.
    fn one(&mut self, idle: std::time::Duration) -> std::time::Duration {
        let stamp = &*self.stamp;
        while !stamp.sleeping.load(Ordering::SeqCst) {
            thread::yield_now();
        }
        if idle >= std::time::Duration::from_millis(1) {
            thread::sleep(idle);
        } else {
            let settle = std::time::Instant::now();
            while settle.elapsed() < idle {
                std::hint::spin_loop();
            }
        }
        let before = stamp.seq.load(Ordering::SeqCst);
        let kick = self.kick.as_ref().unwrap();
        let t0 = stamp.now();
        kick();
        let t1 = stamp.now();
        while stamp.seq.load(Ordering::SeqCst) == before {
            thread::yield_now();
        }
        let lat = stamp.seen_at.load(Ordering::SeqCst).saturating_sub(t0);
        self.latencies.push(lat);
        self.sender.push(t1 - t0);
        std::time::Duration::from_nanos(lat)
    }

    /// Prints the distribution of the individual wakes measured.
    fn report(&mut self, name: &str) {
        print_dist(
            &format!("{name}: per wake, kick to receiver"),
            &mut self.latencies,
        );
        print_dist(
            &format!("{name}: time inside the kick (sender)"),
            &mut self.sender,
        );
    }
}

impl Drop for LatencyRig {
    fn drop(&mut self) {
        drop(self.kick.take()); // ends the receiver (for stakker: the final handler call)
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

/// `p`-th percentile of sorted `v`.
fn pct(v: &[u64], p: f64) -> f64 {
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i] as f64 / 1000.0
}

fn print_dist(what: &str, v: &mut [u64]) {
    if v.is_empty() {
        return;
    }
    v.sort_unstable();
    println!(
        "{what}: n={} p50={:.2} µs p90={:.2} µs p99={:.2} µs max={:.2} µs",
        v.len(),
        pct(v, 0.5),
        pct(v, 0.9),
        pct(v, 0.99),
        pct(v, 1.0),
    );
}

/// A `Waker` that stays marked: its runtime lives on another thread and never polls.
struct PendingRig {
    waker: Option<Waker>,
    stop: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl PendingRig {
    fn new() -> Self {
        let (tx, rx) = mpsc::channel();
        let (stop, stop_rx) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            let mut s = Stakker::new(std::time::Instant::now());
            s.set_poll_waker(|| {});
            let waker = s.waker(|_, _| {});
            waker.wake(); // marked from now on; `poll_wake` is never called
            tx.send(waker).unwrap();
            let _ = stop_rx.recv();
        });
        PendingRig {
            waker: Some(rx.recv().unwrap()),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for PendingRig {
    fn drop(&mut self) {
        drop(self.waker.take());
        let _ = self.stop.send(());
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn wake(c: &mut Criterion) {
    let mut rigs: Vec<(String, LatencyRig)> = Vec::new();
    let makers: [(&str, MakeRig); 3] = [
        ("stakker", LatencyRig::stakker),
        ("std_mpsc", LatencyRig::std_mpsc),
        ("tokio_mpsc", LatencyRig::tokio_mpsc),
    ];
    let mut g = c.benchmark_group("wake_latency");
    g.sample_size(10);
    for (idle_name, idle) in IDLE {
        // With `iter_custom` criterion still budgets by the wall time of the whole routine,
        // idle time included, so these are about the real durations.
        let slept = idle >= std::time::Duration::from_millis(1);
        g.warm_up_time(std::time::Duration::from_millis(if slept {
            100
        } else {
            200
        }));
        g.measurement_time(std::time::Duration::from_millis(if slept {
            1000
        } else {
            800
        }));
        for (name, make) in makers {
            let mut rig: Option<LatencyRig> = None;
            g.bench_function(format!("{name}/{idle_name}"), |b| {
                let rig = rig.get_or_insert_with(make);
                b.iter_custom(|iters| (0..iters).map(|_| rig.one(idle)).sum());
            });
            if let Some(rig) = rig {
                rigs.push((format!("wake_latency/{name}/{idle_name}"), rig));
            }
        }
    }
    g.finish();

    let mut g = c.benchmark_group("wake");
    g.warm_up_time(std::time::Duration::from_millis(300));
    g.measurement_time(std::time::Duration::from_secs(2));
    g.sample_size(50);
    let mut pending: Option<PendingRig> = None;
    g.bench_function("pending", |b| {
        let rig = pending.get_or_insert_with(PendingRig::new);
        let waker = rig.waker.as_ref().unwrap();
        b.iter_custom(|iters| {
            let t = std::time::Instant::now();
            for _ in 0..iters {
                waker.wake();
            }
            t.elapsed()
        });
    });
    g.finish();

    for (name, mut rig) in rigs {
        rig.report(&name);
    }
}

// ---------------------------------------------------------------------------------------------
// Channel throughput

/// The sending side of one transport.
trait Tx {
    fn send(&mut self, v: u64);
}

/// One transport: a sender here, a summing receiver on its own thread.
struct Pipe<T: Tx> {
    tx: Option<T>,
    done: mpsc::Receiver<u64>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Tx> Pipe<T> {
    /// Sends `N` messages and waits until the receiver has summed them.
    fn round(&mut self) {
        let tx = self.tx.as_mut().unwrap();
        for v in 0..N {
            tx.send(v);
        }
        let sum = self.done.recv().unwrap();
        assert_eq!(sum, N * (N - 1) / 2);
    }
}

impl<T: Tx> Drop for Pipe<T> {
    fn drop(&mut self) {
        if let Some(mut tx) = self.tx.take() {
            tx.send(STOP);
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

/// Receiver state shared by every transport.
struct Summer {
    count: u64,
    sum: u64,
    done: mpsc::Sender<u64>,
}

impl Summer {
    fn new(done: mpsc::Sender<u64>) -> Self {
        Summer {
            count: 0,
            sum: 0,
            done,
        }
    }

    /// Takes one message; `false` once told to stop.
    #[inline]
    fn take(&mut self, v: u64) -> bool {
        if v == STOP {
            return false;
        }
        self.sum += v;
        self.count += 1;
        if self.count == N {
            let _ = self.done.send(self.sum);
            self.count = 0;
            self.sum = 0;
        }
        true
    }
}

/// The receiving actor.
struct Sum(Summer);

impl Sum {
    fn init(_: CX![], done: mpsc::Sender<u64>) -> Option<Self> {
        Some(Sum(Summer::new(done)))
    }

    fn recv(&mut self, cx: CX![], v: u64) {
        if !self.0.take(v) {
            stop!(cx);
        }
    }
}

/// Starts a runtime driven by `ThreadLoop` with a `Sum` actor fed by the channel `make`
/// creates; returns the channel's sender.
fn stakker_pipe<T, G>(make: fn(&mut Stakker, stakker_core::Fwd<u64>) -> (T, G)) -> Pipe<T>
where
    T: Tx + Send + 'static,
    G: 'static,
{
    let (done_tx, done) = mpsc::channel();
    let (tx_tx, tx_rx) = mpsc::channel();
    let thread = thread::spawn(move || {
        let mut s = Stakker::new(std::time::Instant::now());
        let mut host = ThreadLoop::new(&mut s);
        let sum = actor!(s, Sum::init(done_tx), ret_shutdown!(s));
        let (tx, guard) = make(&mut s, fwd_to!([sum], recv() as (u64)));
        tx_tx.send(tx).unwrap();
        run_blocking(&mut s, &mut host).unwrap();
        drop(guard);
        drop(sum);
    });
    Pipe {
        tx: Some(tx_rx.recv().unwrap()),
        done,
        thread: Some(thread),
    }
}

impl Tx for Channel<u64> {
    #[inline]
    fn send(&mut self, v: u64) {
        assert!(Channel::send(self, v));
    }
}

impl Tx for BoundedChannel<u64> {
    #[inline]
    fn send(&mut self, v: u64) {
        self.send_blocking(v).unwrap();
    }
}

fn stakker_channel() -> Pipe<Channel<u64>> {
    stakker_pipe::<_, ChannelGuard>(|s, fwd| Channel::new(s, fwd))
}

fn stakker_bounded() -> Pipe<BoundedChannel<u64>> {
    stakker_pipe::<_, BoundedChannelGuard<u64>>(|s, fwd| BoundedChannel::new(s, CAP, fwd))
}

impl Tx for mpsc::Sender<u64> {
    #[inline]
    fn send(&mut self, v: u64) {
        mpsc::Sender::send(self, v).unwrap();
    }
}

impl Tx for mpsc::SyncSender<u64> {
    #[inline]
    fn send(&mut self, v: u64) {
        mpsc::SyncSender::send(self, v).unwrap();
    }
}

/// A plain receiver thread summing what `rx` yields.
fn std_pipe<T: Tx>(tx: T, rx: mpsc::Receiver<u64>) -> Pipe<T> {
    let (done_tx, done) = mpsc::channel();
    let thread = thread::spawn(move || {
        let mut summer = Summer::new(done_tx);
        for v in rx {
            if !summer.take(v) {
                break;
            }
        }
    });
    Pipe {
        tx: Some(tx),
        done,
        thread: Some(thread),
    }
}

fn std_unbounded() -> Pipe<mpsc::Sender<u64>> {
    let (tx, rx) = mpsc::channel();
    std_pipe(tx, rx)
}

fn std_bounded() -> Pipe<mpsc::SyncSender<u64>> {
    let (tx, rx) = mpsc::sync_channel(CAP);
    std_pipe(tx, rx)
}

impl Tx for tokio::sync::mpsc::UnboundedSender<u64> {
    #[inline]
    fn send(&mut self, v: u64) {
        tokio::sync::mpsc::UnboundedSender::send(self, v).unwrap();
    }
}

impl Tx for tokio::sync::mpsc::Sender<u64> {
    #[inline]
    fn send(&mut self, v: u64) {
        self.blocking_send(v).unwrap();
    }
}

/// A current-thread tokio runtime on its own thread, receiving with `recv().await`.
fn tokio_pipe<T: Tx, F>(tx: T, recv_loop: F) -> Pipe<T>
where
    F: FnOnce(Summer) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> + Send + 'static,
{
    let (done_tx, done) = mpsc::channel();
    let thread = thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(recv_loop(Summer::new(done_tx)));
    });
    Pipe {
        tx: Some(tx),
        done,
        thread: Some(thread),
    }
}

fn tokio_unbounded() -> Pipe<tokio::sync::mpsc::UnboundedSender<u64>> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
    tokio_pipe(tx, move |mut summer| {
        Box::pin(async move {
            while let Some(v) = rx.recv().await {
                if !summer.take(v) {
                    break;
                }
            }
        })
    })
}

fn tokio_bounded() -> Pipe<tokio::sync::mpsc::Sender<u64>> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(CAP);
    tokio_pipe(tx, move |mut summer| {
        Box::pin(async move {
            while let Some(v) = rx.recv().await {
                if !summer.take(v) {
                    break;
                }
            }
        })
    })
}

/// Benchmarks one transport, creating it only if the benchmark is selected.
fn bench_pipe<T: Tx>(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    make: fn() -> Pipe<T>,
) {
    let mut pipe: Option<Pipe<T>> = None;
    g.bench_function(name, |b| {
        let pipe = pipe.get_or_insert_with(make);
        b.iter(|| pipe.round());
    });
}

fn channels(c: &mut Criterion) {
    let mut g = c.benchmark_group("channel_100k");
    g.throughput(Throughput::Elements(N));
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    g.sample_size(20);
    bench_pipe(&mut g, "stakker-Channel", stakker_channel);
    bench_pipe(&mut g, "std-mpsc-channel", std_unbounded);
    bench_pipe(&mut g, "tokio-unbounded_channel", tokio_unbounded);
    bench_pipe(&mut g, "stakker-BoundedChannel-1024", stakker_bounded);
    bench_pipe(&mut g, "std-sync_channel-1024", std_bounded);
    bench_pipe(&mut g, "tokio-channel-1024", tokio_bounded);
    g.finish();
}

/// Sends per iteration of `channel_send_1k`.
const SEND_N: u64 = 1_000;

fn channel_send<M: criterion::measurement::Measurement>(c: &mut Criterion<M>) {
    let mut g = c.benchmark_group("channel_send_1k");
    g.throughput(Throughput::Elements(SEND_N));
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(2));
    let mut s = Stakker::new(Instant::from_nanos(0));
    s.set_poll_waker(|| {});
    let sum = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let sm = sum.clone();
    let (chan, _guard) = Channel::new(
        &mut s,
        stakker_core::Fwd::new(move |v: u64| sm.set(sm.get().wrapping_add(v))),
    );
    let round = |s: &mut Stakker| {
        for v in 0..SEND_N {
            chan.send(v);
        }
        s.poll_wake();
        s.run(Instant::from_nanos(0), false);
    };
    round(&mut s);
    assert_eq!(sum.get(), (0..SEND_N).sum::<u64>(), "channel_send check");
    g.bench_function("stakker-Channel", |b| b.iter(|| round(&mut s)));
    g.finish();
}

fn main() {
    println!("clock: wall time (cross-thread benchmarks; STAKKER_BENCH_CLOCK is ignored here)");
    let mut c = Criterion::default().configure_from_args();
    wake(&mut c);
    channels(&mut c);
    if clock::cpu_clock_requested() {
        clock::announce(true);
        let mut cpu = Criterion::default()
            .with_measurement(clock::ThreadCpuTime)
            .configure_from_args();
        channel_send(&mut cpu);
    } else {
        channel_send(&mut c);
    }
    c.final_summary();
}
