//! A TCP echo server on loopback, the same client load against several servers.
//!
//! Group `echo_16x1000`: one iteration is 1,000 rounds over 16 connections; in a round the
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
//! - `stakker-core+mio`: a listener actor and one actor per connection (the
//!   `mio::net::TcpStream` and an output buffer; on readable it reads everything available
//!   and writes it back, buffering what the socket does not take and finishing on writable).
//!   **The mio loop driving it is a bench-local stand-in** (`shared/echo/core_mio.rs`) until
//!   the stakker-mio adapter has an API: a `mio::Poll`, a token → `Fwd<Ready>` table, and an
//!   `EventLoop` whose `poll_wait` polls with the timeout the runtime allows and forwards
//!   each event to its actor's `Fwd`, run by the core's `run_blocking` driver (which calls
//!   `Stakker::run` after each poll). It has no priorities and no buffered-stream helpers.
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
//!   as the `stakker-core+mio` actor: the floor.
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
//! After each server's figures the bench prints the server thread's CPU time per round trip
//! over the timed iterations (read with `pthread_getcpuclockid`, so time spent descheduled
//! on a loaded machine does not count), the figure the stakker-tokio target is stated in.
//!
//! Run with `cargo bench -p stakker-benches --bench echo` (add `-- --quick` for a short run).
//! Two threads are involved, so this target always measures wall-clock time and ignores
//! `STAKKER_BENCH_CLOCK`, like the `sync` bench.

use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};

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

/// Lock-step rounds per iteration.
const ROUNDS: usize = 1_000;

/// Benchmarks one server, starting it (and checking it) only if the benchmark is selected.
fn bench_server(
    g: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    start: fn() -> ServerHandle,
) {
    // The load is declared after the server so that it is dropped first: the clients close,
    // then the server is stopped and joined.
    let mut rig: Option<(ServerHandle, Load)> = None;
    // The server thread's CPU time over the timed iterations, and how many there were.
    let mut server_cpu = (std::time::Duration::ZERO, 0u64);
    g.bench_function(name, |b| {
        let (server, load) = rig.get_or_insert_with(|| {
            let server = start();
            let mut load = Load::connect(server.addr);
            load.check();
            (server, load)
        });
        b.iter(|| {
            let before = server.cpu_time();
            load.rounds(ROUNDS);
            if let (Some(a), Some(b)) = (before, server.cpu_time()) {
                server_cpu.0 += b - a;
                server_cpu.1 += 1;
            }
        });
    });
    if server_cpu.1 > 0 {
        let per_trip = server_cpu.0.as_nanos() / u128::from(server_cpu.1 * (CONNS * ROUNDS) as u64);
        println!(
            "{name}: server CPU per round trip {per_trip} ns ({} iterations)",
            server_cpu.1
        );
    }
    if let Some((server, load)) = rig.take() {
        drop(load);
        drop(server);
    }
}

fn echo(c: &mut Criterion) {
    let mut g = c.benchmark_group("echo_16x1000");
    g.throughput(Throughput::Elements((CONNS * ROUNDS) as u64));
    // An iteration takes tens of milliseconds: flat sampling, few samples.
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(10);
    g.warm_up_time(std::time::Duration::from_millis(500));
    g.measurement_time(std::time::Duration::from_secs(3));
    bench_server(&mut g, "stakker-core+mio", core_mio::start);
    bench_server(&mut g, "stakker-core+tokio", core_tokio::start);
    bench_server(&mut g, "stakker-0.2.16+stakker_mio", orig_mio::start);
    bench_server(&mut g, "tokio-current-thread", tokio_rt::start);
    bench_server(&mut g, "tokio-local", tokio_local::start);
    bench_server(&mut g, "mio-plain", plain::start);
    g.finish();
}

fn main() {
    println!("clock: wall time (client and server threads; STAKKER_BENCH_CLOCK is ignored here)");
    let mut c = Criterion::default().configure_from_args();
    echo(&mut c);
    c.final_summary();
}
