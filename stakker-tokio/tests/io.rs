//! Tokio I/O readiness as `Fwd<Ready>` calls: a loopback echo server with many clients.

mod support;
use stakker_core::{actor, actor_in_slab, fwd_to, ret_nop, stop};
use stakker_core::{ActorOwnSlab, StopCause, CX};
use stakker_tokio::tokio::io::Interest;
use stakker_tokio::tokio::net::{TcpListener, TcpStream};
use stakker_tokio::{IoSource, Listener, Ready, TokioDriver, TokioHandle};
use std::io::ErrorKind;
use support::within;

/// Accepts connections and gives each to an `Echo` actor.
struct Server {
    listener: IoSource<Listener>,
    conns: ActorOwnSlab<Echo>,
}

impl Server {
    fn init(cx: CX![], listener: TcpListener) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let fwd = fwd_to!([cx], accept() as (Ready));
        let listener = h.register(Listener::new(listener), Interest::READABLE, 5, fwd);
        Some(Server {
            listener,
            conns: ActorOwnSlab::new(),
        })
    }
    fn accept(&mut self, cx: CX![], ready: Ready) {
        assert!(ready.is_readable());
        loop {
            match self.listener.try_accept() {
                Ok((stream, _)) => {
                    let _ = actor_in_slab!(self.conns, cx, Echo::init(stream));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

/// Echoes what it reads; watches writable only while output is waiting.
struct Echo {
    stream: IoSource<TcpStream>,
    out: Vec<u8>,
}

impl Echo {
    fn init(cx: CX![], stream: TcpStream) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let fwd = fwd_to!([cx], ready() as (Ready));
        let stream = h.register(stream, Interest::READABLE, 1, fwd);
        Some(Echo {
            stream,
            out: Vec::new(),
        })
    }
    fn ready(&mut self, cx: CX![], _: Ready) {
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.try_read(&mut buf) {
                Ok(0) => return stop!(cx),
                Ok(n) => self.out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => return stop!(cx),
            }
        }
        while !self.out.is_empty() {
            match self.stream.try_write(&self.out) {
                Ok(n) => drop(self.out.drain(..n)),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => return stop!(cx),
            }
        }
        let want = if self.out.is_empty() {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        self.stream.set_interest(Some(want));
    }
}

#[tokio::test(flavor = "current_thread")]
async fn loopback_echo_with_many_clients() {
    const CLIENTS: usize = 64;
    const ROUNDS: usize = 20;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut s = stakker_core::Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let server = actor!(s, Server::init(listener), ret_nop!());
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async move {
            let run = tokio::task::spawn_local(driver.run(s));
            let clients: Vec<_> = (0..CLIENTS)
                .map(|c| {
                    tokio::task::spawn_local(async move {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let mut conn = TcpStream::connect(addr).await.unwrap();
                        let mut total = 0;
                        for r in 0..ROUNDS {
                            // Sizes vary up to 64 KiB so some writes meet WouldBlock.
                            let msg = vec![(c + r) as u8; 1 + (c * 997 + r * 3001) % 65536];
                            conn.write_all(&msg).await.unwrap();
                            let mut back = vec![0; msg.len()];
                            conn.read_exact(&mut back).await.unwrap();
                            assert_eq!(back, msg);
                            total += msg.len();
                        }
                        total
                    })
                })
                .collect();
            let mut bytes = 0;
            for c in clients {
                bytes += within(c).await.unwrap();
            }
            assert!(bytes > CLIENTS * ROUNDS);
            h.defer(|s| s.shutdown(StopCause::Stopped));
            assert!(within(run).await.unwrap().is_some());
        })
        .await;
    drop(server);
}

/// Two UDP sockets at different priorities, both readable in the same round: the higher one
/// is delivered first, the lower one is held back and delivered in a later round.
#[tokio::test(flavor = "current_thread")]
async fn priorities_deliver_higher_first() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut s = stakker_core::Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let lo = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let hi = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    tx.send_to(b"x", lo.local_addr().unwrap()).unwrap();
    tx.send_to(b"y", hi.local_addr().unwrap()).unwrap();
    let lo = reader(&h, lo, 1, "lo", order.clone());
    let hi = reader(&h, hi, 9, "hi", order.clone());
    let o = order.clone();
    h.defer(move |s| wait_for(s, o));
    assert!(within(driver.run(s)).await.is_some());
    assert_eq!(*order.borrow(), ["hi", "lo"]);
    drop((lo, hi));
}

type Slot = std::rc::Rc<std::cell::RefCell<Option<IoSource<tokio::net::UdpSocket>>>>;

/// Registers `sock`; its handler records `name` and reads the datagram (to `WouldBlock`).
fn reader(
    h: &TokioHandle,
    sock: tokio::net::UdpSocket,
    pri: u32,
    name: &'static str,
    order: std::rc::Rc<std::cell::RefCell<Vec<&'static str>>>,
) -> Slot {
    let slot = Slot::default();
    let s2 = slot.clone();
    let fwd = stakker_core::Fwd::new(move |_: Ready| {
        order.borrow_mut().push(name);
        let mut buf = [0; 16];
        if let Some(sock) = s2.borrow().as_ref() {
            while sock.try_recv(&mut buf).is_ok() {}
        }
    });
    *slot.borrow_mut() = Some(h.register(sock, Interest::READABLE, pri, fwd));
    slot
}

fn wait_for(
    s: &mut stakker_core::Stakker,
    order: std::rc::Rc<std::cell::RefCell<Vec<&'static str>>>,
) {
    if order.borrow().contains(&"lo") {
        s.shutdown(StopCause::Stopped);
    } else {
        stakker_core::after!(std::time::Duration::from_millis(1), [s], |s| wait_for(
            s, order
        ));
    }
}

/// An `AsyncFd` reports every flag tokio knows: here readable and read-closed together, for
/// a socket whose peer wrote and hung up before registration.
#[cfg(unix)]
#[tokio::test(flavor = "current_thread")]
async fn async_fd_reports_read_closed() {
    use std::cell::RefCell;
    use std::io::Read;
    use std::os::unix::net::UnixStream;
    use std::rc::Rc;
    use tokio::io::unix::AsyncFd;
    let (mut a, b) = UnixStream::pair().unwrap();
    std::io::Write::write_all(&mut a, b"hi").unwrap();
    drop(a);
    b.set_nonblocking(true).unwrap();
    let mut s = stakker_core::Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let slot: Rc<RefCell<Option<IoSource<AsyncFd<UnixStream>>>>> = Rc::default();
    let (seen2, slot2, d) = (seen.clone(), slot.clone(), s.deferrer());
    let fwd = stakker_core::Fwd::new(move |r: Ready| {
        let mut data = Vec::new();
        if let Some(fd) = slot2.borrow().as_ref() {
            let _eof_or_wouldblock = fd.get_ref().read_to_end(&mut data);
        }
        seen2.borrow_mut().push((r, data));
        d.defer(|s| s.shutdown(StopCause::Stopped));
    });
    // tokio 1.54 deprecates the safe constructors (the fd must stay open while registered,
    // which holds here: the AsyncFd owns the stream) in favour of an `unsafe fn`.
    #[allow(deprecated)]
    let fd = AsyncFd::new(b).unwrap();
    *slot.borrow_mut() = Some(h.register(fd, Interest::READABLE, 0, fwd));
    assert!(within(driver.run(s)).await.is_some());
    let seen = seen.borrow();
    let (r, data) = &seen[0];
    assert!(
        r.is_readable() && r.is_read_closed() && !r.is_aio() && !r.is_lio(),
        "{r:?}"
    );
    assert_eq!(data, b"hi");
}

/// The edge contract: readiness the handler leaves set is delivered again after the run (a
/// handler reading one datagram per call still gets all three), and once a handler has met
/// `WouldBlock` nothing more arrives (no spinning) until new data does.
#[tokio::test(flavor = "current_thread")]
async fn readiness_left_set_is_delivered_again_and_wouldblock_ends_it() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for m in [b"1", b"2", b"3"] {
        tx.send_to(m, sock.local_addr().unwrap()).unwrap();
    }
    let mut s = stakker_core::Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let log = Rc::new(RefCell::new(Vec::new()));
    let slot = Slot::default();
    let (log2, slot2, d) = (log.clone(), slot.clone(), s.deferrer());
    let fwd = stakker_core::Fwd::new(move |_: Ready| {
        let mut buf = [0; 8];
        let got = match slot2.borrow().as_ref().unwrap().try_recv(&mut buf) {
            Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                // Quiet from here on: stop after a while in which no delivery may come.
                d.defer(|s| {
                    stakker_core::after!(std::time::Duration::from_millis(20), [s], |s| s
                        .shutdown(StopCause::Stopped));
                });
                "WouldBlock".to_string()
            }
            Err(e) => panic!("{e}"),
        };
        log2.borrow_mut().push(got);
    });
    *slot.borrow_mut() = Some(h.register(sock, Interest::READABLE, 0, fwd));
    assert!(within(driver.run(s)).await.is_some());
    assert_eq!(*log.borrow(), ["1", "2", "3", "WouldBlock"]);
}

/// Readiness the handler leaves set is delivered again only after the driver has yielded:
/// a local task that is always in the run queue moves on between any two deliveries.
#[tokio::test(flavor = "current_thread")]
async fn redelivery_waits_for_other_local_tasks() {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for m in [b"1", b"2", b"3", b"4"] {
        tx.send_to(m, sock.local_addr().unwrap()).unwrap();
    }
    let mut s = stakker_core::Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let other = Rc::new(Cell::new(0u32));
    let seen = Rc::new(RefCell::new(Vec::new()));
    let slot = Slot::default();
    let (o, seen2, slot2, d) = (other.clone(), seen.clone(), slot.clone(), s.deferrer());
    // Queued like an actor call; one datagram per call, so the readiness stays set after
    // each of the first three.
    let fwd = stakker_core::Fwd::new(move |_: Ready| {
        let (o, seen, slot) = (o.clone(), seen2.clone(), slot2.clone());
        d.defer(move |s| {
            let mut buf = [0; 8];
            if slot.borrow().as_ref().unwrap().try_recv(&mut buf).is_ok() {
                seen.borrow_mut().push(o.get());
                if seen.borrow().len() == 4 {
                    s.shutdown(StopCause::Stopped);
                }
            }
        });
    });
    *slot.borrow_mut() = Some(h.register(sock, Interest::READABLE, 0, fwd));
    let local = tokio::task::LocalSet::new();
    let o = other.clone();
    local.spawn_local(async move {
        loop {
            o.set(o.get() + 1);
            support::yield_plain().await;
        }
    });
    assert!(within(local.run_until(driver.run(s))).await.is_some());
    let seen = seen.borrow();
    assert_eq!(seen.len(), 4);
    assert!(seen.windows(2).all(|w| w[1] > w[0]), "{seen:?}");
}

/// `set_interest(None)` holds deliveries back while data waits; `Some` resumes them.
#[tokio::test(flavor = "current_thread")]
async fn paused_interest_holds_deliveries_until_resumed() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut s = stakker_core::Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let log = Rc::new(RefCell::new(Vec::new()));
    let slot = Slot::default();
    let (log2, slot2, d) = (log.clone(), slot.clone(), s.deferrer());
    let fwd = stakker_core::Fwd::new(move |_: Ready| {
        let mut buf = [0; 8];
        while let Ok(n) = slot2.borrow().as_ref().unwrap().try_recv(&mut buf) {
            log2.borrow_mut().push(buf[..n].to_vec());
        }
        d.defer(|s| s.shutdown(StopCause::Stopped));
    });
    let addr = sock.local_addr().unwrap();
    *slot.borrow_mut() = Some(h.register(sock, Interest::READABLE, 0, fwd));
    slot.borrow().as_ref().unwrap().set_interest(None);
    tx.send_to(b"x", addr).unwrap();
    let local = tokio::task::LocalSet::new();
    let (log3, slot3) = (log.clone(), slot.clone());
    local.spawn_local(async move {
        // Long enough for the datagram to arrive and be delivered, had it not been paused.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(log3.borrow().is_empty(), "delivered while paused");
        let resume = Some(Interest::READABLE);
        slot3.borrow().as_ref().unwrap().set_interest(resume);
    });
    assert!(within(local.run_until(driver.run(s))).await.is_some());
    assert_eq!(*log.borrow(), [b"x".to_vec()]);
}

/// Readiness that appears while the driver sleeps (no timer, nothing queued) wakes it.
#[tokio::test(flavor = "current_thread")]
async fn readiness_wakes_a_sleeping_driver() {
    use std::cell::Cell;
    use std::rc::Rc;
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    let mut s = stakker_core::Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let got = Rc::new(Cell::new(false));
    let (g, d) = (got.clone(), s.deferrer());
    // Shuts down from the delivery itself: no timer keeps the driver polling.
    let fwd = stakker_core::Fwd::new(move |_: Ready| {
        g.set(true);
        d.defer(|s| s.shutdown(StopCause::Stopped));
    });
    let _sock = h.register(sock, Interest::READABLE, 0, fwd);
    let local = tokio::task::LocalSet::new();
    let cause = local
        .run_until(async move {
            let run = tokio::task::spawn_local(driver.run(s));
            // By then the driver has found nothing and sleeps.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            assert!(!got.get());
            let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            tx.send_to(b"x", addr).unwrap();
            let cause = within(run).await.unwrap();
            assert!(got.get());
            cause
        })
        .await;
    assert!(matches!(cause, Some(StopCause::Stopped)));
}
