//! The state a `Sim` shares with the interceptor it installs in its runtime: actor numbering,
//! the sender of whatever is running, the held lanes, the trace and the faults.

use crate::schedule::Fault;
use crate::strategy::{Chooser, LaneKey, Offer};
use crate::trace::{call_site, short_name, Delivery, Who};
use stakker_core::explore::{AnyActor, Held};
use stakker_core::time::Instant;
use stakker_core::{Deferrer, Stakker, StopCause};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

/// A queued item with what the trace needs to know about it.
pub(crate) struct Pending {
    seq: u64,
    receiver: Who,
    name: &'static str,
    sender: Who,
    site: &'static str,
    pair_seq: u64,
    held: Held,
}

/// A hash map with a multiplicative hasher: the keys here are small integers, hashed on
/// every delivery, and need no protection against crafted collisions.
type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<MulHasher>>;

#[derive(Default)]
struct MulHasher(u64);

impl Hasher for MulHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// Whether calls go straight back to the main queue or wait in lanes for a chooser.
pub(crate) enum Mode {
    PassThrough,
    Explore(Box<dyn Chooser>),
}

pub(crate) struct Hub {
    mode: Mode,
    deferrer: Deferrer,
    pub(crate) clock: Rc<Cell<Instant>>,
    /// Every actor seen, with its short type name, numbered from 1.
    actors: Vec<(AnyActor, &'static str)>,
    ids: FastMap<usize, u32>,
    /// Call sites already cut down to `Type::method`, by the address and length of the full
    /// name.
    sites: FastMap<(usize, usize), &'static str>,
    current: Who,
    lanes: BTreeMap<LaneKey, VecDeque<Pending>>,
    pair_counts: FastMap<(Who, Who), u64>,
    seq: u64,
    step: usize,
    pub(crate) trace: Vec<Delivery>,
    pub(crate) choices: Vec<u32>,
    pub(crate) faults: Vec<Fault>,
    pub(crate) rets_seen: usize,
    pub(crate) injected: usize,
}

/// What happens at a delivery, decided by the faults.
enum Action {
    Run,
    Lose,
    Panic,
}

impl Hub {
    pub(crate) fn new(
        mode: Mode,
        deferrer: Deferrer,
        clock: Rc<Cell<Instant>>,
        faults: Vec<Fault>,
    ) -> Self {
        Hub {
            mode,
            deferrer,
            clock,
            actors: Vec::new(),
            ids: FastMap::default(),
            sites: FastMap::default(),
            current: Who::External,
            lanes: BTreeMap::new(),
            pair_counts: FastMap::default(),
            seq: 0,
            step: 0,
            trace: Vec::new(),
            choices: Vec::new(),
            faults,
            rets_seen: 0,
            injected: 0,
        }
    }

    /// The number of the actor `held` is for (at `addr`), assigning the next one on first
    /// sight.
    fn id_of(&mut self, addr: usize, held: &Held) -> u32 {
        let next = self.actors.len() as u32 + 1;
        let id = *self.ids.entry(addr).or_insert(next);
        if id == next {
            let actor = held.receiver().expect("an actor call has a receiver");
            let name = short_name(actor.type_name());
            self.actors.push((actor, name));
        }
        id
    }

    /// `call_site(full)`, computed once per call site.
    fn site(&mut self, full: &'static str) -> &'static str {
        let key = (full.as_ptr() as usize, full.len());
        if let Some(&site) = self.sites.get(&key) {
            return site;
        }
        let site = call_site(full);
        self.sites.insert(key, site);
        site
    }

    /// The actor numbered `id`, if one was seen.
    pub(crate) fn actor(&self, id: u32) -> Option<&AnyActor> {
        self.actors
            .get((id as usize).wrapping_sub(1))
            .map(|(a, _)| a)
    }

    pub(crate) fn is_exploring(&self) -> bool {
        matches!(self.mode, Mode::Explore(_))
    }

    /// Held items waiting for a chooser.
    pub(crate) fn held_count(&self) -> usize {
        self.lanes.values().map(VecDeque::len).sum()
    }

    /// Takes every held item out, for dropping with no borrow held.
    pub(crate) fn take_held(&mut self) -> BTreeMap<LaneKey, VecDeque<Pending>> {
        core::mem::take(&mut self.lanes)
    }

    /// Where the `Sim`'s interceptor puts each item.
    fn accept(&mut self, held: Held) -> Option<Pending> {
        let seq = self.seq;
        self.seq += 1;
        let (receiver, name, sender) = match held.receiver_addr() {
            Some(addr) => {
                let id = self.id_of(addr, &held);
                let name = self.actors[id as usize - 1].1;
                (Who::Actor(id), name, self.current)
            }
            None => (Who::Timer, "timer", Who::Timer),
        };
        let count = self.pair_counts.entry((sender, receiver)).or_insert(0);
        let pair_seq = *count;
        *count += 1;
        let pending = Pending {
            seq,
            receiver,
            name,
            sender,
            site: self.site(held.site()),
            pair_seq,
            held,
        };
        if !self.is_exploring() {
            return Some(pending);
        }
        let lane = match receiver {
            Who::Actor(receiver) => LaneKey::Pair { receiver, sender },
            _ => LaneKey::Timer(seq),
        };
        self.lanes.entry(lane).or_default().push_back(pending);
        None
    }

    /// The legal next deliveries, oldest head first.
    pub(crate) fn options(&self) -> Vec<Offer> {
        let mut heads: Vec<(u64, LaneKey)> = self
            .lanes
            .iter()
            .filter_map(|(k, q)| q.front().map(|p| (p.seq, *k)))
            .collect();
        heads.sort_unstable();
        heads.into_iter().map(|(_, lane)| Offer { lane }).collect()
    }

    /// Exploring: lets the chooser pick the next delivery and returns it, ready to queue.
    pub(crate) fn next_delivery(hub: &Rc<RefCell<Hub>>) -> Option<impl FnOnce(&mut Stakker)> {
        let pending = {
            let mut h = hub.borrow_mut();
            let options = h.options();
            if options.is_empty() {
                return None;
            }
            let step = h.choices.len();
            let Mode::Explore(chooser) = &mut h.mode else {
                return None;
            };
            let pick = chooser.choose(step, &options).min(options.len() - 1);
            h.choices.push(pick as u32);
            let lane = options[pick].lane;
            let queue = h.lanes.get_mut(&lane).expect("offered lanes exist");
            let pending = queue.pop_front().expect("offered lanes are not empty");
            if queue.is_empty() {
                h.lanes.remove(&lane);
            }
            pending
        };
        Some(wrap(hub.clone(), pending))
    }

    /// Records the start of a delivery and decides what the faults make of it. Returns the
    /// action, the previous sender to restore, and the kills to carry out first.
    fn begin(&mut self, p: &Pending) -> (Action, Who, Vec<(AnyActor, StopCause)>) {
        let step = self.step;
        self.step += 1;
        let mut action = Action::Run;
        let mut fault = None;
        let mut kills = Vec::new();
        for f in &self.faults {
            match *f {
                Fault::Lose { step: s } if s == step => {
                    action = Action::Lose;
                    fault = Some("lost");
                }
                Fault::Panic { step: s } if s == step && p.receiver != Who::Timer => {
                    action = Action::Panic;
                    fault = Some("handler panicked");
                }
                Fault::Kill { step: s, actor } if s == step => {
                    if let Some(a) = self.actor(actor) {
                        kills.push((a.clone(), StopCause::Killed(Box::new(Injected("kill")))));
                    }
                }
                Fault::Fail { step: s, actor } if s == step => {
                    if let Some(a) = self.actor(actor) {
                        kills.push((a.clone(), StopCause::Failed(Box::new(Injected("fail")))));
                    }
                }
                _ => (),
            }
        }
        self.trace.push(Delivery {
            step,
            time: self.clock.get(),
            receiver: p.receiver,
            name: p.name,
            sender: p.sender,
            site: p.site,
            pair_seq: p.pair_seq,
            fault,
        });
        let prev = core::mem::replace(&mut self.current, p.receiver);
        (action, prev, kills)
    }
}

/// The error of an injected kill or failure: displays as `testkit: injected <what>`.
#[derive(Debug)]
pub(crate) struct Injected(pub(crate) &'static str);

impl core::fmt::Display for Injected {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "testkit: injected {}", self.0)
    }
}

impl std::error::Error for Injected {}

/// Restores the running sender however a delivery ends (a contained panic included).
struct Restore(Rc<RefCell<Hub>>, Who);

impl Drop for Restore {
    fn drop(&mut self) {
        self.0.borrow_mut().current = self.1;
    }
}

/// The item as queued: records the delivery, applies faults, runs it as its receiver.
fn wrap(hub: Rc<RefCell<Hub>>, p: Pending) -> impl FnOnce(&mut Stakker) {
    move |s: &mut Stakker| {
        let (action, prev, kills) = hub.borrow_mut().begin(&p);
        let _restore = Restore(hub, prev);
        for (actor, cause) in kills {
            actor.terminate(s, cause);
        }
        match action {
            Action::Run => p.held.run(s),
            Action::Lose => drop(p.held),
            Action::Panic => {
                let actor = p.held.receiver();
                drop(p.held);
                if let Some(actor) = actor {
                    actor.panic_in(s, "testkit: injected panic");
                }
            }
        }
    }
}

/// Runs `f` as an external event: anything it queues is sent by `Who::External`.
pub(crate) fn external(
    hub: &Rc<RefCell<Hub>>,
    f: impl FnOnce(&mut Stakker) + 'static,
) -> impl FnOnce(&mut Stakker) + 'static {
    let hub = hub.clone();
    move |s: &mut Stakker| {
        let prev = core::mem::replace(&mut hub.borrow_mut().current, Who::External);
        let _restore = Restore(hub, prev);
        f(s);
    }
}

/// The interceptor a `Sim` installs: every held item goes through `Hub::accept`, and in
/// pass-through mode straight back to the main queue, wrapped.
pub(crate) fn interceptor(hub: &Rc<RefCell<Hub>>) -> stakker_core::explore::Interceptor {
    let hub = hub.clone();
    Rc::new(move |held: Held| {
        let back = {
            let mut h = hub.try_borrow_mut().expect(
                "stakker-testkit: an actor call was queued while the Sim was busy (from a Drop \
                 run by the Sim itself?)",
            );
            h.accept(held).map(|p| (p, h.deferrer.clone()))
        };
        if let Some((pending, deferrer)) = back {
            deferrer.defer(wrap(hub.clone(), pending));
        }
    })
}
