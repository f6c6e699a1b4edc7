//! Where does the request a token belongs to go?
//!
//! A Bearer token next to a vast.ai URL is not always a Vast key: Vast's own
//! docs show `curl https://INSTANCE_IP:PORT/v1/completions -H "Authorization:
//! Bearer TOKEN"`, where the token is the instance's `OPEN_BUTTON_TOKEN`, a
//! few lines from an `ssh root@ssh5.vast.ai` line. So a rule with a `target`
//! pattern reports a token only when its request goes to a host that pattern
//! names, and the request is found the way a reader finds it:
//!
//! 1. the *statement* holding the token: its line, joined with the lines a
//!    shell continuation (`\`, `^`, `` ` ``) or an unclosed bracket (a
//!    multi-line `curl`, `requests.get(` ... `)`, `fetch(url, {` ... `})`)
//!    carries it over. If the statement names the target, report; if it names
//!    only other URLs (or `Host:` headers), do not;
//! 2. a statement with no URL at all (`headers = {...}` assigned before the
//!    call that uses it, an HTTP dump's `Authorization:` line below its
//!    `Host:` line): the nearest URL or target mention within the rule's
//!    `near_distance` decides;
//! 3. nothing nearby: no finding.
//!
//! This is text heuristics, not parsing: brackets inside strings or prose
//! can stretch a statement, which only widens what counts as "the same
//! request"; every scan is bounded by [`LIMIT`] bytes on each side.

use std::ops::Range;
use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::Input;

/// How far a statement may reach before and after the token.
const LIMIT: usize = 1024;

/// True when the request holding `at` goes to a host `target` matches.
#[cfg(test)]
fn request_goes_to(haystack: &[u8], at: Range<usize>, target: &Regex, distance: usize) -> bool {
    Decision::new(haystack, at, target, distance).goes_to_target
}

/// The verdict for one token, and the statement it was found in: another
/// token in the same statement gets the same verdict without a second look
/// (a file of thousands of Bearer lines must not cost thousands of walks).
#[derive(Clone, Debug)]
pub(crate) struct Decision {
    pub statement: Range<usize>,
    pub goes_to_target: bool,
}

impl Decision {
    pub(crate) fn new(haystack: &[u8], at: Range<usize>, target: &Regex, distance: usize) -> Self {
        let statement = statement(haystack, at.clone());
        let goes_to_target = decide(haystack, at, statement.clone(), target, distance);
        Decision {
            statement,
            goes_to_target,
        }
    }
}

fn decide(
    haystack: &[u8],
    at: Range<usize>,
    statement: Range<usize>,
    target: &Regex,
    distance: usize,
) -> bool {
    let mentions = mentions_in_window(haystack, statement, target);
    if mentions.iter().any(|m| m.is_target) {
        return true;
    }
    if !mentions.is_empty() {
        return false;
    }
    let around =
        at.start.saturating_sub(distance)..at.end.saturating_add(distance).min(haystack.len());
    let nearby = mentions_in_window(haystack, around, target);
    // A URL or Host header says where a request goes; a bare host name (a
    // comment saying where the token came from) only when there is neither.
    let addresses: Vec<&Mention> = nearby.iter().filter(|m| !m.bare).collect();
    let candidates = if addresses.is_empty() {
        nearby.iter().collect()
    } else {
        addresses
    };
    candidates
        .into_iter()
        .min_by_key(|m| m.at.abs_diff(at.start))
        .is_some_and(|m| m.is_target)
}

/// A URL, `Host:` header or bare target host name.
#[derive(Debug)]
struct Mention {
    at: usize,
    is_target: bool,
    /// A host name without scheme or header (never a non-target).
    bare: bool,
}

/// Every URL and `Host:` header in `span` (a target when `target` matches
/// it), and every target match outside them.
fn mentions_in_window(haystack: &[u8], span: Range<usize>, target: &Regex) -> Vec<Mention> {
    let mut found: Vec<Mention> = Vec::new();
    let mut covered: Vec<Range<usize>> = Vec::new();
    for url in other_url().find_iter(Input::new(haystack).span(span.clone())) {
        found.push(Mention {
            at: url.start(),
            is_target: target.is_match(Input::new(haystack).span(url.range())),
            bare: false,
        });
        covered.push(url.range());
    }
    for host in target.find_iter(Input::new(haystack).span(span)) {
        if !covered.iter().any(|c| c.contains(&host.start())) {
            found.push(Mention {
                at: host.start(),
                is_target: true,
                bare: true,
            });
        }
    }
    found
}

/// A URL with a scheme (its host up to the first `/`, `:`, quote or space),
/// or an HTTP `Host:` header line.
fn other_url() -> &'static Regex {
    static URL: OnceLock<Regex> = OnceLock::new();
    URL.get_or_init(|| {
        crate::rules::compile(
            r#"(?-u)(?i:\b(?:https?|wss?)://[^\s/"'`<>?#]+|(?m:^)[ \t]*host:[ \t]*[^\s]+)"#,
        )
        .expect("the URL pattern is valid")
    })
}

/// The statement holding `at`: its line, joined with the lines before and
/// after that a continuation or an unclosed bracket ties to it.
fn statement(haystack: &[u8], at: Range<usize>) -> Range<usize> {
    let region_start = match at.start.checked_sub(LIMIT) {
        // Start on a line boundary so lines are judged whole.
        Some(from) => {
            memchr::memchr(b'\n', &haystack[from..at.start]).map_or(at.start, |i| from + i + 1)
        }
        None => 0,
    };
    let region_end = at.end.saturating_add(LIMIT).min(haystack.len());
    let mut start = region_start;
    let mut depth = 0usize;
    let mut continued = false;
    let mut line_start = region_start;
    while line_start < region_end {
        let line_end = memchr::memchr(b'\n', &haystack[line_start..region_end])
            .map_or(region_end, |i| line_start + i);
        let line = &haystack[line_start..line_end];
        let blank = line.iter().all(u8::is_ascii_whitespace);
        if blank {
            // A blank line ends whatever a stray bracket left open.
            depth = 0;
            continued = false;
        }
        if depth == 0 && !continued && line_start <= at.start {
            start = line_start;
        }
        for &byte in line {
            match byte {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        let trimmed = line.trim_ascii_end();
        continued = !blank && matches!(trimmed.last(), Some(b'\\' | b'^' | b'`'));
        if line_end >= at.end && (depth == 0 && !continued || line_end >= region_end) {
            return start..line_end;
        }
        line_start = line_end + 1;
    }
    start..region_end
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    fn target() -> Regex {
        crate::rules::compile(r"(?i)\b(?:console|cloud|run)\.vast\.ai\b").unwrap()
    }

    fn goes_to_vast(text: &str) -> bool {
        let at = text.find(KEY).unwrap();
        request_goes_to(text.as_bytes(), at..at + KEY.len(), &target(), 400)
    }

    fn statement_of(text: &str) -> &str {
        let at = text.find(KEY).unwrap();
        &text[statement(text.as_bytes(), at..at + KEY.len())]
    }

    #[test]
    fn statements_follow_continuations_and_brackets() {
        let curl = format!("echo hi\ncurl -s \\\n  -H \"Authorization: Bearer {KEY}\" \\\n  https://x/\necho bye\n");
        assert_eq!(
            statement_of(&curl),
            format!("curl -s \\\n  -H \"Authorization: Bearer {KEY}\" \\\n  https://x/")
        );
        let call = format!("a = 1\nr = requests.post(\n    URL,\n    headers={{\"Authorization\": \"Bearer {KEY}\"}},\n)\nb = 2\n");
        assert_eq!(
            statement_of(&call),
            format!("r = requests.post(\n    URL,\n    headers={{\"Authorization\": \"Bearer {KEY}\"}},\n)")
        );
        let single = format!("x = 1\nheaders = {{\"Authorization\": \"Bearer {KEY}\"}}\ny = 2\n");
        assert_eq!(
            statement_of(&single),
            format!("headers = {{\"Authorization\": \"Bearer {KEY}\"}}")
        );
        // A stray bracket in prose does not swallow the paragraph after a blank line.
        let prose =
            format!("see (the docs\n\ncurl -H \"Authorization: Bearer {KEY}\" https://x/\n");
        assert_eq!(
            statement_of(&prose),
            format!("curl -H \"Authorization: Bearer {KEY}\" https://x/")
        );
    }

    #[test]
    fn the_statement_url_decides() {
        assert!(goes_to_vast(&format!(
            "curl -X DELETE \"https://console.vast.ai/api/v0/instances/$ID/\" \\\n    -H \"Authorization: Bearer {KEY}\"\n"
        )));
        assert!(!goes_to_vast(&format!(
            "ssh -p 33426 root@ssh5.vast.ai 'echo $OPEN_BUTTON_TOKEN'\ncurl -s http://INSTANCE_IP:EXTERNAL_PORT/v1/models \\\n    -H \"Authorization: Bearer {KEY}\"\n# console.vast.ai\n"
        )));
        assert!(!goes_to_vast(&format!(
            "# from https://cloud.vast.ai/instances/\ncurl -k https://1.2.3.4:8000/v1/completions -H \"Authorization: Bearer {KEY}\"\n"
        )));
    }

    #[test]
    fn without_a_url_the_nearest_one_decides() {
        assert!(goes_to_vast(&format!(
            "headers = {{\"Authorization\": \"Bearer {KEY}\"}}\nresp = requests.get(\"https://console.vast.ai/api/v0/users/current/\", headers=headers)\n"
        )));
        assert!(goes_to_vast(&format!(
            "GET /api/v0/users/current/ HTTP/1.1\r\nHost: console.vast.ai\r\nAuthorization: Bearer {KEY}\r\n"
        )));
        assert!(!goes_to_vast(&format!(
            "# vast.ai instance\nheaders = {{\"Authorization\": \"Bearer {KEY}\"}}\nr = requests.post(f\"http://{{ip}}:{{port}}/v1/completions\", headers=headers)\n"
        )));
        assert!(!goes_to_vast(&format!(
            "GET /v1/models HTTP/1.1\r\nHost: 70.69.192.6:32819\r\nAuthorization: Bearer {KEY}\r\n"
        )));
        // A comment naming the console is not where the request goes.
        assert!(!goes_to_vast(&format!(
            "# token from the console.vast.ai instance card\nheaders = {{\"Authorization\": \"Bearer {KEY}\"}}\nr = requests.post(f\"http://{{ip}}:{{port}}/v1/chat/completions\", headers=headers)\n"
        )));
        // No URL anywhere: not a request to the Vast API.
        assert!(!goes_to_vast(&format!("token (vast): Bearer {KEY}\n")));
    }
}
