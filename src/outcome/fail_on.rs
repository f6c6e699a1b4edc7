//! `--fail-on` (and the project configuration's `fail-on`): which findings
//! fail the run. Its own file because the project configuration parses it
//! and the exit policy applies it: neither needs the other's types.

use crate::finding::{Verification, VerifyStatus};

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
