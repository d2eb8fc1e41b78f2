//! `Shards`: connections handed to shard threads, echoed there, all stopped by one call.

mod common;

use common::Hub;
use stakker_core::{actor, call, ret_nop, Fwd};
use stakker_mio::Shards;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn connections_spread_over_shards_and_one_call_stops_them_all() {
    const CLIENTS: usize = 40;
    let delivered: Arc<[AtomicUsize; 2]> = Arc::default();
    let d = delivered.clone();
    let mut shards = Shards::start(2, move |s, index| {
        let hub = actor!(s, Hub::init(), ret_nop!());
        let d = d.clone();
        Fwd::new(move |stream| {
            d[index].fetch_add(1, Ordering::SeqCst);
            call!([hub], conn(stream));
        })
    })
    .unwrap();
    assert_eq!(shards.len(), 2);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            std::thread::spawn(move || {
                let mut c = std::net::TcpStream::connect(addr).unwrap();
                let msg: Vec<u8> = (0..1000).map(|k| (k + i) as u8).collect();
                c.write_all(&msg).unwrap();
                c.shutdown(std::net::Shutdown::Write).unwrap();
                let mut back = Vec::new();
                c.read_to_end(&mut back).unwrap();
                assert!(back == msg, "client {i}: echo differs");
            })
        })
        .collect();
    for _ in 0..CLIENTS {
        let (stream, _) = listener.accept().unwrap();
        assert!(shards.dispatch(stream));
    }
    for c in clients {
        c.join().unwrap();
    }
    // Round robin: each shard served half.
    assert_eq!(delivered[0].load(Ordering::SeqCst), CLIENTS / 2);
    assert_eq!(delivered[1].load(Ordering::SeqCst), CLIENTS / 2);
    shards.shutdown().unwrap(); // returns only once both threads have ended
}
