//! Matcher throughput on one core: `cargo bench --bench matcher`.
//!
//! Loads up to 256 MiB of real source text (the cargo registry's crate
//! sources, or `VASTLEAKS_BENCH_DIR`) into memory and times `Matcher::find`
//! over it: once with every "vast" keyword removed (the common case: bytes
//! with no Vast context must cost almost nothing) and once as found. Prints
//! median GB/s over several passes, next to memchr's memmem as a
//! memory-bandwidth reference.

use std::path::{Path, PathBuf};
use std::time::Instant;

use vastleaks::matcher::Matcher;
use vastleaks::rules::RuleSet;

const LIMIT: usize = 256 << 20;
const PASSES: usize = 7;

fn collect(dir: &Path, out: &mut Vec<u8>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if out.len() >= LIMIT {
            return;
        }
        if path.is_dir() {
            collect(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.extend_from_slice(&bytes);
        }
    }
}

fn median_gbps(bytes: usize, mut run: impl FnMut() -> usize) -> (f64, usize) {
    let mut speeds = Vec::new();
    let mut found = 0;
    for _ in 0..PASSES {
        let start = Instant::now();
        found = run();
        speeds.push(bytes as f64 / start.elapsed().as_secs_f64() / 1e9);
    }
    speeds.sort_by(|a, b| a.total_cmp(b));
    (speeds[PASSES / 2], found)
}

fn main() {
    let dir = std::env::var_os("VASTLEAKS_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cargo/registry/src")
        });
    let mut text = Vec::new();
    collect(&dir, &mut text);
    let matcher = Matcher::new(&RuleSet::builtin()).expect("built-in rules compile");
    let keyword_hits = memchr::memmem::find_iter(&text.to_ascii_lowercase(), b"vast").count();
    println!(
        "corpus: {} MiB from {} ({keyword_hits} 'vast' keyword hits)",
        text.len() >> 20,
        dir.display()
    );

    let (memmem, _) = median_gbps(text.len(), || {
        memchr::memmem::find_iter(&text, b"vast").count()
    });
    println!("memchr::memmem \"vast\" (reference)       {memmem:6.2} GB/s");

    let (as_found, n) = median_gbps(text.len(), || matcher.find(&text, None).len());
    println!("Matcher::find, text as found            {as_found:6.2} GB/s  ({n} matches)");

    // The same bytes with every keyword defused: what most of a repository looks like.
    let mut clean = text.clone();
    for i in 0..clean.len().saturating_sub(3) {
        if clean[i..i + 4].eq_ignore_ascii_case(b"vast") {
            clean[i + 1] = b'_';
        }
    }
    let (no_keyword, _) = median_gbps(clean.len(), || matcher.find(&clean, None).len());
    println!("Matcher::find, text without keywords    {no_keyword:6.2} GB/s  (goal >= 4)");
}
