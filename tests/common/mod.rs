//! Helpers for integration tests: real git repositories built with the `git`
//! CLI in temporary directories, and runs of the real binary.
#![allow(dead_code)]

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

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
        let mut cmd = Command::new("git");
        let now = self.clock.get();
        cmd.args(args)
            .current_dir(&self.path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", format!("@{now} +0000"))
            .env("GIT_COMMITTER_DATE", format!("@{now} +0000"))
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE");
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
    let mut cmd = Command::cargo_bin("vastleaks").expect("binary");
    cmd.arg("scan")
        .args(args)
        .args(["-f", "json", "--progress", "never"])
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("PRE_COMMIT");
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
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE");
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
    PathBuf::from(env!("CARGO_BIN_EXE_vastleaks"))
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
