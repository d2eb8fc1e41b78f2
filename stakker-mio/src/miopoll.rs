//! `MioPoll`: a `mio::Poll` as the host loop of a `Stakker`, with priorities.

use crate::mio::event::{Event, Source};
use crate::mio::{Events, Interest, Poll, Token, Waker};
use crate::retry;
use slab::Slab;
use stakker_core::host::{
    run_blocking_max_wait, Activity, EventLoop, PriorityQueues, Ready, WakeFlag,
};
use stakker_core::time::{Duration, Instant};
use stakker_core::{Deferrer, Fwd, Stakker, StopCause};
use std::cell::RefCell;
use std::fmt;
use std::io::{Error, ErrorKind, Result};
use std::ops::{Deref, DerefMut};
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll as TaskPoll};

/// The slab slot (and so the mio token) of the poll's own waker: the first one inserted.
const WAKER_SLOT: usize = 0;

/// A cheaply cloneable handle to a `mio::Poll`, its registrations and their priorities: the
/// host loop of one [`Stakker`].
///
/// [`MioPoll::new`] also stores a clone in the runtime's anymap, so actors reach it with
/// `cx.anymap_get::<MioPoll>()`. Run the program with [`MioPoll::run`] (or
/// [`stakker_core::host::run_blocking`], since `MioPoll` is an [`EventLoop`]).
#[derive(Clone)]
pub struct MioPoll {
    rc: Rc<RefCell<Control>>,
}

impl fmt::Debug for MioPoll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.rc.try_borrow() {
            Ok(c) => f
                .debug_struct("MioPoll")
                .field("sources", &(c.slots.len() - 1))
                .field("top_priority", &c.prio.top())
                .field("held", &c.prio.held_len())
                .finish(),
            Err(_) => f.write_str("MioPoll { <busy> }"),
        }
    }
}

/// One registration: its priority, its handler and a serial number that tells a held event of
/// a dropped source from one of a newer source that reused the slot.
struct Slot {
    pri: u32,
    serial: u64,
    /// `None` only for the waker slot in its default mode (report the wake to the driver).
    fwd: Option<Fwd<Ready>>,
}

/// An event kept back for a later round because its level is below the top one.
struct Held {
    slot: usize,
    serial: u64,
    ready: Ready,
}

struct Control {
    poll: Poll,
    events: Events,
    slots: Slab<Slot>,
    next_serial: u64,
    /// The levels registered (including the waker's) and the events held back (§8.1.3).
    prio: PriorityQueues<Held>,
    /// Handlers to call once the borrow of `Control` is released, so a handler may use the
    /// `MioPoll` (add or drop sources) without a `RefCell` panic. Kept to reuse its buffer.
    calls: Vec<(Fwd<Ready>, Ready)>,
    flag: WakeFlag,
    waker: Arc<Waker>,
    /// For [`MioPoll::poll`] only: it has no way to report a wake, so it queues `poll_wake`.
    deferrer: Deferrer,
}

/// What one dispatch round found, before the handlers are called.
#[derive(Default)]
struct Round {
    dispatched: bool,
    wake_seen: bool,
}

impl Round {
    /// Dispatches one event of `slot`: queues its handler's call, or notes the wake.
    fn call(&mut self, calls: &mut Vec<(Fwd<Ready>, Ready)>, slot: &Slot, ready: Ready) {
        self.dispatched = true;
        match &slot.fwd {
            Some(fwd) => calls.push((fwd.clone(), ready)),
            None => self.wake_seen = true,
        }
    }
}

impl Control {
    fn add(
        &mut self,
        source: &mut impl Source,
        interest: Interest,
        pri: u32,
        fwd: Fwd<Ready>,
    ) -> Result<Token> {
        let pri = self.prio.register(pri);
        let serial = self.next_serial;
        self.next_serial += 1;
        let slot = self.slots.insert(Slot {
            pri,
            serial,
            fwd: Some(fwd),
        });
        let token = Token(slot);
        if let Err(e) = retry(|| self.poll.registry().register(source, token, interest)) {
            self.slots.remove(slot);
            return Err(if e.kind() == ErrorKind::AlreadyExists {
                Error::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "MioPoll::add: this source is already registered (an fd can be \
                         registered once; drop the other MioSource first): {e}"
                    ),
                )
            } else {
                e
            });
        }
        Ok(token)
    }

    /// Takes one event: dispatches it at once at the top level, else holds it.
    fn take_event(&mut self, ev: &Event, round: &mut Round) {
        let slot = ev.token().0;
        let Some(entry) = self.slots.get(slot) else {
            return;
        };
        let held = Held {
            slot,
            serial: entry.serial,
            ready: ready_of(ev),
        };
        if let Some(h) = self.prio.offer(entry.pri, held) {
            round.call(&mut self.calls, entry, h.ready);
        }
    }

    /// Nothing at the top level: dispatches the highest held level with a live event.
    fn dispatch_held(&mut self, round: &mut Round) {
        let Control {
            prio, slots, calls, ..
        } = self;
        prio.dispatch_held(|h| match slots.get(h.slot) {
            Some(s) if s.serial == h.serial => {
                round.call(calls, s, h.ready);
                true
            }
            _ => false, // its source was dropped while the event was held
        });
    }

    fn wait(&mut self, max: Duration) -> Result<Round> {
        let Control { poll, events, .. } = self;
        // `Duration::MAX` is "no bound" (see `MioPoll::run`): sleeping without a timeout
        // spares the kernel arming and cancelling a timer on every wait.
        let timeout = (max != Duration::MAX).then_some(max);
        retry(|| poll.poll(events, timeout))?;
        let events = std::mem::replace(&mut self.events, Events::with_capacity(0));
        let mut round = Round::default();
        for ev in &events {
            self.take_event(ev, &mut round);
        }
        self.events = events;
        if !round.dispatched {
            self.dispatch_held(&mut round);
        }
        Ok(round)
    }
}

impl MioPoll {
    /// Wraps `poll` (with `events` as its caller-sized event buffer) as the host loop of
    /// `stakker`: creates a `mio::Waker` on token 0 with priority `waker_pri` (clamped to
    /// `0..=10`), installs it as the runtime's poll waker, and stores a clone of the new
    /// `MioPoll` in the runtime's anymap.
    ///
    /// A wake from another thread (a [`Waker`](stakker_core::Waker), a `Channel`, a
    /// `PipedThread`) then makes the runtime run [`Stakker::poll_wake`] when the wake event is
    /// dispatched at its priority, unless [`set_wake_fwd`](MioPoll::set_wake_fwd) replaced that.
    ///
    /// # Panics
    ///
    /// If `stakker` already has a poll waker (one host per runtime).
    pub fn new(
        stakker: &mut Stakker,
        poll: Poll,
        events: Events,
        waker_pri: u32,
    ) -> Result<MioPoll> {
        let mut prio = PriorityQueues::new();
        let waker_pri = prio.register(waker_pri);
        let mut slots = Slab::with_capacity(256);
        let slot = slots.insert(Slot {
            pri: waker_pri,
            serial: 0,
            fwd: None,
        });
        debug_assert_eq!(slot, WAKER_SLOT);
        let waker = Arc::new(retry(|| Waker::new(poll.registry(), Token(WAKER_SLOT)))?);
        let flag = WakeFlag::new();
        let notify = waker.clone();
        // The flag is set before the wake, so a failed wake (mio's eventfd never fails in
        // practice) delays the service of the flag to the next poll; it loses nothing.
        flag.install(stakker, move || drop(retry(|| notify.wake())));
        let ctrl = Control {
            poll,
            events,
            slots,
            next_serial: 1,
            prio,
            calls: Vec::new(),
            flag,
            waker,
            deferrer: stakker.deferrer(),
        };
        let miopoll = MioPoll {
            rc: Rc::new(RefCell::new(ctrl)),
        };
        stakker.anymap_set(miopoll.clone());
        Ok(miopoll)
    }

    /// Registers `source` for `ready` (edge-triggered) with priority `pri` (clamped to
    /// `0..=10`, higher first) and returns the owning [`MioSource`], which deregisters it on
    /// drop.
    ///
    /// Each readiness event calls `fwd` with the new [`Ready`] flags. The handler must cope
    /// with spurious calls, and must read (or write) until `WouldBlock` before the same
    /// readiness is reported again.
    ///
    /// # Errors
    ///
    /// The registry's error; a source already registered (for example a second
    /// [`FdSource`](crate::FdSource) for the same descriptor) gives
    /// `ErrorKind::AlreadyExists` with a message saying so.
    pub fn add<S: Source>(
        &self,
        mut source: S,
        ready: Interest,
        pri: u32,
        fwd: Fwd<Ready>,
    ) -> Result<MioSource<S>> {
        let token = self.rc.borrow_mut().add(&mut source, ready, pri, fwd)?;
        Ok(MioSource {
            slot: token.0,
            ctrl: self.rc.clone(),
            source,
        })
    }

    /// Waits at most `max_delay` for events and dispatches them by priority (see the crate
    /// docs, "Priorities"), returning `(activity, io_pending)`: whether a handler was called
    /// and whether events are held back for a later call (then the next wait must be zero).
    ///
    /// This is the original crate's hand-written loop step; [`MioPoll::run`] runs the whole
    /// loop. Since this form cannot report a wake to a driver, a dispatched wake queues
    /// [`Stakker::poll_wake`] on the runtime itself and counts as activity.
    pub fn poll(&self, max_delay: Duration) -> Result<(bool, bool)> {
        let found = self.wait(max_delay)?;
        if found.woken {
            let deferrer = self.rc.borrow().deferrer.clone();
            deferrer.defer(|s| s.poll_wake());
        }
        Ok((found.any(), found.io_pending))
    }

    /// Replaces the handling of the poll's wake event: `fwd` is called instead of the runtime
    /// being told to run [`Stakker::poll_wake`]. Only for programs that wake the poll
    /// themselves (through [`waker`](MioPoll::waker)) and run `poll_wake` as they see fit.
    pub fn set_wake_fwd(&mut self, fwd: Fwd<Ready>) {
        self.rc.borrow_mut().slots[WAKER_SLOT].fwd = Some(fwd);
    }

    /// The poll's `mio::Waker`, which other threads may call to interrupt the wait.
    pub fn waker(&mut self) -> Arc<Waker> {
        self.rc.borrow().waker.clone()
    }

    /// Runs `stakker` with this poll as its host until shutdown, returning the shutdown cause
    /// (the core's [`run_blocking_max_wait`] with this poll). With nothing scheduled the poll
    /// sleeps until an event or a wake arrives, with no timeout at all: a wait of
    /// `Duration::MAX` means "no bound" to this host.
    ///
    /// # Errors
    ///
    /// A failure of `mio::Poll::poll` itself (`Interrupted` is retried).
    pub fn run(&self, stakker: &mut Stakker) -> Result<Option<StopCause>> {
        run_blocking_max_wait(stakker, &mut self.clone(), Duration::MAX)
    }

    /// One wait and dispatch, reported the way the core's driver wants it.
    fn wait(&self, max: Duration) -> Result<Activity> {
        let (found, mut calls) = {
            let mut ctrl = self.rc.borrow_mut();
            let round = ctrl.wait(max)?;
            // Taken only when the wake event was dispatched: a wake held at a low priority
            // stays set until its level's turn.
            let woken = round.wake_seen && ctrl.flag.take();
            let found = Activity {
                activity: round.dispatched,
                io_pending: ctrl.prio.has_held(),
                woken,
            };
            (found, std::mem::take(&mut ctrl.calls))
        };
        for (fwd, ready) in calls.drain(..) {
            fwd.fwd(ready);
        }
        let mut ctrl = self.rc.borrow_mut();
        if ctrl.calls.capacity() == 0 {
            ctrl.calls = calls; // hand the buffer back for the next round
        }
        Ok(found)
    }
}

impl EventLoop for MioPoll {
    type Error = Error;

    fn now(&mut self) -> Instant {
        Instant::now()
    }

    fn poll_wait(&mut self, _cx: &mut Context<'_>, max: Duration) -> TaskPoll<Result<Activity>> {
        TaskPoll::Ready(self.wait(max))
    }
}

/// A source registered with a [`MioPoll`]; derefs to the source. Dropping it deregisters
/// the source (errors are not reported: the source is going away) and frees its token, and
/// events of it still held at a low priority are then discarded.
pub struct MioSource<S: Source> {
    slot: usize,
    ctrl: Rc<RefCell<Control>>,
    source: S,
}

impl<S: Source + fmt::Debug> fmt::Debug for MioSource<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MioSource")
            .field("token", &self.slot)
            .field("source", &self.source)
            .finish()
    }
}

impl<S: Source> Drop for MioSource<S> {
    fn drop(&mut self) {
        let mut ctrl = self.ctrl.borrow_mut();
        let _ignored = retry(|| ctrl.poll.registry().deregister(&mut self.source));
        ctrl.slots.remove(self.slot);
    }
}

impl<S: Source> Deref for MioSource<S> {
    type Target = S;
    fn deref(&self) -> &S {
        &self.source
    }
}

impl<S: Source> DerefMut for MioSource<S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.source
    }
}

/// The readiness flags of a mio event.
fn ready_of(ev: &Event) -> Ready {
    let flag = Ready::flag_if;
    flag(ev.is_readable(), Ready::READABLE)
        | flag(ev.is_writable(), Ready::WRITABLE)
        | flag(ev.is_error(), Ready::ERROR)
        | flag(ev.is_read_closed(), Ready::READ_CLOSED)
        | flag(ev.is_write_closed(), Ready::WRITE_CLOSED)
        | flag(ev.is_priority(), Ready::PRIORITY)
        | flag(ev.is_aio(), Ready::AIO)
        | flag(ev.is_lio(), Ready::LIO)
}
