//! The lock-free half of the `Waker` machinery: a four-level atomic bitmap shared between the
//! threads that wake and the runtime thread that collects. See the `sync` module docs for the
//! algorithm and the argument that no wake is lost; the loom model at the bottom checks it.
//!
//! Layout, with `FAN` = bits per machine word (64 or 32):
//!
//! - a [`Leaf`] holds the marks of `FAN * FAN` wakers: `woken[w]` and `dropped[w]` (one bit per
//!   waker) and `summary` (bit `w`: word `w` of either array may be non-zero). Leaves are
//!   allocated one at a time as wakers are created, so a runtime with few wakers uses a few
//!   hundred bytes;
//! - the [`Hub`] holds `mids[m]` (bit `l`: leaf `m * FAN + l` may have marks), `top` (bit `m`:
//!   `mids[m]` may be non-zero), the `pending` flag and the host's poll waker.
//!
//! Capacity is `FAN^4` wakers: 2^24 with 64-bit words, 2^20 with 32-bit words.

// `loom` is set only by `RUSTFLAGS="--cfg loom"` for the model below (a check-cfg entry would
// need the workspace manifest or a build script).
#![allow(unexpected_cfgs)]

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::Ordering::SeqCst;

#[cfg(all(loom, test))]
use loom::sync::atomic::{AtomicBool, AtomicUsize};

#[cfg(not(all(loom, test)))]
use core::sync::atomic::{AtomicBool, AtomicUsize};

/// Bits per bitmap word (and children per tree node). Tiny under loom, so that a model with a
/// handful of wakers already spans several leaves and mids.
pub(crate) const FAN: usize = if cfg!(all(loom, test)) {
    2
} else {
    usize::BITS as usize
};

/// Wakers per leaf.
pub(crate) const PER_LEAF: usize = FAN * FAN;

/// Most wakers that can be live at once.
pub(crate) const CAPACITY: usize = PER_LEAF.saturating_mul(FAN * FAN);

/// The host's wake function.
pub(crate) type PollWaker = Box<dyn Fn() + Send + Sync>;

/// The top of the tree, shared by every leaf of one runtime.
pub(crate) struct Hub {
    /// Set by the first mark of a quiet period (which then calls the poll waker); cleared by
    /// the collector before it scans.
    pending: AtomicBool,
    /// Set when the runtime is dropped: marks are still accepted, but the poll waker is no
    /// longer called.
    closed: AtomicBool,
    /// Bit `m`: `mids[m]` may be non-zero.
    top: AtomicUsize,
    /// Bit `l` of `mids[m]`: leaf `m * FAN + l` may hold marks.
    mids: [AtomicUsize; FAN],
    poll_waker: PollWaker,
}

impl Hub {
    pub(crate) fn new(poll_waker: PollWaker) -> Self {
        Self {
            pending: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            top: AtomicUsize::new(0),
            mids: core::array::from_fn(|_| AtomicUsize::new(0)),
            poll_waker,
        }
    }

    /// Stops calls of the poll waker (the runtime is gone).
    pub(crate) fn close(&self) {
        self.closed.store(true, SeqCst);
    }

    /// Takes every mark set so far, appending `index << 1 | dropped` to `out` for each marked
    /// waker, in index order. `leaves[n]` must be leaf number `n`.
    ///
    /// Clears `pending` first and then swaps each word to zero top-down, so a mark set
    /// concurrently is either taken now or leaves `pending` clear for its setter, who then
    /// calls the poll waker again.
    pub(crate) fn collect(&self, leaves: &[Arc<Leaf>], out: &mut Vec<usize>) {
        self.pending.swap(false, SeqCst);
        let mut top = self.top.swap(0, SeqCst);
        while top != 0 {
            let m = top.trailing_zeros() as usize;
            top &= top - 1;
            let mut mid = self.mids[m].swap(0, SeqCst);
            while mid != 0 {
                let l = mid.trailing_zeros() as usize;
                mid &= mid - 1;
                if let Some(leaf) = leaves.get(m * FAN + l) {
                    leaf.collect(out);
                }
            }
        }
    }
}

/// Marks of `FAN * FAN` wakers. Each `Waker` holds an `Arc` of its leaf.
pub(crate) struct Leaf {
    hub: Arc<Hub>,
    /// Leaf number: this leaf's wakers have indices `number * PER_LEAF ..`.
    number: usize,
    /// Bit `w`: `woken[w]` or `dropped[w]` may be non-zero.
    summary: AtomicUsize,
    woken: [AtomicUsize; FAN],
    dropped: [AtomicUsize; FAN],
}

impl Leaf {
    pub(crate) fn new(hub: Arc<Hub>, number: usize) -> Self {
        Self {
            hub,
            number,
            summary: AtomicUsize::new(0),
            woken: core::array::from_fn(|_| AtomicUsize::new(0)),
            dropped: core::array::from_fn(|_| AtomicUsize::new(0)),
        }
    }

    /// Leaf number: this leaf's wakers have indices `number * PER_LEAF ..`.
    pub(crate) fn number(&self) -> usize {
        self.number
    }

    /// Marks waker `pos` of this leaf as woken. If it already was (and not yet collected) this
    /// is the whole cost: one `fetch_or`.
    #[inline]
    pub(crate) fn wake(&self, pos: usize) {
        let (w, bit) = (pos / FAN, 1 << (pos % FAN));
        if self.woken[w].fetch_or(bit, SeqCst) & bit == 0 {
            self.propagate(w);
        }
    }

    /// Marks waker `pos` of this leaf as dropped (done once per waker).
    pub(crate) fn mark_dropped(&self, pos: usize) {
        let (w, bit) = (pos / FAN, 1 << (pos % FAN));
        self.dropped[w].fetch_or(bit, SeqCst);
        self.propagate(w);
    }

    /// Sets the summary bits above word `w`, bottom-up, then calls the poll waker if this is
    /// the first mark since the collector last cleared `pending`.
    ///
    /// Every new mark walks all the way up (three more `fetch_or`s): stopping early because a
    /// summary bit was already set would let this call return while the waker that set it is
    /// still on its way up, and the collector could then miss a wake that had returned.
    #[inline(never)]
    fn propagate(&self, w: usize) {
        self.summary.fetch_or(1 << w, SeqCst);
        let hub = &*self.hub;
        let (m, l) = (self.number / FAN, self.number % FAN);
        hub.mids[m].fetch_or(1 << l, SeqCst);
        hub.top.fetch_or(1 << m, SeqCst);
        // The load keeps the cache line shared during a wake storm; only the first mark of a
        // quiet period does the swap.
        if !hub.pending.load(SeqCst) && !hub.pending.swap(true, SeqCst) && !hub.closed.load(SeqCst)
        {
            (hub.poll_waker)();
        }
    }

    /// Takes the marks of this leaf (called by `Hub::collect` once the bit for this leaf in
    /// its mid word has been swapped out).
    fn collect(&self, out: &mut Vec<usize>) {
        let base = self.number * PER_LEAF;
        let mut summary = self.summary.swap(0, SeqCst);
        while summary != 0 {
            let w = summary.trailing_zeros() as usize;
            summary &= summary - 1;
            // `dropped` before `woken`: a waker's wakes all return before its drop begins, so
            // once the dropped bit is seen, the woken bit taken next is final and nothing is
            // left behind to leak onto a later owner of the index.
            let dropped = self.dropped[w].swap(0, SeqCst);
            let woken = self.woken[w].swap(0, SeqCst);
            let mut any = dropped | woken;
            while any != 0 {
                let b = any.trailing_zeros() as usize;
                any &= any - 1;
                let index = base + w * FAN + b;
                out.push(index << 1 | (dropped >> b & 1));
            }
        }
    }
}

#[cfg(all(loom, test))]
mod loom_model {
    //! Model of the wake/collect protocol, run by
    //! `RUSTFLAGS="--cfg loom" cargo test -p stakker-core --release --lib loom`.
    //!
    //! The host is modelled faithfully: the poll waker only counts its calls, one collection
    //! (a `poll_wake`) races with the waking threads, and afterwards the host runs one more
    //! collection for each poll-waker call made after the racing collection began, and no
    //! other. Every wake must turn up in some collection.

    use super::*;
    use loom::sync::atomic::AtomicUsize as LoomUsize;
    use loom::thread;

    struct Model {
        hub: Arc<Hub>,
        leaves: Vec<Arc<Leaf>>,
        polls: Arc<LoomUsize>,
    }

    impl Model {
        /// Four leaves (16 wakers with `FAN == 2`, spread over two mids).
        fn new() -> Self {
            let polls = Arc::new(LoomUsize::new(0));
            let p = polls.clone();
            let hub = Arc::new(Hub::new(Box::new(move || {
                p.fetch_add(1, SeqCst);
            })));
            let leaves = (0..4)
                .map(|n| Arc::new(Leaf::new(hub.clone(), n)))
                .collect();
            Model { hub, leaves, polls }
        }

        fn leaf_of(&self, index: usize) -> (Arc<Leaf>, usize) {
            (self.leaves[index / PER_LEAF].clone(), index % PER_LEAF)
        }

        /// One `poll_wake`: returns the poll-waker calls it serves and what it collected.
        fn collect(&self) -> (usize, Vec<usize>) {
            let served = self.polls.load(SeqCst);
            let mut out = Vec::new();
            self.hub.collect(&self.leaves, &mut out);
            let mut sorted = out.clone();
            sorted.dedup_by_key(|e| *e >> 1);
            assert_eq!(
                sorted.len(),
                out.len(),
                "one collection reports a waker twice"
            );
            (served, out)
        }

        /// The host after the threads are done: one collection per unserved poll-waker call.
        fn drain(&self, mut served: usize) -> Vec<Vec<usize>> {
            let mut rounds = Vec::new();
            while self.polls.load(SeqCst) > served {
                let (s, out) = self.collect();
                served = s;
                rounds.push(out);
            }
            rounds
        }
    }

    /// Runs `a` and `b` on two threads while one collection races with them, then lets the
    /// host serve the remaining poll-waker calls. Checks that each collection reports a waker
    /// at most once and that a thread's marks that were complete before the racing collection
    /// began are in it. Returns the collections in order.
    fn race(
        m: &Model,
        a: (usize, fn(&Leaf, usize)),
        b: (usize, fn(&Leaf, usize)),
    ) -> Vec<Vec<usize>> {
        let spawn = |(index, op): (usize, fn(&Leaf, usize))| {
            let (leaf, pos) = m.leaf_of(index);
            let done = Arc::new(LoomUsize::new(0));
            let d = done.clone();
            let t = thread::spawn(move || {
                op(&leaf, pos);
                d.store(1, SeqCst);
            });
            (index, done, t)
        };
        let threads = [spawn(a), spawn(b)];
        let returned: Vec<usize> = threads
            .iter()
            .filter(|(_, done, _)| done.load(SeqCst) == 1)
            .map(|(index, _, _)| *index)
            .collect();
        let (served, first) = m.collect();
        for index in returned {
            assert!(
                first.iter().any(|e| e >> 1 == index),
                "marks of {index} were complete before the collection began but it missed them"
            );
        }
        for (_, _, t) in threads {
            t.join().unwrap();
        }
        let mut rounds = alloc::vec![first];
        rounds.extend(m.drain(served));
        rounds
    }

    fn flat(rounds: &[Vec<usize>]) -> Vec<usize> {
        rounds.iter().flatten().copied().collect()
    }

    fn wake(leaf: &Leaf, pos: usize) {
        leaf.wake(pos);
    }

    fn wake_twice(leaf: &Leaf, pos: usize) {
        leaf.wake(pos);
        leaf.wake(pos);
    }

    fn wake_then_drop(leaf: &Leaf, pos: usize) {
        leaf.wake(pos);
        leaf.mark_dropped(pos);
    }

    /// Two threads wake wakers in different leaves and mids while a collection runs: no wake
    /// is lost.
    #[test]
    fn loom_two_wakers_one_collector() {
        loom::model(|| {
            let m = Model::new();
            let all = flat(&race(&m, (1, wake), (13, wake)));
            assert!(all.contains(&(1 << 1)), "wake of 1 lost: {all:?}");
            assert!(all.contains(&(13 << 1)), "wake of 13 lost: {all:?}");
        });
    }

    /// Two threads wake wakers sharing one word, so one of them finds the word non-zero.
    #[test]
    fn loom_same_word() {
        loom::model(|| {
            let m = Model::new();
            let all = flat(&race(&m, (4, wake), (5, wake_twice)));
            assert!(all.contains(&(4 << 1)), "wake of 4 lost: {all:?}");
            assert!(all.contains(&(5 << 1)), "wake of 5 lost: {all:?}");
        });
    }

    /// One thread wakes and then drops its waker while another wakes a second one (`other`):
    /// the drop is reported exactly once, and no plain wake of the dropped waker is reported
    /// after it (so no stale mark reaches the waker that reuses the index).
    fn wake_then_drop_with(other: usize) {
        loom::model(move || {
            let m = Model::new();
            let rounds = race(&m, (2, wake_then_drop), (other, wake));
            let all = flat(&rounds);
            assert_eq!(all.iter().filter(|&&e| e == (2 << 1 | 1)).count(), 1);
            let at = rounds
                .iter()
                .position(|r| r.contains(&(2 << 1 | 1)))
                .unwrap();
            for r in &rounds[at + 1..] {
                assert!(
                    !r.iter().any(|e| e >> 1 == 2),
                    "waker 2 reported after its drop"
                );
            }
            assert!(all.contains(&(other << 1)), "wake of {other} lost: {all:?}");
        });
    }

    /// The second waker in another leaf and mid.
    #[test]
    fn loom_wake_then_drop() {
        wake_then_drop_with(9);
    }

    /// The second waker in the same word, so the collector can reach the word while the first
    /// is between its wake and its drop.
    #[test]
    fn loom_wake_then_drop_same_word() {
        wake_then_drop_with(3);
    }
}
