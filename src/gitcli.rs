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
//! neutralises those in one place ([`guard_overrides`]), while keeping the
//! runner's own global and system configuration (credential helpers,
//! `http.*`, `url.*.insteadOf`), which CI needs to fetch at all.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};

use anyhow::{bail, Context};

/// Protocols git may use. `file` for local mirrors (and tests), `https` and
/// `ssh` for how CI checkouts are cloned. Everything else is refused: `ext::`
/// and `fd::` run commands, remote helpers (`remote.*.vcs`, `foo::URL`) are
/// programs, and plain `git://`/`http://` are unauthenticated.
pub const ALLOWED_PROTOCOLS: [&str; 3] = ["file", "https", "ssh"];

/// Command-running keys that take one value, and what they fall back to
/// when only the repository set them (git's own default behaviour).
const SINGLE_VALUED: [(&str, &str); 3] = [
    ("core.sshcommand", "ssh"),
    // Empty: git skips it and (with GIT_TERMINAL_PROMPT=0) never prompts.
    ("core.askpass", ""),
    // Empty: git cannot start it and advertises no alternate refs.
    ("core.alternaterefscommand", ""),
];

/// A repository (or worktree) driven through `git -C DIR`.
#[derive(Clone, Debug)]
pub struct Git {
    dir: PathBuf,
    /// Built on first use: the `-c` overrides need the repository's config.
    guard: Arc<OnceLock<Result<Guard, String>>>,
}

/// What every command is run with so that the repository cannot make git
/// run a command of its choosing.
#[derive(Debug)]
struct Guard {
    /// An empty directory for `core.hooksPath`, removed when the last
    /// [`Git`] handle goes: no hook (the repository's or anyone's) runs.
    _hooks: tempfile::TempDir,
    /// `key=value` pairs passed as `-c key=value`.
    config: Vec<String>,
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
    /// running the repository's commands on top of [`guard_overrides`]:
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
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
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
    /// git's own message.
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

impl Guard {
    fn new(dir: &Path) -> anyhow::Result<Guard> {
        let hooks = tempfile::Builder::new()
            .prefix("vastleaks-no-hooks-")
            .tempdir()
            .context("cannot create an empty hooks directory in the temporary directory (set TMPDIR to a writable directory)")?;
        // Listing the configuration runs nothing; the hooks and fsmonitor
        // overrides are passed anyway so no git process ever goes without.
        let output = base_command(dir)
            .arg("-c")
            .arg("core.fsmonitor=false")
            .arg("-c")
            .arg(format!("core.hooksPath={}", hooks.path().display()))
            .args(["config", "--list", "--show-scope", "-z"])
            .output()
            .with_context(|| {
                format!(
                    "cannot run `git` in {}: is git installed and on PATH?",
                    dir.display()
                )
            })?;
        // Exit 1 with no output: no configuration at all.
        if !output.status.success() && !output.stderr.is_empty() {
            bail!(
                "`git config --list --show-scope` failed in {} (vastleaks needs git 2.26 or newer): {}",
                dir.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let config = guard_overrides(&output.stdout, hooks.path());
        Ok(Guard {
            _hooks: hooks,
            config,
        })
    }
}

/// Scopes whose settings the runner (not the scanned repository) controls.
fn trusted(scope: &str) -> bool {
    matches!(scope, "system" | "global" | "command")
}

/// The `-c key=value` overrides for a repository whose configuration is
/// `listing` (`git config --list --show-scope -z`: `scope NUL key LF value
/// NUL`, or `scope NUL key NUL` for a key without a value).
///
/// Always: no fsmonitor, hooks only from the empty `hooks` directory, only
/// [`ALLOWED_PROTOCOLS`] (a `protocol.X.allow` anywhere in the config beats
/// the general `protocol.allow`, so each one seen is overridden too).
/// Command-running keys set by the repository (`local`/`worktree` scopes,
/// `include`d files included) are replaced by the runner's value, or git's
/// default; credential helpers are rebuilt from the trusted scopes only (an
/// empty `credential.helper` empties git's list).
pub fn guard_overrides(listing: &[u8], hooks: &Path) -> Vec<String> {
    let mut out = vec![
        "core.fsmonitor=false".to_string(),
        format!("core.hooksPath={}", hooks.display()),
        "protocol.allow=never".to_string(),
    ];
    out.extend(
        ALLOWED_PROTOCOLS
            .iter()
            .map(|p| format!("protocol.{p}.allow=always")),
    );
    let mut refused_protocols: Vec<String> = Vec::new();
    let mut single: Vec<(&str, bool, Option<String>)> = SINGLE_VALUED
        .iter()
        .map(|(key, _)| (*key, false, None))
        .collect();
    let mut untrusted_helper = false;
    let mut trusted_helpers: Vec<String> = Vec::new();

    for entry in listing.split(|&b| b == 0).collect::<Vec<_>>().chunks(2) {
        let [scope, item] = entry else { continue };
        let scope = String::from_utf8_lossy(scope);
        let item = String::from_utf8_lossy(item);
        let (key, value) = match item.split_once('\n') {
            Some((key, value)) => (key.to_string(), value.to_string()),
            None => (item.to_string(), String::new()),
        };
        // Section and variable names are case-insensitive (git lowercases
        // them in the listing); subsections are not.
        let lower = key.to_ascii_lowercase();
        if let Some(name) = lower
            .strip_prefix("protocol.")
            .and_then(|rest| rest.strip_suffix(".allow"))
        {
            if !ALLOWED_PROTOCOLS.contains(&name) && !refused_protocols.iter().any(|p| p == name) {
                refused_protocols.push(name.to_string());
            }
            continue;
        }
        if let Some(slot) = single.iter_mut().find(|(k, _, _)| *k == lower) {
            if trusted(&scope) {
                slot.2 = Some(value);
            } else {
                slot.1 = true;
            }
            continue;
        }
        if lower.starts_with("credential.") && lower.ends_with(".helper") {
            if trusted(&scope) {
                trusted_helpers.push(format!("{key}={value}"));
            } else {
                untrusted_helper = true;
            }
        }
    }
    out.extend(
        refused_protocols
            .iter()
            .map(|p| format!("protocol.{p}.allow=never")),
    );
    for ((key, set_by_repo, runner_value), (_, default)) in single.iter().zip(SINGLE_VALUED) {
        if *set_by_repo {
            out.push(format!(
                "{key}={}",
                runner_value.as_deref().unwrap_or(default)
            ));
        }
    }
    if untrusted_helper {
        out.push("credential.helper=".to_string());
        out.extend(trusted_helpers);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(entries: &[(&str, &str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (scope, key, value) in entries {
            out.extend_from_slice(format!("{scope}\0{key}\n{value}\0").as_bytes());
        }
        out
    }

    #[test]
    fn repository_commands_are_replaced_by_the_runners_or_defaults() {
        let hooks = Path::new("/tmp/empty");
        let config = guard_overrides(
            &listing(&[
                ("global", "core.sshcommand", "ssh -i /runner/key"),
                ("local", "core.sshcommand", "touch /tmp/pwned"),
                ("local", "core.askpass", "/evil"),
                ("local", "protocol.ext.allow", "always"),
                ("global", "protocol.http.allow", "always"),
                ("local", "core.pager", "less"),
            ]),
            hooks,
        );
        for expected in [
            "core.fsmonitor=false",
            "core.hooksPath=/tmp/empty",
            "protocol.allow=never",
            "protocol.https.allow=always",
            "protocol.ext.allow=never",
            "protocol.http.allow=never",
            "core.sshcommand=ssh -i /runner/key",
            "core.askpass=",
        ] {
            assert!(
                config.iter().any(|c| c == expected),
                "{expected}: {config:?}"
            );
        }
        assert!(!config
            .iter()
            .any(|c| c.contains("pwned") || c.contains("less")));
        // Nothing to override when only the runner sets a key.
        let config = guard_overrides(&listing(&[("system", "core.sshcommand", "ssh -v")]), hooks);
        assert!(!config.iter().any(|c| c.starts_with("core.sshcommand")));
    }

    /// Real git resolves the rebuilt helper list: the runner's helpers run,
    /// the repository's (from its config or an included file) never do.
    #[test]
    fn credential_helpers_come_only_from_the_runner() {
        let dir = tempfile::tempdir().unwrap();
        let marker = |name: &str| dir.path().join(name);
        let helper =
            |name: &str| format!("!f() {{ echo ran >> '{}'; }}; f", marker(name).display());
        let global = dir.path().join("global.cfg");
        std::fs::write(
            &global,
            format!("[credential]\n\thelper = \"{}\"\n", helper("global")),
        )
        .unwrap();
        let repo = dir.path().join("repo");
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_GLOBAL", &global)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_TERMINAL_PROMPT", "0")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {out:?}");
        };
        git(&["init", "-q", repo.to_str().unwrap()]);
        let included = dir.path().join("included.cfg");
        std::fs::write(
            &included,
            format!(
                "[credential \"https://example.com\"]\n\thelper = \"{}\"\n",
                helper("included")
            ),
        )
        .unwrap();
        let repo_arg = repo.to_str().unwrap();
        git(&[
            "-C",
            repo_arg,
            "config",
            "credential.helper",
            &helper("local"),
        ]);
        git(&[
            "-C",
            repo_arg,
            "config",
            "include.path",
            included.to_str().unwrap(),
        ]);

        let listing = Command::new("git")
            .args(["-C", repo_arg, "config", "--list", "--show-scope", "-z"])
            .env("GIT_CONFIG_GLOBAL", &global)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap()
            .stdout;
        let mut fill = Command::new("git");
        fill.args(["-C", repo_arg]);
        for pair in guard_overrides(&listing, dir.path()) {
            fill.arg("-c").arg(pair);
        }
        let mut child = fill
            .args(["credential", "fill"])
            .env("GIT_CONFIG_GLOBAL", &global)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"protocol=https\nhost=example.com\n\n")
            .unwrap();
        child.wait().unwrap();
        assert!(
            marker("global").exists(),
            "the runner's helper must still run"
        );
        assert!(!marker("local").exists(), "the repository's helper ran");
        assert!(!marker("included").exists(), "an included helper ran");
    }
}
