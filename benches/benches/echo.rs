//! A TCP echo server on loopback, the same client load against several servers.
//!
//! Two kinds of group. `echo_cpu_{1,16,256}` measure the **server thread's CPU time** (user +
//! system, read from the kernel's per-task `schedstat`) per iteration of 4,096 round trips of
//! 64-byte messages, pipelined: per round the client writes `depth` messages to each
//! connection in one write, then reads all the echoes back (1 connection: depth 16, 256
//! rounds; 16 connections: depth 16, 16 rounds; 256 connections: depth 4, 4 rounds). Wall time
//! on loopback is mostly the kernel's and the client's, and cannot separate the runtimes; the
//! server's CPU time can. The figure to quote is the time per iteration divided by 4,096: the
//! server's CPU per round trip. Reading `schedstat` needs Linux.
//!
//! Group `echo_16x1000` (wall time): one iteration is 1,000 rounds over 16 connections; in a round the
//! client writes a 64-byte message to each of the 16 connections, then reads the 16 echoes
//! back and compares each with what it sent (the payload carries a message counter and the
//! connection number). Throughput is counted in round trips: 16,000 per iteration. The client
//! is 16 blocking `std::net::TcpStream`s driven in lock-step from the bench thread; the server
//! runs on its own thread, is started once per benchmark (listening on 127.0.0.1:0), checked
//! for correctness once before timing (lock-step rounds, plus 16 MiB through one connection
//! whose reader starts late, so servers that buffer their output have to finish on
//! writable), and stopped (a flag or wake, then the thread is joined) after it. TCP_NODELAY is
//! set on both sides. So each figure is the latency of a loopback round trip through the
//! kernel plus what the server's event loop and runtime add to it, with 16 connections ready
//! at once.
//!
//! The servers:
//!
//! - `stakker-mio`: stakker-core on this workspace's stakker-mio adapter (`MioPoll::run`): a
//!   listener actor and one actor per connection (the registered `mio::net::TcpStream` and an
//!   output buffer; on readable it reads everything available and writes it back, buffering
//!   what the socket does not take and finishing on writable). The per-connection code is the
//!   very code `mio-plain` runs (`shared/echo/common.rs`), so the two differ only by the
//!   adapter and the runtime.
//! - `stakker-core+tokio`: the same actors (the same echo code) on the stakker-tokio adapter
//!   (`shared/echo/core_tokio.rs`): `TokioDriver::run` on a current-thread runtime, the
//!   listener and the connections registered with `TokioHandle::register` (readiness as
//!   `Fwd<Ready>` calls, writable watched only while output is buffered); the actor reads and
//!   writes with `try_read`/`try_write`, taking a short read as drained like tokio's `read`
//!   (it clears readiness through `try_io`), so it makes the same syscalls as `tokio-local`.
//! - `stakker-0.2.16+stakker_mio`: the original crate with its original adapter
//!   (`stakker_mio` 0.3.0): `MioPoll`, a `TcpStreamBuf` per connection, the main loop from its
//!   documentation.
//! - `tokio-current-thread`: a current-thread tokio runtime, one spawned task per connection
//!   doing `read` + `write_all`.
//! - `tokio-local`: the same tasks spawned with `spawn_local` on a `LocalSet`, the baseline
//!   stakker-tokio's actors are compared with.
//! - `mio-plain`: a hand-written mio loop without actors, running the same per-connection code
//!   as the `stakker-mio` actor: the floor.
//!
//! actix and kameo are not included: neither has an I/O layer of its own. Their users accept
//! and serve sockets with tokio tasks, exactly as in `tokio-current-thread`, so their figure
//! would be that entry's.
//!
//! Differences in syscalls worth knowing when reading the figures: the three mio-based servers
//! read until `WouldBlock`, as mio's edge-triggered contract asks, so each message costs one
//! extra `read` returning `EAGAIN`; tokio skips it after a short read (its readiness tracking
//! clears readiness itself).
//!
//! Each server is started once per process and serves every group (the original crate allows
//! runtimes on one thread per process only), then stopped at the end.
//!
//! Run with `cargo bench -p stakker-benches --bench echo` (add `-- --quick` for a short run,
//! or a filter such as `echo_cpu`). `STAKKER_BENCH_CLOCK` is ignored here: `echo_16x1000` is
//! wall time, `echo_cpu_*` the server thread's CPU time.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use std::sync::Mutex;
use std::time::Duration;

#[path = "shared/echo/client.rs"]
mod client;
#[path = "shared/echo/common.rs"]
mod common;
#[path = "shared/echo/core_mio.rs"]
mod core_mio;
#[path = "shared/echo/core_tokio.rs"]
mod core_tokio;
#[path = "shared/echo/orig_mio.rs"]
mod orig_mio;
#[path = "shared/echo/plain.rs"]
mod plain;
#[path = "shared/echo/tokio_local.rs"]
mod tokio_local;
#[path = "shared/echo/tokio_rt.rs"]
mod tokio_rt;

use client::{Load, CONNS};
use common::ServerHandle;

/// Lock-step rounds per iteration of `echo_16x1000`.
const ROUNDS: usize = 1_000;
/// Round trips per iteration of the `echo_cpu_*` groups.
const CPU_ROUND_TRIPS: usize = 4_096;

/// A server's name, how to start it, and the running server once started.
type Entry = (&'static str, fn() -> ServerHandle, Option<ServerHandle>);

/// The servers, each started on first use and kept for the whole run.
struct Servers(Vec<Entry>);

impl Servers {
    fn get(&mut self, name: &str) -> &ServerHandle {
        let (_, start, handle) = self
            .0
            .iter_mut()
            .find(|(n, ..)| *n == name)
            .expect("a known server");
        handle.get_or_insert_with(|| {
            let server = start();
            Load::connect(server.addr).check();
            server
        })
    }
}

/// A criterion measurement: the CPU time of the server thread currently measured (set before
/// each benchmark).
struct ServerCpu<'a>(&'a Mutex<Option<&'a ServerHandle>>);

impl Measurement for ServerCpu<'_> {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        self.0
            .lock()
            .unwrap()
            .expect("no server selected")
            .cpu_time()
    }
    fn end(&self, start: Duration) -> Duration {
        self.start().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        static WALL: WallTime = WallTime;
        WALL.formatter()
    }
}

/// Benchmarks one server in the wall-time group.
fn bench_wall(g: &mut BenchmarkGroup<'_, WallTime>, servers: &mut Servers, name: &'static str) {
    let mut load: Option<Load> = None;
    g.bench_function(name, |b| {
        let load = load.get_or_insert_with(|| Load::connect(servers.get(name).addr));
        b.iter(|| load.rounds(ROUNDS));
    });
}

fn echo_wall(c: &mut Criterion, servers: &mut Servers) {
    let mut g = c.benchmark_group("echo_16x1000");
    g.throughput(Throughput::Elements((CONNS * ROUNDS) as u64));
    // An iteration takes tens of milliseconds: flat sampling, few samples.
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for name in [
        "stakker-mio",
        "stakker-core+tokio",
        "stakker-0.2.16+stakker_mio",
        "tokio-current-thread",
        "tokio-local",
        "mio-plain",
    ] {
        bench_wall(&mut g, servers, name);
    }
    g.finish();
}

fn echo_cpu(servers: &mut Servers) {
    let current: Mutex<Option<&ServerHandle>> = Mutex::new(None);
    // Start every server first, so the measurement can borrow them all.
    let names = [
        "stakker-mio",
        "stakker-0.2.16+stakker_mio",
        "mio-plain",
        "stakker-core+tokio",
        "tokio-local",
        "tokio-current-thread",
    ];
    for name in names {
        servers.get(name);
    }
    let servers = &*servers;
    let find = |name: &str| {
        servers
            .0
            .iter()
            .find(|(n, ..)| *n == name)
            .and_then(|(.., h)| h.as_ref())
            .unwrap()
    };
    let mut c = Criterion::default()
        .with_measurement(ServerCpu(&current))
        .configure_from_args();
    for (conns, depth) in [(1, 16), (16, 16), (256, 4)] {
        let rounds = CPU_ROUND_TRIPS / (conns * depth);
        let mut g = c.benchmark_group(format!("echo_cpu_{conns}"));
        g.throughput(Throughput::Elements(CPU_ROUND_TRIPS as u64));
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(10);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(3));
        for name in names {
            let server = find(name);
            let mut load: Option<Load> = None;
            g.bench_function(name, |b| {
                *current.lock().unwrap() = Some(server);
                let load = load.get_or_insert_with(|| Load::connect_n(server.addr, conns));
                b.iter(|| load.pipelined(rounds, depth));
            });
        }
        g.finish();
    }
    c.final_summary();
}

fn main() {
    println!("clock: echo_16x1000 wall time; echo_cpu_* the server thread's CPU time");
    let mut servers = Servers(vec![
        ("stakker-mio", core_mio::start as fn() -> ServerHandle, None),
        ("stakker-core+tokio", core_tokio::start, None),
        ("stakker-0.2.16+stakker_mio", orig_mio::start, None),
        ("tokio-current-thread", tokio_rt::start, None),
        ("tokio-local", tokio_local::start, None),
        ("mio-plain", plain::start, None),
    ]);
    let mut c = Criterion::default().configure_from_args();
    echo_wall(&mut c, &mut servers);
    c.final_summary();
    echo_cpu(&mut servers);
    // Dropping `servers` stops every server and joins its thread.
}
