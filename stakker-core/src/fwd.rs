//! `Fwd`: a reusable message sink.

use crate::actor::Actor;
use crate::cx::Cx;
use alloc::rc::Rc;
use alloc::string::String;

/// A reusable, cloneable message sink taking messages of type `M` (`()` for none, a tuple for
/// several). Cloning shares one reference-counted handler. Two machine words.
///
/// Usually made with [`fwd_to!`](crate::fwd_to) and friends and used with
/// [`fwd!`](crate::fwd).
///
/// ```
/// use stakker_core::{fwd, Fwd};
/// use std::{cell::Cell, rc::Rc};
/// let total = Rc::new(Cell::new(0));
/// let t = total.clone();
/// let f: Fwd<u32> = Fwd::new(move |n| t.set(t.get() + n));
/// fwd!([f], 2);
/// f.fwd(3);
/// assert_eq!(total.get(), 5);
/// ```
///
/// `#[must_use]`: making a `Fwd` has no effect of its own, so one dropped unused is a
/// mistake (often a forgotten `fwd!`).
#[must_use = "a Fwd does nothing until messages are sent through it with fwd!; dropping it unused has no effect"]
pub struct Fwd<M: 'static>(Rc<dyn Fn(M)>);

impl<M: 'static> Clone for Fwd<M> {
    #[inline]
    fn clone(&self) -> Self {
        Fwd(self.0.clone())
    }
}

impl<M: 'static> Fwd<M> {
    /// Hands `msg` to the handler, synchronously.
    #[inline]
    pub fn fwd(&self, msg: M) {
        (self.0)(msg)
    }

    /// A forwarder whose handler is `f`, run synchronously at `fwd` time.
    #[inline]
    pub fn new(f: impl Fn(M) + 'static) -> Fwd<M> {
        Fwd(Rc::new(f))
    }

    /// Each `fwd(m)` queues a Ready call (via [`Actor::apply`]) that runs `f(state, cx, m)`.
    #[inline]
    pub fn to_actor<A: 'static>(
        actor: Actor<A>,
        f: impl Fn(&mut A, &mut Cx<'_, A>, M) + Copy + 'static,
    ) -> Fwd<M> {
        Fwd::new(move |m| actor.defer_apply(move |a, cx| f(a, cx, m)))
    }

    /// Each `fwd(m)` queues a Prep call (via [`Actor::apply_prep`]), dropped if the actor is no
    /// longer in Prep when it runs.
    #[inline]
    pub fn to_actor_prep<A: 'static>(
        actor: Actor<A>,
        f: impl Fn(&mut Cx<'_, A>, M) -> Option<A> + Copy + 'static,
    ) -> Fwd<M> {
        Fwd::new(move |m| actor.defer_apply_prep(move |cx| f(cx, m)))
    }

    /// A forwarder that panics with `msg` whenever a message is sent.
    pub fn panic(msg: impl Into<String>) -> Fwd<M> {
        let msg: String = msg.into();
        Fwd::new(move |_| panic!("{}", msg))
    }
}
