//! Safe twin of `callback_fast.rs`: one box per callback.

use alloc::boxed::Box;

/// A boxed `FnOnce(&mut S)`.
pub(crate) struct Callback<S: 'static>(Box<dyn FnOnce(&mut S)>);

impl<S: 'static> Callback<S> {
    /// Wraps `f`.
    #[inline]
    pub(crate) fn new<F: FnOnce(&mut S) + 'static>(f: F) -> Self {
        Callback(Box::new(f))
    }

    /// Calls the closure, consuming it.
    #[inline]
    pub(crate) fn call(self, s: &mut S) {
        (self.0)(s)
    }
}
