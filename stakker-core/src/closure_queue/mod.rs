//! The closure queue: a FIFO of `FnOnce(&mut S)` items.
//!
//! Two implementations expose the same `pub(crate)` API, [`FnQueue`]:
//!
//! - `flat`: closures are stored in place in one growable buffer of 8-byte slots, so pushing a
//!   call allocates nothing once the buffer has grown. This is the default.
//! - `boxed`: a `VecDeque` of boxed closures; no unsafe code. Selected by the `no-unsafe` or
//!   `no-unsafe-queue` features (turning either on always gives the more tolerant build).
//!
//! The queue knows nothing of actors or runtimes: `S` is whatever the items are called with.

#[cfg(not(any(feature = "no-unsafe", feature = "no-unsafe-queue")))]
mod flat;
#[cfg(not(any(feature = "no-unsafe", feature = "no-unsafe-queue")))]
pub(crate) use flat::FnQueue;

#[cfg(any(feature = "no-unsafe", feature = "no-unsafe-queue"))]
mod boxed;
#[cfg(any(feature = "no-unsafe", feature = "no-unsafe-queue"))]
pub(crate) use boxed::FnQueue;

// Both twins have the auto traits of the safe twin's boxes. The default build's tests also
// compile the safe twin, so that one build checks both.
crate::auto_traits::assert_like_boxed_closures!(FnQueue<u8>);
#[cfg(all(test, not(any(feature = "no-unsafe", feature = "no-unsafe-queue"))))]
#[allow(dead_code)]
#[path = "boxed.rs"]
mod boxed_twin;
#[cfg(all(test, not(any(feature = "no-unsafe", feature = "no-unsafe-queue"))))]
crate::auto_traits::assert_like_boxed_closures!(boxed_twin::FnQueue<u8>);

/// A push that could not grow the queue's buffer: drops what was refused, now that no borrow
/// of the queue is held (its `Drop` may queue more work), then panics.
#[cold]
#[inline(never)]
fn refused<T>(refused: T, err: alloc::collections::TryReserveError) -> ! {
    drop(refused);
    panic!("closure queue: cannot grow: {err}");
}

#[cfg(test)]
mod tests;
