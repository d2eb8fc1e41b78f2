//! The clock the criterion benchmarks measure with.
//!
//! By default criterion's wall clock. With `STAKKER_BENCH_CLOCK=cpu` in the environment, the
//! CPU time of the benchmarking thread instead (`CLOCK_THREAD_CPUTIME_ID`), which leaves out
//! the time the thread spends descheduled: on a shared, loaded machine that removes most of the
//! run-to-run noise (cache and memory-bandwidth interference from other work remain). Every
//! workload here, the tokio peer included (a current-thread runtime), runs on that one thread.

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use std::time::Duration;

/// Whether `STAKKER_BENCH_CLOCK=cpu` asks for thread CPU time.
pub(crate) fn cpu_clock_requested() -> bool {
    match std::env::var("STAKKER_BENCH_CLOCK") {
        Ok(v) if v == "cpu" => true,
        Ok(v) if v.is_empty() || v == "wall" => false,
        Ok(v) => panic!("STAKKER_BENCH_CLOCK must be `wall` or `cpu`, not `{v}`"),
        Err(_) => false,
    }
}

/// Prints which clock is in use, so saved output says what it measured.
pub(crate) fn announce(cpu: bool) {
    if cpu {
        println!("clock: thread CPU time (STAKKER_BENCH_CLOCK=cpu)");
    } else {
        println!("clock: wall time (set STAKKER_BENCH_CLOCK=cpu for thread CPU time)");
    }
}

/// Criterion measurement of the calling thread's CPU time.
pub(crate) struct ThreadCpuTime;

#[cfg(unix)]
fn thread_cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable `timespec`, and `CLOCK_THREAD_CPUTIME_ID` is a clock id
    // every supported Unix accepts; the call writes only `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

#[cfg(not(unix))]
fn thread_cpu_now() -> Duration {
    panic!("STAKKER_BENCH_CLOCK=cpu is only supported on Unix");
}

/// Criterion's own formatter for durations (the one `WallTime` uses).
static WALL: WallTime = WallTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_now()
    }

    fn end(&self, start: Duration) -> Duration {
        thread_cpu_now().saturating_sub(start)
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
        WALL.formatter()
    }
}

/// The `main` of a bench target: runs `$run` (a function generic over the criterion
/// measurement) with the clock `STAKKER_BENCH_CLOCK` asks for.
macro_rules! bench_main {
    ($run:ident) => {
        fn main() {
            let cpu = clock::cpu_clock_requested();
            clock::announce(cpu);
            if cpu {
                $run(
                    Criterion::default()
                        .with_measurement(clock::ThreadCpuTime)
                        .configure_from_args(),
                );
            } else {
                $run(Criterion::default().configure_from_args());
            }
        }
    };
}
pub(crate) use bench_main;
