//! Safe twin of the flat queue: one boxed closure per item.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use core::cell::RefCell;

type Item<S> = Box<dyn FnOnce(&mut S)>;

/// A shared FIFO of deferred calls, each a boxed `FnOnce(&mut S)`: items may queue more items
/// on the queue that is running them.
pub(crate) struct FnQueue<S: 'static> {
    items: RefCell<VecDeque<Item<S>>>,
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
        }
    }

    /// Whether no items are waiting.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.items.borrow().is_empty()
    }

    /// Appends `f` at the back.
    #[inline]
    pub(crate) fn push<F: FnOnce(&mut S) + 'static>(&self, f: F) {
        self.items.borrow_mut().push_back(Box::new(f));
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
        }
    }

    /// Moves every item of `other` to the back of this queue, in order.
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
}
