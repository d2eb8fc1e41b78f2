//! Panics inside the runtime: propagation, recovery and containment (crate docs, "Panics").

mod util;

use stakker_core::time::Instant;
use stakker_core::{Actor, ActorOwn, Cx, Fwd, Ret, Stakker, StopCause};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use util::{notify, run_at, stakker, DeferApply, Trace};

struct Worker {
    trace: Trace,
    count: u32,
}

impl Worker {
    fn init(_: &mut Cx<'_, Worker>, trace: Trace) -> Option<Worker> {
        trace.push("init");
        Some(Worker { trace, count: 0 })
    }
    fn work(&mut self, _: &mut Cx<'_, Worker>, n: u32) {
        self.count += 1;
        if n == 13 {
            panic!("unlucky {n}");
        }
        self.trace.push(format!("work{n} count{}", self.count));
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.trace.push("worker drop");
    }
}

fn worker(s: &mut Stakker, trace: &Trace) -> ActorOwn<Worker> {
    let a = ActorOwn::new(s, notify(trace, "w"), 0);
    let t = trace.clone();
    a.defer_apply_prep(move |cx| Worker::init(cx, t));
    a
}

fn work(a: &ActorOwn<Worker>, n: u32) {
    a.defer_apply(move |this, cx| this.work(cx, n));
}

fn mark(s: &mut Stakker, trace: &Trace, text: &'static str) {
    let t = trace.clone();
    s.defer(move |_| t.push(text));
}

/// The stop text of an actor failed by a panic: with `std` it carries the panic message.
fn failed(msg: &str) -> String {
    if cfg!(feature = "std") {
        format!("w stop:Actor failed: actor call panicked: {msg}")
    } else {
        "w stop:Actor failed: actor call panicked".to_string()
    }
}

fn panic_text(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn ready_method_panic_propagates_then_runtime_recovers_and_actor_fails() {
    let mut s = stakker();
    let trace = Trace::new();
    let w = worker(&mut s, &trace);
    work(&w, 1);
    work(&w, 13);
    mark(&mut s, &trace, "item after panic");
    work(&w, 2); // to the failing actor: dropped
    let t = trace.clone();
    s.lazy(move |_| t.push("lazy item"));
    let t = trace.clone();
    s.idle(move |_| t.push("idle item"));

    let e = catch_unwind(AssertUnwindSafe(|| run_at(&mut s, 1))).unwrap_err();
    assert_eq!(panic_text(e), "unlucky 13");
    assert_eq!(trace.take(), ["init", "work1 count1"]);
    assert!(w.is_zombie(), "a failing actor takes no more calls");

    // Nothing user-visible ran during unwinding; the next run carries on in order.
    assert!(run_at(&mut s, 2));
    assert_eq!(
        trace.take(),
        [
            "item after panic",
            "worker drop",
            &failed("unlucky 13"),
            "lazy item"
        ]
    );
    assert!(!s.run(Instant::from_nanos(3), true));
    assert_eq!(trace.take(), ["idle item"]);
}

#[test]
fn prep_method_panic_fails_the_actor_and_drops_parked_calls_later() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = ActorOwn::<Worker>::new(&mut s, notify(&trace, "w"), 0);
    let t = trace.clone();
    let r: Ret<u8> = Ret::new(move |m| t.push(format!("parked ret {m:?}")));
    a.defer_apply(move |_, _| drop(r)); // parked in Prep
    a.defer_apply_prep(|_| panic!("init failed"));
    mark(&mut s, &trace, "next item");
    let e = catch_unwind(AssertUnwindSafe(|| run_at(&mut s, 1))).unwrap_err();
    assert_eq!(panic_text(e), "init failed");
    assert!(trace.get().is_empty());
    run_at(&mut s, 2);
    assert_eq!(
        trace.take(),
        ["next item", "parked ret None", &failed("init failed")]
    );
}

#[test]
fn panic_in_fwd_and_ret_handlers_keeps_queue_order() {
    let mut s = stakker();
    let trace = Trace::new();
    let f: Fwd<u32> = Fwd::new(|n| panic!("fwd handler {n}"));
    let r: Ret<u32> = Ret::new(|m| panic!("ret handler {m:?}"));
    mark(&mut s, &trace, "a");
    s.defer(move |_| f.fwd(1));
    mark(&mut s, &trace, "b");
    s.defer(move |_| r.ret(2));
    mark(&mut s, &trace, "c");

    let e = catch_unwind(AssertUnwindSafe(|| run_at(&mut s, 1))).unwrap_err();
    assert_eq!(panic_text(e), "fwd handler 1");
    assert_eq!(trace.take(), ["a"]);
    let e = catch_unwind(AssertUnwindSafe(|| run_at(&mut s, 2))).unwrap_err();
    assert_eq!(panic_text(e), "ret handler Some(2)");
    assert_eq!(trace.take(), ["b"]);
    run_at(&mut s, 3);
    assert_eq!(trace.take(), ["c"]);
}

#[test]
fn panic_in_lazy_batch_keeps_the_rest_of_the_batch_first() {
    let mut s = stakker();
    let trace = Trace::new();
    let t = trace.clone();
    s.lazy(move |s| {
        t.push("lazy1");
        let t2 = t.clone();
        s.lazy(move |_| t2.push("lazy queued by lazy1"));
    });
    s.lazy(|_| panic!("lazy2"));
    let t = trace.clone();
    s.lazy(move |_| t.push("lazy3"));
    let e = catch_unwind(AssertUnwindSafe(|| run_at(&mut s, 1))).unwrap_err();
    assert_eq!(panic_text(e), "lazy2");
    assert_eq!(trace.take(), ["lazy1"]);
    run_at(&mut s, 2);
    assert_eq!(trace.take(), ["lazy3", "lazy queued by lazy1"]);
}

#[test]
fn panic_in_idle_item_keeps_other_idle_items() {
    let mut s = stakker();
    let trace = Trace::new();
    s.idle(|_| panic!("idle"));
    let t = trace.clone();
    s.idle(move |_| t.push("idle2"));
    let e = catch_unwind(AssertUnwindSafe(|| s.run(Instant::from_nanos(1), true))).unwrap_err();
    assert_eq!(panic_text(e), "idle");
    assert!(!s.run(Instant::from_nanos(2), true));
    assert_eq!(trace.take(), ["idle2"]);
}

#[test]
fn panic_in_query_fails_the_actor() {
    let mut s = stakker();
    let trace = Trace::new();
    let w = worker(&mut s, &trace);
    run_at(&mut s, 1);
    let e = catch_unwind(AssertUnwindSafe(|| {
        w.query(&mut s, |this, cx| this.work(cx, 13));
    }))
    .unwrap_err();
    assert_eq!(panic_text(e), "unlucky 13");
    assert!(w.is_zombie());
    run_at(&mut s, 2);
    assert_eq!(trace.take(), ["init", "worker drop", &failed("unlucky 13")]);
}

#[cfg(feature = "std")]
#[test]
fn contained_panic_fails_actor_at_once_and_run_carries_on() {
    let mut s = stakker();
    s.set_catch_panics(true);
    let trace = Trace::new();
    let w = worker(&mut s, &trace);
    work(&w, 1);
    work(&w, 13);
    work(&w, 2);
    mark(&mut s, &trace, "after");
    run_at(&mut s, 1);
    assert_eq!(
        trace.take(),
        [
            "init",
            "work1 count1",
            "worker drop",
            &failed("unlucky 13"),
            "after"
        ]
    );
}

#[cfg(feature = "std")]
#[test]
fn contained_panic_in_prep_and_parked_calls() {
    let mut s = stakker();
    s.set_catch_panics(true);
    let trace = Trace::new();
    let a = ActorOwn::<Worker>::new(&mut s, notify(&trace, "w"), 0);
    a.defer_apply(|this, cx| this.work(cx, 1));
    a.defer_apply(|this, cx| this.work(cx, 13));
    a.defer_apply(|this, cx| this.work(cx, 2));
    let t = trace.clone();
    a.defer_apply_prep(move |cx| Worker::init(cx, t));
    mark(&mut s, &trace, "after");
    run_at(&mut s, 1);
    assert_eq!(
        trace.take(),
        [
            "init",
            "work1 count1",
            "worker drop",
            &failed("unlucky 13"),
            "after"
        ]
    );
}

#[cfg(feature = "std")]
#[test]
fn panic_outside_actor_calls_still_propagates_with_containment() {
    let mut s = stakker();
    s.set_catch_panics(true);
    let trace = Trace::new();
    s.defer(|_| panic!("plain item"));
    mark(&mut s, &trace, "next");
    let e = catch_unwind(AssertUnwindSafe(|| run_at(&mut s, 1))).unwrap_err();
    assert_eq!(panic_text(e), "plain item");
    run_at(&mut s, 2);
    assert_eq!(trace.take(), ["next"]);
}

#[test]
fn kill_after_panic_does_not_replace_the_failure() {
    let mut s = stakker();
    let trace = Trace::new();
    let w = worker(&mut s, &trace);
    work(&w, 13);
    let e = catch_unwind(AssertUnwindSafe(|| run_at(&mut s, 1))).unwrap_err();
    assert_eq!(panic_text(e), "unlucky 13");
    w.kill_str(&mut s, "too late");
    drop(w);
    run_at(&mut s, 2);
    assert_eq!(trace.take(), ["init", "worker drop", &failed("unlucky 13")]);
}

/// The stop text of an actor whose call panicked where the runtime could not see the message
/// (`Actor::apply` outside `run`, or a panic caught by user code).
const NO_MESSAGE: &str = "Actor failed: actor call panicked";

/// The `StopCause`s an actor's notify `Ret` was given, kept to look at again later.
#[derive(Clone, Default)]
struct Kept(Rc<RefCell<Vec<StopCause>>>);

impl Kept {
    fn texts(&self) -> Vec<String> {
        self.0.borrow().iter().map(|c| c.to_string()).collect()
    }
}

/// A `Worker` whose stop causes are kept (initialised by the next run).
fn kept_worker(s: &mut Stakker, trace: &Trace) -> (ActorOwn<Worker>, Kept) {
    let kept = Kept::default();
    let k = kept.clone();
    let notify = Ret::new(move |c: Option<StopCause>| k.0.borrow_mut().extend(c));
    let a = ActorOwn::new(s, notify, 0);
    let t = trace.clone();
    a.defer_apply_prep(move |cx| Worker::init(cx, t));
    (a, kept)
}

/// `Actor::apply` with a call that panics, the panic caught at once (as user code may, inside
/// or outside `run`).
fn apply_panicking(s: &mut Stakker, a: &Actor<Worker>) {
    let e = catch_unwind(AssertUnwindSafe(|| a.apply(s, |_, _| panic!("a broke")))).unwrap_err();
    assert_eq!(panic_text(e), "a broke");
}

/// Runs `s` at `t`, which must panic with `text`.
fn run_panicking(s: &mut Stakker, t: u64, text: &str) {
    let e = catch_unwind(AssertUnwindSafe(|| run_at(s, t))).unwrap_err();
    assert_eq!(panic_text(e), text);
}

#[test]
fn panic_in_apply_outside_run_takes_no_message_from_a_later_panic() {
    let mut s = stakker();
    let (a, kept) = kept_worker(&mut s, &Trace::new());
    run_at(&mut s, 1);
    s.defer(|_| panic!("plain item")); // runs before `a`'s queued termination
    apply_panicking(&mut s, &a);
    run_panicking(&mut s, 2, "plain item");
    run_at(&mut s, 3);
    assert_eq!(kept.texts(), [NO_MESSAGE]);
}

#[test]
fn panic_caught_inside_run_takes_no_message_from_another_actors_panic() {
    let mut s = stakker();
    let trace = Trace::new();
    let (a, kept) = kept_worker(&mut s, &trace);
    let b = worker(&mut s, &trace);
    run_at(&mut s, 1);
    let a2 = a.clone();
    s.defer(move |s| apply_panicking(s, &a2)); // `a`'s termination is queued behind `b`'s call
    work(&b, 13);
    run_panicking(&mut s, 2, "unlucky 13");
    run_at(&mut s, 3);
    assert_eq!(kept.texts(), [NO_MESSAGE]);
    assert_eq!(
        trace.take()[2..],
        ["worker drop", "worker drop", &failed("unlucky 13")]
    );
}

#[test]
fn delivered_stop_cause_never_changes_its_text() {
    let mut s = stakker();
    let (a, kept) = kept_worker(&mut s, &Trace::new());
    run_at(&mut s, 1);
    let a2 = a.clone();
    s.defer(move |s| {
        apply_panicking(s, &a2);
        // `a`'s termination, queued by the panic, runs before this next item.
        s.defer(|_| panic!("plain item"));
    });
    run_panicking(&mut s, 2, "plain item");
    assert_eq!(kept.texts(), [NO_MESSAGE]);
    run_at(&mut s, 3);
    assert_eq!(kept.texts(), [NO_MESSAGE]);
}

#[cfg(feature = "std")]
#[test]
fn contained_plain_panic_after_a_caught_actor_panic_still_propagates() {
    let mut s = stakker();
    s.set_catch_panics(true);
    let (a, kept) = kept_worker(&mut s, &Trace::new());
    run_at(&mut s, 1);
    let a2 = a.clone();
    s.defer(move |s| apply_panicking(s, &a2)); // caught by the item itself
    s.defer(|_| panic!("plain item"));
    run_panicking(&mut s, 2, "plain item");
    run_at(&mut s, 3);
    assert_eq!(kept.texts(), [NO_MESSAGE]);
}
