//! Which suppressions a scan applies, loaded from the plan's sources: the
//! ignore files, a baseline, the project configuration's path allowlists;
//! and, for a range, the same as they were at its hidden commits (so a
//! report can say which suppressions the range itself adds).

use std::path::{Path, PathBuf};

use anyhow::bail;

use super::{Input, SuppressionPlan};
use crate::scan::{Problem, ProblemKind, Subject};
use crate::source::files::display_path;
use crate::source::git::Session;
use crate::suppress::{IgnoreFileError, Suppressions, IGNORE_FILE_NAME};

/// The ignore files, baseline and configured path allowlists that apply to
/// this scan. Malformed ignore
/// lines come back as problems (reported, never fatal); a missing
/// `--ignore-file` or a bad baseline is an error.
pub(super) fn load(
    plan: &SuppressionPlan,
    input: &Input,
    git: Option<&Session>,
) -> anyhow::Result<(Suppressions, Vec<Problem>)> {
    let mut suppressions = Suppressions::default();
    let mut problems = Vec::new();
    let ignore_files: Vec<PathBuf> = match &plan.ignore_file {
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
        // Files: the ignore file of each directory given; with only files
        // given (as pre-commit passes them), the one in the current directory.
        None => {
            let roots: &[PathBuf] = match input {
                Input::Files { roots, .. } => roots,
                _ => &[],
            };
            let dirs: Vec<PathBuf> = roots
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
        let errors = match suppressions.load_ignore_file(file, &display_path(file)) {
            Ok(errors) => errors,
            Err(err) if plan.ignore_file.is_some() => {
                bail!("--ignore-file {}: {err}", file.display())
            }
            Err(err) => {
                // The ignore file of the scanned tree: report it and scan on.
                problems.push(Problem::new(
                    Subject::ConfigFile(display_path(file)),
                    ProblemKind::Error,
                    format!("ignore file not used: {err}"),
                ));
                continue;
            }
        };
        problems.extend(errors.into_iter().map(ignore_line_problem));
    }
    // A bare repository has no work tree: its committed ignore file applies.
    if let Some(session) = git.filter(|s| plan.ignore_file.is_none() && s.ignore_file().is_none()) {
        match session.committed_file("HEAD", IGNORE_FILE_NAME) {
            Ok(Some(text)) => {
                let name = format!("HEAD:{IGNORE_FILE_NAME}");
                for err in suppressions.add_ignore_file(&text, &name, Path::new("")) {
                    problems.push(ignore_line_problem(err));
                }
            }
            Ok(None) => {}
            Err(err) => problems.push(Problem::new(
                Subject::ConfigFile(format!("HEAD:{IGNORE_FILE_NAME}")),
                ProblemKind::Error,
                format!("ignore file not used: {err:#}"),
            )),
        }
    }
    if let Some(baseline) = &plan.baseline {
        suppressions.load_baseline(baseline, &display_path(baseline))?;
    }
    if let Some(project) = &plan.project {
        project.add_allowlists(&mut suppressions);
    }
    Ok((suppressions, problems))
}

/// The ignore file, a baseline kept in the repository and the project
/// configuration's allowlists as they were at the range's base (its hidden
/// commits). Malformed lines there are not
/// reported again: the tip's file is what the user edits.
pub(super) fn at_base(
    plan: &SuppressionPlan,
    session: &Session,
    hidden: &[String],
) -> anyhow::Result<Suppressions> {
    let mut base = Suppressions::default();
    let baseline = plan.baseline.as_deref().and_then(|b| session.tree_path(b));
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
        if let Some(project) = &plan.project {
            project.add_committed_allowlists(
                plan.config_path.as_deref(),
                session,
                rev,
                short_rev(rev),
                &mut base,
            );
        }
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
fn ignore_line_problem(err: IgnoreFileError) -> Problem {
    Problem::new(
        Subject::IgnoreEntry {
            file: err.file,
            line: err.line,
        },
        ProblemKind::Error,
        format!("ignore entry skipped: {}", err.message),
    )
}
