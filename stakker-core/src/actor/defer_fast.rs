//! Queues an item that owns an actor on that actor's runtime, without touching the runtime's
//! reference count.
//!
//! `call!` builds an item that owns a clone of the target actor, and the item must go on the
//! main queue of the runtime that actor belongs to. The actor is moved into the item, so the
//! only safe way to still reach the runtime is to clone its `Rc` first (an increment and a
//! decrement on every call; measured in `docs/BENCHMARKS.md`). Here the runtime is reached
//! through a raw pointer taken before the move instead. The safe twin (`defer_safe.rs`,
//! selected by `no-unsafe`) clones.
//!
//! Sound because the runtime's `Shared` cannot be freed while the pointer is used:
//! - when the pointer is taken, `actor` holds a reference count of that `Shared`;
//! - the count moves into `item` with the actor, and `item` is only moved (never dropped)
//!   until `try_push` has either stored it in the queue, where it keeps counting until the
//!   queue runs or drops it, or handed it back;
//! - an item handed back (runtime gone) is dropped only after the last use of the pointer.

use super::{Actor, InRuntime};
use crate::runtime::Stakker;
use crate::runtime_shared::Shared;
use alloc::rc::Rc;

/// Queues `call(&actor, s)` on the actor's runtime's main queue (or drops it if the runtime is
/// gone).
#[inline(always)]
pub(super) fn defer_owning<A: 'static>(
    actor: Actor<A>,
    call: impl FnOnce(&Actor<A>, &mut Stakker) + 'static,
) {
    if crate::explore::intercepting(&actor.rc.deferrer().0) {
        return crate::explore::hold_call(actor, call);
    }
    let shared: *const Shared = Rc::as_ptr(&actor.rc.deferrer().0);
    let item = move |s: &mut Stakker| call(&actor, s);
    // SAFETY: `shared` points at a live `Shared` for as long as this reference is used
    // (module docs): `item` holds a count of it throughout `try_push`, which only moves it.
    let refused = unsafe { &*shared }.try_push(&unsafe { &*shared }.main, item);
    // Dropped (which may free the runtime) only now that the pointer is no longer used.
    drop(refused);
}
