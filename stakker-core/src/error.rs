//! `StopCause` and the small error types the runtime creates.

use alloc::boxed::Box;
use alloc::string::String;
use core::error::Error;
use core::fmt;

/// Why an actor terminated. Passed to its `Ret<StopCause>` notification.
///
/// Compare causes with the predicates (`is_stopped`, `is_failed`, `is_killed`, `is_dropped`,
/// `is_lost`, `has_error`) or a `match`, not through their text; [`StopCause::error`] gives the
/// error of a failure or kill, which may be downcast.
///
/// ```
/// use stakker_core::StopCause;
/// assert_eq!(StopCause::Stopped.to_string(), "Actor stopped");
/// assert!(StopCause::Dropped.is_dropped());
/// assert!(!StopCause::Dropped.has_error());
///
/// let failed = StopCause::Failed(Box::new(std::fmt::Error));
/// assert!(failed.is_failed() && failed.has_error() && !failed.is_killed());
/// assert!(failed.error().unwrap().downcast_ref::<std::fmt::Error>().is_some());
/// ```
pub enum StopCause {
    /// Stopped through [`Cx::stop`](crate::Cx::stop) or [`stop!`](crate::stop).
    Stopped,
    /// Failed through [`Cx::fail`](crate::Cx::fail) and friends, or by panicking.
    Failed(Box<dyn Error>),
    /// Killed through [`ActorOwn::kill`](crate::ActorOwn::kill) or [`kill!`](crate::kill).
    Killed(Box<dyn Error>),
    /// The last owner was dropped.
    Dropped,
    /// Reserved for remote actors; the runtime never produces it.
    Lost,
}

impl StopCause {
    /// `true` for `Failed` and `Killed`.
    pub fn has_error(&self) -> bool {
        matches!(self, StopCause::Failed(_) | StopCause::Killed(_))
    }

    /// `true` for [`StopCause::Stopped`]: the actor ended itself successfully.
    pub fn is_stopped(&self) -> bool {
        matches!(self, StopCause::Stopped)
    }

    /// `true` for [`StopCause::Failed`] (whatever the error, a panic included).
    pub fn is_failed(&self) -> bool {
        matches!(self, StopCause::Failed(_))
    }

    /// `true` for [`StopCause::Killed`].
    pub fn is_killed(&self) -> bool {
        matches!(self, StopCause::Killed(_))
    }

    /// `true` for [`StopCause::Dropped`]: the last owner went away.
    pub fn is_dropped(&self) -> bool {
        matches!(self, StopCause::Dropped)
    }

    /// `true` for [`StopCause::Lost`].
    pub fn is_lost(&self) -> bool {
        matches!(self, StopCause::Lost)
    }

    /// The error of a `Failed` or `Killed` cause, for reading or downcasting; `None` for the
    /// others.
    pub fn error(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StopCause::Failed(e) | StopCause::Killed(e) => Some(&**e),
            _ => None,
        }
    }
}

impl fmt::Display for StopCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopCause::Stopped => f.write_str("Actor stopped"),
            StopCause::Failed(e) => write!(f, "Actor failed: {e}"),
            StopCause::Killed(e) => write!(f, "Actor was killed: {e}"),
            StopCause::Dropped => f.write_str("Actor was dropped"),
            StopCause::Lost => f.write_str("Lost connection to actor"),
        }
    }
}

impl fmt::Debug for StopCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Error displaying a fixed text (`fail_str`, `kill_str`).
pub(crate) struct StrError(pub(crate) &'static str);

/// Error displaying an owned text (`fail_string`, `kill_string`).
pub(crate) struct StringError(pub(crate) String);

macro_rules! text_error {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }
        impl Error for $t {}
    };
}
text_error!(StrError);
text_error!(StringError);

/// The error an actor fails with when one of its calls panics. Its text is fixed when it is
/// made, so a `StopCause` that has been delivered never changes.
pub(crate) struct PanicError(Option<String>);

/// Where `Stakker::run` puts the message of a panic it caught.
#[cfg(feature = "std")]
pub(crate) type PanicSlot = alloc::rc::Rc<core::cell::RefCell<Option<String>>>;

impl PanicError {
    /// A failure with no message to be had (no `std`, or a panic the runtime did not catch).
    pub(crate) fn unknown() -> Self {
        PanicError(None)
    }

    /// A failure with a known message.
    #[cfg(feature = "std")]
    pub(crate) fn with_text(text: String) -> Self {
        PanicError(Some(text))
    }

    /// A failure with the message `slot` holds now (if any); later changes to the slot do not
    /// reach it.
    #[cfg(feature = "std")]
    pub(crate) fn from_slot(slot: &PanicSlot) -> Self {
        PanicError(slot.borrow().clone())
    }
}

/// The message of a panic that failed an actor, as far as it is known when the failure is
/// queued: `Stakker::run` may fill in a pending one until the failure is carried out.
pub(crate) enum PanicMessage {
    /// Known already (or known to be unknowable).
    Fixed(PanicError),
    /// To be read from the slot when the failure is carried out.
    #[cfg(feature = "std")]
    Pending(PanicSlot),
}

impl PanicMessage {
    /// The error to fail with, its text fixed from now on.
    pub(crate) fn into_error(self) -> PanicError {
        match self {
            PanicMessage::Fixed(err) => err,
            #[cfg(feature = "std")]
            PanicMessage::Pending(slot) => PanicError::from_slot(&slot),
        }
    }
}

impl fmt::Display for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(m) => write!(f, "actor call panicked: {m}"),
            None => f.write_str("actor call panicked"),
        }
    }
}

impl fmt::Debug for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Error for PanicError {}

/// The text of a panic payload, if it is a `String` or `&str`.
#[cfg(feature = "std")]
pub(crate) fn payload_text(payload: &(dyn core::any::Any + Send)) -> String {
    use alloc::string::ToString;
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        String::from("panic payload of unknown type")
    }
}

#[cfg(test)]
mod tests {
    use super::{StopCause, StrError};
    use alloc::boxed::Box;
    use alloc::string::ToString;

    /// Each cause answers `true` to exactly its own predicate.
    #[test]
    fn predicates_name_exactly_one_cause() {
        let causes = [
            StopCause::Stopped,
            StopCause::Failed(Box::new(StrError("f"))),
            StopCause::Killed(Box::new(StrError("k"))),
            StopCause::Dropped,
            StopCause::Lost,
        ];
        for (i, c) in causes.iter().enumerate() {
            let answers = [
                c.is_stopped(),
                c.is_failed(),
                c.is_killed(),
                c.is_dropped(),
                c.is_lost(),
            ];
            for (j, &a) in answers.iter().enumerate() {
                assert_eq!(a, i == j, "cause {c} predicate {j}");
            }
            assert_eq!(c.has_error(), i == 1 || i == 2, "{c}");
            assert_eq!(c.error().is_some(), c.has_error(), "{c}");
        }
        assert_eq!(causes[1].error().unwrap().to_string(), "f");
        assert_eq!(causes[2].error().unwrap().to_string(), "k");
    }
}
