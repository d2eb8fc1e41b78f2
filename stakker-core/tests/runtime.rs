//! Runtime behaviour through the method API (the macros have their own tests).

mod util;

use stakker_core::time::Instant;
use stakker_core::{Actor, ActorOwn, ActorOwnAnon, Core, Cx, Fwd, Ret, Share, Stakker, StopCause};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use util::{notify, run_at, stakker, DeferApply, Trace};

/// A test actor recording every call in a trace.
struct Probe {
    name: &'static str,
    trace: Trace,
}

impl Probe {
    fn init(_cx: &mut Cx<'_, Probe>, name: &'static str, trace: Trace) -> Option<Probe> {
        trace.push(format!("{name} init"));
        Some(Probe { name, trace })
    }
    fn hit(&mut self, _cx: &mut Cx<'_, Probe>, n: u32) {
        self.trace.push(format!("{} hit{n}", self.name));
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.trace.push(format!("{} drop", self.name));
    }
}

fn probe(s: &mut Stakker, name: &'static str, trace: &Trace) -> ActorOwn<Probe> {
    let a = ActorOwn::new(s, notify(trace, name), 0);
    let t = trace.clone();
    a.defer_apply_prep(move |cx| Probe::init(cx, name, t));
    a
}

fn hit(a: &Actor<Probe>, n: u32) {
    a.defer_apply(move |this, cx| this.hit(cx, n));
}

#[test]
fn calls_in_prep_are_parked_and_run_before_the_next_item() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = ActorOwn::<Probe>::new(&mut s, notify(&trace, "a"), 0);
    hit(&a, 1); // parked: arrives before init is queued
    let t = trace.clone();
    a.defer_apply_prep(move |cx| Probe::init(cx, "a", t));
    let t = trace.clone();
    s.defer(move |_| t.push("other item"));
    hit(&a, 2);
    run_at(&mut s, 1);
    assert_eq!(trace.take(), ["a init", "a hit1", "other item", "a hit2"]);
}

#[test]
fn prep_returning_none_stays_in_prep_and_second_prep_call_completes() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = ActorOwn::<Probe>::new(&mut s, notify(&trace, "a"), 0);
    a.defer_apply_prep(|_| None);
    hit(&a, 1);
    run_at(&mut s, 1);
    assert!(trace.get().is_empty());
    assert_eq!(a.query(&mut s, |_, _| ()), None, "query on Prep is None");
    let t = trace.clone();
    a.defer_apply_prep(move |cx| Probe::init(cx, "a", t));
    run_at(&mut s, 2);
    assert_eq!(trace.take(), ["a init", "a hit1"]);
}

#[test]
fn prep_call_to_ready_actor_is_dropped_with_its_ret() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    run_at(&mut s, 1);
    let t = trace.clone();
    let r: Ret<u32> = Ret::new(move |m| t.push(format!("ret {m:?}")));
    let t = trace.clone();
    a.defer_apply_prep(move |cx| {
        let _keep = &r;
        Probe::init(cx, "again", t)
    });
    run_at(&mut s, 2);
    assert_eq!(trace.take(), ["a init", "ret None"]);
}

#[test]
fn calls_to_zombie_are_dropped_and_ret_reports_none() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    a.defer_apply(|_, cx| cx.stop());
    let t = trace.clone();
    let r: Ret<u32> = Ret::new(move |m| t.push(format!("ret {m:?}")));
    a.defer_apply(move |this, _| {
        this.trace.push("must not run");
        r.ret(1);
    });
    run_at(&mut s, 1);
    assert!(a.is_zombie());
    assert_eq!(
        trace.take(),
        ["a init", "a drop", "a stop:Actor stopped", "ret None"]
    );
}

#[test]
fn first_stop_cause_wins() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    a.defer_apply(|_, cx| {
        cx.fail_str("first");
        cx.stop();
        cx.fail_string("third");
    });
    a.defer_apply(|_, cx| cx.stop());
    run_at(&mut s, 1);
    a.kill_str(&mut s, "late kill");
    drop(a);
    run_at(&mut s, 2);
    assert_eq!(
        trace.take(),
        ["a init", "a drop", "a stop:Actor failed: first"]
    );
}

#[test]
fn kill_is_immediate_and_dropping_last_owner_is_queued() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    let b = probe(&mut s, "b", &trace);
    run_at(&mut s, 1);
    a.kill_string(&mut s, format!("reason {}", 7));
    assert_eq!(
        trace.take(),
        [
            "a init",
            "b init",
            "a drop",
            "a stop:Actor was killed: reason 7"
        ]
    );
    hit(&b, 1);
    let b2 = b.owned();
    drop(b);
    hit(&b2, 2);
    drop(b2); // termination queued behind hit1 and hit2
    run_at(&mut s, 2);
    assert_eq!(
        trace.take(),
        ["b hit1", "b hit2", "b drop", "b stop:Actor was dropped"]
    );
}

#[test]
fn actor_own_anon_keeps_actor_alive_until_dropped() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    let actor = (*a).clone();
    let anon = ActorOwnAnon::new(a);
    run_at(&mut s, 1);
    assert!(!actor.is_zombie());
    hit(&actor, 1);
    drop(anon);
    run_at(&mut s, 2);
    assert!(actor.is_zombie());
    assert_eq!(
        trace.take(),
        ["a init", "a hit1", "a drop", "a stop:Actor was dropped"]
    );
}

#[test]
fn owner_tree_is_cleaned_up_by_dropping_the_root() {
    struct Parent {
        _child: ActorOwn<Probe>,
        trace: Trace,
    }
    impl Drop for Parent {
        fn drop(&mut self) {
            self.trace.push("parent drop");
        }
    }
    let mut s = stakker();
    let trace = Trace::new();
    let root = ActorOwn::<Parent>::new(&mut s, notify(&trace, "root"), 0);
    let t = trace.clone();
    root.defer_apply_prep(move |cx| {
        let id = cx.id();
        let child = ActorOwn::new(cx, notify(&t, "child"), id);
        let t2 = t.clone();
        child.defer_apply_prep(move |cx| Probe::init(cx, "child", t2));
        Some(Parent {
            _child: child,
            trace: t,
        })
    });
    run_at(&mut s, 1);
    drop(root);
    run_at(&mut s, 2);
    assert_eq!(
        trace.take(),
        [
            "child init",
            "parent drop",
            "root stop:Actor was dropped",
            "child drop",
            "child stop:Actor was dropped"
        ]
    );
}

#[test]
fn queued_calls_run_in_queue_order_across_actors() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    let b = probe(&mut s, "b", &trace);
    for i in 0..3 {
        hit(&a, i);
        hit(&b, i);
    }
    run_at(&mut s, 1);
    assert_eq!(
        trace.take(),
        ["a init", "b init", "a hit0", "b hit0", "a hit1", "b hit1", "a hit2", "b hit2"]
    );
}

#[test]
fn items_queued_during_run_go_after_everything_already_queued() {
    let mut s = stakker();
    let trace = Trace::new();
    let t = trace.clone();
    s.defer(move |s| {
        t.push("first");
        let t2 = t.clone();
        s.defer(move |_| t2.push("queued by first"));
    });
    let t = trace.clone();
    s.defer(move |_| t.push("second"));
    run_at(&mut s, 1);
    assert_eq!(trace.take(), ["first", "second", "queued by first"]);
}

#[test]
fn lazy_runs_after_main_in_batches() {
    let mut s = stakker();
    let trace = Trace::new();
    let t = trace.clone();
    s.lazy(move |s| {
        t.push("lazy1");
        let t2 = t.clone();
        s.defer(move |_| t2.push("main from lazy1"));
        let t3 = t.clone();
        s.lazy(move |_| t3.push("lazy from lazy1"));
    });
    let t = trace.clone();
    s.lazy(move |_| t.push("lazy2"));
    let t = trace.clone();
    s.defer(move |_| t.push("main"));
    let idle = run_at(&mut s, 1);
    assert!(!idle);
    assert_eq!(
        trace.take(),
        [
            "main",
            "lazy1",
            "lazy2",
            "main from lazy1",
            "lazy from lazy1"
        ]
    );
}

#[test]
fn idle_runs_one_item_per_run_with_idle_true() {
    let mut s = stakker();
    let trace = Trace::new();
    for i in 0..3 {
        let t = trace.clone();
        s.idle(move |s| {
            t.push(format!("idle{i} at {}", s.now().as_nanos()));
            if i == 0 {
                let t2 = t.clone();
                s.idle(move |_| t2.push("idle requeued"));
            }
        });
    }
    assert!(run_at(&mut s, 1), "no idle item runs without idle=true");
    assert!(trace.get().is_empty());
    assert!(s.run(Instant::from_nanos(2), true));
    // The idle item runs before time advances.
    assert_eq!(trace.take(), ["idle0 at 1"]);
    assert!(s.run(Instant::from_nanos(3), true));
    assert!(s.run(Instant::from_nanos(4), true));
    assert!(!s.run(Instant::from_nanos(5), true));
    assert!(!s.run(Instant::from_nanos(6), true));
    assert_eq!(trace.take(), ["idle1 at 2", "idle2 at 3", "idle requeued"]);
}

#[test]
fn deferrer_works_from_drop_and_after_runtime_is_gone() {
    struct OnDrop(stakker_core::Deferrer, Trace);
    impl Drop for OnDrop {
        fn drop(&mut self) {
            let t = self.1.clone();
            self.0.defer(move |_| t.push("deferred from drop"));
        }
    }
    let mut s = stakker();
    let trace = Trace::new();
    drop(OnDrop(s.deferrer(), trace.clone()));
    run_at(&mut s, 1);
    assert_eq!(trace.take(), ["deferred from drop"]);
    let d = s.deferrer();
    drop(s);
    let flag = Rc::new(Cell::new(false));
    let f2 = flag.clone();
    d.defer(move |_| f2.set(true));
    assert!(!flag.get());
    assert_eq!(Rc::strong_count(&flag), 1, "closure discarded, not kept");
}

#[test]
fn query_runs_synchronously_and_can_stop() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    run_at(&mut s, 1);
    let r = a.query(&mut s, |this, cx| {
        cx.stop();
        this.name.len()
    });
    assert_eq!(r, Some(1));
    assert!(a.is_zombie());
    assert_eq!(a.query(&mut s, |_, _| 1), None);
    assert_eq!(trace.take(), ["a init", "a drop", "a stop:Actor stopped"]);
}

#[test]
fn fwd_and_ret_to_actor_deliver_through_the_queue() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    let f = Fwd::to_actor((*a).clone(), |this: &mut Probe, cx, n: u32| this.hit(cx, n));
    f.fwd(1);
    f.clone().fwd(2);
    let r = Ret::to_actor((*a).clone(), |this: &mut Probe, _, m: Option<u32>| {
        this.trace.push(format!("ret {m:?}"))
    });
    let r2 = Ret::to_actor((*a).clone(), |this: &mut Probe, _, m: Option<u32>| {
        this.trace.push(format!("ret2 {m:?}"))
    });
    r.ret(5);
    drop(r2);
    let r3 = Ret::some_to_actor((*a).clone(), |this: &mut Probe, _, m: u32| {
        this.trace.push(format!("some {m}"))
    });
    drop(r3);
    assert!(trace.get().is_empty(), "nothing runs synchronously");
    run_at(&mut s, 1);
    assert_eq!(
        trace.take(),
        ["a init", "a hit1", "a hit2", "ret Some(5)", "ret2 None"]
    );
}

#[test]
fn fwd_and_ret_panic_helpers() {
    let f: Fwd<u8> = Fwd::panic("fwd panicked");
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.fwd(1)));
    assert_eq!(
        r.unwrap_err().downcast_ref::<String>().unwrap(),
        "fwd panicked"
    );
    let r: Ret<u8> = Ret::panic("ret panicked");
    drop(r); // silent on drop
    let r: Ret<u8> = Ret::panic("ret panicked");
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| r.ret(1))).unwrap_err();
    assert_eq!(e.downcast_ref::<String>().unwrap(), "ret panicked");
}

#[test]
fn anymap_and_shutdown() {
    let mut s = stakker();
    assert_eq!(s.anymap_try_get::<u32>(), None);
    s.anymap_set(5u32);
    s.anymap_set(6u32);
    s.anymap_set("text");
    assert_eq!(s.anymap_get::<u32>(), 6);
    assert_eq!(s.anymap_get::<&str>(), "text");
    s.anymap_unset::<u32>();
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.anymap_get::<u32>()))
        .unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(msg.contains("u32") && msg.contains("anymap_get"), "{msg}");

    assert!(s.not_shutdown());
    s.shutdown(StopCause::Stopped);
    s.shutdown(StopCause::Dropped);
    assert!(!s.not_shutdown());
    assert_eq!(
        s.shutdown_reason().unwrap().to_string(),
        "Actor was dropped"
    );
    assert!(s.not_shutdown());
    assert!(s.shutdown_reason().is_none());
}

#[test]
fn stop_cause_texts() {
    #[derive(Debug)]
    struct E;
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("e!")
        }
    }
    impl std::error::Error for E {}
    let cases = [
        (StopCause::Stopped, "Actor stopped", false),
        (StopCause::Failed(Box::new(E)), "Actor failed: e!", true),
        (StopCause::Killed(Box::new(E)), "Actor was killed: e!", true),
        (StopCause::Dropped, "Actor was dropped", false),
        (StopCause::Lost, "Lost connection to actor", false),
    ];
    for (c, text, err) in cases {
        assert_eq!(c.to_string(), text);
        assert_eq!(format!("{c:?}"), text);
        assert_eq!(c.has_error(), err);
    }
}

#[test]
fn share_borrows_and_counts() {
    let mut s = stakker();
    let a = Share::new(&s, 1u32);
    let b = Share::new(&s, String::from("x"));
    {
        let (x, y) = s.share_rw2(&a, &b);
        *x += 1;
        y.push('y');
    }
    assert_eq!(*a.ro(&s), 2);
    assert_eq!(b.ro(&s), "xy");
    let w = a.downgrade();
    assert_eq!((a.strong_count(), a.weak_count()), (1, 1));
    let a2 = w.upgrade().unwrap();
    assert_eq!(w.strong_count(), 2);
    drop(a);
    drop(a2);
    assert!(w.upgrade().is_none());
    assert_eq!((w.strong_count(), w.weak_count()), (0, 0));

    let c = Share::new(&s, 0u8);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = s.share_rw2(&c, &c);
    }))
    .unwrap_err();
    assert!(e.downcast_ref::<String>().unwrap().contains("share_rw2"));
}

#[test]
fn using_objects_with_another_runtime_panics_clearly() {
    let mut s1 = stakker();
    let mut s2 = stakker();
    let sh = Share::new(&s1, 0u8);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        *sh.rw(&mut s2) += 1;
    }))
    .unwrap_err();
    assert!(e
        .downcast_ref::<String>()
        .unwrap()
        .contains("different runtime"));
    let trace = Trace::new();
    let a = probe(&mut s1, "a", &trace);
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        a.apply(&mut s2, |_, _| {});
    }))
    .unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("Actor::apply") && msg.contains("different runtime"),
        "{msg}"
    );
    // Both runtimes are still fine.
    run_at(&mut s1, 1);
    run_at(&mut s2, 1);
    assert_eq!(trace.take(), ["a init"]);
}

#[test]
fn two_runtimes_in_one_thread_stay_separate() {
    let mut s1 = stakker();
    let mut s2 = stakker();
    let trace = Trace::new();
    let a = probe(&mut s1, "a", &trace);
    let b = probe(&mut s2, "b", &trace);
    // A call made from inside s2's run through a's handle lands on s1's queue.
    let a2 = (*a).clone();
    b.defer_apply(move |_, _| hit(&a2, 9));
    run_at(&mut s2, 1);
    assert_eq!(trace.take(), ["b init"]);
    run_at(&mut s1, 1);
    assert_eq!(trace.take(), ["a init", "a hit9"]);
}

#[test]
fn runtimes_in_parallel_threads() {
    let handles: Vec<_> = (0..4)
        .map(|k| {
            std::thread::spawn(move || {
                let mut s = stakker();
                let trace = Trace::new();
                let a = probe(&mut s, "a", &trace);
                for i in 0..1000 {
                    hit(&a, k * 10_000 + i);
                }
                run_at(&mut s, 1);
                (k, trace.take())
            })
        })
        .collect();
    for h in handles {
        let (k, got) = h.join().unwrap();
        let expect: Vec<String> = std::iter::once("a init".to_string())
            .chain((0..1000).map(|i| format!("a hit{}", k * 10_000 + i)))
            .collect();
        assert_eq!(got, expect, "runtime {k}: its own calls, in order");
    }
}

#[test]
fn reentrant_run_panics_and_runtime_recovers() {
    let mut s = stakker();
    let trace = Trace::new();
    s.defer(|s| {
        s.run(Instant::from_nanos(5), false);
    });
    let t = trace.clone();
    s.defer(move |_| t.push("after"));
    let e =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_at(&mut s, 1))).unwrap_err();
    let msg = e.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("Stakker::run") && msg.contains("re-entrant"),
        "{msg}"
    );
    run_at(&mut s, 2);
    assert_eq!(trace.take(), ["after"]);
}

#[test]
fn dropping_stakker_drops_queued_items_and_reports_none() {
    let trace = Trace::new();
    let weak;
    {
        let mut s = stakker();
        let a = probe(&mut s, "a", &trace);
        run_at(&mut s, 1);
        // Held only by the lazy item below: gone once that item is dropped.
        let probe = Rc::new(());
        weak = Rc::downgrade(&probe);
        // A queued call carrying a Ret whose None queues more work (a chain).
        let t = trace.clone();
        let d = s.deferrer();
        let r: Ret<u8> = Ret::new(move |m| {
            t.push(format!("ret {m:?}"));
            let t2 = t.clone();
            d.defer(move |_| t2.push("never runs"));
        });
        a.defer_apply(move |_, _| drop(r));
        // A cycle through the runtime: a queued closure holding a Deferrer.
        let d = s.deferrer();
        s.lazy(move |_| drop((d, probe)));
        assert!(weak.upgrade().is_some(), "the lazy item holds the probe");
        drop(s);
    }
    assert!(weak.upgrade().is_none());
    // The owner outlived the runtime: its termination could not be queued, so no cause is
    // delivered; the state is dropped with the last reference and the notify `Ret`, being a
    // `Ret`, still reports `None`.
    assert_eq!(
        trace.take(),
        ["a init", "ret None", "a drop", "a stop:None"]
    );
}

#[test]
fn core_is_reachable_from_cx() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = probe(&mut s, "a", &trace);
    let t = trace.clone();
    a.defer_apply(move |_, cx| {
        let core: &mut Core = cx;
        let t2 = t.clone();
        core.lazy(move |_| t2.push("lazy from actor"));
        t.push(format!("now {}", cx.now().as_nanos()));
    });
    run_at(&mut s, 7);
    assert_eq!(trace.take(), ["a init", "now 7", "lazy from actor"]);
}

#[test]
fn shared_state_survives_across_calls() {
    // State changes are visible to later calls: a counter actor.
    struct Counter(u32);
    let mut s = stakker();
    let a = ActorOwn::<Counter>::new(&mut s, Ret::new(|_| {}), 0);
    a.defer_apply_prep(|_| Some(Counter(0)));
    for _ in 0..10 {
        a.defer_apply(|c, _| c.0 += 1);
    }
    let total = Rc::new(RefCell::new(0));
    let t = total.clone();
    a.defer_apply(move |c, _| *t.borrow_mut() = c.0);
    run_at(&mut s, 1);
    assert_eq!(*total.borrow(), 10);
}

#[test]
fn dropping_stakker_tears_down_parent_child_cycles() {
    // Parent owns the child; the child refers back to the parent: an Rc cycle that only
    // termination breaks. Dropping the runtime with that termination still queued must not
    // leak: both states are dropped and the notify Rets report None.
    struct Parent {
        _child: Option<ActorOwn<Child>>,
        trace: Trace,
    }
    struct Child {
        _parent: Actor<Parent>,
        trace: Trace,
    }
    impl Drop for Parent {
        fn drop(&mut self) {
            self.trace.push("parent drop");
        }
    }
    impl Drop for Child {
        fn drop(&mut self) {
            self.trace.push("child drop");
        }
    }
    let trace = Trace::new();
    let weak_probe = Rc::new(());
    let weak = Rc::downgrade(&weak_probe);
    {
        let mut s = stakker();
        let p = ActorOwn::<Parent>::new(&mut s, notify(&trace, "parent"), 0);
        let t = trace.clone();
        p.defer_apply_prep(move |cx| {
            let c = ActorOwn::<Child>::new(cx, notify(&t, "child"), 0);
            let me = cx.this().clone();
            let t2 = t.clone();
            c.defer_apply_prep(move |_| {
                Some(Child {
                    _parent: me,
                    trace: t2,
                })
            });
            Some(Parent {
                _child: Some(c),
                trace: t,
            })
        });
        run_at(&mut s, 1);
        let probe = weak_probe;
        s.defer(move |_| drop(probe)); // a plain item: dropped unrun
        drop(p); // termination queued, never run
        drop(s);
    }
    assert!(weak.upgrade().is_none());
    assert_eq!(
        trace.take(),
        [
            "parent drop",
            "parent stop:None",
            "child drop",
            "child stop:None"
        ]
    );
}
