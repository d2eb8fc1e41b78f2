//! Tests of the timer store: unit tests, internal invariants, and a model test.

extern crate std;

use super::*;
use alloc::vec;
use alloc::vec::Vec;
use proptest::prelude::*;

/// Checks every internal invariant; called after each step of the model test.
fn check<T>(t: &Timers<T>) {
    // Slots, tags, free list.
    assert_eq!(t.timers.len(), t.tags.len());
    let live: Vec<usize> = (0..t.timers.len())
        .filter(|&i| t.timers[i].payload.is_some())
        .collect();
    assert_eq!(live.len(), t.live);
    for (i, tm) in t.timers.iter().enumerate() {
        assert_eq!(tm.payload.is_some(), t.tags[i] != NONE, "tag of slot {i}");
        assert!(tm.generation >= 1);
        if tm.payload.is_some() {
            assert!(t.tags[i] < t.next_seq, "seq of slot {i} not yet issued");
        }
    }
    let mut seqs: Vec<u32> = live.iter().map(|&i| t.tags[i]).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), live.len(), "duplicate sequence numbers");
    let mut free = t.free.clone();
    for &f in &free {
        let tm = &t.timers[f as usize];
        assert!(tm.payload.is_none() && tm.generation != u32::MAX);
    }
    free.sort_unstable();
    free.dedup();
    assert_eq!(free.len(), t.free.len(), "slot free twice");
    let free = free.len();
    let retired = t
        .timers
        .iter()
        .filter(|tm| tm.payload.is_none() && tm.generation == u32::MAX);
    assert_eq!(free + retired.count() + live.len(), t.timers.len());

    // Front heap: heap order, all before `base`.
    for (i, e) in t.front.iter().enumerate() {
        if i > 0 {
            assert!(t.front[(i - 1) / 4].key() <= e.key(), "front heap order");
        }
        assert!(u128::from(e.due) < t.base, "front entry not before base");
    }
    // Wheel: every entry in its bucket, counts and bitmaps right.
    let mut n = 0;
    for (j, bucket) in t.wheel.iter().enumerate() {
        let (level, b) = (j / BUCKETS, j % BUCKETS);
        assert_eq!(
            t.occupied[level] & (1 << b) != 0,
            !bucket.is_empty(),
            "bitmap"
        );
        for e in bucket {
            assert!(u128::from(e.due) >= t.base, "wheel entry before base");
            assert_eq!(level_of(e.due ^ t.base as u64), level);
            assert_eq!(digit(e.due, level), b);
        }
        n += bucket.len();
    }
    assert_eq!(n, t.wheel_len);
    if t.wheel.is_empty() {
        assert_eq!(t.occupied, [0; LEVELS]);
    }

    // Each live timer has exactly one non-stale entry, at its due time (Max: at or before).
    let mut current = vec![0_usize; t.timers.len()];
    for &e in t.front.iter().chain(t.wheel.iter().flatten()) {
        let i = e.idx() as usize;
        match state(&t.tags, &t.timers, e) {
            State::Stale => {}
            State::Current => current[i] += 1,
            State::Checkpoint(_) => {
                assert_eq!(t.timers[i].kind, Kind::Max, "checkpoint of a non-Max timer");
                current[i] += 1;
            }
        }
    }
    for &i in &live {
        assert_eq!(current[i], 1, "entries of live slot {i}");
    }
}

/// Expires up to `now`, returning the payloads in firing order.
fn fire<T>(t: &mut Timers<T>, now: u64) -> Vec<T> {
    let mut v = Vec::new();
    t.expire(now, |p| v.push(p));
    v
}

#[test]
fn key_is_8_bytes_and_default_matches_nothing() {
    assert_eq!(mem::size_of::<TimerKey>(), 8);
    let mut t = Timers::new();
    let k = TimerKey::default();
    assert_eq!(t.del(k), None::<u32>);
    let f = t.add(10, 1);
    let x = t.max_add(10, 2);
    let m = t.min_add(10, 3);
    assert!(f != k && x != k && m != k && f != x && x != m && f != m);
    assert!(!t.max_active(k) && !t.min_active(k));
    assert!(!t.max_upd(k, 100) && !t.min_upd(k, 1));
    assert_eq!(t.max_del(k), None);
    assert_eq!(t.min_del(k), None);
    assert_eq!(t.live, 3);
    check(&t);
}

#[test]
fn fires_in_due_order_never_early() {
    let mut t = Timers::new();
    for (i, due) in [50_u64, 10, 40, 20, 30].into_iter().enumerate() {
        t.add(due, i);
    }
    assert_eq!(t.next_expiry(), Some(10));
    assert_eq!(fire(&mut t, 9), vec![]);
    assert_eq!(fire(&mut t, 10), vec![1]);
    assert_eq!(t.next_expiry(), Some(20));
    assert_eq!(fire(&mut t, 35), vec![3, 4]);
    assert_eq!(fire(&mut t, 35), vec![]);
    assert_eq!(fire(&mut t, 1000), vec![2, 0]);
    assert_eq!(t.next_expiry(), None);
    assert_eq!(t.live, 0);
    check(&t);
}

#[test]
fn ties_fire_in_creation_order() {
    let mut t = Timers::new();
    // Mixed kinds, in slots reused last-freed first: freeing 0..40 in order hands them back
    // as 39, 38, .., 0, so the first 40 timers' slot order is the reverse of their creation
    // order (ties broken by slot index would fire 39..0 first).
    let keys: Vec<_> = (0..40).map(|i| t.add(7, 1000 + i)).collect();
    for (i, k) in keys.into_iter().enumerate() {
        assert_eq!(t.del(k), Some(1000 + i));
    }
    let mut expect = Vec::new();
    for i in 0..100 {
        match i % 3 {
            0 => drop(t.add(100, i)),
            1 => drop(t.max_add(100, i)),
            _ => drop(t.min_add(100, i)),
        }
        expect.push(i);
    }
    check(&t);
    assert_eq!(fire(&mut t, 100), expect);
}

#[test]
fn tie_order_is_creation_order_after_updates() {
    let mut t = Timers::new();
    let mx = t.max_add(10, "max");
    t.add(20, "fixed");
    let mn = t.min_add(30, "min");
    t.add(20, "fixed2");
    assert!(t.max_upd(mx, 20));
    assert!(t.min_upd(mn, 20));
    check(&t);
    assert_eq!(fire(&mut t, 20), vec!["max", "fixed", "min", "fixed2"]);
}

#[test]
fn del_results() {
    let mut t = Timers::new();
    let a = t.add(10, 'a');
    let b = t.add(20, 'b');
    assert_eq!(t.del(a), Some('a'));
    assert_eq!(t.del(a), None);
    assert_eq!(fire(&mut t, 20), vec!['b']);
    assert_eq!(t.del(b), None);
    // The freed slots are reused, but old keys stay dead.
    let c = t.add(30, 'c');
    assert!(c != a && c != b);
    assert_eq!(t.del(a), None);
    assert_eq!(t.del(b), None);
    // A key only works with the calls for its kind.
    let m = t.max_add(40, 'm');
    let n = t.min_add(40, 'n');
    assert_eq!(t.del(m), None);
    assert_eq!(t.del(n), None);
    assert!(!t.min_active(m) && !t.max_active(n) && !t.max_active(c));
    assert!(!t.max_upd(n, 50) && !t.min_upd(m, 5) && !t.max_upd(c, 50));
    assert_eq!(t.max_del(c), None);
    assert_eq!(t.min_del(m), None);
    assert_eq!(t.del(c), Some('c'));
    assert_eq!(t.max_del(m), Some('m'));
    assert_eq!(t.min_del(n), Some('n'));
    assert_eq!(t.next_expiry(), None);
    check(&t);
}

#[test]
fn max_timer_takes_the_latest_due_time() {
    let mut t = Timers::new();
    let k = t.max_add(100, 'x');
    assert!(t.max_active(k));
    assert!(t.max_upd(k, 50)); // Earlier: ignored.
    assert!(t.max_upd(k, 300));
    assert!(t.max_upd(k, 200)); // Earlier than 300: ignored.
                                // 100 is a checkpoint: running there makes progress without firing.
    assert_eq!(t.next_expiry(), Some(100));
    assert_eq!(fire(&mut t, 100), Vec::<char>::new());
    assert_eq!(t.next_expiry(), Some(300));
    assert!(t.max_active(k));
    assert_eq!(fire(&mut t, 299), vec![]);
    assert_eq!(fire(&mut t, 300), vec!['x']);
    assert!(!t.max_active(k));
    assert!(!t.max_upd(k, 400));
    assert_eq!(t.max_del(k), None);
    check(&t);
}

#[test]
fn max_update_is_lazy() {
    // Many updates add no entries.
    let mut t = Timers::new();
    let k = t.max_add(10, ());
    for due in 0..10_000 {
        assert!(t.max_upd(k, due));
    }
    assert_eq!(t.front.len() + t.wheel_len, 1);
    check(&t);
    // Jumping past several checkpoints at once fires once, at the right point in the order.
    let mut order = Vec::new();
    let mut t2 = Timers::new();
    let k2 = t2.max_add(10, 'm');
    t2.add(5_000, 'a');
    t2.add(20_000, 'b');
    assert!(t2.max_upd(k2, 9_999));
    t2.expire(u64::MAX, |p| order.push(p));
    assert_eq!(order, vec!['a', 'm', 'b']);
}

#[test]
fn min_timer_takes_the_earliest_due_time() {
    let mut t = Timers::new();
    let k = t.min_add(300, 'x');
    t.add(150, 'f');
    assert!(t.min_upd(k, 400)); // Later: ignored.
    assert_eq!(t.next_expiry(), Some(150));
    assert!(t.min_upd(k, 200));
    assert!(t.min_upd(k, 100));
    assert!(t.min_upd(k, 250)); // Later than 100: ignored.
    assert_eq!(t.next_expiry(), Some(100));
    check(&t);
    assert_eq!(fire(&mut t, 99), vec![]);
    assert_eq!(fire(&mut t, 100), vec!['x']);
    assert!(!t.min_active(k));
    assert!(!t.min_upd(k, 1));
    // The old entries at 200 and 300 are stale and never show up.
    assert_eq!(t.next_expiry(), Some(150));
    assert_eq!(fire(&mut t, 1000), vec!['f']);
    assert_eq!(t.next_expiry(), None);
    check(&t);
}

#[test]
fn next_expiry_is_exact_for_fixed_timers() {
    let mut t = Timers::new();
    assert_eq!(t.next_expiry(), None);
    let mut keys = Vec::new();
    let mut r = Lcg(5);
    let mut dues = Vec::new();
    for i in 0..5000 {
        let due = 1 + r.next() % 1_000_000_000;
        dues.push(due);
        keys.push(t.add(due, i));
    }
    // Delete the earliest ones one by one, checking each time.
    let mut order: Vec<usize> = (0..dues.len()).collect();
    order.sort_by_key(|&i| (dues[i], i));
    for (n, &i) in order.iter().enumerate().take(2500) {
        assert_eq!(t.next_expiry(), Some(dues[i]));
        if n % 2 == 0 {
            assert_eq!(t.del(keys[i]), Some(i));
        } else {
            assert_eq!(fire(&mut t, dues[i]), vec![i]);
        }
    }
    check(&t);
    // Virtual time jumping to next_expiry fires at least one timer each time.
    while let Some(now) = t.next_expiry() {
        assert!(!fire(&mut t, now).is_empty());
    }
    assert_eq!(t.live, 0);
}

#[test]
fn far_future_and_extreme_due_times() {
    let mut t = Timers::new();
    let year = 365 * 24 * 3600 * 1_000_000_000_u64;
    t.add(u64::MAX, "max");
    t.add(u64::MAX - 1, "max-1");
    t.add(500 * year, "500y");
    t.add(year, "1y");
    t.add(0, "zero");
    t.add(1, "one");
    t.add(u64::MAX, "max2");
    check(&t);
    assert_eq!(t.next_expiry(), Some(0));
    assert_eq!(fire(&mut t, 0), vec!["zero"]);
    assert_eq!(t.next_expiry(), Some(1));
    assert_eq!(fire(&mut t, year - 1), vec!["one"]);
    assert_eq!(t.next_expiry(), Some(year));
    assert_eq!(fire(&mut t, year), vec!["1y"]);
    assert_eq!(t.next_expiry(), Some(500 * year));
    assert_eq!(fire(&mut t, u64::MAX - 2), vec!["500y"]);
    assert_eq!(t.next_expiry(), Some(u64::MAX - 1));
    check(&t);
    assert_eq!(fire(&mut t, u64::MAX - 1), vec!["max-1"]);
    assert_eq!(t.next_expiry(), Some(u64::MAX));
    // Timers added after the store reached the end of time still work.
    t.add(u64::MAX, "max3");
    t.add(7, "early");
    check(&t);
    assert_eq!(t.next_expiry(), Some(7));
    assert_eq!(fire(&mut t, u64::MAX), vec!["early", "max", "max2", "max3"]);
    assert_eq!(t.next_expiry(), None);
    check(&t);
    // Max and Min timers up to the end of time.
    let m = t.max_add(10, "m");
    assert!(t.max_upd(m, u64::MAX));
    let n = t.min_add(u64::MAX, "n");
    assert!(t.min_upd(n, u64::MAX - 5));
    assert_eq!(fire(&mut t, u64::MAX - 1), vec!["n"]);
    assert_eq!(fire(&mut t, u64::MAX), vec!["m"]);
    check(&t);
}

#[test]
fn nearer_timers_after_a_far_one_was_pulled() {
    // `next_expiry` pulls the far timer into the front heap; many nearer timers then land in the
    // front heap until it is moved back into the wheel.
    let mut t = Timers::new();
    let hour = 3600 * 1_000_000_000_u64;
    t.add(hour, usize::MAX);
    assert_eq!(t.next_expiry(), Some(hour));
    let mut r = Lcg(9);
    let mut expect = Vec::new();
    for i in 0..20_000 {
        let due = 1 + r.next() % 10_000_000_000;
        t.add(due, i);
        expect.push((due, i));
        if i % 1000 == 0 {
            check(&t);
            assert_eq!(t.next_expiry(), expect.iter().map(|e| e.0).min());
        }
    }
    assert!(t.front.len() < 1000, "front heap not rebalanced");
    check(&t);
    expect.sort_unstable();
    let mut got = fire(&mut t, 10_000_000_000);
    assert_eq!(got, expect.iter().map(|e| e.1).collect::<Vec<_>>());
    got = fire(&mut t, hour);
    assert_eq!(got, vec![usize::MAX]);
}

#[test]
fn slots_are_reused_and_stale_entries_purged() {
    let mut t = Timers::new();
    let mut keys = Vec::new();
    for i in 0..1000_u64 {
        keys.push(t.add(1_000_000 + i, i));
    }
    // Add/delete churn: no growth of slots, bounded entries.
    let mut r = Lcg(3);
    for round in 0..20_000_u64 {
        let j = (r.next() % 1000) as usize;
        assert!(t.del(keys[j]).is_some());
        keys[j] = t.add(1_000_000 + r.next() % 1_000_000, round);
        let m = t.min_add(5_000_000, round);
        assert!(t.min_upd(m, 4_000_000));
        assert!(t.min_upd(m, 3_000_000));
        assert!(t.min_del(m).is_some());
    }
    assert!(
        t.timers.len() <= 1002,
        "slots not reused: {}",
        t.timers.len()
    );
    assert!(t.front.len() + t.wheel_len <= 2 * 1000 + COMPACT_MIN + 4);
    check(&t);
}

#[test]
fn exhausted_generation_retires_the_slot() {
    let mut t = Timers::new();
    let a = t.add(10, 'a');
    t.timers[a.idx as usize].generation = u32::MAX;
    let a = TimerKey {
        idx: a.idx,
        generation: u32::MAX,
    };
    assert_eq!(t.del(a), Some('a'));
    check(&t);
    let b = t.add(10, 'b');
    assert_ne!(b.idx, a.idx, "retired slot reused");
    assert_eq!(t.del(a), None);
    assert_eq!(fire(&mut t, 10), vec!['b']);
    check(&t);
}

#[test]
fn sequence_numbers_wrap_without_breaking_ties() {
    let mut t = Timers::new();
    t.next_seq = u32::MAX - 3;
    let mut expect = Vec::new();
    let mx = t.max_add(5, 1000);
    assert!(t.max_upd(mx, 50));
    let mn = t.min_add(90, 1001);
    assert!(t.min_upd(mn, 50));
    for i in 0..20 {
        let k = t.add(50, i);
        if i == 3 {
            t.del(k);
        } else {
            expect.push(i);
        }
        check(&t);
    }
    assert!(t.next_seq < 100, "not renumbered");
    expect.insert(0, 1001);
    expect.insert(0, 1000);
    assert_eq!(fire(&mut t, 49), vec![]);
    assert_eq!(fire(&mut t, 50), expect);
}

#[test]
fn panicking_sink_leaves_the_store_usable() {
    let mut t = Timers::new();
    for i in 0..10 {
        t.add(i, i);
    }
    let r = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
        t.expire(9, |p| assert!(p < 4, "the sink got {p}"));
    }));
    let e = r.unwrap_err();
    assert_eq!(
        e.downcast_ref::<alloc::string::String>()
            .map(|s| s.as_str()),
        Some("the sink got 4")
    );
    check(&t);
    assert_eq!(t.live, 5);
    assert_eq!(fire(&mut t, 9), vec![5, 6, 7, 8, 9]);
}

#[test]
fn a_million_timers() {
    const N: usize = 1_000_000;
    let mut t = Timers::new();
    let mut r = Lcg(1);
    let mut dues = Vec::with_capacity(N);
    for i in 0..N {
        // Random due times within 10 s, with some ties.
        let due = 1 + (r.next() % 10_000_000) * 1000;
        dues.push(due);
        t.add(due, i as u32);
    }
    assert_eq!(t.live, N);
    let mut expect: Vec<u32> = (0..N as u32).collect();
    expect.sort_by_key(|&i| dues[i as usize]);
    let mut got = Vec::with_capacity(N);
    let mut now = 0;
    while now < 10_000_000_000 {
        now += 1_000_000;
        t.expire(now, |p| {
            assert!(dues[p as usize] <= now);
            got.push(p);
        });
        if let Some(next) = t.next_expiry() {
            assert!(next > now);
        }
    }
    assert_eq!(got.len(), N);
    assert!(got == expect, "firing order");
    assert_eq!(t.live, 0);
    assert_eq!(t.next_expiry(), None);
}

/// Small deterministic generator for the tests above.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 16
    }
}

// ---- Model test ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    Fixed,
    Max,
    Min,
}

#[derive(Clone, Debug)]
enum Op {
    Add(K, Due),
    Del(K, usize),
    Upd(K, usize, Due),
    Active(K, usize),
    Advance(u64),
    Jump,
    Next,
}

/// A due time, relative to the model's current time or absolute.
#[derive(Clone, Copy, Debug)]
enum Due {
    After(u64),
    Before(u64),
    Abs(u64),
    End(u64),
}

struct ModelTimer {
    kind: K,
    due: u64,
    alive: bool,
}

fn kind() -> impl Strategy<Value = K> {
    prop_oneof![Just(K::Fixed), Just(K::Max), Just(K::Min)]
}

fn due() -> impl Strategy<Value = Due> {
    prop_oneof![
        6 => (0..40_u64).prop_map(Due::After),
        2 => (0..5000_u64).prop_map(Due::After),
        1 => (0..u64::MAX / 2).prop_map(Due::After),
        1 => (0..10_u64).prop_map(Due::Before),
        1 => (0..100_u64).prop_map(Due::Abs),
        1 => (0..3_u64).prop_map(Due::End),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (kind(), due()).prop_map(|(k, d)| Op::Add(k, d)),
        3 => (kind(), any::<usize>()).prop_map(|(k, i)| Op::Del(k, i)),
        4 => (kind(), any::<usize>(), due()).prop_map(|(k, i, d)| Op::Upd(k, i, d)),
        1 => (kind(), any::<usize>()).prop_map(|(k, i)| Op::Active(k, i)),
        3 => prop_oneof![0..30_u64, 0..3000_u64, Just(u64::MAX / 4)].prop_map(Op::Advance),
        1 => Just(Op::Jump),
        1 => Just(Op::Next),
    ]
}

fn run_model(ops: &[Op], wrap: bool) {
    let mut t: Timers<usize> = Timers::new();
    if wrap {
        t.next_seq = u32::MAX - 20;
    }
    let mut model: Vec<ModelTimer> = Vec::new();
    let mut keys: Vec<TimerKey> = Vec::new();
    let mut now = 0_u64;
    let expire = |t: &mut Timers<usize>, model: &mut Vec<ModelTimer>, now: u64| {
        let got = fire(t, now);
        let mut expect: Vec<usize> = (0..model.len())
            .filter(|&i| model[i].alive && model[i].due <= now)
            .collect();
        expect.sort_by_key(|&i| (model[i].due, i));
        for &i in &expect {
            model[i].alive = false;
        }
        assert_eq!(got, expect, "fired at {now}");
        // Right after expiring, nothing left is due.
        if let Some(next) = t.next_expiry() {
            assert!(next > now);
        }
    };
    for op in ops {
        match *op {
            Op::Add(k, d) => {
                let due = resolve(d, now);
                let id = model.len();
                keys.push(match k {
                    K::Fixed => t.add(due, id),
                    K::Max => t.max_add(due, id),
                    K::Min => t.min_add(due, id),
                });
                model.push(ModelTimer {
                    kind: k,
                    due,
                    alive: true,
                });
            }
            Op::Del(k, i) => {
                let (key, id) = pick(&keys, i);
                let got = match k {
                    K::Fixed => t.del(key),
                    K::Max => t.max_del(key),
                    K::Min => t.min_del(key),
                };
                let hit = id.is_some_and(|id| model[id].alive && model[id].kind == k);
                assert_eq!(got, if hit { id } else { None });
                if hit {
                    model[id.unwrap()].alive = false;
                }
            }
            Op::Upd(k, i, d) => {
                let (key, id) = pick(&keys, i);
                let due = resolve(d, now);
                let got = match k {
                    K::Fixed => t.del(key).is_some(),
                    K::Max => t.max_upd(key, due),
                    K::Min => t.min_upd(key, due),
                };
                let hit = id.is_some_and(|id| model[id].alive && model[id].kind == k);
                assert_eq!(got, hit);
                if let (true, Some(id)) = (hit, id) {
                    let m = &mut model[id];
                    match k {
                        K::Fixed => m.alive = false,
                        K::Max => m.due = m.due.max(due),
                        K::Min => m.due = m.due.min(due),
                    }
                }
            }
            Op::Active(k, i) => {
                let (key, id) = pick(&keys, i);
                let hit = id.is_some_and(|id| model[id].alive && model[id].kind == k);
                match k {
                    K::Fixed => {}
                    K::Max => assert_eq!(t.max_active(key), hit),
                    K::Min => assert_eq!(t.min_active(key), hit),
                }
            }
            Op::Advance(d) => {
                now = now.saturating_add(d);
                expire(&mut t, &mut model, now);
            }
            Op::Jump => {
                // A host jumping to next_expiry makes progress there.
                let before = t.next_expiry();
                if let Some(next) = before {
                    now = now.max(next);
                    let alive = t.live;
                    expire(&mut t, &mut model, now);
                    assert!(t.live < alive || t.next_expiry() > before, "no progress");
                }
            }
            Op::Next => {}
        }
        // next_expiry: None iff no timers; never later than the earliest due time; exact while
        // no Max timer exists.
        let earliest = model.iter().filter(|m| m.alive).map(|m| m.due).min();
        let next = t.next_expiry();
        assert_eq!(next.is_some(), earliest.is_some());
        if let (Some(next), Some(earliest)) = (next, earliest) {
            assert!(next <= earliest, "next_expiry {next} later than {earliest}");
            if !model.iter().any(|m| m.alive && m.kind == K::Max) {
                assert_eq!(next, earliest);
            }
        }
        assert_eq!(t.live, model.iter().filter(|m| m.alive).count());
        check(&t);
    }
    // Finally everything fires, in order.
    expire(&mut t, &mut model, u64::MAX);
    assert_eq!(t.live, 0);
    check(&t);
}

fn resolve(d: Due, now: u64) -> u64 {
    match d {
        Due::After(x) => now.saturating_add(x),
        Due::Before(x) => now.saturating_sub(x),
        Due::Abs(x) => x,
        Due::End(x) => u64::MAX - x,
    }
}

/// A key to use: mostly one handed out earlier, sometimes the `Default` key.
fn pick(keys: &[TimerKey], i: usize) -> (TimerKey, Option<usize>) {
    if keys.is_empty() || i % 16 == 0 {
        (TimerKey::default(), None)
    } else {
        let id = i % keys.len();
        (keys[id], Some(id))
    }
}

proptest! {
    #[test]
    fn model(ops in proptest::collection::vec(op(), 0..200), wrap in proptest::bool::weighted(0.2)) {
        run_model(&ops, wrap);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn model_long(ops in proptest::collection::vec(op(), 1000..3000)) {
        run_model(&ops, false);
    }
}
