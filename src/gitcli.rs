//! Runs the `git` command line, for the few jobs where git itself is the
//! authority rather than the object database: where hooks live
//! (`core.hooksPath`, worktrees), fetching missing history and blobs in CI
//! (the runner's credentials are configured for the git CLI, and gix is
//! built without network support), and resolving refs the way the user's git
//! does.
//!
//! Scanning never goes through here: blobs are read with gix.
//!
//! The repository is hostile input, and its `.git/config` (plus whatever it
//! `include`s) can make git run commands: `core.fsmonitor`, hooks,
//! `remote.*.uploadpack`, `core.sshCommand`, credential helpers, remote
//! helpers through `ext::` URLs or `remote.*.vcs`. Every command built here
//! neutralises those in one place ([`guard`]), while keeping the
//! runner's own global and system configuration (credential helpers,
//! `http.*`, `url.*.insteadOf`), which CI needs to fetch at all.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

use anyhow::{bail, Context};

mod guard;
use guard::Guard;

/// A repository (or worktree) driven through `git -C DIR`.
#[derive(Clone, Debug)]
pub struct Git {
    dir: PathBuf,
    /// Built on first use: the `-c` overrides need the repository's config.
    guard: Arc<OnceLock<Result<Guard, String>>>,
}

/// Whether `core.hooksPath` is pointed at the empty directory.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hooks {
    Disabled,
    /// Only for asking git where hooks live ([`Git::hooks_dir`]): that
    /// runs nothing, and the answer must be the repository's own.
    AsConfigured,
}

impl Git {
    pub fn new(dir: impl Into<PathBuf>) -> Git {
        Git {
            dir: dir.into(),
            guard: Arc::new(OnceLock::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn guard(&self) -> anyhow::Result<&Guard> {
        self.guard
            .get_or_init(|| Guard::new(&self.dir).map_err(|err| format!("{err:#}")))
            .as_ref()
            .map_err(|err| anyhow::anyhow!("{err}"))
    }

    fn command<I, S>(&self, args: I, hooks: Hooks) -> anyhow::Result<Command>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let guard = self.guard()?;
        let mut command = base_command(&self.dir);
        for pair in &guard.config {
            if hooks == Hooks::AsConfigured && pair.starts_with("core.hooksPath=") {
                continue;
            }
            command.arg("-c").arg(pair);
        }
        command.args(args);
        Ok(command)
    }

    /// Runs git and returns its raw output, failing only if git cannot start.
    pub fn output<I, S>(&self, args: I) -> anyhow::Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let command = self.command(args, Hooks::Disabled)?;
        self.finish(command, None)
    }

    /// Like [`Git::output`], with `input` on git's standard input (object
    /// ids for `--stdin`: a command line has a length limit).
    pub fn output_with_input<I, S>(&self, args: I, input: &[u8]) -> anyhow::Result<Output>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let command = self.command(args, Hooks::Disabled)?;
        self.finish(command, Some(input))
    }

    fn finish(&self, mut command: Command, input: Option<&[u8]>) -> anyhow::Result<Output> {
        let cannot_run = || {
            format!(
                "cannot run `git` in {}: is git installed and on PATH?",
                self.dir.display()
            )
        };
        let Some(input) = input else {
            return command.output().with_context(cannot_run);
        };
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().with_context(cannot_run)?;
        let mut stdin = child.stdin.take().context("git's standard input")?;
        // Written from another thread: git may fill its output pipes before
        // it has read all of its input.
        let input = input.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child.wait_with_output().with_context(cannot_run)?;
        // git stopping early (an error it reports) closes the pipe: its exit
        // status says more than the write error.
        let _ = writer.join();
        Ok(output)
    }

    /// Runs git and returns its trimmed stdout; a non-zero exit is an error
    /// carrying git's own message.
    pub fn run<I, S>(&self, args: I) -> anyhow::Result<String>
    where
        I: IntoIterator<Item = S> + Clone,
        S: AsRef<OsStr>,
    {
        let output = self.output(args.clone())?;
        self.stdout_of(args, output)
    }

    fn stdout_of<I, S>(&self, args: I, output: Output) -> anyhow::Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        if !output.status.success() {
            bail!(
                "`git {}` failed in {}: {}",
                shown(args),
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

    /// `git fetch OPTIONS -- REMOTE REFSPECS` with what keeps a fetch from
    /// running the repository's commands on top of [`guard`]:
    /// `remote.*.uploadpack` cannot be overridden with `-c` (git then sees
    /// two and takes the repository's), only with `--upload-pack`; submodule
    /// fetches would run git in repositories configured by the scanned one;
    /// the automatic gc after a fetch is not ours to start.
    pub fn fetch(
        &self,
        remote: &str,
        options: &[&str],
        refspecs: &[String],
    ) -> anyhow::Result<FetchOutcome> {
        self.fetch_with(&[], remote, options, refspecs, None)
    }

    /// Fetches objects a partial clone was promised, by id, the way git's
    /// own lazy fetch does: no negotiation (the remote must not leave out
    /// objects because our commits reach them), `blob:none` so a wanted tree
    /// does not bring every blob under it, ids on standard input.
    pub fn fetch_promised(&self, remote: &str, ids: &[String]) -> anyhow::Result<FetchOutcome> {
        let input: String = ids.iter().map(|id| format!("{id}\n")).collect();
        self.fetch_with(
            &["fetch.negotiationAlgorithm=noop"],
            remote,
            &[
                "--quiet",
                "--no-tags",
                "--no-write-fetch-head",
                "--filter=blob:none",
                "--stdin",
            ],
            &[],
            Some(input.as_bytes()),
        )
    }

    fn fetch_with(
        &self,
        config: &[&str],
        remote: &str,
        options: &[&str],
        refspecs: &[String],
        input: Option<&[u8]>,
    ) -> anyhow::Result<FetchOutcome> {
        let mut args: Vec<String> = Vec::new();
        for pair in config {
            args.push("-c".to_string());
            args.push(pair.to_string());
        }
        args.extend(
            [
                "fetch",
                "--upload-pack=git-upload-pack",
                "--no-recurse-submodules",
                "--no-auto-gc",
            ]
            .map(String::from),
        );
        args.extend(options.iter().map(|o| o.to_string()));
        args.push("--end-of-options".to_string());
        args.push(remote.to_string());
        args.extend(refspecs.iter().cloned());
        let output = match input {
            Some(input) => self.output_with_input(&args, input)?,
            None => self.output(&args)?,
        };
        // What a person would type: the safety options are ours, not theirs.
        let mut typed: Vec<String> = config.iter().map(|c| format!("-c {c}")).collect();
        typed.push("fetch".to_string());
        typed.extend(options.iter().map(|o| o.to_string()));
        typed.push(remote.to_string());
        typed.extend(refspecs.iter().cloned());
        Ok(FetchOutcome {
            command: format!("git {}", typed.join(" ")),
            ok: output.status.success(),
            stderr: one_line(&String::from_utf8_lossy(&output.stderr)),
        })
    }

    /// The directory hooks are run from, honouring `core.hooksPath` and
    /// linked worktrees, as an absolute path or relative to [`Git::dir`].
    pub fn hooks_dir(&self) -> anyhow::Result<PathBuf> {
        let args = ["rev-parse", "--git-path", "hooks"];
        let command = self.command(args, Hooks::AsConfigured)?;
        let output = self.finish(command, None)?;
        let path = PathBuf::from(self.stdout_of(args, output)?);
        Ok(if path.is_absolute() {
            path
        } else {
            self.dir.join(path)
        })
    }
}

/// How a [`Git::fetch`] went.
#[derive(Clone, Debug)]
pub struct FetchOutcome {
    /// The command, as a person would run it (for messages).
    pub command: String,
    pub ok: bool,
    /// git's own message, on one line (it goes into a one-line error).
    pub stderr: String,
}

fn shown<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let shown: Vec<String> = args
        .into_iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect();
    shown.join(" ")
}

/// git's multi-line messages as one line.
fn one_line(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join(" ")
}

/// `git -C DIR` with the environment every command gets.
fn base_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(dir)
        // Never wait for a password prompt in CI or in a hook.
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    command
}
