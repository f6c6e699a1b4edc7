//! The output redactor: the last line of defence that keeps a key out of
//! stdout, stderr and report files whatever a renderer forgot. It lives apart
//! from the one-string helpers in [`crate::untrusted`] because it is a
//! streaming state machine (runs split across writes), which is its own idea
//! and most of the code.

use std::io::{self, Write};

use termcolor::{ColorSpec, WriteColor};

use super::DIGEST_PREFIXES;
use crate::key::{is_key_digit, Redaction, FULLY_REDACTED, KEY_LEN, PARTIAL_LEN};

/// A writer that redacts every key-shaped run (as [`super::redact_keys`] does) in
/// everything written through it. Wraps stdout, stderr and report files, so
/// no string a renderer forgot to redact (a path, a ref, git's or the API's
/// error text) can print a key.
///
/// Under [`Redaction::Full`] it also replaces what partial redaction leaves
/// (`abcd...wxyz`: 4 hex digits, 3 dots, 4 hex digits) by
/// [`FULLY_REDACTED`], so text redacted earlier by [`super::redact_keys`] or
/// [`crate::key::Secret::redacted`] (paths, commit summaries, revoke's
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
    use std::io::Write;

    use super::*;
    use crate::key::{Redaction, FULLY_REDACTED};
    use crate::untrusted::redact_keys;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    fn through_redactor(chunks: &[&str]) -> String {
        let mut redactor = Redactor::new(Vec::new());
        for chunk in chunks {
            redactor.write_all(chunk.as_bytes()).unwrap();
        }
        String::from_utf8(redactor.finish().unwrap()).unwrap()
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
}
