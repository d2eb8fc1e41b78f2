//! The main demo: actors, calls, `Ret` replies, timers and input from another thread, driven
//! by the core's std host loop (`ThreadLoop`).
//!
//! A `Ticker` fires every 200 ms. On each tick, `App` asks a `Squarer` actor for a square (a
//! request answered through a `Ret`) and sends a number to a worker thread, which sums what it
//! is sent and reports back through a `PipedThread`. After five ticks `App` stops, which
//! records the shutdown and ends the loop.
//!
//! Run it with `cargo run -p stakker-core --example demo`.

use stakker_core::host::{run_blocking, ThreadLoop};
use stakker_core::sync::PipedThread;
use stakker_core::time::{Duration, Instant};
use stakker_core::{
    actor, after, call, fwd_to, ret_nop, ret_shutdown, ret_some_to, stop, ActorOwn, Fwd, Ret,
    Stakker, CX,
};

/// Fires `tick` on its target every `period`.
struct Ticker {
    period: Duration,
    target: Fwd<u32>,
    count: u32,
}

impl Ticker {
    fn init(cx: CX![], period: Duration, target: Fwd<u32>) -> Option<Self> {
        after!(period, [cx], tick());
        Some(Ticker {
            period,
            target,
            count: 0,
        })
    }

    fn tick(&mut self, cx: CX![]) {
        self.count += 1;
        self.target.fwd(self.count);
        after!(self.period, [cx], tick());
    }
}

/// Answers requests through a `Ret`.
struct Squarer;

impl Squarer {
    fn init(_: CX![]) -> Option<Self> {
        Some(Squarer)
    }

    fn square(&self, _: CX![], n: u32, ret: Ret<u64>) {
        ret.ret(u64::from(n) * u64::from(n));
    }
}

/// Ties it together.
struct App {
    start: Instant,
    squarer: ActorOwn<Squarer>,
    _ticker: ActorOwn<Ticker>,
    worker: PipedThread<u64, u64>,
}

impl App {
    fn init(cx: CX![]) -> Option<Self> {
        let start = cx.now();
        let squarer = actor!(cx, Squarer::init(), ret_nop!());
        let ticker = actor!(
            cx,
            Ticker::init(Duration::from_millis(200), fwd_to!([cx], tick() as (u32))),
            ret_nop!()
        );
        // A worker thread: sums the numbers it is sent and reports each running total.
        let worker = PipedThread::spawn(
            fwd_to!([cx], total() as (u64)),
            fwd_to!([cx], worker_ended() as (Option<String>)),
            cx,
            |link| {
                let mut sum = 0;
                while let Some(n) = link.recv() {
                    sum += n;
                    link.send(sum);
                }
            },
        );
        println!("demo: started; ticking every 200 ms");
        Some(App {
            start,
            squarer,
            _ticker: ticker,
            worker,
        })
    }

    fn elapsed_ms(&self, cx: CX![]) -> u128 {
        (cx.now() - self.start).as_millis()
    }

    fn tick(&mut self, cx: CX![], n: u32) {
        println!("{:>5} ms  tick {n}", self.elapsed_ms(cx));
        call!(
            [self.squarer],
            square(n, ret_some_to!([cx], squared(n) as (u64)))
        );
        self.worker.send(u64::from(n));
        if n == 5 {
            // Give the last replies a moment, then stop.
            after!(Duration::from_millis(50), [cx], |_this, cx| stop!(cx));
        }
    }

    fn squared(&mut self, cx: CX![], n: u32, sq: u64) {
        println!("{:>5} ms  squarer says {n}² = {sq}", self.elapsed_ms(cx));
    }

    fn total(&mut self, cx: CX![], sum: u64) {
        println!(
            "{:>5} ms  worker thread says running total = {sum}",
            self.elapsed_ms(cx)
        );
    }

    fn worker_ended(&mut self, _: CX![], panic: Option<String>) {
        if let Some(text) = panic {
            println!("worker thread panicked: {text}");
        }
    }
}

fn main() {
    let mut s = Stakker::new(std::time::Instant::now());
    let mut host = ThreadLoop::new(&mut s);
    let _app = actor!(s, App::init(), ret_shutdown!(s));
    let cause = run_blocking(&mut s, &mut host).unwrap_or_else(|e| match e {});
    match cause {
        Some(cause) => println!("demo: shut down: {cause}"),
        None => println!("demo: shut down"),
    }
}
