//! Safe twin of the flat queue: one boxed closure per item.

use alloc::boxed::Box;
use alloc::collections::VecDeque;

/// FIFO of deferred calls, each a boxed `FnOnce(&mut S)`.
pub(crate) struct FnQueue<S: 'static> {
    items: VecDeque<Box<dyn FnOnce(&mut S)>>,
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
            items: VecDeque::new(),
        }
    }

    /// Appends `f` at the back.
    #[inline]
    pub(crate) fn push(&mut self, f: impl FnOnce(&mut S) + 'static) {
        self.items.push_back(Box::new(f));
    }

    /// Appends an already boxed closure at the back.
    #[inline]
    pub(crate) fn push_box(&mut self, f: Box<dyn FnOnce(&mut S)>) {
        self.items.push_back(f);
    }

    /// Whether no items are waiting.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Removes the front item and calls it with `s`. Returns `false` if the queue was empty.
    /// The item is removed before it runs, so a panic inside it leaves the queue consistent.
    #[inline]
    pub(crate) fn call_next(&mut self, s: &mut S) -> bool {
        match self.items.pop_front() {
            Some(f) => {
                f(s);
                true
            }
            None => false,
        }
    }

    /// Moves every item of `other` to the back of `self`, in order, leaving `other` empty.
    pub(crate) fn append(&mut self, other: &mut Self) {
        self.items.append(&mut other.items);
    }

    /// Releases memory beyond what `keep` items would need, if much more is held.
    pub(crate) fn shrink(&mut self, keep: usize) {
        if self.items.capacity() > keep.saturating_mul(2) {
            self.items.shrink_to(keep.max(self.items.len()));
        }
    }

    /// Number of bytes of buffer held (for tests and memory accounting).
    #[cfg(test)]
    pub(crate) fn capacity_items(&self) -> usize {
        self.items.capacity()
    }
}
