//! The classic stakker_mio echo server, on stakker-core: a listener actor owning a slab of
//! connection actors, with an idle timeout.
//!
//! ```text
//! cargo run -p stakker-mio --example echo_server [-- PORT [IDLE_SECS]]
//! telnet 127.0.0.1 7777
//! ```
//!
//! Each connection echoes what it receives one second later. A `!` in the input closes that
//! connection (after the pending echoes); a `%` makes its actor fail with `Abort`, which the
//! listener takes as an order to shut the whole server down. With no new connection for
//! `IDLE_SECS` (default 60) the server stops by itself.

use stakker_core::time::Duration;
use stakker_core::{
    actor, actor_in_slab, after, fail, fwd_to, ret_shutdown, ret_some_to, stop, timer_max,
    ActorOwnSlab, MaxTimerKey, Stakker, StopCause, CX,
};
use stakker_mio::mio::net::{TcpListener, TcpStream};
use stakker_mio::mio::{Events, Interest, Poll};
use stakker_mio::{MioPoll, MioSource, ReadStatus, Ready, TcpStreamBuf};
use std::error::Error;
use std::fmt;
use std::io::ErrorKind;
use std::net::SocketAddr;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map_or(Ok(7777), |a| a.parse())?;
    let idle = Duration::from_secs(args.next().map_or(Ok(60), |a| a.parse())?);

    let mut s = Stakker::new(std::time::Instant::now());
    let miopoll = MioPoll::new(&mut s, Poll::new()?, Events::with_capacity(1024), 10)?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let _listener = actor!(s, Listener::init(addr, idle), ret_shutdown!(s));
    let cause = miopoll.run(&mut s)?;
    println!(
        "server stopped: {}",
        cause.map_or("no cause".into(), |c| c.to_string())
    );
    Ok(())
}

/// The error a connection fails with to take the server down.
#[derive(Debug)]
struct Abort;

impl Error for Abort {}

impl fmt::Display for Abort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("abort requested by a client")
    }
}

/// Accepts connections and owns one `Echoer` per connection.
struct Listener {
    listener: MioSource<TcpListener>,
    conns: ActorOwnSlab<Echoer>,
    idle: Duration,
    idle_timer: MaxTimerKey,
}

impl Listener {
    fn init(cx: CX![], addr: SocketAddr, idle: Duration) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let fwd = fwd_to!([cx], accept() as (Ready));
        let listener = match TcpListener::bind(addr)
            .and_then(|l| miopoll.add(l, Interest::READABLE, 10, fwd))
        {
            Ok(l) => l,
            Err(e) => {
                fail!(cx, "cannot listen on {}: {}", addr, e);
                return None;
            }
        };
        println!("listening on {}", listener.local_addr().map_or(addr, |a| a));
        let mut this = Listener {
            listener,
            conns: ActorOwnSlab::new(),
            idle,
            idle_timer: MaxTimerKey::default(),
        };
        this.push_back_idle_timeout(cx);
        Some(this)
    }

    /// (Re)arms the idle timeout; `timer_max!` only ever moves the one timer later.
    fn push_back_idle_timeout(&mut self, cx: CX![]) {
        timer_max!(
            &mut self.idle_timer,
            cx.now() + self.idle,
            [cx],
            |_this, cx| {
                fail!(cx, "no new connection for a while");
            }
        );
    }

    fn accept(&mut self, cx: CX![], _: Ready) {
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    println!("{peer}: connected");
                    let ret = ret_some_to!([cx], |_this, cx, cause: StopCause| {
                        println!("{peer}: {cause}");
                        if let StopCause::Failed(e) = cause {
                            if e.downcast::<Abort>().is_ok() {
                                fail!(cx, "shut down by a client");
                            }
                        }
                    });
                    actor_in_slab!(self.conns, cx, Echoer::init(stream), ret);
                    self.push_back_idle_timeout(cx);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => return fail!(cx, "accept failed: {}", e),
            }
        }
    }
}

/// Echoes input back a second later.
struct Echoer {
    tcp: TcpStreamBuf,
}

impl Echoer {
    fn init(cx: CX![], stream: TcpStream) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let fwd = fwd_to!([cx], ready() as (Ready));
        match miopoll.add(stream, Interest::READABLE | Interest::WRITABLE, 10, fwd) {
            Ok(src) => {
                let mut tcp = TcpStreamBuf::new();
                tcp.init(src);
                Some(Echoer { tcp })
            }
            Err(e) => {
                fail!(cx, "cannot register the connection: {}", e);
                None
            }
        }
    }

    fn ready(&mut self, cx: CX![], ready: Ready) {
        if ready.is_readable() {
            loop {
                match self.tcp.read(8192) {
                    ReadStatus::NewData => {
                        let data = self.tcp.inp[self.tcp.rd..self.tcp.wr].to_vec();
                        self.tcp.rd = self.tcp.wr;
                        if data.contains(&b'%') {
                            return fail!(cx, Abort);
                        }
                        let close = data.contains(&b'!');
                        after!(Duration::from_secs(1), [cx], echo(data, close));
                    }
                    ReadStatus::WouldBlock => break,
                    ReadStatus::EndOfStream => {
                        after!(Duration::from_secs(1), [cx], echo(Vec::new(), true));
                        break;
                    }
                    ReadStatus::Error(e) => return fail!(cx, "read failed: {}", e),
                }
            }
        }
        if ready.is_writable() {
            self.flush(cx);
        }
    }

    fn echo(&mut self, cx: CX![], data: Vec<u8>, close: bool) {
        if !self.tcp.out_eof {
            self.tcp.out.extend_from_slice(&data);
            self.tcp.out_eof = close;
        }
        self.flush(cx);
    }

    fn flush(&mut self, cx: CX![]) {
        if let Err(e) = self.tcp.flush() {
            return fail!(cx, "write failed: {}", e);
        }
        if self.tcp.out_eof && self.tcp.out.is_empty() {
            stop!(cx);
        }
    }
}
