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

use super::plan::{self, Mode, Plan, Planner};
use crate::cli::{CiGithubArgs, CiMode, FailOn};
use crate::commands::Exit;
use crate::finding::VerifyStatus;
use crate::gitcli::Git;
use crate::report::{self, Format, RenderOptions, Report, Summary};
use crate::rules::RuleSet;

pub fn run(args: &CiGithubArgs) -> anyhow::Result<Exit> {
    if args.fail_on == FailOn::Live && !args.verify {
        bail!("--fail-on live needs --verify (without it no key is known to be live); add --verify or use --fail-on any");
    }
    if args.scan.output.show_secrets {
        bail!("--show-secrets is refused in CI: annotations, the job summary and SARIF are visible to anyone who can read the run; drop the option");
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
    let request = plan::request(event, &payload, mode)?;
    let git = Git::new(&repo);
    let mut planner = Planner::new(&git, &args.remote);
    let plan = planner.plan(&request)?;

    if args.dry_run {
        print_plan(&plan, &planner.fetched);
        return Ok(Exit::Clean);
    }

    let rules = crate::commands::scan::load_rules(&args.scan.rule_files)?;
    let mut report = scan(&plan, args, &repo, &rules)?;
    let mut notes = vec![plan.reason().to_string()];
    if let Plan::Commits { commits, .. } = &plan {
        notes.push(format!(
            "{} commit{} scanned",
            commits.len(),
            if commits.len() == 1 { "" } else { "s" }
        ));
    }
    notes.extend(planner.fetched.iter().cloned());
    notes.append(&mut report.summary.notes);
    report.summary.notes = notes;
    if args.verify {
        verify(&mut report)?;
    }

    let sarif = sarif_path(args);
    std::fs::write(&sarif, render(Format::Sarif, &report, &rules)?)
        .with_context(|| format!("--sarif {}: cannot write the SARIF file", sarif.display()))?;
    if let Some(summary) = &args.step_summary {
        append(summary, &render(Format::Markdown, &report, &rules)?)
            .with_context(|| format!("GITHUB_STEP_SUMMARY {}", summary.display()))?;
    }
    let live = live_keys(&report);
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
    crate::commands::scan::emit(&report, &rules, &args.scan.output)?;

    let fails = match args.fail_on {
        FailOn::Any => !report.findings.is_empty(),
        FailOn::Live => live > 0,
        FailOn::Never => false,
    };
    Ok(if fails { Exit::Findings } else { Exit::Clean })
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
fn print_plan(plan: &Plan, fetched: &[String]) {
    println!("plan: {}", plan.reason());
    for line in fetched {
        println!("note: {line}");
    }
    match plan {
        Plan::Nothing { .. } => println!("scan: nothing"),
        Plan::Full { .. } => println!("scan: full history"),
        Plan::Commits { commits, .. } => {
            println!("scan: {} commits", commits.len());
            for commit in commits {
                println!("{commit}");
            }
        }
    }
}

/// Runs the scan the plan calls for.
fn scan(plan: &Plan, args: &CiGithubArgs, repo: &Path, rules: &RuleSet) -> anyhow::Result<Report> {
    let _ = (args, repo, rules);
    match plan {
        Plan::Nothing { .. } => Ok(Report {
            summary: Summary {
                mode: "range".to_string(),
                ..Summary::default()
            },
            ..Report::default()
        }),
        Plan::Full { .. } | Plan::Commits { .. } => bail!(
            "scanning git history is not in this build yet (it arrives with `scan --git`, issue 3); the plan was: {plan}"
        ),
    }
}

/// `--verify`: checks each distinct key against the Vast API.
fn verify(report: &mut Report) -> anyhow::Result<()> {
    let _ = report;
    bail!("--verify is not in this build yet (it arrives with issue 4); drop --verify")
}

/// Distinct keys verified live.
fn live_keys(report: &Report) -> usize {
    let mut live: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.verification.as_ref().map(|v| v.status) == Some(VerifyStatus::Live))
        .map(|f| &f.fingerprint)
        .collect();
    live.sort();
    live.dedup();
    live.len()
}

fn sarif_path(args: &CiGithubArgs) -> PathBuf {
    match &args.sarif {
        Some(path) => path.clone(),
        None => std::env::var_os("RUNNER_TEMP")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir)
            .join("vastleaks.sarif"),
    }
}

/// Renders for a file the runner publishes. Keys are always redacted here:
/// annotations, summaries and SARIF are readable by anyone who can read the run.
fn render(format: Format, report: &Report, rules: &RuleSet) -> anyhow::Result<Vec<u8>> {
    let options = RenderOptions {
        show_secrets: false,
        rules: rules.rules(),
    };
    let mut out = NoColor::new(Vec::new());
    report::write(format, report, &options, &mut out)?;
    Ok(out.into_inner())
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
