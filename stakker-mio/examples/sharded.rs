//! A sharded echo server: one runtime and poll per shard thread, an acceptor actor on the
//! main thread handing connections to the shards, and one signal that stops them all.
//!
//! ```text
//! cargo run --release -p stakker-mio --example sharded [-- SHARDS [CLIENTS [MESSAGES]]]
//! ```
//!
//! `SHARDS` 0 (the default) means one per core. The clients are plain threads on this
//! process, each sending `MESSAGES` small messages in pipelined batches of 16. The program
//! prints the round trips per second and how the connections were spread.

use stakker_core::sync::Channel;
use stakker_core::{
    actor, actor_in_slab, call, fail, fwd_to, ret_nop, ret_shutdown, stop, ActorOwnSlab, Fwd,
    Stakker, CX,
};
use stakker_mio::mio::net::{TcpListener, TcpStream};
use stakker_mio::mio::{Events, Interest, Poll};
use stakker_mio::{MioPoll, MioSource, ReadStatus, Ready, Shards, TcpStreamBuf};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

const MSG_LEN: usize = 64;
const BATCH: usize = 16;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let shard_count = args.next().transpose()?.unwrap_or(0);
    let clients = args.next().transpose()?.unwrap_or(64);
    let messages = args.next().transpose()?.unwrap_or(2000);

    let per_shard: Arc<Vec<AtomicUsize>> = Arc::new((0..64).map(|_| AtomicUsize::new(0)).collect());
    let counts = per_shard.clone();
    let shards = Shards::start(shard_count, move |s, index| {
        let hub = actor!(s, Hub::init(), ret_nop!());
        let counts = counts.clone();
        // The Fwd owns the hub, so the hub lives as long as the shard's channel.
        Fwd::new(move |stream| {
            counts[index % 64].fetch_add(1, Ordering::Relaxed);
            call!([hub], conn(stream));
        })
    })?;
    let n = shards.len();

    let mut s = Stakker::new(Instant::now());
    let miopoll = MioPoll::new(&mut s, Poll::new()?, Events::with_capacity(1024), 10)?;
    let listener = TcpListener::bind("127.0.0.1:0".parse()?)?;
    let addr = listener.local_addr()?;
    let acceptor = actor!(
        s,
        Acceptor::init(listener, shards, clients),
        ret_shutdown!(s)
    );
    // Client threads report completion through a channel into the acceptor's runtime.
    let (done, _guard) = Channel::new(&mut s, fwd_to!([acceptor], client_done() as (())));
    println!("{n} shards, {clients} clients x {messages} messages of {MSG_LEN} bytes, on {addr}");

    let started = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|i| {
            let done = done.clone();
            std::thread::spawn(move || {
                client(addr, messages, i);
                done.send(());
            })
        })
        .collect();
    let cause = miopoll.run(&mut s)?;
    let elapsed = started.elapsed();
    for t in threads {
        t.join().map_err(|_| "a client failed")?;
    }
    if let Some(stakker_core::StopCause::Failed(e)) = cause {
        return Err(format!("acceptor failed: {e}").into());
    }
    let spread: Vec<usize> = per_shard[..n.min(64)]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    println!("connections per shard: {spread:?}");
    println!(
        "{} round trips in {:.2} s: {:.0} round trips/s",
        clients * messages,
        elapsed.as_secs_f64(),
        (clients * messages) as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

/// A blocking client: batches of `BATCH` messages, each batch echoed before the next.
fn client(addr: SocketAddr, messages: usize, seed: usize) {
    let mut c = std::net::TcpStream::connect(addr).expect("connect");
    c.set_nodelay(true).unwrap();
    let mut left = messages;
    let mut buf = vec![0; BATCH * MSG_LEN];
    while left > 0 {
        let k = left.min(BATCH);
        let out: Vec<u8> = (0..k * MSG_LEN).map(|i| (i + seed + left) as u8).collect();
        c.write_all(&out).unwrap();
        c.read_exact(&mut buf[..k * MSG_LEN]).unwrap();
        assert_eq!(&buf[..k * MSG_LEN], &out[..], "echo differs");
        left -= k;
    }
}

/// Accepts on the main thread and hands each connection to a shard; stops them all once
/// every client has finished.
struct Acceptor {
    listener: MioSource<TcpListener>,
    shards: Option<Shards>,
    clients_left: usize,
}

impl Acceptor {
    fn init(cx: CX![], listener: TcpListener, shards: Shards, clients: usize) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        match miopoll.add(
            listener,
            Interest::READABLE,
            10,
            fwd_to!([cx], accept() as (Ready)),
        ) {
            Ok(listener) => Some(Acceptor {
                listener,
                shards: Some(shards),
                clients_left: clients,
            }),
            Err(e) => {
                fail!(cx, "listener: {}", e);
                None
            }
        }
    }

    fn accept(&mut self, cx: CX![], _: Ready) {
        let Some(shards) = self.shards.as_mut() else {
            return;
        };
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    shards.dispatch(stream.into());
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => return fail!(cx, "accept: {}", e),
            }
        }
    }

    fn client_done(&mut self, cx: CX![], _: ()) {
        self.clients_left -= 1;
        if self.clients_left == 0 {
            // The one signal: every shard stops, and we wait for them.
            if let Some(Err(e)) = self.shards.take().map(Shards::shutdown) {
                return fail!(cx, "a shard failed: {}", e);
            }
            stop!(cx);
        }
    }
}

/// One per shard: owns that shard's connection actors.
struct Hub {
    conns: ActorOwnSlab<Echo>,
}

impl Hub {
    fn init(_cx: CX![]) -> Option<Self> {
        Some(Hub {
            conns: ActorOwnSlab::new(),
        })
    }

    fn conn(&mut self, cx: CX![], stream: TcpStream) {
        actor_in_slab!(self.conns, cx, Echo::init(stream), ret_nop!());
    }
}

/// Echoes everything back until the client closes.
struct Echo {
    tcp: TcpStreamBuf,
}

impl Echo {
    fn init(cx: CX![], stream: TcpStream) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let fwd = fwd_to!([cx], ready() as (Ready));
        match miopoll.add(stream, Interest::READABLE | Interest::WRITABLE, 10, fwd) {
            Ok(src) => {
                let mut tcp = TcpStreamBuf::new();
                tcp.init(src);
                tcp.set_nodelay(true);
                Some(Echo { tcp })
            }
            Err(e) => {
                fail!(cx, "register: {}", e);
                None
            }
        }
    }

    fn ready(&mut self, cx: CX![], _: Ready) {
        loop {
            match self.tcp.read(16384) {
                ReadStatus::NewData => {
                    let (rd, wr) = (self.tcp.rd, self.tcp.wr);
                    self.tcp.out.extend_from_slice(&self.tcp.inp[rd..wr]);
                    self.tcp.rd = wr;
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
            stop!(cx);
        }
    }
}
