//! A rule file's own evidence, checked when the file is loaded.
//!
//! Rules carry examples (text the rule must find a key in) and negative
//! examples (text it must not). `vastleaks rules check` reports them, but a
//! scan with a `--rules` file whose rule misses its own example would
//! quietly find less than its author believes, so loading refuses such a
//! file. Each rule is run alone through the real matcher (prefilter windows,
//! `near`, `target` and all), so another rule that happens to match the same
//! text neither hides nor excuses it; how rules interact stays the job of
//! `rules check`.

use super::Matcher;
use crate::rules::{RuleError, RuleSet};

/// Checks every rule of `set` that came from a file (built-in rules are
/// checked by the test suite): each example must be found by its rule, and
/// no negative example may be. The error names the file, the line of the
/// rule and the example by number, never its text (the file may come from
/// the scanned repository).
pub fn check_own_examples(set: &RuleSet) -> Result<(), RuleError> {
    let matcher = Matcher::new(set).map_err(|err| RuleError {
        file: "rule file".to_string(),
        line: 0,
        message: err.to_string(),
    })?;
    for (index, rule) in matcher.rules().iter().enumerate() {
        if rule.builtin {
            continue;
        }
        let finds = |text: &str, path: Option<&str>| {
            !matcher
                .find_by(text.as_bytes(), path, Some(index))
                .is_empty()
        };
        let what_to_do =
            "fix the pattern or the example; `vastleaks rules check --rules FILE` runs them all";
        for (number, example) in rule.examples.iter().enumerate() {
            if !finds(example.text(), example.path()) {
                return Err(rule.error(format!(
                    "rule {}: its example {} is not found by the rule (the matcher only looks within reach of the word `vast`); {what_to_do}",
                    rule.id,
                    number + 1
                )));
            }
        }
        for (number, example) in rule.negative_examples.iter().enumerate() {
            if finds(example.text(), example.path()) {
                return Err(rule.error(format!(
                    "rule {}: its negative example {} is matched by the rule; {what_to_do}",
                    rule.id,
                    number + 1
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    fn file(pattern: &str, examples: &str) -> String {
        format!("[[rule]]\nid = \"team.x\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npattern = '{pattern}'\n{examples}")
    }

    #[test]
    fn own_examples_must_hold() {
        let good = file(
            "(?i:vast)_creds=\\s*{KEY}",
            &format!(
                "examples = [\"vast_creds= {KEY}\"]\nnegative_examples = [\"vast_creds: {KEY}\"]\n"
            ),
        );
        let set = RuleSet::parse(&good, "team.toml").unwrap();
        assert!(check_own_examples(&set).is_ok());

        let missed = file(
            "(?i:vast)_creds=\\s*{KEY}",
            &format!("examples = [\"vast_creds= {KEY}\", \"VAST-CREDS={KEY}\"]\n"),
        );
        let err = check_own_examples(&RuleSet::parse(&missed, "team.toml").unwrap()).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("team.toml:2: rule team.x: its example 2 is not found"),
            "{shown}"
        );
        assert!(
            !shown.contains(&KEY[..8]) && !shown.contains('\n'),
            "{shown}"
        );

        let matched = file(
            "(?i:vast)_creds=\\s*{KEY}",
            &format!("negative_examples = [\"x\", \"vast_creds={KEY}\"]\n"),
        );
        let err = check_own_examples(&RuleSet::parse(&matched, "team.toml").unwrap()).unwrap_err();
        assert!(
            err.to_string()
                .contains("rule team.x: its negative example 2 is matched"),
            "{err}"
        );
    }

    /// The example is run where the matcher looks: a key further from the
    /// word than the window reaches is not found, even though the pattern
    /// alone matches it.
    #[test]
    fn examples_run_through_the_prefilter_windows() {
        let far = file(
            "(?s)vast.{0,3000}?token={KEY}",
            &format!("examples = [\"vast{}token={KEY}\"]\n", " ".repeat(2000)),
        );
        let set = RuleSet::parse(&far, "far.toml").unwrap();
        assert!(check_own_examples(&set).is_err());
    }

    #[test]
    fn builtin_rules_are_left_to_the_test_suite() {
        assert!(check_own_examples(&RuleSet::builtin()).is_ok());
    }
}
