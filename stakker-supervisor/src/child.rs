//! The stable handle to a supervised child, and the type-erased child specification the
//! supervisor keeps.

use crate::Restart;
use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use stakker_core::{call, Actor, ActorOwn, ActorOwnAnon, Core, Cx, Ret, StopCause};

/// A call waiting in a handle for the child's next instance.
type Held<A> = Box<dyn FnOnce(&mut A, &mut Cx<'_, A>)>;

/// Where a child's handle points.
enum Slot<A: 'static> {
    /// An instance exists (it may have just terminated: the supervisor has not heard yet).
    Running(Actor<A>),
    /// No instance: the child has not started yet or is being restarted. Calls wait here.
    Waiting(Vec<Held<A>>),
    /// No instance and none will come (not restarted, or the supervisor itself is gone).
    Stopped,
}

/// A stable handle to a supervised child, valid across its restarts.
///
/// Each restart creates a new actor; the handle always reaches the current one. Calls made
/// with [`Child::call`]:
///
/// - while an instance is running, are queued on it like `call!`;
/// - while the child is **restarting** (its instance has terminated and the new one is not
///   created yet, for example during a backoff delay), or before the supervisor has started
///   it, are **held in the handle and queued for the new instance**, in order, as soon as it
///   is created (it runs them once its `init` has succeeded, as any actor in Prep does);
/// - once the child is **stopped for good** (its restart kind says not to restart it, or its
///   supervisor has failed or been dropped), are dropped at once, and so are calls still
///   held: a `Ret` they carry reports `None`.
///
/// Calls already queued on an instance when it fails are dropped with it (a terminated actor
/// runs nothing), so their `Ret`s report `None` too.
pub struct Child<A: 'static>(Rc<RefCell<Slot<A>>>);

impl<A: 'static> Clone for Child<A> {
    fn clone(&self) -> Self {
        Child(self.0.clone())
    }
}

impl<A: 'static> core::fmt::Debug for Child<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = match &*self.0.borrow() {
            Slot::Running(_) => "running",
            Slot::Waiting(_) => "waiting",
            Slot::Stopped => "stopped",
        };
        f.debug_tuple("Child").field(&state).finish()
    }
}

impl<A: 'static> Child<A> {
    pub(crate) fn new() -> Self {
        Child(Rc::new(RefCell::new(Slot::Waiting(Vec::new()))))
    }

    /// Calls the current instance with `f(state, cx)`, or holds the call for the next one,
    /// or drops it if the child will not run again (see the type's docs).
    pub fn call(&self, f: impl FnOnce(&mut A, &mut Cx<'_, A>) + 'static) {
        let mut slot = self.0.borrow_mut();
        match &mut *slot {
            Slot::Running(actor) if !actor.is_zombie() => {
                call!([actor], |this, cx| f(this, cx));
            }
            // Terminated; its supervisor will hear of it from a queued item and decide.
            Slot::Running(_) => *slot = Slot::Waiting(alloc::vec![Box::new(f) as Held<A>]),
            Slot::Waiting(held) => held.push(Box::new(f)),
            Slot::Stopped => {
                drop(slot);
                drop(f); // after the borrow: dropping `f` may run a `Ret` handler
            }
        }
    }

    /// The current instance, if one is running.
    pub fn actor(&self) -> Option<Actor<A>> {
        match &*self.0.borrow() {
            Slot::Running(actor) if !actor.is_zombie() => Some(actor.clone()),
            _ => None,
        }
    }

    /// Whether the child is stopped for good (calls are dropped).
    pub fn is_stopped(&self) -> bool {
        matches!(&*self.0.borrow(), Slot::Stopped)
    }

    /// Replaces the slot; anything displaced is dropped after the borrow ends.
    fn set(&self, new: Slot<A>) -> Slot<A> {
        core::mem::replace(&mut *self.0.borrow_mut(), new)
    }
}

/// What the supervisor keeps for each child: the parts that do not depend on its type.
pub(crate) trait ChildSpec {
    fn name(&self) -> &str;
    fn restart(&self) -> Restart;
    /// Creates a new instance, points the handle at it and queues the calls held for it.
    fn spawn(&self, core: &mut Core, notify: Ret<StopCause>) -> ActorOwnAnon;
    /// The instance is gone and a new one will come: hold calls from now on.
    fn hold(&self);
    /// No instance will come: drop held calls, and any later ones.
    fn stop(&self);
}

/// Creates one instance of a child, with the notify `Ret` the supervisor gives it.
pub(crate) type Factory<A> = Box<dyn Fn(&mut Core, Ret<StopCause>) -> ActorOwn<A>>;

pub(crate) struct Spec<A: 'static> {
    pub(crate) name: String,
    pub(crate) restart: Restart,
    pub(crate) factory: Factory<A>,
    pub(crate) handle: Child<A>,
}

impl<A: 'static> ChildSpec for Spec<A> {
    fn name(&self) -> &str {
        &self.name
    }

    fn restart(&self) -> Restart {
        self.restart
    }

    fn spawn(&self, core: &mut Core, notify: Ret<StopCause>) -> ActorOwnAnon {
        let own = (self.factory)(core, notify);
        if let Slot::Waiting(held) = self.handle.set(Slot::Running(Actor::clone(&own))) {
            for f in held {
                call!([own], |this, cx| f(this, cx));
            }
        }
        own.anon()
    }

    fn hold(&self) {
        if !matches!(*self.handle.0.borrow(), Slot::Waiting(_)) {
            drop(self.handle.set(Slot::Waiting(Vec::new())));
        }
    }

    fn stop(&self) {
        drop(self.handle.set(Slot::Stopped));
    }
}
