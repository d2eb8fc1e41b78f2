//! The everyday helpers against what users wrote without them (stakker-core only).
//!
//! - `interval_tick`: 10,000 ticks of one actor method, every 1 ms of virtual time, with
//!   `interval!` against the hand-written chain that re-arms `after!` in every tick.
//! - `gather_100`: 100 requests to one actor whose replies are collected into one
//!   `Vec<Option<u64>>`, with `Ret::gather` against a hand-written shared counter and `Vec`.
//!
//! Run with `cargo bench -p stakker-benches --bench helpers` (add `-- --quick` for a short
//! run; set `STAKKER_BENCH_CLOCK=cpu` to measure thread CPU time instead of wall time).

use criterion::measurement::Measurement;
use criterion::{BatchSize, Criterion};
use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, after, call, interval, ret, ret_nop, IntervalKey, Ret, Stakker, CX};
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;

const TICKS: u64 = 10_000;
const REQUESTS: usize = 100;
const MS: u64 = 1_000_000;

struct Ticker {
    count: u64,
    timer: Option<IntervalKey>,
}

impl Ticker {
    fn init(_: CX![]) -> Option<Self> {
        Some(Ticker {
            count: 0,
            timer: None,
        })
    }

    fn start_interval(&mut self, cx: CX![]) {
        self.timer = Some(interval!(Duration::from_millis(1), [cx], tick()));
    }

    fn tick(&mut self, _: CX![]) {
        self.count += 1;
    }

    fn start_chain(&mut self, cx: CX![]) {
        after!(Duration::from_millis(1), [cx], chain());
    }

    fn chain(&mut self, cx: CX![]) {
        self.count += 1;
        after!(Duration::from_millis(1), [cx], chain());
    }
}

/// Runs a fresh ticker started by `start` for `TICKS` ms of virtual time; returns the ticks.
fn run_ticks(start: fn(&mut Ticker, CX![Ticker])) -> u64 {
    let mut s = Stakker::new(Instant::ZERO);
    let t = actor!(s, Ticker::init(), ret_nop!());
    call!([t], |this, cx| start(this, cx));
    s.run(Instant::ZERO, false);
    for ms in 1..=TICKS {
        s.run(Instant::from_nanos(ms * MS), false);
    }
    t.query(&mut s, |this, _| this.count).unwrap()
}

struct Store(u64);

impl Store {
    fn init(_: CX![]) -> Option<Self> {
        Some(Store(7))
    }

    fn get(&self, _: CX![], r: Ret<u64>) {
        ret!([r], self.0);
    }
}

/// A runtime with a Ready `Store`.
fn store() -> (Stakker, stakker_core::ActorOwn<Store>) {
    let mut s = Stakker::new(Instant::ZERO);
    let a = actor!(s, Store::init(), ret_nop!());
    s.run(Instant::ZERO, false);
    (s, a)
}

/// Sends `REQUESTS` requests with replies from `rets`, runs, and returns the gathered sum.
fn ask_all(
    (mut s, a): (Stakker, stakker_core::ActorOwn<Store>),
    rets: impl FnOnce(Ret<Vec<Option<u64>>>) -> Vec<Ret<u64>>,
) -> u64 {
    let total = Rc::new(RefCell::new(0));
    let t = total.clone();
    let done = Ret::new(move |v: Option<Vec<Option<u64>>>| {
        *t.borrow_mut() = v.unwrap().into_iter().flatten().sum();
    });
    for r in rets(done) {
        call!([a], get(r));
    }
    s.run(Instant::ZERO, false);
    let sum = *total.borrow();
    sum
}

/// What users wrote before `Ret::gather`: a shared counter and `Vec`.
fn hand_gather(n: usize, done: Ret<Vec<Option<u64>>>) -> Vec<Ret<u64>> {
    type State = (usize, Vec<Option<u64>>, Option<Ret<Vec<Option<u64>>>>);
    let state: Rc<RefCell<State>> = Rc::new(RefCell::new((n, vec![None; n], Some(done))));
    (0..n)
        .map(|i| {
            let state = state.clone();
            Ret::new(move |m| {
                let finished = {
                    let mut st = state.borrow_mut();
                    st.1[i] = m;
                    st.0 -= 1;
                    if st.0 == 0 {
                        st.2.take().map(|d| (d, std::mem::take(&mut st.1)))
                    } else {
                        None
                    }
                };
                if let Some((d, answers)) = finished {
                    d.ret(answers);
                }
            })
        })
        .collect()
}

#[path = "shared/clock.rs"]
mod clock;

fn run<M: Measurement>(mut c: Criterion<M>) {
    assert_eq!(run_ticks(Ticker::start_interval), TICKS);
    assert_eq!(run_ticks(Ticker::start_chain), TICKS);
    let mut g = c.benchmark_group("interval_tick");
    g.throughput(criterion::Throughput::Elements(TICKS));
    g.bench_function("interval!", |b| {
        b.iter(|| black_box(run_ticks(Ticker::start_interval)))
    });
    g.bench_function("after!-rearm", |b| {
        b.iter(|| black_box(run_ticks(Ticker::start_chain)))
    });
    g.finish();

    assert_eq!(ask_all(store(), |d| Ret::gather(REQUESTS, d)), 700);
    assert_eq!(ask_all(store(), |d| hand_gather(REQUESTS, d)), 700);
    let mut g = c.benchmark_group("gather_100");
    g.throughput(criterion::Throughput::Elements(REQUESTS as u64));
    g.bench_function("Ret::gather", |b| {
        b.iter_batched(
            store,
            |sa| ask_all(sa, |d| Ret::gather(REQUESTS, d)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("hand-written", |b| {
        b.iter_batched(
            store,
            |sa| ask_all(sa, |d| hand_gather(REQUESTS, d)),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    c.final_summary();
}

clock::bench_main!(run);
