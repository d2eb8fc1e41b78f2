//! Fixed, Max and Min timers through `Stakker`, against a model: random adds, deletes,
//! updates and runs, including far-future deadlines and bulk operations.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    stakker_core_fuzz::models::timers::check(data);
});
