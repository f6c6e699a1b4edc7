//! The working tree: a parallel, gitignore-aware walk.
//!
//! Hidden files are scanned (`.env` is where keys live); `.git/` is not (its
//! objects are compressed: `--git` reads them properly). Symbolic links are not
//! followed unless asked, so a scan never wanders outside the tree; broken or
//! looping links are reported rather than silently dropped.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use crate::finding::SourceKind;
use crate::scan::{Blob, Collector, ProblemKind, Scanner};

pub struct WalkOptions {
    pub roots: Vec<PathBuf>,
    /// Also scan files that .gitignore and friends exclude.
    pub no_ignore: bool,
    /// Follow symbolic links.
    pub follow: bool,
    /// Worker threads; 0 picks the number of cores.
    pub jobs: usize,
    /// Larger files are reported as skipped.
    pub max_file_size: u64,
}

/// Walks `options.roots` in parallel and scans every file.
pub fn scan(options: &WalkOptions, scanner: &Scanner, collector: &Collector) {
    let Some((first, rest)) = options.roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .hidden(false)
        .ignore(!options.no_ignore)
        .git_ignore(!options.no_ignore)
        .git_global(!options.no_ignore)
        .git_exclude(!options.no_ignore)
        .parents(!options.no_ignore)
        // Honour .gitignore even when the tree is not (yet) a git repository.
        .require_git(false)
        .follow_links(options.follow)
        .threads(options.jobs)
        .filter_entry(|entry| entry.file_name() != ".git");
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) => {
                    let is_file = entry.file_type().is_some_and(|t| t.is_file());
                    let is_symlink = entry.path_is_symlink() && !options.follow;
                    if is_symlink {
                        note_symlink(entry.path(), collector);
                    } else if is_file {
                        scan_file(entry.path(), options.max_file_size, scanner, collector);
                    }
                }
                Err(err) => report_walk_error(&err, collector),
            }
            WalkState::Continue
        })
    });
}

fn scan_file(path: &Path, max_file_size: u64, scanner: &Scanner, collector: &Collector) {
    let display = display_path(path);
    // One open, then the size from the handle: no second path lookup, and
    // the size checked is the size of the file actually read.
    let read = std::fs::File::open(path).and_then(|mut file| {
        let len = file.metadata()?.len();
        if len > max_file_size {
            return Ok(Err(len));
        }
        let mut bytes = Vec::new();
        // Like std::fs::read: a failed allocation is an error, not an abort.
        bytes
            .try_reserve_exact(usize::try_from(len).unwrap_or(usize::MAX))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))?;
        file.read_to_end(&mut bytes)?;
        Ok(Ok(bytes))
    });
    match read {
        Ok(Ok(bytes)) => collector.scan(
            scanner,
            &Blob {
                source: SourceKind::File,
                path: Some(&display),
                bytes: &bytes,
            },
        ),
        Ok(Err(len)) => collector.problem(
            display,
            ProblemKind::Skipped,
            format!("{len} bytes is over --max-file-size ({max_file_size} bytes); raise it to scan this file"),
        ),
        Err(err) => collector.problem(display, ProblemKind::Error, format!("cannot read: {err}")),
    }
}

/// A symlink that is not followed: silent if it points somewhere real (its
/// target is scanned where it lives, if inside the tree), reported if broken.
fn note_symlink(path: &Path, collector: &Collector) {
    if let Err(err) = std::fs::metadata(path) {
        let reason = if err.raw_os_error() == Some(40) || err.to_string().contains("symbolic links")
        {
            "symbolic link loop".to_string()
        } else {
            format!("broken symbolic link ({err})")
        };
        collector.problem(display_path(path), ProblemKind::Skipped, reason);
    }
}

fn report_walk_error(err: &ignore::Error, collector: &Collector) {
    let (path, message) = describe_walk_error(err);
    collector.problem(path, ProblemKind::Error, message);
}

/// The walker nests errors (with path, with depth); unwrap to a path and a
/// one-line message.
fn describe_walk_error(err: &ignore::Error) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => (display_path(path), describe_walk_error(err).1),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            describe_walk_error(err)
        }
        ignore::Error::Loop { child, ancestor } => (
            display_path(child),
            format!("symbolic link loop back to {}", ancestor.display()),
        ),
        ignore::Error::Io(io) => (String::new(), format!("cannot read: {io}")),
        other => (String::new(), other.to_string()),
    }
}

/// Paths as the user typed them, without a leading `./`, with `/` separators
/// so reports and ignore globs look the same on every platform.
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    if cfg!(windows) {
        text.replace('\\', "/")
    } else {
        text.to_string()
    }
}
