//! `vastleaks revoke`: scan (or read keys from stdin), verify, and revoke the
//! live keys. A dry run unless `--yes` (or a "y" per key on a terminal).

use std::io::{BufRead, IsTerminal, Read, Write};

use anyhow::{bail, Context};
use serde::Serialize;

use super::Exit;
use crate::cli::RevokeArgs;
use crate::finding::{redact_key_shapes, Finding, Location, Origin, VerifyStatus};
use crate::key::{Fingerprint, Secret};
use crate::output::{redacting, write_diagnostics, write_problems};
use crate::pipeline::{self, Report, ScanMode, Summary};
use crate::report::Format;
use crate::resolve::{self, ScanSettings};
use crate::revoke::{Action, AuditRecord, Outcome, Revoker};
use crate::rules::Confidence;
use crate::vast_api::MANAGE_KEYS_URL;
use crate::verify::Verifier;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    DryRun,
    Ask,
    Yes,
}

pub fn run(args: &RevokeArgs) -> anyhow::Result<Exit> {
    let scan = &args.scan;
    let settings = ScanSettings::new(scan)?;
    if !matches!(
        scan.output.format,
        Format::Human | Format::Json | Format::Jsonl
    ) {
        let given = clap::ValueEnum::to_possible_value(&scan.output.format)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default();
        bail!("--format {given}: revoke writes its audit records as human, json or jsonl; use one of those");
    }
    let wanted: Vec<Fingerprint> = args
        .fingerprints
        .iter()
        .map(|fp| {
            Fingerprint::parse(fp.trim()).ok_or_else(|| {
                // Redacted: a key passed here by mistake must not be echoed.
                anyhow::anyhow!(
                    "--fingerprint {:?}: not a fingerprint (16 hex digits, as printed by `vastleaks scan`)",
                    redact_key_shapes(fp)
                )
            })
        })
        .collect::<anyhow::Result<_>>()?;
    // Shared scan options that only shape `scan`'s report and exit code:
    // accepting them silently would suggest they change what gets revoked.
    if scan.verify.only_live
        || scan
            .verify
            .fail_on
            .is_some_and(|f| f != crate::outcome::FailOn::Any)
    {
        bail!("--only-live and --fail-on apply to `vastleaks scan`; revoke always verifies and acts only on live keys (use --fingerprint to choose keys)");
    }
    let rules = settings.rules()?;
    // Revoke always verifies: a key is revoked only once verified live.
    let verifier = Verifier::new(&resolve::verify_options(
        &scan.verify,
        resolve::progress_wanted(scan.progress, scan.output.quiet),
    ))?;

    let mut report = if args.stdin {
        keys_from_stdin()?
    } else {
        if scan.paths.iter().any(|p| p.as_os_str() == "-") {
            bail!("`revoke -` is not supported: use `revoke --stdin` with one key per line");
        }
        pipeline::run(&settings.plan(&rules, None)?, None)?
    };
    if !wanted.is_empty() {
        report.findings.retain(|f| wanted.contains(&f.fingerprint));
        // A typo must not look like success: nothing would be revoked.
        if let Some(fp) = wanted
            .iter()
            .find(|fp| !report.findings.iter().any(|f| &f.fingerprint == *fp))
        {
            bail!("--fingerprint {fp}: no such key in this scan; run `vastleaks scan` on the same paths to list the fingerprints");
        }
        report.recount();
    }
    pipeline::verify(&mut report, &verifier);
    let mut err = redacting(termcolor::NoColor::new(std::io::stderr()), &scan.output);
    if scan.output.quiet {
        write_problems(&report, true, &mut err)
    } else {
        write_diagnostics(&report, false, &mut err)
    }
    .and_then(|()| err.finish().map(drop))
    .context("cannot write to standard error")?;

    let mode = if args.yes {
        Mode::Yes
    } else if args.dry_run
        || args.stdin
        || !std::io::stdin().is_terminal()
        || !std::io::stderr().is_terminal()
    {
        Mode::DryRun
    } else {
        Mode::Ask
    };
    let records = revoke_all(&report, &verifier, mode, scan.output.quiet)?;
    write_records(&records, &report, args)?;

    let settled = records.iter().all(|r| r.outcome.is_settled());
    if !scan.output.quiet {
        let mut err = std::io::stderr().lock();
        if mode == Mode::DryRun && records.iter().any(|r| r.outcome == Outcome::WouldRevoke) {
            writeln!(err, "vastleaks: dry run: nothing was changed; rerun with --yes to revoke (or on a terminal, answer per key)")?;
        }
        let touched: Vec<String> = records
            .iter()
            .filter(|r| r.action == Action::Revoke)
            .filter_map(|r| r.key_id.map(|id| id.to_string()))
            .collect();
        if !touched.is_empty() {
            writeln!(
                err,
                "vastleaks: now review the account's audit log (console, or GET /{}) for entries with api_key_id {}: \
                 that is what the leaked key did while it worked (instances, billing, other keys)",
                crate::vast_api::AUDIT_LOGS,
                touched.join(", ")
            )?;
        }
        if records.is_empty() {
            writeln!(err, "vastleaks: no keys found: nothing to revoke")?;
        }
    }
    Ok(if !settled {
        Exit::Findings
    } else {
        // Holes in the scan: keys in what could not be read were not revoked.
        match crate::outcome::incompleteness(&report) {
            Some(why) if !scan.allow_incomplete => {
                eprintln!("vastleaks: error: scan incomplete: {why}; keys in what was not read were not revoked");
                Exit::Error
            }
            _ => Exit::Clean,
        }
    })
}

/// Walks the distinct keys in report order and produces one audit record each.
fn revoke_all(
    report: &Report,
    verifier: &Verifier,
    mode: Mode,
    quiet: bool,
) -> anyhow::Result<Vec<AuditRecord>> {
    let mut revoker = Revoker::new(verifier);
    let mut records = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // `a` answers yes for this key and every later one; `q` or end of input
    // answers no for this key and every later one.
    let interactive = mode == Mode::Ask;
    let mut mode = mode;
    let mut quit = false;
    for finding in &report.findings {
        if !seen.insert(&finding.fingerprint) {
            continue;
        }
        let secret = &finding.secret;
        let Some(verified) = &finding.verification else {
            continue;
        };
        let record = match verified.status {
            VerifyStatus::Revoked => AuditRecord::new(
                secret,
                None,
                Action::Skip,
                Outcome::NotLive,
                "verified revoked: the API refuses this key (401 Invalid user key)",
            ),
            VerifyStatus::Unknown => AuditRecord::new(
                secret,
                None,
                Action::Skip,
                Outcome::Unverified,
                format!(
                    "could not verify ({}): not revoked; it may be live, check by hand at {MANAGE_KEYS_URL}",
                    verified.reason.map(|r| r.to_string()).unwrap_or_default()
                ),
            ),
            VerifyStatus::Live => match revoker.cross_check(secret, verified) {
                Err(why) => AuditRecord::new(
                    secret,
                    verified.key_id,
                    Action::Skip,
                    Outcome::Refused,
                    format!("live, but not revoked automatically: {why}; revoke it by hand at {MANAGE_KEYS_URL}"),
                ),
                Ok(key_id) => {
                    let locations = locations_of(report, &finding.fingerprint);
                    if !quiet {
                        eprintln!(
                            "vastleaks: live key {} (fingerprint {}, key id {key_id}) found at {}",
                            secret.redacted(),
                            finding.fingerprint,
                            crate::untrusted::line(&locations)
                        );
                    }
                    match mode {
                        Mode::DryRun => AuditRecord::new(
                            secret,
                            Some(key_id),
                            Action::DryRun,
                            Outcome::WouldRevoke,
                            format!("would delete key id {key_id} (found at {locations})"),
                        ),
                        Mode::Ask if quit => declined(secret, key_id, "not asked: the session was ended"),
                        Mode::Ask => match confirm(secret, &finding.fingerprint, key_id)? {
                            Answer::Yes => revoker.revoke(secret, key_id),
                            Answer::All => {
                                mode = Mode::Yes;
                                revoker.revoke(secret, key_id)
                            }
                            Answer::No => declined(secret, key_id, "answered no: not revoked"),
                            Answer::Quit => {
                                quit = true;
                                declined(secret, key_id, "session ended: not revoked")
                            }
                        },
                        Mode::Yes => revoker.revoke(secret, key_id),
                    }
                }
            },
        };
        if interactive && !quiet {
            // The answer's result right away, not after the last question.
            eprintln!(
                "vastleaks: {}: key {} (fingerprint {}): {}",
                serde_json::to_value(record.outcome)?.as_str().unwrap_or(""),
                secret.redacted(),
                record.fingerprint,
                crate::untrusted::line(&record.detail)
            );
        }
        if record.outcome == Outcome::DifferentKeyDeleted {
            eprintln!(
                "vastleaks: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            );
            eprintln!(
                "vastleaks: DANGER: key {} (fingerprint {}) STILL WORKS after the delete.",
                secret.redacted(),
                record.fingerprint
            );
            eprintln!("vastleaks: DANGER: {}", record.detail);
            eprintln!(
                "vastleaks: !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
            );
        }
        records.push(record);
    }
    Ok(records)
}

fn locations_of(report: &Report, fingerprint: &Fingerprint) -> String {
    let positions: Vec<String> = report
        .findings
        .iter()
        .filter(|f| &f.fingerprint == fingerprint)
        .map(Finding::position)
        .collect();
    const SHOWN: usize = 5;
    if positions.len() > SHOWN {
        format!(
            "{} and {} more",
            positions[..SHOWN].join(", "),
            positions.len() - SHOWN
        )
    } else {
        positions.join(", ")
    }
}

fn declined(secret: &Secret, key_id: i64, why: &str) -> AuditRecord {
    AuditRecord::new(
        secret,
        Some(key_id),
        Action::Declined,
        Outcome::Declined,
        why,
    )
}

/// An answer to "revoke this key?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Yes,
    No,
    /// Yes to this key and every later one.
    All,
    /// No to this key and every later one.
    Quit,
}

/// Parses an answer; `None` asks again (a typo must not mean no, or yes).
fn parse_answer(text: &str) -> Option<Answer> {
    match text.trim().to_ascii_lowercase().as_str() {
        "y" | "yes" => Some(Answer::Yes),
        "n" | "no" => Some(Answer::No),
        "a" | "all" => Some(Answer::All),
        "q" | "quit" => Some(Answer::Quit),
        _ => None,
    }
}

/// Asks on the terminal until the answer is one of y/n/a/q; end of input
/// (Ctrl-D) quits.
fn confirm(secret: &Secret, fingerprint: &Fingerprint, key_id: i64) -> anyhow::Result<Answer> {
    let mut stdin = std::io::stdin().lock();
    loop {
        eprint!(
            "Revoke key {} (fingerprint {fingerprint}, key id {key_id}) now? This cannot be undone. [y]es, [n]o, [a]ll remaining, [q]uit: ",
            secret.redacted()
        );
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        let read = stdin
            .read_line(&mut answer)
            .context("cannot read the answer from the terminal")?;
        if read == 0 {
            // Ctrl-D: end the line the prompt left open, then stop asking.
            eprintln!();
            return Ok(Answer::Quit);
        }
        match parse_answer(&answer) {
            Some(answer) => return Ok(answer),
            None => eprintln!("Please answer y, n, a or q."),
        }
    }
}

/// `--stdin`: one key per line (blank lines and `#` comments skipped). Keys
/// never come from arguments: those end up in shell history and `ps`.
fn keys_from_stdin() -> anyhow::Result<Report> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_to_string(&mut text)
        .context("--stdin: cannot read standard input (expected text, one key per line)")?;
    let mut findings = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let key = line.trim();
        if key.is_empty() || key.starts_with('#') {
            continue;
        }
        let secret = match Secret::parse(key) {
            Ok(secret) => secret,
            Err(err) => bail!("--stdin: line {}: {err}; give one key per line", index + 1),
        };
        findings.push(Finding {
            rule_id: "stdin.key".to_string(),
            rule_name: "Key given on standard input".to_string(),
            confidence: Confidence::High,
            fingerprint: secret.fingerprint(),
            secret,
            location: Location {
                line: index + 1,
                column: 1,
                offset: 0,
                length: crate::key::KEY_LEN,
                binary: false,
                encoding: None,
            },
            origin: Origin::Stdin,
            verification: None,
            suppression: None,
        });
    }
    let mut report = Report {
        findings,
        summary: Summary {
            mode: ScanMode::Stdin,
            scanned: 1,
            bytes: text.len() as u64,
            ..Summary::default()
        },
        ..Report::default()
    };
    report.recount();
    Ok(report)
}

#[derive(Serialize)]
struct AuditDocument<'a> {
    version: u32,
    tool: crate::report::json::Tool,
    api: String,
    audit: &'a [AuditRecord],
    verification: Option<&'a pipeline::VerifyCounts>,
}

/// Human lines or JSON, to stdout or `-o FILE`.
fn write_records(
    records: &[AuditRecord],
    report: &Report,
    args: &RevokeArgs,
) -> anyhow::Result<()> {
    let output = &args.scan.output;
    let mut buffer = Vec::new();
    match output.format {
        Format::Json => {
            let document = AuditDocument {
                version: 1,
                tool: crate::report::json::Tool::THIS,
                api: report
                    .summary
                    .verification
                    .as_ref()
                    .map(|v| v.api.clone())
                    .unwrap_or_default(),
                audit: records,
                verification: report.summary.verification.as_ref(),
            };
            crate::untrusted::write_json(&mut buffer, &document, true)?;
            buffer.push(b'\n');
        }
        Format::Jsonl => {
            for record in records {
                crate::untrusted::write_json(&mut buffer, record, false)?;
                buffer.push(b'\n');
            }
        }
        _ => {
            for r in records {
                writeln!(
                    buffer,
                    "{}  {:<7}  {}  {}  key id {}  {}: {}",
                    r.time,
                    serde_json::to_value(r.action)?.as_str().unwrap_or(""),
                    r.fingerprint,
                    r.key,
                    r.key_id
                        .map(|id| id.to_string())
                        .unwrap_or_else(|| "-".to_string()),
                    serde_json::to_value(r.outcome)?.as_str().unwrap_or(""),
                    crate::untrusted::escape_controls(&r.detail)
                )?;
            }
        }
    }
    // Paths in "found at" are untrusted: redact key shapes like every report.
    let mut redactor = redacting(Vec::new(), output);
    redactor.write_all(&buffer)?;
    let buffer = redactor.finish()?;
    match output.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => crate::report_file::write(path, &buffer).with_context(|| {
            format!(
                "-o {}: cannot write the audit records; check the directory exists and is writable",
                path.display()
            )
        })?,
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(&buffer).and_then(|()| out.flush()) {
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
                other => other.context("cannot write output")?,
            }
        }
    }
    Ok(())
}
