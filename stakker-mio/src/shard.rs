//! `Shards`: one runtime and poll per thread, fed accepted connections through `Channel`s.

use crate::mio::net::TcpStream;
use crate::mio::{Events, Poll};
use crate::MioPoll;
use stakker_core::sync::Channel;
use stakker_core::{Fwd, Stakker, StopCause};
use std::io::{Error, Result};
use std::thread::JoinHandle;

/// What the accepting side sends a shard.
enum ToShard {
    Conn(std::net::TcpStream),
    Stop,
}

/// A set of shard threads, each running its own [`Stakker`] on its own [`MioPoll`]: the way
/// past one thread. The accepting side (any thread, typically a listener actor on its own
/// runtime) hands each accepted connection to one shard with [`dispatch`](Shards::dispatch),
/// round robin, and [`shutdown`](Shards::shutdown) stops every shard at once and joins them.
///
/// Each shard calls `setup` once on its own thread, with its runtime and its index, to start
/// its actors; `setup` returns the [`Fwd`] that receives the shard's connections (already
/// non-blocking `mio` streams, ready for [`MioPoll::add`]). A connection's actors then stay on
/// that shard: only the hand-over crosses threads.
///
/// ```
/// use stakker_core::{Fwd, Stakker};
/// use stakker_mio::Shards;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let got = Arc::new(AtomicUsize::new(0));
/// let g = got.clone();
/// let mut shards = Shards::start(2, move |_s: &mut Stakker, _index| {
///     let g = g.clone();
///     // A real shard would start a connection actor here (see the `sharded` example).
///     Fwd::new(move |_stream| { g.fetch_add(1, Ordering::SeqCst); })
/// })?;
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let _clients: Vec<_> = (0..4)
///     .map(|_| std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap())
///     .collect();
/// for _ in 0..4 {
///     let (stream, _) = listener.accept()?;
///     assert!(shards.dispatch(stream));
/// }
/// shards.shutdown()?; // every connection handed over was delivered before the stop
/// assert_eq!(got.load(Ordering::SeqCst), 4);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Shards {
    channels: Vec<Channel<ToShard>>,
    threads: Vec<JoinHandle<Result<()>>>,
    next: usize,
}

impl Shards {
    /// Starts `n` shard threads (`0`: one per available core), each calling `setup` as
    /// described above.
    ///
    /// # Errors
    ///
    /// The first shard's failure to create its poll or thread (the others are then stopped).
    pub fn start<F>(n: usize, setup: F) -> Result<Shards>
    where
        F: Fn(&mut Stakker, usize) -> Fwd<TcpStream> + Send + Sync + 'static,
    {
        let n = match n {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let setup = std::sync::Arc::new(setup);
        let mut shards = Shards {
            channels: Vec::new(),
            threads: Vec::new(),
            next: 0,
        };
        for index in 0..n {
            let (tx, rx) = std::sync::mpsc::channel();
            let setup = setup.clone();
            let thread = std::thread::Builder::new()
                .name(format!("stakker-shard-{index}"))
                .spawn(move || run_shard(index, &*setup, tx));
            let started = thread.and_then(|t| {
                shards.threads.push(t);
                rx.recv()
                    .map_err(|_| Error::other("a shard thread died while starting"))?
            });
            match started {
                Ok(channel) => shards.channels.push(channel),
                Err(e) => {
                    let _ = shards.shutdown();
                    return Err(e);
                }
            }
        }
        Ok(shards)
    }

    /// The number of shards.
    pub fn len(&self) -> usize {
        self.channels.len()
    }

    /// Whether there are no shards (never, once started).
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty()
    }

    /// Hands `stream` to the next shard, round robin. Returns `false` (dropping, so closing,
    /// the connection) if that shard has already stopped.
    pub fn dispatch(&mut self, stream: std::net::TcpStream) -> bool {
        let i = self.next;
        self.next = (self.next + 1) % self.channels.len();
        self.dispatch_to(i, stream)
    }

    /// Hands `stream` to shard `index` (for a balancing policy of your own).
    ///
    /// # Panics
    ///
    /// If `index` is not below [`len`](Shards::len).
    pub fn dispatch_to(&mut self, index: usize, stream: std::net::TcpStream) -> bool {
        self.channels[index].send(ToShard::Conn(stream))
    }

    /// Stops every shard (each after delivering the connections handed to it before) and
    /// waits for their threads.
    ///
    /// # Errors
    ///
    /// The first error a shard's loop ended with.
    ///
    /// # Panics
    ///
    /// If a shard thread panicked.
    pub fn shutdown(mut self) -> Result<()> {
        for c in &self.channels {
            c.send(ToShard::Stop);
        }
        let mut result = Ok(());
        for t in self.threads.drain(..) {
            let r = t.join().expect("a shard thread panicked");
            if result.is_ok() {
                result = r;
            }
        }
        result
    }
}

impl Drop for Shards {
    /// Stops the shards without waiting for them (use [`shutdown`](Shards::shutdown) to wait).
    fn drop(&mut self) {
        for c in &self.channels {
            c.send(ToShard::Stop);
        }
    }
}

/// A shard thread: its runtime and poll, its `setup`, and the channel it reports back.
fn run_shard<F>(
    index: usize,
    setup: &F,
    started: std::sync::mpsc::Sender<Result<Channel<ToShard>>>,
) -> Result<()>
where
    F: Fn(&mut Stakker, usize) -> Fwd<TcpStream>,
{
    let mut s = Stakker::new(std::time::Instant::now());
    let miopoll =
        match Poll::new().and_then(|p| MioPoll::new(&mut s, p, Events::with_capacity(1024), 10)) {
            Ok(m) => m,
            Err(e) => {
                let _ = started.send(Err(Error::new(e.kind(), format!("shard {index}: {e}"))));
                return Ok(());
            }
        };
    let conns = setup(&mut s, index);
    let deferrer = s.deferrer();
    let on_msg = Fwd::new(move |msg| match msg {
        ToShard::Conn(stream) => {
            // Accepted sockets inherit blocking mode on some platforms: mio needs non-blocking.
            match stream.set_nonblocking(true) {
                Ok(()) => conns.fwd(TcpStream::from_std(stream)),
                Err(_) => drop(stream), // a dead socket: closing it is all there is to do
            }
        }
        ToShard::Stop => deferrer.defer(|s| s.shutdown(StopCause::Stopped)),
    });
    let (channel, _guard) = Channel::new(&mut s, on_msg);
    let _ = started.send(Ok(channel));
    miopoll.run(&mut s).map(drop)
}
