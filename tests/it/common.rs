//! Helpers for integration tests: real git repositories built with the `git`
//! CLI in temporary directories, and runs of the real binary.
#![allow(dead_code)]

use std::cell::Cell;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

// The one place that runs vastleaks and git for the tests. Every run of the
// binary goes through `vastleaks_at` (`vastleaks()`, `vastleaks_command()`,
// `vastleaks_on_terminal()`), every git run through `git_command`: a test
// must scan the same way in a terminal, in CI, behind a proxy and inside a
// pre-commit hook (where git sets GIT_DIR and GIT_INDEX_FILE and pre-commit
// sets PRE_COMMIT=1, which turns a plain scan into `--staged`).
// `builder_rule` below fails if another file names the binary.

/// Environment variables removed from every command the tests run (exact
/// names; the proxy variables in any case).
const CLEARED: &[&str] = &[
    // Colour and terminal: `--color auto` honours NO_COLOR; termcolor and
    // indicatif look at TERM on a terminal (the `script` tests); clap wraps
    // help at COLUMNS.
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "TERM",
    "COLUMNS",
    "LINES",
    // CI detection.
    "CI",
    // Proxies (reqwest reads them; a proxy would take the requests meant
    // for the fake API on 127.0.0.1).
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    // The global gitignore the work-tree walk reads (see `vastleaks_at`).
    "XDG_CONFIG_HOME",
];

/// Prefixes of removed variables: all of git's (GIT_DIR, GIT_INDEX_FILE,
/// GIT_CONFIG_*, GIT_WORK_TREE, ...), GitHub Actions' (`ci github` reads
/// GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
/// GITHUB_WORKSPACE, GITHUB_ACTIONS, RUNNER_TEMP), pre-commit's (PRE_COMMIT,
/// PRE_COMMIT_FROM_REF, PRE_COMMIT_TO_REF), VAST_URL and VAST_API_KEY, and
/// vastleaks' own (VASTLEAKS_TIMINGS).
const CLEARED_PREFIXES: &[&str] = &[
    "GIT_",
    "GITHUB_",
    "RUNNER_",
    "PRE_COMMIT",
    "VAST_",
    "VASTLEAKS_",
];

/// Whether [`clean_env`] removes the variable `name`.
pub fn is_cleared(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    CLEARED.iter().any(|cleared| {
        *cleared == name || (cleared.ends_with("_PROXY") && cleared.eq_ignore_ascii_case(name))
    }) || CLEARED_PREFIXES
        .iter()
        .any(|prefix| name.starts_with(prefix))
}

/// Removes from `cmd`'s environment every variable of this process that
/// changes what vastleaks, git or a hook does ([`is_cleared`]), and keeps
/// git away from the user's and the system's configuration. Variables a test
/// sets on `cmd` afterwards are kept.
pub fn clean_env(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if is_cleared(&name) {
            cmd.env_remove(&name);
        }
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
}

/// The vastleaks binary cargo built for these tests.
pub fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_vastleaks"))
}

/// An empty directory for HOME: the work-tree walk reads the global
/// gitignore from $HOME/.gitconfig and $HOME/.config/git/ignore whatever
/// GIT_CONFIG_GLOBAL says.
fn empty_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("empty-home");
        std::fs::create_dir_all(&home).expect("create the empty HOME");
        home
    })
}

/// A command that runs the vastleaks executable `program` (the built one, or
/// a copy a test installed) with a clean environment ([`clean_env`]) and an
/// empty HOME.
pub fn vastleaks_at(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    clean_env(&mut cmd).env("HOME", empty_home());
    cmd
}

/// The built binary with a clean environment (for `std::process` use).
pub fn vastleaks_command() -> Command {
    vastleaks_at(bin())
}

/// The built binary with a clean environment (for assert_cmd use).
pub fn vastleaks() -> assert_cmd::Command {
    assert_cmd::Command::from_std(vastleaks_command())
}

/// `vastleaks ARGS` on a pseudo-terminal: util-linux `script` runs it (the
/// screen is `script`'s stdout, the keyboard its stdin), with the same clean
/// environment as [`vastleaks_at`].
pub fn vastleaks_on_terminal(args: &[&OsStr]) -> Command {
    let mut line = shell_quote(bin().as_os_str());
    for arg in args {
        line.push(' ');
        line.push_str(&shell_quote(arg));
    }
    let mut cmd = Command::new("script");
    cmd.arg("-qec").arg(line).arg("/dev/null");
    clean_env(&mut cmd).env("HOME", empty_home());
    cmd
}

fn shell_quote(arg: &OsStr) -> String {
    let arg = arg.to_str().expect("a UTF-8 argument");
    format!("'{}'", arg.replace('\'', "'\\''"))
}

/// `git` in `dir` with a clean environment ([`clean_env`]): no GIT_DIR or
/// GIT_INDEX_FILE from a hook that runs the tests, no user or system
/// configuration.
pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir);
    clean_env(&mut cmd);
    cmd
}

/// The example keys from the brief (random values; their fingerprints are in
/// the repository's `.vastleaksignore`).
pub const KEYS: [&str; 6] = [
    "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad",
    "0b96135e9524064d0e67f499198f921cfa0ed9ba2727856331050ce20ce0ca39",
    "97a188ae6989333290979729e514930096e84e5b529ab3caacf0091ae36d40c5",
    "2edaa5fb5e0a4fedce950305f38d3453ddf1931687de519891a99c9ffa40449c",
    "5f0bff8c88adad278b09ea7d902af5918868265f46db2b6c8fdff0cceaa69b0a",
    "9df627288f7a41afa10de2b66e70d6393a1653c18f0ff168a3a2c6f3610af011",
];

/// A line that the env-assignment rule flags.
pub fn env_line(key: &str) -> String {
    format!("VAST_API_KEY={key}\n")
}

/// A git repository in a temporary directory, isolated from the user's and
/// the system's git configuration, with a clock that advances one minute per
/// commit so "first" is well defined.
pub struct Repo {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    clock: Cell<i64>,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).expect("mkdir");
        let repo = Repo {
            _dir: dir,
            path,
            clock: Cell::new(1_700_000_000),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.configure();
        repo
    }

    /// A repository at `path` that already exists (a clone).
    pub fn at(path: PathBuf, dir: tempfile::TempDir) -> Repo {
        let repo = Repo {
            _dir: dir,
            path,
            clock: Cell::new(1_800_000_000),
        };
        repo.configure();
        repo
    }

    fn configure(&self) {
        for (key, value) in [
            ("user.name", "Test Author"),
            ("user.email", "author@example.com"),
            ("commit.gpgsign", "false"),
            ("tag.gpgsign", "false"),
            ("gc.auto", "0"),
            ("maintenance.auto", "false"),
        ] {
            self.git(&["config", key, value]);
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = git_command(&self.path);
        let now = self.clock.get();
        cmd.args(args)
            .env("GIT_AUTHOR_DATE", format!("@{now} +0000"))
            .env("GIT_COMMITTER_DATE", format!("@{now} +0000"));
        cmd
    }

    /// Runs git and returns its trimmed standard output; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        let out = self.command(args).output().expect("run git");
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs git and returns whether it succeeded (for expected conflicts).
    pub fn git_status(&self, args: &[&str]) -> bool {
        self.command(args)
            .output()
            .expect("run git")
            .status
            .success()
    }

    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
    }

    /// Stages everything and commits; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.clock.set(self.clock.get() + 60);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Advances the clock (for commands that create commits, like stash).
    pub fn tick(&self) {
        self.clock.set(self.clock.get() + 60);
    }

    pub fn git_dir(&self) -> PathBuf {
        self.path.join(".git")
    }

    /// Path of the loose object file for `id` under `git_dir`.
    pub fn loose_object(git_dir: &Path, id: &str) -> PathBuf {
        git_dir.join("objects").join(&id[..2]).join(&id[2..])
    }
}

/// The outcome of one vastleaks run.
pub struct Run {
    pub code: i32,
    pub json: Value,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn findings(&self) -> Vec<Value> {
        self.json["findings"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Findings of the key with this (full) value: matched by fingerprint
    /// through the redacted form, which is all the report shows.
    pub fn findings_of(&self, key: &str) -> Vec<Value> {
        let redacted = format!("{}...{}", &key[..4], &key[key.len() - 4..]);
        self.findings()
            .into_iter()
            .filter(|f| f["secret"] == Value::String(redacted.clone()))
            .collect()
    }

    /// The only finding of `key`; panics (with the report) if not exactly one.
    pub fn one(&self, key: &str) -> Value {
        let found = self.findings_of(key);
        assert_eq!(
            found.len(),
            1,
            "expected exactly one finding of {}..., report:\n{}\nstderr:\n{}",
            &key[..4],
            self.stdout,
            self.stderr
        );
        found[0].clone()
    }

    pub fn problems(&self) -> Vec<Value> {
        self.json["problems"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn notes(&self) -> Vec<String> {
        self.json["summary"]["notes"]
            .as_array()
            .map(|n| {
                n.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Runs `vastleaks scan ARGS -f json` in `dir`.
pub fn scan(dir: &Path, args: &[&str]) -> Run {
    scan_env(dir, args, &[])
}

pub fn scan_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = vastleaks_command();
    cmd.arg("scan")
        .args(args)
        .args(["-f", "json", "--progress", "never"])
        .current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run vastleaks");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Run {
        code: out.status.code().unwrap_or(-1),
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// Helpers used by the CI tests (install-hook, pre-commit, ci github).

/// Example key number `n` (see [`KEYS`]).
pub fn key(n: usize) -> String {
    KEYS[n].to_string()
}

/// The redacted form reports print.
pub fn redacted(key: &str) -> String {
    format!("{}...{}", &key[..4], &key[key.len() - 4..])
}

/// A line the rules match with high confidence.
pub fn key_line(n: usize) -> String {
    format!("VAST_API_KEY={}\n", key(n))
}

/// A `git` command isolated from the user's configuration.
pub fn git_cmd(dir: &Path) -> Command {
    let mut cmd = git_command(dir);
    cmd.env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com");
    cmd
}

/// Runs git and returns trimmed stdout; panics with git's stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_cmd(dir).args(args).output().expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A fresh repository on branch `main`.
pub fn init_repo(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    dir.to_path_buf()
}

/// Writes `path` (creating directories) and commits everything; returns the commit id.
pub fn commit_file(repo: &Path, path: &str, contents: &str, message: &str) -> String {
    let file = repo.join(path);
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&file, contents).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

/// The directory holding the built `vastleaks` binary (for PATH).
pub fn bin_dir() -> PathBuf {
    bin()
        .parent()
        .expect("binary has a parent directory")
        .to_path_buf()
}

/// PATH with the built binary first.
pub fn path_with_bin() -> std::ffi::OsString {
    let mut paths = vec![bin_dir()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).expect("PATH is joinable")
}
