//! Safe twin of `defer_fast.rs`: reaches the runtime through a cloned `Rc`.

use super::{Actor, InRuntime};
use crate::runtime::Stakker;

/// Queues `call(actor, s)` on the actor's runtime's main queue (or drops it if the runtime is
/// gone).
#[inline(always)]
pub(super) fn defer_owning<A: 'static>(
    actor: Actor<A>,
    call: impl FnOnce(Actor<A>, &mut Stakker) + 'static,
) {
    let runtime = actor.rc.deferrer().clone();
    if !crate::explore::direct(&runtime.0) {
        return crate::explore::hold_call(actor, call);
    }
    runtime
        .0
        .main
        .push(crate::explore::queued_call(actor, call));
}
