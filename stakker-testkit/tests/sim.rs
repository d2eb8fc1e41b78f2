//! `Sim` stepping, assertions and probes, and the core's timer and lifecycle behaviour under a
//! `Sim`.

use stakker_core::time::{Duration, Instant};
use stakker_core::{
    actor, after, call, fail, idle, lazy, ret_nop, ret_shutdown, stop, timer_max, Fwd, MaxTimerKey,
    StopCause, CX,
};
use stakker_testkit::{Probe, Sim, Who, SIM_EPOCH};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Records what it is told, with the virtual time, into a probe.
struct Rec {
    out: Fwd<&'static str>,
}

impl Rec {
    fn init(_: CX![], out: Fwd<&'static str>) -> Option<Self> {
        Some(Rec { out })
    }
    fn note(&mut self, _: CX![], what: &'static str) {
        self.out.fwd(what);
    }
    fn later(&mut self, cx: CX![], d: Duration, what: &'static str) {
        after!(d, [cx], note(what));
    }
    fn quit(&mut self, cx: CX![]) {
        stop!(cx);
    }
    fn crash(&mut self, cx: CX![]) {
        fail!(cx, "crashed");
    }
    fn boom(&mut self, _: CX![]) {
        panic!("boom");
    }
}

/// Passes calls on to a `Rec`.
struct Fwder {
    to: stakker_core::Actor<Rec>,
}

impl Fwder {
    fn init(_: CX![], to: stakker_core::Actor<Rec>) -> Option<Self> {
        Some(Fwder { to })
    }
    fn pass(&mut self, _: CX![]) {
        call!([self.to], note("passed"));
    }
    /// Calls through every queue and target form that names an actor.
    fn pass_every_way(&mut self, cx: CX![]) {
        lazy!([self.to, cx], note("lazy"));
        idle!([self.to, cx], note("idle"));
        call!([self.to, cx], note("two-target"));
        call!([self.to, cx], |this, cx| this.note(cx, "two-target inline"));
    }
}

fn rec(sim: &mut Sim, p: &Probe<&'static str>) -> stakker_core::ActorOwn<Rec> {
    let f = p.fwd();
    actor!(sim, Rec::init(f), ret_nop!())
}

#[test]
fn run_delivers_everything_queued_without_moving_the_clock() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let r = rec(&mut sim, &p);
    call!([r], note("a"));
    call!([r], note("b"));
    assert!(!sim.is_quiescent());
    sim.run();
    assert_eq!(p.values(), ["a", "b"]);
    assert_eq!(sim.now(), SIM_EPOCH);
    sim.assert_quiescent();
    sim.assert_no_timers();
    sim.assert_alive(&r);
}

#[test]
fn timers_fire_at_their_exact_virtual_time_in_due_order() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let r = rec(&mut sim, &p);
    call!([r], later(secs(5), "five"));
    call!([r], later(secs(2), "two"));
    call!([r], later(secs(2), "two again"));
    sim.run();
    assert!(!sim.no_timers());
    assert_eq!(sim.advance_to_next_timer(), Some(SIM_EPOCH + secs(2)));
    // Ties in creation order, both at 2 s.
    assert_eq!(p.values(), ["two", "two again"]);
    sim.advance(secs(10));
    assert_eq!(p.values(), ["two", "two again", "five"]);
    assert_eq!(
        p.times(),
        [
            SIM_EPOCH + secs(2),
            SIM_EPOCH + secs(2),
            SIM_EPOCH + secs(5)
        ]
    );
    assert_eq!(sim.now(), SIM_EPOCH + secs(12));
    assert!(sim.no_timers());
    assert_eq!(sim.advance_to_next_timer(), None);
}

#[test]
fn a_max_timer_fires_once_at_its_latest_due_time() {
    struct Debounce {
        key: MaxTimerKey,
        out: Fwd<Instant>,
    }
    impl Debounce {
        fn init(_: CX![], out: Fwd<Instant>) -> Option<Self> {
            Some(Debounce {
                key: MaxTimerKey::default(),
                out,
            })
        }
        fn poke(&mut self, cx: CX![]) {
            let due = cx.now() + Duration::from_secs(3);
            timer_max!(&mut self.key, due, [cx], fire());
        }
        fn fire(&mut self, cx: CX![]) {
            self.out.fwd(cx.now());
        }
    }
    let mut sim = Sim::new();
    let p = sim.probe();
    let d = actor!(sim, Debounce::init(p.fwd()), ret_nop!());
    for _ in 0..3 {
        call!([d], poke());
        sim.advance(secs(1));
    }
    sim.advance(secs(10));
    // Poked at 0, 1 and 2 s: fires once, 3 s after the last poke.
    assert_eq!(p.values(), [SIM_EPOCH + secs(5)]);
}

#[test]
fn lifecycle_stop_fail_kill_drop_and_panics_report_their_causes() {
    let mut sim = Sim::new();
    sim.set_catch_panics(true);
    let p = sim.probe();
    let mut probes = Vec::new();
    let mut actors = Vec::new();
    for _ in 0..5 {
        let (notify, stopped) = sim.stop_probe();
        actors.push(actor!(sim, Rec::init(p.fwd()), notify));
        probes.push(stopped);
    }
    sim.run();
    probes.iter().for_each(|s| s.assert_running());
    call!([actors[0]], quit());
    call!([actors[1]], crash());
    call!([actors[2]], boom());
    actors[3].kill_str(&mut sim, "enough");
    drop(actors.remove(4)); // last owner dropped
    sim.run();
    probes[0].assert_stopped_with("Actor stopped");
    probes[1].assert_stopped_with("Actor failed: crashed");
    probes[2].assert_stopped_with("boom");
    probes[3].assert_stopped_with("killed: enough");
    probes[4].assert_stopped_with("dropped");
    // Calls to a stopped actor are dropped unrun.
    call!([actors[0]], note("too late"));
    sim.run();
    assert!(p.is_empty());
    assert!(actors[0].is_zombie());
}

#[test]
fn prep_calls_are_parked_until_ready_under_sim() {
    struct Slow {
        out: Fwd<&'static str>,
    }
    impl Slow {
        fn init(cx: CX![], out: Fwd<&'static str>) -> Option<Self> {
            after!(Duration::from_secs(1), [cx], Slow::ready(out));
            None
        }
        fn ready(_: CX![], out: Fwd<&'static str>) -> Option<Self> {
            out.fwd("ready");
            Some(Slow { out })
        }
        fn note(&mut self, _: CX![], what: &'static str) {
            self.out.fwd(what);
        }
    }
    let mut sim = Sim::new();
    let p = sim.probe();
    let s = actor!(sim, Slow::init(p.fwd()), ret_nop!());
    call!([s], note("early"));
    sim.run();
    assert!(p.is_empty());
    sim.advance(secs(1));
    assert_eq!(p.values(), ["ready", "early"]);
}

#[test]
fn run_until_cond_steps_until_the_condition_or_the_deadline() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let r = rec(&mut sim, &p);
    call!([r], later(secs(3), "x"));
    let p2 = p.clone();
    assert!(sim.run_until_cond(SIM_EPOCH + secs(10), move |_| !p2.is_empty()));
    assert_eq!(sim.now(), SIM_EPOCH + secs(3));
    let p3 = p.clone();
    assert!(!sim.run_until_cond(SIM_EPOCH + secs(20), move |_| p3.len() > 1));
    assert_eq!(sim.now(), SIM_EPOCH + secs(20));
}

#[test]
fn run_until_moves_to_the_time_and_fires_what_is_due_there() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let r = rec(&mut sim, &p);
    call!([r], later(secs(4), "at four"));
    sim.run_until(SIM_EPOCH + secs(4));
    assert_eq!(p.values(), ["at four"]);
    assert_eq!(sim.now(), SIM_EPOCH + secs(4));
    // A time in the past leaves the clock alone.
    sim.run_until(SIM_EPOCH);
    assert_eq!(sim.now(), SIM_EPOCH + secs(4));
}

#[test]
fn injected_events_are_external_and_lazy_and_idle_items_run() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let r = rec(&mut sim, &p);
    sim.run();
    let r2 = r.clone();
    sim.inject(move |s| {
        call!([r2], note("event"));
        let r3 = r2.clone();
        lazy!([s], |_| call!([r3], note("lazy")));
        let r4 = r2.clone();
        idle!([s], |_| call!([r4], note("idle")));
    });
    sim.run();
    assert_eq!(p.values(), ["event", "lazy", "idle"]);
    let rid = sim.who(&r);
    let trace = sim.trace();
    let last = &trace.deliveries[trace.len() - 3];
    assert_eq!((last.receiver, last.sender), (rid, Who::External));
    sim.assert_quiescent();
}

#[test]
fn a_recorded_shutdown_stops_the_steps_and_is_reported() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let f = p.fwd();
    let r = actor!(sim, Rec::init(f), ret_shutdown!(sim));
    call!([r], later(secs(1), "never"));
    call!([r], quit());
    sim.advance(secs(5));
    assert_eq!(
        sim.shutdown_cause().map(|c| c.to_string()),
        Some("Actor stopped".to_string())
    );
    assert!(p.is_empty());
}

#[test]
fn the_trace_names_receivers_and_senders() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let r = rec(&mut sim, &p);
    let f = actor!(sim, Fwder::init(r.clone()), ret_nop!());
    call!([f], pass());
    sim.run();
    let (rid, fid) = (sim.who(&r), sim.who(&f));
    assert_eq!((rid, fid), (Who::Actor(1), Who::Actor(2)));
    let t = sim.trace();
    let pairs: Vec<(Who, Who)> = t
        .deliveries
        .iter()
        .map(|d| (d.receiver, d.sender))
        .collect();
    assert_eq!(
        pairs,
        [
            (rid, Who::External),
            (fid, Who::External),
            (fid, Who::External),
            (rid, fid)
        ]
    );
    let text = t.to_string();
    assert!(
        text.contains("Rec#1 <- #2 (msg 0) from Fwder::pass"),
        "{text}"
    );
    assert_eq!(t.deliveries[3].site, "Fwder::pass");
    assert!(text.contains("Fwder#2 <- external"), "{text}");
    assert!(text.ends_with(&format!("trace hash {:016x}", t.hash())));
}

#[test]
fn plain_mode_runs_the_same_system_without_a_trace() {
    let mut sim = Sim::plain();
    let p = sim.probe();
    let r = rec(&mut sim, &p);
    call!([r], later(secs(1), "t"));
    sim.advance(secs(2));
    assert_eq!(p.values(), ["t"]);
    assert!(sim.trace().is_empty());
    assert!(!sim.is_tracing());
}

#[test]
fn stop_cause_is_a_stopcause_for_the_notify_probe() {
    let sim = Sim::new();
    let (notify, stopped) = sim.stop_probe();
    notify.ret(StopCause::Stopped);
    assert_eq!(stopped.cause().as_deref(), Some("Actor stopped"));
    assert_eq!(stopped.time(), Some(SIM_EPOCH));
}

/// An error with a payload, to be downcast from a stop cause.
#[derive(Debug, PartialEq)]
struct Refused(u32);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused {}", self.0)
    }
}

impl std::error::Error for Refused {}

impl Rec {
    fn refuse(&mut self, cx: CX![], n: u32) {
        fail!(cx, Refused(n));
    }
}

#[test]
fn stop_probe_hands_over_the_cause_itself_for_downcasting() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let (notify, failed) = sim.stop_probe();
    let a = actor!(sim, Rec::init(p.fwd()), notify);
    let (notify, killed) = sim.stop_probe();
    let b = actor!(sim, Rec::init(p.fwd()), notify);
    sim.run();
    assert!(
        failed.take_cause().is_none(),
        "nothing to take while running"
    );
    call!([a], refuse(7));
    b.kill(&mut sim, Box::new(Refused(9)));
    sim.run();

    let cause = failed.take_cause().expect("a failed");
    assert!(cause.is_failed());
    let err = cause.error().and_then(|e| e.downcast_ref::<Refused>());
    assert_eq!(err, Some(&Refused(7)));
    assert!(failed.take_cause().is_none(), "taken once");
    // The text-based checks still see the cause after it was taken.
    failed.assert_stopped_with("Actor failed: refused 7");
    assert_eq!(failed.time(), Some(SIM_EPOCH));

    let cause = killed.take_cause().expect("b killed");
    assert!(cause.is_killed());
    let err = cause.error().and_then(|e| e.downcast_ref::<Refused>());
    assert_eq!(err, Some(&Refused(9)));
    assert_eq!(
        killed.cause().as_deref(),
        Some("Actor was killed: refused 9")
    );
}

#[test]
fn stop_probe_with_no_cause_delivered_has_nothing_to_take() {
    let sim = Sim::new();
    let (notify, stopped) = sim.stop_probe();
    drop(notify); // as when the runtime is dropped first
    assert!(stopped.take_cause().is_none());
    assert_eq!(stopped.cause(), None);
    assert_eq!(
        stopped.time(),
        Some(SIM_EPOCH),
        "the drop itself is recorded"
    );
}

#[test]
fn elapsed_counts_from_the_start_whatever_the_start_instant() {
    for start in [SIM_EPOCH, Instant::ZERO, Instant::from_secs(1_000_000)] {
        let mut sim = if start == SIM_EPOCH {
            Sim::new()
        } else {
            Sim::new_at(start)
        };
        assert_eq!((sim.now(), sim.elapsed()), (start, Duration::ZERO));
        let p = sim.probe();
        let r = rec(&mut sim, &p);
        call!([r], later(secs(3), "three"));
        assert_eq!(sim.advance_to_next_timer(), Some(start + secs(3)));
        assert_eq!(sim.elapsed(), secs(3));
        assert_eq!(p.times(), [start + secs(3)]);
        sim.advance(Duration::from_millis(500));
        assert_eq!(sim.elapsed(), Duration::from_millis(3_500));
        // Asking for an earlier time moves nothing back.
        sim.run_until(start);
        assert_eq!(sim.elapsed(), Duration::from_millis(3_500));
        // The trace is stamped with the same clock.
        assert_eq!(
            sim.trace().deliveries.last().map(|d| d.time),
            Some(start + secs(3))
        );
    }
}

#[test]
fn quiescence_counts_the_lazy_and_idle_queues() {
    for queue in ["lazy", "idle"] {
        let mut sim = Sim::new();
        let p = sim.probe();
        let r = rec(&mut sim, &p);
        sim.run();
        sim.assert_quiescent();
        let r2 = (*r).clone();
        if queue == "lazy" {
            lazy!([r2, sim.stakker()], note("lazy"));
        } else {
            idle!([r2, sim.stakker()], note("idle"));
        }
        assert!(!sim.is_quiescent(), "an item on the {queue} queue");
        let e = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sim.assert_quiescent()))
            .unwrap_err();
        let msg = e.downcast_ref::<String>().unwrap();
        assert!(msg.contains("queued items: true"), "{msg}");
        sim.run();
        assert_eq!(p.values(), [queue]);
        sim.assert_quiescent();
    }
}

#[test]
fn two_target_calls_are_intercepted_but_lazy_and_idle_calls_are_not() {
    let mut sim = Sim::new();
    let p = sim.probe();
    let r = rec(&mut sim, &p);
    let c = actor!(sim, Fwder::init(r.clone()), ret_nop!());
    call!([c], pass_every_way());
    sim.run();
    assert_eq!(
        p.values(),
        ["two-target", "two-target inline", "lazy", "idle"]
    );
    // Only the two `call!`s went through the interceptor: traced, as sent by the caller.
    let (rid, cid) = (sim.who(&r), sim.who(&c));
    let trace = sim.trace();
    let sites: Vec<&str> = trace
        .deliveries
        .iter()
        .filter(|d| d.receiver == rid && d.sender == cid)
        .map(|d| d.site)
        .collect();
    assert_eq!(sites, ["Fwder::pass_every_way"; 2], "{trace}");
    assert_eq!(trace.deliveries.last().map(|d| d.receiver), Some(rid));
    assert_eq!(trace.len(), 5, "{trace}"); // two inits, `pass_every_way`, the two calls
}
