//! Repeating timers: `Core::interval`, `interval!` and `IntervalKey`.

mod util;

use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, call, interval, ret_nop, stop, IntervalKey, Stakker, CX};
use std::rc::Rc;
use util::{notify, run_at, stakker, Trace};

const MS: u64 = 1_000_000;

/// Records `tick@<ms>` with the `run`'s `now` in milliseconds.
fn ticker(s: &mut Stakker, period_ms: u64, trace: &Trace) -> IntervalKey {
    let t = trace.clone();
    s.interval(Duration::from_millis(period_ms), move |s| {
        t.push(format!("tick@{}", s.now().as_nanos() / MS))
    })
}

#[test]
fn ticks_stay_on_the_grid_and_skip_when_behind() {
    let mut s = stakker();
    let trace = Trace::new();
    let _key = ticker(&mut s, 100, &trace);
    assert_eq!(s.next_expiry(), Some(Instant::from_millis(100)));
    run_at(&mut s, 99 * MS);
    assert!(trace.get().is_empty(), "never early");
    run_at(&mut s, 130 * MS); // late by 30 ms: the next tick is still due at 200
    assert_eq!(s.next_expiry(), Some(Instant::from_millis(200)));
    run_at(&mut s, 200 * MS);
    run_at(&mut s, 200 * MS); // same `now`: nothing
    run_at(&mut s, 555 * MS); // 300, 400 and 500 due: one tick, the rest skipped
    assert_eq!(s.next_expiry(), Some(Instant::from_millis(600)));
    run_at(&mut s, 600 * MS);
    assert_eq!(
        trace.take(),
        ["tick@130", "tick@200", "tick@555", "tick@600"]
    );
}

#[test]
fn dropping_the_key_cancels_and_frees_the_callback() {
    let mut s = stakker();
    let trace = Trace::new();
    let held = Rc::new(());
    let h = held.clone();
    let t = trace.clone();
    let key = s.interval(Duration::from_millis(10), move |_| {
        let _keep = &h;
        t.push("tick");
    });
    run_at(&mut s, 10 * MS);
    assert_eq!(trace.take(), ["tick"]);
    assert_eq!(Rc::strong_count(&held), 2);
    drop(key);
    // The next tick is due, but the interval is cancelled: no tick, and the queued deletion
    // frees the armed timer and with it the callback.
    run_at(&mut s, 20 * MS);
    assert!(trace.get().is_empty());
    assert_eq!(Rc::strong_count(&held), 1);
    assert_eq!(s.next_expiry(), None);
}

#[test]
fn dropping_the_key_between_runs_removes_the_timer_at_the_next_run() {
    let mut s = stakker();
    let trace = Trace::new();
    let key = ticker(&mut s, 10, &trace);
    drop(key);
    assert_eq!(s.next_expiry(), Some(Instant::from_millis(10))); // deletion only queued
    run_at(&mut s, MS);
    assert_eq!(s.next_expiry(), None);
    run_at(&mut s, 50 * MS);
    assert!(trace.get().is_empty());
}

struct Auditor {
    trace: Trace,
    timer: Option<IntervalKey>,
}

impl Auditor {
    fn init(cx: CX![], trace: Trace, stop_after: usize) -> Option<Self> {
        let timer = interval!(Duration::from_millis(100), [cx], audit(stop_after));
        Some(Auditor {
            trace,
            timer: Some(timer),
        })
    }

    fn audit(&mut self, cx: CX![], stop_after: usize) {
        self.trace
            .push(format!("audit@{}", cx.now().as_nanos() / MS));
        if self
            .trace
            .get()
            .iter()
            .filter(|t| t.starts_with("audit"))
            .count()
            == stop_after
        {
            self.timer = None;
        }
    }

    fn quit(&mut self, cx: CX![]) {
        stop!(cx);
    }
}

#[test]
fn a_key_dropped_by_its_own_tick_stops_the_interval() {
    let mut s = stakker();
    let trace = Trace::new();
    let _a = actor!(
        s,
        Auditor::init(trace.clone(), 2),
        notify(&trace, "auditor")
    );
    for ms in [0, 100, 200, 300, 400] {
        run_at(&mut s, ms * MS);
    }
    assert_eq!(trace.take(), ["audit@100", "audit@200"]);
    assert_eq!(s.next_expiry(), None);
}

#[test]
fn the_interval_ends_with_the_actor_that_holds_its_key() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = actor!(
        s,
        Auditor::init(trace.clone(), usize::MAX),
        notify(&trace, "auditor")
    );
    run_at(&mut s, 0);
    run_at(&mut s, 100 * MS);
    call!([a], quit());
    run_at(&mut s, 150 * MS);
    run_at(&mut s, 300 * MS);
    assert_eq!(trace.take(), ["audit@100", "auditor stop:Actor stopped"]);
    assert_eq!(s.next_expiry(), None);
}

struct Restarter {
    trace: Trace,
    timer: Option<IntervalKey>,
}

impl Restarter {
    fn init(_: CX![], trace: Trace) -> Option<Self> {
        Some(Restarter { trace, timer: None })
    }

    /// Starts (or restarts) the ticks; the closure form captures a `Copy` tag.
    fn start(&mut self, cx: CX![], tag: &'static str) {
        self.timer = Some(interval!(Duration::from_millis(10), [cx], |this, cx| {
            this.trace
                .push(format!("{tag}@{}", cx.now().as_nanos() / MS))
        }));
    }
}

#[test]
fn restarting_replaces_the_old_interval() {
    let mut s = stakker();
    let trace = Trace::new();
    let r = actor!(s, Restarter::init(trace.clone()), ret_nop!());
    call!([r], start("first"));
    run_at(&mut s, 0);
    run_at(&mut s, 10 * MS);
    call!([r], start("second")); // the first key is dropped: one chain only
    run_at(&mut s, 15 * MS);
    run_at(&mut s, 20 * MS);
    run_at(&mut s, 25 * MS);
    run_at(&mut s, 30 * MS);
    assert_eq!(trace.take(), ["first@10", "second@25"]);
    assert_eq!(s.next_expiry(), Some(Instant::from_millis(35)));
}

#[test]
fn interval_macro_inline_forms() {
    let mut s = stakker();
    let trace = Trace::new();
    let t = trace.clone();
    let _k = interval!(Duration::from_millis(5), [s], |s| t
        .push(format!("s@{}", s.now().as_nanos() / MS)));
    run_at(&mut s, 5 * MS);
    run_at(&mut s, 10 * MS);
    assert_eq!(trace.take(), ["s@5", "s@10"]);
}

#[test]
fn a_panicking_tick_does_not_end_the_interval() {
    let mut s = stakker();
    let trace = Trace::new();
    let t = trace.clone();
    let _key = s.interval(Duration::from_millis(10), move |s| {
        let ms = s.now().as_nanos() / MS;
        t.push(format!("tick@{ms}"));
        if ms == 20 {
            panic!("tick at 20");
        }
    });
    run_at(&mut s, 10 * MS);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_at(&mut s, 20 * MS)));
    assert!(r.is_err());
    run_at(&mut s, 30 * MS);
    assert_eq!(trace.take(), ["tick@10", "tick@20", "tick@30"]);
}

#[test]
#[should_panic(expected = "Core::interval: the period must be longer than zero")]
fn a_zero_period_is_refused() {
    let mut s = stakker();
    let _key = s.interval(Duration::ZERO, |_| ());
}

#[test]
fn a_period_past_the_end_of_time_never_ticks() {
    let mut s = Stakker::new(Instant::MAX - Duration::from_secs(1));
    let trace = Trace::new();
    let _key = ticker(&mut s, 2_000, &trace);
    assert_eq!(s.next_expiry(), None);
}

/// Holds an interval whose ticks go to itself (a cycle through the runtime), and counts its
/// own drop through `token`.
struct Holder {
    _timer: IntervalKey,
    _token: Rc<()>,
}

impl Holder {
    fn init(cx: CX![], token: Rc<()>) -> Option<Self> {
        let t = token.clone();
        let timer = interval!(Duration::from_millis(1), [cx], |_this, _cx| {
            let _keep = &t;
        });
        Some(Holder {
            _timer: timer,
            _token: token,
        })
    }
}

#[test]
fn dropping_the_runtime_frees_an_interval_that_targets_its_holder() {
    for owner_first in [false, true] {
        let token = Rc::new(());
        let mut s = stakker();
        let holder = actor!(s, Holder::init(token.clone()), ret_nop!());
        run_at(&mut s, 0);
        run_at(&mut s, 3 * MS);
        assert_eq!(Rc::strong_count(&token), 3, "state and callback hold it");
        if owner_first {
            drop(holder);
            drop(s);
        } else {
            drop(s);
            drop(holder);
        }
        assert_eq!(Rc::strong_count(&token), 1, "owner_first={owner_first}");
    }
}

struct Counter {
    seen: Vec<usize>,
}

impl Counter {
    fn init(_: CX![]) -> Option<Self> {
        Some(Counter { seen: Vec::new() })
    }

    /// Records how many references to the argument exist during the call.
    fn tick(&mut self, _: CX![], arg: Rc<()>) {
        self.seen.push(Rc::strong_count(&arg));
    }
}

#[test]
fn method_form_from_outside_gets_a_clone_of_the_arguments_per_tick() {
    let mut s = stakker();
    let c = actor!(s, Counter::init(), ret_nop!());
    let arg = Rc::new(());
    let key = interval!(Duration::from_millis(1), [c, s], tick(arg.clone()));
    for ms in 0..=3 {
        run_at(&mut s, ms * MS);
    }
    // During each call: ours, the interval's and the tick's clone; none kept afterwards.
    assert_eq!(
        c.query(&mut s, |this, _| this.seen.clone()).unwrap(),
        [3, 3, 3]
    );
    assert_eq!(Rc::strong_count(&arg), 2);
    drop(key);
    run_at(&mut s, 4 * MS);
    assert_eq!(Rc::strong_count(&arg), 1);
}
