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

    /// A queue holding just `f` (see the flat twin).
    pub(crate) fn one<F: FnOnce(&mut S) + 'static>(f: F) -> Self {
        let q = Self::new();
        q.items.borrow_mut().reserve_exact(1);
        q.push(f);
        q
    }

    /// Whether no items are waiting.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.items.borrow().is_empty()
    }

    /// Appends `f` at the back.
    ///
    /// # Panics
    ///
    /// If the buffer cannot grow; `f` is then dropped first, with the queue free to push to.
    #[inline]
    pub(crate) fn push<F: FnOnce(&mut S) + 'static>(&self, f: F) {
        let item: Item<S> = Box::new(f);
        let mut items = self.items.borrow_mut();
        if items.len() < items.capacity() {
            items.push_back(item);
        } else {
            // `push_back` would grow, and could panic with `item` in hand and the queue
            // borrowed.
            drop(items);
            self.grow_and_push(item);
        }
    }

    /// `push` when the buffer is full: grows it and pushes `item`; or, if it cannot grow,
    /// drops `item` once the queue is no longer borrowed (its `Drop` may push) and panics.
    #[cold]
    #[inline(never)]
    fn grow_and_push(&self, item: Item<S>) {
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
            Err(e) => {
                drop(items);
                super::refused(item, e);
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

    /// Moves every item of `other` to the back of this queue, in order.
    ///
    /// # Panics
    ///
    /// If the buffer cannot grow; the items of `other` are then dropped unrun, after the
    /// borrow (declared later) has ended.
    pub(crate) fn append(&self, other: Self) {
        let mut other = other.items.into_inner();
        self.items.borrow_mut().append(&mut other);
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
