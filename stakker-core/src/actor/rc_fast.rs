//! A minimal single-count reference-counted box for actors, allocated from a per-runtime pool.
//!
//! Actors never need weak references, so the header is one `u32` count instead of `Rc`'s two
//! `usize` counts; with a spare `u32` beside it (the actor's phase and owner count), an actor
//! with 24 bytes of state fits in 64 bytes. The safe twin (`rc_safe.rs`, selected by
//! `no-unsafe`) wraps `alloc::rc::Rc` with the same API and no pool.
//!
//! # The pool
//!
//! Creating and dropping actors is otherwise bound by the allocator (measured in
//! `docs/BENCHMARKS.md`). Each runtime
//! therefore keeps the blocks of its dropped actors in a [`BlockPool`], by 16-byte size
//! class, and hands them out again to new actors of a size in the same class: a pop and a
//! push instead of a `malloc` and a `free`. The pool holds at most [`POOL_MAX_BYTES`]; beyond
//! that, and for blocks larger than the biggest class, blocks go back to the allocator. It is
//! emptied when the `Stakker` is dropped.
//!
//! # Why it is sound
//!
//! - A box is allocated once (from the pool or the allocator, always with its class layout)
//!   and released exactly once, when the count drops from 1 to 0: either into the pool, whose
//!   blocks are plain memory owned by nobody else, or back to the allocator with the same
//!   layout. A pooled block is only ever reused for a value of the same class layout (its
//!   size fits, alignment 16 covers every accepted type).
//! - The count is a `Cell` (the type is neither `Send` nor `Sync`, so no other thread can
//!   touch it), it never overflows (checked, panics first), and shared access only ever hands
//!   out `&T`.
//! - While the value is dropped (which can run user `Drop` code, and so other actors' drops
//!   and pool pushes), the pool is kept alive by a runtime reference taken beforehand, and no
//!   borrow of the pool is held: every pool access is a short `RefCell` borrow running no user
//!   code.

use super::InRuntime;
use alloc::alloc::{alloc, dealloc, handle_alloc_error};
use alloc::vec::Vec;
use core::alloc::Layout;
use core::cell::{Cell, RefCell};
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;

/// Pooled blocks come in sizes of 16, 32, ... bytes, all 16-aligned.
const CLASS_BYTES: usize = 16;
/// Number of size classes: blocks of up to 256 bytes are pooled.
const CLASSES: usize = 16;
/// Most memory one runtime's pool keeps (8 MiB, as for the main queue; 64 KiB under miri, so
/// that the test filling the pool stays quick in the interpreter).
pub(crate) const POOL_MAX_BYTES: usize = if cfg!(miri) { 64 << 10 } else { 8 << 20 };

/// The pool class and block layout for values of `layout`, if pooled.
#[inline]
fn class_of(layout: Layout) -> Option<(usize, Layout)> {
    if layout.align() > CLASS_BYTES || layout.size() > CLASS_BYTES * CLASSES {
        return None;
    }
    // Every `RcBox` has a non-zero size (it holds the count).
    let class = layout.size().div_ceil(CLASS_BYTES) - 1;
    let block = Layout::from_size_align((class + 1) * CLASS_BYTES, CLASS_BYTES).ok()?;
    Some((class, block))
}

/// Freed actor blocks kept by one runtime for reuse (see the module docs).
pub(crate) struct BlockPool {
    classes: RefCell<[Vec<NonNull<u8>>; CLASSES]>,
    bytes: Cell<usize>,
}

impl BlockPool {
    pub(crate) fn new() -> Self {
        BlockPool {
            classes: RefCell::new(Default::default()),
            bytes: Cell::new(0),
        }
    }

    /// A pooled block of class `class`, if any.
    #[inline]
    fn take(&self, class: usize, block: Layout) -> Option<NonNull<u8>> {
        let p = self.classes.borrow_mut()[class].pop()?;
        self.bytes.set(self.bytes.get() - block.size());
        Some(p)
    }

    /// Keeps `p`, a block of class `class`, or frees it if the pool is full.
    #[inline]
    fn put(&self, class: usize, block: Layout, p: NonNull<u8>) {
        let bytes = self.bytes.get() + block.size();
        if bytes > POOL_MAX_BYTES {
            // SAFETY: `p` was allocated with `block` (module docs) and nobody uses it now.
            unsafe { dealloc(p.as_ptr(), block) };
            return;
        }
        self.classes.borrow_mut()[class].push(p);
        self.bytes.set(bytes);
    }

    /// Frees every pooled block.
    pub(crate) fn clear(&self) {
        let classes = core::mem::take(&mut *self.classes.borrow_mut());
        for (class, blocks) in classes.into_iter().enumerate() {
            let block = Layout::from_size_align((class + 1) * CLASS_BYTES, CLASS_BYTES)
                .expect("class layouts are valid");
            for p in blocks {
                // SAFETY: pooled blocks of this class were allocated with `block`, are owned
                // by the pool alone, and have just been removed from it.
                unsafe { dealloc(p.as_ptr(), block) };
            }
        }
        self.bytes.set(0);
    }

    /// Bytes held (for tests).
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.bytes.get()
    }
}

impl Drop for BlockPool {
    fn drop(&mut self) {
        self.clear();
    }
}

struct RcBox<T> {
    count: Cell<u32>,
    /// A spare word for the user, packed beside the count (the actor keeps its phase and owner
    /// count here), so the header takes 8 bytes in all.
    word: Cell<u32>,
    value: T,
}

/// A reference-counted pointer with no weak references.
pub(crate) struct ActorRc<T: InRuntime> {
    ptr: NonNull<RcBox<T>>,
    /// Owns an `RcBox<T>` the way an `Rc` does, which also gives it the safe twin's auto
    /// traits: neither `Send` nor `Sync`, `Unpin` whatever `T` is (the box never moves).
    _owns: PhantomData<alloc::rc::Rc<RcBox<T>>>,
}

impl<T: InRuntime> ActorRc<T> {
    /// Allocates `value`, from its runtime's pool if it has a block of the right class, with a
    /// count of one and the spare word set to `word`.
    #[inline]
    pub(crate) fn new(word: u32, value: T) -> Self {
        let layout = Layout::new::<RcBox<T>>();
        let raw = match class_of(layout) {
            Some((class, block)) => match value.deferrer().0.actor_pool.take(class, block) {
                Some(p) => p,
                None => allocate(block),
            },
            None => allocate(layout),
        };
        let ptr = raw.cast::<RcBox<T>>();
        // SAFETY: `ptr` is a fresh block (from the allocator, or from the pool, which owns its
        // blocks exclusively) of at least `layout.size()` bytes, aligned for `RcBox<T>`.
        // Moved in word by word: the value was just assembled field by field on the stack
        // (see `word_move`).
        unsafe {
            crate::word_move::write(
                ptr.as_ptr(),
                RcBox {
                    count: Cell::new(1),
                    word: Cell::new(word),
                    value,
                },
            )
        };
        ActorRc {
            ptr,
            _owns: PhantomData,
        }
    }

    #[inline]
    fn inner(&self) -> &RcBox<T> {
        // SAFETY: `ptr` holds an initialised `RcBox` while any `ActorRc` to it exists (this
        // one does); only shared references to the box are ever created.
        unsafe { self.ptr.as_ref() }
    }

    /// The spare word.
    #[inline]
    pub(crate) fn word(&self) -> &Cell<u32> {
        &self.inner().word
    }

    /// The block's address (for tests).
    #[cfg(test)]
    pub(crate) fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// Drops the value and releases the block; called by the last reference.
    ///
    /// Takes the pointer by value rather than `&mut self`: a reference would make every
    /// caller keep its `ActorRc` in memory just for this rare call, and on the hot paths that
    /// drop actor references (each delivered call, each `call!` the runtime refuses) those
    /// were two stores per message.
    ///
    /// # Safety
    ///
    /// `ptr` is the box of an `ActorRc` being dropped whose decrement took the count to zero;
    /// nothing uses that `ActorRc` afterwards.
    #[cold]
    #[inline(never)]
    unsafe fn release(ptr: NonNull<RcBox<T>>) {
        // SAFETY: the box stays allocated until the end of this function (caller's promise:
        // it was the last reference).
        let inner = unsafe { ptr.as_ref() };
        // Keeps the pool alive even if dropping the value drops the runtime's last reference.
        let runtime = inner.value.deferrer().clone();
        // SAFETY: the count reached zero, so this was the last reference and nobody else can
        // reach the box: the value is dropped exactly once, here.
        unsafe { core::ptr::drop_in_place(&mut (*ptr.as_ptr()).value) };
        let raw = ptr.cast::<u8>();
        let layout = Layout::new::<RcBox<T>>();
        match class_of(layout) {
            // A runtime that is gone creates no more actors: give the block back at once.
            Some((class, block)) if runtime.0.alive.get() => {
                runtime.0.actor_pool.put(class, block, raw)
            }
            // SAFETY: the box was allocated with this layout (its class block, or `layout`
            // itself for unpooled sizes) and its value is dropped; nobody refers to it.
            Some((_, block)) => unsafe { dealloc(raw.as_ptr(), block) },
            // SAFETY: as above.
            None => unsafe { dealloc(raw.as_ptr(), layout) },
        }
    }
}

/// A count past `u32::MAX` (only reachable by leaking references): aborts, as `Rc` does, and
/// never unwinds (`extern "C"`), so a `call!`, which clones an actor reference, gives the
/// actor method making it no unwinding path (see `closure_queue::cannot_grow`).
#[cold]
#[inline(never)]
extern "C" fn too_many_references() -> ! {
    panic!("too many references to one actor; aborting");
}

/// A fresh block of `layout` (non-zero size) from the allocator.
fn allocate(layout: Layout) -> NonNull<u8> {
    // SAFETY: `layout` has a non-zero size (an `RcBox` holds the count).
    let p = unsafe { alloc(layout) };
    NonNull::new(p).unwrap_or_else(|| handle_alloc_error(layout))
}

impl<T: InRuntime> Clone for ActorRc<T> {
    #[inline]
    fn clone(&self) -> Self {
        let c = &self.inner().count;
        c.set(
            c.get()
                .checked_add(1)
                .unwrap_or_else(|| too_many_references()),
        );
        ActorRc {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T: InRuntime> Drop for ActorRc<T> {
    #[inline]
    fn drop(&mut self) {
        let c = &self.inner().count;
        let n = c.get() - 1;
        c.set(n);
        if n == 0 {
            // SAFETY: this was the last reference, and `self` is not used again.
            unsafe { Self::release(self.ptr) };
        }
    }
}

impl<T: InRuntime> Deref for ActorRc<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.inner().value
    }
}
