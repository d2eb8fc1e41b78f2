//! Timer benchmarks: `stakker-core` vs the original `stakker` 0.2.16 vs tokio-util's
//! `DelayQueue` on tokio's paused (virtual) clock.
//!
//! - `timers_fixed_1ms`: 1,000,000 fixed timers at pseudo-random deadlines within 10 s
//!   (xorshift64*, fixed seed), every second one deleted before firing, the other 500,000 fired
//!   by advancing virtual time in 1 ms steps. `DelayQueue` does the same with `insert_at`,
//!   `remove`, `tokio::time::advance(1 ms)` and `poll_expired` until it is empty.
//! - `timers_fixed_next_expiry`: the same timers, fired by running at `next_expiry()` until
//!   none is left (stakker only: one `run` per distinct rounded deadline).
//! - `timers_max_upd`: one Max timer updated 1,000,000 times with increasing deadlines, then
//!   fired. `DelayQueue` does the same with `reset_at`.
//!
//! Run with `cargo bench -p stakker-benches --bench timers` (add `-- --quick` for a short run;
//! set `STAKKER_BENCH_CLOCK=cpu` to measure thread CPU time instead of wall time).

use criterion::measurement::Measurement;
use criterion::{BenchmarkGroup, Criterion, SamplingMode};
use std::cell::Cell;
use std::future::poll_fn;
use std::task::Poll;
use std::time::Duration;
use tokio_util::time::{delay_queue::Key, DelayQueue};

/// Names of the entries in every group.
const OURS: &str = "stakker-core";
const ORIG: &str = "stakker-0.2.16";
const TOKIO: &str = "tokio-util-DelayQueue";

const FIXED_N: usize = 1_000_000;
const MAX_UPD_N: u64 = 1_000_000;
/// Deadlines fall in `1 ns ..= SPAN_NS` after the base (just under 10 s, so that rounding up to
/// any grid of at most 1 ms stays within 10 s).
const SPAN_NS: u64 = 10_000_000_000 - 1_000_000;
const STEP_NS: u64 = 1_000_000;

thread_local! {
    static FIRED_COUNT: Cell<u64> = const { Cell::new(0) };
    static FIRED_SUM: Cell<u64> = const { Cell::new(0) };
}

/// Records one fired timer carrying `v`.
fn fired(v: u64) {
    FIRED_COUNT.with(|c| c.set(c.get() + 1));
    FIRED_SUM.with(|c| c.set(c.get().wrapping_add(v)));
}

/// Takes the (count, sum) recorded since the last call.
fn take_fired() -> (u64, u64) {
    (
        FIRED_COUNT.with(|c| c.replace(0)),
        FIRED_SUM.with(|c| c.replace(0)),
    )
}

#[path = "shared/clock.rs"]
mod clock;

mod ours {
    use super::fired;
    use stakker_core as stakker;

    type Inst = stakker::time::Instant;

    fn at(nanos: u64) -> Inst {
        Inst::from_nanos(nanos)
    }

    include!("shared/timer_workloads.rs");
}

mod orig {
    use super::fired;
    use std::sync::OnceLock;

    type Inst = std::time::Instant;

    fn at(nanos: u64) -> Inst {
        static BASE: OnceLock<Inst> = OnceLock::new();
        *BASE.get_or_init(Inst::now) + std::time::Duration::from_nanos(nanos)
    }

    include!("shared/timer_workloads.rs");
}

/// The timer peer: tokio-util's `DelayQueue` on a current-thread runtime with the clock paused.
mod tokio_peer {
    use super::*;
    use tokio::runtime::Runtime;
    use tokio::time::Instant;

    pub(crate) fn runtime() -> Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("tokio runtime")
    }

    /// Takes every expired entry without waiting.
    async fn drain(q: &mut DelayQueue<u64>) {
        poll_fn(|cx| {
            while let Poll::Ready(Some(e)) = q.poll_expired(cx) {
                fired(e.into_inner());
            }
            Poll::Ready(())
        })
        .await;
    }

    /// Same workload as `stakker::fixed` with `Advance::Step(step)`. Returns the steps taken.
    pub(crate) fn fixed(rt: &Runtime, deadlines: &[u64], keys: &mut Vec<Key>, step: u64) -> u64 {
        rt.block_on(async {
            let base = Instant::now();
            let mut q = DelayQueue::new();
            keys.clear();
            for (i, &d) in deadlines.iter().enumerate() {
                keys.push(q.insert_at(i as u64, base + Duration::from_nanos(d)));
            }
            for k in keys.iter().skip(1).step_by(2) {
                q.remove(k);
            }
            let mut steps = 0;
            while !q.is_empty() {
                tokio::time::advance(Duration::from_nanos(step)).await;
                drain(&mut q).await;
                steps += 1;
            }
            steps
        })
    }

    /// Same workload as `stakker::max_updates`, with `reset_at`.
    pub(crate) fn max_updates(rt: &Runtime, n: u64) -> u64 {
        rt.block_on(async {
            let base = Instant::now();
            let mut q = DelayQueue::new();
            let key = q.insert_at(u64::MAX, base + Duration::from_millis(1));
            for i in 1..=n {
                q.reset_at(&key, base + Duration::from_nanos(1_000_000 + i * 1_000));
            }
            let due = q.deadline(&key);
            tokio::time::advance(due - Instant::now()).await;
            let mut steps = 1;
            drain(&mut q).await;
            while !q.is_empty() {
                tokio::time::advance(Duration::from_millis(1)).await;
                drain(&mut q).await;
                steps += 1;
            }
            steps
        })
    }
}

/// Pseudo-random deadlines in `1..=SPAN_NS` nanoseconds (xorshift64*, fixed seed).
fn deadlines(n: usize) -> Vec<u64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            1 + x.wrapping_mul(0x2545_F491_4F6C_DD1D) % SPAN_NS
        })
        .collect()
}

/// Checks that a run of the fixed workload fired exactly the timers it did not delete.
fn check_fixed(name: &str, n: usize) {
    let (count, sum) = take_fired();
    let want: u64 = (0..n as u64).step_by(2).sum();
    assert_eq!((count, sum), ((n as u64).div_ceil(2), want), "{name}");
}

fn check_max(name: &str) {
    assert_eq!(take_fired(), (1, u64::MAX), "{name}");
}

/// Benchmarks `f` after checking once (on first use, so that filtered-out entries cost
/// nothing) that one call of it fired the right timers.
fn bench_checked<M: Measurement, R>(
    g: &mut BenchmarkGroup<'_, M>,
    name: &str,
    check: impl Fn(&str),
    mut f: impl FnMut() -> R,
) {
    let mut checked = false;
    g.bench_function(name, |b| {
        if !checked {
            take_fired();
            f();
            check(name);
            checked = true;
        }
        b.iter(&mut f);
    });
    take_fired();
}

fn heavy_group<'a, M: Measurement>(c: &'a mut Criterion<M>, name: &str) -> BenchmarkGroup<'a, M> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10);
    g.sampling_mode(SamplingMode::Flat);
    g.warm_up_time(Duration::from_secs(1));
    g.measurement_time(Duration::from_secs(4));
    g
}

fn fixed_1ms<M: Measurement>(c: &mut Criterion<M>, dl: &[u64]) {
    let mut g = heavy_group(c, "timers_fixed_1ms");
    let n = dl.len();
    let check = |name: &str| check_fixed(name, n);
    let step = STEP_NS;

    let mut keys = Vec::with_capacity(n);
    bench_checked(&mut g, OURS, check, || {
        ours::fixed(dl, &mut keys, ours::Advance::Step(step))
    });
    let mut keys = Vec::with_capacity(n);
    bench_checked(&mut g, ORIG, check, || {
        orig::fixed(dl, &mut keys, orig::Advance::Step(step))
    });
    let rt = tokio_peer::runtime();
    let mut keys = Vec::with_capacity(n);
    bench_checked(&mut g, TOKIO, check, || {
        tokio_peer::fixed(&rt, dl, &mut keys, step)
    });
    g.finish();
}

fn fixed_next_expiry<M: Measurement>(c: &mut Criterion<M>, dl: &[u64]) {
    let mut g = heavy_group(c, "timers_fixed_next_expiry");
    let n = dl.len();
    let check = |name: &str| check_fixed(name, n);

    let mut keys = Vec::with_capacity(n);
    bench_checked(&mut g, OURS, check, || {
        ours::fixed(dl, &mut keys, ours::Advance::NextExpiry)
    });
    let mut keys = Vec::with_capacity(n);
    bench_checked(&mut g, ORIG, check, || {
        orig::fixed(dl, &mut keys, orig::Advance::NextExpiry)
    });
    g.finish();
}

fn max_upd<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = heavy_group(c, "timers_max_upd");
    g.sampling_mode(SamplingMode::Auto);
    g.measurement_time(Duration::from_secs(2));

    bench_checked(&mut g, OURS, check_max, || ours::max_updates(MAX_UPD_N));
    bench_checked(&mut g, ORIG, check_max, || orig::max_updates(MAX_UPD_N));
    let rt = tokio_peer::runtime();
    bench_checked(&mut g, TOKIO, check_max, || {
        tokio_peer::max_updates(&rt, MAX_UPD_N)
    });
    g.finish();
}

fn run<M: Measurement>(mut c: Criterion<M>) {
    let dl = deadlines(FIXED_N);
    fixed_1ms(&mut c, &dl);
    fixed_next_expiry(&mut c, &dl);
    max_upd(&mut c);
    c.final_summary();
}

clock::bench_main!(run);
