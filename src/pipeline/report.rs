//! What a scan produces: the [`Report`] every later stage (verify, revoke,
//! render, exit code) works on.
//!
//! It lives with the pipeline, not with the renderers in `src/report/`,
//! because the pipeline makes it and the layers below the renderers (the
//! exit policy, the verifier, revoke) read it; the renderers re-export it.

use std::time::Duration;

use serde::Serialize;

use crate::finding::Finding;
use crate::scan::Problem;
use crate::suppress::StaleIgnore;

/// Everything a scan found and saw.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Findings that count.
    pub findings: Vec<Finding>,
    /// Findings that a marker, ignore entry or baseline suppressed; each has
    /// [`Finding::suppression`] set. Reported, never dropped.
    pub suppressed: Vec<Finding>,
    /// In a range scan, the suppressed findings whose suppression the range
    /// itself adds (a new ignore entry, a marker in changed content, a
    /// changed baseline): what a reviewer must look at.
    pub added_suppressions: Vec<Finding>,
    pub problems: Vec<Problem>,
    pub stale_ignores: Vec<StaleIgnore>,
    pub summary: Summary,
}

impl Report {
    /// Number of distinct keys among the findings.
    pub fn distinct_keys(&self) -> usize {
        let mut fps: Vec<_> = self.findings.iter().map(|f| &f.fingerprint).collect();
        fps.sort();
        fps.dedup();
        fps.len()
    }

    /// Recounts `findings` and `keys` after findings were added or dropped.
    pub fn recount(&mut self) {
        self.summary.findings = self.findings.len() as u64;
        self.summary.keys = self.distinct_keys() as u64;
    }
}

/// What kind of scan made a report. Serialised as the strings reports and
/// `schemas/report.schema.json` have always used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanMode {
    /// Files and directories (the default).
    #[default]
    Files,
    /// Standard input.
    Stdin,
    /// The whole git history.
    Git,
    /// The blobs staged for the next commit (a pre-commit check).
    Staged,
    /// What a set of commits introduces (tips minus hidden commits).
    Range,
}

impl ScanMode {
    /// As written in reports: `files`, `stdin`, `git`, `staged`, `range`.
    pub fn name(self) -> &'static str {
        match self {
            ScanMode::Files => "files",
            ScanMode::Stdin => "stdin",
            ScanMode::Git => "git",
            ScanMode::Staged => "staged",
            ScanMode::Range => "range",
        }
    }

    /// Whether the scan saw everything its suppressions could apply to, so
    /// an ignore entry that matched nothing is stale. In staged and range
    /// scans most keys are simply not in the changed blobs, and "remove it"
    /// would break the next full audit.
    pub fn judges_staleness(self) -> bool {
        matches!(self, ScanMode::Files | ScanMode::Git)
    }
}

impl std::fmt::Display for ScanMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Counts for the summary line and the JSON `summary` object. No timestamps
/// or durations in serialised form: a report used as a baseline must not churn.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// What was scanned.
    pub mode: ScanMode,
    /// Files, blobs or messages scanned.
    pub scanned: u64,
    pub bytes: u64,
    pub findings: u64,
    /// Distinct keys among the findings.
    pub keys: u64,
    /// Findings hidden by inline markers, the ignore file or the baseline.
    pub suppressed: u64,
    pub skipped: u64,
    pub errors: u64,
    /// Extra facts worth a line (e.g. "shallow repository").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip)]
    pub elapsed: Duration,
    /// Verification counts, when `--verify` ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerifyCounts>,
}

/// Verification counts for the summary line and the JSON
/// `summary.verification` object.
#[derive(Clone, Debug, Default, Serialize)]
pub struct VerifyCounts {
    pub live: u64,
    pub revoked: u64,
    pub unknown: u64,
    /// HTTP requests sent, retries included.
    #[serde(skip)]
    pub requests: u64,
    #[serde(skip)]
    pub api: String,
    #[serde(skip)]
    pub elapsed: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_serialise_as_the_schema_strings() {
        for (mode, name) in [
            (ScanMode::Files, "files"),
            (ScanMode::Stdin, "stdin"),
            (ScanMode::Git, "git"),
            (ScanMode::Staged, "staged"),
            (ScanMode::Range, "range"),
        ] {
            assert_eq!(serde_json::to_value(mode).unwrap(), name);
            assert_eq!(mode.to_string(), name);
        }
    }
}
