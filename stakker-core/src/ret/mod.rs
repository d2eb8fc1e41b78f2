//! `Ret`: a one-shot reply sink that always gets an answer.

use crate::actor::Actor;
use crate::cx::Cx;
use alloc::string::String;

/// A one-shot reply sink, consumed by use. Its handler runs exactly once: with `Some(msg)`
/// when used, or with `None` when dropped unused (only `mem::forget` prevents that). Two
/// machine words.
///
/// Usually made with [`ret_to!`](crate::ret_to) and friends and used with
/// [`ret!`](crate::ret). To send several requests and get all the answers in one call, split
/// one `Ret` with [`Ret::gather`]; to give up waiting after a while, wrap it with
/// [`Ret::with_timeout`].
///
/// ```
/// use stakker_core::{ret, Ret};
/// use std::{cell::RefCell, rc::Rc};
/// let got = Rc::new(RefCell::new(Vec::new()));
/// let (g1, g2) = (got.clone(), got.clone());
/// let answered: Ret<u32> = Ret::new(move |m| g1.borrow_mut().push(m));
/// let dropped: Ret<u32> = Ret::new(move |m| g2.borrow_mut().push(m));
/// ret!([answered], 7);
/// drop(dropped);
/// assert_eq!(*got.borrow(), vec![Some(7), None]);
/// ```
///
/// `#[must_use]`: a `Ret` created and dropped unused answers `None` at once, which is never
/// what was meant.
#[must_use = "a Ret dropped unused answers None at once (`let _ = ..` too); pass it to the call that should answer, or answer it with ret!"]
pub struct Ret<M: 'static>(Option<Handler<M>>);

#[cfg(not(feature = "no-unsafe"))]
mod handler_fast;
#[cfg(not(feature = "no-unsafe"))]
use handler_fast::Handler;
#[cfg(feature = "no-unsafe")]
mod handler_safe;
#[cfg(feature = "no-unsafe")]
use handler_safe::Handler;

impl<M: 'static> Ret<M> {
    /// Runs the handler with `Some(msg)`, synchronously.
    #[inline]
    pub fn ret(self, msg: M) {
        // Moved out, not `take`n: keeps the handler in registers on the hot path. (Dropping
        // the handler unused is what answers `None`: see `Handler`'s `Drop`.)
        if let Some(f) = self.0 {
            f.call(Some(msg));
        }
    }

    /// A `Ret` that does nothing when used or dropped (what [`ret_nop!`](crate::ret_nop)
    /// makes). It holds no handler, so it costs no allocation and no call.
    ///
    /// ```
    /// use stakker_core::{ret, Ret};
    /// let r: Ret<String> = Ret::nop();
    /// ret!([r], "ignored".to_string());
    /// ```
    #[inline]
    pub fn nop() -> Ret<M> {
        Ret(None)
    }

    /// A `Ret` whose handler is `f`.
    #[inline]
    pub fn new(f: impl FnOnce(Option<M>) + 'static) -> Ret<M> {
        Ret(Some(Handler::new(f)))
    }

    /// Use or drop queues one Ready call delivering `Some(msg)` or `None`.
    #[inline]
    pub fn to_actor<A: 'static>(
        actor: Actor<A>,
        f: impl FnOnce(&mut A, &mut Cx<'_, A>, Option<M>) + 'static,
    ) -> Ret<M> {
        Ret::new(move |m| actor.defer_apply_owned(move |a, cx| f(a, cx, m)))
    }

    /// Use or drop queues one Prep call delivering `Some(msg)` or `None`.
    #[inline]
    pub fn to_actor_prep<A: 'static>(
        actor: Actor<A>,
        f: impl FnOnce(&mut Cx<'_, A>, Option<M>) -> Option<A> + 'static,
    ) -> Ret<M> {
        Ret::new(move |m| actor.defer_apply_prep_owned(move |cx| f(cx, m)))
    }

    /// Use queues a Ready call with the message; dropping it does nothing.
    #[inline]
    pub fn some_to_actor<A: 'static>(
        actor: Actor<A>,
        f: impl FnOnce(&mut A, &mut Cx<'_, A>, M) + 'static,
    ) -> Ret<M> {
        Ret::new(move |m| {
            if let Some(m) = m {
                actor.defer_apply_owned(move |a, cx| f(a, cx, m));
            }
        })
    }

    /// Use queues a Prep call with the message; dropping it does nothing.
    #[inline]
    pub fn some_to_actor_prep<A: 'static>(
        actor: Actor<A>,
        f: impl FnOnce(&mut Cx<'_, A>, M) -> Option<A> + 'static,
    ) -> Ret<M> {
        Ret::new(move |m| {
            if let Some(m) = m {
                actor.defer_apply_prep_owned(move |cx| f(cx, m));
            }
        })
    }

    /// A `Ret` that panics with `msg` if a message is sent; dropping it unused does not panic.
    pub fn panic(msg: impl Into<String>) -> Ret<M> {
        let msg: String = msg.into();
        Ret::new(move |m| {
            if m.is_some() {
                panic!("{}", msg);
            }
        })
    }
}

/// A `Ret` with a deadline: see [`Ret::with_timeout`].
struct Deadline<M: 'static> {
    inner: Option<Ret<M>>,
    timer: crate::FixedTimerKey,
}

impl<M: 'static> Ret<M> {
    /// Wraps `ret` so that it answers `None` at `core.now() + dur` if nothing was sent by
    /// then. A later answer is dropped; an answer in time (or dropping the returned `Ret`)
    /// cancels the timer.
    ///
    /// ```
    /// use stakker_core::{ret, Ret, Stakker};
    /// use stakker_core::time::{Duration, Instant};
    /// use std::{cell::RefCell, rc::Rc};
    ///
    /// let t0 = Instant::from_secs(1);
    /// let mut s = Stakker::new(t0);
    /// let got = Rc::new(RefCell::new(Vec::new()));
    /// let g = got.clone();
    /// let r = Ret::with_timeout(&mut s, Duration::from_secs(5), Ret::new(move |m: Option<u8>| {
    ///     g.borrow_mut().push(m)
    /// }));
    /// s.run(t0 + Duration::from_secs(6), false); // the deadline passes
    /// ret!([r], 1); // too late: dropped
    /// assert_eq!(*got.borrow(), vec![None]);
    /// ```
    pub fn with_timeout(core: &mut crate::Core, dur: crate::time::Duration, ret: Ret<M>) -> Ret<M> {
        let slot = alloc::rc::Rc::new(core::cell::RefCell::new(Deadline {
            inner: Some(ret),
            timer: crate::FixedTimerKey::default(),
        }));
        let on_timeout = slot.clone();
        let key = core.after(dur, move |_| {
            let inner = on_timeout.borrow_mut().inner.take();
            drop(inner); // reports `None`
        });
        slot.borrow_mut().timer = key;
        let deferrer = core.deferrer();
        Ret::new(move |m: Option<M>| {
            let (inner, key) = {
                let mut d = slot.borrow_mut();
                (d.inner.take(), d.timer)
            };
            if let Some(inner) = inner {
                // Answered (or dropped) first: free the timer, then pass the answer on.
                deferrer.defer(move |s| {
                    s.timer_del(key);
                });
                match m {
                    Some(m) => inner.ret(m),
                    None => drop(inner),
                }
            }
        })
    }
}

mod gather;
// Both twins have the auto traits of the safe twin's boxes. The default build's tests also
// compile the safe twin, so that one build checks both.
crate::auto_traits::assert_like_boxed_closures!(Handler<u8>);
#[cfg(all(test, not(feature = "no-unsafe")))]
#[allow(dead_code)]
#[path = "handler_safe.rs"]
mod safe_twin;
#[cfg(all(test, not(feature = "no-unsafe")))]
crate::auto_traits::assert_like_boxed_closures!(safe_twin::Handler<u8>);

#[cfg(test)]
mod tests;
