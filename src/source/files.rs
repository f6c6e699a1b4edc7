//! The working tree: a parallel, gitignore-aware walk.
//!
//! Hidden files are scanned (`.env` is where keys live); `.git/` is not (its
//! objects are compressed: `--git` reads them properly). Symbolic links are not
//! followed unless asked, so a scan never wanders outside the tree; broken or
//! looping links are reported rather than silently dropped.
//!
//! Only regular files are opened during the walk: a named pipe in the tree
//! would block the open forever and a device may never end, so those are
//! reported as skipped. A pipe or device named on the command line (`mkfifo`,
//! `<(cmd)`, `/dev/stdin`) is what the user asked for: it is read as a stream,
//! up to --max-file-size bytes. Files bigger than a window are streamed too.

use std::io::Read;
use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

use crate::finding::Origin;
use crate::scan::{
    Blob, Collector, ProblemKind, Scanner, StreamOptions, StreamOutcome, Subject, DEFAULT_WINDOW,
};

mod tracked;

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
    // Ignore files are repository content: tracked files they hide are
    // reported (see `tracked`). With --no-ignore nothing is hidden.
    let tracked = (!options.no_ignore)
        .then(|| tracked::Tracked::under(&options.roots))
        .flatten();
    builder.build_parallel().run(|| {
        let mut visits = tracked::Visits::new(tracked.as_ref());
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    let file_type = entry.file_type();
                    let is_file = file_type.is_some_and(|t| t.is_file());
                    let is_dir = file_type.is_some_and(|t| t.is_dir());
                    // Git tracks files and links, never directories.
                    if entry.depth() > 0 && !is_dir {
                        visits.record(entry.path());
                    }
                    let is_symlink = entry.path_is_symlink() && !options.follow;
                    if is_symlink {
                        note_symlink(entry.path(), collector);
                    } else if is_file {
                        scan_file(entry.path(), options.max_file_size, scanner, collector);
                    } else if is_dir || file_type.is_none() {
                        // Directories are walked; no type means standard
                        // input, which the command handles itself.
                    } else if entry.depth() == 0 {
                        // Named on the command line: the user wants it read.
                        scan_named_stream(entry.path(), options.max_file_size, scanner, collector);
                    } else {
                        // Opening a named pipe nobody writes to blocks
                        // forever, and a device may never end.
                        collector.problem(
                            Subject::Path(display_path(entry.path())),
                            ProblemKind::Skipped,
                            format!(
                                "not a regular file ({}); not opened during a directory walk; name it on the command line to read it",
                                describe_special(file_type)
                            ),
                        );
                    }
                }
                Err(err) => report_walk_error(&err, collector),
            }
            WalkState::Continue
        })
    });
    if let Some(tracked) = tracked {
        tracked.report_hidden(collector);
    }
}

fn scan_file(path: &Path, max_file_size: u64, scanner: &Scanner, collector: &Collector) {
    let display = display_path(path);
    let over_limit = |len: u64| {
        format!("{len} bytes is over --max-file-size ({max_file_size} bytes); raise it to scan this file")
    };
    // One open, then type and size from the handle: no second path lookup,
    // and what is checked is what is read. Opened without blocking, so a
    // file swapped for a named pipe since the walk saw it cannot hang us.
    let mut file = match open_nonblocking(path) {
        Ok(file) => file,
        Err(err) => {
            return collector.problem(
                Subject::Path(display),
                ProblemKind::Error,
                format!("cannot read: {err}"),
            )
        }
    };
    let metadata = match file.metadata() {
        Ok(metadata) => metadata,
        Err(err) => {
            return collector.problem(
                Subject::Path(display),
                ProblemKind::Error,
                format!("cannot read: {err}"),
            )
        }
    };
    if !metadata.is_file() {
        return collector.problem(
            Subject::Path(display),
            ProblemKind::Skipped,
            format!(
                "not a regular file ({}) any more when opened; not read",
                describe_special(Some(metadata.file_type()))
            ),
        );
    }
    let len = metadata.len();
    if len > max_file_size {
        return collector.problem(
            Subject::Path(display),
            ProblemKind::Skipped,
            over_limit(len),
        );
    }
    if len > DEFAULT_WINDOW as u64 {
        // Big files are read in windows: memory per thread stays bounded.
        return scan_windows(&mut file, display, max_file_size, scanner, collector);
    }
    let mut bytes = Vec::new();
    // Like std::fs::read: a failed allocation is an error, not an abort.
    let read = bytes
        .try_reserve_exact(usize::try_from(len).unwrap_or(usize::MAX))
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::OutOfMemory))
        // A file growing while we read it is read up to the limit.
        .and_then(|()| {
            (&mut file)
                .take(max_file_size.saturating_add(1))
                .read_to_end(&mut bytes)
        });
    match read {
        Ok(_) if bytes.len() as u64 > max_file_size => collector.problem(
            Subject::Path(display),
            ProblemKind::Skipped,
            over_limit(bytes.len() as u64),
        ),
        Ok(_) => collector.scan(
            scanner,
            &Blob {
                path: Some(&display),
                bytes: &bytes,
            },
            || Origin::File {
                path: display.clone(),
            },
        ),
        Err(err) => collector.problem(
            Subject::Path(display),
            ProblemKind::Error,
            format!("cannot read: {err}"),
        ),
    }
}

/// A named pipe, device or `/dev/fd/N` of a process substitution, named on
/// the command line: read as a stream, in windows, at most --max-file-size
/// bytes of it (`/dev/zero` never ends).
fn scan_named_stream(path: &Path, max_file_size: u64, scanner: &Scanner, collector: &Collector) {
    let display = display_path(path);
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) => {
            return collector.problem(
                Subject::Path(display),
                ProblemKind::Error,
                format!("cannot read: {err}"),
            )
        }
    };
    scan_windows(&mut file, display, max_file_size, scanner, collector);
}

/// Scans `file` in overlapping windows, at most `max_file_size` bytes of it,
/// and reports what a limit cut off.
fn scan_windows(
    file: &mut std::fs::File,
    display: String,
    max_file_size: u64,
    scanner: &Scanner,
    collector: &Collector,
) {
    let outcome = collector.scan_stream(
        scanner,
        file,
        &Origin::File {
            path: display.clone(),
        },
        StreamOptions {
            window: DEFAULT_WINDOW,
            limit: Some(max_file_size),
        },
        &mut |_| {},
    );
    report_stream_outcome(&display, &outcome, max_file_size, collector);
}

/// A stream cut short by the limit is skipped (in part), one that failed is
/// an error: either way the report says how much was scanned.
fn report_stream_outcome(
    display: &str,
    outcome: &StreamOutcome,
    max_file_size: u64,
    collector: &Collector,
) {
    if let Some(err) = &outcome.error {
        collector.problem(
            Subject::Path(display.to_string()),
            ProblemKind::Error,
            format!(
                "cannot read past byte {}: {err}; what came before was scanned",
                outcome.bytes
            ),
        );
    } else if outcome.truncated {
        collector.problem(
            Subject::Path(display.to_string()),
            ProblemKind::Skipped,
            format!(
                "longer than --max-file-size ({max_file_size} bytes): only the first {} bytes were scanned; raise it to scan more",
                outcome.bytes
            ),
        );
    }
}

/// What kind of special file this is, for messages.
fn describe_special(file_type: Option<std::fs::FileType>) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if let Some(t) = file_type {
            if t.is_fifo() {
                return "named pipe";
            } else if t.is_socket() {
                return "socket";
            } else if t.is_char_device() {
                return "character device";
            } else if t.is_block_device() {
                return "block device";
            }
        }
    }
    let _ = file_type;
    "special file"
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
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
        collector.problem(
            Subject::Path(display_path(path)),
            ProblemKind::Skipped,
            reason,
        );
    }
}

fn report_walk_error(err: &ignore::Error, collector: &Collector) {
    let (path, message) = describe_walk_error(err);
    collector.problem(Subject::Path(path), ProblemKind::Error, message);
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
