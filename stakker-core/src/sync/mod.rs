//! Cross-thread wake-up and the std helpers built on it.

mod wake;

pub(crate) use wake::WakeState;
pub use wake::Waker;
