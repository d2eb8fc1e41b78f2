//! The worked example of the guide (docs/src/testing.md): an admin rolls out a new table to
//! a cache, then tells a client to start looking things up. The client must see the new
//! table. Shared by the worked-example test and the exploration bench.

use stakker_core::{actor, call, ret, ret_nop, ret_some_to, Actor, ActorOwn, Ret, CX};
use stakker_testkit::Sim;

/// Answers lookups with the version of the table it holds.
struct Cache {
    version: u32,
}

impl Cache {
    fn init(_: CX![]) -> Option<Self> {
        Some(Cache { version: 1 })
    }
    fn set_table(&mut self, _: CX![], version: u32, done: Ret<()>) {
        self.version = version;
        ret!([done], ());
    }
    fn lookup(&mut self, _: CX![], reply: Ret<u32>) {
        ret!([reply], self.version);
    }
}

/// Looks up once started and keeps the versions it was answered with.
struct Client {
    cache: Actor<Cache>,
    seen: Vec<u32>,
}

impl Client {
    fn init(_: CX![], cache: Actor<Cache>) -> Option<Self> {
        Some(Client {
            cache,
            seen: Vec::new(),
        })
    }
    fn start(&mut self, cx: CX![]) {
        call!([self.cache], lookup(ret_some_to!([cx], got() as (u32))));
    }
    fn got(&mut self, _: CX![], version: u32) {
        self.seen.push(version);
    }
}

/// Rolls out version 2, then starts the client. The buggy version starts the client at once;
/// the fixed one waits until the cache confirms.
struct Admin {
    cache: Actor<Cache>,
    client: Actor<Client>,
    wait_for_ack: bool,
}

impl Admin {
    fn init(
        _: CX![],
        cache: Actor<Cache>,
        client: Actor<Client>,
        wait_for_ack: bool,
    ) -> Option<Self> {
        Some(Admin {
            cache,
            client,
            wait_for_ack,
        })
    }
    fn roll_out(&mut self, cx: CX![]) {
        if self.wait_for_ack {
            call!(
                [self.cache],
                set_table(2, ret_some_to!([cx], table_set() as ()))
            );
        } else {
            call!([self.cache], set_table(2, Ret::nop()));
            call!([self.client], start());
        }
    }
    fn table_set(&mut self, _: CX![]) {
        call!([self.client], start());
    }
}

/// Builds the system in `sim`, rolls out and checks that the client saw version 2.
pub(crate) fn roll_out_test(sim: &mut Sim, wait_for_ack: bool) -> Result<(), String> {
    let cache: ActorOwn<Cache> = actor!(sim, Cache::init(), ret_nop!());
    let client = actor!(sim, Client::init(cache.clone()), ret_nop!());
    let admin = actor!(
        sim,
        Admin::init(cache.clone(), client.clone(), wait_for_ack),
        ret_nop!()
    );
    sim.run();
    call!([admin], roll_out());
    sim.run();
    match client.query(sim, |c, _| c.seen.clone()) {
        Some(seen) if seen == [2] => Ok(()),
        seen => Err(format!("client saw versions {seen:?} after the roll-out")),
    }
}
