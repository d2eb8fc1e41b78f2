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

/// A queue whose buffer cannot grow (memory exhausted, or a size past `isize::MAX`): reports
/// it and aborts the process, as `Vec::push` does when memory runs out. The items in hand are
/// leaked, not dropped: their `Drop` could queue more work on the queue that just failed.
///
/// Never unwinds (`extern "C"`, so the panic below ends in an abort), and neither do the
/// pushes' growth paths that call it: every `call!` ends in a push, and a push that could
/// unwind would give each actor method that queues a call an unwinding path, and with it a
/// stack frame in every delivery (see `docs/BENCHMARKS.md`).
#[cold]
#[inline(never)]
extern "C" fn cannot_grow(bytes_wanted: usize) -> ! {
    panic!("closure queue: cannot grow by {bytes_wanted} bytes; aborting");
}

#[cfg(test)]
mod tests;
