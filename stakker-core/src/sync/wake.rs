//! `Waker`, the runtime's wake-handler table, `Stakker::set_poll_waker`, `Stakker::poll_wake`
//! and `Core::waker`.

use crate::runtime::{Core, Stakker};
use alloc::boxed::Box;

#[cfg(feature = "inter-thread")]
use super::bits::{Hub, Leaf, CAPACITY, PER_LEAF};
#[cfg(feature = "inter-thread")]
use alloc::sync::Arc;
#[cfg(feature = "inter-thread")]
use alloc::vec::Vec;

/// A wake handler: `false` for a wake, `true` for the final call after the `Waker` was dropped.
#[cfg(feature = "inter-thread")]
type Handler = Box<dyn FnMut(&mut Stakker, bool)>;

/// Runtime-side wake state: the poll waker's hub, the leaves of the bitmap, and one handler
/// slot per waker index. Lives in `Core`.
#[derive(Default)]
pub(crate) struct WakeState {
    #[cfg(feature = "inter-thread")]
    table: Option<Table>,
    #[cfg(not(feature = "inter-thread"))]
    poll_waker_set: bool,
}

/// Everything that exists once a poll waker has been set.
#[cfg(feature = "inter-thread")]
struct Table {
    hub: Arc<Hub>,
    /// `leaves[n]` holds the marks of indices `n * PER_LEAF ..`.
    leaves: Vec<Arc<Leaf>>,
    /// Handler of each index: `None` while free, or while the handler is running.
    handlers: Vec<Option<Handler>>,
    /// Indices whose waker is gone and whose final call was made (reused last-in first-out).
    free: Vec<u32>,
    /// Buffer for the marks taken by one `poll_wake`, kept to avoid reallocating.
    events: Vec<usize>,
    /// Set while `poll_wake` runs handlers; a nested `poll_wake` does nothing.
    polling: bool,
}

#[cfg(feature = "inter-thread")]
impl Drop for Table {
    fn drop(&mut self) {
        // Wakers that outlive the runtime (and handlers dropped just after this) may still
        // mark; they must not call the host any more.
        self.hub.close();
    }
}

#[cfg(feature = "inter-thread")]
impl Table {
    /// The slot for a new waker, allocating a leaf when a new block of indices is entered.
    #[track_caller]
    fn alloc(&mut self) -> usize {
        if let Some(i) = self.free.pop() {
            return i as usize;
        }
        let i = self.handlers.len();
        if i >= CAPACITY {
            panic!("Core::waker: too many live Wakers (the limit is {CAPACITY}); drop some first");
        }
        if i % PER_LEAF == 0 {
            let leaf = Arc::new(Leaf::new(self.hub.clone(), i / PER_LEAF));
            self.leaves.push(leaf);
        }
        self.handlers.push(None);
        i
    }

    /// Sets the mark for `event` again (after a handler panicked before it was served).
    fn remark(&self, event: usize) {
        let (index, last) = (event >> 1, event & 1 != 0);
        let leaf = &self.leaves[index / PER_LEAF];
        if last {
            leaf.mark_dropped(index % PER_LEAF);
        } else {
            leaf.wake(index % PER_LEAF);
        }
    }
}

/// Wakes one handler on the runtime's thread from any thread. Made by
/// [`Core::waker`](crate::Core::waker).
///
/// - [`Waker::wake`] marks the waker. However many wakes happen before the runtime next
///   collects (in [`Stakker::poll_wake`](crate::Stakker::poll_wake)), the handler runs once,
///   as `handler(stakker, false)`. Only the first mark of a quiet period calls the host's poll
///   waker; waking an already-marked waker is a single atomic `fetch_or`.
/// - Dropping the `Waker` (on any thread) schedules one final `handler(stakker, true)`, which
///   also stands for any wake not yet handled; after it the handler is dropped.
///
/// `Send + Sync`, not `Clone`. Share it with an `Arc` if several threads need it.
///
/// ```
/// use stakker_core::Stakker;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::{cell::RefCell, rc::Rc, time::Instant};
///
/// let mut s = Stakker::new(Instant::now());
/// // The host's poll waker: here it only raises a flag the loop below checks.
/// let flag = Arc::new(AtomicBool::new(false));
/// let f = flag.clone();
/// s.set_poll_waker(move || f.store(true, Ordering::SeqCst));
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let l = log.clone();
/// let waker = s.waker(move |_s, deleted| l.borrow_mut().push(deleted));
/// std::thread::scope(|sc| {
///     sc.spawn(|| {
///         for _ in 0..100 {
///             waker.wake(); // marks coalesce
///         }
///     });
/// });
/// assert!(flag.swap(false, Ordering::SeqCst)); // the poll waker was called (once)
/// s.poll_wake();
/// assert_eq!(*log.borrow(), [false]); // one call for 100 wakes
///
/// std::thread::spawn(move || drop(waker)).join().unwrap();
/// assert!(flag.swap(false, Ordering::SeqCst));
/// s.poll_wake();
/// assert_eq!(*log.borrow(), [false, true]); // the final call
/// ```
pub struct Waker {
    inner: WakerInner,
}

#[cfg(feature = "inter-thread")]
struct WakerInner {
    leaf: Arc<Leaf>,
    /// Position within the leaf.
    pos: u32,
}

/// Without `inter-thread` no `Waker` can be made.
#[cfg(not(feature = "inter-thread"))]
enum WakerInner {}

impl Waker {
    /// Marks this waker as woken, so that the runtime calls its handler (once, however many
    /// wakes arrive before it does). Costs one atomic `fetch_or` if the waker is already
    /// marked; a new mark also sets three summary bits and reads a flag, and the first mark
    /// of a quiet period calls the host's poll waker. Never blocks, allocates or panics
    /// (unless the poll waker does).
    #[inline]
    pub fn wake(&self) {
        #[cfg(feature = "inter-thread")]
        self.inner.leaf.wake(self.inner.pos as usize);
        #[cfg(not(feature = "inter-thread"))]
        match self.inner {}
    }

    /// A runtime-side handle that marks this waker again, for handlers that want another call
    /// (to deliver the next batch). It must not be used after the handler's final call.
    #[cfg(feature = "std")]
    pub(crate) fn self_wake(&self) -> SelfWake {
        #[cfg(feature = "inter-thread")]
        return SelfWake {
            leaf: self.inner.leaf.clone(),
            pos: self.inner.pos,
        };
        #[cfg(not(feature = "inter-thread"))]
        match self.inner {}
    }
}

impl Drop for Waker {
    /// Schedules the final `handler(stakker, true)` call. Never blocks or panics (unless the
    /// poll waker does).
    fn drop(&mut self) {
        #[cfg(feature = "inter-thread")]
        self.inner.leaf.mark_dropped(self.inner.pos as usize);
        #[cfg(not(feature = "inter-thread"))]
        match self.inner {}
    }
}

impl core::fmt::Debug for Waker {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        #[cfg(feature = "inter-thread")]
        return f
            .debug_struct("Waker")
            .field("index", &(self.inner.leaf_index()))
            .finish();
        #[cfg(not(feature = "inter-thread"))]
        {
            let _ = f;
            match self.inner {}
        }
    }
}

#[cfg(feature = "inter-thread")]
impl WakerInner {
    fn leaf_index(&self) -> usize {
        self.leaf.number() * PER_LEAF + self.pos as usize
    }
}

/// See [`Waker::self_wake`]. Has no `Drop`: it marks, it does not own the index.
#[cfg(feature = "std")]
pub(crate) struct SelfWake {
    #[cfg(feature = "inter-thread")]
    leaf: Arc<Leaf>,
    #[cfg(feature = "inter-thread")]
    pos: u32,
    #[cfg(not(feature = "inter-thread"))]
    never: WakerInner,
}

#[cfg(feature = "std")]
impl SelfWake {
    /// Marks the waker as woken (see [`Waker::wake`]).
    pub(crate) fn wake(&self) {
        #[cfg(feature = "inter-thread")]
        self.leaf.wake(self.pos as usize);
        #[cfg(not(feature = "inter-thread"))]
        match self.never {}
    }
}

impl WakeState {
    #[track_caller]
    fn set_poll_waker(&mut self, waker: Box<dyn Fn() + Send + Sync>) {
        #[cfg(feature = "inter-thread")]
        {
            if self.table.is_some() {
                already_set();
            }
            self.table = Some(Table {
                hub: Arc::new(Hub::new(waker)),
                leaves: Vec::new(),
                handlers: Vec::new(),
                free: Vec::new(),
                events: Vec::new(),
                polling: false,
            });
        }
        #[cfg(not(feature = "inter-thread"))]
        {
            if self.poll_waker_set {
                already_set();
            }
            self.poll_waker_set = true;
            drop(waker);
        }
    }
}

#[cold]
#[track_caller]
fn already_set() -> ! {
    panic!(
        "Stakker::set_poll_waker: a poll waker is already set; it may be set only once per runtime"
    );
}

impl Stakker {
    /// Gives the runtime the host's cross-thread wake function. The runtime calls it, from any
    /// thread including its own, when a [`Waker`] needs attention; the host must then end its
    /// current or next wait promptly and arrange for [`Stakker::poll_wake`] to run on the
    /// runtime's thread (usually `deferrer.defer(|s| s.poll_wake())`). Calls may be spurious
    /// or coalesced. `waker` must not panic (it may be called from `Waker::drop`).
    ///
    /// Normally called once by the adapter at set-up. Without the `inter-thread` feature it is
    /// accepted and never called.
    ///
    /// # Panics
    ///
    /// If a poll waker was already set.
    #[track_caller]
    pub fn set_poll_waker(&mut self, waker: impl Fn() + Send + Sync + 'static) {
        self.core.wake.set_poll_waker(Box::new(waker));
    }

    /// Runs the handler of every [`Waker`] woken since the last call, as
    /// `handler(stakker, false)`, and makes the final `handler(stakker, true)` call for every
    /// `Waker` dropped since then (after which that handler is dropped). Handlers run in order
    /// of waker index (deterministic, but not creation order once indices are reused). Every
    /// wake and drop that returned before this call began is handled by it; one call runs a
    /// handler at most once. Marks set while handlers run wait for the next call (and call
    /// the poll waker again).
    ///
    /// Must be called on the runtime's thread, typically queued by the host when its poll
    /// waker fires. Does nothing if no poll waker is set, without the `inter-thread` feature,
    /// or when called from inside a handler.
    ///
    /// # Panics
    ///
    /// A panic in a handler passes through. The handler stays registered (a final call's
    /// handler is dropped), and every waker not yet served is marked again, so the next
    /// `poll_wake` serves it.
    pub fn poll_wake(&mut self) {
        #[cfg(feature = "inter-thread")]
        {
            let Some(table) = self.core.wake.table.as_mut() else {
                return;
            };
            if table.polling {
                return;
            }
            let mut events = core::mem::take(&mut table.events);
            events.clear();
            table.hub.collect(&table.leaves, &mut events);
            if events.is_empty() {
                table.events = events;
                return;
            }
            table.polling = true;
            let mut round = PollRound {
                s: self,
                events,
                next: 0,
                current: None,
            };
            round.run();
        }
    }
}

/// One `poll_wake` serving its collected events. Its `Drop` restores the table (also when a
/// handler panics).
#[cfg(feature = "inter-thread")]
struct PollRound<'a> {
    s: &'a mut Stakker,
    events: Vec<usize>,
    next: usize,
    /// The handler running now: its index, whether this is its final call, and the handler.
    current: Option<(usize, bool, Handler)>,
}

#[cfg(feature = "inter-thread")]
impl PollRound<'_> {
    fn table(&mut self) -> &mut Table {
        // Only `set_poll_waker` creates the table and nothing removes it.
        self.s.core.wake.table.as_mut().expect("wake table")
    }

    fn run(&mut self) {
        while let Some(&event) = self.events.get(self.next) {
            self.next += 1;
            let (index, last) = (event >> 1, event & 1 != 0);
            let Some(handler) = self.table().handlers.get_mut(index).and_then(Option::take) else {
                continue;
            };
            let PollRound { s, current, .. } = self;
            let (_, _, handler) = current.insert((index, last, handler));
            handler(s, last);
            if let Some(done) = self.current.take() {
                self.finish(done);
            }
        }
    }

    /// Puts the handler back, or after its final call drops it and frees its index.
    fn finish(&mut self, (index, last, handler): (usize, bool, Handler)) {
        let table = self.table();
        if last {
            table.free.push(index as u32);
            drop(handler);
        } else {
            table.handlers[index] = Some(handler);
        }
    }
}

#[cfg(feature = "inter-thread")]
impl Drop for PollRound<'_> {
    fn drop(&mut self) {
        if let Some(done) = self.current.take() {
            // A handler panicked: its call counts as made.
            self.finish(done);
        }
        let mut events = core::mem::take(&mut self.events);
        let next = self.next;
        let table = self.table();
        for &event in &events[next..] {
            table.remark(event);
        }
        events.clear();
        // Keep the buffer unless a storm made it huge.
        if events.capacity() <= 4096 {
            table.events = events;
        }
        table.polling = false;
    }
}

impl Core {
    /// Registers a wake handler and returns the [`Waker`] that triggers it from any thread.
    /// The handler runs inside [`Stakker::poll_wake`] as `cb(stakker, false)` after one or
    /// more wakes, and once as `cb(stakker, true)` after the `Waker` is dropped (which stands
    /// for any unhandled wake too); then it is dropped. It may be called spuriously and must
    /// cope.
    ///
    /// # Panics
    ///
    /// If no poll waker has been set with [`Stakker::set_poll_waker`], if about 2^20 (32-bit)
    /// or 2^24 (64-bit) wakers are already live, and always without the `inter-thread`
    /// feature; each message names the cause.
    #[track_caller]
    pub fn waker(&mut self, cb: impl FnMut(&mut Stakker, bool) + 'static) -> Waker {
        #[cfg(feature = "inter-thread")]
        {
            let Some(table) = self.wake.table.as_mut() else {
                panic!(
                    "Core::waker: no poll waker is set; the host must call \
                     Stakker::set_poll_waker before any Waker (or Channel, PipedThread) is created"
                );
            };
            let index = table.alloc();
            table.handlers[index] = Some(Box::new(cb));
            Waker {
                inner: WakerInner {
                    leaf: table.leaves[index / PER_LEAF].clone(),
                    pos: (index % PER_LEAF) as u32,
                },
            }
        }
        #[cfg(not(feature = "inter-thread"))]
        {
            drop(cb);
            panic!(
                "Core::waker: cross-thread wakers need the `inter-thread` feature of \
                 stakker-core, which is disabled; enable it in Cargo.toml"
            );
        }
    }
}
