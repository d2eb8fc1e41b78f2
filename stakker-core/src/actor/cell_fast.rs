//! `StateCell`: the cell holding an actor's state, borrowed through its runtime's unique
//! `StateOwner`.
//!
//! The cell records its runtime (the `Deferrer`, an `Rc` of the runtime's shared part), and
//! each runtime has exactly one `StateOwner`, which lives in the `Stakker`. Borrowing a cell
//! needs `&mut StateOwner` of the same runtime, so at most one actor state (or task) of a
//! runtime is borrowed at any time, for no longer than the owner borrow. One pointer
//! comparison both rejects cross-runtime use and makes the borrow sound; the safe twin
//! (`cell_safe.rs`, selected by `no-unsafe`) keeps the same checks over a `RefCell`.
//!
//! Sound because:
//! - at most one `StateOwner` is ever created per runtime (`Shared::state_owner_taken` is set
//!   once and never cleared), and a runtime's `Shared` allocation cannot be reused while any
//!   cell or owner refers to it (both hold an `Rc` of it), so owner identity is never confused;
//! - `rw` hands out `&'a mut T` only for `&'a mut StateOwner` of the cell's own runtime, so two
//!   such references cannot coexist;
//! - once the owner is dropped (`Shared::state_owner_gone`), no `rw` borrow can exist, and
//!   `with_orphaned` takes only short borrows that run no user code;
//! - the types are neither `Send` nor `Sync` (`Rc`, `UnsafeCell`), so all of this is on one
//!   thread.

use super::StateOwner;
use crate::deferrer::Deferrer;
use core::cell::UnsafeCell;

/// A cell borrowed only through its runtime's `StateOwner`.
pub(crate) struct StateCell<T> {
    runtime: Deferrer,
    value: UnsafeCell<T>,
}

impl<T> StateCell<T> {
    pub(crate) fn new(runtime: Deferrer, value: T) -> Self {
        StateCell {
            runtime,
            value: UnsafeCell::new(value),
        }
    }

    /// The runtime the cell belongs to.
    #[inline]
    pub(crate) fn runtime(&self) -> &Deferrer {
        &self.runtime
    }

    /// Runs `f` on the value if the runtime's owner is gone (the `Stakker` was dropped), so
    /// that an actor kept alive only by reference cycles can still drop its state. `f` must
    /// only move values in or out (no user code).
    #[inline]
    pub(crate) fn with_orphaned<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if !self.runtime.0.state_owner_gone.get() {
            return None;
        }
        // SAFETY: the runtime's one owner has been dropped, so no `rw` borrow exists or can
        // ever be made again; the only accesses left are calls like this one, whose `f` runs
        // no user code and so cannot re-enter: this `&mut` is unique while `f` runs.
        Some(f(unsafe { &mut *self.value.get() }))
    }

    /// Borrows the value, or `None` if `owner` belongs to another runtime.
    #[inline]
    pub(crate) fn rw<'a>(&'a self, owner: &'a mut StateOwner) -> Option<&'a mut T> {
        if !self.runtime.same_runtime(owner.runtime()) {
            return None;
        }
        // SAFETY: `owner` is the one owner of this cell's runtime (module docs), and it is
        // mutably borrowed for 'a, so no other reference into any cell of this runtime can be
        // live during 'a.
        Some(unsafe { &mut *self.value.get() })
    }
}
