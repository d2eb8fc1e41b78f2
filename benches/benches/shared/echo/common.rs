//! What every echo server shares: the handle the bench keeps for a running server, and the
//! per-connection echo logic of the two mio-based servers written here (the stakker-core actor
//! and the plain-mio loop run the very same code, so they differ only in how events reach it).

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::thread::JoinHandle;

/// How the bench asks a server thread to finish. Called once, from the bench thread.
pub(crate) type Stopper = Box<dyn FnOnce() + Send>;

/// A server running on its own thread.
pub(crate) struct ServerHandle {
    /// Where it listens (127.0.0.1, an ephemeral port).
    pub(crate) addr: SocketAddr,
    /// The server thread's `/proc/self/task/<tid>/schedstat` (Linux), for its CPU time.
    schedstat: Option<std::path::PathBuf>,
    stop: Option<Stopper>,
    thread: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Binds 127.0.0.1:0 here (so the address is known before the thread starts), then runs
    /// `serve` on a new thread with the non-blocking listener. `serve` sends its [`Stopper`]
    /// once it is set up, and returns once stopped.
    pub(crate) fn spawn(
        name: &str,
        serve: impl FnOnce(TcpListener, mpsc::Sender<Stopper>) + Send + 'static,
    ) -> ServerHandle {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("set_nonblocking");
        let addr = listener.local_addr().expect("local_addr");
        let (tx, rx) = mpsc::channel();
        let (task_tx, task_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name(format!("echo-{name}"))
            .spawn(move || {
                // "<pid>/task/<tid>", without unsafe code or a gettid call.
                let task = std::fs::read_link("/proc/thread-self").ok();
                let _ = task_tx
                    .send(task.map(|t| std::path::Path::new("/proc").join(t).join("schedstat")));
                serve(listener, tx)
            })
            .expect("spawn server thread");
        let schedstat = task_rx
            .recv()
            .expect("the server thread failed during set-up");
        let stop = rx.recv().expect("the server thread failed during set-up");
        ServerHandle {
            addr,
            schedstat,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl ServerHandle {
    /// The CPU time (user + system) the server thread has used so far, from the kernel's
    /// per-task `schedstat` (nanoseconds).
    ///
    /// # Panics
    ///
    /// Where `/proc/<pid>/task/<tid>/schedstat` cannot be read (not Linux, or no schedstats).
    pub(crate) fn cpu_time(&self) -> std::time::Duration {
        let path = self
            .schedstat
            .as_ref()
            .expect("per-thread CPU time needs Linux /proc");
        let text = std::fs::read_to_string(path).expect("read the server thread's schedstat");
        let ns = text.split_whitespace().next().and_then(|f| f.parse().ok());
        std::time::Duration::from_nanos(ns.expect("schedstat: CPU time in ns first"))
    }
}

impl Drop for ServerHandle {
    /// Stops the server and joins its thread.
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        if let Some(t) = self.thread.take() {
            if t.join().is_err() && !std::thread::panicking() {
                panic!("the echo server thread panicked");
            }
        }
    }
}

/// Readiness of one source, as the stand-in loop and the plain loop report it. Closed and
/// error conditions count as both readable and writable, so the next `read`/`write` reports
/// them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ready {
    /// Data, end of stream or an error may be read.
    pub(crate) readable: bool,
    /// The send buffer has room (or the stream failed).
    pub(crate) writable: bool,
}

impl Ready {
    /// From a mio event.
    pub(crate) fn of(ev: &mio::event::Event) -> Ready {
        let bad = ev.is_error();
        Ready {
            readable: ev.is_readable() || ev.is_read_closed() || bad,
            writable: ev.is_writable() || ev.is_write_closed() || bad,
        }
    }
}

/// Size of the read buffer of a connection.
const READ_BUF: usize = 16 * 1024;

/// The echo state of one edge-triggered mio connection: a read buffer, the output that could
/// not be written yet, and whether the peer has finished sending.
pub(crate) struct Echo {
    buf: Box<[u8]>,
    out: Vec<u8>,
    eof: bool,
}

impl Echo {
    pub(crate) fn new() -> Echo {
        Echo {
            buf: vec![0; READ_BUF].into_boxed_slice(),
            out: Vec::new(),
            eof: false,
        }
    }

    /// Handles one readiness report: when readable, reads until `WouldBlock` (edge-triggered
    /// polling needs the drain) and writes each chunk straight back, buffering what the socket
    /// does not take; when writable, flushes the buffer. Returns `false` once the connection
    /// is finished (peer closed and everything echoed, or an error).
    pub(crate) fn ready<S: Read + Write>(&mut self, stream: &mut S, ready: Ready) -> bool {
        let mut appended = false;
        if ready.readable && !self.eof {
            loop {
                match stream.read(&mut self.buf) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => {
                        if self.out.is_empty() {
                            match write_some(stream, &self.buf[..n]) {
                                Ok(done) => self.out.extend_from_slice(&self.buf[done..n]),
                                Err(_) => return false,
                            }
                        } else {
                            self.out.extend_from_slice(&self.buf[..n]);
                            appended = true;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => return false,
                }
            }
        }
        // Buffered output goes out on writable, or right after more was queued behind it.
        if !self.out.is_empty() && (ready.writable || appended) {
            match write_some(stream, &self.out) {
                Ok(done) => drop(self.out.drain(..done)),
                Err(_) => return false,
            }
        }
        !(self.eof && self.out.is_empty())
    }
}

/// Writes as much of `data` as the socket takes now; returns how much that was.
fn write_some<S: Write>(stream: &mut S, data: &[u8]) -> std::io::Result<usize> {
    let mut done = 0;
    while done < data.len() {
        match stream.write(&data[done..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
