//! Safe twin of `handler_fast.rs`: every handler is a `Box<dyn FnOnce>`.

use alloc::boxed::Box;

/// A type-erased `FnOnce(Option<M>)`, two words. Dropped unused, it is called with `None`.
pub(crate) struct Handler<M: 'static>(Box<dyn FnOnce(Option<M>)>);

impl<M: 'static> Handler<M> {
    #[inline]
    pub(crate) fn new<F: FnOnce(Option<M>) + 'static>(f: F) -> Self {
        Handler(Box::new(f))
    }

    /// Takes the handler out, leaving a no-op (a zero-sized closure: boxing it allocates
    /// nothing), so that `Drop` has nothing left to call.
    fn take(&mut self) -> Box<dyn FnOnce(Option<M>)> {
        core::mem::replace(&mut self.0, Box::new(|_| {}))
    }

    /// Runs the handler with `m`, consuming it.
    #[inline]
    pub(crate) fn call(mut self, m: Option<M>) {
        (self.take())(m);
    }
}

impl<M: 'static> Drop for Handler<M> {
    fn drop(&mut self) {
        (self.take())(None);
    }
}
