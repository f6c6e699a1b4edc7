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

pub mod fail_on;

use std::process::ExitCode;

pub use fail_on::FailOn;

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
            crate::wording::plural(summary.errors, "input")
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
