//! Safe twin of the flat queue: one boxed closure per item.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::cell::RefCell;

type Item<S> = Box<dyn FnOnce(&mut S)>;

/// A shared FIFO of deferred calls, each a boxed `FnOnce(&mut S)`: items may queue more items
/// on the queue that is running them.
pub(crate) struct FnQueue<S: 'static> {
    items: RefCell<VecDeque<Item<S>>>,
    /// Test hook: the next growth fails as if the buffer could not grow.
    #[cfg(test)]
    refuse_growth: core::cell::Cell<bool>,
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
            items: RefCell::new(VecDeque::new()),
            #[cfg(test)]
            refuse_growth: core::cell::Cell::new(false),
        }
    }

    /// Runs `f` with `s` now (see the flat twin).
    pub(crate) fn run_one<F: FnOnce(&mut S) + 'static>(f: F, s: &mut S) {
        f(s);
    }

    /// Whether no items are waiting.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.items.borrow().is_empty()
    }

    /// Appends `f` at the back. Aborts the process if the buffer cannot grow (see
    /// `closure_queue::cannot_grow`).
    #[inline]
    pub(crate) fn push<F: FnOnce(&mut S) + 'static>(&self, f: F) {
        let item: Item<S> = Box::new(f);
        let mut items = self.items.borrow_mut();
        if items.len() < items.capacity() {
            items.push_back(item);
        } else {
            // `push_back` would grow, which must not unwind (see `grow_and_push`).
            drop(items);
            self.grow_and_push(item);
        }
    }

    /// `push` when the buffer is full: grows it and pushes `item`, or aborts if it cannot
    /// grow. Never unwinds (see `closure_queue::cannot_grow`).
    #[cold]
    #[inline(never)]
    #[allow(improper_ctypes_definitions)] // called from Rust only: `extern "C"` for "nounwind"
    extern "C" fn grow_and_push(&self, item: Item<S>) {
        let mut items = self.items.borrow_mut();
        #[cfg(test)]
        let n = if self.refuse_growth.take() {
            usize::MAX // a request no buffer can meet
        } else {
            1
        };
        #[cfg(not(test))]
        let n = 1;
        match items.try_reserve(n) {
            Ok(()) => items.push_back(item),
            Err(_) => {
                core::mem::forget(item);
                super::cannot_grow(n.saturating_mul(core::mem::size_of::<Item<S>>()));
            }
        }
    }

    /// Removes the front item and calls it with `s`. Returns `false` if the queue was empty.
    /// The item is removed (and the borrow released) before it runs.
    #[inline]
    pub(crate) fn call_next(&self, s: &mut S) -> bool {
        let item = self.items.borrow_mut().pop_front();
        match item {
            Some(f) => {
                f(s);
                true
            }
            None => false,
        }
    }

    /// Takes every item out, leaving this queue empty.
    pub(crate) fn take(&self) -> Self {
        Self {
            items: RefCell::new(core::mem::take(&mut *self.items.borrow_mut())),
            #[cfg(test)]
            refuse_growth: core::cell::Cell::new(false),
        }
    }

    /// Moves every item of `other` to the back of this queue, in order. Aborts as `push`
    /// does if the buffer cannot grow.
    pub(crate) fn append(&self, other: Self) {
        let mut other = other.items.into_inner();
        let mut items = self.items.borrow_mut();
        if items.try_reserve(other.len()).is_err() {
            let bytes = other.len().saturating_mul(core::mem::size_of::<Item<S>>());
            core::mem::forget(other);
            super::cannot_grow(bytes);
        }
        items.append(&mut other);
    }

    /// Replaces this queue, which must be empty, with `other`.
    pub(crate) fn restore(&self, other: Self) {
        let old = core::mem::replace(&mut *self.items.borrow_mut(), other.items.into_inner());
        debug_assert!(old.is_empty());
        drop(old);
    }

    /// Releases memory beyond what `keep` items would need, if much more is held.
    pub(crate) fn shrink(&self, keep: usize) {
        let mut items = self.items.borrow_mut();
        if items.capacity() > keep.saturating_mul(2) {
            let len = items.len();
            items.shrink_to(keep.max(len));
        }
    }

    /// Capacity in items.
    pub(crate) fn capacity_items(&self) -> usize {
        self.items.borrow().capacity()
    }

    /// Makes the next growth of the buffer fail (for tests).
    #[cfg(test)]
    pub(crate) fn refuse_next_growth(&self) {
        self.refuse_growth.set(true);
    }
}
