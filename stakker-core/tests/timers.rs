//! Timers through the runtime: due times, ordering, edge cases and `Ret::with_timeout`.

mod util;

use stakker_core::time::{Duration, Instant};
use stakker_core::{
    actor, after, at, call, ret_nop, timer_max, timer_min, Core, FixedTimerKey, MaxTimerKey,
    MinTimerKey, Ret, Stakker, CX,
};
use util::{run_at, stakker, Trace};

const MS: u64 = 1_000_000;
const SEC: u64 = 1_000_000_000;

fn mark(core: &mut Core, due: Instant, trace: &Trace, text: &str) -> FixedTimerKey {
    let t = trace.clone();
    let text = text.to_string();
    core.timer_add(due, move |s| {
        t.push(format!("{text}@{}", s.now().as_nanos()))
    })
}

fn ns(n: u64) -> Instant {
    Instant::from_nanos(n)
}

#[test]
fn fires_in_due_order_never_early_ties_in_creation_order() {
    let mut s = stakker();
    let trace = Trace::new();
    // Free slots are reused last-freed first: after these deletions the timers below get
    // slots in the reverse of their creation order, so a tie broken by slot (not creation)
    // would fire a2 before a1.
    let spare: Vec<_> = (0..4).map(|_| s.timer_add(ns(1), |_| ())).collect();
    for k in spare {
        assert!(s.timer_del(k));
    }
    mark(&mut s, ns(30), &trace, "c");
    mark(&mut s, ns(10), &trace, "a1");
    mark(&mut s, ns(20), &trace, "b");
    mark(&mut s, ns(10), &trace, "a2");
    assert_eq!(s.next_expiry(), Some(ns(10)));
    run_at(&mut s, 9);
    assert!(trace.get().is_empty(), "never early");
    run_at(&mut s, 25);
    assert_eq!(trace.take(), ["a1@25", "a2@25", "b@25"]);
    assert_eq!(s.next_expiry(), Some(ns(30)));
    assert_eq!(s.next_wait(ns(26)), Some(Duration::from_nanos(4)));
    assert_eq!(s.next_wait(ns(40)), Some(Duration::ZERO));
    run_at(&mut s, 30);
    assert_eq!(trace.take(), ["c@30"]);
    assert_eq!(s.next_expiry(), None);
}

#[test]
fn timers_go_after_items_already_queued() {
    let mut s = stakker();
    let trace = Trace::new();
    mark(&mut s, ns(5), &trace, "timer");
    let t = trace.clone();
    s.defer(move |_| t.push("queued before"));
    run_at(&mut s, 5);
    assert_eq!(trace.take(), ["queued before", "timer@5"]);
}

#[test]
fn never_fires_in_the_run_that_added_it() {
    let mut s = stakker();
    let trace = Trace::new();
    run_at(&mut s, 100);
    let t = trace.clone();
    s.defer(move |s| {
        // Due in the past and now: both become "the next nanosecond".
        let now = s.now();
        mark(s, ns(50), &t, "past");
        mark(s, now, &t, "now");
        s.after(Duration::ZERO, {
            let t = t.clone();
            move |s| t.push(format!("after0@{}", s.now().as_nanos()))
        });
    });
    run_at(&mut s, 100);
    assert!(trace.get().is_empty());
    assert_eq!(s.next_expiry(), Some(ns(101)));
    run_at(&mut s, 100); // same now: nothing
    assert!(trace.get().is_empty());
    run_at(&mut s, 101);
    assert_eq!(trace.take(), ["past@101", "now@101", "after0@101"]);
}

#[test]
fn time_going_backwards_is_ignored() {
    let mut s = stakker();
    let trace = Trace::new();
    run_at(&mut s, 1000);
    mark(&mut s, ns(1500), &trace, "t");
    run_at(&mut s, 10);
    assert_eq!(s.now(), ns(1000));
    assert!(trace.get().is_empty());
    run_at(&mut s, 1500);
    assert_eq!(trace.take(), ["t@1500"]);
}

#[test]
fn delete_results() {
    let mut s = stakker();
    let trace = Trace::new();
    let k = mark(&mut s, ns(10), &trace, "deleted");
    let k2 = mark(&mut s, ns(10), &trace, "kept");
    assert_ne!(k, k2);
    assert!(s.timer_del(k));
    assert!(!s.timer_del(k), "second delete");
    assert!(!s.timer_del(FixedTimerKey::default()));
    run_at(&mut s, 10);
    assert!(!s.timer_del(k2), "already fired");
    assert_eq!(trace.take(), ["kept@10"]);
    assert!(!s.timer_max_del(MaxTimerKey::default()));
    assert!(!s.timer_min_del(MinTimerKey::default()));
    assert!(!s.timer_max_upd(MaxTimerKey::default(), ns(5)));
    assert!(!s.timer_min_upd(MinTimerKey::default(), ns(5)));
    assert!(!s.timer_max_active(MaxTimerKey::default()));
    assert!(!s.timer_min_active(MinTimerKey::default()));
}

#[test]
fn deleted_callback_is_dropped_unrun_and_its_ret_reports_none() {
    let mut s = stakker();
    let trace = Trace::new();
    let t = trace.clone();
    let r: Ret<u8> = Ret::new(move |m| t.push(format!("ret {m:?}")));
    let k = s.after(Duration::from_secs(1), move |_| r.ret(1));
    assert!(s.timer_del(k));
    assert_eq!(trace.take(), ["ret None"]);
    run_at(&mut s, 2 * SEC);
    assert!(trace.get().is_empty());
}

#[test]
fn max_timer_fires_once_at_latest_due_time() {
    let mut s = stakker();
    let trace = Trace::new();
    let t = trace.clone();
    let k = s.timer_max_add(ns(100), move |s| {
        t.push(format!("max@{}", s.now().as_nanos()))
    });
    assert!(s.timer_max_upd(k, ns(300)));
    assert!(
        s.timer_max_upd(k, ns(200)),
        "earlier value ignored, timer still exists"
    );
    assert!(s.timer_max_active(k));
    // Checkpoints may appear in next_expiry, but the callback never runs early.
    while let Some(t) = s.next_expiry() {
        if t >= ns(300) {
            break;
        }
        s.run(t, false);
        assert!(trace.get().is_empty(), "fired early at {t:?}");
    }
    run_at(&mut s, 300);
    assert_eq!(trace.take(), ["max@300"]);
    assert!(!s.timer_max_active(k));
    assert!(!s.timer_max_upd(k, ns(400)));
    assert!(!s.timer_max_del(k));
}

#[test]
fn min_timer_fires_once_at_earliest_due_time() {
    let mut s = stakker();
    let trace = Trace::new();
    let t = trace.clone();
    let k = s.timer_min_add(ns(300), move |s| {
        t.push(format!("min@{}", s.now().as_nanos()))
    });
    assert!(s.timer_min_upd(k, ns(100)));
    assert!(s.timer_min_upd(k, ns(200)), "later value ignored");
    assert!(s.timer_min_active(k));
    run_at(&mut s, 99);
    assert!(trace.get().is_empty());
    run_at(&mut s, 100);
    assert_eq!(trace.take(), ["min@100"]);
    run_at(&mut s, 400);
    assert!(trace.get().is_empty(), "fires once");
    // A due time in the past fires at the next later run.
    let t = trace.clone();
    let k = s.timer_min_add(ns(1000), move |s| {
        t.push(format!("min2@{}", s.now().as_nanos()))
    });
    assert!(s.timer_min_upd(k, ns(5)));
    run_at(&mut s, 400);
    assert!(trace.get().is_empty());
    run_at(&mut s, 401);
    assert_eq!(trace.take(), ["min2@401"]);
    let k = s.timer_min_add(ns(500), |_| ());
    assert!(s.timer_min_del(k));
}

#[test]
fn far_future_and_duration_max() {
    let mut s = Stakker::new(ns(SEC));
    let trace = Trace::new();
    let year = 365 * 24 * 3600 * SEC;
    mark(&mut s, ns(SEC + 3 * year), &trace, "3y");
    mark(&mut s, ns(SEC + 2 * 24 * 3600 * SEC), &trace, "2d");
    let t = trace.clone();
    s.after(Duration::MAX, move |_| t.push("never"));
    assert_eq!(s.next_expiry(), Some(ns(SEC + 2 * 24 * 3600 * SEC)));
    // One jump past both: deadline order however far ahead they were set.
    run_at(&mut s, SEC + 4 * year);
    assert_eq!(
        trace.take(),
        [
            format!("2d@{}", SEC + 4 * year),
            format!("3y@{}", SEC + 4 * year)
        ]
    );
    assert_eq!(s.next_expiry(), Some(Instant::MAX));
}

#[test]
fn timers_added_and_deleted_from_timer_callbacks() {
    let mut s = stakker();
    let trace = Trace::new();
    let doomed = mark(&mut s, ns(20), &trace, "doomed");
    let t = trace.clone();
    s.timer_add(ns(10), move |s| {
        t.push("first");
        assert!(s.timer_del(doomed));
        let t2 = t.clone();
        s.timer_add(ns(15), move |s| {
            t2.push(format!("added@{}", s.now().as_nanos()))
        });
    });
    run_at(&mut s, 12);
    assert_eq!(trace.take(), ["first"]);
    run_at(&mut s, 14);
    assert!(trace.get().is_empty());
    run_at(&mut s, 30);
    assert_eq!(trace.take(), ["added@30"]);
}

#[test]
fn a_million_live_timers() {
    let mut s = stakker();
    let fired = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let last = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..1_000_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let due = 1 + x % (10 * SEC);
        let (f, l) = (fired.clone(), last.clone());
        s.timer_add(ns(due), move |s| {
            // Fired in due order: the run's now never goes back, and due <= now.
            assert!(due <= s.now().as_nanos());
            assert!(due >= l.get(), "out of order");
            l.set(due);
            f.set(f.get() + 1);
        });
    }
    let mut runs = 0;
    let mut t = 0;
    while t < 10 * SEC {
        t += 100 * MS;
        run_at(&mut s, t);
        runs += 1;
    }
    assert_eq!(runs, 100);
    assert_eq!(fired.get(), 1_000_000);
    assert_eq!(s.next_expiry(), None);
}

struct Pinger {
    trace: Trace,
    max_key: MaxTimerKey,
    min_key: MinTimerKey,
}

impl Pinger {
    fn init(_: CX![], trace: Trace) -> Option<Self> {
        Some(Pinger {
            trace,
            max_key: MaxTimerKey::default(),
            min_key: MinTimerKey::default(),
        })
    }
    fn ping(&mut self, cx: CX![], what: &'static str) {
        self.trace.push(format!("{what}@{}", cx.now().as_nanos()));
    }
    fn arm(&mut self, cx: CX![], max_at: u64, min_at: u64) {
        timer_max!(&mut self.max_key, ns(max_at), [cx], ping("max"));
        timer_min!(&mut self.min_key, ns(min_at), [cx], ping("min"));
    }
}

#[test]
fn timer_to_dead_actor_is_dropped_and_timer_macros_reuse_keys() {
    let mut s = stakker();
    let trace = Trace::new();
    let p = actor!(s, Pinger::init(trace.clone()), ret_nop!());
    call!([p], arm(100, 100));
    call!([p], arm(200, 50));
    call!([p], arm(150, 80));
    run_at(&mut s, 1);
    after!(Duration::from_nanos(10), [p, s], ping("after"));
    at!(ns(20), [p, s], ping("at"));
    run_at(&mut s, 300);
    assert_eq!(trace.take(), ["after@300", "at@300", "min@300", "max@300"]);

    // A timer whose actor has died: it still fires, and its call is dropped like any call
    // to a zombie.
    let key = at!(ns(400), [p, s], ping("too late"));
    assert_eq!(s.next_expiry(), Some(ns(400)), "the timer is pending");
    drop(p);
    run_at(&mut s, 301);
    run_at(&mut s, 500);
    assert_eq!(s.next_expiry(), None, "it fired");
    assert!(!s.timer_del(key));
    assert!(trace.get().is_empty());
}

#[test]
fn ret_with_timeout_answered_in_time_timed_out_and_late() {
    let mut s = stakker();
    let trace = Trace::new();
    let mk = |s: &mut Stakker, name: &'static str| {
        let t = trace.clone();
        Ret::with_timeout(
            s,
            Duration::from_nanos(100),
            Ret::new(move |m: Option<u32>| t.push(format!("{name} {m:?}"))),
        )
    };
    let in_time = mk(&mut s, "in time");
    let timed_out = mk(&mut s, "timed out");
    let dropped = mk(&mut s, "dropped");
    in_time.ret(1);
    drop(dropped);
    assert_eq!(trace.take(), ["in time Some(1)", "dropped None"]);
    run_at(&mut s, 1);
    // Only the unanswered one still has a timer.
    assert_eq!(s.next_expiry(), Some(ns(100)));
    run_at(&mut s, 100);
    assert_eq!(trace.take(), ["timed out None"]);
    timed_out.ret(7); // late: dropped
    run_at(&mut s, 200);
    assert!(trace.get().is_empty());
    assert_eq!(s.next_expiry(), None);
}

#[test]
fn virtual_time_host_jumping_to_next_expiry_fires_each_timer() {
    let mut s = stakker();
    let trace = Trace::new();
    for (i, due) in [5 * SEC, 3600 * SEC, 7, 90 * 24 * 3600 * SEC]
        .iter()
        .enumerate()
    {
        mark(&mut s, ns(*due), &trace, &format!("t{i}"));
    }
    while let Some(t) = s.next_expiry() {
        s.run(t, false);
    }
    assert_eq!(
        trace.take(),
        [
            "t2@7".to_string(),
            format!("t0@{}", 5 * SEC),
            format!("t1@{}", 3600 * SEC),
            format!("t3@{}", 90 * 24 * 3600 * SEC)
        ]
    );
}

#[cfg(feature = "std")]
#[test]
fn std_instants_are_accepted() {
    let base = std::time::Instant::now();
    let mut s = Stakker::new(base);
    let trace = Trace::new();
    let t = trace.clone();
    s.timer_add(base + std::time::Duration::from_millis(5), move |_| {
        t.push("std")
    });
    s.run(base + std::time::Duration::from_millis(4), false);
    assert!(trace.get().is_empty());
    s.run(base + std::time::Duration::from_millis(5), false);
    assert_eq!(trace.take(), ["std"]);
    assert_eq!(s.now() - base, std::time::Duration::from_millis(5));
    assert_eq!(
        s.next_wait_max(base, Duration::from_secs(60), false),
        Duration::from_secs(60)
    );
    assert_eq!(
        s.next_wait_max(base, Duration::from_secs(60), true),
        Duration::ZERO
    );
}
