//! Safe twin of `rc_fast.rs`: the same API over `alloc::rc::Rc`, with no block pool (each
//! actor is a plain allocation).

use alloc::rc::Rc;
use core::cell::Cell;
use core::ops::Deref;

/// Stands in for the fast build's pool of freed actor blocks: holds nothing.
pub(crate) struct BlockPool;

impl BlockPool {
    pub(crate) fn new() -> Self {
        BlockPool
    }

    /// Nothing to free.
    pub(crate) fn clear(&self) {}
}

/// A reference-counted pointer (here simply an `Rc`) with a spare word.
pub(crate) struct ActorRc<T>(Rc<(Cell<u32>, T)>);

impl<T> ActorRc<T> {
    /// Allocates `value` with a count of one and the spare word set to `word`.
    pub(crate) fn new(word: u32, value: T) -> Self {
        ActorRc(Rc::new((Cell::new(word), value)))
    }

    /// The spare word.
    #[inline]
    pub(crate) fn word(&self) -> &Cell<u32> {
        &self.0 .0
    }
}

impl<T> Clone for ActorRc<T> {
    #[inline]
    fn clone(&self) -> Self {
        ActorRc(self.0.clone())
    }
}

impl<T> Deref for ActorRc<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        &self.0 .1
    }
}
