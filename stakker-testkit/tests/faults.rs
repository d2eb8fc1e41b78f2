//! Each fault's effect.

use stakker_core::sync::BoundedChannel;
use stakker_core::time::Duration;
use stakker_core::{actor, call, ret, ret_nop, Ret, CX};
use stakker_testkit::{Fault, Probe, Sim, SIM_EPOCH};

/// Answers `ask(n)` with `n * 2`.
struct Doubler;

impl Doubler {
    fn init(_: CX![]) -> Option<Self> {
        Some(Doubler)
    }
    fn ask(&mut self, _: CX![], n: u32, reply: Ret<u32>) {
        ret!([reply], n * 2);
    }
    fn note(&mut self, _: CX![], out: Probe<u32>, n: u32) {
        out.record(n);
    }
}

/// The step at which the `ask` call is delivered in an undisturbed run (init is step 0).
const ASK_STEP: usize = 1;

fn ask_once(mut sim: Sim) -> (Sim, Vec<Option<u32>>) {
    let replies = sim.probe::<Option<u32>>();
    let d = actor!(sim, Doubler::init(), ret_nop!());
    let reply = sim.faulty_ret(replies.ret());
    call!([d], ask(21, reply));
    sim.run();
    (sim, replies.values())
}

#[test]
fn no_fault_answers() {
    let (sim, got) = ask_once(Sim::new());
    assert_eq!(got, [Some(42)]);
    assert_eq!(sim.trace().deliveries[ASK_STEP].fault, None);
}

#[test]
fn a_lost_delivery_never_runs_and_its_ret_reports_none() {
    let (sim, got) = ask_once(Sim::with_faults(vec![Fault::Lose { step: ASK_STEP }]));
    assert_eq!(got, [None]);
    assert_eq!(sim.trace().deliveries[ASK_STEP].fault, Some("lost"));
}

#[test]
fn a_dropped_ret_reports_none_although_the_server_answered() {
    let (_, got) = ask_once(Sim::with_faults(vec![Fault::DropRet { nth: 0 }]));
    assert_eq!(got, [None]);
    // Only the named Ret is dropped.
    let (_, got) = ask_once(Sim::with_faults(vec![Fault::DropRet { nth: 1 }]));
    assert_eq!(got, [Some(42)]);
}

#[test]
fn kill_and_fail_at_a_step_terminate_the_actor_with_that_cause() {
    for (fault, text) in [
        (
            Fault::Kill {
                step: ASK_STEP + 1,
                actor: 1,
            },
            "Actor was killed: testkit: injected kill",
        ),
        (
            Fault::Fail {
                step: ASK_STEP + 1,
                actor: 1,
            },
            "Actor failed: testkit: injected fail",
        ),
    ] {
        let mut sim = Sim::with_faults(vec![fault]);
        let replies = sim.probe::<Option<u32>>();
        let (notify, stopped) = sim.stop_probe();
        let d = actor!(sim, Doubler::init(), notify);
        call!([d], ask(1, replies.ret()));
        call!([d], ask(2, replies.ret()));
        sim.run();
        stopped.assert_stopped_with(text);
        // Killed after the first `ask` (step 1) and just before the second (step 2), which is
        // then dropped: its reply reports None.
        assert_eq!(replies.values(), [Some(2), None]);
        assert!(d.is_zombie());
    }
}

#[test]
fn a_panic_at_a_step_fails_the_receiver_when_contained() {
    let mut sim = Sim::with_faults(vec![Fault::Panic { step: ASK_STEP }]);
    sim.set_catch_panics(true);
    let replies = sim.probe::<Option<u32>>();
    let (notify, stopped) = sim.stop_probe();
    let d = actor!(sim, Doubler::init(), notify);
    call!([d], ask(1, replies.ret()));
    let out = sim.probe::<u32>();
    call!([d], note(out.clone(), 5));
    sim.run();
    stopped.assert_stopped_with("testkit: injected panic");
    assert_eq!(replies.values(), [None]);
    assert!(out.is_empty(), "a failed actor runs no more calls");
    assert_eq!(
        sim.trace().deliveries[ASK_STEP].fault,
        Some("handler panicked")
    );
}

#[test]
fn a_panic_at_a_step_reaches_the_test_without_containment() {
    let mut sim = Sim::with_faults(vec![Fault::Panic { step: ASK_STEP }]);
    let d = actor!(sim, Doubler::init(), ret_nop!());
    call!([d], ask(1, Ret::nop()));
    let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sim.run())).unwrap_err();
    assert_eq!(
        e.downcast_ref::<String>().unwrap(),
        "testkit: injected panic"
    );
}

#[test]
fn a_delayed_external_event_arrives_later_and_is_overtaken() {
    let mut sim = Sim::with_faults(vec![Fault::Delay {
        nth: 0,
        by: Duration::from_secs(5),
    }]);
    let out = sim.probe::<u32>();
    let d = actor!(sim, Doubler::init(), ret_nop!());
    sim.run();
    for n in [1, 2] {
        let (d, out) = (d.clone(), out.clone());
        sim.inject(move |_| call!([d], note(out, n)));
    }
    sim.run();
    assert_eq!(out.values(), [2]);
    assert!(!sim.is_quiescent(), "the delayed event is still waiting");
    sim.advance(Duration::from_secs(10));
    assert_eq!(out.values(), [2, 1]);
    assert_eq!(out.times(), [SIM_EPOCH, SIM_EPOCH + Duration::from_secs(5)]);
    sim.assert_quiescent();
}

#[test]
fn a_bounded_channel_reports_full_when_told_to() {
    let mut sim = Sim::with_faults(vec![Fault::Full { nth: 1 }]);
    let got = sim.probe::<u32>();
    let (chan, _guard) = BoundedChannel::new(&mut sim, 8, got.fwd());
    let tx = sim.faulty_sender(chan);
    assert!(tx.try_send(10).is_ok());
    let refused = tx.try_send(11).unwrap_err();
    assert!(refused.is_full());
    assert_eq!(refused.into_inner(), 11);
    assert!(tx.clone().try_send(12).is_ok());
    sim.run();
    assert_eq!(got.values(), [10, 12]);
    assert_eq!(tx.inner().capacity(), 8);
}

#[test]
fn faults_apply_in_exploring_mode_too() {
    let (sim, got) = ask_once(Sim::replay(
        &"fifo;lose@1".parse().expect("a valid schedule"),
    ));
    assert_eq!(got, [None]);
    assert_eq!(sim.schedule().faults, [Fault::Lose { step: 1 }]);
}
