//! The real-world regression set: every case in tests/real_world/cases.toml
//! reproduces an idiom seen in public Vast-related code (origin in the
//! manifest), with a fresh random key. A positive case must report exactly
//! its keys, a negative case nothing, so a rule change that loses a real
//! idiom, or starts flagging a real decoy, fails here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use vastleaks::matcher::Matcher;
use vastleaks::rules::RuleSet;
use vastleaks::scan::{Blob, Scanner};

#[derive(Deserialize)]
struct Manifest {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    /// The fixture, relative to tests/real_world/.
    file: String,
    /// The path to scan it as (for rules that look at names), default `file`.
    path: Option<String>,
    /// Every key the scan must report (none for a negative case).
    keys: Vec<String>,
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real_world")
}

#[test]
fn real_world_idioms() {
    let text = std::fs::read_to_string(dir().join("cases.toml")).expect("manifest");
    let manifest: Manifest = toml::from_str(&text).expect("manifest parses");
    let scanner = Scanner::new(Matcher::new(&RuleSet::builtin()).expect("rules"));

    let mut failures = Vec::new();
    let (mut positives, mut found, mut negatives, mut quiet) = (0, 0, 0, 0);
    for case in &manifest.case {
        let bytes = std::fs::read(dir().join(&case.file)).expect("fixture");
        let path = case.path.as_deref().unwrap_or(&case.file);
        let reported: BTreeSet<String> = scanner
            .scan_bytes(&Blob {
                path: Some(path),
                bytes: &bytes,
            })
            .into_iter()
            .filter(|f| f.suppression.is_none())
            .map(|f| f.secret.expose().to_string())
            .collect();
        let expected: BTreeSet<String> = case.keys.iter().cloned().collect();
        if expected.is_empty() {
            negatives += 1;
            quiet += usize::from(reported.is_empty());
        } else {
            positives += 1;
            found += usize::from(reported == expected);
        }
        if reported != expected {
            let missed: Vec<_> = expected.difference(&reported).map(|k| &k[..8]).collect();
            let extra: Vec<_> = reported.difference(&expected).map(|k| &k[..8]).collect();
            failures.push(format!(
                "{}: missed {missed:?}, unexpected {extra:?}",
                case.file
            ));
        }
    }
    println!(
        "real-world set: {found}/{positives} positive cases found, {quiet}/{negatives} negative cases quiet"
    );
    assert!(positives >= 25 && negatives >= 15, "the set shrank");
    assert!(
        failures.is_empty(),
        "{} case(s) regressed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
