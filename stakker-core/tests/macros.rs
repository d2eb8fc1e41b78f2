//! The public macros: every macro, every target kind, every body form, argument evaluation,
//! delivery (Prep vs Ready), timers, forwarders and returners, termination, and hygiene.
//!
//! Tests assert exact traces of what ran and in which order.

use stakker_core::time::{Duration, Instant};
use stakker_core::{
    actor, actor_in_slab, actor_new, actor_of_trait, after, at, call, fail, fwd, fwd_do, fwd_nop,
    fwd_panic, fwd_to, idle, kill, lazy, query, ret, ret_do, ret_fail, ret_failthru, ret_nop,
    ret_panic, ret_shutdown, ret_some_do, ret_some_to, ret_to, stop, timer_max, timer_min, Actor,
    ActorOwn, ActorOwnSlab, Core, Cx, FixedTimerKey, Fwd, MaxTimerKey, MinTimerKey, Ret, Stakker,
    StopCause, CX,
};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Trace = Rc<RefCell<Vec<String>>>;

fn new_trace() -> Trace {
    Rc::new(RefCell::new(Vec::new()))
}

fn push(t: &Trace, s: impl Into<String>) {
    t.borrow_mut().push(s.into());
}

/// Takes the trace so far.
fn take(t: &Trace) -> Vec<String> {
    std::mem::take(&mut *t.borrow_mut())
}

const T0: Instant = Instant::from_secs(1000);

fn ms(n: u64) -> Instant {
    T0 + Duration::from_millis(n)
}

fn stakker() -> Stakker {
    Stakker::new(T0)
}

/// Runs the main and lazy queues without advancing time.
fn run(s: &mut Stakker) {
    let now = s.now();
    s.run(now, false);
}

/// A notify handler recording `"{name} notify: {cause}"`.
fn notify(t: &Trace, name: &'static str) -> Ret<StopCause> {
    let t = t.clone();
    ret_some_do!(move |c: StopCause| push(&t, format!("{name} notify: {c}")))
}

#[derive(Debug)]
struct MyError(&'static str);
impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MyError {}", self.0)
    }
}
impl std::error::Error for MyError {}

/// An actor recording every call.
struct Probe {
    name: &'static str,
    t: Trace,
}

impl Probe {
    fn init(_cx: CX![], name: &'static str, t: Trace) -> Option<Self> {
        push(&t, format!("{name} init"));
        Some(Probe { name, t })
    }
    /// A Prep call that leaves the actor in Prep.
    fn wait(_cx: CX![], t: Trace) -> Option<Self> {
        push(&t, "wait (stays in Prep)");
        None
    }
    fn log(&self, s: impl fmt::Display) {
        push(&self.t, format!("{} {s}", self.name));
    }
    fn hit(&mut self, _cx: CX![], n: u32) {
        self.log(format!("hit {n}"));
    }
    fn look(&self, _cx: CX![]) {
        self.log("look");
    }
    fn pair(&mut self, _cx: CX![], a: u32, b: &'static str) {
        self.log(format!("pair {a} {b}"));
    }
    fn quit(&mut self, cx: CX![]) {
        self.log("quit");
        stop!(cx);
    }
    fn answer(&mut self, _cx: CX![], r: Ret<u32>, v: u32) {
        self.log(format!("answer {v}"));
        ret!([r], v);
    }
    fn get_name(&self, _cx: CX![], suffix: &str) -> String {
        format!("{}{suffix}", self.name)
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.log("drop");
    }
}

// ---------------------------------------------------------------------------------------------
// call!: targets
// ---------------------------------------------------------------------------------------------

#[test]
fn call_targets_from_outside() {
    let t = new_trace();
    let mut s = stakker();
    let mut own = actor!(s, Probe::init("a", t.clone()), notify(&t, "a"));
    let plain: Actor<Probe> = own.clone(); // `ActorOwn::clone` gives an `Actor`
    call!([own], hit(1)); // ActorOwn by value: only borrowed
    call!([&own], hit(2));
    call!([&mut own], hit(3));
    call!([plain], hit(4));
    call!([&plain], hit(5));
    call!([own, s], hit(6)); // [actor, Stakker]
    {
        let sref = &mut s;
        call!([plain, sref], hit(7)); // [actor, &mut Stakker]
        call!([plain, sref], hit(8)); // the reference is not moved
    }
    {
        let core: &mut Core = &mut s;
        call!([own, core], hit(9)); // [actor, &mut Core]
        call!([core], |_s| ()); // [core] + closure
    }
    let t2 = t.clone();
    call!([s], |s| push(
        &t2,
        format!("inline, shutdown={}", !s.not_shutdown())
    ));
    let t2 = t.clone();
    call!([own], |_s| push(&t2, "inline via actor"));
    let t2 = t.clone();
    call!([&mut s], |_| push(&t2, "inline via &mut Stakker"));
    assert!(take(&t).is_empty(), "nothing runs synchronously");
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "a init",
            "a hit 1",
            "a hit 2",
            "a hit 3",
            "a hit 4",
            "a hit 5",
            "a hit 6",
            "a hit 7",
            "a hit 8",
            "a hit 9",
            "inline, shutdown=false",
            "inline via actor",
            "inline via &mut Stakker",
        ]
    );
    // Everything is still usable.
    call!([own, s], look());
    run(&mut s);
    assert_eq!(take(&t), ["a look"]);
}

/// An actor that calls other actors and itself, through every target form.
struct Caller {
    other: ActorOwn<Probe>,
    t: Trace,
}

impl Caller {
    fn init(cx: CX![], t: Trace) -> Option<Self> {
        let other = actor!(cx, Probe::init("o", t.clone()), ret_nop!());
        Some(Caller { other, t })
    }
    fn note(&mut self, _cx: CX![], s: &'static str) {
        push(&self.t, format!("caller {s}"));
    }
    fn go(&mut self, cx: CX![]) {
        call!([cx], note("[cx] method"));
        call!([cx], |this, cx| this.note(cx, "[cx] closure"));
        call!([cx], |_this, cx| {
            let me = cx.this().clone();
            call!([me], note("nested from closure"));
        });
        let t = self.t.clone();
        call!([cx], |_s| push(&t, "[cx] |s| closure"));
        call!([self.other], hit(1)); // field, only borrowed
        call!([self.other, cx], hit(2)); // [actor, cx]
        let me = cx.this().clone();
        call!([me, cx], note("[actor, cx]"));
        call!([cx, cx], note("[cx, cx]"));
        call!([cx.this()], note("[cx.this()]"));
        call!([self.other], Probe::init("x", self.t.clone())); // Prep call to a Ready actor
    }
}

#[test]
fn call_targets_from_an_actor() {
    let t = new_trace();
    let mut s = stakker();
    let c = actor!(s, Caller::init(t.clone()), ret_nop!());
    run(&mut s);
    assert_eq!(take(&t), ["o init"]);
    call!([c], go());
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "caller [cx] method",
            "caller [cx] closure",
            "[cx] |s| closure",
            "o hit 1",
            "o hit 2",
            "caller [actor, cx]",
            "caller [cx, cx]",
            "caller [cx.this()]",
            // (Probe::init to a Ready actor is dropped unrun)
            "caller nested from closure",
        ]
    );
}

#[test]
fn call_inside_fnmut_closure_capturing_target() {
    let t = new_trace();
    let mut s = stakker();
    let target = actor!(s, Probe::init("a", t.clone()), ret_nop!());
    let mut n = 0;
    let mut poke = |s: &mut Stakker| {
        n += 1;
        call!([target, s], hit(n));
    };
    poke(&mut s);
    poke(&mut s);
    run(&mut s);
    assert_eq!(take(&t), ["a init", "a hit 1", "a hit 2"]);
}

// ---------------------------------------------------------------------------------------------
// Bodies: Ready vs Prep, `Type` not the state type, generic types, closures
// ---------------------------------------------------------------------------------------------

#[test]
fn prep_and_ready_delivery() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor_new!(s, Probe, notify(&t, "a"));
    call!([a], hit(1)); // Ready call on a Prep actor: parked
    call!([a], Probe::wait(t.clone())); // Prep call returning None: stays in Prep
    call!([a], look()); // `&self` method, parked too
    call!([a], <Probe>::init("a", t.clone())); // becomes Ready: parked calls run at once
    call!([a], Probe::init("again", t.clone())); // Prep call to a Ready actor: dropped
    call!([a], hit(2));
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "wait (stays in Prep)",
            "a init",
            "a hit 1",
            "a look",
            "a hit 2"
        ]
    );
}

struct Shape {
    sides: u32,
    t: Trace,
}
struct Square;
impl Square {
    /// A Prep method declared on another type than the state type. Its inline closure gets
    /// `this: &mut Shape` although `Self` is `Square`.
    fn init(cx: CX![Shape], side: u32, t: Trace) -> Option<Shape> {
        call!([cx], |this, _cx| push(
            &this.t,
            format!("closure sees {} sides", this.sides)
        ));
        lazy!([cx], |this, _| this.sides += 1);
        Some(Shape { sides: side, t })
    }
}
impl Shape {
    fn show(&self, _cx: CX![]) {
        push(&self.t, format!("shape {}", self.sides));
    }
}

#[test]
fn prep_method_of_another_type() {
    let t = new_trace();
    let mut s = stakker();
    let shape = actor_new!(s, Shape, ret_nop!());
    call!([shape], Square::init(4, t.clone()));
    call!([shape], show());
    run(&mut s);
    assert_eq!(take(&t), ["shape 4", "closure sees 4 sides"]);
    call!([shape], show());
    run(&mut s);
    assert_eq!(take(&t), ["shape 5"]);
}

#[test]
fn closure_outside_any_impl() {
    let t = new_trace();
    let mut s = stakker();
    let shape = actor_new!(s, Shape, ret_nop!());
    call!([shape, s], <Square>::init(3, t.clone()));
    run(&mut s);
    take(&t);
    // No `Self` here: the state type comes from the context.
    shape.query(&mut s, |_this, cx| {
        call!([cx], |this, _| this.sides *= 10);
        call!([cx], |this, cx| this.show(cx));
    });
    run(&mut s);
    // 3, plus 1 from the lazy closure queued by `Square::init`, times 10
    assert_eq!(take(&t), ["shape 40"]);
}

struct Gen<T> {
    v: T,
    t: Trace,
}
impl<T: fmt::Debug + 'static> Gen<T> {
    fn init(_cx: CX![], v: T, t: Trace) -> Option<Self> {
        Some(Gen { v, t })
    }
    fn show(&self, _cx: CX![]) {
        push(&self.t, format!("gen {:?}", self.v));
    }
}

mod shapes {
    pub(crate) mod deep {
        pub(crate) struct Tri;
        impl Tri {
            pub(crate) fn init(
                _cx: stakker_core::CX![super::super::Shape],
                t: super::super::Trace,
            ) -> Option<super::super::Shape> {
                Some(super::super::Shape { sides: 3, t })
            }
        }
    }
}

#[test]
fn prep_with_path_and_generic_types() {
    let t = new_trace();
    let mut s = stakker();
    let g = actor_new!(s, Gen<u32>, ret_nop!());
    call!([g], <Gen<u32>>::init(5, t.clone()));
    call!([g], show());
    let h = actor!(s, <Gen<&'static str>>::init("x", t.clone()), ret_nop!());
    call!([h], show());
    let tri = actor_new!(s, Shape, ret_nop!());
    call!([tri], <shapes::deep::Tri>::init(t.clone()));
    call!([tri], show());
    run(&mut s);
    assert_eq!(take(&t), ["gen 5", "gen \"x\"", "shape 3"]);
}

#[test]
fn closure_patterns_and_move_semantics() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Probe::init("a", t.clone()), ret_nop!());
    run(&mut s);
    take(&t);
    let owned = String::from("moved in");
    a.query(&mut s, |_, cx| {
        // Captures are moved (the closure is always `move`); `_` patterns are allowed.
        call!([cx], |this, _| this.log(owned));
        call!([cx], |_, _| ());
    });
    run(&mut s);
    assert_eq!(take(&t), ["a moved in"]);
}

// ---------------------------------------------------------------------------------------------
// Arity, trailing commas, eager evaluation
// ---------------------------------------------------------------------------------------------

struct Many {
    got: Vec<String>,
}

#[rustfmt::skip]
#[allow(clippy::too_many_arguments)]
impl Many {
    fn init16(_cx: CX![], a0: u8, a1: u8, a2: u8, a3: u8, a4: u8, a5: u8, a6: u8, a7: u8,
              a8: u8, a9: u8, a10: u8, a11: u8, a12: u8, a13: u8, a14: u8, a15: u8) -> Option<Self> {
        let v = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15];
        Some(Many { got: vec![format!("init16 {v:?}")] })
    }
    fn take16(&mut self, _cx: CX![], a0: u8, a1: u8, a2: u8, a3: u8, a4: u8, a5: u8, a6: u8,
              a7: u8, a8: u8, a9: u8, a10: u8, a11: u8, a12: u8, a13: u8, a14: u8, a15: u8) {
        let v = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15];
        self.got.push(format!("take16 {v:?}"));
    }
    fn take24(&mut self, _cx: CX![], a0: u8, a1: u8, a2: u8, a3: u8, a4: u8, a5: u8, a6: u8,
              a7: u8, a8: u8, a9: u8, a10: u8, a11: u8, a12: u8, a13: u8, a14: u8, a15: u8,
              a16: u8, a17: u8, a18: u8, a19: u8, a20: u8, a21: u8, a22: u8, a23: u8) {
        let v = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17,
                 a18, a19, a20, a21, a22, a23];
        self.got.push(format!("take24 {}", v.iter().map(|x| *x as u32).sum::<u32>()));
    }
    fn ret16(&mut self, _cx: CX![], tag: &'static str,
             m: Option<T16>) {
        self.got.push(format!("{tag} {:?}", m.map(|m| (m.0, m.15))));
    }
    fn mixed(&mut self, _cx: CX![], f0: u8, f1: u8, f2: u8, f3: u8, f4: u8, f5: u8, f6: u8,
             f7: u8, f8: u8, f9: u8, f10: u8, f11: u8, f12: u8, f13: u8, f14: u8, f15: u8,
             m0: u8, m1: u8, m2: u8, m3: u8, m4: u8, m5: u8, m6: u8, m7: u8, m8: u8, m9: u8,
             m10: u8, m11: u8, m12: u8, m13: u8, m14: u8, m15: u8) {
        let f = [f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15];
        let m = [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15];
        self.got.push(format!("mixed {f:?} {m:?}"));
    }
    fn prep16(_cx: CX![], a0: u8, a1: u8, a2: u8, a3: u8, a4: u8, a5: u8, a6: u8, a7: u8,
              a8: u8, a9: u8, a10: u8, a11: u8, a12: u8, a13: u8, a14: u8, a15: u8) -> Option<Self> {
        let v = [a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15];
        Some(Many { got: vec![format!("prep16 {v:?}")] })
    }
}

type T16 = (
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
    u8,
);

#[rustfmt::skip]
#[test]
fn sixteen_and_more_arguments_and_types() {
    let mut s = stakker();
    let m = actor!(s, Many::init16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), ret_nop!());
    call!([m], take16(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16));
    call!([m, s], take24(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 24));
    let f: Fwd<T16> = fwd_to!([m], take16() as (u8, u8, u8, u8, u8, u8, u8, u8,
                                               u8, u8, u8, u8, u8, u8, u8, u8));
    fwd!([f], 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    let g: Fwd<T16> = fwd_to!([m], mixed(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        as (u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8, u8,));
    fwd!([g], 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9);
    let r: Ret<T16> = ret_to!([m], ret16("ret16") as (u8, u8, u8, u8, u8, u8, u8, u8,
                                                      u8, u8, u8, u8, u8, u8, u8, u8));
    ret!([r], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7);
    let r: Ret<T16> = ret_to!([m], ret16("dropped") as (u8, u8, u8, u8, u8, u8, u8, u8,
                                                        u8, u8, u8, u8, u8, u8, u8, u8));
    drop(r);
    let r: Ret<T16> = ret_some_to!([m], take16() as (u8, u8, u8, u8, u8, u8, u8, u8,
                                                     u8, u8, u8, u8, u8, u8, u8, u8));
    ret!([r], 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2);
    run(&mut s);
    assert_eq!(m.query(&mut s, |this, _| this.got.clone()).unwrap(), [
        "init16 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]",
        "take16 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]",
        "take24 47",
        "take16 [16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]",
        "mixed [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]",
        "ret16 Some((0, 7))",
        "dropped None",
        "take16 [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]",
    ]);
    // Prep call with 16 arguments through each queue-taking macro.
    let p = actor_new!(s, Many, ret_nop!());
    lazy!([p, s], Many::prep16(9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6));
    run(&mut s);
    assert_eq!(p.query(&mut s, |this, _| this.got.clone()).unwrap(),
               ["prep16 [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6]"]);
}

#[rustfmt::skip]
#[test]
fn trailing_commas_everywhere() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Probe::init("a", t.clone(),), notify(&t, "a"),);
    let b = actor!(s, <Probe>::init("b", t.clone(),), ret_nop!(),);
    let c = actor_new!(s, Probe, ret_nop!(),);
    let d = actor_of_trait!(s, Probe, Probe::init("d", t.clone(),), ret_nop!(),);
    call!([c], Probe::init("c", t.clone(),),);
    call!([a,], hit(1,),);
    call!([a, s,], pair(2, "x",),);
    call!([s,], |_s| (),);
    lazy!([a, s], hit(3,),);
    idle!([a, s], hit(4,),);
    let _k: FixedTimerKey = after!(Duration::from_millis(1), [a, s], hit(5,),);
    let _k: FixedTimerKey = at!(ms(2), [a, s], hit(6,),);
    let mut kmax = MaxTimerKey::default();
    timer_max!(&mut kmax, ms(3), [a, s], hit(7,),);
    let mut kmin = MinTimerKey::default();
    timer_min!(&mut kmin, ms(4), [a, s], hit(8,),);
    let f: Fwd<(u32, &'static str)> = fwd_to!([a,], pair() as (u32, &'static str,),);
    fwd!([f,], 9, "y",);
    let f1: Fwd<u32> = fwd_to!([a], hit() as (u32,),);
    fwd!([f1], 10,);
    let r: Ret<u32> = ret_some_to!([a], hit() as (u32,),);
    ret!([r,], 11,);
    let r0: Ret<()> = ret_nop!();
    ret!([r0],);
    let f0: Fwd<()> = fwd_nop!();
    fwd!([f0],);
    let _p: Fwd<u8> = fwd_panic!("p",);
    let _p: Ret<u8> = ret_panic!("p",);
    let _d: Fwd<u8> = fwd_do!(|_| (),);
    let _d: Ret<u8> = ret_do!(|_| (),);
    let _d: Ret<u8> = ret_some_do!(|_| (),);
    let _r = ret_shutdown!(s,); // kept unanswered to the end
    s.run(ms(10), true);
    assert_eq!(query!([a, &mut s,], get_name("!",),), Some("a!".to_string()));
    kill!(b, "k",);
    kill!(c, "k {}", 1,);
    kill!(d, Box::new(MyError("e")),);
    run(&mut s);
    assert_eq!(take(&t), [
        // The idle item runs first, but `a` is in Prep: the call is parked until `a init`.
        "a init", "a hit 4",
        "b init", "d init", "c init",
        "a hit 1", "a pair 2 x", "a pair 9 y", "a hit 10", "a hit 11",
        "a hit 5", "a hit 6", "a hit 7", "a hit 8", // timers, queued on the main queue
        "a hit 3", // lazy, once the main queue is empty
        "b drop", "c drop", "d drop",
    ]);
}

#[test]
fn eager_evaluation_in_source_order() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Probe::init("a", t.clone()), ret_nop!());
    run(&mut s);
    take(&t);
    let order = RefCell::new(Vec::<&'static str>::new());
    let o = |tag| order.borrow_mut().push(tag);
    let take_order = || std::mem::take(&mut *order.borrow_mut());

    call!(
        [{
            o("target");
            &a
        }],
        pair(
            {
                o("arg0");
                1
            },
            {
                o("arg1");
                "x"
            }
        )
    );
    assert_eq!(take_order(), ["target", "arg0", "arg1"]);
    call!(
        [
            {
                o("actor");
                &a
            },
            {
                o("core");
                &mut s
            }
        ],
        pair(
            {
                o("arg0");
                2
            },
            {
                o("arg1");
                "y"
            }
        )
    );
    assert_eq!(take_order(), ["actor", "arg0", "arg1", "core"]);
    let mut key = MaxTimerKey::default();
    timer_max!(
        {
            o("key");
            &mut key
        },
        {
            o("instant");
            ms(5)
        },
        [
            {
                o("actor");
                &a
            },
            {
                o("core");
                &mut s
            }
        ],
        hit({
            o("arg");
            3
        })
    );
    assert_eq!(take_order(), ["key", "instant", "actor", "arg", "core"]);
    let k = after!(
        {
            o("dur");
            Duration::from_millis(1)
        },
        [
            {
                o("actor");
                &a
            },
            s
        ],
        hit({
            o("arg");
            4
        })
    );
    assert_eq!(take_order(), ["dur", "actor", "arg"]);
    assert!(s.timer_del(k));

    // Fixed arguments of a forwarder are evaluated once, when it is made.
    let f = fwd_to!(
        [{
            o("target");
            &a
        }],
        pair({
            o("fixed");
            7
        }) as (&'static str)
    );
    assert_eq!(take_order(), ["target", "fixed"]);
    fwd!([f], "m1");
    fwd!([f], "m2");
    assert!(take_order().is_empty());

    // Values are those at call time, not at delivery time.
    let v = Cell::new(10);
    call!([a], hit(v.get()));
    v.set(11);
    call!([a], hit(v.get()));
    v.set(12);

    // Nothing has run yet.
    assert!(take(&t).is_empty());
    s.run(ms(6), false);
    assert_eq!(
        take(&t),
        [
            "a pair 1 x",
            "a pair 2 y",
            "a pair 7 m1",
            "a pair 7 m2",
            "a hit 10",
            "a hit 11",
            "a hit 3",
        ]
    );
}

#[test]
fn query_evaluates_arguments_only_when_ready() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor_new!(s, Probe, ret_nop!());
    let evaluated = Cell::new(0);
    let arg = || {
        evaluated.set(evaluated.get() + 1);
        "?"
    };
    assert_eq!(query!([a, &mut s], get_name(arg())), None);
    assert_eq!(evaluated.get(), 0);
    call!([a], Probe::init("a", t.clone()));
    run(&mut s);
    let sref = &mut s;
    assert_eq!(query!([a, sref], get_name(arg())), Some("a?".to_string()));
    assert_eq!(query!([&a, sref], look()), Some(()));
    assert_eq!(evaluated.get(), 1);
    assert_eq!(take(&t), ["a init", "a look"]);
}

/// Arguments may read from the `cx` the call goes through.
struct Ticker {
    t: Trace,
    key: MaxTimerKey,
}
impl Ticker {
    fn init(_cx: CX![], t: Trace) -> Option<Self> {
        Some(Ticker {
            t,
            key: MaxTimerKey::default(),
        })
    }
    fn start(&mut self, cx: CX![]) {
        call!([cx], tick("call", cx.now()));
        lazy!([cx], tick("lazy", cx.now()));
        after!(Duration::from_millis(10), [cx], tick("after", cx.now()));
        at!(
            cx.now() + Duration::from_millis(20),
            [cx],
            tick("at", cx.now())
        );
        timer_max!(
            &mut self.key,
            cx.now() + Duration::from_millis(30),
            [cx],
            tick("max", cx.now())
        );
        fail!(cx, "never {}", cx.now() < T0);
    }
    fn tick(&mut self, cx: CX![], tag: &'static str, then: Instant) {
        push(
            &self.t,
            format!(
                "{tag} then={}ms now={}ms",
                (then - T0).as_millis(),
                (cx.now() - T0).as_millis()
            ),
        );
    }
}

#[test]
fn arguments_may_read_cx() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Ticker::init(t.clone()), notify(&t, "ticker"));
    s.run(ms(5), false);
    call!([a], start());
    s.run(ms(5), false);
    // `fail!` stops the actor when `start` returns, so only the already-queued effects of
    // `start` on the zombie are dropped.
    assert_eq!(take(&t), ["ticker notify: Actor failed: never false"]);

    let t = new_trace();
    let b = actor!(s, Ticker::init(t.clone()), ret_nop!());
    call!([b], |this, cx| {
        call!([cx], tick("call", cx.now()));
        lazy!([cx], tick("lazy", cx.now()));
        after!(Duration::from_millis(10), [cx], tick("after", cx.now()));
        at!(
            cx.now() + Duration::from_millis(20),
            [cx],
            tick("at", cx.now())
        );
        timer_max!(
            &mut this.key,
            cx.now() + Duration::from_millis(30),
            [cx],
            tick("max", cx.now())
        );
        timer_min!(
            &mut MinTimerKey::default(),
            cx.now() + Duration::from_millis(40),
            [cx],
            tick("min", cx.now())
        );
    });
    s.run(ms(6), false);
    for n in [16, 26, 36, 46] {
        s.run(ms(n + 1), false);
    }
    assert_eq!(
        take(&t),
        [
            "call then=6ms now=6ms",
            "lazy then=6ms now=6ms",
            "after then=6ms now=17ms",
            "at then=6ms now=27ms",
            "max then=6ms now=37ms",
            "min then=6ms now=47ms",
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// lazy!, idle!
// ---------------------------------------------------------------------------------------------

struct Queues {
    t: Trace,
}
impl Queues {
    fn init(_cx: CX![], t: Trace) -> Option<Self> {
        Some(Queues { t })
    }
    fn note(&mut self, _cx: CX![], s: &'static str) {
        push(&self.t, s);
    }
    fn go(&mut self, cx: CX![]) {
        idle!([cx], note("idle method"));
        idle!([cx], |this, _| push(&this.t, "idle closure"));
        let t = self.t.clone();
        idle!([cx], |_s| push(&t, "idle |s|"));
        lazy!([cx], note("lazy method"));
        lazy!([cx], |this, _| push(&this.t, "lazy closure"));
        let t = self.t.clone();
        lazy!([cx], |_s| push(&t, "lazy |s|"));
        lazy!([cx], Self::init(self.t.clone())); // Prep on a Ready actor: dropped
        let me = cx.this().clone();
        lazy!([me, cx], note("lazy [actor, cx]"));
        idle!([me, cx], note("idle [actor, cx]"));
        call!([cx], note("main"));
    }
}

#[test]
fn lazy_and_idle_queues() {
    let t = new_trace();
    let mut s = stakker();
    let q = actor!(s, Queues::init(t.clone()), ret_nop!());
    call!([q], go());
    assert!(s.run(ms(0), false));
    assert_eq!(
        take(&t),
        [
            "main",
            "lazy method",
            "lazy closure",
            "lazy |s|",
            "lazy [actor, cx]"
        ]
    );
    for _ in 0..3 {
        assert!(s.run(ms(0), true));
    }
    assert!(!s.run(ms(0), true));
    assert_eq!(
        take(&t),
        [
            "idle method",
            "idle closure",
            "idle |s|",
            "idle [actor, cx]"
        ]
    );

    // From outside: [actor, core] and [core] forms, Prep bodies.
    let p = actor_new!(s, Queues, ret_nop!());
    idle!([p, s], note("parked idle"));
    lazy!([p, s], Queues::init(t.clone()));
    let t2 = t.clone();
    lazy!([s], |_| push(&t2, "outside lazy |s|"));
    let t2 = t.clone();
    idle!([&mut s], |_| push(&t2, "outside idle |s|"));
    call!([p, s], note("main first"));
    s.run(ms(0), false);
    assert_eq!(take(&t), ["main first", "outside lazy |s|"]);
    s.run(ms(0), true);
    s.run(ms(0), true);
    assert_eq!(take(&t), ["parked idle", "outside idle |s|"]);
}

// ---------------------------------------------------------------------------------------------
// Timers
// ---------------------------------------------------------------------------------------------

#[test]
fn after_and_at() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Probe::init("a", t.clone()), ret_nop!());
    run(&mut s);
    take(&t);
    let k1: FixedTimerKey = after!(Duration::from_millis(10), [a, s], hit(1));
    let k2 = after!(
        Duration::from_millis(5),
        [a, s],
        Probe::init("x", t.clone())
    );
    let t2 = t.clone();
    let _k3 = after!(Duration::from_millis(20), [s], |s| push(
        &t2,
        format!("after |s| at {}ms", (s.now() - T0).as_millis())
    ));
    #[cfg(feature = "std")]
    let _k4 = {
        let std_instant: std::time::Instant = ms(30).into();
        at!(std_instant, [a, s], hit(4)) // a std::time::Instant
    };
    #[cfg(not(feature = "std"))]
    let _k4 = at!(ms(30), [a, s], hit(4));
    let _k5 = at!(ms(25), [a, s], hit(5)); // a stakker Instant
    let k6 = at!(ms(26), [a, s], hit(6));
    assert!(s.timer_del(k6));
    assert_ne!(k1, k2);
    s.run(ms(9), false);
    assert!(take(&t).is_empty()); // Prep call on a Ready actor: dropped unrun
    s.run(ms(11), false);
    assert_eq!(take(&t), ["a hit 1"]);
    assert!(!s.timer_del(k1));
    s.run(ms(31), false);
    assert_eq!(take(&t), ["after |s| at 31ms", "a hit 5", "a hit 4"]);
}

#[test]
fn timer_max_reuses_its_key() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Probe::init("a", t.clone()), ret_nop!());
    run(&mut s);
    take(&t);
    let rets = new_trace();
    let mk = |tag: &'static str| {
        let r = rets.clone();
        ret_do!(move |m: Option<u32>| push(&r, format!("{tag} {m:?}")))
    };
    let mut key = MaxTimerKey::default();
    timer_max!(&mut key, ms(10), [a, s], answer(mk("first"), 1));
    let first = key;
    assert!(s.timer_max_active(key));
    // Live key: updated, the call (and its Ret) dropped at once.
    timer_max!(&mut key, ms(20), [a, s], answer(mk("second"), 2));
    assert_eq!(key, first);
    assert_eq!(take(&rets), ["second None"]);
    timer_max!(&mut key, ms(15), [a, s], answer(mk("third"), 3)); // earlier: ignored
    assert_eq!(take(&rets), ["third None"]);
    s.run(ms(19), false);
    assert!(take(&t).is_empty());
    s.run(ms(21), false);
    assert_eq!(take(&t), ["a answer 1"]);
    assert_eq!(take(&rets), ["first Some(1)"]);
    assert!(!s.timer_max_active(key));
    // Fired: the next use adds a new timer and stores its key.
    timer_max!(&mut key, ms(30), [a, s], answer(mk("fourth"), 4));
    assert!(s.timer_max_active(key));
    s.run(ms(31), false);
    assert_eq!(take(&t), ["a answer 4"]);
    assert_eq!(take(&rets), ["fourth Some(4)"]);
}

#[test]
fn timer_min_reuses_its_key() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Probe::init("a", t.clone()), ret_nop!());
    run(&mut s);
    take(&t);
    let mut key = MinTimerKey::default();
    timer_min!(&mut key, ms(30), [a, s], hit(1));
    let first = key;
    timer_min!(&mut key, ms(10), [a, s], hit(2)); // earlier: moves it, call dropped
    timer_min!(&mut key, ms(20), [a, s], hit(3)); // later: ignored, call dropped
    assert_eq!(key, first);
    s.run(ms(9), false);
    assert!(take(&t).is_empty());
    s.run(ms(11), false);
    assert_eq!(take(&t), ["a hit 1"]);
    let t2 = t.clone();
    timer_min!(&mut key, ms(40), [s], |_s| push(&t2, "second timer"));
    assert_ne!(key, MinTimerKey::default());
    s.run(ms(35), false);
    assert!(take(&t).is_empty());
    s.run(ms(41), false);
    assert_eq!(take(&t), ["second timer"]);
    s.run(ms(100), false);
    assert!(take(&t).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Forwarders and returners
// ---------------------------------------------------------------------------------------------

struct Sink {
    t: Trace,
}
impl Sink {
    fn init(_cx: CX![], t: Trace) -> Option<Self> {
        Some(Sink { t })
    }
    fn none(&mut self, _cx: CX![], tag: &'static str) {
        push(&self.t, format!("{tag} none"));
    }
    fn one(&mut self, _cx: CX![], tag: &'static str, a: u32) {
        push(&self.t, format!("{tag} one {a}"));
    }
    fn two(&mut self, _cx: CX![], tag: &'static str, a: u32, b: String) {
        push(&self.t, format!("{tag} two {a} {b}"));
    }
    fn tuple1(&mut self, _cx: CX![], a: (u32,)) {
        push(&self.t, format!("tuple1 {a:?}"));
    }
    fn opt_none(&mut self, _cx: CX![], tag: String, m: Option<()>) {
        push(&self.t, format!("{tag} {m:?}"));
    }
    fn opt_one(&mut self, _cx: CX![], tag: String, m: Option<u32>) {
        push(&self.t, format!("{tag} {m:?}"));
    }
    fn opt_two(&mut self, _cx: CX![], tag: String, m: Option<(u32, String)>) {
        push(&self.t, format!("{tag} {m:?}"));
    }
    fn prep_one(cx: CX![], tag: &'static str, a: u32) -> Option<Self> {
        let t = cx.anymap_get::<TraceHandle>().0;
        push(&t, format!("{tag} prep_one {a}"));
        Some(Sink { t })
    }
    fn prep_two(cx: CX![], a: u32, b: u32) -> Option<Self> {
        let t = cx.anymap_get::<TraceHandle>().0;
        push(&t, format!("prep_two {a} {b}"));
        Some(Sink { t })
    }
    fn prep_opt(cx: CX![], tag: String, m: Option<u32>) -> Option<Self> {
        let t = cx.anymap_get::<TraceHandle>().0;
        push(&t, format!("{tag} prep_opt {m:?}"));
        m.map(|_| Sink { t })
    }
    fn prep_none(cx: CX![]) -> Option<Self> {
        let t = cx.anymap_get::<TraceHandle>().0;
        push(&t, "prep_none");
        Some(Sink { t })
    }
}

#[derive(Clone)]
struct TraceHandle(Trace);

#[test]
fn fwd_to_forms() {
    let t = new_trace();
    let mut s = stakker();
    s.anymap_set(TraceHandle(t.clone()));
    let a = actor!(s, Sink::init(t.clone()), ret_nop!());
    let f0: Fwd<()> = fwd_to!([a], none("f0") as ());
    let f1: Fwd<u32> = fwd_to!([a], one("f1") as (u32));
    let f1c: Fwd<u32> = fwd_to!([a], one("f1c") as (u32,)); // `as (T,)` gives T
    let f2: Fwd<(u32, String)> = fwd_to!([a], two("f2") as (u32, String));
    let ft: Fwd<(u32,)> = fwd_to!([a], tuple1() as ((u32,)));
    fwd!([f0]);
    fwd!([f1], 1);
    fwd!([f1c], 2);
    fwd!([f2], 3, "three".to_string());
    fwd!([ft], (4,));
    let f1_again = f1.clone();
    fwd!([&f1_again], 5);
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "f0 none",
            "f1 one 1",
            "f1c one 2",
            "f2 two 3 three",
            "tuple1 (4,)",
            "f1 one 5"
        ]
    );

    // Prep targets: `Type::method` and `<Type>::method`.
    let p = actor_new!(s, Sink, ret_nop!());
    let g1: Fwd<u32> = fwd_to!([p], Sink::prep_one("g1") as (u32));
    let g2: Fwd<(u32, u32)> = fwd_to!([p], <Sink>::prep_two() as (u32, u32));
    let g0: Fwd<()> = fwd_to!([p], Sink::prep_none() as ());
    fwd!([g2], 1, 2);
    fwd!([g1], 3); // the actor is Ready by now: dropped
    fwd!([g0]); // dropped too
    run(&mut s);
    assert_eq!(take(&t), ["prep_two 1 2"]);
}

struct Closures {
    t: Trace,
    n: u32,
}
impl Closures {
    fn init(_cx: CX![], t: Trace) -> Option<Self> {
        Some(Closures { t, n: 0 })
    }
    #[allow(clippy::type_complexity)]
    fn make(&mut self, cx: CX![]) -> (Fwd<()>, Fwd<u32>, Fwd<(u32, &'static str)>, Ret<u8>) {
        let k = 100; // captured by copy
        let f0 = fwd_to!([cx], |this, _cx| {
            this.n += 1;
            push(&this.t, format!("f0 n={}", this.n));
        });
        let f1 = fwd_to!([cx], |this, _, a: u32| push(
            &this.t,
            format!("f1 {}", a + k)
        ));
        let f2 = fwd_to!([cx], |this, cx, a: u32, b: &'static str| {
            push(
                &this.t,
                format!("f2 {a} {b} zombie={}", cx.this().is_zombie()),
            )
        });
        let owned = String::from("owned"); // moved: fine for a `Ret`
        let r = ret_some_to!([cx], |this, _cx, v: u8| push(
            &this.t,
            format!("r {v} {owned}")
        ));
        (f0, f1, f2, r)
    }
    fn make_ret_to(&mut self, cx: CX![]) -> (Ret<u32>, Ret<(u32, bool)>) {
        let r1 = ret_to!([cx], |this, _cx, m: Option<u32>| {
            push(&this.t, format!("r1 {m:?}"))
        });
        let r2 = ret_to!([cx], |this, _cx, m: Option<(u32, bool)>| {
            push(&this.t, format!("r2 {m:?}"))
        });
        (r1, r2)
    }
    fn make_ret_some_to(&mut self, cx: CX![]) -> (Ret<()>, Ret<(u8, u8)>) {
        let r0 = ret_some_to!([cx], |this, _cx| push(&this.t, "r0"));
        let r2 = ret_some_to!([cx], |this, _cx, a: u8, b: u8| {
            push(&this.t, format!("r2 {a} {b}"))
        });
        (r0, r2)
    }
}

#[test]
fn closure_forms() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Closures::init(t.clone()), ret_nop!());
    run(&mut s);
    let (f0, f1, f2, r) = query!([a, &mut s], make()).unwrap();
    fwd!([f0]);
    fwd!([f0]);
    fwd!([f1], 1);
    fwd!([f2], 2, "two");
    ret!([r], 3);
    let (r1, r2) = query!([a, &mut s], make_ret_to()).unwrap();
    ret!([r1], 4);
    drop(r2);
    let (r0, r2s) = query!([a, &mut s], make_ret_some_to()).unwrap();
    ret!([r0]);
    drop(r2s);
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "f0 n=1",
            "f0 n=2",
            "f1 101",
            "f2 2 two zombie=false",
            "r 3 owned",
            "r1 Some(4)",
            "r2 None",
            "r0",
        ]
    );
}

#[test]
fn ret_to_forms_and_none_on_drop() {
    let t = new_trace();
    let mut s = stakker();
    s.anymap_set(TraceHandle(t.clone()));
    let a = actor!(s, Sink::init(t.clone()), ret_nop!());
    let r0: Ret<()> = ret_to!([a], opt_none("r0".to_string()) as ());
    let r1: Ret<u32> = ret_to!([a], opt_one("r1".to_string()) as (u32));
    let r1c: Ret<u32> = ret_to!([a], opt_one("r1c".to_string()) as (u32,));
    let r2: Ret<(u32, String)> = ret_to!([a], opt_two("r2".to_string()) as (u32, String));
    let d0: Ret<()> = ret_to!([a], opt_none("d0".to_string()) as ());
    let d1: Ret<u32> = ret_to!([a], opt_one("d1".to_string()) as (u32));
    let d2: Ret<(u32, String)> = ret_to!([a], opt_two("d2".to_string()) as (u32, String));
    ret!([r0]);
    ret!([r1], 1);
    ret!([r1c], 2);
    ret!([r2], 3, "x".to_string());
    drop(d0);
    drop(d1);
    drop(d2);
    assert!(take(&t).is_empty(), "answers are queued");
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "r0 Some(())",
            "r1 Some(1)",
            "r1c Some(2)",
            "r2 Some((3, \"x\"))",
            "d0 None",
            "d1 None",
            "d2 None",
        ]
    );

    // Prep targets: a `None` keeps the actor in Prep, a `Some` makes it Ready.
    let p = actor_new!(s, Sink, ret_nop!());
    let dropped: Ret<u32> = ret_to!([p], Sink::prep_opt("dropped".to_string()) as (u32));
    let answered: Ret<u32> = ret_to!([p], <Sink>::prep_opt("answered".to_string()) as (u32,));
    drop(dropped);
    ret!([answered], 7);
    call!([p], none("after"));
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "dropped prep_opt None",
            "answered prep_opt Some(7)",
            "after none"
        ]
    );

    // A `Ret` dropped with an undeliverable call (zombie target) still answers `None`.
    let z = actor!(s, Probe::init("z", t.clone()), ret_nop!());
    let r: Ret<u32> = ret_to!([a], opt_one("via zombie".to_string()) as (u32));
    call!([z], quit());
    call!([z], answer(r, 9));
    run(&mut s);
    assert_eq!(take(&t), ["z init", "z quit", "z drop", "via zombie None"]);
}

#[test]
fn ret_some_to_ignores_drop() {
    let t = new_trace();
    let mut s = stakker();
    s.anymap_set(TraceHandle(t.clone()));
    let a = actor!(s, Sink::init(t.clone()), ret_nop!());
    let r0: Ret<()> = ret_some_to!([a], none("r0") as ());
    let r1: Ret<u32> = ret_some_to!([a], one("r1") as (u32));
    let r1c: Ret<u32> = ret_some_to!([a], one("r1c") as (u32,));
    let r2: Ret<(u32, String)> = ret_some_to!([a], two("r2") as (u32, String));
    let d1: Ret<u32> = ret_some_to!([a], one("d1") as (u32));
    let d2: Ret<(u32, String)> = ret_some_to!([a], two("d2") as (u32, String));
    ret!([r0]);
    ret!([r1], 1);
    ret!([r1c], 2);
    ret!([r2], 3, "x".to_string());
    drop(d1);
    drop(d2);
    run(&mut s);
    assert_eq!(take(&t), ["r0 none", "r1 one 1", "r1c one 2", "r2 two 3 x"]);

    let p = actor_new!(s, Sink, ret_nop!());
    let d: Ret<u32> = ret_some_to!([p], Sink::prep_one("d") as (u32));
    let r: Ret<u32> = ret_some_to!([p], <Sink>::prep_one("r") as (u32));
    drop(d);
    ret!([r], 5);
    run(&mut s);
    assert_eq!(take(&t), ["r prep_one 5"]);
}

#[test]
fn fwd_and_ret_packing() {
    let got = new_trace();
    let g = got.clone();
    let f0: Fwd<()> = fwd_do!(move |m: ()| push(&g, format!("f0 {m:?}")));
    let g = got.clone();
    let f1: Fwd<(u8,)> = fwd_do!(move |m: (u8,)| push(&g, format!("f1 {m:?}")));
    let g = got.clone();
    let f3: Fwd<(u8, char, bool)> = fwd_do!(move |m| push(&g, format!("f3 {m:?}")));
    fwd!([f0]);
    fwd!([f1], (1,)); // one argument is passed unchanged
    fwd!([&f3], 2, 'c', true);
    let fref = &f3;
    fwd!([fref], 3, 'd', false);
    let g = got.clone();
    let r0: Ret<()> = ret_do!(move |m| push(&g, format!("r0 {m:?}")));
    let g = got.clone();
    let r1: Ret<String> = ret_do!(move |m| push(&g, format!("r1 {m:?}")));
    let g = got.clone();
    let r2: Ret<(u8, u8)> = ret_some_do!(move |m| push(&g, format!("r2 {m:?}")));
    ret!([r0]);
    ret!([r1], "one".to_string());
    ret!([r2], 4, 5);
    let g = got.clone();
    let dropped: Ret<u8> = ret_some_do!(move |m| push(&g, format!("never {m}")));
    drop(dropped);
    let g = got.clone();
    let dropped: Ret<u8> = ret_do!(move |m| push(&g, format!("dropped {m:?}")));
    drop(dropped);
    let nop: Fwd<String> = fwd_nop!();
    fwd!([nop], "x".to_string());
    let nop: Ret<Vec<u8>> = ret_nop!();
    ret!([nop], vec![1]);
    assert_eq!(
        take(&got),
        [
            "f0 ()",
            "f1 (1,)",
            "f3 (2, 'c', true)",
            "f3 (3, 'd', false)",
            "r0 Some(())",
            "r1 Some(\"one\")",
            "r2 (4, 5)",
            "dropped None",
        ]
    );
}

#[test]
fn fwd_panic_and_ret_panic() {
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let f: Fwd<u8> = fwd_panic!("fwd boom");
    let e = catch_unwind(AssertUnwindSafe(|| fwd!([f], 1))).unwrap_err();
    assert_eq!(e.downcast_ref::<String>().unwrap(), "fwd boom");
    let msg = String::from("ret boom");
    let quiet: Ret<u8> = ret_panic!(msg.clone());
    drop(quiet);
    let loud: Ret<u8> = ret_panic!(msg);
    let e = catch_unwind(AssertUnwindSafe(|| ret!([loud], 1))).unwrap_err();
    assert_eq!(e.downcast_ref::<String>().unwrap(), "ret boom");
}

// ---------------------------------------------------------------------------------------------
// Actor creation
// ---------------------------------------------------------------------------------------------

struct Parent {
    t: Trace,
    kids: ActorOwnSlab<Probe>,
    child: Option<ActorOwn<Probe>>,
}
impl Parent {
    fn init(cx: CX![], t: Trace) -> Option<Self> {
        // `actor!` with a `Cx`, and the `Cx` still usable afterwards.
        let child = actor!(cx, Probe::init("child", t.clone()), notify(&t, "child"));
        let _later = actor!(cx, <Probe>::init("temp", t.clone()), notify(&t, "temp"));
        let c2 = actor_new!(cx, Probe, notify(&t, "new"));
        call!([c2], Probe::init("new", t.clone()));
        drop(c2);
        Some(Parent {
            t,
            kids: ActorOwnSlab::new(),
            child: Some(child),
        })
    }
    fn spawn(&mut self, cx: CX![], name: &'static str, quit: bool) {
        let kid = actor_in_slab!(
            self.kids,
            cx,
            Probe::init(name, self.t.clone()),
            ret_some_to!([cx], kid_ended(name) as (StopCause))
        );
        if quit {
            call!([kid], quit());
        }
    }
    fn spawn_quiet(&mut self, cx: CX![], name: &'static str) -> Actor<Probe> {
        actor_in_slab!(self.kids, cx, <Probe>::init(name, self.t.clone()))
    }
    fn spawn_angle_notify(&mut self, cx: CX![], name: &'static str) {
        let kid = actor_in_slab!(
            self.kids,
            cx,
            <Probe>::init(name, self.t.clone()),
            ret_some_to!([cx], kid_ended(name) as (StopCause)),
        );
        call!([kid], quit());
    }
    fn spawn_plain_form(&mut self, cx: CX![], name: &'static str) -> Actor<Probe> {
        actor_in_slab!(self.kids, cx, Probe::init(name, self.t.clone()))
    }
    fn kid_ended(&mut self, _cx: CX![], name: &'static str, cause: StopCause) {
        push(
            &self.t,
            format!("{name} ended: {cause}; {} left", self.kids.len()),
        );
    }
    fn count(&self, _cx: CX![]) -> usize {
        self.kids.len()
    }
    fn kill_child(&mut self, _cx: CX![]) {
        if let Some(child) = &self.child {
            kill!(child, "by parent");
        }
        kill!(self.child.as_ref().unwrap(), "second kill is ignored");
        self.child = None; // the queued kill holds its own owner
    }
}

#[test]
fn actor_and_actor_new_from_a_cx() {
    let t = new_trace();
    let mut s = stakker();
    let p = actor!(s, Parent::init(t.clone()), notify(&t, "parent"));
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "child init",
            "temp init",
            "new init",
            // `c2` was dropped before `_later` went out of scope
            "new drop",
            "new notify: Actor was dropped",
            "temp drop",
            "temp notify: Actor was dropped",
        ]
    );
    call!([p], kill_child());
    run(&mut s);
    assert_eq!(
        take(&t),
        ["child drop", "child notify: Actor was killed: by parent"]
    );
}

#[test]
fn actor_in_slab_removes_children() {
    let t = new_trace();
    let mut s = stakker();
    let p = actor!(s, Parent::init(t.clone()), ret_nop!());
    run(&mut s);
    take(&t);
    call!([p], spawn("a", false));
    call!([p], spawn("b", true));
    call!([p], spawn_angle_notify("c"));
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "a init",
            "b init",
            "b quit",
            "b drop",
            "c init",
            "c quit",
            "c drop",
            // removal is queued before the notification, so it is already done
            "b ended: Actor stopped; 2 left",
            "c ended: Actor stopped; 1 left",
        ]
    );
    let q = query!([p, &mut s], spawn_quiet("q")).unwrap();
    let r = query!([p, &mut s], spawn_plain_form("r")).unwrap();
    run(&mut s);
    assert_eq!(query!([p, &mut s], count()), Some(3));
    call!([q], quit());
    call!([r], quit());
    run(&mut s);
    assert_eq!(query!([p, &mut s], count()), Some(1));
    assert_eq!(
        take(&t),
        ["q init", "r init", "q quit", "q drop", "r quit", "r drop"]
    );
}

/// With `logger`, actors made through a `Cx` record that actor as their logging parent.
#[cfg(feature = "logger")]
#[test]
fn actor_macros_pass_the_parent_log_id() {
    use stakker_core::{LogFilter, LogLevel, LogRecord, LogVisitor};
    struct ParentId(Option<u64>);
    impl LogVisitor for ParentId {
        fn kv_u64(&mut self, key: Option<&str>, val: u64) {
            if key == Some("parent") {
                self.0 = Some(val);
            }
        }
        fn kv_i64(&mut self, _: Option<&str>, _: i64) {}
        fn kv_f64(&mut self, _: Option<&str>, _: f64) {}
        fn kv_bool(&mut self, _: Option<&str>, _: bool) {}
        fn kv_null(&mut self, _: Option<&str>) {}
        fn kv_str(&mut self, _: Option<&str>, _: &str) {}
        fn kv_fmt(&mut self, _: Option<&str>, _: &std::fmt::Arguments<'_>) {}
        fn kv_map(&mut self, _: Option<&str>) {}
        fn kv_mapend(&mut self, _: Option<&str>) {}
        fn kv_arr(&mut self, _: Option<&str>) {}
        fn kv_arrend(&mut self, _: Option<&str>) {}
    }
    let opens = new_trace();
    let o = opens.clone();
    let mut s = stakker();
    s.set_logger(
        LogFilter::from(LogLevel::Open),
        move |_core: &mut Core, r: &LogRecord<'_>| {
            if r.level == LogLevel::Open {
                let mut p = ParentId(None);
                (r.kvscan)(&mut p);
                push(&o, format!("open {} parent {:?}", r.id, p.0));
            }
        },
    );
    let t = new_trace();
    let p = actor!(s, Parent::init(t.clone()), ret_nop!()); // ID 1, no parent
    run(&mut s); // its init makes "child" (2), "temp" (3) and "new" (4)
    call!([p], spawn("kid", false)); // 5, in the slab
    run(&mut s);
    let _own = actor_new!(s, Probe, ret_nop!()); // 6, no parent
    assert_eq!(
        take(&opens),
        [
            "open 1 parent None",
            "open 2 parent Some(1)",
            "open 3 parent Some(1)",
            "open 4 parent Some(1)",
            "open 5 parent Some(1)",
            "open 6 parent None",
        ]
    );
}

type Animal = Box<dyn AnimalTrait>;
trait AnimalTrait {
    fn sound(&mut self, cx: CX![Animal], t: Trace);
    fn rename(&mut self, cx: CX![Animal], name: &'static str);
}
struct Cat(&'static str);
impl Cat {
    fn init(_cx: CX![Animal], name: &'static str) -> Option<Animal> {
        Some(Box::new(Cat(name)))
    }
}
impl AnimalTrait for Cat {
    fn sound(&mut self, _cx: CX![Animal], t: Trace) {
        push(&t, format!("{}: miaow", self.0));
    }
    fn rename(&mut self, _cx: CX![Animal], name: &'static str) {
        self.0 = name;
    }
}
struct Dog;
impl Dog {
    fn init(_cx: CX![Animal]) -> Option<Animal> {
        Some(Box::new(Dog))
    }
}
impl AnimalTrait for Dog {
    fn sound(&mut self, _cx: CX![Animal], t: Trace) {
        push(&t, "dog: woof");
    }
    fn rename(&mut self, _cx: CX![Animal], _name: &'static str) {}
}

#[test]
fn actor_of_trait_with_boxed_trait_alias() {
    let t = new_trace();
    let mut s = stakker();
    let cat: ActorOwn<Animal> = actor_of_trait!(s, Animal, Cat::init("tom"), ret_nop!());
    let dog: ActorOwn<Animal> = actor_of_trait!(&mut s, Animal, <Dog>::init(), ret_nop!());
    let animals = [cat, dog];
    call!([animals[0]], rename("felix"));
    for a in &animals {
        call!([a], sound(t.clone()));
    }
    let later = actor_new!(s, Animal, ret_nop!());
    call!([later], Cat::init("late"));
    call!([later, s], sound(t.clone()));
    let f: Fwd<Trace> = fwd_to!([animals[1]], sound() as (Trace));
    fwd!([f], t.clone());
    run(&mut s);
    assert_eq!(
        take(&t),
        ["felix: miaow", "dog: woof", "late: miaow", "dog: woof"]
    );
}

#[test]
fn actor_from_core_and_references() {
    let t = new_trace();
    let mut s = stakker();
    let a = {
        let core: &mut Core = &mut s;
        actor!(core, Probe::init("from core", t.clone()), ret_nop!())
    };
    let b = {
        let sref = &mut s;
        actor!(
            sref,
            Probe::init("from &mut Stakker", t.clone()),
            ret_nop!()
        )
    };
    let c = actor_new!(&mut s, Probe, ret_nop!());
    call!([c, s], Probe::init("c", t.clone()));
    let _ = (&a, &b);
    run(&mut s); // `s` was never moved
    assert_eq!(
        take(&t),
        ["from core init", "from &mut Stakker init", "c init"]
    );
}

// ---------------------------------------------------------------------------------------------
// Termination: fail!, stop!, kill!, ret_fail!, ret_failthru!, ret_shutdown!
// ---------------------------------------------------------------------------------------------

struct Failer;
impl Failer {
    fn init(_cx: CX![]) -> Option<Self> {
        Some(Failer)
    }
    fn lit(&mut self, cx: CX![]) {
        fail!(cx, "literal {braces} {} kept");
    }
    fn lit_comma(&mut self, cx: CX![]) {
        fail!(cx, "literal with comma",);
    }
    fn fmt(&mut self, cx: CX![], n: u32) {
        fail!(cx, "formatted {} {:02}", n, n + 1);
    }
    fn err(&mut self, cx: CX![]) {
        fail!(cx, MyError("value"));
    }
    fn stop_then_fail(&mut self, cx: CX![]) {
        stop!(cx);
        fail!(cx, "ignored");
    }
    fn make_fail(&mut self, cx: CX![], form: u8) -> Ret<StopCause> {
        match form {
            0 => ret_fail!(cx, "lit {x}"),
            1 => ret_fail!(cx, "fmt {}", 1),
            _ => ret_fail!(cx, MyError("ret_fail")),
        }
    }
    fn make_fail_any(&mut self, cx: CX![]) -> Ret<u32> {
        ret_fail!(cx, "got a u32",)
    }
    fn make_failthru(&mut self, cx: CX![], form: u8) -> Ret<StopCause> {
        match form {
            0 => ret_failthru!(cx, "lit {x}"),
            1 => ret_failthru!(cx, "fmt {}", 1),
            _ => ret_failthru!(cx, MyError("failthru")),
        }
    }
}

fn failer(s: &mut Stakker, t: &Trace) -> ActorOwn<Failer> {
    let a = actor!(s, Failer::init(), notify(t, "failer"));
    run(s);
    a
}

#[test]
fn fail_and_stop_forms() {
    let t = new_trace();
    let mut s = stakker();
    let a = failer(&mut s, &t);
    let b = failer(&mut s, &t);
    let c = failer(&mut s, &t);
    let d = failer(&mut s, &t);
    let e = failer(&mut s, &t);
    call!([a], lit());
    call!([b], lit_comma());
    call!([c], fmt(7));
    call!([d], err());
    call!([e], stop_then_fail());
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "failer notify: Actor failed: literal {braces} {} kept",
            "failer notify: Actor failed: literal with comma",
            "failer notify: Actor failed: formatted 7 08",
            "failer notify: Actor failed: MyError value",
            "failer notify: Actor stopped",
        ]
    );
}

/// The cause number `i` (5 is "the `Ret` is dropped").
fn cause(i: usize) -> Option<StopCause> {
    match i {
        0 => Some(StopCause::Stopped),
        1 => Some(StopCause::Failed(Box::new(MyError("child")))),
        2 => Some(StopCause::Killed(Box::new(MyError("child")))),
        3 => Some(StopCause::Dropped),
        4 => Some(StopCause::Lost),
        _ => None,
    }
}

#[test]
fn ret_fail_fires_on_every_message_and_on_drop() {
    let expected = [
        "failer notify: Actor failed: lit {x}",
        "failer notify: Actor failed: fmt 1",
        "failer notify: Actor failed: MyError ret_fail",
    ];
    for form in 0..3u8 {
        for i in 0..6 {
            let t = new_trace();
            let mut s = stakker();
            let a = failer(&mut s, &t);
            let r = query!([a, &mut s], make_fail(form)).unwrap();
            match cause(i) {
                Some(c) => ret!([r], c),
                None => drop(r),
            }
            assert!(take(&t).is_empty(), "queued, not run synchronously");
            run(&mut s);
            assert_eq!(take(&t), [expected[form as usize]], "form {form} cause {i}");
        }
    }
    // Any message type.
    let t = new_trace();
    let mut s = stakker();
    let a = failer(&mut s, &t);
    let r = query!([a, &mut s], make_fail_any()).unwrap();
    ret!([r], 5);
    run(&mut s);
    assert_eq!(take(&t), ["failer notify: Actor failed: got a u32"]);
}

#[test]
fn ret_failthru_fires_only_on_failed_or_lost() {
    let expected = [
        "failer notify: Actor failed: lit {x}",
        "failer notify: Actor failed: fmt 1",
        "failer notify: Actor failed: MyError failthru",
    ];
    for form in 0..3u8 {
        for i in 0..6 {
            let t = new_trace();
            let mut s = stakker();
            let a = failer(&mut s, &t);
            let r = query!([a, &mut s], make_failthru(form)).unwrap();
            match cause(i) {
                Some(c) => ret!([r], c),
                None => drop(r),
            }
            run(&mut s);
            let fails = matches!(i, 1 | 4);
            if fails {
                assert_eq!(take(&t), [expected[form as usize]], "form {form} cause {i}");
            } else {
                assert!(take(&t).is_empty(), "form {form} cause {i}");
                assert!(!a.is_zombie());
            }
        }
    }
}

/// `ret_fail!`/`ret_failthru!` as real child notifications.
struct Guardian {
    child: Option<ActorOwn<Probe>>,
}
impl Guardian {
    fn init(cx: CX![], t: Trace, thru: bool) -> Option<Self> {
        let notify = if thru {
            ret_failthru!(cx, "child failed")
        } else {
            ret_fail!(cx, "child ended")
        };
        let child = actor!(cx, Probe::init("child", t), notify);
        Some(Guardian { child: Some(child) })
    }
    fn drop_child(&mut self, _cx: CX![]) {
        self.child = None;
    }
    fn fail_child(&mut self, _cx: CX![]) {
        let child = self.child.as_ref().unwrap();
        call!([child], |_, cx| fail!(cx, "oops"));
    }
}

#[test]
fn ret_fail_and_failthru_as_child_notify() {
    let t = new_trace();
    let mut s = stakker();
    let g = actor!(s, Guardian::init(t.clone(), false), notify(&t, "g"));
    run(&mut s);
    call!([g], drop_child());
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "child init",
            "child drop",
            "g notify: Actor failed: child ended"
        ]
    );

    let g = actor!(s, Guardian::init(t.clone(), true), notify(&t, "g"));
    run(&mut s);
    call!([g], drop_child());
    run(&mut s);
    assert_eq!(take(&t), ["child init", "child drop"]);
    assert!(!g.is_zombie());

    let g = actor!(s, Guardian::init(t.clone(), true), notify(&t, "g"));
    run(&mut s);
    call!([g], fail_child());
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "child init",
            "child drop",
            "g notify: Actor failed: child failed"
        ]
    );
}

#[test]
fn kill_forms_and_dropped_owner() {
    let t = new_trace();
    let mut s = stakker();
    let a = actor!(s, Probe::init("a", t.clone()), notify(&t, "a"));
    let b = actor!(s, Probe::init("b", t.clone()), notify(&t, "b"));
    let mut c = actor!(s, Probe::init("c", t.clone()), notify(&t, "c"));
    run(&mut s);
    take(&t);
    call!([a], hit(1));
    kill!(a, "literal {x}");
    call!([a], hit(2)); // after the kill: dropped
    drop(a); // the queued kill holds its own owner: cause stays Killed
    let n = 2;
    kill!(&b, "formatted {}", n);
    drop(b);
    kill!(&mut c, Box::new(MyError("boxed")));
    kill!(c, "first cause wins");
    drop(c);
    assert!(take(&t).is_empty(), "kills are queued");
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "a hit 1",
            "a drop",
            "a notify: Actor was killed: literal {x}",
            "b drop",
            "b notify: Actor was killed: formatted 2",
            "c drop",
            "c notify: Actor was killed: MyError boxed",
        ]
    );
    // A boxed error converted with `.into()`.
    let d = actor!(s, Probe::init("d", t.clone()), notify(&t, "d"));
    kill!(d, "into".into());
    run(&mut s);
    assert_eq!(
        take(&t),
        ["d init", "d drop", "d notify: Actor was killed: into"]
    );
}

struct Owner {
    child: ActorOwn<Probe>,
}
impl Owner {
    fn init(cx: CX![], t: Trace) -> Option<Self> {
        let child = actor!(cx, Probe::init("field", t.clone()), notify(&t, "field"));
        Some(Owner { child })
    }
    fn kill_field(&mut self, _cx: CX![]) {
        kill!(self.child, "killed through a field"); // the field is only borrowed
        call!([self.child], hit(1)); // still usable; queued after the kill, so dropped
    }
}

#[test]
fn kill_on_a_field() {
    let t = new_trace();
    let mut s = stakker();
    let o = actor!(s, Owner::init(t.clone()), ret_nop!());
    run(&mut s);
    call!([o], kill_field());
    run(&mut s);
    assert_eq!(
        take(&t),
        [
            "field init",
            "field drop",
            "field notify: Actor was killed: killed through a field"
        ]
    );
}

#[test]
fn ret_shutdown_forms() {
    let mut s = stakker();
    let r = ret_shutdown!(s); // `s` only borrowed
    ret!([r], StopCause::Stopped);
    assert!(s.not_shutdown(), "recorded when the queued item runs");
    run(&mut s);
    assert_eq!(s.shutdown_reason().unwrap().to_string(), "Actor stopped");

    let r = ret_shutdown!(&mut s);
    drop(r);
    assert!(s.not_shutdown());
    run(&mut s);
    assert_eq!(
        s.shutdown_reason().unwrap().to_string(),
        "Actor was dropped"
    );

    let r = {
        let core: &mut Core = &mut s;
        ret_shutdown!(core)
    };
    ret!([r], StopCause::Failed(Box::new(MyError("x"))));
    run(&mut s);
    assert_eq!(
        s.shutdown_reason().unwrap().to_string(),
        "Actor failed: MyError x"
    );

    // From inside an actor, through its `Cx`; the actor is the top-level one.
    let t = new_trace();
    let top = actor!(s, Probe::init("top", t.clone()), ret_shutdown!(s));
    run(&mut s);
    let child = query!([top, &mut s], get_name("")).unwrap();
    assert_eq!(child, "top");
    top.query(&mut s, |_, cx| {
        let r = ret_shutdown!(cx);
        ret!([r], StopCause::Lost);
    });
    run(&mut s);
    assert_eq!(
        s.shutdown_reason().unwrap().to_string(),
        "Lost connection to actor"
    );
    drop(top);
    run(&mut s);
    assert_eq!(
        s.shutdown_reason().unwrap().to_string(),
        "Actor was dropped"
    );
}

// ---------------------------------------------------------------------------------------------
// CX!
// ---------------------------------------------------------------------------------------------

#[test]
fn cx_type_macro() {
    fn takes_explicit(cx: &mut Cx<'_, Shape>) -> usize {
        let _ = cx.this();
        1
    }
    fn takes_macro(cx: CX![Shape]) -> usize {
        takes_explicit(cx) + 1
    }
    struct S(Trace);
    impl S {
        fn init(_: CX![], t: Trace) -> Option<Self> {
            Some(S(t))
        }
        fn m(cx: CX![]) -> usize {
            let _: &Actor<S> = cx.this();
            3
        }
    }
    let t = new_trace();
    let mut s = stakker();
    let shape = actor_new!(s, Shape, ret_nop!());
    call!([shape], Square::init(1, t.clone()));
    run(&mut s);
    assert_eq!(shape.query(&mut s, |_, cx| takes_macro(cx)), Some(2));
    take(&t);
    let a = actor_new!(s, S, ret_nop!());
    call!([a], |this, cx| push(&this.0, format!("m = {}", S::m(cx))));
    call!([a], S::init(t.clone()));
    run(&mut s);
    assert_eq!(take(&t), ["m = 3"]);
    assert_eq!(a.query(&mut s, |_, cx| S::m(cx)), Some(3));
}

// ---------------------------------------------------------------------------------------------
// Several runtimes
// ---------------------------------------------------------------------------------------------

#[test]
fn calls_through_an_actor_reach_its_own_runtime() {
    let t = new_trace();
    let mut s1 = stakker();
    let mut s2 = stakker();
    let a = actor!(s1, Probe::init("a", t.clone()), ret_nop!());
    let b = actor!(s2, Probe::init("b", t.clone()), ret_nop!());
    run(&mut s1);
    run(&mut s2);
    take(&t);
    let a2 = a.clone();
    call!([b], |_, _| call!([a2], hit(1))); // made inside s2's run, reaches s1
    run(&mut s2);
    assert!(take(&t).is_empty());
    run(&mut s1);
    assert_eq!(take(&t), ["a hit 1"]);
    kill!(a, "k");
    run(&mut s2);
    assert!(take(&t).is_empty());
    run(&mut s1);
    assert_eq!(take(&t), ["a drop"]);
}

// ---------------------------------------------------------------------------------------------
// Hygiene: no prelude and no imports at the call site
// ---------------------------------------------------------------------------------------------

/// Every macro invoked by path from a module without the standard prelude and without `use`
/// statements, so the expansions may rely on nothing the call site has in scope.
#[no_implicit_prelude]
mod hygiene {
    type Log = ::std::rc::Rc<::std::cell::RefCell<::std::vec::Vec<::std::string::String>>>;

    fn log(l: &Log, s: &str) {
        l.borrow_mut().push(::std::string::ToString::to_string(s));
    }

    #[derive(::std::fmt::Debug)]
    struct E;
    impl ::std::fmt::Display for E {
        fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
            f.write_str("E")
        }
    }
    impl ::std::error::Error for E {}

    type Boxed = ::std::boxed::Box<dyn Tr>;
    trait Tr {
        fn t(&mut self, cx: ::stakker_core::CX![Boxed], l: Log);
    }
    struct Impl;
    impl Impl {
        fn init(_: ::stakker_core::CX![Boxed]) -> ::std::option::Option<Boxed> {
            ::std::option::Option::Some(::std::boxed::Box::new(Impl))
        }
    }
    impl Tr for Impl {
        fn t(&mut self, _: ::stakker_core::CX![Boxed], l: Log) {
            log(&l, "trait");
        }
    }

    struct H {
        l: Log,
        kids: ::stakker_core::ActorOwnSlab<H>,
        key_max: ::stakker_core::MaxTimerKey,
        key_min: ::stakker_core::MinTimerKey,
        /// Rets kept unanswered until the actor ends (instead of leaking them).
        keep: ::std::vec::Vec<::std::boxed::Box<dyn ::core::any::Any>>,
    }

    impl H {
        fn init(_: ::stakker_core::CX![], l: Log) -> ::std::option::Option<Self> {
            H::new(l)
        }
        fn new(l: Log) -> ::std::option::Option<Self> {
            ::std::option::Option::Some(H {
                l,
                kids: ::stakker_core::ActorOwnSlab::new(),
                key_max: ::std::default::Default::default(),
                key_min: ::std::default::Default::default(),
                keep: ::std::vec::Vec::new(),
            })
        }
        fn note(&mut self, _: ::stakker_core::CX![], s: &'static str) {
            log(&self.l, s);
        }
        fn note2(&mut self, _: ::stakker_core::CX![], a: &'static str, b: &'static str) {
            log(&self.l, a);
            log(&self.l, b);
        }
        fn opt(&mut self, _: ::stakker_core::CX![], s: &'static str, m: ::std::option::Option<u8>) {
            if m.is_none() {
                log(&self.l, s);
            }
        }
        fn prep(_: ::stakker_core::CX![], l: Log, s: &'static str) -> ::std::option::Option<Self> {
            log(&l, s);
            H::new(l)
        }
        fn prep_m(_: ::stakker_core::CX![], _l: Log, _m: u8) -> ::std::option::Option<Self> {
            ::std::option::Option::None
        }
        fn prep_o(
            _: ::stakker_core::CX![],
            _l: Log,
            _m: ::std::option::Option<u8>,
        ) -> ::std::option::Option<Self> {
            ::std::option::Option::None
        }
        fn prep_c(_: ::stakker_core::CX![], _m: u8) -> ::std::option::Option<Self> {
            ::std::option::Option::None
        }
        fn all(&mut self, cx: ::stakker_core::CX![]) {
            let l = ::std::clone::Clone::clone(&self.l);
            ::stakker_core::call!([cx], note("call"));
            ::stakker_core::call!([cx], |this, _| log(&this.l, "call closure"));
            let l2 = ::std::clone::Clone::clone(&l);
            ::stakker_core::call!([cx], |_| log(&l2, "call |s|"));
            ::stakker_core::lazy!([cx], note("lazy"));
            ::stakker_core::idle!([cx], note("idle"));
            let _k: ::stakker_core::FixedTimerKey =
                ::stakker_core::after!(::core::time::Duration::from_millis(1), [cx], note("after"));
            let when = cx.now() + ::core::time::Duration::from_millis(2);
            let _k = ::stakker_core::at!(when, [cx], note("at"));
            ::stakker_core::timer_max!(&mut self.key_max, when, [cx], note("max"));
            ::stakker_core::timer_min!(&mut self.key_min, when, [cx], note("min"));
            let kid = ::stakker_core::actor_in_slab!(
                self.kids,
                cx,
                H::init(::std::clone::Clone::clone(&l))
            );
            ::stakker_core::call!([kid], note("kid"));
            let _kid2 = ::stakker_core::actor_in_slab!(
                self.kids,
                cx,
                <H>::init(::std::clone::Clone::clone(&l)),
                ::stakker_core::ret_nop!()
            );
            let child = ::stakker_core::actor!(
                cx,
                H::init(::std::clone::Clone::clone(&l)),
                ::stakker_core::ret_failthru!(cx, "x")
            );
            let child2 =
                ::stakker_core::actor_new!(cx, H, ::stakker_core::ret_failthru!(cx, "y {}", 1));
            ::stakker_core::call!([child2], H::prep(::std::clone::Clone::clone(&l), "prep"));
            ::stakker_core::kill!(child, "k");
            ::stakker_core::kill!(child2, "k {}", 2);
            let f = ::stakker_core::fwd_to!([cx], note() as (&'static str));
            ::stakker_core::fwd!([f], "fwd_to");
            let f = ::stakker_core::fwd_to!([cx], note2() as (&'static str, &'static str));
            ::stakker_core::fwd!([f], "fwd_to 2a", "fwd_to 2b");
            let f = ::stakker_core::fwd_to!([cx], |this, _, s: &'static str| log(&this.l, s));
            ::stakker_core::fwd!([f], "fwd_to closure");
            let r = ::stakker_core::ret_to!([cx], opt("ret_to") as (u8));
            ::core::mem::drop(r);
            let r = ::stakker_core::ret_to!([cx], |this, _, m: Option<u8>| {
                if m.is_none() {
                    log(&this.l, "ret_to closure");
                }
            });
            ::core::mem::drop(r);
            let r = ::stakker_core::ret_some_to!([cx], note() as (&'static str));
            ::stakker_core::ret!([r], "ret_some_to");
            let r = ::stakker_core::ret_some_to!([cx], |this, _, s: &'static str| log(&this.l, s));
            ::stakker_core::ret!([r], "ret_some_to closure");
            let me = ::std::clone::Clone::clone(cx.this());
            let r: ::stakker_core::Ret<u8> =
                ::stakker_core::ret_to!([me], H::prep_o(::std::clone::Clone::clone(&l)) as (u8));
            ::core::mem::drop(r);
            let r: ::stakker_core::Ret<u8> = ::stakker_core::ret_some_to!(
                [me],
                <H>::prep_m(::std::clone::Clone::clone(&l)) as (u8)
            );
            ::core::mem::drop(r);
            let f: ::stakker_core::Fwd<u8> = ::stakker_core::fwd_to!([me], <H>::prep_c() as (u8));
            ::core::mem::drop(f);
            let _r: ::stakker_core::Ret<u8> = ::stakker_core::ret_fail!(cx, E);
            self.keep.push(::std::boxed::Box::new(_r));
            let _r = ::stakker_core::ret_failthru!(cx, E);
            self.keep.push(::std::boxed::Box::new(_r));
            let _r: ::stakker_core::Ret<u8> = ::stakker_core::ret_fail!(cx, "z");
            self.keep.push(::std::boxed::Box::new(_r));
            let _r: ::stakker_core::Ret<u8> = ::stakker_core::ret_fail!(cx, "z {}", 1);
            self.keep.push(::std::boxed::Box::new(_r));
            let _r = ::stakker_core::ret_shutdown!(cx);
            self.keep.push(::std::boxed::Box::new(_r));
            let l3 = ::std::clone::Clone::clone(&l);
            let f: ::stakker_core::Fwd<&'static str> =
                ::stakker_core::fwd_do!(move |s: &'static str| log(&l3, s));
            ::stakker_core::fwd!([f], "fwd_do");
            let l3 = ::std::clone::Clone::clone(&l);
            let r: ::stakker_core::Ret<&'static str> =
                ::stakker_core::ret_do!(move |s: ::std::option::Option<&'static str>| {
                    log(&l3, s.unwrap())
                });
            ::stakker_core::ret!([r], "ret_do");
            let l3 = ::std::clone::Clone::clone(&l);
            let r: ::stakker_core::Ret<&'static str> =
                ::stakker_core::ret_some_do!(move |s: &'static str| log(&l3, s));
            ::stakker_core::ret!([r], "ret_some_do");
            let f: ::stakker_core::Fwd<u8> = ::stakker_core::fwd_nop!();
            ::stakker_core::fwd!([f], 1);
            let r: ::stakker_core::Ret<()> = ::stakker_core::ret_nop!();
            ::stakker_core::ret!([r]);
            let _f: ::stakker_core::Fwd<u8> = ::stakker_core::fwd_panic!("p");
            let _r: ::stakker_core::Ret<u8> = ::stakker_core::ret_panic!("p");
        }
        fn end(&mut self, cx: ::stakker_core::CX![], how: u8) {
            match how {
                0 => ::stakker_core::stop!(cx),
                1 => ::stakker_core::fail!(cx, "lit {}"),
                2 => ::stakker_core::fail!(cx, "fmt {}", how),
                _ => ::stakker_core::fail!(cx, E),
            }
        }
    }

    pub(super) fn every_macro_without_prelude_or_imports() {
        let l: Log = ::std::default::Default::default();
        let t0 = ::stakker_core::time::Instant::from_secs(10);
        let mut s = ::stakker_core::Stakker::new(t0);
        let h = ::stakker_core::actor!(
            s,
            H::init(::std::clone::Clone::clone(&l)),
            ::stakker_core::ret_nop!()
        );
        ::stakker_core::call!([h], all());
        let boxed =
            ::stakker_core::actor_of_trait!(s, Boxed, Impl::init(), ::stakker_core::ret_nop!());
        ::stakker_core::call!([boxed], t(::std::clone::Clone::clone(&l)));
        s.run(t0, false);
        s.run(t0 + ::core::time::Duration::from_millis(10), true);
        ::std::assert_eq!(
            ::stakker_core::query!([h, &mut s], note("query")),
            ::std::option::Option::Some(())
        );
        ::std::assert_eq!(
            *l.borrow(),
            [
                "fwd_do",
                "ret_do",
                "ret_some_do",
                "trait",
                "call",
                "call closure",
                "call |s|",
                "kid",
                "prep",
                "fwd_to",
                "fwd_to 2a",
                "fwd_to 2b",
                "fwd_to closure",
                "ret_to",
                "ret_to closure",
                "ret_some_to",
                "ret_some_to closure",
                "lazy",
                "idle",
                "after",
                "at",
                "max",
                "min",
                "query",
            ]
        );

        let causes: Log = ::std::default::Default::default();
        for how in 0..4u8 {
            let c = ::std::clone::Clone::clone(&causes);
            let a = ::stakker_core::actor!(
                s,
                <H>::init(::std::clone::Clone::clone(&l)),
                ::stakker_core::ret_some_do!(move |sc: ::stakker_core::StopCause| {
                    log(&c, &::std::format!("{}", sc))
                })
            );
            ::stakker_core::call!([a, s], end(how));
            s.run(t0 + ::core::time::Duration::from_millis(10), false);
        }
        ::std::assert_eq!(
            *causes.borrow(),
            [
                "Actor stopped",
                "Actor failed: lit {}",
                "Actor failed: fmt 2",
                "Actor failed: E"
            ]
        );
    }
}

#[test]
fn every_macro_without_prelude_or_imports() {
    hygiene::every_macro_without_prelude_or_imports();
}

// ---------------------------------------------------------------------------------------------
// Calls queued after the runtime is gone
// ---------------------------------------------------------------------------------------------

/// An actor whose argument records when it is dropped.
struct Holder;

impl Holder {
    fn init(_: CX![]) -> Option<Self> {
        Some(Holder)
    }
    fn take(&mut self, _: CX![], _arg: DropFlag) {
        panic!("must not run: the runtime is gone");
    }
    fn make(_: CX![], _arg: DropFlag) -> Option<Self> {
        panic!("must not run: the runtime is gone");
    }
}

/// Sets its flag when dropped.
struct DropFlag(Rc<Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn call_after_runtime_dropped_is_discarded_even_when_it_holds_the_last_reference() {
    // The queued item owns the only remaining references to the actor, and the actor the only
    // one to the runtime's queues: refusing the item frees the runtime from inside `call!`.
    for prep in [false, true] {
        let mut s = stakker();
        let own = actor!(s, Holder::init(), ret_nop!());
        s.run(T0, false);
        let actor: Actor<Holder> = own.clone();
        drop(own);
        drop(s);
        let dropped = Rc::new(Cell::new(false));
        let arg = DropFlag(dropped.clone());
        if prep {
            call!([actor], Holder::make(arg));
        } else {
            call!([actor], take(arg));
        }
        assert!(
            dropped.get(),
            "the refused call's arguments are dropped at once"
        );
        // Now a `Ret` that owns the last reference to the actor, and so to the runtime.
        let r: Ret<DropFlag> = Ret::some_to_actor(actor, |this, cx, m| this.take(cx, m));
        let dropped2 = Rc::new(Cell::new(false));
        ret!([r], DropFlag(dropped2.clone()));
        assert!(dropped2.get());
        assert_eq!(Rc::strong_count(&dropped), 1);
        assert_eq!(Rc::strong_count(&dropped2), 1);
    }
}
