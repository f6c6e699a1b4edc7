//! Turning bytes into findings, and collecting what a scan saw.
//!
//! Every source (files, stdin, git objects, staged blobs) hands its bytes to
//! [`Scanner::scan_bytes`]; this is the only place that knows how matches
//! become findings, so every input gets the same line/column rules, the same
//! inline-allow handling and the same binary marking.

mod locate;
pub mod stream;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Serialize;

use crate::finding::{Finding, Location, SourceKind};
use crate::matcher::{Match, Matcher};

pub use locate::ALLOW_MARKERS;
pub use stream::{StreamOptions, StreamOutcome, DEFAULT_WINDOW};

/// How many leading bytes decide whether content is binary (as git does).
const BINARY_SNIFF: usize = 8000;

pub struct Scanner {
    matcher: Matcher,
}

/// The bytes of one input and where they came from.
pub struct Blob<'a> {
    pub source: SourceKind,
    pub path: Option<&'a str>,
    pub bytes: &'a [u8],
}

impl Scanner {
    pub fn new(matcher: Matcher) -> Scanner {
        Scanner { matcher }
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Scans one input held in memory. Findings on a line with an inline
    /// allow marker are returned too, marked
    /// [`crate::finding::Suppression::Inline`]: they do not count, but they
    /// stay visible. Linear in the input, however many findings a line has.
    pub fn scan_bytes(&self, blob: &Blob<'_>) -> Vec<Finding> {
        if let Some(findings) = crate::decode::scan_utf16(self, blob) {
            return findings;
        }
        let matches = self.matcher.find(blob.bytes, blob.path);
        if matches.is_empty() {
            return Vec::new();
        }
        let mut tracker = stream::Tracker::new();
        let mut findings = Vec::with_capacity(matches.len());
        tracker.window(
            self,
            blob,
            matches,
            0,
            blob.bytes.len() as u64,
            &mut findings,
        );
        tracker.finish(&mut findings);
        findings
    }

    /// The finding for `found`, a match in `blob` whose key starts at
    /// absolute offset `offset` of its input. Line, column and suppression
    /// are filled in by the line cursor.
    fn finding(&self, blob: &Blob<'_>, found: &Match, offset: u64, binary: bool) -> Finding {
        let rule = &self.matcher.rules()[found.rule];
        // The key is 64 ASCII hex digits, guaranteed by the key pattern.
        let key = found.decoded.clone().unwrap_or_else(|| {
            String::from_utf8_lossy(&blob.bytes[found.key.clone()]).into_owned()
        });
        let secret = crate::key::Secret::new(key);
        Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            confidence: rule.confidence,
            fingerprint: secret.fingerprint(),
            secret,
            location: Location {
                source: blob.source,
                path: blob.path.map(str::to_string),
                line: 0,
                column: 0,
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
                length: found.key.len(),
                binary,
                encoding: None,
            },
            git: None,
            verification: None,
            suppression: None,
        }
    }
}

/// Something the scan could not read or chose not to read. Reported, never fatal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// File path, object id, or `<stdin>`.
    pub path: String,
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Deliberately not scanned (too large, symlink not followed).
    Skipped,
    /// Could not be scanned (unreadable, corrupt).
    Error,
}

/// Thread-safe accumulator that parallel sources push into.
#[derive(Default)]
pub struct Collector {
    findings: Mutex<Vec<Finding>>,
    problems: Mutex<Vec<Problem>>,
    pub scanned: AtomicU64,
    pub bytes: AtomicU64,
}

impl Collector {
    /// Scans `blob` and records the outcome.
    pub fn scan(&self, scanner: &Scanner, blob: &Blob<'_>) {
        self.scan_with(scanner, blob, |_| {});
    }

    /// Like [`Collector::scan`], letting the source attach what only it knows
    /// (the git object id, say) to each finding before it is recorded.
    pub fn scan_with(&self, scanner: &Scanner, blob: &Blob<'_>, annotate: impl Fn(&mut Finding)) {
        let mut findings = scanner.scan_bytes(blob);
        findings.iter_mut().for_each(annotate);
        self.scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(blob.bytes.len() as u64, Ordering::Relaxed);
        if !findings.is_empty() {
            lock(&self.findings).extend(findings);
        }
    }

    /// Scans a stream in windows (see [`Scanner::scan_stream`]), recording
    /// findings as they come and handing each batch to `on_findings` too
    /// (to print them at once). Counts as one input.
    pub fn scan_stream(
        &self,
        scanner: &Scanner,
        reader: &mut dyn std::io::Read,
        origin: (SourceKind, Option<&str>),
        options: StreamOptions,
        on_findings: &mut dyn FnMut(&[Finding]),
    ) -> StreamOutcome {
        let outcome = scanner.scan_stream(reader, origin, options, &mut |batch| {
            on_findings(&batch);
            lock(&self.findings).extend(batch);
        });
        self.scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(outcome.bytes, Ordering::Relaxed);
        outcome
    }

    pub fn add_findings(&self, findings: Vec<Finding>) {
        lock(&self.findings).extend(findings);
    }

    pub fn problem(&self, path: impl Into<String>, kind: ProblemKind, message: impl Into<String>) {
        lock(&self.problems).push(Problem {
            path: path.into(),
            kind,
            message: message.into(),
        });
    }

    pub fn into_parts(self) -> ScanParts {
        let mut findings = self
            .findings
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        let mut problems = self
            .problems
            .into_inner()
            .unwrap_or_else(|e| e.into_inner());
        // Parallel sources finish in any order; reports must not churn.
        findings.sort_by(|a, b| {
            (
                &a.location.path,
                a.location.line,
                a.location.column,
                &a.rule_id,
            )
                .cmp(&(
                    &b.location.path,
                    b.location.line,
                    b.location.column,
                    &b.rule_id,
                ))
        });
        problems.sort_by(|a, b| a.path.cmp(&b.path));
        ScanParts {
            findings,
            problems,
            scanned: self.scanned.into_inner(),
            bytes: self.bytes.into_inner(),
        }
    }
}

/// What a finished source produced.
pub struct ScanParts {
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
    pub scanned: u64,
    pub bytes: u64,
}

/// A poisoned lock only means another thread panicked while pushing; the data
/// is still a valid Vec, and losing findings would be worse than using it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    fn scanner() -> Scanner {
        Scanner::new(Matcher::new(&RuleSet::builtin()).unwrap())
    }

    /// The findings that count, and how many an inline marker suppressed.
    fn scan(text: &[u8]) -> (Vec<Finding>, usize) {
        let (allowed, found): (Vec<_>, Vec<_>) = scanner()
            .scan_bytes(&Blob {
                source: SourceKind::File,
                path: Some("x.env"),
                bytes: text,
            })
            .into_iter()
            .partition(|f| f.suppression.is_some());
        (found, allowed.len())
    }

    #[test]
    fn line_and_column_in_characters() {
        let text = format!("a\nb\n# é vast\nX=1 VAST_API_KEY={KEY}\n");
        let (found, _) = scan(text.as_bytes());
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].location.line, found[0].location.column), (4, 18));
        let text = format!("é VAST_API_KEY={KEY}");
        let (found, _) = scan(text.as_bytes());
        assert_eq!(found[0].location.column, 16);
    }

    #[test]
    fn crlf_lines_count_once() {
        let text = format!("a\r\nb\r\nVAST_API_KEY={KEY}\r\n");
        let (found, _) = scan(text.as_bytes());
        assert_eq!(found[0].location.line, 3);
    }

    #[test]
    fn inline_allow_markers_suppress_only_their_line() {
        let text = format!("VAST_API_KEY={KEY} # vastleaks:allow\nVAST_API_KEY={KEY} # gitleaks:allow\nVAST_API_KEY={KEY}\n");
        let (found, allowed) = scan(text.as_bytes());
        assert_eq!(allowed, 2);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].location.line, 3);
    }

    #[test]
    fn binary_content_is_marked() {
        let mut bytes = b"\x00\x01ELF".to_vec();
        bytes.extend_from_slice(format!("VAST_API_KEY={KEY}").as_bytes());
        let (found, _) = scan(&bytes);
        assert!(found[0].location.binary);
        let (found, _) = scan(format!("VAST_API_KEY={KEY}").as_bytes());
        assert!(!found[0].location.binary);
    }
}
