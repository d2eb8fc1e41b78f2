// The actor workloads, written once and compiled twice: `include!`d into one module per crate.
// The including module provides:
//
// - `stakker`: the crate under test (`use stakker_core as stakker;`, or the original itself);
// - the crate's own macros `actor!`, `call!`, `lazy!`, `idle!`, `ret!`, `fwd!`, `ret_nop!`,
//   `ret_some_to!` and `fwd_to!`;
// - `fn at(nanos: u64) -> T`, a virtual instant `nanos` after a fixed base, in the type that
//   crate's `Stakker::run` takes natively.
//
// Everything below uses only the API the two crates share, so the workloads are identical.

use stakker::{Actor, ActorOwn, Cx, Fwd, Ret, Stakker};

/// A runtime with its clock fixed at the base instant.
fn new_stakker() -> Stakker {
    Stakker::new(at(0))
}

/// Runs the queues until they are empty (time does not move).
fn drain(s: &mut Stakker) {
    s.run(at(0), false);
}

// ---------------------------------------------------------------------------------------------
// ping: two actors bouncing a counter

pub(crate) struct Pinger {
    peer: Option<Actor<Pinger>>,
    hits: u64,
}

impl Pinger {
    fn init(_: &mut Cx<'_, Self>) -> Option<Self> {
        Some(Pinger {
            peer: None,
            hits: 0,
        })
    }

    fn set_peer(&mut self, _: &mut Cx<'_, Self>, peer: Actor<Pinger>) {
        self.peer = Some(peer);
    }

    fn ping(&mut self, _: &mut Cx<'_, Self>, left: u64) {
        self.hits += 1;
        if left > 0 {
            let next = left - 1;
            if let Some(peer) = &self.peer {
                call!([peer], ping(next));
            }
        }
    }
}

/// Two actors that bounce a counter: each `call!` queues one call on the peer.
pub(crate) struct Ping {
    s: Stakker,
    a: ActorOwn<Pinger>,
    _b: ActorOwn<Pinger>,
}

impl Ping {
    pub(crate) fn new() -> Self {
        let mut s = new_stakker();
        let a = actor!(s, Pinger::init(), ret_nop!());
        let b = actor!(s, Pinger::init(), ret_nop!());
        let (aa, bb) = (a.clone(), b.clone());
        call!([a], set_peer(bb));
        call!([b], set_peer(aa));
        drain(&mut s);
        Ping { s, a, _b: b }
    }

    /// `n` messages in all (one queued call each), drained by one `run`.
    pub(crate) fn iter(&mut self, n: u64) {
        let left = n - 1;
        call!([self.a], ping(left));
        drain(&mut self.s);
    }
}

// ---------------------------------------------------------------------------------------------
// fanout: one call to each of many actors

pub(crate) struct Sink {
    total: u64,
}

impl Sink {
    fn init(_: &mut Cx<'_, Self>) -> Option<Self> {
        Some(Sink { total: 0 })
    }

    fn hit(&mut self, _: &mut Cx<'_, Self>, v: u64) {
        self.total = self.total.wrapping_add(v);
    }
}

/// Many already-created actors; each iteration queues one call to each, then runs.
pub(crate) struct Fanout {
    s: Stakker,
    sinks: Vec<ActorOwn<Sink>>,
}

impl Fanout {
    pub(crate) fn new(n: usize) -> Self {
        let mut s = new_stakker();
        let sinks = (0..n)
            .map(|_| actor!(s, Sink::init(), ret_nop!()))
            .collect();
        drain(&mut s);
        Fanout { s, sinks }
    }

    /// Queues `rounds` calls to each actor (round by round, so consecutive calls go to
    /// different actors), then drains them with one `run`.
    pub(crate) fn iter(&mut self, rounds: u64) {
        for r in 0..rounds {
            for (i, a) in self.sinks.iter().enumerate() {
                let v = r.wrapping_add(i as u64);
                call!([a], hit(v));
            }
        }
        drain(&mut self.s);
    }

    /// Sum over the actors' totals (keeps the state observable).
    pub(crate) fn checksum(&mut self) -> u64 {
        let mut sum = 0u64;
        for a in &self.sinks {
            if let Some(v) = a.query(&mut self.s, |this, _| this.total) {
                sum = sum.wrapping_add(v);
            }
        }
        sum
    }
}

// ---------------------------------------------------------------------------------------------
// spawn: create, initialise and drop many actors with 24 bytes of state

/// 24 bytes of actor state.
pub(crate) struct Item {
    data: [u64; 3],
}

impl Item {
    fn init(_: &mut Cx<'_, Self>, data: [u64; 3]) -> Option<Self> {
        Some(Item { data })
    }
}

/// Creates `n` actors of [`Item`] (Prep + init call), runs, drops them all, runs.
pub(crate) struct Spawn {
    s: Stakker,
    owners: Vec<ActorOwn<Item>>,
}

impl Spawn {
    pub(crate) fn new(n: usize) -> Self {
        Spawn {
            s: new_stakker(),
            owners: Vec::with_capacity(n),
        }
    }

    /// Creates `n` actors, runs their init calls, and leaves them alive.
    pub(crate) fn create(&mut self, n: usize) {
        for i in 0..n as u64 {
            let data = [i, i + 1, i + 2];
            let a = actor!(self.s, Item::init(data), ret_nop!());
            self.owners.push(a);
        }
        drain(&mut self.s);
    }

    /// Drops every actor and runs the queued terminations.
    pub(crate) fn destroy(&mut self) {
        self.owners.clear();
        drain(&mut self.s);
    }

    pub(crate) fn iter(&mut self, n: usize) {
        self.create(n);
        self.destroy();
    }

    /// Sum over the live actors' states (keeps the state observable).
    pub(crate) fn checksum(&mut self) -> u64 {
        let mut sum = 0u64;
        for a in &self.owners {
            if let Some(v) = a.query(&mut self.s, |this, _| this.data[2]) {
                sum = sum.wrapping_add(v);
            }
        }
        sum
    }
}

// ---------------------------------------------------------------------------------------------
// request: request/reply round trips with a `Ret`

pub(crate) struct Server {
    served: u64,
}

impl Server {
    fn init(_: &mut Cx<'_, Self>) -> Option<Self> {
        Some(Server { served: 0 })
    }

    fn req(&mut self, _: &mut Cx<'_, Self>, v: u64, r: Ret<u64>) {
        self.served += 1;
        ret!([r], v + 1);
    }
}

pub(crate) struct Client {
    server: ActorOwn<Server>,
    left: u64,
    last: u64,
}

impl Client {
    fn init(cx: &mut Cx<'_, Self>) -> Option<Self> {
        let server = actor!(cx, Server::init(), ret_nop!());
        Some(Client {
            server,
            left: 0,
            last: 0,
        })
    }

    fn start(&mut self, cx: &mut Cx<'_, Self>, n: u64) {
        self.left = n;
        self.send(cx);
    }

    fn send(&mut self, cx: &mut Cx<'_, Self>) {
        let v = self.last;
        let r = ret_some_to!([cx], resp() as (u64));
        call!([self.server], req(v, r));
    }

    fn resp(&mut self, cx: &mut Cx<'_, Self>, v: u64) {
        self.last = v;
        self.left -= 1;
        if self.left > 0 {
            self.send(cx);
        }
    }
}

/// Actor A calls B with a `Ret`; B replies; A sends the next request. One `run` drains `n`.
pub(crate) struct Request {
    s: Stakker,
    client: ActorOwn<Client>,
}

impl Request {
    pub(crate) fn new() -> Self {
        let mut s = new_stakker();
        let client = actor!(s, Client::init(), ret_nop!());
        drain(&mut s);
        Request { s, client }
    }

    pub(crate) fn iter(&mut self, n: u64) {
        call!([self.client], start(n));
        drain(&mut self.s);
    }
}

// ---------------------------------------------------------------------------------------------
// fwd: dispatch through an actor-bound `Fwd`

/// A `Fwd<u64>` bound to a [`Sink`]; each iteration forwards `n` messages, then runs.
pub(crate) struct FwdBench {
    s: Stakker,
    _sink: ActorOwn<Sink>,
    fwd: Fwd<u64>,
}

impl FwdBench {
    pub(crate) fn new() -> Self {
        let mut s = new_stakker();
        let sink = actor!(s, Sink::init(), ret_nop!());
        let fwd = fwd_to!([sink], hit() as (u64));
        drain(&mut s);
        FwdBench {
            s,
            _sink: sink,
            fwd,
        }
    }

    pub(crate) fn iter(&mut self, n: u64) {
        for i in 0..n {
            fwd!([self.fwd], i);
        }
        drain(&mut self.s);
    }
}

// ---------------------------------------------------------------------------------------------
// lazy_idle: the lazy and idle queues

/// Each iteration queues `lazy` lazy calls and `idle` idle calls to one actor, then runs
/// `run(_, true)` until no idle item remains (one idle item per run).
pub(crate) struct LazyIdle {
    s: Stakker,
    sink: ActorOwn<Sink>,
}

impl LazyIdle {
    pub(crate) fn new() -> Self {
        let mut s = new_stakker();
        let sink = actor!(s, Sink::init(), ret_nop!());
        drain(&mut s);
        LazyIdle { s, sink }
    }

    pub(crate) fn iter(&mut self, lazy: u64, idle: u64) {
        let s = &mut self.s;
        for i in 0..lazy {
            lazy!([self.sink, s], hit(i));
        }
        for i in 0..idle {
            idle!([self.sink, s], hit(i));
        }
        let mut runs = 0;
        while s.run(at(0), true) {
            runs += 1;
        }
        assert_eq!(runs + 1, idle);
    }
}
