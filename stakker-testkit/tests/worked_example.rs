//! The guide's worked example as a test: an ordering bug that FIFO hides, found by
//! exploration, shrunk to the deliveries involved, replayed from the printed seed and
//! schedule; the fixed version passes every explored order.

#[path = "worked_example/system.rs"]
mod system;

use stakker_testkit::{Explore, Sim, Who};
use system::roll_out_test;

#[test]
fn ordinary_fifo_runs_pass() {
    assert_eq!(roll_out_test(&mut Sim::new(), false), Ok(()));
    assert_eq!(roll_out_test(&mut Sim::plain(), false), Ok(()));
}

#[test]
fn random_exploration_finds_shrinks_and_replays_the_bug() {
    let test = |sim: &mut Sim| roll_out_test(sim, false);
    let outcome = Explore::random(0, 100).run(test);
    let failure = outcome.failure.expect("the race is found");
    assert!(failure.message.contains("[1]"), "{failure}");

    // Replays from the printed seed and from the printed schedule.
    let seed = failure.seed.unwrap();
    let printed = failure.to_string();
    assert!(printed.contains(&failure.schedule.to_string()));
    let mut sim = Sim::random(seed);
    assert!(test(&mut sim).is_err());
    assert_eq!(sim.trace().hash(), failure.trace.hash());
    let mut sim = Sim::replay(&failure.schedule.to_string().parse().unwrap());
    assert!(test(&mut sim).is_err());

    // Shrunk to the two swaps that matter: the admin's `start` reaches the client before its
    // `set_table` reaches the cache, and the client's lookup then overtakes `set_table`.
    let small = failure.shrink(test);
    assert_eq!(small.schedule.to_string(), "0.0.0.0.1.1", "{small}");
    assert_eq!(small.trace.len(), 8, "{small}");
    let cache = Who::Actor(1);
    let to_cache: Vec<Who> = small
        .trace
        .deliveries
        .iter()
        .filter(|d| d.receiver == cache)
        .map(|d| d.sender)
        .collect();
    // init (external), then the client's lookup (#2) before the admin's set_table (#3).
    assert_eq!(
        to_cache,
        [Who::External, Who::Actor(2), Who::Actor(3)],
        "{small}"
    );
}

#[test]
fn exhaustive_exploration_finds_the_bug_and_passes_the_fix() {
    let buggy = Explore::exhaustive(10_000).run(|sim| roll_out_test(sim, false));
    assert!(buggy.failure.is_some());
    let fixed = Explore::exhaustive(10_000).check(|sim| roll_out_test(sim, true));
    assert!(fixed.complete);
    assert!(fixed.distinct_orders >= 1);
}

#[test]
fn pct_finds_the_bug_and_passes_the_fix() {
    assert!(Explore::pct(0, 100, 2)
        .run(|sim| roll_out_test(sim, false))
        .failure
        .is_some());
    Explore::pct(0, 100, 2).check(|sim| roll_out_test(sim, true));
    Explore::random(0, 200).check(|sim| roll_out_test(sim, true));
}
