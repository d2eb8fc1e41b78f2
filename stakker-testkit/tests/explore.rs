//! Delivery-order exploration: exact counts, determinism, replay, per-pair FIFO.

use proptest::prelude::*;
use stakker_core::time::Duration;
use stakker_core::{actor, after, call, ret_nop, Actor, ActorOwn, CX};
use stakker_testkit::{
    schedules, schedules_with_faults, Explore, Fault, Schedule, Sim, Trace, Who,
};
use std::collections::HashMap;

/// Keeps every message it gets: (sender tag, message number).
struct Sink {
    got: Vec<(u32, u32)>,
}

impl Sink {
    fn init(_: CX![]) -> Option<Self> {
        Some(Sink { got: Vec::new() })
    }
    fn msg(&mut self, _: CX![], from: u32, n: u32) {
        self.got.push((from, n));
    }
}

/// Sends `count` numbered messages to each of its targets when told to go.
struct Source {
    tag: u32,
    targets: Vec<Actor<Sink>>,
    count: u32,
}

impl Source {
    fn init(_: CX![], tag: u32, targets: Vec<Actor<Sink>>, count: u32) -> Option<Self> {
        Some(Source {
            tag,
            targets,
            count,
        })
    }
    fn go(&mut self, _: CX![]) {
        for n in 0..self.count {
            for t in &self.targets {
                call!([t], msg(self.tag, n));
            }
        }
    }
}

/// `sinks` receivers and `sources` senders of `count` messages each to every receiver, set
/// up (all actors Ready) before the senders go, so only the messages are interleaved.
fn system(
    sim: &mut Sim,
    sinks: usize,
    sources: u32,
    count: u32,
) -> (Vec<ActorOwn<Sink>>, Vec<ActorOwn<Source>>) {
    let sinks: Vec<ActorOwn<Sink>> = (0..sinks)
        .map(|_| actor!(sim, Sink::init(), ret_nop!()))
        .collect();
    let targets: Vec<Actor<Sink>> = sinks.iter().map(|s| (**s).clone()).collect();
    let sources: Vec<ActorOwn<Source>> = (0..sources)
        .map(|tag| actor!(sim, Source::init(tag, targets.clone(), count), ret_nop!()))
        .collect();
    sim.run();
    for s in &sources {
        call!([s], go());
    }
    sim.run();
    (sinks, sources)
}

fn received(sim: &mut Sim, sink: &Actor<Sink>) -> Vec<(u32, u32)> {
    sink.query(sim, |s, _| s.got.clone()).unwrap()
}

#[test]
fn exhaustive_two_senders_of_two_messages_to_one_receiver_gives_six_orders() {
    let orders = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let outcome = Explore::exhaustive(1000).run(|sim| {
        let (sinks, _sources) = system(sim, 1, 2, 2);
        orders.borrow_mut().insert(received(sim, &sinks[0]));
        Ok(())
    });
    assert!(outcome.complete);
    assert!(outcome.failure.is_none());
    assert_eq!(outcome.distinct_orders, 6);
    assert_eq!(outcome.runs - outcome.blocked, 6);
    // The receiver really saw 6 different sequences: C(4, 2) interleavings.
    assert_eq!(orders.borrow().len(), 6);
}

#[test]
fn exhaustive_counts_per_receiver_interleavings_not_global_ones() {
    // Two receivers, each getting one message from each of two senders: 2 × 2 = 4 classes,
    // though the four messages have 4! / ... many global orders.
    let outcome = Explore::exhaustive(1000).run(|sim| {
        system(sim, 2, 2, 1);
        Ok(())
    });
    assert!(outcome.complete);
    assert_eq!(outcome.distinct_orders, 4);
    assert_eq!(outcome.runs - outcome.blocked, 4);
}

#[test]
fn exhaustive_one_sender_keeps_fifo_so_there_is_one_order() {
    let outcome = Explore::exhaustive(1000).run(|sim| {
        let (sinks, _s) = system(sim, 1, 1, 4);
        assert_eq!(received(sim, &sinks[0]), [(0, 0), (0, 1), (0, 2), (0, 3)]);
        Ok(())
    });
    assert!(outcome.complete);
    assert_eq!(outcome.distinct_orders, 1);
}

#[test]
fn exhaustive_orders_equal_deadline_timers_both_ways() {
    struct Alarm;
    impl Alarm {
        fn init(cx: CX![], sink: Actor<Sink>) -> Option<Self> {
            let (a, b) = (sink.clone(), sink);
            after!(Duration::from_secs(1), [cx], |_this, _cx| call!(
                [a],
                msg(7, 0)
            ));
            after!(Duration::from_secs(1), [cx], |_this, _cx| call!(
                [b],
                msg(8, 0)
            ));
            Some(Alarm)
        }
    }
    let orders = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let outcome = Explore::exhaustive(100).run(|sim| {
        let sink = actor!(sim, Sink::init(), ret_nop!());
        let _alarm = actor!(sim, Alarm::init(sink.clone()), ret_nop!());
        sim.advance(Duration::from_secs(2));
        orders.borrow_mut().insert(received(sim, &sink));
        Ok(())
    });
    assert!(outcome.complete);
    // Both orders come from completed runs, not from one abandoned as already covered.
    assert_eq!(outcome.distinct_orders, 2);
    assert_eq!(
        orders.into_inner().into_iter().collect::<Vec<_>>(),
        [vec![(7, 0), (8, 0)], vec![(8, 0), (7, 0)]]
    );
}

/// The orders in which one receiver got two messages from each of two senders, over `runs`
/// PCT runs of depth `depth`.
fn pct_orders(depth: u32, runs: usize) -> std::collections::BTreeSet<Vec<(u32, u32)>> {
    let orders = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let outcome = Explore::pct(0, runs, depth).run(|sim| {
        let (sinks, _sources) = system(sim, 1, 2, 2);
        orders.borrow_mut().insert(received(sim, &sinks[0]));
        Ok(())
    });
    assert!(outcome.failure.is_none());
    orders.into_inner()
}

#[test]
fn pct_change_points_interleave_streams_that_priorities_alone_deliver_whole() {
    // Depth 1 (no change point): the higher-priority stream is drained first, so the
    // receiver gets one sender's two messages, then the other's.
    let whole = pct_orders(1, 100);
    assert_eq!(whole.len(), 2, "{whole:?}");
    for order in &whole {
        assert_eq!(order[0].0, order[1].0, "{whole:?}");
    }
    // Depth 2: one change point can drop a stream after its first message.
    let cut = pct_orders(2, 100);
    assert!(cut.iter().any(|order| order[0].0 != order[1].0), "{cut:?}");
}

/// A fixed system with some concurrency, run once with `sim`.
fn busy(mut sim: Sim) -> (Trace, Schedule, Vec<Vec<(u32, u32)>>) {
    let (sinks, _s) = system(&mut sim, 3, 3, 3);
    let got = sinks.iter().map(|s| received(&mut sim, s)).collect();
    (sim.trace(), sim.schedule(), got)
}

#[test]
fn the_same_seed_gives_the_same_trace_twice_and_in_parallel_threads() {
    let (a, _, got_a) = busy(Sim::random(42));
    let (b, _, got_b) = busy(Sim::random(42));
    assert_eq!(a.hash(), b.hash());
    assert_eq!(a, b);
    assert_eq!(got_a, got_b);
    let hashes: Vec<u64> = (0..4)
        .map(|_| std::thread::spawn(|| busy(Sim::random(42)).0.hash()))
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    assert!(hashes.iter().all(|&h| h == a.hash()), "{hashes:x?}");
    // Another seed gives another order here (the system has 3 × 3 × 3 interleaved messages).
    assert_ne!(busy(Sim::random(43)).0.hash(), a.hash());
}

#[test]
fn a_printed_schedule_replays_the_run_exactly() {
    let (trace, schedule, got) = busy(Sim::random(7));
    assert!(schedule.deviations() > 0);
    let printed = schedule.to_string();
    let (again, again_schedule, got_again) = busy(Sim::replay(&printed.parse().unwrap()));
    assert_eq!(again.hash(), trace.hash());
    assert_eq!(again_schedule, schedule);
    assert_eq!(got_again, got);
}

#[test]
fn a_failure_prints_a_schedule_and_seed_that_replay_it() {
    let test = source_1_first;
    let outcome = Explore::random(1, 100).run(test);
    let failure = outcome.failure.expect("random exploration finds it");
    let text = failure.to_string();
    assert!(text.contains("source 1 first"), "{text}");
    assert!(
        text.contains(&format!("\"{}\"", failure.schedule)),
        "{text}"
    );
    // The schedule replays it ...
    let mut sim = Sim::replay(&failure.schedule.to_string().parse().unwrap());
    assert!(test(&mut sim).is_err());
    assert_eq!(sim.trace().hash(), failure.trace.hash());
    // ... and so does the seed.
    let mut sim = Sim::random(failure.seed.unwrap());
    assert!(test(&mut sim).is_err());
    assert_eq!(sim.trace().hash(), failure.trace.hash());
    // FIFO passes.
    assert!(test(&mut Sim::new()).is_ok());
}

#[test]
fn a_choice_past_the_options_wraps_around() {
    let (trace, schedule, got) = busy(Sim::random(7));
    assert!(schedule.deviations() > 0);
    // No step here offers more than 16 options, so adding a multiple of every count up to
    // 16 to each choice names the same options.
    const LCM_1_TO_16: u32 = 720_720;
    let mut wrapped = schedule.clone();
    for c in &mut wrapped.choices {
        *c += LCM_1_TO_16;
    }
    let (again, _, got_again) = busy(Sim::replay(&wrapped));
    assert_eq!(got_again, got);
    assert_eq!(again, trace);
}

/// Fails whenever sink 0 hears from source 1 before source 0.
fn source_1_first(sim: &mut Sim) -> Result<(), String> {
    let (sinks, _s) = system(sim, 1, 2, 1);
    match received(sim, &sinks[0]).first() {
        Some((1, _)) => Err("source 1 first".to_string()),
        _ => Ok(()),
    }
}

#[test]
fn shrinking_drops_needless_faults_and_deviations_down_to_the_one_swap() {
    // A harmless fault (no `Ret` goes through `faulty_ret`) and a noisy random schedule.
    let outcome = Explore::random(3, 100)
        .with_faults(vec![Fault::DropRet { nth: 0 }])
        .run(source_1_first);
    let failure = outcome.failure.expect("random exploration finds it");
    // More than one shrinking step is needed: the fault and at least one extra deviation.
    assert!(
        failure.schedule.deviations() > 1,
        "pick a noisier seed: {}",
        failure.schedule
    );
    let small = failure.shrink(source_1_first);
    assert_eq!(small.schedule.faults, []);
    assert_eq!(small.schedule.deviations(), 1, "{small}");
    assert!(source_1_first(&mut Sim::replay(&small.schedule)).is_err());
}

/// Prints the trace hash of `busy(Sim::random(42))` when run as the child process of
/// `the_trace_hash_is_the_same_in_another_process` (otherwise does nothing).
#[test]
fn print_trace_hash_for_parent() {
    if std::env::var_os("TESTKIT_PRINT_TRACE_HASH").is_some() {
        println!("trace-hash={:016x}", busy(Sim::random(42)).0.hash());
    }
}

#[test]
fn the_trace_hash_is_the_same_in_another_process() {
    // Another process has other addresses (ASLR), so a hash that took in an address (of an
    // actor, a name, a call site) differs here.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "print_trace_hash_for_parent", "--nocapture"])
        .args(["--test-threads", "1"])
        .env("TESTKIT_PRINT_TRACE_HASH", "1")
        .output()
        .expect("the test binary runs again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let child = stdout
        .lines()
        .find_map(|l| l.split_once("trace-hash=").map(|(_, h)| h.trim()))
        .unwrap_or_else(|| panic!("no hash printed: {stdout}"));
    let here = format!("{:016x}", busy(Sim::random(42)).0.hash());
    assert_eq!(child, here);
}

#[test]
fn exploring_fifo_delivers_actor_calls_in_the_runtime_order() {
    let (fifo, _, got_fifo) = busy(Sim::new());
    let (explored, schedule, got_explored) = busy(Sim::exploring_fifo());
    assert_eq!(schedule, Schedule::fifo());
    assert_eq!(got_fifo, got_explored);
    assert_eq!(fifo.hash(), explored.hash());
}

/// Checks per-pair FIFO in a trace: each sender→receiver pair's messages are delivered in
/// the order sent, none missing.
fn assert_pair_fifo(trace: &Trace) {
    let mut next: HashMap<(Who, Who), u64> = HashMap::new();
    for d in &trace.deliveries {
        let n = next.entry((d.sender, d.receiver)).or_insert(0);
        assert_eq!(
            d.pair_seq, *n,
            "pair FIFO broken at step {}:\n{trace}",
            d.step
        );
        *n += 1;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn per_pair_fifo_holds_in_every_explored_order(schedule in schedules(80, 6)) {
        let (trace, _, got) = busy(Sim::replay(&schedule));
        assert_pair_fifo(&trace);
        // What each receiver saw: every source's messages in the order it sent them.
        for seq in got {
            for tag in 0..3 {
                let ns: Vec<u32> = seq.iter().filter(|(t, _)| *t == tag).map(|(_, n)| *n).collect();
                prop_assert_eq!(ns, vec![0, 1, 2]);
            }
        }
    }

    #[test]
    fn schedules_with_every_kind_of_fault_print_and_parse_back(
        s in schedules_with_faults(12, 5, any_fault(), 4)
    ) {
        let back: Schedule = s.to_string().parse().unwrap();
        prop_assert_eq!(back, s);
    }

    #[test]
    fn per_pair_fifo_holds_under_random_and_pct(seed in any::<u64>()) {
        assert_pair_fifo(&busy(Sim::random(seed)).0);
        assert_pair_fifo(&busy(Sim::pct(seed, 3, 40)).0);
    }
}

fn any_fault() -> impl Strategy<Value = Fault> {
    let (step, n, actor) = (0..50usize, 0..9usize, 1..5u32);
    prop_oneof![
        step.clone().prop_map(|step| Fault::Lose { step }),
        (step.clone(), actor.clone()).prop_map(|(step, actor)| Fault::Kill { step, actor }),
        (step.clone(), actor).prop_map(|(step, actor)| Fault::Fail { step, actor }),
        step.prop_map(|step| Fault::Panic { step }),
        n.clone().prop_map(|nth| Fault::DropRet { nth }),
        (n.clone(), 1..1_000_000_000u64).prop_map(|(nth, ns)| Fault::Delay {
            nth,
            by: Duration::from_nanos(ns)
        }),
        n.prop_map(|nth| Fault::Full { nth }),
    ]
}
