//! Monitors (`Actor::monitor`): told once, after the actor's own notification, without keeping
//! the actor alive; cancelled by dropping the `Monitor`.

mod util;

use stakker_core::{
    actor, call, kill, ret_nop, ret_to, stop, Actor, ActorOwn, Fwd, Monitor, Stakker, StopCause, CX,
};
use std::rc::Rc;
use util::{notify, run_at, stakker, Trace};

struct Worker;

impl Worker {
    fn init(_: CX![]) -> Option<Self> {
        Some(Worker)
    }
    fn quit(&mut self, cx: CX![]) {
        stop!(cx);
    }
    fn crash(&mut self, cx: CX![], why: &'static str) {
        cx.fail_str(why);
    }
    #[cfg(feature = "std")]
    fn explode(&mut self, _: CX![]) {
        panic!("kaboom");
    }
}

/// A `Fwd` that records `<who> saw:<cause>`.
fn watch(trace: &Trace, who: &'static str) -> Fwd<StopCause> {
    let t = trace.clone();
    Fwd::new(move |c: StopCause| t.push(format!("{who} saw:{c}")))
}

/// A runtime with a running worker, whose owner's notification records `owner stop:<cause>`
/// and whose monitor records `m saw:<cause>`.
fn monitored_worker(trace: &Trace) -> (Stakker, ActorOwn<Worker>, Monitor) {
    let mut s = stakker();
    let w: ActorOwn<Worker> = actor!(s, Worker::init(), notify(trace, "owner"));
    let m = w.monitor(watch(trace, "m"));
    run_at(&mut s, 0);
    (s, w, m)
}

#[test]
fn fires_once_after_the_owners_synchronous_notification() {
    let trace = Trace::new();
    let (mut s, w, _m) = monitored_worker(&trace);
    call!([w], quit());
    call!([w], quit()); // a second stop request meets a zombie: first cause wins
    run_at(&mut s, 1);
    kill!(w, "late");
    run_at(&mut s, 2);
    assert_eq!(
        trace.take(),
        ["owner stop:Actor stopped", "m saw:Actor stopped"]
    );
}

/// An owner whose notification is a queued actor call (`ret_to!`) still hears first.
struct Parent {
    trace: Trace,
    child: Option<ActorOwn<Worker>>,
}

impl Parent {
    fn init(cx: CX![], trace: Trace) -> Option<Self> {
        let child = actor!(
            cx,
            Worker::init(),
            ret_to!([cx], child_stopped() as (StopCause))
        );
        Some(Parent {
            trace,
            child: Some(child),
        })
    }
    fn child_stopped(&mut self, _: CX![], cause: Option<StopCause>) {
        let text = cause.map_or("None".to_string(), |c| c.to_string());
        self.trace.push(format!("parent heard:{text}"));
    }
    fn child(&self, _: CX![]) -> Actor<Worker> {
        Actor::clone(self.child.as_ref().unwrap())
    }
}

#[test]
fn fires_after_an_owner_notified_through_a_queued_call() {
    let trace = Trace::new();
    let mut s = stakker();
    let parent = actor!(s, Parent::init(trace.clone()), ret_nop!());
    run_at(&mut s, 0);
    let child = parent.query(&mut s, |p, cx| p.child(cx)).unwrap();
    // Records as soon as it is delivered (no hop through another actor's queue), so a
    // delivery queued ahead of the parent's call would show first.
    let _m = child.monitor(watch(&trace, "watcher"));
    call!([child], crash("bad input"));
    run_at(&mut s, 1);
    assert_eq!(
        trace.take(),
        [
            "parent heard:Actor failed: bad input",
            "watcher saw:Actor failed: bad input"
        ]
    );
}

#[test]
fn does_not_keep_the_actor_alive() {
    let trace = Trace::new();
    let (mut s, w, _m) = monitored_worker(&trace);
    drop(w);
    run_at(&mut s, 1);
    assert_eq!(
        trace.take(),
        ["owner stop:Actor was dropped", "m saw:Actor was dropped"]
    );
}

#[cfg(feature = "std")]
#[test]
fn copies_a_contained_panic_as_its_text() {
    let trace = Trace::new();
    let (mut s, w, _m) = monitored_worker(&trace);
    s.set_catch_panics(true);
    call!([w], explode());
    run_at(&mut s, 1);
    let got = trace.take();
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got[0].starts_with("owner stop:Actor failed:") && got[0].contains("kaboom"));
    assert_eq!(got[1], got[0].replacen("owner stop", "m saw", 1));
}

#[test]
fn several_monitors_fire_in_the_order_they_were_set() {
    let trace = Trace::new();
    let mut s = stakker();
    let w: ActorOwn<Worker> = actor!(s, Worker::init(), notify(&trace, "owner"));
    let m = [
        w.monitor(watch(&trace, "a")),
        w.monitor(watch(&trace, "b")),
        w.monitor(watch(&trace, "c")),
    ];
    run_at(&mut s, 0);
    w.kill_str(&mut s, "enough");
    run_at(&mut s, 1);
    drop(m);
    assert_eq!(
        trace.take(),
        [
            "owner stop:Actor was killed: enough",
            "a saw:Actor was killed: enough",
            "b saw:Actor was killed: enough",
            "c saw:Actor was killed: enough"
        ]
    );
}

#[test]
fn on_a_dead_actor_fires_at_once_as_a_queued_item() {
    let trace = Trace::new();
    let mut s = stakker();
    let w: ActorOwn<Worker> = actor!(s, Worker::init(), ret_nop!());
    run_at(&mut s, 0);
    w.kill_str(&mut s, "gone");
    let _m = w.monitor(watch(&trace, "late"));
    assert!(trace.get().is_empty(), "delivered synchronously");
    run_at(&mut s, 1);
    run_at(&mut s, 2);
    assert_eq!(trace.take(), ["late saw:Lost connection to actor"]);
}

#[test]
fn dropping_the_monitor_before_the_stop_cancels_it_and_drops_the_fwd() {
    let trace = Trace::new();
    let mut s = stakker();
    let w: ActorOwn<Worker> = actor!(s, Worker::init(), notify(&trace, "owner"));
    let probe = Rc::new(());
    let p = probe.clone();
    let t = trace.clone();
    let m = w.monitor(Fwd::new(move |c: StopCause| t.push(format!("{p:?} {c}"))));
    assert_eq!(Rc::strong_count(&probe), 2);
    drop(m);
    assert_eq!(Rc::strong_count(&probe), 1, "the Fwd was not dropped");
    call!([w], quit());
    run_at(&mut s, 0);
    assert_eq!(trace.take(), ["owner stop:Actor stopped"]);
}

#[test]
fn dropping_the_monitor_after_the_stop_but_before_delivery_cancels_it() {
    let trace = Trace::new();
    let (mut s, w, m) = monitored_worker(&trace);
    w.kill_str(&mut s, "now"); // termination is immediate; the delivery is queued
    drop(m);
    run_at(&mut s, 1);
    assert_eq!(trace.take(), ["owner stop:Actor was killed: now"]);
}

/// The runtime reuses a freed actor block for the next actor, so each new actor below has the
/// old one's address, the key of the monitor table.
#[test]
fn a_fired_monitor_neither_fires_for_nor_cancels_a_new_actor_at_the_same_address() {
    let trace = Trace::new();
    let mut s = stakker();
    let old: ActorOwn<Worker> = actor!(s, Worker::init(), ret_nop!());
    let old_monitor = old.monitor(watch(&trace, "old"));
    run_at(&mut s, 0);
    drop(old);
    run_at(&mut s, 1);
    // Kept while a new actor stops: it does not fire again.
    let new: ActorOwn<Worker> = actor!(s, Worker::init(), notify(&trace, "new"));
    call!([new], quit());
    run_at(&mut s, 2);
    drop(new);
    // Dropped while another new actor is monitored: that monitor stays set.
    let newer: ActorOwn<Worker> = actor!(s, Worker::init(), ret_nop!());
    let _newer_monitor = newer.monitor(watch(&trace, "newer"));
    drop(old_monitor);
    call!([newer], quit());
    run_at(&mut s, 3);
    assert_eq!(
        trace.take(),
        [
            "old saw:Actor was dropped",
            "new stop:Actor stopped",
            "newer saw:Actor stopped"
        ]
    );
}

#[test]
fn a_monitor_left_set_when_the_runtime_is_dropped_drops_its_fwd_uncalled() {
    let trace = Trace::new();
    let probe = Rc::new(());
    let mut s = stakker();
    let w: ActorOwn<Worker> = actor!(s, Worker::init(), ret_nop!());
    let p = probe.clone();
    let t = trace.clone();
    let m = w.monitor(Fwd::new(move |c: StopCause| t.push(format!("{p:?} {c}"))));
    run_at(&mut s, 0);
    drop(w);
    drop(s);
    assert_eq!(Rc::strong_count(&probe), 1, "the Fwd outlived its runtime");
    drop(m); // after the runtime: harmless
    assert!(trace.get().is_empty());
}

#[test]
fn a_monitor_may_be_set_and_dropped_from_inside_the_fwd_of_another() {
    // Re-entrancy: the delivery runs user code that uses the monitor table again.
    let trace = Trace::new();
    let mut s: Stakker = stakker();
    let a: ActorOwn<Worker> = actor!(s, Worker::init(), ret_nop!());
    let b: ActorOwn<Worker> = actor!(s, Worker::init(), ret_nop!());
    let held: Rc<std::cell::RefCell<Vec<Monitor>>> = Rc::default();
    let (h, t, b2) = (held.clone(), trace.clone(), Actor::clone(&b));
    let on_a = Fwd::new(move |c: StopCause| {
        t.push(format!("a saw:{c}"));
        h.borrow_mut().push(b2.monitor(watch(&t, "b")));
        drop(h.borrow_mut().remove(0)); // drops the monitor on `a` from inside its own delivery
    });
    held.borrow_mut().push(a.monitor(on_a));
    run_at(&mut s, 0);
    call!([a], quit());
    run_at(&mut s, 1);
    call!([b], crash("later"));
    run_at(&mut s, 2);
    assert_eq!(
        trace.take(),
        ["a saw:Actor stopped", "b saw:Actor failed: later"]
    );
}

#[test]
fn dropping_the_monitor_in_the_owners_own_notification_cancels_it() {
    let trace = Trace::new();
    let mut s = stakker();
    let slot: Rc<std::cell::RefCell<Option<Monitor>>> = Rc::default();
    let (sl, t) = (slot.clone(), trace.clone());
    let owner_ret = stakker_core::Ret::new(move |c: Option<StopCause>| {
        t.push(format!("owner stop:{}", c.unwrap()));
        drop(sl.borrow_mut().take());
    });
    let w: ActorOwn<Worker> = actor!(s, Worker::init(), owner_ret);
    *slot.borrow_mut() = Some(w.monitor(watch(&trace, "m")));
    run_at(&mut s, 0);
    call!([w], quit());
    run_at(&mut s, 1);
    assert_eq!(trace.take(), ["owner stop:Actor stopped"]);
}
