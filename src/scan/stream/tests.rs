//! Windows must find every key once, with the line, column and inline-allow
//! status a whole-input scan gives it, whatever the window size and however
//! the reads are cut.

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
