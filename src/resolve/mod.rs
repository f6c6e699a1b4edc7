//! Resolved arguments: the command line (with the project configuration)
//! turned into the plain values the library takes, as ripgrep turns its
//! flags into `HiArgs` before doing any work. Commands call these; nothing
//! below the commands sees a clap struct, and no command clones and edits
//! `ScanArgs` to steer a scan.
//!
//! [`ScanSettings`] is a scan's arguments plus what they leave to the
//! project configuration (size limit, fail-on, allowlists, rules); its
//! [`ScanSettings::plan`] is what [`crate::pipeline::run`] takes.

mod git;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::bail;

pub use git::git_input;

use crate::cli::{ProgressWhen, ScanArgs, SuppressionSources, VerifyArgs};
use crate::outcome::{FailOn, Policy};
use crate::pipeline::{Input, KeyChecker, Limits, Plan, SuppressionPlan, VerifyStep};
use crate::project_config::{self, ProjectConfig};
use crate::rules::RuleSet;
use crate::verify::{Verifier, VerifyOptions};

/// Files and blobs larger than this are skipped unless a flag or the
/// project configuration says otherwise.
const DEFAULT_MAX_FILE_SIZE: u64 = 100 << 20;

/// A scan's arguments with the project configuration that applies to them.
pub struct ScanSettings<'a> {
    pub args: &'a ScanArgs,
    /// `.vastleaks.toml` (or `--config`); `None` with `--no-config` or
    /// when there is none.
    pub project: Option<Arc<ProjectConfig>>,
}

impl<'a> ScanSettings<'a> {
    /// Finds the project configuration for the scan `args` ask for. Every
    /// command that scans starts here.
    pub fn new(args: &'a ScanArgs) -> anyhow::Result<ScanSettings<'a>> {
        // A bad mode is reported by the scan itself, with its own message.
        let git = git_input(args).ok().flatten();
        Self::with_git(args, git)
    }

    /// As [`ScanSettings::new`], for `ci github`, which always scans the
    /// repository at its PATH (one path, default `.`) as git history.
    pub fn for_repository(args: &'a ScanArgs) -> anyhow::Result<ScanSettings<'a>> {
        let repo = match args.paths.as_slice() {
            [] => Some(PathBuf::from(".")),
            [path] => Some(path.clone()),
            // Refused by the step itself.
            _ => None,
        };
        let git = repo.map(|repo| Input::Git {
            repo,
            mode: crate::source::git::Mode::Audit,
            progress: false,
        });
        Self::with_git(args, git)
    }

    fn with_git(args: &'a ScanArgs, git: Option<Input>) -> anyhow::Result<ScanSettings<'a>> {
        let project = if args.no_config {
            None
        } else {
            let request = git.and_then(|input| {
                input.git_request(Limits {
                    jobs: args.jobs,
                    max_file_size: DEFAULT_MAX_FILE_SIZE,
                })
            });
            project_config::load(args.config.as_deref(), request, &args.paths)?.map(Arc::new)
        };
        Ok(ScanSettings { args, project })
    }

    /// `--max-file-size`, else the configuration's, else 100 MiB.
    pub fn max_file_size(&self) -> u64 {
        self.args
            .max_file_size
            .or_else(|| self.project.as_ref()?.max_file_size.as_ref().map(|s| s.0))
            .unwrap_or(DEFAULT_MAX_FILE_SIZE)
    }

    /// `--fail-on`, else the configuration's, else `any`. A configured
    /// `live` or `unknown` applies only with `--verify`: without it no key is
    /// verified, and `live` would let every finding pass.
    pub fn fail_on(&self) -> FailOn {
        let verify = &self.args.verify;
        if let Some(fail_on) = verify.fail_on {
            return fail_on;
        }
        match self.project.as_ref().and_then(|p| p.fail_on.as_ref()) {
            Some((FailOn::Live | FailOn::Unknown, _)) if !verify.verify => FailOn::Any,
            Some((fail_on, _)) => *fail_on,
            None => FailOn::Any,
        }
    }

    /// The exit policy.
    pub fn policy(&self) -> Policy {
        Policy {
            fail_on: self.fail_on(),
            allow_incomplete: self.args.allow_incomplete,
        }
    }

    /// The rules a scan uses: built-in, then those of the project
    /// configuration's rule files, then `--rules` files (flags win: a
    /// `--rules` rule replaces a configured one with the same id).
    pub fn rules(&self) -> anyhow::Result<RuleSet> {
        let mut rules = RuleSet::builtin();
        if let Some(project) = &self.project {
            rules.extend(project.rules.clone());
        }
        for file in &self.args.rule_files {
            rules.extend(load_rule_file(file)?);
        }
        Ok(rules)
    }

    /// The plan for `scan` (and `revoke`, which scans the same way).
    /// `checker` verifies, when given.
    pub fn plan<'p>(
        &self,
        rules: &'p RuleSet,
        checker: Option<&'p dyn KeyChecker>,
    ) -> anyhow::Result<Plan<'p>> {
        Ok(Plan {
            input: self.input()?,
            rules,
            limits: self.limits(),
            suppressions: self.suppressions(),
            notes: self.notes(),
            verify: self.verify_step(checker),
        })
    }

    /// What to read: a git scan if the arguments ask for one, else standard
    /// input (`-`), else the paths given.
    pub fn input(&self) -> anyhow::Result<Input> {
        let args = self.args;
        if let Some(git) = git_input(args)? {
            return Ok(git);
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
    pub fn limits(&self) -> Limits {
        Limits {
            jobs: self.args.jobs,
            max_file_size: self.max_file_size(),
        }
    }

    /// Where suppressions come from.
    pub fn suppressions(&self) -> SuppressionPlan {
        let args = self.args;
        SuppressionPlan {
            ignore_file: args.ignore_file.clone(),
            baseline: args.baseline.clone(),
            inline_allow: !args.no_inline_allow,
            base_only: args.suppressions == SuppressionSources::BaseOnly,
            project: self.project.clone(),
            config_path: args.config.clone(),
        }
    }

    /// What the report must say about how the arguments were resolved: a
    /// configured `fail-on` that lets findings pass.
    pub fn notes(&self) -> Vec<String> {
        self.project
            .as_ref()
            .and_then(|project| project.fail_on_note(self.args.verify.fail_on, self.fail_on()))
            .into_iter()
            .collect()
    }

    /// Verification with `checker`, as `--only-live` asks.
    pub fn verify_step<'p>(&self, checker: Option<&'p dyn KeyChecker>) -> Option<VerifyStep<'p>> {
        checker.map(|checker| VerifyStep {
            checker,
            only_live: self.args.verify.only_live,
        })
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
pub fn verifier(verify: &VerifyArgs, progress: bool) -> anyhow::Result<Option<Verifier>> {
    if matches!(verify.fail_on, Some(FailOn::Live | FailOn::Unknown)) && !verify.verify {
        bail!("--fail-on live/unknown needs --verify (without it every finding counts)");
    }
    if !verify.verify {
        return Ok(None);
    }
    Verifier::new(&verify_options(verify, progress)).map(Some)
}

/// Loads the built-in rules plus `--rules` files (`vastleaks rules`). A bad
/// rule file is fatal: scanning with half the rules would pass things it
/// should not.
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
