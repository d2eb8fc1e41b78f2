//! How an exploring `Sim` picks the next delivery among the legal ones.

use crate::trace::Who;
use std::collections::{BTreeMap, BTreeSet};

/// A stream of messages whose order must be kept: one sender→receiver pair, or one due timer
/// callback on its own.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum LaneKey {
    Pair { receiver: u32, sender: Who },
    Timer(u64),
}

impl LaneKey {
    /// Whether delivering from `self` and from `other` commutes: true for calls to two
    /// different actors (they share no state, see the crate docs); a timer callback may touch
    /// anything, so it commutes with nothing.
    pub(crate) fn independent(self, other: LaneKey) -> bool {
        match (self, other) {
            (LaneKey::Pair { receiver: a, .. }, LaneKey::Pair { receiver: b, .. }) => a != b,
            _ => false,
        }
    }
}

/// One legal next delivery: the head of a lane. Options are offered sorted by the global
/// queueing order of their heads, so option 0 is always what FIFO delivery would do.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Offer {
    pub(crate) lane: LaneKey,
}

/// Picks one of `options` (never empty) at delivery step `step`.
pub(crate) trait Chooser {
    fn choose(&mut self, step: usize, options: &[Offer]) -> usize;
}

/// SplitMix64: tiny, seedable, the same on every platform.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// Always the oldest head: the runtime's own order for actor calls.
pub(crate) struct Fifo;

impl Chooser for Fifo {
    fn choose(&mut self, _: usize, _: &[Offer]) -> usize {
        0
    }
}

/// Uniformly random among the legal options.
pub(crate) struct Random(pub(crate) Rng);

impl Chooser for Random {
    fn choose(&mut self, _: usize, options: &[Offer]) -> usize {
        self.0.below(options.len())
    }
}

/// Probabilistic concurrency testing (Burckhardt et al., ASPLOS 2010) over lanes (the
/// streams that play the part of PCT's threads: one per sender→receiver pair, one per timer
/// callback): every lane gets a random priority when first seen (all at least `depth`); the
/// legal option whose lane has the highest priority is delivered; at `depth - 1` random steps
/// among the first `steps`, the lane just chosen drops to priority `depth - 1 - i`, below
/// every initial one.
pub(crate) struct Pct {
    rng: Rng,
    depth: u64,
    priorities: BTreeMap<LaneKey, u64>,
    change_points: BTreeMap<usize, u64>,
}

impl Pct {
    pub(crate) fn new(seed: u64, depth: u32, steps: usize) -> Self {
        let mut rng = Rng::new(seed);
        let depth = u64::from(depth.max(1));
        let mut change_points = BTreeMap::new();
        let wanted = (depth - 1) as usize;
        let mut taken = BTreeSet::new();
        while taken.len() < wanted.min(steps.max(1)) {
            taken.insert(rng.below(steps.max(1)));
        }
        for (i, step) in taken.into_iter().enumerate() {
            change_points.insert(step, depth - 1 - i as u64);
        }
        Pct {
            rng,
            depth,
            priorities: BTreeMap::new(),
            change_points,
        }
    }
}

impl Chooser for Pct {
    fn choose(&mut self, step: usize, options: &[Offer]) -> usize {
        let mut best = (0, 0);
        for (i, o) in options.iter().enumerate() {
            let depth = self.depth;
            let rng = &mut self.rng;
            let p = *self
                .priorities
                .entry(o.lane)
                .or_insert_with(|| depth + (rng.next_u64() >> 1));
            if i == 0 || p > best.1 {
                best = (i, p);
            }
        }
        if let Some(&low) = self.change_points.get(&step) {
            self.priorities.insert(options[best.0].lane, low);
        }
        best.0
    }
}

/// Replays recorded choices: step `i` takes `choices[i] % options.len()`; steps past the end
/// take 0 (FIFO). So every list of numbers is a legal schedule, and shrinking the numbers
/// toward 0 or dropping them moves the schedule toward FIFO.
pub(crate) struct Replay(pub(crate) Vec<u32>);

impl Chooser for Replay {
    fn choose(&mut self, step: usize, options: &[Offer]) -> usize {
        self.0.get(step).map_or(0, |&c| c as usize % options.len())
    }
}
