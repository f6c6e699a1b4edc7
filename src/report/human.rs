//! Human output: findings grouped by file, one line each, coloured on a TTY.

use std::io;

use termcolor::{Color, ColorSpec, WriteColor};

use super::{RenderOptions, Report};
use crate::finding::{short, Finding, VerifyStatus};
use crate::untrusted;

pub fn write(
    report: &Report,
    options: &RenderOptions<'_>,
    out: &mut dyn WriteColor,
) -> io::Result<()> {
    let mut current_group: Option<String> = None;
    for finding in &report.findings {
        let group = finding.place();
        if current_group.as_deref() != Some(group.as_str()) {
            if current_group.is_some() {
                writeln!(out)?;
            }
            out.set_color(ColorSpec::new().set_fg(Some(Color::Magenta)).set_bold(true))?;
            write!(out, "{}", untrusted::escape_controls(&group))?;
            out.reset()?;
            if finding.location.binary {
                write!(out, " (binary)")?;
            }
            if let Some(encoding) = finding.location.encoding {
                write!(out, " (decoded from {encoding})")?;
            }
            writeln!(out)?;
            current_group = Some(group);
        }
        write_finding(finding, options, out)?;
    }
    Ok(())
}

fn write_finding(
    finding: &Finding,
    options: &RenderOptions<'_>,
    out: &mut dyn WriteColor,
) -> io::Result<()> {
    out.set_color(ColorSpec::new().set_fg(Some(Color::Green)))?;
    write!(
        out,
        "  {}:{}",
        finding.location.line, finding.location.column
    )?;
    out.reset()?;
    write!(out, "  {}  ", finding.rule_id)?;
    out.set_color(ColorSpec::new().set_fg(Some(Color::Red)).set_bold(true))?;
    write!(out, "{}", finding.secret.display(options.redaction))?;
    out.reset()?;
    write!(
        out,
        "  fingerprint {}  confidence {}",
        finding.fingerprint, finding.confidence
    )?;
    if let Some(v) = &finding.verification {
        let color = match v.status {
            VerifyStatus::Live => Color::Red,
            VerifyStatus::Revoked => Color::Green,
            VerifyStatus::Unknown => Color::Yellow,
        };
        write!(out, "  ")?;
        out.set_color(ColorSpec::new().set_fg(Some(color)).set_bold(true))?;
        write!(out, "{}", v.status)?;
        out.reset()?;
        if let Some(reason) = v.reason {
            write!(out, " ({reason})")?;
        }
    }
    writeln!(out)?;
    if let Some(git) = finding.origin.git() {
        let mut parts = Vec::new();
        match &git.commit {
            Some(commit) => parts.push(format!("commit {}", short(commit))),
            None => parts.push(format!("object {}", short(&git.object))),
        }
        if let Some(author) = git.author {
            parts.push(untrusted::escape_controls(author).into_owned());
        }
        if let Some(date) = git.date {
            parts.push(date.to_string());
        }
        if let Some(summary) = git.summary {
            parts.push(format!("\"{}\"", untrusted::escape_controls(summary)));
        }
        writeln!(out, "        {}", parts.join("  "))?;
        let reach = if git.reachable == Some(false) {
            "unreachable (dangling object)".to_string()
        } else if git.reachable.is_none() {
            "reachability unknown (refs unreadable)".to_string()
        } else if git.refs.is_empty() {
            "reachable".to_string()
        } else {
            format!("in {}", untrusted::escape_controls(&git.refs.join(", ")))
        };
        let head = match git.at_head {
            Some(true) => "; still present at HEAD",
            Some(false) => "; not at HEAD (history only)",
            None => "",
        };
        writeln!(out, "        {reach}{head}")?;
    }
    Ok(())
}
