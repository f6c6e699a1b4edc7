//! A Markdown summary: a heading that says whether keys were found, a table
//! of findings (redacted key, file:line, commit, verification, what to do)
//! and the steps to fix a leak. Written for GitHub's job summary
//! (`GITHUB_STEP_SUMMARY`) but plain GitHub-flavoured Markdown, so any CI that
//! renders Markdown (GitLab merge-request notes, Gitea) can show it.
//!
//! Every value that comes from scanned data (paths, commit summaries) is
//! escaped: a file named `a|b<img>.env` must not break the table or inject
//! HTML into the summary page.

use std::io::{self, Write};

use super::{RenderOptions, Report};
use crate::finding::{short, Finding, Place, VerifyStatus};
use crate::scan::ProblemKind;
use crate::suppress::IGNORE_FILE_NAME;
use crate::untrusted::Redaction;
use crate::vast_api::MANAGE_KEYS_URL;
use crate::wording::plural;

/// GitHub truncates a step summary above 1 MiB; past this many rows the
/// table says how many were left out and points at the SARIF/JSON report.
pub const MAX_ROWS: usize = 500;

pub fn write(report: &Report, options: &RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
    let live = report
        .findings
        .iter()
        .filter(|f| f.verification.as_ref().map(|v| v.status) == Some(VerifyStatus::Live))
        .count();
    if let (true, Some(why)) = (
        report.findings.is_empty(),
        crate::outcome::incompleteness(report),
    ) {
        // Never "no keys found" when part of the scan was not read.
        writeln!(
            out,
            "## vastleaks: scan incomplete: {}",
            text(&why.replace(" (see above)", ""))
        )?;
    } else if report.findings.is_empty() {
        writeln!(out, "## vastleaks: no Vast API keys found")?;
    } else {
        write!(
            out,
            "## vastleaks: {} ({})",
            plural(summary.keys, "leaked Vast API key"),
            plural(report.findings.len() as u64, "finding")
        )?;
        if live > 0 {
            write!(out, ", {live} live")?;
        }
        writeln!(out)?;
    }
    writeln!(out)?;
    for note in &summary.notes {
        writeln!(out, "- {}", text(note))?;
    }
    let line = format!(
        "- Scanned {} ({}){}",
        summary.scanned_phrase(),
        super::human_bytes(summary.bytes),
        summary.side_counts()
    );
    writeln!(out, "{line}.")?;

    if !report.findings.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "| Key | Location | Commit | Verification | What to do |"
        )?;
        writeln!(out, "| --- | --- | --- | --- | --- |")?;
        for finding in report.findings.iter().take(MAX_ROWS) {
            write_row(finding, options.redaction, out)?;
        }
        if report.findings.len() > MAX_ROWS {
            writeln!(out)?;
            writeln!(
                out,
                "{} more findings not shown; see the SARIF or JSON report.",
                report.findings.len() - MAX_ROWS
            )?;
        }
        writeln!(out)?;
        writeln!(out, "**What to do with a leaked key**")?;
        writeln!(out)?;
        writeln!(
            out,
            "1. Revoke it first: anyone who saw the commit can use it. Delete it at <{MANAGE_KEYS_URL}> or run `vastleaks revoke`."
        )?;
        writeln!(
            out,
            "2. Then remove it: delete it from the file and, if it was committed, rewrite history (`git filter-repo --replace-text`) and force-push. A code-scanning alert closes once the key leaves HEAD, but the key stays in git history until history is rewritten."
        )?;
        writeln!(
            out,
            "3. Or accept it (a test fixture, a key already revoked): add its fingerprint to `{IGNORE_FILE_NAME}`, or put `vastleaks:allow` on its line."
        )?;
    }

    write_suppressed(report, options.redaction, out)?;

    let problems: Vec<_> = report.problems.iter().take(MAX_ROWS).collect();
    if !problems.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "<details><summary>Problems ({})</summary>",
            report.problems.len()
        )?;
        writeln!(out)?;
        for problem in problems {
            let what = match problem.kind {
                ProblemKind::Skipped => "skipped",
                ProblemKind::Error => "error",
            };
            writeln!(
                out,
                "- {what}: {}: {}",
                text(&problem.subject.to_string()),
                text(&problem.message)
            )?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    Ok(())
}

/// Suppressed findings, in their own tables: what suppressed each is part
/// of what a reviewer must see, and suppressions the scanned change adds
/// come first, under their own heading.
fn write_suppressed(report: &Report, redaction: Redaction, out: &mut dyn Write) -> io::Result<()> {
    if !report.added_suppressions.is_empty() {
        let heading = format!(
            "### Suppressions added by this change ({}): review them",
            report.added_suppressions.len()
        );
        write_suppressed_table(&heading, &report.added_suppressions, redaction, out)?;
        writeln!(out)?;
        writeln!(
            out,
            "These keys would fail the check without a suppression that the scanned commits add (a new ignore entry, a `vastleaks:allow` marker in changed content, a changed baseline). If that was not meant, remove the suppression; teams that want only reviewed suppressions run with `--suppressions base-only`."
        )?;
    }
    if report.suppressed.is_empty() {
        return Ok(());
    }
    let heading = format!(
        "### Suppressed ({}): not counted, check each was meant",
        report.suppressed.len()
    );
    write_suppressed_table(&heading, &report.suppressed, redaction, out)
}

fn write_suppressed_table(
    heading: &str,
    findings: &[Finding],
    redaction: Redaction,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out)?;
    writeln!(out, "{heading}")?;
    writeln!(out)?;
    writeln!(out, "| Key | Location | Suppressed by |")?;
    writeln!(out, "| --- | --- | --- |")?;
    for finding in findings.iter().take(MAX_ROWS) {
        let by = finding
            .suppression
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        writeln!(
            out,
            "| {} | {} | {} |",
            key_cell(finding, redaction),
            location_cell(finding),
            text(&by)
        )?;
    }
    if findings.len() > MAX_ROWS {
        writeln!(out)?;
        writeln!(
            out,
            "{} more suppressed findings not shown; see the SARIF or JSON report.",
            findings.len() - MAX_ROWS
        )?;
    }
    Ok(())
}

fn key_cell(finding: &Finding, redaction: Redaction) -> String {
    format!(
        "`{}`<br>fingerprint `{}`",
        finding.secret.display(redaction),
        finding.fingerprint
    )
}

fn location_cell(finding: &Finding) -> String {
    let place = finding.origin.place();
    match (place, place.object()) {
        (Place::Path(path), _) => format!("{}:{}", text(path), finding.location.line),
        (_, Some((what, id))) => format!("{what} `{}`", short(&id)),
        (_, None) => format!("stdin:{}", finding.location.line),
    }
}

fn write_row(finding: &Finding, redaction: Redaction, out: &mut dyn Write) -> io::Result<()> {
    let key = key_cell(finding, redaction);
    let location = location_cell(finding);
    let commit = match finding.origin.git() {
        Some(git) => {
            // No commit: a tag message (reachable through its tag) or a
            // dangling object.
            let mut cell = match &git.commit {
                Some(commit) => format!("`{}`", short(commit)),
                None if git.reachable == Some(false) => "unreachable".to_string(),
                None => "-".to_string(),
            };
            if let Some(summary) = git.summary {
                cell.push_str(&format!(" {}", text(summary)));
            }
            match git.at_head {
                Some(true) => cell.push_str("<br>still at HEAD"),
                Some(false) => cell.push_str("<br>history only"),
                None => {}
            }
            cell
        }
        None => "-".to_string(),
    };
    let status = finding.verification.as_ref().map(|v| v.status);
    let verification = match &finding.verification {
        Some(v) => match v.reason {
            Some(reason) => format!("{} ({reason})", v.status),
            None => match v.status {
                VerifyStatus::Live => "**live**".to_string(),
                other => other.to_string(),
            },
        },
        None => "not checked".to_string(),
    };
    let committed = finding.origin.git().is_some();
    let todo = match (status, committed) {
        (Some(VerifyStatus::Revoked), true) => "Already dead: rewrite history or accept",
        (Some(VerifyStatus::Revoked), false) => "Already dead: remove it or accept",
        (Some(VerifyStatus::Live), true) => "**Revoke now**, then rewrite history or accept",
        (Some(VerifyStatus::Live), false) => "**Revoke now**, then remove it or accept",
        (_, true) => "Revoke, then rewrite history or accept",
        (_, false) => "Revoke, then remove it or accept",
    };
    writeln!(
        out,
        "| {key} | {location} | {commit} | {verification} | {todo} |"
    )
}

/// Escapes scanned text for a Markdown table cell: Markdown punctuation is
/// backslash-escaped, HTML metacharacters become entities, line breaks become
/// spaces (a raw newline ends the table row).
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' | '\n' => out.push(' '),
            // Only characters that start inline markup; `-`, `+` and `.`
            // (and `#`) matter only at the start of a line, which a cell never is.
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' | '$' => {
                out.push('\\');
                out.push(c);
            }
            c if crate::untrusted::is_unsafe_char(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{test_id, CommitInfo, Origin, Reach, TagOrigin, Verification};
    use crate::report::Summary;

    fn key() -> String {
        [
            "0b96135e9524064d0e67f499198f921c",
            "fa0ed9ba2727856331050ce20ce0ca39",
        ]
        .concat()
    }

    fn finding(path: &str) -> Finding {
        Finding::in_file(&key(), path, 7, 1)
    }

    fn render(report: &Report) -> String {
        let options = RenderOptions {
            redaction: Redaction::Partial,
            rules: &[],
        };
        let mut out = Vec::new();
        write(report, &options, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_table_breakers_and_html() {
        assert_eq!(text("a|b<img src=x>\nc"), "a\\|b&lt;img src=x&gt; c");
        assert_eq!(text("my_file.env"), "my\\_file.env");
    }

    #[test]
    fn clean_report_says_so() {
        let report = Report {
            summary: Summary {
                mode: crate::report::ScanMode::Git,
                scanned: 12,
                bytes: 2048,
                notes: vec!["push to main: 2 commits".into()],
                ..Summary::default()
            },
            ..Report::default()
        };
        assert_eq!(
            render(&report),
            "## vastleaks: no Vast API keys found\n\n- push to main: 2 commits\n- Scanned 12 objects (2.0 KiB).\n"
        );
    }

    #[test]
    fn table_row_per_finding_with_commit_and_verification() {
        let mut committed = finding("config/a|b.env");
        committed.origin = Origin::test_blob(
            Some("config/a|b.env"),
            Some(CommitInfo {
                summary: Some("add <config>".into()),
                ..CommitInfo::id_only(test_id('c'))
            }),
            Some(true),
            Some(false),
        );
        committed.verification = Some(Verification {
            status: VerifyStatus::Live,
            reason: None,
            user_id: None,
            key_id: None,
        });
        let report = Report {
            findings: vec![committed, finding("x.env")],
            summary: Summary {
                mode: crate::report::ScanMode::Git,
                keys: 1,
                findings: 2,
                ..Summary::default()
            },
            ..Report::default()
        };
        let md = render(&report);
        assert!(
            md.starts_with("## vastleaks: 1 leaked Vast API key (2 findings), 1 live\n"),
            "{md}"
        );
        assert!(md.contains(
            "| `0b96...ca39`<br>fingerprint `929683a167bc703e` | config/a\\|b.env:7 | `cccccccccccc` add &lt;config&gt;<br>history only | **live** | **Revoke now**, then rewrite history or accept |\n"
        ), "{md}");
        assert!(md.contains(
            "| `0b96...ca39`<br>fingerprint `929683a167bc703e` | x.env:7 | - | not checked | Revoke, then remove it or accept |\n"
        ), "{md}");
        assert!(!md.contains(&key()));
        assert!(md.contains("stays in git history"));
    }

    #[test]
    fn a_message_without_a_commit_is_unreachable_only_when_it_is() {
        let object = |reachable| {
            let tag = Origin::TagMessage(Box::new(TagOrigin {
                tag: test_id('d'),
                reach: Reach {
                    refs: Vec::new(),
                    reachable: Some(reachable),
                },
            }));
            Finding::for_test(&key(), tag, 1, 18)
        };
        let report = |f| Report {
            findings: vec![f],
            ..Report::default()
        };
        let tag = render(&report(object(true)));
        assert!(tag.contains("| tag message `dddddddddddd` | - |"), "{tag}");
        let dangling = render(&report(object(false)));
        assert!(
            dangling.contains("| tag message `dddddddddddd` | unreachable |"),
            "{dangling}"
        );
    }
}
