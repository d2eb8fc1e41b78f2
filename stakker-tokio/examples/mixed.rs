//! Ordinary tokio tasks and actors in one program: a task produces readings into a tokio
//! `mpsc` channel that feeds an actor, another task asks the actor for its running average,
//! and a `Send` task on a multi-thread runtime computes something for the actor.
//!
//! ```text
//! cargo run -p stakker-tokio --example mixed
//! ```

use stakker_core::{actor, call, fwd_to, ret_shutdown, ret_to, stop, Ret, Stakker, StopCause, CX};
use stakker_tokio::{TaskGuard, TokioDriver, TokioHandle};
use std::time::Duration;

/// Keeps the average of the readings it is fed.
struct Averager {
    sum: u64,
    count: u64,
    _feed: TaskGuard,
    _work: TaskGuard,
}

impl Averager {
    fn init(
        cx: CX![],
        feed: tokio::sync::mpsc::Receiver<u64>,
        pool: tokio::runtime::Handle,
    ) -> Option<Self> {
        let h = cx.anymap_get::<TokioHandle>();
        let feed = h.forward_mpsc(feed, 4, fwd_to!([cx], reading() as (Option<u64>)));
        // A CPU-heavy job for a multi-thread runtime; the answer comes back as a call.
        let done = ret_to!([cx], worked() as (u64));
        let job = async { (1..=1_000_000u64).sum::<u64>() };
        let work = stakker_tokio::spawn_send(cx, &pool, job, done);
        Some(Averager {
            sum: 0,
            count: 0,
            _feed: feed,
            _work: work,
        })
    }

    fn reading(&mut self, cx: CX![], r: Option<u64>) {
        match r {
            Some(r) => {
                self.sum += r;
                self.count += 1;
            }
            None => {
                println!("actor: the feed ended after {} readings", self.count);
                stop!(cx);
            }
        }
    }

    fn worked(&mut self, _: CX![], total: Option<u64>) {
        println!("actor: the pool computed {total:?}");
    }

    fn average(&self, _: CX![], ret: Ret<f64>) {
        ret.ret(self.sum as f64 / self.count.max(1) as f64);
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let pool = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("a multi-thread runtime");

    let mut s = Stakker::new(stakker_tokio::now());
    let driver = TokioDriver::new(&mut s);
    let h = driver.handle();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let averager = actor!(
        s,
        Averager::init(rx, pool.handle().clone()),
        ret_shutdown!(s)
    );

    let local = tokio::task::LocalSet::new();
    // An ordinary task producing readings.
    local.spawn_local(async move {
        for r in 1..=50u64 {
            tx.send(r).await.expect("the actor is alive");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    // An ordinary task asking the actor now and then.
    let a = averager.clone();
    local.spawn_local(async move {
        for _ in 0..3 {
            tokio::time::sleep(Duration::from_millis(15)).await;
            let a = a.clone();
            let avg = h.ask(move |_, ret| call!([a], average(ret))).await;
            println!("task: the average so far is {avg:?}");
        }
    });
    let cause = local.run_until(driver.run(s)).await;
    assert!(matches!(cause, Some(StopCause::Stopped)));
    println!("done: {}", cause.expect("a cause"));
    drop(averager);
    pool.shutdown_background();
}
