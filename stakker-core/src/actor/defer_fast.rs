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
//! - a call that cannot go straight onto the main queue (runtime gone, or intercepted) takes
//!   the actor to `explore::hold_call` without another use of the pointer;
//! - otherwise the runtime is alive, so its `Stakker` holds a count too, and the actor's
//!   count moves into `item`, which is only moved until `push` has stored it in the queue.

use super::{Actor, InRuntime};
use crate::runtime::Stakker;
use crate::runtime_shared::Shared;
use alloc::rc::Rc;

/// Queues `call(actor, s)` on the actor's runtime's main queue (or hands it to the
/// interceptor, or drops it if the runtime is gone).
#[inline(always)]
pub(super) fn defer_owning<A: 'static>(
    actor: Actor<A>,
    call: impl FnOnce(Actor<A>, &mut Stakker) + 'static,
) {
    let shared: *const Shared = Rc::as_ptr(&actor.rc.deferrer().0);
    // SAFETY: the `Shared` stays alive for as long as this reference is used (module docs):
    // `actor` holds a count of it, and once it is known to be alive so does its `Stakker`
    // (which `push` cannot drop). Only the borrow of `actor` is cut, so it can move.
    let shared = unsafe { &*shared };
    if !crate::explore::direct(shared) {
        return crate::explore::hold_call(actor, call);
    }
    let item = crate::explore::queued_call(actor, call);
    shared.main.push(item);
}
