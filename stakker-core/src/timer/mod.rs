//! Timers as the runtime offers them: keys, `Core` methods, and the store that moves due
//! callbacks to the main queue. The data structure itself is in `timer_wheel`.

use crate::runtime::{Core, Stakker};
use crate::runtime_shared::Shared;
use crate::time::{Duration, Instant};
use crate::timer_wheel::{TimerKey, Timers};
#[cfg(not(feature = "no-unsafe"))]
mod callback_fast;
#[cfg(not(feature = "no-unsafe"))]
use callback_fast::Callback;
#[cfg(feature = "no-unsafe")]
mod callback_safe;
#[cfg(feature = "no-unsafe")]
use callback_safe::Callback;

mod interval;
pub use interval::{interval_body, IntervalKey};
// Both twins have the auto traits of the safe twin's boxes. The default build's tests also
// compile the safe twin, so that one build checks both.
crate::auto_traits::assert_like_boxed_closures!(Callback<u8>);
#[cfg(all(test, not(feature = "no-unsafe")))]
#[allow(dead_code)]
#[path = "callback_safe.rs"]
mod safe_twin;
#[cfg(all(test, not(feature = "no-unsafe")))]
crate::auto_traits::assert_like_boxed_closures!(safe_twin::Callback<u8>);

#[cfg(test)]
mod tests;

macro_rules! timer_key {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Opaque and 8 bytes. `Default` is a "no timer" key: delete, update and active calls
        /// with it return `false`. Keys of two timers that exist at the same time are never
        /// equal.
        #[derive(Copy, Clone, PartialEq, Eq, Default, Debug)]
        pub struct $name(TimerKey);
    };
}

timer_key!(
    /// Key of a fixed timer (`after!`, `at!`, [`Core::after`], [`Core::timer_add`]).
    FixedTimerKey
);
timer_key!(
    /// Key of a Max timer ([`timer_max!`](crate::timer_max), [`Core::timer_max_add`]).
    ///
    /// `#[must_use]`: a Max timer is made to be moved later, which needs its key. (A
    /// [`FixedTimerKey`] is not `#[must_use]`: dropping it is how a timer that is never
    /// cancelled is written, e.g. `after!(..);`.)
    #[must_use = "without its key a Max timer can be neither moved later nor deleted; keep the key (timer_max! stores it for you)"]
    MaxTimerKey
);
timer_key!(
    /// Key of a Min timer ([`timer_min!`](crate::timer_min), [`Core::timer_min_add`]).
    ///
    /// `#[must_use]`, like [`MaxTimerKey`].
    #[must_use = "without its key a Min timer can be neither moved earlier nor deleted; keep the key (timer_min! stores it for you)"]
    MinTimerKey
);

/// The runtime's timers: the generic store specialised to queue callbacks.
pub(crate) struct TimerStore {
    timers: Timers<Callback<Stakker>>,
}

impl TimerStore {
    pub(crate) fn new() -> Self {
        Self {
            timers: Timers::new(),
        }
    }

    /// Appends every callback due at or before `now` to the main queue, in due-time order.
    pub(crate) fn expire(&mut self, now: Instant, shared: &Shared) {
        self.timers.expire(now.as_nanos(), |cb| {
            crate::explore::push_timer(shared, move |s| cb.call(s))
        });
    }

    pub(crate) fn next_expiry(&mut self) -> Option<Instant> {
        self.timers.next_expiry().map(Instant::from_nanos)
    }
}

impl Core {
    /// Adds a fixed timer due at `self.now() + dur` (saturating, so `Duration::MAX` means
    /// "never in practice" rather than a panic).
    pub fn after(
        &mut self,
        dur: Duration,
        f: impl FnOnce(&mut Stakker) + 'static,
    ) -> FixedTimerKey {
        let expiry = self.now().saturating_add(dur);
        self.timer_add(expiry, f)
    }

    /// Adds a fixed timer due at `expiry`. A due time at or before [`Core::now`] is treated as
    /// the next nanosecond, so a timer never fires in the `run` that added it.
    pub fn timer_add(
        &mut self,
        expiry: impl Into<Instant>,
        f: impl FnOnce(&mut Stakker) + 'static,
    ) -> FixedTimerKey {
        let due = self.timer_due(expiry.into());
        FixedTimerKey(self.timers.timers.add(due.as_nanos(), Callback::new(f)))
    }

    /// Cancels a fixed timer; its callback is dropped unrun. `false` if the timer already
    /// fired, was deleted, or the key is `Default`.
    pub fn timer_del(&mut self, key: FixedTimerKey) -> bool {
        let cb = self.timers.timers.del(key.0);
        let found = cb.is_some();
        drop(cb); // user `Drop` runs after the store is no longer borrowed
        found
    }

    /// Adds a Max timer due at `expiry`: it fires once, at the latest due time it is given.
    pub fn timer_max_add(
        &mut self,
        expiry: impl Into<Instant>,
        f: impl FnOnce(&mut Stakker) + 'static,
    ) -> MaxTimerKey {
        let due = self.timer_due(expiry.into());
        MaxTimerKey(self.timers.timers.max_add(due.as_nanos(), Callback::new(f)))
    }

    /// Moves a Max timer's due time to `expiry` if that is later (an earlier value is
    /// ignored). O(1). `false` if the timer no longer exists.
    pub fn timer_max_upd(&mut self, key: MaxTimerKey, expiry: impl Into<Instant>) -> bool {
        let due = self.timer_due(expiry.into());
        self.timers.timers.max_upd(key.0, due.as_nanos())
    }

    /// Deletes a Max timer; its callback is dropped unrun. `false` if it no longer exists.
    pub fn timer_max_del(&mut self, key: MaxTimerKey) -> bool {
        let cb = self.timers.timers.max_del(key.0);
        let found = cb.is_some();
        drop(cb);
        found
    }

    /// `true` while the Max timer exists (added, not fired, not deleted).
    pub fn timer_max_active(&mut self, key: MaxTimerKey) -> bool {
        self.timers.timers.max_active(key.0)
    }

    /// Adds a Min timer due at `expiry`: it fires once, at the earliest due time it is given.
    pub fn timer_min_add(
        &mut self,
        expiry: impl Into<Instant>,
        f: impl FnOnce(&mut Stakker) + 'static,
    ) -> MinTimerKey {
        let due = self.timer_due(expiry.into());
        MinTimerKey(self.timers.timers.min_add(due.as_nanos(), Callback::new(f)))
    }

    /// Moves a Min timer's due time to `expiry` if that is earlier (a later value is
    /// ignored). `false` if the timer no longer exists.
    pub fn timer_min_upd(&mut self, key: MinTimerKey, expiry: impl Into<Instant>) -> bool {
        let due = self.timer_due(expiry.into());
        self.timers.timers.min_upd(key.0, due.as_nanos())
    }

    /// Deletes a Min timer; its callback is dropped unrun. `false` if it no longer exists.
    pub fn timer_min_del(&mut self, key: MinTimerKey) -> bool {
        let cb = self.timers.timers.min_del(key.0);
        let found = cb.is_some();
        drop(cb);
        found
    }

    /// `true` while the Min timer exists (added, not fired, not deleted).
    pub fn timer_min_active(&mut self, key: MinTimerKey) -> bool {
        self.timers.timers.min_active(key.0)
    }
}
