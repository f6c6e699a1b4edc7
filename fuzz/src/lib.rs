//! Invariants shared by the fuzz targets. Each target asserts them with
//! `assert!`, so a violation is a crash that libFuzzer saves as an artifact.

use std::sync::OnceLock;

use vastleaks::matcher::Matcher;
use vastleaks::rules::RuleSet;
use vastleaks::scan::Scanner;

/// A path that the built-in key-file rule applies to, so every input is also
/// run through the path rules (the whole content, no keyword prefilter).
pub const KEY_FILE_PATH: &str = "home/.config/vastai/vast_api_key";

/// The built-in rules' scanner, built once per process (compiling the rules
/// costs milliseconds; an iteration should cost microseconds).
pub fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(Matcher::new(&RuleSet::builtin()).unwrap()))
}

pub fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// Exactly 64 lowercase hex digits: the shape of a Vast key.
pub fn is_key(text: &[u8]) -> bool {
    text.len() == 64 && text.iter().copied().all(is_lower_hex)
}

/// A byte that `(?-u:\b)` treats as part of a word.
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The maximal runs of lowercase hex digits in `text` that are exactly 64
/// long: what redaction must have replaced.
pub fn key_shapes(text: &[u8]) -> Vec<&[u8]> {
    let mut shapes = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if !is_lower_hex(text[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && is_lower_hex(text[i]) {
            i += 1;
        }
        if i - start == 64 {
            shapes.push(&text[start..i]);
        }
    }
    shapes
}

/// Loads `text` as a rule file and checks what the loader and the matcher
/// built from it do with it.
pub fn check_rule_file(text: &str, haystack: &str) {
    let set = match RuleSet::parse(text, "fuzz.toml") {
        Ok(set) => set,
        Err(err) => {
            assert_eq!(err.file, "fuzz.toml");
            assert!(
                err.line >= 1 && err.line <= text.lines().count() + 1,
                "{err}"
            );
            assert!(!err.message.is_empty());
            return;
        }
    };
    // `--rules` puts the file on top of the built-in rules; the built-in
    // ones alone are the matcher target's, so only the file's rules are
    // compiled here (compiling is most of an iteration's cost).
    let Ok(matcher) = Matcher::new(&set) else {
        return;
    };
    let mut inputs = vec![(haystack, None), (haystack, Some(KEY_FILE_PATH))];
    for rule in matcher.rules() {
        for example in rule.examples.iter().chain(&rule.negative_examples) {
            inputs.push((example.text(), example.path()));
        }
    }
    for (input, path) in inputs {
        for m in matcher.find(input.as_bytes(), path) {
            assert!(m.key.end <= input.len());
            let key = m
                .decoded
                .as_deref()
                .map_or(&input.as_bytes()[m.key.clone()], str::as_bytes);
            let id = &matcher.rules()[m.rule].id;
            assert!(is_key(key), "rule {id} matched a non-key: {m:?}");
        }
    }
}
