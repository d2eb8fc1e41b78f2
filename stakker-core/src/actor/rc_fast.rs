//! A minimal single-count reference-counted box for actors.
//!
//! Actors never need weak references, so the header is one `u32` count instead of `Rc`'s two
//! `usize` counts; with a spare `u32` beside it (the actor's phase and owner count), an actor with 24
//! bytes of state fits in 64 bytes. The safe twin (`rc_safe.rs`, selected by `no-unsafe`) wraps
//! `alloc::rc::Rc` with the same API.
//!
//! Sound because: the box is allocated by `Box` and freed by `Box` exactly once, when the count
//! drops from 1 to 0; the count is a `Cell` (the type is neither `Send` nor `Sync`, so no other
//! thread can touch it); the count never overflows (checked, panics first); and shared access
//! only ever hands out `&T`.

use alloc::boxed::Box;
use core::cell::Cell;
use core::marker::PhantomData;
use core::ops::Deref;
use core::ptr::NonNull;

struct RcBox<T> {
    count: Cell<u32>,
    /// A spare word for the user, packed beside the count (the actor keeps its phase and owner
    /// count here), so the header takes 8 bytes in all.
    word: Cell<u32>,
    value: T,
}

/// A reference-counted pointer with no weak references. Not `Send` or `Sync`.
pub(crate) struct ActorRc<T> {
    ptr: NonNull<RcBox<T>>,
    _owns: PhantomData<RcBox<T>>,
}

impl<T> ActorRc<T> {
    /// Allocates `value` with a count of one and the spare word set to `word`.
    pub(crate) fn new(word: u32, value: T) -> Self {
        let b = Box::new(RcBox {
            count: Cell::new(1),
            word: Cell::new(word),
            value,
        });
        ActorRc {
            ptr: NonNull::from(Box::leak(b)),
            _owns: PhantomData,
        }
    }

    #[inline]
    fn inner(&self) -> &RcBox<T> {
        // SAFETY: `ptr` came from `Box::leak` and stays allocated while any `ActorRc` to it
        // exists (this one does); only shared references to the box are ever created.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> ActorRc<T> {
    /// The spare word.
    #[inline]
    pub(crate) fn word(&self) -> &Cell<u32> {
        &self.inner().word
    }
}

impl<T> Clone for ActorRc<T> {
    #[inline]
    fn clone(&self) -> Self {
        let c = &self.inner().count;
        c.set(
            c.get()
                .checked_add(1)
                .expect("too many references to one actor"),
        );
        ActorRc {
            ptr: self.ptr,
            _owns: PhantomData,
        }
    }
}

impl<T> Drop for ActorRc<T> {
    #[inline]
    fn drop(&mut self) {
        let c = &self.inner().count;
        let n = c.get() - 1;
        c.set(n);
        if n == 0 {
            // SAFETY: the count reached zero, so this was the last reference: nobody else can
            // reach the box, which `Box::leak` produced and which is freed only here, once.
            drop(unsafe { Box::from_raw(self.ptr.as_ptr()) });
        }
    }
}

impl<T> Deref for ActorRc<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.inner().value
    }
}
