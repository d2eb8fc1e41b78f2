// The timer workloads, written once and compiled twice: `include!`d into one module per crate.
// The including module provides `stakker` (the crate under test), `Inst` (the instant type its
// `Stakker` takes natively), `fn at(nanos: u64) -> Inst` (the fixed virtual base plus `nanos`)
// and `fn fired(v: u64)` (records a callback).
//
// Every instant is computed as `base + Duration`, as a user would write `now + timeout`.

use stakker::{FixedTimerKey, Stakker};
use std::time::Duration;

fn add_ns(base: Inst, nanos: u64) -> Inst {
    base + Duration::from_nanos(nanos)
}

/// How fixed timers are fired.
#[derive(Clone, Copy)]
pub(crate) enum Advance {
    /// `run` in steps of this many nanoseconds of virtual time.
    Step(u64),
    /// `run` at `next_expiry()` until no timer is left.
    NextExpiry,
}

/// Adds one fixed timer per deadline (nanoseconds after the base), deletes every second one,
/// then fires the rest by advancing virtual time. Returns the number of `run` calls made.
/// The keys vector is reused across iterations.
pub(crate) fn fixed(deadlines: &[u64], keys: &mut Vec<FixedTimerKey>, adv: Advance) -> u64 {
    let base = at(0);
    let mut s = Stakker::new(base);
    keys.clear();
    for (i, &d) in deadlines.iter().enumerate() {
        let i = i as u64;
        keys.push(s.timer_add(add_ns(base, d), move |_| fired(i)));
    }
    for k in keys.iter().skip(1).step_by(2) {
        s.timer_del(*k);
    }
    let mut runs = 0;
    match adv {
        Advance::Step(step) => {
            let mut t = 0;
            while s.next_expiry().is_some() {
                t += step;
                s.run(add_ns(base, t), false);
                runs += 1;
            }
        }
        Advance::NextExpiry => {
            while let Some(e) = s.next_expiry() {
                s.run(e, false);
                runs += 1;
            }
        }
    }
    runs
}

/// One Max timer due 1 ms after the base, updated `n` times with deadlines increasing by 1 µs
/// each, then fired by running at `next_expiry()`. Returns the number of `run` calls made.
pub(crate) fn max_updates(n: u64) -> u64 {
    let base = at(0);
    let mut s = Stakker::new(base);
    let key = s.timer_max_add(add_ns(base, 1_000_000), |_| fired(u64::MAX));
    for i in 1..=n {
        s.timer_max_upd(key, add_ns(base, 1_000_000 + i * 1_000));
    }
    let mut runs = 0;
    while let Some(e) = s.next_expiry() {
        s.run(e, false);
        runs += 1;
    }
    runs
}
