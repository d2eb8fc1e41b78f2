//! The auto traits the public types promise (API.md §3.15), checked at compile time in every
//! build, so that a change which makes one of them `Send`, say, fails to compile.
//!
//! They match the original `stakker` 0.2.16 (its default build): every runtime type is
//! neither `Send` nor `Sync` (the unsafe leaves rely on that: all their sharing is on one
//! thread), every type is `Unpin` whatever its parameters, and only the plain-data types and
//! `Deferrer` are unwind-safe. Negative promises are checked with a `u8` parameter (the most
//! permissive one) and positive ones with [`NoAutoTraits`], which has none of them.

use crate::task::Task;
use crate::*;
use core::panic::{RefUnwindSafe, UnwindSafe};
use static_assertions::{assert_impl_all, assert_not_impl_any};

/// A type parameter with no auto trait at all.
#[allow(dead_code)] // only ever named in types
struct NoAutoTraits(
    core::marker::PhantomData<*const ()>,
    core::marker::PhantomPinned,
    core::marker::PhantomData<&'static mut core::cell::Cell<u8>>,
);
assert_not_impl_any!(NoAutoTraits: Send, Sync, Unpin, UnwindSafe, RefUnwindSafe);

// Runtime types: not `Clone`, not thread-safe, not unwind-safe.
assert_not_impl_any!(Stakker: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Core: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Cx<'static, u8>: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Ret<u8>: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(ActorOwn<u8>: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(ActorOwnAnon: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(ActorOwnSlab<u8>: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(StopCause: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
// Additions of this workspace (no original): they hold runtime references.
assert_not_impl_any!(IntervalKey: Clone, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Monitor: Clone, Send, Sync);
assert_impl_all!(IntervalKey: Unpin);
assert_impl_all!(Monitor: Unpin, UnwindSafe, RefUnwindSafe); // a Deferrer and two numbers

// Handles: `Clone` (never `Copy`), not thread-safe, not unwind-safe.
assert_not_impl_any!(Actor<u8>: Copy, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Fwd<u8>: Copy, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Share<u8>: Copy, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(ShareWeak<u8>: Copy, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Share2<u8>: Copy, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Share2Weak<u8>: Copy, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_not_impl_any!(Task: Copy, Send, Sync, UnwindSafe, RefUnwindSafe);
assert_impl_all!(Actor<NoAutoTraits>: Clone);
assert_impl_all!(Fwd<NoAutoTraits>: Clone);
assert_impl_all!(Share<NoAutoTraits>: Clone);
assert_impl_all!(ShareWeak<NoAutoTraits>: Clone);
assert_impl_all!(Share2<NoAutoTraits>: Clone);
assert_impl_all!(Share2Weak<NoAutoTraits>: Clone);
assert_impl_all!(Task: Clone);

// `Deferrer` is unwind-safe, as in the original's default build: it only appends to queues,
// which are consistent whenever user code runs, so nothing half-done can be seen after a panic.
assert_not_impl_any!(Deferrer: Copy, Send, Sync);
assert_impl_all!(Deferrer: Clone, UnwindSafe, RefUnwindSafe);

// Everything is `Unpin`, whatever its parameters.
assert_impl_all!(Stakker: Unpin);
assert_impl_all!(Core: Unpin);
assert_impl_all!(Cx<'static, NoAutoTraits>: Unpin);
assert_impl_all!(Ret<NoAutoTraits>: Unpin);
assert_impl_all!(Actor<NoAutoTraits>: Unpin);
assert_impl_all!(ActorOwn<NoAutoTraits>: Unpin);
assert_impl_all!(ActorOwnAnon: Unpin);
assert_impl_all!(ActorOwnSlab<NoAutoTraits>: Unpin);
assert_impl_all!(Fwd<NoAutoTraits>: Unpin);
assert_impl_all!(Share<NoAutoTraits>: Unpin);
assert_impl_all!(ShareWeak<NoAutoTraits>: Unpin);
assert_impl_all!(Share2<NoAutoTraits>: Unpin);
assert_impl_all!(Share2Weak<NoAutoTraits>: Unpin);
assert_impl_all!(Task: Unpin);
assert_impl_all!(StopCause: Unpin);

// Plain data: copyable, thread-safe, unwind-safe.
assert_impl_all!(FixedTimerKey: Copy, Send, Sync, Unpin, UnwindSafe, RefUnwindSafe);
assert_impl_all!(MaxTimerKey: Copy, Send, Sync, Unpin, UnwindSafe, RefUnwindSafe);
assert_impl_all!(MinTimerKey: Copy, Send, Sync, Unpin, UnwindSafe, RefUnwindSafe);
assert_impl_all!(LogLevel: Copy, Send, Sync, Unpin, UnwindSafe, RefUnwindSafe);
assert_impl_all!(LogFilter: Copy, Send, Sync, Unpin, UnwindSafe, RefUnwindSafe);

// The cross-thread types (their unwind safety depends on the features, so it is not pinned).
assert_impl_all!(Waker: Send, Sync, Unpin);
assert_not_impl_any!(Waker: Clone, Copy);
#[cfg(feature = "std")]
mod cross_thread {
    use super::*;
    use crate::sync::{Channel, ChannelGuard};

    assert_impl_all!(Channel<u8>: Clone, Send, Sync, Unpin);
    assert_not_impl_any!(Channel<u8>: Copy);
    assert_impl_all!(ChannelGuard: Unpin);
    assert_not_impl_any!(ChannelGuard: Clone, Send, Sync);
    assert_impl_all!(PipedThread<u8, u8>: Send, Sync, Unpin);
    assert_not_impl_any!(PipedThread<u8, u8>: Clone);
    assert_impl_all!(PipedLink<u8, u8>: Send, Sync, Unpin);
    assert_not_impl_any!(PipedLink<u8, u8>: Clone);
}

/// Asserts that containers of type-erased closures have the auto traits of the boxed closures
/// the safe twins store (`Box<dyn FnOnce(..)>`), whichever twin is built: neither `Send` nor
/// `Sync` nor unwind-safe, but `Unpin`.
macro_rules! assert_like_boxed_closures {
    ($($t:ty),+ $(,)?) => {$(
        static_assertions::assert_not_impl_any!(
            $t: Send, Sync, core::panic::UnwindSafe, core::panic::RefUnwindSafe
        );
        static_assertions::assert_impl_all!($t: Unpin);
    )+};
}
pub(crate) use assert_like_boxed_closures;
