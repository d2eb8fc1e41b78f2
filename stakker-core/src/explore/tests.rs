use super::*;
use crate::time::{Duration, Instant};
use crate::{actor, after, call, ret_nop, CX};
use alloc::vec::Vec;
use core::cell::RefCell;

struct Log(Rc<RefCell<Vec<u32>>>);
impl Log {
    fn init(_: CX![], log: Rc<RefCell<Vec<u32>>>) -> Option<Self> {
        Some(Log(log))
    }
    fn note(&mut self, _: CX![], n: u32) {
        self.0.borrow_mut().push(n);
    }
}

fn t0() -> Instant {
    Instant::from_secs(1)
}

#[test]
fn actor_identity_is_per_actor() {
    let mut s = Stakker::new(t0());
    let log = Rc::new(RefCell::new(Vec::new()));
    let a = actor!(s, Log::init(log.clone()), ret_nop!());
    let b = actor!(s, Log::init(log), ret_nop!());
    let (ra, ra2, rb) = (
        AnyActor::new(&a),
        AnyActor::new(&a.clone()),
        AnyActor::new(&b),
    );
    assert_eq!(ra.addr(), ra2.addr());
    assert_ne!(ra.addr(), rb.addr());
    assert!(ra.type_name().ends_with("Log"));
}

#[test]
fn without_interceptor_order_is_fifo_and_nothing_is_held() {
    let mut s = Stakker::new(t0());
    let log = Rc::new(RefCell::new(Vec::new()));
    let a = actor!(s, Log::init(log.clone()), ret_nop!());
    for n in 0..5 {
        call!([a], note(n));
    }
    assert!(!s.queues_empty());
    s.run(t0(), false);
    assert!(s.queues_empty());
    assert_eq!(*log.borrow(), [0, 1, 2, 3, 4]);
}

#[test]
fn held_calls_and_timers_run_in_the_order_delivered() {
    let mut s = Stakker::new(t0());
    let log = Rc::new(RefCell::new(Vec::new()));
    let held: Rc<RefCell<Vec<Held>>> = Rc::default();
    let h = held.clone();
    set_interceptor(&mut s, Some(Rc::new(move |c| h.borrow_mut().push(c))));
    let a = actor!(s, Log::init(log.clone()), ret_nop!());
    call!([a], note(1));
    call!([a], note(2));
    after!(Duration::from_secs(1), [a, s], note(10));
    after!(Duration::from_secs(1), [a, s], note(11));
    s.run(t0(), false);
    assert!(log.borrow().is_empty());
    // Deliver init, then the two calls in reverse order.
    let mut calls: Vec<Held> = held.borrow_mut().drain(..).collect();
    assert!(calls.iter().all(|c| c.receiver().is_some()));
    assert_eq!(calls[0].receiver_addr(), Some(AnyActor::new(&a).addr()));
    // The call site is named in the queued closure's type.
    assert!(calls[1]
        .site()
        .contains("held_calls_and_timers_run_in_the_order_delivered"));
    let second = calls.pop().unwrap();
    let first = calls.pop().unwrap();
    calls.pop().unwrap().deliver(&mut s);
    second.deliver(&mut s);
    first.deliver(&mut s);
    s.run(t0(), false);
    assert_eq!(*log.borrow(), [2, 1]);
    // Both timers are held when due, as receiver-less items.
    s.run(t0() + Duration::from_secs(1), false);
    let mut timers: Vec<Held> = held.borrow_mut().drain(..).collect();
    assert_eq!(timers.len(), 2);
    assert!(timers.iter().all(|c| c.receiver().is_none()));
    timers.pop().unwrap().deliver(&mut s);
    timers.pop().unwrap().deliver(&mut s);
    s.run(t0() + Duration::from_secs(1), false);
    assert_eq!(*log.borrow(), [2, 1, 11, 10]);
    // Removing the interceptor restores normal queueing.
    set_interceptor(&mut s, None);
    call!([a], note(3));
    s.run(t0() + Duration::from_secs(1), false);
    assert_eq!(*log.borrow(), [2, 1, 11, 10, 3]);
}

#[cfg(feature = "std")]
#[test]
fn terminate_and_panic_in_reach_the_actor() {
    use alloc::string::ToString;
    let mut s = Stakker::new(t0());
    s.set_catch_panics(true);
    let log = Rc::new(RefCell::new(Vec::new()));
    let causes: Rc<RefCell<Vec<alloc::string::String>>> = Rc::default();
    let (c1, c2) = (causes.clone(), causes.clone());
    let a = actor!(
        s,
        Log::init(log.clone()),
        crate::Ret::new(move |c: Option<StopCause>| c1.borrow_mut().push(c.unwrap().to_string()))
    );
    let b = actor!(
        s,
        Log::init(log),
        crate::Ret::new(move |c: Option<StopCause>| c2.borrow_mut().push(c.unwrap().to_string()))
    );
    s.run(t0(), false);
    let (ra, rb) = (AnyActor::new(&a), AnyActor::new(&b));
    ra.terminate(&mut s, StopCause::Stopped);
    assert!(ra.is_zombie());
    s.defer(move |s| rb.panic_in(s, "injected"));
    s.run(t0(), false);
    assert!(b.is_zombie());
    let causes = causes.borrow();
    assert_eq!(causes[0], "Actor stopped");
    assert!(causes[1].contains("injected"), "{}", causes[1]);
}

#[test]
fn a_dropped_held_call_reports_none_to_its_ret() {
    let mut s = Stakker::new(t0());
    let log = Rc::new(RefCell::new(Vec::new()));
    let a = actor!(s, Log::init(log), ret_nop!());
    s.run(t0(), false);
    set_interceptor(&mut s, Some(Rc::new(drop)));
    let got: Rc<RefCell<Vec<Option<u8>>>> = Rc::default();
    let g = got.clone();
    let ret = crate::Ret::new(move |m| g.borrow_mut().push(m));
    call!([a], |_this, _cx| ret.ret(1));
    s.run(t0(), false);
    assert_eq!(*got.borrow(), [None]);
}

#[test]
fn calls_after_the_runtime_is_gone_are_dropped_not_intercepted() {
    let mut s = Stakker::new(t0());
    let log = Rc::new(RefCell::new(Vec::new()));
    let a = actor!(s, Log::init(log.clone()), ret_nop!());
    s.run(t0(), false);
    let seen = Rc::new(core::cell::Cell::new(0));
    let seen2 = seen.clone();
    set_interceptor(&mut s, Some(Rc::new(move |_| seen2.set(seen2.get() + 1))));
    call!([a], note(1));
    assert_eq!(seen.get(), 1);
    let got: Rc<RefCell<Vec<Option<u8>>>> = Rc::default();
    let g = got.clone();
    let ret = crate::Ret::new(move |m| g.borrow_mut().push(m));
    drop(s);
    call!([a], |_this, _cx| ret.ret(1));
    assert_eq!(
        seen.get(),
        1,
        "a call to a dropped runtime reached the interceptor"
    );
    assert_eq!(*got.borrow(), [None]);
    assert!(log.borrow().is_empty());
}

#[cfg(feature = "std")]
#[test]
#[cfg(not(miri))] // spawns a process, which miri cannot; the plain test runs cover it
fn a_panicking_interceptor_aborts_the_process() {
    // Set in the child process this test starts.
    const ABORT_CHILD: &str = "STAKKER_EXPLORE_ABORT_CHILD";
    extern crate std;
    if std::env::var_os(ABORT_CHILD).is_some() {
        let mut s = Stakker::new(t0());
        let log = Rc::new(RefCell::new(Vec::new()));
        let a = actor!(s, Log::init(log), ret_nop!());
        s.run(t0(), false);
        set_interceptor(&mut s, Some(Rc::new(|_| panic!("interceptor failed"))));
        let r = std::panic::catch_unwind(core::panic::AssertUnwindSafe(|| call!([a], note(1))));
        std::eprintln!("call returned: {}", r.is_ok());
        return;
    }
    let name = "explore::tests::a_panicking_interceptor_aborts_the_process";
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(ABORT_CHILD, "1")
        .output()
        .unwrap();
    let err = alloc::string::String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(out.status.signal(), Some(6), "not SIGABRT: {err}");
    }
    assert!(err.contains("interceptor failed"), "{err}");
    assert!(!err.contains("call returned"), "{err}");
}
