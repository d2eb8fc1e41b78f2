//! `Callback`: a timer's `FnOnce(&mut S)` stored inline when small, so adding a timer does not
//! allocate.
//!
//! A closure of up to three words (at most word-aligned) is written into the callback's own
//! storage; a larger or over-aligned one is boxed and the box (one word) is stored instead.
//! Each closure type gets a constant table of two monomorphised functions (call, drop), so
//! nothing depends on compiler vtable layouts. The safe twin (`callback_safe.rs`, selected by
//! `no-unsafe`) is a plain `Box<dyn FnOnce>`.
//!
//! Sound because the storage holds exactly one live value of the type the table was made for,
//! written at construction; `call` and `Drop` each move it out exactly once (`call` consumes
//! `self` and forgets it, so `Drop` does not run after it), and the storage is suitably sized
//! and aligned for every type stored in place (checked before choosing in-place storage).

use alloc::boxed::Box;
use core::marker::PhantomData;
use core::mem::{align_of, size_of, ManuallyDrop, MaybeUninit};

type Storage = [MaybeUninit<usize>; 3];

/// What the safe twin stores; the callback takes its auto traits from it.
type Boxed<S> = Box<dyn FnOnce(&mut S)>;

struct Table<S> {
    call: unsafe fn(*mut Storage, &mut S),
    drop: unsafe fn(*mut Storage),
}

struct TableFor<S, F>(PhantomData<fn(S, F)>);

impl<S, F: FnOnce(&mut S)> TableFor<S, F> {
    const TABLE: Table<S> = Table {
        call: call_in_place::<S, F>,
        drop: drop_in_place::<F>,
    };
}

/// # Safety
///
/// `p` holds a live `F`, which this moves out (so it must not be used again).
unsafe fn call_in_place<S, F: FnOnce(&mut S)>(p: *mut Storage, s: &mut S) {
    // SAFETY: guaranteed by the caller.
    let f = unsafe { p.cast::<F>().read() };
    f(s);
}

/// # Safety
///
/// As for `call_in_place`.
unsafe fn drop_in_place<F>(p: *mut Storage) {
    // SAFETY: guaranteed by the caller.
    drop(unsafe { p.cast::<F>().read() });
}

/// A boxed `FnOnce(&mut S)` without the box, for closures of up to three words.
pub(crate) struct Callback<S: 'static> {
    storage: Storage,
    table: &'static Table<S>,
    /// The storage holds a closure of any type, so the callback has the auto traits of the
    /// safe twin's box: neither `Send` nor `Sync` (nor unwind-safe).
    _closure: PhantomData<Boxed<S>>,
}

impl<S: 'static> Callback<S> {
    /// Wraps `f`, in place if it fits.
    #[inline]
    pub(crate) fn new<F: FnOnce(&mut S) + 'static>(f: F) -> Self {
        if size_of::<F>() <= size_of::<Storage>() && align_of::<F>() <= align_of::<Storage>() {
            Self::in_place(f)
        } else {
            let boxed = Box::new(f);
            Self::in_place(move |s: &mut S| (*boxed)(s))
        }
    }

    #[inline]
    fn in_place<F: FnOnce(&mut S) + 'static>(f: F) -> Self {
        // Folded away at compile time; `new` only calls this for closures that fit.
        assert!(size_of::<F>() <= size_of::<Storage>() && align_of::<F>() <= align_of::<Storage>());
        let mut storage: Storage = [MaybeUninit::uninit(); 3];
        // SAFETY: `F` fits the storage in size and alignment (asserted above); the storage is
        // uninitialised and is now owned by this callback, which records `F`'s table.
        unsafe { storage.as_mut_ptr().cast::<F>().write(f) };
        Callback {
            storage,
            table: &TableFor::<S, F>::TABLE,
            _closure: PhantomData,
        }
    }

    /// Calls the closure, consuming it.
    #[inline]
    pub(crate) fn call(self, s: &mut S) {
        let mut this = ManuallyDrop::new(self);
        let table = this.table;
        // SAFETY: the storage holds the live closure `table` was made for; it is moved out
        // here once, and `ManuallyDrop` keeps `Drop` from touching it again.
        unsafe { (table.call)(&mut this.storage, s) };
    }
}

impl<S: 'static> Drop for Callback<S> {
    fn drop(&mut self) {
        // SAFETY: not called yet (`call` forgets `self`), so the storage still holds the live
        // closure `table` was made for; it is moved out and dropped once.
        unsafe { (self.table.drop)(&mut self.storage) };
    }
}
