//! Actor-runtime micro-benchmarks: `stakker-core` side by side with the original `stakker`
//! 0.2.16, on identical workloads (the same source compiled against each crate, see
//! `shared/workloads.rs`), and with peer runtimes on the same workloads in the same run.
//!
//! Every group has the entries `<workload>/stakker-core` and `<workload>/stakker-0.2.16`:
//!
//! - `ping`: two actors bouncing a counter with `call!`, 10,000 messages per iteration;
//! - `fanout`: one call to each of 10,000 existing actors, then `run`;
//! - `spawn`: create 100,000 actors with 24 bytes of state (Prep + init call), run, drop them
//!   all, run;
//! - `request`: 10,000 request/reply round trips through `ret_some_to!`;
//! - `fwd`: 10,000 messages through an actor-bound `Fwd`;
//! - `lazy_idle`: 10,000 lazy calls and 1,000 idle calls (one per `run(_, true)`).
//!
//! Peer entries, in the same groups (`shared/peers/`):
//!
//! - `tokio-local` (always built): plain tokio, each "actor" a `spawn_local` task on a
//!   `LocalSet` looping over an unbounded `tokio::sync::mpsc` channel, replies by `oneshot`;
//! - `actix-0.13` and `kameo-0.22` (only with `--features peers`, which pulls in the two
//!   frameworks): actix actors in a single-threaded `actix::System`, kameo actors (unbounded
//!   mailboxes) on a current-thread tokio runtime.
//!
//! They run `ping` (`do_send` / `tell` / channel send between two actors), `fanout`, `spawn`
//! (spawn with the 24-byte state, one init message, wait for every init; drop every address,
//! wait until every actor's state is dropped), `request` (actor A asks B: actix `Addr::send`
//! from inside A, kameo `ask` from inside A's handler, tokio an mpsc request carrying a
//! `oneshot`) and `fwd` (through actix's and kameo's `Recipient<M>`, and an `Rc<dyn Fn(u64)>`
//! around a channel sender for tokio). `lazy_idle` has no peer entries: none of the three has
//! a lazy queue (run after the normal queue drains) or an idle queue (one item per pass when
//! there is nothing else to do), and an emulation would measure the emulation. Each peer's
//! runtime is created once per benchmark and kept across iterations; an iteration sends the
//! workload's messages and then waits, inside the runtime's own `block_on`, until the actors
//! signal that all of the work is done (`shared/peers/common.rs`). Every peer is checked once
//! (counts or checksums, like the stakker `spawn` check) before it is timed.
//!
//! Everything, peers included, runs on the benchmarking thread (current-thread runtimes, no
//! worker threads): the CPU-time clock below counts only that thread, so work on any other
//! thread would go unmeasured.
//!
//! Run with `cargo bench -p stakker-benches --bench core` (add `--features peers` for the actix
//! and kameo entries, `-- --quick` for a short run; set `STAKKER_BENCH_CLOCK=cpu` to measure
//! thread CPU time instead of wall time).

use criterion::measurement::Measurement;
use criterion::{black_box, BenchmarkGroup, Criterion, Throughput};
use std::time::Duration;

#[path = "shared/clock.rs"]
mod clock;
#[path = "shared/orig.rs"]
mod orig;
#[path = "shared/ours.rs"]
mod ours;
#[cfg(feature = "peers")]
#[path = "shared/peers/actix.rs"]
mod peer_actix;
#[path = "shared/peers/common.rs"]
mod peer_common;
#[cfg(feature = "peers")]
#[path = "shared/peers/kameo.rs"]
mod peer_kameo;
#[path = "shared/peers/tokio_local.rs"]
mod peer_tokio;

/// Names of the stakker entries in every group.
const OURS: &str = "stakker-core";
const ORIG: &str = "stakker-0.2.16";
/// Names of the peer entries.
const TOKIO: &str = "tokio-local";
#[cfg(feature = "peers")]
const ACTIX: &str = "actix-0.13";
#[cfg(feature = "peers")]
const KAMEO: &str = "kameo-0.22";

const PING_N: u64 = 10_000;
const FANOUT_N: usize = 10_000;
const SPAWN_N: usize = 100_000;
const REQUEST_N: u64 = 10_000;
const FWD_N: u64 = 10_000;
const LAZY_N: u64 = 10_000;
const IDLE_N: u64 = 1_000;

/// Expands `$peer!(entry name, module)` once for every peer runtime built into this binary
/// (each group defines its own `peer!` for its workload).
macro_rules! for_each_peer {
    ($peer:ident) => {
        $peer!(TOKIO, peer_tokio);
        #[cfg(feature = "peers")]
        $peer!(ACTIX, peer_actix);
        #[cfg(feature = "peers")]
        $peer!(KAMEO, peer_kameo);
    };
}

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
    macro_rules! peer {
        ($name:expr, $m:ident) => {{
            // Built once for the whole benchmark (not per sample), then checked.
            let mut w = $m::Ping::new();
            w.iter(10);
            assert_eq!(w.hits(), 10, "{}: ping check", $name);
            g.bench_function($name, |b| b.iter(|| w.iter(black_box(PING_N))));
        }};
    }
    for_each_peer!(peer);
    g.finish();
}

fn fanout<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "fanout", FANOUT_N as u64);
    g.bench_function(OURS, |b| {
        let mut w = ours::Fanout::new(FANOUT_N);
        b.iter(|| w.iter(1));
    });
    g.bench_function(ORIG, |b| {
        let mut w = orig::Fanout::new(FANOUT_N);
        b.iter(|| w.iter(1));
    });
    macro_rules! peer {
        ($name:expr, $m:ident) => {{
            let mut w = $m::Fanout::new(FANOUT_N);
            w.iter();
            let expect = (0..FANOUT_N as u64).sum::<u64>();
            assert_eq!(w.checksum(), expect, "{}: fanout check", $name);
            g.bench_function($name, |b| b.iter(|| w.iter()));
        }};
    }
    for_each_peer!(peer);
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
    macro_rules! peer {
        ($name:expr, $m:ident) => {{
            let mut w = $m::Spawn::new(SPAWN_N);
            w.create(10);
            assert_eq!(w.checksum(), (2..12).sum::<u64>(), "{}: spawn check", $name);
            // Returns only once all ten actors' states have been dropped.
            w.destroy();
            g.bench_function($name, |b| b.iter(|| w.iter(black_box(SPAWN_N))));
        }};
    }
    for_each_peer!(peer);
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
    macro_rules! peer {
        ($name:expr, $m:ident) => {{
            let mut w = $m::Request::new();
            // Each round trip adds one to the value A sends next.
            assert_eq!(w.iter(10), 10, "{}: request check", $name);
            g.bench_function($name, |b| b.iter(|| w.iter(black_box(REQUEST_N))));
        }};
    }
    for_each_peer!(peer);
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
    macro_rules! peer {
        ($name:expr, $m:ident) => {{
            let mut w = $m::FwdBench::new();
            w.iter(10);
            assert_eq!(w.total(), (0..10).sum::<u64>(), "{}: fwd check", $name);
            g.bench_function($name, |b| b.iter(|| w.iter(black_box(FWD_N))));
        }};
    }
    for_each_peer!(peer);
    g.finish();
}

/// No peer entries: none of the peers has a lazy or an idle queue (see the top of the file).
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
