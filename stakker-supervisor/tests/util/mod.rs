//! Helpers shared by the supervisor tests: a trace, a worker that can be told to fail in
//! every way, and a virtual-time host.
#![allow(dead_code, missing_docs, unreachable_pub)]

use core::task::{Context, Poll};
use stakker_core::host::{Activity, EventLoop};
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

/// Virtual time: `ms` milliseconds after the origin.
pub fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
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

/// A virtual-time host with no I/O: waiting moves its clock forward at once.
pub struct VirtualClock(pub Instant);

impl EventLoop for VirtualClock {
    type Error = core::convert::Infallible;
    fn now(&mut self) -> Instant {
        self.0
    }
    fn poll_wait(
        &mut self,
        _: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Self::Error>> {
        self.0 += max;
        Poll::Ready(Ok(Activity::NONE))
    }
}
