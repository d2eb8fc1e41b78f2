use super::*;
use core::mem::size_of;

/// Heap bytes of one actor with 24 bytes of state: the counted box plus its header.
/// Heap bytes of one actor with 24 bytes of state: the box plus the reference-count header
/// (count and phase/owner word, 8 bytes).
#[test]
fn actor_with_24_byte_state_is_small() {
    let boxed = size_of::<ActorBox<[u64; 3]>>();
    // The `logger` feature adds the 8-byte logging ID.
    let id = if cfg!(feature = "logger") { 8 } else { 0 };
    #[cfg(all(target_pointer_width = "64", not(feature = "no-unsafe")))]
    {
        // runtime handle 8, state 24 + Prep/Ready tag 8, notify `Ret` 16
        assert_eq!(boxed, 56 + id);
        assert!(8 + boxed <= 80, "the 80-byte target");
    }
    // The `no-unsafe` twins pay for `Rc`'s second count and the `RefCell` flag.
    #[cfg(all(target_pointer_width = "64", feature = "no-unsafe"))]
    assert_eq!(boxed, 64 + id);
}

#[test]
fn references_are_at_most_two_words() {
    let w = size_of::<usize>();
    assert!(size_of::<Actor<[u8; 1000]>>() <= 2 * w);
    assert!(size_of::<ActorOwn<[u8; 1000]>>() <= 2 * w);
    assert!(size_of::<crate::Fwd<[u8; 1000]>>() <= 2 * w);
    assert!(size_of::<crate::Ret<[u8; 1000]>>() <= 2 * w);
    assert_eq!(size_of::<Deferrer>(), w);
}

#[test]
fn phase_and_owner_packing() {
    let mut s = crate::Stakker::new(crate::time::Instant::from_nanos(0));
    let a = ActorOwn::<u8>::new(&mut s, Ret::new(|_| {}), 0);
    assert_eq!((a.rc.phase(), a.rc.owners()), (PREP, 1));
    let b = a.owned();
    let c = b.owned();
    assert_eq!((a.rc.phase(), a.rc.owners()), (PREP, 3));
    a.rc.set_phase(READY);
    assert_eq!((a.rc.phase(), a.rc.owners()), (READY, 3));
    drop(b);
    drop(c);
    assert_eq!((a.rc.phase(), a.rc.owners()), (READY, 1));
    a.rc.set_phase(ZOMBIE);
    assert!(a.is_zombie());
    assert_eq!(a.rc.owners(), 1);
}
