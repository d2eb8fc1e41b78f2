//! Fuzz targets for stakker-core (see `fuzz/README.md`). The models live in [`models`], which
//! `stakker-core/tests/fuzz_replay.rs` also compiles, to replay the corpora as ordinary tests.

pub mod models;
