//! The ignore-file parser (`Suppressions::add_ignore_file`) over arbitrary
//! text, then applying the entries to a finding. Errors name a line of the
//! file and never echo a full key (a key pasted in by mistake).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vastleaks::finding::{Finding, Location, Origin};
use vastleaks::key::Secret;
use vastleaks::rules::Confidence;
use vastleaks::suppress::Suppressions;
use vastleaks_fuzz::key_shapes;

const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

fn finding(path: &str) -> Finding {
    let secret = Secret::new(KEY);
    Finding {
        rule_id: "vast.env-assignment".into(),
        rule_name: "fuzz".into(),
        confidence: Confidence::High,
        fingerprint: secret.fingerprint(),
        secret,
        location: Location {
            line: 1,
            column: 1,
            offset: 0,
            length: 64,
            binary: false,
            encoding: None,
        },
        origin: Origin::File {
            path: path.to_string(),
        },
        verification: None,
        suppression: None,
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut suppressions = Suppressions::default();
    let errors = suppressions.add_ignore_file(&text, "repo/.vastleaksignore", Path::new("repo"));
    let lines = text.lines().count();
    for error in &errors {
        assert!(error.line >= 1 && error.line <= lines, "{error:?}");
        assert_eq!(error.file, "repo/.vastleaksignore");
        assert!(key_shapes(error.message.as_bytes()).is_empty(), "{error:?}");
    }
    let applied = suppressions.apply(vec![finding("repo/src/a.env"), finding("b/c d.env")]);
    assert_eq!(applied.kept.len() + applied.suppressed.len(), 2);
    for stale in &applied.stale {
        assert!(stale.line >= 1 && stale.line <= lines);
    }
});
