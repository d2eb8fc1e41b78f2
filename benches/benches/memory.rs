//! Heap bytes per actor, `stakker-core` vs the original `stakker` 0.2.16, measured with a
//! counting global allocator (criterion cannot report bytes, so this is a plain `main`).
//!
//! For each crate: create 100,000 actors with 24 bytes of state (`[u64; 3]`, Prep + init call,
//! as in the `spawn` benchmark) on a fresh runtime, run the init calls, and divide the heap
//! bytes that were allocated and are still live by 100,000. The vector holding the owners is
//! allocated beforehand and not counted. Two figures are printed:
//!
//! - **kept** (the "cold" figure): every live byte, so it includes whatever the runtime's
//!   queues grew to hold the 100,000 queued init calls and kept once they were drained;
//! - **actors**: only the live bytes in allocations of at most 1 KiB, which leaves out the
//!   queues' buffers (hundreds of KiB and more) and counts the memory the actors themselves
//!   hold.
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
/// Live bytes in allocations of at most `SMALL` bytes.
static LIVE_SMALL: AtomicUsize = AtomicUsize::new(0);
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
const SMALL: usize = 1024;

fn add_live(size: usize) {
    LIVE.fetch_add(size, Relaxed);
    if size <= SMALL {
        LIVE_SMALL.fetch_add(size, Relaxed);
    }
}

fn sub_live(size: usize) {
    LIVE.fetch_sub(size, Relaxed);
    if size <= SMALL {
        LIVE_SMALL.fetch_sub(size, Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc`
// contract; the counters are only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add_live(layout.size());
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add_live(layout.size());
        ALLOCS.fetch_add(1, Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        sub_live(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add_live(new_size);
        sub_live(layout.size());
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
    kept: f64,
    actors: f64,
    allocs: f64,
}

fn measure(create: &mut dyn FnMut()) -> Round {
    let counters = || [&LIVE, &LIVE_SMALL, &ALLOCS].map(|c| c.load(Relaxed) as f64 / N as f64);
    let [live0, small0, allocs0] = counters();
    create();
    let [live1, small1, allocs1] = counters();
    Round {
        kept: live1 - live0,
        actors: small1 - small0,
        allocs: allocs1 - allocs0,
    }
}

/// One round on a fresh runtime of one crate.
macro_rules! round {
    ($krate:ident) => {{
        let mut w = $krate::Spawn::new(N);
        let r = measure(&mut || w.create(N));
        assert_ne!(w.checksum(), 0);
        w.destroy();
        r
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
        "{:<16} {:>14} {:>14} {:>14}",
        "crate", "kept B/actor", "actors B/actor", "allocs/actor"
    );
    let rows = [
        ("stakker-core", round!(ours)),
        ("stakker-0.2.16", round!(orig)),
    ];
    for (name, r) in &rows {
        println!(
            "{:<16} {:>14.1} {:>14.1} {:>14.2}",
            name, r.kept, r.actors, r.allocs
        );
    }
    let (ours, orig) = (&rows[0].1, &rows[1].1);
    println!(
        "ratios stakker-core / stakker-0.2.16: kept {:.2}, actors {:.2}",
        ours.kept / orig.kept,
        ours.actors / orig.actors
    );
}
