//! Actor-runtime micro-benchmarks: `stakker-core` side by side with the original `stakker`
//! 0.2.16, on identical workloads (the same source compiled against each crate, see
//! `shared/workloads.rs`).
//!
//! Every group has two entries, `<workload>/stakker-core` and `<workload>/stakker-0.2.16`:
//!
//! - `ping`: two actors bouncing a counter with `call!`, 10,000 messages per iteration;
//! - `fanout`: one call to each of 10,000 existing actors, then `run`;
//! - `spawn`: create 100,000 actors with 24 bytes of state (Prep + init call), run, drop them
//!   all, run;
//! - `request`: 10,000 request/reply round trips through `ret_some_to!`;
//! - `fwd`: 10,000 messages through an actor-bound `Fwd`;
//! - `lazy_idle`: 10,000 lazy calls and 1,000 idle calls (one per `run(_, true)`).
//!
//! Run with `cargo bench -p stakker-benches --bench core` (add `-- --quick` for a short run;
//! set `STAKKER_BENCH_CLOCK=cpu` to measure thread CPU time instead of wall time).

use criterion::measurement::Measurement;
use criterion::{black_box, BenchmarkGroup, Criterion, Throughput};
use std::time::Duration;

#[path = "shared/clock.rs"]
mod clock;
#[path = "shared/orig.rs"]
mod orig;
#[path = "shared/ours.rs"]
mod ours;

/// Names of the two entries in every group.
const OURS: &str = "stakker-core";
const ORIG: &str = "stakker-0.2.16";

const PING_N: u64 = 10_000;
const FANOUT_N: usize = 10_000;
const SPAWN_N: usize = 100_000;
const REQUEST_N: u64 = 10_000;
const FWD_N: u64 = 10_000;
const LAZY_N: u64 = 10_000;
const IDLE_N: u64 = 1_000;

fn group<'a, M: Measurement>(
    c: &'a mut Criterion<M>,
    name: &str,
    elements: u64,
) -> BenchmarkGroup<'a, M> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(elements));
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(3));
    g
}

fn ping<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "ping", PING_N);
    g.bench_function(OURS, |b| {
        let mut w = ours::Ping::new();
        b.iter(|| w.iter(black_box(PING_N)));
    });
    g.bench_function(ORIG, |b| {
        let mut w = orig::Ping::new();
        b.iter(|| w.iter(black_box(PING_N)));
    });
    g.finish();
}

fn fanout<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "fanout", FANOUT_N as u64);
    g.bench_function(OURS, |b| {
        let mut w = ours::Fanout::new(FANOUT_N);
        b.iter(|| w.iter());
    });
    g.bench_function(ORIG, |b| {
        let mut w = orig::Fanout::new(FANOUT_N);
        b.iter(|| w.iter());
    });
    g.finish();
}

fn spawn<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "spawn", SPAWN_N as u64);
    g.sample_size(20);
    g.bench_function(OURS, |b| {
        let mut w = ours::Spawn::new(SPAWN_N);
        w.create(10);
        assert_eq!(w.checksum(), (2..12).sum::<u64>());
        w.destroy();
        b.iter(|| w.iter(black_box(SPAWN_N)));
    });
    g.bench_function(ORIG, |b| {
        let mut w = orig::Spawn::new(SPAWN_N);
        w.create(10);
        assert_eq!(w.checksum(), (2..12).sum::<u64>());
        w.destroy();
        b.iter(|| w.iter(black_box(SPAWN_N)));
    });
    g.finish();
}

fn request<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "request", REQUEST_N);
    g.bench_function(OURS, |b| {
        let mut w = ours::Request::new();
        b.iter(|| w.iter(black_box(REQUEST_N)));
    });
    g.bench_function(ORIG, |b| {
        let mut w = orig::Request::new();
        b.iter(|| w.iter(black_box(REQUEST_N)));
    });
    g.finish();
}

fn fwd<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "fwd", FWD_N);
    g.bench_function(OURS, |b| {
        let mut w = ours::FwdBench::new();
        b.iter(|| w.iter(black_box(FWD_N)));
    });
    g.bench_function(ORIG, |b| {
        let mut w = orig::FwdBench::new();
        b.iter(|| w.iter(black_box(FWD_N)));
    });
    g.finish();
}

fn lazy_idle<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "lazy_idle", LAZY_N + IDLE_N);
    g.bench_function(OURS, |b| {
        let mut w = ours::LazyIdle::new();
        b.iter(|| w.iter(black_box(LAZY_N), black_box(IDLE_N)));
    });
    g.bench_function(ORIG, |b| {
        let mut w = orig::LazyIdle::new();
        b.iter(|| w.iter(black_box(LAZY_N), black_box(IDLE_N)));
    });
    g.finish();
}

fn run<M: Measurement>(mut c: Criterion<M>) {
    ping(&mut c);
    fanout(&mut c);
    spawn(&mut c);
    request(&mut c);
    fwd(&mut c);
    lazy_idle(&mut c);
    c.final_summary();
}

clock::bench_main!(run);
