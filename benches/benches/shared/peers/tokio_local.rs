//! The `core` workloads on plain tokio: an "actor" is a `spawn_local` task that owns its state
//! and loops over a `tokio::sync::mpsc` unbounded channel; its address is the
//! `UnboundedSender`. Requests carry a `oneshot::Sender` for the reply.
//!
//! One current-thread runtime plus a `LocalSet` per workload, created once and kept across
//! iterations; every task runs on the benchmarking thread (see `common.rs`: the CPU-time clock
//! only sees that thread).

use crate::peer_common::{current_thread_runtime, local_arm, local_hit, local_wait};
use std::future::Future;
use std::rc::Rc;
use tokio::runtime::Runtime;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::task::{spawn_local, LocalSet};

/// A current-thread runtime and the `LocalSet` the tasks live in.
struct Local {
    // Field order is drop order: the tasks (in the `LocalSet`) go before the runtime.
    set: LocalSet,
    rt: Runtime,
}

impl Local {
    fn new() -> Self {
        Local {
            set: LocalSet::new(),
            rt: current_thread_runtime(),
        }
    }

    /// Runs `f` and every task it wakes on this thread until `f` completes.
    fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.set.block_on(&self.rt, f)
    }
}

/// Asks a task for a value through a `oneshot` reply channel.
async fn query<M>(to: &UnboundedSender<M>, msg: impl FnOnce(oneshot::Sender<u64>) -> M) -> u64 {
    let (tx, rx) = oneshot::channel();
    to.send(msg(tx)).expect("task alive");
    rx.await.expect("task replies")
}

// ---------------------------------------------------------------------------------------------
// ping

enum PingMsg {
    Ping(u64),
    Hits(oneshot::Sender<u64>),
}

async fn pinger(mut rx: UnboundedReceiver<PingMsg>, peer: UnboundedSender<PingMsg>) {
    let mut hits = 0u64;
    while let Some(msg) = rx.recv().await {
        match msg {
            PingMsg::Ping(left) => {
                hits += 1;
                if left > 0 {
                    peer.send(PingMsg::Ping(left - 1)).expect("peer alive");
                } else {
                    local_hit();
                }
            }
            PingMsg::Hits(reply) => {
                let _ = reply.send(hits);
            }
        }
    }
}

/// Two tasks bouncing a counter through each other's channel.
pub(crate) struct Ping {
    a: UnboundedSender<PingMsg>,
    b: UnboundedSender<PingMsg>,
    rt: Local,
}

impl Ping {
    pub(crate) fn new() -> Self {
        let rt = Local::new();
        let (a, a_rx) = unbounded_channel();
        let (b, b_rx) = unbounded_channel();
        rt.block_on(async {
            spawn_local(pinger(a_rx, b.clone()));
            spawn_local(pinger(b_rx, a.clone()));
        });
        Ping { a, b, rt }
    }

    /// `n` messages in all; ends when the last one has been handled.
    pub(crate) fn iter(&mut self, n: u64) {
        local_arm(1);
        self.rt.block_on(async {
            self.a.send(PingMsg::Ping(n - 1)).expect("pinger alive");
            local_wait().await;
        });
    }

    /// Messages handled by both tasks so far.
    pub(crate) fn hits(&mut self) -> u64 {
        self.rt.block_on(async {
            query(&self.a, PingMsg::Hits).await + query(&self.b, PingMsg::Hits).await
        })
    }
}

// ---------------------------------------------------------------------------------------------
// fanout and fwd: sinks

enum SinkMsg {
    Hit(u64),
    Total(oneshot::Sender<u64>),
}

async fn sink(mut rx: UnboundedReceiver<SinkMsg>) {
    let mut total = 0u64;
    while let Some(msg) = rx.recv().await {
        match msg {
            SinkMsg::Hit(v) => {
                total = total.wrapping_add(v);
                local_hit();
            }
            SinkMsg::Total(reply) => {
                let _ = reply.send(total);
            }
        }
    }
}

/// Many sink tasks; each iteration sends one message to each and waits until all are handled.
pub(crate) struct Fanout {
    sinks: Vec<UnboundedSender<SinkMsg>>,
    rt: Local,
}

impl Fanout {
    pub(crate) fn new(n: usize) -> Self {
        let rt = Local::new();
        let sinks = rt.block_on(async {
            (0..n)
                .map(|_| {
                    let (tx, rx) = unbounded_channel();
                    spawn_local(sink(rx));
                    tx
                })
                .collect()
        });
        Fanout { sinks, rt }
    }

    pub(crate) fn iter(&mut self) {
        local_arm(self.sinks.len());
        self.rt.block_on(async {
            for (i, s) in self.sinks.iter().enumerate() {
                s.send(SinkMsg::Hit(i as u64)).expect("sink alive");
            }
            local_wait().await;
        });
    }

    /// Sum of every sink's total.
    pub(crate) fn checksum(&mut self) -> u64 {
        self.rt.block_on(async {
            let mut sum = 0u64;
            for s in &self.sinks {
                sum = sum.wrapping_add(query(s, SinkMsg::Total).await);
            }
            sum
        })
    }
}

/// A `Fwd<u64>`'s counterpart: a type-erased, shared callback that queues the value to a sink
/// task (stakker's `Fwd` is an `Rc<dyn Fn>` that queues a call on its actor).
pub(crate) struct FwdBench {
    fwd: Rc<dyn Fn(u64)>,
    sink: UnboundedSender<SinkMsg>,
    rt: Local,
}

impl FwdBench {
    pub(crate) fn new() -> Self {
        let rt = Local::new();
        let (tx, rx) = unbounded_channel();
        rt.block_on(async {
            spawn_local(sink(rx));
        });
        let to = tx.clone();
        let fwd: Rc<dyn Fn(u64)> = Rc::new(move |v| {
            to.send(SinkMsg::Hit(v)).expect("sink alive");
        });
        FwdBench { fwd, sink: tx, rt }
    }

    pub(crate) fn iter(&mut self, n: u64) {
        local_arm(n as usize);
        self.rt.block_on(async {
            for i in 0..n {
                (self.fwd)(i);
            }
            local_wait().await;
        });
    }

    pub(crate) fn total(&mut self) -> u64 {
        self.rt.block_on(query(&self.sink, SinkMsg::Total))
    }
}

// ---------------------------------------------------------------------------------------------
// spawn

/// 24 bytes of task state; dropping it counts towards the destroy latch.
struct Item {
    data: [u64; 3],
}

impl Drop for Item {
    fn drop(&mut self) {
        local_hit();
    }
}

enum ItemMsg {
    Init,
    Data2(oneshot::Sender<u64>),
}

async fn item(data: [u64; 3], mut rx: UnboundedReceiver<ItemMsg>) {
    let item = Item { data };
    while let Some(msg) = rx.recv().await {
        match msg {
            ItemMsg::Init => local_hit(),
            ItemMsg::Data2(reply) => {
                let _ = reply.send(item.data[2]);
            }
        }
    }
}

/// Spawns `n` tasks with 24 bytes of state and one init message each, waits until every init
/// has been handled, then drops every sender and waits until every task has ended.
pub(crate) struct Spawn {
    items: Vec<UnboundedSender<ItemMsg>>,
    rt: Local,
}

impl Spawn {
    pub(crate) fn new(n: usize) -> Self {
        Spawn {
            items: Vec::with_capacity(n),
            rt: Local::new(),
        }
    }

    pub(crate) fn create(&mut self, n: usize) {
        local_arm(n);
        let items = &mut self.items;
        self.rt.block_on(async {
            for i in 0..n as u64 {
                let (tx, rx) = unbounded_channel();
                spawn_local(item([i, i + 1, i + 2], rx));
                tx.send(ItemMsg::Init).expect("task alive");
                items.push(tx);
            }
            local_wait().await;
        });
    }

    /// Drops every sender: each task's `recv` returns `None`, the task ends and drops its state.
    pub(crate) fn destroy(&mut self) {
        local_arm(self.items.len());
        let items = &mut self.items;
        self.rt.block_on(async {
            items.clear();
            local_wait().await;
        });
    }

    pub(crate) fn iter(&mut self, n: usize) {
        self.create(n);
        self.destroy();
    }

    pub(crate) fn checksum(&mut self) -> u64 {
        self.rt.block_on(async {
            let mut sum = 0u64;
            for i in &self.items {
                sum = sum.wrapping_add(query(i, ItemMsg::Data2).await);
            }
            sum
        })
    }
}

// ---------------------------------------------------------------------------------------------
// request

struct Req {
    v: u64,
    reply: oneshot::Sender<u64>,
}

async fn server(mut rx: UnboundedReceiver<Req>) {
    while let Some(Req { v, reply }) = rx.recv().await {
        let _ = reply.send(v + 1);
    }
}

struct Start {
    n: u64,
    done: oneshot::Sender<u64>,
}

/// Task A: for each request, a fresh `oneshot`, send to B, await the reply, then the next.
async fn client(mut rx: UnboundedReceiver<Start>, server: UnboundedSender<Req>) {
    let mut last = 0u64;
    while let Some(Start { n, done }) = rx.recv().await {
        for _ in 0..n {
            let (reply, answer) = oneshot::channel();
            server.send(Req { v: last, reply }).expect("server alive");
            last = answer.await.expect("server replies");
        }
        let _ = done.send(last);
    }
}

/// Task A asks task B `n` times in a row (mpsc request with a `oneshot` reply); the iteration
/// ends when A reports that its last reply arrived.
pub(crate) struct Request {
    client: UnboundedSender<Start>,
    rt: Local,
}

impl Request {
    pub(crate) fn new() -> Self {
        let rt = Local::new();
        let (client, client_rx) = unbounded_channel();
        rt.block_on(async {
            let (server_tx, server_rx) = unbounded_channel();
            spawn_local(server(server_rx));
            spawn_local(self::client(client_rx, server_tx));
        });
        Request { client, rt }
    }

    /// Returns A's last reply (it grows by one per round trip).
    pub(crate) fn iter(&mut self, n: u64) -> u64 {
        self.rt.block_on(async {
            let (done, finished) = oneshot::channel();
            self.client.send(Start { n, done }).expect("client alive");
            finished.await.expect("client finishes")
        })
    }
}
