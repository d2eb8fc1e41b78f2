//! `TcpStreamBuf` over real loopback sockets, against the echo server of `common`.

mod common;

use common::{new_runtime, start_server};
use stakker_core::fwd_nop;
use stakker_mio::mio::net::TcpStream as MioTcpStream;
use stakker_mio::mio::Interest;
use stakker_mio::{ReadStatus, TcpStreamBuf};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

/// Client data that shows any lost, repeated or reordered byte.
fn pattern(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 7 + seed * 13 + i / 251) % 256) as u8)
        .collect()
}

/// Sends `data` in `chunk`-sized writes while reading the echo, then checks it.
fn echo_client(addr: std::net::SocketAddr, data: Vec<u8>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sent = data.clone();
    let w = thread::spawn(move || {
        for chunk in sent.chunks(1000) {
            writer.write_all(chunk).unwrap();
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    w.join().unwrap();
    assert!(
        back == data,
        "echo differs: {} bytes back of {}",
        back.len(),
        data.len()
    );
}

#[test]
fn echo_with_many_clients() {
    const CLIENTS: usize = 40;
    let (mut s, miopoll) = new_runtime();
    let (_server, addr, stats) = start_server(&mut s, CLIENTS, Box::new(|| ()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| thread::spawn(move || echo_client(addr, pattern(i, 5000 + i * 997))))
        .collect();
    miopoll.run(&mut s).unwrap();
    for c in clients {
        c.join().unwrap();
    }
    let st = stats.borrow();
    let total: usize = (0..CLIENTS).map(|i| 5000 + i * 997).sum();
    assert_eq!((st.accepted, st.closed), (CLIENTS, CLIENTS));
    assert_eq!((st.bytes_in, st.bytes_out), (total, total));
    assert!(st.errors.is_empty(), "{:?}", st.errors);
}

#[test]
fn slow_reader_gets_every_byte_through_partial_writes() {
    const LEN: usize = 24 << 20; // more than the loopback socket buffers hold
    let (mut s, miopoll) = new_runtime();
    let (_server, addr, stats) = start_server(&mut s, 1, Box::new(|| ()));
    let client = thread::spawn(move || {
        let data = pattern(99, LEN);
        let mut stream = TcpStream::connect(addr).unwrap();
        // Write everything before reading a byte: the server's writes then meet a full
        // socket and must keep the rest.
        stream.write_all(&data).unwrap();
        stream.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        let mut buf = [0; 4096];
        loop {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            back.extend_from_slice(&buf[..n]);
        }
        assert_eq!(back.len(), LEN);
        assert!(back == data, "echoed data differs");
    });
    miopoll.run(&mut s).unwrap();
    client.join().unwrap();
    let st = stats.borrow();
    assert_eq!((st.bytes_in, st.bytes_out), (LEN, LEN));
    assert!(
        st.max_backlog > 0,
        "no write was partial; the test proves nothing"
    );
    assert!(st.errors.is_empty(), "{:?}", st.errors);
}

#[test]
fn eof_mid_stream_is_echoed_then_closed_and_reset_is_an_error() {
    let (mut s, miopoll) = new_runtime();
    let (_server, addr, stats) = start_server(&mut s, 2, Box::new(|| ()));
    let client = thread::spawn(move || {
        // EOF after half a message: the half comes back, then end of stream.
        let mut a = TcpStream::connect(addr).unwrap();
        a.write_all(b"half a mess").unwrap();
        a.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        a.read_to_end(&mut back).unwrap();
        assert_eq!(back, b"half a mess");
        // Reset: close with unread echo in the buffer, so the kernel sends RST.
        let mut b = TcpStream::connect(addr).unwrap();
        b.write_all(&[7; 100]).unwrap();
        let mut one = [0; 1];
        b.read_exact(&mut one).unwrap();
        thread::sleep(std::time::Duration::from_millis(20)); // let all 100 arrive
        drop(b);
    });
    miopoll.run(&mut s).unwrap();
    client.join().unwrap();
    let st = stats.borrow();
    assert_eq!(st.closed, 2);
    assert_eq!(st.errors.len(), 1, "{:?}", st.errors);
    assert!(
        matches!(
            st.errors[0],
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ),
        "{:?}",
        st.errors
    );
}

#[test]
fn accept_storm() {
    const THREADS: usize = 4;
    const PER: usize = 100;
    let (mut s, miopoll) = new_runtime();
    let (_server, addr, stats) = start_server(&mut s, THREADS * PER, Box::new(|| ()));
    let clients: Vec<_> = (0..THREADS)
        .map(|t| {
            thread::spawn(move || {
                // All connect before any talks, so the backlog fills at once.
                let mut conns: Vec<TcpStream> = (0..PER)
                    .map(|_| TcpStream::connect(addr).unwrap())
                    .collect();
                for (i, c) in conns.iter_mut().enumerate() {
                    c.write_all(&[(t * PER + i) as u8]).unwrap();
                }
                for (i, c) in conns.iter_mut().enumerate() {
                    let mut b = [0; 1];
                    c.read_exact(&mut b).unwrap();
                    assert_eq!(b[0], (t * PER + i) as u8);
                }
            })
        })
        .collect();
    miopoll.run(&mut s).unwrap();
    for c in clients {
        c.join().unwrap();
    }
    let st = stats.borrow();
    assert_eq!(
        (st.accepted, st.closed, st.bytes_out),
        (THREADS * PER, THREADS * PER, THREADS * PER)
    );
}

#[test]
fn buffer_misuse_gives_clear_errors() {
    let (_s, miopoll) = new_runtime();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stream = MioTcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    let src = miopoll
        .add(
            stream,
            Interest::READABLE | Interest::WRITABLE,
            10,
            fwd_nop!(),
        )
        .unwrap();
    let mut tcp = TcpStreamBuf::new();
    tcp.init(src);

    match tcp.read(TcpStreamBuf::MAX_READ + 1) {
        ReadStatus::Error(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidInput);
            assert!(e.to_string().contains("MAX_READ"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert!(tcp.inp.is_empty(), "an oversized limit must not allocate");

    // Connect may still be in progress: flush until the data is out.
    tcp.out.extend_from_slice(b"bye");
    tcp.out_eof = true;
    while !tcp.out.is_empty() {
        tcp.flush().unwrap();
    }
    let mut got = Vec::new();
    peer.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"bye");

    tcp.out.extend_from_slice(b"more");
    let e = tcp.flush().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BrokenPipe);
    assert!(e.to_string().contains("out_eof"), "{e}");
}

#[test]
fn read_and_write_traits_and_exchange() {
    let mut lower = TcpStreamBuf::new();
    let mut upper = TcpStreamBuf::new();
    let mut b = [0; 4];
    assert_eq!(
        Read::read(&mut upper, &mut b).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    lower.inp_makespace(10);
    lower.inp[..5].copy_from_slice(b"hello");
    lower.wr = 5;
    lower.inp_eof = true;
    upper.write_all(b"out").unwrap();
    upper.out_eof = true;
    upper.exchange(&mut lower);
    assert_eq!((lower.out.as_slice(), lower.out_eof), (&b"out"[..], true));
    assert_eq!((lower.rd, lower.wr, upper.inp_eof), (0, 0, true));
    let mut text = String::new();
    upper.read_to_string(&mut text).unwrap();
    assert_eq!(text, "hello");
    assert_eq!(
        Read::read(&mut upper, &mut b).unwrap(),
        0,
        "end of stream once drained"
    );
    // No stream: reads would block, flush sends nothing.
    assert!(matches!(upper.read(10), ReadStatus::WouldBlock));
    upper.out.extend_from_slice(b"x");
    upper.flush().unwrap();
    assert_eq!(upper.out, b"x");
}

#[test]
fn makespace_compacts_before_growing() {
    let mut t = TcpStreamBuf::new();
    t.inp_makespace(8);
    assert_eq!(t.inp.len(), 16);
    t.inp[..12].copy_from_slice(b"0123456789ab");
    t.rd = 10;
    t.wr = 12;
    t.inp_makespace(8); // 2 unread + 8 fit after moving to the front
    assert_eq!((t.rd, t.wr, &t.inp[..2]), (0, 2, &b"ab"[..]));
    assert_eq!(t.inp.len(), 16);
    t.inp_makespace(100);
    assert!(t.inp.len() >= 200);
    assert_eq!(&t.inp[..2], b"ab");
}
