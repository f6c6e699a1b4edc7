//! GitHub Actions workflow commands: one `::error file=...,line=...::message`
//! annotation per finding. GitHub shows them on the pull request diff and in
//! the run's summary; outside Actions they are still a greppable one-line
//! format.
//!
//! Escaping follows the runner's rules (actions/toolkit `command.ts`): in the
//! message `%`, CR and LF are percent-encoded; in property values `:` and `,`
//! are too, since they delimit properties. Without this a path containing a
//! comma would silently move the annotation.

use std::io::{self, Write};

use super::{RenderOptions, Report};
use crate::finding::{short, Finding, VerifyStatus};
use crate::scan::ProblemKind;
use crate::suppress::IGNORE_FILE_NAME;
use crate::untrusted::Redaction;
use crate::vast_api::manage_keys_url;

pub fn write(report: &Report, options: &RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    for finding in &report.findings {
        writeln!(out, "{}", annotation(finding, options.redaction))?;
    }
    // Suppressed findings stay visible: a pull request that adds a key and
    // an ignore entry (or `vastleaks:allow`) for it must show both.
    for finding in &report.suppressed {
        let added = report
            .added_suppressions
            .iter()
            .any(|a| same_place(a, finding));
        writeln!(
            out,
            "{}",
            suppressed_annotation(finding, added, options.redaction)
        )?;
    }
    // Problems would otherwise only reach stderr, which Actions does not
    // surface in the summary: a skipped file is a hole in the scan.
    for problem in &report.problems {
        let what = match problem.kind {
            ProblemKind::Skipped => "skipped",
            ProblemKind::Error => "error",
        };
        writeln!(
            out,
            "::warning title={}::{}",
            escape_property(&format!("vastleaks: {what}")),
            escape_data(&format!("{}: {}", problem.subject, problem.message))
        )?;
    }
    Ok(())
}

/// The workflow command for one finding.
pub fn annotation(finding: &Finding, redaction: Redaction) -> String {
    let level = match finding.verification.as_ref().map(|v| v.status) {
        None | Some(VerifyStatus::Live) => "error",
        Some(VerifyStatus::Unknown) => "warning",
        Some(VerifyStatus::Revoked) => "notice",
    };
    let mut properties = Vec::new();
    if let Some(path) = finding.origin.path() {
        properties.push(format!("file={}", escape_property(path)));
        properties.push(format!("line={}", finding.location.line));
        properties.push(format!("col={}", finding.location.column));
    }
    let title = match finding.verification.as_ref().map(|v| v.status) {
        Some(VerifyStatus::Live) => "Live Vast API key".to_string(),
        Some(VerifyStatus::Revoked) => "Revoked Vast API key".to_string(),
        _ => "Vast API key".to_string(),
    };
    properties.push(format!("title={}", escape_property(&title)));
    format!(
        "::{level} {}::{}",
        properties.join(","),
        escape_data(&message(finding, redaction))
    )
}

/// A `notice` for a suppressed finding: where, the key (redacted) and what
/// suppressed it.
pub fn suppressed_annotation(finding: &Finding, added: bool, redaction: Redaction) -> String {
    let mut properties = Vec::new();
    if let Some(path) = finding.origin.path() {
        properties.push(format!("file={}", escape_property(path)));
        properties.push(format!("line={}", finding.location.line));
        properties.push(format!("col={}", finding.location.column));
    }
    let (level, title, review) = if added {
        (
            "warning",
            "Suppression added by this change",
            " This change adds the suppression: review it.",
        )
    } else {
        ("notice", "Suppressed Vast API key", "")
    };
    properties.push(format!("title={}", escape_property(title)));
    let by = finding
        .suppression
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    format!(
        "::{level} {}::{}",
        properties.join(","),
        escape_data(&format!(
            "{} {} ({}, fingerprint {}) at {}, suppressed by {by}: not counted.{review} Check that this suppression was meant.",
            finding.rule_name,
            finding.secret.display(redaction),
            finding.rule_id,
            finding.fingerprint,
            finding.position()
        ))
    )
}

/// The same occurrence (the same key at the same place).
fn same_place(a: &Finding, b: &Finding) -> bool {
    a.fingerprint == b.fingerprint
        && a.origin.path() == b.origin.path()
        && a.location.line == b.location.line
        && a.location.column == b.location.column
        && a.origin.kind() == b.origin.kind()
}

/// The annotation text: the key (redacted), where it is, what was learnt
/// about it and what to do.
fn message(finding: &Finding, redaction: Redaction) -> String {
    let mut text = format!(
        "{} {} ({}, fingerprint {})",
        finding.rule_name,
        finding.secret.display(redaction),
        finding.rule_id,
        finding.fingerprint
    );
    if let Some(git) = finding.origin.git() {
        if let Some(commit) = &git.commit {
            text.push_str(&format!(" in commit {}", short(commit)));
        } else {
            text.push_str(&format!(" in object {}", short(&git.object)));
        }
    }
    text.push('.');
    if let Some(v) = &finding.verification {
        text.push_str(&format!(" Verification: {}", v.status));
        if let Some(reason) = v.reason {
            text.push_str(&format!(" ({reason})"));
        }
        text.push('.');
    }
    let revoke = match finding.verification.as_ref().map(|v| v.status) {
        Some(VerifyStatus::Revoked) => "The key no longer works; remove it",
        _ => concat!(
            "Revoke it at ",
            manage_keys_url!(),
            " (or `vastleaks revoke`), then remove it"
        ),
    };
    text.push_str(&format!(
        " {revoke} (rewrite history if it was committed), or accept it by adding {} to {IGNORE_FILE_NAME} or `vastleaks:allow` on the line.",
        finding.fingerprint
    ));
    text
}

/// Escapes a workflow-command message (the part after `::`): the runner's
/// own encoding for `%`, CR and LF, then every other control character made
/// visible (`\x1b`), so a file name cannot drive the terminal that shows
/// the log.
pub fn escape_data(text: &str) -> String {
    let encoded = text
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::untrusted::escape_controls(&encoded).into_owned()
}

/// Escapes a workflow-command property value (`file=`, `title=`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{test_id, CommitInfo, Origin, UnknownReason, Verification};

    fn key() -> String {
        [
            "38392aa0acddf808be3f8bc7f74f6935",
            "1f1992ce2f3f3b4455da3295706fb7ad",
        ]
        .concat()
    }

    fn finding(path: Option<&str>) -> Finding {
        let origin = match path {
            Some(path) => Origin::File { path: path.into() },
            None => Origin::Stdin,
        };
        Finding::for_test(&key(), origin, 3, 9)
    }

    #[test]
    fn escaping_follows_the_runner_rules() {
        assert_eq!(escape_data("100%\r\nok: a,b"), "100%25%0D%0Aok: a,b");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn annotation_is_one_line_redacted_and_escaped() {
        let line = annotation(&finding(Some("dir,1/we:ird%.env")), Redaction::Partial);
        assert!(line.starts_with(
            "::error file=dir%2C1/we%3Aird%25.env,line=3,col=9,title=Vast API key::Vast API key assigned to a Vast-named variable 3839...b7ad (vast.env-assignment, fingerprint ae1a7957ddf97fc5)."
        ), "{line}");
        assert!(!line.contains(&key()));
        assert!(!line.contains('\n'));
        assert!(line.contains("ae1a7957ddf97fc5 to .vastleaksignore"));
        assert!(annotation(&finding(None), Redaction::None).contains(&key()));
        assert!(annotation(&finding(None), Redaction::Partial).starts_with("::error title="));
    }

    fn set_status(f: &mut Finding, status: VerifyStatus) {
        if let Some(v) = f.verification.as_mut() {
            v.status = status;
        }
    }

    #[test]
    fn level_and_text_follow_verification_and_commit() {
        let mut f = finding(Some("a.env"));
        f.origin = Origin::test_blob(
            Some("a.env"),
            Some(CommitInfo::id_only(test_id('c'))),
            Some(true),
            None,
        );
        f.verification = Some(Verification {
            status: VerifyStatus::Unknown,
            reason: Some(UnknownReason::RateLimited),
            user_id: None,
            key_id: None,
        });
        let line = annotation(&f, Redaction::Partial);
        assert!(line.starts_with("::warning "), "{line}");
        assert!(line.contains(" in commit cccccccccccc."), "{line}");
        assert!(
            line.contains("Verification: unknown (rate_limited)."),
            "{line}"
        );
        set_status(&mut f, VerifyStatus::Revoked);
        assert!(annotation(&f, Redaction::Partial).starts_with("::notice "));
        set_status(&mut f, VerifyStatus::Live);
        let live = annotation(&f, Redaction::Partial);
        assert!(live.starts_with("::error ") && live.contains("title=Live Vast API key::"));
    }
}
