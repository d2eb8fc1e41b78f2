//! An echo server of actors for the socket tests: a listener and one `Echo` actor per
//! connection, with counters the tests check.

#![allow(dead_code, unreachable_pub)] // each test binary uses part of it

use stakker_core::time::{Duration, Instant};
use stakker_core::{
    actor, actor_in_slab, after, fail, fwd_to, ret_shutdown, ret_some_to, stop, ActorOwn,
    ActorOwnSlab, Stakker, StopCause, CX,
};
use stakker_mio::mio::net::{TcpListener, TcpStream};
use stakker_mio::mio::{Events, Interest, Poll};
use stakker_mio::{MioPoll, MioSource, ReadStatus, Ready, TcpStreamBuf};
use std::cell::RefCell;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::rc::Rc;

/// What the server saw.
#[derive(Default, Debug)]
pub struct Stats {
    pub accepted: usize,
    pub closed: usize,
    pub bytes_in: usize,
    pub bytes_out: usize,
    /// The largest `out` left after a flush: non-zero means writes were partial.
    pub max_backlog: usize,
    /// Error kinds that ended connections.
    pub errors: Vec<ErrorKind>,
    /// Times accept met EMFILE/ENFILE.
    pub out_of_fds: usize,
}

pub type Shared = Rc<RefCell<Stats>>;

pub fn new_runtime() -> (Stakker, MioPoll) {
    let mut s = Stakker::new(Instant::now());
    let miopoll =
        MioPoll::new(&mut s, Poll::new().unwrap(), Events::with_capacity(256), 10).unwrap();
    (s, miopoll)
}

/// Starts a server on an ephemeral port that stops after `stop_after` connections closed.
/// `on_out_of_fds` runs when accept meets EMFILE.
pub fn start_server(
    s: &mut Stakker,
    stop_after: usize,
    on_out_of_fds: Box<dyn Fn()>,
) -> (ActorOwn<Server>, SocketAddr, Shared) {
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let stats = Shared::default();
    let server = actor!(
        s,
        Server::init(listener, stop_after, stats.clone(), on_out_of_fds),
        ret_shutdown!(s)
    );
    (server, addr, stats)
}

pub struct Server {
    listener: MioSource<TcpListener>,
    conns: ActorOwnSlab<Echo>,
    stop_after: usize,
    stats: Shared,
    on_out_of_fds: Box<dyn Fn()>,
}

impl Server {
    fn init(
        cx: CX![],
        listener: TcpListener,
        stop_after: usize,
        stats: Shared,
        on_out_of_fds: Box<dyn Fn()>,
    ) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let listener = miopoll
            .add(
                listener,
                Interest::READABLE,
                10,
                fwd_to!([cx], accept() as (Ready)),
            )
            .unwrap();
        Some(Server {
            listener,
            conns: ActorOwnSlab::new(),
            stop_after,
            stats,
            on_out_of_fds,
        })
    }

    fn accept(&mut self, cx: CX![], _: Ready) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    self.stats.borrow_mut().accepted += 1;
                    let stats = self.stats.clone();
                    actor_in_slab!(
                        self.conns,
                        cx,
                        Echo::init(stream, stats),
                        ret_some_to!([cx], |this, cx, _cause: StopCause| this.closed(cx))
                    );
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                // Out of descriptors: the pending connections stay in the backlog and no new
                // edge will come for them, so try again shortly.
                Err(e) if matches!(e.raw_os_error(), Some(24 | 23)) => {
                    self.stats.borrow_mut().out_of_fds += 1;
                    (self.on_out_of_fds)();
                    after!(Duration::from_millis(5), [cx], retry_accept());
                    return;
                }
                Err(e) => return fail!(cx, "accept failed: {}", e),
            }
        }
    }

    fn retry_accept(&mut self, cx: CX![]) {
        self.accept(cx, Ready::default());
    }

    fn closed(&mut self, cx: CX![]) {
        let mut st = self.stats.borrow_mut();
        st.closed += 1;
        if st.closed >= self.stop_after {
            stop!(cx);
        }
    }
}

pub struct Echo {
    tcp: TcpStreamBuf,
    stats: Shared,
}

impl Echo {
    fn init(cx: CX![], stream: TcpStream, stats: Shared) -> Option<Self> {
        let miopoll = cx.anymap_get::<MioPoll>();
        let src = miopoll
            .add(
                stream,
                Interest::READABLE | Interest::WRITABLE,
                10,
                fwd_to!([cx], ready() as (Ready)),
            )
            .unwrap();
        let mut tcp = TcpStreamBuf::new();
        tcp.init(src);
        tcp.set_nodelay(true);
        Some(Echo { tcp, stats })
    }

    fn ready(&mut self, cx: CX![], ready: Ready) {
        if ready.is_readable() {
            loop {
                match self.tcp.read(16384) {
                    ReadStatus::NewData => {
                        let data = &self.tcp.inp[self.tcp.rd..self.tcp.wr];
                        self.stats.borrow_mut().bytes_in += data.len();
                        self.tcp.out.extend_from_slice(data);
                        self.tcp.rd = self.tcp.wr;
                    }
                    ReadStatus::WouldBlock => break,
                    ReadStatus::EndOfStream => {
                        self.tcp.out_eof = true;
                        break;
                    }
                    ReadStatus::Error(e) => return self.end(cx, Some(e)),
                }
            }
        }
        let before = self.tcp.out.len();
        if let Err(e) = self.tcp.flush() {
            return self.end(cx, Some(e));
        }
        let mut st = self.stats.borrow_mut();
        st.bytes_out += before - self.tcp.out.len();
        st.max_backlog = st.max_backlog.max(self.tcp.out.len());
        drop(st);
        if self.tcp.out_eof && self.tcp.out.is_empty() {
            self.end(cx, None);
        }
    }

    fn end(&mut self, cx: CX![], err: Option<std::io::Error>) {
        if let Some(e) = err {
            self.stats.borrow_mut().errors.push(e.kind());
        }
        stop!(cx);
    }
}

/// Open descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Owns echo actors for connections handed over from elsewhere (a shard's entry point).
pub struct Hub {
    conns: ActorOwnSlab<Echo>,
    stats: Shared,
}

impl Hub {
    pub fn init(_cx: CX![]) -> Option<Self> {
        Some(Hub {
            conns: ActorOwnSlab::new(),
            stats: Shared::default(),
        })
    }

    pub fn conn(&mut self, cx: CX![], stream: TcpStream) {
        let stats = self.stats.clone();
        actor_in_slab!(
            self.conns,
            cx,
            Echo::init(stream, stats),
            stakker_core::ret_nop!()
        );
    }
}
