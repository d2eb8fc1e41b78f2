//! Running a test under many delivery orders: random, PCT, exhaustive; failures that replay
//! and shrink.

use crate::schedule::{Fault, Schedule};
use crate::sim::Sim;
use crate::strategy::{Chooser, LaneKey, Offer, Pct, Random, Rng};
use crate::trace::{Trace, Who};
use core::fmt;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

/// How the orders of a run are chosen.
#[derive(Clone, Debug)]
enum Strategy {
    Random { seed: u64 },
    Pct { seed: u64, depth: u32 },
    Exhaustive,
}

/// Runs a test many times, each in a fresh exploring [`Sim`] with a different legal delivery
/// order, and reports the first failure as a [`Failure`] that prints a schedule replaying it
/// exactly.
///
/// The test is a closure that builds its actor system in the `Sim` it is given, drives it
/// (usually with [`Sim::run`] and friends) and checks the outcome, returning `Err` or
/// panicking on failure. It must be deterministic given the delivery order (no real clock,
/// no randomness of its own, no threads).
///
/// ```
/// use stakker_core::{actor, call, ret_nop, CX};
/// use stakker_testkit::Explore;
///
/// struct Sum(u32);
/// impl Sum {
///     fn init(_: CX![]) -> Option<Self> { Some(Sum(0)) }
///     fn add(&mut self, _: CX![], n: u32) { self.0 += n; }
/// }
///
/// // Addition commutes, so every order gives the same sum.
/// let outcome = Explore::exhaustive(1000).run(|sim| {
///     let sum = actor!(sim, Sum::init(), ret_nop!());
///     sim.run();
///     sim.inject({ let s = sum.clone(); move |_| { call!([s], add(1)); } });
///     sim.inject({ let s = sum.clone(); move |_| { call!([s], add(2)); } });
///     sim.run();
///     match sum.query(sim, |s, _| s.0) {
///         Some(3) => Ok(()),
///         other => Err(format!("sum {other:?}")),
///     }
/// });
/// assert!(outcome.failure.is_none());
/// assert_eq!(outcome.distinct_orders, 1); // both adds come from `external`: one FIFO pair
/// ```
#[derive(Clone, Debug)]
pub struct Explore {
    strategy: Strategy,
    runs: usize,
    faults: Vec<Fault>,
}

/// What an exploration found.
#[derive(Debug)]
pub struct Outcome {
    /// Runs executed (including the failing one, and sleep-set-blocked runs in exhaustive mode).
    pub runs: usize,
    /// Distinct orders seen among completed runs: distinct per-receiver delivery sequences.
    pub distinct_orders: usize,
    /// Exhaustive mode: runs abandoned because every remaining option was already covered
    /// by an equivalent order (sleep sets).
    pub blocked: usize,
    /// Exhaustive mode: whether every order was covered within the run limit.
    pub complete: bool,
    /// The first failure, if any.
    pub failure: Option<Failure>,
}

/// A failing run: what failed, the schedule that replays it, and its trace.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Which run (from 0) of the exploration failed.
    pub run: usize,
    /// The seed of that run, for the random and PCT strategies.
    pub seed: Option<u64>,
    /// The schedule that replays it: `Sim::replay(&schedule)`.
    pub schedule: Schedule,
    /// The error or panic message.
    pub message: String,
    /// Every delivery of the failing run.
    pub trace: Trace,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "run {} failed", self.run)?;
        if let Some(seed) = self.seed {
            write!(f, " (seed {seed})")?;
        }
        writeln!(f, ": {}", self.message)?;
        writeln!(
            f,
            "replay with: Sim::replay(&\"{}\".parse().unwrap())",
            self.schedule
        )?;
        writeln!(f, "deliveries:")?;
        write!(f, "{}", self.trace)
    }
}

/// The result of one run.
struct RunResult {
    error: Option<String>,
    schedule: Schedule,
    trace: Trace,
}

impl RunResult {
    /// The failure this run was, as run `run` of an exploration (from `seed`).
    fn into_failure(self, run: usize, seed: Option<u64>) -> Failure {
        Failure {
            run,
            seed,
            schedule: self.schedule,
            message: self.error.unwrap_or_default(),
            trace: self.trace,
        }
    }
}

/// Runs `test` once in `sim`, catching panics.
fn run_once<T>(mut sim: Sim, test: &T) -> RunResult
where
    T: Fn(&mut Sim) -> Result<(), String>,
{
    let result = catch_unwind(AssertUnwindSafe(|| test(&mut sim)));
    let error = match result {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(payload) => Some(
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .map_or_else(|| "panic".to_string(), |m| format!("panic: {m}")),
        ),
    };
    RunResult {
        error,
        schedule: sim.schedule(),
        trace: sim.trace(),
    }
}

/// Per-receiver delivery sequences: two runs with the same signature delivered the same
/// messages to every actor in the same order (the only order that matters, see the crate
/// docs).
fn signature(trace: &Trace) -> Vec<(Who, Who, u64)> {
    let mut sig: Vec<(Who, usize, Who, u64)> = Vec::new();
    let mut counts = std::collections::HashMap::new();
    for d in &trace.deliveries {
        let n = counts.entry(d.receiver).or_insert(0usize);
        sig.push((d.receiver, *n, d.sender, d.pair_seq));
        *n += 1;
    }
    sig.sort_unstable();
    sig.into_iter().map(|(r, _, s, q)| (r, s, q)).collect()
}

impl Sim {
    /// An exploring simulation choosing uniformly at random among the legal deliveries,
    /// from `seed`. The same seed gives the same run.
    pub fn random(seed: u64) -> Sim {
        Sim::exploring(Box::new(Random(Rng::new(seed))), Vec::new())
    }

    /// An exploring simulation using PCT with bug depth `depth`, its `depth - 1` priority
    /// change points spread over the first `steps` deliveries, from `seed`.
    pub fn pct(seed: u64, depth: u32, steps: usize) -> Sim {
        Sim::exploring(Box::new(Pct::new(seed, depth, steps)), Vec::new())
    }
}

impl Explore {
    /// `runs` runs in uniformly random legal orders; run `i` uses seed `seed + i`
    /// ([`Sim::random`]).
    pub fn random(seed: u64, runs: usize) -> Explore {
        Explore {
            strategy: Strategy::Random { seed },
            runs,
            faults: Vec::new(),
        }
    }

    /// `runs` runs of PCT for bugs of depth `depth`; run `i` uses seed `seed + i`
    /// ([`Sim::pct`]). The number of steps is taken from a first FIFO run.
    ///
    /// PCT treats each sender→receiver stream (and each timer callback) as one of its
    /// "threads": it gives each a random priority, always delivers from the highest-priority
    /// stream that has a message, and lowers the running stream's priority at `depth - 1`
    /// random steps. The bound: a bug that shows whenever `depth` particular deliveries happen
    /// in a particular order (`depth - 1` ordering constraints), in a system with `n` streams
    /// (senders, counted per receiver) and `k` deliveries, is found by each run with
    /// probability at least `1 / (n · k^(depth - 1))`: the initial priorities put the right
    /// stream first with probability at least `1/n`, and each of the `depth - 1` change points
    /// lands on the right step with probability at least `1/k`.
    pub fn pct(seed: u64, runs: usize, depth: u32) -> Explore {
        Explore {
            strategy: Strategy::Pct { seed, depth },
            runs,
            faults: Vec::new(),
        }
    }

    /// Every distinct order (see the crate docs), up to `max_runs` runs; depth-first, with
    /// sleep sets so that no two completed runs are equivalent, except around timer
    /// callbacks: one may touch any actor, so it is taken to commute with nothing, and orders
    /// that differ only in where a timer callback ran are each tried
    /// ([`Outcome::distinct_orders`] still counts them once).
    pub fn exhaustive(max_runs: usize) -> Explore {
        Explore {
            strategy: Strategy::Exhaustive,
            runs: max_runs,
            faults: Vec::new(),
        }
    }

    /// Injects `faults` into every run.
    pub fn with_faults(mut self, faults: Vec<Fault>) -> Explore {
        self.faults = faults;
        self
    }

    /// Explores; stops at the first failure.
    pub fn run<T>(&self, test: T) -> Outcome
    where
        T: Fn(&mut Sim) -> Result<(), String>,
    {
        match self.strategy {
            Strategy::Random { seed } => {
                self.run_seeded(&test, seed, |s, _| Box::new(Random(Rng::new(s))))
            }
            Strategy::Pct { seed, depth } => {
                let fifo = run_once(self.sim(Box::new(crate::strategy::Fifo)), &test);
                let steps = fifo.trace.len().max(1);
                self.run_seeded(&test, seed, move |s, _| Box::new(Pct::new(s, depth, steps)))
            }
            Strategy::Exhaustive => self.run_exhaustive(&test),
        }
    }

    /// [`Explore::run`], panicking with the failure (message, replay schedule, trace).
    #[track_caller]
    pub fn check<T>(&self, test: T) -> Outcome
    where
        T: Fn(&mut Sim) -> Result<(), String>,
    {
        let outcome = self.run(test);
        if let Some(failure) = &outcome.failure {
            panic!("exploration found a failure\n{failure}");
        }
        outcome
    }

    fn sim(&self, chooser: Box<dyn Chooser>) -> Sim {
        Sim::exploring(chooser, self.faults.clone())
    }

    fn run_seeded<T>(
        &self,
        test: &T,
        seed: u64,
        chooser: impl Fn(u64, usize) -> Box<dyn Chooser>,
    ) -> Outcome
    where
        T: Fn(&mut Sim) -> Result<(), String>,
    {
        let mut seen = HashSet::new();
        for run in 0..self.runs {
            let s = seed.wrapping_add(run as u64);
            let r = run_once(self.sim(chooser(s, run)), test);
            seen.insert(signature(&r.trace));
            if r.error.is_some() {
                return Outcome {
                    runs: run + 1,
                    distinct_orders: seen.len(),
                    blocked: 0,
                    complete: false,
                    failure: Some(r.into_failure(run, Some(s))),
                };
            }
        }
        Outcome {
            runs: self.runs,
            distinct_orders: seen.len(),
            blocked: 0,
            complete: false,
            failure: None,
        }
    }

    fn run_exhaustive<T>(&self, test: &T) -> Outcome
    where
        T: Fn(&mut Sim) -> Result<(), String>,
    {
        let dfs = Rc::new(RefCell::new(Dfs::default()));
        let mut seen = HashSet::new();
        let mut outcome = Outcome {
            runs: 0,
            distinct_orders: 0,
            blocked: 0,
            complete: false,
            failure: None,
        };
        while outcome.runs < self.runs {
            dfs.borrow_mut().blocked = false;
            let r = run_once(self.sim(Box::new(DfsChooser(dfs.clone()))), test);
            outcome.runs += 1;
            if dfs.borrow().blocked {
                outcome.blocked += 1;
            } else {
                seen.insert(signature(&r.trace));
            }
            if r.error.is_some() {
                outcome.distinct_orders = seen.len();
                outcome.failure = Some(r.into_failure(outcome.runs - 1, None));
                return outcome;
            }
            if !dfs.borrow_mut().backtrack() {
                outcome.complete = true;
                break;
            }
        }
        outcome.distinct_orders = seen.len();
        outcome
    }
}

/// One choice point of the depth-first search.
struct Frame {
    options: Vec<LaneKey>,
    /// Lanes whose next delivery need not be tried here: an equivalent order was covered.
    sleep: BTreeSet<LaneKey>,
    /// Options already explored from this point.
    done: Vec<LaneKey>,
    chosen: usize,
}

/// The search state: the current path of choice points.
#[derive(Default)]
struct Dfs {
    frames: Vec<Frame>,
    blocked: bool,
}

impl Dfs {
    /// Moves to the next unexplored path; `false` when none is left.
    fn backtrack(&mut self) -> bool {
        while let Some(top) = self.frames.last_mut() {
            top.done.push(top.options[top.chosen]);
            let next = (0..top.options.len()).find(|&i| {
                let lane = top.options[i];
                !top.sleep.contains(&lane) && !top.done.contains(&lane)
            });
            if let Some(i) = next {
                top.chosen = i;
                return true;
            }
            self.frames.pop();
        }
        false
    }
}

struct DfsChooser(Rc<RefCell<Dfs>>);

impl Chooser for DfsChooser {
    fn choose(&mut self, step: usize, options: &[Offer]) -> usize {
        let mut dfs = self.0.borrow_mut();
        if dfs.blocked {
            return 0;
        }
        let lanes: Vec<LaneKey> = options.iter().map(|o| o.lane).collect();
        if let Some(frame) = dfs.frames.get(step) {
            assert_eq!(
                frame.options, lanes,
                "stakker-testkit: exhaustive exploration replayed a prefix and saw different \
                 options: the test is not deterministic"
            );
            return frame.chosen;
        }
        // Sleep set: what the parent slept on or already explored, if independent of the
        // parent's choice (delivering that first would give an equivalent order).
        let sleep = match step.checked_sub(1).and_then(|p| dfs.frames.get(p)) {
            None => BTreeSet::new(),
            Some(parent) => {
                let taken = parent.options[parent.chosen];
                parent
                    .sleep
                    .iter()
                    .chain(parent.done.iter())
                    .copied()
                    .filter(|l| l.independent(taken))
                    .collect()
            }
        };
        match (0..lanes.len()).find(|&i| !sleep.contains(&lanes[i])) {
            Some(chosen) => {
                dfs.frames.push(Frame {
                    options: lanes,
                    sleep,
                    done: Vec::new(),
                    chosen,
                });
                chosen
            }
            None => {
                dfs.blocked = true;
                0
            }
        }
    }
}

/// What shrinking minimises, most important first.
fn size(s: &Schedule) -> (usize, usize, usize) {
    (s.deviations(), s.faults.len(), s.choices.len())
}

impl Failure {
    /// Shrinks the failing schedule toward FIFO and fewer faults (dropping faults, cutting
    /// the choice list, zeroing and lowering choices), keeping each change only if `test`
    /// still fails when replayed; returns the smallest failure found.
    pub fn shrink<T>(&self, test: T) -> Failure
    where
        T: Fn(&mut Sim) -> Result<(), String>,
    {
        let mut best = self.clone();
        let fails = |s: &Schedule| -> Option<RunResult> {
            let r = run_once(Sim::replay(s), &test);
            r.error.is_some().then_some(r)
        };
        let mut improved = true;
        while improved {
            improved = false;
            let mut candidates: Vec<Schedule> = Vec::new();
            for i in 0..best.schedule.faults.len() {
                let mut c = best.schedule.clone();
                c.faults.remove(i);
                candidates.push(c);
            }
            for cut in [0, best.schedule.choices.len() / 2] {
                if cut < best.schedule.choices.len() {
                    let mut c = best.schedule.clone();
                    c.choices.truncate(cut);
                    candidates.push(c);
                }
            }
            for i in 0..best.schedule.choices.len() {
                let v = best.schedule.choices[i];
                for smaller in [0, v / 2, v.saturating_sub(1)] {
                    if smaller < v {
                        let mut c = best.schedule.clone();
                        c.choices[i] = smaller;
                        candidates.push(c);
                    }
                }
            }
            for c in candidates {
                if let Some(r) = fails(&c) {
                    if size(&r.schedule) < size(&best.schedule) {
                        best = r.into_failure(best.run, None);
                        improved = true;
                        break;
                    }
                }
            }
        }
        best
    }
}
