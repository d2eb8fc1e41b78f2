//! `Ret::gather`: one reply made of many.

mod util;

use stakker_core::time::Duration;
use stakker_core::{actor, after, call, ret, ret_nop, stop, Ret, CX};
use util::{run_at, stakker, Trace};

const MS: u64 = 1_000_000;

/// A `Ret` for the gathered answers that records them in the trace.
fn record(trace: &Trace) -> Ret<Vec<Option<u32>>> {
    let t = trace.clone();
    Ret::new(move |m: Option<Vec<Option<u32>>>| t.push(format!("done {m:?}")))
}

#[test]
fn answers_keep_their_request_order_and_arrive_once_all_are_in() {
    let trace = Trace::new();
    let mut parts = Ret::gather(4, record(&trace)).into_iter();
    let (a, b, c, d) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    assert!(parts.next().is_none());
    ret!([c], 3);
    drop(b); // unanswered: `None`
    ret!([a], 1);
    assert!(trace.get().is_empty(), "one answer still missing");
    ret!([d], 4);
    assert_eq!(
        trace.take(),
        ["done Some([Some(1), None, Some(3), Some(4)])"]
    );
}

#[test]
fn all_dropped_gives_all_none() {
    let trace = Trace::new();
    drop(Ret::gather(2, record(&trace)));
    assert_eq!(trace.take(), ["done Some([None, None])"]);
}

#[test]
fn zero_requests_answer_at_once() {
    let trace = Trace::new();
    assert!(Ret::gather(0, record(&trace)).is_empty());
    assert_eq!(trace.take(), ["done Some([])"]);
}

struct Account {
    balance: u32,
    delay_ms: u64,
}

impl Account {
    fn init(_: CX![], balance: u32, delay_ms: u64) -> Option<Self> {
        Some(Account { balance, delay_ms })
    }

    /// Answers after a delay, so the replies come back out of request order.
    fn balance(&self, cx: CX![], r: Ret<u32>) {
        let b = self.balance;
        after!(
            Duration::from_millis(self.delay_ms),
            [cx],
            |_this, _cx| ret!([r], b)
        );
    }

    fn close(&mut self, cx: CX![]) {
        stop!(cx);
    }
}

struct Teller {
    trace: Trace,
}

impl Teller {
    fn init(_: CX![], trace: Trace) -> Option<Self> {
        Some(Teller { trace })
    }

    fn totals(&mut self, cx: CX![], balances: Vec<Option<u32>>) {
        self.trace
            .push(format!("totals@{} {balances:?}", cx.now().as_nanos() / MS));
    }
}

#[test]
fn replies_from_actors_out_of_order_and_from_a_terminated_one() {
    let mut s = stakker();
    let trace = Trace::new();
    let teller = actor!(s, Teller::init(trace.clone()), ret_nop!());
    let accounts = [
        actor!(s, Account::init(100, 30), ret_nop!()),
        actor!(s, Account::init(200, 10), ret_nop!()),
        actor!(s, Account::init(300, 20), ret_nop!()),
    ];
    call!([accounts[1]], close());
    run_at(&mut s, 0);
    let done = stakker_core::ret_some_to!([teller], totals() as (Vec<Option<u32>>));
    for (account, r) in accounts.iter().zip(Ret::gather(accounts.len(), done)) {
        call!([account], balance(r)); // the closed account drops its call: `None`
    }
    run_at(&mut s, 0);
    run_at(&mut s, 20 * MS);
    assert!(
        trace.get().is_empty(),
        "the slowest account has not answered"
    );
    run_at(&mut s, 30 * MS);
    assert_eq!(trace.take(), ["totals@30 [Some(100), None, Some(300)]"]);
}
