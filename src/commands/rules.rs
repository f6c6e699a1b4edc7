//! `vastleaks rules list|check`.

use super::Exit;
use crate::cli::{RulesAction, RulesArgs};
use crate::matcher::Matcher;

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
                println!(
                    "{}  [{}]{scope}\n    {}\n    {}",
                    rule.id, rule.confidence, rule.name, rule.description
                );
            }
            Ok(Exit::Clean)
        }
        RulesAction::Check => {
            let matcher = Matcher::new(&rules)?;
            let failures = check(&matcher);
            for failure in &failures {
                println!("FAIL {failure}");
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
/// examples (no rule may find a key). Returns one message per failure.
pub fn check(matcher: &Matcher) -> Vec<String> {
    let mut failures = Vec::new();
    for (index, rule) in matcher.rules().iter().enumerate() {
        for example in &rule.examples {
            let found = matcher.find(example.text().as_bytes(), example.path());
            if !found.iter().any(|m| m.rule == index) {
                failures.push(format!(
                    "{} ({}): example not found: {:?}",
                    rule.id,
                    rule.origin,
                    example.text()
                ));
            }
        }
        for example in &rule.negative_examples {
            let found = matcher.find(example.text().as_bytes(), example.path());
            if let Some(m) = found.first() {
                let by = &matcher.rules()[m.rule].id;
                failures.push(format!(
                    "{} ({}): negative example matched by {by}: {:?}",
                    rule.id,
                    rule.origin,
                    example.text()
                ));
            }
        }
    }
    failures
}
