//! Monitors: being told when an actor you do not own stops.
//!
//! The bookkeeping is a per-runtime side table keyed by the monitored actor's address, so an
//! actor carries nothing for it and the call path never looks at it. The table is consulted
//! at one point only, when an actor terminates, and there it costs one emptiness check unless
//! some monitor is set somewhere in the runtime.

use crate::actor::Actor;
use crate::deferrer::Deferrer;
use crate::error::StringError;
use crate::runtime::Stakker;
use crate::{Fwd, Ret, StopCause};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::ToString;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

/// The runtime's monitor table (a field of the shared runtime state).
pub(crate) struct Monitors {
    next_id: Cell<u64>,
    /// How many entries `armed` holds: the one thing a terminating actor reads.
    armed_len: Cell<usize>,
    /// Monitors waiting for their actor to stop, by (actor address, monitor id). The address
    /// is unique among actors not yet terminated, and entries leave at termination.
    armed: RefCell<BTreeMap<(usize, u64), Fwd<StopCause>>>,
    /// Monitors whose actor has stopped and whose delivery is queued, by monitor id.
    due: RefCell<BTreeMap<u64, (Fwd<StopCause>, StopCause)>>,
}

impl Monitors {
    pub(crate) fn new() -> Self {
        Monitors {
            next_id: Cell::new(0),
            armed_len: Cell::new(0),
            armed: RefCell::new(BTreeMap::new()),
            due: RefCell::new(BTreeMap::new()),
        }
    }

    /// Drops every entry (when the runtime goes away: nothing can be delivered any more). The
    /// tables are emptied before their `Fwd`s are dropped, as dropping one may drop a
    /// `Monitor`, which looks in them again.
    pub(crate) fn clear(&self) {
        let armed = core::mem::take(&mut *self.armed.borrow_mut());
        let due = core::mem::take(&mut *self.due.borrow_mut());
        self.armed_len.set(0);
        drop((armed, due));
    }

    fn arm(&self, key: usize, id: u64, fwd: Fwd<StopCause>) {
        self.armed.borrow_mut().insert((key, id), fwd);
        self.armed_len.set(self.armed_len.get() + 1);
    }

    fn disarm(&self, key: usize, id: u64) -> Option<Fwd<StopCause>> {
        let fwd = self.armed.borrow_mut().remove(&(key, id))?;
        self.armed_len.set(self.armed_len.get() - 1);
        Some(fwd)
    }
}

/// Whether any monitor is set in the runtime: the only question a terminating actor asks.
#[inline(always)]
pub(crate) fn any_armed(runtime: &Deferrer) -> bool {
    runtime.0.monitors.armed_len.get() != 0
}

/// Gives a terminating actor's notification (`notify`, its owner's `Ret`) and then fires the
/// monitors set on it (the actor at `key`), each as a queued delivery with a copy of `cause`.
#[cold]
#[inline(never)]
pub(crate) fn notify_and_fire(
    runtime: &Deferrer,
    key: usize,
    notify: Ret<StopCause>,
    cause: StopCause,
) {
    let monitors = &runtime.0.monitors;
    let ids: Vec<u64> = monitors
        .armed
        .borrow()
        .range((key, 0)..=(key, u64::MAX))
        .map(|(&(_, id), _)| id)
        .collect();
    // Each copy of the cause is made before the owner takes the original. The deliveries are
    // queued after the owner's notification, so its own queued handling (`ret_to!`) comes
    // first; a monitor dropped meanwhile (even by the owner's handler) leaves `due` and is
    // not delivered.
    for &id in &ids {
        if let Some(fwd) = monitors.disarm(key, id) {
            monitors
                .due
                .borrow_mut()
                .insert(id, (fwd, copy_cause(&cause)));
        }
    }
    notify.ret(cause);
    for id in ids {
        runtime.defer(move |s| deliver(s, id));
    }
}

/// A copy of `cause` for a monitor. `StopCause` is not `Clone` (its errors are boxed trait
/// objects and go to the owner), so an error is copied as its text.
fn copy_cause(cause: &StopCause) -> StopCause {
    let text = |e: &dyn core::error::Error| Box::new(StringError(e.to_string()));
    match cause {
        StopCause::Stopped => StopCause::Stopped,
        StopCause::Failed(e) => StopCause::Failed(text(&**e)),
        StopCause::Killed(e) => StopCause::Killed(text(&**e)),
        StopCause::Dropped => StopCause::Dropped,
        StopCause::Lost => StopCause::Lost,
    }
}

/// The queued delivery of monitor `id`: nothing if the monitor was cancelled meanwhile.
fn deliver(s: &mut Stakker, id: u64) {
    let entry = s.core.deferrer.0.monitors.due.borrow_mut().remove(&id);
    if let Some((fwd, cause)) = entry {
        fwd.fwd(cause);
    }
}

/// A monitor set with [`Actor::monitor`]: while it exists, its `Fwd` will be told once when
/// the monitored actor stops. Dropping it cancels the monitor: from then on the `Fwd` is not
/// called (not even if the actor has already stopped and the delivery is queued) and is
/// dropped.
#[must_use = "dropping a Monitor cancels it at once"]
pub struct Monitor {
    runtime: Deferrer,
    key: usize,
    id: u64,
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let monitors = &self.runtime.0.monitors;
        // Each removed `Fwd` is dropped after its table is released (its drop may run user code).
        let armed = monitors.disarm(self.key, self.id);
        let due = monitors.due.borrow_mut().remove(&self.id);
        drop((armed, due));
    }
}

impl core::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Monitor").field("id", &self.id).finish()
    }
}

impl<A: 'static> Actor<A> {
    /// Asks to be told through `fwd` when this actor stops, without owning it or keeping it
    /// running. Any code may monitor any actor of the same runtime; an actor may have any
    /// number of monitors.
    ///
    /// - The monitor fires **exactly once**, when the actor terminates: `fwd` gets the cause
    ///   as a queued item placed after the actor's own notification (its owner's `Ret` is
    ///   called first, so an owner using `ret_to!` hears first). A `Failed` or `Killed`
    ///   error is copied as its text (the owner receives the original, which may be
    ///   downcast); the text reads the same.
    /// - On an actor that has **already terminated**, it fires at once, as a queued item,
    ///   with [`StopCause::Lost`]: the original cause is no longer known.
    /// - **Dropping the returned [`Monitor`] cancels it**: `fwd` is never called after that
    ///   (even if the actor's termination has already queued the delivery). Keep the
    ///   `Monitor` for as long as you want to be told, for example in the watcher's state.
    /// - If the runtime is dropped first, `fwd` is dropped uncalled.
    ///
    /// ```
    /// use stakker_core::{actor, fwd_to, ret_nop, stop, call, Monitor, Stakker, StopCause, CX};
    /// use stakker_core::time::Instant;
    ///
    /// struct Worker;
    /// impl Worker {
    ///     fn init(_: CX![]) -> Option<Self> { Some(Worker) }
    ///     fn quit(&mut self, cx: CX![]) { stop!(cx); }
    /// }
    ///
    /// struct Watcher { monitor: Option<Monitor>, seen: Vec<String> }
    /// impl Watcher {
    ///     fn init(_: CX![]) -> Option<Self> { Some(Watcher { monitor: None, seen: Vec::new() }) }
    ///     fn watch(&mut self, cx: CX![], w: stakker_core::Actor<Worker>) {
    ///         self.monitor = Some(w.monitor(fwd_to!([cx], down() as (StopCause))));
    ///     }
    ///     fn down(&mut self, _: CX![], cause: StopCause) { self.seen.push(cause.to_string()); }
    /// }
    ///
    /// let mut s = Stakker::new(Instant::from_secs(0));
    /// let worker = actor!(s, Worker::init(), ret_nop!());
    /// let watcher = actor!(s, Watcher::init(), ret_nop!());
    /// call!([watcher], watch(worker.clone()));
    /// s.run(Instant::from_secs(0), false);
    /// call!([worker], quit());
    /// s.run(Instant::from_secs(0), false);
    /// let seen = watcher.query(&mut s, |w, _| w.seen.clone()).unwrap();
    /// assert_eq!(seen, ["Actor stopped"]);
    /// ```
    pub fn monitor(&self, fwd: Fwd<StopCause>) -> Monitor {
        let runtime = self.access_deferrer().clone();
        let monitors = &runtime.0.monitors;
        let id = monitors.next_id.get();
        monitors.next_id.set(id + 1);
        let key = match self.monitor_key() {
            Some(key) => {
                monitors.arm(key, id, fwd);
                key
            }
            None => {
                monitors.due.borrow_mut().insert(id, (fwd, StopCause::Lost));
                runtime.defer(move |s| deliver(s, id));
                0
            }
        };
        Monitor { runtime, key, id }
    }
}
