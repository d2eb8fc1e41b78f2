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

/// Blocks of dropped actors are kept by their runtime and reused for new actors of the same
/// size class; the pool is bounded and emptied when the `Stakker` is dropped.
#[cfg(not(feature = "no-unsafe"))]
#[test]
fn actor_blocks_are_pooled_and_reused() {
    use rc_fast::POOL_MAX_BYTES;
    let mut s = crate::Stakker::new(crate::time::Instant::from_nanos(0));
    let pool = |s: &crate::Stakker| s.core.deferrer.0.actor_pool.bytes();
    let spawn = |s: &mut crate::Stakker, n: usize| -> Vec<ActorOwn<[u64; 3]>> {
        (0..n)
            .map(|_| ActorOwn::<[u64; 3]>::new(s, Ret::nop(), 0))
            .collect()
    };
    let a = spawn(&mut s, 10);
    assert_eq!(pool(&s), 0);
    let old: Vec<usize> = a.iter().map(|x| x.rc.addr()).collect();
    drop(a);
    // Dropping the owners only queues termination; the blocks are freed once it has run
    // and the last references (the queued items) are gone.
    s.run(crate::time::Instant::from_nanos(0), false);
    // 64-byte blocks (80 with the `logger` feature's ID, rounded up to the 16-byte class).
    let block = if cfg!(feature = "logger") { 80 } else { 64 };
    assert_eq!(pool(&s), 10 * block);
    // Same class (a box of the same size for another type): reused.
    let b: Vec<ActorOwn<[u8; 24]>> = (0..4)
        .map(|_| ActorOwn::<[u8; 24]>::new(&mut s, Ret::nop(), 0))
        .collect();
    assert_eq!(pool(&s), 6 * block);
    assert!(b.iter().all(|x| old.contains(&x.rc.addr())));
    // A larger class does not take them.
    let c = ActorOwn::<[u64; 16]>::new(&mut s, Ret::nop(), 0);
    assert_eq!(pool(&s), 6 * block);
    // Bounded: far more than the cap dropped at once keeps at most the cap.
    let many = spawn(&mut s, POOL_MAX_BYTES / block + 1000);
    drop(many);
    s.run(crate::time::Instant::from_nanos(0), false);
    assert!(pool(&s) <= POOL_MAX_BYTES && pool(&s) > POOL_MAX_BYTES - block);
    // Dropping the runtime empties the pool; actors dropped afterwards free their blocks.
    let shared = s.core.deferrer.0.clone();
    drop(s);
    assert_eq!(shared.actor_pool.bytes(), 0);
    drop((b, c));
    assert_eq!(shared.actor_pool.bytes(), 0);
}
