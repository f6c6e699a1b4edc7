//! What standard error says after a scan: problems, suppressions, stale
//! ignore entries, the summary and verification lines, notes, and what to
//! do next (for a blocked commit, step by step).

use termcolor::WriteColor;

use crate::finding::VerifyStatus;
use crate::pipeline::ScanMode;
use crate::report::{self, Report};
use crate::scan::ProblemKind;
use crate::suppress::IGNORE_FILE_NAME;
use crate::untrusted;

/// One stderr line per problem (`only_errors`: skip the deliberately skipped).
pub fn write_problems(
    report: &Report,
    only_errors: bool,
    err: &mut dyn WriteColor,
) -> std::io::Result<()> {
    for problem in &report.problems {
        let what = match problem.kind {
            ProblemKind::Skipped if only_errors => continue,
            ProblemKind::Skipped => "skipped",
            ProblemKind::Error => "error",
        };
        writeln!(
            err,
            "vastleaks: {what}: {}: {}",
            untrusted::escape_controls(&problem.subject.to_string()),
            untrusted::escape_controls(&problem.message)
        )?;
    }
    Ok(())
}

/// What a committer blocked by the pre-commit check can do, in the order
/// that is usually right. Revoking is advice only for a key that may have
/// left the machine, and never for a key verified revoked.
pub(super) fn write_commit_blocked(
    report: &Report,
    hook_id: Option<&str>,
    err: &mut dyn WriteColor,
) -> std::io::Result<()> {
    let mut files: Vec<&str> = report
        .findings
        .iter()
        .filter_map(|f| f.origin.path())
        .collect();
    files.sort_unstable();
    files.dedup();
    let quoted: Vec<String> = files.iter().map(|f| shell_word(f)).collect();
    let all_revoked = report
        .findings
        .iter()
        .all(|f| f.verification.as_ref().map(|v| v.status) == Some(VerifyStatus::Revoked));
    writeln!(
        err,
        "vastleaks: commit blocked: {} in the staged content. What to do:",
        report::plural(report.summary.keys, "Vast API key")
    )?;
    writeln!(
        err,
        "  - keep it out of git: `git rm --cached {}` (your file stays), or delete the key from the file and `git add` it again",
        untrusted::escape_controls(&quoted.join(" "))
    )?;
    let skip = match hook_id {
        Some(id) => format!(" or `SKIP={} git commit`", untrusted::escape_controls(id)),
        None => String::new(),
    };
    writeln!(
        err,
        "  - skip the check once: `git commit --no-verify`{skip}"
    )?;
    writeln!(
        err,
        "  - accept it (a test fixture, a dead key): add its fingerprint to {IGNORE_FILE_NAME}, or put `vastleaks:allow` on its line"
    )?;
    if all_revoked {
        writeln!(err, "  - the key is verified revoked: it no longer works")?;
    } else {
        writeln!(
            err,
            "  - if the key was ever pushed or shared, revoke it: `vastleaks revoke` or {}",
            crate::vast_api::MANAGE_KEYS_URL
        )?;
    }
    writeln!(err, "  More: {}", found_a_key_link())
}

/// The README section every surface links to: on the repository's page when
/// the package names one, else by its title.
pub fn found_a_key_link() -> String {
    match env!("CARGO_PKG_REPOSITORY") {
        // Not published yet (no repository, or the OWNER placeholder).
        repository if repository.is_empty() || repository.contains("/OWNER/") => {
            "\"You found a key: now what?\" in the vastleaks README".to_string()
        }
        repository => format!("{repository}#you-found-a-key-now-what"),
    }
}

/// A path as one shell word: quoted when it holds anything but plain characters.
fn shell_word(path: &str) -> String {
    if !path.is_empty()
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./+@%:,".contains(&b))
    {
        path.to_string()
    } else {
        format!("'{}'", path.replace('\'', "'\\''"))
    }
}

/// How many suppressed findings stderr lists one by one.
const SUPPRESSED_SHOWN: usize = 20;

/// Suppressed findings stay visible: one stderr line each (up to a limit).
/// Keys are written partially redacted; under `--redact full` the
/// [`crate::untrusted::Redactor`] around `err` removes what is left of them.
fn write_suppressed(report: &Report, err: &mut dyn WriteColor) -> std::io::Result<()> {
    // What suppressed a finding: an ignore-file path or a config pattern,
    // both from the repository.
    let by = |finding: &crate::finding::Finding| {
        let by = finding
            .suppression
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        untrusted::escape_controls(&by).into_owned()
    };
    for finding in &report.added_suppressions {
        writeln!(
            err,
            "vastleaks: warning: this change adds the suppression of {} {} (fingerprint {}, by {}): review it",
            untrusted::escape_controls(&finding.position()),
            finding.secret.redacted(),
            finding.fingerprint,
            by(finding)
        )?;
    }
    for finding in report.suppressed.iter().take(SUPPRESSED_SHOWN) {
        writeln!(
            err,
            "vastleaks: suppressed: {} {} fingerprint {} by {}",
            untrusted::escape_controls(&finding.position()),
            finding.secret.redacted(),
            finding.fingerprint,
            by(finding)
        )?;
    }
    if report.suppressed.len() > SUPPRESSED_SHOWN {
        writeln!(
            err,
            "vastleaks: suppressed: {} more (--format json lists them all)",
            report.suppressed.len() - SUPPRESSED_SHOWN
        )?;
    }
    Ok(())
}

/// Problems, stale ignores, the summary and verification lines, notes and
/// (with `hint`) what to do next, on stderr.
pub fn write_diagnostics(
    report: &Report,
    hint: bool,
    err: &mut dyn WriteColor,
) -> std::io::Result<()> {
    write_problems(report, false, err)?;
    write_suppressed(report, err)?;
    for stale in &report.stale_ignores {
        writeln!(
            err,
            "vastleaks: warning: {}:{}: ignore entry {} matched nothing in this scan (stale: remove it if the key is gone)",
            untrusted::escape_controls(&stale.file),
            stale.line,
            stale.fingerprint
        )?;
    }
    let summary = &report.summary;
    let line = format!(
        "vastleaks: scanned {} ({}) in {:.2}s: {} ({}){}",
        summary.scanned_phrase(),
        report::human_bytes(summary.bytes),
        summary.elapsed.as_secs_f64(),
        report::plural(summary.findings, "finding"),
        report::plural(summary.keys, "distinct key"),
        summary.side_counts(),
    );
    writeln!(err, "{line}")?;
    if let Some(counts) = &summary.verification {
        let checked = counts.live + counts.revoked + counts.unknown;
        writeln!(
            err,
            "vastleaks: verified {} against {} in {:.2}s ({}): {} live, {} revoked, {} unknown",
            report::plural(checked, "distinct key"),
            counts.api,
            counts.elapsed.as_secs_f64(),
            report::plural(counts.requests, "request"),
            counts.live,
            counts.revoked,
            counts.unknown,
        )?;
    }
    for note in &summary.notes {
        writeln!(err, "vastleaks: note: {}", untrusted::escape_controls(note))?;
    }
    if let Some(counts) = summary.verification.as_ref().filter(|c| hint && c.live > 0) {
        writeln!(
            err,
            "vastleaks: {} {} LIVE: anyone who saw {} can use the account now; revoke first (`vastleaks revoke`, or {})",
            report::plural(counts.live, "key"),
            if counts.live == 1 { "is" } else { "are" },
            if counts.live == 1 { "it" } else { "them" },
            crate::vast_api::MANAGE_KEYS_URL,
        )?;
    }
    if let Some(counts) = summary.verification.as_ref().filter(|c| c.unknown > 0) {
        writeln!(
            err,
            "vastleaks: {} could not be checked (unknown is not revoked): treat {} as live until checked",
            report::plural(counts.unknown, "key"),
            if counts.unknown == 1 { "it" } else { "them" },
        )?;
    }
    if !report.findings.is_empty() && hint && report.summary.mode != ScanMode::Staged {
        writeln!(
            err,
            "vastleaks: a leaked key must be revoked ({} or `vastleaks revoke`); \
             to accept a finding, add its fingerprint to {IGNORE_FILE_NAME} or put `vastleaks:allow` on its line",
            crate::vast_api::MANAGE_KEYS_URL
        )?;
    }
    Ok(())
}
