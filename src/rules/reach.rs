//! Whether a content rule can fire where the matcher looks.
//!
//! The matcher ([`crate::matcher`]) runs a content rule (one without `path`)
//! only inside windows around a case-insensitive hit of [`KEYWORD`]: from
//! [`WINDOW_BEFORE`] bytes before the hit to [`WINDOW_AFTER`] bytes after
//! it (overlapping windows merge). A rule that does not
//! itself demand the keyword therefore fires only where the word happens to
//! be close by, never on the text it was written for (`MY_TOKEN=<key>`
//! alone is never looked at). The loader refuses such a rule instead of
//! letting it pass `rules check`-free and silently find nothing.
//!
//! A rule demands the keyword when every match of its pattern contains it,
//! or when every match of its `near` or `target` pattern does (a match is
//! kept only with that pattern matching close to the key). "Every match
//! contains the word" is decided exactly on the pattern's Thompson NFA,
//! walked together with a small automaton that tracks how much of the word
//! the text read so far ends with: if some way to a match state avoids the
//! word, some match lacks it. Look-around assertions (`\b`, `^`) are
//! treated as always true, which can only add matches: a rule is never
//! refused because of them, at worst a contrived one is let through.

use std::collections::VecDeque;

use regex_automata::nfa::thompson::{self, State, WhichCaptures, NFA};
use regex_automata::util::primitives::StateID;
use regex_automata::util::syntax;

/// The word the matcher's prefilter looks for (any ASCII case). Every content
/// rule must demand it.
pub const KEYWORD: &str = "vast";
/// How far before a keyword hit a content rule's match may start (Bearer
/// headers precede the URL in curl lines).
pub const WINDOW_BEFORE: usize = 640;
/// How far after a keyword hit a match may end (config sections put the key
/// a few lines below the `[vast]` header).
pub const WINDOW_AFTER: usize = 1024;

/// What a pattern's matches say about [`KEYWORD`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// The pattern matches nothing at all.
    NeverMatches,
    /// Every match contains the keyword.
    AlwaysHasKeyword,
    /// Some match lacks the keyword.
    CanLackKeyword,
}

/// Decides [`Reach`] for an expanded pattern (as the matcher compiles it).
/// `None` when the pattern does not compile (the loader reports that first).
pub fn reach(pattern: &str) -> Option<Reach> {
    let nfa = NFA::compiler()
        .syntax(syntax::Config::new().utf8(false).unicode(false))
        .configure(
            thompson::Config::new()
                .utf8(false)
                .which_captures(WhichCaptures::None),
        )
        .build(pattern)
        .ok()?;
    let word = Word::new(KEYWORD.as_bytes());
    let done = word.len();
    // (state, how much of the word the text ends with; `done` = seen it).
    let mut seen = vec![false; nfa.states().len() * (done + 1)];
    let mut queue = VecDeque::new();
    let mut push = |queue: &mut VecDeque<(StateID, usize)>, id: StateID, k: usize| {
        let slot = id.as_usize() * (done + 1) + k;
        if !seen[slot] {
            seen[slot] = true;
            queue.push_back((id, k));
        }
    };
    push(&mut queue, nfa.start_anchored(), 0);
    let mut matches = false;
    while let Some((id, k)) = queue.pop_front() {
        match nfa.state(id) {
            State::Match { .. } => {
                if k < done {
                    return Some(Reach::CanLackKeyword);
                }
                matches = true;
            }
            State::Fail => {}
            State::ByteRange { trans } => {
                for k in word.steps(k, trans.start, trans.end) {
                    push(&mut queue, trans.next, k);
                }
            }
            State::Sparse(sparse) => {
                for trans in sparse.transitions.iter() {
                    for k in word.steps(k, trans.start, trans.end) {
                        push(&mut queue, trans.next, k);
                    }
                }
            }
            State::Dense(dense) => {
                for (byte, &next) in dense.transitions.iter().enumerate() {
                    if next != StateID::ZERO {
                        push(&mut queue, next, word.step(k, byte as u8));
                    }
                }
            }
            State::Look { next, .. } | State::Capture { next, .. } => push(&mut queue, *next, k),
            State::Union { alternates } => {
                for &next in alternates.iter() {
                    push(&mut queue, next, k);
                }
            }
            State::BinaryUnion { alt1, alt2 } => {
                push(&mut queue, *alt1, k);
                push(&mut queue, *alt2, k);
            }
        }
    }
    Some(if matches {
        Reach::AlwaysHasKeyword
    } else {
        Reach::NeverMatches
    })
}

/// Refuses a content rule that cannot fire where the matcher looks: one
/// whose pattern, `near` or `target` matches nothing, or that does not
/// demand [`KEYWORD`] (see the module docs). The message is one line, names
/// the rule and says what to do; it never quotes the rule file.
pub fn check_content_rule(
    id: &str,
    pattern: &str,
    near: Option<&str>,
    target: Option<&str>,
) -> Result<(), String> {
    let helpers = [("near", near), ("target", target)];
    let mut demanded = false;
    for (what, helper) in [("pattern", Some(pattern))].into_iter().chain(helpers) {
        match helper.and_then(reach) {
            Some(Reach::NeverMatches) => {
                return Err(format!(
                    "rule {id}: can never fire: its {what} matches no text at all; fix the {what}"
                ))
            }
            Some(Reach::AlwaysHasKeyword) => demanded = true,
            Some(Reach::CanLackKeyword) | None => {}
        }
    }
    if demanded {
        return Ok(());
    }
    Err(format!(
        "rule {id}: can never fire on its own: content rules only run within {WINDOW_BEFORE} bytes before and {WINDOW_AFTER} bytes after the word `{KEYWORD}` (any case), and nothing in this rule demands that word; \
         put `{KEYWORD}` in the pattern (e.g. `(?i:{KEYWORD})`), add `near = '(?i){KEYWORD}'`, or give the rule a `path` to make it a key-file rule"
    ))
}

/// The automaton that follows how much of a word (ASCII, any case) the
/// text read so far ends with; reaching the full length is absorbing.
struct Word {
    /// `next[k][byte]`.
    next: Vec<[u8; 256]>,
    /// The bytes of the word, in both cases: every other byte leads back to
    /// 0, so a byte range is followed in at most 1 + this many steps, not
    /// one per byte (a hostile rule file may hold a huge pattern).
    letters: Vec<u8>,
}

impl Word {
    fn new(word: &[u8]) -> Word {
        let word = word.to_ascii_lowercase();
        let next = (0..word.len())
            .map(|k| {
                let mut row = [0u8; 256];
                for (byte, slot) in row.iter_mut().enumerate() {
                    let mut text = word[..k].to_vec();
                    text.push((byte as u8).to_ascii_lowercase());
                    // The longest prefix of the word that the text ends with.
                    *slot = (0..=text.len().min(word.len()))
                        .rev()
                        .find(|&l| text.ends_with(&word[..l]))
                        .unwrap_or(0) as u8;
                }
                row
            })
            .collect();
        let mut letters: Vec<u8> = word
            .iter()
            .flat_map(|b| [b.to_ascii_lowercase(), b.to_ascii_uppercase()])
            .collect();
        letters.sort_unstable();
        letters.dedup();
        Word { next, letters }
    }

    /// The states reached from `k` on the bytes `start..=end`.
    fn steps(&self, k: usize, start: u8, end: u8) -> impl Iterator<Item = usize> + '_ {
        let inside = self
            .letters
            .iter()
            .filter(move |&&b| (start..=end).contains(&b));
        let others = usize::from(end - start) + 1 > inside.clone().count();
        let other = if k == self.len() { k } else { 0 };
        others
            .then_some(other)
            .into_iter()
            .chain(inside.map(move |&b| self.step(k, b)))
    }

    fn len(&self) -> usize {
        self.next.len()
    }

    fn step(&self, k: usize, byte: u8) -> usize {
        if k == self.len() {
            k
        } else {
            self.next[k][byte as usize] as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(pattern: &str) -> Reach {
        reach(&format!("(?-u){pattern}")).unwrap()
    }

    #[test]
    fn keyword_demanded_or_not() {
        use Reach::*;
        assert_eq!(of("vast_key=[0-9a-f]{64}"), AlwaysHasKeyword);
        assert_eq!(of("(?i:vast)_key=[0-9a-f]{64}"), AlwaysHasKeyword);
        assert_eq!(of("(?i)VaSt"), AlwaysHasKeyword);
        assert_eq!(of("(?i)vastai|vast\\.ai"), AlwaysHasKeyword);
        assert_eq!(of("va(?:st|zt)"), CanLackKeyword);
        assert_eq!(of("my_token=[0-9a-f]{64}"), CanLackKeyword);
        assert_eq!(of("(?:vast)?_key=[0-9a-f]{64}"), CanLackKeyword);
        assert_eq!(of("vast|key"), CanLackKeyword);
        // The word across a repetition or split by a class.
        assert_eq!(of("v(?:as)+t"), CanLackKeyword);
        assert_eq!(of("[uv]a[st]t"), CanLackKeyword);
        assert_eq!(of("[v]a[s]t\\b"), AlwaysHasKeyword);
        // Overlap with a partial word: "vavast" contains it.
        assert_eq!(of("vavast"), AlwaysHasKeyword);
        assert_eq!(of("[^\\x00-\\xff]"), NeverMatches);
        assert_eq!(of("(?s)vast.{0,3000}?t=[0-9a-f]{64}"), AlwaysHasKeyword);
        assert_eq!(of("(?s).{0,3000}?t=[0-9a-f]{64}"), CanLackKeyword);
    }

    #[test]
    fn content_rules_must_demand_the_keyword() {
        let key = "(?-u)(?P<key>[0-9a-f]{64})";
        let plain = format!("(?-u)my_token={key}");
        let err = check_content_rule("team.x", &plain, None, None).unwrap_err();
        assert!(err.contains("rule team.x: can never fire"), "{err}");
        assert!(
            err.contains("near = '(?i)vast'") && !err.contains('\n'),
            "{err}"
        );
        let near = Some("(?-u)(?i)vast");
        assert!(check_content_rule("x", &plain, near, None).is_ok());
        assert!(check_content_rule("x", &plain, None, Some("(?-u)console\\.vast\\.ai")).is_ok());
        assert!(check_content_rule("x", &format!("(?-u)(?i:vast)_key={key}"), None, None).is_ok());
        let never = Some("(?-u)[^\\x00-\\xff]");
        let err = check_content_rule("x", &plain, never, None).unwrap_err();
        assert!(err.contains("near matches no text"), "{err}");
    }

    /// Every built-in content rule demands the keyword (the embedded rules
    /// skip the loader's checks; this is theirs).
    #[test]
    fn builtin_content_rules_pass() {
        for rule in crate::rules::RuleSet::builtin().rules() {
            if rule.path.is_none() {
                let checked = check_content_rule(
                    &rule.id,
                    &rule.pattern,
                    rule.near.as_deref(),
                    rule.target.as_deref(),
                );
                assert!(checked.is_ok(), "{checked:?}");
            }
        }
    }
}
