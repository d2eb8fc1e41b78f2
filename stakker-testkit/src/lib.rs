//! Testing actor systems built on `stakker-core`: virtual time, delivery traces, delivery-order
//! exploration with shrinking, and fault injection. The guide page
//! [Testing actor systems](../../docs/src/testing.md) walks through it.
//!
//! - [`Sim`] runs a `Stakker` under a virtual clock of its own, driven by the core's loop
//!   driver: run until quiescent, jump to the next timer, advance by a duration, run until a
//!   time or a condition, inject external events; assert that nothing is queued, that no timer
//!   is pending, that an actor is alive or stopped with a given cause.
//! - [`Probe`] and [`StopProbe`] record what a `Fwd`, a `Ret` or an actor's termination
//!   delivered, with the virtual time; [`Trace`] records every delivery (receiver, sender,
//!   time), prints it and hashes it.
//! - [`Explore`] runs a test under many legal delivery orders (random, PCT, exhaustive) and
//!   reports a [`Failure`] that replays exactly ([`Sim::replay`]) and shrinks
//!   ([`Failure::shrink`]).
//! - [`Fault`]s: lose a delivery, drop a `Ret`, kill or fail an actor at a step, panic inside
//!   a handler, delay external events, make a bounded channel report full.
//! - [`schedules`] and [`model`]: schedules as proptest values, and a state-machine helper
//!   that checks an actor system against a reference model.
//!
//! # Which orders are explored, and why each is legal
//!
//! The runtime itself delivers in one global FIFO order (see the core's crate docs, "Run
//! order"). Code can come to depend on that order by accident, and it breaks when the same
//! actors run where only a weaker guarantee holds: actors spread over threads or machines,
//! messages passing through sockets or channels. An exploring `Sim` delivers in any order that
//! this weaker guarantee allows:
//!
//! 1. **Per-pair FIFO.** Messages from one sender to one receiver arrive in the order sent;
//!    messages from different senders to the same receiver may interleave in any way. That
//!    is what a TCP connection or a FIFO channel per pair gives. It is weaker than Pony's
//!    causal order (a message may overtake one that causally precedes it through a third
//!    actor), as in any deployment where the two paths are different connections. A
//!    "sender" is the actor whose handler made the call; calls made outside every actor call
//!    (by the test, an injected event, a `Fwd::new` closure) come from `external`, and those
//!    made by timer callbacks from `timer`.
//! 2. **Equal-deadline timers in any order.** Timers due at the same instant fire in any
//!    order (the runtime breaks the tie by creation order; a host with a coarser clock or
//!    timers in another process does not). The `Sim` wakes exactly at each due time, so a
//!    batch of timers fired together always shares one deadline; the timer callbacks are also
//!    interleaved with the calls pending at that instant.
//! 3. **External events anywhere in their window.** An injected event runs when injected, but
//!    the calls it makes are `external` messages, interleaved like any other sender's;
//!    [`Fault::Delay`] moves an event later in virtual time, where events injected after it
//!    may overtake it.
//!
//! Time does not move while a delivery is pending (delivery takes no virtual time), and
//! deliveries run one at a time, each in its own `Stakker::run`, so a delivery's non-actor
//! follow-ups (queued closures, terminations) run right after it.
//!
//! **Only the interleaving of each receiver's incoming streams is explored.** Deliveries to
//! different actors commute: they touch different actor states (assuming the actors share
//! nothing but messages: no `Share`, no `Rc<RefCell<..>>` between them). So two runs that
//! gave every actor the same sequence of messages are equivalent, and exhaustive mode covers
//! each class once: it searches depth-first with sleep sets, where a delivery to actor A
//! already explored from some point is not retried after a delivery to another actor.
//! Orders are counted by their per-receiver sequences ([`Outcome::distinct_orders`]).
//!
//! **What is intercepted** (traced, subject to faults, and reordered when exploring): every
//! actor call on the main queue, whatever made it (`call!` in all its forms, `[cx]`,
//! `[actor]` and `[actor, core]`, with a method or inline code; `Fwd`s and `Ret`s that call an
//! actor; `actor!`'s Prep call), and every due timer callback. **Not intercepted** (they keep
//! the runtime's order, are not in the trace, and faults do not count them as steps): calls
//! queued with `lazy!`/`idle!` (their queues run only once the main queue is empty, and
//! intercepting them would add a check to the core's lazy and idle paths), and plain closures
//! (`Core::defer`, `call!([core], |s| ..)`). Calls that such an item
//! makes when it runs are intercepted, as sent by `external`.
//!
//! # Replaying
//!
//! Every exploring run's choices form a [`Schedule`], printed with every [`Failure`]
//! (`2.0.1;kill#3@4`): `Sim::replay(&"2.0.1;kill#3@4".parse().unwrap())` runs the same
//! deliveries in the same order with the same faults, in any process. Seeds replay too
//! ([`Sim::random`], [`Sim::pct`]).

#![forbid(unsafe_code)]

mod explore;
mod hub;
pub mod model;
mod probe;
mod schedule;
mod sim;
mod strategy;
mod trace;

pub use explore::{Explore, Failure, Outcome};
pub use probe::{Probe, StopProbe};
pub use schedule::{schedules, schedules_with_faults, Fault, ParseScheduleError, Schedule};
pub use sim::{FaultySender, Sim, SIM_EPOCH};
pub use trace::{Delivery, Trace, Who};

/// The guide "Testing actor systems" (docs/src/testing.md); its examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/src/testing.md")]
struct TestingGuide;
