//! Moving a value through memory one 8-byte word at a time.
//!
//! A value of several words (a closure's captures, a new actor's fields) is usually assembled
//! on the stack with one 8-byte store per field. Moved on with a plain `write`, it is copied
//! with 16-byte loads, which the processor cannot forward from two narrower stores still in
//! flight: the copy stalls until those stores retire (several nanoseconds; see
//! `docs/BENCHMARKS.md`, items 8 and 18). Copying word by word, with loads the compiler may
//! not merge, keeps every load the width of the store that wrote it.
//!
//! Used by the fast twins only (`closure_queue/flat.rs`, `actor/rc_fast.rs`); the `no-unsafe`
//! build moves values the ordinary way.

use core::mem::{align_of, size_of, ManuallyDrop, MaybeUninit};

type Word = MaybeUninit<u64>;

/// Whether `T` is moved word by word: 8-aligned (so a whole number of words) and of more
/// than two words (smaller values are moved in registers anyway).
pub(crate) const fn by_words<T>() -> bool {
    align_of::<T>() == size_of::<Word>() && size_of::<T>() > 2 * size_of::<Word>()
}

/// Moves `v` to `dst`, word by word if [`by_words`] says so.
///
/// # Safety
///
/// `dst` must be aligned for `T` and valid for writes of `size_of::<T>()` bytes. The old
/// contents are overwritten without being dropped.
#[inline(always)]
pub(crate) unsafe fn write<T>(dst: *mut T, v: T) {
    if by_words::<T>() {
        let v = ManuallyDrop::new(v);
        let src = (&*v as *const T).cast::<Word>();
        let dst = dst.cast::<Word>();
        for i in 0..size_of::<T>() / size_of::<Word>() {
            // SAFETY: `T` is 8-aligned, so its size is a whole number of words and word `i`
            // is inside both `*src` and `*dst` (caller's promise). A `MaybeUninit` word may
            // hold padding, and copying it keeps pointer provenance. `v` is never dropped
            // here, so the value is moved, not duplicated.
            unsafe { dst.add(i).write(src.add(i).read_volatile()) };
        }
    } else {
        // SAFETY: the caller's promise.
        unsafe { dst.write(v) };
    }
}

/// Moves the `T` at `src` out, with the load widths [`write`] stored it with.
///
/// # Safety
///
/// `src` must be aligned and hold a live `T`, which the caller then owns (it must not be used
/// or dropped in place afterwards).
#[inline(always)]
pub(crate) unsafe fn read<T>(src: *const T) -> T {
    if by_words::<T>() {
        let mut v = MaybeUninit::<T>::uninit();
        let dst = v.as_mut_ptr().cast::<Word>();
        let src = src.cast::<Word>();
        for i in 0..size_of::<T>() / size_of::<Word>() {
            // SAFETY: as in `write`, word `i` lies inside both values.
            unsafe { dst.add(i).write(src.add(i).read_volatile()) };
        }
        // SAFETY: every byte of the live `T` at `src` has been copied.
        unsafe { v.assume_init() }
    } else {
        // SAFETY: the caller's promise.
        unsafe { src.read() }
    }
}

/// `core::mem::replace`, moving both values word by word (see the module docs).
#[inline(always)]
pub(crate) fn replace<T>(dst: &mut T, v: T) -> T {
    let dst: *mut T = dst;
    // SAFETY: `dst` comes from a `&mut T`: aligned, valid, holding a live `T`. The old value
    // is moved out before the new one is moved in, and nothing can run in between (no panic
    // is possible), so the place holds exactly one live `T` again when this returns.
    unsafe {
        let old = read(dst);
        write(dst, v);
        old
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::boxed::Box;
    use alloc::rc::Rc;
    use alloc::string::String;

    /// Five words with padding, a pointer and a value that counts its drops.
    struct Mixed {
        small: u8,
        text: String,
        boxed: Box<u64>,
        _count: Rc<()>,
        big: u64,
    }

    #[test]
    fn values_move_intact_by_words_or_not() {
        assert!(by_words::<Mixed>());
        assert!(!by_words::<[u64; 2]>() && !by_words::<[u32; 5]>() && !by_words::<u128>());
        let count = Rc::new(());
        let v = Mixed {
            small: 7,
            text: String::from("moved"),
            boxed: Box::new(9),
            _count: count.clone(),
            big: u64::MAX - 1,
        };
        let mut place = core::mem::MaybeUninit::<Mixed>::uninit();
        // SAFETY: `place` is aligned and big enough; it holds a live `Mixed` after `write`,
        // which `read` moves out exactly once.
        let back = unsafe {
            write(place.as_mut_ptr(), v);
            read(place.as_ptr())
        };
        assert_eq!(
            (back.small, back.text.as_str(), *back.boxed, back.big),
            (7, "moved", 9, u64::MAX - 1)
        );
        assert_eq!(Rc::strong_count(&count), 2); // moved, neither duplicated nor dropped
        drop(back);
        assert_eq!(Rc::strong_count(&count), 1);
        let mut small = [1u32, 2, 3];
        let mut place = core::mem::MaybeUninit::<[u32; 3]>::uninit();
        // SAFETY: as above, for a type moved the ordinary way.
        small = unsafe {
            write(place.as_mut_ptr(), small);
            read(place.as_ptr())
        };
        assert_eq!(small, [1, 2, 3]);
    }

    #[test]
    fn replace_hands_back_the_old_value() {
        let count = Rc::new(());
        let make = |n: u64| Mixed {
            small: n as u8,
            text: alloc::format!("v{n}"),
            boxed: Box::new(n),
            _count: count.clone(),
            big: n,
        };
        let mut v = make(1);
        let old = replace(&mut v, make(2));
        assert_eq!(
            (old.text.as_str(), v.text.as_str(), *v.boxed),
            ("v1", "v2", 2)
        );
        assert_eq!(Rc::strong_count(&count), 3);
        drop((old, v));
        assert_eq!(Rc::strong_count(&count), 1);
    }
}
