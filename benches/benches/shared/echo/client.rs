//! The load generator, the same for every server: `CONNS` blocking `std::net::TcpStream`s
//! driven in lock-step from the bench thread.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Connections per server.
pub(crate) const CONNS: usize = 16;
/// Bytes per message.
pub(crate) const MSG: usize = 64;

/// `CONNS` client connections to one server, and the next message number.
pub(crate) struct Load {
    conns: Vec<TcpStream>,
    seq: u64,
}

/// Message number `seq` on connection `conn`: the number, the connection, then a pattern
/// derived from both, so a misplaced, stale or corrupted echo cannot compare equal.
fn message(seq: u64, conn: usize) -> [u8; MSG] {
    let mut m = [0u8; MSG];
    m[..8].copy_from_slice(&seq.to_le_bytes());
    m[8..12].copy_from_slice(&(conn as u32).to_le_bytes());
    for (i, b) in m[12..].iter_mut().enumerate() {
        *b = (seq as u8).wrapping_mul(31).wrapping_add(i as u8) ^ conn as u8;
    }
    m
}

impl Load {
    /// Opens the connections (TCP_NODELAY on each).
    pub(crate) fn connect(addr: SocketAddr) -> Load {
        Load::connect_n(addr, CONNS)
    }

    /// Opens `n` connections (TCP_NODELAY on each).
    pub(crate) fn connect_n(addr: SocketAddr, n: usize) -> Load {
        let conns = (0..n)
            .map(|_| {
                let c = TcpStream::connect(addr).expect("connect to the echo server");
                c.set_nodelay(true).expect("TCP_NODELAY");
                // A broken server fails the bench instead of hanging it.
                c.set_read_timeout(Some(Duration::from_secs(10)))
                    .expect("read timeout");
                c
            })
            .collect();
        Load { conns, seq: 0 }
    }

    /// `rounds` rounds: one message to every connection, then every echo read back and
    /// compared with what was sent.
    pub(crate) fn rounds(&mut self, rounds: usize) {
        let mut got = [0u8; MSG];
        for _ in 0..rounds {
            let seq = self.seq;
            self.seq += 1;
            for (i, c) in self.conns.iter_mut().enumerate() {
                c.write_all(&message(seq, i)).expect("client write");
            }
            for (i, c) in self.conns.iter_mut().enumerate() {
                c.read_exact(&mut got).expect("client read (echo missing?)");
                assert!(got == message(seq, i), "wrong echo on connection {i}");
            }
        }
    }

    /// `rounds` pipelined rounds: `depth` messages to every connection (one write each), then
    /// all `depth` echoes of every connection read back and compared.
    pub(crate) fn pipelined(&mut self, rounds: usize, depth: usize) {
        let mut out = vec![0u8; depth * MSG];
        let mut got = vec![0u8; depth * MSG];
        for _ in 0..rounds {
            let seq = self.seq;
            self.seq += depth as u64;
            for (i, c) in self.conns.iter_mut().enumerate() {
                for (k, m) in out.chunks_mut(MSG).enumerate() {
                    m.copy_from_slice(&message(seq + k as u64, i));
                }
                c.write_all(&out).expect("client write");
            }
            for (i, c) in self.conns.iter_mut().enumerate() {
                c.read_exact(&mut got).expect("client read (echo missing?)");
                for (k, m) in got.chunks(MSG).enumerate() {
                    assert!(
                        m == message(seq + k as u64, i),
                        "wrong echo on connection {i}"
                    );
                }
            }
        }
    }

    /// The correctness check run once before timing: lock-step rounds, then `BLOB` bytes
    /// through connection 0 while its reader starts 50 ms late (more than the socket buffers
    /// hold, so servers that buffer their output have to, and finish on writable), then more
    /// rounds on every connection.
    pub(crate) fn check(&mut self) {
        const BLOB: usize = 16 << 20;
        self.rounds(100);
        let blob: Vec<u8> = (0..BLOB).map(|i| (i % 251) as u8).collect();
        let mut reader = self.conns[0].try_clone().expect("try_clone");
        let expect = blob.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let mut back = vec![0u8; BLOB];
            reader.read_exact(&mut back).expect("blob read");
            assert!(back == expect, "blob echoed wrongly");
        });
        self.conns[0].write_all(&blob).expect("blob write");
        t.join().expect("blob reader");
        self.rounds(100);
    }
}
