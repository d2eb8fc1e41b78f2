//! `Ret` handlers of every storage kind: inline (up to one word), boxed (larger or
//! over-aligned), zero-sized; called with a message, dropped unused, captured values dropped
//! exactly once.

use super::Ret;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cell::RefCell;

/// Records what a handler saw and when its captures were dropped.
type Log = Rc<RefCell<Vec<alloc::string::String>>>;

struct Noisy(Log, &'static str);

impl Drop for Noisy {
    fn drop(&mut self) {
        self.0.borrow_mut().push(alloc::format!("drop {}", self.1));
    }
}

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn take(l: &Log) -> Vec<alloc::string::String> {
    core::mem::take(&mut *l.borrow_mut())
}

#[test]
fn one_word_handler_gets_the_message_and_drops_its_capture_once() {
    let l = log();
    let n = Noisy(l.clone(), "one-word");
    let r: Ret<u32> = Ret::new(move |m| {
        n.0.borrow_mut().push(alloc::format!("got {m:?}"));
    });
    r.ret(7);
    assert_eq!(take(&l), ["got Some(7)", "drop one-word"]);
    assert_eq!(Rc::strong_count(&l), 1);
}

#[test]
fn large_handler_is_boxed_and_behaves_the_same() {
    let l = log();
    let (a, b) = (Noisy(l.clone(), "a"), Noisy(l.clone(), "b"));
    let big = [1u64, 2, 3, 4];
    let r: Ret<u8> = Ret::new(move |m| {
        let _keep = (&a, &b);
        a.0.borrow_mut()
            .push(alloc::format!("got {m:?} {}", big.iter().sum::<u64>()));
    });
    drop(r);
    assert_eq!(take(&l), ["got None 10", "drop a", "drop b"]);
    assert_eq!(Rc::strong_count(&l), 1);
}

#[test]
fn over_aligned_and_zero_sized_handlers() {
    #[repr(align(32))]
    struct Aligned(u8);
    let l = log();
    let l2 = l.clone();
    let al = Aligned(5);
    let r: Ret<u8> = Ret::new(move |m| {
        assert_eq!(&al as *const Aligned as usize % 32, 0);
        l2.borrow_mut()
            .push(alloc::format!("aligned {m:?} {}", al.0));
    });
    r.ret(1);
    // A zero-sized handler can only reach statics.
    static ZST_SAW: core::sync::atomic::AtomicU8 = core::sync::atomic::AtomicU8::new(0);
    let zst: Ret<u8> = Ret::new(|m| {
        let seen = if m.is_none() { 1 } else { 2 };
        ZST_SAW.store(seen, core::sync::atomic::Ordering::Relaxed);
    });
    drop(zst);
    assert_eq!(
        ZST_SAW.load(core::sync::atomic::Ordering::Relaxed),
        1,
        "called with None"
    );
    assert_eq!(take(&l), ["aligned Some(1) 5"]);
}

#[test]
fn dropping_a_message_that_is_never_delivered_frees_it() {
    // The handler ignores its message; the message (which owns memory) must still be freed.
    let l = log();
    let r: Ret<Noisy> = Ret::new(|_| {});
    r.ret(Noisy(l.clone(), "msg"));
    assert_eq!(take(&l), ["drop msg"]);
    let nop: Ret<Noisy> = Ret::nop();
    nop.ret(Noisy(l.clone(), "nop msg"));
    assert_eq!(take(&l), ["drop nop msg"]);
}
