//! Scanning input of any length in bounded memory: overlapping windows.
//!
//! The stream is read into a buffer of at most `window` bytes. Each window
//! *owns* the keys that start in one region of it, and the owned regions of
//! consecutive windows tile the stream: window `k` owns `[own_start,
//! own_end)`, where `own_end` stops [`reach`] bytes before the window's end
//! (unless the stream ended there), and the next window starts [`reach`]
//! bytes before `own_end`, i.e. `2 * reach` bytes before the previous end. A
//! key is therefore always judged in a window holding at least `reach` bytes
//! on both sides of it, which is everything the matcher looks at to accept
//! it (see [`reach`]): a key that straddles a window boundary is found, by
//! exactly one window, and a key cut off at a window's edge (where a word
//! boundary would falsely match) is never judged there. Line and column are
//! carried across windows by [`LineCursor`].

use std::io::{ErrorKind, Read};

use crate::finding::Hit;
use crate::matcher::{Match, Matcher, HIT_SPAN};

use super::locate::{LineCursor, MARKER_REACH};
use super::{Blob, Scanner, BINARY_SNIFF};

/// Window size for standard input, named pipes and files too big to read at
/// once: memory per stream is bounded by this.
pub const DEFAULT_WINDOW: usize = 4 << 20;

/// Longest key form a rule can match: `{KEY_BASE64}` is 86 base64 characters
/// and `==` (see `crate::rules::KEY_BASE64_PATTERN`); `{KEY}` is 64.
const LONGEST_KEY: usize = 88;

/// New bytes each window adds at least, so tiny test windows still progress.
const MIN_STEP: usize = 1024;

/// How many bytes on each side of a key's first byte the matcher may read to
/// decide it, and so how much context a window must hold around the keys it
/// owns.
///
/// A match is found inside the stretch one keyword hit opens,
/// `[hit - WINDOW_BEFORE, hit + len("vast") + WINDOW_AFTER)`, which is
/// [`HIT_SPAN`] bytes long and contains the key; the hit itself is inside
/// it. So the hit, the stretch and the match all lie within `HIT_SPAN` bytes
/// of the key, plus one byte each side for the word-boundary assertions of
/// `{KEY}`. A rule with a `near` pattern also reads `near_distance` bytes
/// before the key and after its end (at most [`LONGEST_KEY`] bytes after its
/// start). Path rules run on the whole content; with their usual `\A...\z`
/// anchors they can only match in a window that starts at the input's start.
///
/// A match that only exists because several hits' stretches merged (dense
/// `vast` keywords) can be longer than this; such input is still scanned, but
/// a key whose only match is longer than `reach` may be judged differently at
/// a window edge. No built-in rule needs that to find a key.
pub fn reach(matcher: &Matcher) -> usize {
    let near = matcher
        .rules()
        .iter()
        .filter(|rule| rule.near.is_some())
        .map(|rule| rule.near_distance.saturating_add(LONGEST_KEY))
        .max()
        .unwrap_or(0);
    (HIT_SPAN + 1).max(near).max(MARKER_REACH)
}

/// How to read one stream.
#[derive(Clone, Copy, Debug)]
pub struct StreamOptions {
    /// Bytes held at once (raised to `2 * reach + MIN_STEP` if smaller).
    pub window: usize,
    /// Stop after this many bytes (`--max-file-size` for named pipes and
    /// devices); `None` reads to the end (standard input).
    pub limit: Option<u64>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions {
            window: DEFAULT_WINDOW,
            limit: None,
        }
    }
}

/// What reading a stream came to.
#[derive(Debug, Default)]
pub struct StreamOutcome {
    /// Bytes read and scanned.
    pub bytes: u64,
    /// The stream had more than `limit` bytes: only the first `limit` were scanned.
    pub truncated: bool,
    /// Reading failed after `bytes` bytes; what came before was scanned.
    pub error: Option<std::io::Error>,
}

/// Per-stream state: where the cursor is, and what decides findings.
pub(super) struct Tracker {
    cursor: LineCursor,
    /// Absolute start of the last key reported: a key is reported once.
    last_key: Option<u64>,
    /// NUL among the first [`BINARY_SNIFF`] bytes seen so far.
    binary: bool,
}

impl Tracker {
    pub(super) fn new() -> Tracker {
        Tracker {
            cursor: LineCursor::default(),
            last_key: None,
            binary: false,
        }
    }

    /// Takes the `matches` of `blob` (the window holding the stream's bytes
    /// from absolute offset `start`), keeping the findings whose key starts in
    /// `[cursor, own_end)`, and moves the cursor to `own_end`. Findings whose
    /// line is complete are appended to `done`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn window(
        &mut self,
        scanner: &Scanner,
        blob: &Blob<'_>,
        matches: Vec<Match>,
        start: u64,
        own_end: u64,
        done: &mut Vec<Hit>,
    ) {
        if start < BINARY_SNIFF as u64 {
            let sniff = &blob.bytes[..blob.bytes.len().min(BINARY_SNIFF - start as usize)];
            self.binary |= memchr::memchr(0, sniff).is_some();
        }
        let own_start = self.cursor.pos();
        let mut found = Vec::new();
        for found_match in matches {
            let at = start + found_match.key.start as u64;
            if at < own_start || at >= own_end || self.last_key.is_some_and(|last| at <= last) {
                continue;
            }
            self.last_key = Some(at);
            found.push(scanner.hit(blob, &found_match, at, self.binary));
        }
        self.cursor.advance(blob.bytes, start, own_end, found, done);
    }

    /// The input ended: findings on the last line are complete.
    pub(super) fn finish(&mut self, done: &mut Vec<Hit>) {
        self.cursor.finish(done);
    }
}

impl Scanner {
    /// Scans `reader` to its end (or `options.limit`) in overlapping windows,
    /// calling `on_hits` with each batch of hits as soon as their
    /// lines are complete, in input order. Memory stays within
    /// `options.window` bytes however long the stream.
    ///
    /// A window is scanned as soon as a read returns less than asked for (the
    /// writer has nothing more for now), so findings from a slow pipe appear
    /// while it is still open, as soon as [`reach`] bytes follow them (or the
    /// pipe closes) and their line has ended.
    pub fn scan_stream(
        &self,
        reader: &mut dyn Read,
        path: Option<&str>,
        options: StreamOptions,
        on_hits: &mut dyn FnMut(Vec<Hit>),
    ) -> StreamOutcome {
        let reach = reach(self.matcher());
        let window = options.window.max(2 * reach + MIN_STEP);
        let limit = options.limit.unwrap_or(u64::MAX);
        let mut buffer = vec![0u8; window];
        let mut filled = 0usize;
        // Absolute offset of buffer[0].
        let mut start = 0u64;
        let mut tracker = Tracker::new();
        let mut outcome = StreamOutcome::default();
        let mut done = Vec::new();
        loop {
            let room =
                (window - filled).min(usize::try_from(limit - outcome.bytes).unwrap_or(usize::MAX));
            let read = if room == 0 {
                Ok(0)
            } else {
                read_retrying(reader, &mut buffer[filled..filled + room])
            };
            let (got, ended) = match read {
                Ok(0) => (0, true),
                Ok(n) => (n, false),
                Err(err) => {
                    outcome.error = Some(err);
                    (0, true)
                }
            };
            filled += got;
            outcome.bytes += got as u64;
            let at_limit = outcome.bytes >= limit;
            let ended = ended || at_limit;
            if ended && at_limit && outcome.error.is_none() {
                outcome.truncated = has_more(reader);
            }
            let end = start + filled as u64;
            let own_end = if ended {
                end
            } else {
                end.saturating_sub(reach as u64)
            };
            let full = filled == window;
            let short_read = got < room;
            if ended || ((full || short_read) && own_end > tracker.cursor.pos()) {
                let view = Blob {
                    path,
                    bytes: &buffer[..filled],
                };
                let matches = self.matcher().find(view.bytes, view.path);
                tracker.window(self, &view, matches, start, own_end, &mut done);
                if ended {
                    tracker.finish(&mut done);
                }
                if !done.is_empty() {
                    on_hits(std::mem::take(&mut done));
                }
                if ended {
                    return outcome;
                }
                // Keep `reach` bytes before the next owned region (all of
                // the buffer if it holds fewer).
                let keep_from =
                    usize::try_from(own_end.saturating_sub(reach as u64).max(start) - start)
                        .expect("window offsets fit in memory");
                buffer.copy_within(keep_from..filled, 0);
                filled -= keep_from;
                start += keep_from as u64;
            }
        }
    }
}

/// One read, retried when interrupted by a signal.
fn read_retrying(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Whether the stream has a byte past the limit (it was cut short).
fn has_more(reader: &mut dyn Read) -> bool {
    let mut byte = [0u8; 1];
    matches!(read_retrying(reader, &mut byte), Ok(1))
}

#[cfg(test)]
mod tests;
