//! Cross-thread tests with real threads: `Waker`, `set_poll_waker`/`poll_wake`, `Channel`,
//! `BoundedChannel` and `PipedThread`.
//!
//! Nothing here sleeps to wait for an effect: the test host's poll waker signals a condvar,
//! and the host loop (`Host::serve*`) waits on it, then runs `poll_wake` and `run`, exactly as
//! an adapter would. The condvar waits have a generous timeout only so that a lost wake fails
//! the test instead of hanging it.

#![allow(missing_docs)]

use stakker_core::time::Instant;
use stakker_core::Stakker;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How long the host waits for a poll-waker call before declaring a wake lost.
#[allow(dead_code)]
const LOST: Duration = Duration::from_secs(20);

/// Waits (yielding, for at most `LOST`) until `done()` holds; panics naming `what` if it does
/// not, so a broken wake or release fails the test instead of hanging it.
#[allow(dead_code)]
#[track_caller]
fn within(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + LOST;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "not within {LOST:?}: {what}"
        );
        std::thread::yield_now();
    }
}

/// The text of a panic payload (`String` or `&str`; anything else fails the test).
#[allow(dead_code)]
fn panic_text(e: Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .expect("a panic with a text payload")
}

/// A runtime plus a host loop driven by a counting poll waker.
#[allow(dead_code)]
struct Host {
    s: Stakker,
    signal: Arc<(Mutex<u64>, Condvar)>,
    /// Poll-waker calls already served.
    served: u64,
}

#[allow(dead_code)]
impl Host {
    fn new() -> Host {
        let mut s = Stakker::new(Instant::from_nanos(0));
        let signal = Arc::new((Mutex::new(0u64), Condvar::new()));
        let sig = signal.clone();
        s.set_poll_waker(move || {
            let (count, cv) = &*sig;
            *count.lock().unwrap() += 1;
            cv.notify_all();
        });
        Host {
            s,
            signal,
            served: 0,
        }
    }

    /// Poll-waker calls so far.
    fn polls(&self) -> u64 {
        *self.signal.0.lock().unwrap()
    }

    /// Whether the poll waker was called since the last serve.
    fn woken(&self) -> bool {
        self.polls() > self.served
    }

    /// One host-loop round: wait for a poll-waker call (at most `LOST`), then `poll_wake`
    /// (queued, as adapters do) and `run`. Returns whether the poll waker had fired.
    fn serve(&mut self) -> bool {
        let (count, cv) = &*self.signal;
        let mut n = count.lock().unwrap();
        let deadline = std::time::Instant::now() + LOST;
        while *n <= self.served {
            let now = std::time::Instant::now();
            if now >= deadline {
                return false;
            }
            n = cv.wait_timeout(n, deadline - now).unwrap().0;
        }
        self.served = *n;
        drop(n);
        self.s.deferrer().defer(|s| s.poll_wake());
        self.s.run(Instant::from_nanos(0), false);
        true
    }

    /// Serves only if the poll waker has already fired; never waits.
    fn serve_if_woken(&mut self) -> bool {
        if self.woken() {
            self.serve()
        } else {
            false
        }
    }

    /// Serves until `done()` holds; panics if a wake is lost (no poll-waker call for `LOST`).
    fn serve_until(&mut self, mut done: impl FnMut() -> bool) {
        while !done() {
            assert!(
                self.serve(),
                "no poll-waker call for {LOST:?}: a wake was lost"
            );
        }
    }
}

#[cfg(feature = "inter-thread")]
mod waker {
    use super::*;
    use stakker_core::sync::Waker;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};

    static_assertions::assert_impl_all!(Waker: Send, Sync, std::fmt::Debug);
    static_assertions::assert_not_impl_any!(Waker: Clone, Copy);
    static_assertions::assert_type_eq_all!(stakker_core::Waker, Waker);

    /// Handler calls, recorded as `false` / `true`.
    fn recorder(host: &mut Host) -> (Waker, Rc<RefCell<Vec<bool>>>) {
        let calls = Rc::new(RefCell::new(Vec::new()));
        let c = calls.clone();
        let w = host.s.waker(move |_, last| c.borrow_mut().push(last));
        (w, calls)
    }

    #[test]
    fn thousand_wakes_coalesce_into_one_call() {
        let mut host = Host::new();
        let (w, calls) = recorder(&mut host);
        let w = Arc::new(w);
        let w2 = w.clone();
        std::thread::spawn(move || {
            for _ in 0..1000 {
                w2.wake();
            }
        })
        .join()
        .unwrap();
        assert_eq!(
            host.polls(),
            1,
            "the poll waker is called once per quiet period"
        );
        host.serve();
        assert_eq!(*calls.borrow(), [false]);
        // Quiet again: a later wake calls the poll waker again.
        w.wake();
        w.wake();
        assert_eq!(host.polls(), 2);
        host.serve();
        assert_eq!(*calls.borrow(), [false, false]);
        // A spurious poll_wake calls nothing.
        host.s.poll_wake();
        assert_eq!(calls.borrow().len(), 2);
    }

    #[test]
    fn poll_waker_called_once_for_many_wakers() {
        let mut host = Host::new();
        let count = Rc::new(Cell::new(0));
        let wakers: Vec<Waker> = (0..500)
            .map(|_| {
                let c = count.clone();
                host.s.waker(move |_, last| {
                    assert!(!last);
                    c.set(c.get() + 1)
                })
            })
            .collect();
        for w in &wakers {
            w.wake();
        }
        assert_eq!(host.polls(), 1);
        host.serve();
        assert_eq!(count.get(), 500);
        std::mem::forget(wakers); // keep the handlers from seeing `true`
    }

    #[test]
    fn handlers_run_in_index_order() {
        let mut host = Host::new();
        let order = Rc::new(RefCell::new(Vec::new()));
        let wakers: Vec<Waker> = (0..200)
            .map(|i| {
                let o = order.clone();
                host.s.waker(move |_, _| o.borrow_mut().push(i))
            })
            .collect();
        for i in [150, 3, 199, 64, 65, 0, 127, 128] {
            wakers[i].wake();
        }
        host.serve();
        assert_eq!(*order.borrow(), [0, 3, 64, 65, 127, 128, 150, 199]);
        std::mem::forget(wakers);
    }

    /// Each thread owns one waker and bumps a counter before each wake; the handler takes the
    /// counter. Exact totals prove that no wake (in particular no last wake) was lost.
    #[test]
    fn many_threads_exact_counts() {
        const THREADS: usize = 8;
        const ROUNDS: u64 = 20_000;
        let mut host = Host::new();
        let totals = Rc::new(RefCell::new(vec![0u64; THREADS]));
        let mut handles = Vec::new();
        for t in 0..THREADS {
            let produced = Arc::new(AtomicU64::new(0));
            let p = produced.clone();
            let tot = totals.clone();
            let w = host.s.waker(move |_, _| {
                tot.borrow_mut()[t] += p.swap(0, SeqCst);
            });
            handles.push(std::thread::spawn(move || {
                for _ in 0..ROUNDS {
                    produced.fetch_add(1, SeqCst);
                    w.wake();
                }
                // `w` is dropped here: the final call takes whatever is left.
            }));
        }
        host.serve_until(|| totals.borrow().iter().all(|&n| n == ROUNDS));
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(*totals.borrow(), vec![ROUNDS; THREADS]);
    }

    /// Several threads hammer the same wakers while the host keeps polling. Each waker's
    /// handler runs at most once per `poll_wake`, and the last value written before the last
    /// wake is always seen.
    #[test]
    fn wake_storm_while_polling() {
        const WAKERS: usize = 64;
        const THREADS: usize = 4;
        const ROUNDS: u64 = 5_000;
        let mut host = Host::new();
        let stamps: Arc<Vec<AtomicU64>> =
            Arc::new((0..WAKERS).map(|_| AtomicU64::new(0)).collect());
        let seen = Rc::new(RefCell::new(vec![0u64; WAKERS]));
        let per_poll = Rc::new(RefCell::new(vec![0u32; WAKERS]));
        let wakers: Arc<Vec<Waker>> = Arc::new(
            (0..WAKERS)
                .map(|i| {
                    let (st, se, pp) = (stamps.clone(), seen.clone(), per_poll.clone());
                    host.s.waker(move |_, last| {
                        assert!(!last, "wakers are not dropped during the storm");
                        let mut pp = pp.borrow_mut();
                        pp[i] += 1;
                        assert_eq!(pp[i], 1, "handler {i} called twice in one poll_wake");
                        let v = st[i].load(SeqCst);
                        let mut se = se.borrow_mut();
                        assert!(v >= se[i], "stamps never go backwards");
                        se[i] = v;
                    })
                })
                .collect(),
        );
        let done = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for t in 0..THREADS {
            let (w, st, d) = (wakers.clone(), stamps.clone(), done.clone());
            handles.push(std::thread::spawn(move || {
                for r in 0..ROUNDS {
                    let i = (r as usize * 7 + t * 13) % WAKERS;
                    st[i].fetch_max(r + 1, SeqCst);
                    w[i].wake();
                }
                d.fetch_add(1, SeqCst);
            }));
        }
        while done.load(SeqCst) < THREADS {
            per_poll.borrow_mut().iter_mut().for_each(|n| *n = 0);
            host.serve_if_woken();
            std::thread::yield_now();
        }
        for h in handles {
            h.join().unwrap();
        }
        let expect: Vec<u64> = stamps.iter().map(|a| a.load(SeqCst)).collect();
        let mut rounds = 0;
        while *seen.borrow() != expect {
            per_poll.borrow_mut().iter_mut().for_each(|n| *n = 0);
            assert!(host.serve(), "a wake was lost after the storm");
            rounds += 1;
        }
        assert!(rounds <= 2);
        match Arc::try_unwrap(wakers) {
            Ok(v) => std::mem::forget(v),
            Err(_) => panic!("threads still hold the wakers"),
        }
    }

    #[test]
    fn drop_delivers_final_true_exactly_once() {
        let mut host = Host::new();
        let (w, calls) = recorder(&mut host);
        let dropped = Rc::new(Cell::new(false));
        struct OnDrop(Rc<Cell<bool>>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                self.0.set(true);
            }
        }
        // A handler whose captured state shows when it is dropped.
        let guard = OnDrop(dropped.clone());
        let c2 = calls.clone();
        let w2 = host.s.waker(move |_, last| {
            let _ = &guard;
            c2.borrow_mut().push(last)
        });
        std::thread::spawn(move || {
            w.wake();
            drop(w);
            w2.wake();
            drop(w2);
        })
        .join()
        .unwrap();
        host.serve();
        // One final call each; it stands for the pending wake too.
        assert_eq!(*calls.borrow(), [true, true]);
        assert!(dropped.get(), "the handler is dropped after its final call");
        host.s.poll_wake();
        host.s.poll_wake();
        assert_eq!(calls.borrow().len(), 2);
    }

    #[test]
    fn drop_without_wake_and_wake_before_poll() {
        let mut host = Host::new();
        let (w, calls) = recorder(&mut host);
        w.wake();
        host.serve();
        assert_eq!(*calls.borrow(), [false]);
        drop(w);
        host.serve();
        assert_eq!(*calls.borrow(), [false, true]);
    }

    /// Two threads share a waker through an `Arc`, waking it and dropping their handles; the
    /// host polls concurrently. Whichever thread drops last drops the `Waker`.
    #[test]
    fn drop_racing_with_wake() {
        let mut host = Host::new();
        for round in 0..200 {
            let calls = Rc::new(RefCell::new(Vec::new()));
            let c = calls.clone();
            let w = Arc::new(host.s.waker(move |_, last| c.borrow_mut().push(last)));
            let threads: Vec<_> = (0..2)
                .map(|t| {
                    let w = w.clone();
                    std::thread::spawn(move || {
                        for _ in 0..(round % 7 + t * 3) {
                            w.wake();
                        }
                        drop(w);
                    })
                })
                .collect();
            drop(w);
            within(&format!("round {round}: the final call"), || {
                host.serve_if_woken();
                calls.borrow().contains(&true)
            });
            for t in threads {
                t.join().unwrap();
            }
            // Nothing after the final call, even after further polls.
            host.s.poll_wake();
            host.serve_if_woken();
            let calls = calls.borrow();
            assert_eq!(
                calls.iter().filter(|&&l| l).count(),
                1,
                "round {round}: {calls:?}"
            );
            assert_eq!(calls.last(), Some(&true), "round {round}: {calls:?}");
        }
    }

    /// At least 2^20 live wakers: all created, a sample woken from another thread, then all
    /// dropped; indices are reused afterwards.
    #[test]
    fn a_million_live_wakers() {
        const N: usize = 1 << 20;
        let mut host = Host::new();
        let woken = Rc::new(RefCell::new(Vec::new()));
        let finals = Rc::new(Cell::new(0usize));
        let wakers: Vec<Waker> = (0..N)
            .map(|i| {
                let (w, f) = (woken.clone(), finals.clone());
                host.s.waker(move |_, last| {
                    if last {
                        f.set(f.get() + 1);
                    } else {
                        w.borrow_mut().push(i);
                    }
                })
            })
            .collect();
        let sample: Vec<usize> = (0..N).step_by(997).chain([N - 1]).collect();
        std::thread::scope(|sc| {
            sc.spawn(|| {
                for &i in &sample {
                    wakers[i].wake();
                    wakers[i].wake();
                }
            });
        });
        assert_eq!(host.polls(), 1);
        host.serve();
        assert_eq!(
            *woken.borrow(),
            sample,
            "each sampled waker once, in index order"
        );
        // Drop them all on another thread.
        std::thread::spawn(move || drop(wakers)).join().unwrap();
        host.serve();
        assert_eq!(finals.get(), N);
        // Freed indices are reused; only the woken one runs.
        woken.borrow_mut().clear();
        let again: Vec<Waker> = (0..3)
            .map(|i| {
                let w = woken.clone();
                host.s.waker(move |_, last| {
                    if !last {
                        w.borrow_mut().push(1000 + i)
                    }
                })
            })
            .collect();
        again[1].wake();
        host.serve();
        assert_eq!(*woken.borrow(), [1001]);
    }

    #[test]
    fn handlers_may_create_and_drop_wakers() {
        let mut host = Host::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let made: Rc<RefCell<Vec<Waker>>> = Rc::default();
        let (l, m) = (log.clone(), made.clone());
        let w = host.s.waker(move |s, last| {
            l.borrow_mut().push(format!("outer {last}"));
            let l2 = l.clone();
            let inner = s.waker(move |_, last| l2.borrow_mut().push(format!("inner {last}")));
            inner.wake(); // served by the next poll_wake
            m.borrow_mut().push(inner);
            s.poll_wake(); // nested: does nothing
        });
        w.wake();
        host.serve();
        assert_eq!(*log.borrow(), ["outer false"]);
        host.serve();
        assert_eq!(*log.borrow(), ["outer false", "inner false"]);
        made.borrow_mut().clear();
        drop(w);
        host.serve();
        assert_eq!(
            *log.borrow(),
            ["outer false", "inner false", "outer true", "inner true"]
        );
    }

    /// A panicking handler passes through `poll_wake`; the other woken handlers are served by
    /// the next one, and the panicking handler stays registered.
    #[test]
    fn handler_panic_leaves_runtime_usable() {
        let mut host = Host::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let l = log.clone();
        let bad = host.s.waker(move |_, last| {
            l.borrow_mut().push(format!("bad {last}"));
            if !last {
                panic!("handler failed");
            }
        });
        let (good, calls) = recorder(&mut host);
        bad.wake();
        good.wake();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| host.s.poll_wake()));
        assert_eq!(panic_text(r.unwrap_err()), "handler failed");
        assert!(calls.borrow().is_empty());
        // The unserved waker was marked again, which calls the poll waker.
        assert!(host.serve());
        assert_eq!(*calls.borrow(), [false]);
        drop(bad);
        host.serve();
        assert_eq!(*log.borrow(), ["bad false", "bad true"]);
        drop(good);
    }

    #[test]
    fn wakers_outlive_the_runtime() {
        let mut host = Host::new();
        let (w, _calls) = recorder(&mut host);
        let (w2, _) = recorder(&mut host);
        let before = host.polls();
        drop(host.s);
        w.wake();
        std::thread::spawn(move || {
            w2.wake();
            drop(w2);
        })
        .join()
        .unwrap();
        drop(w);
        assert_eq!(
            *host.signal.0.lock().unwrap(),
            before,
            "no poll-waker calls after the drop"
        );
    }

    #[test]
    fn second_set_poll_waker_panics() {
        let mut host = Host::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            host.s.set_poll_waker(|| ());
        }));
        let msg = panic_text(r.unwrap_err());
        assert!(msg.contains("Stakker::set_poll_waker"), "{msg}");
        assert!(msg.contains("already set"), "{msg}");
    }

    #[test]
    fn waker_without_poll_waker_panics() {
        let mut s = Stakker::new(Instant::from_nanos(0));
        s.poll_wake(); // no poll waker: does nothing
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = s.waker(|_, _| ());
        }));
        let msg = panic_text(r.unwrap_err());
        assert!(msg.contains("Core::waker"), "{msg}");
        assert!(msg.contains("no poll waker"), "{msg}");
    }
}

// Built without `inter-thread`: `--no-default-features` runs `waker_asks_for_the_feature`;
// `channels_ask_for_the_feature` also needs `std`, so CI has a gate for
// `--no-default-features --features std --test sync`.
#[cfg(not(feature = "inter-thread"))]
mod no_inter_thread {
    use super::*;

    #[test]
    fn waker_asks_for_the_feature() {
        let mut s = Stakker::new(Instant::from_nanos(0));
        s.set_poll_waker(|| ());
        s.poll_wake();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = s.waker(|_, _| ());
        }));
        let msg = panic_text(r.unwrap_err());
        assert!(
            msg.contains("Core::waker") && msg.contains("inter-thread"),
            "{msg}"
        );
        // A second set_poll_waker panics without the feature too.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            s.set_poll_waker(|| ());
        }));
        let msg = panic_text(r.unwrap_err());
        assert!(
            msg.contains("Stakker::set_poll_waker") && msg.contains("already set"),
            "{msg}"
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn channels_ask_for_the_feature() {
        use stakker_core::sync::{BoundedChannel, Channel, PipedThread};
        use stakker_core::Fwd;
        let mut s = Stakker::new(Instant::from_nanos(0));
        s.set_poll_waker(|| ());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = Channel::new(&mut s, Fwd::new(|_: u32| ()));
        }));
        assert!(panic_text(r.unwrap_err()).contains("inter-thread"));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = BoundedChannel::new(&mut s, 4, Fwd::new(|_: u32| ()));
        }));
        assert!(panic_text(r.unwrap_err()).contains("inter-thread"));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: PipedThread<u32, u32> =
                PipedThread::spawn(Fwd::new(|_| ()), Fwd::new(|_| ()), &mut s, |_| ());
        }));
        assert!(panic_text(r.unwrap_err()).contains("inter-thread"));
    }
}

#[cfg(all(feature = "std", feature = "inter-thread"))]
mod channel {
    use super::*;
    use stakker_core::sync::{Channel, ChannelGuard};
    use stakker_core::{actor, call, fwd_to, ret_nop, Fwd, CX};
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    static_assertions::assert_impl_all!(Channel<u32>: Clone, Send, Sync);
    static_assertions::assert_not_impl_any!(Channel<u32>: Copy);
    static_assertions::assert_not_impl_any!(ChannelGuard: Clone, Copy, Send, Sync);

    /// Counts drops of messages.
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    #[test]
    fn many_senders_exact_order_and_counts() {
        const SENDERS: usize = 8;
        const EACH: u32 = 10_000;
        let mut host = Host::new();
        let got = Rc::new(RefCell::new(vec![Vec::new(); SENDERS]));
        let g = got.clone();
        let (chan, _guard) = Channel::new(
            &mut host.s,
            Fwd::new(move |(t, n): (usize, u32)| g.borrow_mut()[t].push(n)),
        );
        let handles: Vec<_> = (0..SENDERS)
            .map(|t| {
                let c = chan.clone();
                std::thread::spawn(move || {
                    for n in 0..EACH {
                        assert!(c.send((t, n)));
                    }
                })
            })
            .collect();
        drop(chan);
        host.serve_until(|| got.borrow().iter().all(|v| v.len() == EACH as usize));
        for h in handles {
            h.join().unwrap();
        }
        let expect: Vec<u32> = (0..EACH).collect();
        for v in got.borrow().iter() {
            assert_eq!(*v, expect);
        }
    }

    #[test]
    fn closed_channel_refuses_and_drops() {
        let mut host = Host::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let delivered = Rc::new(Cell::new(0));
        let d = delivered.clone();
        let (chan, guard) =
            Channel::new(&mut host.s, Fwd::new(move |_: Counted| d.set(d.get() + 1)));
        assert!(!chan.is_closed());
        for _ in 0..3 {
            assert!(chan.send(Counted(drops.clone())));
        }
        drop(guard); // closes before delivery: the three are dropped undelivered
        assert_eq!(drops.load(SeqCst), 3);
        assert!(chan.is_closed());
        let c = chan.clone();
        let d2 = drops.clone();
        let sent = std::thread::spawn(move || c.send(Counted(d2)))
            .join()
            .unwrap();
        assert!(!sent);
        assert_eq!(drops.load(SeqCst), 4, "a refused message is dropped");
        host.serve_if_woken();
        host.s.poll_wake();
        assert_eq!(delivered.get(), 0);
    }

    #[test]
    fn messages_sent_before_last_sender_drops_are_delivered() {
        let mut host = Host::new();
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        let (chan, _guard) =
            Channel::new(&mut host.s, Fwd::new(move |n: u32| g.borrow_mut().push(n)));
        std::thread::spawn(move || {
            for n in 0..5 {
                chan.send(n);
            }
        })
        .join()
        .unwrap();
        host.serve();
        assert_eq!(*got.borrow(), [0, 1, 2, 3, 4]);
    }

    /// The usual shape: the receiving actor keeps the guard, so the channel closes with it.
    struct Receiver {
        got: Vec<String>,
        _guard: ChannelGuard,
        shared: Rc<RefCell<Vec<String>>>,
    }
    impl Receiver {
        fn init(
            cx: CX![],
            out: Rc<RefCell<Option<Channel<String>>>>,
            shared: Rc<RefCell<Vec<String>>>,
        ) -> Option<Self> {
            let fwd = fwd_to!([cx], recv() as (String));
            let (chan, guard) = Channel::new(cx, fwd);
            *out.borrow_mut() = Some(chan);
            Some(Receiver {
                got: Vec::new(),
                _guard: guard,
                shared,
            })
        }
        fn recv(&mut self, _: CX![], m: String) {
            self.got.push(m.clone());
            self.shared.borrow_mut().push(m);
        }
        fn finish(&mut self, cx: CX![]) {
            stakker_core::stop!(cx);
        }
    }

    #[test]
    fn guard_in_actor_closes_on_stop() {
        let mut host = Host::new();
        let slot = Rc::new(RefCell::new(None));
        let shared = Rc::new(RefCell::new(Vec::new()));
        let a = actor!(
            host.s,
            Receiver::init(slot.clone(), shared.clone()),
            ret_nop!()
        );
        host.s.run(Instant::from_nanos(0), false);
        let chan = slot.borrow_mut().take().unwrap();
        let c = chan.clone();
        std::thread::spawn(move || assert!(c.send("hi".into())))
            .join()
            .unwrap();
        host.serve_until(|| shared.borrow().len() == 1);
        assert_eq!(
            a.query(&mut host.s, |this, _| this.got.clone()).unwrap(),
            ["hi"]
        );
        call!([a], finish());
        host.s.run(Instant::from_nanos(0), false);
        assert!(chan.is_closed());
        assert!(!chan.send("late".into()));
    }

    #[test]
    fn new_channel_needs_a_poll_waker() {
        let mut s = Stakker::new(Instant::from_nanos(0));
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = Channel::new(&mut s, Fwd::new(|_: u32| ()));
        }));
        let msg = panic_text(r.unwrap_err());
        assert!(msg.contains("Core::waker"), "{msg}");
    }

    /// A `Fwd` that panics passes the panic through `poll_wake`; the messages after it stay
    /// queued, in order, and come with the next `poll_wake`.
    #[test]
    fn fwd_panic_keeps_the_rest() {
        let mut host = Host::new();
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        let (chan, _guard) = Channel::new(
            &mut host.s,
            Fwd::new(move |n: u32| {
                if n == 2 {
                    panic!("bad message");
                }
                g.borrow_mut().push(n)
            }),
        );
        for n in 0..6 {
            chan.send(n);
        }
        host.served = host.polls();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| host.s.poll_wake()));
        assert_eq!(panic_text(r.unwrap_err()), "bad message");
        assert_eq!(*got.borrow(), [0, 1]);
        chan.send(6);
        assert!(host.serve());
        assert_eq!(*got.borrow(), [0, 1, 3, 4, 5, 6]);
    }
}

#[cfg(all(feature = "std", feature = "inter-thread"))]
mod bounded {
    use super::*;
    use stakker_core::sync::{BoundedChannel, BoundedChannelGuard, TrySendError};
    use stakker_core::{actor, call, fwd_to, idle, ret_nop, Actor, Fwd, CX};
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    static_assertions::assert_impl_all!(BoundedChannel<u32>: Clone, Send, Sync);
    static_assertions::assert_not_impl_any!(BoundedChannelGuard<u32>: Clone, Send, Sync);
    static_assertions::assert_impl_all!(TrySendError<u32>: std::error::Error, Send, Sync);

    fn collector(
        host: &mut Host,
        cap: usize,
    ) -> (
        BoundedChannel<u32>,
        BoundedChannelGuard<u32>,
        Rc<RefCell<Vec<u32>>>,
    ) {
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        let (tx, guard) = BoundedChannel::new(
            &mut host.s,
            cap,
            Fwd::new(move |n: u32| g.borrow_mut().push(n)),
        );
        (tx, guard, got)
    }

    /// A send wakes the runtime only when nothing was waiting. Messages added behind a
    /// batch that delivery left in the queue arrive all the same, through the delivery that
    /// batch arranged, and a send after everything was taken wakes again.
    #[test]
    fn sends_behind_waiting_messages_need_no_wake_of_their_own() {
        let mut host = Host::new();
        let (tx, guard, got) = collector(&mut host, 100);
        guard.set_batch(1);
        tx.try_send(1).unwrap();
        tx.try_send(2).unwrap();
        assert!(host.serve());
        assert_eq!(*got.borrow(), [1], "one per batch");
        tx.try_send(3).unwrap();
        host.serve_until(|| got.borrow().len() == 3);
        assert_eq!(*got.borrow(), [1, 2, 3]);
        assert!(guard.is_empty());
        assert!(!host.woken(), "no delivery is pending");
        tx.try_send(4).unwrap();
        assert!(host.woken(), "a send to an empty queue wakes");
        host.serve();
        assert_eq!(*got.borrow(), [1, 2, 3, 4]);
    }

    #[test]
    fn full_returns_the_message() {
        let mut host = Host::new();
        let (tx, _guard, got) = collector(&mut host, 2);
        assert_eq!(tx.capacity(), 2);
        let tx2 = tx.clone();
        let results =
            std::thread::spawn(move || [tx2.try_send(1), tx2.try_send(2), tx2.try_send(3)])
                .join()
                .unwrap();
        assert_eq!(results[0], Ok(()));
        assert_eq!(results[1], Ok(()));
        let err = results[2];
        assert!(err.unwrap_err().is_full());
        assert_eq!(err.unwrap_err().into_inner(), 3);
        assert_eq!(err.unwrap_err().to_string(), "sending on a full channel");
        assert_eq!(tx.len(), 2);
        host.serve();
        assert_eq!(*got.borrow(), [1, 2]);
        // Space again ("reopened" after full).
        assert_eq!(tx.try_send(3), Ok(()));
        host.serve();
        assert_eq!(*got.borrow(), [1, 2, 3]);
        // A timed send on a full channel times out with the message back.
        tx.try_send(4).unwrap();
        tx.try_send(5).unwrap();
        let tx3 = tx.clone();
        let r = std::thread::spawn(move || tx3.send_timeout(6, Duration::from_millis(20)))
            .join()
            .unwrap();
        assert_eq!(r, Err(TrySendError::Full(6)));
    }

    #[test]
    fn closed_returns_the_message() {
        let mut host = Host::new();
        let (tx, guard, got) = collector(&mut host, 4);
        tx.try_send(1).unwrap();
        drop(guard);
        assert!(tx.is_closed());
        assert_eq!(tx.len(), 0, "undelivered messages are dropped on close");
        let tx2 = tx.clone();
        let (a, b, c) = std::thread::spawn(move || {
            (
                tx2.try_send(2),
                tx2.send_blocking(3),
                tx2.send_timeout(4, Duration::from_secs(5)),
            )
        })
        .join()
        .unwrap();
        assert_eq!(a, Err(TrySendError::Closed(2)));
        assert_eq!(a.unwrap_err().to_string(), "sending on a closed channel");
        assert_eq!(b, Err(3));
        assert_eq!(c, Err(TrySendError::Closed(4)));
        host.serve_if_woken();
        assert!(got.borrow().is_empty());
    }

    #[test]
    fn new_channel_after_close_works() {
        let mut host = Host::new();
        let (tx, guard, _) = collector(&mut host, 1);
        drop(guard);
        assert!(tx.try_send(1).unwrap_err().is_closed());
        let (tx, _guard, got) = collector(&mut host, 1);
        std::thread::spawn(move || tx.send_blocking(7).unwrap())
            .join()
            .unwrap();
        host.serve();
        assert_eq!(*got.borrow(), [7]);
    }

    /// With capacity 1 a producer of 200 messages must wait for the runtime 199 times; every
    /// message arrives, in order, and the capacity is never exceeded.
    #[test]
    fn blocked_sender_proceeds_when_space_frees() {
        let mut host = Host::new();
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        let slot: Rc<RefCell<Option<BoundedChannel<u32>>>> = Rc::default();
        let sl = slot.clone();
        let (tx, _guard) = BoundedChannel::new(
            &mut host.s,
            1,
            Fwd::new(move |n: u32| {
                let len = sl.borrow().as_ref().unwrap().len();
                assert!(len <= 1, "capacity exceeded: {len}");
                g.borrow_mut().push(n)
            }),
        );
        *slot.borrow_mut() = Some(tx.clone());
        let producer = std::thread::spawn(move || {
            for n in 0..200 {
                tx.send_blocking(n).unwrap();
            }
        });
        host.serve_until(|| got.borrow().len() == 200);
        producer.join().unwrap();
        assert_eq!(*got.borrow(), (0..200).collect::<Vec<_>>());
    }

    /// A sender blocked on a full channel returns `Err(msg)` when the receiving side closes.
    #[test]
    fn blocked_sender_released_by_close() {
        let mut host = Host::new();
        let (tx, guard, _) = collector(&mut host, 1);
        tx.try_send(1).unwrap();
        let probe = tx.clone();
        let (result_tx, result_rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || result_tx.send(tx.send_blocking(2)).unwrap());
        // `Debug` counts the senders waiting for space.
        within("the sender blocks on the full channel", || {
            t.is_finished() || format!("{probe:?}").contains("blocked_senders: 1")
        });
        assert!(
            !t.is_finished(),
            "send_blocking returned on a full channel: {:?}",
            result_rx.try_recv()
        );
        drop(guard);
        let result = result_rx
            .recv_timeout(LOST)
            .expect("closing did not release the blocked sender");
        assert_eq!(result, Err(2));
        t.join().unwrap();
        assert!(format!("{probe:?}").contains("blocked_senders: 0"));
    }

    #[test]
    fn send_blocking_on_runtime_thread_panics_when_full() {
        let mut host = Host::new();
        let (tx, _guard, _) = collector(&mut host, 1);
        tx.send_blocking(1).unwrap(); // space: fine on any thread
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| tx.send_blocking(2)));
        let msg = panic_text(r.unwrap_err());
        assert!(
            msg.contains("BoundedChannel::send_blocking") && msg.contains("deadlock"),
            "{msg}"
        );
    }

    #[test]
    fn pause_and_resume() {
        let mut host = Host::new();
        let (tx, guard, got) = collector(&mut host, 3);
        guard.set_paused(true);
        assert!(guard.is_paused());
        let tx2 = tx.clone();
        let r = std::thread::spawn(move || (0..4).map(|n| tx2.try_send(n)).collect::<Vec<_>>())
            .join()
            .unwrap();
        assert_eq!(r, [Ok(()), Ok(()), Ok(()), Err(TrySendError::Full(3))]);
        host.serve();
        assert!(got.borrow().is_empty(), "nothing is delivered while paused");
        assert_eq!(guard.len(), 3);
        // Resume from the idle queue, as an actor would with `idle!`.
        let g = Rc::new(guard);
        let g2 = g.clone();
        host.s.idle(move |_| g2.set_paused(false));
        host.s.run(Instant::from_nanos(0), true);
        assert!(host.serve(), "resuming wakes the runtime");
        assert_eq!(*got.borrow(), [0, 1, 2]);
        assert!(g.is_empty());
        tx.try_send(9).unwrap();
        host.serve();
        assert_eq!(*got.borrow(), [0, 1, 2, 9]);
    }

    /// Actor `Sink` gets the channel's messages; actor `Other` has a call queued each host
    /// round. With batch 10, each round hands over at most 10 messages, so `Other` runs
    /// between batches instead of waiting for all 100.
    struct Sink {
        trace: Rc<RefCell<Vec<String>>>,
        guard: Option<BoundedChannelGuard<u32>>,
    }
    impl Sink {
        fn init(_: CX![], trace: Rc<RefCell<Vec<String>>>) -> Option<Self> {
            Some(Sink { trace, guard: None })
        }
        fn open(&mut self, cx: CX![], out: Rc<RefCell<Option<BoundedChannel<u32>>>>) {
            let fwd = fwd_to!([cx], recv() as (u32));
            let (tx, guard) = BoundedChannel::new(cx, 100, fwd);
            guard.set_batch(10);
            self.guard = Some(guard);
            *out.borrow_mut() = Some(tx);
        }
        fn recv(&mut self, _: CX![], n: u32) {
            self.trace.borrow_mut().push(format!("m{n}"));
        }
    }
    struct Other {
        trace: Rc<RefCell<Vec<String>>>,
    }
    impl Other {
        fn init(_: CX![], trace: Rc<RefCell<Vec<String>>>) -> Option<Self> {
            Some(Other { trace })
        }
        fn tick(&mut self, _: CX![]) {
            self.trace.borrow_mut().push("other".into());
        }
    }

    #[test]
    fn batches_do_not_starve_other_actors() {
        let mut host = Host::new();
        let trace = Rc::new(RefCell::new(Vec::new()));
        let sink = actor!(host.s, Sink::init(trace.clone()), ret_nop!());
        let other = actor!(host.s, Other::init(trace.clone()), ret_nop!());
        let slot = Rc::new(RefCell::new(None));
        call!([sink], open(slot.clone()));
        host.s.run(Instant::from_nanos(0), false);
        let tx: BoundedChannel<u32> = slot.borrow_mut().take().unwrap();
        let tx2 = tx.clone(); // the producer stays alive: batches go through the host loop
        std::thread::spawn(move || {
            for n in 0..100 {
                tx2.try_send(n).unwrap();
            }
        })
        .join()
        .unwrap();
        let mut rounds = 0;
        while trace.borrow().iter().filter(|t| t.starts_with('m')).count() < 100 {
            call!([other], tick());
            assert!(host.serve(), "a batch was left without a wake");
            rounds += 1;
        }
        assert_eq!(rounds, 10);
        let t = trace.borrow();
        // Every run of consecutive messages is at most one batch long.
        let mut run = 0;
        for e in t.iter() {
            if e == "other" {
                run = 0;
            } else {
                run += 1;
                assert!(run <= 10, "more than a batch without `other`: {t:?}");
            }
        }
        let msgs: Vec<String> = t.iter().filter(|e| e.starts_with('m')).cloned().collect();
        assert_eq!(msgs, (0..100).map(|n| format!("m{n}")).collect::<Vec<_>>());
        let _: &Actor<Sink> = &sink;
        drop(tx);
    }

    /// Once every sender is gone, what is left still arrives (in batches on the main queue).
    #[test]
    fn rest_delivered_after_senders_drop() {
        let mut host = Host::new();
        let (tx, guard, got) = collector(&mut host, 50);
        guard.set_batch(7);
        for n in 0..50 {
            tx.try_send(n).unwrap();
        }
        drop(tx);
        host.serve();
        assert_eq!(*got.borrow(), (0..50).collect::<Vec<_>>());
    }

    /// `idle!` resumes an actor that paused itself when it had too much to do.
    struct Slow {
        guard: Option<BoundedChannelGuard<u32>>,
        got: Vec<u32>,
        pauses: usize,
    }
    impl Slow {
        fn init(_: CX![]) -> Option<Self> {
            Some(Slow {
                guard: None,
                got: Vec::new(),
                pauses: 0,
            })
        }
        fn open(&mut self, cx: CX![], out: Rc<RefCell<Option<BoundedChannel<u32>>>>) {
            let fwd = fwd_to!([cx], recv() as (u32));
            let (tx, guard) = BoundedChannel::new(cx, 4, fwd);
            self.guard = Some(guard);
            *out.borrow_mut() = Some(tx);
        }
        fn recv(&mut self, cx: CX![], n: u32) {
            self.got.push(n);
            if n % 4 == 3 {
                let g = self.guard.as_ref().unwrap();
                if !g.is_paused() {
                    g.set_paused(true);
                    self.pauses += 1;
                    idle!([cx], resume());
                }
            }
        }
        fn resume(&mut self, _: CX![]) {
            self.guard.as_ref().unwrap().set_paused(false);
        }
    }

    #[test]
    fn pause_from_actor_resume_from_idle() {
        let mut host = Host::new();
        let slow = actor!(host.s, Slow::init(), ret_nop!());
        let slot = Rc::new(RefCell::new(None));
        call!([slow], open(slot.clone()));
        host.s.run(Instant::from_nanos(0), false);
        let tx: BoundedChannel<u32> = slot.borrow_mut().take().unwrap();
        let sent = Arc::new(AtomicUsize::new(0));
        let s2 = sent.clone();
        let producer = std::thread::spawn(move || {
            for n in 0..40 {
                tx.send_blocking(n).unwrap();
                s2.fetch_add(1, SeqCst);
            }
        });
        // The host loop: serve wakes; when nothing woke us, run idle (as §7.1 does).
        let mut idle_pending = false;
        loop {
            let got = slow.query(&mut host.s, |this, _| this.got.len()).unwrap();
            if got == 40 {
                break;
            }
            if idle_pending && !host.woken() {
                idle_pending = host.s.run(Instant::from_nanos(0), true);
            } else {
                assert!(host.serve(), "stalled at {got}");
                idle_pending = host.s.run(Instant::from_nanos(0), false);
            }
        }
        producer.join().unwrap();
        let (got, pauses) = slow
            .query(&mut host.s, |this, _| (this.got.clone(), this.pauses))
            .unwrap();
        assert_eq!(got, (0..40).collect::<Vec<_>>());
        assert!(pauses >= 1);
        assert_eq!(sent.load(SeqCst), 40);
    }
}

#[cfg(all(feature = "std", feature = "inter-thread"))]
mod piped {
    use super::*;
    use stakker_core::sync::{PipedLink, PipedThread};
    use stakker_core::Fwd;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

    static_assertions::assert_impl_all!(PipedThread<u32, String>: Send, Sync);
    static_assertions::assert_impl_all!(PipedLink<u32, String>: Send, Sync);
    static_assertions::assert_not_impl_any!(PipedThread<u32, String>: Clone);
    static_assertions::assert_not_impl_any!(PipedLink<u32, String>: Clone);
    static_assertions::assert_type_eq_all!(stakker_core::PipedThread<u8, u8>, PipedThread<u8, u8>);
    static_assertions::assert_type_eq_all!(stakker_core::PipedLink<u8, u8>, PipedLink<u8, u8>);

    type Log = Rc<RefCell<Vec<String>>>;

    fn spawn<O: Send + 'static, I: Send + std::fmt::Debug + 'static>(
        host: &mut Host,
        run: impl FnOnce(&mut PipedLink<O, I>) + Send + 'static,
    ) -> (PipedThread<O, I>, Log) {
        let log: Log = Rc::default();
        let (l1, l2) = (log.clone(), log.clone());
        let pipe = PipedThread::spawn(
            Fwd::new(move |i: I| l1.borrow_mut().push(format!("{i:?}"))),
            Fwd::new(move |t: Option<String>| l2.borrow_mut().push(format!("term {t:?}"))),
            &mut host.s,
            run,
        );
        (pipe, log)
    }

    fn ended(log: &Log) -> bool {
        log.borrow().last().is_some_and(|l| l.starts_with("term"))
    }

    #[test]
    fn round_trip_and_normal_end() {
        let mut host = Host::new();
        let (mut pipe, log) = spawn::<u32, u32>(&mut host, |link| {
            while let Some(n) = link.recv() {
                if n == 0 {
                    return;
                }
                assert!(link.send(n * 10));
            }
        });
        for n in [1, 2, 3, 0] {
            pipe.send(n);
        }
        host.serve_until(|| ended(&log));
        assert_eq!(*log.borrow(), ["10", "20", "30", "term None"]);
        drop(pipe);
    }

    #[test]
    fn worker_panic_is_reported_with_its_message() {
        let mut host = Host::new();
        let (mut pipe, log) = spawn::<u32, u32>(&mut host, |link| {
            let n = link.recv().unwrap();
            link.send(n + 1);
            panic!("worker failed on {n}");
        });
        pipe.send(41);
        host.serve_until(|| ended(&log));
        assert_eq!(*log.borrow(), ["42", "term Some(\"worker failed on 41\")"]);
    }

    #[test]
    fn worker_panic_with_odd_payload() {
        let mut host = Host::new();
        let (_pipe, log) = spawn::<u32, u32>(&mut host, |_| std::panic::panic_any(5u8));
        host.serve_until(|| ended(&log));
        let l = log.borrow();
        assert_eq!(l.len(), 1);
        assert!(l[0].contains("unknown"), "{l:?}");
        let (_pipe, log) = spawn::<u32, u32>(&mut host, |_| panic!("static text"));
        host.serve_until(|| ended(&log));
        assert_eq!(*log.borrow(), ["term Some(\"static text\")"]);
    }

    /// Messages still queued when the `PipedThread` is dropped are never received.
    #[test]
    fn dropping_piped_thread_cancels_worker() {
        let mut host = Host::new();
        let seen_cancel = Arc::new(AtomicBool::new(false));
        let sc = seen_cancel.clone();
        let (gate_tx, gate_rx) = std::sync::mpsc::channel::<()>();
        let (mut pipe, log) = spawn::<u32, String>(&mut host, move |link| {
            assert!(!link.cancel());
            assert_eq!(link.recv(), Some(1));
            link.send("got 1".into());
            gate_rx.recv().unwrap(); // the test has sent 2 and 3 and dropped the pipe
            assert!(link.cancel());
            assert_eq!(link.recv(), None);
            assert!(!link.send("after cancel".into()));
            sc.store(true, SeqCst);
        });
        pipe.send(1);
        host.serve_until(|| !log.borrow().is_empty());
        pipe.send(2);
        pipe.send(3);
        drop(pipe);
        gate_tx.send(()).unwrap();
        host.serve_until(|| ended(&log));
        assert!(seen_cancel.load(SeqCst));
        assert_eq!(*log.borrow(), ["\"got 1\"", "term None"]);
    }

    /// A worker waiting in `recv` is woken by the drop and gets `None`.
    #[test]
    fn drop_wakes_worker_blocked_in_recv() {
        let mut host = Host::new();
        let (pipe, log) = spawn::<u32, u32>(&mut host, |link| {
            assert_eq!(link.recv(), None);
            assert!(link.cancel());
        });
        drop(pipe);
        host.serve_until(|| ended(&log));
        assert_eq!(*log.borrow(), ["term None"]);
    }

    #[test]
    fn many_messages_from_worker_in_order() {
        let mut host = Host::new();
        let (_pipe, log) = spawn::<(), u32>(&mut host, |link| {
            for n in 0..10_000 {
                link.send(n);
            }
        });
        host.serve_until(|| ended(&log));
        let l = log.borrow();
        assert_eq!(l.len(), 10_001);
        for (n, e) in l[..10_000].iter().enumerate() {
            assert_eq!(*e, n.to_string());
        }
    }
}
