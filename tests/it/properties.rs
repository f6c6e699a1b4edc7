//! Property tests (proptest, small case counts so `cargo test` stays fast) for
//! the hostile-input guarantees:
//!
//! - no output of any format, nor stderr, shows a full key without
//!   `--show-secrets`, whatever scanned text (paths, branch names, problem
//!   messages, notes) carries one ([`render`] in-process, [`binary`] through
//!   the real binary on real git repositories);
//! - no output carries a control character from scanned text (terminal
//!   escapes, a CR that rewrites the line), and the escapers never emit one;
//! - redaction leaves no key shape;
//! - a key is found wherever it sits in a stream.
//!

use crate::common;

mod binary;
mod render;

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::Config;

use vastleaks::finding::redact_key_shapes;
use vastleaks::key::is_placeholder;
use vastleaks::matcher::Matcher;
use vastleaks::report::github::{escape_data, escape_property};
use vastleaks::report::markdown;
use vastleaks::rules::RuleSet;
use vastleaks::scan::{Blob, Scanner};

pub fn config(cases: u32) -> Config {
    Config {
        cases,
        // Failures found so far are explicit regression tests, not files
        // written next to the sources.
        failure_persistence: None,
        ..Config::default()
    }
}

/// A random key: 64 lowercase hex digits that are not a placeholder (the
/// matcher drops those, so a scan would never report them).
pub fn key() -> impl Strategy<Value = String> {
    "[0-9a-f]{64}".prop_filter("placeholder", |k| !is_placeholder(k.as_bytes()))
}

/// The first control character in `output` not in `allowed`, in context.
pub fn first_control(output: &str, allowed: &[char]) -> Option<String> {
    let at = output.find(|c: char| c.is_control() && !allowed.contains(&c))?;
    let start = output[..at]
        .char_indices()
        .rev()
        .nth(30)
        .map_or(0, |(i, _)| i);
    let end = output[at..]
        .char_indices()
        .nth(8)
        .map_or(output.len(), |(i, _)| at + i);
    Some(format!("{:?}", &output[start..end]))
}

/// Any text, with control characters (C0, DEL, C1) and the characters the
/// escapers handle far more often than a uniform choice of `char` gives them.
fn any_text() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        any::<char>(),
        (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
        (0x7fu32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
        proptest::sample::select(vec!['%', ':', ',', '|', '<', '&', '\\', '`']),
    ];
    proptest::collection::vec(c, 0..40).prop_map(|c| c.into_iter().collect())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn escape_data_emits_no_control_character(text in any_text()) {
        let out = escape_data(&text);
        prop_assert!(first_control(&out, &[]).is_none(), "{:?} -> {:?}", text, out);
    }

    #[test]
    fn escape_property_emits_no_control_character(text in any_text()) {
        let out = escape_property(&text);
        prop_assert!(first_control(&out, &[]).is_none(), "{:?} -> {:?}", text, out);
    }

    #[test]
    fn markdown_text_emits_no_control_character(text in any_text()) {
        let out = markdown::text(&text);
        prop_assert!(first_control(&out, &[]).is_none(), "{:?} -> {:?}", text, out);
    }

    /// The runner's own rules: a CR or LF would end the workflow command, a
    /// `:` or `,` in a property would start another property.
    #[test]
    fn workflow_commands_stay_one_command(text in any_text()) {
        let out = escape_data(&text);
        prop_assert!(!out.contains(['\r', '\n']), "{:?} -> {:?}", text, out);
        let prop = escape_property(&text);
        prop_assert!(!prop.contains(['\r', '\n', ':', ',']), "{:?} -> {:?}", text, prop);
    }

    #[test]
    fn redaction_leaves_no_key_shape(
        parts in proptest::collection::vec(
            prop_oneof![key(), "[0-9a-f]{0,70}", "[^0-9a-f]{0,4}"],
            0..6,
        )
    ) {
        let text = parts.concat();
        let out = redact_key_shapes(&text);
        let is_hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        for run in out.split(|c: char| !is_hex(c)) {
            prop_assert!(run.len() != 64, "{:?} -> {:?}", text, out);
        }
    }
}

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::new(Matcher::new(&RuleSet::builtin()).unwrap()))
}

/// Positive rule examples without a path that hold exactly one literal key,
/// with the key's offset: the contexts a key is planted in.
fn contexts() -> &'static [(String, usize)] {
    static CONTEXTS: OnceLock<Vec<(String, usize)>> = OnceLock::new();
    CONTEXTS.get_or_init(|| {
        let mut out = Vec::new();
        for rule in RuleSet::builtin().rules() {
            for example in rule.examples.iter().filter(|e| e.path().is_none()) {
                let text = example.text();
                let bytes = text.as_bytes();
                let offsets: Vec<usize> = (0..bytes.len().saturating_sub(63))
                    .filter(|&i| {
                        bytes[i..i + 64]
                            .iter()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
                    })
                    .collect();
                if let [offset] = offsets[..] {
                    out.push((text.to_string(), offset));
                }
            }
        }
        assert!(out.len() >= 10, "the built-in rules have examples");
        out
    })
}

/// Cheap deterministic filler: random bytes (NULs, newlines, anything), or
/// text of newlines, hex digits and the `vast` keyword, which opens prefilter
/// windows all over the buffer.
fn filler(len: usize, seed: u64, texty: bool) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if texty {
            let words: [&[u8]; 5] = [b"\n", b"vast ", b"0f3a9c", b"x = 1;", b" "];
            out.extend_from_slice(words[(state % 5) as usize]);
        } else {
            out.extend_from_slice(&state.to_le_bytes());
        }
    }
    out.truncate(len);
    out
}

/// Mostly short, sometimes a few MiB: long enough to cross any window or
/// chunk boundary a streaming scanner may have. Keyword-dense filler stays
/// short (every rule runs over all of it; slow in a debug build).
fn filler_spec() -> impl Strategy<Value = (usize, bool)> {
    prop_oneof![
        4 => (0usize..4096, any::<bool>()),
        1 => ((1usize << 20) - 4096..(3usize << 20), Just(false)),
    ]
}

proptest! {
    #![proptest_config(config(32))]

    /// Written against `Scanner::scan_bytes` on one buffer; it must keep
    /// holding when the scanner reads streams in windows.
    #[test]
    fn a_key_is_found_wherever_it_sits(
        key in key(),
        example in any::<prop::sample::Index>(),
        (before, texty_before) in filler_spec(),
        (after, texty_after) in filler_spec(),
        seed in any::<u64>(),
    ) {
        let (text, offset) = example.get(contexts());
        let mut planted = text.clone();
        planted.replace_range(*offset..offset + 64, &key);

        let mut bytes = filler(before, seed, texty_before);
        bytes.push(b'\n');
        let at = bytes.len() + offset;
        bytes.extend_from_slice(planted.as_bytes());
        bytes.push(b'\n');
        bytes.extend(filler(after, seed.rotate_left(17), texty_after));

        let findings = scanner().scan_bytes(&Blob {
            path: None,
            bytes: &bytes,
        });
        prop_assert!(
            findings.iter().any(|f| f.secret.expose() == key && f.location.offset == at),
            "key at byte {} (after {} filler bytes) in {:?} not found; found at {:?}",
            at,
            before,
            planted,
            findings.iter().map(|f| f.location.offset).collect::<Vec<_>>()
        );
    }
}
