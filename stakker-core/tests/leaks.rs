//! Nothing lost, nothing leaked: a large actor system is built, the `Stakker` is dropped in
//! several ways (also after panics), and afterwards every byte allocated is freed and every
//! counted `Ret` has been answered exactly once (API.md §3.8, §5.6, §5.8, §5.9).
//!
//! # How memory is measured
//!
//! This test binary installs a counting global allocator. It keeps its counts **per thread**
//! (in `const`-initialised thread-locals, which need no allocation or destructor), and each
//! scenario runs entirely on its test's thread, so the test harness's own allocations (on its
//! main thread) and tests running in parallel on other threads do not disturb the count. No
//! scenario prints while it is measured (output capture would grow a buffer owned by the
//! harness), and the panics raised on purpose carry an [`IntendedPanic`] payload that a quiet
//! panic hook ignores.
//!
//! [`no_leak`] runs a scenario twice: the first round warms up whatever is created once per
//! thread or process (panic machinery, lazily initialised statics), then the live byte and
//! block counts are read, the scenario runs again, and the counts must be back exactly where
//! they were.
//!
//! # The system
//!
//! A tree of `Node` actors (depth 3, fan-out 6: 259 nodes, some owned through
//! `ActorOwnAnon`), each with two `Leaf` children in an `ActorOwnSlab` (518 leaves). Nodes
//! hold `Fwd`s to other nodes and to themselves (reference cycles through `Fwd`s), a `Share`
//! common to all of them whose value holds `Fwd`s to every node (a cycle through a `Share`),
//! a `Deferrer`, and unanswered `Ret`s; leaves hold a `Share2` and a `Fwd` back to their
//! parent. `Ret`s sit in actor state, in the `Share`, in fixed, Max and Min timers near and
//! far, in lazy and idle items, in `Ret::with_timeout`, in calls still queued on the main
//! queue and in calls parked on actors still in Prep. Every actor's notify `Ret` is counted
//! too.

#![allow(missing_docs)]

mod util;

use stakker_core::time::{Duration, Instant};
use stakker_core::{
    Actor, ActorOwn, ActorOwnAnon, ActorOwnSlab, Cx, Deferrer, Fwd, Ret, Share, Share2, Stakker,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use util::DeferApply;

// ---- Counting allocator ------------------------------------------------------------------

struct Counting;

thread_local! {
    static LIVE_BYTES: Cell<i64> = const { Cell::new(0) };
    static LIVE_BLOCKS: Cell<i64> = const { Cell::new(0) };
}

fn note(bytes: i64, blocks: i64) {
    // `try_with`: never fails for these (no destructor), but must not panic in an allocator.
    let _ = LIVE_BYTES.try_with(|c| c.set(c.get() + bytes));
    let _ = LIVE_BLOCKS.try_with(|c| c.set(c.get() + blocks));
}

// SAFETY: every method forwards to `System` unchanged; the counting touches only
// thread-locals that need neither allocation nor a destructor.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            note(layout.size() as i64, 1);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            note(layout.size() as i64, 1);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as i64), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            note(new_size as i64 - layout.size() as i64, 0);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes and blocks allocated and not yet freed by this thread.
fn live() -> (i64, i64) {
    (LIVE_BYTES.with(Cell::get), LIVE_BLOCKS.with(Cell::get))
}

/// Runs `scenario` twice (see the module docs) and checks that the second run frees every
/// byte and block it allocated. The scenario returns how many counted `Ret`s got `Some` and
/// `None`, which is printed (visible with `--nocapture`) once the measurement is over.
fn no_leak(name: &str, scenario: impl Fn() -> (usize, usize)) {
    quiet_intended_panics();
    scenario();
    let before = live();
    let (some, none) = scenario();
    let after = live();
    assert_eq!(
        after, before,
        "{name}: live (bytes, blocks) after the scenario differ from before it"
    );
    println!(
        "leaks: {name}: passed: 0 bytes leaked; {} Rets each answered once ({some} Some, {none} None)",
        some + none
    );
}

/// Payload of the panics raised on purpose.
struct IntendedPanic;

fn quiet_intended_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<IntendedPanic>() {
                prev(info);
            }
        }));
    });
}

// ---- Bookkeeping shared with the actors ----------------------------------------------------

/// Deliveries per counted `Ret`, and actor counts.
#[derive(Default)]
struct Book {
    /// Per counted `Ret`: (deliveries of `Some`, deliveries of `None`).
    rets: RefCell<Vec<(u32, u32)>>,
    nodes_made: Cell<u32>,
    nodes_dropped: Cell<u32>,
    leaves_made: Cell<u32>,
    leaves_dropped: Cell<u32>,
    /// Every node, for wiring them together; emptied once wired.
    dir: RefCell<Vec<Actor<Node>>>,
}

#[derive(Clone, Default)]
struct Ctx(Rc<Book>);

impl Ctx {
    /// A `Ret` whose deliveries are counted.
    fn ret<M: 'static>(&self) -> Ret<M> {
        let book = self.0.clone();
        let i = {
            let mut rets = book.rets.borrow_mut();
            rets.push((0, 0));
            rets.len() - 1
        };
        Ret::new(move |m: Option<M>| {
            let mut rets = book.rets.borrow_mut();
            if m.is_some() {
                rets[i].0 += 1;
            } else {
                rets[i].1 += 1;
            }
        })
    }

    /// Checks that every counted `Ret` was delivered exactly once; returns how many got
    /// `Some` and how many `None`.
    fn check_rets(&self) -> (usize, usize) {
        let rets = self.0.rets.borrow();
        for (i, &(some, none)) in rets.iter().enumerate() {
            assert_eq!(
                some + none,
                1,
                "Ret {i} delivered {some} Some and {none} None (of {})",
                rets.len()
            );
        }
        let some = rets.iter().filter(|r| r.0 == 1).count();
        (some, rets.len() - some)
    }

    /// Checks that every actor's state was dropped.
    fn check_actors(&self) {
        let b = &self.0;
        assert_eq!(b.nodes_made.get(), NODES, "nodes made");
        assert_eq!(b.nodes_dropped.get(), NODES, "node states dropped");
        assert_eq!(b.leaves_made.get(), 2 * NODES, "leaves made");
        assert_eq!(b.leaves_dropped.get(), 2 * NODES, "leaf states dropped");
    }
}

// ---- The actors ---------------------------------------------------------------------------

const DEPTH: u32 = 3;
const FANOUT: u32 = 6;
/// 1 + 6 + 36 + 216.
const NODES: u32 = 259;

const HOUR: Duration = Duration::from_secs(3600);
const MS: u64 = 1_000_000;

/// Shared by every node.
#[derive(Default)]
struct Pool {
    fwds: Vec<Fwd<u32>>,
    rets: Vec<Ret<u64>>,
}

struct Node {
    id: u32,
    ctx: Ctx,
    children: Vec<ActorOwn<Node>>,
    anon: Vec<ActorOwnAnon>,
    leaves: ActorOwnSlab<Leaf>,
    peers: Vec<Fwd<u32>>,
    asks: Vec<Fwd<Ret<u64>>>,
    me: Option<Fwd<u32>>,
    held: Vec<Ret<u64>>,
    pool: Share<Pool>,
    deferrer: Deferrer,
}

impl Node {
    fn init(cx: &mut Cx<'_, Node>, depth: u32, ctx: Ctx, pool: Share<Pool>) -> Option<Node> {
        let id = ctx.0.nodes_made.get();
        ctx.0.nodes_made.set(id + 1);
        ctx.0.dir.borrow_mut().push(cx.this().clone());
        let mut children = Vec::new();
        let mut anon = Vec::new();
        if depth > 0 {
            for i in 0..FANOUT {
                let parent_id = cx.id();
                let child = ActorOwn::<Node>::new(cx, ctx.ret(), parent_id);
                // A call parked until the child is Ready, then its init.
                let r = ctx.ret::<u64>();
                child.defer_apply(move |n, cx| n.ask(cx, r, 1));
                let (c, p) = (ctx.clone(), pool.clone());
                child.defer_apply_prep(move |cx| Node::init(cx, depth - 1, c, p));
                if i % 3 == 2 {
                    anon.push(child.anon());
                } else {
                    children.push(child);
                }
            }
        }
        cx.this().defer_apply(|n, cx| n.grow(cx));
        Some(Node {
            id,
            deferrer: cx.deferrer(),
            ctx,
            children,
            anon,
            leaves: ActorOwnSlab::new(),
            peers: Vec::new(),
            asks: Vec::new(),
            me: None,
            held: Vec::new(),
            pool,
        })
    }

    /// Leaves, timers and queued items holding `Ret`s.
    fn grow(&mut self, cx: &mut Cx<'_, Node>) {
        for _ in 0..2 {
            let this = cx.this().clone();
            let leaf = self
                .leaves
                .add(cx, this, |n: &mut Node| &mut n.leaves, self.ctx.ret());
            let (ctx, parent) = (self.ctx.clone(), cx.this().clone());
            leaf.defer_apply_prep(move |cx| Leaf::init(cx, ctx, parent));
        }
        let id = u64::from(self.id);
        // Near timers fire during the scenarios, far ones never do.
        let r = self.ctx.ret::<u64>();
        cx.after(Duration::from_millis(1 + id % 3), move |_| r.ret(id));
        let r = self.ctx.ret::<u64>();
        cx.after(HOUR * (1 + self.id % 5), move |_| r.ret(id));
        let r = self.ctx.ret::<u64>();
        let now = cx.now();
        let key = cx.timer_max_add(now + HOUR, move |_| r.ret(id));
        cx.timer_max_upd(key, now + HOUR * 2);
        let r = self.ctx.ret::<u64>();
        let key = cx.timer_min_add(now + HOUR * 1000, move |_| r.ret(id));
        cx.timer_min_upd(key, now + HOUR * 3);
        let r = self.ctx.ret::<u64>();
        let key = cx.after(HOUR, move |_| r.ret(id));
        if self.id % 2 == 0 {
            cx.timer_del(key);
        }
        let r = Ret::with_timeout(cx, Duration::from_millis(2), self.ctx.ret::<u64>());
        if self.id % 3 == 0 {
            self.held.push(r);
        } else {
            r.ret(id);
        }
        let r = self.ctx.ret::<u64>();
        cx.lazy(move |_| r.ret(id));
        let r = self.ctx.ret::<u64>();
        cx.idle(move |_| r.ret(id));
        // A queued closure holding a Deferrer and an Actor of the same runtime.
        let (d, me) = (self.deferrer.clone(), cx.this().clone());
        let r = self.ctx.ret::<u64>();
        cx.after(HOUR * 7, move |_| {
            d.defer(move |s| me.apply(s, move |_, _| r.ret(1)));
        });
    }

    fn connect(&mut self, cx: &mut Cx<'_, Node>, peers: Vec<Fwd<u32>>, asks: Vec<Fwd<Ret<u64>>>) {
        self.peers = peers;
        self.asks = asks;
        self.me = Some(Fwd::to_actor(cx.this().clone(), |n: &mut Node, cx, m| {
            n.ping(cx, m)
        }));
    }

    fn ping(&mut self, _cx: &mut Cx<'_, Node>, hops: u32) {
        if hops > 0 {
            let i = (self.id + hops) as usize;
            if let Some(peer) = self.peers.get(i % self.peers.len().max(1)) {
                peer.fwd(hops - 1);
            } else if let Some(me) = &self.me {
                me.fwd(hops - 1);
            }
        }
    }

    /// Answers, keeps or passes on `ret`, depending on `how`.
    fn ask(&mut self, cx: &mut Cx<'_, Node>, ret: Ret<u64>, how: u32) {
        let id = u64::from(self.id);
        match how % 8 {
            0 => ret.ret(id),
            1 => self.held.push(ret),
            2 => {
                cx.after(HOUR * 2, move |_| ret.ret(id));
            }
            3 => self.pool.rw(cx).rets.push(ret),
            4 => match self.asks.first() {
                Some(peer) => peer.fwd(ret),
                None => self.held.push(ret),
            },
            5 => cx.lazy(move |_| drop(ret)),
            6 => cx.idle(move |_| ret.ret(id)),
            _ => {
                let d = self.deferrer.clone();
                d.defer(move |_| ret.ret(id));
            }
        }
    }

    fn boom(&mut self, _cx: &mut Cx<'_, Node>) {
        self.held.clear();
        std::panic::panic_any(IntendedPanic);
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let b = &self.ctx.0;
        b.nodes_dropped.set(b.nodes_dropped.get() + 1);
        let _ = &self.anon; // owners held for their drop
    }
}

struct Leaf {
    ctx: Ctx,
    parent: Fwd<u32>,
    notes: Share2<Vec<u32>>,
    ret: Option<Ret<u64>>,
}

impl Leaf {
    fn init(cx: &mut Cx<'_, Leaf>, ctx: Ctx, parent: Actor<Node>) -> Option<Leaf> {
        let b = &ctx.0;
        b.leaves_made.set(b.leaves_made.get() + 1);
        let notes = Share2::new(cx, vec![1, 2, 3]);
        let (v, _core) = notes.rw(cx);
        v.push(4);
        let parent = Fwd::to_actor(parent, |n: &mut Node, cx, m| n.ping(cx, m));
        parent.fwd(2);
        Some(Leaf {
            ret: Some(ctx.ret()),
            ctx,
            parent,
            notes,
        })
    }
}

impl Drop for Leaf {
    fn drop(&mut self) {
        let b = &self.ctx.0;
        b.leaves_dropped.set(b.leaves_dropped.get() + 1);
        let _ = (&self.parent, &self.notes, &self.ret);
    }
}

// ---- Scenarios ----------------------------------------------------------------------------

fn at_ms(ms: u64) -> Instant {
    Instant::from_nanos(ms * MS)
}

/// Builds the system and runs it for a while; returns the root's owner. Leaves calls queued
/// (some carrying `Ret`s) for whatever the scenario does next.
fn build(s: &mut Stakker, ctx: &Ctx) -> ActorOwn<Node> {
    let pool = Share::new(s, Pool::default());
    let root = ActorOwn::<Node>::new(s, ctx.ret(), 0);
    let (c, p) = (ctx.clone(), pool.clone());
    root.defer_apply_prep(move |cx| Node::init(cx, DEPTH, c, p));
    s.run(at_ms(1), false);

    let dir = std::mem::take(&mut *ctx.0.dir.borrow_mut());
    assert_eq!(dir.len() as u32, NODES);
    let n = dir.len();
    let ping = |a: &Actor<Node>| Fwd::to_actor(a.clone(), |n: &mut Node, cx, m| n.ping(cx, m));
    for (i, a) in dir.iter().enumerate() {
        let peers = vec![
            ping(&dir[(i + 1) % n]),
            ping(&dir[(i * 7 + 3) % n]),
            ping(a),
        ];
        let asks = vec![Fwd::to_actor(
            dir[(i + 5) % n].clone(),
            |n: &mut Node, cx, r: Ret<u64>| n.ask(cx, r, 1),
        )];
        a.defer_apply(move |n, cx| n.connect(cx, peers, asks));
        pool.rw(s).fwds.push(ping(a));
    }
    for (i, a) in dir.iter().enumerate() {
        for how in 0..8 {
            let r = ctx.ret::<u64>();
            a.defer_apply(move |n, cx| n.ask(cx, r, how));
        }
        let r = ctx.ret::<u64>();
        a.defer_apply(move |n, cx| n.ping(cx, (i % 5) as u32));
        let _ = r; // answered None right here
    }
    s.run(at_ms(2), false);
    s.run(at_ms(4), true);

    // Left queued: calls carrying Rets, to actors and to `Ret::to_actor` handlers.
    for (i, a) in dir.iter().enumerate() {
        let r = ctx.ret::<u64>();
        a.defer_apply(move |n, cx| n.ask(cx, r, i as u32));
        let back = Ret::to_actor(a.clone(), |n: &mut Node, _, m: Option<u64>| {
            n.held.truncate(m.unwrap_or(0) as usize)
        });
        a.defer_apply(move |_, _| drop(back));
    }
    drop(dir);
    drop(pool);
    root
}

/// The checks made once everything is gone; returns the `Some` and `None` answers.
fn finish(ctx: Ctx) -> (usize, usize) {
    ctx.check_actors();
    let (some, none) = ctx.check_rets();
    assert!(some > 1000 && none > 1000, "{some} Some, {none} None");
    assert_eq!(
        Rc::strong_count(&ctx.0),
        1,
        "actors still hold the bookkeeping"
    );
    (some, none)
}

#[test]
fn drop_owner_then_stakker_frees_everything() {
    no_leak("drop owner, then Stakker", || {
        let ctx = Ctx::default();
        let mut s = Stakker::new(at_ms(0));
        let root = build(&mut s, &ctx);
        drop(root); // termination queued, never run
        drop(s);
        finish(ctx)
    });
}

#[test]
fn drop_stakker_then_owner_frees_everything() {
    no_leak("drop Stakker, then owner", || {
        let ctx = Ctx::default();
        let mut s = Stakker::new(at_ms(0));
        let root = build(&mut s, &ctx);
        drop(s);
        drop(root);
        finish(ctx)
    });
}

#[test]
fn run_to_the_end_then_drop_frees_everything() {
    no_leak("terminate everything, then drop", || {
        let ctx = Ctx::default();
        let mut s = Stakker::new(at_ms(0));
        let root = build(&mut s, &ctx);
        s.run(at_ms(10), false);
        drop(root);
        let mut t = 10;
        while s.run(at_ms(t), true) {
            t += 1;
        }
        assert_eq!(ctx.0.nodes_dropped.get(), NODES, "all nodes terminated");
        // Far timers are still pending.
        assert!(s.next_expiry().is_some());
        drop(s);
        finish(ctx)
    });
}

/// Queues a panicking call on a node in the middle of the tree, and runs into it.
fn panic_in_actor(s: &mut Stakker, root: &ActorOwn<Node>) {
    let victim = root.query(s, |n, _| (*n.children[1]).clone()).unwrap();
    victim.defer_apply(|n, cx| n.boom(cx));
    let r = catch_unwind(AssertUnwindSafe(|| s.run(at_ms(20), false)));
    let payload = r.expect_err("the panic reaches the caller of run");
    assert!(payload.is::<IntendedPanic>());
    assert!(victim.is_zombie(), "the panicking actor fails");
}

#[test]
fn panic_then_drop_frees_everything() {
    no_leak("panic, then drop", || {
        let ctx = Ctx::default();
        let mut s = Stakker::new(at_ms(0));
        let root = build(&mut s, &ctx);
        panic_in_actor(&mut s, &root);
        drop(root);
        drop(s);
        finish(ctx)
    });
}

#[test]
fn panic_then_stakker_dropped_before_owner_frees_everything() {
    no_leak("panic, then drop Stakker, then owner", || {
        let ctx = Ctx::default();
        let mut s = Stakker::new(at_ms(0));
        let root = build(&mut s, &ctx);
        panic_in_actor(&mut s, &root);
        drop(s);
        drop(root);
        finish(ctx)
    });
}

#[test]
fn panic_then_run_on_then_drop_frees_everything() {
    no_leak("panic, run on, then drop", || {
        let ctx = Ctx::default();
        let mut s = Stakker::new(at_ms(0));
        let root = build(&mut s, &ctx);
        panic_in_actor(&mut s, &root);
        s.run(at_ms(30), true);
        drop(root);
        s.run(at_ms(40), true);
        drop(s);
        finish(ctx)
    });
}

#[cfg(feature = "std")]
#[test]
fn contained_panic_then_drop_frees_everything() {
    no_leak("contained panic, then drop", || {
        let ctx = Ctx::default();
        let mut s = Stakker::new(at_ms(0));
        s.set_catch_panics(true);
        let root = build(&mut s, &ctx);
        let victim = root.query(&mut s, |n, _| (*n.children[0]).clone()).unwrap();
        victim.defer_apply(|n, cx| n.boom(cx));
        s.run(at_ms(20), false);
        assert!(victim.is_zombie());
        drop(victim);
        drop(root);
        drop(s);
        finish(ctx)
    });
}

/// Wake handlers holding `Ret`s are dropped with the runtime; `Waker`s outliving it are
/// harmless.
#[cfg(feature = "inter-thread")]
#[test]
fn wakers_and_their_handlers_are_freed() {
    no_leak("wakers", || {
        let ctx = Ctx::default();
        let mut s = Stakker::new(at_ms(0));
        s.set_poll_waker(|| ());
        let mut wakers = Vec::new();
        for i in 0..100 {
            let r = RefCell::new(Some(ctx.ret::<u64>()));
            wakers.push(s.waker(move |_, _| {
                if let Some(r) = r.borrow_mut().take() {
                    r.ret(i);
                }
            }));
        }
        for w in wakers.iter().step_by(3) {
            w.wake();
        }
        s.poll_wake();
        wakers.truncate(50);
        s.run(at_ms(1), false);
        drop(s);
        for w in &wakers {
            w.wake();
        }
        drop(wakers);
        let (some, none) = ctx.check_rets();
        assert_eq!((some, none), (34, 66));
        (some, none)
    });
}

/// The smallest case of what `drop_stakker_then_owner_frees_everything` checks: an actor whose
/// state holds a `Fwd` to itself (the everyday `fwd_to!([cx], ..)` kept in state), whose last
/// owner is dropped after the `Stakker`. Its queued `Dropped` termination can no longer run,
/// and the state holds the actor's last reference, so unless releasing the owner drops the
/// state at once, the state, its notify `Ret` and all they reach leak (API.md §5.9: "an
/// actor's state is dropped no later than its last reference"; §3.8: a `Ret` "is always
/// answered"). Found by this file; fixed in f590cbd.
#[test]
fn owner_dropped_after_stakker_drops_state_of_actor_holding_fwd_to_itself() {
    struct Selfish {
        ctx: Ctx,
        me: Option<Fwd<()>>,
    }
    impl Drop for Selfish {
        fn drop(&mut self) {
            let b = &self.ctx.0;
            b.nodes_dropped.set(b.nodes_dropped.get() + 1);
            let _ = &self.me;
        }
    }
    no_leak(
        "actor holding a Fwd to itself, owner dropped after the Stakker",
        || {
            let ctx = Ctx::default();
            let mut s = Stakker::new(at_ms(0));
            let a = ActorOwn::<Selfish>::new(&mut s, ctx.ret(), 0);
            let c = ctx.clone();
            a.defer_apply_prep(move |cx| {
                let me = Fwd::to_actor(cx.this().clone(), |_: &mut Selfish, _, ()| ());
                Some(Selfish {
                    ctx: c,
                    me: Some(me),
                })
            });
            s.run(at_ms(1), false);
            drop(s);
            drop(a);
            assert_eq!(ctx.0.nodes_dropped.get(), 1, "actor state dropped");
            let answers = ctx.check_rets();
            assert_eq!(answers, (0, 1), "notify Ret answered None");
            answers
        },
    );
}
