//! The workloads compiled against the original `stakker` 0.2.16, with its own macros.
#![allow(dead_code)]

use stakker::{actor, call, fwd, fwd_to, idle, lazy, ret, ret_nop, ret_some_to};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A virtual instant `nanos` after a fixed base (the original takes `std::time::Instant`).
pub(crate) fn at(nanos: u64) -> Instant {
    static BASE: OnceLock<Instant> = OnceLock::new();
    *BASE.get_or_init(Instant::now) + Duration::from_nanos(nanos)
}

include!("workloads.rs");
