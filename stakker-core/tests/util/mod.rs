//! Helpers shared by the integration tests.
#![allow(dead_code, missing_docs, unreachable_pub)]

use stakker_core::time::Instant;
use stakker_core::{Ret, Stakker, StopCause};
use std::cell::RefCell;
use std::rc::Rc;

/// A trace of what ran, in order.
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
    pub fn get(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// A fresh runtime at virtual time zero.
pub fn stakker() -> Stakker {
    Stakker::new(Instant::from_nanos(0))
}

/// A `Ret<StopCause>` that records `stop:<cause>` (or `stop:None`) in the trace.
pub fn notify(trace: &Trace, who: &str) -> Ret<StopCause> {
    let t = trace.clone();
    let who = who.to_string();
    Ret::new(move |c: Option<StopCause>| match c {
        Some(c) => t.push(format!("{who} stop:{c}")),
        None => t.push(format!("{who} stop:None")),
    })
}

/// Runs `s` at virtual time `t` nanoseconds, without idle.
pub fn run_at(s: &mut Stakker, t: u64) -> bool {
    s.run(Instant::from_nanos(t), false)
}
