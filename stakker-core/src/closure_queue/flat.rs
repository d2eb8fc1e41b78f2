//! Flat closure queue: closures stored in place in one buffer of 8-byte slots.
//!
//! # Layout
//!
//! The buffer is a `Vec<Slot>`, where a `Slot` is an 8-byte, 8-aligned unit of possibly
//! uninitialised memory. Each item takes `1 + ceil(size_of::<F>() / 8)` consecutive slots:
//!
//! - slot 0 holds a `&'static Vtable<S>` for the closure type `F` (written as a typed
//!   pointer, so its provenance is kept);
//! - the following slots hold the closure value `F` itself, written with `ptr::write`.
//!
//! The vtable is a constant built per `F` by this module (two monomorphised functions and the
//! item length), so nothing relies on the layout of compiler-generated trait-object vtables.
//! Closures whose alignment exceeds 8 are boxed first and the box is stored instead, so every
//! stored value is at most 8-aligned and every item starts on a slot boundary.
//!
//! # Why it is sound
//!
//! - Slots `head..buf.len()` hold whole live items, back to back, each starting with its
//!   vtable; slots before `head` have been consumed and hold nothing live. Every method keeps
//!   this invariant before it runs any user code (a closure or a `Drop`), so a panic in user
//!   code leaves the queue consistent.
//! - Reading an item first advances `head` past it, then moves the closure out with
//!   `ptr::read`; the value is thereby owned exactly once, by the callee, which either calls
//!   it (consuming it) or drops it.
//! - Items are position independent: a slot-aligned copy of an item's slots (`append`, the
//!   compaction in `compact`) is a move of the closure value, after which the source slots are
//!   treated as dead. `Slot` is a `MaybeUninit`, so copying it preserves every byte and any
//!   pointer provenance inside.
//! - The buffer is never reallocated while a pointer into it is live. [`FnQueue`] is shared
//!   (`&self` methods, so items may push onto the queue that is running them): every access to
//!   the inner `RawQueue` is a short window that runs no user code and cannot re-enter, except
//!   in `call_next`, which consumes the item inside such a window and then calls it. The first
//!   thing `call` does, before any user code can push (and so move the buffer), is move the
//!   closure onto the stack; after that the pointer is not used again.
//! - No user value is dropped inside such a window either: a push that cannot grow the buffer
//!   hands the closure back, and it is dropped (its `Drop` may push) only once the window has
//!   closed.

use alloc::boxed::Box;
use alloc::collections::TryReserveError;
use alloc::vec::Vec;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::mem::{align_of, size_of, MaybeUninit};

/// What the safe twin stores per item; the queue takes its auto traits from it.
type Boxed<S> = Box<dyn FnOnce(&mut S)>;

/// One 8-byte unit of queue storage.
type Slot = MaybeUninit<u64>;

const SLOT_BYTES: usize = size_of::<Slot>();

/// Capacity a queue grows to on its first push (4 KiB).
const MIN_SLOTS: usize = 512;

/// Per-closure-type operations, one constant per `F`.
struct Vtable<S> {
    /// Advances the queue's `head` (the second pointer) past the item, moves the closure out
    /// of the slots at the first pointer, and calls it.
    call: unsafe fn(*mut Slot, *mut usize, &mut S),
    /// Moves the closure out of the slots at the pointer and drops it.
    drop: unsafe fn(*mut Slot),
    /// Slots used by the item, including the vtable slot.
    slots: usize,
}

/// Builds the vtable constant for `F`.
struct VtableFor<S, F>(PhantomData<fn(S, F)>);

impl<S: 'static, F: FnOnce(&mut S) + 'static> VtableFor<S, F> {
    const VTABLE: Vtable<S> = Vtable {
        call: call_item::<S, F>,
        drop: drop_item::<F>,
        slots: slots_of::<F>(),
    };
}

/// Slots used by an item holding an `F`, including the vtable slot.
const fn slots_of<F>() -> usize {
    1 + size_of::<F>().div_ceil(SLOT_BYTES)
}

/// The item's own code advances `head`, by a constant: the next item's position then waits
/// only for that store, not for the load of this item's vtable and of its `slots` (a load
/// of a word the previous call had just stored, then a dependent load: most of the time of
/// a call chain under LTO, see docs/BENCHMARKS.md).
///
/// # Safety
///
/// `p` must point at a live `F` written by `FnQueue::push`, the front item of the queue whose
/// `head` field `head` points at, and no reference to that queue may be live.
unsafe fn call_item<S, F: FnOnce(&mut S)>(p: *mut Slot, head: *mut usize, s: &mut S) {
    // SAFETY: guaranteed by the caller: `head` is the queue's `head`, nothing borrows the
    // queue, and `p` holds a live, properly aligned `F`; advancing `head` past it first
    // removes it from the queue, so it is read exactly once and no push can overwrite it.
    let f = unsafe {
        *head += slots_of::<F>();
        read_closure::<F>(p)
    };
    f(s);
}

/// # Safety
///
/// As for `call_item`.
unsafe fn drop_item<F>(p: *mut Slot) {
    // SAFETY: guaranteed by the caller, as for `call_item`.
    drop(unsafe { read_closure::<F>(p) });
}

/// Moves `f` into the slots at `dst`, word by word where that avoids a store-forwarding
/// stall (see `word_move`).
///
/// # Safety
///
/// `dst` must be slot-aligned and valid for writes of `size_of::<F>()` bytes; `F` at most
/// slot-aligned (checked by `push`).
#[inline(always)]
unsafe fn write_closure<F>(dst: *mut Slot, f: F) {
    // SAFETY: the caller's promise.
    unsafe { crate::word_move::write(dst.cast::<F>(), f) }
}

/// Moves the `F` at `src` out, with the same load widths `write_closure` stored it with.
///
/// # Safety
///
/// `src` must hold a live `F` written by `write_closure`, which the caller then owns.
#[inline(always)]
unsafe fn read_closure<F>(src: *const Slot) -> F {
    // SAFETY: the caller's promise.
    unsafe { crate::word_move::read(src.cast::<F>()) }
}

/// FIFO of deferred calls, stored in place, with `&mut self` methods. See the module docs for
/// the layout and why it is sound. [`FnQueue`] wraps it for shared use.
struct RawQueue<S: 'static> {
    buf: Vec<Slot>,
    /// Index of the first live slot.
    head: usize,
    /// Test hook: the next growth fails as if the buffer could not grow.
    #[cfg(test)]
    refuse_growth: bool,
    /// The slots hold closures of any type, so the queue has the auto traits of the safe
    /// twin's boxed closures: neither `Send` nor `Sync` (nor unwind-safe).
    _items: PhantomData<Boxed<S>>,
}

impl<S: 'static> RawQueue<S> {
    /// An empty queue; allocates nothing until the first push.
    const fn new() -> Self {
        Self {
            buf: Vec::new(),
            head: 0,
            #[cfg(test)]
            refuse_growth: false,
            _items: PhantomData,
        }
    }

    /// Whether no items are waiting.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.head == self.buf.len()
    }

    /// Makes room for `n` more slots at the back, reusing consumed space at the front
    /// before growing. Fails only if the buffer cannot grow (capacity overflow, or no memory).
    #[inline]
    fn reserve(&mut self, n: usize) -> Result<(), TryReserveError> {
        if self.buf.capacity() - self.buf.len() < n {
            return self.reserve_slow(n);
        }
        Ok(())
    }

    #[cold]
    fn reserve_slow(&mut self, n: usize) -> Result<(), TryReserveError> {
        #[cfg(test)]
        if core::mem::take(&mut self.refuse_growth) {
            return self.buf.try_reserve(usize::MAX); // a request no buffer can meet
        }
        if self.buf.capacity() < MIN_SLOTS {
            // Start with room for many items, so that a queue that is pushed and popped in
            // turn (a chain of calls) compacts rarely.
            self.buf.try_reserve(MIN_SLOTS - self.buf.len())?;
        }
        if self.head > 0 && self.buf.capacity() - self.buf.len() < n {
            self.compact();
        }
        self.buf.try_reserve(n)
    }

    /// Moves the live items to the front. The consumed slots hold nothing live, so
    /// overwriting them loses nothing; `Slot` copies keep provenance.
    fn compact(&mut self) {
        self.buf.copy_within(self.head.., 0);
        let live = self.buf.len() - self.head;
        self.buf.truncate(live);
        self.head = 0;
    }

    /// Appends `f` at the back if the buffer has room for it, else hands it back (to be pushed
    /// again after `reserve_slow`). `f` must be at most slot-aligned (`FnQueue::push` boxes
    /// the others).
    #[inline]
    fn push<F: FnOnce(&mut S) + 'static>(&mut self, f: F) -> Result<(), F> {
        // Folded away at compile time.
        assert!(align_of::<F>() <= align_of::<Slot>());
        let vtable: &'static Vtable<S> = &VtableFor::<S, F>::VTABLE;
        let n = vtable.slots;
        if self.buf.capacity() - self.buf.len() < n {
            return Err(f);
        }
        let len = self.buf.len();
        // Both writes are aligned (8-aligned `Vec<Slot>` base, items start on slot boundaries,
        // `F` at most 8-aligned) and the slots join the queue only at `set_len`, after both.
        // SAFETY: there is room for `n` slots after `len` (checked above), covering the vtable
        // slot plus `size_of::<F>()` bytes, so both writes are in bounds; nothing in between
        // can panic.
        unsafe {
            let p = self.buf.as_mut_ptr().add(len);
            p.cast::<&'static Vtable<S>>().write(vtable);
            write_closure(p.add(1), f);
            self.buf.set_len(len + n);
        }
        Ok(())
    }

    /// The front item's vtable and closure pointer, leaving it in the queue.
    ///
    /// # Safety
    ///
    /// The queue must not be empty.
    #[inline]
    unsafe fn front(&mut self) -> (&'static Vtable<S>, *mut Slot) {
        // SAFETY: as for `take_front`: `head` indexes the vtable slot of a live item.
        unsafe {
            let p = self.buf.as_mut_ptr().add(self.head);
            (p.cast::<&'static Vtable<S>>().read(), p.add(1))
        }
    }

    /// Reads the vtable of the item at `head` and marks the item consumed.
    ///
    /// # Safety
    ///
    /// The queue must not be empty. The caller takes ownership of the item's closure and must
    /// call or drop it through the returned vtable, using the returned pointer, before the
    /// buffer is next modified.
    #[inline]
    unsafe fn take_front(&mut self) -> (&'static Vtable<S>, *mut Slot) {
        // SAFETY: the queue is not empty (caller's promise), so `head` indexes the vtable slot
        // of a live item, written by `push` as a `&'static Vtable<S>`.
        unsafe {
            let p = self.buf.as_mut_ptr().add(self.head);
            let vtable = p.cast::<&'static Vtable<S>>().read();
            self.head += vtable.slots;
            (vtable, p.add(1))
        }
    }

    /// After the front item was consumed: restart at the front of the buffer if nothing is
    /// left. The slots hold no live values, and `Slot` needs no drop.
    #[inline]
    fn reset_if_empty(&mut self) {
        if self.is_empty() {
            self.buf.clear();
            self.head = 0;
        }
    }

    /// Moves every item of `other` to the back of `self`, in order, leaving `other` empty; or,
    /// if the buffer cannot grow, moves nothing.
    fn append(&mut self, other: &mut Self) -> Result<(), TryReserveError> {
        if other.is_empty() {
            return Ok(());
        }
        if self.is_empty() && self.buf.capacity() < other.buf.len() - other.head {
            // Cheaper to take over the other buffer than to copy into a smaller one.
            core::mem::swap(self, other);
            return Ok(());
        }
        let live = other.buf.len() - other.head;
        self.reserve(live)?;
        // Copying the slots moves the items (module docs); `other` then forgets them.
        self.buf.extend_from_slice(&other.buf[other.head..]);
        other.buf.clear();
        other.head = 0;
        Ok(())
    }

    /// Releases memory beyond what `keep` slots would need, if much more is held.
    pub(crate) fn shrink(&mut self, keep: usize) {
        if self.buf.capacity() > keep.saturating_mul(2) {
            if self.head > 0 {
                self.compact();
            }
            self.buf.shrink_to(keep.max(self.buf.len()));
        }
    }

    /// Number of slots of buffer held.
    pub(crate) fn capacity_items(&self) -> usize {
        self.buf.capacity()
    }
}

impl<S: 'static> Drop for RawQueue<S> {
    fn drop(&mut self) {
        while !self.is_empty() {
            // SAFETY: not empty; the item is consumed before its `Drop` runs, so it is dropped
            // exactly once. (If that `Drop` panics, the remaining items are leaked, never
            // dropped twice.)
            unsafe {
                let (vtable, p) = self.take_front();
                (vtable.drop)(p);
            }
        }
    }
}

/// A shared FIFO of deferred calls: items may queue more items on the queue that is running
/// them. Neither `Send` nor `Sync` (`RawQueue`'s marker, and the `UnsafeCell`).
pub(crate) struct FnQueue<S: 'static> {
    raw: UnsafeCell<RawQueue<S>>,
    /// Test builds check that `with` is never re-entered.
    #[cfg(test)]
    busy: core::cell::Cell<bool>,
}

impl<S: 'static> Default for FnQueue<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: 'static> FnQueue<S> {
    /// An empty queue; allocates nothing until the first push.
    pub(crate) const fn new() -> Self {
        Self {
            raw: UnsafeCell::new(RawQueue::new()),
            #[cfg(test)]
            busy: core::cell::Cell::new(false),
        }
    }

    /// Runs `f` with `s` now, through the call function a queued `f` runs through, reached
    /// indirectly as from the queue: code that runs an item kept apart from any queue (an
    /// intercepted call) then adds no second caller of the code inside `f`, which would keep
    /// the compiler from inlining that code into the queue's call function.
    pub(crate) fn run_one<F: FnOnce(&mut S) + 'static>(f: F, s: &mut S) {
        if align_of::<F>() > align_of::<Slot>() {
            return f(s); // `push` boxes these: a different item type anyway
        }
        // Opaque, so that the call stays indirect (as from a queue's buffer).
        let vtable: &'static Vtable<S> = core::hint::black_box(&VtableFor::<S, F>::VTABLE);
        let mut item = MaybeUninit::new(f);
        let mut head = 0usize;
        // SAFETY: `item` holds a live `F`, aligned for `F` (at most slot-aligned, checked
        // above), and `vtable` is `F`'s: its call function moves the `F` out exactly once
        // (after advancing `head`, a local no other code sees) and calls it. `item` is a
        // `MaybeUninit`, so the moved-out value is not dropped again.
        unsafe { (vtable.call)(item.as_mut_ptr().cast::<Slot>(), &mut head, s) };
    }

    /// Runs `f` on the inner queue. Only called with this module's closures, none of which
    /// runs user code (no closure call, no `Drop` of an item) or touches `self` again.
    #[inline]
    fn with<R>(&self, f: impl FnOnce(&mut RawQueue<S>) -> R) -> R {
        #[cfg(test)]
        let _busy = Busy::enter(&self.busy);
        // SAFETY: `FnQueue` is not `Sync`, so only this thread can be here, and by the rule
        // above no other reference to the inner queue is live while `f` runs: this `&mut` is
        // unique for its whole (short) life.
        f(unsafe { &mut *self.raw.get() })
    }

    /// Whether no items are waiting.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.with(|q| q.is_empty())
    }

    /// Appends `f` at the back. No allocation happens unless the buffer must grow.
    ///
    /// Aborts the process if the buffer cannot grow (see `closure_queue::cannot_grow`).
    #[inline]
    pub(crate) fn push<F: FnOnce(&mut S) + 'static>(&self, f: F) {
        if align_of::<F>() <= align_of::<Slot>() {
            self.push_in_place(f);
        } else {
            // Rare: over-aligned captures. Store a box, which is slot-aligned.
            let boxed = Box::new(f);
            self.push_in_place(move |s: &mut S| (*boxed)(s));
        }
    }

    #[inline]
    fn push_in_place<F: FnOnce(&mut S) + 'static>(&self, f: F) {
        if let Err(f) = self.with(move |q| q.push(f)) {
            self.grow_and_push(f);
        }
    }

    /// `push_in_place` when the buffer is full: grows it and pushes `f`, or aborts if it
    /// cannot grow. Never unwinds (see `closure_queue::cannot_grow`).
    #[cold]
    #[inline(never)]
    #[allow(improper_ctypes_definitions)] // called from Rust only: `extern "C"` for "nounwind"
    extern "C" fn grow_and_push<F: FnOnce(&mut S) + 'static>(&self, f: F) {
        let n = VtableFor::<S, F>::VTABLE.slots;
        if self.with(|q| q.reserve_slow(n)).is_err() {
            core::mem::forget(f);
            super::cannot_grow(n * SLOT_BYTES);
        }
        self.push_in_place(f); // it fits now
    }

    /// Removes the front item and calls it with `s`. Returns `false` if the queue was empty.
    /// The item is removed before it runs, so a panic inside it leaves the queue consistent,
    /// and items it queues go to the back.
    #[inline]
    pub(crate) fn call_next(&self, s: &mut S) -> bool {
        let front = self.with(|q| {
            if q.is_empty() {
                return None;
            }
            // SAFETY: the queue is not empty; the caller (below) consumes the item once.
            Some(unsafe { q.front() })
        });
        let Some((vtable, p)) = front else {
            return false;
        };
        // SAFETY: a raw pointer into the cell, not through a reference, so it stays valid
        // while `call` runs; `call` writes through it before any user code runs.
        let head = unsafe { core::ptr::addr_of_mut!((*self.raw.get()).head) };
        // SAFETY: the item at `p` is the front item and nothing borrows the queue now.
        // `call` advances `head` past it before reading it (so this is its only owner) and
        // moves the closure onto the stack before running any user code that might push
        // (module docs).
        unsafe { (vtable.call)(p, head, s) };
        self.with(|q| q.reset_if_empty());
        true
    }

    /// Takes every item out, leaving this queue empty.
    pub(crate) fn take(&self) -> Self {
        let raw = self.with(|q| core::mem::replace(q, RawQueue::new()));
        Self {
            raw: UnsafeCell::new(raw),
            #[cfg(test)]
            busy: core::cell::Cell::new(false),
        }
    }

    /// Moves every item of `other` to the back of this queue, in order. Aborts as `push` does
    /// if the buffer cannot grow.
    pub(crate) fn append(&self, other: Self) {
        let mut other = other.raw.into_inner();
        if self.with(|q| q.append(&mut other)).is_err() {
            let bytes = other.buf.len() * SLOT_BYTES;
            core::mem::forget(other);
            super::cannot_grow(bytes);
        }
        // `other` is empty now: dropping it runs no user code.
    }

    /// Replaces this queue, which must be empty, with `other` (keeping `other`'s buffer).
    pub(crate) fn restore(&self, other: Self) {
        let old = self.with(|q| core::mem::replace(q, other.raw.into_inner()));
        debug_assert!(old.is_empty());
        drop(old);
    }

    /// Releases memory beyond what `keep` slots would need, if much more is held.
    pub(crate) fn shrink(&self, keep: usize) {
        self.with(|q| q.shrink(keep));
    }

    /// Number of slots of buffer held.
    pub(crate) fn capacity_items(&self) -> usize {
        self.with(|q| q.capacity_items())
    }

    /// Makes the next growth of the buffer fail (for tests).
    #[cfg(test)]
    pub(crate) fn refuse_next_growth(&self) {
        self.with(|q| q.refuse_growth = true);
    }
}

/// Marks a queue borrowed for as long as it lives. Test builds take one in every `with`, so an
/// access nested in another (two live `&mut` of the inner queue) panics instead of going
/// unnoticed.
#[cfg(test)]
struct Busy<'a>(&'a core::cell::Cell<bool>);

#[cfg(test)]
impl<'a> Busy<'a> {
    fn enter(busy: &'a core::cell::Cell<bool>) -> Self {
        assert!(!busy.replace(true), "queue accessed while already borrowed");
        Busy(busy)
    }
}

#[cfg(test)]
impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}
