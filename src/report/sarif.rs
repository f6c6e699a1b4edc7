//! SARIF 2.1.0, the subset GitHub code scanning reads. Hand-written with
//! `serde_json` rather than a SARIF crate: the subset is small and the crate
//! would add 17 build dependencies. `tests/it/sarif_schema.rs` validates what
//! this writes against the official schema.
//!
//! What code scanning needs to keep alerts right:
//! - each kind of run has its own `automationDetails.id` (its *category*):
//!   code scanning closes an alert when a later analysis of the same
//!   category no longer reports it, so a range scan (only new commits) under
//!   the full audit's category would close every alert the audit opened;
//! - findings in commit or tag messages and on standard input are no file:
//!   they get a logical location (the commit, the tag, `stdin`). Code
//!   scanning rejects a whole upload when a result has no artifact URI, so
//!   they keep one too, a `vastleaks/...` name described as "not a file";
//! - suppressed findings stay in the log, marked `suppressions`, so a
//!   suppression is visible (and dismissable) instead of silently absent.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{RenderOptions, Report, ScanMode};
use crate::finding::{redact_key_shapes, Finding, Place, VerifyStatus};
use crate::rules::{Confidence, Rule};
use crate::vast_api::{manage_keys_url, MANAGE_KEYS_URL};

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Where the tool and its rules are documented: the repository from
/// Cargo.toml when set, else the crate's registry page.
fn information_uri() -> &'static str {
    match env!("CARGO_PKG_REPOSITORY") {
        "" => concat!("https://crates.io/crates/", env!("CARGO_PKG_NAME")),
        repository => repository,
    }
}

/// What to do about a leaked key, shown by code scanning next to each alert.
const HELP_MARKDOWN: &str = concat!(
    "\
A Vast.ai API key gives whoever holds it your account: instances, billing, \
other keys. Treat every finding as a live key until `vastleaks scan --verify` \
says `revoked`.

1. **Revoke** the key: `vastleaks revoke`, or delete it at \
<",
    manage_keys_url!(),
    ">. Then check the account's audit log for \
what the key was used for.
2. **Remove** it from the file and commit the fix. This closes the alert, but \
the key **stays in git history**, where anyone who can clone the repository \
can still read it.
3. Then either **rewrite history** (`git filter-repo --replace-text`, then \
force-push and have every clone re-cloned), or **accept** the exposure of the \
revoked key: add its fingerprint to `.vastleaksignore`.

A test fixture or example that is not a real key: put `vastleaks:allow` on its \
line or list its fingerprint in `.vastleaksignore`."
);

pub fn write(report: &Report, options: &RenderOptions<'_>, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = options.rules.iter().map(rule).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .chain(&report.suppressed)
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
                "informationUri": information_uri(),
                "rules": rules,
            }},
            "automationDetails": { "id": automation_id(report.summary.mode) },
            "results": results,
            "columnKind": "unicodeCodePoints",
        }],
    });
    crate::untrusted::write_json(&mut *out, &document, true)?;
    writeln!(out)
}

/// The run's category: one per kind of scan, so that each kind only closes
/// its own alerts (`vastleaks/full/`, `vastleaks/range/`, ...).
pub fn automation_id(mode: ScanMode) -> String {
    let kind = match mode {
        ScanMode::Git => "full",
        other => other.name(),
    };
    format!("vastleaks/{kind}/")
}

/// Severity on GitHub's 0-10 scale (9+ critical, 7+ high): a key that works
/// is critical, one the API refused is low, and an unchecked key is as bad
/// as the rule is sure it is a key.
fn security_severity(confidence: Confidence, status: Option<VerifyStatus>) -> &'static str {
    match (status, confidence) {
        (Some(VerifyStatus::Live), _) => "9.8",
        (Some(VerifyStatus::Revoked), _) => "2.0",
        (_, Confidence::High) => "9.0",
        (_, Confidence::Medium) => "7.0",
    }
}

fn rule(rule: &Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule_name(&rule.id),
        "shortDescription": { "text": rule.name },
        "fullDescription": { "text": rule.description },
        "helpUri": help_uri(),
        "help": {
            "text": format!("Revoke the key at {MANAGE_KEYS_URL} (or `vastleaks revoke`), then remove it from the file and, if it was committed, rewrite history or accept the revoked key in .vastleaksignore. Removing it from HEAD closes this alert, but the key stays in git history until the history is rewritten."),
            "markdown": HELP_MARKDOWN,
        },
        "defaultConfiguration": { "level": "error" },
        "properties": {
            "tags": ["security", "secret", "vast.ai"],
            "precision": rule.confidence.to_string(),
            // GitHub reads the severity from the rule; results carry their own
            // (following verification) for other consumers.
            "security-severity": security_severity(rule.confidence, None),
        },
    })
}

/// Where the rules are documented: the rule file in the repository when its
/// address is known.
fn help_uri() -> String {
    match env!("CARGO_PKG_REPOSITORY") {
        "" => information_uri().to_string(),
        repository => format!("{repository}/blob/HEAD/rules/vast.toml"),
    }
}

fn result(finding: &Finding, options: &RenderOptions<'_>) -> Value {
    let status = finding.verification.as_ref().map(|v| v.status);
    let level = match status {
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
    if let Some(commit) = finding.origin.git().and_then(|git| git.commit) {
        message.push_str(&format!(" Introduced in commit {commit}."));
    }
    let mut properties = json!({
        "security-severity": security_severity(finding.confidence, status),
    });
    if let Some(encoding) = finding.location.encoding {
        properties["encoding"] = json!(encoding);
    }
    let mut result = json!({
        "ruleId": finding.rule_id,
        "level": level,
        "message": { "text": message },
        "locations": [location(finding)],
        "partialFingerprints": { "vastleaks/v1": finding.fingerprint.as_str() },
        "properties": properties,
    });
    if let Some(index) = options
        .rules
        .iter()
        .position(|rule| rule.id == finding.rule_id)
    {
        result["ruleIndex"] = json!(index);
    }
    if let Some(suppression) = &finding.suppression {
        result["suppressions"] = json!([{
            "kind": if suppression.in_source() { "inSource" } else { "external" },
            // The text comes from ignore files and markers; a key pasted
            // into one must not come back out in full.
            "justification": redact_key_shapes(&suppression.to_string()),
        }]);
    }
    result
}

/// A file's region, or a logical location (with a described stand-in
/// artifact, see the module docs) for what is not a file.
fn location(finding: &Finding) -> Value {
    let loc = &finding.location;
    // Keys and their base64 form are ASCII: one column per character, which
    // is one byte, or one 2-byte code unit in a decoded UTF-16 file.
    let chars = match loc.encoding {
        Some(_) => loc.length / 2,
        None => loc.length,
    };
    let region = json!({
        "startLine": loc.line,
        "startColumn": loc.column,
        "endLine": loc.line,
        "endColumn": loc.column + chars,
    });
    let place = finding.origin.place();
    if let Place::Path(path) = place {
        return json!({
            "physicalLocation": {
                "artifactLocation": { "uri": uri_path(path), "uriBaseId": "%SRCROOT%" },
                "region": region,
            },
        });
    }
    let (kind, id) = match place {
        Place::CommitMessage(id) => ("commit-message", id.to_string()),
        Place::TagMessage(id) => ("tag-message", id.to_string()),
        Place::Object(id) => ("object", id.to_string()),
        Place::Stdin | Place::Path(_) => ("stdin", String::new()),
    };
    let id = id.as_str();
    let place = &finding.origin;
    let stand_in = if id.is_empty() {
        format!("vastleaks/{kind}")
    } else {
        format!("vastleaks/{kind}/{}", uri_path(id))
    };
    json!({
        "physicalLocation": {
            "artifactLocation": {
                "uri": stand_in,
                "description": { "text": format!("Not a file: the {place}.") },
            },
            "region": region,
        },
        "logicalLocations": [{
            "name": if id.is_empty() { "stdin" } else { id },
            "fullyQualifiedName": if id.is_empty() { kind.to_string() } else { format!("{kind}:{id}") },
            "kind": kind,
        }],
        "message": { "text": format!("{place}, line {}, column {}", loc.line, loc.column) },
    })
}

/// A relative URI for a path: `/` separators, reserved characters
/// percent-encoded.
fn uri_path(path: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{
        test_id, CommitInfo, CommitOrigin, Origin, Reach, Suppression, Verification,
    };
    use crate::report::Summary;
    use crate::rules::RuleSet;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    fn render(report: &Report) -> Value {
        let rules = RuleSet::builtin();
        let options = RenderOptions {
            redaction: crate::untrusted::Redaction::Partial,
            rules: rules.rules(),
        };
        let mut out = Vec::new();
        write(report, &options, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    fn report(mode: ScanMode, findings: Vec<Finding>, suppressed: Vec<Finding>) -> Report {
        Report {
            findings,
            suppressed,
            summary: Summary {
                mode,
                ..Summary::default()
            },
            ..Report::default()
        }
    }

    #[test]
    fn each_kind_of_run_has_its_own_category() {
        let ids: Vec<String> = [
            ScanMode::Git,
            ScanMode::Range,
            ScanMode::Files,
            ScanMode::Staged,
            ScanMode::Stdin,
        ]
        .into_iter()
        .map(|mode| {
            render(&report(mode, vec![], vec![]))["runs"][0]["automationDetails"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
        assert_eq!(
            ids,
            [
                "vastleaks/full/",
                "vastleaks/range/",
                "vastleaks/files/",
                "vastleaks/staged/",
                "vastleaks/stdin/"
            ]
        );
    }

    #[test]
    fn messages_and_stdin_get_logical_locations() {
        let id = test_id('5').to_string();
        let message = Origin::CommitMessage(Box::new(CommitOrigin {
            commit: CommitInfo::id_only(test_id('5')),
            reach: Reach::default(),
        }));
        let commit = Finding::for_test(KEY, message, 1, 18);
        let stdin = Finding::for_test(KEY, Origin::Stdin, 2, 3);
        let sarif = render(&report(ScanMode::Range, vec![commit, stdin], vec![]));
        let results = &sarif["runs"][0]["results"];
        let commit = &results[0]["locations"][0];
        assert_eq!(
            commit["logicalLocations"][0],
            json!({"name": id, "fullyQualifiedName": format!("commit-message:{id}"), "kind": "commit-message"})
        );
        let artifact = &commit["physicalLocation"]["artifactLocation"];
        assert_eq!(artifact["uri"], format!("vastleaks/commit-message/{id}"));
        assert!(artifact.get("uriBaseId").is_none(), "{artifact}");
        assert_eq!(
            artifact["description"]["text"],
            format!("Not a file: the commit message {id}.")
        );
        let stdin = &results[1]["locations"][0];
        assert_eq!(stdin["logicalLocations"][0]["name"], "stdin");
        assert_eq!(
            stdin["physicalLocation"]["artifactLocation"]["uri"],
            "vastleaks/stdin"
        );
    }

    #[test]
    fn files_keep_their_physical_location_only() {
        let file = Finding::in_file(KEY, "a b/.env", 2, 14);
        let sarif = render(&report(ScanMode::Files, vec![file], vec![]));
        let location = &sarif["runs"][0]["results"][0]["locations"][0];
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uri"],
            "a%20b/.env"
        );
        assert_eq!(location["physicalLocation"]["region"]["endColumn"], 14 + 64);
        assert!(location.get("logicalLocations").is_none());
    }

    #[test]
    fn severity_follows_confidence_and_verification() {
        let mut live = Finding::in_file(KEY, "a", 1, 1);
        live.verification = Some(Verification {
            status: VerifyStatus::Live,
            reason: None,
            user_id: None,
            key_id: None,
        });
        let mut revoked = live.clone();
        revoked.verification.as_mut().unwrap().status = VerifyStatus::Revoked;
        let mut medium = Finding::in_file(KEY, "a", 1, 1);
        medium.confidence = Confidence::Medium;
        let sarif = render(&report(
            ScanMode::Files,
            vec![live, revoked, medium],
            vec![],
        ));
        let severities: Vec<&str> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["properties"]["security-severity"].as_str().unwrap())
            .collect();
        assert_eq!(severities, ["9.8", "2.0", "7.0"]);
        let rules = &sarif["runs"][0]["tool"]["driver"]["rules"];
        let prose = rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "vast.prose")
            .unwrap();
        assert_eq!(prose["properties"]["security-severity"], "7.0");
        assert!(prose["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("rewrite history"));
        assert!(prose["helpUri"].as_str().unwrap().starts_with("https://"));
    }

    #[test]
    fn suppressed_findings_are_results_with_suppressions() {
        let mut inline = Finding::in_file(KEY, "a", 1, 1);
        inline.suppression = Some(Suppression::Inline {
            marker: "vastleaks:allow".into(),
        });
        let mut baseline = inline.clone();
        baseline.suppression = Some(Suppression::Baseline {
            file: format!("old-{KEY}.json"),
        });
        let sarif = render(&report(ScanMode::Files, vec![], vec![inline, baseline]));
        let results = &sarif["runs"][0]["results"];
        assert_eq!(results[0]["suppressions"][0]["kind"], "inSource");
        assert_eq!(results[1]["suppressions"][0]["kind"], "external");
        let text = sarif.to_string();
        assert!(!text.contains(KEY), "a full key leaked: {text}");
        assert!(text.contains("baseline old-3839...b7ad.json"), "{text}");
    }
}
