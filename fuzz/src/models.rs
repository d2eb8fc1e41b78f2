//! Models for the fuzz targets, shared with the replay tests.
//!
//! This file is compiled twice: as `stakker_core_fuzz::models` by the cargo-fuzz targets in
//! `fuzz/fuzz_targets/`, and as a `#[path]` module of `stakker-core/tests/fuzz_replay.rs`, which
//! replays every file of `fuzz/corpus/<target>/` as an ordinary test. It therefore uses only
//! `std` and stakker-core's public API (with any feature set, including `--no-default-features`
//! and `no-unsafe`), and decodes the fuzzer's bytes itself instead of using `arbitrary`, so the
//! test build needs no extra dependency.
//!
//! Each model takes raw bytes, decodes them into a program, runs the program against a real
//! `Stakker` and against a plain model of the documented semantics (API.md §5.3, §5.5, §5.9),
//! and panics at the first difference. Decoding never fails: bytes past the end read as zero,
//! and every value is reduced into range, so every input is a valid program. It returns counts
//! of what the program exercised, which the replay test uses to hold the corpus to a floor.
//!
//! - [`queue::check`]: closures of many capture sizes (0 to 512 bytes) and alignments (1, 8,
//!   16 with a `u128`, 32) on the main, lazy and idle queues, pushed by the host and by running
//!   items, some holding a `Deferrer`, some panicking; `run` with and without idle; the
//!   `Stakker` dropped at a random point. Checked: the order items run in, the bytes each
//!   capture carries, `run`'s result, that a panic consumes only its item, and that every item
//!   not run is dropped exactly once (also items queued by drops during teardown and items
//!   deferred after the runtime is gone).
//! - [`timers::check`]: fixed, Max and Min timers added, deleted, updated and queried at due
//!   times from the past to the far future (up to `u64::MAX` ns), by the host and from timer
//!   callbacks, in bulk too (so the store's compaction and rebalancing run); `run` by small and
//!   huge steps and by jumping to `next_expiry`. Checked: which timers fire, in which order, at
//!   which `now`; every result of del/upd/active; `next_expiry`/`next_wait`/`next_wait_max`
//!   against the contract; that deleted and remaining timers are dropped exactly once.
#![allow(
    dead_code,
    missing_docs,
    unreachable_pub,
    clippy::new_without_default,
    clippy::too_many_lines
)]

use std::cell::RefCell;
use std::rc::Rc;

/// Reads a fuzz input: bytes past the end read as zero.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }

    /// Whether every byte has been read.
    pub fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }

    pub fn u64(&mut self) -> u64 {
        let mut b = [0; 8];
        for x in &mut b {
            *x = self.u8();
        }
        u64::from_le_bytes(b)
    }
}

/// Payload of the panics the models raise on purpose; [`quiet_intended_panics`] keeps them
/// from being reported.
pub struct IntendedPanic;

/// Installs (once per process) a panic hook that ignores [`IntendedPanic`] and passes every
/// other panic to the hook that was installed before (libFuzzer's aborting hook in the fuzz
/// targets, the default printing hook in tests).
pub fn quiet_intended_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info.payload().is::<IntendedPanic>() {
                prev(info);
            }
        }));
    });
}

/// A small deterministic generator (SplitMix64), for bulk operations and the replay tests.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// `len` pseudo-random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// Declares a struct of named operation counters with `add` (sum) and `named` (listing).
/// The models count what an input made them do, so the replay test can assert that the
/// committed corpus exercises each path (a thin corpus fails instead of passing quietly).
macro_rules! counts {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $f:ident: usize,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
        pub struct $name {
            $($(#[$fm])* pub $f: usize,)*
        }

        impl $name {
            /// Adds `other`'s counters to these.
            pub fn add(&mut self, other: &Self) {
                $(self.$f += other.$f;)*
            }

            /// Every counter with its name.
            pub fn named(&self) -> Vec<(&'static str, usize)> {
                vec![$((stringify!($f), self.$f),)*]
            }
        }
    };
}

/// Compares the events logged by the real runtime with the model's; panics showing both
/// around the first difference.
fn compare<E: PartialEq + core::fmt::Debug>(what: &str, real: &[E], model: &[E]) {
    if real != model {
        let first = real
            .iter()
            .zip(model)
            .position(|(a, b)| a != b)
            .unwrap_or(real.len().min(model.len()));
        let lo = first.saturating_sub(5);
        panic!(
            "{what}: real and model differ at event {first}\n  real:  {:?}\n  model: {:?}",
            &real[lo..real.len().min(first + 10)],
            &model[lo..model.len().min(first + 10)]
        );
    }
}

// ------------------------------------------------------------------------------------------

/// The closure queues (main, lazy, idle) driven through `Stakker`, checked against a model.
pub mod queue {
    use super::{compare, quiet_intended_panics, Input, IntendedPanic, Rc, RefCell};
    use stakker_core::time::Instant;
    use stakker_core::{Core, Deferrer, Stakker};
    use std::collections::VecDeque;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// What happened to an item. Items of zero-sized closures all report [`ZST`].
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Event {
        Ran(u32),
        Dropped(u32),
    }

    /// The name every zero-sized item reports.
    pub const ZST: u32 = u32::MAX >> 1;

    /// Set in a capture's id once it has run (ids use 31 bits).
    const DONE: u32 = 1 << 31;

    /// Upper bounds that keep one input fast.
    const MAX_SPECS: usize = 3000;
    const MAX_OPS: usize = 400;
    const MAX_DEPTH: u32 = 5;
    /// Bound on the items one `PushMany` may bring in (counting their descendants).
    const MANY_BUDGET: usize = 4096;

    /// How an item is queued.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Q {
        /// `Core::defer`.
        Main,
        /// `Deferrer::defer` (the main queue too).
        MainDeferrer,
        /// `Core::lazy`.
        Lazy,
        /// `Core::idle`.
        Idle,
    }

    /// One item: how it is queued, its capture, and what it does when run or dropped.
    #[derive(Clone, Debug)]
    pub struct Spec {
        pub q: Q,
        /// Index into the list of capture sizes (`dispatch!`).
        pub size: u8,
        /// 0: align 1, 1: align 8, 2: align 16 with a `u128`, 3: align 32.
        pub align: u8,
        /// Captures nothing but a zero-sized token (ignores everything below).
        pub zst: bool,
        /// Captures a `Deferrer` of the runtime too.
        pub deferrer: bool,
        /// Panics (after queueing its children) when run.
        pub panics: bool,
        /// Queued (each by its own `Q`) when the item runs.
        pub children: Vec<u32>,
        /// Deferred through the captured `Deferrer` if the item is dropped unrun.
        pub on_drop: Vec<u32>,
    }

    /// One step of the host.
    #[derive(Clone, Debug)]
    pub enum Op {
        /// Queue item `id` from the host.
        Push(u32),
        /// Queue item `id` `n` times.
        PushMany(u32, usize),
        /// `run(now + 1, idle)`.
        Run { idle: bool },
        /// `run(now + 1, true)` until it returns `false` (at most 16 times).
        Settle,
        /// Drop the `Stakker` (the program ends).
        Drop,
    }

    /// A decoded input.
    #[derive(Clone, Debug)]
    pub struct Program {
        pub specs: Vec<Spec>,
        pub ops: Vec<Op>,
        /// Deferred through a kept `Deferrer` after the `Stakker` is gone.
        pub probe: u32,
    }

    struct Decoder<'a> {
        inp: Input<'a>,
        specs: Vec<Spec>,
        /// Per spec: items it brings in when run or dropped, itself included.
        weight: Vec<usize>,
    }

    impl Decoder<'_> {
        fn item(&mut self, depth: u32) -> u32 {
            let a = self.inp.u8();
            let b = self.inp.u8();
            let id = self.specs.len() as u32;
            let q = match a & 3 {
                0 => Q::Main,
                1 => Q::Lazy,
                2 => Q::Idle,
                _ => Q::MainDeferrer,
            };
            let zst = b >> 4 == 15;
            let mut spec = Spec {
                q,
                size: b & 15,
                align: (b >> 4) & 3,
                zst,
                deferrer: !zst && a & 4 != 0,
                panics: !zst && a >> 5 == 7,
                children: Vec::new(),
                on_drop: Vec::new(),
            };
            self.specs.push(spec.clone());
            self.weight.push(1);
            if zst {
                return id;
            }
            let room = |d: &Self| depth < MAX_DEPTH && d.specs.len() < MAX_SPECS;
            let nchild = (a >> 3) & 3;
            for _ in 0..nchild {
                if room(self) {
                    let c = self.item(depth + 1);
                    spec.children.push(c);
                }
            }
            let ndrop = match a >> 5 {
                6 => 1,
                5 => 2,
                _ => 0,
            };
            for _ in 0..ndrop {
                if room(self) {
                    let c = self.item(depth + 1);
                    spec.on_drop.push(c);
                }
            }
            if !spec.on_drop.is_empty() {
                spec.deferrer = true;
            }
            let w = 1 + spec
                .children
                .iter()
                .chain(&spec.on_drop)
                .map(|&c| self.weight[c as usize])
                .sum::<usize>();
            self.weight[id as usize] = w;
            self.specs[id as usize] = spec;
            id
        }
    }

    /// Decodes `data` into a program.
    pub fn decode(data: &[u8]) -> Program {
        let mut d = Decoder {
            inp: Input::new(data),
            specs: Vec::new(),
            weight: Vec::new(),
        };
        let probe = d.item(MAX_DEPTH - 1);
        let mut ops = Vec::new();
        while !d.inp.done() && ops.len() < MAX_OPS {
            let b = d.inp.u8();
            let op = match b % 16 {
                0..=6 if d.specs.len() < MAX_SPECS => Op::Push(d.item(0)),
                7..=10 => Op::Run { idle: b & 1 == 1 },
                11 | 12 => Op::Settle,
                13 if b >= 128 => Op::Drop,
                14 | 15 if d.specs.len() < MAX_SPECS => {
                    let n = usize::from(d.inp.u8() % 64) + 1;
                    let id = d.item(MAX_DEPTH - 2);
                    let n = n.min(MANY_BUDGET / d.weight[id as usize]).max(1);
                    Op::PushMany(id, n)
                }
                _ => Op::Run { idle: false },
            };
            let stop = matches!(op, Op::Drop);
            ops.push(op);
            if stop {
                break;
            }
        }
        Program {
            specs: d.specs,
            ops,
            probe,
        }
    }

    thread_local! {
        static LOG: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
        static SPECS: RefCell<Rc<Vec<Spec>>> = RefCell::new(Rc::new(Vec::new()));
    }

    fn log(e: Event) {
        LOG.with(|l| l.borrow_mut().push(e));
    }

    fn specs() -> Rc<Vec<Spec>> {
        SPECS.with(|s| s.borrow().clone())
    }

    fn pattern(id: u32, i: usize) -> u8 {
        (id.wrapping_mul(0x9E37_79B9) >> 24) as u8 ^ (i as u8).wrapping_mul(17)
    }

    fn wide(id: u32) -> u128 {
        u128::from(id).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
    }

    /// A capture payload with a known size and alignment, filled from the item's id.
    trait Payload: 'static {
        fn new(id: u32) -> Self;
        fn check(&self, id: u32);
    }

    fn check_bytes(b: &[u8], id: u32) {
        for (i, &x) in b.iter().enumerate() {
            assert_eq!(
                x,
                pattern(id, i),
                "capture of item {id} corrupted at byte {i}"
            );
        }
    }

    fn check_align<T>(p: &T) {
        let addr = p as *const T as usize;
        assert_eq!(
            addr % core::mem::align_of::<T>(),
            0,
            "capture misaligned for {}",
            core::any::type_name::<T>()
        );
    }

    struct B<const N: usize>([u8; N]);
    impl<const N: usize> Payload for B<N> {
        fn new(id: u32) -> Self {
            B(core::array::from_fn(|i| pattern(id, i)))
        }
        fn check(&self, id: u32) {
            check_bytes(&self.0, id);
        }
    }

    struct A8<const N: usize> {
        x: u64,
        b: [u8; N],
    }
    impl<const N: usize> Payload for A8<N> {
        fn new(id: u32) -> Self {
            A8 {
                x: wide(id) as u64,
                b: core::array::from_fn(|i| pattern(id, i)),
            }
        }
        fn check(&self, id: u32) {
            check_align(self);
            assert_eq!(self.x, wide(id) as u64, "capture of item {id} corrupted");
            check_bytes(&self.b, id);
        }
    }

    #[repr(align(16))]
    struct A16<const N: usize> {
        x: u128,
        b: [u8; N],
    }
    impl<const N: usize> Payload for A16<N> {
        fn new(id: u32) -> Self {
            A16 {
                x: wide(id),
                b: core::array::from_fn(|i| pattern(id, i)),
            }
        }
        fn check(&self, id: u32) {
            check_align(self);
            assert_eq!(self.x, wide(id), "capture of item {id} corrupted");
            check_bytes(&self.b, id);
        }
    }

    #[repr(align(32))]
    struct A32<const N: usize> {
        b: [u8; N],
    }
    impl<const N: usize> Payload for A32<N> {
        fn new(id: u32) -> Self {
            A32 {
                b: core::array::from_fn(|i| pattern(id, i)),
            }
        }
        fn check(&self, id: u32) {
            check_align(self);
            check_bytes(&self.b, id);
        }
    }

    /// Capture without a `Deferrer`.
    struct Cap<P: Payload> {
        id: u32,
        p: P,
    }

    impl<P: Payload> Cap<P> {
        fn run(mut self, s: &mut Stakker) {
            self.p.check(self.id);
            let id = self.id;
            self.id |= DONE;
            drop(self);
            ran(s, id);
        }
    }

    impl<P: Payload> Drop for Cap<P> {
        fn drop(&mut self) {
            if self.id & DONE == 0 {
                self.p.check(self.id);
                log(Event::Dropped(self.id));
            }
        }
    }

    /// Capture holding a `Deferrer` of the runtime (a cycle through the queue): when dropped
    /// unrun it defers the item's `on_drop` items.
    struct DCap<P: Payload> {
        id: u32,
        p: P,
        d: Deferrer,
    }

    impl<P: Payload> DCap<P> {
        fn run(mut self, s: &mut Stakker) {
            self.p.check(self.id);
            let id = self.id;
            self.id |= DONE;
            drop(self);
            ran(s, id);
        }
    }

    impl<P: Payload> Drop for DCap<P> {
        fn drop(&mut self) {
            if self.id & DONE == 0 {
                self.p.check(self.id);
                log(Event::Dropped(self.id));
                let specs = specs();
                for &c in &specs[self.id as usize].on_drop {
                    push(&mut Sink::Deferrer(&self.d), c);
                }
            }
        }
    }

    /// The capture of a zero-sized item.
    struct Zst;

    impl Drop for Zst {
        fn drop(&mut self) {
            log(Event::Dropped(ZST));
        }
    }

    /// An item runs: log it, queue its children, maybe panic.
    fn ran(s: &mut Stakker, id: u32) {
        log(Event::Ran(id));
        let specs = specs();
        let spec = &specs[id as usize];
        for &c in &spec.children {
            push(&mut Sink::Core(s), c);
        }
        if spec.panics {
            std::panic::panic_any(IntendedPanic);
        }
    }

    /// Where an item is queued: through `Core` (by its `Q`) or a `Deferrer` (main queue).
    enum Sink<'a> {
        Core(&'a mut Core),
        Deferrer(&'a Deferrer),
    }

    impl Sink<'_> {
        fn deferrer(&self) -> Deferrer {
            match self {
                Sink::Core(c) => c.deferrer(),
                Sink::Deferrer(d) => (*d).clone(),
            }
        }

        fn enqueue(&mut self, q: Q, f: impl FnOnce(&mut Stakker) + 'static) {
            match self {
                Sink::Core(c) => match q {
                    Q::Main => c.defer(f),
                    Q::MainDeferrer => c.deferrer().defer(f),
                    Q::Lazy => c.lazy(f),
                    Q::Idle => c.idle(f),
                },
                Sink::Deferrer(d) => d.defer(f),
            }
        }
    }

    fn push_cap<P: Payload>(sink: &mut Sink<'_>, id: u32, spec: &Spec) {
        let p = P::new(id);
        if spec.deferrer {
            let cap = DCap {
                id,
                p,
                d: sink.deferrer(),
            };
            sink.enqueue(spec.q, move |s: &mut Stakker| cap.run(s));
        } else {
            let cap = Cap { id, p };
            sink.enqueue(spec.q, move |s: &mut Stakker| cap.run(s));
        }
    }

    /// Calls `$f::<Payload>(args)` for the payload type picked by a size index and an
    /// alignment class.
    macro_rules! dispatch {
        ($size:expr, $align:expr, $f:ident ( $($a:expr),* )) => {
            match $align % 4 {
                0 => dispatch!(@s B, $size, $f($($a),*)),
                1 => dispatch!(@s A8, $size, $f($($a),*)),
                2 => dispatch!(@s A16, $size, $f($($a),*)),
                _ => dispatch!(@s A32, $size, $f($($a),*)),
            }
        };
        (@s $T:ident, $size:expr, $f:ident ( $($a:expr),* )) => {
            match $size % 16 {
                0 => $f::<$T<0>>($($a),*),
                1 => $f::<$T<1>>($($a),*),
                2 => $f::<$T<3>>($($a),*),
                3 => $f::<$T<7>>($($a),*),
                4 => $f::<$T<8>>($($a),*),
                5 => $f::<$T<9>>($($a),*),
                6 => $f::<$T<15>>($($a),*),
                7 => $f::<$T<16>>($($a),*),
                8 => $f::<$T<24>>($($a),*),
                9 => $f::<$T<33>>($($a),*),
                10 => $f::<$T<64>>($($a),*),
                11 => $f::<$T<100>>($($a),*),
                12 => $f::<$T<128>>($($a),*),
                13 => $f::<$T<255>>($($a),*),
                14 => $f::<$T<384>>($($a),*),
                _ => $f::<$T<512>>($($a),*),
            }
        };
    }

    /// Queues item `id` through `sink`.
    fn push(sink: &mut Sink<'_>, id: u32) {
        let specs = specs();
        let spec = &specs[id as usize];
        if spec.zst {
            let z = Zst;
            sink.enqueue(spec.q, move |_: &mut Stakker| {
                let z = z;
                core::mem::forget(z);
                log(Event::Ran(ZST));
            });
            return;
        }
        dispatch!(spec.size, spec.align, push_cap(sink, id, spec));
    }

    counts! {
        /// What one input made the queue model do (the runtime matched it step by step).
        Counts {
            /// Items queued on the main queue (`defer` or a `Deferrer`).
            main: usize,
            /// Items queued on the lazy queue.
            lazy: usize,
            /// Items queued on the idle queue.
            idle: usize,
            /// Items queued by running items.
            nested: usize,
            /// Items queued with a capture aligned to 16 or 32.
            over_aligned: usize,
            /// Items queued with a capture of 128 bytes or more.
            big: usize,
            /// Items queued with a zero-sized capture.
            zst: usize,
            /// Items queued holding a `Deferrer` (a cycle through the queue).
            deferrer: usize,
            /// `run` calls.
            runs: usize,
            /// Items run (idle items included).
            ran: usize,
            /// Idle items run.
            idle_ran: usize,
            /// Lazy batches taken.
            batches: usize,
            /// Lazy items that ran, or were left for the next batch, while main items waited
            /// for their batch to end: the order only lazy batching gives.
            batch_held: usize,
            /// Items that panicked.
            panics: usize,
            /// Panics that sent the rest of a lazy batch back to the queue.
            batch_panics: usize,
            /// Items dropped unrun (when the `Stakker` or a late `Deferrer` drops them).
            dropped: usize,
        }
    }

    /// The documented semantics of the three queues (API.md §5.3, §5.9).
    pub struct Model {
        specs: Rc<Vec<Spec>>,
        main: VecDeque<u32>,
        lazy: VecDeque<u32>,
        idle: VecDeque<u32>,
        pub trace: Vec<Event>,
        pub counts: Counts,
    }

    impl Model {
        pub fn new(specs: Rc<Vec<Spec>>) -> Self {
            Model {
                specs,
                main: VecDeque::new(),
                lazy: VecDeque::new(),
                idle: VecDeque::new(),
                trace: Vec::new(),
                counts: Counts::default(),
            }
        }

        fn name(&self, id: u32) -> u32 {
            if self.specs[id as usize].zst {
                ZST
            } else {
                id
            }
        }

        pub fn push(&mut self, id: u32) {
            let spec = &self.specs[id as usize];
            let c = &mut self.counts;
            let (queue, queued) = match spec.q {
                Q::Main | Q::MainDeferrer => (&mut self.main, &mut c.main),
                Q::Lazy => (&mut self.lazy, &mut c.lazy),
                Q::Idle => (&mut self.idle, &mut c.idle),
            };
            queue.push_back(id);
            *queued += 1;
            if spec.zst {
                c.zst += 1;
            } else {
                c.over_aligned += usize::from(spec.align >= 2);
                c.big += usize::from(spec.size % 16 >= 12);
                c.deferrer += usize::from(spec.deferrer);
            }
        }

        /// Runs an item; `false` if it panicked.
        fn exec(&mut self, id: u32) -> bool {
            self.trace.push(Event::Ran(self.name(id)));
            self.counts.ran += 1;
            let specs = self.specs.clone();
            let spec = &specs[id as usize];
            if spec.zst {
                return true;
            }
            for &c in &spec.children {
                self.push(c);
            }
            self.counts.nested += spec.children.len();
            self.counts.panics += usize::from(spec.panics);
            !spec.panics
        }

        /// One `run`: `Some(idle items remain)`, or `None` if an item panicked.
        pub fn run(&mut self, idle: bool) -> Option<bool> {
            self.counts.runs += 1;
            if idle {
                if let Some(id) = self.idle.pop_front() {
                    self.counts.idle_ran += 1;
                    if !self.exec(id) {
                        return None;
                    }
                }
            }
            loop {
                while let Some(id) = self.main.pop_front() {
                    if !self.exec(id) {
                        return None;
                    }
                }
                if self.lazy.is_empty() {
                    break;
                }
                let mut batch = core::mem::take(&mut self.lazy);
                self.counts.batches += 1;
                while let Some(id) = batch.pop_front() {
                    self.counts.batch_held += usize::from(!self.main.is_empty());
                    if !self.exec(id) {
                        // The rest of the batch goes back in front of newer lazy items.
                        self.counts.batch_panics += usize::from(!batch.is_empty());
                        batch.append(&mut self.lazy);
                        self.lazy = batch;
                        return None;
                    }
                }
                if !self.main.is_empty() {
                    self.counts.batch_held += self.lazy.len();
                }
            }
            Some(!self.idle.is_empty())
        }

        /// Dropping the `Stakker`: every pending item is dropped unrun, and so is everything
        /// their drops defer, round after round. Returns the drops, sorted.
        pub fn teardown(&mut self) -> Vec<Event> {
            let mut pending: Vec<u32> = self.lazy.drain(..).collect();
            pending.extend(self.idle.drain(..));
            pending.extend(self.main.drain(..));
            self.dropped(pending)
        }

        /// Items `ids` and everything their drops defer, dropped at once. Sorted.
        pub fn dropped(&self, mut pending: Vec<u32>) -> Vec<Event> {
            let mut out = Vec::new();
            while !pending.is_empty() {
                let mut next = Vec::new();
                for id in pending {
                    out.push(Event::Dropped(self.name(id)));
                    let spec = &self.specs[id as usize];
                    if !spec.zst {
                        next.extend_from_slice(&spec.on_drop);
                    }
                }
                pending = next;
            }
            out.sort_unstable();
            out
        }
    }

    fn take_log() -> Vec<Event> {
        LOG.with(|l| core::mem::take(&mut *l.borrow_mut()))
    }

    /// Runs the program encoded by `data` against a `Stakker` and the model; panics on any
    /// difference. Returns what the program exercised.
    pub fn check(data: &[u8]) -> Counts {
        quiet_intended_panics();
        let prog = decode(data);
        let specs = Rc::new(prog.specs);
        SPECS.with(|s| *s.borrow_mut() = specs.clone());
        take_log();

        let mut model = Model::new(specs.clone());
        let mut s = Stakker::new(Instant::from_nanos(0));
        let kept = s.deferrer();
        let mut now = 0;
        let mut real: Vec<Event> = Vec::new();
        let run = |s: &mut Stakker, now: u64, idle: bool| {
            catch_unwind(AssertUnwindSafe(|| s.run(Instant::from_nanos(now), idle))).ok()
        };
        for (n, op) in prog.ops.iter().enumerate() {
            match *op {
                Op::Push(id) => {
                    push(&mut Sink::Core(&mut s), id);
                    model.push(id);
                }
                Op::PushMany(id, count) => {
                    for _ in 0..count {
                        push(&mut Sink::Core(&mut s), id);
                        model.push(id);
                    }
                }
                Op::Run { idle } => {
                    now += 1;
                    let got = run(&mut s, now, idle);
                    assert_eq!(got, model.run(idle), "op {n}: result of run(_, {idle})");
                }
                Op::Settle => {
                    for _ in 0..16 {
                        now += 1;
                        let got = run(&mut s, now, true);
                        assert_eq!(got, model.run(true), "op {n}: result of run(_, true)");
                        if got == Some(false) {
                            break;
                        }
                    }
                }
                Op::Drop => break,
            }
            real.extend(take_log());
            compare(&format!("queue op {n} ({op:?})"), &real, &model.trace);
        }

        drop(s);
        let mut dropped = take_log();
        dropped.sort_unstable();
        compare("queue teardown", &dropped, &model.teardown());
        model.counts.dropped += dropped.len();

        // A runtime that is gone discards what is deferred to it, at once.
        push(&mut Sink::Deferrer(&kept), prog.probe);
        let mut late = take_log();
        late.sort_unstable();
        compare("defer after drop", &late, &model.dropped(vec![prog.probe]));
        model.counts.dropped += late.len();
        drop(kept);
        assert!(take_log().is_empty());
        SPECS.with(|s| *s.borrow_mut() = Rc::new(Vec::new()));
        model.counts
    }
}

// ------------------------------------------------------------------------------------------

/// Fixed, Max and Min timers driven through `Stakker`, checked against a model.
pub mod timers {
    use super::{compare, Input, Rc, RefCell, Rng};
    use stakker_core::time::{Duration, Instant};
    use stakker_core::{FixedTimerKey, MaxTimerKey, MinTimerKey, Stakker};
    use std::collections::{BTreeMap, VecDeque};

    /// What happened to a timer's callback: run at `now`, or dropped unrun.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub enum Event {
        Fired(u32, u64),
        Dropped(u32),
    }

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Kind {
        Fixed,
        Max,
        Min,
    }

    const HOUR: u64 = 3_600_000_000_000;
    const MAX_OPS: usize = 600;
    const MAX_TIMERS: usize = 20_000;
    const MAX_ACTION_DEPTH: u32 = 2;

    /// A due time, relative to `core.now()` when the operation runs.
    #[derive(Clone, Copy, Debug)]
    pub enum When {
        /// `now + n` ns (saturating).
        After(u64),
        /// `now - n` ns (saturating): in the past.
        Before(u64),
        /// An absolute instant.
        At(u64),
    }

    impl When {
        fn at(self, now: u64) -> u64 {
            match self {
                When::After(n) => now.saturating_add(n),
                When::Before(n) => now.saturating_sub(n),
                When::At(t) => t,
            }
        }
    }

    /// How far a `Run` moves time.
    #[derive(Clone, Copy, Debug)]
    pub enum Advance {
        By(u64),
        /// To `next_expiry()` (as a virtual-time host does), or by 1 ns if there is none.
        ToNext,
        /// To the end of time.
        ToEnd,
    }

    #[derive(Clone, Debug)]
    pub enum Op {
        /// Adds a timer; `after` uses `Core::after` instead of `timer_add` (fixed only).
        /// `actions` run when it fires.
        Add {
            kind: Kind,
            when: When,
            after: bool,
            actions: Rc<Vec<Op>>,
        },
        Del {
            kind: Kind,
            key: u16,
        },
        Upd {
            kind: Kind,
            key: u16,
            when: When,
        },
        Active {
            kind: Kind,
            key: u16,
        },
        /// Adds `n` timers at pseudo-random due times within `span` ns of now.
        Bulk {
            kind: Kind,
            n: u16,
            span: u64,
            seed: u64,
        },
        /// Deletes each existing key of `kind` with probability `frac / 256`.
        BulkDel {
            kind: Kind,
            frac: u8,
            seed: u64,
        },
        Run(Advance),
        /// Checks `next_expiry`, `next_wait` and `next_wait_max` against the contract.
        Check {
            probe: u64,
        },
    }

    struct Decoder<'a> {
        inp: Input<'a>,
        /// Timers the program may still add.
        budget: usize,
    }

    impl Decoder<'_> {
        fn kind(&mut self, b: u8) -> Kind {
            match b % 3 {
                0 => Kind::Fixed,
                1 => Kind::Max,
                _ => Kind::Min,
            }
        }

        fn when(&mut self) -> When {
            let c = self.inp.u8();
            match c % 8 {
                0 => When::Before(u64::from(self.inp.u8())),
                1 => When::After(u64::from(self.inp.u8())),
                2 => When::After(u64::from(self.inp.u16()) * 1_000),
                3 => When::After(u64::from(self.inp.u16()) * 1_000_000),
                4 => When::After(u64::from(self.inp.u16()) * 1_000_000_000),
                // Hours to years ahead.
                5 => When::After(u64::from(self.inp.u16()) * HOUR),
                6 => When::At(self.inp.u64()),
                _ => When::After(0),
            }
        }

        fn advance(&mut self) -> Advance {
            let c = self.inp.u8();
            match c % 8 {
                0 => Advance::By(0),
                1 => Advance::By(u64::from(self.inp.u8())),
                2 => Advance::By(u64::from(self.inp.u16()) * 1_000),
                3 => Advance::By(u64::from(self.inp.u16()) * 1_000_000),
                4 | 7 if c < 248 => Advance::ToNext,
                5 => Advance::By(u64::from(self.inp.u16()) * 1_000_000_000),
                6 => Advance::By(u64::from(self.inp.u16()) * HOUR),
                _ => Advance::ToEnd,
            }
        }

        fn op(&mut self, depth: u32) -> Op {
            let b = self.inp.u8();
            let k = self.inp.u8();
            match b % 16 {
                0..=4 if self.budget > 0 => {
                    self.budget -= 1;
                    let kind = match b % 16 {
                        0..=2 => Kind::Fixed,
                        3 => Kind::Max,
                        _ => Kind::Min,
                    };
                    let when = self.when();
                    let mut actions = Vec::new();
                    if depth < MAX_ACTION_DEPTH {
                        for _ in 0..(k >> 6) {
                            actions.push(self.op(depth + 1));
                        }
                    }
                    Op::Add {
                        kind,
                        when,
                        after: b % 16 == 2,
                        actions: Rc::new(actions),
                    }
                }
                5..=7 => Op::Del {
                    kind: self.kind(b % 16 - 5),
                    key: self.inp.u16(),
                },
                8 | 9 => Op::Upd {
                    kind: if b % 16 == 8 { Kind::Max } else { Kind::Min },
                    key: self.inp.u16(),
                    when: self.when(),
                },
                10 => Op::Active {
                    kind: self.kind(k),
                    key: self.inp.u16(),
                },
                11 if depth == 0 && self.budget > 0 => {
                    let n = (self.inp.u16() % 600).min(self.budget as u16);
                    self.budget -= usize::from(n);
                    let span = match self.inp.u8() % 6 {
                        0 => 1_000,
                        1 => 1_000_000,
                        2 => 1_000_000_000,
                        3 => HOUR,
                        4 => 10_000 * HOUR,
                        _ => u64::MAX,
                    };
                    Op::Bulk {
                        kind: self.kind(k),
                        n,
                        span,
                        seed: self.inp.u64(),
                    }
                }
                12 if depth == 0 => Op::BulkDel {
                    kind: self.kind(k),
                    frac: self.inp.u8(),
                    seed: self.inp.u64(),
                },
                13 | 14 if depth == 0 => Op::Run(self.advance()),
                _ => Op::Check {
                    probe: u64::from(self.inp.u16()),
                },
            }
        }
    }

    /// A decoded input: the start time and the host's operations.
    #[derive(Clone, Debug)]
    pub struct Program {
        pub start: u64,
        pub ops: Vec<Op>,
    }

    pub fn decode(data: &[u8]) -> Program {
        let mut d = Decoder {
            inp: Input::new(data),
            budget: MAX_TIMERS,
        };
        let start = match d.inp.u8() % 4 {
            0 => 0,
            1 => d.inp.u64(),
            2 => u64::MAX - u64::from(d.inp.u16()),
            _ => 1_000_000_000,
        };
        let mut ops = Vec::new();
        while !d.inp.done() && ops.len() < MAX_OPS {
            ops.push(d.op(0));
        }
        Program { start, ops }
    }

    /// One timer of the model.
    struct MTimer {
        kind: Kind,
        due: u64,
        seq: u64,
        live: bool,
        /// Counts against an exact `next_expiry` (a Max or Min timer, or a fixed timer added
        /// an hour or more ahead: API.md §3.1).
        inexact: bool,
    }

    counts! {
        /// What one input made the timer model do (the runtime matched it step by step).
        Counts {
            /// Fixed timers added (`timer_add`, `after`).
            fixed: usize,
            /// Max timers added.
            max: usize,
            /// Min timers added.
            min: usize,
            /// Timers added with a due time at or before now.
            past: usize,
            /// Timers added an hour or more ahead.
            far: usize,
            /// Operations run from inside timer callbacks.
            nested: usize,
            /// Timers deleted.
            deleted: usize,
            /// Max/Min updates that moved a due time.
            moved: usize,
            /// `run` calls that moved time.
            runs: usize,
            /// Timers fired.
            fired: usize,
            /// Timers fired right after one with the same due time (a tie).
            ties: usize,
            /// `next_expiry`/`next_wait` checks.
            checks: usize,
            /// Timers still pending when the `Stakker` is dropped.
            dropped: usize,
        }
    }

    /// The documented semantics of the timers (API.md §3.2.3, §5.5).
    pub struct Model {
        now: u64,
        timers: Vec<MTimer>,
        /// Live timers by (due, creation order).
        live: BTreeMap<(u64, u64), u32>,
        inexact: usize,
        /// Timers moved to the main queue by the current `run`, in the order they must fire.
        firing: VecDeque<u32>,
        pub trace: Vec<Event>,
        pub counts: Counts,
    }

    impl Model {
        fn new(now: u64) -> Self {
            Model {
                now,
                timers: Vec::new(),
                live: BTreeMap::new(),
                inexact: 0,
                firing: VecDeque::new(),
                trace: Vec::new(),
                counts: Counts::default(),
            }
        }

        /// A due time as the runtime sets it: never at or before now.
        fn due(&self, at: u64) -> u64 {
            if at > self.now {
                at
            } else {
                self.now.saturating_add(1)
            }
        }

        fn add(&mut self, kind: Kind, at: u64) -> u32 {
            let due = self.due(at);
            let id = self.timers.len() as u32;
            let seq = id as u64;
            let inexact = kind != Kind::Fixed || due - self.now >= HOUR;
            self.timers.push(MTimer {
                kind,
                due,
                seq,
                live: true,
                inexact,
            });
            self.live.insert((due, seq), id);
            self.inexact += usize::from(inexact);
            let c = &mut self.counts;
            *match kind {
                Kind::Fixed => &mut c.fixed,
                Kind::Max => &mut c.max,
                Kind::Min => &mut c.min,
            } += 1;
            c.past += usize::from(at <= self.now);
            c.far += usize::from(due - self.now >= HOUR);
            id
        }

        fn unlink(&mut self, id: u32) {
            let t = &mut self.timers[id as usize];
            t.live = false;
            self.live.remove(&(t.due, t.seq));
            self.inexact -= usize::from(t.inexact);
        }

        /// Deleting: `true` (and the callback dropped) if the timer exists.
        fn del(&mut self, id: Option<u32>, kind: Kind) -> bool {
            match id {
                Some(id) if self.timers[id as usize].live => {
                    assert_eq!(self.timers[id as usize].kind, kind);
                    self.unlink(id);
                    self.trace.push(Event::Dropped(id));
                    self.counts.deleted += 1;
                    true
                }
                _ => false,
            }
        }

        fn upd(&mut self, id: Option<u32>, at: u64) -> bool {
            let due = self.due(at);
            match id {
                Some(id) if self.timers[id as usize].live => {
                    let t = &self.timers[id as usize];
                    let new = match t.kind {
                        Kind::Max => t.due.max(due),
                        Kind::Min => t.due.min(due),
                        Kind::Fixed => unreachable!(),
                    };
                    self.counts.moved += usize::from(new != t.due);
                    self.live.remove(&(t.due, t.seq));
                    self.live.insert((new, t.seq), id);
                    self.timers[id as usize].due = new;
                    true
                }
                _ => false,
            }
        }

        fn active(&self, id: Option<u32>) -> bool {
            id.is_some_and(|id| self.timers[id as usize].live)
        }

        /// Step 2 of `run`: every timer due at or before `now` leaves the store, in due
        /// order, ties in creation order. Nothing happens if time does not move.
        fn begin_run(&mut self, now: u64) {
            assert!(self.firing.is_empty());
            if now <= self.now {
                return;
            }
            self.now = now;
            self.counts.runs += 1;
            let due = if now == u64::MAX {
                core::mem::take(&mut self.live)
            } else {
                let later = self.live.split_off(&(now + 1, 0));
                core::mem::replace(&mut self.live, later)
            };
            let mut last = None;
            for ((at, _), id) in due {
                let t = &mut self.timers[id as usize];
                t.live = false;
                self.inexact -= usize::from(t.inexact);
                self.firing.push_back(id);
                self.counts.fired += 1;
                self.counts.ties += usize::from(last == Some(at));
                last = Some(at);
            }
        }

        fn min_due(&self) -> Option<u64> {
            self.live.keys().next().map(|&(due, _)| due)
        }
    }

    #[derive(Clone, Copy)]
    enum Key {
        Fixed(FixedTimerKey),
        Max(MaxTimerKey),
        Min(MinTimerKey),
    }

    /// The model plus the real keys, reachable from timer callbacks.
    struct World {
        model: Model,
        /// Every key handed out, per kind, with the model's timer id.
        keys: [Vec<(Key, u32)>; 3],
    }

    impl World {
        /// Key number `k` of `kind`: one past the end is the `Default` key.
        fn key(&self, kind: Kind, k: u16) -> (Key, Option<u32>) {
            let keys = &self.keys[kind as usize];
            let i = usize::from(k) % (keys.len() + 1);
            match keys.get(i) {
                Some(&(key, id)) => (key, Some(id)),
                None => (
                    match kind {
                        Kind::Fixed => Key::Fixed(FixedTimerKey::default()),
                        Kind::Max => Key::Max(MaxTimerKey::default()),
                        Kind::Min => Key::Min(MinTimerKey::default()),
                    },
                    None,
                ),
            }
        }
    }

    thread_local! {
        static LOG: RefCell<Vec<Event>> = const { RefCell::new(Vec::new()) };
        static WORLD: RefCell<Option<World>> = const { RefCell::new(None) };
    }

    fn with_world<R>(f: impl FnOnce(&mut World) -> R) -> R {
        WORLD.with(|w| f(w.borrow_mut().as_mut().expect("no timer world")))
    }

    fn log(e: Event) {
        LOG.with(|l| l.borrow_mut().push(e));
    }

    /// A timer's callback: logs when it fires (then runs its actions) or is dropped unrun.
    struct Callback {
        id: u32,
        done: bool,
        actions: Rc<Vec<Op>>,
    }

    impl Callback {
        fn fire(mut self, s: &mut Stakker) {
            self.done = true;
            let now = s.now().as_nanos();
            log(Event::Fired(self.id, now));
            with_world(|w| {
                let expected = w.model.firing.pop_front();
                assert_eq!(
                    expected,
                    Some(self.id),
                    "timer {} fired at {now}; the model expected {expected:?} next",
                    self.id
                );
                assert_eq!(now, w.model.now, "callback sees the run's now");
                w.model.trace.push(Event::Fired(self.id, now));
                w.model.counts.nested += self.actions.len();
            });
            for a in self.actions.iter() {
                apply(s, a);
            }
        }
    }

    impl Drop for Callback {
        fn drop(&mut self) {
            if !self.done {
                log(Event::Dropped(self.id));
            }
        }
    }

    fn ns(n: u64) -> Instant {
        Instant::from_nanos(n)
    }

    /// Adds a timer to both the runtime and the model, recording its key.
    fn add(s: &mut Stakker, kind: Kind, at: u64, after: bool, actions: Rc<Vec<Op>>, unique: bool) {
        let now = s.now().as_nanos();
        let id = with_world(|w| w.model.add(kind, at));
        let cb = Callback {
            id,
            done: false,
            actions,
        };
        let f = move |s: &mut Stakker| cb.fire(s);
        let key = match kind {
            Kind::Fixed if after => {
                Key::Fixed(s.after(Duration::from_nanos(at.saturating_sub(now)), f))
            }
            Kind::Fixed => Key::Fixed(s.timer_add(ns(at), f)),
            Kind::Max => Key::Max(s.timer_max_add(ns(at), f)),
            Kind::Min => Key::Min(s.timer_min_add(ns(at), f)),
        };
        with_world(|w| {
            if unique {
                // Keys of two timers that exist at the same time are never equal.
                for &(k, other) in &w.keys[kind as usize] {
                    if w.model.timers[other as usize].live {
                        let same = match (k, key) {
                            (Key::Fixed(a), Key::Fixed(b)) => a == b,
                            (Key::Max(a), Key::Max(b)) => a == b,
                            (Key::Min(a), Key::Min(b)) => a == b,
                            _ => false,
                        };
                        assert!(!same, "timer {id} got the key of live timer {other}");
                    }
                }
            }
            w.keys[kind as usize].push((key, id));
        });
    }

    fn del(s: &mut Stakker, kind: Kind, k: u16) {
        let (key, id) = with_world(|w| w.key(kind, k));
        let expect = with_world(|w| w.model.del(id, kind));
        let got = match key {
            Key::Fixed(key) => s.timer_del(key),
            Key::Max(key) => s.timer_max_del(key),
            Key::Min(key) => s.timer_min_del(key),
        };
        assert_eq!(got, expect, "del of {kind:?} timer {id:?}");
    }

    /// Applies one operation to the runtime and the model, comparing every result.
    fn apply(s: &mut Stakker, op: &Op) {
        let now = s.now().as_nanos();
        match op {
            Op::Add {
                kind,
                when,
                after,
                actions,
            } => add(s, *kind, when.at(now), *after, actions.clone(), true),
            Op::Del { kind, key } => del(s, *kind, *key),
            Op::Upd { kind, key, when } => {
                let at = when.at(now);
                let (key, id) = with_world(|w| w.key(*kind, *key));
                let expect = with_world(|w| w.model.upd(id, at));
                let got = match key {
                    Key::Max(key) => s.timer_max_upd(key, ns(at)),
                    Key::Min(key) => s.timer_min_upd(key, ns(at)),
                    Key::Fixed(_) => unreachable!(),
                };
                assert_eq!(got, expect, "upd of {kind:?} timer {id:?} to {at}");
            }
            Op::Active { kind, key } => {
                let (key, id) = with_world(|w| w.key(*kind, *key));
                let expect = with_world(|w| w.model.active(id));
                let got = match key {
                    Key::Fixed(_) => return,
                    Key::Max(key) => s.timer_max_active(key),
                    Key::Min(key) => s.timer_min_active(key),
                };
                assert_eq!(got, expect, "active of {kind:?} timer {id:?}");
            }
            Op::Bulk {
                kind,
                n,
                span,
                seed,
            } => {
                let mut rng = Rng(*seed);
                for _ in 0..*n {
                    let at = now.saturating_add(rng.next_u64() % span);
                    add(s, *kind, at, false, Rc::new(Vec::new()), false);
                }
            }
            Op::BulkDel { kind, frac, seed } => {
                let mut rng = Rng(*seed);
                let n = with_world(|w| w.keys[*kind as usize].len());
                for k in 0..n {
                    if (rng.next_u64() as u8) < *frac {
                        del(s, *kind, k as u16);
                    }
                }
            }
            Op::Run(adv) => {
                let target = match *adv {
                    Advance::By(d) => now.saturating_add(d),
                    Advance::ToNext => s
                        .next_expiry()
                        .map_or(now.saturating_add(1), |t| t.as_nanos()),
                    Advance::ToEnd => u64::MAX,
                };
                with_world(|w| w.model.begin_run(target));
                s.run(ns(target), false);
                with_world(|w| {
                    assert!(
                        w.model.firing.is_empty(),
                        "timers due by {target} did not fire: {:?}",
                        w.model.firing
                    );
                });
                if target > now && target < u64::MAX {
                    // Right after run(now), next_expiry is None or later than now (except at
                    // the end of time, where a timer set for "after now" cannot be later).
                    if let Some(t) = s.next_expiry() {
                        assert!(
                            t.as_nanos() > target,
                            "next_expiry {t:?} after run({target})"
                        );
                    }
                }
            }
            Op::Check { probe } => {
                with_world(|w| w.model.counts.checks += 1);
                let (min, inexact, mnow) =
                    with_world(|w| (w.model.min_due(), w.model.inexact, w.model.now));
                assert_eq!(mnow, now);
                let next = s.next_expiry().map(|t| t.as_nanos());
                match (next, min) {
                    (None, None) => (),
                    (Some(t), Some(m)) => {
                        assert!(
                            t <= m,
                            "next_expiry {t} later than the earliest due time {m}"
                        );
                        // At the end of time nothing is later: such timers never fire.
                        assert!(
                            t > now || now == u64::MAX,
                            "next_expiry {t} not after now {now}"
                        );
                        if inexact == 0 {
                            assert_eq!(t, m, "next_expiry not exact with only near fixed timers");
                        }
                    }
                    _ => panic!("next_expiry {next:?}, but the earliest due time is {min:?}"),
                }
                let q = now.saturating_add(*probe);
                let wait = next.map(|t| Duration::from_nanos(t.saturating_sub(q)));
                assert_eq!(s.next_wait(ns(q)), wait, "next_wait");
                let cap = Duration::from_micros(*probe);
                assert_eq!(s.next_wait_max(ns(q), cap, true), Duration::ZERO);
                assert_eq!(
                    s.next_wait_max(ns(q), cap, false),
                    wait.map_or(cap, |w| w.min(cap)),
                    "next_wait_max"
                );
            }
        }
    }

    fn take_log() -> Vec<Event> {
        LOG.with(|l| core::mem::take(&mut *l.borrow_mut()))
    }

    /// Runs the program encoded by `data` against a `Stakker` and the model; panics on any
    /// difference. Returns what the program exercised.
    pub fn check(data: &[u8]) -> Counts {
        let prog = decode(data);
        take_log();
        WORLD.with(|w| {
            *w.borrow_mut() = Some(World {
                model: Model::new(prog.start),
                keys: [Vec::new(), Vec::new(), Vec::new()],
            })
        });
        let mut s = Stakker::new(ns(prog.start));
        let mut real = Vec::new();
        for (n, op) in prog.ops.iter().enumerate() {
            apply(&mut s, op);
            real.extend(take_log());
            with_world(|w| compare(&format!("timers op {n} ({op:?})"), &real, &w.model.trace));
        }
        drop(s);
        let mut dropped = take_log();
        dropped.sort_unstable();
        let world = WORLD
            .with(|w| w.borrow_mut().take())
            .expect("no timer world");
        let expect: Vec<Event> = world
            .model
            .live
            .values()
            .map(|&id| Event::Dropped(id))
            .collect();
        let mut expect = expect;
        expect.sort_unstable();
        compare("timers teardown", &dropped, &expect);
        Counts {
            dropped: dropped.len(),
            ..world.model.counts
        }
    }
}
