//! `Shared`: the runtime's state that is reachable without `&mut Core` (its queues, the owner
//! flags, orphans, panic victims, the actor pool, monitors and the explore hook).

use crate::closure_queue::FnQueue;
use crate::runtime::Stakker;
use core::cell::{Cell, RefCell};

/// The part of a runtime reachable without `&mut Core`: its three closure queues and the
/// bookkeeping that queued work and actors reach through them.
///
/// Everything that queues work (the `Core`, `Deferrer`s, actors, `Fwd`/`Ret` handlers) holds an
/// `Rc` of this, so there is exactly one main FIFO per runtime, and the runtime identity used to
/// reject cross-runtime misuse is the address of this allocation.
pub(crate) struct Shared {
    pub(crate) main: FnQueue<Stakker>,
    pub(crate) lazy: FnQueue<Stakker>,
    pub(crate) idle: FnQueue<Stakker>,
    /// Cleared when the `Stakker` is dropped: from then on deferred items are discarded.
    /// Changed only through `end`.
    pub(crate) alive: Cell<bool>,
    /// `alive` and not `intercepting`: an actor call may go straight onto the main queue.
    /// The one flag the `call!` path reads, so that each call site has one cold branch.
    pub(crate) direct: Cell<bool>,
    /// Set once the runtime's one `StateOwner` exists (see `actor::StateOwner`).
    pub(crate) state_owner_taken: Cell<bool>,
    /// Set when that `StateOwner` is dropped (with the `Stakker`).
    pub(crate) state_owner_gone: Cell<bool>,
    /// Set while `Stakker::run` (or another guarded entry point) is executing.
    pub(crate) in_run: Cell<bool>,
    /// Whether `interceptor` is set (see `explore`). Changed only through `set_intercepting`.
    pub(crate) intercepting: Cell<bool>,
    pub(crate) interceptor: RefCell<Option<crate::explore::Interceptor>>,
    /// Set while the `Stakker` is being dropped: actors whose queued termination is dropped
    /// unrun are collected in `orphans` so their state can still be dropped.
    pub(crate) tearing_down: Cell<bool>,
    pub(crate) orphans: RefCell<alloc::vec::Vec<alloc::boxed::Box<dyn crate::actor::Orphan>>>,
    /// Actors whose call panicked and that `Stakker::run` has not dealt with yet.
    #[cfg(feature = "std")]
    pub(crate) panicked: RefCell<alloc::vec::Vec<alloc::boxed::Box<dyn crate::actor::PanicVictim>>>,
    /// The task being resumed, for `Task::from_context`.
    pub(crate) current_task: RefCell<Option<crate::task::Task>>,
    /// Blocks of dropped actors kept for new ones (emptied when the `Stakker` is dropped).
    pub(crate) actor_pool: crate::actor::BlockPool,
    /// Who is to be told when an actor stops (see `monitor`).
    pub(crate) monitors: crate::monitor::Monitors,
}

impl Shared {
    pub(crate) fn new() -> Self {
        Self {
            main: FnQueue::new(),
            lazy: FnQueue::new(),
            idle: FnQueue::new(),
            alive: Cell::new(true),
            direct: Cell::new(true),
            state_owner_taken: Cell::new(false),
            state_owner_gone: Cell::new(false),
            in_run: Cell::new(false),
            intercepting: Cell::new(false),
            interceptor: RefCell::new(None),
            tearing_down: Cell::new(false),
            orphans: RefCell::new(alloc::vec::Vec::new()),
            #[cfg(feature = "std")]
            panicked: RefCell::new(alloc::vec::Vec::new()),
            current_task: RefCell::new(None),
            actor_pool: crate::actor::BlockPool::new(),
            monitors: crate::monitor::Monitors::new(),
        }
    }

    /// Marks the runtime gone: from now on deferred items are discarded.
    pub(crate) fn end(&self) {
        self.alive.set(false);
        self.direct.set(false);
    }

    /// Records whether an interceptor is installed.
    pub(crate) fn set_intercepting(&self, on: bool) {
        self.intercepting.set(on);
        self.direct.set(self.alive.get() && !on);
    }

    /// Queues `f` on `queue`, or drops it unrun if the runtime is gone.
    #[inline]
    pub(crate) fn push(&self, queue: &FnQueue<Stakker>, f: impl FnOnce(&mut Stakker) + 'static) {
        if self.alive.get() {
            queue.push(f);
        }
    }
}
