//! Rendering text that came from the scanned repository.
//!
//! File names, refs, commit messages, ignore-file lines, git's own error
//! messages and API answers are written by whoever controls the repository or
//! the server. Two things must never pass through to output:
//!
//! - **a key**: a path like `keys/<64 hex>.txt`, a branch named after a key or
//!   a commit summary that pasted one would otherwise print the full key in
//!   every report. [`redact_keys`] shortens every standalone run of exactly 64
//!   lowercase hex digits to the redacted form reports use, except digests
//!   written as such (`sha256:<hex>`), and [`Redactor`] applies the same rule
//!   to everything written to stdout, stderr and report files, as a last line
//!   of defence for strings no renderer thought of;
//! - **a control character**: a file name holding a newline can start a GitHub
//!   workflow command (`::stop-commands::`, a fake `::error`) in CI logs, and
//!   one holding escape sequences can clear the terminal, set its title or
//!   write the clipboard (OSC 52). [`escape_controls`] makes every control
//!   character (C0, DEL, C1) and every bidirectional-override character
//!   visible as an escape.
//!
//! [`line`] does both, for a value printed on a human or stderr line.

use std::borrow::Cow;
use std::io::{self, Write};

use crate::key::{is_key_digit, partial, KEY_LEN};
pub use crate::key::{Redaction, FULLY_REDACTED};

mod redactor;
pub use redactor::Redactor;

/// What a written digest looks like just before its hex: such runs are not keys.
const DIGEST_PREFIXES: [&[u8]; 1] = [b"sha256:"];

/// Whether the hex run starting at `start` in `bytes` is written as a digest.
fn is_digest(bytes: &[u8], start: usize) -> bool {
    DIGEST_PREFIXES
        .iter()
        .any(|prefix| bytes[..start].ends_with(prefix))
}

/// Replaces every run of exactly 64 lowercase hex digits in `text` (bounded
/// by non-hex characters or the ends) by its redacted form `abcd...wxyz`,
/// unless it follows `sha256:`. Longer hex runs (SHA-512 digests) are kept:
/// they are not keys.
pub fn redact_keys(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    if bytes.len() < KEY_LEN {
        return Cow::Borrowed(text);
    }
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_key_digit(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_key_digit(bytes[i]) {
            i += 1;
        }
        if i - start == KEY_LEN && !is_digest(bytes, start) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            // Hex digits are ASCII, so `start` and `i` are char boundaries.
            out.push_str(&text[copied..start]);
            out.push_str(&partial(&text[start..i]));
            copied = i;
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// Characters that must not reach a terminal or a CI log raw: C0 controls
/// (newline and tab included: a value is printed on one line), DEL, C1
/// controls, and the bidirectional overrides and isolates that make text
/// display in another order than it is read ("Trojan Source"), plus the
/// Unicode line and paragraph separators.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
                | '\u{2028}' | '\u{2029}'
        )
}

/// Escapes every [unsafe character](is_unsafe_char) as Rust-style `\n`,
/// `\t`, `\r`, `\x1b` or `\u{202e}`, so it is shown instead of acted upon.
/// A backslash is left alone: paths on Windows are full of them, and an
/// escape written by us is distinguishable only by context either way.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe_char(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// JSON as every report writes it: `serde_json` escapes C0 controls inside
/// strings but passes DEL, C1 controls (U+009B is CSI on terminals that honour
/// 8-bit controls) and bidirectional overrides through raw, so a JSON report
/// printed to a terminal could still be acted upon. Those become `\uXXXX`
/// escapes: the same string to every JSON reader. Outside strings JSON is
/// ASCII, so every such character found is inside a string.
pub fn write_json<T: serde::Serialize + ?Sized>(
    out: &mut dyn Write,
    value: &T,
    pretty: bool,
) -> io::Result<()> {
    let json = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }?;
    out.write_all(escape_json_text(&json).as_bytes())
}

/// [`write_json`]'s escaping of already serialised JSON.
fn escape_json_text(json: &str) -> Cow<'_, str> {
    let unsafe_here = |c: char| c as u32 >= 0x7f && is_unsafe_char(c);
    if !json.chars().any(unsafe_here) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_here(c) {
            // Every unsafe character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// An untrusted value for a human or stderr line: keys redacted, control
/// characters escaped.
pub fn line(text: &str) -> String {
    escape_controls(&redact_keys(text)).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_escapes_del_c1_and_bidi_as_the_same_string() {
        let text = "a\u{7f}b\u{9b}31mc\u{202e}d\u{85}\u{1b}e";
        let mut out = Vec::new();
        super::write_json(&mut out, &text, false).unwrap();
        let json = String::from_utf8(out).unwrap();
        assert_eq!(json, r#""a\u007fb\u009b31mc\u202ed\u0085\u001be""#);
        assert!(!json.chars().any(super::is_unsafe_char));
        let back: String = serde_json::from_str(&json).unwrap();
        assert_eq!(back, text);
    }

    use super::*;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    #[test]
    fn keys_are_redacted_digests_and_longer_runs_kept() {
        let text = format!("keys/{KEY}.txt sha256:{KEY} {KEY}{KEY} é");
        assert_eq!(
            redact_keys(&text),
            format!("keys/3839...b7ad.txt sha256:{KEY} {KEY}{KEY} é")
        );
        assert!(matches!(redact_keys("short"), Cow::Borrowed(_)));
        assert_eq!(redact_keys(KEY), "3839...b7ad");
    }

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        assert_eq!(
            escape_controls("a\nb\r\t\x1b]52;c;x\x07\u{9b}\u{202e}z"),
            "a\\nb\\r\\t\\x1b]52;c;x\\x07\\x9b\\u{202e}z"
        );
        assert!(matches!(escape_controls("plain é/ü"), Cow::Borrowed(_)));
        assert_eq!(
            line(&format!("x\n::error::{KEY}")),
            "x\\n::error::3839...b7ad"
        );
    }
}
