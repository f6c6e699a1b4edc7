//! The one exit policy every command follows.
//!
//! | code | when |
//! | --- | --- |
//! | 1 | findings that `--fail-on` counts |
//! | 2 | otherwise, the scan is incomplete: part of what was asked could not be read (a hole), or every input was skipped; or an error stopped the command |
//! | 0 | otherwise |
//!
//! A file skipped by a limit the user set (`--max-file-size`) is reported but
//! is not a hole, unless nothing at all was scanned. `--allow-incomplete`
//! turns holes back into 0 for those who want it. Findings come first: a scan
//! that found a key fails with 1 even when it also has holes, so the key is
//! what people look at.

use std::process::ExitCode;

use crate::finding::{Verification, VerifyStatus};
use crate::pipeline::Report;

/// The exit codes users and CI rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing found, and everything asked for was read.
    Clean = 0,
    /// Findings (or failed rule checks).
    Findings = 1,
    /// The command could not do its job: usage, bad configuration, or a scan
    /// with holes.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// What decides the exit code of a finished scan.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub fail_on: FailOn,
    pub allow_incomplete: bool,
}

/// Why a scan is incomplete, if it is.
pub fn incompleteness(report: &Report) -> Option<String> {
    let summary = &report.summary;
    if summary.errors > 0 {
        Some(format!(
            "{} could not be read (see above)",
            crate::report::plural(summary.errors, "input")
        ))
    } else if summary.scanned == 0 && summary.skipped > 0 {
        Some(format!(
            "every input was skipped ({} skipped, none scanned)",
            summary.skipped
        ))
    } else {
        None
    }
}

/// The exit code for `report` under `policy`.
pub fn decide(report: &Report, policy: Policy) -> Exit {
    if report
        .findings
        .iter()
        .any(|f| policy.fail_on.fails(f.verification.as_ref()))
    {
        Exit::Findings
    } else if incompleteness(report).is_some() && !policy.allow_incomplete {
        Exit::Error
    } else {
        Exit::Clean
    }
}

/// Which findings make the exit code 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    /// Any finding, whatever its verification.
    Any,
    /// Only keys verified live.
    Live,
    /// Keys verified live or whose status is unknown (anything not confirmed revoked).
    Unknown,
    /// No finding: report only (errors still exit 2). For CI steps that
    /// should annotate without failing.
    Never,
}

impl FailOn {
    pub fn fails(self, verification: Option<&Verification>) -> bool {
        let status = verification.map(|v| v.status);
        match self {
            FailOn::Any => true,
            FailOn::Live => status == Some(VerifyStatus::Live),
            FailOn::Unknown => status != Some(VerifyStatus::Revoked),
            FailOn::Never => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on() {
        let v = |status| Verification {
            status,
            reason: None,
            user_id: None,
            key_id: None,
        };
        assert!(FailOn::Any.fails(Some(&v(VerifyStatus::Revoked))));
        assert!(FailOn::Live.fails(Some(&v(VerifyStatus::Live))));
        assert!(!FailOn::Live.fails(Some(&v(VerifyStatus::Unknown))));
        assert!(FailOn::Unknown.fails(Some(&v(VerifyStatus::Unknown))));
        assert!(!FailOn::Unknown.fails(Some(&v(VerifyStatus::Revoked))));
    }
}
