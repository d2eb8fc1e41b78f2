//! Supervision trees for [`stakker_core`] actors: a supervisor owns children it re-creates
//! from factories when they stop, following the strategies and restart kinds of Erlang/OTP,
//! with a restart intensity limit past which it fails itself (so failure climbs the ownership
//! tree) and an optional backoff between restarts on the runtime's timers.
//!
//! - [`Strategy`]: which children restart together: one-for-one, one-for-all, rest-for-one.
//! - [`Restart`]: when a child is restarted: permanent (always), transient (only after a
//!   failure or a kill), temporary (never).
//! - [`Intensity`]: at most N restarts within a sliding period of the runtime's time; one
//!   more and the supervisor fails with [`IntensityExceeded`], naming the child and its last
//!   failure.
//! - [`Backoff`]: the k-th restart within the current intensity period waits
//!   `first · 2^(k−1)`, at most `max`.
//! - [`Child`]: a stable handle to a child across restarts. Calls made through it while the
//!   child is restarting are held and queued for the new instance; once the child is stopped
//!   for good they are dropped, so their `Ret`s report `None`.
//!
//! To be told when an actor you do *not* own stops, use a monitor instead
//! ([`stakker_core::Actor::monitor`]).
//!
//! The guide's page, with a worked example (a crashing worker pool, tested in virtual time
//! under `stakker-testkit`'s `Sim`) and a comparison with kameo and ractor-supervisor, is
//! [Supervision](../../docs/src/supervision.md).
//!
//! ```
//! use stakker_core::{actor, fail, ret_nop, Stakker, CX};
//! use stakker_core::time::{Duration, Instant};
//! use stakker_supervisor::{Restart, Strategy, SupervisorSpec};
//!
//! struct Worker { jobs: u32 }
//! impl Worker {
//!     fn init(_: CX![]) -> Option<Self> { Some(Worker { jobs: 0 }) }
//!     fn job(&mut self, cx: CX![], ok: bool) {
//!         self.jobs += 1;
//!         if !ok { fail!(cx, "bad job"); }
//!     }
//! }
//!
//! let mut spec = SupervisorSpec::new(Strategy::OneForOne)
//!     .intensity(3, Duration::from_secs(10));
//! let worker = spec.child("worker", Restart::Permanent, |core, notify| {
//!     actor!(core, Worker::init(), notify)
//! });
//! let mut s = Stakker::new(Instant::from_secs(0));
//! let sup = spec.start(&mut s, ret_nop!());
//! worker.call(|w, cx| w.job(cx, false)); // held until the first instance exists
//! worker.call(|w, cx| w.job(cx, true)); // dropped with the failed instance
//! s.run(Instant::from_secs(1), false);
//! worker.call(|w, cx| w.job(cx, true)); // goes to the restarted instance
//! s.run(Instant::from_secs(2), false);
//! assert_eq!(sup.query(&mut s, |sup, _| sup.restarts()), Some(1));
//! let jobs = worker.actor().unwrap().query(&mut s, |w, _| w.jobs);
//! assert_eq!(jobs, Some(1));
//! ```
#![no_std]
#![warn(
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::std_instead_of_alloc
)]

extern crate alloc;

mod child;
mod supervisor;

pub use child::Child;
pub use supervisor::{IntensityExceeded, Supervisor, SupervisorSpec};

use stakker_core::time::Duration;

/// Which children a supervisor restarts when one of them is to be restarted.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Only that child.
    OneForOne,
    /// Every running child: the others are stopped (in reverse start order), then all start
    /// again in start order.
    OneForAll,
    /// That child and every running child started after it.
    RestForOne,
}

/// When a stopped child is restarted.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Restart {
    /// Always, whatever the cause.
    Permanent,
    /// Only when it failed or was killed ([`StopCause::has_error`]); a child that stops
    /// normally stays stopped.
    ///
    /// [`StopCause::has_error`]: stakker_core::StopCause::has_error
    Transient,
    /// Never. A temporary sibling stopped by a one-for-all or rest-for-one restart stays
    /// stopped too.
    Temporary,
}

/// The restart intensity limit: at most `max_restarts` restarts within any `period` of the
/// runtime's time ([`Core::now`](stakker_core::Core::now)), counted over all children of one
/// supervisor. The window slides: a restart counts until `period` after it. Default: 3
/// restarts in 5 seconds. Set it with [`SupervisorSpec::intensity`], which refuses a zero
/// `period`; a zero `max_restarts` allows no restart at all.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Intensity {
    /// Restarts allowed within `period`.
    pub max_restarts: u32,
    /// The length of the sliding window.
    pub period: Duration,
}

impl Default for Intensity {
    fn default() -> Self {
        Intensity {
            max_restarts: 3,
            period: Duration::from_secs(5),
        }
    }
}

/// The wait before a restart: the k-th restart within the current intensity window waits
/// `first · 2^(k−1)`, at most `max`. While a child waits, calls to it are held by its
/// [`Child`] handle.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait before the first restart in a window.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
}
/// The guide page "Supervision"; its examples run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/src/supervision.md")]
struct SupervisionGuide;
