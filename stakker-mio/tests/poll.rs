//! `MioPoll` as a host: priorities, held events, registration, wakes, timers with I/O.

use stakker_core::host::EventLoop;
use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, after, call, fwd_to, ret_shutdown, stop, Fwd, Stakker, StopCause, CX};
use stakker_mio::mio::net::UdpSocket;
use stakker_mio::mio::{Events, Interest, Poll};
use stakker_mio::{FdSource, MioPoll, MioSource, Ready};
use std::cell::RefCell;
use std::net::SocketAddr;
use std::os::unix::io::AsRawFd;
use std::rc::Rc;

fn setup(waker_pri: u32) -> (Stakker, MioPoll) {
    let mut s = Stakker::new(Instant::now());
    let poll = Poll::new().unwrap();
    let miopoll = MioPoll::new(&mut s, poll, Events::with_capacity(64), waker_pri).unwrap();
    (s, miopoll)
}

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

type Trace = Rc<RefCell<Vec<String>>>;

/// A `Fwd` recording `name` in `trace` when the poll dispatches an event to it.
fn recorder(trace: &Trace, name: &str) -> Fwd<Ready> {
    let (trace, name) = (trace.clone(), name.to_string());
    Fwd::new(move |_: Ready| trace.borrow_mut().push(name.clone()))
}

/// A UDP socket registered for reading, plus a sender aimed at it.
struct Target {
    src: MioSource<UdpSocket>,
    sender: std::net::UdpSocket,
}

impl Target {
    fn new(miopoll: &MioPoll, pri: u32, fwd: Fwd<Ready>) -> Target {
        let sock = UdpSocket::bind(loopback()).unwrap();
        let sender = std::net::UdpSocket::bind(loopback()).unwrap();
        sender.connect(sock.local_addr().unwrap()).unwrap();
        let src = miopoll.add(sock, Interest::READABLE, pri, fwd).unwrap();
        Target { src, sender }
    }
    /// Makes the socket readable (loopback delivery is complete when `send` returns).
    fn poke(&self) {
        self.sender.send(b"x").unwrap();
    }
    /// Reads until `WouldBlock`, which re-arms the edge.
    fn drain(&self) {
        let mut buf = [0; 16];
        while self.src.recv(&mut buf).is_ok() {}
    }
}

#[test]
fn higher_priority_first_one_held_level_per_round() {
    let (_s, miopoll) = setup(0);
    let trace = Trace::default();
    let low = Target::new(&miopoll, 3, recorder(&trace, "low"));
    let mid = Target::new(&miopoll, 5, recorder(&trace, "mid"));
    let top = Target::new(&miopoll, 10, recorder(&trace, "top"));
    low.poke();
    mid.poke();
    top.poke();

    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, true));
    assert_eq!(*trace.borrow(), ["top"]);

    // New top-level activity goes before the held levels.
    top.drain();
    top.poke();
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, true));
    assert_eq!(*trace.borrow(), ["top", "top"]);

    // Nothing new at the top: the highest held level, then the next.
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, true));
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, false));
    assert_eq!(*trace.borrow(), ["top", "top", "mid", "low"]);
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (false, false));
}

#[test]
fn events_at_one_level_keep_their_order_when_held() {
    let (_s, miopoll) = setup(0);
    let trace = Trace::default();
    let _top = Target::new(&miopoll, 9, recorder(&trace, "top"));
    let a = Target::new(&miopoll, 4, recorder(&trace, "a"));
    let b = Target::new(&miopoll, 4, recorder(&trace, "b"));
    a.poke();
    // Held at level 4, then dispatched in the same round since nothing came at the top.
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, false));
    assert_eq!(*trace.borrow(), ["a"]);
    a.drain();
    b.poke();
    a.poke();
    // Both held and dispatched in the round they arrived (nothing at the top): mio's order.
    let (activity, pending) = miopoll.poll(Duration::ZERO).unwrap();
    assert!(activity && !pending);
    let mut got = trace.borrow()[1..].to_vec();
    got.sort();
    assert_eq!(got, ["a", "b"]);
}

#[test]
fn event_held_for_a_dropped_source_gets_no_call() {
    let (_s, miopoll) = setup(0);
    let trace = Trace::default();
    let top = Target::new(&miopoll, 10, recorder(&trace, "top"));
    let low = Target::new(&miopoll, 1, recorder(&trace, "low"));
    top.poke();
    low.poke();
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, true));
    drop(low);
    // A new source at the same level, likely in the freed token: the held event is not its.
    let newer = Target::new(&miopoll, 1, recorder(&trace, "newer"));
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (false, false));
    assert_eq!(*trace.borrow(), ["top"]);
    newer.poke();
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, false));
    assert_eq!(*trace.borrow(), ["top", "newer"]);
}

#[test]
fn drop_deregisters_and_same_source_twice_is_a_clear_error() {
    let (_s, miopoll) = setup(10);
    let trace = Trace::default();
    let sock = std::net::UdpSocket::bind(loopback()).unwrap();
    sock.set_nonblocking(true).unwrap();
    let fd = sock.as_raw_fd();
    let sender = std::net::UdpSocket::bind(loopback()).unwrap();
    sender.connect(sock.local_addr().unwrap()).unwrap();

    let first = miopoll
        .add(
            FdSource::new(fd),
            Interest::READABLE,
            10,
            recorder(&trace, "fd"),
        )
        .unwrap();
    let err = miopoll
        .add(
            FdSource::new(fd),
            Interest::READABLE,
            10,
            recorder(&trace, "again"),
        )
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(err.to_string().contains("already registered"), "{err}");

    drop(first);
    sender.send(b"x").unwrap();
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (false, false));
    assert!(trace.borrow().is_empty(), "a dropped source was called");

    // Deregistered: the descriptor may be registered again, and is then reported.
    let _again = miopoll
        .add(
            FdSource::new(fd),
            Interest::READABLE,
            10,
            recorder(&trace, "back"),
        )
        .unwrap();
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, false));
    assert_eq!(*trace.borrow(), ["back"]);
}

#[test]
fn handlers_may_use_the_poll_while_it_dispatches() {
    let (_s, miopoll) = setup(10);
    let trace = Trace::default();
    let held: Rc<RefCell<Vec<MioSource<UdpSocket>>>> = Rc::default();
    let (mp, h, t) = (miopoll.clone(), held.clone(), trace.clone());
    let target = Target::new(
        &miopoll,
        10,
        Fwd::new(move |_| {
            let sock = UdpSocket::bind(loopback()).unwrap();
            h.borrow_mut().push(
                mp.add(sock, Interest::READABLE, 10, recorder(&t, "inner"))
                    .unwrap(),
            );
            h.borrow_mut().remove(0); // and drop one
        }),
    );
    held.borrow_mut().push(
        miopoll
            .add(
                UdpSocket::bind(loopback()).unwrap(),
                Interest::READABLE,
                10,
                recorder(&trace, "x"),
            )
            .unwrap(),
    );
    target.poke();
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, false));
    assert_eq!(held.borrow().len(), 1);
}

/// Ticks on a timer; each tick sends a datagram to its own socket, and each arrival sets the
/// next tick, so timers and I/O alternate in one loop.
struct PingSelf {
    sock: MioSource<UdpSocket>,
    trace: Vec<&'static str>,
    done: Rc<RefCell<Vec<&'static str>>>,
}

impl PingSelf {
    fn init(cx: CX![], done: Rc<RefCell<Vec<&'static str>>>) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let sock = UdpSocket::bind(loopback()).unwrap();
        sock.connect(sock.local_addr().unwrap()).unwrap();
        let sock = miopoll
            .add(
                sock,
                Interest::READABLE,
                5,
                fwd_to!([cx], ready() as (Ready)),
            )
            .unwrap();
        after!(Duration::from_millis(2), [cx], tick());
        Some(PingSelf {
            sock,
            trace: Vec::new(),
            done,
        })
    }
    fn tick(&mut self, _cx: CX![]) {
        self.trace.push("timer");
        self.sock.send(b"ping").unwrap();
    }
    fn ready(&mut self, cx: CX![], ready: Ready) {
        assert!(ready.is_readable());
        let mut buf = [0; 8];
        while let Ok(n) = self.sock.recv(&mut buf) {
            assert_eq!(&buf[..n], b"ping");
            self.trace.push("io");
        }
        if self.trace.len() == 6 {
            *self.done.borrow_mut() = std::mem::take(&mut self.trace);
            stop!(cx);
        } else {
            after!(Duration::from_millis(1), [cx], tick());
        }
    }
}

#[test]
fn timers_and_io_interleave_in_one_loop() {
    let (mut s, miopoll) = setup(10);
    let done = Rc::default();
    let _a = actor!(s, PingSelf::init(Rc::clone(&done)), ret_shutdown!(s));
    let cause = miopoll.run(&mut s).unwrap();
    assert!(matches!(cause, Some(StopCause::Stopped)), "{cause:?}");
    assert_eq!(
        *done.borrow(),
        ["timer", "io", "timer", "io", "timer", "io"]
    );
}

/// Waits for the other thread's wake; it is started only once the loop runs.
struct WaitWake;

impl WaitWake {
    fn init(cx: CX![]) -> Option<Self> {
        // A drop stands for any wake not yet handled, so either call is the wake.
        let waker = cx.waker(move |s, _deleted| {
            s.shutdown(StopCause::Stopped);
        });
        call!([cx], start(waker));
        Some(WaitWake)
    }
    fn start(&mut self, _cx: CX![], waker: stakker_core::Waker) {
        std::thread::spawn(move || {
            // Give the loop time to fall asleep in the poll (60 s max wait, no timers).
            std::thread::sleep(std::time::Duration::from_millis(30));
            waker.wake();
        });
    }
}

#[test]
fn wake_from_another_thread_interrupts_a_sleeping_poll() {
    let (mut s, miopoll) = setup(10);
    let started = std::time::Instant::now();
    let _a = actor!(s, WaitWake::init(), ret_shutdown!(s));
    let cause = miopoll.run(&mut s).unwrap();
    assert!(matches!(cause, Some(StopCause::Stopped)), "{cause:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "the wake did not interrupt the wait"
    );
}

#[test]
fn wake_is_reported_to_the_driver_not_queued() {
    let (mut s, mut miopoll) = setup(10);
    let hit = Rc::new(RefCell::new(0));
    let h = hit.clone();
    let waker = s.waker(move |_, deleted| *h.borrow_mut() += usize::from(!deleted));
    waker.wake();
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: std::sync::Arc<Self>) {}
    }
    let task_waker = std::task::Waker::from(std::sync::Arc::new(Noop));
    let mut cx = std::task::Context::from_waker(&task_waker);
    let std::task::Poll::Ready(found) = miopoll.poll_wait(&mut cx, Duration::from_secs(5)) else {
        unreachable!("a blocking host")
    };
    let found = found.unwrap();
    assert!(
        found.woken && found.activity && !found.io_pending,
        "{found:?}"
    );
    s.run(Instant::now(), false);
    assert_eq!(*hit.borrow(), 0, "the host queued poll_wake itself");
    s.poll_wake();
    assert_eq!(*hit.borrow(), 1);
}

#[test]
fn legacy_poll_serves_wakes_and_low_waker_priority_waits_its_turn() {
    let (mut s, miopoll) = setup(0);
    let trace = Trace::default();
    let top = Target::new(&miopoll, 10, recorder(&trace, "top"));
    let t = trace.clone();
    let waker = s.waker(move |_, deleted| {
        if !deleted {
            t.borrow_mut().push("wake".into())
        }
    });
    waker.wake();
    top.poke();
    // The wake event (level 0) is held behind the top-level event.
    assert_eq!(miopoll.poll(Duration::from_secs(5)).unwrap(), (true, true));
    s.run(Instant::now(), false);
    assert_eq!(*trace.borrow(), ["top"]);
    assert_eq!(miopoll.poll(Duration::ZERO).unwrap(), (true, false));
    s.run(Instant::now(), false);
    assert_eq!(*trace.borrow(), ["top", "wake"]);
}

#[test]
fn user_wake_fwd_replaces_the_default() {
    let (mut s, mut miopoll) = setup(10);
    let trace = Trace::default();
    miopoll.set_wake_fwd(recorder(&trace, "user"));
    let t = trace.clone();
    let waker = s.waker(move |_, deleted| {
        if !deleted {
            t.borrow_mut().push("core".into())
        }
    });
    waker.wake();
    assert_eq!(miopoll.poll(Duration::from_secs(5)).unwrap(), (true, false));
    s.run(Instant::now(), false);
    assert_eq!(*trace.borrow(), ["user"]);
    // The raw mio waker reaches the same handler.
    miopoll.waker().wake().unwrap();
    assert_eq!(miopoll.poll(Duration::from_secs(5)).unwrap(), (true, false));
    assert_eq!(*trace.borrow(), ["user", "user"]);
}

#[test]
fn ready_flags_and_debug() {
    let r = Ready::default();
    assert!(!r.is_readable() && !r.is_writable() && !r.is_error());
    assert_eq!(format!("{r:?}"), "Ready()");
    let (_s, miopoll) = setup(10);
    let got = Rc::new(RefCell::new(None));
    let g = got.clone();
    let t = Target::new(&miopoll, 10, Fwd::new(move |r| *g.borrow_mut() = Some(r)));
    t.poke();
    miopoll.poll(Duration::ZERO).unwrap();
    let r = got.borrow().unwrap();
    assert!(r.is_readable() && !r.is_error());
    assert!(format!("{r:?}").contains("readable"));
    assert_eq!(r, r.clone());
}
