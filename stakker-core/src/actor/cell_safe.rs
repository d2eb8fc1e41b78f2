//! Safe twin of `cell_fast.rs`: the same checks over a `RefCell`. The owner borrow makes the
//! `RefCell` borrow always succeed.

use super::StateOwner;
use crate::deferrer::Deferrer;
use core::cell::{RefCell, RefMut};

/// A cell borrowed only through its runtime's `StateOwner`.
pub(crate) struct StateCell<T> {
    runtime: Deferrer,
    value: RefCell<T>,
}

impl<T> StateCell<T> {
    pub(crate) fn new(runtime: Deferrer, value: T) -> Self {
        StateCell {
            runtime,
            value: RefCell::new(value),
        }
    }

    /// The runtime the cell belongs to.
    #[inline]
    pub(crate) fn runtime(&self) -> &Deferrer {
        &self.runtime
    }

    /// Runs `f` on the value if the runtime's owner is gone (see `cell_fast.rs`).
    #[inline]
    pub(crate) fn with_orphaned<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if !self.runtime.0.state_owner_gone.get() {
            return None;
        }
        Some(f(&mut self.value.borrow_mut()))
    }

    /// Borrows the value, or `None` if `owner` belongs to another runtime.
    #[inline]
    pub(crate) fn rw<'a>(&'a self, owner: &'a mut StateOwner) -> Option<RefMut<'a, T>> {
        if !self.runtime.same_runtime(owner.runtime()) {
            return None;
        }
        Some(self.value.borrow_mut())
    }
}
