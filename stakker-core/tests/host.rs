//! The adapter contract: what the driver does with what a host reports.
#![cfg(feature = "std")]

mod util;

use core::task::{Context, Poll};
use stakker_core::host::{run_blocking, run_blocking_max_wait, Activity, EventLoop, WakeFlag};
use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, idle, ret_shutdown, stop, Stakker, CX};
use std::collections::VecDeque;
use util::Trace;

/// A virtual-time host that replays scripted waits: each `poll_wait` takes the next scripted
/// result (or times out once the script is empty), recording the `max` it was given.
struct Scripted {
    now: Instant,
    script: VecDeque<(Duration, Activity, Option<WakeFlag>)>,
    waits: Vec<Duration>,
}

impl Scripted {
    fn new(now: Instant) -> Self {
        Scripted {
            now,
            script: VecDeque::new(),
            waits: Vec::new(),
        }
    }
}

impl EventLoop for Scripted {
    type Error = core::convert::Infallible;
    fn now(&mut self) -> Instant {
        self.now
    }
    fn poll_wait(
        &mut self,
        _: &mut Context<'_>,
        max: Duration,
    ) -> Poll<Result<Activity, Self::Error>> {
        self.waits.push(max);
        match self.script.pop_front() {
            Some((after, mut found, flag)) if after <= max => {
                self.now += after;
                if let Some(flag) = flag {
                    found.woken = flag.take();
                }
                Poll::Ready(Ok(found))
            }
            _ => {
                self.now += max;
                Poll::Ready(Ok(Activity::NONE))
            }
        }
    }
}

/// Collects the values another thread sends through a `Waker`, stopping after `want`.
struct Collector {
    trace: Trace,
    want: usize,
    _waker: stakker_core::sync::Waker,
}

impl Collector {
    fn init(cx: CX![], trace: Trace, want: usize) -> Option<Self> {
        let this = cx.this().clone();
        let t = trace.clone();
        let waker = cx.waker(move |s, dropped| {
            if !dropped {
                t.push("wake handler");
                stakker_core::call!([this, s], woke());
            }
        });
        std::thread::scope(|sc| {
            sc.spawn(|| waker.wake());
        });
        Some(Collector {
            trace,
            want,
            _waker: waker,
        })
    }
    fn woke(&mut self, cx: CX![]) {
        self.trace.push("actor woke");
        self.want -= 1;
        if self.want == 0 {
            stop!(cx);
        }
    }
}

#[test]
fn reported_wake_makes_the_driver_run_poll_wake() {
    let t0 = Instant::from_secs(5);
    let mut s = Stakker::new(t0);
    let flag = WakeFlag::new();
    let notified = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let n = notified.clone();
    flag.install(&mut s, move || {
        n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let trace = Trace::new();
    let _c = actor!(s, Collector::init(trace.clone(), 1), ret_shutdown!(s));
    let mut host = Scripted::new(t0);
    // The first wait reports the flag; the wake must reach the actor through poll_wake.
    host.script
        .push_back((Duration::from_millis(3), Activity::NONE, Some(flag.clone())));
    let cause = run_blocking(&mut s, &mut host).unwrap();
    assert_eq!(cause.unwrap().to_string(), "Actor stopped");
    assert!(notified.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert_eq!(trace.get(), ["wake handler", "actor woke"]);
    assert_eq!(host.now, t0 + Duration::from_millis(3));
    // The host took the flag; the stopped actor's dropped Waker set it again (its final call).
    assert!(flag.take());
}

#[test]
fn unreported_wake_is_not_served() {
    // Without `woken` in the Activity the handler must not run: the driver serves exactly what
    // the host reports (here the host times out twice, then stops being asked).
    let t0 = Instant::from_secs(5);
    let mut s = Stakker::new(t0);
    let flag = WakeFlag::new();
    flag.install(&mut s, || ());
    let trace = Trace::new();
    let _c = actor!(s, Collector::init(trace.clone(), 1), ret_shutdown!(s));
    let mut host = Scripted::new(t0);
    let mut d = stakker_core::host::Driver::default();
    d.start(&mut s, t0);
    d.after_wait(&mut s, t0 + Duration::from_secs(1), Activity::SOME);
    assert!(trace.get().is_empty());
    assert!(flag.is_set());
    host.now = t0 + Duration::from_secs(2);
    d.after_wait(&mut s, host.now, Activity::WOKEN);
    assert_eq!(trace.get(), ["wake handler", "actor woke"]);
}

#[test]
fn a_wake_blocks_idle_work_in_that_run() {
    struct Idler(Trace);
    impl Idler {
        fn init(cx: CX![], t: Trace) -> Option<Self> {
            idle!([cx], tick());
            Some(Idler(t))
        }
        fn tick(&mut self, _: CX![]) {
            self.0.push("idle");
        }
    }
    let t0 = Instant::from_secs(1);
    let mut s = Stakker::new(t0);
    let trace = Trace::new();
    let _i = actor!(s, Idler::init(trace.clone()), ret_shutdown!(s));
    let mut d = stakker_core::host::Driver::default();
    d.start(&mut s, t0);
    d.after_wait(&mut s, t0, Activity::WOKEN);
    assert!(
        trace.get().is_empty(),
        "a wake is activity: idle work waits"
    );
    d.after_wait(&mut s, t0, Activity::NONE);
    assert_eq!(trace.get(), ["idle"]);
}

#[test]
fn max_wait_bounds_each_sleep_when_nothing_is_scheduled() {
    struct Lazy;
    impl Lazy {
        fn init(cx: CX![]) -> Option<Self> {
            stakker_core::after!(Duration::from_secs(10), [cx], done());
            Some(Lazy)
        }
        fn done(&mut self, cx: CX![]) {
            stop!(cx);
        }
    }
    let t0 = Instant::from_secs(1);
    // Default: one wait of 10 s (the timer is nearer than 60 s).
    let mut s = Stakker::new(t0);
    let _l = actor!(s, Lazy::init(), ret_shutdown!(s));
    let mut host = Scripted::new(t0);
    run_blocking(&mut s, &mut host).unwrap();
    assert_eq!(host.waits, [Duration::from_secs(10)]);
    // A 3 s bound: the host is asked to wait 3, 3, 3, then the last 1.
    let mut s = Stakker::new(t0);
    let _l = actor!(s, Lazy::init(), ret_shutdown!(s));
    let mut host = Scripted::new(t0);
    run_blocking_max_wait(&mut s, &mut host, Duration::from_secs(3)).unwrap();
    let secs = Duration::from_secs;
    assert_eq!(host.waits, [secs(3), secs(3), secs(3), secs(1)]);
}

fn panic_text(r: std::thread::Result<()>) -> String {
    let p = r.expect_err("the driver must panic");
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn host_clock_far_behind_is_reported_not_waited_on() {
    // Runtime on the std clock (about 200 years from the origin), host from 1 s.
    let mut s = Stakker::new(std::time::Instant::now());
    let mut host = Scripted::new(Instant::from_secs(1));
    let text = panic_text(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || {
            let _ = run_blocking(&mut s, &mut host);
        },
    )));
    assert!(text.contains("behind the runtime's now"), "{text}");
    assert!(text.contains("different clock"), "{text}");
    assert!(host.waits.is_empty(), "no wait before the report");
}

#[test]
fn host_clock_far_ahead_at_start_is_reported() {
    let mut s = Stakker::new(Instant::from_secs(1));
    let mut host = Scripted::new(Instant::from(std::time::Instant::now()));
    let text = panic_text(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || {
            let _ = run_blocking(&mut s, &mut host);
        },
    )));
    assert!(text.contains("ahead of the runtime's now"), "{text}");
}

#[test]
fn small_clock_steps_back_are_tolerated() {
    let t0 = Instant::from_secs(10);
    let mut s = Stakker::new(t0);
    let mut d = stakker_core::host::Driver::default();
    d.start(&mut s, t0);
    d.after_wait(&mut s, t0 - Duration::from_millis(999), Activity::NONE);
    assert_eq!(s.now(), t0, "time never goes backwards in the runtime");
    let text = panic_text(std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || {
            d.after_wait(&mut s, t0 - Duration::from_millis(1001), Activity::NONE);
        },
    )));
    assert!(text.contains("behind the runtime's now"), "{text}");
}
