//! The first program of the guide, docs/src/getting-started.md, which shows this file verbatim
//! (a test keeps the two equal). Run it with `cargo run -p stakker-core --example getting_started`.

use stakker_core::host::{run_blocking, ThreadLoop};
use stakker_core::time::Duration;
use stakker_core::{actor, after, call, ret_nop, ret_shutdown, ret_some_to, stop};
use stakker_core::{ActorOwn, Ret, Stakker, CX};

/// Doubles numbers.
struct Doubler;
impl Doubler {
    fn init(_: CX![]) -> Option<Self> {
        Some(Doubler)
    }
    fn double(&self, _: CX![], n: u64, reply: Ret<u64>) {
        reply.ret(n * 2);
    }
}

/// Has a number doubled every 100 ms until it passes 20.
struct Asker(ActorOwn<Doubler>);
impl Asker {
    fn init(cx: CX![]) -> Option<Self> {
        let doubler = actor!(cx, Doubler::init(), ret_nop!());
        call!([doubler], double(3, ret_some_to!([cx], got() as (u64))));
        Some(Asker(doubler))
    }
    fn got(&mut self, cx: CX![], n: u64) {
        println!("{n} at +{:?}", cx.now() - cx.start_instant());
        if n > 20 {
            stop!(cx);
        } else {
            let reply = ret_some_to!([cx], got() as (u64));
            after!(Duration::from_millis(100), [self.0, cx], double(n, reply));
        }
    }
}

fn main() {
    let mut s = Stakker::new(std::time::Instant::now());
    let mut host = ThreadLoop::new(&mut s); // a real clock and a thread that sleeps
    let _asker = actor!(s, Asker::init(), ret_shutdown!(s));
    let cause = run_blocking(&mut s, &mut host).unwrap(); // until something shuts down
    assert_eq!(cause.unwrap().to_string(), "Actor stopped");
}
