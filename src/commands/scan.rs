//! `vastleaks scan`: inputs -> matcher -> findings -> suppressions -> report.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};

use super::Exit;
use crate::cli::{ColorWhen, OutputArgs, ProgressWhen, ScanArgs, VerifyArgs};
use crate::finding::VerifyStatus;
use crate::matcher::Matcher;
use crate::report::{self, Format, RenderOptions, Report, Summary};
use crate::rules::RuleSet;
use crate::scan::{Collector, ProblemKind, Scanner};
use crate::source;
use crate::suppress::{Suppressions, IGNORE_FILE_NAME};
use crate::verify::{FailOn, Verifier};

pub fn run(args: &ScanArgs) -> anyhow::Result<Exit> {
    let rules = load_rules(&args.rule_files)?;
    // Validate the API options before scanning: a bad --api-url is a usage error.
    let verifier = prepare_verifier(&args.verify)?;
    let mut report = collect(args, &rules)?;
    if let Some(verifier) = &verifier {
        verifier.verify_report(&mut report);
    }
    if args.verify.only_live {
        keep_only_live(&mut report);
    }
    emit(&report, &rules, &args.output)?;
    let exit = exit_for(&report, args.verify.fail_on);
    if exit == Exit::Clean && report.summary.mode == "staged" && report.summary.errors > 0 {
        // A pre-commit check that could not read part of what is being
        // committed must not let the commit through as if it were clean.
        eprintln!(
            "vastleaks: error: {} of the staged content could not be scanned (see above); \
             fix it (e.g. `git add` the files again) before committing",
            report::plural(report.summary.errors, "part")
        );
        return Ok(Exit::Error);
    }
    Ok(exit)
}

/// The verifier when `--verify` is on; checks the options that depend on it.
pub fn prepare_verifier(args: &VerifyArgs) -> anyhow::Result<Option<Verifier>> {
    if matches!(args.fail_on, FailOn::Live | FailOn::Unknown) && !args.verify {
        bail!("--fail-on live/unknown needs --verify (without it every finding counts)");
    }
    if !args.verify {
        return Ok(None);
    }
    Verifier::new(args).map(Some)
}

/// `--only-live`: drops findings whose key is not verified live.
pub fn keep_only_live(report: &mut Report) {
    let before = report.findings.len();
    report
        .findings
        .retain(|f| f.verification.as_ref().map(|v| v.status) == Some(VerifyStatus::Live));
    let hidden = before - report.findings.len();
    if hidden > 0 {
        report.summary.notes.push(format!(
            "--only-live: {hidden} finding{} of keys not verified live not shown",
            if hidden == 1 { "" } else { "s" }
        ));
    }
    report.summary.findings = report.findings.len() as u64;
    report.summary.keys = report.distinct_keys() as u64;
}

/// 1 when a finding matches `--fail-on`, else 0.
pub fn exit_for(report: &Report, fail_on: FailOn) -> Exit {
    if report
        .findings
        .iter()
        .any(|f| fail_on.fails(f.verification.as_ref()))
    {
        Exit::Findings
    } else {
        Exit::Clean
    }
}

/// Loads the built-in rules plus `--rules` files. A bad rule file is fatal:
/// scanning with half the rules would pass things it should not.
pub fn load_rules(files: &[PathBuf]) -> anyhow::Result<RuleSet> {
    RuleSet::builtin_with(files)
        .map_err(|err| anyhow::anyhow!("--rules {err}; fix the rule file or drop the option"))
}

/// Runs the scan described by `args` and applies suppressions. The report is
/// what every later stage (verify, revoke, render) works on.
pub fn collect(args: &ScanArgs, rules: &RuleSet) -> anyhow::Result<Report> {
    collect_with(args, rules, git_request(args)?)
}

/// [`collect`] with the git scan (if any) decided by the caller: `ci github`
/// scans the commit sets its event plans call for.
pub fn collect_with(
    args: &ScanArgs,
    rules: &RuleSet,
    git: Option<source::git::Request>,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let scanner = Scanner::new(Matcher::new(rules)?);
    let mut git = git.map(source::git::Session::open).transpose()?;
    let stdin = git.is_none() && args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && args.paths.len() > 1 {
        bail!(
            "`-` (standard input) cannot be combined with other paths; scan them in separate runs"
        );
    }
    for path in &args.paths {
        if git.is_none() && !stdin && std::fs::symlink_metadata(path).is_err() {
            if path.to_string_lossy().contains("..") {
                bail!(
                    "{}: no such file or directory; to scan a commit range, use `--git {}`",
                    path.display(),
                    path.display()
                );
            }
            bail!(
                "{}: no such file or directory; pass an existing path to scan",
                path.display()
            );
        }
    }

    let (suppressions, problems_from_config) = load_suppressions(args, git.as_ref(), stdin)?;

    let collector = Collector::default();
    let mode = if let Some(session) = &mut git {
        session.scan(&scanner, &collector)?;
        session.mode().name()
    } else if stdin {
        source::stdin::scan(&scanner, &collector)?;
        "stdin"
    } else {
        let options = source::files::WalkOptions {
            roots: args.paths.clone(),
            no_ignore: args.no_ignore,
            follow: args.follow,
            jobs: args.jobs,
            max_file_size: args.max_file_size,
        };
        source::files::scan(&options, &scanner, &collector);
        "files"
    };
    let mut parts = collector.into_parts();
    if let Some(session) = &mut git {
        session.finish(&mut parts);
    }
    let applied = suppressions.apply(parts.findings);
    let mut problems = problems_from_config;
    problems.extend(parts.problems);
    let mut report = Report {
        findings: applied.kept,
        suppressed: applied.suppressed,
        stale_ignores: applied.stale,
        summary: Summary {
            mode: mode.to_string(),
            scanned: parts.scanned,
            bytes: parts.bytes,
            suppressed: 0,
            skipped: problems
                .iter()
                .filter(|p| p.kind == ProblemKind::Skipped)
                .count() as u64,
            errors: problems
                .iter()
                .filter(|p| p.kind == ProblemKind::Error)
                .count() as u64,
            notes: git
                .as_ref()
                .map(|session| session.notes().to_vec())
                .unwrap_or_default(),
            ..Summary::default()
        },
        problems,
    };
    report.summary.findings = report.findings.len() as u64;
    report.summary.suppressed = report.suppressed.len() as u64;
    report.summary.keys = report.distinct_keys() as u64;
    report.summary.elapsed = started.elapsed();
    Ok(report)
}

/// The ignore files and baseline that apply to this scan. Malformed ignore
/// lines come back as problems (reported, never fatal); a missing
/// `--ignore-file` or a bad baseline is an error.
fn load_suppressions(
    args: &ScanArgs,
    git: Option<&source::git::Session>,
    stdin: bool,
) -> anyhow::Result<(Suppressions, Vec<crate::scan::Problem>)> {
    let mut suppressions = Suppressions::default();
    let mut problems = Vec::new();
    let ignore_files: Vec<PathBuf> = match &args.ignore_file {
        Some(file) => {
            if !file.is_file() {
                bail!(
                    "--ignore-file {}: not found; pass an existing ignore file",
                    file.display()
                );
            }
            vec![file.clone()]
        }
        // Git modes: the ignore file at the work-tree root.
        None if git.is_some() => git
            .and_then(|session| session.ignore_file())
            .into_iter()
            .collect(),
        None if stdin => vec![PathBuf::from(IGNORE_FILE_NAME)],
        None => args
            .paths
            .iter()
            .filter(|p| p.is_dir())
            .map(|p| p.join(IGNORE_FILE_NAME))
            .collect(),
    };
    for file in &ignore_files {
        for err in suppressions.load_ignore_file(file)? {
            problems.push(crate::scan::Problem {
                path: format!("{}:{}", err.file, err.line),
                kind: ProblemKind::Error,
                message: format!("ignore entry skipped: {}", err.message),
            });
        }
    }
    if let Some(baseline) = &args.baseline {
        suppressions.load_baseline(baseline)?;
    }
    Ok((suppressions, problems))
}

/// The git scan the arguments ask for, if any: `--git` (optionally with
/// `--since-commit` or a `BASE..HEAD` argument), `--staged`, or `PRE_COMMIT=1`
/// with no mode (pre-commit runs hooks with it set; `--staged` is then the
/// only scan that makes sense).
fn git_request(args: &ScanArgs) -> anyhow::Result<Option<source::git::Request>> {
    use source::git::{Mode, Request};
    let explicit_git = args.git || args.since_commit.is_some();
    let pre_commit = !explicit_git
        && !args.staged
        && std::env::var_os("PRE_COMMIT").is_some_and(|v| v == "1")
        && !args.paths.iter().any(|p| p.as_os_str() == "-");
    if !explicit_git && !args.staged && !pre_commit {
        return Ok(None);
    }
    let mut repo_paths = Vec::new();
    let mut range = None;
    if pre_commit {
        // pre-commit passes the staged file names as arguments: the index
        // itself is the input, so they are not needed.
        repo_paths.push(PathBuf::from("."));
    } else {
        for path in &args.paths {
            let text = path.to_string_lossy();
            if !args.staged && text.contains("..") && std::fs::symlink_metadata(path).is_err() {
                if range.replace(text.into_owned()).is_some() {
                    bail!("give one BASE..HEAD range per run");
                }
            } else {
                repo_paths.push(path.clone());
            }
        }
    }
    if repo_paths.len() > 1 {
        bail!(
            "git modes scan one repository, got {} paths; run once per repository",
            repo_paths.len()
        );
    }
    let repo = repo_paths.pop().unwrap_or_else(|| PathBuf::from("."));
    let mode = match (&args.since_commit, range) {
        (Some(_), Some(range)) => {
            bail!("{range}: give either --since-commit BASE or a BASE..HEAD argument, not both")
        }
        (Some(base), None) => Mode::Range(source::git::Range::new(
            base.clone(),
            args.branch.clone().unwrap_or_else(|| "HEAD".to_string()),
        )),
        (None, Some(range)) => {
            let (base, head) = match range.split_once("..") {
                Some((base, head)) if !base.is_empty() && !head.starts_with('.') => (base, head),
                _ => bail!(
                    "{range}: no such path, and not a BASE..HEAD commit range (`...` is not supported)"
                ),
            };
            Mode::Range(source::git::Range::new(
                base,
                if head.is_empty() { "HEAD" } else { head },
            ))
        }
        (None, None) if args.staged || pre_commit => Mode::Staged,
        (None, None) => Mode::Audit,
    };
    let progress = match args.progress {
        ProgressWhen::Always => true,
        ProgressWhen::Never => false,
        ProgressWhen::Auto => !args.output.quiet && std::io::stderr().is_terminal(),
    };
    Ok(Some(Request {
        repo,
        mode,
        jobs: args.jobs,
        max_file_size: args.max_file_size,
        progress,
    }))
}

/// Writes the report where `--output` says and the summary to stderr.
pub fn emit(report: &Report, rules: &RuleSet, output: &OutputArgs) -> anyhow::Result<()> {
    let options = RenderOptions {
        show_secrets: output.show_secrets,
        rules: rules.rules(),
    };
    match output.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("-o {}: cannot create the report file; check the directory exists and is writable", path.display()))?;
            let mut out = NoColor::new(std::io::BufWriter::new(file));
            report::write(output.format, report, &options, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("-o {}: cannot write the report", path.display()))?;
        }
        None => {
            let mut out =
                StandardStream::stdout(color_choice(output.color, std::io::stdout().is_terminal()));
            write_ignoring_broken_pipe(
                report::write(output.format, report, &options, &mut out).and_then(|()| out.flush()),
            )?;
        }
    }
    let mut err =
        StandardStream::stderr(color_choice(output.color, std::io::stderr().is_terminal()));
    if output.quiet {
        // Quiet keeps errors: an input that could not be read is a hole in the scan.
        write_ignoring_broken_pipe(write_problems(report, true, &mut err))?;
    } else {
        write_ignoring_broken_pipe(write_diagnostics(
            report,
            output.format == Format::Human,
            &mut err,
        ))?;
    }
    Ok(())
}

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
            problem.path, problem.message
        )?;
    }
    Ok(())
}

/// `vastleaks scan | head` must not fail with an error.
fn write_ignoring_broken_pipe(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write output"),
    }
}

pub fn color_choice(when: ColorWhen, is_terminal: bool) -> ColorChoice {
    match when {
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
        ColorWhen::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            if is_terminal && !no_color {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            }
        }
    }
}

/// Problems, stale ignores, the summary and verification lines, notes and
/// (with `hint`) what to do next, on stderr.
pub fn write_diagnostics(
    report: &Report,
    hint: bool,
    err: &mut dyn WriteColor,
) -> std::io::Result<()> {
    write_problems(report, false, err)?;
    for stale in &report.stale_ignores {
        writeln!(
            err,
            "vastleaks: warning: {}:{}: ignore entry {} matched nothing in this scan (stale: remove it if the key is gone)",
            stale.file, stale.line, stale.fingerprint
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
        writeln!(err, "vastleaks: note: {note}")?;
    }
    if let Some(counts) = summary.verification.as_ref().filter(|c| hint && c.live > 0) {
        writeln!(
            err,
            "vastleaks: {} key{} LIVE: anyone who saw {} can use the account now; revoke first (`vastleaks revoke`, or https://cloud.vast.ai/manage-keys/)",
            counts.live,
            if counts.live == 1 { " is" } else { "s are" },
            if counts.live == 1 { "it" } else { "them" },
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
    if !report.findings.is_empty() && hint {
        writeln!(
            err,
            "vastleaks: a leaked key must be revoked (https://cloud.vast.ai/manage-keys/ or `vastleaks revoke`); \
             to accept a finding, add its fingerprint to {IGNORE_FILE_NAME} or put `vastleaks:allow` on its line"
        )?;
    }
    Ok(())
}
