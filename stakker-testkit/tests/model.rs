//! The state-machine helper: passing models, and a failing one shrunk in inputs and schedule
//! together.

use proptest::prelude::*;
use stakker_core::{actor, call, ret_nop, Actor, ActorOwn, CX};
use stakker_testkit::model::{run_model, ModelConfig, ModelTest};
use stakker_testkit::Sim;

/// A register: the last `set` wins.
struct Register(u8);

impl Register {
    fn init(_: CX![]) -> Option<Self> {
        Some(Register(0))
    }
    fn set(&mut self, _: CX![], v: u8) {
        self.0 = v;
    }
}

/// Forwards what it is given to the register: a second path into it.
struct Relay(Actor<Register>);

impl Relay {
    fn init(_: CX![], to: Actor<Register>) -> Option<Self> {
        Some(Relay(to))
    }
    fn set(&mut self, _: CX![], v: u8) {
        call!([self.0], set(v));
    }
}

struct System {
    reg: ActorOwn<Register>,
    relays: Vec<ActorOwn<Relay>>,
}

/// Operations: set a value through relay 0 or relay 1, several per batch.
#[derive(Clone, Debug)]
struct Batch(Vec<(usize, u8)>);

/// The model applies each batch in order: the last write of the batch wins. True under FIFO,
/// false once two relays' messages interleave differently.
struct RegisterTest;

impl ModelTest for RegisterTest {
    type Op = Batch;
    type Model = u8;
    type System = System;
    fn ops() -> BoxedStrategy<Batch> {
        proptest::collection::vec((0..2usize, 1..=9u8), 1..4)
            .prop_map(Batch)
            .boxed()
    }
    fn model() -> u8 {
        0
    }
    fn start(sim: &mut Sim) -> System {
        let reg = actor!(sim, Register::init(), ret_nop!());
        let relays = (0..2)
            .map(|_| actor!(sim, Relay::init((*reg).clone()), ret_nop!()))
            .collect();
        System { reg, relays }
    }
    fn apply(_: &mut Sim, sys: &mut System, op: &Batch) {
        for &(relay, v) in &op.0 {
            call!([sys.relays[relay]], set(v));
        }
    }
    fn step_model(m: &mut u8, op: &Batch) {
        if let Some(&(_, v)) = op.0.last() {
            *m = v;
        }
    }
    fn check(sim: &mut Sim, sys: &System, m: &u8) -> Result<(), String> {
        let got = sys.reg.query(sim, |r, _| r.0);
        if got == Some(*m) {
            Ok(())
        } else {
            Err(format!("register {got:?}, model {m}"))
        }
    }
}

#[test]
fn a_model_that_ignores_concurrency_fails_and_shrinks_to_two_writes_and_one_swap() {
    let failure = run_model::<RegisterTest>(ModelConfig::default()).unwrap_err();
    let text = failure.to_string();
    // Minimal: one batch of two writes through different relays, and one delivery swapped.
    assert_eq!(failure.ops.len(), 1, "{text}");
    let writes = &failure.ops[0].0;
    assert_eq!(writes.len(), 2, "{text}");
    assert_ne!(writes[0].0, writes[1].0, "{text}");
    assert_eq!(failure.schedule.deviations(), 1, "{text}");
    assert!(failure.message.starts_with("register"), "{text}");
    // The printed schedule replays it.
    let mut sim = Sim::replay(&failure.schedule.to_string().parse().unwrap());
    let mut sys = RegisterTest::start(&mut sim);
    sim.run();
    RegisterTest::apply(&mut sim, &mut sys, &failure.ops[0]);
    sim.run();
    let mut model = RegisterTest::model();
    RegisterTest::step_model(&mut model, &failure.ops[0]);
    assert!(RegisterTest::check(&mut sim, &sys, &model).is_err());
    assert_eq!(sim.trace().hash(), failure.trace.hash());
}

/// The same system checked with a model that only claims what per-pair FIFO guarantees:
/// the final value is the last write of *some* relay.
struct HonestRegisterTest;

impl ModelTest for HonestRegisterTest {
    type Op = Batch;
    type Model = Vec<u8>;
    type System = System;
    fn ops() -> BoxedStrategy<Batch> {
        RegisterTest::ops()
    }
    fn model() -> Vec<u8> {
        vec![0]
    }
    fn start(sim: &mut Sim) -> System {
        RegisterTest::start(sim)
    }
    fn apply(sim: &mut Sim, sys: &mut System, op: &Batch) {
        RegisterTest::apply(sim, sys, op)
    }
    fn step_model(m: &mut Vec<u8>, op: &Batch) {
        // Each relay's last write in this batch may be the one that lands last.
        let lasts: Vec<u8> = (0..2)
            .filter_map(|r| op.0.iter().rev().find(|(x, _)| *x == r).map(|&(_, v)| v))
            .collect();
        *m = lasts;
    }
    fn check(sim: &mut Sim, sys: &System, m: &Vec<u8>) -> Result<(), String> {
        let got = sys.reg.query(sim, |r, _| r.0).unwrap();
        if m.contains(&got) {
            Ok(())
        } else {
            Err(format!("register {got}, allowed {m:?}"))
        }
    }
}

#[test]
fn a_model_of_the_real_guarantee_passes_every_explored_case() {
    assert!(run_model::<HonestRegisterTest>(ModelConfig::default()).is_ok());
}
