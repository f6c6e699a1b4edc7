//! `vastleaks ci github`: the whole GitHub Actions step.
//!
//! Reads `GITHUB_EVENT_NAME` and the payload at `GITHUB_EVENT_PATH`, decides
//! what to scan ([`super::plan`]), scans it, then writes:
//! - annotations on stdout (`--format github` by default), which the runner
//!   turns into `::error` marks on the files;
//! - the Markdown summary appended to `GITHUB_STEP_SUMMARY`;
//! - a SARIF file, every run (empty results when clean), for
//!   `github/codeql-action/upload-sarif`;
//! - `findings`, `live` and `sarif` appended to `GITHUB_OUTPUT`.
//!
//! The action's YAML only installs the binary and calls this, so the logic
//! is tested here, against real repositories, not in YAML.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde_json::Value;
use termcolor::NoColor;

use super::backfill::{backfill, Scope};
use super::event::{self, Mode};
use super::plan::{Plan, Planner};
use crate::cli::{CiGithubArgs, CiMode};
use crate::gitcli::Git;
use crate::outcome::Exit;
use crate::output;
use crate::pipeline::{self, Input, KeyChecker, ScanMode};
use crate::report::{self, Format, RenderOptions, Report};
use crate::resolve::{self, ScanSettings};
use crate::rules::RuleSet;
use crate::source::git::promisor::Promisor;
use crate::source::git::{open_repository, Mode as GitMode, Range};

pub fn run(args: &CiGithubArgs) -> anyhow::Result<Exit> {
    let result = run_step(args);
    if let Err(err) = &result {
        // A failed step must say why where people look: the summary page and
        // an annotation, not only the raw log. Best effort: the error itself
        // is what the step reports.
        let message = format!("{err:#}");
        // Workflow commands mean something only to the Actions runner.
        if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
            let _ = writeln!(
                std::io::stdout(),
                "::error title=vastleaks::{}",
                crate::report::github::escape_data(&crate::untrusted::redact_keys(&message))
            );
        }
        if let Some(summary) = &args.step_summary {
            let text = format!(
                "## vastleaks: the scan did not run\n\n{}\n",
                crate::report::markdown::text(&crate::untrusted::redact_keys(&message))
            );
            let _ = append(summary, text.as_bytes());
        }
    }
    result
}

fn run_step(args: &CiGithubArgs) -> anyhow::Result<Exit> {
    let settings = ScanSettings::for_repository(&args.scan)?;
    if args.scan.output.show_secrets {
        bail!("--show-secrets is refused in CI: annotations, the job summary and SARIF are visible to anyone who can read the run; drop the option");
    }
    if args.scan.staged
        || args.scan.files
        || args.scan.since_commit.is_some()
        || args.scan.branch.is_some()
    {
        bail!("--staged, --files, --since-commit and --branch are decided by the event in `ci github`; drop them (use --mode full for a full audit, or `vastleaks scan --git BASE..HEAD` for a range of your own)");
    }
    let repo = repository(args)?;
    let event = args.event_name.as_deref().context(
        "GITHUB_EVENT_NAME is not set: `vastleaks ci github` runs inside GitHub Actions (or pass --event-name and --event-path); elsewhere use `vastleaks scan --git`",
    )?;
    let payload = read_payload(args.event_path.as_deref())?;
    let mode = match args.mode {
        CiMode::Auto => Mode::Auto,
        CiMode::Full => Mode::Full,
        CiMode::Range => Mode::Range,
    };
    let request = event::request(event, &payload, mode)?;
    let rules = settings.rules()?;
    // Bad API options are usage errors, found before any fetch or scan. No
    // progress display: a CI log is not a terminal.
    let verifier = resolve::verifier(&args.scan.verify, false)?;
    let git = Git::new(&repo);
    let mut planner = Planner::new(&git, &args.remote);
    let plan = planner.plan(&request)?;

    if args.dry_run {
        print_plan(&plan, &planner.fetched)?;
        return Ok(Exit::Clean);
    }

    let (input, fetched) = input_for(&plan, &git, args, &repo)?;
    let scan = pipeline::Plan {
        input,
        rules: &rules,
        limits: settings.limits(),
        suppressions: settings.suppressions(),
        notes: settings.notes(),
        verify: settings.verify_step(verifier.as_ref().map(|v| v as &dyn KeyChecker)),
    };
    let mut report = pipeline::run(&scan, None)?;
    report.summary.notes.splice(0..0, fetched);
    let mut notes = vec![plan.reason().to_string()];
    if let Plan::Commits { commits, .. } = &plan {
        notes.push(format!(
            "{} scanned",
            report::plural(commits.len() as u64, "commit")
        ));
    }
    notes.extend(planner.fetched.iter().cloned());
    notes.append(&mut report.summary.notes);
    report.summary.notes = notes;

    let sarif = sarif_path(args);
    crate::report_file::write(
        &sarif,
        &render(Format::Sarif, &report, &rules, args.scan.output.redaction())?,
    )
    .with_context(|| format!("--sarif {}: cannot write the SARIF file", sarif.display()))?;
    if let Some(summary) = &args.step_summary {
        append(
            summary,
            &render(
                Format::Markdown,
                &report,
                &rules,
                args.scan.output.redaction(),
            )?,
        )
        .with_context(|| format!("GITHUB_STEP_SUMMARY {}", summary.display()))?;
    }
    // Distinct keys verified live, as counted by the verifier.
    let live = report.summary.verification.as_ref().map_or(0, |v| v.live);
    if let Some(outputs) = &args.github_output {
        let text = [
            output_line("findings", &report.findings.len().to_string()),
            output_line("live", &live.to_string()),
            output_line("sarif", &sarif.to_string_lossy()),
        ]
        .concat();
        append(outputs, text.as_bytes())
            .with_context(|| format!("GITHUB_OUTPUT {}", outputs.display()))?;
    }
    match workspace_prefix(&git) {
        Some(prefix) if args.scan.output.format == Format::Github => {
            output::emit(&prefixed(&report, &prefix), &rules, &args.scan.output)?
        }
        _ => output::emit(&report, &rules, &args.scan.output)?,
    }

    Ok(output::exit_code(&report, settings.policy()))
}

/// The one repository the step scans (the positional PATH, default `.`).
fn repository(args: &CiGithubArgs) -> anyhow::Result<PathBuf> {
    match args.scan.paths.as_slice() {
        [path] if path.is_dir() => Ok(path.clone()),
        [path] => bail!(
            "{}: not a directory; pass the repository checked out by actions/checkout (the `path` input)",
            path.display()
        ),
        paths => bail!(
            "`ci github` scans one repository, got {} paths; run one step per repository",
            paths.len()
        ),
    }
}

fn read_payload(path: Option<&Path>) -> anyhow::Result<Value> {
    let Some(path) = path else {
        bail!("GITHUB_EVENT_PATH is not set: pass --event-path FILE with the event payload (JSON)");
    };
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "GITHUB_EVENT_PATH {}: cannot read the event payload",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "GITHUB_EVENT_PATH {}: the event payload is not valid JSON",
            path.display()
        )
    })
}

/// `--dry-run`: what would be scanned, one commit per line.
fn print_plan(plan: &Plan, fetched: &[String]) -> anyhow::Result<()> {
    let mut text = format!("plan: {}\n", plan.reason());
    for line in fetched {
        text.push_str(&format!("note: {line}\n"));
    }
    match plan {
        Plan::Nothing { .. } => text.push_str("scan: nothing\n"),
        Plan::Full { .. } => text.push_str("scan: full history\n"),
        Plan::Commits { commits, .. } => {
            text.push_str(&format!("scan: {} commits\n", commits.len()));
            for commit in commits {
                text.push_str(commit);
                text.push('\n');
            }
        }
    }
    // `--dry-run | head` must not fail.
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// What the event's plan calls for, as pipeline input: the same as `scan
/// --git` (full audit) and `scan --git BASE..HEAD` (a range, here with as
/// many tips and hidden commits as the plan has: nothing is written into
/// the checkout to squeeze them into one base). A partial clone first gets
/// the objects the scan needs ([`backfill`]); the note saying so comes back
/// with the input.
fn input_for(
    plan: &Plan,
    git: &Git,
    args: &CiGithubArgs,
    repo: &Path,
) -> anyhow::Result<(Input, Option<String>)> {
    let mode = match plan {
        Plan::Nothing { .. } => return Ok((Input::Nothing(ScanMode::Range), None)),
        Plan::Commits { commits, .. } if commits.is_empty() => {
            return Ok((Input::Nothing(ScanMode::Range), None))
        }
        Plan::Full { .. } => GitMode::Audit,
        Plan::Commits { tips, excludes, .. } => GitMode::Range(Range {
            tips: tips.clone(),
            hidden: excludes.clone(),
        }),
    };
    let mut fetched = None;
    if Promisor::detect(&open_repository(repo)?).is_some() {
        let scope = match &mode {
            GitMode::Range(range) => Scope::Range(range),
            _ => Scope::All,
        };
        fetched = backfill(git, &args.remote, repo, &scope)?;
    }
    let input = Input::Git {
        repo: repo.to_path_buf(),
        mode,
        progress: false,
    };
    Ok((input, fetched))
}

/// Where the repository sits inside `GITHUB_WORKSPACE` (`sub/dir/`), when
/// actions/checkout was given a `path`: annotation `file=` values are
/// relative to the workspace, finding paths to the repository.
fn workspace_prefix(git: &Git) -> Option<String> {
    let workspace = std::fs::canonicalize(std::env::var_os("GITHUB_WORKSPACE")?).ok()?;
    let top = std::fs::canonicalize(git.run(["rev-parse", "--show-toplevel"]).ok()?).ok()?;
    let relative = top.strip_prefix(&workspace).ok()?;
    if relative.as_os_str().is_empty() {
        return None;
    }
    let mut prefix = relative.to_string_lossy().replace('\\', "/");
    prefix.push('/');
    Some(prefix)
}

/// A copy of the report whose finding paths start with `prefix`.
fn prefixed(report: &Report, prefix: &str) -> Report {
    let mut report = report.clone();
    let findings = report
        .findings
        .iter_mut()
        .chain(&mut report.suppressed)
        .chain(&mut report.added_suppressions);
    for finding in findings {
        finding.origin.prefix_path(prefix);
    }
    report
}

/// Absolute, so the `sarif` output means the same file in later steps
/// whatever their working directory.
fn sarif_path(args: &CiGithubArgs) -> PathBuf {
    let path = match &args.sarif {
        Some(path) => path.clone(),
        None => std::env::var_os("RUNNER_TEMP")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir)
            .join("vastleaks.sarif"),
    };
    std::path::absolute(&path).unwrap_or(path)
}

/// Renders for a file the runner publishes. Keys are always redacted here
/// (partially, or fully with `--redact full`): annotations, summaries and
/// SARIF are readable by anyone who can read the run, and `--show-secrets`
/// is refused in CI.
fn render(
    format: Format,
    report: &Report,
    rules: &RuleSet,
    redaction: crate::untrusted::Redaction,
) -> anyhow::Result<Vec<u8>> {
    let options = RenderOptions {
        redaction,
        rules: rules.rules(),
    };
    let mut out = crate::untrusted::Redactor::with(NoColor::new(Vec::new()), redaction);
    report::write(format, report, &options, &mut out)?;
    Ok(out.finish()?.into_inner())
}

/// Appends to a file the runner reads after the step (summary, outputs).
fn append(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .context("cannot open the file for appending")?;
    file.write_all(bytes).context("cannot append")
}

/// One `GITHUB_OUTPUT` entry: `name=value`, or the heredoc form when the
/// value has a line break (a path could).
pub fn output_line(name: &str, value: &str) -> String {
    if value.contains(['\n', '\r']) {
        let mut delimiter = String::from("VASTLEAKS_EOF");
        while value.contains(&delimiter) {
            delimiter.push('_');
        }
        format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
    } else {
        format!("{name}={value}\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_use_heredoc_only_when_needed() {
        assert_eq!(output_line("findings", "2"), "findings=2\n");
        assert_eq!(
            output_line("sarif", "a\nVASTLEAKS_EOF"),
            "sarif<<VASTLEAKS_EOF_\na\nVASTLEAKS_EOF\nVASTLEAKS_EOF_\n"
        );
    }
}
