//! Repeating timers: [`Core::interval`] and [`IntervalKey`], built on fixed timers (one armed
//! at a time per interval), so code that never uses them pays nothing.

use super::FixedTimerKey;
use crate::actor::Actor;
use crate::cx::Cx;
use crate::deferrer::Deferrer;
use crate::runtime::{Core, Stakker};
use crate::time::{Duration, Instant};
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};

/// The handle of a repeating timer made by [`Core::interval`] or
/// [`interval!`](crate::interval). **Dropping it cancels the interval**: no tick runs after
/// that, and the pending timer is deleted by a queued item (so [`Stakker::next_expiry`] stops
/// reporting it once the queue has run).
///
/// Keep it where the ticks are wanted, typically in the state of the actor they go to: when
/// the actor terminates its state is dropped, and the interval with it. Not `Clone`: one
/// interval, one key.
#[must_use = "dropping an IntervalKey cancels the interval at once (`let _ = ..` too); keep it, e.g. in the actor's state, for as long as it should tick"]
pub struct IntervalKey(Rc<dyn Cancel>);

impl Drop for IntervalKey {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl core::fmt::Debug for IntervalKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("IntervalKey")
    }
}

/// What the key needs of an interval, whatever its callback type.
trait Cancel {
    fn cancel(&self);
}

/// One interval: shared by its key and by the one fixed timer currently armed for it.
struct Interval<F> {
    period: u64,
    live: Cell<bool>,
    /// The fixed timer armed for the next tick.
    timer: Cell<FixedTimerKey>,
    deferrer: Deferrer,
    callback: RefCell<F>,
}

impl<F> Cancel for Interval<F> {
    fn cancel(&self) {
        self.live.set(false);
        let key = self.timer.take();
        if key != FixedTimerKey::default() {
            // Deleting the armed timer drops its `Rc` to this interval, and so the callback.
            self.deferrer.defer(move |s| {
                s.timer_del(key);
            });
        }
    }
}

/// The first tick due strictly after `now` on the grid `due + k * period`, or `None` past
/// `Instant::MAX`. Ticks missed while the loop was behind are skipped, not made up.
fn next_due(due: u64, period: u64, now: u64) -> Option<u64> {
    let next = due.checked_add(period)?;
    if next > now {
        return Some(next); // on time: no division
    }
    let missed = (now - due) / period;
    missed
        .checked_add(1)
        .and_then(|k| k.checked_mul(period))
        .and_then(|d| d.checked_add(due))
}

impl<F: FnMut(&mut Stakker) + 'static> Interval<F> {
    /// Arms the fixed timer for the tick due at `due`.
    fn arm(this: Rc<Self>, core: &mut Core, due: u64) {
        let iv = this.clone();
        let key = core.timer_add(Instant::from_nanos(due), move |s| {
            Interval::tick(iv, s, due)
        });
        this.timer.set(key);
    }

    /// One tick: arm the next one first (so a panicking callback does not end the interval),
    /// then run the callback.
    fn tick(this: Rc<Self>, s: &mut Stakker, due: u64) {
        if !this.live.get() {
            return;
        }
        if let Some(next) = next_due(due, this.period, s.now().as_nanos()) {
            Interval::arm(this.clone(), s, next);
        }
        (this.callback.borrow_mut())(s);
    }
}

/// Macro support for the closure form of `interval!`: gives the closure its parameter types
/// (from `actor`) and requires it to be `Clone`, since each tick runs a clone of it.
#[doc(hidden)]
#[inline]
pub fn interval_body<A: 'static, F>(_actor: &Actor<A>, f: F) -> F
where
    F: FnOnce(&mut A, &mut Cx<'_, A>) + Clone + 'static,
{
    f
}

impl Core {
    /// Runs `f` every `period`, starting at `self.now() + period`, until the returned key is
    /// dropped. Each tick is a main-queue item, like a fixed timer's callback, and sees the
    /// `run`'s `now`.
    ///
    /// Ticks stay on the grid `start + k * period` (no drift). **When the loop falls behind**
    /// (a `run` whose `now` is past more than one due tick), the interval ticks once in that
    /// `run` and the missed ticks are skipped: the next one is the first grid point after
    /// `now` (tokio calls this `MissedTickBehavior::Skip`). Callers that need to know how many
    /// were missed can compare [`Core::now`] across ticks. A tick whose due time would be
    /// after [`Instant::MAX`] is never armed, which ends the interval.
    ///
    /// `f` is `FnMut` and stays alive until the key is dropped (or the runtime is).
    ///
    /// # Panics
    ///
    /// If `period` is zero.
    ///
    /// ```
    /// use stakker_core::Stakker;
    /// use stakker_core::time::{Duration, Instant};
    /// use std::{cell::RefCell, rc::Rc};
    ///
    /// let t0 = Instant::from_secs(1);
    /// let ms = |n| t0 + Duration::from_millis(n);
    /// let mut s = Stakker::new(t0);
    /// let ticks = Rc::new(RefCell::new(Vec::new()));
    /// let t = ticks.clone();
    /// let key = s.interval(Duration::from_millis(100), move |s| {
    ///     t.borrow_mut().push((s.now() - t0).as_millis())
    /// });
    /// s.run(ms(100), false);
    /// s.run(ms(350), false); // behind: one tick, 200 and 300 are skipped
    /// s.run(ms(400), false);
    /// drop(key); // cancels
    /// s.run(ms(500), false);
    /// assert_eq!(*ticks.borrow(), [100, 350, 400]);
    /// assert_eq!(s.next_expiry(), None);
    /// ```
    pub fn interval(
        &mut self,
        period: Duration,
        f: impl FnMut(&mut Stakker) + 'static,
    ) -> IntervalKey {
        let period = match u64::try_from(period.as_nanos()) {
            Ok(0) => panic!("Core::interval: the period must be longer than zero"),
            Ok(p) => p,
            Err(_) => u64::MAX,
        };
        let interval = Rc::new(Interval {
            period,
            live: Cell::new(true),
            timer: Cell::new(FixedTimerKey::default()),
            deferrer: self.deferrer(),
            callback: RefCell::new(f),
        });
        if let Some(first) = self.now().as_nanos().checked_add(period) {
            Interval::arm(interval.clone(), self, first);
        }
        IntervalKey(interval)
    }
}

#[cfg(test)]
mod tests {
    use super::next_due;

    #[test]
    fn next_due_skips_missed_ticks() {
        assert_eq!(next_due(100, 100, 100), Some(200)); // on time
        assert_eq!(next_due(100, 100, 199), Some(200));
        assert_eq!(next_due(100, 100, 200), Some(300)); // exactly one period late
        assert_eq!(next_due(100, 100, 350), Some(400)); // two missed, skipped
        assert_eq!(next_due(u64::MAX - 5, 10, u64::MAX - 5), None);
        assert_eq!(next_due(5, u64::MAX, 5), None);
    }
}
