//! Recording sinks: `Fwd`s and `Ret`s that keep what they receive, stamped with virtual time.

use stakker_core::time::Instant;
use stakker_core::{Fwd, Ret, StopCause};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A recording sink: every value sent to one of its [`fwd`](Probe::fwd)s (or, for
/// `Probe<Option<T>>`, its [`ret`](Probe::ret)s) is kept with the virtual time it arrived.
/// Clones share the record. Made by [`Sim::probe`](crate::Sim::probe).
///
/// ```
/// use stakker_core::{fwd, ret, call, actor, ret_nop, CX, Fwd};
/// use stakker_core::time::Duration;
/// use stakker_testkit::Sim;
///
/// let mut sim = Sim::new();
/// let ticks = sim.probe::<u32>();
/// let f = ticks.fwd();
/// fwd!([f], 1);
/// sim.advance(Duration::from_secs(2));
/// fwd!([f], 2);
/// assert_eq!(ticks.values(), [1, 2]);
/// assert_eq!(ticks.times()[1] - ticks.times()[0], Duration::from_secs(2));
///
/// let replies = sim.probe::<Option<&str>>();
/// ret!([replies.ret()], "yes");
/// drop(replies.ret()); // dropped unused: records None
/// assert_eq!(replies.values(), [Some("yes"), None]);
/// ```
pub struct Probe<T> {
    clock: Rc<Cell<Instant>>,
    log: Rc<RefCell<Vec<(Instant, T)>>>,
}

impl<T> Clone for Probe<T> {
    fn clone(&self) -> Self {
        Probe {
            clock: self.clock.clone(),
            log: self.log.clone(),
        }
    }
}

impl<T: 'static> Probe<T> {
    pub(crate) fn new(clock: Rc<Cell<Instant>>) -> Self {
        Probe {
            clock,
            log: Rc::default(),
        }
    }

    /// Records `value` now.
    pub fn record(&self, value: T) {
        self.log.borrow_mut().push((self.clock.get(), value));
    }

    /// A `Fwd` that records every message.
    pub fn fwd(&self) -> Fwd<T> {
        let p = self.clone();
        Fwd::new(move |m| p.record(m))
    }

    /// Every recorded value with its time, oldest first.
    pub fn take(&self) -> Vec<(Instant, T)> {
        core::mem::take(&mut *self.log.borrow_mut())
    }

    /// How many values have been recorded.
    pub fn len(&self) -> usize {
        self.log.borrow().len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.log.borrow().is_empty()
    }

    /// The times of the recorded values.
    pub fn times(&self) -> Vec<Instant> {
        self.log.borrow().iter().map(|(t, _)| *t).collect()
    }
}

impl<T: Clone + 'static> Probe<T> {
    /// The recorded values (kept).
    pub fn values(&self) -> Vec<T> {
        self.log.borrow().iter().map(|(_, v)| v.clone()).collect()
    }
}

impl<T: 'static> Probe<Option<T>> {
    /// A `Ret` that records `Some(value)` when used, or `None` when dropped unused.
    pub fn ret(&self) -> Ret<T> {
        let p = self.clone();
        Ret::new(move |m| p.record(m))
    }
}

/// Records how an actor stopped: pass the `Ret` from [`Sim::stop_probe`](crate::Sim::stop_probe)
/// as the actor's notify handler. It keeps the [`StopCause`] itself: check its text with
/// [`cause`](StopProbe::cause) or [`assert_stopped_with`](StopProbe::assert_stopped_with), or
/// take it with [`take_cause`](StopProbe::take_cause) to match on it or downcast its error.
///
/// ```
/// use stakker_core::{actor, call, fail, stop, CX};
/// use stakker_testkit::Sim;
///
/// #[derive(Debug)]
/// struct OutOfStock(u32);
/// impl std::fmt::Display for OutOfStock {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         write!(f, "item {} is out of stock", self.0)
///     }
/// }
/// impl std::error::Error for OutOfStock {}
///
/// struct Shop;
/// impl Shop {
///     fn init(_: CX![]) -> Option<Self> { Some(Shop) }
///     fn close(&mut self, cx: CX![]) { stop!(cx); }
///     fn sell(&mut self, cx: CX![], item: u32) { fail!(cx, OutOfStock(item)); }
/// }
/// let mut sim = Sim::new();
/// let (notify, stopped) = sim.stop_probe();
/// let shop = actor!(sim, Shop::init(), notify);
/// sim.run();
/// assert_eq!(stopped.cause(), None);
/// call!([shop], close());
/// sim.run();
/// stopped.assert_stopped_with("Actor stopped");
///
/// let (notify, stopped) = sim.stop_probe();
/// let shop = actor!(sim, Shop::init(), notify);
/// call!([shop], sell(7));
/// sim.run();
/// let cause = stopped.take_cause().expect("the shop has failed");
/// let err = cause.error().and_then(|e| e.downcast_ref::<OutOfStock>());
/// assert_eq!(err.map(|e| e.0), Some(7));
/// // The text stays for the text-based checks.
/// stopped.assert_stopped_with("item 7 is out of stock");
/// ```
#[derive(Clone)]
pub struct StopProbe(Probe<Stop>);

/// What a [`StopProbe`] received: the cause's text, and the cause until it is taken.
struct Stop {
    text: Option<String>,
    cause: Option<StopCause>,
}

impl StopProbe {
    pub(crate) fn new(clock: Rc<Cell<Instant>>) -> (Ret<StopCause>, StopProbe) {
        let p = Probe::new(clock);
        let rec = p.clone();
        let ret = Ret::new(move |cause: Option<StopCause>| {
            let text = cause.as_ref().map(|c| c.to_string());
            rec.record(Stop { text, cause });
        });
        (ret, StopProbe(p))
    }

    /// The stop cause as text (`"Actor stopped"`, `"Actor failed: ..."`) once the actor has
    /// terminated; `None` while it runs (or if the runtime was dropped first, which delivers
    /// no cause). Still there after [`take_cause`](StopProbe::take_cause).
    pub fn cause(&self) -> Option<String> {
        self.0
            .log
            .borrow()
            .first()
            .and_then(|(_, s)| s.text.clone())
    }

    /// The stop cause itself, taken out of the probe (so `None` the second time), for a
    /// `match` or for downcasting its error with [`StopCause::error`]. `None` while the actor
    /// runs, or if no cause was delivered. The text-based checks keep working afterwards.
    pub fn take_cause(&self) -> Option<StopCause> {
        self.0
            .log
            .borrow_mut()
            .first_mut()
            .and_then(|(_, s)| s.cause.take())
    }

    /// When the actor terminated.
    pub fn time(&self) -> Option<Instant> {
        self.0.log.borrow().first().map(|(t, _)| *t)
    }

    /// Panics unless the actor has terminated with a cause whose text contains `text`.
    #[track_caller]
    pub fn assert_stopped_with(&self, text: &str) {
        match self.cause() {
            Some(c) if c.contains(text) => (),
            Some(c) => panic!("StopProbe: the actor stopped with `{c}`, not `{text}`"),
            None => panic!("StopProbe: the actor has not stopped (expected `{text}`)"),
        }
    }

    /// Panics if the actor has terminated, naming the cause.
    #[track_caller]
    pub fn assert_running(&self) {
        if let Some(c) = self.cause() {
            panic!("StopProbe: the actor has stopped: {c}");
        }
    }
}
