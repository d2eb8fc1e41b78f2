//! Accept when the process is out of descriptors. A test binary of its own, since it lowers
//! the process's descriptor limit (with `prlimit` from util-linux).

mod common;

use common::{new_runtime, open_fds, start_server};
use std::cell::RefCell;
use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::rc::Rc;

fn set_fd_limit(soft: usize) {
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={soft}:"))
        .status()
        .expect("this test needs `prlimit` (util-linux)");
    assert!(status.success());
}

#[test]
fn accept_out_of_descriptors_resumes_when_they_free_up() {
    const CLIENTS: usize = 3;
    let (mut s, miopoll) = new_runtime();
    let fillers: Rc<RefCell<Vec<File>>> = Rc::default();
    let f = fillers.clone();
    // The first EMFILE frees the filler descriptors: the retried accept must then succeed.
    let (_server, addr, stats) =
        start_server(&mut s, CLIENTS, Box::new(move || f.borrow_mut().clear()));
    // Connections wait in the listener's backlog; each accept needs one more descriptor.
    let clients: Vec<TcpStream> = (0..CLIENTS)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    set_fd_limit(open_fds() + 16);
    loop {
        match File::open("/dev/null") {
            Ok(file) => fillers.borrow_mut().push(file),
            Err(e) if e.raw_os_error() == Some(24) => break,
            Err(e) => panic!("{e}"),
        }
    }
    let talk = std::thread::spawn(move || {
        for (i, mut c) in clients.into_iter().enumerate() {
            c.write_all(&[i as u8]).unwrap();
            let mut b = [0; 1];
            c.read_exact(&mut b).unwrap();
            assert_eq!(b[0], i as u8);
        }
    });
    miopoll.run(&mut s).unwrap();
    talk.join().unwrap();
    let st = stats.borrow();
    assert!(st.out_of_fds >= 1, "accept never met EMFILE: {st:?}");
    assert_eq!(
        (st.accepted, st.closed, st.bytes_out),
        (CLIENTS, CLIENTS, CLIENTS)
    );
}
