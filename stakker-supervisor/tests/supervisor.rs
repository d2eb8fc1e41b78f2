//! Strategies, restart kinds, the intensity window, escalation, failing `init`, backoff and
//! the `Child` handle, each checked by the exact trace of starts, drops and stops.

mod util;

use stakker_core::time::Duration;
use stakker_core::{ret_nop, ActorOwn, Ret, Stakker, StopCause};
use stakker_supervisor::{Child, IntensityExceeded, Restart, Strategy, Supervisor, SupervisorSpec};
use stakker_testkit::Sim;
use util::{at, failing_worker, notify, reply, stakker, tagged_reply, worker, Trace, Worker};

const MINUTE: Duration = Duration::from_secs(60);

/// Three permanent workers a, b, c under `strategy`, started at 0 ms.
fn three(trace: &Trace, strategy: Strategy) -> (Stakker, ActorOwn<Supervisor>, [Child<Worker>; 3]) {
    let mut spec = SupervisorSpec::new(strategy).intensity(10, MINUTE);
    let children = ["a", "b", "c"].map(|n| spec.child(n, Restart::Permanent, worker(trace, n)));
    let (s, sup) = running(&spec, notify(trace, "sup"));
    assert_eq!(trace.take(), ["start a@0", "start b@0", "start c@0"]);
    (s, sup, children)
}

/// A runtime running a supervisor made from `spec`, its children started at 0 ms.
fn running(spec: &SupervisorSpec, notify: Ret<StopCause>) -> (Stakker, ActorOwn<Supervisor>) {
    let mut s = stakker();
    let sup = spec.start(&mut s, notify);
    s.run(at(0), false);
    (s, sup)
}

fn restarts(s: &mut Stakker, sup: &ActorOwn<Supervisor>) -> u64 {
    sup.query(s, |sup, _| sup.restarts())
        .expect("supervisor running")
}

#[test]
fn one_for_one_restarts_only_the_failed_child() {
    let trace = Trace::new();
    let (mut s, sup, [a, b, c]) = three(&trace, Strategy::OneForOne);
    let (a0, c0) = (a.actor().unwrap(), c.actor().unwrap());
    b.call(|w, cx| w.crash(cx, "oops"));
    s.run(at(5), false);
    assert_eq!(trace.take(), ["drop b", "start b@5"]);
    assert_eq!(restarts(&mut s, &sup), 1);
    assert!(!a0.is_zombie() && !c0.is_zombie());
}

#[test]
fn one_for_all_stops_the_others_in_reverse_order_and_restarts_all_in_order() {
    let trace = Trace::new();
    let (mut s, sup, [_a, b, _c]) = three(&trace, Strategy::OneForAll);
    b.call(|w, cx| w.crash(cx, "oops"));
    s.run(at(5), false);
    assert_eq!(
        trace.take(),
        [
            "drop b",
            "drop c",
            "drop a",
            "start a@5",
            "start b@5",
            "start c@5"
        ]
    );
    assert_eq!(restarts(&mut s, &sup), 1);
}

#[test]
fn rest_for_one_restarts_the_failed_child_and_those_started_after_it() {
    let trace = Trace::new();
    let (mut s, sup, [a, b, _c]) = three(&trace, Strategy::RestForOne);
    let a0 = a.actor().unwrap();
    b.call(|w, cx| w.crash(cx, "oops"));
    s.run(at(5), false);
    assert_eq!(trace.take(), ["drop b", "drop c", "start b@5", "start c@5"]);
    assert!(!a0.is_zombie());
    assert_eq!(restarts(&mut s, &sup), 1);
}

/// One child of each kind under one-for-one; each is stopped normally, then (if it is still
/// there) made to fail.
#[test]
fn restart_kinds_decide_by_the_stop_cause() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne).intensity(10, MINUTE);
    let p = spec.child("p", Restart::Permanent, worker(&trace, "p"));
    let t = spec.child("t", Restart::Transient, worker(&trace, "t"));
    let t2 = spec.child("t2", Restart::Transient, worker(&trace, "t2"));
    let x = spec.child("x", Restart::Temporary, worker(&trace, "x"));
    let (mut s, sup) = running(&spec, notify(&trace, "sup"));
    trace.take();

    p.call(|w, cx| w.quit(cx)); // permanent: restarted even after a normal stop
    t.call(|w, cx| w.quit(cx)); // transient: a normal stop ends it
    t2.call(|w, cx| w.crash(cx, "bad")); // transient: a failure restarts it
    x.call(|w, cx| w.crash(cx, "bad")); // temporary: never restarted
    s.run(at(1), false);
    assert_eq!(
        trace.take(),
        [
            "drop p",
            "drop t",
            "drop t2",
            "drop x",
            "start p@1",
            "start t2@1"
        ]
    );
    assert_eq!(restarts(&mut s, &sup), 2);
    assert!(t.is_stopped() && x.is_stopped());
    assert!(!p.is_stopped() && !t2.is_stopped());

    // A call through the handle of a child that is stopped for good is dropped at once.
    let r = reply(&trace);
    x.call(move |w, cx| w.job(cx, r));
    assert_eq!(trace.take(), ["reply None"]);
}

#[test]
fn a_temporary_sibling_stopped_by_a_group_restart_stays_stopped() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForAll).intensity(10, MINUTE);
    let a = spec.child("a", Restart::Permanent, worker(&trace, "a"));
    let x = spec.child("x", Restart::Temporary, worker(&trace, "x"));
    let (mut s, _sup) = running(&spec, ret_nop!());
    trace.take();
    a.call(|w, cx| w.crash(cx, "oops"));
    s.run(at(1), false);
    assert_eq!(trace.take(), ["drop a", "drop x", "start a@1"]);
    assert!(x.is_stopped());
}

/// At most 2 restarts within any 10 s, counted over both children, v and w.
#[test]
fn the_intensity_window_slides_in_virtual_time() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne).intensity(2, Duration::from_secs(10));
    let v = spec.child("v", Restart::Permanent, worker(&trace, "v"));
    let w = spec.child("w", Restart::Permanent, worker(&trace, "w"));
    let (mut s, sup) = running(&spec, notify(&trace, "sup"));
    let crash_at = |s: &mut Stakker, who: &Child<Worker>, secs: u64, why: &'static str| {
        who.call(move |w, cx| w.crash(cx, why));
        s.run(at(secs * 1_000), false);
    };
    crash_at(&mut s, &v, 1, "v 1st"); // window: 1 s
    crash_at(&mut s, &w, 6, "w 1st"); // window: 1 s, 6 s
    crash_at(&mut s, &v, 11, "v 2nd"); // 1 s left the window at 11 s exactly: 6 s, 11 s
    assert_eq!(restarts(&mut s, &sup), 3);
    trace.take();
    // 6 s, 11 s, 15 s: one too many. A window that restarted empty when its oldest restart
    // expired (or a fixed 10 s bucket) would hold only 11 s and 15 s, and allow it.
    crash_at(&mut s, &w, 15, "w 2nd");
    assert_eq!(
        trace.take(),
        [
            "drop w",
            "sup stopped: Actor failed: supervisor gave up: child `w` needed more than 2 \
             restarts in 10s; last failure: Actor failed: w 2nd",
            "drop v" // the other child stops with its supervisor's state
        ]
    );
    assert!(v.is_stopped() && w.is_stopped());
}

/// top (one-for-one, 1 restart per minute) ─ mid (one-for-one, 1 restart per minute) ─ leaf.
#[test]
fn escalation_climbs_two_levels() {
    let trace = Trace::new();
    let mut mid = SupervisorSpec::new(Strategy::OneForOne).intensity(1, MINUTE);
    let leaf = mid.child("leaf", Restart::Permanent, worker(&trace, "leaf"));
    let mut top = SupervisorSpec::new(Strategy::OneForOne).intensity(1, MINUTE);
    let mid_handle = top.child("mid", Restart::Permanent, move |core, notify| {
        mid.start(core, notify)
    });
    let mut s = stakker();
    let cause = std::rc::Rc::new(std::cell::RefCell::new(None));
    let c = cause.clone();
    let top = top.start(
        &mut s,
        Ret::new(move |got: Option<StopCause>| *c.borrow_mut() = got),
    );
    s.run(at(0), false);
    let crash = |s: &mut Stakker, t: u64| {
        leaf.call(|w, cx| w.crash(cx, "leaf broke"));
        s.run(at(t), false);
    };
    crash(&mut s, 1); // mid restarts leaf
    crash(&mut s, 2); // mid gives up; top restarts mid, whose new instance starts leaf
    assert_eq!(restarts(&mut s, &top), 1);
    let mid_now = mid_handle.actor().unwrap();
    assert_eq!(mid_now.query(&mut s, |m, _| m.restarts()), Some(0));
    crash(&mut s, 3);
    crash(&mut s, 4); // mid gives up again: top's second restart in a minute is refused
    assert_eq!(
        trace.take(),
        [
            "start leaf@0",
            "drop leaf",
            "start leaf@1",
            "drop leaf",
            "start leaf@2",
            "drop leaf",
            "start leaf@3",
            "drop leaf",
        ]
    );
    let cause = cause.borrow_mut().take().expect("top's owner was told");
    assert_eq!(
        cause.to_string(),
        "Actor failed: supervisor gave up: child `mid` needed more than 1 restarts in 60s; \
         last failure: Actor failed: supervisor gave up: child `leaf` needed more than 1 \
         restarts in 60s; last failure: Actor failed: leaf broke"
    );
    let StopCause::Failed(err) = cause else {
        panic!("not a failure")
    };
    let err = err
        .downcast_ref::<IntensityExceeded>()
        .expect("typed error");
    assert_eq!((err.child.as_str(), err.max_restarts), ("mid", 1));
    assert!(top.is_zombie() && mid_handle.is_stopped() && leaf.is_stopped());
}

#[test]
fn a_child_failing_in_init_is_restarted_until_the_limit_then_escalates() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne).intensity(3, MINUTE);
    let w = spec.child("w", Restart::Permanent, failing_worker(&trace, "w"));
    let mut s = stakker();
    let _sup = spec.start(&mut s, notify(&trace, "sup"));
    let r = reply(&trace);
    w.call(move |w, cx| w.job(cx, r)); // held for an instance that never gets ready
    s.run(at(0), false);
    assert_eq!(
        trace.take(),
        [
            "start w@0",
            "reply None", // dropped with the first instance, whose init failed
            "start w@0",
            "start w@0",
            "start w@0",
            "sup stopped: Actor failed: supervisor gave up: child `w` needed more than 3 \
             restarts in 60s; last failure: Actor failed: cannot start"
        ]
    );
}

#[test]
fn backoff_doubles_up_to_its_maximum_on_the_runtimes_timers() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(4, MINUTE)
        .backoff(Duration::from_secs(1), Duration::from_secs(3));
    let _w = spec.child("w", Restart::Permanent, failing_worker(&trace, "w"));
    let mut sim = Sim::new();
    let _sup = spec.start(&mut sim, notify(&trace, "sup"));
    sim.run();
    let mut timers = Vec::new();
    while let Some(t) = sim.advance_to_next_timer() {
        timers.push(t);
    }
    assert_eq!(timers, [at(1_000), at(3_000), at(6_000), at(9_000)]);
    assert_eq!(
        trace.take(),
        [
            "start w@0",
            "start w@1000", // 1 s
            "start w@3000", // 2 s
            "start w@6000", // 4 s, capped at 3 s
            "start w@9000", // 3 s
            "sup stopped: Actor failed: supervisor gave up: child `w` needed more than 4 \
             restarts in 60s; last failure: Actor failed: cannot start"
        ]
    );
}

#[test]
fn calls_made_while_a_child_restarts_are_queued_for_the_new_instance_in_order() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(3, MINUTE)
        .backoff(Duration::from_secs(1), Duration::from_secs(1));
    let w = spec.child("w", Restart::Permanent, worker(&trace, "w"));
    let (mut s, _sup) = running(&spec, ret_nop!());
    w.call(|w, cx| w.crash(cx, "oops"));
    let r = reply(&trace);
    w.call(move |w, cx| w.job(cx, r)); // queued on the instance that fails first: dropped
    s.run(at(10), false);
    assert!(w.actor().is_none(), "restarting during the backoff");
    for tag in ["first:", "second:"] {
        let r = tagged_reply(&trace, tag);
        w.call(move |w, cx| w.job(cx, r));
    }
    s.run(at(500), false);
    s.run(at(1_010), false);
    assert_eq!(
        trace.take(),
        [
            "start w@0",
            "drop w",
            "reply None",
            "start w@1010",
            "first: Some(\"w job 1\")",
            "second: Some(\"w job 2\")"
        ]
    );
}

/// A call that meets the failed instance before the supervisor has heard of the failure (it
/// runs in the same batch, after the crash and before the queued notification) is held too.
#[test]
fn a_call_racing_the_failure_notification_waits_for_the_new_instance() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne).intensity(3, MINUTE);
    let w = spec.child("w", Restart::Permanent, worker(&trace, "w"));
    let (mut s, _sup) = running(&spec, ret_nop!());
    w.call(|w, cx| w.crash(cx, "oops"));
    let (w2, t, r) = (w.clone(), trace.clone(), tagged_reply(&trace, "late call:"));
    s.defer(move |_| {
        t.push(format!("instance gone: {}", w2.actor().is_none()));
        w2.call(move |w, cx| w.job(cx, r));
    });
    s.run(at(1), false);
    assert_eq!(
        trace.take(),
        [
            "start w@0",
            "drop w",
            "instance gone: true",
            "start w@1",
            "late call: Some(\"w job 1\")"
        ]
    );
}

#[test]
fn dropping_the_supervisor_stops_its_children_and_their_handles() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne);
    let a = spec.child("a", Restart::Permanent, worker(&trace, "a"));
    let b = spec.child("b", Restart::Permanent, worker(&trace, "b"));
    let (mut s, sup) = running(&spec, notify(&trace, "sup"));
    drop(sup);
    s.run(at(1), false);
    assert_eq!(
        trace.take(),
        [
            "start a@0",
            "start b@0",
            "sup stopped: Actor was dropped",
            "drop b",
            "drop a"
        ]
    );
    assert!(a.is_stopped() && b.is_stopped());
}

#[test]
fn a_zero_restart_limit_lets_the_first_restart_escalate() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne).intensity(0, MINUTE);
    let t = spec.child("t", Restart::Transient, worker(&trace, "t"));
    let w = spec.child("w", Restart::Permanent, worker(&trace, "w"));
    let (mut s, _sup) = running(&spec, notify(&trace, "sup"));
    t.call(|w, cx| w.quit(cx)); // needs no restart: the supervisor carries on
    s.run(at(1), false);
    assert_eq!(trace.take(), ["start t@0", "start w@0", "drop t"]);
    w.call(|w, cx| w.crash(cx, "oops"));
    s.run(at(2), false);
    assert_eq!(
        trace.take(),
        [
            "drop w",
            "sup stopped: Actor failed: supervisor gave up: child `w` needed more than 0 \
             restarts in 60s; last failure: Actor failed: oops"
        ]
    );
}

#[test]
#[should_panic(expected = "SupervisorSpec::intensity: the period must be longer than zero")]
fn a_zero_intensity_period_is_refused() {
    let _ = SupervisorSpec::new(Strategy::OneForOne).intensity(3, Duration::ZERO);
}

/// The running supervisor would never start a child added to its spec later.
#[test]
#[should_panic(expected = "SupervisorSpec::child: child `late` added after the spec was started")]
fn adding_a_child_after_start_is_refused() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne);
    let _early = spec.child("early", Restart::Permanent, worker(&trace, "early"));
    let mut s = stakker();
    drop(spec.start(&mut s, ret_nop!())); // started, then stopped
    s.run(at(0), false);
    let _late = spec.child("late", Restart::Permanent, worker(&trace, "late"));
}

#[test]
fn a_second_supervisor_from_a_running_spec_fails_and_the_first_carries_on() {
    let trace = Trace::new();
    let mut spec = SupervisorSpec::new(Strategy::OneForOne);
    let w = spec.child("w", Restart::Permanent, worker(&trace, "w"));
    let (mut s, first) = running(&spec, notify(&trace, "first"));
    let _second = spec.clone().start(&mut s, notify(&trace, "second"));
    s.run(at(1), false);
    w.call(|w, cx| w.crash(cx, "oops"));
    s.run(at(2), false);
    assert_eq!(
        trace.take(),
        [
            "start w@0",
            "second stopped: Actor failed: supervisor not started: another supervisor from \
             the same spec is running (they would share its child handles)",
            "drop w",
            "start w@2"
        ]
    );
    assert_eq!(restarts(&mut s, &first), 1);
    // Once the first has stopped, the spec can be started again.
    drop(first);
    s.run(at(3), false);
    let _third = spec.start(&mut s, notify(&trace, "third"));
    s.run(at(4), false);
    assert_eq!(
        trace.take(),
        ["first stopped: Actor was dropped", "drop w", "start w@4"]
    );
}

/// A supervisor stopped by its parent's group restart and started again at once: the new
/// instance's `init` runs after the old one's termination, so it is not refused.
#[test]
fn a_supervisor_restarted_by_a_one_for_all_parent_starts_again() {
    let trace = Trace::new();
    let mut inner = SupervisorSpec::new(Strategy::OneForOne);
    let _w = inner.child("w", Restart::Permanent, worker(&trace, "w"));
    let mut outer = SupervisorSpec::new(Strategy::OneForAll).intensity(10, MINUTE);
    let inner = outer.child("inner", Restart::Permanent, move |core, notify| {
        inner.start(core, notify)
    });
    let x = outer.child("x", Restart::Permanent, worker(&trace, "x"));
    let (mut s, _outer) = running(&outer, notify(&trace, "outer"));
    let inner0 = inner.actor().unwrap();
    x.call(|w, cx| w.crash(cx, "oops"));
    s.run(at(1), false);
    assert_eq!(
        trace.take(),
        [
            "start x@0", // inner's worker starts from inner's own queued `init`, so after x
            "start w@0",
            "drop x",
            "start x@1",
            "drop w",
            "start w@1"
        ]
    );
    assert!(inner0.is_zombie() && inner.actor().is_some());
}
