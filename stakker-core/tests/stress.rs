//! Stress: cross-thread wake and channel storms with exact totals, a million actors created
//! and dropped, and a main queue grown to hundreds of MB and given back.
//!
//! Every test is bounded by counts, not time, and checks its totals exactly. A watchdog timer
//! turns a lost wake into a failure instead of a hang. Sizes are chosen so the whole file
//! runs in well under a minute in a debug build on a 2-core machine (about 10-20 s here):
//! the storms use the counts of the issue (8 threads x 100,000), the actor test the full
//! 1,000,000 actors (in batches of 10,000), and the queue burst 300,000 items of 1 KiB.
//!
//! This binary has a counting global allocator (per thread, as in `tests/leaks.rs`), used by
//! the queue test to see memory given back.

#![allow(missing_docs)]

mod util;

use stakker_core::time::Instant;
use stakker_core::{ActorOwn, Cx, Ret, Stakker, StopCause};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;
use util::DeferApply;

// ---- Counting allocator (per thread) -----------------------------------------------------

struct Counting;

thread_local! {
    static LIVE_BYTES: Cell<i64> = const { Cell::new(0) };
}

fn note(bytes: i64) {
    let _ = LIVE_BYTES.try_with(|c| c.set(c.get() + bytes));
}

// SAFETY: every method forwards to `System` unchanged; the counting touches only a
// thread-local that needs neither allocation nor a destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as i64);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as i64));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as i64 - layout.size() as i64);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes allocated and not yet freed by this thread.
fn live_bytes() -> i64 {
    LIVE_BYTES.with(Cell::get)
}

const MIB: i64 = 1 << 20;

// ---- Main queue burst ------------------------------------------------------------------------

/// A burst of 300,000 deferred closures with 1 KiB captures grows the main queue to over
/// 300 MB; the `run` that drains it trims the empty queue back to 8 MiB (it keeps bursts under
/// 16 MiB), and the queue keeps working.
#[test]
fn main_queue_grows_to_hundreds_of_mb_and_gives_it_back() {
    const ITEMS: usize = 300_000;
    let mut s = Stakker::new(Instant::from_nanos(0));
    // Let the queues reach their usual small size first.
    s.defer(|_| ());
    s.run(Instant::from_nanos(1), false);
    let base = live_bytes();

    let ran = Rc::new(Cell::new(0usize));
    for i in 0..ITEMS {
        let payload = [(i % 251) as u8; 1024];
        let r = ran.clone();
        s.defer(move |_| {
            assert!(payload.iter().all(|&b| b == (i % 251) as u8), "item {i}");
            assert_eq!(r.get(), i, "items run in order");
            r.set(i + 1);
        });
    }
    let grown = live_bytes() - base;
    assert!(
        grown >= 300 * MIB,
        "queue holds {} MiB for {ITEMS} items of 1 KiB",
        grown / MIB
    );

    s.run(Instant::from_nanos(2), false);
    assert_eq!(ran.get(), ITEMS);
    let kept = live_bytes() - base;
    assert!(
        kept <= 9 * MIB,
        "after the run the queue still holds {} MiB (expected at most 8 MiB)",
        kept / MIB
    );

    // Still a working queue, and a normal workload does not grow it again.
    for _ in 0..1000 {
        let r = ran.clone();
        s.defer(move |_| r.set(r.get() + 1));
    }
    s.run(Instant::from_nanos(3), false);
    assert_eq!(ran.get(), ITEMS + 1000);
    assert!(live_bytes() - base <= 9 * MIB);
    drop(s);
    assert!(live_bytes() - base <= 0, "the Stakker frees its queues");
    println!(
        "stress: queue burst: passed: {ITEMS} items, {} MiB held, {} MiB kept after the run",
        grown / MIB,
        kept / MIB
    );
}

// ---- A million actors ----------------------------------------------------------------------

struct Cell1 {
    value: u64,
    drops: Rc<Cell<u64>>,
}

impl Cell1 {
    fn add(&mut self, _: &mut Cx<'_, Cell1>, n: u64) {
        self.value += n;
    }
}

impl Drop for Cell1 {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

/// 1,000,000 actors created (each initialised and sent one call), then dropped: every state
/// is dropped and every notify `Ret` hears `Dropped`, exactly once.
#[test]
fn a_million_actors_created_and_dropped() {
    const TOTAL: u64 = 1_000_000;
    const BATCH: u64 = 10_000;
    let mut s = Stakker::new(Instant::from_nanos(0));
    let drops = Rc::new(Cell::new(0u64));
    let dropped = Rc::new(Cell::new(0u64));
    let sum = Rc::new(Cell::new(0u64));
    let mut t = 0;
    for batch in 0..TOTAL / BATCH {
        let mut owners = Vec::with_capacity(BATCH as usize);
        for i in 0..BATCH {
            let d = dropped.clone();
            let notify = Ret::new(move |c: Option<StopCause>| {
                assert!(matches!(c, Some(StopCause::Dropped)), "{c:?}");
                d.set(d.get() + 1);
            });
            let a = ActorOwn::<Cell1>::new(&mut s, notify, 0);
            let dr = drops.clone();
            a.defer_apply_prep(move |_| {
                Some(Cell1 {
                    value: 0,
                    drops: dr,
                })
            });
            a.defer_apply(move |this, cx| this.add(cx, i));
            owners.push(a);
        }
        t += 1;
        s.run(Instant::from_nanos(t), false);
        let sm = sum.clone();
        let total: u64 = owners
            .iter()
            .map(|a| a.query(&mut s, |this, _| this.value).expect("Ready"))
            .sum();
        sm.set(sm.get() + total);
        drop(owners);
        t += 1;
        s.run(Instant::from_nanos(t), false);
        assert_eq!(drops.get(), (batch + 1) * BATCH, "states dropped");
    }
    assert_eq!(drops.get(), TOTAL);
    assert_eq!(dropped.get(), TOTAL);
    assert_eq!(sum.get(), (TOTAL / BATCH) * (BATCH * (BATCH - 1) / 2));
    println!("stress: actors: passed: {TOTAL} created, {TOTAL} states dropped, {TOTAL} notified");
}

// ---- Cross-thread storms -------------------------------------------------------------------

#[cfg(all(feature = "std", feature = "inter-thread"))]
mod storms {
    use stakker_core::host::{run_blocking, ThreadLoop};
    use stakker_core::sync::{BoundedChannel, Channel, Waker};
    use stakker_core::time::Duration;
    use stakker_core::{Fwd, Stakker, StopCause};
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::thread;

    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 100_000;
    /// A lost wake fails the test after this long instead of hanging it.
    const WATCHDOG: Duration = Duration::from_secs(120);

    fn runtime() -> (Stakker, ThreadLoop) {
        let mut s = Stakker::new(std::time::Instant::now());
        let host = ThreadLoop::new(&mut s);
        s.after(WATCHDOG, |s| {
            s.shutdown(StopCause::Killed(
                "watchdog: storm not delivered in time".into(),
            ))
        });
        (s, host)
    }

    /// Runs the host loop until something records a shutdown; it must be `Stopped`.
    fn serve(s: &mut Stakker, host: &mut ThreadLoop) {
        let cause = run_blocking(s, host).unwrap();
        assert!(
            matches!(cause, Some(StopCause::Stopped)),
            "loop ended with {cause:?}"
        );
    }

    /// Per sender: the next sequence number expected, and the total received.
    #[derive(Default)]
    struct Tally {
        next: Vec<u64>,
        count: u64,
    }

    impl Tally {
        fn new(senders: u64) -> Rc<RefCell<Tally>> {
            Rc::new(RefCell::new(Tally {
                next: vec![0; senders as usize],
                count: 0,
            }))
        }

        /// Records `msg` (sender in the top 16 bits, sequence below), checking send order.
        fn take(&mut self, msg: u64) {
            let (sender, seq) = ((msg >> 48) as usize, msg & ((1 << 48) - 1));
            assert_eq!(
                seq, self.next[sender],
                "sender {sender}: messages out of order"
            );
            self.next[sender] += 1;
            self.count += 1;
        }
    }

    /// 8 threads send 100,000 messages each into one `Channel`: all 800,000 arrive, in send
    /// order per sender.
    #[test]
    fn channel_storm_delivers_every_message_in_order() {
        let (mut s, mut host) = runtime();
        let tally = Tally::new(THREADS);
        let total = THREADS * PER_THREAD;
        let t = tally.clone();
        let d = s.deferrer();
        let fwd = Fwd::new(move |msg: u64| {
            let mut t = t.borrow_mut();
            t.take(msg);
            if t.count == total {
                d.defer(|s| s.shutdown(StopCause::Stopped));
            }
        });
        let (chan, guard) = Channel::new(&mut s, fwd);
        let senders: Vec<_> = (0..THREADS)
            .map(|k| {
                let chan = chan.clone();
                thread::spawn(move || {
                    for i in 0..PER_THREAD {
                        assert!(chan.send((k << 48) | i));
                    }
                })
            })
            .collect();
        drop(chan);
        serve(&mut s, &mut host);
        for h in senders {
            h.join().unwrap();
        }
        assert_eq!(tally.borrow().count, total);
        assert!(tally.borrow().next.iter().all(|&n| n == PER_THREAD));
        drop(guard);
        println!(
            "stress: channel storm: passed: {total} messages from {THREADS} threads, in order"
        );
    }

    /// 4 threads push 50,000 messages each through a `BoundedChannel` of capacity 64
    /// (blocking when full), delivered in batches of 16: all arrive, in order per sender.
    #[test]
    fn bounded_channel_storm_with_backpressure() {
        const SENDERS: u64 = 4;
        const EACH: u64 = 50_000;
        let (mut s, mut host) = runtime();
        let tally = Tally::new(SENDERS);
        let t = tally.clone();
        let d = s.deferrer();
        let fwd = Fwd::new(move |msg: u64| {
            let mut t = t.borrow_mut();
            t.take(msg);
            if t.count == SENDERS * EACH {
                d.defer(|s| s.shutdown(StopCause::Stopped));
            }
        });
        let (chan, guard) = BoundedChannel::new(&mut s, 64, fwd);
        guard.set_batch(16);
        let senders: Vec<_> = (0..SENDERS)
            .map(|k| {
                let chan = chan.clone();
                thread::spawn(move || {
                    for i in 0..EACH {
                        chan.send_blocking((k << 48) | i).unwrap();
                    }
                })
            })
            .collect();
        drop(chan);
        serve(&mut s, &mut host);
        for h in senders {
            h.join().unwrap();
        }
        assert_eq!(tally.borrow().count, SENDERS * EACH);
        drop(guard);
        println!(
            "stress: bounded channel storm: passed: {} messages from {SENDERS} threads",
            SENDERS * EACH
        );
    }

    /// 8 threads wake 1,024 `Waker`s 100,000 times each, each wake announced by a counter:
    /// the handlers collect every count (no wake is lost, however they coalesce). Then every
    /// `Waker` is dropped from another thread and each handler gets exactly one final call.
    #[test]
    fn wake_storm_loses_no_wake_and_every_drop_gets_its_final_call() {
        const WAKERS: usize = 1024;
        let (mut s, mut host) = runtime();
        let total = THREADS * PER_THREAD;
        let pending: Arc<Vec<AtomicU64>> =
            Arc::new((0..WAKERS).map(|_| AtomicU64::new(0)).collect());
        let collected = Rc::new(Cell::new(0u64));
        let calls = Rc::new(Cell::new(0u64));
        let finals: Rc<RefCell<Vec<u32>>> = Rc::new(RefCell::new(vec![0; WAKERS]));
        let mut wakers: Vec<Waker> = Vec::new();
        for i in 0..WAKERS {
            let (p, c, n, f) = (
                pending.clone(),
                collected.clone(),
                calls.clone(),
                finals.clone(),
            );
            wakers.push(s.waker(move |s, deleted| {
                n.set(n.get() + 1);
                c.set(c.get() + p[i].swap(0, Ordering::AcqRel));
                if deleted {
                    let mut f = f.borrow_mut();
                    f[i] += 1;
                    if f.iter().all(|&x| x > 0) {
                        s.shutdown(StopCause::Stopped);
                    }
                } else if c.get() == total {
                    s.shutdown(StopCause::Stopped);
                }
            }));
        }
        let wakers = Arc::new(wakers);
        let threads: Vec<_> = (0..THREADS)
            .map(|k| {
                let (w, p) = (wakers.clone(), pending.clone());
                thread::spawn(move || {
                    let mut x = k.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                    for _ in 0..PER_THREAD {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let i = (x % WAKERS as u64) as usize;
                        p[i].fetch_add(1, Ordering::AcqRel);
                        w[i].wake();
                    }
                })
            })
            .collect();
        serve(&mut s, &mut host);
        for h in threads {
            h.join().unwrap();
        }
        assert_eq!(collected.get(), total, "every wake collected");
        assert!(calls.get() <= total, "wakes coalesce");

        // Drop every Waker on another thread; the final calls arrive through the poll waker.
        let Ok(wakers) = Arc::try_unwrap(wakers) else {
            panic!("the waking threads still hold the wakers");
        };
        thread::spawn(move || drop(wakers)).join().unwrap();
        serve(&mut s, &mut host);
        assert!(
            finals.borrow().iter().all(|&x| x == 1),
            "one final call each"
        );
        assert_eq!(collected.get(), total);
        println!(
            "stress: wake storm: passed: {total} wakes on {WAKERS} wakers from {THREADS} threads, \
             {} handler calls, {WAKERS} final calls",
            calls.get()
        );
    }
}
