//! The closure queues (main, lazy, idle) through `Stakker`, against a model: random capture
//! sizes and alignments, items queueing items, panics, and drops of the runtime.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    stakker_core_fuzz::models::queue::check(data);
});
