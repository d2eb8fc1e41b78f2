//! The guide (docs/) stays whole: every relative link in the repository's Markdown reaches a
//! file, and a page anchor where it names one; every page of the book is in its SUMMARY.md and
//! every SUMMARY.md entry exists; the getting-started page shows its example file verbatim.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("stakker-core lives in the workspace")
        .to_path_buf()
}

/// The Markdown a reader browses: README.md, the README.md of each top-level directory (crate
/// READMEs, fuzz/), and everything under docs/.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    for entry in fs::read_dir(root).unwrap() {
        let readme = entry.unwrap().path().join("README.md");
        if readme.is_file() {
            files.push(readme);
        }
    }
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The lines of `text` outside fenced code blocks.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    let mut lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        match fence {
            Some(f) if trimmed.starts_with(f) => fence = None,
            Some(_) => (),
            None if trimmed.starts_with("```") => fence = Some("```"),
            None if trimmed.starts_with("~~~") => fence = Some("~~~"),
            None => lines.push(line),
        }
    }
    lines
}

/// `line` without its inline code spans.
fn strip_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut parts = line.split('`');
    out.push_str(parts.next().unwrap_or(""));
    for (i, part) in parts.enumerate() {
        if i % 2 == 1 {
            out.push_str(part); // outside a span again
        }
    }
    out
}

/// Link targets: inline links and images `[text](target)`, and reference definitions
/// `[label]: target`.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose_lines(text) {
        let line = strip_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find([')', ' ']).unwrap_or(rest.len());
            targets.push(rest[..end].trim_matches(['<', '>']).to_string());
        }
        let t = line.trim_start();
        if let Some(close) = t.strip_prefix('[').and_then(|t| t.find("]:")) {
            let def = t[close + 3..].trim();
            if let Some(target) = def.split_whitespace().next() {
                targets.push(target.to_string());
            }
        }
    }
    targets
}

/// The anchor GitHub and mdBook give a heading: lower case; letters, digits, `-` and `_` kept;
/// spaces become `-`; everything else dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every heading anchor of a Markdown page, with GitHub's `-1`, `-2` for repeats.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            let base = slug(&line[hashes..]);
            let mut name = base.clone();
            let mut n = 0;
            while !found.insert(name.clone()) {
                n += 1;
                name = format!("{base}-{n}");
            }
        }
    }
    found
}

fn is_external(target: &str) -> bool {
    target.contains("://") || target.starts_with("mailto:")
}

/// `path` with `.` and `..` resolved lexically (so a link cannot step outside the checkout
/// unnoticed).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::ParentDir => assert!(out.pop(), "link climbs above /: {}", path.display()),
            Component::CurDir => (),
            other => out.push(other),
        }
    }
    out
}

/// What is wrong with `target` as written in `file`, if anything.
fn check_link(file: &Path, target: &str) -> Option<String> {
    if is_external(target) || target.is_empty() {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let dest = if path.is_empty() {
        file.to_path_buf()
    } else {
        normalise(&file.parent().unwrap().join(path))
    };
    if !dest.starts_with(root()) {
        return Some(format!("{target}: outside the repository"));
    }
    if !dest.exists() {
        return Some(format!("{target}: no such file ({})", dest.display()));
    }
    let anchor = anchor?;
    if dest.extension().is_some_and(|e| e == "md") {
        let page = fs::read_to_string(&dest).unwrap();
        if !anchors(&page).contains(anchor) {
            return Some(format!("{target}: no heading with anchor #{anchor}"));
        }
    }
    None
}

#[test]
fn every_relative_link_reaches_a_file_and_anchor() {
    let root = root();
    let files = markdown_files(&root);
    assert!(files.iter().any(|f| f.ends_with("docs/src/SUMMARY.md")));
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for target in link_targets(&text) {
            checked += 1;
            if let Some(problem) = check_link(file, &target) {
                broken.push(format!(
                    "{}: {problem}",
                    file.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        checked > 50,
        "only {checked} links found: is the scanner broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn summary_lists_exactly_the_pages_of_the_book() {
    let src = root().join("docs/src");
    let summary = fs::read_to_string(src.join("SUMMARY.md")).unwrap();
    let listed: BTreeSet<String> = link_targets(&summary)
        .into_iter()
        .map(|t| t.split('#').next().unwrap().to_string())
        .collect();
    let pages: BTreeSet<String> = fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".md") && name != "SUMMARY.md")
        .collect();
    let unlisted: Vec<_> = pages.difference(&listed).collect();
    let missing: Vec<_> = listed.difference(&pages).collect();
    assert!(
        unlisted.is_empty(),
        "pages missing from SUMMARY.md: {unlisted:?}"
    );
    assert!(
        missing.is_empty(),
        "SUMMARY.md entries with no page: {missing:?}"
    );
}

#[test]
fn getting_started_shows_its_example_verbatim() {
    let root = root();
    let page = fs::read_to_string(root.join("docs/src/getting-started.md")).unwrap();
    let example =
        fs::read_to_string(root.join("stakker-core/examples/getting_started.rs")).unwrap();
    // The example's own `//!` header is not part of the page.
    let code: String = example
        .lines()
        .skip_while(|l| l.starts_with("//!") || l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    let block = page
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n").next())
        .expect("a ```rust block on the page");
    assert_eq!(
        block, code,
        "docs/src/getting-started.md and examples/getting_started.rs differ"
    );
}

#[test]
fn the_scanner_finds_links_and_anchors_as_github_does() {
    let text = "# Two `Instant`s\n## 4. Panics, again\n## Two Instants\n```rust\n# not a heading\nlet _ = [a](b.md);\n```\nSee [x](p.md#q) and `[y](no.md)`, ![i](c.svg).\n[r]: ref.md\n";
    assert_eq!(link_targets(text), ["p.md#q", "c.svg", "ref.md"]);
    let found = anchors(text);
    let expected = ["two-instants", "4-panics-again", "two-instants-1"];
    assert_eq!(found, expected.iter().map(|s| s.to_string()).collect());
    assert!(check_link(&root().join("README.md"), "docs/src/nowhere.md").is_some());
    assert!(check_link(
        &root().join("docs/src/porting.md"),
        "design-notes.md#no-such-heading"
    )
    .is_some());
    assert!(check_link(
        &root().join("docs/src/porting.md"),
        "design-notes.md#the-cost-model"
    )
    .is_none());
}

#[test]
fn adapter_line_count_in_the_guide_is_current() {
    let page = fs::read_to_string(root().join("docs/src/writing-an-adapter.md")).unwrap();
    let lines: Vec<&str> = page
        .lines()
        .skip_while(|l| !(l.starts_with("// ---") && l.ends_with(" the adapter")))
        .skip(1)
        .take_while(|l| !(l.starts_with("// ---") && l.ends_with(" an application")))
        .collect();
    let code = lines
        .iter()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
        .count();
    assert!(
        code > 50,
        "adapter markers not found ({} lines)",
        lines.len()
    );
    let claim = format!("**{} lines as printed, {code} of them code**", lines.len());
    assert!(
        page.contains(&claim),
        "the closing section should say {claim}"
    );
}
