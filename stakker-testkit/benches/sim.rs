//! What the testkit costs and how fast exploration finds the guide's bug.
//!
//! - `sim_ping`: two actors bouncing a counter with `call!`, 10,000 messages per iteration,
//!   on a plain `Stakker` run loop, and under `Sim::plain`, `Sim::new` (traced FIFO),
//!   `Sim::exploring_fifo` and `Sim::random` (every call held and chosen);
//! - `explore_worked_example`: one exploring run of the guide's roll-out test (a fresh
//!   `Sim`, three actors, eight deliveries): schedules per second;
//! - before the groups, the number of runs `Explore::random` and `Explore::pct` need to find
//!   the guide's bug, median (and max) over 100 seeds, printed (not a criterion measurement).

use criterion::{black_box, Criterion, Throughput};
use stakker_core::time::Instant;
use stakker_core::{actor, call, ret_nop, Actor, ActorOwn, Stakker, CX};
use stakker_testkit::{Explore, Sim};
use std::time::Duration;

#[path = "../tests/worked_example/system.rs"]
mod system;

const PING_N: u32 = 10_000;

struct Pong {
    hits: u32,
}

impl Pong {
    fn init(_: CX![]) -> Option<Self> {
        Some(Pong { hits: 0 })
    }
    fn ping(&mut self, _: CX![], back: Actor<Ping>, left: u32) {
        self.hits += 1;
        if left > 0 {
            call!([back], pong(left - 1));
        }
    }
}

struct Ping {
    peer: Option<Actor<Pong>>,
}

impl Ping {
    fn init(_: CX![]) -> Option<Self> {
        Some(Ping { peer: None })
    }
    fn start(&mut self, cx: CX![], peer: Actor<Pong>, n: u32) {
        self.peer = Some(peer);
        self.pong(cx, n);
    }
    fn pong(&mut self, cx: CX![], left: u32) {
        if left > 0 {
            let me = cx.this().clone();
            call!([self.peer.as_ref().unwrap()], ping(me, left - 1));
        }
    }
}

/// Builds the pair in `s` and starts `n` messages.
fn pair(s: &mut Stakker, n: u32) -> (ActorOwn<Ping>, ActorOwn<Pong>) {
    let ping = actor!(s, Ping::init(), ret_nop!());
    let pong = actor!(s, Pong::init(), ret_nop!());
    call!([ping], start((*pong).clone(), n));
    (ping, pong)
}

fn check(s: &mut Stakker, pong: &ActorOwn<Pong>) {
    assert_eq!(pong.query(s, |p, _| p.hits), Some(PING_N / 2));
}

fn sim_ping(c: &mut Criterion) {
    let mut g = c.benchmark_group("sim_ping");
    g.throughput(Throughput::Elements(u64::from(PING_N)));
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g.bench_function("plain-runtime", |b| {
        b.iter(|| {
            let t = Instant::from_secs(1);
            let mut s = Stakker::new(t);
            let (_ping, pong) = pair(&mut s, black_box(PING_N));
            s.run(t, false);
            check(&mut s, &pong);
        })
    });
    type Make = fn() -> Sim;
    let modes: [(&str, Make); 4] = [
        ("sim-plain", Sim::plain),
        ("sim-traced-fifo", Sim::new),
        ("sim-exploring-fifo", Sim::exploring_fifo),
        ("sim-exploring-random", || Sim::random(1)),
    ];
    for (name, make) in modes {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut sim = make();
                let (_ping, pong) = pair(&mut sim, black_box(PING_N));
                sim.run();
                check(&mut sim, &pong);
            })
        });
    }
    g.finish();
}

fn explore_worked_example(c: &mut Criterion) {
    let mut g = c.benchmark_group("explore_worked_example");
    g.throughput(Throughput::Elements(1));
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    let mut seed = 0;
    g.bench_function("random-schedule", |b| {
        b.iter(|| {
            seed += 1;
            let mut sim = Sim::random(seed);
            black_box(system::roll_out_test(&mut sim, true)).unwrap();
        })
    });
    g.finish();
}

/// Median and max over 100 seeds of the runs each strategy needs to find the bug.
fn runs_to_find() {
    let report = |name: &str, explore: &dyn Fn(u64) -> Explore| {
        let mut runs: Vec<usize> = (0..100u64)
            .map(|seed| {
                let outcome = explore(seed * 1000).run(|sim| system::roll_out_test(sim, false));
                assert!(outcome.failure.is_some(), "{name} missed the bug");
                outcome.runs
            })
            .collect();
        runs.sort_unstable();
        println!(
            "runs to find the worked example's bug, {name}: median {}, max {} (100 seeds)",
            runs[50], runs[99]
        );
    };
    report("random", &|seed| Explore::random(seed, 10_000));
    report("pct depth 2", &|seed| Explore::pct(seed, 10_000, 2));
    report("pct depth 3", &|seed| Explore::pct(seed, 10_000, 3));
    let exhaustive = Explore::exhaustive(10_000).run(|sim| system::roll_out_test(sim, false));
    println!(
        "runs to find the worked example's bug, exhaustive: {}",
        exhaustive.runs
    );
}

fn all(c: &mut Criterion) {
    runs_to_find();
    sim_ping(c);
    explore_worked_example(c);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    all(&mut c);
    c.final_summary();
}
