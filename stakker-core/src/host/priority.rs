//! [`PriorityQueues`]: the I/O priority rule of the adapters (API §8.1.3), in one place.

use alloc::collections::VecDeque;

/// The highest I/O priority level; levels are `0..=MAX_PRIORITY`, higher first.
pub const MAX_PRIORITY: u32 = 10;

/// The priority rule an I/O adapter applies to the readiness events of one poll round.
///
/// The top level is the highest level ever [`register`](PriorityQueues::register)ed; it never
/// goes down. Each event of a round is [`offer`](PriorityQueues::offer)ed with its source's
/// level: a top-level event comes straight back to be dispatched at once, in the host's order;
/// a lower one is held in its level's FIFO. When nothing at the top level was dispatched in the
/// round, [`dispatch_held`](PriorityQueues::dispatch_held) dispatches the highest held level
/// that yields at least one live event, entirely; the other levels stay held. Held events whose
/// source has gone are skipped. The round's `io_pending` is
/// [`has_held`](PriorityQueues::has_held). Under constant top-level load the lower levels
/// starve; that is intended.
///
/// ```
/// use stakker_core::host::PriorityQueues;
/// let mut q = PriorityQueues::new();
/// let (low, high) = (q.register(1), q.register(5));
/// assert_eq!(q.offer(low, "low"), None); // held
/// assert_eq!(q.offer(high, "high"), Some("high")); // dispatch now
/// assert!(q.has_held());
/// // A later round with nothing at the top level: the held level is dispatched.
/// let mut out = Vec::new();
/// assert!(q.dispatch_held(|e| { out.push(e); true }));
/// assert_eq!(out, ["low"]);
/// assert!(!q.has_held());
/// ```
#[derive(Debug)]
pub struct PriorityQueues<E> {
    top: u32,
    /// One FIFO per level; the top level's stays empty.
    held: [VecDeque<E>; MAX_PRIORITY as usize + 1],
    /// Events in `held`, all levels together.
    held_len: usize,
}

impl<E> Default for PriorityQueues<E> {
    fn default() -> Self {
        PriorityQueues {
            top: 0,
            held: Default::default(),
            held_len: 0,
        }
    }
}

impl<E> PriorityQueues<E> {
    /// No level registered yet (the top level is 0) and nothing held.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a source at `level`, clamped to `0..=MAX_PRIORITY`, raising the top level if it
    /// is higher. Returns the clamped level, to pass to [`offer`](PriorityQueues::offer).
    pub fn register(&mut self, level: u32) -> u32 {
        let level = level.min(MAX_PRIORITY);
        self.top = self.top.max(level);
        level
    }

    /// The highest level ever registered.
    pub fn top(&self) -> u32 {
        self.top
    }

    /// Takes one event of a source at `level` (as returned by
    /// [`register`](PriorityQueues::register)): returns it when it is to be dispatched at once
    /// (top level), else holds it and returns `None`.
    pub fn offer(&mut self, level: u32, event: E) -> Option<E> {
        if level >= self.top {
            return Some(event);
        }
        self.held[level as usize].push_back(event);
        self.held_len += 1;
        None
    }

    /// For a round in which nothing at the top level was dispatched: from the highest level
    /// down, passes each held event of a level, in order, to `dispatch`, which dispatches it
    /// and returns `true`, or returns `false` when its source has gone (the event is dropped).
    /// Stops after the first level where `dispatch` returned `true`; returns whether it did.
    pub fn dispatch_held(&mut self, mut dispatch: impl FnMut(E) -> bool) -> bool {
        for level in (0..self.top as usize).rev() {
            let queue = &mut self.held[level];
            self.held_len -= queue.len();
            let mut dispatched = false;
            while let Some(event) = queue.pop_front() {
                dispatched |= dispatch(event);
            }
            if dispatched {
                return true;
            }
        }
        false
    }

    /// Events are held for a later round (the round's `io_pending`).
    pub fn has_held(&self) -> bool {
        self.held_len != 0
    }

    /// How many events are held, all levels together.
    pub fn held_len(&self) -> usize {
        self.held_len
    }
}

#[cfg(test)]
mod tests {
    use super::{PriorityQueues, MAX_PRIORITY};
    use alloc::vec::Vec;

    /// Runs one round: offers `events` (level, id), then dispatches held levels if no top-level
    /// event went out. Ids in `dead` stand for dropped sources. Returns the dispatched ids.
    fn round(q: &mut PriorityQueues<u32>, events: &[(u32, u32)], dead: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        for &(level, id) in events {
            out.extend(q.offer(level, id));
        }
        if out.is_empty() {
            q.dispatch_held(|id| {
                let live = !dead.contains(&id);
                if live {
                    out.push(id);
                }
                live
            });
        }
        out
    }

    #[test]
    fn register_clamps_and_top_never_goes_down() {
        let mut q = PriorityQueues::<u32>::new();
        assert_eq!(q.register(99), MAX_PRIORITY);
        assert_eq!(q.register(3), 3);
        assert_eq!(q.top(), MAX_PRIORITY);
    }

    #[test]
    fn top_level_goes_at_once_in_order_and_lower_levels_wait() {
        let mut q = PriorityQueues::new();
        for level in [2, 5, 8] {
            q.register(level);
        }
        let out = round(&mut q, &[(2, 20), (8, 80), (5, 50), (8, 81), (2, 21)], &[]);
        assert_eq!(out, [80, 81]);
        assert_eq!(q.held_len(), 3);
        // Quiet rounds: one level per round, highest first, each entirely and in FIFO order.
        assert_eq!(round(&mut q, &[], &[]), [50]);
        assert_eq!(round(&mut q, &[], &[]), [20, 21]);
        assert!(!q.has_held());
        assert_eq!(round(&mut q, &[], &[]), Vec::<u32>::new());
    }

    #[test]
    fn top_level_load_starves_held_levels() {
        let mut q = PriorityQueues::new();
        q.register(0);
        q.register(1);
        assert_eq!(round(&mut q, &[(0, 1), (1, 10)], &[]), [10]);
        assert_eq!(round(&mut q, &[(0, 2), (1, 11)], &[]), [11]);
        assert_eq!(q.held_len(), 2);
        assert_eq!(round(&mut q, &[], &[]), [1, 2]);
    }

    #[test]
    fn held_events_of_dropped_sources_are_skipped() {
        let mut q = PriorityQueues::new();
        for level in [1, 4, 9] {
            q.register(level);
        }
        round(&mut q, &[(4, 40), (4, 41), (1, 10), (9, 90)], &[]);
        // 40 is dead but 41 is live: level 4 is dispatched without 40.
        assert_eq!(round(&mut q, &[], &[40]), [41]);
        assert_eq!(q.held_len(), 1);
        round(&mut q, &[(4, 42)], &[]);
        // All of level 4 is dead: it is dropped and the scan goes on to level 1.
        assert_eq!(round(&mut q, &[], &[42]), [10]);
        assert!(!q.has_held());
    }
}
