//! Safe twin of `handler_fast.rs`: every handler is a `Box<dyn FnOnce>`.

use alloc::boxed::Box;

/// A type-erased `FnOnce(Option<M>)`, two words.
pub(crate) struct Handler<M: 'static>(Box<dyn FnOnce(Option<M>)>);

impl<M: 'static> Handler<M> {
    #[inline]
    pub(crate) fn new<F: FnOnce(Option<M>) + 'static>(f: F) -> Self {
        Handler(Box::new(f))
    }

    /// Runs the handler with `m`, consuming it.
    #[inline]
    pub(crate) fn call(self, m: Option<M>) {
        (self.0)(m)
    }
}
