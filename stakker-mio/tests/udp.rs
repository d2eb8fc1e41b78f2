//! `UdpQueue` and `UdpServerQueue` over loopback. The loop here is the original crate's
//! hand-written one (`MioPoll::poll` with std time), so it also checks that form still works.

use stakker_core::{
    actor, call, fail, fwd_nop, fwd_to, ret_shutdown, stop, Actor, Stakker, StopCause, CX,
};
use stakker_mio::mio::net::UdpSocket;
use stakker_mio::mio::{Events, Interest, Poll};
use stakker_mio::{MioPoll, Ready, UdpQueue, UdpServerQueue};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn init() -> Stakker {
    let mut s = Stakker::new(Instant::now());
    MioPoll::new(&mut s, Poll::new().unwrap(), Events::with_capacity(64), 10).unwrap();
    s
}

fn run(s: &mut Stakker) {
    let miopoll = s.anymap_get::<MioPoll>();
    let mut idle_pending = s.run(Instant::now(), false);
    let mut io_pending = false;
    let mut activity;
    while s.not_shutdown() {
        let maxdur = s.next_wait_max(
            Instant::now(),
            Duration::from_secs(60),
            idle_pending || io_pending,
        );
        (activity, io_pending) = miopoll.poll(maxdur).unwrap();
        idle_pending = s.run(Instant::now(), !activity);
    }
    let cause = s.shutdown_reason().unwrap();
    assert!(matches!(cause, StopCause::Stopped), "{cause}");
}

fn bind() -> UdpSocket {
    UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap()
}

fn testdata(len: usize, seed: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + seed * 7) as u8).collect()
}

// Some are longer than the receiver's 1024-byte buffer, to check truncation.
const SIZES: [usize; 7] = [999, 100, 1234, 410, 600, 2000, 751];

/// Sends what it is told to, to `to` (or over its connection when `to` is `None`).
struct Sender {
    conn: UdpQueue,
    srv: UdpServerQueue,
    to: Option<SocketAddr>,
}

impl Sender {
    fn init(cx: CX![], sock: UdpSocket, to: Option<SocketAddr>) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let src = miopoll
            .add(
                sock,
                Interest::WRITABLE,
                10,
                fwd_to!([cx], flush() as (Ready)),
            )
            .unwrap();
        let mut this = Sender {
            conn: UdpQueue::new(),
            srv: UdpServerQueue::new(),
            to,
        };
        match to {
            Some(_) => this.srv.init(src),
            None => this.conn.init(src),
        }
        Some(this)
    }
    fn send(&mut self, cx: CX![], data: Vec<u8>) {
        match self.to {
            Some(addr) => self.srv.push(addr, data),
            None => self.conn.push(data),
        }
        self.flush(cx, Ready::default());
    }
    fn flush(&mut self, cx: CX![], _: Ready) {
        if let Err(e) = self.conn.flush().and_then(|()| self.srv.flush()) {
            fail!(cx, "flush: {}", e);
        }
    }
}

/// Asks the sender for each packet in turn and checks what arrives.
struct Receiver {
    conn: UdpQueue,
    srv: UdpServerQueue,
    from: Option<SocketAddr>,
    next: usize,
    expect: Option<Vec<u8>>,
    sender: Actor<Sender>,
}

impl Receiver {
    fn init(
        cx: CX![],
        sock: UdpSocket,
        sender: Actor<Sender>,
        from: Option<SocketAddr>,
    ) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let src = miopoll
            .add(
                sock,
                Interest::READABLE,
                10,
                fwd_to!([cx], ready() as (Ready)),
            )
            .unwrap();
        let mut this = Receiver {
            conn: UdpQueue::new(),
            srv: UdpServerQueue::new(),
            from,
            next: 0,
            expect: None,
            sender,
        };
        match from {
            Some(_) => this.srv.init(src),
            None => this.conn.init(src),
        }
        call!([cx], next_packet());
        Some(this)
    }
    fn ready(&mut self, cx: CX![], _: Ready) {
        let mut buf = [0; 1024];
        loop {
            let got = match self.from {
                Some(from) => self.srv.read_to_vec(&mut buf).map(|p| {
                    p.map(|(addr, p)| {
                        assert_eq!(addr, from);
                        p
                    })
                }),
                None => self.conn.read_to_vec(&mut buf),
            };
            match got {
                Err(e) => return fail!(cx, "read: {}", e),
                Ok(None) => return,
                Ok(Some(packet)) => {
                    let exp = self.expect.take().expect("a packet nobody sent");
                    assert_eq!(
                        &exp[..exp.len().min(1024)],
                        &packet[..],
                        "packet {}",
                        self.next
                    );
                    self.next_packet(cx);
                }
            }
        }
    }
    fn next_packet(&mut self, cx: CX![]) {
        let Some(&len) = SIZES.get(self.next) else {
            return stop!(cx);
        };
        let data = testdata(len, self.next);
        self.next += 1;
        call!([self.sender], send(data.clone()));
        self.expect = Some(data);
    }
}

#[test]
fn udp_queue_round_trips_and_truncates() {
    let mut s = init();
    let (a, b) = (bind(), bind());
    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    let send = actor!(s, Sender::init(a, None), ret_shutdown!(s));
    let _recv = actor!(s, Receiver::init(b, send.clone(), None), ret_shutdown!(s));
    run(&mut s);
}

#[test]
fn udp_server_queue_round_trips_with_addresses() {
    let mut s = init();
    let (a, b) = (bind(), bind());
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    let send = actor!(s, Sender::init(a, Some(b_addr)), ret_shutdown!(s));
    let _recv = actor!(
        s,
        Receiver::init(b, send.clone(), Some(a_addr)),
        ret_shutdown!(s)
    );
    run(&mut s);
}

#[test]
fn closed_peer_gives_connection_refused_and_no_socket_is_quiet() {
    let mut s = init();
    let miopoll = s.anymap_get::<MioPoll>();
    let sock = bind();
    let gone = bind();
    sock.connect(gone.local_addr().unwrap()).unwrap();
    drop(gone); // nothing listens there now: the kernel answers with port unreachable
    let mut q = UdpQueue::new();
    q.init(
        miopoll
            .add(sock, Interest::READABLE, 10, fwd_nop!())
            .unwrap(),
    );
    q.push(b"hello?".to_vec());
    q.flush().unwrap();
    let mut buf = [0; 16];
    let e = loop {
        match q.read(&mut buf) {
            Err(e) => break e,
            Ok(None) => std::thread::yield_now(), // the ICMP reply is on its way
            Ok(Some(p)) => panic!("a packet from nowhere: {p:?}"),
        }
    };
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);

    q.deinit();
    q.push(b"kept".to_vec());
    q.flush().unwrap();
    assert_eq!(q.out.len(), 1, "no socket: nothing sent, nothing lost");
    assert_eq!(q.read(&mut buf).unwrap(), None);
    let mut srv = UdpServerQueue::new();
    assert_eq!(srv.read_to_vec(&mut buf).unwrap(), None);
}
