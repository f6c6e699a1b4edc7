//! Verification as the pipeline sees it: a [`KeyChecker`] answers for each
//! distinct key, and the pipeline applies the answers to the report.
//!
//! The checker that talks to the Vast API (`src/verify/`) sits above the
//! pipeline (it needs the network, the pipeline does not), so the pipeline
//! names only this trait; the command hands a checker in with the plan.
//! Keeping "apply" here means every command (scan, `ci github`, revoke)
//! fills in verifications, counts and notes the same way.

use std::collections::HashMap;

use crate::finding::{Verification, VerifyStatus};
use crate::key::{Fingerprint, Secret};

use super::report::{Report, VerifyCounts};

/// Something that can tell whether keys work.
pub trait KeyChecker {
    /// Checks each key once (`keys` holds distinct keys, in report order).
    fn check_keys(&self, keys: &[(Fingerprint, Secret)]) -> Checked;
}

/// What a [`KeyChecker`] found.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// Keyed by fingerprint: every key asked about has an entry.
    pub verifications: HashMap<Fingerprint, Verification>,
    pub counts: VerifyCounts,
    /// Facts for the summary (why a key is unknown, a deadline that ran out).
    pub notes: Vec<String>,
}

/// The distinct keys of `report`'s findings, in report order.
pub fn distinct_keys(report: &Report) -> Vec<(Fingerprint, Secret)> {
    let mut seen = std::collections::HashSet::new();
    report
        .findings
        .iter()
        .filter(|f| seen.insert(&f.fingerprint))
        .map(|f| (f.fingerprint.clone(), f.secret.clone()))
        .collect()
}

/// Checks every distinct key of `report` with `checker` and applies the
/// answers: each finding's verification, the summary counts and notes.
pub fn verify(report: &mut Report, checker: &dyn KeyChecker) {
    let checked = checker.check_keys(&distinct_keys(report));
    apply(report, checked);
}

/// Applies a checker's answers to `report`.
pub fn apply(report: &mut Report, checked: Checked) {
    report.summary.notes.extend(checked.notes);
    for finding in &mut report.findings {
        if let Some(verification) = checked.verifications.get(&finding.fingerprint) {
            finding.verification = Some(verification.clone());
        }
    }
    report.summary.verification = Some(checked.counts);
}

/// `--only-live`: drops findings whose key is not verified live.
pub fn keep_only_live(report: &mut Report) {
    let before = report.findings.len();
    report
        .findings
        .retain(|f| f.verification.as_ref().map(|v| v.status) == Some(VerifyStatus::Live));
    let hidden = before - report.findings.len();
    if hidden > 0 {
        report.summary.notes.push(format!(
            "--only-live: {} of keys not verified live not shown",
            crate::wording::plural(hidden as u64, "finding")
        ));
    }
    report.recount();
}
