//! The one matcher every input goes through.
//!
//! Speed comes from never running a rule where it cannot match: every content
//! rule needs Vast context, so a case-insensitive search for the keyword
//! `vast` (a SIMD literal search, several GB/s) finds the only places worth
//! looking at. Rules then run only in windows around those hits, merged so no
//! byte is searched twice by the same rule. Path rules (key files) run on the
//! whole content of files whose path matches, regardless of keywords.

use std::ops::Range;
use std::sync::OnceLock;

use regex_automata::meta::Regex;
use regex_automata::Input;

use crate::key::{decode_base64, is_placeholder};
use crate::rules::{compile, Rule, RuleSet};

mod examples;
pub(crate) mod prefilter;
mod target;

pub use examples::check_own_examples;
#[cfg(test)]
use prefilter::case_variants;
use prefilter::Prefilter;

/// The prefilter keyword and the windows around its hits: the contract with
/// the rule loader, which refuses content rules that do not demand the word.
use crate::rules::reach::{KEYWORD, WINDOW_AFTER, WINDOW_BEFORE};
/// The longest stretch of bytes one keyword hit makes the rules look at: a
/// match (and so the key in it) lies within one such stretch. Streamed input
/// derives its window overlap from it (`crate::scan`).
pub const HIT_SPAN: usize = WINDOW_BEFORE + KEYWORD.len() + WINDOW_AFTER;

/// A key found by a rule: byte offsets of the 64 hex digits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match {
    /// Index into [`Matcher::rules`].
    pub rule: usize,
    /// Where the key is: the 64 hex digits, or their base64 encoding.
    pub key: Range<usize>,
    /// The key, when it is not literally at `key` (decoded from base64).
    pub decoded: Option<String>,
}

/// A rule's patterns, compiled.
struct CompiledRule {
    pattern: Regex,
    key_group: usize,
    near: Option<(Regex, usize)>,
    target: Option<Regex>,
    not_on_line: Option<Regex>,
}

/// Rules compiled once, shared by every scanning thread.
///
/// Path regexes are compiled up front (they are tiny and checked for every
/// file); the rule patterns are compiled on first use, because most blobs of
/// a pre-commit scan never reach a rule and compiling costs ~4 ms of a ~10 ms
/// run.
pub struct Matcher {
    rules: Vec<Rule>,
    paths: Vec<Option<Regex>>,
    compiled: OnceLock<Vec<CompiledRule>>,
    prefilter: Prefilter,
}

impl Matcher {
    pub fn new(set: &RuleSet) -> anyhow::Result<Matcher> {
        let paths = set
            .rules()
            .iter()
            .map(|rule| {
                rule.path
                    .as_deref()
                    .map(compile)
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("{}: rule {}: {e}", rule.origin, rule.id))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Matcher {
            rules: set.rules().to_vec(),
            paths,
            compiled: OnceLock::new(),
            prefilter: Prefilter::new(&[KEYWORD.as_bytes()])?,
        })
    }

    /// The compiled rule patterns, compiled on first use.
    fn compiled(&self) -> &[CompiledRule] {
        self.compiled.get_or_init(|| {
            self.rules
                .iter()
                .map(|rule| {
                    // Rule files are compiled when loaded (errors carry file and
                    // line) and the embedded rules by the test suite, so this
                    // cannot fail for a rule that reached the matcher.
                    let pattern =
                        compile(&rule.pattern).expect("rule patterns are validated when loaded");
                    let key_group = pattern
                        .group_info()
                        .to_index(regex_automata::PatternID::ZERO, "key")
                        .expect("{KEY} defines the key group");
                    let near = rule.near.as_deref().map(|near| {
                        (
                            compile(near).expect("near patterns are validated when loaded"),
                            rule.near_distance,
                        )
                    });
                    let helper = |pattern: &Option<String>| {
                        pattern
                            .as_deref()
                            .map(|p| compile(p).expect("helper patterns are validated when loaded"))
                    };
                    CompiledRule {
                        pattern,
                        key_group,
                        near,
                        target: helper(&rule.target),
                        not_on_line: helper(&rule.not_on_line),
                    }
                })
                .collect()
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// True when some path rule (a key file rule) applies to `path`. Git
    /// history uses it to find key files among tree entries.
    pub fn path_rule_applies(&self, path: &str) -> bool {
        self.paths
            .iter()
            .flatten()
            .any(|re| re.is_match(path.as_bytes()))
    }

    /// True when any rule is a path rule.
    pub fn has_path_rules(&self) -> bool {
        self.paths.iter().any(Option::is_some)
    }

    /// True when every path rule is built in, and so only applies to names
    /// containing the keyword (`vast_api_key`). A `--rules` path rule may
    /// name any file.
    pub fn path_rules_need_keyword(&self) -> bool {
        self.rules
            .iter()
            .all(|rule| rule.path.is_none() || rule.builtin)
    }

    /// True when `haystack` contains the prefilter keyword. Cheap.
    pub fn has_keyword(&self, haystack: &[u8]) -> bool {
        self.prefilter.is_match(haystack)
    }

    /// Finds keys in `haystack`. `path` (with `/` or `\` separators) enables
    /// path rules such as key files. Matches are sorted by offset, one per key
    /// occurrence (the first rule in rule order wins).
    pub fn find(&self, haystack: &[u8], path: Option<&str>) -> Vec<Match> {
        self.find_by(haystack, path, None)
    }

    /// [`Matcher::find`] with only rule `only` (an index into
    /// [`Matcher::rules`]) when given: what one rule finds on its own, where
    /// the matcher looks (a rule file's examples are checked so).
    pub fn find_by(&self, haystack: &[u8], path: Option<&str>, only: Option<usize>) -> Vec<Match> {
        let wanted = |index: usize| only.is_none_or(|only| only == index);
        let mut found = Vec::new();
        if let Some(path) = path {
            for (index, path_re) in self.paths.iter().enumerate() {
                if wanted(index)
                    && path_re
                        .as_ref()
                        .is_some_and(|re| re.is_match(path.as_bytes()))
                {
                    self.run_rule(index, haystack, 0..haystack.len(), &mut found);
                }
            }
        }
        let mut window: Option<Range<usize>> = None;
        self.prefilter.for_each_hit(haystack, |hit| {
            let start = hit.saturating_sub(WINDOW_BEFORE);
            let end = (hit + KEYWORD.len())
                .saturating_add(WINDOW_AFTER)
                .min(haystack.len());
            match &mut window {
                Some(current) if start <= current.end => current.end = end,
                _ => {
                    if let Some(done) = window.replace(start..end) {
                        self.run_content_rules(haystack, done, only, &mut found);
                    }
                }
            }
        });
        if let Some(done) = window {
            self.run_content_rules(haystack, done, only, &mut found);
        }
        found.sort_by_key(|m| (m.key.start, m.rule));
        found.dedup_by_key(|m| m.key.start);
        found
    }

    fn run_content_rules(
        &self,
        haystack: &[u8],
        span: Range<usize>,
        only: Option<usize>,
        found: &mut Vec<Match>,
    ) {
        for (index, path) in self.paths.iter().enumerate() {
            if path.is_none() && only.is_none_or(|only| only == index) {
                self.run_rule(index, haystack, span.clone(), found);
            }
        }
    }

    fn run_rule(&self, index: usize, haystack: &[u8], span: Range<usize>, found: &mut Vec<Match>) {
        let rule = &self.compiled()[index];
        let mut last_decision: Option<target::Decision> = None;
        let input = Input::new(haystack).span(span);
        for caps in rule.pattern.captures_iter(input) {
            let Some(key) = caps.get_group(rule.key_group) else {
                continue;
            };
            let key = key.range();
            let decoded = if self.rules[index].base64 {
                match decode_base64(&haystack[key.clone()]) {
                    Some(decoded) => Some(decoded),
                    None => continue,
                }
            } else {
                None
            };
            let literal = decoded
                .as_deref()
                .map_or(&haystack[key.clone()], str::as_bytes);
            if is_placeholder(literal) {
                continue;
            }
            if let Some((near, distance)) = &rule.near {
                let around = key.start.saturating_sub(*distance)
                    ..key.end.saturating_add(*distance).min(haystack.len());
                if !near.is_match(Input::new(haystack).span(around)) {
                    continue;
                }
            }
            if let Some(not_on_line) = &rule.not_on_line {
                if not_on_line.is_match(Input::new(haystack).span(line_around(haystack, key.start)))
                {
                    continue;
                }
            }
            if let Some(target) = &rule.target {
                let reuse = last_decision
                    .as_ref()
                    .filter(|d| d.statement.contains(&key.start));
                let decision = match reuse {
                    Some(decision) => decision.clone(),
                    None => {
                        let distance = self.rules[index].near_distance;
                        target::Decision::new(haystack, key.clone(), target, distance)
                    }
                };
                let goes = decision.goes_to_target;
                last_decision = Some(decision);
                if !goes {
                    continue;
                }
            }
            found.push(Match {
                rule: index,
                key,
                decoded,
            });
        }
    }
}

/// The line holding `offset`, without its line break, and at most
/// [`LINE_REACH`] bytes to either side (a minified file's one huge line must
/// not be searched again for every match on it).
fn line_around(haystack: &[u8], offset: usize) -> Range<usize> {
    let from = offset.saturating_sub(LINE_REACH);
    let to = offset.saturating_add(LINE_REACH).min(haystack.len());
    let start = memchr::memrchr(b'\n', &haystack[from..offset]).map_or(from, |i| from + i + 1);
    let end = memchr::memchr(b'\n', &haystack[offset..to]).map_or(to, |i| offset + i);
    start..end
}

/// How far [`line_around`] looks.
const LINE_REACH: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

    /// `<key>` as text (a plist rule) and comments that leave `{KEY}` alone
    /// load (see the rules' tests) and build a matcher.
    #[test]
    fn a_live_key_among_key_tags_and_comments_builds_a_matcher() {
        for pattern in [
            "<key>VastApiKey</key>\\s*<string>{KEY}</string>",
            "(?x) vast \\s* = \\s* {KEY} # a comment",
        ] {
            let text = format!(
                "[[rule]]\nid = \"x\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npattern = '''{pattern}'''\n"
            );
            let set = RuleSet::parse(&text, "r.toml").unwrap();
            assert!(Matcher::new(&set).is_ok(), "{pattern}");
        }
    }

    #[test]
    fn every_embedded_pattern_compiles() {
        // The embedded rules skip compilation when loaded; this is their check.
        for rule in RuleSet::builtin().rules() {
            let reparsed = crate::rules::compile(&rule.pattern);
            assert!(reparsed.is_ok(), "{}: {:?}", rule.id, reparsed.err());
            for extra in [&rule.path, &rule.near, &rule.target, &rule.not_on_line]
                .into_iter()
                .flatten()
            {
                assert!(crate::rules::compile(extra).is_ok(), "{}: {extra}", rule.id);
            }
        }
        assert_eq!(matcher().compiled().len(), RuleSet::builtin().rules().len());
    }

    fn matcher() -> Matcher {
        Matcher::new(&RuleSet::builtin()).unwrap()
    }

    #[test]
    fn builtin_path_rules_name_vast_files() {
        // The git audit relies on it to match tree names only in trees that
        // mention the keyword.
        let m = matcher();
        assert!(m.path_rules_need_keyword());
        for rule in m.rules().iter().filter(|r| r.path.is_some()) {
            for example in &rule.examples {
                let path = example.path().unwrap_or_default();
                assert!(
                    path.to_ascii_lowercase().contains(KEYWORD),
                    "{}: {path}",
                    rule.id
                );
            }
        }
    }

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    fn keys(m: &Matcher, text: &str, path: Option<&str>) -> Vec<String> {
        m.find(text.as_bytes(), path)
            .into_iter()
            .map(|found| text[found.key].to_string())
            .collect()
    }

    #[test]
    fn every_rule_example_matches_that_rule() {
        let m = matcher();
        for (index, rule) in m.rules().iter().enumerate() {
            for example in &rule.examples {
                let found = m.find(example.text().as_bytes(), example.path());
                assert!(
                    found.iter().any(|f| f.rule == index),
                    "rule {} does not find its example {:?} (found {:?})",
                    rule.id,
                    example.text(),
                    found
                );
            }
        }
    }

    #[test]
    fn no_rule_matches_any_negative_example() {
        let m = matcher();
        for rule in m.rules() {
            for example in &rule.negative_examples {
                let found = m.find(example.text().as_bytes(), example.path());
                assert!(
                    found.is_empty(),
                    "negative example of {} matched: {:?}",
                    rule.id,
                    example.text()
                );
            }
        }
    }

    #[test]
    fn bare_hex_is_never_a_finding() {
        let m = matcher();
        assert!(keys(&m, KEY, None).is_empty());
        assert!(keys(&m, &format!("vast\n{KEY}\n"), None).is_empty());
        assert!(keys(
            &m,
            &format!("SECRET_KEY = '{KEY}'  # django, deployed on vast.ai"),
            None
        )
        .is_empty());
    }

    #[test]
    fn decoys_are_not_reported() {
        let m = matcher();
        let decoys = [
            format!("image: vastai/pytorch@sha256:{KEY}"),
            format!("FROM vastai/base-image@sha256:{KEY}\nENV VAST_API_KEY=$VAST_API_KEY"),
            format!("[[package]]\nname = \"vastai\"\nversion = \"1.9.1\"\nchecksum = \"{KEY}\""),
            format!(
                "vastai = [\n    {{file = \"vastai-1.9.1.tar.gz\", hash = \"sha256:{KEY}\"}},\n]"
            ),
            format!("vastai==1.9.1 \\\n    --hash=sha256:{KEY}"),
            format!("{KEY}  vast_api_key\n{KEY}  vastai_cli.py\n"),
            format!("vast_api_key: {KEY}{KEY}"),
            format!("VAST_API_KEY={KEY}{}", &KEY[..64]),
            format!("VAST_API_KEY={}", "ab".repeat(32)),
            format!("VAST_API_KEY={}", "0123456789abcdef".repeat(4)),
            format!("jupyter_token={KEY} # vast.ai instance"),
            format!("OPEN_BUTTON_TOKEN={KEY} # vast"),
            format!("{{\"signature\": \"{KEY}\", \"url\": \"https://run.vast.ai/route/\"}}"),
            "VAST_API_KEY=your-api-key".to_string(),
            format!("vast sha256sum: {KEY}"),
        ];
        for decoy in decoys {
            assert!(
                keys(&m, &decoy, None).is_empty(),
                "decoy reported: {decoy:?}"
            );
        }
    }

    #[test]
    fn finds_keys_in_crlf_minified_binary_and_non_utf8_content() {
        let m = matcher();
        let crlf = format!("A=1\r\nVAST_API_KEY={KEY}\r\nB=2\r\n");
        assert_eq!(keys(&m, &crlf, None), vec![KEY]);

        let minified = format!(
            "{}var c={{vastApiKey:\"{KEY}\"}};{}",
            "x=1;".repeat(50_000),
            "y=2;".repeat(50_000)
        );
        assert_eq!(keys(&m, &minified, None), vec![KEY]);

        let mut binary = vec![0u8, 159, 146, 150, 0xff, 0xfe];
        binary.extend_from_slice(format!("VAST_API_KEY={KEY}").as_bytes());
        binary.extend_from_slice(&[0, 0, 0xc3, 0x28]);
        let found = m.find(&binary, None);
        assert_eq!(found.len(), 1);
        assert_eq!(&binary[found[0].key.clone()], KEY.as_bytes());
    }

    #[test]
    fn key_file_rule_needs_the_path() {
        let m = matcher();
        let content = format!("{KEY}\n");
        assert!(keys(&m, &content, None).is_empty());
        assert_eq!(
            keys(&m, &content, Some("home/.config/vastai/vast_api_key")),
            vec![KEY]
        );
        assert_eq!(
            keys(&m, &content, Some(r"C:\Users\me\.vast_api_key")),
            vec![KEY]
        );
        assert!(keys(&m, &content, Some("home/vast_api_key_notes.md")).is_empty());
    }

    #[test]
    fn each_occurrence_is_reported_once() {
        let m = matcher();
        // Matches both the env rule and the section rule: one finding.
        let text = format!("[vast]\nvast_api_key = \"{KEY}\"\n");
        assert_eq!(m.find(text.as_bytes(), None).len(), 1);
        let twice = format!(
            "VAST_API_KEY={KEY}\n{}\nVAST_API_KEY={KEY}\n",
            "filler ".repeat(1000)
        );
        assert_eq!(m.find(twice.as_bytes(), None).len(), 2);
    }

    #[test]
    fn keyword_is_found_in_any_case() {
        let m = matcher();
        for spelling in ["vast", "VAST", "Vast", "vAsT"] {
            let text = format!("{spelling}_API_KEY={KEY}");
            assert_eq!(keys(&m, &text, None), vec![KEY], "{spelling}");
        }
        assert_eq!(case_variants(b"vast").len(), 16);
    }
}
