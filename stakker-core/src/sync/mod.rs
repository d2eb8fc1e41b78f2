//! Cross-thread wake-up, and the std helpers built on it.
//!
//! - [`Waker`] (always present; working with the `inter-thread` feature): wakes a handler on
//!   the runtime's thread from any thread. Made by [`Core::waker`](crate::Core::waker).
//! - `std` only: [`Channel`] / [`ChannelGuard`] (unbounded channel into an actor),
//!   [`BoundedChannel`] / [`BoundedChannelGuard`] (capacity, backpressure, batches, pause) and
//!   [`PipedThread`] / [`PipedLink`] (a worker thread with a queue each way).
//!
//! # How the host fits in
//!
//! The host loop gives the runtime a wake function with
//! [`Stakker::set_poll_waker`](crate::Stakker::set_poll_waker). When a `Waker` needs
//! attention the runtime calls it (from any thread); the host then arranges for
//! [`Stakker::poll_wake`](crate::Stakker::poll_wake) to run on the runtime's thread, which
//! calls the handlers of the wakers that were woken or dropped.
//!
//! # The wake algorithm
//!
//! Each `Waker` has an index. Its marks live in a four-level atomic bitmap of machine words
//! (`W` = 64 or 32 bits each), shared through an `Arc` created by `set_poll_waker`:
//!
//! ```text
//!  pending: bool                       "a poll-waker call is outstanding"
//!  top:     1 word       bit m  -> mids[m] may be non-zero
//!  mids:    W words      bit l  -> leaf m*W+l may have marks
//!  leaf:    summary      bit w  -> woken[w] | dropped[w] may be non-zero
//!           woken[W], dropped[W]  one bit per waker (W*W wakers per leaf)
//! ```
//!
//! Leaves (about 1 KiB for 4096 wakers on 64-bit targets) are allocated by the runtime as
//! wakers are created, and each `Waker` holds an `Arc` of its own leaf, so nothing is
//! allocated lazily on another thread and no pointer has to be published atomically. The
//! capacity is `W^4`: 2^24 wakers with 64-bit words, 2^20 with 32-bit words.
//!
//! **Wake** (`Waker::wake`): `fetch_or` the waker's bit into its `woken` word. If the bit was
//! already set, stop: that is the whole cost of waking an already-woken waker (one atomic
//! operation, no lock, allocation or system call). Otherwise set the summary bits bottom-up
//! (leaf summary, mid word, top word), then, if `pending` is clear, swap it to `true`, and if
//! this thread made that transition, call the poll waker. So the poll waker is called once per
//! quiet period, however many wakers are woken.
//!
//! **Drop** (`Waker`'s `Drop`): the same with the waker's `dropped` bit (set once, always
//! walking up). Never blocks, never panics (unless the host's poll waker does).
//!
//! **Collect** (`poll_wake`): first swap `pending` to `false`; then swap `top` to zero, and for
//! each set bit swap that mid word to zero, and so on down: leaf summary, then `dropped[w]`,
//! then `woken[w]`. Each marked index is recorded once (in index order, so the order is
//! deterministic); then the handlers run: `handler(s, true)` for a dropped waker (this final
//! call stands for any pending wake too; the handler is then dropped and its index reused),
//! otherwise `handler(s, false)`.
//!
//! **Why no wake is lost.** Every atomic operation above is sequentially consistent. A wake
//! that set a new mark performed, in order: the word `fetch_or`, three summary `fetch_or`s,
//! then a read of `pending`. Take the collection whose `pending` swap comes next after that
//! read in `pending`'s modification order:
//!
//! - if the wake read `pending == false` and swapped it to `true`, it calls the poll waker,
//!   and the host runs a `poll_wake` that begins after this call;
//! - if it read `true` (or lost the swap), some other thread set `pending` and calls the poll
//!   waker, and the collection that clears it comes after the wake's read.
//!
//! Either way a collection begins after the wake's last summary `fetch_or`. Its top-down swaps
//! then find the wake's bits: each level's swap reads the bit that the same wake set earlier
//! at that level (or that bit was already taken by a swap that also took the bits below it).
//! Marking bottom-up and clearing top-down is what makes this work: a collector that clears a
//! summary bit before a waker sets it simply leaves the lower bits for the next collection,
//! which the waker's own `pending` transition triggers. The worst a race causes is a spurious
//! walk or a spurious poll-waker call, both allowed.
//!
//! Why every new mark walks all the way up: if a wake stopped as soon as it found a summary
//! bit already set, it could return while the waker that set that bit is still on its way up,
//! and a `poll_wake` starting right then would miss a wake that had already returned. Walking
//! up costs three more `fetch_or`s, paid only by the first wake of a waker per collection; a
//! repeated wake still stops after one operation. (Such a repeated wake merges into the wake
//! that set the bit: if two threads wake the same waker at the same moment, the one that
//! finds the bit set may return while the other is still walking up; its wake is then
//! handled by the `poll_wake` that the other one's poll-waker call brings about.)
//!
//! Why `dropped` is swapped before `woken`: all wakes of a waker return before its drop
//! starts (the drop needs ownership), so once the collector has seen the dropped bit, the
//! `woken` bit it swaps next is final; no stale mark is left to leak onto the next waker that
//! reuses the index.
//!
//! The protocol is checked by a [loom](https://docs.rs/loom) model (two waking threads, one
//! of them dropping, and a racing collector; the host runs one more collection per poll-waker
//! call). Run it with:
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p stakker-core --release --lib loom
//! ```
//!
//! # Features
//!
//! Without `inter-thread` the types still exist, `set_poll_waker` is accepted and `poll_wake`
//! does nothing, but `Core::waker` (and so `Channel::new`, `BoundedChannel::new` and
//! `PipedThread::spawn`) panics with a message saying to enable `inter-thread`. The wake
//! machinery needs atomic compare-and-swap on machine words (thumbv7em has it; no 64-bit
//! atomics are used). No `unsafe` code is used anywhere in this module.

#[cfg(feature = "inter-thread")]
mod bits;
#[cfg(feature = "std")]
mod bounded;
#[cfg(feature = "std")]
mod channel;
#[cfg(feature = "std")]
mod mailbox;
#[cfg(feature = "std")]
mod piped;
mod wake;

#[cfg(feature = "std")]
pub use bounded::{BoundedChannel, BoundedChannelGuard, TrySendError};
#[cfg(feature = "std")]
pub use channel::{Channel, ChannelGuard};
#[cfg(feature = "std")]
pub use piped::{PipedLink, PipedThread};
pub(crate) use wake::WakeState;
pub use wake::Waker;
