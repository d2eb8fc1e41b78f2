//! The timer wheel: the store behind fixed, Max and Min timers.
//!
//! This module knows nothing of actors or of `Instant`: due times are plain `u64` nanoseconds
//! and payloads are a generic `T`. The runtime wraps [`Timers`] and [`TimerKey`] in its public
//! timer API; the policy (rounding, "never in the run that added it") lives there.
//!
//! # Design
//!
//! - **Timer slots.** Each timer lives in a slot of a `Vec` (payload, due time, kind), with
//!   its creation sequence number in a parallel `Vec<u32>` of *tags* (`NONE` when free). Free
//!   slot indices are kept on a stack (not an intrusive list, whose pointer chasing costs a
//!   cache miss per add in a big store) and reused, so once the store has grown nothing is
//!   allocated per timer. A [`TimerKey`] is the slot index plus the slot's generation, which
//!   starts at 1 and is bumped whenever the slot is freed: the all-zero `Default` key never
//!   matches, and a key whose timer fired or was deleted never touches the slot's next
//!   occupant. A slot whose generation would wrap is retired instead of reused.
//! - **Entries.** The schedule holds 16-byte entries `(due, seq << 32 | slot)`, ordered as one
//!   `u128`: due time, ties by creation sequence number (a per-store counter, never an address
//!   or hash). An entry is *stale* once its slot's tag no longer equals its `seq` (the timer
//!   fired or was deleted), or when it is the older entry of a Min timer. Deletion is lazy: it
//!   only frees the slot. When a deletion leaves more stale entries than live timers they are
//!   purged in one pass, so deletion is amortised O(1) and entries stay bounded by about twice
//!   the live timers.
//! - **Radix wheel.** Entries at or after `base` sit in a 64-ary radix wheel: 11 levels of 64
//!   buckets (unsorted `Vec`s) plus an occupancy bitmap per level. An entry's level is the
//!   highest 6-bit digit in which its due time differs from `base`, its bucket that digit of the
//!   due time; so the lowest occupied bucket holds the earliest entries. Adding is O(1) (one
//!   push), and there is no limit on the range: any `u64` due time is exact.
//! - **Front heap.** Entries before `base` sit in a small 4-ary min-heap, which is what
//!   [`Timers::next_expiry`] and [`Timers::expire`] read. When it is empty the lowest occupied
//!   bucket is either taken whole into the heap (if it is a level-0 bucket or holds at most
//!   `PULL_MAX` entries; stale entries are dropped on the way and `base` moves past the
//!   largest due time taken), or split one level down by moving `base` to the bucket's start.
//!   So each entry is moved a few times (about `log64` of its distance), sequentially and in
//!   cache, instead of paying a cache-missing heap walk on a big heap. Refilling happens
//!   lazily, in [`Timers::next_expiry`] and [`Timers::expire`] (hence `&mut self`), and may
//!   move `base` ahead of the current time; adding a timer before `base` pushes onto the heap.
//!   If the heap grows large that way (a far timer was the earliest, then many nearer ones
//!   came), `base` is lowered to just after the latest `now` given to `expire` and the heap is
//!   moved back into the wheel, amortised O(1). Bucket `Vec`s keep their capacity.
//! - **Max timers** store a later due time in the slot only ([`Timers::max_upd`] is O(1), no
//!   other work). The old entry becomes a *checkpoint*: when it comes due, [`Timers::expire`]
//!   re-inserts the timer at its current due time instead of firing it. Checkpoints are the only
//!   way [`Timers::next_expiry`] can be earlier than a real due time: it is exact for fixed and
//!   Min timers.
//! - **Min timers** insert a new, earlier entry on [`Timers::min_upd`] (O(1) unless it lands in
//!   the front heap); the old entry goes stale.
//! - **Sequence numbers** are 32 bits. Before the counter would wrap, the live timers are
//!   renumbered `0..n` in their current order, so creation order among ties holds for ever
//!   (cost O(n log n) once per ~4 billion timers).
//!
//! Why this and not a `BTreeMap` (the original) or a plain heap: in a big store both pay a
//! cache miss per step of every pop, while the wheel moves each entry a few times, in cache
//! (the measurements are in `docs/BENCHMARKS.md`, "What the profiles showed"). Unlike a classic
//! timer wheel it keeps exact nanosecond order and an exact next expiry, because only the small
//! front heap is ever ordered.

use alloc::vec::Vec;
use core::mem;

#[cfg(test)]
mod tests;

/// Free-slot tag, and the one slot index that is never used.
const NONE: u32 = u32::MAX;

/// Bits per wheel digit.
const DIGIT: u32 = 6;

/// Buckets per wheel level.
const BUCKETS: usize = 1 << DIGIT;

/// Wheel levels needed to cover 64 bits.
const LEVELS: usize = 64_usize.div_ceil(DIGIT as usize);

// The three tuning constants below are tiny under test, so the model test reaches every path.

/// A bucket this small (or any level-0 bucket) is moved whole into the front heap.
const PULL_MAX: usize = if cfg!(test) { 4 } else { 64 };

/// Stale entries tolerated regardless of the number of live timers.
const COMPACT_MIN: usize = if cfg!(test) { 8 } else { 256 };

/// Front-heap growth tolerated before it is moved back into the wheel.
const REBALANCE_MIN: usize = if cfg!(test) { 8 } else { 256 };

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
struct Timer<T> {
    /// When the timer fires. For a Max timer its entry may be earlier (a checkpoint).
    due: u64,
    /// Matches the key of the current occupant; bumped on free.
    generation: u32,
    /// Which calls the key works with.
    kind: Kind,
    /// The payload; `None` for a free slot.
    payload: Option<T>,
}

/// A schedule entry: due time, then `seq << 32 | slot index`.
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

/// What an entry means right now.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
enum State {
    /// The timer is gone, or this is an old entry of a Min timer.
    Stale,
    /// A Max timer whose due time moved later, to the given time.
    Checkpoint(u64),
    /// The timer's current entry.
    Current,
}

#[inline]
fn state<T>(tags: &[u32], timers: &[Timer<T>], e: Entry) -> State {
    let i = e.idx() as usize;
    if tags[i] != e.seq() {
        return State::Stale;
    }
    let due = timers[i].due;
    if due == e.due {
        State::Current
    } else if due > e.due {
        State::Checkpoint(due)
    } else {
        State::Stale
    }
}

/// Wheel level of a due time whose bits differ from the base in `x`.
#[inline]
fn level_of(x: u64) -> usize {
    ((63 - (x | 1).leading_zeros()) / DIGIT) as usize
}

/// Digit `level` of `due`.
#[inline]
fn digit(due: u64, level: usize) -> usize {
    ((due >> (DIGIT as usize * level)) as usize) & (BUCKETS - 1)
}

/// Timer store: payloads of type `T` due at `u64` times, fired in due-time order.
pub(crate) struct Timers<T> {
    timers: Vec<Timer<T>>,
    /// Per slot: the live timer's sequence number, or `NONE`.
    tags: Vec<u32>,
    /// Indices of free slots, reused last-freed first.
    free: Vec<u32>,
    /// Number of live timers (each has exactly one non-stale entry).
    live: usize,
    /// Sequence number for the next timer created.
    next_seq: u32,
    /// 4-ary min-heap by `Entry::key` of entries due before `base`.
    front: Vec<Entry>,
    /// Size of `front` when it was last filled from the wheel.
    front_base: usize,
    /// Wheel reference point (up to 2^64): no wheel entry is earlier, every front entry is.
    base: u128,
    /// `LEVELS * BUCKETS` unsorted buckets once first used.
    wheel: Vec<Vec<Entry>>,
    /// Per level, which buckets are non-empty.
    occupied: [u64; LEVELS],
    /// Number of entries in the wheel.
    wheel_len: usize,
    /// The latest `now` passed to `expire`.
    floor: u64,
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
            timers: Vec::new(),
            tags: Vec::new(),
            free: Vec::new(),
            live: 0,
            next_seq: 0,
            front: Vec::new(),
            front_base: 0,
            base: 0,
            wheel: Vec::new(),
            occupied: [0; LEVELS],
            wheel_len: 0,
            floor: 0,
        }
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

    /// Moves a Max timer's due time to the later of its current one and `due`. O(1): only the
    /// slot is written. `false` if the timer no longer exists.
    pub(crate) fn max_upd(&mut self, key: TimerKey, due: u64) -> bool {
        match self.find(key, Kind::Max) {
            Some(i) => {
                let t = &mut self.timers[i];
                t.due = t.due.max(due);
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
        let t = &mut self.timers[i];
        if due < t.due {
            t.due = due;
            self.place(Entry::new(due, self.tags[i], i as u32));
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
    /// checkpoint; expiring at it makes progress). Takes `&mut self` to tidy up lazily.
    pub(crate) fn next_expiry(&mut self) -> Option<u64> {
        self.peek().map(|(e, _)| e.due)
    }

    /// Removes every timer due at or before `now` and hands the payloads to `sink` in due-time
    /// order, ties in creation order. Max timers whose due time moved later are re-inserted.
    pub(crate) fn expire(&mut self, now: u64, mut sink: impl FnMut(T)) {
        self.floor = self.floor.max(now);
        while let Some((top, st)) = self.peek() {
            if top.due > now {
                break;
            }
            heap_pop(&mut self.front);
            if let State::Checkpoint(due) = st {
                self.place(Entry::new(due, top.seq(), top.idx()));
            } else {
                let payload = self.release(top.idx());
                // All bookkeeping is done: a panicking sink leaves the store consistent.
                sink(payload);
            }
        }
    }

    /// The earliest non-stale entry and its state, dropping stale ones and refilling the front
    /// heap from the wheel as needed.
    fn peek(&mut self) -> Option<(Entry, State)> {
        loop {
            if let Some(&top) = self.front.first() {
                match state(&self.tags, &self.timers, top) {
                    State::Stale => heap_pop(&mut self.front),
                    st => return Some((top, st)),
                }
            } else if self.wheel_len == 0 {
                return None;
            } else {
                self.pull();
            }
        }
    }

    /// Index of the live slot `key` names, if it is of `kind`.
    #[inline]
    fn find(&self, key: TimerKey, kind: Kind) -> Option<usize> {
        let i = key.idx as usize;
        let t = self.timers.get(i)?;
        (t.generation == key.generation && t.kind == kind && t.payload.is_some()).then_some(i)
    }

    fn insert(&mut self, due: u64, kind: Kind, payload: T) -> TimerKey {
        let seq = self.take_seq();
        let idx = if let Some(idx) = self.free.pop() {
            let t = &mut self.timers[idx as usize];
            t.due = due;
            t.kind = kind;
            t.payload = Some(payload);
            self.tags[idx as usize] = seq;
            idx
        } else {
            let idx = match u32::try_from(self.timers.len()) {
                Ok(i) if i != NONE => i,
                _ => panic!("too many timers"),
            };
            self.timers.push(Timer {
                due,
                generation: 1,
                kind,
                payload: Some(payload),
            });
            self.tags.push(seq);
            idx
        };
        self.live += 1;
        self.place(Entry::new(due, seq, idx));
        TimerKey {
            idx,
            generation: self.timers[idx as usize].generation,
        }
    }

    fn remove(&mut self, key: TimerKey, kind: Kind) -> Option<T> {
        let i = self.find(key, kind)?;
        let payload = self.release(i as u32);
        self.maybe_compact();
        Some(payload)
    }

    /// Frees a live slot and returns its payload; its entries become stale.
    fn release(&mut self, idx: u32) -> T {
        let t = &mut self.timers[idx as usize];
        let payload = t.payload.take().expect("timer slot not live");
        self.tags[idx as usize] = NONE;
        if t.generation != u32::MAX {
            t.generation += 1;
            self.free.push(idx);
        }
        self.live -= 1;
        payload
    }

    fn take_seq(&mut self) -> u32 {
        if self.next_seq == NONE {
            self.renumber();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Gives the live timers sequence numbers `0..n` in their current order.
    #[cold]
    fn renumber(&mut self) {
        // Afterwards every entry is its timer's only one, so tags map old numbers to new.
        self.purge();
        let mut order: Vec<(u32, u32)> = (self.tags.iter().enumerate())
            .filter(|&(_, &seq)| seq != NONE)
            .map(|(i, &seq)| (seq, i as u32))
            .collect();
        order.sort_unstable();
        for (rank, &(_, i)) in order.iter().enumerate() {
            self.tags[i as usize] = rank as u32;
        }
        let tags = &self.tags;
        let renum = |e: &mut Entry| *e = Entry::new(e.due, tags[e.idx() as usize], e.idx());
        // The mapping keeps the order, so the front heap stays a heap.
        self.front.iter_mut().for_each(renum);
        self.wheel.iter_mut().flatten().for_each(renum);
        self.next_seq = match u32::try_from(order.len()) {
            Ok(n) if n != NONE => n,
            _ => panic!("too many timers"),
        };
    }

    /// Puts an entry in the front heap or the wheel, by its due time.
    fn place(&mut self, e: Entry) {
        if u128::from(e.due) < self.base {
            heap_push(&mut self.front, e);
            if self.front.len() > REBALANCE_MIN + 2 * self.front_base + self.wheel_len / 8 {
                self.rebalance();
            }
        } else {
            if self.wheel.is_empty() {
                self.wheel.resize_with(LEVELS * BUCKETS, Vec::new);
            }
            self.wheel_put(e);
        }
    }

    /// Puts an entry with `due >= base` in its wheel bucket.
    #[inline]
    fn wheel_put(&mut self, e: Entry) {
        let level = level_of(e.due ^ self.base as u64);
        let b = digit(e.due, level);
        self.wheel[level * BUCKETS + b].push(e);
        self.occupied[level] |= 1 << b;
        self.wheel_len += 1;
    }

    /// Refills the empty front heap from the lowest occupied bucket, or splits that bucket.
    fn pull(&mut self) {
        let level = self
            .occupied
            .iter()
            .position(|&m| m != 0)
            .expect("wheel empty");
        let b = self.occupied[level].trailing_zeros() as usize;
        let n = level * BUCKETS + b;
        if level == 0 || self.wheel[n].len() <= PULL_MAX {
            let bucket = &mut self.wheel[n];
            self.wheel_len -= bucket.len();
            self.occupied[level] &= !(1 << b);
            let mut max = None;
            for &e in bucket.iter() {
                // Looking at the tags here, for a whole bucket at once, is also what brings
                // the live timers' slots into the cache before they fire.
                if state(&self.tags, &self.timers, e) != State::Stale {
                    self.front.push(e);
                    max = max.max(Some(e.due));
                }
            }
            bucket.clear();
            heapify(&mut self.front);
            self.front_base = self.front.len();
            if let Some(max) = max {
                self.advance(u128::from(max) + 1);
            }
        } else {
            // The bucket's start: `base` above this digit, the bucket's digit, zeros below.
            let shift = DIGIT as usize * level;
            let high = shift + DIGIT as usize;
            let above = if high >= 64 {
                0
            } else {
                (self.base as u64 >> high) << high
            };
            self.advance(u128::from(above | ((b as u64) << shift)));
        }
    }

    /// Moves `base` later, to `nb`, which must not be later than any wheel entry.
    fn advance(&mut self, nb: u128) {
        let old = self.base;
        debug_assert!(nb >= old);
        self.base = nb;
        let Ok(nb) = u64::try_from(nb) else {
            debug_assert_eq!(self.wheel_len, 0);
            return;
        };
        // Only entries in `nb`'s bucket at the highest changed digit change place (none can be
        // in lower levels, as they would be earlier than `nb`), and none at level 0, where the
        // bucket is the due time's lowest digit whatever the base.
        let level = level_of(old as u64 ^ nb);
        if level > 0 {
            let b = digit(nb, level);
            if self.occupied[level] & (1 << b) != 0 {
                let n = level * BUCKETS + b;
                self.occupied[level] &= !(1 << b);
                let mut bucket = mem::take(&mut self.wheel[n]);
                self.wheel_len -= bucket.len();
                for e in bucket.drain(..) {
                    self.wheel_put(e);
                }
                self.wheel[n] = bucket;
            }
        }
    }

    /// Lowers `base` to just after the latest `now` (the earliest time the runtime adds timers
    /// for), or the front heap's minimum if earlier, and moves the front heap into the wheel.
    #[cold]
    fn rebalance(&mut self) {
        let nb = self.front[0].due.min(self.floor.saturating_add(1));
        if self.wheel_len != 0 {
            // Entries below the highest changed digit all land in the bucket `old` had there.
            let old = self.base as u64;
            let top = level_of(old ^ nb);
            let n = top * BUCKETS + digit(old, top);
            for level in 0..top {
                let mut m = mem::take(&mut self.occupied[level]);
                while m != 0 {
                    let b = m.trailing_zeros() as usize;
                    m &= m - 1;
                    let mut src = mem::take(&mut self.wheel[level * BUCKETS + b]);
                    self.wheel[n].append(&mut src);
                    self.wheel[level * BUCKETS + b] = src;
                }
            }
            if !self.wheel[n].is_empty() {
                self.occupied[top] |= 1 << digit(old, top);
            }
        } else if self.wheel.is_empty() {
            self.wheel.resize_with(LEVELS * BUCKETS, Vec::new);
        }
        self.base = u128::from(nb);
        let mut front = mem::take(&mut self.front);
        for e in front.drain(..) {
            self.wheel_put(e);
        }
        self.front = front;
        self.front_base = 0;
    }

    fn maybe_compact(&mut self) {
        let stale = self.front.len() + self.wheel_len - self.live;
        if stale > COMPACT_MIN && stale > self.live {
            self.purge();
        }
    }

    /// Drops every stale entry.
    fn purge(&mut self) {
        let (tags, timers) = (&self.tags, &self.timers);
        let keep = |e: &Entry| state(tags, timers, *e) != State::Stale;
        self.front.retain(keep);
        heapify(&mut self.front);
        for (level, occupied) in self.occupied.iter_mut().enumerate() {
            let mut m = *occupied;
            while m != 0 {
                let b = m.trailing_zeros() as usize;
                m &= m - 1;
                let bucket = &mut self.wheel[level * BUCKETS + b];
                self.wheel_len -= bucket.len();
                bucket.retain(keep);
                self.wheel_len += bucket.len();
                if bucket.is_empty() {
                    *occupied &= !(1 << b);
                }
            }
        }
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

fn heap_push(heap: &mut Vec<Entry>, e: Entry) {
    let i = heap.len();
    heap.push(e);
    sift_up(heap, i);
}

/// Removes the top entry, if any.
fn heap_pop(heap: &mut Vec<Entry>) {
    if let Some(last) = heap.pop() {
        if !heap.is_empty() {
            heap[0] = last;
            sift_down(heap, 0);
        }
    }
}

/// Restores the heap order of the whole array in O(n).
fn heapify(heap: &mut [Entry]) {
    if heap.len() > 1 {
        for i in (0..=(heap.len() - 2) / 4).rev() {
            sift_down(heap, i);
        }
    }
}
