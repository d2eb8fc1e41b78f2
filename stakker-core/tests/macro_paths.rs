//! Module paths before a Prep method (`bank::Account::init(..)`), in every macro that names
//! one, read as `<bank::Account>::init(..)`.

mod util;

use stakker_core::time::Duration;
use stakker_core::{
    actor, actor_in_slab, actor_new, actor_of_trait, after, call, fwd, fwd_to, ret, ret_nop,
    ret_some_to, ret_to, ActorOwnSlab, CX,
};
use util::{run_at, stakker, Trace};

mod bank {
    pub(crate) mod accounts {
        use crate::util::Trace;
        use stakker_core::CX;

        pub(crate) struct Account {
            pub(crate) note: String,
        }

        impl Account {
            pub(crate) fn init(_: CX![], trace: Trace, tag: &str) -> Option<Self> {
                trace.push(format!("init {tag}"));
                Some(Account {
                    note: String::new(),
                })
            }
            pub(crate) fn opened(_: CX![], trace: Trace, n: u32) -> Option<Self> {
                trace.push(format!("opened {n}"));
                Some(Account {
                    note: String::new(),
                })
            }
            /// Only `Copy` fixed arguments, for `fwd_to!`.
            pub(crate) fn noted(_: CX![], tag: &'static str, n: u32) -> Option<Self> {
                let note = format!("{tag} {n}");
                Some(Account { note })
            }
            pub(crate) fn maybe(_: CX![], trace: Trace, n: Option<u32>) -> Option<Self> {
                trace.push(format!("maybe {n:?}"));
                Some(Account {
                    note: String::new(),
                })
            }
        }

        pub(crate) type Dyn = Box<dyn Named>;

        pub(crate) trait Named {
            fn name(&self) -> &'static str;
        }

        pub(crate) struct Shop;

        impl Shop {
            pub(crate) fn init(_: CX![Dyn], trace: Trace) -> Option<Dyn> {
                trace.push("shop");
                Some(Box::new(Shop))
            }
        }

        impl Named for Shop {
            fn name(&self) -> &'static str {
                "shop"
            }
        }
    }
}

use bank::accounts::Account;

struct Branch {
    accounts: ActorOwnSlab<Account>,
}

impl Branch {
    fn init(_: CX![]) -> Option<Self> {
        Some(Branch {
            accounts: ActorOwnSlab::new(),
        })
    }

    fn open(&mut self, cx: CX![], trace: Trace) {
        actor_in_slab!(
            self.accounts,
            cx,
            bank::accounts::Account::init(trace.clone(), "slab")
        );
        actor_in_slab!(
            self.accounts,
            cx,
            crate::bank::accounts::Account::init(trace, "slab+notify"),
            ret_nop!(),
        );
    }
}

#[test]
fn creation_macros_accept_paths() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = actor!(
        s,
        bank::accounts::Account::init(trace.clone(), "actor"),
        ret_nop!()
    );
    let shop = actor_of_trait!(
        s,
        bank::accounts::Dyn,
        bank::accounts::Shop::init(trace.clone()),
        ret_nop!()
    );
    let branch = actor!(s, Branch::init(), ret_nop!());
    call!([branch], open(trace.clone()));
    run_at(&mut s, 0);
    assert_eq!(
        trace.take(),
        ["init actor", "shop", "init slab", "init slab+notify"]
    );
    assert!(a.query(&mut s, |_, _| ()).is_some());
    assert_eq!(shop.query(&mut s, |this, _| this.name()), Some("shop"));
    assert_eq!(branch.query(&mut s, |this, _| this.accounts.len()), Some(2));
}

#[test]
fn call_and_timer_bodies_accept_paths() {
    let mut s = stakker();
    let trace = Trace::new();
    let a = actor_new!(s, Account, ret_nop!());
    let b = actor_new!(s, Account, ret_nop!());
    call!([a], bank::accounts::Account::opened(trace.clone(), 1));
    after!(
        Duration::from_millis(1),
        [b, s],
        bank::accounts::Account::opened(trace.clone(), 2)
    );
    run_at(&mut s, 0);
    assert_eq!(trace.take(), ["opened 1"]);
    run_at(&mut s, 1_000_000);
    assert_eq!(trace.take(), ["opened 2"]);
}

#[test]
fn forwarder_and_returner_bodies_accept_paths() {
    let mut s = stakker();
    let trace = Trace::new();
    let (a, b, c) = (
        actor_new!(s, Account, ret_nop!()),
        actor_new!(s, Account, ret_nop!()),
        actor_new!(s, Account, ret_nop!()),
    );
    let f = fwd_to!([a], bank::accounts::Account::noted("fwd") as (u32));
    let r = ret_some_to!(
        [b],
        bank::accounts::Account::opened(trace.clone()) as (u32,)
    );
    let dropped = ret_to!([c], bank::accounts::Account::maybe(trace.clone()) as (u32));
    fwd!([f], 7);
    ret!([r], 8);
    drop(dropped);
    run_at(&mut s, 0);
    assert_eq!(trace.take(), ["opened 8", "maybe None"]);
    assert_eq!(
        a.query(&mut s, |this, _| this.note.clone()).unwrap(),
        "fwd 7"
    );
}
