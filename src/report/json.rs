//! JSON and JSON Lines. The schema is documented in the README; field names
//! are part of the interface (baselines are JSON reports).

use std::io::{self, Write};

use serde::Serialize;

use super::{RenderOptions, Report, Summary};
use crate::finding::{Finding, GitView, Suppression, Verification};
use crate::scan::Problem;
use crate::suppress::StaleIgnore;
use crate::untrusted::Redaction;

/// Version of the JSON schema; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    /// Findings that do not count, each with what suppressed it.
    suppressed: Vec<JsonFinding<'a>>,
    /// Range scans: suppressed findings whose suppression the range adds.
    added_suppressions: Vec<JsonFinding<'a>>,
    summary: &'a Summary,
    problems: &'a [Problem],
    stale_ignores: &'a [StaleIgnore],
}

/// `{"name": "vastleaks", "version": "0.1.0"}`: the envelope every JSON
/// document vastleaks writes (scan reports, revoke audits) starts with.
#[derive(Clone, Copy, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub const THIS: Tool = Tool {
        name: env!("CARGO_PKG_NAME"),
        version: env!("CARGO_PKG_VERSION"),
    };
}

/// A finding as serialised. `secret` is redacted as `--redact` says
/// (`redacted` is false only with `--show-secrets`).
#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub rule: &'a str,
    pub rule_name: &'a str,
    pub confidence: crate::rules::Confidence,
    pub fingerprint: &'a str,
    pub secret: String,
    pub redacted: bool,
    pub source: crate::finding::SourceKind,
    pub path: Option<&'a str>,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
    pub binary: bool,
    /// `utf-16le`/`utf-16be` when the file was decoded to find the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub git: Option<GitView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<&'a Verification>,
    /// Set only on suppressed findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppression: Option<&'a Suppression>,
}

impl<'a> JsonFinding<'a> {
    pub fn new(finding: &'a Finding, redaction: Redaction) -> Self {
        JsonFinding {
            rule: &finding.rule_id,
            rule_name: &finding.rule_name,
            confidence: finding.confidence,
            fingerprint: finding.fingerprint.as_str(),
            secret: finding.secret.display(redaction),
            redacted: redaction != Redaction::None,
            source: finding.origin.kind(),
            path: finding.origin.path(),
            line: finding.location.line,
            column: finding.location.column,
            offset: finding.location.offset,
            binary: finding.location.binary,
            encoding: finding.location.encoding,
            git: finding.origin.git(),
            verification: finding.verification.as_ref(),
            suppression: finding.suppression.as_ref(),
        }
    }
}

pub fn write_document(
    report: &Report,
    options: &RenderOptions<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let document = Document {
        version: SCHEMA_VERSION,
        tool: Tool::THIS,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding::new(f, options.redaction))
            .collect(),
        suppressed: report
            .suppressed
            .iter()
            .map(|f| JsonFinding::new(f, options.redaction))
            .collect(),
        added_suppressions: report
            .added_suppressions
            .iter()
            .map(|f| JsonFinding::new(f, options.redaction))
            .collect(),
        summary: &report.summary,
        problems: &report.problems,
        stale_ignores: &report.stale_ignores,
    };
    crate::untrusted::write_json(&mut *out, &document, true)?;
    writeln!(out)
}

pub fn write_lines(
    report: &Report,
    options: &RenderOptions<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    for finding in &report.findings {
        crate::untrusted::write_json(
            &mut *out,
            &JsonFinding::new(finding, options.redaction),
            false,
        )?;
        writeln!(out)?;
    }
    Ok(())
}
