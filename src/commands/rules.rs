//! `vastleaks rules list|check`.

use super::Exit;
use crate::cli::{RulesAction, RulesArgs};
use crate::matcher::Matcher;
use crate::untrusted;

pub fn run(args: &RulesArgs) -> anyhow::Result<Exit> {
    let rules = crate::resolve::load_rules(&args.rule_files)?;
    match args.action {
        RulesAction::List => {
            for rule in rules.rules() {
                let scope = if rule.path.is_some() {
                    "  (path rule)"
                } else {
                    ""
                };
                // A `--rules` file may come from the scanned repository:
                // its text is shown like every other untrusted value.
                println!(
                    "{}  [{}]{scope}\n    {}\n    {}",
                    untrusted::line(&rule.id),
                    rule.confidence,
                    untrusted::line(&rule.name),
                    untrusted::line(&rule.description)
                );
            }
            Ok(Exit::Clean)
        }
        RulesAction::Check => {
            let matcher = Matcher::new(&rules)?;
            let failures = check(&matcher);
            for failure in &failures {
                println!("FAIL {}", untrusted::line(failure));
            }
            let examples: usize = rules
                .rules()
                .iter()
                .map(|r| r.examples.len() + r.negative_examples.len())
                .sum();
            println!(
                "{} rules, {examples} examples: {}",
                rules.rules().len(),
                if failures.is_empty() {
                    "all ok".to_string()
                } else {
                    format!("{} failed", failures.len())
                }
            );
            Ok(if failures.is_empty() {
                Exit::Clean
            } else {
                Exit::Findings
            })
        }
    }
}

/// Checks every rule's examples (the rule must find a key) and negative
/// examples (no rule may find a key). Returns one message per failure,
/// naming examples by number: their text holds keys, and a `--rules` file
/// may come from the scanned repository.
pub fn check(matcher: &Matcher) -> Vec<String> {
    let mut failures = Vec::new();
    for (index, rule) in matcher.rules().iter().enumerate() {
        for (number, example) in rule.examples.iter().enumerate() {
            let found = matcher.find(example.text().as_bytes(), example.path());
            if !found.iter().any(|m| m.rule == index) {
                failures.push(format!(
                    "{} ({}): example {} not found",
                    rule.id,
                    rule.origin,
                    number + 1
                ));
            }
        }
        for (number, example) in rule.negative_examples.iter().enumerate() {
            let found = matcher.find(example.text().as_bytes(), example.path());
            if let Some(m) = found.first() {
                let by = &matcher.rules()[m.rule].id;
                failures.push(format!(
                    "{} ({}): negative example {} matched by {by}",
                    rule.id,
                    rule.origin,
                    number + 1
                ));
            }
        }
    }
    failures
}
