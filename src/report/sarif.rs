//! SARIF 2.1.0, the subset GitHub code scanning reads. Hand-written with
//! `serde_json` rather than a SARIF crate: the subset is small and the crate
//! would add 17 build dependencies.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{RenderOptions, Report};
use crate::finding::{Finding, VerifyStatus};
use crate::rules::Confidence;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn write(report: &Report, options: &RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = options
        .rules
        .iter()
        .map(|rule| {
            json!({
                "id": rule.id,
                "name": rule_name(&rule.id),
                "shortDescription": { "text": rule.name },
                "fullDescription": { "text": rule.description },
                "help": {
                    "text": "Revoke the key at https://cloud.vast.ai/manage-keys/ (or `vastleaks revoke`), then remove it from the file and, if it was committed, from history. Removing it from HEAD closes this alert, but the key stays in git history until the history is rewritten.",
                },
                "defaultConfiguration": { "level": "error" },
                "properties": {
                    "tags": ["security", "secret", "vast.ai"],
                    "precision": match rule.confidence { Confidence::High => "high", Confidence::Medium => "medium" },
                    "security-severity": "9.0",
                },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| result(finding, options))
        .collect();
    let document = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "vastleaks",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

fn result(finding: &Finding, options: &RenderOptions<'_>) -> Value {
    let level = match finding.verification.as_ref().map(|v| v.status) {
        None | Some(VerifyStatus::Live) => "error",
        Some(VerifyStatus::Unknown) => "warning",
        Some(VerifyStatus::Revoked) => "note",
    };
    let mut message = format!(
        "Vast API key {} ({}, fingerprint {}).",
        finding.secret.display(options.redaction),
        finding.rule_name,
        finding.fingerprint
    );
    if let Some(v) = &finding.verification {
        message.push_str(&format!(" Verification: {}", v.status));
        if let Some(reason) = v.reason {
            message.push_str(&format!(" ({reason})"));
        }
        message.push('.');
    }
    if let Some(git) = &finding.git {
        if let Some(commit) = &git.commit {
            message.push_str(&format!(" Introduced in commit {commit}."));
        }
    }
    let uri = artifact_uri(finding);
    // Keys and their base64 form are ASCII: bytes are columns.
    let key_len = finding.location.length;
    let mut result = json!({
        "ruleId": finding.rule_id,
        "level": level,
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
                "region": {
                    "startLine": finding.location.line,
                    "startColumn": finding.location.column,
                    "endLine": finding.location.line,
                    "endColumn": finding.location.column + key_len,
                },
            },
        }],
        "partialFingerprints": { "vastleaks/v1": finding.fingerprint.as_str() },
    });
    if let Some(index) = options
        .rules
        .iter()
        .position(|rule| rule.id == finding.rule_id)
    {
        result["ruleIndex"] = json!(index);
    }
    result
}

/// A relative URI for the finding's file: `/` separators, reserved characters
/// percent-encoded.
fn artifact_uri(finding: &Finding) -> String {
    let path = match (&finding.location.path, &finding.git) {
        (Some(path), _) => path.clone(),
        (None, Some(git)) => git.object.clone(),
        (None, None) => "stdin".to_string(),
    };
    let mut uri = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"/-_.~".contains(&byte) {
            uri.push(byte as char);
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// SARIF rule names are PascalCase identifiers: `vast.env-assignment` ->
/// `VastEnvAssignment`.
fn rule_name(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
