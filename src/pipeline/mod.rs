//! The pipeline: the one place a scan happens ([`run`]).
//!
//! A command turns its arguments into a [`Plan`] (what to read, which
//! suppressions count, limits, whether and how to verify) and hands it
//! here; what comes back is a [`Report`], which the command renders and
//! turns into an exit code ([`crate::outcome`]). `scan`, `ci github` and
//! `revoke` all scan through [`run`], so the order of the steps (collect
//! from the source, apply suppressions, count, verify, keep live) cannot
//! drift between them.
//!
//! The plan holds resolved values, never clap structs: the pipeline sits
//! below the command line and can be driven by anything that can fill in
//! a plan (a CI event, a test).

mod report;
mod suppressions;
mod verification;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

pub use report::{Report, ScanMode, Summary, VerifyCounts};
pub use verification::{apply, distinct_keys, keep_only_live, verify, Checked, KeyChecker};

use crate::finding::{Finding, Suppression};
use crate::matcher::Matcher;
use crate::project_config::ProjectConfig;
use crate::rules::RuleSet;
use crate::scan::{Collector, ProblemKind, Scanner};
use crate::source;
use crate::source::git::{Mode as GitMode, Request as GitRequest, Session};

/// Everything a scan needs, resolved.
pub struct Plan<'a> {
    pub input: Input,
    /// The rules in effect (built-in, configured, `--rules`).
    pub rules: &'a RuleSet,
    pub limits: Limits,
    pub suppressions: SuppressionPlan,
    /// Facts the command resolved that the report must carry (e.g. a
    /// configured `fail-on` that lets findings pass), after the rule notes.
    pub notes: Vec<String>,
    /// Verify the keys found, when set.
    pub verify: Option<VerifyStep<'a>>,
}

/// What to read.
#[derive(Clone, Debug)]
pub enum Input {
    /// Files and directories (walked, honouring ignore files unless
    /// `no_ignore`).
    Files {
        roots: Vec<PathBuf>,
        no_ignore: bool,
        follow: bool,
    },
    /// Standard input, as a stream.
    Stdin,
    /// A repository: the whole history, the staged blobs, or what a set of
    /// commits introduces (tips and hidden commits, [`source::git::Range`]).
    Git {
        repo: PathBuf,
        mode: GitMode,
        /// Show the audit's progress bar on stderr.
        progress: bool,
    },
    /// Nothing to read (e.g. a CI event without new commits): an empty
    /// report of this mode, still verified and judged like any other.
    Nothing(ScanMode),
}

impl Input {
    /// The git scan this input asks for, if any, under `limits`.
    pub fn git_request(&self, limits: Limits) -> Option<GitRequest> {
        match self {
            Input::Git {
                repo,
                mode,
                progress,
            } => Some(GitRequest {
                repo: repo.clone(),
                mode: mode.clone(),
                jobs: limits.jobs,
                max_file_size: limits.max_file_size,
                progress: *progress,
            }),
            _ => None,
        }
    }
}

/// How much work a scan may do.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Files and blobs larger than this are skipped (and reported).
    pub max_file_size: u64,
}

/// Where suppressions come from.
#[derive(Clone, Debug, Default)]
pub struct SuppressionPlan {
    /// `--ignore-file`: this file instead of the discovered ones (it must
    /// exist).
    pub ignore_file: Option<PathBuf>,
    /// `--baseline`.
    pub baseline: Option<PathBuf>,
    /// Honour `vastleaks:allow` markers in the scanned content.
    pub inline_allow: bool,
    /// Only the suppressions at a range's base count (`--suppressions
    /// base-only`): a change cannot suppress its own keys.
    pub base_only: bool,
    /// The project configuration in effect (its path allowlists).
    pub project: Option<Arc<ProjectConfig>>,
    /// `--config`, to find the same file at a range's base.
    pub config_path: Option<PathBuf>,
}

/// Verification, when asked for.
pub struct VerifyStep<'a> {
    pub checker: &'a dyn KeyChecker,
    /// `--only-live`: drop findings whose key is not verified live.
    pub only_live: bool,
}

/// Called with each batch of standard input's findings that count, as soon
/// as it is found (line-oriented output prints them at once).
pub type LiveSink<'s> = &'s mut dyn FnMut(&[Finding]);

/// Runs `plan`: reads the input, applies suppressions, counts, verifies.
/// This is the one function where a scan happens.
pub fn run(plan: &Plan<'_>, live: Option<LiveSink<'_>>) -> anyhow::Result<Report> {
    let mut report = collect(plan, live)?;
    if let Some(step) = &plan.verify {
        verify(&mut report, step.checker);
        if step.only_live {
            keep_only_live(&mut report);
        }
    }
    Ok(report)
}

/// Reads the input and applies suppressions.
fn collect(plan: &Plan<'_>, live: Option<LiveSink<'_>>) -> anyhow::Result<Report> {
    let started = Instant::now();
    if let Input::Nothing(mode) = plan.input {
        return Ok(Report {
            summary: Summary {
                mode,
                ..Summary::default()
            },
            ..Report::default()
        });
    }
    let scanner = Scanner::new(Matcher::new(plan.rules)?);
    let mut git = plan
        .input
        .git_request(plan.limits)
        .map(Session::open)
        .transpose()?;
    if let Input::Files { roots, .. } = &plan.input {
        check_roots(roots)?;
    }

    let (suppressions, problems_from_config) =
        suppressions::load(&plan.suppressions, &plan.input, git.as_ref())?;

    let collector = Collector::default();
    let mode = match (&plan.input, &mut git) {
        (_, Some(session)) => {
            session.scan(&scanner, &collector)?;
            match session.mode() {
                GitMode::Audit => ScanMode::Git,
                GitMode::Staged => ScanMode::Staged,
                GitMode::Range(_) => ScanMode::Range,
            }
        }
        (Input::Stdin, None) => {
            let mut live = live;
            source::stdin::scan(&scanner, &collector, &mut |batch| {
                if let Some(sink) = live.as_mut() {
                    // After the ignore file and baseline: a suppressed
                    // finding is not printed, as in the final report.
                    let kept = suppressions.apply(batch.to_vec()).kept;
                    if !kept.is_empty() {
                        sink(&kept);
                    }
                }
            })?;
            ScanMode::Stdin
        }
        (
            Input::Files {
                roots,
                no_ignore,
                follow,
            },
            None,
        ) => {
            let options = source::files::WalkOptions {
                roots: roots.clone(),
                no_ignore: *no_ignore,
                follow: *follow,
                jobs: plan.limits.jobs,
                max_file_size: plan.limits.max_file_size,
            };
            source::files::scan(&options, &scanner, &collector);
            ScanMode::Files
        }
        (Input::Git { .. } | Input::Nothing(_), None) => {
            unreachable!("a git input opens a session; nothing returned early")
        }
    };
    let mut parts = collector.into_parts();
    if let Some(session) = &mut git {
        session.finish(&mut parts);
    }
    // In a range scan, the suppressions as they were at its base: to tell
    // which suppressions the range itself adds, or (base-only) to be the
    // only ones that count.
    let base = match git.as_ref().and_then(|s| Some((s, s.range_hidden()?))) {
        Some((session, hidden)) => {
            Some(suppressions::at_base(&plan.suppressions, session, &hidden)?)
        }
        None => None,
    };
    let base_only = plan.suppressions.base_only;
    if !plan.suppressions.inline_allow || base_only {
        for finding in &mut parts.findings {
            if matches!(finding.suppression, Some(Suppression::Inline { .. })) {
                finding.suppression = None;
            }
        }
    }
    let applied = match (&base, base_only) {
        (Some(base), true) => base.apply(parts.findings),
        (None, true) => return Err(PlanError::BaseOnlyWithoutRange.into()),
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
        stale_ignores: if mode.judges_staleness() {
            applied.stale
        } else {
            Vec::new()
        },
        summary: Summary {
            mode,
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
    for (id, origin) in plan.rules.replaced_builtins() {
        report.summary.notes.push(format!(
            "the built-in rule {id} is replaced by the rule at {origin} (--rules): review that file"
        ));
    }
    report.summary.notes.extend(plan.notes.iter().cloned());
    if let (Some(project), Some(session)) = (&plan.suppressions.project, git.as_ref()) {
        report.summary.notes.extend(project.change_notes(session));
    }
    report.recount();
    report.summary.suppressed = report.suppressed.len() as u64;
    report.summary.elapsed = started.elapsed();
    Ok(report)
}

/// A plan that cannot run as given: found before anything is read (or,
/// for `base-only`, before suppressions are applied). Sources report their
/// own errors.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// A root that does not exist and looks like `BASE..HEAD`.
    #[error("{}: no such file or directory; to scan a commit range, use `--git {}`", .0.display(), .0.display())]
    RangeAsPath(PathBuf),
    #[error("{}: no such file or directory; pass an existing path to scan", .0.display())]
    NoSuchPath(PathBuf),
    #[error("--suppressions base-only needs a range scan (`--git BASE..HEAD`, `--since-commit`, or `ci github` on a push or pull request): the base is what it trusts")]
    BaseOnlyWithoutRange,
}

/// Every root must exist: a typo must not scan nothing and pass.
fn check_roots(roots: &[PathBuf]) -> Result<(), PlanError> {
    for path in roots {
        if std::fs::symlink_metadata(path).is_err() {
            if path.to_string_lossy().contains("..") {
                return Err(PlanError::RangeAsPath(path.clone()));
            }
            return Err(PlanError::NoSuchPath(path.clone()));
        }
    }
    Ok(())
}
