//! Turning bytes into hits, and collecting what a scan saw.
//!
//! Every source (files, stdin, git objects, staged blobs) hands its bytes to
//! [`Scanner::scan_bytes`]; this is the only place that knows how matches
//! become hits, so every input gets the same line/column rules, the same
//! inline-allow handling and the same binary marking. Where the bytes came
//! from is the source's business: it turns hits into findings with their
//! [`crate::finding::Origin`] (see [`Collector`]).

mod collect;
pub mod decode;
mod locate;
pub mod problem;
pub mod stream;

use crate::finding::{Hit, Location};
use crate::matcher::{Match, Matcher};

pub use collect::{Collector, GitObject, ObjectHit, ScanParts};
pub use locate::ALLOW_MARKERS;
pub use problem::{Problem, ProblemKind, Subject};
pub use stream::{StreamOptions, StreamOutcome, DEFAULT_WINDOW};

/// How many leading bytes decide whether content is binary (as git does).
const BINARY_SNIFF: usize = 8000;

pub struct Scanner {
    matcher: Matcher,
}

/// The bytes of one input, with the name path rules (key files) match: the
/// file's path, or a tree entry's name for a git blob.
pub struct Blob<'a> {
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
    pub fn scan_bytes(&self, blob: &Blob<'_>) -> Vec<Hit> {
        if let Some(hits) = decode::scan_utf16(self, blob) {
            return hits;
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

    /// The hit for `found`, a match in `blob` whose key starts at absolute
    /// offset `offset` of its input. Line, column and suppression are filled
    /// in by the line cursor.
    fn hit(&self, blob: &Blob<'_>, found: &Match, offset: u64, binary: bool) -> Hit {
        let rule = &self.matcher.rules()[found.rule];
        // The key is 64 ASCII hex digits, guaranteed by the key pattern.
        let key = found.decoded.clone().unwrap_or_else(|| {
            String::from_utf8_lossy(&blob.bytes[found.key.clone()]).into_owned()
        });
        let secret = crate::key::Secret::new(key);
        Hit {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            confidence: rule.confidence,
            fingerprint: secret.fingerprint(),
            secret,
            location: Location {
                line: 0,
                column: 0,
                offset: usize::try_from(offset).unwrap_or(usize::MAX),
                length: found.key.len(),
                binary,
                encoding: None,
            },
            suppression: None,
        }
    }
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
    fn scan(text: &[u8]) -> (Vec<Hit>, usize) {
        let (allowed, found): (Vec<_>, Vec<_>) = scanner()
            .scan_bytes(&Blob {
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
