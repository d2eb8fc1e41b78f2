//! Waker (being written).

/// Runtime-side wake state.
#[derive(Default)]
pub(crate) struct WakeState {}

/// Placeholder.
pub struct Waker {}
