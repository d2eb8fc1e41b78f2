//! An echo server and a few hundred clients, all actors on one runtime driven by
//! stakker-tokio on a current-thread tokio runtime, talking over real loopback TCP. The same
//! program and summary as stakker-mio's `demo`, so the adapters compare on equal terms.
//!
//! ```text
//! cargo run -p stakker-tokio --example demo [-- CLIENTS [MESSAGES]]
//! ```

use stakker_core::time::Duration;
use stakker_core::{actor, actor_in_slab, after, fail, fwd_to, ret_nop, ret_shutdown, ret_to};
use stakker_core::{ActorOwnSlab, Stakker, StopCause, CX};
use stakker_tokio::tokio::io::Interest;
use stakker_tokio::tokio::net::{TcpListener, TcpStream};
use stakker_tokio::{IoSource, Listener, Ready, TaskGuard, TokioDriver, TokioHandle};
use std::cell::{Cell, RefCell};
use std::error::Error;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Instant as StdInstant;

const MSG_LEN: usize = 64;

/// Counters shared by the actors of this one thread.
#[derive(Default)]
struct Stats {
    clients: usize,
    accepted: Cell<usize>,
    closed: Cell<usize>,
    to_server: Cell<usize>,
    to_clients: Cell<usize>,
    round_trips: RefCell<Vec<std::time::Duration>>,
    clients_done: Cell<usize>,
}

impl Stats {
    /// Ends the program once every client has finished and the server closed every connection.
    fn finish_if_done(&self, s: &mut stakker_core::Core) {
        if self.clients_done.get() == self.clients && self.closed.get() == self.clients {
            s.shutdown(StopCause::Stopped);
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let clients = args.next().transpose()?.unwrap_or(300);
    let messages = args.next().transpose()?.unwrap_or(20);

    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let stats = Rc::new(Stats {
        clients,
        ..Stats::default()
    });

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!(
        "echo server on {addr}: {clients} clients, {messages} messages of {MSG_LEN} bytes each"
    );
    let _server = actor!(s, Server::init(listener, stats.clone()), ret_shutdown!(s));
    let _load = actor!(
        s,
        Load::init(addr, messages, stats.clone()),
        ret_shutdown!(s)
    );

    let started = StdInstant::now();
    let cause = driver.run(s).await;
    let elapsed = started.elapsed();
    if let Some(StopCause::Failed(e)) = cause {
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
    listener: IoSource<Listener>,
    conns: ActorOwnSlab<Echo>,
    stats: Rc<Stats>,
}

impl Server {
    fn init(cx: CX![], listener: TcpListener, stats: Rc<Stats>) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let fwd = fwd_to!([cx], accept() as (Ready));
        let listener = h.register(Listener::new(listener), Interest::READABLE, 10, fwd);
        Some(Server {
            listener,
            conns: ActorOwnSlab::new(),
            stats,
        })
    }

    fn accept(&mut self, cx: CX![], _: Ready) {
        loop {
            match self.listener.try_accept() {
                Ok((stream, _)) => {
                    self.stats.accepted.set(self.stats.accepted.get() + 1);
                    let stats = self.stats.clone();
                    actor_in_slab!(self.conns, cx, Echo::init(stream, stats), ret_nop!());
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => return fail!(cx, "accept: {}", e),
            }
        }
    }
}

/// A socket with an output buffer: watches writable only while output waits.
struct Conn {
    io: IoSource<TcpStream>,
    out: Vec<u8>,
}

impl Conn {
    fn new(h: &TokioHandle, stream: TcpStream, fwd: stakker_core::Fwd<Ready>) -> io::Result<Conn> {
        stream.set_nodelay(true)?;
        Ok(Conn {
            io: h.register(stream, Interest::READABLE, 10, fwd),
            out: Vec::new(),
        })
    }

    /// Reads until `WouldBlock` into `inp`; `Ok(false)` at end of stream.
    fn read(&mut self, inp: &mut Vec<u8>) -> io::Result<bool> {
        let mut buf = [0; 8192];
        loop {
            match self.io.try_read(&mut buf) {
                Ok(0) => return Ok(false),
                Ok(n) => inp.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes until done or `WouldBlock`, then watches writable only if output is left.
    fn flush(&mut self) -> io::Result<()> {
        while !self.out.is_empty() {
            match self.io.try_write(&self.out) {
                Ok(n) => drop(self.out.drain(..n)),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        let interest = if self.out.is_empty() {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        self.io.set_interest(Some(interest));
        Ok(())
    }
}

/// Sends back what it reads; closes when the client does.
struct Echo {
    conn: Conn,
    stats: Rc<Stats>,
}

impl Echo {
    fn init(cx: CX![], stream: TcpStream, stats: Rc<Stats>) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        match Conn::new(&h, stream, fwd_to!([cx], ready() as (Ready))) {
            Ok(conn) => Some(Echo { conn, stats }),
            Err(e) => {
                fail!(cx, "connection set-up: {}", e);
                None
            }
        }
    }

    fn ready(&mut self, cx: CX![], _: Ready) {
        let mut inp = std::mem::take(&mut self.conn.out);
        let open = match self.conn.read(&mut inp) {
            Ok(open) => open,
            Err(e) => return fail!(cx, "read: {}", e),
        };
        self.conn.out = inp;
        if let Err(e) = self.conn.flush() {
            return fail!(cx, "write: {}", e);
        }
        if !open && self.conn.out.is_empty() {
            self.stats.closed.set(self.stats.closed.get() + 1);
            self.stats.finish_if_done(cx);
            stakker_core::stop!(cx);
        }
    }
}

/// Starts the clients in batches and fails the program after a deadline.
struct Load {
    clients: ActorOwnSlab<Client>,
    addr: SocketAddr,
    messages: usize,
    to_start: usize,
    stats: Rc<Stats>,
}

/// Clients started per millisecond, to stay within the listen backlog.
const BATCH: usize = 100;

impl Load {
    fn init(cx: CX![], addr: SocketAddr, messages: usize, stats: Rc<Stats>) -> Option<Self> {
        let mut this = Load {
            clients: ActorOwnSlab::new(),
            addr,
            messages,
            to_start: stats.clients,
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
            let ret = stakker_core::ret_some_to!([cx], |this, cx, cause: StopCause| {
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

    fn client_done(&mut self, cx: CX![], cause: StopCause) {
        if let StopCause::Failed(e) = cause {
            return fail!(cx, "a client failed: {}", e);
        }
        self.stats
            .clients_done
            .set(self.stats.clients_done.get() + 1);
        self.stats.finish_if_done(cx);
    }
}

/// Connects (an awaited `connect`, bridged by `spawn`), then sends one message at a time,
/// timing each echo, and closes after the last.
struct Client {
    conn: Option<Conn>,
    inp: Vec<u8>,
    left: usize,
    sent_at: StdInstant,
    stats: Rc<Stats>,
    _connecting: TaskGuard,
}

impl Client {
    fn init(cx: CX![], addr: SocketAddr, messages: usize, stats: Rc<Stats>) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let ret = ret_to!([cx], connected() as (io::Result<TcpStream>));
        Some(Client {
            conn: None,
            inp: Vec::new(),
            left: messages,
            sent_at: StdInstant::now(),
            stats,
            _connecting: h.spawn(TcpStream::connect(addr), ret),
        })
    }

    fn connected(&mut self, cx: CX![], stream: Option<io::Result<TcpStream>>) {
        let h = cx.anymap_get::<TokioHandle>();
        let fwd = fwd_to!([cx], ready() as (Ready));
        match stream.map(|s| Conn::new(&h, s?, fwd)) {
            Some(Ok(conn)) => self.conn = Some(conn),
            Some(Err(e)) => return fail!(cx, "connect: {}", e),
            None => return fail!(cx, "connect cancelled"),
        }
        self.send_next(cx);
    }

    fn send_next(&mut self, cx: CX![]) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if self.left == 0 {
            self.conn = None; // closes the connection
            return stakker_core::stop!(cx);
        }
        self.left -= 1;
        conn.out.extend((0..MSG_LEN).map(|i| (i + self.left) as u8));
        self.stats
            .to_server
            .set(self.stats.to_server.get() + MSG_LEN);
        self.sent_at = StdInstant::now();
        if let Err(e) = conn.flush() {
            fail!(cx, "client write: {}", e);
        }
    }

    fn ready(&mut self, cx: CX![], _: Ready) {
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        match conn.read(&mut self.inp) {
            Ok(true) => (),
            Ok(false) => return fail!(cx, "the server closed early"),
            Err(e) => return fail!(cx, "client read: {}", e),
        }
        if let Err(e) = conn.flush() {
            return fail!(cx, "client write: {}", e);
        }
        while self.inp.len() >= MSG_LEN {
            self.inp.drain(..MSG_LEN);
            self.stats
                .to_clients
                .set(self.stats.to_clients.get() + MSG_LEN);
            self.stats
                .round_trips
                .borrow_mut()
                .push(self.sent_at.elapsed());
            self.send_next(cx);
        }
    }
}
