//! Detection rules as data.
//!
//! Rules live in TOML files (`rules/*.toml` in the repository, embedded in the
//! binary at build time). Keeping them as data, with examples and negative
//! examples next to each pattern, means a rule change is reviewed together with
//! the evidence that it works, and `vastleaks rules check` (and the unit tests)
//! prove every example still behaves.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

mod error;
mod pattern;
pub mod reach;

pub use error::RuleError;
pub(crate) use error::{elide_quoted, line_of};
pub(crate) use pattern::compile;
pub use pattern::KEY_BASE64_PATTERN;
use pattern::{expand, key_is_live};

/// The rules shipped with the binary.
const BUILTIN: &[(&str, &str)] = &[("rules/vast.toml", include_str!("../rules/vast.toml"))];

/// How sure a rule is that its match is a Vast key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
        })
    }
}

/// A piece of text a rule is checked against, optionally with the path it
/// would be found at (path rules need one).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Example {
    Text(String),
    WithPath { path: String, text: String },
}

impl Example {
    pub fn text(&self) -> &str {
        match self {
            Example::Text(text) | Example::WithPath { text, .. } => text,
        }
    }

    pub fn path(&self) -> Option<&str> {
        match self {
            Example::Text(_) => None,
            Example::WithPath { path, .. } => Some(path),
        }
    }
}

/// One detection rule, validated: its patterns compile.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub description: String,
    pub confidence: Confidence,
    /// The pattern with `{KEY}` expanded and Unicode turned off.
    pub pattern: String,
    /// Only files whose path matches this apply (and then without the prefilter).
    pub path: Option<String>,
    /// Must also match within `near_distance` bytes of the match.
    pub near: Option<String>,
    pub near_distance: usize,
    /// The request the match belongs to must go to a host this pattern
    /// matches (see [`crate::matcher`]'s request targets): a Bearer token is
    /// a Vast key only when it is sent to the Vast API, not to an instance.
    pub target: Option<String>,
    /// No finding when this pattern matches the line the key is on (prose
    /// that talks about a digest *of* a key, say).
    pub not_on_line: Option<String>,
    /// The pattern uses `{KEY_BASE64}`: matches are base64 to decode.
    pub base64: bool,
    pub examples: Vec<Example>,
    pub negative_examples: Vec<Example>,
    /// Where the rule was defined, for error messages: `file:line`.
    pub origin: String,
    /// Embedded in the binary (not from `--rules`): its `path`, if any, names
    /// a Vast file, which the git audit relies on to skip most tree names.
    pub builtin: bool,
}

impl Rule {
    /// An error about this rule, at the line where it is defined.
    pub fn error(&self, message: String) -> RuleError {
        let (file, line) = self
            .origin
            .rsplit_once(':')
            .and_then(|(file, line)| Some((file, line.parse().ok()?)))
            .unwrap_or((self.origin.as_str(), 0));
        RuleError {
            file: file.to_string(),
            line,
            message,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    name: String,
    description: String,
    confidence: Confidence,
    pattern: Spanned<String>,
    path: Option<Spanned<String>>,
    near: Option<Spanned<String>>,
    near_distance: Option<usize>,
    target: Option<Spanned<String>>,
    not_on_line: Option<Spanned<String>>,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    negative_examples: Vec<Example>,
}

/// An ordered set of rules with unique ids.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Ids of built-in rules replaced by a rule file.
    replaced_builtin: Vec<String>,
}

impl RuleSet {
    /// The rules embedded in the binary.
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::default();
        for (name, text) in BUILTIN {
            // The embedded rules are compiled and checked by the test suite, so
            // their patterns are not compiled here: the matcher compiles them
            // when first needed, which keeps a pre-commit scan of clean files
            // from paying for it. Failing here is a build defect, not a user error.
            let parsed = RuleSet::parse_with(text, name, Validation::Trust)
                .expect("embedded rules are valid");
            set.extend(parsed);
        }
        set
    }

    /// Reads and validates one rule file.
    pub fn load(path: &Path) -> Result<RuleSet, RuleError> {
        let name = path.display().to_string();
        let text = crate::config_file::read(path).map_err(|err| RuleError {
            file: name.clone(),
            line: 0,
            message: format!("rule file {err}"),
        })?;
        RuleSet::parse(&text, &name)
    }

    /// Parses rules from TOML text and compiles every pattern, so errors name
    /// the file and line; `file` names the source in errors.
    pub fn parse(text: &str, file: &str) -> Result<RuleSet, RuleError> {
        RuleSet::parse_with(text, file, Validation::Compile)
    }

    fn parse_with(text: &str, file: &str, validation: Validation) -> Result<RuleSet, RuleError> {
        let compile = |pattern: &str| match validation {
            Validation::Compile => compile(pattern).map(drop),
            Validation::Trust => Ok(()),
        };
        let error_at = |offset: usize, message: String| RuleError {
            file: file.to_string(),
            line: line_of(text, offset),
            message,
        };
        let raw: RuleFile = toml::from_str(text).map_err(|err| {
            let offset = err.span().map(|s| s.start).unwrap_or(0);
            error_at(offset, elide_quoted(err.message()))
        })?;
        if raw.rule.is_empty() {
            return Err(error_at(0, "no [[rule]] tables found".to_string()));
        }
        let mut set = RuleSet::default();
        for raw in raw.rule {
            let id_offset = raw.id.span().start;
            let id = raw.id.into_inner();
            if id.is_empty() || id.chars().any(char::is_whitespace) {
                return Err(error_at(
                    id_offset,
                    format!("rule id {id:?} must be non-empty and without spaces"),
                ));
            }
            if set.rules.iter().any(|r| r.id == id) {
                return Err(error_at(id_offset, format!("duplicate rule id {id:?}")));
            }
            let pattern_offset = raw.pattern.span().start;
            let pattern_src = raw.pattern.into_inner();
            let base64 = pattern_src.contains("{KEY_BASE64}");
            if pattern_src.contains("{KEY}") == base64 {
                return Err(error_at(
                    pattern_offset,
                    format!(
                        "rule {id}: pattern must contain {{KEY}} or {{KEY_BASE64}} (one of them)"
                    ),
                ));
            }
            let pattern = expand(&pattern_src);
            compile(&pattern).map_err(|err| {
                error_at(pattern_offset, format!("rule {id}: invalid pattern: {err}"))
            })?;
            if matches!(validation, Validation::Compile) && !key_is_live(&pattern_src) {
                return Err(error_at(
                    pattern_offset,
                    format!("rule {id}: {{KEY}} is not a live part of the pattern (inside a `(?x)` comment or a character class?)"),
                ));
            }
            // Optional helper patterns: validated now so errors carry a line.
            let optional = |field: Option<Spanned<String>>, what: &str| {
                field
                    .map(|field| {
                        let offset = field.span().start;
                        let pattern = format!("(?-u){}", field.into_inner());
                        compile(&pattern).map(|_| pattern).map_err(|err| {
                            error_at(offset, format!("rule {id}: invalid {what} pattern: {err}"))
                        })
                    })
                    .transpose()
            };
            let path = optional(raw.path, "path")?;
            let near = optional(raw.near, "near")?;
            let target = optional(raw.target, "target")?;
            let not_on_line = optional(raw.not_on_line, "not_on_line")?;
            if matches!(validation, Validation::Compile) && path.is_none() {
                reach::check_content_rule(&id, &pattern, near.as_deref(), target.as_deref())
                    .map_err(|message| error_at(pattern_offset, message))?;
            }
            set.rules.push(Rule {
                origin: format!("{file}:{}", line_of(text, id_offset)),
                id,
                name: raw.name,
                description: raw.description,
                confidence: raw.confidence,
                pattern,
                path,
                near,
                near_distance: raw.near_distance.unwrap_or(400),
                target,
                not_on_line,
                base64,
                examples: raw.examples,
                negative_examples: raw.negative_examples,
                builtin: matches!(validation, Validation::Trust),
            });
        }
        Ok(set)
    }

    /// Adds `other`'s rules, replacing rules with the same id in place.
    pub fn extend(&mut self, other: RuleSet) {
        for rule in other.rules {
            match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => {
                    if existing.builtin {
                        self.replaced_builtin.push(rule.id.clone());
                    }
                    *existing = rule
                }
                None => self.rules.push(rule),
            }
        }
    }

    /// Built-in rules that a `--rules` file replaced, with where: said in
    /// every report, because a rule file kept in the scanned repository could
    /// otherwise redefine a built-in rule to match nothing, silently.
    pub fn replaced_builtins(&self) -> Vec<(String, String)> {
        self.replaced_builtin
            .iter()
            .filter_map(|id| {
                let rule = self.get(id)?;
                Some((id.clone(), rule.origin.clone()))
            })
            .collect()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Whether parsing compiles the patterns to report errors.
#[derive(Clone, Copy)]
enum Validation {
    Compile,
    /// Only for the embedded rules, which the test suite compiles.
    Trust,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse_and_have_examples() {
        let set = RuleSet::builtin();
        assert!(set.rules().len() >= 7);
        for rule in set.rules() {
            assert!(!rule.examples.is_empty(), "{} has no examples", rule.id);
            assert!(
                !rule.negative_examples.is_empty(),
                "{} has no negative examples",
                rule.id
            );
        }
    }

    #[test]
    fn invalid_pattern_names_file_and_line() {
        let text = "[[rule]]\nid = \"x\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npattern = 'vast(=={KEY}'\n";
        let err = RuleSet::parse(text, "my.toml").unwrap_err();
        assert_eq!(err.file, "my.toml");
        assert_eq!(err.line, 6);
        assert!(err.message.contains("invalid pattern"), "{err}");
    }

    #[test]
    fn invalid_target_and_line_patterns_name_their_line() {
        let rule = "[[rule]]\nid = \"x\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npattern = 'vast={KEY}'\n";
        for (field, line) in [("target", 7), ("not_on_line", 7)] {
            let text = format!("{rule}{field} = 'vast('\n");
            let err = RuleSet::parse(&text, "r.toml").unwrap_err();
            assert_eq!(err.line, line, "{err}");
            assert!(err.message.contains(field), "{err}");
        }
        let ok = format!("{rule}target = 'console\\.vast\\.ai'\nnot_on_line = 'sha256'\n");
        let set = RuleSet::parse(&ok, "r.toml").unwrap();
        assert!(set.rules()[0].target.is_some() && set.rules()[0].not_on_line.is_some());
    }

    #[test]
    fn toml_syntax_error_names_line() {
        let text = "[[rule]]\nid = \"x\"\nname = \n";
        let err = RuleSet::parse(text, "bad.toml").unwrap_err();
        assert_eq!(err.line, 3, "{err}");
    }

    #[test]
    fn pattern_without_key_is_rejected() {
        let text = "[[rule]]\nid = \"x\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npattern = 'vast'\n";
        let err = RuleSet::parse(text, "r.toml").unwrap_err();
        assert!(err.message.contains("{KEY}"), "{err}");
    }

    /// Found reviewing what fuzz/fuzz_targets/rules.rs checks, and confirmed
    /// with it: `{KEY}` in a `(?x)` comment loaded fine but left no key group
    /// (the matcher panicked on first use), or left the rule's own `key`
    /// group to stand in for it (any text became a "key", and a multi-byte
    /// one panicked when redacted).
    #[test]
    fn key_must_be_a_live_part_of_the_pattern() {
        let rule = |pattern: &str| {
            format!("[[rule]]\nid = \"x\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npattern = '''{pattern}'''\n")
        };
        for pattern in [
            "(?x)vast # {KEY}",
            "(?x)vast=(?P<key>[^\\s]+) # {KEY}",
            "(?x)vast=(?<key>.+)#{KEY_BASE64}",
        ] {
            let err = RuleSet::parse(&rule(pattern), "r.toml").err();
            assert!(
                err.as_ref().is_some_and(|e| e.line == 6),
                "{pattern}: {err:?}"
            );
        }
        // `<key>` as text is fine (a plist rule), and so are comments that
        // leave {KEY} alone (the matcher's tests build matchers of them).
        for pattern in [
            "<key>VastApiKey</key>\\s*<string>{KEY}</string>",
            "(?x) vast \\s* = \\s* {KEY} # a comment",
        ] {
            assert!(
                RuleSet::parse(&rule(pattern), "r.toml").is_ok(),
                "{pattern}"
            );
        }
    }

    #[test]
    fn extra_rules_replace_by_id() {
        let mut set = RuleSet::builtin();
        let before = set.rules().len();
        let text = "[[rule]]\nid = \"vast.url-query\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"medium\"\npattern = 'vast=={KEY}'\n";
        set.extend(RuleSet::parse(text, "r.toml").unwrap());
        assert_eq!(set.rules().len(), before);
        assert_eq!(
            set.get("vast.url-query").unwrap().confidence,
            Confidence::Medium
        );
    }
}
