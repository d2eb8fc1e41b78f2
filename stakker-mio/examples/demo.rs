//! An echo server and a few hundred clients, all actors on one runtime and one `mio` poll,
//! talking over real loopback TCP. Prints what happened and exits.
//!
//! ```text
//! cargo run -p stakker-mio --example demo [-- CLIENTS [MESSAGES]]
//! ```

use stakker_core::time::Duration;
use stakker_core::{
    actor, actor_in_slab, after, fail, fwd_to, ret_nop, ret_shutdown, stop, ActorOwnSlab, Stakker,
    CX,
};
use stakker_mio::mio::net::{TcpListener, TcpStream};
use stakker_mio::mio::{Events, Interest, Poll};
use stakker_mio::{MioPoll, MioSource, ReadStatus, Ready, TcpStreamBuf};
use std::cell::{Cell, RefCell};
use std::error::Error;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant as StdInstant;

const MSG_LEN: usize = 64;

/// Counters shared by the actors of this one thread.
#[derive(Default)]
struct Stats {
    accepted: Cell<usize>,
    closed: Cell<usize>,
    to_server: Cell<usize>,
    to_clients: Cell<usize>,
    round_trips: RefCell<Vec<std::time::Duration>>,
    clients_done: Cell<usize>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let clients = args.next().transpose()?.unwrap_or(300);
    let messages = args.next().transpose()?.unwrap_or(20);

    let mut s = Stakker::new(std::time::Instant::now());
    let miopoll = MioPoll::new(&mut s, Poll::new()?, Events::with_capacity(1024), 10)?;
    let stats = Rc::new(Stats::default());

    let listener = TcpListener::bind("127.0.0.1:0".parse()?)?;
    let addr = listener.local_addr()?;
    println!(
        "echo server on {addr}: {clients} clients, {messages} messages of {MSG_LEN} bytes each"
    );
    let _server = actor!(s, Server::init(listener, stats.clone()), ret_shutdown!(s));
    let _load = actor!(
        s,
        Load::init(addr, clients, messages, stats.clone()),
        ret_shutdown!(s)
    );

    let started = StdInstant::now();
    let cause = miopoll.run(&mut s)?;
    let elapsed = started.elapsed();
    if let Some(stakker_core::StopCause::Failed(e)) = cause {
        return Err(format!("failed: {e}").into());
    }

    let mut rtt = stats.round_trips.take();
    rtt.sort();
    let pct = |p: usize| {
        rtt.get((rtt.len() * p / 100).min(rtt.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "connections: accepted {}, closed {}",
        stats.accepted.get(),
        stats.closed.get()
    );
    println!(
        "bytes: clients -> server {}, server -> clients {}",
        stats.to_server.get(),
        stats.to_clients.get()
    );
    println!(
        "round trip: p50 {} us, p99 {} us ({} samples)",
        pct(50).as_micros(),
        pct(99).as_micros(),
        rtt.len()
    );
    println!("elapsed: {:.2} s", elapsed.as_secs_f64());
    let expected = clients * messages * MSG_LEN;
    if stats.closed.get() != clients
        || stats.to_server.get() != expected
        || stats.to_clients.get() != expected
    {
        return Err("some connection or byte went missing".into());
    }
    Ok(())
}

/// Accepts connections, one `Echo` actor each.
struct Server {
    listener: MioSource<TcpListener>,
    conns: ActorOwnSlab<Echo>,
    stats: Rc<Stats>,
}

impl Server {
    fn init(cx: CX![], listener: TcpListener, stats: Rc<Stats>) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        match miopoll.add(
            listener,
            Interest::READABLE,
            10,
            fwd_to!([cx], accept() as (Ready)),
        ) {
            Ok(listener) => Some(Server {
                listener,
                conns: ActorOwnSlab::new(),
                stats,
            }),
            Err(e) => {
                fail!(cx, "cannot register the listener: {}", e);
                None
            }
        }
    }

    fn accept(&mut self, cx: CX![], _: Ready) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    self.stats.accepted.set(self.stats.accepted.get() + 1);
                    actor_in_slab!(
                        self.conns,
                        cx,
                        Echo::init(stream, self.stats.clone()),
                        ret_nop!()
                    );
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => return fail!(cx, "accept: {}", e),
            }
        }
    }
}

/// Sends back what it reads; closes after the client does.
struct Echo {
    tcp: TcpStreamBuf,
    stats: Rc<Stats>,
}

impl Echo {
    fn init(cx: CX![], stream: TcpStream, stats: Rc<Stats>) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let fwd = fwd_to!([cx], ready() as (Ready));
        let src = match miopoll.add(stream, Interest::READABLE | Interest::WRITABLE, 10, fwd) {
            Ok(src) => src,
            Err(e) => {
                fail!(cx, "cannot register a connection: {}", e);
                return None;
            }
        };
        let mut tcp = TcpStreamBuf::new();
        tcp.init(src);
        tcp.set_nodelay(true);
        Some(Echo { tcp, stats })
    }

    fn ready(&mut self, cx: CX![], _: Ready) {
        loop {
            match self.tcp.read(8192) {
                ReadStatus::NewData => {
                    let data = &self.tcp.inp[self.tcp.rd..self.tcp.wr];
                    self.tcp.out.extend_from_slice(data);
                    self.tcp.rd = self.tcp.wr;
                }
                ReadStatus::WouldBlock => break,
                ReadStatus::EndOfStream => {
                    self.tcp.out_eof = true;
                    break;
                }
                ReadStatus::Error(e) => return fail!(cx, "read: {}", e),
            }
        }
        if let Err(e) = self.tcp.flush() {
            return fail!(cx, "write: {}", e);
        }
        if self.tcp.out_eof && self.tcp.out.is_empty() {
            self.stats.closed.set(self.stats.closed.get() + 1);
            stop!(cx);
        }
    }
}

/// Starts the clients and stops the program when all are done (or after a deadline).
struct Load {
    clients: ActorOwnSlab<Client>,
    addr: SocketAddr,
    messages: usize,
    to_start: usize,
    count: usize,
    stats: Rc<Stats>,
}

/// Clients started per loop round. The listen backlog is 128 (as in std), and the server
/// accepts only between rounds, so a larger batch would see SYNs dropped and retried a
/// second later.
const BATCH: usize = 100;

impl Load {
    fn init(
        cx: CX![],
        addr: SocketAddr,
        count: usize,
        messages: usize,
        stats: Rc<Stats>,
    ) -> Option<Self> {
        let mut this = Load {
            clients: ActorOwnSlab::new(),
            addr,
            messages,
            to_start: count,
            count,
            stats,
        };
        this.start_batch(cx);
        after!(Duration::from_secs(30), [cx], |_this, cx| fail!(
            cx,
            "the clients took over 30 s"
        ));
        Some(this)
    }

    fn start_batch(&mut self, cx: CX![]) {
        for _ in 0..self.to_start.min(BATCH) {
            let ret =
                stakker_core::ret_some_to!([cx], |this, cx, cause: stakker_core::StopCause| {
                    this.client_done(cx, cause)
                });
            let (addr, messages, stats) = (self.addr, self.messages, self.stats.clone());
            actor_in_slab!(self.clients, cx, Client::init(addr, messages, stats), ret);
            self.to_start -= 1;
        }
        if self.to_start > 0 {
            after!(Duration::from_millis(1), [cx], start_batch());
        }
    }

    fn client_done(&mut self, cx: CX![], cause: stakker_core::StopCause) {
        if let stakker_core::StopCause::Failed(e) = cause {
            return fail!(cx, "a client failed: {}", e);
        }
        self.stats
            .clients_done
            .set(self.stats.clients_done.get() + 1);
        if self.stats.clients_done.get() == self.count {
            stop!(cx);
        }
    }
}

/// Sends one message at a time, timing each echo, then closes and waits for the server to.
struct Client {
    tcp: TcpStreamBuf,
    left: usize,
    sent_at: StdInstant,
    stats: Rc<Stats>,
}

impl Client {
    fn init(cx: CX![], addr: SocketAddr, messages: usize, stats: Rc<Stats>) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let fwd = fwd_to!([cx], ready() as (Ready));
        let src = TcpStream::connect(addr)
            .and_then(|s| miopoll.add(s, Interest::READABLE | Interest::WRITABLE, 10, fwd));
        let src = match src {
            Ok(src) => src,
            Err(e) => {
                fail!(cx, "connect: {}", e);
                return None;
            }
        };
        let mut tcp = TcpStreamBuf::new();
        tcp.init(src);
        tcp.set_nodelay(true);
        tcp.pause_writes(true); // until connected (the first writable event)
        let mut this = Client {
            tcp,
            left: messages,
            sent_at: StdInstant::now(),
            stats,
        };
        this.send_next();
        Some(this)
    }

    fn send_next(&mut self) {
        if self.left == 0 {
            self.tcp.out_eof = true;
            return;
        }
        self.left -= 1;
        self.tcp
            .out
            .extend((0..MSG_LEN).map(|i| (i + self.left) as u8));
        self.stats
            .to_server
            .set(self.stats.to_server.get() + MSG_LEN);
        self.sent_at = StdInstant::now();
    }

    fn ready(&mut self, cx: CX![], ready: Ready) {
        if ready.is_writable() {
            self.tcp.pause_writes(false);
        }
        loop {
            match self.tcp.read(4096) {
                ReadStatus::NewData => {
                    while self.tcp.wr - self.tcp.rd >= MSG_LEN {
                        self.tcp.rd += MSG_LEN;
                        self.stats
                            .to_clients
                            .set(self.stats.to_clients.get() + MSG_LEN);
                        self.stats
                            .round_trips
                            .borrow_mut()
                            .push(self.sent_at.elapsed());
                        self.send_next();
                    }
                }
                ReadStatus::WouldBlock => break,
                ReadStatus::EndOfStream => return stop!(cx),
                ReadStatus::Error(e) => return fail!(cx, "client read: {}", e),
            }
        }
        if let Err(e) = self.tcp.flush() {
            fail!(cx, "client write: {}", e);
        }
    }
}
