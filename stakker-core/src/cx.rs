//! `Cx`: the context passed to every actor method.

use crate::actor::Actor;
use crate::runtime::Core;
use crate::share::Share2;
use crate::{LogID, StopCause};
use alloc::boxed::Box;
use alloc::string::String;
use core::error::Error;
use core::ops::{Deref, DerefMut};
use qcell::QCellOwner;

/// The context passed as the second argument of every actor method (`cx: CX![]`).
///
/// Derefs to [`Core`], so the clock, queues, timers and anymap are reached through it, and
/// gives the actor its own reference ([`Cx::this`]) and the means to stop or fail. Not
/// constructible by users.
///
/// ```
/// use stakker_core::{actor, call, ret_some_do, Stakker, StopCause, CX};
/// use std::{cell::RefCell, rc::Rc, time::Instant};
///
/// struct Job;
/// impl Job {
///     fn init(_: CX![]) -> Option<Self> { Some(Job) }
///     fn finish(&mut self, cx: CX![], ok: bool) {
///         if ok { cx.stop() } else { cx.fail_str("bad input") }
///     }
/// }
///
/// let mut s = Stakker::new(Instant::now());
/// let seen = Rc::new(RefCell::new(None));
/// let seen2 = seen.clone();
/// let job = actor!(s, Job::init(), ret_some_do!(move |c: StopCause| {
///     *seen2.borrow_mut() = Some(c.to_string());
/// }));
/// call!([job], finish(false));
/// s.run(Instant::now(), false);
/// assert_eq!(seen.borrow().as_deref(), Some("Actor failed: bad input"));
/// ```
pub struct Cx<'a, A: 'static> {
    core: &'a mut Core,
    this: &'a Actor<A>,
    share2_owner: &'a mut QCellOwner,
    stop: Option<StopCause>,
}

impl<'a, A: 'static> Cx<'a, A> {
    #[inline]
    pub(crate) fn new(
        core: &'a mut Core,
        this: &'a Actor<A>,
        share2_owner: &'a mut QCellOwner,
    ) -> Self {
        Cx {
            core,
            this,
            share2_owner,
            stop: None,
        }
    }

    /// Ends the call, returning the stop or failure request made during it, if any. (Consuming
    /// `self` leaves no drop glue to run on the hot path.)
    #[inline]
    pub(crate) fn into_stop(self) -> Option<StopCause> {
        self.stop
    }

    /// Whether stop or failure has been requested during this call.
    #[inline]
    pub(crate) fn stop_requested(&self) -> bool {
        self.stop.is_some()
    }

    /// Whether panic containment is on for this runtime.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn catch_panics(&self) -> bool {
        self.core.catch_panics
    }

    /// The actor being called. Clone it for a lasting reference.
    #[inline]
    pub fn this(&self) -> &Actor<A> {
        self.this
    }

    /// The actor's logging ID (0 without the `logger` feature).
    #[inline]
    pub fn id(&self) -> LogID {
        self.this.id()
    }

    #[inline]
    fn request(&mut self, cause: StopCause) {
        // Within one call the first request wins.
        if self.stop.is_none() {
            self.stop = Some(cause);
        }
    }

    /// Requests successful termination ([`StopCause::Stopped`]) once the current call
    /// returns.
    pub fn stop(&mut self) {
        self.request(StopCause::Stopped);
    }

    /// Requests termination with [`StopCause::Failed`] carrying `e`, once the current call
    /// returns.
    pub fn fail(&mut self, e: impl Error + 'static) {
        if self.stop.is_none() {
            self.stop = Some(StopCause::Failed(Box::new(e)));
        }
    }

    /// Requests failure with an error that displays as `e`.
    pub fn fail_str(&mut self, e: &'static str) {
        self.fail(crate::error::StrError(e));
    }

    /// Requests failure with an error that displays as `e`.
    pub fn fail_string(&mut self, e: impl Into<String>) {
        self.fail(crate::error::StringError(e.into()));
    }

    /// Mutable access to two different [`Share2`]s plus `Core` at once.
    ///
    /// # Panics
    ///
    /// If both are the same share, or belong to another runtime.
    #[track_caller]
    pub fn share2_rw2<'b, T, U>(
        &'b mut self,
        s1: &'b Share2<T>,
        s2: &'b Share2<U>,
    ) -> (&'b mut T, &'b mut U, &'b mut Core)
    where
        'a: 'b,
    {
        s1.check(self.core, "Cx::share2_rw2");
        s2.check(self.core, "Cx::share2_rw2");
        if s1.addr() == s2.addr() {
            same_share("Cx::share2_rw2");
        }
        let (a, b) = self.share2_owner.rw2(s1.cell(), s2.cell());
        (a, b, self.core)
    }

    /// Mutable access to three different [`Share2`]s plus `Core` at once.
    ///
    /// # Panics
    ///
    /// If any two are the same share, or one belongs to another runtime.
    #[track_caller]
    #[allow(clippy::type_complexity)]
    pub fn share2_rw3<'b, T, U, V>(
        &'b mut self,
        s1: &'b Share2<T>,
        s2: &'b Share2<U>,
        s3: &'b Share2<V>,
    ) -> (&'b mut T, &'b mut U, &'b mut V, &'b mut Core)
    where
        'a: 'b,
    {
        s1.check(self.core, "Cx::share2_rw3");
        s2.check(self.core, "Cx::share2_rw3");
        s3.check(self.core, "Cx::share2_rw3");
        if s1.addr() == s2.addr() || s2.addr() == s3.addr() || s1.addr() == s3.addr() {
            same_share("Cx::share2_rw3");
        }
        let (a, b, c) = self.share2_owner.rw3(s1.cell(), s2.cell(), s3.cell());
        (a, b, c, self.core)
    }

    /// Borrows one `Share2` (for [`Share2::rw`]).
    #[inline]
    pub(crate) fn share2_rw<'b, T>(&'b mut self, s: &'b Share2<T>) -> (&'b mut T, &'b mut Core) {
        s.check(self.core, "Share2::rw");
        (self.share2_owner.rw(s.cell()), self.core)
    }

    /// Macro support: same as [`Cx::this`].
    #[inline]
    pub fn access_actor(&self) -> &Actor<A> {
        self.this
    }

    /// Macro support: same as [`Cx::id`].
    #[inline]
    pub fn access_log_id(&self) -> LogID {
        self.this.id()
    }
}

#[cold]
#[track_caller]
pub(crate) fn same_share(api: &str) -> ! {
    panic!("{api}: the same share was passed more than once");
}

impl<A: 'static> Deref for Cx<'_, A> {
    type Target = Core;
    #[inline]
    fn deref(&self) -> &Core {
        self.core
    }
}

impl<A: 'static> DerefMut for Cx<'_, A> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Core {
        self.core
    }
}
