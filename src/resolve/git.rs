//! Which git scan the command line asks for: `--git` (the whole history),
//! `--since-commit BASE` or a `BASE..HEAD` argument (a range: one tip, one
//! hidden commit), `--staged`, or pre-commit's environment.

use std::path::PathBuf;

use anyhow::bail;

use super::progress_wanted;
use crate::cli::ScanArgs;
use crate::pipeline::Input;
use crate::source::git::{Mode, Range};

/// The git scan the arguments ask for, if any: `--git` (optionally with
/// `--since-commit` or a `BASE..HEAD` argument), `--staged`, or `PRE_COMMIT=1`
/// with no mode (pre-commit runs hooks with it set; `--staged` is then the
/// only scan that makes sense).
pub fn git_input(args: &ScanArgs) -> anyhow::Result<Option<Input>> {
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
        (Some(base), None) => Mode::Range(Range::new(
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
            Mode::Range(Range::new(
                base,
                if head.is_empty() { "HEAD" } else { head },
            ))
        }
        (None, None) if pre_commit_range.is_some() => {
            let (from, to) = pre_commit_range.unwrap_or_default();
            Mode::Range(Range::new(from, to))
        }
        (None, None) if args.staged || pre_commit => Mode::Staged,
        (None, None) => Mode::Audit,
    };
    let progress = progress_wanted(args.progress, args.output.quiet);
    Ok(Some(Input::Git {
        repo,
        mode,
        progress,
    }))
}
