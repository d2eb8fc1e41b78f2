//! Timer store: the mechanism behind fixed, Max and Min timers.
//!
//! This module knows nothing of actors or of `Instant`: due times are plain `u64` nanoseconds
//! and payloads are a generic `T`. The runtime wraps [`Timers`] and [`TimerKey`] in its public
//! timer API; the policy (rounding, "never in the run that added it") lives there.
//!
//! # Design
//!
//! - **Slots.** Each timer lives in a slot of a `Vec` (its payload, due time, kind, creation
//!   sequence number). Free slots form an intrusive free list and are reused, so once the store
//!   has grown no allocation happens per timer. A [`TimerKey`] is the slot index plus the slot's
//!   generation, which starts at 1 and is bumped whenever the slot is freed: the all-zero
//!   `Default` key never matches, and a key whose timer fired or was deleted never touches the
//!   slot's next occupant. A slot whose generation would wrap is retired instead of reused.
//! - **Heap.** Pending due times sit in a 4-ary min-heap of 16-byte entries
//!   `(due, seq << 32 | slot)`, compared as one `u128`: due-time order, ties in creation order
//!   (`seq` is a per-store counter, never an address or hash). Four children of 16 bytes are
//!   one cache line, and the tree is half as deep as a binary heap.
//! - **Lazy deletion.** Deleting a timer only frees its slot; its heap entry becomes stale and
//!   is dropped when it reaches the top (an entry is live only if its slot is occupied by the
//!   timer with the same `seq`). The top entry is never stale (every operation that can expose
//!   a stale top cleans it), so [`Timers::next_expiry`] is a plain read. When stale entries
//!   outnumber live timers the heap is compacted in place (filter, then heapify), so deletion
//!   is amortised O(1) and the heap holds at most about twice the live timers.
//! - **Max timers** store a later due time in the slot only ([`Timers::max_upd`] is O(1), no
//!   heap work). The old entry becomes a *checkpoint*: when it reaches the top and is due,
//!   [`Timers::expire`] re-inserts the timer at its current due time instead of firing it.
//!   Checkpoints are the only way [`Timers::next_expiry`] can be earlier than a real due time.
//! - **Min timers** push a new, earlier entry on [`Timers::min_upd`] (O(1) on average for
//!   small changes); the old entry goes stale.
//! - **Sequence numbers** are 32 bits. Before the counter would wrap, the live entries are
//!   sorted and renumbered `0..n` in their current order, so creation order among ties is kept
//!   for ever (cost O(n log n) once per ~4 billion timers).
//!
//! Why not a `BTreeMap` (the original) or a hierarchical wheel: with a throwaway benchmark of
//! 1,000,000 timers at random due times within 10 s, half deleted, the rest fired by advancing
//! virtual time in 1 ms steps, this heap took about a sixth of the time of a
//! `BTreeMap<(u64, u64), T>`; it costs nothing per timer beyond two vector slots, keeps exact
//! nanosecond due times over the whole `u64` range without re-queueing far timers, and fires
//! strictly in deadline order, which a wheel only gives after sorting each bucket.

use alloc::vec::Vec;

#[cfg(test)]
mod tests;

/// Free-list terminator and the one slot index that is never used.
const NONE: u32 = u32::MAX;

/// Stale heap entries tolerated regardless of the number of live timers.
const COMPACT_MIN: usize = if cfg!(test) { 8 } else { 256 };

/// Identifies one timer: slot index plus that slot's generation (8 bytes).
///
/// The `Default` (all-zero) key never matches a timer, because generations start at 1.
#[derive(Copy, Clone, PartialEq, Eq, Default, Debug)]
pub(crate) struct TimerKey {
    idx: u32,
    generation: u32,
}

/// The three kinds of timer; a key only works with the calls for its own kind.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum Kind {
    Fixed,
    Max,
    Min,
}

/// One timer, or a free slot when `payload` is `None`.
struct Slot<T> {
    /// When the timer fires. For a Max timer its heap entry may be earlier (a checkpoint).
    due: u64,
    /// Matches the key of the current occupant; bumped on free.
    generation: u32,
    /// Occupied: the creation sequence number. Free: the next free slot, or `NONE`.
    link: u32,
    /// Which calls the key works with.
    kind: Kind,
    /// The payload; `None` for a free slot.
    payload: Option<T>,
}

/// A heap entry: due time, then `seq << 32 | slot index`.
#[derive(Copy, Clone, Debug)]
struct Entry {
    due: u64,
    ord: u64,
}

impl Entry {
    #[inline]
    fn new(due: u64, seq: u32, idx: u32) -> Self {
        Self {
            due,
            ord: (u64::from(seq) << 32) | u64::from(idx),
        }
    }

    /// Sort key: due time, ties by creation sequence (the slot index never decides).
    #[inline]
    fn key(self) -> u128 {
        (u128::from(self.due) << 64) | u128::from(self.ord)
    }

    #[inline]
    fn seq(self) -> u32 {
        (self.ord >> 32) as u32
    }

    #[inline]
    fn idx(self) -> u32 {
        self.ord as u32
    }
}

/// What a heap entry means right now.
enum State {
    /// The timer is gone, or this is an old entry of a Min timer.
    Stale,
    /// A Max timer whose due time moved later, to the given time.
    Checkpoint(u64),
    /// The timer's current entry.
    Current,
}

#[inline]
fn state<T>(slots: &[Slot<T>], e: Entry) -> State {
    let slot = &slots[e.idx() as usize];
    if slot.payload.is_none() || slot.link != e.seq() {
        State::Stale
    } else if slot.due == e.due {
        State::Current
    } else if slot.due > e.due {
        State::Checkpoint(slot.due)
    } else {
        State::Stale
    }
}

/// Timer store: payloads of type `T` due at `u64` times, fired in due-time order.
pub(crate) struct Timers<T> {
    /// 4-ary min-heap by `Entry::key`; the top entry is never stale.
    heap: Vec<Entry>,
    slots: Vec<Slot<T>>,
    /// Head of the free-slot list, or `NONE`.
    free: u32,
    /// Number of live timers (each has exactly one non-stale heap entry).
    live: usize,
    /// Sequence number for the next timer created.
    next_seq: u32,
}

impl<T> Default for Timers<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Timers<T> {
    /// An empty store; allocates nothing until the first timer.
    pub(crate) const fn new() -> Self {
        Self {
            heap: Vec::new(),
            slots: Vec::new(),
            free: NONE,
            live: 0,
            next_seq: 0,
        }
    }

    /// Number of live timers (added, not fired, not deleted).
    pub(crate) fn len(&self) -> usize {
        self.live
    }

    /// Adds a fixed timer due at `due`.
    pub(crate) fn add(&mut self, due: u64, payload: T) -> TimerKey {
        self.insert(due, Kind::Fixed, payload)
    }

    /// Deletes a fixed timer, returning its payload; `None` if it fired, was deleted, or the
    /// key is `Default`.
    pub(crate) fn del(&mut self, key: TimerKey) -> Option<T> {
        self.remove(key, Kind::Fixed)
    }

    /// Adds a Max timer due at `due`.
    pub(crate) fn max_add(&mut self, due: u64, payload: T) -> TimerKey {
        self.insert(due, Kind::Max, payload)
    }

    /// Moves a Max timer's due time to the later of its current one and `due`. O(1): the heap
    /// is not touched. `false` if the timer no longer exists.
    pub(crate) fn max_upd(&mut self, key: TimerKey, due: u64) -> bool {
        match self.find(key, Kind::Max) {
            Some(i) => {
                let slot = &mut self.slots[i];
                slot.due = slot.due.max(due);
                true
            }
            None => false,
        }
    }

    /// Deletes a Max timer, returning its payload; `None` if it no longer exists.
    pub(crate) fn max_del(&mut self, key: TimerKey) -> Option<T> {
        self.remove(key, Kind::Max)
    }

    /// `true` while the Max timer exists (added, not fired, not deleted).
    pub(crate) fn max_active(&self, key: TimerKey) -> bool {
        self.find(key, Kind::Max).is_some()
    }

    /// Adds a Min timer due at `due`.
    pub(crate) fn min_add(&mut self, due: u64, payload: T) -> TimerKey {
        self.insert(due, Kind::Min, payload)
    }

    /// Moves a Min timer's due time to the earlier of its current one and `due`. `false` if
    /// the timer no longer exists.
    pub(crate) fn min_upd(&mut self, key: TimerKey, due: u64) -> bool {
        let Some(i) = self.find(key, Kind::Min) else {
            return false;
        };
        let slot = &mut self.slots[i];
        if due < slot.due {
            slot.due = due;
            let e = Entry::new(due, slot.link, i as u32);
            // The new entry is earlier than the old one, so it, not a stale entry, can be the top.
            self.push(e);
            self.maybe_compact();
        }
        true
    }

    /// Deletes a Min timer, returning its payload; `None` if it no longer exists.
    pub(crate) fn min_del(&mut self, key: TimerKey) -> Option<T> {
        self.remove(key, Kind::Min)
    }

    /// `true` while the Min timer exists (added, not fired, not deleted).
    pub(crate) fn min_active(&self, key: TimerKey) -> bool {
        self.find(key, Kind::Min).is_some()
    }

    /// When [`Self::expire`] next has work: `None` if no timers exist. Exactly the earliest
    /// due time, except that a Max timer whose due time moved later may show up earlier (a
    /// checkpoint; expiring at it makes progress).
    pub(crate) fn next_expiry(&self) -> Option<u64> {
        self.heap.first().map(|e| e.due)
    }

    /// Removes every timer due at or before `now` and hands the payloads to `sink` in due-time
    /// order, ties in creation order. Max timers whose due time moved later are re-inserted.
    pub(crate) fn expire(&mut self, now: u64, mut sink: impl FnMut(T)) {
        while let Some(&top) = self.heap.first() {
            match state(&self.slots, top) {
                State::Stale => self.pop(),
                _ if top.due > now => break,
                State::Checkpoint(due) => {
                    self.heap[0].due = due;
                    sift_down(&mut self.heap, 0);
                }
                State::Current => {
                    self.pop();
                    let payload = self.release(top.idx());
                    // All bookkeeping is done: a panicking sink leaves the store consistent.
                    sink(payload);
                }
            }
        }
    }

    /// Index of the live slot `key` names, if it is of `kind`.
    #[inline]
    fn find(&self, key: TimerKey, kind: Kind) -> Option<usize> {
        let i = key.idx as usize;
        let slot = self.slots.get(i)?;
        (slot.generation == key.generation && slot.kind == kind && slot.payload.is_some())
            .then_some(i)
    }

    fn insert(&mut self, due: u64, kind: Kind, payload: T) -> TimerKey {
        let seq = self.take_seq();
        let idx = if self.free != NONE {
            let idx = self.free;
            let slot = &mut self.slots[idx as usize];
            self.free = slot.link;
            slot.due = due;
            slot.link = seq;
            slot.kind = kind;
            slot.payload = Some(payload);
            idx
        } else {
            let idx = match u32::try_from(self.slots.len()) {
                Ok(i) if i != NONE => i,
                _ => panic!("too many timers"),
            };
            self.slots.push(Slot {
                due,
                generation: 1,
                link: seq,
                kind,
                payload: Some(payload),
            });
            idx
        };
        self.live += 1;
        self.push(Entry::new(due, seq, idx));
        TimerKey {
            idx,
            generation: self.slots[idx as usize].generation,
        }
    }

    fn remove(&mut self, key: TimerKey, kind: Kind) -> Option<T> {
        let i = self.find(key, kind)?;
        let payload = self.release(i as u32);
        self.clean_top();
        self.maybe_compact();
        Some(payload)
    }

    /// Frees a live slot and returns its payload; its heap entries become stale.
    fn release(&mut self, idx: u32) -> T {
        let slot = &mut self.slots[idx as usize];
        let payload = slot.payload.take().expect("timer slot not live");
        if slot.generation != u32::MAX {
            slot.generation += 1;
            slot.link = self.free;
            self.free = idx;
        }
        self.live -= 1;
        payload
    }

    fn take_seq(&mut self) -> u32 {
        if self.next_seq == u32::MAX {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Gives the live timers sequence numbers `0..n` in their current firing order.
    #[cold]
    fn renumber(&mut self) {
        self.purge();
        self.heap.sort_unstable_by_key(|e| e.key());
        for (i, e) in self.heap.iter_mut().enumerate() {
            let seq = u32::try_from(i).expect("too many timers");
            self.slots[e.idx() as usize].link = seq;
            *e = Entry::new(e.due, seq, e.idx());
        }
        // A sorted array is a valid heap.
        self.next_seq = u32::try_from(self.heap.len())
            .ok()
            .filter(|&n| n != u32::MAX)
            .expect("too many timers");
    }

    fn push(&mut self, e: Entry) {
        let i = self.heap.len();
        self.heap.push(e);
        sift_up(&mut self.heap, i);
    }

    /// Removes the top entry.
    fn pop(&mut self) {
        if let Some(last) = self.heap.pop() {
            if !self.heap.is_empty() {
                self.heap[0] = last;
                sift_down(&mut self.heap, 0);
            }
        }
    }

    /// Pops stale entries until the top is live (or the heap is empty).
    fn clean_top(&mut self) {
        while let Some(&top) = self.heap.first() {
            match state(&self.slots, top) {
                State::Stale => self.pop(),
                _ => break,
            }
        }
    }

    fn maybe_compact(&mut self) {
        let stale = self.heap.len() - self.live;
        if stale > COMPACT_MIN && stale > self.live {
            self.purge();
            heapify(&mut self.heap);
        }
    }

    /// Drops stale entries and resolves checkpoints; leaves the heap order broken.
    fn purge(&mut self) {
        let slots = &self.slots;
        self.heap.retain_mut(|e| match state(slots, *e) {
            State::Stale => false,
            State::Checkpoint(due) => {
                e.due = due;
                true
            }
            State::Current => true,
        });
    }
}

/// Moves `heap[i]` up to its place.
#[inline]
fn sift_up(heap: &mut [Entry], mut i: usize) {
    let e = heap[i];
    let k = e.key();
    while i > 0 {
        let p = (i - 1) / 4;
        if heap[p].key() <= k {
            break;
        }
        heap[i] = heap[p];
        i = p;
    }
    heap[i] = e;
}

/// Moves `heap[i]` down to its place.
#[inline]
fn sift_down(heap: &mut [Entry], mut i: usize) {
    let n = heap.len();
    let e = heap[i];
    let k = e.key();
    loop {
        let first = 4 * i + 1;
        if first >= n {
            break;
        }
        let kids = &heap[first..n.min(first + 4)];
        let mut m = 0;
        let mut mk = kids[0].key();
        for (j, c) in kids.iter().enumerate().skip(1) {
            let ck = c.key();
            if ck < mk {
                m = j;
                mk = ck;
            }
        }
        if k <= mk {
            break;
        }
        heap[i] = kids[m];
        i = first + m;
    }
    heap[i] = e;
}

/// Restores the heap order of the whole array in O(n).
fn heapify(heap: &mut [Entry]) {
    if heap.len() > 1 {
        for i in (0..=(heap.len() - 2) / 4).rev() {
            sift_down(heap, i);
        }
    }
}
