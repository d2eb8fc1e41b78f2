//! Checking an actor system against a reference model, with proptest generating the
//! operations and the delivery schedule together, and shrinking both to a minimal failure.
//!
//! Implement [`ModelTest`] (the operations, the model, how to start the system, feed it an
//! operation and compare it with the model), then call [`check_model`] from a test. Each case
//! is a list of operations plus a [`Schedule`]: the system runs in an exploring [`Sim`] that
//! follows the schedule, the operations are applied one by one (each followed by
//! [`Sim::run`]), and after each one [`ModelTest::check`] compares system and model. A failure
//! is shrunk toward fewer, smaller operations, the FIFO order and fewer faults at once; then
//! operations are dropped one at a time while an exhaustive search still finds a failing
//! schedule for the rest (whose choices are shrunk again).
//!
//! ```
//! use proptest::prelude::*;
//! use stakker_core::{actor, call, ret_nop, ActorOwn, CX};
//! use stakker_testkit::model::{check_model, ModelConfig, ModelTest};
//! use stakker_testkit::Sim;
//!
//! struct Counter(i64);
//! impl Counter {
//!     fn init(_: CX![]) -> Option<Self> { Some(Counter(0)) }
//!     fn add(&mut self, _: CX![], n: i64) { self.0 += n; }
//! }
//!
//! struct CounterTest;
//! impl ModelTest for CounterTest {
//!     type Op = i64;
//!     type Model = i64;
//!     type System = ActorOwn<Counter>;
//!     fn ops() -> BoxedStrategy<i64> { (-100i64..100).boxed() }
//!     fn model() -> i64 { 0 }
//!     fn start(sim: &mut Sim) -> ActorOwn<Counter> { actor!(sim, Counter::init(), ret_nop!()) }
//!     fn apply(_: &mut Sim, c: &mut ActorOwn<Counter>, op: &i64) { call!([c], add(*op)); }
//!     fn step_model(m: &mut i64, op: &i64) { *m += op; }
//!     fn check(sim: &mut Sim, c: &ActorOwn<Counter>, m: &i64) -> Result<(), String> {
//!         let got = c.query(sim, |c, _| c.0);
//!         if got == Some(*m) { Ok(()) } else { Err(format!("counter {got:?}, model {m}")) }
//!     }
//! }
//!
//! check_model::<CounterTest>(ModelConfig::default());
//! ```

use crate::explore::Explore;
use crate::schedule::{schedules, Schedule};
use crate::sim::Sim;
use crate::trace::Trace;
use core::fmt;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::cell::RefCell;

/// An actor system and its reference model.
pub trait ModelTest {
    /// One operation applied to both.
    type Op: Clone + fmt::Debug + 'static;
    /// The reference model's state.
    type Model;
    /// Whatever the test keeps of the running system (actor owners, probes).
    type System;
    /// The operations to generate (shrinking toward simpler ones is proptest's).
    fn ops() -> BoxedStrategy<Self::Op>;
    /// The model's initial state.
    fn model() -> Self::Model;
    /// Starts the system in `sim` (it is run to quiescence afterwards).
    fn start(sim: &mut Sim) -> Self::System;
    /// Feeds `op` to the system, usually by calls or [`Sim::inject`].
    fn apply(sim: &mut Sim, sys: &mut Self::System, op: &Self::Op);
    /// Applies `op` to the model.
    fn step_model(model: &mut Self::Model, op: &Self::Op);
    /// Compares system and model after each operation has been run to quiescence.
    fn check(sim: &mut Sim, sys: &Self::System, model: &Self::Model) -> Result<(), String>;
}

/// Limits of a [`check_model`] run.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// Cases to try (default 256).
    pub cases: u32,
    /// Most operations in one case (default 16).
    pub max_ops: usize,
    /// Most schedule choices in one case (default 64); later steps are FIFO.
    pub max_steps: usize,
    /// Choice numbers are drawn below this (default 4; they wrap at each step's count).
    pub width: u32,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            cases: 256,
            max_ops: 16,
            max_steps: 64,
            width: 4,
        }
    }
}

/// A shrunk failure of a model test: the operations, the schedule, what differed, and the
/// trace of the failing run.
#[derive(Clone, Debug)]
pub struct ModelFailure<Op> {
    /// The (shrunk) operations.
    pub ops: Vec<Op>,
    /// The (shrunk) schedule: `Sim::replay(&schedule)` with the same operations repeats it.
    pub schedule: Schedule,
    /// The check's message (or a panic's).
    pub message: String,
    /// The deliveries of the failing run.
    pub trace: Trace,
}

impl<Op: fmt::Debug> fmt::Display for ModelFailure<Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "model test failed: {}", self.message)?;
        writeln!(f, "operations: {:?}", self.ops)?;
        writeln!(f, "schedule: \"{}\"", self.schedule)?;
        write!(f, "{}", self.trace)
    }
}

/// Plays `ops` against the system and the model in `sim`.
fn play<T: ModelTest>(sim: &mut Sim, ops: &[T::Op]) -> Result<(), String> {
    let mut model = T::model();
    let mut sys = T::start(sim);
    sim.run();
    for op in ops {
        T::apply(sim, &mut sys, op);
        sim.run();
        T::step_model(&mut model, op);
        T::check(sim, &sys, &model)?;
    }
    Ok(())
}

/// Runs one case; returns the error, the trace and the choices actually made.
fn run_case<T: ModelTest>(
    ops: &[T::Op],
    schedule: &Schedule,
) -> (Result<(), String>, Trace, Schedule) {
    let mut sim = Sim::replay(schedule);
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| play::<T>(&mut sim, ops)));
    let result = match result {
        Ok(r) => r,
        Err(p) => Err(p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into())),
    };
    (result, sim.trace(), sim.schedule())
}

/// Runs exhaustively explored schedules for `ops` (up to a limit) and returns the smallest
/// failing one, shrunk, if any.
fn failing_schedule<T: ModelTest>(ops: &[T::Op]) -> Option<Schedule> {
    let outcome = Explore::exhaustive(EXPLORE_LIMIT).run(|sim| play::<T>(sim, ops));
    let failure = outcome.failure?;
    Some(failure.shrink(|sim| play::<T>(sim, ops)).schedule)
}

/// Runs explored per candidate operation list when shrinking the list further.
const EXPLORE_LIMIT: usize = 2000;

/// Proptest shrinks the operations and the schedule together, but removing an operation
/// shifts the steps the schedule's choices refer to, so it stops early. This pass removes
/// operations one at a time and looks for a failing schedule afresh for each shorter list.
fn drop_ops<T: ModelTest>(mut ops: Vec<T::Op>, mut schedule: Schedule) -> (Vec<T::Op>, Schedule) {
    let mut i = 0;
    while i < ops.len() && ops.len() > 1 {
        let mut shorter = ops.clone();
        shorter.remove(i);
        match failing_schedule::<T>(&shorter) {
            Some(s) => {
                ops = shorter;
                schedule = s;
            }
            None => i += 1,
        }
    }
    (ops, schedule)
}

/// Runs the model test; returns the shrunk failure if one was found. Deterministic: the same
/// implementation and config give the same cases.
pub fn run_model<T: ModelTest>(config: ModelConfig) -> Result<(), ModelFailure<T::Op>> {
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases: config.cases,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = (
        proptest::collection::vec(T::ops(), 1..=config.max_ops.max(1)),
        schedules(config.max_steps, config.width),
    );
    let last = RefCell::new(None);
    let result = runner.run(&strategy, |(ops, schedule)| {
        let (result, trace, _) = run_case::<T>(&ops, &schedule);
        result.map_err(|message| {
            *last.borrow_mut() = Some((message.clone(), trace));
            TestCaseError::fail(message)
        })
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(_, (ops, schedule))) => {
            let (ops, schedule) = drop_ops::<T>(ops, schedule);
            // Re-run the minimal case for its own message and trace.
            let (result, trace, realized) = run_case::<T>(&ops, &schedule);
            let message = result.err().unwrap_or_else(|| {
                last.into_inner()
                    .map_or_else(|| "failed".into(), |(m, _)| m)
            });
            Err(ModelFailure {
                ops,
                schedule: realized,
                message,
                trace,
            })
        }
        Err(TestError::Abort(why)) => Err(ModelFailure {
            ops: Vec::new(),
            schedule: Schedule::fifo(),
            message: format!("proptest aborted: {why}"),
            trace: Trace::default(),
        }),
    }
}

/// [`run_model`], panicking with the shrunk failure (operations, schedule, trace).
#[track_caller]
pub fn check_model<T: ModelTest>(config: ModelConfig) {
    if let Err(failure) = run_model::<T>(config) {
        panic!("{failure}");
    }
}
