//! `vastleaks scan`: inputs -> matcher -> findings -> suppressions -> report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};

use super::Exit;
use crate::cli::{ColorWhen, OutputArgs, ProgressWhen, ScanArgs, SuppressionSources, VerifyArgs};
use crate::finding::{Suppression, VerifyStatus};
use crate::matcher::Matcher;
use crate::outcome;
use crate::report::{self, Format, RenderOptions, Report, Summary};
use crate::report_file::ReportFile;
use crate::rules::RuleSet;
use crate::scan::{Collector, ProblemKind, Scanner, Subject};
use crate::source;
use crate::suppress::{Suppressions, IGNORE_FILE_NAME};
use crate::untrusted::{self, Redactor};
use crate::verify::{FailOn, Verifier};

pub fn run(args: &ScanArgs) -> anyhow::Result<Exit> {
    let args = &crate::project_config::applied(args)?;
    let rules = load_scan_rules(args)?;
    // Validate the API options before scanning: a bad --api-url is a usage error.
    let verifier = prepare_verifier(&args.verify)?.map(|v| {
        v.with_progress(crate::verify::progress::wanted(
            args.progress,
            args.output.quiet,
        ))
    });
    let live = source::stdin::prints_live(args);
    let mut report = collect_live(args, &rules, live)?;
    if let Some(verifier) = &verifier {
        verifier.verify_report(&mut report);
    }
    if args.verify.only_live {
        keep_only_live(&mut report);
    }
    if live {
        // The findings were printed as they came: the rest of the report only.
        let printed = std::mem::take(&mut report.findings);
        emit(&report, &rules, &args.output)?;
        report.findings = printed;
    } else {
        emit(&report, &rules, &args.output)?;
    }
    Ok(exit_for(&report, args))
}

/// The exit code under the one policy ([`crate::outcome`]), saying why on
/// stderr when the scan was incomplete.
pub fn exit_for(report: &Report, args: &ScanArgs) -> Exit {
    let exit = outcome::decide(report, policy(args));
    if exit == Exit::Error {
        if let Some(why) = outcome::incompleteness(report) {
            let fix = if report.summary.mode == "staged" {
                "fix it (e.g. `git add` the files again) before committing"
            } else {
                "fix the inputs, or pass --allow-incomplete to accept a partial scan"
            };
            eprintln!("vastleaks: error: scan incomplete: {why}; {fix}");
        }
    }
    exit
}

/// The exit policy the arguments ask for.
pub fn policy(args: &ScanArgs) -> outcome::Policy {
    outcome::Policy {
        fail_on: args.fail_on(),
        allow_incomplete: args.allow_incomplete,
    }
}

/// The verifier when `--verify` is on; checks the options that depend on it.
pub fn prepare_verifier(args: &VerifyArgs) -> anyhow::Result<Option<Verifier>> {
    if matches!(args.fail_on, Some(FailOn::Live | FailOn::Unknown)) && !args.verify {
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
            "--only-live: {} of keys not verified live not shown",
            report::plural(hidden as u64, "finding")
        ));
    }
    report.summary.findings = report.findings.len() as u64;
    report.summary.keys = report.distinct_keys() as u64;
}

/// Loads the built-in rules plus `--rules` files. A bad rule file is fatal:
/// scanning with half the rules would pass things it should not.
pub fn load_rules(files: &[PathBuf]) -> anyhow::Result<RuleSet> {
    let mut rules = RuleSet::builtin();
    for file in files {
        rules.extend(load_rule_file(file)?);
    }
    Ok(rules)
}

/// One `--rules` file, its rules' own examples checked
/// ([`crate::matcher::check_own_examples`]).
fn load_rule_file(file: &Path) -> anyhow::Result<RuleSet> {
    RuleSet::load(file)
        .and_then(|set| crate::matcher::check_own_examples(&set).map(|()| set))
        .map_err(|err| anyhow::anyhow!("--rules {err}; fix the rule file or drop the option"))
}

/// The rules a scan uses: built-in, then those of the project
/// configuration's rule files, then `--rules` files (flags win: a `--rules`
/// rule replaces a configured one with the same id).
pub fn load_scan_rules(args: &ScanArgs) -> anyhow::Result<RuleSet> {
    let mut rules = RuleSet::builtin();
    if let Some(project) = &args.project {
        rules.extend(project.rules.clone());
    }
    for file in &args.rule_files {
        rules.extend(load_rule_file(file)?);
    }
    Ok(rules)
}

/// Runs the scan described by `args` and applies suppressions. The report is
/// what every later stage (verify, revoke, render) works on.
pub fn collect(args: &ScanArgs, rules: &RuleSet) -> anyhow::Result<Report> {
    collect_with(args, rules, git_request(args)?, false)
}

/// [`collect`]; with `live`, findings from standard input are also printed as
/// they come ([`source::stdin::LivePrinter`]).
pub fn collect_live(args: &ScanArgs, rules: &RuleSet, live: bool) -> anyhow::Result<Report> {
    collect_with(args, rules, git_request(args)?, live)
}

/// [`collect`] with the git scan (if any) decided by the caller: `ci github`
/// scans the commit sets its event plans call for.
pub fn collect_with(
    args: &ScanArgs,
    rules: &RuleSet,
    git: Option<source::git::Request>,
    live: bool,
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
        let printer = live.then(|| source::stdin::LivePrinter::new(args, rules, &suppressions));
        source::stdin::scan(&scanner, &collector, &mut |batch| {
            printer.iter().for_each(|p| p.print(batch))
        })?;
        "stdin"
    } else {
        let options = source::files::WalkOptions {
            roots: args.paths.clone(),
            no_ignore: args.no_ignore,
            follow: args.follow,
            jobs: args.jobs,
            max_file_size: args.max_file_size(),
        };
        source::files::scan(&options, &scanner, &collector);
        "files"
    };
    let mut parts = collector.into_parts();
    if let Some(session) = &mut git {
        session.finish(&mut parts);
    }
    // In a range scan, the suppressions as they were at its base: to tell
    // which suppressions the range itself adds, or (base-only) to be the
    // only ones that count.
    let base = match git.as_ref().and_then(|s| Some((s, s.range_hidden()?))) {
        Some((session, hidden)) => Some(base_suppressions(args, session, &hidden)?),
        None => None,
    };
    let base_only = args.suppressions == SuppressionSources::BaseOnly;
    if args.no_inline_allow || base_only {
        for finding in &mut parts.findings {
            if matches!(finding.suppression, Some(Suppression::Inline { .. })) {
                finding.suppression = None;
            }
        }
    }
    let applied = match (&base, base_only) {
        (Some(base), true) => base.apply(parts.findings),
        (None, true) => bail!(
            "--suppressions base-only needs a range scan (`--git BASE..HEAD`, `--since-commit`, or `ci github` on a push or pull request): the base is what it trusts"
        ),
        (_, false) => suppressions.apply(parts.findings),
    };
    let added_suppressions = match (&base, base_only) {
        (Some(base), false) => applied
            .suppressed
            .iter()
            .filter(|f| !base.already_had(f, &suppressions))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let mut problems = problems_from_config;
    problems.extend(parts.problems);
    let mut report = Report {
        findings: applied.kept,
        suppressed: applied.suppressed,
        added_suppressions,
        // Staleness can only be judged by a scan that saw everything: in
        // staged and range scans most keys are simply not in the changed
        // blobs, and "remove it" would break the next full audit.
        stale_ignores: if matches!(mode, "files" | "git") {
            applied.stale
        } else {
            Vec::new()
        },
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
    for (id, origin) in rules.replaced_builtins() {
        report.summary.notes.push(format!(
            "the built-in rule {id} is replaced by the rule at {origin} (--rules): review that file"
        ));
    }
    report
        .summary
        .notes
        .extend(crate::project_config::notes(args, git.as_ref()));
    report.summary.findings = report.findings.len() as u64;
    report.summary.suppressed = report.suppressed.len() as u64;
    report.summary.keys = report.distinct_keys() as u64;
    report.summary.elapsed = started.elapsed();
    Ok(report)
}

/// The ignore files, baseline and configured path allowlists that apply to
/// this scan. Malformed ignore
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
        // Files: the ignore file of each directory given; with only files
        // given (as pre-commit passes them), the one in the current directory.
        None => {
            let dirs: Vec<PathBuf> = args
                .paths
                .iter()
                .filter(|p| p.is_dir())
                .map(|p| p.join(IGNORE_FILE_NAME))
                .collect();
            if dirs.is_empty() {
                vec![PathBuf::from(IGNORE_FILE_NAME)]
            } else {
                dirs
            }
        }
    };
    for file in &ignore_files {
        let errors = match suppressions.load_ignore_file(file) {
            Ok(errors) => errors,
            Err(err) if args.ignore_file.is_some() => {
                bail!("--ignore-file {}: {err}", file.display())
            }
            Err(err) => {
                // The ignore file of the scanned tree: report it and scan on.
                problems.push(crate::scan::Problem::new(
                    Subject::ConfigFile(source::files::display_path(file)),
                    ProblemKind::Error,
                    format!("ignore file not used: {err}"),
                ));
                continue;
            }
        };
        problems.extend(errors.into_iter().map(ignore_line_problem));
    }
    // A bare repository has no work tree: its committed ignore file applies.
    if let Some(session) = git.filter(|s| args.ignore_file.is_none() && s.ignore_file().is_none()) {
        match session.committed_file("HEAD", IGNORE_FILE_NAME) {
            Ok(Some(text)) => {
                let name = format!("HEAD:{IGNORE_FILE_NAME}");
                for err in suppressions.add_ignore_file(&text, &name, Path::new("")) {
                    problems.push(ignore_line_problem(err));
                }
            }
            Ok(None) => {}
            Err(err) => problems.push(crate::scan::Problem::new(
                Subject::ConfigFile(format!("HEAD:{IGNORE_FILE_NAME}")),
                ProblemKind::Error,
                format!("ignore file not used: {err:#}"),
            )),
        }
    }
    if let Some(baseline) = &args.baseline {
        suppressions.load_baseline(baseline)?;
    }
    crate::project_config::add_allowlists(args, &mut suppressions);
    Ok((suppressions, problems))
}

/// The ignore file, a baseline kept in the repository and the project
/// configuration's allowlists as they were at the range's base (its hidden
/// commits). Malformed lines there are not
/// reported again: the tip's file is what the user edits.
fn base_suppressions(
    args: &ScanArgs,
    session: &source::git::Session,
    hidden: &[String],
) -> anyhow::Result<Suppressions> {
    let mut base = Suppressions::default();
    let baseline = args.baseline.as_deref().and_then(|b| session.tree_path(b));
    for rev in hidden {
        if let Some(text) = session.committed_file(rev, IGNORE_FILE_NAME)? {
            let name = format!("{}:{IGNORE_FILE_NAME}", short_rev(rev));
            let _ = base.add_ignore_file(&text, &name, Path::new(""));
        }
        if let Some(path) = &baseline {
            if let Some(text) = session.committed_file(rev, path)? {
                base.add_baseline(&text, &format!("{}:{path}", short_rev(rev)))?;
            }
        }
        crate::project_config::add_committed_allowlists(
            args,
            session,
            rev,
            short_rev(rev),
            &mut base,
        );
    }
    Ok(base)
}

/// A full object id shortened ([`crate::wording::short`]); any other
/// revision (a ref name) as given.
fn short_rev(rev: &str) -> &str {
    let is_id = rev.len() >= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit());
    if is_id {
        crate::wording::short(rev)
    } else {
        rev
    }
}

/// A malformed ignore line, as a problem (a configuration error: exit 2).
fn ignore_line_problem(err: crate::suppress::IgnoreFileError) -> crate::scan::Problem {
    crate::scan::Problem::new(
        Subject::IgnoreEntry {
            file: err.file,
            line: err.line,
        },
        ProblemKind::Error,
        format!("ignore entry skipped: {}", err.message),
    )
}

/// The git scan the arguments ask for, if any: `--git` (optionally with
/// `--since-commit` or a `BASE..HEAD` argument), `--staged`, or `PRE_COMMIT=1`
/// with no mode (pre-commit runs hooks with it set; `--staged` is then the
/// only scan that makes sense).
pub(crate) fn git_request(args: &ScanArgs) -> anyhow::Result<Option<source::git::Request>> {
    use source::git::{Mode, Request};
    let explicit_git = args.git || args.since_commit.is_some();
    let pre_commit = !explicit_git
        && !args.files
        && std::env::var_os("PRE_COMMIT").is_some_and(|v| v == "1")
        && !args.paths.iter().any(|p| p.as_os_str() == "-");
    if !explicit_git && !args.staged && !pre_commit {
        return Ok(None);
    }
    // `pre-commit run --from-ref A --to-ref B` (also pre-push hooks) asks
    // for what those commits changed, not for the (empty) index.
    let pre_commit_range = pre_commit
        .then(|| {
            let from = std::env::var("PRE_COMMIT_FROM_REF").ok()?;
            let to = std::env::var("PRE_COMMIT_TO_REF").ok()?;
            (!from.is_empty() && !to.is_empty()).then_some((from, to))
        })
        .flatten();
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
        (None, None) if pre_commit_range.is_some() => {
            let (from, to) = pre_commit_range.unwrap_or_default();
            Mode::Range(source::git::Range::new(from, to))
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
        max_file_size: args.max_file_size(),
        progress,
    }))
}

/// Writes the report where `--output` says and the summary to stderr.
pub fn emit(report: &Report, rules: &RuleSet, output: &OutputArgs) -> anyhow::Result<()> {
    let options = RenderOptions {
        redaction: output.redaction(),
        rules: rules.rules(),
    };
    match output.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file = ReportFile::create(path)
                .with_context(|| format!("-o {}: cannot create the report file; check the directory exists and is writable", path.display()))?;
            let mut out = redacting(NoColor::new(file), output);
            report::write(output.format, report, &options, &mut out)
                .and_then(|()| out.finish()?.into_inner().commit())
                .with_context(|| format!("-o {}: cannot write the report", path.display()))?;
        }
        None => {
            let stdout =
                StandardStream::stdout(color_choice(output.color, std::io::stdout().is_terminal()));
            let mut out = redacting(stdout, output);
            write_ignoring_broken_pipe(
                report::write(output.format, report, &options, &mut out)
                    .and_then(|()| out.finish()?.flush()),
            )?;
        }
    }
    let stderr =
        StandardStream::stderr(color_choice(output.color, std::io::stderr().is_terminal()));
    let mut err = redacting(stderr, output);
    let written = if output.quiet {
        // Quiet keeps errors: an input that could not be read is a hole in the scan.
        write_problems(report, true, &mut err)
    } else {
        write_diagnostics(report, output.format == Format::Human, &mut err).and_then(|()| {
            if report.summary.mode == "staged" && !report.findings.is_empty() {
                write_commit_blocked(report, output.hook_id.as_deref(), &mut err)
            } else {
                Ok(())
            }
        })
    };
    write_ignoring_broken_pipe(written.and_then(|()| out_finish(err)))?;
    Ok(())
}

/// Output as written: every key-shaped run redacted as `--redact` says
/// (see [`crate::untrusted::Redactor`]). With `--show-secrets` the redactor
/// passes everything through unchanged.
pub fn redacting<W: Write>(inner: W, output: &OutputArgs) -> Redactor<W> {
    Redactor::with(inner, output.redaction())
}

fn out_finish<W: WriteColor>(out: Redactor<W>) -> std::io::Result<()> {
    out.finish()?.flush()
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
            untrusted::escape_controls(&problem.subject.to_string()),
            untrusted::escape_controls(&problem.message)
        )?;
    }
    Ok(())
}

/// What a committer blocked by the pre-commit check can do, in the order
/// that is usually right. Revoking is advice only for a key that may have
/// left the machine, and never for a key verified revoked.
fn write_commit_blocked(
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
/// [`Redactor`] around `err` removes what is left of them.
fn write_suppressed(report: &Report, err: &mut dyn WriteColor) -> std::io::Result<()> {
    for finding in &report.added_suppressions {
        let by = finding
            .suppression
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        writeln!(
            err,
            "vastleaks: warning: this change adds the suppression of {} {} (fingerprint {}, by {}): review it",
            untrusted::escape_controls(&finding.position()),
            finding.secret.redacted(),
            finding.fingerprint,
            untrusted::escape_controls(&by)
        )?;
    }
    for finding in report.suppressed.iter().take(SUPPRESSED_SHOWN) {
        let by = finding
            .suppression
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        writeln!(
            err,
            "vastleaks: suppressed: {} {} fingerprint {} by {}",
            untrusted::escape_controls(&finding.position()),
            finding.secret.redacted(),
            finding.fingerprint,
            untrusted::escape_controls(&by)
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
    if !report.findings.is_empty() && hint && report.summary.mode != "staged" {
        writeln!(
            err,
            "vastleaks: a leaked key must be revoked ({} or `vastleaks revoke`); \
             to accept a finding, add its fingerprint to {IGNORE_FILE_NAME} or put `vastleaks:allow` on its line",
            crate::vast_api::MANAGE_KEYS_URL
        )?;
    }
    Ok(())
}
