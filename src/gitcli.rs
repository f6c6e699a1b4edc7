//! Runs the `git` command line, for the few jobs where git itself is the
//! authority rather than the object database: where hooks live
//! (`core.hooksPath`, worktrees), fetching missing history in CI (the runner's
//! credentials are configured for the git CLI, and gix is built without
//! network support), and resolving refs the way the user's git does.
//!
//! Scanning never goes through here: blobs are read with gix.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{bail, Context};

/// A repository (or worktree) driven through `git -C DIR`.
#[derive(Clone, Debug)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>) -> Git {
        Git { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new("git");
        command
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            // Never wait for a password prompt in CI or in a hook.
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null());
        command
    }

    /// Runs git and returns its raw output, failing only if git cannot start.
    pub fn output<I, S>(&self, args: I) -> anyhow::Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = self.command(args);
        command.output().with_context(|| {
            format!(
                "cannot run `git` in {}: is git installed and on PATH?",
                self.dir.display()
            )
        })
    }

    /// Runs git and returns its trimmed stdout; a non-zero exit is an error
    /// carrying git's own message.
    pub fn run<I, S>(&self, args: I) -> anyhow::Result<String>
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<OsStr>,
    {
        let output = self.output(args.clone())?;
        if !output.status.success() {
            let shown: Vec<String> = args
                .into_iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned())
                .collect();
            bail!(
                "`git {}` failed in {}: {}",
                shown.join(" "),
                self.dir.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }

    /// Runs git and reports only whether it succeeded (for questions such as
    /// "does this commit exist").
    pub fn succeeds<I, S>(&self, args: I) -> anyhow::Result<bool>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Ok(self.output(args)?.status.success())
    }

    /// Whitespace-separated words of a command's stdout (object ids, refs).
    pub fn words<I, S>(&self, args: I) -> anyhow::Result<Vec<String>>
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<OsStr>,
    {
        Ok(self
            .run(args)?
            .split_whitespace()
            .map(str::to_string)
            .collect())
    }

    /// The directory hooks are run from, honouring `core.hooksPath` and
    /// linked worktrees, as an absolute path or relative to [`Git::dir`].
    pub fn hooks_dir(&self) -> anyhow::Result<PathBuf> {
        let path = PathBuf::from(self.run(["rev-parse", "--git-path", "hooks"])?);
        Ok(if path.is_absolute() {
            path
        } else {
            self.dir.join(path)
        })
    }
}
