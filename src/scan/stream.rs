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
mod tests {
    use super::*;
    use crate::finding::Suppression;
    use crate::rules::RuleSet;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";
    const KEY2: &str = "0b96135e9524064d0e67f499198f921cfa0ed9ba2727856331050ce20ce0ca39";

    fn scanner() -> Scanner {
        Scanner::new(Matcher::new(&RuleSet::builtin()).unwrap())
    }

    fn blob(bytes: &[u8]) -> Blob<'_> {
        Blob { path: None, bytes }
    }

    /// What tests compare: where each finding is and whether it counts.
    type Seen = (usize, usize, usize, String, Option<Suppression>);

    fn seen(findings: &[Hit]) -> Vec<Seen> {
        findings
            .iter()
            .map(|f| {
                (
                    f.location.offset,
                    f.location.line,
                    f.location.column,
                    f.secret.expose().to_string(),
                    f.suppression.clone(),
                )
            })
            .collect()
    }

    /// Streams `text` through windows of `window` bytes; also checks that
    /// batches arrive in input order.
    fn streamed(scanner: &Scanner, text: &[u8], window: usize) -> Vec<Hit> {
        let mut all = Vec::new();
        let outcome = scanner.scan_stream(
            &mut &text[..],
            None,
            StreamOptions {
                window,
                limit: None,
            },
            &mut |batch| all.extend(batch),
        );
        assert_eq!(outcome.bytes, text.len() as u64);
        assert!(!outcome.truncated && outcome.error.is_none());
        assert!(all
            .windows(2)
            .all(|w| w[0].location.offset < w[1].location.offset));
        all
    }

    fn smallest_window(scanner: &Scanner) -> usize {
        2 * reach(scanner.matcher()) + MIN_STEP
    }

    #[test]
    fn reach_covers_a_keyword_window_and_near_patterns() {
        let s = scanner();
        let r = reach(s.matcher());
        assert!(r > HIT_SPAN, "{r}");
        let near = s
            .matcher()
            .rules()
            .iter()
            .map(|rule| rule.near_distance + LONGEST_KEY)
            .max()
            .unwrap();
        assert!(r >= near.min(HIT_SPAN + 1), "{r}");
    }

    #[test]
    fn key_straddling_a_window_boundary_is_found_once_with_its_line_and_column() {
        let s = scanner();
        let window = smallest_window(&s);
        let r = reach(s.matcher());
        // Move the key across the end of the first window (`window`) and
        // across the end of its owned region (`window - reach`).
        let mut straddled = 0;
        for key_at in (window - r - 120..window + 120).step_by(7) {
            let assignment = "export VAST_API_KEY=";
            let mut text = String::new();
            while text.len() + 10 < key_at - assignment.len() {
                text.push_str("line é\n");
            }
            text.push_str(&" ".repeat(key_at - assignment.len() - text.len()));
            text.push_str(assignment);
            assert_eq!(text.len(), key_at);
            text.push_str(KEY);
            text.push_str("\nafter\n");
            text.push_str(&"tail\n".repeat(2000));
            if key_at < window && key_at + KEY.len() > window {
                straddled += 1;
            }
            let whole = s.scan_bytes(&blob(text.as_bytes()));
            assert_eq!(whole.len(), 1, "key at {key_at}");
            let expected_line = text[..key_at].matches('\n').count() + 1;
            let line_start = text[..key_at].rfind('\n').map_or(0, |i| i + 1);
            let expected_column = text[line_start..key_at].chars().count() + 1;
            let found = streamed(&s, text.as_bytes(), window);
            assert_eq!(seen(&found), seen(&whole), "key at {key_at}");
            assert_eq!(found[0].location.offset, key_at);
            assert_eq!(
                (found[0].location.line, found[0].location.column),
                (expected_line, expected_column),
                "key at {key_at}"
            );
        }
        assert!(straddled >= 5, "the sweep must cross the boundary");
    }

    /// Input with keys, markers, multi-byte characters, CRLF and long lines.
    fn mixed_input() -> Vec<u8> {
        let mut text = String::new();
        for i in 0..60 {
            let key = if i % 2 == 0 { KEY } else { KEY2 };
            match i % 6 {
                0 => text.push_str(&format!("VAST_API_KEY={key}\r\n")),
                1 => text.push_str(&format!(
                    "ü{} VAST_API_KEY={key} {}\n",
                    "ß".repeat(i * 97),
                    "x".repeat(i * 31)
                )),
                2 => text.push_str(&format!(
                    "VAST_API_KEY={key} {} # vastleaks:allow\n",
                    "y".repeat(i * 211)
                )),
                3 => text.push_str(&format!(
                    "gitleaks:allow {} vast.ai?api_key={key}\n",
                    "z".repeat(i * 53)
                )),
                4 => text.push_str(&"filler text without the keyword\n".repeat(i * 3)),
                _ => text.push_str(&format!("[vast]\nsome = 1\napi_key = {key}\n")),
            }
        }
        text.into_bytes()
    }

    #[test]
    fn windows_of_any_size_find_what_a_whole_scan_finds() {
        let s = scanner();
        let text = mixed_input();
        let whole = s.scan_bytes(&blob(&text));
        assert!(whole.len() >= 40, "{}", whole.len());
        assert!(whole.iter().any(|f| f.suppression.is_some()));
        let smallest = smallest_window(&s);
        for window in [
            smallest,
            smallest + 1,
            smallest + 999,
            3 * smallest,
            1 << 20,
        ] {
            assert_eq!(
                seen(&streamed(&s, &text, window)),
                seen(&whole),
                "window {window}"
            );
        }
    }

    #[test]
    fn allow_markers_in_other_windows_apply_to_the_keys_line() {
        let s = scanner();
        let window = smallest_window(&s);
        let after = format!(
            "VAST_API_KEY={KEY} {} vastleaks:allow\nVAST_API_KEY={KEY2}\n",
            "a".repeat(3 * window)
        );
        let before = format!(
            "gitleaks:allow {} VAST_API_KEY={KEY}\nVAST_API_KEY={KEY2}\n",
            "b".repeat(3 * window)
        );
        for (text, marker) in [(after, "vastleaks:allow"), (before, "gitleaks:allow")] {
            let found = streamed(&s, text.as_bytes(), window);
            assert_eq!(found.len(), 2);
            assert_eq!(
                found[0].suppression,
                Some(Suppression::Inline {
                    marker: marker.to_string()
                })
            );
            assert_eq!(found[1].suppression, None);
            assert_eq!(found[1].location.line, 2);
        }
    }

    #[test]
    fn many_findings_on_one_line_get_their_own_columns() {
        let s = scanner();
        let unit = format!("é VAST_API_KEY={KEY} ");
        let unit_chars = unit.chars().count();
        let line = unit.repeat(2000);
        let text = format!("first\n{line}vastleaks:allow\nVAST_API_KEY={KEY2}\n");
        let whole = s.scan_bytes(&blob(text.as_bytes()));
        let window = smallest_window(&s);
        for found in [whole.clone(), streamed(&s, text.as_bytes(), window)] {
            assert_eq!(found.len(), 2001);
            for (i, finding) in found[..2000].iter().enumerate() {
                assert_eq!(finding.location.line, 2);
                assert_eq!(finding.location.column, i * unit_chars + 16, "finding {i}");
                assert!(finding.suppression.is_some());
            }
            assert_eq!(
                (found[2000].location.line, found[2000].location.column),
                (3, 14)
            );
            assert!(found[2000].suppression.is_none());
        }
    }

    #[test]
    fn a_limit_stops_reading_and_says_so() {
        let s = scanner();
        let text = format!(
            "VAST_API_KEY={KEY}\n{}VAST_API_KEY={KEY2}\n",
            "z\n".repeat(50_000)
        );
        let mut all = Vec::new();
        let outcome = s.scan_stream(
            &mut text.as_bytes(),
            None,
            StreamOptions {
                window: 0,
                limit: Some(20_000),
            },
            &mut |batch| all.extend(batch),
        );
        assert!(outcome.truncated);
        assert_eq!(outcome.bytes, 20_000);
        assert_eq!(seen(&all).len(), 1);
        assert_eq!(all[0].secret.expose(), KEY);

        let exact = s.scan_stream(
            &mut text.as_bytes(),
            None,
            StreamOptions {
                window: 0,
                limit: Some(text.len() as u64),
            },
            &mut |_| {},
        );
        assert!(!exact.truncated);
    }

    /// A pipe that hands out one chunk per read and counts them.
    struct Trickle {
        chunks: Vec<Vec<u8>>,
        given: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some(chunk) = self.chunks.get_mut(self.given.get()) else {
                return Ok(0);
            };
            let n = chunk.len().min(buf.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            chunk.drain(..n);
            if chunk.is_empty() {
                self.given.set(self.given.get() + 1);
            }
            Ok(n)
        }
    }

    #[test]
    fn findings_from_a_slow_pipe_arrive_before_it_ends() {
        let s = scanner();
        let mut chunks = vec![format!("VAST_API_KEY={KEY}\n").into_bytes()];
        chunks.extend((0..400).map(|i| format!("log line {i}\n").into_bytes()));
        let total = chunks.len();
        let given = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut reader = Trickle {
            chunks,
            given: given.clone(),
        };
        let mut arrived_after = None;
        s.scan_stream(&mut reader, None, StreamOptions::default(), &mut |batch| {
            assert_eq!(batch.len(), 1);
            arrived_after.get_or_insert(given.get());
        });
        let arrived_after = arrived_after.expect("the key is found");
        assert!(
            arrived_after < total / 2,
            "{arrived_after} of {total} chunks"
        );
    }

    #[test]
    fn binary_input_is_marked_across_windows() {
        let s = scanner();
        let mut bytes = b"\x00ELF".to_vec();
        bytes.extend_from_slice(&[b'x'; 20_000]);
        bytes.extend_from_slice(format!("\nVAST_API_KEY={KEY}\n").as_bytes());
        let found = streamed(&s, &bytes, smallest_window(&s));
        assert!(found[0].location.binary);
    }
}
