//! The public macros.
//!
//! Every macro is exported at the crate root. Expansions name items only through `$crate::`
//! and `::core::` paths, so they work in `#![no_std]` crates and in modules without a prelude,
//! and nothing needs to be imported where they are used.
//!
//! Argument expressions are evaluated once, at the call site, in source order, before the
//! runtime is borrowed: the target actor reference is cloned first, then the arguments are
//! bound to fresh locals, and only then is the queue reached. So an argument may read from the
//! same `cx` the call goes through (`call!([cx], tick(cx.now()))`). The exceptions are
//! [`query!`](crate::query), whose call arguments are evaluated inside the synchronous call, and
//! [`actor!`](crate::actor)-style creation, where the order of the notify expression and the
//! init arguments is unspecified.
//!
//! Closures given to the call macros are always `move`; writing `move` is an error:
//!
//! ```compile_fail
//! use stakker_core::{call, CX};
//! struct A;
//! impl A {
//!     fn go(&mut self, cx: CX![]) {
//!         call!([cx], move |_this, _cx| ());
//!     }
//! }
//! ```
//!
//! ```compile_fail
//! use stakker_core::{fwd_to, Fwd, CX};
//! struct A;
//! impl A {
//!     fn go(&mut self, cx: CX![]) {
//!         let _f: Fwd<u32> = fwd_to!([cx], move |_this, _cx, _n: u32| ());
//!     }
//! }
//! ```
//!
//! The same code without `move` compiles:
//!
//! ```
//! use stakker_core::{call, fwd_to, Fwd, CX};
//! struct A;
//! impl A {
//!     fn go(&mut self, cx: CX![]) {
//!         call!([cx], |_this, _cx| ());
//!         let _f: Fwd<u32> = fwd_to!([cx], |_this, _cx, _n: u32| ());
//!     }
//! }
//! ```
//!
//! # Paths before `::init`
//!
//! Wherever a Prep method may be named (`actor!`, `actor_of_trait!`, `actor_in_slab!`, call
//! bodies, `fwd_to!`/`ret_to!`/`ret_some_to!`), a path of plain identifiers may stand before
//! it: `bank::Account::init(..)` is read as `<bank::Account>::init(..)`. A generic type still
//! needs the angle brackets, `<Account<u64>>::init(..)`, and `actor!` says so when given a
//! turbofish (`Account::<u64>::init(..)`).
//!
//! ```
//! use stakker_core::{actor, call, fwd_to, ret_nop, Stakker, CX};
//! use stakker_core::time::Instant;
//!
//! mod bank {
//!     pub mod accounts {
//!         use stakker_core::CX;
//!         pub struct Account(pub u64);
//!         impl Account {
//!             pub fn init(_: CX![], balance: u64) -> Option<Self> { Some(Account(balance)) }
//!             pub fn reset(_: CX![], balance: u64) -> Option<Self> { Some(Account(balance)) }
//!         }
//!     }
//! }
//!
//! let mut s = Stakker::new(Instant::ZERO);
//! let a = actor!(s, bank::accounts::Account::init(5), ret_nop!());
//! let b = stakker_core::actor_new!(s, bank::accounts::Account, ret_nop!());
//! let reset = fwd_to!([b], bank::accounts::Account::reset() as (u64));
//! stakker_core::fwd!([reset], 9);
//! s.run(Instant::ZERO, false);
//! assert_eq!(a.query(&mut s, |this, _| this.0), Some(5));
//! assert_eq!(b.query(&mut s, |this, _| this.0), Some(9));
//! call!([b], bank::accounts::Account::init(1)); // a Prep call to a Ready actor: dropped
//! ```
//!
//! # Mistakes named at compile time
//!
//! Each block below fails to compile; the message it gives (checked by hand with rustc 1.95,
//! since doc tests only check that compilation fails) is quoted above it.
//!
//! "stakker: the message types are missing: add them after the call, e.g. `got() as (u64)`
//! for `fn got(&mut self, cx: CX![], n: u64)`, or `as ()` for no message":
//!
//! ```compile_fail
//! use stakker_core::{ret_some_to, Ret, CX};
//! struct A;
//! impl A {
//!     fn ask(&mut self, cx: CX![]) {
//!         let _r: Ret<u64> = ret_some_to!([cx], got());
//!     }
//!     fn got(&mut self, _: CX![], _n: u64) {}
//! }
//! ```
//!
//! "stakker: put the message types in parentheses: `as (T)`, `as (T1, T2, ..)`, or `as ()`
//! for no message":
//!
//! ```compile_fail
//! use stakker_core::{ret_some_to, Ret, CX};
//! struct A;
//! impl A {
//!     fn ask(&mut self, cx: CX![]) {
//!         let _r: Ret<u64> = ret_some_to!([cx], got() as u64);
//!     }
//!     fn got(&mut self, _: CX![], _n: u64) {}
//! }
//! ```
//!
//! "stakker: for a generic type write `<Type<T>>::init(..)` (or `<module::Type<T>>::init(..)`)":
//!
//! ```compile_fail
//! use stakker_core::{actor, ret_nop, Stakker, CX};
//! struct G<T>(T);
//! impl<T: 'static> G<T> {
//!     fn init(_: CX![], t: T) -> Option<Self> { Some(G(t)) }
//! }
//! let mut s = Stakker::new(stakker_core::time::Instant::ZERO);
//! let _g = actor!(s, G::<u8>::init(1), ret_nop!());
//! ```
//!
//! The owning and replying handles are `#[must_use]`, with a message saying what dropping
//! them does, so `actor!(..);` written as a statement (the actor would be dropped, and so
//! terminated, at once) warns: "unused `ActorOwn` that must be used ... dropping the last
//! ActorOwn terminates the actor at once (StopCause::Dropped), and `let _ = ..` drops it too".
//! Likewise `Ret` ("answers None at once"), `Fwd` ("does nothing until messages are sent"),
//! `MaxTimerKey`/`MinTimerKey` and `IntervalKey` (see [`interval!`](crate::interval)).
//! `FixedTimerKey` is deliberately not `#[must_use]`: `after!(..);` is how a timer that is
//! never cancelled is written.
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! use stakker_core::{actor, ret_nop, Stakker, CX};
//! struct A;
//! impl A {
//!     fn init(_: CX![]) -> Option<Self> { Some(A) }
//! }
//! let mut s = Stakker::new(stakker_core::time::Instant::ZERO);
//! actor!(s, A::init(), ret_nop!());
//! ```
//!
//! ```compile_fail
//! #![deny(unused_must_use)]
//! use stakker_core::{ret_some_to, CX};
//! struct A;
//! impl A {
//!     fn ask(&mut self, cx: CX![]) {
//!         ret_some_to!([cx], got() as (u64));
//!     }
//!     fn got(&mut self, _: CX![], _n: u64) {}
//! }
//! ```
//!
//! The same with the handles kept compiles under the same lint level:
//!
//! ```
//! #![deny(unused_must_use)]
//! use stakker_core::{actor, after, ret_nop, ret_some_to, Stakker, CX};
//! use stakker_core::time::Duration;
//! struct A;
//! impl A {
//!     fn init(_: CX![]) -> Option<Self> { Some(A) }
//!     fn ask(&mut self, cx: CX![]) {
//!         let _r = ret_some_to!([cx], got() as (u64));
//!         after!(Duration::from_secs(1), [cx], got(1)); // the key may be dropped
//!     }
//!     fn got(&mut self, _: CX![], _n: u64) {}
//! }
//! let mut s = Stakker::new(stakker_core::time::Instant::ZERO);
//! let _a = actor!(s, A::init(), ret_nop!());
//! ```
//!
//! A call with a missing or extra argument is reported by rustc itself (E0061, "this method
//! takes 3 arguments but 2 arguments were supplied"). Two things in that report come from
//! the macro, not from your code: the count includes the `cx` the macro passes first (so
//! your first argument is "argument #2"), and the "provide the argument" help shows the
//! macro's own call (`this.(cx, /* Ret<u64> */)`). The fix goes in the `method(..)` argument
//! list you wrote.

// ---------------------------------------------------------------------------------------------
// Internal helpers
// ---------------------------------------------------------------------------------------------

/// Pairs each argument and each message type with a fresh identifier, then invokes
/// `$crate::$cb!(data.. [arg idents] [type idents])`.
///
/// Items to count are given as one token tree each (`[(a) (b)]`). The identifiers are written
/// here, so they are hygienic: user code can neither see nor shadow them.
#[doc(hidden)]
#[macro_export]
macro_rules! __stakker_ids {
    ($cb:ident {$($data:tt)*} [$($a:tt)*] [$($m:tt)*]) => {
        $crate::__stakker_ids!(@next $cb {$($data)*} [$($a)*] [$($m)*] [] []
            [
                __stakker_a0 __stakker_a1 __stakker_a2 __stakker_a3 __stakker_a4 __stakker_a5
                __stakker_a6 __stakker_a7 __stakker_a8 __stakker_a9 __stakker_a10 __stakker_a11
                __stakker_a12 __stakker_a13 __stakker_a14 __stakker_a15 __stakker_a16
                __stakker_a17 __stakker_a18 __stakker_a19 __stakker_a20 __stakker_a21
                __stakker_a22 __stakker_a23
            ]
            [
                __stakker_m0 __stakker_m1 __stakker_m2 __stakker_m3 __stakker_m4 __stakker_m5
                __stakker_m6 __stakker_m7 __stakker_m8 __stakker_m9 __stakker_m10 __stakker_m11
                __stakker_m12 __stakker_m13 __stakker_m14 __stakker_m15 __stakker_m16
                __stakker_m17 __stakker_m18 __stakker_m19 __stakker_m20 __stakker_m21
                __stakker_m22 __stakker_m23
            ])
    };
    // One more argument.
    (@next $cb:ident $data:tt [$_x:tt $($a:tt)*] $m:tt [$($ao:ident)*] $mo:tt
        [$id:ident $($ids:ident)*] $mids:tt) => {
        $crate::__stakker_ids!(@next $cb $data [$($a)*] $m [$($ao)* $id] $mo [$($ids)*] $mids)
    };
    (@next $cb:ident $data:tt [$_x:tt $($a:tt)*] $m:tt $ao:tt $mo:tt [] $mids:tt) => {
        ::core::compile_error!("stakker: too many call arguments (at most 24 are supported)")
    };
    // One more message type.
    (@next $cb:ident $data:tt [] [$_x:tt $($m:tt)*] $ao:tt [$($mo:ident)*]
        $ids:tt [$id:ident $($mids:ident)*]) => {
        $crate::__stakker_ids!(@next $cb $data [] [$($m)*] $ao [$($mo)* $id] $ids [$($mids)*])
    };
    (@next $cb:ident $data:tt [] [$_x:tt $($m:tt)*] $ao:tt $mo:tt $ids:tt []) => {
        ::core::compile_error!("stakker: too many message types (at most 24 are supported)")
    };
    (@next $cb:ident {$($data:tt)*} [] [] $ao:tt $mo:tt $ids:tt $mids:tt) => {
        $crate::$cb!($($data)* $ao $mo)
    };
}

/// Turns a path call `a::b::Type::method` (given as `[a] b Type method`) into
/// `<a::b::Type>::method` and re-invokes `$crate::$mac!` with it between `pre` and `post`.
///
/// A matcher cannot split `$($seg:ident)::+` before its last segment itself (both ways of
/// reading the next identifier would be open at once), hence this muncher.
#[doc(hidden)]
#[macro_export]
macro_rules! __stakker_with_path {
    ($mac:ident [$($pre:tt)*] [$($ty:tt)*] $m:ident; $($post:tt)*) => {
        $crate::$mac!($($pre)* <$($ty)*>::$m $($post)*)
    };
    ($mac:ident [$($pre:tt)*] [$($ty:tt)*] $seg:ident $($rest:ident)+; $($post:tt)*) => {
        $crate::__stakker_with_path!($mac [$($pre)*] [$($ty)* :: $seg] $($rest)+; $($post)*)
    };
}

/// Clones the actor reference out of anything with `access_actor()` (`Actor`, `ActorOwn`,
/// `Cx`, by value or reference), borrowing the expression only.
#[doc(hidden)]
#[macro_export]
macro_rules! __stakker_actor_of {
    ($a:expr) => {
        <$crate::Actor<_> as ::core::clone::Clone>::clone($a.access_actor())
    };
}

/// Puts a `FnOnce(&mut Stakker)` item on the queue selected by the calling macro.
///
/// Queue targets: `one actor (x)` (a one-element target `[x]`), `two actor (core)` (an
/// `[actor, core]` target) and `core _ (core)` (a one-parameter closure).
#[doc(hidden)]
#[macro_export]
macro_rules! __stakker_queue {
    // `call!([actor], ..)`: through the actor's own deferrer.
    (call () one $actor:ident $_x:tt; $cb:expr) => {{
        let __stakker_deferrer =
            <$crate::Deferrer as ::core::clone::Clone>::clone($actor.access_deferrer());
        __stakker_deferrer.defer($cb);
    }};
    (call () $_k:ident $_a:tt ($q:expr); $cb:expr) => {{
        $q.access_deferrer().defer($cb);
    }};
    (lazy () $_k:ident $_a:tt ($q:expr); $cb:expr) => {{
        $q.access_core().lazy($cb);
    }};
    (idle () $_k:ident $_a:tt ($q:expr); $cb:expr) => {{
        $q.access_core().idle($cb);
    }};
    (after ($dur:ident) $_k:ident $_a:tt ($q:expr); $cb:expr) => {
        $q.access_core().after($dur, $cb)
    };
    (at ($inst:ident) $_k:ident $_a:tt ($q:expr); $cb:expr) => {
        $q.access_core().timer_add($inst, $cb)
    };
    (interval ($period:ident) $_k:ident $_a:tt ($q:expr); $cb:expr) => {
        $q.access_core().interval($period, $cb)
    };
    (timer_max ($key:ident $inst:ident) $_k:ident $_a:tt ($q:expr); $cb:expr) => {{
        let __stakker_core: &mut $crate::Core = $q.access_core();
        if !__stakker_core.timer_max_upd(*$key, $inst) {
            *$key = __stakker_core.timer_max_add($inst, $cb);
        }
    }};
    (timer_min ($key:ident $inst:ident) $_k:ident $_a:tt ($q:expr); $cb:expr) => {{
        let __stakker_core: &mut $crate::Core = $q.access_core();
        if !__stakker_core.timer_min_upd(*$key, $inst) {
            *$key = __stakker_core.timer_min_add($inst, $cb);
        }
    }};
}

/// Common code of `call!`, `lazy!`, `idle!`, `after!`, `at!`, `timer_max!` and `timer_min!`:
/// parses the target and the body.
#[doc(hidden)]
#[macro_export]
macro_rules! __stakker_generic_call {
    ($op:ident $pre:tt; [$($t:tt)*], move $($rest:tt)*) => {
        ::core::compile_error!(
            "stakker: do not write `move` before this closure: it is always a `move` closure"
        )
    };
    // `call!([cx], |this, cx| ..)` is queued as an actor call (the path `explore` intercepts);
    // the other ops take the inline-code arms below.
    (call (); [$cx:expr $(,)?], |$this:pat_param, $c:pat_param $(,)?| $body:expr $(,)?) => {
        $crate::__private::defer_apply_owned(
            $crate::__stakker_actor_of!($cx),
            move |$this, $c| $body,
        )
    };
    // `call!([actor, core], |this, cx| ..)`: queued through `core`, where `explore` sees it.
    (call (); [$a:expr, $q:expr $(,)?], |$this:pat_param, $c:pat_param $(,)?| $body:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($a);
        $crate::explore::__defer_call($q.access_deferrer(), __stakker_actor,
            move |a, s| a.apply(s, move |$this, $c| $body))
    }};
    // Inline code not tied to an actor: `[core], |s| ..`.
    ($op:ident $pre:tt; [$q:expr $(,)?], |$s:pat_param| $body:expr $(,)?) => {
        $crate::__stakker_queue!($op $pre core _ ($q);
            move |$s: &mut $crate::Stakker| $body)
    };
    ($op:ident $pre:tt; [$q:expr $(,)?], |$s:ident : $sty:ty| $body:expr $(,)?) => {
        $crate::__stakker_queue!($op $pre core _ ($q); move |$s: $sty| $body)
    };
    // `interval!` with inline code: each tick runs a clone of the closure.
    (interval $pre:tt; [$cx:expr $(,)?],
     |$this:pat_param, $c:pat_param $(,)?| $body:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        let __stakker_body =
            $crate::__private::interval_body(&__stakker_actor, move |$this, $c| $body);
        $crate::__stakker_queue!(interval $pre one __stakker_actor ($cx);
            move |s: &mut $crate::Stakker| {
                __stakker_actor.apply(s, ::core::clone::Clone::clone(&__stakker_body))
            })
    }};
    (interval $pre:tt; [$a:expr, $q:expr $(,)?],
     |$this:pat_param, $c:pat_param $(,)?| $body:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($a);
        let __stakker_body =
            $crate::__private::interval_body(&__stakker_actor, move |$this, $c| $body);
        $crate::__stakker_queue!(interval $pre two __stakker_actor ($q);
            move |s: &mut $crate::Stakker| {
                __stakker_actor.apply(s, ::core::clone::Clone::clone(&__stakker_body))
            })
    }};
    // Inline code run like a Ready call: `[cx], |this, cx| ..`.
    ($op:ident $pre:tt; [$cx:expr $(,)?],
     |$this:pat_param, $c:pat_param $(,)?| $body:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        $crate::__stakker_queue!($op $pre one __stakker_actor ($cx);
            move |s: &mut $crate::Stakker| __stakker_actor.apply(s, move |$this, $c| $body))
    }};
    ($op:ident $pre:tt; [$a:expr, $q:expr $(,)?],
     |$this:pat_param, $c:pat_param $(,)?| $body:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($a);
        $crate::__stakker_queue!($op $pre two __stakker_actor ($q);
            move |s: &mut $crate::Stakker| __stakker_actor.apply(s, move |$this, $c| $body))
    }};
    // Prep calls.
    ($op:ident $pre:tt; [$($t:tt)*], <$ty:ty>::$m:ident($($x:expr),* $(,)?) $(,)?) => {
        $crate::__stakker_generic_call!(@target $op $pre [$($t)*] prep (<$ty>::$m) ($($x),*))
    };
    ($op:ident $pre:tt; [$($t:tt)*], $ty:ident::$m:ident($($x:expr),* $(,)?) $(,)?) => {
        $crate::__stakker_generic_call!(@target $op $pre [$($t)*] prep (<$ty>::$m) ($($x),*))
    };
    // `module::Type::method(..)`: read as `<module::Type>::method(..)`.
    ($op:ident $pre:tt; [$($t:tt)*], $first:ident $(::$seg:ident)+($($x:expr),* $(,)?) $(,)?) => {
        $crate::__stakker_with_path!(__stakker_generic_call [$op $pre; [$($t)*],] [$first]
            $($seg)+; ($($x),*))
    };
    // Ready calls.
    ($op:ident $pre:tt; [$($t:tt)*], $m:ident($($x:expr),* $(,)?) $(,)?) => {
        $crate::__stakker_generic_call!(@target $op $pre [$($t)*] ready ($m) ($($x),*))
    };
    (@target $op:ident $pre:tt [$a:expr $(,)?] $kind:ident $callee:tt ($($x:expr),*)) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($a);
        $crate::__stakker_ids!(__stakker_call_body
            {$op $pre one __stakker_actor ($a) $kind $callee ($($x),*)} [$(($x))*] [])
    }};
    (@target $op:ident $pre:tt [$a:expr, $q:expr $(,)?] $kind:ident $callee:tt
     ($($x:expr),*)) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($a);
        $crate::__stakker_ids!(__stakker_call_body
            {$op $pre two __stakker_actor ($q) $kind $callee ($($x),*)} [$(($x))*] [])
    }};
}

/// Binds the arguments to locals, builds the queued item and queues it.
#[doc(hidden)]
#[macro_export]
macro_rules! __stakker_call_body {
    // `interval!`: the item runs once per tick, so each tick gets clones of the arguments.
    (interval $pre:tt $qk:ident $actor:ident $q:tt ready ($m:ident) ($($x:expr),*)
     [$($a:ident)*] []) => {{
        $(let $a = $x;)*
        $crate::__stakker_queue!(interval $pre $qk $actor $q;
            move |s: &mut $crate::Stakker| {
                $(let $a = ::core::clone::Clone::clone(&$a);)*
                $actor.apply(s, move |this, cx| this.$m(cx $(, $a)*))
            })
    }};
    (interval $pre:tt $qk:ident $actor:ident $q:tt prep ($($callee:tt)*) ($($x:expr),*)
     [$($a:ident)*] []) => {{
        $(let $a = $x;)*
        $crate::__stakker_queue!(interval $pre $qk $actor $q;
            move |s: &mut $crate::Stakker| {
                $(let $a = ::core::clone::Clone::clone(&$a);)*
                $actor.apply_prep(s, move |cx| $($callee)*(cx $(, $a)*))
            })
    }};
    // `call!([actor], ..)`: the item takes over the actor reference cloned for it.
    (call () one $actor:ident $q:tt ready ($m:ident) ($($x:expr),*) [$($a:ident)*] []) => {{
        $(let $a = $x;)*
        $crate::__private::defer_apply_owned($actor, move |this, cx| this.$m(cx $(, $a)*))
    }};
    (call () one $actor:ident $q:tt prep ($($callee:tt)*) ($($x:expr),*) [$($a:ident)*] []) => {{
        $(let $a = $x;)*
        $crate::__private::defer_apply_prep_owned($actor, move |cx| $($callee)*(cx $(, $a)*))
    }};
    // `call!([actor, core], ..)`: queued through `core`, where `explore` sees it.
    (call () two $actor:ident ($q:expr) ready ($m:ident) ($($x:expr),*) [$($a:ident)*] []) => {{
        $(let $a = $x;)*
        $crate::explore::__defer_call($q.access_deferrer(), $actor,
            move |a, s| a.apply(s, move |this, cx| this.$m(cx $(, $a)*)))
    }};
    (call () two $actor:ident ($q:expr) prep ($($callee:tt)*) ($($x:expr),*) [$($a:ident)*] []) => {{
        $(let $a = $x;)*
        $crate::explore::__defer_call($q.access_deferrer(), $actor,
            move |a, s| a.apply_prep(s, move |cx| $($callee)*(cx $(, $a)*)))
    }};
    ($op:ident $pre:tt $qk:ident $actor:ident $q:tt ready ($m:ident) ($($x:expr),*)
     [$($a:ident)*] []) => {{
        $(let $a = $x;)*
        $crate::__stakker_queue!($op $pre $qk $actor $q;
            move |s: &mut $crate::Stakker| $actor.apply(s, move |this, cx| this.$m(cx $(, $a)*)))
    }};
    ($op:ident $pre:tt $qk:ident $actor:ident $q:tt prep ($($callee:tt)*) ($($x:expr),*)
     [$($a:ident)*] []) => {{
        $(let $a = $x;)*
        $crate::__stakker_queue!($op $pre $qk $actor $q;
            move |s: &mut $crate::Stakker| $actor.apply_prep(s, move |cx| $($callee)*(cx $(, $a)*)))
    }};
}

/// Common code of `fwd_to!`, `ret_to!` and `ret_some_to!`.
///
/// `plain` style: the message is passed as trailing arguments; `opt` style (`ret_to!`): as a
/// single `Option<M>`. The two constructor paths are for Ready and Prep targets.
#[doc(hidden)]
#[macro_export]
macro_rules! __stakker_generic_fwd {
    ($style:ident $rc:tt $pc:tt; [$($t:tt)*], move $($rest:tt)*) => {
        ::core::compile_error!(
            "stakker: do not write `move` before this closure: it is always a `move` closure"
        )
    };
    (plain ($($rc:tt)*) $pc:tt; [$cx:expr $(,)?],
     |$this:pat_param, $c:pat_param, $arg:ident : $t:ty $(,)?| $body:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        $($rc)*(__stakker_actor, move |$this, $c, $arg: $t| $body)
    }};
    (plain ($($rc:tt)*) $pc:tt; [$cx:expr $(,)?],
     |$this:pat_param, $c:pat_param $(, $arg:ident : $t:ty)* $(,)?| $body:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        $($rc)*(__stakker_actor, move |$this, $c, ($($arg,)*): ($($t,)*)| $body)
    }};
    (opt $rc:tt $pc:tt; [$($t:tt)*], |$($rest:tt)*) => {
        ::core::compile_error!(
            "stakker: the closure form of `ret_to!` is `|this, cx, name: Option<T>| body`"
        )
    };
    ($style:ident $rc:tt $pc:tt; [$a:expr $(,)?],
     <$ty:ty>::$m:ident($($x:expr),* $(,)?) as ($($mt:ty),* $(,)?) $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($a);
        $crate::__stakker_ids!(__stakker_fwd_body
            {$style $pc __stakker_actor prep (<$ty>::$m) ($($x),*) ($($mt),*)}
            [$(($x))*] [$(($mt))*])
    }};
    ($style:ident $rc:tt $pc:tt; [$a:expr $(,)?],
     $ty:ident::$m:ident($($x:expr),* $(,)?) as ($($mt:ty),* $(,)?) $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($a);
        $crate::__stakker_ids!(__stakker_fwd_body
            {$style $pc __stakker_actor prep (<$ty>::$m) ($($x),*) ($($mt),*)}
            [$(($x))*] [$(($mt))*])
    }};
    ($style:ident $rc:tt $pc:tt; [$a:expr $(,)?],
     $m:ident($($x:expr),* $(,)?) as ($($mt:ty),* $(,)?) $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($a);
        $crate::__stakker_ids!(__stakker_fwd_body
            {$style $rc __stakker_actor ready ($m) ($($x),*) ($($mt),*)}
            [$(($x))*] [$(($mt))*])
    }};
    // `module::Type::method(..) as (..)`: read as `<module::Type>::method(..) as (..)`.
    ($style:ident $rc:tt $pc:tt; [$($t:tt)*],
     $first:ident $(::$seg:ident)+($($x:expr),* $(,)?) as ($($mt:ty),* $(,)?) $(,)?) => {
        $crate::__stakker_with_path!(__stakker_generic_fwd [$style $rc $pc; [$($t)*],] [$first]
            $($seg)+; ($($x),*) as ($($mt),*))
    };
    // Common mistakes, each with the fix.
    ($style:ident $rc:tt $pc:tt; [$($t:tt)*],
     $(<$ty:ty>::)? $($p:ident)::+($($x:expr),* $(,)?) as $t0:ident $($rest:tt)*) => {
        ::core::compile_error!(
            "stakker: put the message types in parentheses: `as (T)`, `as (T1, T2, ..)`, or `as ()` for no message"
        )
    };
    ($style:ident $rc:tt $pc:tt; [$($t:tt)*], $(<$ty:ty>::)? $($p:ident)::+($($x:expr),* $(,)?) $(,)?) => {
        ::core::compile_error!(
            "stakker: the message types are missing: add them after the call, e.g. `got() as (u64)` for `fn got(&mut self, cx: CX![], n: u64)`, or `as ()` for no message"
        )
    };
}

/// Binds the fixed arguments to locals and builds the `Fwd`/`Ret`.
#[doc(hidden)]
#[macro_export]
macro_rules! __stakker_fwd_body {
    // One message type: the message is that type, never a 1-tuple.
    (plain ($($ctor:tt)*) $actor:ident ready ($m:ident) ($($x:expr),*) ($t:ty)
     [$($a:ident)*] [$m0:ident]) => {{
        $(let $a = $x;)*
        $($ctor)*($actor, move |this, cx, $m0: $t| this.$m(cx $(, $a)*, $m0))
    }};
    (plain ($($ctor:tt)*) $actor:ident prep ($($callee:tt)*) ($($x:expr),*) ($t:ty)
     [$($a:ident)*] [$m0:ident]) => {{
        $(let $a = $x;)*
        $($ctor)*($actor, move |cx, $m0: $t| $($callee)*(cx $(, $a)*, $m0))
    }};
    // None: `()`; two or more: a tuple.
    (plain ($($ctor:tt)*) $actor:ident ready ($m:ident) ($($x:expr),*) ($($t:ty),*)
     [$($a:ident)*] [$($mi:ident)*]) => {{
        $(let $a = $x;)*
        $($ctor)*($actor, move |this, cx, ($($mi,)*): ($($t,)*)| this.$m(cx $(, $a)* $(, $mi)*))
    }};
    (plain ($($ctor:tt)*) $actor:ident prep ($($callee:tt)*) ($($x:expr),*) ($($t:ty),*)
     [$($a:ident)*] [$($mi:ident)*]) => {{
        $(let $a = $x;)*
        $($ctor)*($actor, move |cx, ($($mi,)*): ($($t,)*)| $($callee)*(cx $(, $a)* $(, $mi)*))
    }};
    // `ret_to!`: the whole message as one `Option`.
    (opt ($($ctor:tt)*) $actor:ident ready ($m:ident) ($($x:expr),*) ($t:ty)
     [$($a:ident)*] $_mi:tt) => {{
        $(let $a = $x;)*
        $($ctor)*($actor, move |this, cx, msg: ::core::option::Option<$t>| {
            this.$m(cx $(, $a)*, msg)
        })
    }};
    (opt ($($ctor:tt)*) $actor:ident prep ($($callee:tt)*) ($($x:expr),*) ($t:ty)
     [$($a:ident)*] $_mi:tt) => {{
        $(let $a = $x;)*
        $($ctor)*($actor, move |cx, msg: ::core::option::Option<$t>| {
            $($callee)*(cx $(, $a)*, msg)
        })
    }};
    (opt ($($ctor:tt)*) $actor:ident ready ($m:ident) ($($x:expr),*) ($($t:ty),*)
     [$($a:ident)*] $_mi:tt) => {{
        $(let $a = $x;)*
        $($ctor)*($actor, move |this, cx, msg: ::core::option::Option<($($t,)*)>| {
            this.$m(cx $(, $a)*, msg)
        })
    }};
    (opt ($($ctor:tt)*) $actor:ident prep ($($callee:tt)*) ($($x:expr),*) ($($t:ty),*)
     [$($a:ident)*] $_mi:tt) => {{
        $(let $a = $x;)*
        $($ctor)*($actor, move |cx, msg: ::core::option::Option<($($t,)*)>| {
            $($callee)*(cx $(, $a)*, msg)
        })
    }};
}

// ---------------------------------------------------------------------------------------------
// Context type
// ---------------------------------------------------------------------------------------------

/// The type of an actor method's context argument.
///
/// `CX![]` is `&mut Cx<'_, Self>`; `CX![T]` is `&mut Cx<'_, T>`, for methods whose actor
/// state type is not `Self` (Prep methods of [`actor_of_trait!`](crate::actor_of_trait)
/// actors, trait methods).
///
/// ```
/// use stakker_core::{actor_new, call, ret_nop, Cx, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Shape { sides: u32 }
/// struct Square;
/// impl Square {
///     // A Prep method declared on another type, for an `Actor<Shape>`.
///     fn init(_: CX![Shape]) -> Option<Shape> { Some(Shape { sides: 4 }) }
/// }
/// impl Shape {
///     fn double(&mut self, _cx: CX![]) { self.sides *= 2; }
///     fn add(&mut self, _cx: &mut Cx<'_, Shape>, n: u32) { self.sides += n; }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let shape = actor_new!(s, Shape, ret_nop!());
/// call!([shape], Square::init());
/// call!([shape], double());
/// call!([shape], add(1));
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(shape.query(&mut s, |this, _| this.sides), Some(9));
/// ```
#[macro_export]
macro_rules! CX {
    () => { &mut $crate::Cx<'_, Self> };
    ($t:ty $(,)?) => { &mut $crate::Cx<'_, $t> };
}

// ---------------------------------------------------------------------------------------------
// Calls
// ---------------------------------------------------------------------------------------------

/// Queues an actor call or inline code on the main queue.
///
/// ```text
/// call!([cx], method(args..));              // Ready call to this actor
/// call!([actor], method(args..));           // ... to another actor (`Actor`, `ActorOwn`, `Cx`)
/// call!([actor, core], method(args..));     // ... queued through `core` (`Stakker`, `Core`, `Cx`)
/// call!([cx], Type::method(args..));        // Prep call: `<Type>::method(cx, args..)`
/// call!([actor], <path::Type>::method(args..));
/// call!([cx], |this, cx| ..);               // inline code run like a Ready call on this actor
/// call!([core], |s| ..);                    // inline code with `s: &mut Stakker`
/// ```
///
/// A Ready call is made with method-call syntax on the state, `this.method(cx, args..)`, and
/// delivered through [`Actor::apply`](crate::Actor::apply): it runs when it reaches the front
/// of the main queue, or is parked until the actor becomes Ready. A Prep call is
/// `<Type>::method(cx, args..)`, which must return `Option<A>` for the actor's state type `A`,
/// delivered through [`Actor::apply_prep`](crate::Actor::apply_prep). Every argument is
/// evaluated now, in order; the target expressions are only borrowed. Closures are always
/// `move` (writing `move` is an error). Returns `()`.
///
/// ```
/// use stakker_core::{actor, call, ret_nop, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Log(Vec<String>);
/// impl Log {
///     fn init(_: CX![]) -> Option<Self> { Some(Log(Vec::new())) }
///     fn add(&mut self, cx: CX![], a: u32, b: u32) {
///         self.0.push(format!("add {}", a + b));
///         call!([cx], note("later"));
///         call!([cx], |this, _cx| this.0.push("closure".into()));
///     }
///     fn note(&mut self, _: CX![], s: &'static str) { self.0.push(s.into()); }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let log = actor!(s, Log::init(), ret_nop!());
/// call!([log], add(2, 3));
/// call!([log, s], note("via core"));
/// call!([s], |s| assert!(s.not_shutdown()));
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(
///     log.query(&mut s, |this, _| this.0.clone()).unwrap(),
///     ["add 5", "via core", "later", "closure"]
/// );
/// ```
#[macro_export]
macro_rules! call {
    ($($x:tt)+) => {
        $crate::__stakker_generic_call!(call (); $($x)+)
    };
}

/// Queues an actor call or inline code on the lazy queue.
///
/// The lazy queue runs only once the main queue is empty, which suits batching (for example
/// flushing output once per burst of work). Forms as for [`call!`](crate::call), with targets
/// `[cx]`, `[actor, core]` and `[core]` + `|s| ..`. Returns `()`.
///
/// ```
/// use stakker_core::{actor, call, lazy, ret_nop, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Log(Vec<&'static str>);
/// impl Log {
///     fn init(_: CX![]) -> Option<Self> { Some(Log(Vec::new())) }
///     fn go(&mut self, cx: CX![]) {
///         lazy!([cx], note("lazy"));
///         call!([cx], note("main"));
///     }
///     fn note(&mut self, _: CX![], s: &'static str) { self.0.push(s); }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let log = actor!(s, Log::init(), ret_nop!());
/// call!([log], go());
/// lazy!([log, s], note("lazy 2"));
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(log.query(&mut s, |this, _| this.0.clone()).unwrap(), ["main", "lazy 2", "lazy"]);
/// ```
#[macro_export]
macro_rules! lazy {
    ($($x:tt)+) => {
        $crate::__stakker_generic_call!(lazy (); $($x)+)
    };
}

/// Queues an actor call or inline code on the idle queue.
///
/// One idle item runs per `Stakker::run(now, true)`, i.e. only when the host has nothing
/// else to do; useful for backpressure. Forms as for [`lazy!`](crate::lazy). Returns `()`.
///
/// ```
/// use stakker_core::{idle, Stakker};
/// use stakker_core::time::Instant;
/// use std::{cell::RefCell, rc::Rc};
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let seen = Rc::new(RefCell::new(Vec::new()));
/// let (a, b) = (seen.clone(), seen.clone());
/// idle!([s], |_| a.borrow_mut().push(1));
/// idle!([s], |_| b.borrow_mut().push(2));
/// assert!(s.run(Instant::from_secs(1), false)); // idle items are not run, and remain
/// assert!(seen.borrow().is_empty());
/// assert!(s.run(Instant::from_secs(1), true)); // one item run, one left
/// assert_eq!(*seen.borrow(), [1]);
/// assert!(!s.run(Instant::from_secs(1), true));
/// assert_eq!(*seen.borrow(), [1, 2]);
/// ```
#[macro_export]
macro_rules! idle {
    ($($x:tt)+) => {
        $crate::__stakker_generic_call!(idle (); $($x)+)
    };
}

/// After a delay, performs an actor call or inline code.
///
/// `after!(dur, target, body)`: `dur` is a `core::time::Duration`; the rest is as for
/// [`lazy!`](crate::lazy). Adds a fixed timer due at `core.now() + dur` and returns its
/// [`FixedTimerKey`](crate::FixedTimerKey), which [`Core::timer_del`](crate::Core::timer_del)
/// accepts.
///
/// ```
/// use stakker_core::{actor, after, call, ret_nop, Stakker, CX};
/// use stakker_core::time::{Duration, Instant};
///
/// struct Alarm(Vec<u32>);
/// impl Alarm {
///     fn init(cx: CX![]) -> Option<Self> {
///         after!(Duration::from_secs(2), [cx], ring(2));
///         let key = after!(Duration::from_secs(1), [cx], ring(1));
///         assert!(cx.timer_del(key));
///         Some(Alarm(Vec::new()))
///     }
///     fn ring(&mut self, _: CX![], n: u32) { self.0.push(n); }
/// }
///
/// let t0 = Instant::from_secs(1);
/// let mut s = Stakker::new(t0);
/// let alarm = actor!(s, Alarm::init(), ret_nop!());
/// s.run(t0, false);
/// s.run(t0 + Duration::from_millis(1999), false);
/// assert_eq!(alarm.query(&mut s, |this, _| this.0.clone()), Some(vec![]));
/// s.run(t0 + Duration::from_millis(2001), false);
/// assert_eq!(alarm.query(&mut s, |this, _| this.0.clone()), Some(vec![2]));
/// ```
#[macro_export]
macro_rules! after {
    ($dur:expr, $($x:tt)+) => {{
        let __stakker_dur: ::core::time::Duration = $dur;
        $crate::__stakker_generic_call!(after (__stakker_dur); $($x)+)
    }};
}

/// At a given instant, performs an actor call or inline code.
///
/// `at!(instant, target, body)`: `instant` is anything that converts into
/// [`time::Instant`](crate::time::Instant) (including `std::time::Instant`); the rest is as
/// for [`lazy!`](crate::lazy). Returns the timer's [`FixedTimerKey`](crate::FixedTimerKey).
///
/// ```
/// use stakker_core::{at, Stakker};
/// use stakker_core::time::{Duration, Instant};
/// use std::{cell::Cell, rc::Rc};
///
/// let t0 = Instant::from_secs(1);
/// let mut s = Stakker::new(t0);
/// let fired = Rc::new(Cell::new(false));
/// let f = fired.clone();
/// let _key = at!(t0 + Duration::from_secs(5), [s], |_| f.set(true));
/// s.run(t0 + Duration::from_secs(4), false);
/// assert!(!fired.get());
/// s.run(t0 + Duration::from_millis(5001), false);
/// assert!(fired.get());
/// ```
#[macro_export]
macro_rules! at {
    ($inst:expr, $($x:tt)+) => {{
        let __stakker_inst: $crate::time::Instant = ::core::convert::Into::into($inst);
        $crate::__stakker_generic_call!(at (__stakker_inst); $($x)+)
    }};
}

/// Performs an actor call or inline code every `period`, until the returned key is dropped.
///
/// `interval!(period, target, body)`: `period` is a `core::time::Duration` (more than zero);
/// target and body as for [`lazy!`](crate::lazy). Adds a repeating timer with
/// [`Core::interval`](crate::Core::interval) and returns its
/// [`IntervalKey`](crate::IntervalKey). The first tick is due at `now() + period`, the
/// following ones on the grid `now() + k * period`. **Dropping the key cancels the
/// interval**; keep it in the state of the actor the ticks go to, and the interval ends when
/// the actor does. Storing a new key over the old one (`self.timer = Some(interval!(..))`)
/// cancels the old interval, so restarting never leaves two chains running. When the loop
/// falls behind, missed ticks are **skipped**: one tick runs in the late `run`, and the next
/// is the first grid point after its `now`.
///
/// The arguments are evaluated once, now, and each tick calls the method with clones of them,
/// so they must be `Clone`. Likewise each tick of a `|this, cx|` body runs a clone of the
/// closure (so what it captures must be `Clone`), and a `|s|` body must be `FnMut`.
///
/// ```
/// use stakker_core::{actor, interval, ret_nop, IntervalKey, Stakker, CX};
/// use stakker_core::time::{Duration, Instant};
///
/// struct Auditor { audits: Vec<(String, u64)>, timer: Option<IntervalKey> }
/// impl Auditor {
///     fn init(cx: CX![]) -> Option<Self> {
///         let timer = interval!(Duration::from_millis(100), [cx], audit("totals".to_string()));
///         Some(Auditor { audits: Vec::new(), timer: Some(timer) })
///     }
///     fn audit(&mut self, cx: CX![], what: String) {
///         let t = cx.now() - Instant::from_secs(1);
///         self.audits.push((what, t.as_millis() as u64));
///         if self.audits.len() == 3 {
///             self.timer = None; // dropping the key stops the ticks
///         }
///     }
/// }
///
/// let t0 = Instant::from_secs(1);
/// let mut s = Stakker::new(t0);
/// let auditor = actor!(s, Auditor::init(), ret_nop!());
/// for ms in [0, 100, 200, 450, 500, 600, 700] {
///     s.run(t0 + Duration::from_millis(ms), false);
/// }
/// let audits = auditor.query(&mut s, |this, _| this.audits.clone()).unwrap();
/// let times: Vec<u64> = audits.iter().map(|a| a.1).collect();
/// assert_eq!(times, [100, 200, 450]); // 300 and 400 skipped; stopped after three
/// assert_eq!(s.next_expiry(), None);
/// ```
///
/// The key is `#[must_use]` ("dropping an IntervalKey cancels the interval at once"), so an
/// interval started as a statement, which would never tick, warns:
///
/// ```compile_fail
/// #![deny(unused_must_use)]
/// use stakker_core::{interval, Stakker};
/// use stakker_core::time::{Duration, Instant};
/// let mut s = Stakker::new(Instant::ZERO);
/// interval!(Duration::from_secs(1), [s], |_| ());
/// ```
#[macro_export]
macro_rules! interval {
    ($period:expr, $($x:tt)+) => {{
        let __stakker_period: ::core::time::Duration = $period;
        $crate::__stakker_generic_call!(interval (__stakker_period); $($x)+)
    }};
}

/// Creates or updates a Max timer.
///
/// `timer_max!(&mut key, instant, target, body)`, with `key` a
/// [`MaxTimerKey`](crate::MaxTimerKey) place (start with `MaxTimerKey::default()`). If `key`
/// names a live Max timer, its due time becomes the later of its current one and `instant`,
/// and the call is dropped unused (its arguments, already evaluated, are dropped: a `Ret`
/// among them reports `None`). Otherwise a new Max timer is added for the call and its key
/// stored in `key`. Target and body as for [`lazy!`](crate::lazy). Returns `()`.
///
/// ```
/// use stakker_core::{timer_max, MaxTimerKey, Stakker};
/// use stakker_core::time::{Duration, Instant};
/// use std::{cell::RefCell, rc::Rc};
///
/// let t0 = Instant::from_secs(1);
/// let ms = |n| t0 + Duration::from_millis(n);
/// let mut s = Stakker::new(t0);
/// let fired = Rc::new(RefCell::new(Vec::new()));
/// let mut key = MaxTimerKey::default();
/// let f = fired.clone();
/// timer_max!(&mut key, ms(2000), [s], |_| f.borrow_mut().push("first"));
/// let f = fired.clone();
/// timer_max!(&mut key, ms(4000), [s], |_| f.borrow_mut().push("second"));
/// s.run(ms(3000), false);
/// assert!(fired.borrow().is_empty()); // extended to 4s
/// s.run(ms(4001), false);
/// assert_eq!(*fired.borrow(), ["first"]);
/// ```
#[macro_export]
macro_rules! timer_max {
    ($key:expr, $inst:expr, $($x:tt)+) => {{
        let __stakker_key: &mut $crate::MaxTimerKey = $key;
        let __stakker_inst: $crate::time::Instant = ::core::convert::Into::into($inst);
        $crate::__stakker_generic_call!(timer_max (__stakker_key __stakker_inst); $($x)+)
    }};
}

/// Creates or updates a Min timer.
///
/// `timer_min!(&mut key, instant, target, body)`, with `key` a
/// [`MinTimerKey`](crate::MinTimerKey) place. If `key` names a live Min timer, its due time
/// becomes the earlier of its current one and `instant` and the call is dropped unused;
/// otherwise a new Min timer is added for the call and its key stored in `key`. Target and
/// body as for [`lazy!`](crate::lazy). Returns `()`.
///
/// ```
/// use stakker_core::{timer_min, MinTimerKey, Stakker};
/// use stakker_core::time::{Duration, Instant};
/// use std::{cell::RefCell, rc::Rc};
///
/// let t0 = Instant::from_secs(1);
/// let ms = |n| t0 + Duration::from_millis(n);
/// let mut s = Stakker::new(t0);
/// let fired = Rc::new(RefCell::new(Vec::new()));
/// let mut key = MinTimerKey::default();
/// let f = fired.clone();
/// timer_min!(&mut key, ms(4000), [s], |_| f.borrow_mut().push("first"));
/// let f = fired.clone();
/// timer_min!(&mut key, ms(2000), [s], |_| f.borrow_mut().push("second"));
/// s.run(ms(2001), false);
/// assert_eq!(*fired.borrow(), ["first"]); // brought forward to 2s
/// s.run(ms(4001), false);
/// assert_eq!(*fired.borrow(), ["first"]);
/// ```
#[macro_export]
macro_rules! timer_min {
    ($key:expr, $inst:expr, $($x:tt)+) => {{
        let __stakker_key: &mut $crate::MinTimerKey = $key;
        let __stakker_inst: $crate::time::Instant = ::core::convert::Into::into($inst);
        $crate::__stakker_generic_call!(timer_min (__stakker_key __stakker_inst); $($x)+)
    }};
}

// ---------------------------------------------------------------------------------------------
// Actor creation
// ---------------------------------------------------------------------------------------------

/// Creates an actor and queues its initialisation.
///
/// ```text
/// let own = actor!(core, Type::init(args..), notify);
/// let own = actor!(core, <path::Type>::init(args..), notify);
/// ```
///
/// `core` is a `Stakker`, `Core` or `Cx` (by value or `&mut`, only borrowed); `notify` is the
/// `Ret<StopCause>` told about termination. Creates the actor in Prep with
/// [`ActorOwn::new`](crate::ActorOwn::new) (the logging parent is the `Cx`'s actor, else none),
/// then queues the Prep call as [`call!`](crate::call) would. Any Prep method may be used, not
/// only `init`. Returns `ActorOwn<Type>`.
///
/// ```
/// use stakker_core::{actor, ret_some_do, stop, Stakker, StopCause, CX};
/// use stakker_core::time::Instant;
/// use std::{cell::RefCell, rc::Rc};
///
/// struct Worker;
/// impl Worker {
///     fn init(cx: CX![], quit: bool) -> Option<Self> {
///         if quit { stop!(cx); }
///         Some(Worker)
///     }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let causes = Rc::new(RefCell::new(Vec::new()));
/// let c = causes.clone();
/// let w = actor!(s, Worker::init(true), ret_some_do!(move |cause: StopCause| {
///     c.borrow_mut().push(cause.to_string());
/// }));
/// s.run(Instant::from_secs(1), false);
/// assert!(w.is_zombie());
/// assert_eq!(*causes.borrow(), ["Actor stopped"]);
/// ```
#[macro_export]
macro_rules! actor {
    ($core:expr, $ty:ident::$init:ident($($x:expr),* $(,)?), $notify:expr $(,)?) => {
        $crate::actor!($core, <$ty>::$init($($x),*), $notify)
    };
    ($core:expr, $first:ident $(::$seg:ident)+($($x:expr),* $(,)?), $notify:expr $(,)?) => {
        $crate::__stakker_with_path!(actor [$core,] [$first] $($seg)+; ($($x),*), $notify)
    };
    ($core:expr, $($p:ident)::+ ::< $($rest:tt)*) => {
        ::core::compile_error!(
            "stakker: for a generic type write `<Type<T>>::init(..)` (or `<module::Type<T>>::init(..)`)"
        )
    };
    ($core:expr, <$ty:ty>::$init:ident($($x:expr),* $(,)?), $notify:expr $(,)?) => {{
        let __stakker_notify: $crate::Ret<$crate::StopCause> = $notify;
        let __stakker_parent: $crate::LogID = $core.access_log_id();
        let __stakker_own =
            $crate::ActorOwn::<$ty>::new($core.access_core(), __stakker_notify, __stakker_parent);
        $crate::call!([__stakker_own], <$ty>::$init($($x),*));
        __stakker_own
    }};
}

/// Creates an actor in Prep without queueing anything.
///
/// `actor_new!(core, Type, notify)`: `Type` is any type; `core` and `notify` as for
/// [`actor!`](crate::actor). Use it when creation and initialisation must be separate, for
/// example when two actors need forwarders to each other. Returns `ActorOwn<Type>`.
///
/// ```
/// use stakker_core::{actor_new, call, ret_nop, Actor, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Ping { peer: Actor<Pong> }
/// struct Pong { peer: Actor<Ping>, got: u32 }
/// impl Ping {
///     fn init(_: CX![], peer: Actor<Pong>) -> Option<Self> { Some(Ping { peer }) }
///     fn ping(&mut self, _: CX![], n: u32) { call!([self.peer], pong(n + 1)); }
/// }
/// impl Pong {
///     fn init(_: CX![], peer: Actor<Ping>) -> Option<Self> { Some(Pong { peer, got: 0 }) }
///     fn pong(&mut self, _: CX![], n: u32) { self.got = n; }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let ping = actor_new!(s, Ping, ret_nop!());
/// let pong = actor_new!(s, Pong, ret_nop!());
/// call!([ping], Ping::init(pong.clone()));
/// call!([pong], Pong::init(ping.clone()));
/// call!([ping], ping(1));
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(pong.query(&mut s, |this, _| this.got), Some(2));
/// ```
#[macro_export]
macro_rules! actor_new {
    ($core:expr, $ty:ty, $notify:expr $(,)?) => {{
        let __stakker_notify: $crate::Ret<$crate::StopCause> = $notify;
        let __stakker_parent: $crate::LogID = $core.access_log_id();
        $crate::ActorOwn::<$ty>::new($core.access_core(), __stakker_notify, __stakker_parent)
    }};
}

/// Creates an actor whose state is a trait object, and queues its initialisation.
///
/// ```text
/// let own = actor_of_trait!(core, Alias, Type::init(args..), notify);
/// let own = actor_of_trait!(core, Alias, <path::Type>::init(args..), notify);
/// ```
///
/// `Alias` names the state type, typically `type Alias = Box<dyn Trait>;`; `Type::init` takes
/// `CX![Alias]` and returns `Option<Alias>`. Trait methods take `cx: CX![Alias]` and are
/// reached with the ordinary method form of [`call!`](crate::call). Returns `ActorOwn<Alias>`.
///
/// ```
/// use stakker_core::{actor_of_trait, call, ret_nop, ActorOwn, Stakker, CX};
/// use stakker_core::time::Instant;
/// use std::{cell::RefCell, rc::Rc};
///
/// type Animal = Box<dyn AnimalTrait>;
/// trait AnimalTrait {
///     fn sound(&mut self, cx: CX![Animal], out: Rc<RefCell<Vec<&'static str>>>);
/// }
/// struct Cat;
/// impl Cat {
///     fn init(_: CX![Animal]) -> Option<Animal> { Some(Box::new(Cat)) }
/// }
/// impl AnimalTrait for Cat {
///     fn sound(&mut self, _: CX![Animal], out: Rc<RefCell<Vec<&'static str>>>) {
///         out.borrow_mut().push("miaow");
///     }
/// }
/// struct Dog;
/// impl Dog {
///     fn init(_: CX![Animal]) -> Option<Animal> { Some(Box::new(Dog)) }
/// }
/// impl AnimalTrait for Dog {
///     fn sound(&mut self, _: CX![Animal], out: Rc<RefCell<Vec<&'static str>>>) {
///         out.borrow_mut().push("woof");
///     }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let out = Rc::new(RefCell::new(Vec::new()));
/// let animals: Vec<ActorOwn<Animal>> = vec![
///     actor_of_trait!(s, Animal, Cat::init(), ret_nop!()),
///     actor_of_trait!(s, Animal, <Dog>::init(), ret_nop!()),
/// ];
/// for a in &animals {
///     call!([a], sound(out.clone()));
/// }
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(*out.borrow(), ["miaow", "woof"]);
/// ```
#[macro_export]
macro_rules! actor_of_trait {
    ($core:expr, $alias:ty, $ty:ident::$init:ident($($x:expr),* $(,)?), $notify:expr $(,)?) => {
        $crate::actor_of_trait!($core, $alias, <$ty>::$init($($x),*), $notify)
    };
    ($core:expr, $alias:ty, $first:ident $(::$seg:ident)+($($x:expr),* $(,)?),
     $notify:expr $(,)?) => {
        $crate::__stakker_with_path!(actor_of_trait [$core, $alias,] [$first] $($seg)+;
            ($($x),*), $notify)
    };
    ($core:expr, $alias:ty, <$ty:ty>::$init:ident($($x:expr),* $(,)?), $notify:expr $(,)?) => {{
        let __stakker_notify: $crate::Ret<$crate::StopCause> = $notify;
        let __stakker_parent: $crate::LogID = $core.access_log_id();
        let __stakker_own = $crate::ActorOwn::<$alias>::new(
            $core.access_core(),
            __stakker_notify,
            __stakker_parent,
        );
        $crate::call!([__stakker_own], <$ty>::$init($($x),*));
        __stakker_own
    }};
}

/// Creates a child actor owned by an [`ActorOwnSlab`](crate::ActorOwnSlab) field of the
/// current actor, and queues its initialisation.
///
/// ```text
/// let child = actor_in_slab!(self.children, cx, Type::init(args..));
/// let child = actor_in_slab!(self.children, cx, <path::Type>::init(args..), notify);
/// ```
///
/// The first argument is written `ident.ident`: the actor's own state and its slab field.
/// The parent is `cx.this()`. The child's entry is removed from the slab when it terminates
/// (see [`ActorOwnSlab::add`](crate::ActorOwnSlab::add)); then `notify`, if given, gets the
/// cause. Returns the child's `Actor<Type>`.
///
/// ```
/// use stakker_core::{actor, actor_in_slab, call, ret_nop, ActorOwnSlab, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Child;
/// impl Child {
///     fn init(_: CX![]) -> Option<Self> { Some(Child) }
///     fn quit(&mut self, cx: CX![]) { cx.stop(); }
/// }
/// struct Parent { children: ActorOwnSlab<Child> }
/// impl Parent {
///     fn init(_: CX![]) -> Option<Self> { Some(Parent { children: ActorOwnSlab::new() }) }
///     fn spawn(&mut self, cx: CX![], quit: bool) {
///         let child = actor_in_slab!(self.children, cx, Child::init());
///         if quit { call!([child], quit()); }
///     }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let parent = actor!(s, Parent::init(), ret_nop!());
/// call!([parent], spawn(false));
/// call!([parent], spawn(true));
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(parent.query(&mut s, |this, _| this.children.len()), Some(1));
/// ```
#[macro_export]
macro_rules! actor_in_slab {
    ($this:ident.$field:ident, $cx:expr, $ty:ident::$init:ident($($x:expr),* $(,)?) $(,)?) => {
        $crate::actor_in_slab!($this.$field, $cx, <$ty>::$init($($x),*),
            $crate::Ret::<$crate::StopCause>::new(|_| {}))
    };
    ($this:ident.$field:ident, $cx:expr, <$ty:ty>::$init:ident($($x:expr),* $(,)?) $(,)?) => {
        $crate::actor_in_slab!($this.$field, $cx, <$ty>::$init($($x),*),
            $crate::Ret::<$crate::StopCause>::new(|_| {}))
    };
    ($this:ident.$field:ident, $cx:expr, $ty:ident::$init:ident($($x:expr),* $(,)?),
     $notify:expr $(,)?) => {
        $crate::actor_in_slab!($this.$field, $cx, <$ty>::$init($($x),*), $notify)
    };
    ($this:ident.$field:ident, $cx:expr, $first:ident $(::$seg:ident)+($($x:expr),* $(,)?)
     $(, $notify:expr)? $(,)?) => {
        $crate::__stakker_with_path!(actor_in_slab [$this.$field, $cx,] [$first] $($seg)+;
            ($($x),*) $(, $notify)?)
    };
    ($this:ident.$field:ident, $cx:expr, <$ty:ty>::$init:ident($($x:expr),* $(,)?),
     $notify:expr $(,)?) => {{
        let __stakker_notify: $crate::Ret<$crate::StopCause> = $notify;
        let __stakker_parent = $crate::__stakker_actor_of!($cx);
        let __stakker_child: $crate::Actor<$ty> = $this.$field.add(
            $cx.access_core(),
            __stakker_parent,
            |__stakker_p| &mut __stakker_p.$field,
            __stakker_notify,
        );
        $crate::call!([__stakker_child], <$ty>::$init($($x),*));
        __stakker_child
    }};
}

/// Synchronously calls a Ready actor from code outside the actor system.
///
/// `query!([actor, stakker], method(args..))` with `stakker: &mut Stakker` is
/// `actor.query(stakker, |this, cx| this.method(cx, args..))`: it returns `Some(result)` if the
/// actor is Ready, else `None` without running anything. Unlike the other macros, the
/// arguments are evaluated only inside the call, i.e. only when the actor is Ready.
///
/// ```
/// use stakker_core::{actor, query, ret_nop, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Store(u32);
/// impl Store {
///     fn init(_: CX![]) -> Option<Self> { Some(Store(40)) }
///     fn get_plus(&self, _: CX![], n: u32) -> u32 { self.0 + n }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let store = actor!(s, Store::init(), ret_nop!());
/// assert_eq!(query!([store, &mut s], get_plus(2)), None); // still in Prep
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(query!([store, &mut s], get_plus(2)), Some(42));
/// ```
#[macro_export]
macro_rules! query {
    ([$actor:expr, $stakker:expr $(,)?], $m:ident($($x:expr),* $(,)?) $(,)?) => {
        $actor.query($stakker, |this, cx| this.$m(cx $(, $x)*))
    };
}

// ---------------------------------------------------------------------------------------------
// Forwarders and returners
// ---------------------------------------------------------------------------------------------

/// Creates a [`Fwd`](crate::Fwd) that queues calls to an actor.
///
/// ```text
/// fwd_to!([cx], method(fixed..) as (T1, .., Tn));
/// fwd_to!([actor], method(fixed..) as (T1, .., Tn));
/// fwd_to!([cx], Type::method(fixed..) as (T1, .., Tn));      // Prep target
/// fwd_to!([actor], <path::Type>::method(fixed..) as (T1, .., Tn));
/// fwd_to!([cx], |this, cx, a: T1, b: T2| body);              // inline code
/// ```
///
/// The message type is `()` for `as ()`, `T` for `as (T)` or `as (T,)`, and the tuple
/// `(T1, .., Tn)` otherwise (for the closure form, taken from the extra parameters). Each
/// message queues a call of `method(cx, fixed.., t1, .., tn)`. The fixed arguments are
/// evaluated once, now, and copied into every call, so they must be `Copy`, like anything the
/// closure captures. Built with [`Fwd::to_actor`](crate::Fwd::to_actor) or
/// [`Fwd::to_actor_prep`](crate::Fwd::to_actor_prep).
///
/// ```
/// use stakker_core::{actor, call, fwd, fwd_to, ret_nop, Fwd, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Sum(Vec<String>);
/// impl Sum {
///     fn init(_: CX![]) -> Option<Self> { Some(Sum(Vec::new())) }
///     fn add(&mut self, _: CX![], tag: &'static str, a: u32, b: u32) {
///         self.0.push(format!("{tag}{}", a + b));
///     }
///     fn one(&mut self, _: CX![], n: u64) { self.0.push(format!("one{n}")); }
///     fn make(&mut self, cx: CX![]) -> (Fwd<(u32, u32)>, Fwd<u64>, Fwd<u8>) {
///         let f = fwd_to!([cx], add("sum") as (u32, u32));
///         let g = fwd_to!([cx], one() as (u64,));
///         let h = fwd_to!([cx], |this, _cx, n: u8| this.0.push(format!("n{n}")));
///         (f, g, h)
///     }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let sum = actor!(s, Sum::init(), ret_nop!());
/// s.run(Instant::from_secs(1), false);
/// let (f, g, h) = sum.query(&mut s, |this, cx| this.make(cx)).unwrap();
/// fwd!([f], 1, 2);
/// fwd!([g], 7);
/// fwd!([h], 9);
/// fwd!([f], 10, 20);
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(
///     sum.query(&mut s, |this, _| this.0.clone()).unwrap(),
///     ["sum3", "one7", "n9", "sum30"]
/// );
/// ```
///
/// A fixed argument that is not `Copy` is rejected (use [`ret_some_to!`](crate::ret_some_to)
/// for a one-shot target, or pass something `Copy`):
///
/// ```compile_fail
/// use stakker_core::{fwd_to, Fwd, CX};
/// struct A;
/// impl A {
///     fn go(&mut self, cx: CX![]) {
///         let name = String::from("x");
///         let _f: Fwd<u32> = fwd_to!([cx], got(name) as (u32));
///     }
///     fn got(&mut self, _: CX![], _name: String, _n: u32) {}
/// }
/// ```
#[macro_export]
macro_rules! fwd_to {
    ($($x:tt)+) => {
        $crate::__stakker_generic_fwd!(plain ($crate::Fwd::to_actor)
            ($crate::Fwd::to_actor_prep); $($x)+)
    };
}

/// Creates a [`Ret`](crate::Ret) that queues one call to an actor, with `Some(msg)` when used
/// or `None` when dropped.
///
/// Forms as for [`fwd_to!`](crate::fwd_to), except that the target method's last parameter is
/// a single `Option<M>` (`Option<()>` for `as ()`, `Option<T>` for one type, an `Option` of
/// the tuple for more), and the only closure form is `|this, cx, name: Option<T>| body`,
/// giving a `Ret<T>`. The fixed arguments need not be `Copy`. Built with
/// [`Ret::to_actor`](crate::Ret::to_actor) or [`Ret::to_actor_prep`](crate::Ret::to_actor_prep).
///
/// ```
/// use stakker_core::{actor, call, ret, ret_to, ret_nop, Ret, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Asker(Vec<String>);
/// impl Asker {
///     fn init(_: CX![]) -> Option<Self> { Some(Asker(Vec::new())) }
///     fn ask(&mut self, cx: CX![]) {
///         let answered: Ret<u32> = ret_to!([cx], reply("first".to_string()) as (u32));
///         let dropped: Ret<u32> = ret_to!([cx], reply("second".to_string()) as (u32));
///         let inline = ret_to!([cx], |this, _cx, m: Option<&'static str>| {
///             this.0.push(format!("inline {m:?}"));
///         });
///         ret!([answered], 42);
///         drop(dropped);
///         ret!([inline], "hi");
///     }
///     fn reply(&mut self, _: CX![], tag: String, m: Option<u32>) {
///         self.0.push(format!("{tag} {m:?}"));
///     }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let a = actor!(s, Asker::init(), ret_nop!());
/// call!([a], ask());
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(
///     a.query(&mut s, |this, _| this.0.clone()).unwrap(),
///     ["first Some(42)", "second None", "inline Some(\"hi\")"]
/// );
/// ```
#[macro_export]
macro_rules! ret_to {
    ([$cx:expr $(,)?], move $($rest:tt)*) => {
        ::core::compile_error!(
            "stakker: do not write `move` before this closure: it is always a `move` closure"
        )
    };
    ([$cx:expr $(,)?],
     |$this:pat_param, $c:pat_param, $arg:tt : Option<$t:ty> $(,)?| $body:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        $crate::Ret::to_actor(
            __stakker_actor,
            move |$this, $c, $arg: ::core::option::Option<$t>| $body,
        )
    }};
    ($($x:tt)+) => {
        $crate::__stakker_generic_fwd!(opt ($crate::Ret::to_actor)
            ($crate::Ret::to_actor_prep); $($x)+)
    };
}

/// Creates a [`Ret`](crate::Ret) that queues a call to an actor when used, and does nothing
/// when dropped.
///
/// Same forms and target signatures as [`fwd_to!`](crate::fwd_to) (the message arrives
/// without an `Option`), but the fixed arguments need not be `Copy`. Built with
/// [`Ret::some_to_actor`](crate::Ret::some_to_actor) or
/// [`Ret::some_to_actor_prep`](crate::Ret::some_to_actor_prep).
///
/// ```
/// use stakker_core::{actor, call, ret, ret_some_to, ret_nop, Ret, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Asker(Vec<String>);
/// impl Asker {
///     fn init(_: CX![]) -> Option<Self> { Some(Asker(Vec::new())) }
///     fn ask(&mut self, cx: CX![]) {
///         let answered: Ret<(u32, bool)> =
///             ret_some_to!([cx], reply("a".to_string()) as (u32, bool));
///         let dropped: Ret<(u32, bool)> =
///             ret_some_to!([cx], reply("b".to_string()) as (u32, bool));
///         ret!([answered], 1, true);
///         drop(dropped);
///     }
///     fn reply(&mut self, _: CX![], tag: String, n: u32, ok: bool) {
///         self.0.push(format!("{tag} {n} {ok}"));
///     }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let a = actor!(s, Asker::init(), ret_nop!());
/// call!([a], ask());
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(a.query(&mut s, |this, _| this.0.clone()).unwrap(), ["a 1 true"]);
/// ```
#[macro_export]
macro_rules! ret_some_to {
    ($($x:tt)+) => {
        $crate::__stakker_generic_fwd!(plain ($crate::Ret::some_to_actor)
            ($crate::Ret::some_to_actor_prep); $($x)+)
    };
}

/// Creates a [`Fwd`](crate::Fwd) that runs a closure synchronously for each message.
///
/// `fwd_do!(f)` is `Fwd::new(f)`, with `f: Fn(M) + 'static`. The closure runs at `fwd` time;
/// to reach an actor later it usually queues through a captured `Actor` or `Deferrer`.
///
/// ```
/// use stakker_core::{fwd, fwd_do, Fwd};
/// use std::{cell::RefCell, rc::Rc};
///
/// let got = Rc::new(RefCell::new(Vec::new()));
/// let g = got.clone();
/// let f: Fwd<(u8, char)> = fwd_do!(move |(n, c)| g.borrow_mut().push(format!("{n}{c}")));
/// fwd!([f], 1, 'a');
/// fwd!([&f], 2, 'b');
/// assert_eq!(*got.borrow(), ["1a", "2b"]);
/// ```
#[macro_export]
macro_rules! fwd_do {
    ($f:expr $(,)?) => {
        $crate::Fwd::new($f)
    };
}

/// Creates a [`Fwd`](crate::Fwd) that ignores every message (of any type).
///
/// ```
/// use stakker_core::{fwd, fwd_nop, Fwd};
/// let f: Fwd<String> = fwd_nop!();
/// fwd!([f], "ignored".to_string());
/// let g: Fwd<()> = fwd_nop!();
/// fwd!([g]);
/// ```
#[macro_export]
macro_rules! fwd_nop {
    () => {
        $crate::Fwd::new(|_| {})
    };
}

/// Creates a [`Fwd`](crate::Fwd) that panics with the given message whenever a message is
/// sent: `Fwd::panic(msg)`.
///
/// ```
/// use stakker_core::{fwd, fwd_panic, Fwd};
/// let f: Fwd<u32> = fwd_panic!("not expected");
/// let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fwd!([f], 1))).unwrap_err();
/// assert_eq!(err.downcast_ref::<String>().map(|s| s.as_str()), Some("not expected"));
/// ```
#[macro_export]
macro_rules! fwd_panic {
    ($msg:expr $(,)?) => {
        $crate::Fwd::panic($msg)
    };
}

/// Creates a [`Ret`](crate::Ret) that runs a closure synchronously with `Some(msg)` when used
/// or `None` when dropped.
///
/// `ret_do!(f)` is `Ret::new(f)`, with `f: FnOnce(Option<M>) + 'static`.
///
/// ```
/// use stakker_core::{ret, ret_do, Ret};
/// use std::{cell::RefCell, rc::Rc};
///
/// let got = Rc::new(RefCell::new(Vec::new()));
/// let (g1, g2) = (got.clone(), got.clone());
/// let used: Ret<u32> = ret_do!(move |m| g1.borrow_mut().push(m));
/// let dropped: Ret<u32> = ret_do!(move |m| g2.borrow_mut().push(m));
/// ret!([used], 5);
/// drop(dropped);
/// assert_eq!(*got.borrow(), [Some(5), None]);
/// ```
#[macro_export]
macro_rules! ret_do {
    ($f:expr $(,)?) => {
        $crate::Ret::new($f)
    };
}

/// Creates a [`Ret`](crate::Ret) that runs a closure synchronously with the message when
/// used, and does nothing when dropped.
///
/// `ret_some_do!(f)`, with `f: FnOnce(M) + 'static` (evaluated now).
///
/// ```
/// use stakker_core::{ret, ret_some_do, Ret};
/// use std::{cell::RefCell, rc::Rc};
///
/// let got = Rc::new(RefCell::new(Vec::new()));
/// let (g1, g2) = (got.clone(), got.clone());
/// let used: Ret<u32> = ret_some_do!(move |m| g1.borrow_mut().push(m));
/// let dropped: Ret<u32> = ret_some_do!(move |m| g2.borrow_mut().push(m));
/// ret!([used], 5);
/// drop(dropped);
/// assert_eq!(*got.borrow(), [5]);
/// ```
#[macro_export]
macro_rules! ret_some_do {
    ($f:expr $(,)?) => {{
        fn __stakker_ret_some_do<M: 'static, F: ::core::ops::FnOnce(M) + 'static>(
            f: F,
        ) -> $crate::Ret<M> {
            $crate::Ret::new(move |m: ::core::option::Option<M>| {
                if let ::core::option::Option::Some(m) = m {
                    f(m)
                }
            })
        }
        __stakker_ret_some_do($f)
    }};
}

/// Creates a [`Ret`](crate::Ret) that does nothing (for any message type).
///
/// ```
/// use stakker_core::{ret, ret_nop, Ret};
/// let r: Ret<u32> = ret_nop!();
/// ret!([r], 1);
/// let r: Ret<String> = ret_nop!();
/// drop(r);
/// ```
#[macro_export]
macro_rules! ret_nop {
    () => {
        $crate::Ret::nop()
    };
}

/// Creates a [`Ret`](crate::Ret) that panics with the given message if a message is sent;
/// dropping it unused does not panic. `Ret::panic(msg)`.
///
/// ```
/// use stakker_core::{ret, ret_panic, Ret};
/// let quiet: Ret<u32> = ret_panic!("unexpected reply");
/// drop(quiet); // no panic
/// let loud: Ret<u32> = ret_panic!("unexpected reply");
/// let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ret!([loud], 1)));
/// let err = err.unwrap_err();
/// assert_eq!(err.downcast_ref::<String>().map(|s| s.as_str()), Some("unexpected reply"));
/// ```
#[macro_export]
macro_rules! ret_panic {
    ($msg:expr $(,)?) => {
        $crate::Ret::panic($msg)
    };
}

/// Creates a `Ret<StopCause>` that asks the host loop to shut down.
///
/// `ret_shutdown!(core)`, with `core` a `Stakker`, `Core` or `Cx` (only borrowed). When used
/// with `Some(cause)` it queues `shutdown(cause)` on that runtime; when dropped unused it
/// queues `shutdown(StopCause::Dropped)`. The shutdown is recorded when the queued item runs.
/// Typically the notify handler of the top actor.
///
/// ```
/// use stakker_core::{actor, call, ret_shutdown, stop, Stakker, CX};
/// use stakker_core::time::Instant;
///
/// struct Main;
/// impl Main {
///     fn init(_: CX![]) -> Option<Self> { Some(Main) }
///     fn done(&mut self, cx: CX![]) { stop!(cx); }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let main = actor!(s, Main::init(), ret_shutdown!(s));
/// call!([main], done());
/// while s.not_shutdown() {
///     s.run(Instant::from_secs(1), false);
/// }
/// assert_eq!(s.shutdown_reason().unwrap().to_string(), "Actor stopped");
///
/// drop(ret_shutdown!(s));
/// assert!(s.not_shutdown()); // only queued so far
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(s.shutdown_reason().unwrap().to_string(), "Actor was dropped");
/// ```
#[macro_export]
macro_rules! ret_shutdown {
    ($core:expr $(,)?) => {{
        let __stakker_deferrer =
            <$crate::Deferrer as ::core::clone::Clone>::clone($core.access_deferrer());
        $crate::Ret::<$crate::StopCause>::new(
            move |m: ::core::option::Option<$crate::StopCause>| {
                let cause = match m {
                    ::core::option::Option::Some(cause) => cause,
                    ::core::option::Option::None => $crate::StopCause::Dropped,
                };
                __stakker_deferrer.defer(move |s: &mut $crate::Stakker| s.shutdown(cause));
            },
        )
    }};
}

/// Creates a `Ret` (any message type) that fails the current actor when it gets a message
/// **or is dropped**.
///
/// ```text
/// ret_fail!(cx, "text");             // cx.fail_str("text"), the text used verbatim
/// ret_fail!(cx, "format", args..);   // cx.fail_string(..), formatted now
/// ret_fail!(cx, error);              // cx.fail(error)
/// ```
///
/// Meant as the notify handler of a child that should never stop before its parent: whatever
/// the child's `StopCause`, the parent fails, through a queued call.
///
/// ```
/// use stakker_core::{actor, call, ret_fail, ret_some_do, stop, ActorOwn, Stakker, StopCause, CX};
/// use stakker_core::time::Instant;
/// use std::{cell::RefCell, rc::Rc};
///
/// struct Child;
/// impl Child {
///     fn init(_: CX![]) -> Option<Self> { Some(Child) }
///     fn quit(&mut self, cx: CX![]) { stop!(cx); }
/// }
/// struct Parent { child: ActorOwn<Child> }
/// impl Parent {
///     fn init(cx: CX![]) -> Option<Self> {
///         let child = actor!(cx, Child::init(), ret_fail!(cx, "child {} ended", 1));
///         call!([child], quit());
///         Some(Parent { child })
///     }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let cause = Rc::new(RefCell::new(String::new()));
/// let c = cause.clone();
/// let on_stop = ret_some_do!(move |sc: StopCause| *c.borrow_mut() = sc.to_string());
/// let _p = actor!(s, Parent::init(), on_stop);
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(*cause.borrow(), "Actor failed: child 1 ended");
/// ```
#[macro_export]
macro_rules! ret_fail {
    ($cx:expr, $msg:literal $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        $crate::Ret::to_actor(__stakker_actor, move |_, cx, _| cx.fail_str($msg))
    }};
    ($cx:expr, $fmt:literal, $($arg:expr),+ $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        let __stakker_msg: $crate::__private::String = $crate::__private::format!($fmt, $($arg),+);
        $crate::Ret::to_actor(__stakker_actor, move |_, cx, _| cx.fail_string(__stakker_msg))
    }};
    ($cx:expr, $err:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        let __stakker_err = $err;
        $crate::Ret::to_actor(__stakker_actor, move |_, cx, _| cx.fail(__stakker_err))
    }};
}

/// Creates a `Ret<StopCause>` that fails the current actor only if the cause it gets is
/// `StopCause::Failed(_)` or `StopCause::Lost`.
///
/// Same three forms as [`ret_fail!`](crate::ret_fail). `Stopped`, `Killed`, `Dropped` and a
/// dropped `Ret` are ignored. Meant as the notify handler of a child, to pass its failure on.
///
/// ```
/// use stakker_core::{actor, call, fail, ret_failthru, ret_some_do};
/// use stakker_core::{ActorOwn, Stakker, StopCause, CX};
/// use stakker_core::time::Instant;
/// use std::{cell::RefCell, rc::Rc};
///
/// struct Child;
/// impl Child {
///     fn init(_: CX![]) -> Option<Self> { Some(Child) }
///     fn end(&mut self, cx: CX![], failed: bool) {
///         if failed { fail!(cx, "broken") } else { cx.stop() }
///     }
/// }
/// struct Parent { kids: Vec<ActorOwn<Child>> }
/// impl Parent {
///     fn init(cx: CX![]) -> Option<Self> {
///         let a = actor!(cx, Child::init(), ret_failthru!(cx, "child failed"));
///         let b = actor!(cx, Child::init(), ret_failthru!(cx, "child failed"));
///         call!([a], end(false)); // stop: ignored
///         call!([b], end(true)); // failure: passed on
///         Some(Parent { kids: vec![a, b] })
///     }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let cause = Rc::new(RefCell::new(String::new()));
/// let c = cause.clone();
/// let on_stop = ret_some_do!(move |sc: StopCause| *c.borrow_mut() = sc.to_string());
/// let _p = actor!(s, Parent::init(), on_stop);
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(*cause.borrow(), "Actor failed: child failed");
/// ```
#[macro_export]
macro_rules! ret_failthru {
    ($cx:expr, $msg:literal $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        $crate::Ret::some_to_actor(__stakker_actor, move |_, cx, cause: $crate::StopCause| {
            if ::core::matches!(
                cause,
                $crate::StopCause::Failed(_) | $crate::StopCause::Lost
            ) {
                cx.fail_str($msg);
            }
        })
    }};
    ($cx:expr, $fmt:literal, $($arg:expr),+ $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        let __stakker_msg: $crate::__private::String = $crate::__private::format!($fmt, $($arg),+);
        $crate::Ret::some_to_actor(__stakker_actor, move |_, cx, cause: $crate::StopCause| {
            if ::core::matches!(
                cause,
                $crate::StopCause::Failed(_) | $crate::StopCause::Lost
            ) {
                cx.fail_string(__stakker_msg);
            }
        })
    }};
    ($cx:expr, $err:expr $(,)?) => {{
        let __stakker_actor = $crate::__stakker_actor_of!($cx);
        let __stakker_err = $err;
        $crate::Ret::some_to_actor(__stakker_actor, move |_, cx, cause: $crate::StopCause| {
            if ::core::matches!(
                cause,
                $crate::StopCause::Failed(_) | $crate::StopCause::Lost
            ) {
                cx.fail(__stakker_err);
            }
        })
    }};
}

// ---------------------------------------------------------------------------------------------
// Sending and termination
// ---------------------------------------------------------------------------------------------

/// Sends a message through a [`Fwd`](crate::Fwd) (or a reference to one).
///
/// `fwd!([f], args..)`: no arguments send `()`, one sends it unchanged, two or more send a
/// tuple. The message goes to the handler synchronously; actor-bound forwarders queue a call.
///
/// ```
/// use stakker_core::{fwd, fwd_do, Fwd};
/// use std::{cell::RefCell, rc::Rc};
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let (l0, l1, l2) = (log.clone(), log.clone(), log.clone());
/// let f0: Fwd<()> = fwd_do!(move |()| l0.borrow_mut().push("none".to_string()));
/// let f1: Fwd<u32> = fwd_do!(move |n| l1.borrow_mut().push(format!("{n}")));
/// let f2: Fwd<(u32, &str)> = fwd_do!(move |(n, s)| l2.borrow_mut().push(format!("{n}{s}")));
/// fwd!([f0]);
/// fwd!([f1], 7);
/// fwd!([&f2], 8, "x");
/// assert_eq!(*log.borrow(), ["none", "7", "8x"]);
/// ```
#[macro_export]
macro_rules! fwd {
    ([$f:expr $(,)?] $(,)?) => {
        $f.fwd(())
    };
    ([$f:expr $(,)?], $x:expr $(,)?) => {
        $f.fwd($x)
    };
    ([$f:expr $(,)?], $($x:expr),+ $(,)?) => {
        $f.fwd(($($x),+))
    };
}

/// Answers through a [`Ret`](crate::Ret), consuming it.
///
/// `ret!([r], args..)`: no arguments send `()`, one sends it unchanged, two or more send a
/// tuple.
///
/// ```
/// use stakker_core::{ret, ret_some_do, Ret};
/// use std::{cell::RefCell, rc::Rc};
///
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let (l0, l2) = (log.clone(), log.clone());
/// let r0: Ret<()> = ret_some_do!(move |()| l0.borrow_mut().push("none".to_string()));
/// let r2: Ret<(u32, bool)> = ret_some_do!(move |(n, b)| l2.borrow_mut().push(format!("{n} {b}")));
/// ret!([r0]);
/// ret!([r2], 3, true);
/// assert_eq!(*log.borrow(), ["none", "3 true"]);
/// ```
#[macro_export]
macro_rules! ret {
    ([$r:expr $(,)?] $(,)?) => {
        $r.ret(())
    };
    ([$r:expr $(,)?], $x:expr $(,)?) => {
        $r.ret($x)
    };
    ([$r:expr $(,)?], $($x:expr),+ $(,)?) => {
        $r.ret(($($x),+))
    };
}

/// Requests failure of the current actor, acted on when the current call returns.
///
/// ```text
/// fail!(cx, "text");             // cx.fail_str("text"): verbatim, braces not interpreted
/// fail!(cx, "format", args..);   // cx.fail_string(format!("format", args..))
/// fail!(cx, error);              // cx.fail(error), with `error: impl Error + 'static`
/// ```
///
/// ```
/// use stakker_core::{actor, call, fail, ret_some_do, Stakker, StopCause, CX};
/// use stakker_core::time::Instant;
/// use std::{cell::RefCell, rc::Rc};
///
/// struct A;
/// impl A {
///     fn init(_: CX![]) -> Option<Self> { Some(A) }
///     fn lit(&mut self, cx: CX![]) { fail!(cx, "no {format} here"); }
///     fn fmt(&mut self, cx: CX![], n: u32) { fail!(cx, "bad {}", n); }
///     fn err(&mut self, cx: CX![]) { fail!(cx, std::fmt::Error); }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let causes = Rc::new(RefCell::new(Vec::new()));
/// let mk = |s: &mut Stakker| {
///     let c = causes.clone();
///     actor!(s, A::init(), ret_some_do!(move |sc: StopCause| c.borrow_mut().push(sc.to_string())))
/// };
/// let (a, b, e) = (mk(&mut s), mk(&mut s), mk(&mut s));
/// call!([a], lit());
/// call!([b], fmt(7));
/// call!([e], err());
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(*causes.borrow(), [
///     "Actor failed: no {format} here",
///     "Actor failed: bad 7",
///     "Actor failed: an error occurred when formatting an argument",
/// ]);
/// ```
#[macro_export]
macro_rules! fail {
    ($cx:expr, $msg:literal $(,)?) => {
        $cx.fail_str($msg)
    };
    ($cx:expr, $fmt:literal, $($arg:expr),+ $(,)?) => {{
        let __stakker_msg: $crate::__private::String = $crate::__private::format!($fmt, $($arg),+);
        $cx.fail_string(__stakker_msg)
    }};
    ($cx:expr, $err:expr $(,)?) => {
        $cx.fail($err)
    };
}

/// Requests successful termination of the current actor (`StopCause::Stopped`), acted on when
/// the current call returns: `cx.stop()`.
///
/// ```
/// use stakker_core::{actor, call, ret_some_do, stop, Stakker, StopCause, CX};
/// use stakker_core::time::Instant;
/// use std::{cell::RefCell, rc::Rc};
///
/// struct A;
/// impl A {
///     fn init(_: CX![]) -> Option<Self> { Some(A) }
///     fn done(&mut self, cx: CX![]) { stop!(cx); }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let cause = Rc::new(RefCell::new(String::new()));
/// let c = cause.clone();
/// let on_stop = ret_some_do!(move |sc: StopCause| *c.borrow_mut() = sc.to_string());
/// let a = actor!(s, A::init(), on_stop);
/// call!([a], done());
/// s.run(Instant::from_secs(1), false);
/// assert!(a.is_zombie());
/// assert_eq!(*cause.borrow(), "Actor stopped");
/// ```
#[macro_export]
macro_rules! stop {
    ($cx:expr $(,)?) => {
        $cx.stop()
    };
}

/// Queues the killing of an actor, given an owner.
///
/// ```text
/// kill!(owner, "text");             // ActorOwn::kill_str, the text used verbatim
/// kill!(owner, "format", args..);   // ActorOwn::kill_string, formatted now
/// kill!(owner, error);              // ActorOwn::kill, with `error: Box<dyn Error>`
/// ```
///
/// `owner` is an `ActorOwn` (or a reference to one); a plain `Actor` is rejected. The kill is
/// queued on the actor's main queue and holds an extra owner until it runs, so the cause is
/// `StopCause::Killed` even if the caller drops its last owner right after.
///
/// ```
/// use stakker_core::{actor, kill, ret_some_do, Stakker, StopCause, CX};
/// use stakker_core::time::Instant;
/// use std::{cell::RefCell, rc::Rc};
///
/// struct A;
/// impl A {
///     fn init(_: CX![]) -> Option<Self> { Some(A) }
/// }
///
/// let mut s = Stakker::new(Instant::from_secs(1));
/// let cause = Rc::new(RefCell::new(String::new()));
/// let c = cause.clone();
/// let on_stop = ret_some_do!(move |sc: StopCause| *c.borrow_mut() = sc.to_string());
/// let a = actor!(s, A::init(), on_stop);
/// kill!(a, "bye {}", 1);
/// drop(a);
/// s.run(Instant::from_secs(1), false);
/// assert_eq!(*cause.borrow(), "Actor was killed: bye 1");
/// ```
///
/// A plain `Actor` is not accepted:
///
/// ```compile_fail,E0599
/// use stakker_core::{actor, kill, ret_nop, Actor, Stakker, CX};
/// struct A;
/// impl A {
///     fn init(_: CX![]) -> Option<Self> { Some(A) }
/// }
/// let mut s = Stakker::new(stakker_core::time::Instant::ZERO);
/// let own = actor!(s, A::init(), ret_nop!());
/// let plain: Actor<A> = own.clone();
/// kill!(plain, "no");
/// ```
#[macro_export]
macro_rules! kill {
    ($owner:expr, $msg:literal $(,)?) => {{
        let __stakker_own: $crate::ActorOwn<_> = $owner.owned();
        let __stakker_deferrer =
            <$crate::Deferrer as ::core::clone::Clone>::clone(__stakker_own.access_deferrer());
        __stakker_deferrer.defer(move |s: &mut $crate::Stakker| __stakker_own.kill_str(s, $msg));
    }};
    ($owner:expr, $fmt:literal, $($arg:expr),+ $(,)?) => {{
        let __stakker_own: $crate::ActorOwn<_> = $owner.owned();
        let __stakker_msg: $crate::__private::String = $crate::__private::format!($fmt, $($arg),+);
        let __stakker_deferrer =
            <$crate::Deferrer as ::core::clone::Clone>::clone(__stakker_own.access_deferrer());
        __stakker_deferrer.defer(move |s: &mut $crate::Stakker| {
            __stakker_own.kill_string(s, __stakker_msg)
        });
    }};
    ($owner:expr, $err:expr $(,)?) => {{
        let __stakker_own: $crate::ActorOwn<_> = $owner.owned();
        let __stakker_err: $crate::__private::Box<dyn ::core::error::Error> = $err;
        let __stakker_deferrer =
            <$crate::Deferrer as ::core::clone::Clone>::clone(__stakker_own.access_deferrer());
        __stakker_deferrer.defer(move |s: &mut $crate::Stakker| {
            __stakker_own.kill(s, __stakker_err)
        });
    }};
}
