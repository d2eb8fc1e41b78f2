//! 10,000 sequential connections leave no descriptor behind. A test binary of its own, so no
//! other test opens descriptors while they are counted.

mod common;

use common::{new_runtime, open_fds, start_server};
use std::io::{Read, Write};
use std::net::TcpStream;

#[test]
fn ten_thousand_sequential_connections_leak_no_descriptor() {
    const CONNS: usize = 10_000;
    let before = open_fds();
    {
        let (mut s, miopoll) = new_runtime();
        let (_server, addr, stats) = start_server(&mut s, CONNS, Box::new(|| ()));
        let client = std::thread::spawn(move || {
            for i in 0..CONNS {
                let mut c = TcpStream::connect(addr).unwrap();
                c.write_all(&[i as u8]).unwrap();
                let mut b = [0; 1];
                c.read_exact(&mut b).unwrap();
                assert_eq!(b[0], i as u8);
            }
        });
        miopoll.run(&mut s).unwrap();
        client.join().unwrap();
        let st = stats.borrow();
        assert_eq!(
            (st.accepted, st.closed, st.bytes_out),
            (CONNS, CONNS, CONNS)
        );
        // Every connection closed and the server stopped (closing its listener): only the
        // poll and its waker remain open.
        assert_eq!(open_fds(), before + 2, "descriptors leaked while running");
    }
    assert_eq!(
        open_fds(),
        before,
        "descriptors leaked after the runtime was dropped"
    );
}
