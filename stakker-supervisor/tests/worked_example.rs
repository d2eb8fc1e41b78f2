//! The worked example of the guide's "Supervision" page, checked in full: a pool of workers
//! that crash (contained panics and `fail!`) under a pool supervisor with backoff and an
//! intensity limit, itself under an application supervisor. It runs under the testkit's `Sim`:
//! the test moves the virtual clock to each fault, injects it, then steps to the next timer,
//! so every restart is seen at its exact backoff time and 20 seconds pass in no time.

mod util;

use stakker_core::time::Duration;
use stakker_supervisor::{Child, IntensityExceeded, Restart, Strategy, Supervisor, SupervisorSpec};
use stakker_testkit::Sim;
use util::{at, worker, Trace, Worker};

/// A bug: the handler panics (contained, so the instance fails).
fn panic_in(w: &Child<Worker>) {
    w.call(|w, cx| w.explode(cx));
}

/// A failed job: the handler calls `fail!`.
fn fail_in(w: &Child<Worker>) {
    w.call(|w, cx| w.crash(cx, "job failed"));
}

/// Steps to the next timer; then the virtual time since the start, in milliseconds (as in the
/// trace's `start w0@2000`).
fn next_timer_ms(sim: &mut Sim) -> Option<u128> {
    sim.advance_to_next_timer()?;
    Some(sim.elapsed().as_millis())
}

/// The current pool instance's restart count (`None` while no pool instance runs).
fn pool_restarts(sim: &mut Sim, pool: &Child<Supervisor>) -> Option<u64> {
    pool.actor().and_then(|p| p.query(sim, |p, _| p.restarts()))
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
    let pool: Child<Supervisor> = app.child("pool", Restart::Permanent, move |core, notify| {
        pool.start(core, notify)
    });

    let mut sim = Sim::new();
    assert_eq!(sim.elapsed(), Duration::ZERO);
    sim.set_catch_panics(true);
    let (app_notify, app_stopped) = sim.stop_probe();
    let app = app.start(&mut sim, app_notify);
    sim.run();
    assert_eq!(trace.take(), ["start w0@0", "start w1@0", "start w2@0"]);

    // 1 s: w0 panics. The first restart in the pool's window waits 1 s.
    sim.run_until(at(1_000));
    panic_in(&w0);
    sim.run();
    assert_eq!(trace.take(), ["drop w0"]);
    assert_eq!(next_timer_ms(&mut sim), Some(2_000));
    assert_eq!(trace.take(), ["start w0@2000"]);

    // 3 s: w1 fails. The second restart in the window waits 2 s.
    sim.run_until(at(3_000));
    fail_in(&w1);
    assert_eq!(next_timer_ms(&mut sim), Some(5_000));
    assert_eq!(trace.take(), ["drop w1", "start w1@5000"]);

    // 12 s: w2 panics. The restart at 1 s has left the 10 s window: the second again, 2 s.
    sim.run_until(at(12_000));
    panic_in(&w2);
    // 13 s: w0 fails. The restart at 3 s has left too: the second again, 2 s.
    sim.run_until(at(13_000));
    fail_in(&w0);
    sim.run();
    assert_eq!(trace.take(), ["drop w2", "drop w0"]);
    // 13.5 s: w0 is restarting; a call made now waits for the new instance.
    sim.run_until(at(13_500));
    let replies = sim.probe::<Option<String>>();
    let reply = replies.ret();
    w0.call(move |w, cx| w.job(cx, reply));
    sim.run();
    assert!(replies.is_empty());
    assert_eq!(next_timer_ms(&mut sim), Some(14_000));
    assert_eq!(trace.take(), ["start w2@14000"]);
    assert_eq!(next_timer_ms(&mut sim), Some(15_000));
    assert_eq!(trace.take(), ["start w0@15000"]);
    assert_eq!(replies.take(), [(at(15_000), Some("w0 job 1".to_string()))]);
    assert_eq!(pool_restarts(&mut sim, &pool), Some(4));

    // 16 s: w1 panics, a third restart within 10 s (12 s, 13 s, 16 s): the pool gives up. Its
    // other workers stop with it, and the app starts a new pool at once.
    sim.run_until(at(16_000));
    panic_in(&w1);
    sim.run();
    assert_eq!(
        trace.take(),
        [
            "drop w1",
            "drop w2",
            "drop w0",
            "start w0@16000",
            "start w1@16000",
            "start w2@16000",
        ]
    );
    assert_eq!(
        pool_restarts(&mut sim, &pool),
        Some(0),
        "a new pool instance"
    );
    assert_eq!(app.query(&mut sim, |app, _| app.restarts()), Some(1));
    app_stopped.assert_running();

    // The new pool: w2 fails at 17 s and is back 1 s later; it fails again at 18.5 s, so its
    // restart is due 2 s later, at 20.5 s.
    sim.run_until(at(17_000));
    fail_in(&w2);
    assert_eq!(next_timer_ms(&mut sim), Some(18_000));
    assert_eq!(trace.take(), ["drop w2", "start w2@18000"]);
    sim.run_until(at(18_500));
    fail_in(&w2);
    sim.run();
    assert_eq!(trace.take(), ["drop w2"]);

    // 19 s: w0 fails, the new pool's third restart within 10 s: it gives up, and so does the
    // app, which may restart the pool only once a minute. The failure names both levels.
    sim.run_until(at(19_000));
    fail_in(&w0);
    sim.run();
    assert_eq!(trace.take(), ["drop w0", "drop w1"]);
    assert_eq!(app_stopped.time(), Some(at(19_000)));
    assert_eq!(
        app_stopped.cause().as_deref(),
        Some(
            "Actor failed: supervisor gave up: child `pool` needed more than 1 restarts in 60s; \
             last failure: Actor failed: supervisor gave up: child `w0` needed more than 2 \
             restarts in 10s; last failure: Actor failed: job failed"
        )
    );
    // The cause itself: the app's error is the supervisor's, with the limit it reached.
    let cause = app_stopped.take_cause().expect("the app has stopped");
    let gave_up = cause
        .error()
        .and_then(|e| e.downcast_ref::<IntensityExceeded>());
    let gave_up = gave_up.expect("the app failed with IntensityExceeded");
    assert_eq!((gave_up.child.as_str(), gave_up.max_restarts), ("pool", 1));
    assert!(app.is_zombie() && pool.is_stopped());
    assert!(w0.is_stopped() && w1.is_stopped() && w2.is_stopped());

    // w2's backoff timer still fires at 20.5 s, but its pool is gone: nothing starts.
    assert_eq!(next_timer_ms(&mut sim), Some(20_500));
    assert!(trace.take().is_empty());
    sim.assert_no_timers();
    sim.assert_quiescent();
}
