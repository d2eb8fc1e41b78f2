//! Replays the fuzz corpora as ordinary tests, so CI keeps what the fuzzers found.
//!
//! The models (`fuzz/src/models.rs`) are compiled into this test as a plain module: every file
//! in `fuzz/corpus/queue/` and `fuzz/corpus/timers/` is run through the same checks the
//! cargo-fuzz targets make, plus a fixed set of pseudo-random inputs, so the checks run even
//! where the corpus is small. See `fuzz/README.md` for running the fuzzers.
//!
//! The models count what each input made them do. Every corpus file must queue and run items
//! (queue) or add and fire timers (timers), and the corpus as a whole must reach a floor for
//! every counter, so a corpus that thins out (or inputs that stop decoding into the paths
//! they used to reach) fails here instead of passing without checking much.

#![allow(missing_docs)]

#[path = "../../fuzz/src/models.rs"]
mod models;

use std::path::PathBuf;

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target)
}

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir(target);
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

/// Runs `check` on every corpus file of `target`, naming the file that fails; returns each
/// file's counts.
fn replay<C>(target: &str, check: fn(&[u8]) -> C) -> Vec<(String, C)> {
    let files = corpus(target);
    assert!(!files.is_empty(), "the {target} corpus is empty");
    let mut out = Vec::new();
    for (name, data) in files {
        match std::panic::catch_unwind(|| check(&data)) {
            Ok(c) => out.push((name, c)),
            Err(e) => {
                eprintln!("fuzz replay failed on {name}");
                std::panic::resume_unwind(e);
            }
        }
    }
    out
}

/// Asserts that every counter of `total` reaches its floor (and that every counter has one).
fn assert_floors(target: &str, total: &[(&'static str, usize)], floors: &[(&str, usize)]) {
    let shown: Vec<String> = total.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("fuzz replay: {target} corpus totals: {}", shown.join(", "));
    for &(name, value) in total {
        let floor = floors
            .iter()
            .find(|f| f.0 == name)
            .unwrap_or_else(|| panic!("{target}: counter {name} has no floor"))
            .1;
        assert!(
            value >= floor,
            "{target} corpus: {name} = {value}, below its floor {floor}: the corpus no longer \
             exercises that path (see fuzz/README.md to regenerate it)"
        );
    }
}

/// Runs `check` on `n` pseudo-random inputs of up to `max_len` bytes.
fn random<C>(seed: u64, n: usize, max_len: usize, check: fn(&[u8]) -> C) {
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

/// Floors for the queue corpus totals (about three quarters of what the committed corpus
/// reaches).
const QUEUE_FLOORS: &[(&str, usize)] = &[
    ("main", 6600),
    ("lazy", 3100),
    ("idle", 2300),
    ("nested", 9800),
    ("over_aligned", 4300),
    ("big", 4200),
    ("zst", 850),
    ("deferrer", 7000),
    ("runs", 720),
    ("ran", 7900),
    ("idle_ran", 540),
    ("batches", 300),
    ("batch_held", 2000),
    ("panics", 410),
    ("batch_panics", 130),
    ("dropped", 4600),
];

/// Floors for the timer corpus totals (about three quarters of what the committed corpus
/// reaches).
const TIMER_FLOORS: &[(&str, usize)] = &[
    ("fixed", 15000),
    ("max", 12000),
    ("min", 14000),
    ("past", 9500),
    ("far", 8400),
    ("nested", 250),
    ("deleted", 6600),
    ("moved", 25),
    ("runs", 150),
    ("fired", 17000),
    ("ties", 6100),
    ("checks", 140),
    ("dropped", 18000),
];

/// Whether a queue input queues items and runs some.
fn queue_useful(c: &models::queue::Counts) -> bool {
    c.main + c.lazy + c.idle > 0 && c.ran > 0
}

/// Whether a timer input adds timers and fires some.
fn timers_useful(c: &models::timers::Counts) -> bool {
    c.fixed + c.max + c.min > 0 && c.fired > 0
}

#[test]
fn queue_corpus() {
    let files = replay("queue", models::queue::check);
    let mut total = models::queue::Counts::default();
    for (name, c) in &files {
        assert!(
            queue_useful(c),
            "{name} does not queue and run items: {c:?}"
        );
        total.add(c);
    }
    assert_floors("queue", &total.named(), QUEUE_FLOORS);
    println!("fuzz replay: queue: {} corpus files passed", files.len());
}

#[test]
fn timers_corpus() {
    let files = replay("timers", models::timers::check);
    let mut total = models::timers::Counts::default();
    for (name, c) in &files {
        assert!(
            timers_useful(c),
            "{name} does not add and fire timers: {c:?}"
        );
        total.add(c);
    }
    assert_floors("timers", &total.named(), TIMER_FLOORS);
    println!("fuzz replay: timers: {} corpus files passed", files.len());
}

#[test]
fn queue_random() {
    random(1, 1000, 2048, models::queue::check);
}

#[test]
fn timers_random() {
    random(2, 1000, 2048, models::timers::check);
}

// ---------------------------------------------------------------------------------------------
// Regenerating the corpora (by hand; see fuzz/README.md)
// ---------------------------------------------------------------------------------------------

/// Counter levels an input reaches: `(counter, level)` for each level from 1 to
/// `log2(value) + 1`, so a bigger count also reaches every smaller level.
fn levels(named: &[(&'static str, usize)]) -> Vec<(usize, u32)> {
    named
        .iter()
        .enumerate()
        .flat_map(|(i, &(_, v))| (1..=usize::BITS - v.leading_zeros()).map(move |l| (i, l)))
        .collect()
}

/// Picks a corpus from the current files of `target` and `n` pseudo-random inputs of 8 to
/// `max_len` bytes: of the inputs that are `useful`, shortest first, each one that reaches a
/// counter level no input picked before it reaches.
fn select<C>(
    target: &str,
    seed: u64,
    n: usize,
    max_len: usize,
    check: fn(&[u8]) -> C,
    useful: fn(&C) -> bool,
    named: fn(&C) -> Vec<(&'static str, usize)>,
) -> Vec<Vec<u8>> {
    let mut rng = models::Rng(seed);
    let mut inputs: Vec<Vec<u8>> = corpus(target).into_iter().map(|(_, d)| d).collect();
    inputs.extend((0..n).map(|_| {
        let len = 8 + (rng.next_u64() as usize) % (max_len - 8);
        rng.bytes(len)
    }));
    inputs.sort_by_key(Vec::len);
    inputs.dedup();
    let mut reached = std::collections::BTreeSet::new();
    let mut picked = Vec::new();
    for data in inputs {
        let c = check(&data);
        if !useful(&c) {
            continue;
        }
        let new: Vec<_> = levels(&named(&c))
            .into_iter()
            .filter(|l| !reached.contains(l))
            .collect();
        if !new.is_empty() {
            reached.extend(new);
            picked.push(data);
        }
    }
    picked
}

/// Replaces the files of `fuzz/corpus/<target>/` with `files`, each named by a hash of its
/// bytes.
fn write_corpus(target: &str, files: &[Vec<u8>]) {
    let dir = corpus_dir(target);
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        std::fs::remove_file(entry.expect("corpus entry").path()).expect("removing");
    }
    for data in files {
        // FNV-1a, 64 bits.
        let hash = data.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        std::fs::write(dir.join(format!("{hash:016x}")), data).expect("writing");
    }
    println!("{target}: wrote {} files", files.len());
}

/// Rewrites both committed corpora from their current files plus pseudo-random inputs.
/// Deterministic: the same models and seeds give the same corpora.
#[test]
#[ignore = "rewrites fuzz/corpus; run by hand with --release --ignored (fuzz/README.md)"]
fn select_corpora() {
    let queue = select(
        "queue",
        11,
        20_000,
        600,
        models::queue::check,
        queue_useful,
        models::queue::Counts::named,
    );
    write_corpus("queue", &queue);
    let timers = select(
        "timers",
        12,
        20_000,
        1200,
        models::timers::check,
        timers_useful,
        models::timers::Counts::named,
    );
    write_corpus("timers", &timers);
}
