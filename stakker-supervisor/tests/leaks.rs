//! No leak after many restarts: memory is counted by a per-thread counting allocator (the
//! approach of stakker-core's `tests/leaks.rs`), while a two-level supervision tree restarts
//! its workers thousands of times (failures, contained panics, failing inits, monitors set on
//! every instance, calls held across restarts).
//!
//! Two checks: while the system runs, live memory after 2,000 more restarts is exactly what it
//! was before them (nothing grows per restart); and after the `Stakker` is dropped, everything
//! the run allocated is freed.

#![allow(missing_docs)]

mod util;

use stakker_core::time::Duration;
use stakker_core::{Fwd, Monitor, Ret, Stakker, StopCause};
use stakker_supervisor::{Child, Restart, Strategy, SupervisorSpec};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use util::{at, notify, Trace, Worker};

struct Counting;

thread_local! {
    static LIVE_BYTES: Cell<i64> = const { Cell::new(0) };
    static LIVE_BLOCKS: Cell<i64> = const { Cell::new(0) };
}

fn note(bytes: i64, blocks: i64) {
    // `try_with`: these thread-locals have no destructor, but an allocator must not panic.
    let _ = LIVE_BYTES.try_with(|c| c.set(c.get() + bytes));
    let _ = LIVE_BLOCKS.try_with(|c| c.set(c.get() + blocks));
}

// SAFETY: every method forwards to `System` unchanged; the counting touches only
// thread-locals that need neither allocation nor a destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as i64, 1);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as i64), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as i64 - layout.size() as i64, 0);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes and blocks allocated and not yet freed by this thread.
fn live() -> (i64, i64) {
    (LIVE_BYTES.with(Cell::get), LIVE_BLOCKS.with(Cell::get))
}

/// The payload of the panics raised on purpose, which a quiet hook does not print.
struct IntendedPanic;

fn quiet_intended_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<IntendedPanic>() {
                prev(info);
            }
        }));
    });
}

/// top (one-for-one) ─ pool (one-for-all, 100 µs backoff) ─ a, b (permanent workers).
struct Tree {
    s: Stakker,
    now: u64,
    workers: [Child<Worker>; 2],
    monitors: Rc<RefCell<Vec<Monitor>>>,
    stops_seen: Rc<Cell<u64>>,
    _top: stakker_core::ActorOwn<stakker_supervisor::Supervisor>,
}

impl Tree {
    /// `backoff`: the pool's wait before each restart (zero for none).
    fn new(trace: &Trace, backoff: Duration) -> Self {
        let mut pool = SupervisorSpec::new(Strategy::OneForAll)
            .intensity(1_000, Duration::from_millis(1))
            .backoff(backoff, backoff);
        let workers = ["a", "b"].map(|n| pool.child(n, Restart::Permanent, util::worker(trace, n)));
        let mut top = SupervisorSpec::new(Strategy::OneForOne).intensity(3, Duration::from_secs(1));
        top.child("pool", Restart::Permanent, move |core, n| {
            pool.start(core, n)
        });
        let mut s = Stakker::new(at(0));
        s.set_catch_panics(true);
        let top = top.start(&mut s, notify(trace, "top"));
        s.run(at(0), false);
        Tree {
            s,
            now: 0,
            workers,
            monitors: Rc::default(),
            stops_seen: Rc::default(),
            _top: top,
        }
    }

    /// One restart of the pool: a worker fails (by `fail`, or by a contained panic) while
    /// a monitor watches it and a call waits for the next instance.
    fn restart_once(&mut self, i: u64) {
        let w = &self.workers[(i % 2) as usize];
        let seen = self.stops_seen.clone();
        let watch = Fwd::new(move |_: StopCause| seen.set(seen.get() + 1));
        let monitor = w.actor().expect("running").monitor(watch);
        let mut monitors = self.monitors.borrow_mut();
        monitors.push(monitor);
        if monitors.len() > 4 {
            drop(monitors.remove(0)); // some monitors are dropped after firing, some kept a while
        }
        drop(monitors);
        if i % 3 == 0 {
            w.call(|_, _| std::panic::panic_any(IntendedPanic));
        } else {
            w.call(|w, cx| w.crash(cx, "crash"));
        }
        w.call(|w, cx| w.job(cx, Ret::new(|_| ())));
        self.now += 2; // past the backoff, and the intensity window only ever holds one
        self.s.run(at(self.now), false);
        self.s.run(at(self.now + 1), false);
        self.now += 1;
    }
}

/// Runs the tree for `n` restarts from `first`, taking the trace after each; returns how
/// many worker instances started.
fn restarts(tree: &mut Tree, trace: &Trace, first: u64, n: u64) -> usize {
    let mut starts = 0;
    for i in first..first + n {
        tree.restart_once(i);
        starts += trace
            .take()
            .iter()
            .filter(|e| e.starts_with("start"))
            .count();
    }
    starts
}

/// Restarts without backoff (no timers), so nothing but the supervision tree is exercised: after
/// a warm-up, memory stays exactly level. (With backoff, the runtime's timer wheel allocates
/// its bucket `Vec`s lazily as virtual time reaches new buckets, a bounded growth of the core
/// that is not a leak; the next test covers backoff.)
#[test]
fn restarting_does_not_grow_memory() {
    quiet_intended_panics();
    let trace = Trace::new();
    let mut tree = Tree::new(&trace, Duration::ZERO);
    restarts(&mut tree, &trace, 0, 200);
    let steady = live();
    let starts = restarts(&mut tree, &trace, 200, 2_000);
    assert_eq!(live(), steady, "live (bytes, blocks) grew while restarting");
    assert_eq!(starts, 4_000, "2,000 one-for-all restarts of two workers");
    assert_eq!(tree.stops_seen.get(), 2_200, "every monitor fired once");
}

/// With backoff timers: a tree restarted many times and then dropped frees everything.
#[test]
fn a_dropped_tree_frees_everything() {
    quiet_intended_panics();
    let scenario = || {
        let trace = Trace::new();
        let mut tree = Tree::new(&trace, Duration::from_micros(100));
        let starts = restarts(&mut tree, &trace, 0, 500);
        assert_eq!(
            starts,
            2 + 1_000,
            "the first two instances, then two per restart"
        );
        drop(tree);
        // The runtime goes first (a field order): its teardown drops every actor's state, and
        // notifications report `None`.
        assert_eq!(trace.take(), ["drop b", "drop a", "top stopped: None"]);
    };
    scenario(); // warms up what is created once per thread (panic machinery)
    let before = live();
    scenario();
    assert_eq!(live(), before, "a dropped tree left memory behind");
}
