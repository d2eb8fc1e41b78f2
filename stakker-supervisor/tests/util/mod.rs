//! Helpers shared by the supervisor tests: a trace, and a worker that can be told to fail in
//! every way.
#![allow(dead_code, missing_docs, unreachable_pub)]

use stakker_core::time::{Duration, Instant};
use stakker_core::{fail, ret, stop, ActorOwn, Core, Ret, Stakker, StopCause, CX};
use std::cell::RefCell;
use std::rc::Rc;

/// What happened, in order.
#[derive(Clone, Default)]
pub struct Trace(Rc<RefCell<Vec<String>>>);

impl Trace {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&self, s: impl Into<String>) {
        self.0.borrow_mut().push(s.into());
    }
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// Virtual time: `ms` milliseconds after the origin, which is where the testkit's `Sim`
/// starts its clock, so that tests on a plain `Stakker` and under `Sim` read the same.
pub fn at(ms: u64) -> Instant {
    stakker_testkit::SIM_EPOCH + Duration::from_millis(ms)
}

/// The runtime's time in milliseconds since the origin.
pub fn ms(core: &Core) -> u128 {
    (core.now() - at(0)).as_millis()
}

/// A runtime at virtual time zero.
pub fn stakker() -> Stakker {
    Stakker::new(at(0))
}

/// A `Ret<StopCause>` that records `<who> stopped: <cause>`.
pub fn notify(trace: &Trace, who: &str) -> Ret<StopCause> {
    let (t, who) = (trace.clone(), who.to_string());
    Ret::new(move |c: Option<StopCause>| {
        let c = c.map_or("None".to_string(), |c| c.to_string());
        t.push(format!("{who} stopped: {c}"));
    })
}

/// A supervised worker: records `start <name>@<ms>` and `drop <name>`.
pub struct Worker {
    pub name: &'static str,
    trace: Trace,
    pub jobs: u32,
}

impl Worker {
    pub fn init(cx: CX![], name: &'static str, trace: Trace, fail_init: bool) -> Option<Self> {
        trace.push(format!("start {name}@{}", ms(cx)));
        if fail_init {
            fail!(cx, "cannot start");
            return None;
        }
        Some(Worker {
            name,
            trace,
            jobs: 0,
        })
    }
    pub fn crash(&mut self, cx: CX![], why: &'static str) {
        cx.fail_str(why);
    }
    pub fn quit(&mut self, cx: CX![]) {
        stop!(cx);
    }
    pub fn explode(&mut self, _: CX![]) {
        panic!("{} exploded", self.name);
    }
    pub fn job(&mut self, _: CX![], ret: Ret<String>) {
        self.jobs += 1;
        ret!([ret], format!("{} job {}", self.name, self.jobs));
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.trace.push(format!("drop {}", self.name));
    }
}

/// A factory for a worker called `name`.
pub fn worker(
    trace: &Trace,
    name: &'static str,
) -> impl Fn(&mut Core, Ret<StopCause>) -> ActorOwn<Worker> + 'static {
    factory(trace, name, false)
}

/// A factory for a worker whose `init` always fails.
pub fn failing_worker(
    trace: &Trace,
    name: &'static str,
) -> impl Fn(&mut Core, Ret<StopCause>) -> ActorOwn<Worker> + 'static {
    factory(trace, name, true)
}

fn factory(
    trace: &Trace,
    name: &'static str,
    fail_init: bool,
) -> impl Fn(&mut Core, Ret<StopCause>) -> ActorOwn<Worker> + 'static {
    let trace = trace.clone();
    move |core, notify| {
        stakker_core::actor!(core, Worker::init(name, trace.clone(), fail_init), notify)
    }
}

/// A `Ret<String>` that records what it got (`None` included).
pub fn reply(trace: &Trace) -> Ret<String> {
    tagged_reply(trace, "reply")
}

/// A `Ret<String>` that records `<tag> <what it got>`, to tell calls apart.
pub fn tagged_reply(trace: &Trace, tag: &'static str) -> Ret<String> {
    let t = trace.clone();
    Ret::new(move |r: Option<String>| t.push(format!("{tag} {r:?}")))
}
