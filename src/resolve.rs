//! Resolved arguments: the command line (with the project configuration)
//! turned into the plain values the library takes, as ripgrep turns its
//! flags into `HiArgs` before doing any work. Commands call these; nothing
//! below the commands sees a clap struct.
//!
//! The one decision made here rather than in the pipeline is *what* to
//! scan: `--git`, `--since-commit`, a `BASE..HEAD` argument, `--staged`,
//! `PRE_COMMIT=1` (pre-commit's environment) or plain paths.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;

use crate::cli::{ProgressWhen, ScanArgs, SuppressionSources, VerifyArgs};
use crate::outcome::{self, FailOn};
use crate::pipeline::{Input, KeyChecker, Limits, Plan, SuppressionPlan, VerifyStep};
use crate::project_config::{self, ProjectConfig};
use crate::rules::RuleSet;
use crate::source;
use crate::verify::{Verifier, VerifyOptions};

/// The plan for `scan` (and `revoke`, which scans the same way): what
/// [`crate::pipeline::run`] needs. `checker` verifies, when given.
pub fn plan<'a>(
    args: &ScanArgs,
    rules: &'a RuleSet,
    checker: Option<&'a dyn KeyChecker>,
) -> anyhow::Result<Plan<'a>> {
    Ok(Plan {
        input: input(args)?,
        rules,
        limits: limits(args),
        suppressions: suppressions(args),
        notes: notes(args),
        verify: checker.map(|checker| VerifyStep {
            checker,
            only_live: args.verify.only_live,
        }),
    })
}

/// What to read: a git scan if the arguments ask for one, else standard
/// input (`-`), else the paths given.
pub fn input(args: &ScanArgs) -> anyhow::Result<Input> {
    if let Some(request) = git_request(args)? {
        return Ok(Input::Git {
            repo: request.repo,
            mode: request.mode,
            progress: request.progress,
        });
    }
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            bail!(
                "`-` (standard input) cannot be combined with other paths; scan them in separate runs"
            );
        }
        return Ok(Input::Stdin);
    }
    Ok(Input::Files {
        roots: args.paths.clone(),
        no_ignore: args.no_ignore,
        follow: args.follow,
    })
}

/// Worker threads and the size limit.
pub fn limits(args: &ScanArgs) -> Limits {
    Limits {
        jobs: args.jobs,
        max_file_size: args.max_file_size(),
    }
}

/// Where suppressions come from.
pub fn suppressions(args: &ScanArgs) -> SuppressionPlan {
    SuppressionPlan {
        ignore_file: args.ignore_file.clone(),
        baseline: args.baseline.clone(),
        inline_allow: !args.no_inline_allow,
        base_only: args.suppressions == SuppressionSources::BaseOnly,
        project: args.project.clone(),
        config_path: args.config.clone(),
    }
}

/// What the report must say about how the arguments were resolved: a
/// configured `fail-on` that lets findings pass.
pub fn notes(args: &ScanArgs) -> Vec<String> {
    args.project
        .as_ref()
        .and_then(|project| project.fail_on_note(args.verify.fail_on, args.fail_on()))
        .into_iter()
        .collect()
}

/// The exit policy the arguments ask for.
pub fn policy(args: &ScanArgs) -> outcome::Policy {
    outcome::Policy {
        fail_on: args.fail_on(),
        allow_incomplete: args.allow_incomplete,
    }
}

/// Whether to show progress on stderr: `--progress always`, or `auto` on a
/// terminal without `--quiet` (the git audit's bar and the verifier's).
pub fn progress_wanted(when: ProgressWhen, quiet: bool) -> bool {
    match when {
        ProgressWhen::Always => true,
        ProgressWhen::Never => false,
        ProgressWhen::Auto => !quiet && std::io::stderr().is_terminal(),
    }
}

/// The verifier's options from `--verify-*`, `--api-url`/`VAST_URL`.
pub fn verify_options(verify: &VerifyArgs, progress: bool) -> VerifyOptions {
    VerifyOptions {
        api_url: verify.api_url.clone(),
        jobs: verify.verify_jobs,
        timeout: verify.verify_timeout,
        deadline: verify.verify_deadline,
        retries: verify.verify_retries,
        backoff: verify.verify_backoff,
        progress,
    }
}

/// The verifier when `--verify` is on; checks the options that depend on it
/// first, so a bad `--api-url` is a usage error found before any scan.
pub fn verifier(args: &ScanArgs) -> anyhow::Result<Option<Verifier>> {
    if matches!(args.verify.fail_on, Some(FailOn::Live | FailOn::Unknown)) && !args.verify.verify {
        bail!("--fail-on live/unknown needs --verify (without it every finding counts)");
    }
    if !args.verify.verify {
        return Ok(None);
    }
    let progress = progress_wanted(args.progress, args.output.quiet);
    Verifier::new(&verify_options(&args.verify, progress)).map(Some)
}

/// Loads the built-in rules plus `--rules` files. A bad rule file is fatal:
/// scanning with half the rules would pass things it should not.
pub fn load_rules(files: &[PathBuf]) -> anyhow::Result<RuleSet> {
    RuleSet::builtin_with(files)
        .map_err(|err| anyhow::anyhow!("--rules {err}; fix the rule file or drop the option"))
}

/// The rules a scan uses: built-in, then those of the project
/// configuration's rule files, then `--rules` files (flags win: a `--rules`
/// rule replaces a configured one with the same id).
pub fn scan_rules(args: &ScanArgs) -> anyhow::Result<RuleSet> {
    let mut rules = RuleSet::builtin();
    if let Some(project) = &args.project {
        rules.extend(project.rules.clone());
    }
    for file in &args.rule_files {
        rules.extend(RuleSet::load(file).map_err(|err| {
            anyhow::anyhow!("--rules {err}; fix the rule file or drop the option")
        })?);
    }
    Ok(rules)
}

/// `args` with the project configuration that applies to it (none with
/// `--no-config`). Every command that scans calls this first.
pub fn with_project_config(args: &ScanArgs) -> anyhow::Result<ScanArgs> {
    let mut args = args.clone();
    if args.project.is_none() {
        let git = git_request(&args).ok().flatten();
        args.project = load_project_config(&args, git)?;
    }
    Ok(args)
}

/// As [`with_project_config`], for `ci github`, which always scans the
/// repository at its PATH as git history.
pub fn with_repository_config(args: &ScanArgs) -> anyhow::Result<ScanArgs> {
    let mut probe = args.clone();
    probe.git = true;
    probe.staged = false;
    probe.files = false;
    let git = git_request(&probe).ok().flatten();
    let mut args = args.clone();
    args.project = load_project_config(&args, git)?;
    Ok(args)
}

fn load_project_config(
    args: &ScanArgs,
    git: Option<source::git::Request>,
) -> anyhow::Result<Option<Arc<ProjectConfig>>> {
    if args.no_config {
        return Ok(None);
    }
    Ok(project_config::load(args.config.as_deref(), git, &args.paths)?.map(Arc::new))
}

impl ScanArgs {
    /// `--max-file-size`, else the configuration's, else 100 MiB.
    pub fn max_file_size(&self) -> u64 {
        const DEFAULT: u64 = 100 << 20;
        self.max_file_size
            .or_else(|| self.project.as_ref()?.max_file_size.as_ref().map(|s| s.0))
            .unwrap_or(DEFAULT)
    }

    /// `--fail-on`, else the configuration's, else `any`. A configured
    /// `live` or `unknown` applies only with `--verify`: without it no key is
    /// verified, and `live` would let every finding pass.
    pub fn fail_on(&self) -> FailOn {
        if let Some(fail_on) = self.verify.fail_on {
            return fail_on;
        }
        match self.project.as_ref().and_then(|p| p.fail_on.as_ref()) {
            Some((FailOn::Live | FailOn::Unknown, _)) if !self.verify.verify => FailOn::Any,
            Some((fail_on, _)) => *fail_on,
            None => FailOn::Any,
        }
    }
}

/// The git scan the arguments ask for, if any: `--git` (optionally with
/// `--since-commit` or a `BASE..HEAD` argument), `--staged`, or `PRE_COMMIT=1`
/// with no mode (pre-commit runs hooks with it set; `--staged` is then the
/// only scan that makes sense).
pub fn git_request(args: &ScanArgs) -> anyhow::Result<Option<source::git::Request>> {
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
    let progress = progress_wanted(args.progress, args.output.quiet);
    Ok(Some(Request {
        repo,
        mode,
        jobs: args.jobs,
        max_file_size: args.max_file_size(),
        progress,
    }))
}
