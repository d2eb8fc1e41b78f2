//! The workloads compiled against `stakker-core` (ours).
#![allow(dead_code)]

use stakker::{actor, call, fwd, fwd_to, idle, lazy, ret, ret_nop, ret_some_to};
use stakker_core as stakker;

/// A virtual instant `nanos` after the origin.
pub(crate) fn at(nanos: u64) -> stakker::time::Instant {
    stakker::time::Instant::from_nanos(nanos)
}

include!("workloads.rs");
