//! `Handler`: a `Ret`'s type-erased `FnOnce(Option<M>)`, stored in place when it is small.
//!
//! Most handlers capture one word (the `Actor` a `ret_to!` delivers to). Boxing them, as a
//! `Box<dyn FnOnce>` does, costs a `malloc` and a `free` per request (measured in
//! `docs/BENCHMARKS.md`). A handler of at most one word (alignment at most a word's)
//! is kept in the handler's own data word instead; larger ones are boxed and the word holds
//! the box. The safe twin (`handler_safe.rs`, selected by `no-unsafe`) always boxes.
//!
//! Sound because:
//! - `data` holds either a valid `F` (inline case: `F` fits, and is at most as aligned as the
//!   word) or a pointer from `Box::<F>::into_raw` (boxed case), chosen by the same compile-time
//!   test when writing and, through the per-`F` vtable, when reading;
//! - the value is taken out exactly once: `call` moves `self` into `ManuallyDrop` before the
//!   vtable moves the value out, and `Drop` (the only other path) moves it out and calls it
//!   with `None`;
//! - `MaybeUninit` keeps every byte, pointer provenance included, and a marker gives the type
//!   the auto traits of the `Box<dyn FnOnce>` it replaces (neither `Send` nor `Sync`).

use alloc::boxed::Box;
use core::marker::PhantomData;
use core::mem::{align_of, size_of, ManuallyDrop, MaybeUninit};

type Word = MaybeUninit<*mut ()>;

/// Whether `F` is stored in the data word itself.
const fn inline<F>() -> bool {
    size_of::<F>() <= size_of::<Word>() && align_of::<F>() <= align_of::<Word>()
}

struct Vtable<M> {
    /// Moves the handler out of the (copied) word and calls it. The word travels by value,
    /// in a register: a pointer to it would force the handler through the stack, where the
    /// compiler copied it with loads wider than the stores that wrote it (a store-forwarding
    /// stall per `ret!`).
    call: unsafe fn(Word, Option<M>),
}

struct VtableFor<M, F>(PhantomData<fn(M, F)>);

impl<M: 'static, F: FnOnce(Option<M>) + 'static> VtableFor<M, F> {
    const VTABLE: Vtable<M> = Vtable {
        call: call_handler::<M, F>,
    };
}

/// # Safety
///
/// `w` must be a copy of the word of a live handler of type `F` made by `Handler::new`, and
/// no other copy may be taken.
unsafe fn take<F>(w: Word) -> F {
    if inline::<F>() {
        // SAFETY: the caller's promise; inline `F`s are written at the word's address.
        unsafe { (&w as *const Word).cast::<F>().read() }
    } else {
        // SAFETY: the caller's promise; the word holds `Box::<F>::into_raw`'s pointer.
        *unsafe { Box::from_raw(w.assume_init().cast::<F>()) }
    }
}

/// # Safety
///
/// As for `take`.
unsafe fn call_handler<M, F: FnOnce(Option<M>)>(w: Word, m: Option<M>) {
    // SAFETY: the caller's promise.
    let f = unsafe { take::<F>(w) };
    f(m);
}

/// A type-erased `FnOnce(Option<M>)`, two words.
pub(crate) struct Handler<M: 'static> {
    data: Word,
    vtable: &'static Vtable<M>,
    /// The handler may capture anything, so this has the auto traits of the safe twin's box:
    /// neither `Send` nor `Sync` (nor unwind-safe).
    _handler: PhantomData<Box<dyn FnOnce(Option<M>)>>,
}

impl<M: 'static> Handler<M> {
    #[inline]
    pub(crate) fn new<F: FnOnce(Option<M>) + 'static>(f: F) -> Self {
        let mut data = Word::uninit();
        if inline::<F>() {
            // SAFETY: `F` fits in the word and is at most as aligned (`inline`).
            unsafe { data.as_mut_ptr().cast::<F>().write(f) };
        } else {
            data.write(Box::into_raw(Box::new(f)).cast::<()>());
        }
        Handler {
            data,
            vtable: &VtableFor::<M, F>::VTABLE,
            _handler: PhantomData,
        }
    }

    /// Runs the handler with `m`, consuming it.
    #[inline]
    pub(crate) fn call(self, m: Option<M>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `data` holds the live handler `vtable` was made for (module docs); `this`
        // is never dropped, so the handler is taken exactly once, here.
        unsafe { (this.vtable.call)(this.data, m) };
    }
}

/// A handler dropped unused is called with `None` (a `Ret` always gets an answer).
impl<M: 'static> Drop for Handler<M> {
    fn drop(&mut self) {
        // SAFETY: as in `call`; a `Handler` is dropped at most once and `call` never drops.
        unsafe { (self.vtable.call)(self.data, None) };
    }
}
