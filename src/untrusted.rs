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

use termcolor::{ColorSpec, WriteColor};

/// Length of a Vast API key: 64 lowercase hex digits.
pub const KEY_LEN: usize = 64;

/// What a written digest looks like just before its hex: such runs are not keys.
const DIGEST_PREFIXES: [&[u8]; 1] = [b"sha256:"];

fn is_key_digit(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// The redacted form of a key-shaped run: first 4 and last 4 characters.
fn redacted(run: &[u8]) -> String {
    let text = String::from_utf8_lossy(run);
    format!("{}...{}", &text[..4], &text[text.len() - 4..])
}

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
            out.push_str(&redacted(&bytes[start..i]));
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

/// How much of a key output may show: one decision, made from the command
/// line (`--redact`, `--show-secrets`) and carried by every renderer and by
/// [`Redactor`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Redaction {
    /// First 4 and last 4 characters (`3839...b7ad`): enough to recognise a
    /// key you own, useless to an attacker.
    #[default]
    Partial,
    /// No key characters at all (`[redacted]`), for logs shared
    /// outside the team; the fingerprint still identifies the key.
    Full,
    /// The whole key (`--show-secrets`; not a `--redact` value).
    #[value(skip)]
    None,
}

/// What a key looks like under [`Redaction::Full`].
pub const FULLY_REDACTED: &str = "[redacted]";

impl Redaction {
    /// A key-shaped run (64 hex digits) as this level shows it.
    pub fn apply(self, key: &str) -> String {
        match self {
            Redaction::Partial => redacted(key.as_bytes()),
            Redaction::Full => FULLY_REDACTED.to_string(),
            Redaction::None => key.to_string(),
        }
    }
}

/// A writer that redacts every key-shaped run (as [`redact_keys`] does) in
/// everything written through it. Wraps stdout, stderr and report files, so
/// no string a renderer forgot to redact (a path, a ref, git's or the API's
/// error text) can print a key.
///
/// Under [`Redaction::Full`] it also replaces what partial redaction leaves
/// (`abcd...wxyz`: 4 hex digits, 3 dots, 4 hex digits) by
/// [`FULLY_REDACTED`], so text redacted earlier by [`redact_keys`] or
/// [`crate::finding::Secret::redacted`] (paths, commit summaries, revoke's
/// audit lines) shows no key characters either.
///
/// Runs may be split across `write` calls; a trailing candidate (a hex run
/// of at most 64 digits, or a partial form in the making) is held back until
/// the next byte shows where it ends (or [`Redactor::finish`]). A run longer
/// than a key is passed through as soon as it is known to be longer, so
/// memory stays bounded. Call [`Redactor::finish`] at the end: a dropped
/// redactor discards a held-back candidate rather than print it.
pub struct Redactor<W> {
    inner: W,
    redaction: Redaction,
    held: Held,
    /// The held-back bytes (at most 65).
    pending: Vec<u8>,
    /// The pending run is preceded by a digest prefix (kept as written).
    pending_is_digest: bool,
    /// The last few bytes written through, for the digest-prefix check.
    tail: Vec<u8>,
    /// What one `write` call passes on, written to `inner` at its end.
    out: Vec<u8>,
}

/// What [`Redactor`] holds back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Held {
    Nothing,
    /// A hex run of at most 64 digits.
    Run,
    /// Inside a hex run already longer than a key: digits pass through.
    LongRun,
    /// Full redaction: 4 hex digits and 1 to 3 dots (`abcd..`).
    Dots,
    /// Full redaction: `abcd...` and 1 to 4 hex digits.
    Tail,
}

/// `abcd...wxyz`: the length of a partially redacted key.
const PARTIAL_LEN: usize = 11;

impl<W: Write> Redactor<W> {
    /// Redacts key-shaped runs partially (`abcd...wxyz`).
    pub fn new(inner: W) -> Redactor<W> {
        Redactor::with(inner, Redaction::Partial)
    }

    /// A redactor at `redaction`; [`Redaction::None`] passes everything
    /// through unchanged (`--show-secrets`): the same type either way, so
    /// callers cannot forget to choose.
    pub fn with(inner: W, redaction: Redaction) -> Redactor<W> {
        Redactor {
            inner,
            redaction,
            held: Held::Nothing,
            pending: Vec::with_capacity(KEY_LEN + 1),
            pending_is_digest: false,
            tail: Vec::with_capacity(8),
            out: Vec::new(),
        }
    }

    /// A redactor that redacts nothing, for `--show-secrets`.
    pub fn passthrough(inner: W) -> Redactor<W> {
        Redactor::with(inner, Redaction::None)
    }

    /// Writes out a held-back candidate as complete, and returns the inner
    /// writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.end_held();
        self.drain()?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// Whether what was passed on so far ends with a digest prefix.
    fn after_digest_prefix(&self) -> bool {
        DIGEST_PREFIXES.iter().any(|prefix| {
            if self.out.len() >= prefix.len() {
                self.out.ends_with(prefix)
            } else {
                let mut last = self.tail.clone();
                last.extend_from_slice(&self.out);
                last.ends_with(prefix)
            }
        })
    }

    /// Passes on what one call produced.
    fn drain(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let written = self.inner.write_all(&self.out);
        let keep = 8usize;
        self.tail
            .extend_from_slice(&self.out[self.out.len().saturating_sub(keep)..]);
        let excess = self.tail.len().saturating_sub(keep);
        self.tail.drain(..excess);
        self.out.clear();
        written
    }

    /// The pending hex run ended before `next` (`None`: at a boundary).
    fn end_run(&mut self, next: Option<u8>) {
        let run = std::mem::take(&mut self.pending);
        self.held = Held::Nothing;
        if run.len() == KEY_LEN && !self.pending_is_digest {
            let text = String::from_utf8_lossy(&run);
            self.out
                .extend_from_slice(self.redaction.apply(&text).as_bytes());
        } else if self.redaction == Redaction::Full && run.len() == 4 && next == Some(b'.') {
            self.pending = run;
            self.held = Held::Dots;
        } else {
            self.out.extend_from_slice(&run);
        }
    }

    /// Whatever is held ends here (end of output, or a colour change).
    fn end_held(&mut self) {
        match self.held {
            Held::Run => self.end_run(None),
            Held::Tail if self.pending.len() == PARTIAL_LEN => {
                self.out.extend_from_slice(FULLY_REDACTED.as_bytes());
                self.pending.clear();
            }
            _ => self.out.append(&mut self.pending),
        }
        self.held = Held::Nothing;
    }

    /// Runs `buf` through the state machine into `self.out`.
    fn process(&mut self, buf: &[u8]) {
        let next = |from: usize, digit: bool| {
            buf[from..]
                .iter()
                .position(|&b| is_key_digit(b) == digit)
                .map_or(buf.len(), |p| from + p)
        };
        let mut i = 0;
        while i < buf.len() {
            let b = buf[i];
            match self.held {
                Held::Nothing => {
                    let start = next(i, true);
                    self.out.extend_from_slice(&buf[i..start]);
                    i = start;
                    if i < buf.len() {
                        self.pending_is_digest = self.after_digest_prefix();
                        self.held = Held::Run;
                    }
                }
                Held::LongRun => {
                    let end = next(i, false);
                    self.out.extend_from_slice(&buf[i..end]);
                    i = end;
                    if i < buf.len() {
                        self.held = Held::Nothing;
                    }
                }
                Held::Run => {
                    let end = next(i, false);
                    self.pending.extend_from_slice(&buf[i..end]);
                    i = end;
                    if self.pending.len() > KEY_LEN {
                        // Longer than a key: never one. Pass it through.
                        self.out.append(&mut self.pending);
                        self.held = Held::LongRun;
                    } else if i < buf.len() {
                        self.end_run(Some(buf[i]));
                    }
                }
                Held::Dots => {
                    if b == b'.' && self.pending.len() < 7 {
                        self.pending.push(b);
                        i += 1;
                    } else if is_key_digit(b) && self.pending.len() == 7 {
                        self.held = Held::Tail;
                    } else {
                        self.out.append(&mut self.pending);
                        self.held = Held::Nothing;
                    }
                }
                Held::Tail => {
                    if !is_key_digit(b) {
                        self.end_held();
                    } else if self.pending.len() < PARTIAL_LEN {
                        self.pending.push(b);
                        i += 1;
                    } else {
                        // A fifth digit: not a partial form. `abcd...` is
                        // text; the digits after it start a run of their own
                        // (after a dot, so not a digest).
                        let run = self.pending.split_off(7);
                        self.out.append(&mut self.pending);
                        self.pending = run;
                        self.pending_is_digest = false;
                        self.held = Held::Run;
                    }
                }
            }
        }
    }
}

impl<W: Write> Write for Redactor<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.redaction == Redaction::None {
            return self.inner.write(buf);
        }
        self.process(buf);
        self.drain()?;
        Ok(buf.len())
    }

    /// Flushes what is known to be complete. A held-back candidate stays
    /// held: flushing in the middle of a line must not let half a key
    /// through unredacted and the other half after it.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: WriteColor> WriteColor for Redactor<W> {
    fn supports_color(&self) -> bool {
        self.inner.supports_color()
    }

    fn set_color(&mut self, spec: &ColorSpec) -> io::Result<()> {
        // A colour change ends a run only where colours are written at all;
        // without colour the bytes on either side are adjacent in the output.
        if self.inner.supports_color() {
            self.end_held();
            self.drain()?;
        }
        self.inner.set_color(spec)
    }

    fn reset(&mut self) -> io::Result<()> {
        if self.inner.supports_color() {
            self.end_held();
            self.drain()?;
        }
        self.inner.reset()
    }
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

    fn through_redactor(chunks: &[&str]) -> String {
        let mut redactor = Redactor::new(Vec::new());
        for chunk in chunks {
            redactor.write_all(chunk.as_bytes()).unwrap();
        }
        String::from_utf8(redactor.finish().unwrap()).unwrap()
    }

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
    fn redactor_matches_redact_keys_whatever_the_chunking() {
        let text = format!("a {KEY}\nsha256:{KEY} x{KEY}{KEY}y {}z {KEY}", &KEY[..63]);
        let expected = redact_keys(&text).into_owned();
        for split in 0..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(through_redactor(&[a, b]), expected, "split at {split}");
        }
        let bytes: Vec<String> = text.chars().map(String::from).collect();
        let refs: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(through_redactor(&refs), expected);
    }

    fn through_full(chunks: &[&str]) -> String {
        let mut redactor = Redactor::with(Vec::new(), Redaction::Full);
        for chunk in chunks {
            redactor.write_all(chunk.as_bytes()).unwrap();
        }
        String::from_utf8(redactor.finish().unwrap()).unwrap()
    }

    #[test]
    fn full_redaction_leaves_no_key_characters_whatever_the_chunking() {
        let text = format!(
            "a {KEY}\nsha256:{KEY} x{KEY}{KEY}y 3839...b7ad, (3839...b7ad) 3839....b7ad 383...b7ad 3839...b7ad0 3839...b7{KEY} 3839..{KEY}. 3839...b7ad"
        );
        let expected = format!(
            "a [redacted]\nsha256:{KEY} x{KEY}{KEY}y [redacted], ([redacted]) 3839....b7ad 383...b7ad 3839...b7ad0 3839...b7{KEY} 3839..[redacted]. [redacted]"
        );
        assert_eq!(through_full(&[&text]), expected);
        for split in 0..text.len() {
            let (a, b) = text.split_at(split);
            assert_eq!(through_full(&[a, b]), expected, "split at {split}");
        }
        let bytes: Vec<String> = text.chars().map(String::from).collect();
        let refs: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(through_full(&refs), expected);
        // A partial form followed by a key: each redacted on its own.
        assert_eq!(
            through_full(&[&format!("3839...{KEY}")]),
            "3839...[redacted]"
        );
        assert_eq!(Redaction::Full.apply(KEY), FULLY_REDACTED);
        assert_eq!(Redaction::None.apply(KEY), KEY);
    }

    #[test]
    fn passthrough_changes_nothing() {
        let mut redactor = Redactor::passthrough(Vec::new());
        redactor.write_all(KEY.as_bytes()).unwrap();
        assert_eq!(redactor.finish().unwrap(), KEY.as_bytes());
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
