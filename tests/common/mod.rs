//! Helpers shared by the integration tests: real repositories built with the
//! git CLI in temp dirs, and example keys assembled at runtime (their
//! fingerprints are in `.vastleaksignore`, so scanning this repository stays
//! clean).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Example keys from the brief, split so no full key appears in the source.
pub fn key(n: usize) -> String {
    const HALVES: [(&str, &str); 6] = [
        (
            "38392aa0acddf808be3f8bc7f74f6935",
            "1f1992ce2f3f3b4455da3295706fb7ad",
        ),
        (
            "0b96135e9524064d0e67f499198f921c",
            "fa0ed9ba2727856331050ce20ce0ca39",
        ),
        (
            "97a188ae6989333290979729e5149300",
            "96e84e5b529ab3caacf0091ae36d40c5",
        ),
        (
            "2edaa5fb5e0a4fedce950305f38d3453",
            "ddf1931687de519891a99c9ffa40449c",
        ),
        (
            "5f0bff8c88adad278b09ea7d902af591",
            "8868265f46db2b6c8fdff0cceaa69b0a",
        ),
        (
            "9df627288f7a41afa10de2b66e70d639",
            "3a1653c18f0ff168a3a2c6f3610af011",
        ),
    ];
    let (a, b) = HALVES[n];
    format!("{a}{b}")
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
