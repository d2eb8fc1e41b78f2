//! The actor workloads of the `core` bench at the sizes of an independent benchmark, where the
//! queues and actors no longer fit in cache: `stakker-core` side by side with the original
//! `stakker` 0.2.16 in the same run (no peers: at these sizes they would take minutes).
//!
//! - `scale_ping`: a chain of 1,000,000 `call!`s bounced between two actors, one `run`,
//!   plus the same chain with no runtime (`floor`, the least any queue of calls can do);
//! - `scale_fanout`: 1,000,000 calls over 10,000 actors (100 rounds of one call to each, all
//!   queued before one `run` drains them);
//! - `scale_spawn`: 100,000 actors created with 24 bytes of state and one init call each, run,
//!   dropped, run;
//! - `scale_request`: 1,000,000 request/reply round trips through `ret_some_to!`.
//!
//! The 1,000,000-timer workload is `timers_fixed_1ms` in the `timers` bench. Build both the
//! usual way and with whole-program optimisation, as performance-minded users build:
//!
//! ```sh
//! STAKKER_BENCH_CLOCK=cpu cargo bench -p stakker-benches --bench scale
//! STAKKER_BENCH_CLOCK=cpu cargo bench -p stakker-benches --profile bench-lto --bench scale
//! ```
//!
//! (`bench-lto`, in the workspace `Cargo.toml`, is `bench` with `lto = "fat"` and
//! `codegen-units = 1`, for both crates alike.)

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

const PING_N: u64 = 1_000_000;
const FANOUT_ACTORS: usize = 10_000;
const FANOUT_ROUNDS: u64 = 100;
const SPAWN_N: usize = 100_000;
const REQUEST_N: u64 = 1_000_000;

fn group<'a, M: Measurement>(
    c: &'a mut Criterion<M>,
    name: &str,
    elements: u64,
) -> BenchmarkGroup<'a, M> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(elements));
    g.sample_size(20);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(4));
    g
}

/// Runs `$body` (which sees the workload module as `$m`) as both entries of group `$g`.
macro_rules! both {
    ($g:expr, |$m:ident| $body:expr) => {{
        {
            use ours as $m;
            $g.bench_function(OURS, $body);
        }
        {
            use orig as $m;
            $g.bench_function(ORIG, $body);
        }
    }};
}

fn ping<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "scale_ping", PING_N);
    both!(g, |m| |b| {
        let mut w = m::Ping::new();
        b.iter(|| w.iter(black_box(PING_N)));
    });
    g.bench_function(FLOOR, |b| {
        let mut w = floor::Ping::new();
        b.iter(|| w.iter(black_box(PING_N)));
    });
    g.finish();
}

/// The third entry of `scale_ping`: what is left of the workload without a runtime.
const FLOOR: &str = "floor (no runtime)";

/// The ping chain with nothing but what any runtime with a FIFO of queued calls must do per
/// message: take the front item, call it through a function pointer, and in the call read
/// the receiver's state and append one item for its peer. No reference counts, lifecycle or
/// runtime checks, panic handling or interception. Each message's item names the actor the
/// previous message read from its receiver's state, so messages form one chain of two
/// dependent loads (the item's receiver, just stored, then that receiver's `peer`); this
/// entry measures that chain on the machine at hand.
mod floor {
    use criterion::black_box;

    struct Pinger {
        peer: usize,
        hits: u64,
    }

    type Call = fn(&mut Ping, usize, u64);

    pub(crate) struct Ping {
        actors: Vec<Pinger>,
        queue: Vec<(Call, usize, u64)>,
        head: usize,
    }

    fn ping(w: &mut Ping, me: usize, left: u64) {
        let a = &mut w.actors[me];
        a.hits += 1;
        if left > 0 {
            let peer = a.peer;
            // Hidden from the optimiser, as a runtime's queue holds many item types.
            w.queue.push((black_box(ping as Call), peer, left - 1));
        }
    }

    impl Ping {
        pub(crate) fn new() -> Self {
            let actors = vec![Pinger { peer: 1, hits: 0 }, Pinger { peer: 0, hits: 0 }];
            Ping {
                actors,
                queue: Vec::new(),
                head: 0,
            }
        }

        pub(crate) fn iter(&mut self, n: u64) {
            self.queue.push((black_box(ping as Call), 0, n - 1));
            while self.head < self.queue.len() {
                let (call, me, left) = self.queue[self.head];
                self.head += 1;
                call(self, me, left);
            }
            self.queue.clear();
            self.head = 0;
            assert!(self.actors[0].hits + self.actors[1].hits >= n);
        }
    }
}

fn fanout<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "scale_fanout", FANOUT_ACTORS as u64 * FANOUT_ROUNDS);
    both!(g, |m| |b| {
        let mut w = m::Fanout::new(FANOUT_ACTORS);
        w.iter(2);
        // Round r adds r + i to actor i.
        let expect = (0..FANOUT_ACTORS as u64).map(|i| 2 * i + 1).sum::<u64>();
        assert_eq!(w.checksum(), expect, "scale_fanout check");
        b.iter(|| w.iter(black_box(FANOUT_ROUNDS)));
    });
    g.finish();
}

fn spawn<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "scale_spawn", SPAWN_N as u64);
    both!(g, |m| |b| {
        let mut w = m::Spawn::new(SPAWN_N);
        w.create(10);
        assert_eq!(w.checksum(), (2..12).sum::<u64>(), "scale_spawn check");
        w.destroy();
        b.iter(|| w.iter(black_box(SPAWN_N)));
    });
    g.finish();
}

fn request<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = group(c, "scale_request", REQUEST_N);
    both!(g, |m| |b| {
        let mut w = m::Request::new();
        b.iter(|| w.iter(black_box(REQUEST_N)));
    });
    g.finish();
}

fn run<M: Measurement>(mut c: Criterion<M>) {
    ping(&mut c);
    fanout(&mut c);
    spawn(&mut c);
    request(&mut c);
    c.final_summary();
}

clock::bench_main!(run);
