//! Safe twin of `cell_fast.rs`: the same checks over a `RefCell`. The owner borrow makes the
//! `RefCell` borrow always succeed.

use crate::deferrer::Deferrer;
use core::cell::{RefCell, RefMut};

/// The right to borrow every `StateCell` of one runtime.
pub(crate) struct StateOwner {
    runtime: Deferrer,
}

impl StateOwner {
    /// The owner for `runtime`, or `None` if one was already created for it.
    pub(crate) fn new(runtime: &Deferrer) -> Option<Self> {
        if runtime.0.state_owner_taken.replace(true) {
            return None;
        }
        Some(StateOwner {
            runtime: runtime.clone(),
        })
    }
}

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

    /// Borrows the value, or `None` if `owner` belongs to another runtime.
    #[inline]
    pub(crate) fn rw<'a>(&'a self, owner: &'a mut StateOwner) -> Option<RefMut<'a, T>> {
        if !self.runtime.same_runtime(&owner.runtime) {
            return None;
        }
        Some(self.value.borrow_mut())
    }
}
