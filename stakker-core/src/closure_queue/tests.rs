//! Tests shared by both queue implementations (the same file checks whichever is selected).

use super::FnQueue;
use alloc::rc::Rc;
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;

type Log = Rc<RefCell<Vec<u32>>>;

/// Drop counter captured by items, to check that every item is dropped exactly once.
struct Tracker(Rc<RefCell<Vec<u32>>>, u32);
impl Drop for Tracker {
    fn drop(&mut self) {
        self.0.borrow_mut().push(self.1);
    }
}

#[test]
fn fifo_order_across_sizes_and_alignments() {
    let q: FnQueue<Vec<u32>> = FnQueue::new();
    q.push(|v: &mut Vec<u32>| v.push(0));
    let big = [7u8; 100];
    q.push(move |v: &mut Vec<u32>| v.push(big.iter().map(|&b| b as u32).sum()));
    let wide = 5u128; // 16-aligned on x86_64: takes the boxed path there
    q.push(move |v: &mut Vec<u32>| v.push(wide as u32));
    #[repr(align(64))]
    struct Aligned(u32);
    let a = Aligned(9);
    q.push(move |v: &mut Vec<u32>| {
        assert_eq!(&a as *const Aligned as usize % 64, 0);
        v.push(a.0)
    });
    let s = alloc::string::String::from("x");
    q.push(move |v: &mut Vec<u32>| v.push(s.len() as u32));
    let mut out = Vec::new();
    while q.call_next(&mut out) {}
    assert_eq!(out, vec![0, 700, 5, 9, 1]);
    assert!(q.is_empty());
}

/// Items get the queue they run from, so they can push onto it while it runs.
struct Ctx {
    q: Rc<FnQueue<Ctx>>,
    out: Vec<u32>,
}

#[test]
fn items_push_onto_the_running_queue() {
    let q = Rc::new(FnQueue::new());
    for i in 0..3u32 {
        q.push(move |c: &mut Ctx| {
            c.out.push(i);
            // A growing chain: each item queues a bigger one, forcing reallocation while the
            // queue is running.
            let pad = [i as u8; 200]; // a 200-byte capture
            c.q.push(move |c: &mut Ctx| c.out.push(100 + u32::from(pad[199])));
        });
    }
    let mut ctx = Ctx {
        q: q.clone(),
        out: Vec::new(),
    };
    while q.call_next(&mut ctx) {}
    assert_eq!(ctx.out, vec![0, 1, 2, 100, 101, 102]);
    // Long ping-pong: one item in flight at a time, many rounds; capacity stays small.
    fn bounce(c: &mut Ctx, n: u32) {
        c.out.push(n);
        if n > 0 {
            c.q.push(move |c: &mut Ctx| bounce(c, n - 1));
        }
    }
    ctx.out.clear();
    let cap = q.capacity_items();
    q.push(|c: &mut Ctx| bounce(c, 10_000));
    while q.call_next(&mut ctx) {}
    assert_eq!(ctx.out, (0..=10_000).rev().collect::<Vec<_>>());
    assert_eq!(q.capacity_items(), cap, "the buffer is reused, not grown");
    drop(ctx);
}

#[test]
fn take_and_append_keep_order() {
    let a: FnQueue<Vec<u32>> = FnQueue::new();
    let b: FnQueue<Vec<u32>> = FnQueue::new();
    for i in 0..10 {
        a.push(move |v: &mut Vec<u32>| v.push(i));
    }
    for i in 10..20 {
        b.push(move |v: &mut Vec<u32>| v.push(i));
    }
    let mut out = Vec::new();
    for _ in 0..5 {
        assert!(a.call_next(&mut out));
    }
    a.append(b);
    while a.call_next(&mut out) {}
    assert_eq!(out, (0..20).collect::<Vec<_>>());
}

#[test]
fn append_into_empty_takes_other() {
    let a: FnQueue<Vec<u32>> = FnQueue::new();
    let b: FnQueue<Vec<u32>> = FnQueue::new();
    b.push(|v: &mut Vec<u32>| v.push(1));
    a.append(b);
    let mut out = Vec::new();
    while a.call_next(&mut out) {}
    assert_eq!(out, vec![1]);
}

#[test]
fn unrun_items_are_dropped_once() {
    let log: Log = Rc::default();
    {
        let q: FnQueue<()> = FnQueue::new();
        for i in 0..50 {
            let t = Tracker(log.clone(), i);
            q.push(move |_: &mut ()| drop(t));
        }
        // Run some, leave the rest for Drop.
        for _ in 0..20 {
            q.call_next(&mut ());
        }
        assert_eq!(*log.borrow(), (0..20).collect::<Vec<_>>());
    }
    assert_eq!(*log.borrow(), (0..50).collect::<Vec<_>>());
}

#[test]
fn panic_in_item_leaves_queue_consistent() {
    extern crate std;
    let q: FnQueue<Vec<u32>> = FnQueue::new();
    q.push(|v: &mut Vec<u32>| v.push(1));
    q.push(|_: &mut Vec<u32>| panic!("boom"));
    q.push(|v: &mut Vec<u32>| v.push(3));
    let mut out = Vec::new();
    let r = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| {
        while q.call_next(&mut out) {}
    }));
    assert_eq!(r.unwrap_err().downcast_ref::<&str>(), Some(&"boom"));
    while q.call_next(&mut out) {}
    assert_eq!(out, vec![1, 3]);
}

#[test]
fn buffer_is_reused_once_warm() {
    let q: FnQueue<u64> = FnQueue::new();
    let mut total = 0u64;
    for round in 0..3u64 {
        for i in 0..1000u64 {
            q.push(move |t: &mut u64| *t += i + round);
        }
        while q.call_next(&mut total) {}
    }
    let cap = q.capacity_items();
    for i in 0..1000u64 {
        q.push(move |t: &mut u64| *t += i);
    }
    assert_eq!(q.capacity_items(), cap, "no growth once warm");
    while q.call_next(&mut total) {}
    assert_eq!(total, 3 * 499_500 + 1000 + 2000 + 499_500);
    q.shrink(16);
    assert!(q.capacity_items() <= 32);
    let taken = q.take();
    assert!(taken.is_empty() && q.is_empty());
}

#[test]
fn interleaved_push_and_pop_compacts() {
    // Idle-queue pattern: pop one, push one, many times; capacity must stay bounded.
    let q: FnQueue<Vec<u32>> = FnQueue::new();
    for i in 0..4 {
        q.push(move |v: &mut Vec<u32>| v.push(i));
    }
    let mut out = Vec::new();
    for i in 4..10_000 {
        assert!(q.call_next(&mut out));
        q.push(move |v: &mut Vec<u32>| v.push(i));
    }
    while q.call_next(&mut out) {}
    assert_eq!(out, (0..10_000).collect::<Vec<_>>());
    assert!(q.capacity_items() < 1000);
}

/// Context for items that queue more items on the queue running them.
struct Tree {
    q: Rc<FnQueue<Tree>>,
    out: Vec<u64>,
}

/// Item `i` records itself and queues items `2i + 1` and `2i + 2` (below `n`); odd items
/// carry 40 bytes more, so items differ in length.
fn tree_item(i: u64, n: u64) -> impl FnOnce(&mut Tree) + 'static {
    move |t: &mut Tree| {
        t.out.push(i);
        for c in [2 * i + 1, 2 * i + 2] {
            if c < n {
                if c % 2 == 1 {
                    let pad = [c; 5];
                    t.q.push(move |t: &mut Tree| tree_item(pad[4], n)(t));
                } else {
                    t.q.push(tree_item(c, n));
                }
            }
        }
    }
}

#[test]
#[cfg(not(miri))] // spawns a process, which miri cannot; the plain test runs cover it
fn a_push_that_cannot_grow_aborts_the_process_leaking_the_item() {
    // Set in the child process this test starts.
    const ABORT_CHILD: &str = "STAKKER_QUEUE_ABORT_CHILD";
    extern crate std;
    use alloc::string::String;

    /// Reports its drop on stderr (which the parent reads).
    struct Loud;
    impl Drop for Loud {
        fn drop(&mut self) {
            std::eprintln!("item dropped");
        }
    }

    if let Some(kind) = std::env::var_os(ABORT_CHILD) {
        let q: FnQueue<Vec<u32>> = FnQueue::new();
        let item = Loud;
        q.refuse_next_growth();
        if kind == "over-aligned" {
            #[repr(align(64))]
            struct Aligned(Loud);
            let item = Aligned(item);
            q.push(move |_: &mut Vec<u32>| drop(item));
        } else {
            q.push(move |_: &mut Vec<u32>| drop(item));
        }
        std::eprintln!("push returned");
        return;
    }
    let name = "closure_queue::tests::a_push_that_cannot_grow_aborts_the_process_leaking_the_item";
    for kind in ["plain", "over-aligned"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(ABORT_CHILD, kind)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{kind}: {err}");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(out.status.signal(), Some(6), "{kind}: not SIGABRT: {err}");
        }
        assert!(
            err.contains("closure queue: cannot grow by "),
            "{kind}: {err}"
        );
        assert!(!err.contains("push returned"), "{kind}: {err}");
        assert!(!err.contains("item dropped"), "{kind}: {err}");
    }
}

#[test]
fn items_queued_while_running_keep_fifo_order_across_compaction_and_growth() {
    // Enough to grow past the first 4 KiB buffer and compact; smaller under miri (slow).
    const N: u64 = if cfg!(miri) { 2_000 } else { 50_000 };
    let q = Rc::new(FnQueue::new());
    let mut t = Tree {
        q: q.clone(),
        out: Vec::new(),
    };
    q.push(tree_item(0, N));
    while q.call_next(&mut t) {}
    assert!(q.is_empty());
    assert_eq!(t.out, (0..N).collect::<Vec<_>>(), "FIFO order throughout");
    // A second round reuses the queue from its front.
    q.push(tree_item(0, 3));
    t.out.clear();
    while q.call_next(&mut t) {}
    assert_eq!(t.out, [0, 1, 2]);
}

#[test]
fn run_one_runs_the_item_once_and_drops_its_captures_once() {
    let dropped: Log = Rc::default();
    let t = Tracker(dropped.clone(), 1);
    let big = [3u8; 40];
    let mut out = Vec::new();
    FnQueue::run_one(
        move |v: &mut Vec<u32>| {
            let _t = &t;
            v.push(big.iter().map(|&b| b as u32).sum());
        },
        &mut out,
    );
    assert_eq!(out, [120]);
    assert_eq!(*dropped.borrow(), [1]);
    // Small and over-aligned items too.
    let t = Tracker(dropped.clone(), 2);
    FnQueue::run_one(
        move |v: &mut Vec<u32>| {
            let t = &t; // the whole value, not just its field
            v.push(t.1)
        },
        &mut out,
    );
    #[repr(align(64))]
    struct Aligned(Tracker);
    let a = Aligned(Tracker(dropped.clone(), 3));
    FnQueue::run_one(
        move |v: &mut Vec<u32>| {
            let a = &a;
            v.push(a.0 .1)
        },
        &mut out,
    );
    assert_eq!(out, [120, 2, 3]);
    assert_eq!(*dropped.borrow(), [1, 2, 3]);
}
