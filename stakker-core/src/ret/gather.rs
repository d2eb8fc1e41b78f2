//! [`Ret::gather`]: one reply made of many.

use super::Ret;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

/// The answers collected so far, shared by the partial `Ret`s.
struct Gather<M: 'static> {
    answers: Vec<Option<M>>,
    left: usize,
    done: Option<Ret<Vec<Option<M>>>>,
}

impl<M: 'static> Gather<M> {
    /// Records answer `i`; the last one to arrive passes all of them on.
    fn answer(this: &RefCell<Self>, i: usize, msg: Option<M>) {
        let finished = {
            let mut g = this.borrow_mut();
            g.answers[i] = msg;
            g.left -= 1;
            if g.left == 0 {
                g.done
                    .take()
                    .map(|done| (done, core::mem::take(&mut g.answers)))
            } else {
                None
            }
        };
        // Called with the state released: `done` may run arbitrary code.
        if let Some((done, answers)) = finished {
            done.ret(answers);
        }
    }
}

impl<M: 'static> Ret<M> {
    /// Splits `done` into `n` partial `Ret`s, for sending `n` requests and getting one reply
    /// with every answer. `done` gets a `Vec` of `n` entries, the `i`th being what the `i`th
    /// `Ret` was answered with, or `None` if it was dropped unanswered (for example because
    /// the call carrying it went to an actor that had terminated). It is answered once, as
    /// soon as the last partial `Ret` is answered or dropped, whatever the order. With
    /// `n == 0` it is answered at once, with an empty `Vec`.
    ///
    /// The partial `Ret`s share one counter and one `Vec`: nothing is added to `Ret`s that
    /// are not gathered.
    ///
    /// ```
    /// use stakker_core::{actor, call, ret, ret_some_to, ret_nop, ActorOwn, Ret, Stakker, CX};
    /// use stakker_core::time::Instant;
    ///
    /// struct Account(u64);
    /// impl Account {
    ///     fn init(_: CX![], balance: u64) -> Option<Self> { Some(Account(balance)) }
    ///     fn balance(&self, _: CX![], r: Ret<u64>) { ret!([r], self.0); }
    /// }
    ///
    /// struct Auditor { accounts: Vec<ActorOwn<Account>>, report: Vec<Option<u64>> }
    /// impl Auditor {
    ///     fn init(cx: CX![]) -> Option<Self> {
    ///         let accounts: Vec<_> = [10, 20, 30]
    ///             .map(|b| actor!(cx, Account::init(b), ret_nop!()))
    ///             .into();
    ///         let done = ret_some_to!([cx], totals() as (Vec<Option<u64>>));
    ///         for (account, r) in accounts.iter().zip(Ret::gather(accounts.len(), done)) {
    ///             call!([account], balance(r));
    ///         }
    ///         Some(Auditor { accounts, report: Vec::new() })
    ///     }
    ///     fn totals(&mut self, _: CX![], balances: Vec<Option<u64>>) {
    ///         self.report = balances;
    ///     }
    /// }
    ///
    /// let mut s = Stakker::new(Instant::ZERO);
    /// let auditor = actor!(s, Auditor::init(), ret_nop!());
    /// s.run(Instant::ZERO, false);
    /// let report = auditor.query(&mut s, |this, _| this.report.clone()).unwrap();
    /// assert_eq!(report, [Some(10), Some(20), Some(30)]);
    /// ```
    pub fn gather(n: usize, done: Ret<Vec<Option<M>>>) -> Vec<Ret<M>> {
        if n == 0 {
            done.ret(Vec::new());
            return Vec::new();
        }
        let state = Rc::new(RefCell::new(Gather {
            answers: (0..n).map(|_| None).collect(),
            left: n,
            done: Some(done),
        }));
        (0..n)
            .map(|i| {
                let state = state.clone();
                Ret::new(move |msg| Gather::answer(&state, i, msg))
            })
            .collect()
    }
}
