//! The worked example of the guide's "Supervision" page, checked in full: a pool of workers
//! that crash (contained panics and `fail!`) under a pool supervisor with backoff and an
//! intensity limit, itself under an application supervisor; the whole run is driven by the
//! core's `run_blocking` on a virtual clock, so 19 seconds pass in no time and every time in
//! the trace is exact.

mod util;

use stakker_core::host::run_blocking;
use stakker_core::time::Duration;
use stakker_core::{at, ret_shutdown, Stakker};
use stakker_supervisor::{Child, Restart, Strategy, Supervisor, SupervisorSpec};
use util::{at, reply, worker, Trace, VirtualClock, Worker};

/// A fault injected at a virtual time.
#[derive(Clone, Copy)]
enum Fault {
    Panic,
    Fail,
}

fn inject(s: &mut Stakker, ms: u64, w: &Child<Worker>, fault: Fault) {
    let w = w.clone();
    at!(at(ms), [s], |_| match fault {
        Fault::Panic => w.call(|w, cx| w.explode(cx)),
        Fault::Fail => w.call(|w, cx| w.crash(cx, "job failed")),
    });
}

/// Records the current pool instance's restart count at a virtual time.
fn probe_restarts(s: &mut Stakker, ms: u64, pool: &Child<Supervisor>, trace: &Trace) {
    let (t, p) = (trace.clone(), pool.clone());
    at!(at(ms), [s], |s| {
        let restarts = p.actor().and_then(|p| p.query(s, |p, _| p.restarts()));
        t.push(format!("pool restarts: {restarts:?}"));
    });
}

#[test]
fn a_crashing_worker_pool_restarts_backs_off_and_escalates() {
    let trace = Trace::new();
    // The pool: each worker restarted on its own, at most 2 restarts in 10 s, waiting 1 s,
    // then 2 s, then 4 s (capped) before successive restarts within the window.
    let mut pool = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(2, Duration::from_secs(10))
        .backoff(Duration::from_secs(1), Duration::from_secs(4));
    let [w0, w1, w2] =
        ["w0", "w1", "w2"].map(|n| pool.child(n, Restart::Permanent, worker(&trace, n)));
    // The application: restarts the pool at once, at most once a minute.
    let mut app = SupervisorSpec::new(Strategy::OneForOne).intensity(1, Duration::from_secs(60));
    let pool_handle: Child<Supervisor> =
        app.child("pool", Restart::Permanent, move |core, notify| {
            pool.start(core, notify)
        });

    let mut host = VirtualClock(at(0));
    let mut s = Stakker::new(at(0));
    s.set_catch_panics(true);
    let shutdown = ret_shutdown!(s);
    let app = app.start(&mut s, shutdown);

    inject(&mut s, 1_000, &w0, Fault::Panic); // restart 1 in the window: after 1 s
    inject(&mut s, 3_000, &w1, Fault::Fail); // restart 2: after 2 s
    inject(&mut s, 12_000, &w2, Fault::Panic); // 1 s has left the window: restart 2 again
    inject(&mut s, 13_000, &w0, Fault::Fail); // 3 s has left too: after 2 s
    {
        // w0 is restarting from 13 s to 15 s: this call waits for the new instance.
        let (w0, r) = (w0.clone(), reply(&trace));
        at!(at(13_500), [s], |_| w0.call(move |w, cx| w.job(cx, r)));
    }
    probe_restarts(&mut s, 15_500, &pool_handle, &trace);
    inject(&mut s, 16_000, &w1, Fault::Panic); // a third restart within 10 s: the pool gives up
    probe_restarts(&mut s, 16_500, &pool_handle, &trace); // the new pool
    inject(&mut s, 17_000, &w2, Fault::Fail);
    inject(&mut s, 18_500, &w2, Fault::Fail);
    inject(&mut s, 19_000, &w0, Fault::Fail); // the new pool gives up: the app's second restart in a minute is refused

    let cause = run_blocking(&mut s, &mut host)
        .unwrap()
        .expect("the app stopped");
    assert_eq!(
        trace.take(),
        [
            "start w0@0",
            "start w1@0",
            "start w2@0",
            "drop w0",
            "start w0@2000",
            "drop w1",
            "start w1@5000",
            "drop w2",
            "drop w0",
            "start w2@14000",
            "start w0@15000",
            "reply Some(\"w0 job 1\")",
            "pool restarts: Some(4)",
            // the pool fails: its other workers stop, the app starts a new pool at once
            "drop w1",
            "drop w2",
            "drop w0",
            "start w0@16000",
            "start w1@16000",
            "start w2@16000",
            "pool restarts: Some(0)",
            "drop w2",
            "start w2@18000",
            "drop w2",
            "drop w0",
            // the new pool fails (w2's restart, due at 20.5 s, never happens) and so does the app
            "drop w1",
        ]
    );
    assert_eq!(
        cause.to_string(),
        "Actor failed: supervisor gave up: child `pool` needed more than 1 restarts in 60s; \
         last failure: Actor failed: supervisor gave up: child `w0` needed more than 2 \
         restarts in 10s; last failure: Actor failed: job failed"
    );
    assert_eq!(host.0, at(19_000), "the run ended as the app failed");
    assert!(app.is_zombie() && pool_handle.is_stopped());
    assert!(w0.is_stopped() && w1.is_stopped() && w2.is_stopped());
}
