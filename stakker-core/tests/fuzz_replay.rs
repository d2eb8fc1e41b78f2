//! Replays the fuzz corpora as ordinary tests, so CI keeps what the fuzzers found.
//!
//! The models (`fuzz/src/models.rs`) are compiled into this test as a plain module: every file
//! in `fuzz/corpus/queue/` and `fuzz/corpus/timers/` is run through the same checks the
//! cargo-fuzz targets make, plus a fixed set of pseudo-random inputs, so the checks run even
//! where the corpus is small. See `fuzz/README.md` for running the fuzzers.

#![allow(missing_docs)]

#[path = "../../fuzz/src/models.rs"]
mod models;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("corpus entry").path();
            let data = std::fs::read(&path).expect("corpus file");
            (path.display().to_string(), data)
        })
        .collect();
    files.sort();
    files
}

/// Runs `check` on every corpus file of `target`, naming the file that fails.
fn replay(target: &str, check: fn(&[u8])) {
    let files = corpus(target);
    assert!(!files.is_empty(), "the {target} corpus is empty");
    for (name, data) in &files {
        let result = std::panic::catch_unwind(|| check(data));
        if let Err(e) = result {
            eprintln!("fuzz replay failed on {name}");
            std::panic::resume_unwind(e);
        }
    }
    println!("fuzz replay: {target}: {} corpus files passed", files.len());
}

/// Runs `check` on `n` pseudo-random inputs of up to `max_len` bytes.
fn random(seed: u64, n: usize, max_len: usize, check: fn(&[u8])) {
    let mut rng = models::Rng(seed);
    for i in 0..n {
        let len = (rng.next_u64() as usize) % max_len;
        let data = rng.bytes(len);
        let result = std::panic::catch_unwind(|| check(&data));
        if let Err(e) = result {
            eprintln!("random input {i} (seed {seed}) failed: {data:?}");
            std::panic::resume_unwind(e);
        }
    }
    println!("fuzz replay: {n} random inputs (seed {seed}) passed");
}

#[test]
fn queue_corpus() {
    replay("queue", models::queue::check);
}

#[test]
fn timers_corpus() {
    replay("timers", models::timers::check);
}

#[test]
fn queue_random() {
    random(1, 1000, 2048, models::queue::check);
}

#[test]
fn timers_random() {
    random(2, 1000, 2048, models::timers::check);
}
