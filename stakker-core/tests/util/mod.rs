//! Helpers shared by the integration tests.
#![allow(dead_code, missing_docs, unreachable_pub)]

use stakker_core::time::Instant;
use stakker_core::{Actor, Cx, Ret, Stakker, StopCause};
use std::cell::RefCell;
use std::rc::Rc;

/// Queues a closure as an actor call, by the path `call!` takes (the macro-support functions
/// of `stakker_core::__private`), without a method to name.
pub trait DeferApply<A: 'static> {
    /// A Ready call, delivered with `Actor::apply`.
    fn defer_apply(&self, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static);
    /// A Prep call, delivered with `Actor::apply_prep`.
    fn defer_apply_prep(&self, f: impl FnOnce(&mut Cx<'_, A>) -> Option<A> + 'static);
}

impl<A: 'static> DeferApply<A> for Actor<A> {
    fn defer_apply(&self, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static) {
        stakker_core::__private::defer_apply_owned(self.clone(), f);
    }
    fn defer_apply_prep(&self, f: impl FnOnce(&mut Cx<'_, A>) -> Option<A> + 'static) {
        stakker_core::__private::defer_apply_prep_owned(self.clone(), f);
    }
}

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
