//! The `core` workloads on actix 0.13: `Actor`s with `Context<Self>` mailboxes, messages sent
//! with `Addr::do_send`, requests with `Addr::send(..)` awaited from inside the asking actor.
//!
//! Each workload owns one `actix::System` (`System::new()`: a current-thread tokio runtime plus
//! a `LocalSet`, no arbiter threads), created once and kept across iterations; every actor runs
//! on the benchmarking thread (see `common.rs`: the CPU-time clock only sees that thread).
//! Everything is done inside `SystemRunner::block_on`, whose future waits on the completion
//! latch.

use crate::peer_common::{local_arm, local_hit, local_wait};
use actix::{
    Actor, ActorFutureExt, Addr, AsyncContext, Context, Handler, Message, Recipient, System,
    SystemRunner, WrapFuture,
};
use tokio::sync::oneshot;

/// A message with no reply.
macro_rules! no_reply {
    ($($t:ty),*) => {
        $(impl Message for $t {
            type Result = ();
        })*
    };
}

/// A message whose reply is a `u64`.
macro_rules! u64_reply {
    ($($t:ty),*) => {
        $(impl Message for $t {
            type Result = u64;
        })*
    };
}

// ---------------------------------------------------------------------------------------------
// ping

struct Pinger {
    peer: Option<Addr<Pinger>>,
    hits: u64,
}

impl Actor for Pinger {
    type Context = Context<Self>;
}

struct SetPeer(Addr<Pinger>);
struct PingMsg(u64);
struct Hits;
no_reply!(SetPeer, PingMsg);
u64_reply!(Hits);

impl Handler<SetPeer> for Pinger {
    type Result = ();
    fn handle(&mut self, SetPeer(peer): SetPeer, _: &mut Context<Self>) {
        self.peer = Some(peer);
    }
}

impl Handler<PingMsg> for Pinger {
    type Result = ();
    fn handle(&mut self, PingMsg(left): PingMsg, _: &mut Context<Self>) {
        self.hits += 1;
        if left > 0 {
            if let Some(peer) = &self.peer {
                peer.do_send(PingMsg(left - 1));
            }
        } else {
            local_hit();
        }
    }
}

impl Handler<Hits> for Pinger {
    type Result = u64;
    fn handle(&mut self, _: Hits, _: &mut Context<Self>) -> u64 {
        self.hits
    }
}

fn pinger() -> Pinger {
    Pinger {
        peer: None,
        hits: 0,
    }
}

/// Two actors bouncing a counter with `do_send`.
pub(crate) struct Ping {
    a: Addr<Pinger>,
    b: Addr<Pinger>,
    // Last: dropped after the addresses.
    sys: SystemRunner,
}

impl Ping {
    pub(crate) fn new() -> Self {
        let sys = System::new();
        let (a, b) = sys.block_on(async {
            let a = pinger().start();
            let b = pinger().start();
            a.do_send(SetPeer(b.clone()));
            b.do_send(SetPeer(a.clone()));
            (a, b)
        });
        Ping { a, b, sys }
    }

    /// `n` messages in all; ends when the last one has been handled.
    pub(crate) fn iter(&mut self, n: u64) {
        local_arm(1);
        self.sys.block_on(async {
            self.a.do_send(PingMsg(n - 1));
            local_wait().await;
        });
    }

    /// Messages handled by both actors so far.
    pub(crate) fn hits(&mut self) -> u64 {
        self.sys.block_on(async {
            self.a.send(Hits).await.expect("pinger replies")
                + self.b.send(Hits).await.expect("pinger replies")
        })
    }
}

// ---------------------------------------------------------------------------------------------
// fanout and fwd: sinks

struct Sink {
    total: u64,
}

impl Actor for Sink {
    type Context = Context<Self>;
}

struct Hit(u64);
struct Total;
no_reply!(Hit);
u64_reply!(Total);

impl Handler<Hit> for Sink {
    type Result = ();
    fn handle(&mut self, Hit(v): Hit, _: &mut Context<Self>) {
        self.total = self.total.wrapping_add(v);
        local_hit();
    }
}

impl Handler<Total> for Sink {
    type Result = u64;
    fn handle(&mut self, _: Total, _: &mut Context<Self>) -> u64 {
        self.total
    }
}

/// Many sink actors; each iteration `do_send`s one message to each and waits until all are
/// handled.
pub(crate) struct Fanout {
    sinks: Vec<Addr<Sink>>,
    sys: SystemRunner,
}

impl Fanout {
    pub(crate) fn new(n: usize) -> Self {
        let sys = System::new();
        let sinks = sys.block_on(async { (0..n).map(|_| Sink { total: 0 }.start()).collect() });
        Fanout { sinks, sys }
    }

    pub(crate) fn iter(&mut self) {
        local_arm(self.sinks.len());
        self.sys.block_on(async {
            for (i, s) in self.sinks.iter().enumerate() {
                s.do_send(Hit(i as u64));
            }
            local_wait().await;
        });
    }

    /// Sum of every sink's total.
    pub(crate) fn checksum(&mut self) -> u64 {
        self.sys.block_on(async {
            let mut sum = 0u64;
            for s in &self.sinks {
                sum = sum.wrapping_add(s.send(Total).await.expect("sink replies"));
            }
            sum
        })
    }
}

/// A `Fwd<u64>`'s counterpart: a `Recipient<Hit>`, actix's type-erased address for one message
/// type, bound to a sink.
pub(crate) struct FwdBench {
    fwd: Recipient<Hit>,
    sink: Addr<Sink>,
    sys: SystemRunner,
}

impl FwdBench {
    pub(crate) fn new() -> Self {
        let sys = System::new();
        let sink = sys.block_on(async { Sink { total: 0 }.start() });
        let fwd = sink.clone().recipient();
        FwdBench { fwd, sink, sys }
    }

    pub(crate) fn iter(&mut self, n: u64) {
        local_arm(n as usize);
        self.sys.block_on(async {
            for i in 0..n {
                self.fwd.do_send(Hit(i));
            }
            local_wait().await;
        });
    }

    pub(crate) fn total(&mut self) -> u64 {
        self.sys
            .block_on(self.sink.send(Total))
            .expect("sink replies")
    }
}

// ---------------------------------------------------------------------------------------------
// spawn

/// 24 bytes of actor state; dropping it counts towards the destroy latch.
struct Item {
    data: [u64; 3],
}

impl Drop for Item {
    fn drop(&mut self) {
        local_hit();
    }
}

impl Actor for Item {
    type Context = Context<Self>;
}

struct Init;
struct Data2;
no_reply!(Init);
u64_reply!(Data2);

impl Handler<Init> for Item {
    type Result = ();
    fn handle(&mut self, _: Init, _: &mut Context<Self>) {
        local_hit();
    }
}

impl Handler<Data2> for Item {
    type Result = u64;
    fn handle(&mut self, _: Data2, _: &mut Context<Self>) -> u64 {
        self.data[2]
    }
}

/// Starts `n` actors with 24 bytes of state and `do_send`s each one init message, waits until
/// every init has been handled, then drops every `Addr` and waits until every actor has
/// stopped and been dropped (an actix actor stops once no `Addr` to it is left).
pub(crate) struct Spawn {
    owners: Vec<Addr<Item>>,
    sys: SystemRunner,
}

impl Spawn {
    pub(crate) fn new(n: usize) -> Self {
        Spawn {
            owners: Vec::with_capacity(n),
            sys: System::new(),
        }
    }

    pub(crate) fn create(&mut self, n: usize) {
        local_arm(n);
        let owners = &mut self.owners;
        self.sys.block_on(async {
            for i in 0..n as u64 {
                let a = Item {
                    data: [i, i + 1, i + 2],
                }
                .start();
                a.do_send(Init);
                owners.push(a);
            }
            local_wait().await;
        });
    }

    pub(crate) fn destroy(&mut self) {
        local_arm(self.owners.len());
        let owners = &mut self.owners;
        self.sys.block_on(async {
            owners.clear();
            local_wait().await;
        });
    }

    pub(crate) fn iter(&mut self, n: usize) {
        self.create(n);
        self.destroy();
    }

    pub(crate) fn checksum(&mut self) -> u64 {
        self.sys.block_on(async {
            let mut sum = 0u64;
            for a in &self.owners {
                sum = sum.wrapping_add(a.send(Data2).await.expect("item replies"));
            }
            sum
        })
    }
}

// ---------------------------------------------------------------------------------------------
// request

struct Server;

impl Actor for Server {
    type Context = Context<Self>;
}

struct Req(u64);
u64_reply!(Req);

impl Handler<Req> for Server {
    type Result = u64;
    fn handle(&mut self, Req(v): Req, _: &mut Context<Self>) -> u64 {
        v + 1
    }
}

/// Actor A: sends a request with `Addr::send`, and handles the reply in a continuation
/// (`into_actor(self).map(..)` spawned on its own context) that updates its state and sends the
/// next request, like the stakker client's `resp` does.
struct Client {
    server: Addr<Server>,
    left: u64,
    last: u64,
    done: Option<oneshot::Sender<u64>>,
}

impl Actor for Client {
    type Context = Context<Self>;
}

struct Start {
    n: u64,
    done: oneshot::Sender<u64>,
}
no_reply!(Start);

impl Handler<Start> for Client {
    type Result = ();
    fn handle(&mut self, Start { n, done }: Start, ctx: &mut Context<Self>) {
        self.left = n;
        self.done = Some(done);
        self.send(ctx);
    }
}

impl Client {
    fn send(&mut self, ctx: &mut Context<Self>) {
        let ask = self
            .server
            .send(Req(self.last))
            .into_actor(self)
            .map(|reply, this, ctx| this.resp(reply.expect("server replies"), ctx));
        ctx.spawn(ask);
    }

    fn resp(&mut self, v: u64, ctx: &mut Context<Self>) {
        self.last = v;
        self.left -= 1;
        if self.left > 0 {
            self.send(ctx);
        } else if let Some(done) = self.done.take() {
            let _ = done.send(self.last);
        }
    }
}

/// Actor A asks actor B `n` times in a row; the iteration ends when A reports that its last
/// reply arrived.
pub(crate) struct Request {
    client: Addr<Client>,
    sys: SystemRunner,
}

impl Request {
    pub(crate) fn new() -> Self {
        let sys = System::new();
        let client = sys.block_on(async {
            Client {
                server: Server.start(),
                left: 0,
                last: 0,
                done: None,
            }
            .start()
        });
        Request { client, sys }
    }

    /// Returns A's last reply (it grows by one per round trip).
    pub(crate) fn iter(&mut self, n: u64) -> u64 {
        self.sys.block_on(async {
            let (done, finished) = oneshot::channel();
            self.client.do_send(Start { n, done });
            finished.await.expect("client finishes")
        })
    }
}
