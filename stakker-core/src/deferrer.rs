//! `Deferrer`: a handle to one runtime's main queue.

use crate::runtime::Stakker;
use crate::runtime_shared::Shared;
use alloc::rc::Rc;

/// A handle to one runtime's main queue, for code that has no `Core`: `Drop` handlers,
/// `Fwd::new` closures, callbacks from other libraries.
///
/// Get one from [`Core::deferrer`](crate::Core::deferrer); every actor carries one
/// ([`Actor::defer`](crate::Actor::defer)). It is one machine word. After the runtime has been
/// dropped, [`Deferrer::defer`] still accepts closures and discards them unrun.
///
/// ```
/// # use stakker_core::{Stakker, Deferrer};
/// # use std::time::Instant;
/// struct Guard(Deferrer);
/// impl Drop for Guard {
///     fn drop(&mut self) {
///         self.0.defer(|s| s.shutdown(stakker_core::StopCause::Stopped));
///     }
/// }
/// let mut s = Stakker::new(Instant::now());
/// drop(Guard(s.deferrer()));
/// s.run(Instant::now(), false);
/// assert!(!s.not_shutdown());
/// ```
#[derive(Clone)]
pub struct Deferrer(pub(crate) Rc<Shared>);

// Unwind-safe, as in the original's default build: a `Deferrer` only appends to the queues,
// and they are consistent whenever user code runs (each is updated in a short window with no
// user code in it), so nothing half-done can be seen after a panic is caught.
impl core::panic::UnwindSafe for Deferrer {}
impl core::panic::RefUnwindSafe for Deferrer {}

impl Deferrer {
    /// Queues `f` on the runtime's main queue. If the runtime has been dropped, `f` is
    /// discarded unrun.
    #[inline]
    pub fn defer(&self, f: impl FnOnce(&mut Stakker) + 'static) {
        self.0.push(&self.0.main, f);
    }

    /// Whether both handles reach the same runtime.
    #[inline]
    pub(crate) fn same_runtime(&self, other: &Deferrer) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
