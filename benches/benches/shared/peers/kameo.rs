//! The `core` workloads on kameo: `Actor`s spawned with `Spawn::spawn_with_mailbox` and an
//! unbounded mailbox (the queues of the other entries are unbounded too), messages sent with
//! `ActorRef::tell(..).await`, requests with `ActorRef::ask(..).await` from inside the asking
//! actor's handler.
//!
//! kameo spawns every actor with `tokio::spawn`; here that lands on a current-thread runtime
//! (one per workload, created once and kept across iterations), so every actor runs on the
//! benchmarking thread (see `common.rs`: the CPU-time clock only sees that thread). Everything
//! is done inside `Runtime::block_on`, whose future waits on the completion latch.

use crate::peer_common::{current_thread_runtime, SyncLatch};
use kameo::actor::{ActorRef, Recipient, Spawn as _};
use kameo::error::Infallible;
use kameo::mailbox;
use kameo::message::{Context, Message};
use kameo::Actor;
use tokio::runtime::Runtime;

/// kameo actors must be `Send`, so their latch is a `static` with an atomic count.
static DONE: SyncLatch = SyncLatch::new();

/// Implements `Actor` with the state itself as the spawn argument and no-op lifecycle hooks.
macro_rules! plain_actor {
    ($($t:ty),*) => {
        $(impl Actor for $t {
            type Args = Self;
            type Error = Infallible;

            async fn on_start(state: Self, _: ActorRef<Self>) -> Result<Self, Infallible> {
                Ok(state)
            }
        })*
    };
}

/// Spawns an actor with an unbounded mailbox.
fn spawn<A: Actor<Args = A>>(state: A) -> ActorRef<A> {
    A::spawn_with_mailbox(state, mailbox::unbounded())
}

// ---------------------------------------------------------------------------------------------
// ping

struct Pinger {
    peer: Option<ActorRef<Pinger>>,
    hits: u64,
}

#[derive(Debug)]
struct SetPeer(ActorRef<Pinger>);
#[derive(Debug)]
struct PingMsg(u64);
#[derive(Debug)]
struct Hits;
plain_actor!(Pinger);

impl Message<SetPeer> for Pinger {
    type Reply = ();
    async fn handle(&mut self, SetPeer(peer): SetPeer, _: &mut Context<Self, ()>) {
        self.peer = Some(peer);
    }
}

impl Message<PingMsg> for Pinger {
    type Reply = ();
    async fn handle(&mut self, PingMsg(left): PingMsg, _: &mut Context<Self, ()>) {
        self.hits += 1;
        if left > 0 {
            if let Some(peer) = &self.peer {
                peer.tell(PingMsg(left - 1)).await.expect("peer alive");
            }
        } else {
            DONE.hit();
        }
    }
}

impl Message<Hits> for Pinger {
    type Reply = u64;
    async fn handle(&mut self, _: Hits, _: &mut Context<Self, u64>) -> u64 {
        self.hits
    }
}

fn pinger() -> Pinger {
    Pinger {
        peer: None,
        hits: 0,
    }
}

/// Two actors bouncing a counter with `tell`.
pub(crate) struct Ping {
    a: ActorRef<Pinger>,
    b: ActorRef<Pinger>,
    // Last: dropped after the actor refs.
    rt: Runtime,
}

impl Ping {
    pub(crate) fn new() -> Self {
        let rt = current_thread_runtime();
        let (a, b) = rt.block_on(async {
            let a = spawn(pinger());
            let b = spawn(pinger());
            a.tell(SetPeer(b.clone())).await.expect("pinger alive");
            b.tell(SetPeer(a.clone())).await.expect("pinger alive");
            (a, b)
        });
        Ping { a, b, rt }
    }

    /// `n` messages in all; ends when the last one has been handled.
    pub(crate) fn iter(&mut self, n: u64) {
        DONE.arm(1);
        self.rt.block_on(async {
            self.a.tell(PingMsg(n - 1)).await.expect("pinger alive");
            DONE.wait().await;
        });
    }

    /// Messages handled by both actors so far.
    pub(crate) fn hits(&mut self) -> u64 {
        self.rt.block_on(async {
            self.a.ask(Hits).await.expect("pinger replies")
                + self.b.ask(Hits).await.expect("pinger replies")
        })
    }
}

// ---------------------------------------------------------------------------------------------
// fanout and fwd: sinks

struct Sink {
    total: u64,
}

#[derive(Debug)]
struct Hit(u64);
#[derive(Debug)]
struct Total;
plain_actor!(Sink);

impl Message<Hit> for Sink {
    type Reply = ();
    async fn handle(&mut self, Hit(v): Hit, _: &mut Context<Self, ()>) {
        self.total = self.total.wrapping_add(v);
        DONE.hit();
    }
}

impl Message<Total> for Sink {
    type Reply = u64;
    async fn handle(&mut self, _: Total, _: &mut Context<Self, u64>) -> u64 {
        self.total
    }
}

/// Many sink actors; each iteration `tell`s one message to each and waits until all are
/// handled.
pub(crate) struct Fanout {
    sinks: Vec<ActorRef<Sink>>,
    rt: Runtime,
}

impl Fanout {
    pub(crate) fn new(n: usize) -> Self {
        let rt = current_thread_runtime();
        let sinks = rt.block_on(async { (0..n).map(|_| spawn(Sink { total: 0 })).collect() });
        Fanout { sinks, rt }
    }

    pub(crate) fn iter(&mut self) {
        DONE.arm(self.sinks.len());
        self.rt.block_on(async {
            for (i, s) in self.sinks.iter().enumerate() {
                s.tell(Hit(i as u64)).await.expect("sink alive");
            }
            DONE.wait().await;
        });
    }

    /// Sum of every sink's total.
    pub(crate) fn checksum(&mut self) -> u64 {
        self.rt.block_on(async {
            let mut sum = 0u64;
            for s in &self.sinks {
                sum = sum.wrapping_add(s.ask(Total).await.expect("sink replies"));
            }
            sum
        })
    }
}

/// A `Fwd<u64>`'s counterpart: a `Recipient<Hit>`, kameo's type-erased reference for one
/// message type, bound to a sink.
pub(crate) struct FwdBench {
    fwd: Recipient<Hit>,
    sink: ActorRef<Sink>,
    rt: Runtime,
}

impl FwdBench {
    pub(crate) fn new() -> Self {
        let rt = current_thread_runtime();
        let sink = rt.block_on(async { spawn(Sink { total: 0 }) });
        let fwd = sink.clone().recipient();
        FwdBench { fwd, sink, rt }
    }

    pub(crate) fn iter(&mut self, n: u64) {
        DONE.arm(n as usize);
        self.rt.block_on(async {
            for i in 0..n {
                self.fwd.tell(Hit(i)).await.expect("sink alive");
            }
            DONE.wait().await;
        });
    }

    pub(crate) fn total(&mut self) -> u64 {
        self.rt
            .block_on(async { self.sink.ask(Total).await })
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
        DONE.hit();
    }
}

#[derive(Debug)]
struct Init;
#[derive(Debug)]
struct Data2;
plain_actor!(Item);

impl Message<Init> for Item {
    type Reply = ();
    async fn handle(&mut self, _: Init, _: &mut Context<Self, ()>) {
        DONE.hit();
    }
}

impl Message<Data2> for Item {
    type Reply = u64;
    async fn handle(&mut self, _: Data2, _: &mut Context<Self, u64>) -> u64 {
        self.data[2]
    }
}

/// Spawns `n` actors with 24 bytes of state and `tell`s each one init message, waits until
/// every init has been handled, then drops every `ActorRef` and waits until every actor has
/// stopped and its state has been dropped (a kameo actor stops once no `ActorRef` to it is
/// left).
pub(crate) struct Spawn {
    owners: Vec<ActorRef<Item>>,
    rt: Runtime,
}

impl Spawn {
    pub(crate) fn new(n: usize) -> Self {
        Spawn {
            owners: Vec::with_capacity(n),
            rt: current_thread_runtime(),
        }
    }

    pub(crate) fn create(&mut self, n: usize) {
        DONE.arm(n);
        let owners = &mut self.owners;
        self.rt.block_on(async {
            for i in 0..n as u64 {
                let a = spawn(Item {
                    data: [i, i + 1, i + 2],
                });
                a.tell(Init).await.expect("item alive");
                owners.push(a);
            }
            DONE.wait().await;
        });
    }

    pub(crate) fn destroy(&mut self) {
        DONE.arm(self.owners.len());
        let owners = &mut self.owners;
        self.rt.block_on(async {
            owners.clear();
            DONE.wait().await;
        });
    }

    pub(crate) fn iter(&mut self, n: usize) {
        self.create(n);
        self.destroy();
    }

    pub(crate) fn checksum(&mut self) -> u64 {
        self.rt.block_on(async {
            let mut sum = 0u64;
            for a in &self.owners {
                sum = sum.wrapping_add(a.ask(Data2).await.expect("item replies"));
            }
            sum
        })
    }
}

// ---------------------------------------------------------------------------------------------
// request

struct Server;

#[derive(Debug)]
struct Req(u64);
plain_actor!(Server);

impl Message<Req> for Server {
    type Reply = u64;
    async fn handle(&mut self, Req(v): Req, _: &mut Context<Self, u64>) -> u64 {
        v + 1
    }
}

/// Actor A: its `Start(n)` handler asks B `n` times in a row (`ask(..).await`, each reply
/// before the next request) and replies with the last answer.
struct Client {
    server: ActorRef<Server>,
    last: u64,
}

#[derive(Debug)]
struct Start(u64);
plain_actor!(Client);

impl Message<Start> for Client {
    type Reply = u64;
    async fn handle(&mut self, Start(n): Start, _: &mut Context<Self, u64>) -> u64 {
        for _ in 0..n {
            self.last = self
                .server
                .ask(Req(self.last))
                .await
                .expect("server replies");
        }
        self.last
    }
}

/// Actor A asks actor B `n` times in a row; the driver `ask`s A to do so, so the iteration ends
/// when A's reply (its last answer) arrives.
pub(crate) struct Request {
    client: ActorRef<Client>,
    rt: Runtime,
}

impl Request {
    pub(crate) fn new() -> Self {
        let rt = current_thread_runtime();
        let client = rt.block_on(async {
            spawn(Client {
                server: spawn(Server),
                last: 0,
            })
        });
        Request { client, rt }
    }

    /// Returns A's last reply (it grows by one per round trip).
    pub(crate) fn iter(&mut self, n: u64) -> u64 {
        self.rt
            .block_on(async { self.client.ask(Start(n)).await })
            .expect("client replies")
    }
}
