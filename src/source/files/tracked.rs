//! Tracked files that an ignore file hides from the work-tree walk.
//!
//! The walk honours `.gitignore`, `.ignore` and `.git/info/exclude` so that
//! build output is not scanned. But those files are repository content: a pull
//! request can commit `.ignore` holding `*` (or just the path of the file that
//! carries its key), and the walk would then skip a file git tracks without a
//! word. Git itself keeps tracking a file whatever `.gitignore` says, so a
//! tracked file that the walk did not visit was hidden by an ignore file:
//! each one is reported as skipped, so the hiding is visible and a tree where
//! everything is hidden is not a clean scan (see [`crate::outcome`]).
//!
//! Only directories inside a git work tree are checked, from the index (what
//! `git ls-files` lists); untracked ignored files (build output) are not
//! reported.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::scan::{Collector, ProblemKind, Subject};

/// The tracked files expected under each walked root, as the walk spells
/// their paths (the root as given, joined with the path below it).
pub struct Tracked {
    expected: Vec<PathBuf>,
    visited: Mutex<Vec<PathBuf>>,
}

impl Tracked {
    /// The tracked files under `roots`; `None` when no root is a directory
    /// inside a git work tree with an index.
    pub fn under(roots: &[PathBuf]) -> Option<Tracked> {
        let mut expected = Vec::new();
        for root in roots {
            expected.extend(tracked_under(root).unwrap_or_default());
        }
        (!expected.is_empty()).then(|| Tracked {
            expected,
            visited: Mutex::new(Vec::new()),
        })
    }

    /// Records what one walker thread visited (called once per thread).
    pub fn visited(&self, paths: Vec<PathBuf>) {
        self.visited
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(paths);
    }

    /// Reports every tracked file present on disk that the walk did not visit.
    pub fn report_hidden(self, collector: &Collector) {
        let visited: HashSet<PathBuf> = self
            .visited
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .collect();
        let mut hidden: Vec<&PathBuf> = self
            .expected
            .iter()
            .filter(|path| !visited.contains(*path))
            // Deleted from the work tree, or outside a sparse checkout: not
            // hidden, just absent.
            .filter(|path| path.symlink_metadata().is_ok_and(|m| !m.is_dir()))
            .collect();
        hidden.sort();
        hidden.dedup();
        for path in hidden {
            collector.problem(
                Subject::Path(super::display_path(path)),
                ProblemKind::Skipped,
                "tracked by git but hidden from the walk by an ignore file (.ignore, .gitignore or .git/info/exclude); not scanned: pass --no-ignore to scan it",
            );
        }
    }
}

/// One walker thread's visited paths, handed to [`Tracked`] when the thread's
/// visitor is dropped (at the end of the walk).
pub struct Visits<'a> {
    tracked: Option<&'a Tracked>,
    paths: Vec<PathBuf>,
}

impl<'a> Visits<'a> {
    pub fn new(tracked: Option<&'a Tracked>) -> Visits<'a> {
        Visits {
            tracked,
            paths: Vec::new(),
        }
    }

    pub fn record(&mut self, path: &Path) {
        if self.tracked.is_some() {
            self.paths.push(path.to_path_buf());
        }
    }
}

impl Drop for Visits<'_> {
    fn drop(&mut self) {
        if let Some(tracked) = self.tracked {
            tracked.visited(std::mem::take(&mut self.paths));
        }
    }
}

/// The index entries below `root` (a directory in a work tree), spelled as
/// the walk spells them. `None` when `root` is not in a work tree or the index
/// cannot be read (the walk itself is unaffected, so nothing is lost).
fn tracked_under(root: &Path) -> Option<Vec<PathBuf>> {
    if !root.is_dir() {
        return None;
    }
    let repo = gix::discover(root).ok()?;
    let work_dir = repo.workdir()?.canonicalize().ok()?;
    let below = root.canonicalize().ok()?;
    let prefix = below.strip_prefix(&work_dir).ok()?.to_path_buf();
    let index = repo.index_or_empty().ok()?;
    let mut paths = Vec::new();
    for entry in index.entries() {
        // Submodules are walked as directories (their files are another
        // repository's); everything else git tracks is a file or a link.
        if entry.mode == gix::index::entry::Mode::COMMIT {
            continue;
        }
        // Not representable as a path here (invalid UTF-8 on Windows): the
        // walk could not have produced it either.
        let Ok(path) = gix::path::from_bstr(entry.path(&index)) else {
            continue;
        };
        if let Ok(rest) = path.strip_prefix(&prefix) {
            paths.push(root.join(rest));
        }
    }
    Some(paths)
}
