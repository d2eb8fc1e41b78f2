//! Heap bytes per actor, `stakker-core` vs the original `stakker` 0.2.16, measured with a
//! counting global allocator (criterion cannot report bytes, so this is a plain `main`).
//!
//! For each crate: create 100,000 actors with 24 bytes of state (`[u64; 3]`, Prep + init call,
//! as in the `spawn` benchmark), run the init calls, and divide the heap bytes that were
//! allocated and are still live by 100,000. The vector holding the owners is allocated
//! beforehand and not counted. Two figures are printed:
//!
//! - **cold**: on a fresh runtime, so it includes capacity the runtime's queues grew to hold
//!   100,000 queued init calls and kept afterwards;
//! - **warm**: 100,000 more actors while the first 100,000 still live, so the queues already
//!   have their capacity and nothing freed can be reused: this is the memory the actors
//!   themselves hold. (Measuring after dropping the first round instead would count nothing
//!   for `stakker-core`, whose runtime reuses the blocks of dropped actors.)
//!
//! Run with `cargo bench -p stakker-benches --bench memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

#[path = "shared/orig.rs"]
mod orig;
#[path = "shared/ours.rs"]
mod ours;

/// Counts live heap bytes and allocation calls.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Relaxed);
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Relaxed);
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Relaxed);
        LIVE.fetch_sub(layout.size(), Relaxed);
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const N: usize = 100_000;

/// Live bytes and allocation calls per actor for one round of `create`.
struct Round {
    bytes: f64,
    allocs: f64,
}

fn measure(create: &mut dyn FnMut()) -> Round {
    let (live0, allocs0) = (LIVE.load(Relaxed), ALLOCS.load(Relaxed));
    create();
    let (live1, allocs1) = (LIVE.load(Relaxed), ALLOCS.load(Relaxed));
    Round {
        bytes: (live1 as f64 - live0 as f64) / N as f64,
        allocs: (allocs1 - allocs0) as f64 / N as f64,
    }
}

/// Cold and warm rounds for one crate.
macro_rules! rounds {
    ($krate:ident) => {{
        // Room for both rounds' owners, allocated before anything is counted.
        let mut w = $krate::Spawn::new(2 * N);
        let cold = measure(&mut || w.create(N));
        assert_ne!(w.checksum(), 0);
        let warm = measure(&mut || w.create(N));
        w.destroy();
        (cold, warm)
    }};
}

fn main() {
    // `cargo bench` passes `--bench`; a filter that names neither crate skips this target.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if !filter.is_empty() && !filter.iter().any(|f| "memory".contains(f.as_str())) {
        return;
    }
    println!("memory: heap bytes per actor, {N} actors with 24-byte state ([u64; 3]), after init");
    println!(
        "{:<16} {:>12} {:>12} {:>14} {:>14}",
        "crate", "cold B/actor", "warm B/actor", "cold allocs/a", "warm allocs/a"
    );
    let rows = [
        ("stakker-core", rounds!(ours)),
        ("stakker-0.2.16", rounds!(orig)),
    ];
    for (name, (cold, warm)) in &rows {
        println!(
            "{:<16} {:>12.1} {:>12.1} {:>14.2} {:>14.2}",
            name, cold.bytes, warm.bytes, cold.allocs, warm.allocs
        );
    }
    let ratio = rows[0].1 .1.bytes / rows[1].1 .1.bytes;
    println!("warm ratio stakker-core / stakker-0.2.16: {ratio:.2}");
}
