//! Time for the runtime: [`Instant`] and [`Duration`].
//!
//! The core never reads a clock. Every [`Instant`] it sees was passed in by the host loop (or
//! derived from one that was), and the host decides how long to sleep. This is what makes
//! virtual time, deterministic tests and any kind of event loop possible.
//!
//! An [`Instant`] is a whole number of nanoseconds, held in a `u64`, measured from an origin
//! that the host chooses (boot, power-on, the start of a test, ...). Only the order of instants
//! and the differences between them carry meaning. A `u64` of nanoseconds covers about 584
//! years.
//!
//! A `no_std` host builds instants from whatever monotonic counter it has, using
//! [`Instant::from_nanos`] (or [`Instant::from_micros`], [`Instant::from_millis`],
//! [`Instant::from_secs`] and `Duration` arithmetic):
//!
//! ```
//! use stakker_core::time::{Duration, Instant};
//!
//! /// Frequency of a free-running hardware tick counter (e.g. a 32 kHz RTC).
//! const TICK_HZ: u64 = 32_768;
//!
//! /// Convert a tick count since power-on into an `Instant` whose origin is power-on.
//! /// Splitting into whole seconds and a remainder avoids overflowing the multiplication.
//! fn ticks_to_instant(ticks: u64) -> Instant {
//!     let secs = ticks / TICK_HZ;
//!     let rem = ticks % TICK_HZ;
//!     Instant::from_secs(secs) + Duration::from_nanos(rem * 1_000_000_000 / TICK_HZ)
//! }
//!
//! assert_eq!(ticks_to_instant(0), Instant::ZERO);
//! assert_eq!(ticks_to_instant(TICK_HZ), Instant::from_secs(1));
//! assert_eq!(ticks_to_instant(TICK_HZ / 2), Instant::from_millis(500));
//! let a = ticks_to_instant(10 * TICK_HZ);
//! let b = ticks_to_instant(12 * TICK_HZ);
//! assert_eq!(b - a, Duration::from_secs(2));
//! ```
//!
//! With the `std` feature, [`Instant`] converts losslessly to and from
//! [`std::time::Instant`](https://doc.rust-lang.org/std/time/struct.Instant.html), compares with
//! it and subtracts from it, and [`Instant::now`] reads the std monotonic clock. Since std
//! instants are opaque, they are pinned to the timeline by one immutable process-wide anchor: a
//! `std::time::Instant` taken the first time a conversion is needed, which is placed 200 years
//! (in nanoseconds) after the origin. Std instants from about 200 years before the anchor to
//! about 384 years after it can be represented.

use core::fmt;
use core::ops::{Add, AddAssign, Sub, SubAssign};

pub use core::time::Duration;

#[cfg(feature = "std")]
pub use std::time::{SystemTime, UNIX_EPOCH};

/// Nanoseconds in one second.
const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Where std instants are anchored on the timeline: 200 years (of 365 days) after the origin.
/// That leaves about 384 years of range after the anchor.
const ANCHOR_NANOS: u64 = 200 * 365 * 24 * 60 * 60 * NANOS_PER_SEC;

/// A point on a monotonic timeline, in whole nanoseconds from an origin chosen by the host.
///
/// Only order and differences carry meaning. The derived ordering is the timeline order.
/// Arithmetic with [`Duration`] panics when the result leaves the representable range
/// (`Instant::ZERO ..= Instant::MAX`), like `std::time::Instant`; use the `checked_*` or
/// `saturating_*` methods to avoid that. Subtracting one `Instant` from another saturates at
/// zero.
///
/// ```
/// use stakker_core::time::{Duration, Instant};
///
/// let t0 = Instant::from_millis(1500);
/// let t1 = t0 + Duration::from_millis(250);
/// assert!(t0 < t1);
/// assert_eq!(t1 - t0, Duration::from_millis(250));
/// assert_eq!(t0 - t1, Duration::ZERO); // saturates
/// assert_eq!(t1.as_nanos(), 1_750_000_000);
/// ```
///
/// `Debug` prints seconds and says which epoch they count from, so instants from two clocks
/// that were mixed up stand out: `Instant(1.500000000s after origin)` for an instant built
/// with `from_secs`/`from_nanos` (less than 100 years after the origin), and
/// `Instant(2.000000000s after std anchor)` for one converted from `std::time::Instant` (see
/// the module docs: the anchor is the first std instant converted, placed 200 years after the
/// origin).
///
/// ```
/// use stakker_core::time::Instant;
/// assert_eq!(format!("{:?}", Instant::from_millis(1500)), "Instant(1.500000000s after origin)");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

/// Convert a `Duration` to whole nanoseconds, or `None` if it does not fit in a `u64`.
const fn duration_nanos(d: Duration) -> Option<u64> {
    let n = d.as_nanos();
    if n > u64::MAX as u128 {
        None
    } else {
        Some(n as u64)
    }
}

impl Instant {
    /// The origin of the timeline (zero nanoseconds). The earliest representable instant.
    pub const ZERO: Instant = Instant(0);

    /// The latest representable instant, `u64::MAX` nanoseconds after the origin (about 584
    /// years).
    pub const MAX: Instant = Instant(u64::MAX);

    /// The instant `nanos` nanoseconds after the origin. Exact inverse of
    /// [`as_nanos`](Self::as_nanos).
    #[inline]
    #[must_use]
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant(nanos)
    }

    /// The number of nanoseconds from the origin to this instant. Exact inverse of
    /// [`from_nanos`](Self::from_nanos).
    #[inline]
    #[must_use]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The instant `micros` microseconds after the origin.
    ///
    /// # Panics
    ///
    /// Panics if the result does not fit in the range (more than `u64::MAX` nanoseconds).
    #[inline]
    #[must_use]
    pub const fn from_micros(micros: u64) -> Instant {
        match micros.checked_mul(1_000) {
            Some(n) => Instant(n),
            None => panic!("Instant::from_micros: value out of range (overflows u64 nanoseconds)"),
        }
    }

    /// The instant `millis` milliseconds after the origin.
    ///
    /// # Panics
    ///
    /// Panics if the result does not fit in the range (more than `u64::MAX` nanoseconds).
    #[inline]
    #[must_use]
    pub const fn from_millis(millis: u64) -> Instant {
        match millis.checked_mul(1_000_000) {
            Some(n) => Instant(n),
            None => panic!("Instant::from_millis: value out of range (overflows u64 nanoseconds)"),
        }
    }

    /// The instant `secs` seconds after the origin.
    ///
    /// # Panics
    ///
    /// Panics if the result does not fit in the range (more than `u64::MAX` nanoseconds, about
    /// 584 years).
    #[inline]
    #[must_use]
    pub const fn from_secs(secs: u64) -> Instant {
        match secs.checked_mul(NANOS_PER_SEC) {
            Some(n) => Instant(n),
            None => panic!("Instant::from_secs: value out of range (overflows u64 nanoseconds)"),
        }
    }

    /// `self + duration`, or `None` if that is after [`Instant::MAX`].
    #[inline]
    #[must_use]
    pub const fn checked_add(self, duration: Duration) -> Option<Instant> {
        match duration_nanos(duration) {
            Some(d) => match self.0.checked_add(d) {
                Some(n) => Some(Instant(n)),
                None => None,
            },
            None => None,
        }
    }

    /// `self - duration`, or `None` if that is before [`Instant::ZERO`].
    #[inline]
    #[must_use]
    pub const fn checked_sub(self, duration: Duration) -> Option<Instant> {
        match duration_nanos(duration) {
            Some(d) => match self.0.checked_sub(d) {
                Some(n) => Some(Instant(n)),
                None => None,
            },
            None => None,
        }
    }

    /// `self + duration`, clamped to [`Instant::MAX`].
    #[inline]
    #[must_use]
    pub const fn saturating_add(self, duration: Duration) -> Instant {
        match self.checked_add(duration) {
            Some(t) => t,
            None => Instant::MAX,
        }
    }

    /// `self - duration`, clamped to [`Instant::ZERO`].
    #[inline]
    #[must_use]
    pub const fn saturating_sub(self, duration: Duration) -> Instant {
        match self.checked_sub(duration) {
            Some(t) => t,
            None => Instant::ZERO,
        }
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later than `self`.
    #[inline]
    #[must_use]
    pub const fn checked_duration_since(self, earlier: Instant) -> Option<Duration> {
        match self.0.checked_sub(earlier.0) {
            Some(n) => Some(Duration::from_nanos(n)),
            None => None,
        }
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later than `self`.
    #[inline]
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// The time from `earlier` to `self`. Saturates at zero if `earlier` is later than `self`
    /// (the current `std::time::Instant` behaviour). Same as
    /// [`saturating_duration_since`](Self::saturating_duration_since).
    #[inline]
    #[must_use]
    pub const fn duration_since(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    ///
    /// Panics if the result is after [`Instant::MAX`].
    #[inline]
    fn add(self, rhs: Duration) -> Instant {
        match self.checked_add(rhs) {
            Some(t) => t,
            None => panic!("overflow when adding a Duration to stakker_core::time::Instant"),
        }
    }
}

impl AddAssign<Duration> for Instant {
    /// # Panics
    ///
    /// Panics if the result is after [`Instant::MAX`].
    #[inline]
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    ///
    /// Panics if the result is before [`Instant::ZERO`] (the origin).
    #[inline]
    fn sub(self, rhs: Duration) -> Instant {
        match self.checked_sub(rhs) {
            Some(t) => t,
            None => panic!(
                "underflow when subtracting a Duration from stakker_core::time::Instant \
                 (result would be before the origin)"
            ),
        }
    }
}

impl SubAssign<Duration> for Instant {
    /// # Panics
    ///
    /// Panics if the result is before [`Instant::ZERO`] (the origin).
    #[inline]
    fn sub_assign(&mut self, rhs: Duration) {
        *self = *self - rhs;
    }
}

impl fmt::Debug for Instant {
    /// Seconds after the origin, or (from 100 years on, where std instants live) seconds
    /// before or after the std anchor.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (nanos, relation, epoch) = if self.0 < ANCHOR_NANOS / 2 {
            (self.0, "after", "origin")
        } else if self.0 >= ANCHOR_NANOS {
            (self.0 - ANCHOR_NANOS, "after", "std anchor")
        } else {
            (ANCHOR_NANOS - self.0, "before", "std anchor")
        };
        write!(
            f,
            "Instant({}.{:09}s {relation} {epoch})",
            nanos / NANOS_PER_SEC,
            nanos % NANOS_PER_SEC
        )
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// The time from `rhs` to `self`, saturating at zero if `rhs` is later.
    #[inline]
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

#[cfg(feature = "std")]
mod std_conv {
    //! Lossless conversion between [`Instant`] and `std::time::Instant` through one immutable,
    //! lazily initialised process-wide anchor.

    use super::{Duration, Instant, ANCHOR_NANOS, NANOS_PER_SEC};
    use core::cmp::Ordering;
    use core::ops::Sub;
    use std::sync::OnceLock;
    use std::time::Instant as StdInstant;

    /// The std instant that maps to `ANCHOR_NANOS`. Set once, at first use, and never changed.
    static ANCHOR: OnceLock<StdInstant> = OnceLock::new();

    fn anchor() -> StdInstant {
        *ANCHOR.get_or_init(StdInstant::now)
    }

    /// Signed nanoseconds from the anchor to `t`. Exact: a `Duration` holds at most about
    /// 1.8e28 ns, far inside `i128`.
    fn std_offset(t: StdInstant) -> i128 {
        let a = anchor();
        if t >= a {
            to_i128(t.duration_since(a))
        } else {
            -to_i128(a.duration_since(t))
        }
    }

    fn to_i128(d: Duration) -> i128 {
        // `as_nanos` is below 2^94, so this never fails.
        i128::try_from(d.as_nanos()).unwrap_or(i128::MAX)
    }

    /// Signed nanoseconds from the anchor to `t`.
    fn own_offset(t: Instant) -> i128 {
        i128::from(t.as_nanos()) - i128::from(ANCHOR_NANOS)
    }

    /// Nanoseconds as a `Duration`, saturating at zero below and at `Duration::MAX` above.
    fn nanos_to_duration(n: i128) -> Duration {
        if n <= 0 {
            return Duration::ZERO;
        }
        let per_sec = i128::from(NANOS_PER_SEC);
        match u64::try_from(n / per_sec) {
            // The remainder is below 10^9, so it fits in u32.
            Ok(secs) => Duration::new(secs, u32::try_from(n % per_sec).unwrap_or(0)),
            Err(_) => Duration::MAX,
        }
    }

    impl Instant {
        /// The current time, read from the std monotonic clock (`std::time::Instant::now()`)
        /// and mapped onto the timeline through the process-wide anchor. For hosts and ported
        /// code: nothing in the core calls this.
        ///
        /// ```
        /// use stakker_core::time::{Duration, Instant};
        ///
        /// let std_now = std::time::Instant::now();
        /// let t = Instant::from(std_now);
        /// assert_eq!(std::time::Instant::from(t), std_now); // lossless
        /// assert!(Instant::now() >= std_now); // compares across types
        /// let deadline = t + Duration::from_millis(10);
        /// assert_eq!(deadline - std_now, Duration::from_millis(10));
        /// ```
        #[must_use]
        pub fn now() -> Instant {
            Instant::from(StdInstant::now())
        }

        /// The time elapsed since `self`, by the std monotonic clock: `Instant::now() - *self`,
        /// saturating at zero.
        #[must_use]
        pub fn elapsed(&self) -> Duration {
            Instant::now() - *self
        }
    }

    impl From<StdInstant> for Instant {
        /// Map a std instant onto the timeline, losslessly and preserving order. The
        /// process-wide anchor (the first std instant converted) maps to 200 years after the
        /// origin.
        ///
        /// # Panics
        ///
        /// Panics if `t` is out of range: more than about 200 years before the anchor or about
        /// 384 years after it.
        fn from(t: StdInstant) -> Instant {
            let n = i128::from(ANCHOR_NANOS) + std_offset(t);
            match u64::try_from(n) {
                Ok(n) => Instant::from_nanos(n),
                Err(_) => panic!(
                    "std::time::Instant is out of the range representable by \
                     stakker_core::time::Instant (about 200 years before to 384 years after \
                     the first conversion)"
                ),
            }
        }
    }

    impl From<Instant> for StdInstant {
        /// Map an instant back to a std instant: the exact inverse of
        /// `From<std::time::Instant> for Instant`.
        ///
        /// # Panics
        ///
        /// Panics if the platform's `std::time::Instant` cannot represent the result.
        fn from(t: Instant) -> StdInstant {
            let a = anchor();
            let n = t.as_nanos();
            let r = if n >= ANCHOR_NANOS {
                a.checked_add(Duration::from_nanos(n - ANCHOR_NANOS))
            } else {
                a.checked_sub(Duration::from_nanos(ANCHOR_NANOS - n))
            };
            match r {
                Some(s) => s,
                None => panic!(
                    "stakker_core::time::Instant is out of the range representable by \
                     std::time::Instant on this platform"
                ),
            }
        }
    }

    impl PartialEq<StdInstant> for Instant {
        /// Compares on the shared timeline. Never panics, even for std instants out of range.
        fn eq(&self, other: &StdInstant) -> bool {
            own_offset(*self) == std_offset(*other)
        }
    }

    impl PartialEq<Instant> for StdInstant {
        /// Compares on the shared timeline. Never panics, even for std instants out of range.
        fn eq(&self, other: &Instant) -> bool {
            std_offset(*self) == own_offset(*other)
        }
    }

    impl PartialOrd<StdInstant> for Instant {
        /// Orders on the shared timeline. Never panics, even for std instants out of range.
        fn partial_cmp(&self, other: &StdInstant) -> Option<Ordering> {
            Some(own_offset(*self).cmp(&std_offset(*other)))
        }
    }

    impl PartialOrd<Instant> for StdInstant {
        /// Orders on the shared timeline. Never panics, even for std instants out of range.
        fn partial_cmp(&self, other: &Instant) -> Option<Ordering> {
            Some(std_offset(*self).cmp(&own_offset(*other)))
        }
    }

    impl Sub<StdInstant> for Instant {
        type Output = Duration;

        /// The time from `rhs` to `self`, saturating at zero if `rhs` is later.
        fn sub(self, rhs: StdInstant) -> Duration {
            nanos_to_duration(own_offset(self) - std_offset(rhs))
        }
    }

    impl Sub<Instant> for StdInstant {
        type Output = Duration;

        /// The time from `rhs` to `self`, saturating at zero if `rhs` is later.
        fn sub(self, rhs: Instant) -> Duration {
            nanos_to_duration(std_offset(self) - own_offset(rhs))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Duration, Instant};
    use core::hint::black_box;

    #[test]
    fn nanos_round_trip() {
        for n in [
            0,
            1,
            999,
            1_000_000_007,
            u64::MAX / 2,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(Instant::from_nanos(n).as_nanos(), n);
        }
        assert_eq!(Instant::ZERO.as_nanos(), 0);
        assert_eq!(Instant::MAX.as_nanos(), u64::MAX);
    }

    #[test]
    fn unit_constructors() {
        assert_eq!(Instant::from_micros(3).as_nanos(), 3_000);
        assert_eq!(Instant::from_millis(3).as_nanos(), 3_000_000);
        assert_eq!(Instant::from_secs(3).as_nanos(), 3_000_000_000);
        assert_eq!(Instant::from_secs(1), Instant::from_millis(1000));
        assert_eq!(Instant::from_millis(1), Instant::from_micros(1000));
        // Largest whole-second value that fits.
        let max_secs = u64::MAX / 1_000_000_000;
        assert_eq!(
            Instant::from_secs(max_secs).as_nanos(),
            max_secs * 1_000_000_000
        );
        const C: Instant = Instant::from_secs(5);
        assert_eq!(C.as_nanos(), 5_000_000_000);
    }

    #[test]
    #[should_panic(expected = "from_secs")]
    fn from_secs_overflow_panics() {
        let _ = Instant::from_secs(black_box(u64::MAX / 1_000_000_000 + 1));
    }

    #[test]
    #[should_panic(expected = "from_millis")]
    fn from_millis_overflow_panics() {
        let _ = Instant::from_millis(black_box(u64::MAX / 1_000_000 + 1));
    }

    #[test]
    #[should_panic(expected = "from_micros")]
    fn from_micros_overflow_panics() {
        let _ = Instant::from_micros(black_box(u64::MAX / 1_000 + 1));
    }

    #[test]
    fn ordering_is_timeline_order() {
        let a = Instant::from_nanos(5);
        let b = Instant::from_nanos(6);
        assert!(a < b);
        assert!(b > a);
        assert_eq!(a.max(b), b);
        assert!(Instant::ZERO < Instant::MAX);
    }

    #[test]
    fn add_and_sub_duration() {
        let t = Instant::from_secs(10);
        assert_eq!(
            t + Duration::from_nanos(1),
            Instant::from_nanos(10_000_000_001)
        );
        assert_eq!(
            t - Duration::from_millis(1),
            Instant::from_nanos(9_999_000_000)
        );
        let mut u = t;
        u += Duration::from_secs(5);
        assert_eq!(u, Instant::from_secs(15));
        u -= Duration::from_secs(15);
        assert_eq!(u, Instant::ZERO);
        assert_eq!(Instant::MAX - Duration::from_nanos(u64::MAX), Instant::ZERO);
        assert_eq!(Instant::ZERO + Duration::from_nanos(u64::MAX), Instant::MAX);
    }

    #[test]
    #[should_panic(expected = "overflow when adding a Duration to stakker_core::time::Instant")]
    fn add_overflow_panics() {
        let _ = black_box(Instant::MAX) + Duration::from_nanos(1);
    }

    #[test]
    #[should_panic(expected = "overflow when adding a Duration to stakker_core::time::Instant")]
    fn add_huge_duration_panics() {
        let _ = black_box(Instant::ZERO) + Duration::MAX;
    }

    #[test]
    #[should_panic(expected = "overflow when adding a Duration to stakker_core::time::Instant")]
    fn add_assign_overflow_panics() {
        let mut t = black_box(Instant::from_nanos(u64::MAX - 10));
        t += Duration::from_nanos(11);
    }

    #[test]
    #[should_panic(
        expected = "underflow when subtracting a Duration from stakker_core::time::Instant"
    )]
    fn sub_underflow_panics() {
        let _ = black_box(Instant::from_nanos(10)) - Duration::from_nanos(11);
    }

    #[test]
    #[should_panic(
        expected = "underflow when subtracting a Duration from stakker_core::time::Instant"
    )]
    fn sub_assign_underflow_panics() {
        let mut t = black_box(Instant::ZERO);
        t -= Duration::from_nanos(1);
    }

    #[test]
    fn instant_difference_saturates() {
        let a = Instant::from_millis(100);
        let b = Instant::from_millis(350);
        assert_eq!(b - a, Duration::from_millis(250));
        assert_eq!(a - b, Duration::ZERO);
        assert_eq!(a - a, Duration::ZERO);
        assert_eq!(Instant::MAX - Instant::ZERO, Duration::from_nanos(u64::MAX));
    }

    #[test]
    fn checked_ops() {
        let t = Instant::from_nanos(100);
        assert_eq!(
            t.checked_add(Duration::from_nanos(5)),
            Some(Instant::from_nanos(105))
        );
        assert_eq!(
            t.checked_sub(Duration::from_nanos(100)),
            Some(Instant::ZERO)
        );
        assert_eq!(t.checked_sub(Duration::from_nanos(101)), None);
        assert_eq!(Instant::MAX.checked_add(Duration::ZERO), Some(Instant::MAX));
        assert_eq!(Instant::MAX.checked_add(Duration::from_nanos(1)), None);
        assert_eq!(Instant::ZERO.checked_add(Duration::MAX), None);
        assert_eq!(Instant::MAX.checked_sub(Duration::MAX), None);
    }

    #[test]
    fn saturating_ops() {
        let t = Instant::from_nanos(100);
        assert_eq!(
            t.saturating_add(Duration::from_nanos(5)),
            Instant::from_nanos(105)
        );
        assert_eq!(
            t.saturating_sub(Duration::from_nanos(5)),
            Instant::from_nanos(95)
        );
        assert_eq!(t.saturating_sub(Duration::from_nanos(101)), Instant::ZERO);
        assert_eq!(t.saturating_sub(Duration::MAX), Instant::ZERO);
        assert_eq!(
            Instant::from_nanos(u64::MAX - 1).saturating_add(Duration::from_nanos(2)),
            Instant::MAX
        );
        assert_eq!(t.saturating_add(Duration::MAX), Instant::MAX);
    }

    #[test]
    fn durations_since() {
        let a = Instant::from_micros(10);
        let b = Instant::from_micros(25);
        assert_eq!(b.duration_since(a), Duration::from_micros(15));
        assert_eq!(a.duration_since(b), Duration::ZERO);
        assert_eq!(b.checked_duration_since(a), Some(Duration::from_micros(15)));
        assert_eq!(a.checked_duration_since(b), None);
        assert_eq!(a.checked_duration_since(a), Some(Duration::ZERO));
        assert_eq!(b.saturating_duration_since(a), Duration::from_micros(15));
        assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    }

    #[test]
    fn debug_names_the_epoch() {
        let dbg = |t: Instant| alloc::format!("{t:?}");
        assert_eq!(dbg(Instant::ZERO), "Instant(0.000000000s after origin)");
        assert_eq!(
            dbg(Instant::from_nanos(4_800_000_001)),
            "Instant(4.800000001s after origin)"
        );
        let anchor = Instant::from_nanos(super::ANCHOR_NANOS);
        assert_eq!(dbg(anchor), "Instant(0.000000000s after std anchor)");
        assert_eq!(
            dbg(anchor + Duration::from_millis(2500)),
            "Instant(2.500000000s after std anchor)"
        );
        assert_eq!(
            dbg(anchor - Duration::from_secs(3)),
            "Instant(3.000000000s before std anchor)"
        );
        // The switch-over at 100 years: the last instant counted from the origin, the first
        // counted back from the anchor.
        let half = super::ANCHOR_NANOS / 2;
        assert_eq!(
            dbg(Instant::from_nanos(half - 1)),
            alloc::format!(
                "Instant({}.999999999s after origin)",
                half / 1_000_000_000 - 1
            )
        );
        assert_eq!(
            dbg(Instant::from_nanos(half)),
            alloc::format!(
                "Instant({}.000000000s before std anchor)",
                half / 1_000_000_000
            )
        );
        assert_eq!(
            dbg(Instant::MAX),
            alloc::format!(
                "Instant({}.{:09}s after std anchor)",
                (u64::MAX - super::ANCHOR_NANOS) / 1_000_000_000,
                (u64::MAX - super::ANCHOR_NANOS) % 1_000_000_000
            )
        );
    }

    #[cfg(feature = "std")]
    mod with_std {
        use super::super::{Duration, Instant};
        use core::cmp::Ordering;
        use std::time::Instant as StdInstant;

        /// 100 years of 365.25 days.
        const HUNDRED_YEARS: Duration = Duration::from_secs(100 * 36525 * 24 * 60 * 60 / 100);

        #[test]
        fn reexports() {
            let _: super::super::SystemTime = super::super::UNIX_EPOCH;
        }

        #[test]
        fn round_trip_is_exact() {
            let s = StdInstant::now();
            let samples = [
                s,
                s + Duration::from_nanos(1),
                s + Duration::from_nanos(123_456_789),
                s + Duration::from_secs(86_400 * 365),
                s.checked_sub(Duration::from_nanos(987_654_321)).unwrap(),
            ];
            for a in samples {
                let i = Instant::from(a);
                assert_eq!(StdInstant::from(i), a);
                // And the other way round.
                assert_eq!(Instant::from(StdInstant::from(i)), i);
            }
            let i = Instant::from(s) + Duration::from_nanos(7);
            assert_eq!(Instant::from(StdInstant::from(i)), i);
            assert_eq!(StdInstant::from(i) - s, Duration::from_nanos(7));
        }

        #[test]
        fn order_and_differences_preserved() {
            let a = StdInstant::now();
            let b = a + Duration::from_nanos(1);
            let c = a + Duration::new(3, 141_592_653);
            let (ia, ib, ic) = (Instant::from(a), Instant::from(b), Instant::from(c));
            assert!(ia < ib && ib < ic);
            assert_eq!(ib - ia, b - a);
            assert_eq!(ic - ia, c - a);
            assert_eq!(ic - ib, c - b);
            assert_eq!(ia - ic, Duration::ZERO);
            assert_eq!(Instant::from(a), Instant::from(a));
        }

        #[test]
        fn hundred_years_each_side_convertible() {
            let now = StdInstant::now();
            let later = now + HUNDRED_YEARS;
            let il = Instant::from(later);
            assert_eq!(StdInstant::from(il), later);
            assert_eq!(il - Instant::from(now), HUNDRED_YEARS);

            // Our range always reaches 100 years back; std's may not on every platform.
            let ie = Instant::from(now)
                .checked_sub(HUNDRED_YEARS)
                .expect("100 years before now must be representable");
            assert_eq!(Instant::from(now) - ie, HUNDRED_YEARS);
            let earlier = now.checked_sub(HUNDRED_YEARS);
            if cfg!(any(target_os = "linux", target_os = "windows")) {
                assert!(earlier.is_some(), "std should reach 100 years back here");
            }
            if let Some(earlier) = earlier {
                assert_eq!(Instant::from(earlier), ie);
                assert_eq!(StdInstant::from(ie), earlier);
            }
        }

        #[test]
        #[should_panic(expected = "out of the range")]
        fn out_of_range_std_instant_panics() {
            let beyond = StdInstant::from(Instant::MAX) + Duration::from_nanos(1);
            let _ = Instant::from(beyond);
        }

        #[test]
        fn cross_type_comparison() {
            let s = StdInstant::now();
            let i = Instant::from(s);
            let later = i + Duration::from_nanos(1);
            assert!(i == s);
            assert!(s == i);
            assert!(later != s);
            assert!(s != later);
            assert!(later > s);
            assert!(s < later);
            assert!(s <= i);
            assert!(s >= i);
            assert!(i <= s);
            assert!(i >= s);
            assert_eq!(i.partial_cmp(&s), Some(Ordering::Equal));
            assert_eq!(s.partial_cmp(&later), Some(Ordering::Less));
            assert_eq!(later.partial_cmp(&s), Some(Ordering::Greater));
            assert!(i < s + Duration::from_nanos(1));
            assert!(s + Duration::from_nanos(1) > i);

            // Out-of-range std instants still compare, without panicking.
            let beyond = StdInstant::from(Instant::MAX) + Duration::from_nanos(1);
            assert!(Instant::MAX < beyond);
            assert!(beyond > Instant::MAX);
            assert!(Instant::MAX != beyond);
        }

        #[test]
        fn debug_of_std_instants_counts_from_the_anchor() {
            // Converted now, so at or after the process-wide anchor (the first conversion).
            let t = Instant::from(StdInstant::now());
            let since = t - Instant::from_nanos(super::super::ANCHOR_NANOS);
            assert_eq!(
                std::format!("{t:?}"),
                std::format!(
                    "Instant({}.{:09}s after std anchor)",
                    since.as_secs(),
                    since.subsec_nanos()
                )
            );
        }

        #[test]
        fn cross_type_subtraction() {
            let s = StdInstant::now();
            let i = Instant::from(s) + Duration::from_millis(1500);
            assert_eq!(i - s, Duration::from_millis(1500));
            assert_eq!(s - i, Duration::ZERO);
            let s2 = s + Duration::from_nanos(2_000_000_003);
            assert_eq!(s2 - i, Duration::from_nanos(500_000_003));
            assert_eq!(i - s2, Duration::ZERO);
            // Out-of-range operand: exact difference, no panic.
            let beyond = StdInstant::from(Instant::MAX) + Duration::from_nanos(1);
            assert_eq!(beyond - Instant::MAX, Duration::from_nanos(1));
            assert_eq!(Instant::MAX - beyond, Duration::ZERO);
        }

        #[test]
        fn now_and_elapsed() {
            let s0 = StdInstant::now();
            let t = Instant::now();
            let s1 = StdInstant::now();
            assert!(s0 <= t && t <= s1);
            let e = t.elapsed();
            assert!(e <= Instant::now() - t);
            assert!(Instant::now() >= t);
        }
    }
}
