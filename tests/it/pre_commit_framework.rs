//! The hooks in `.pre-commit-hooks.yaml`, run by the real pre-commit
//! framework (`pip install pre-commit`; `.ci/run` installs it).
//!
//! The `vastleaks-system` hook is used: it runs the binary cargo built for
//! these tests (put first on PATH). The `vastleaks-cargo` hook (`language:
//! rust`) runs the same entry after building the crate with `cargo install`
//! inside pre-commit, a release build of several minutes, so it is not part
//! of the test suite; the default `vastleaks` hook (the binary wheel) is run
//! by tests/wheel.rs.
//!
//! Set VASTLEAKS_SKIP_PRE_COMMIT=1 to skip these tests on a machine without
//! pre-commit; otherwise a missing pre-commit is a failure, not a pass.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

const HOOK: &str = "vastleaks-system";

/// False when the tests are explicitly skipped; panics if pre-commit is missing.
fn pre_commit_available() -> bool {
    if std::env::var_os("VASTLEAKS_SKIP_PRE_COMMIT").is_some_and(|v| v == "1") {
        eprintln!("VASTLEAKS_SKIP_PRE_COMMIT=1: pre-commit framework tests skipped");
        return false;
    }
    let found = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`pre-commit` is not on PATH: install it (pip install pre-commit) or set VASTLEAKS_SKIP_PRE_COMMIT=1"
    );
    true
}

/// Environment shared by git and pre-commit: a clean environment
/// (`clean_env`: isolated config, no GIT_DIR, PRE_COMMIT or VAST_URL from
/// outside), a private pre-commit cache, the built binary first on PATH.
fn isolate(cmd: &mut Command, home: &Path) {
    clean_env(cmd)
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("PRE_COMMIT_HOME", home.join("pre-commit-home"))
        .env("PATH", path_with_bin());
}

fn run(cmd: &mut Command) -> (bool, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("command runs");
    (
        status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&stdout),
            String::from_utf8_lossy(&stderr)
        ),
    )
}

fn git_in(repo: &Path, home: &Path, args: &[&str]) -> (bool, String) {
    let mut cmd = git_command(repo);
    cmd.args(args);
    isolate(&mut cmd, home);
    run(&mut cmd)
}

fn pre_commit(repo: &Path, home: &Path, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new("pre-commit");
    cmd.current_dir(repo).args(args);
    isolate(&mut cmd, home);
    run(&mut cmd)
}

/// A repository holding this checkout's `.pre-commit-hooks.yaml`, committed,
/// so a config can pin it by `rev` like any hook repository.
fn hooks_repo(dir: &Path) -> (PathBuf, String) {
    let repo = init_repo(&dir.join("hooks"));
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .expect(".pre-commit-hooks.yaml exists");
    let rev = commit_file(&repo, ".pre-commit-hooks.yaml", &hooks, "hooks");
    (repo, rev)
}

fn assert_blocked_with_redacted_key(ok: bool, output: &str, key_index: usize) {
    let key = key(key_index);
    assert!(!ok, "a staged key must block the commit: {output}");
    assert!(output.contains(&redacted(&key)), "{output}");
    assert!(!output.contains(&key), "the full key must not be printed");
    assert!(
        output.contains("vastleaks:allow") && output.contains(".vastleaksignore"),
        "the message says how to allow a finding: {output}"
    );
}

#[test]
fn installed_framework_hook_blocks_staged_keys_only() {
    if !pre_commit_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let (hooks, rev) = hooks_repo(dir.path());
    let repo = init_repo(&dir.path().join("app"));
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {HOOK}\n",
        hooks.display()
    );
    commit_file(&repo, ".pre-commit-config.yaml", &config, "config");
    let (ok, output) = pre_commit(&repo, home, &["install"]);
    assert!(ok, "pre-commit install: {output}");

    // 1. A staged key: the commit is blocked.
    std::fs::write(repo.join("app.env"), key_line(1)).unwrap();
    git_in(&repo, home, &["add", "app.env"]);
    let (ok, output) = git_in(&repo, home, &["commit", "-m", "leak"]);
    assert_blocked_with_redacted_key(ok, &output, 1);
    // The skip advice names the hook id in use, through the real framework.
    assert!(
        output.contains(&format!("SKIP={HOOK} git commit")),
        "{output}"
    );

    // 2. A clean file: the commit passes.
    git_in(&repo, home, &["rm", "-q", "--cached", "app.env"]);
    std::fs::remove_file(repo.join("app.env")).unwrap();
    std::fs::write(repo.join("clean.txt"), "nothing to see\n").unwrap();
    git_in(&repo, home, &["add", "clean.txt"]);
    let (ok, output) = git_in(&repo, home, &["commit", "-m", "clean"]);
    assert!(ok, "a clean commit passes: {output}");

    // 3. A key edited into a tracked file but not staged, next to a clean
    //    staged change: only staged content counts, the commit passes and
    //    the unstaged edit is still in the working tree afterwards.
    std::fs::write(repo.join("clean.txt"), format!("nothing\n{}", key_line(2))).unwrap();
    std::fs::write(repo.join("other.txt"), "fine\n").unwrap();
    git_in(&repo, home, &["add", "other.txt"]);
    let (ok, output) = git_in(&repo, home, &["commit", "-m", "clean next to unstaged key"]);
    assert!(ok, "an unstaged key does not block: {output}");
    let kept = std::fs::read_to_string(repo.join("clean.txt")).unwrap();
    assert!(
        kept.contains(&key(2)),
        "pre-commit restores the unstaged edit"
    );
}

#[test]
fn try_repo_against_this_checkout() {
    if !pre_commit_available() {
        return;
    }
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let repo = init_repo(&dir.path().join("app"));
    commit_file(&repo, "README", "hello\n", "init");

    std::fs::write(repo.join("deploy.sh"), key_line(3)).unwrap();
    git_in(&repo, home, &["add", "deploy.sh"]);
    let checkout_arg = checkout.to_str().expect("UTF-8 checkout path");
    let (ok, output) = pre_commit(&repo, home, &["try-repo", checkout_arg, HOOK]);
    assert_blocked_with_redacted_key(ok, &output, 3);

    std::fs::write(repo.join("deploy.sh"), "echo deploy\n").unwrap();
    git_in(&repo, home, &["add", "deploy.sh"]);
    let (ok, output) = pre_commit(&repo, home, &["try-repo", checkout_arg, HOOK]);
    assert!(ok, "clean staged content passes: {output}");
}

/// Every hook runs the same staged scan, once per commit; only the way the
/// binary is provided differs. (Parsed by hand: a flat list of maps.)
#[test]
fn hooks_file_declares_both_hooks() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let mut hooks: Vec<std::collections::BTreeMap<String, String>> = Vec::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let Some((key, value)) = line.trim_start_matches("- ").trim().split_once(": ") else {
            continue;
        };
        if line.starts_with("- ") {
            hooks.push(Default::default());
        }
        if let Some(hook) = hooks.last_mut() {
            hook.insert(key.to_string(), value.trim_matches('"').to_string());
        }
    }
    let field = |id: &str, key: &str| -> String {
        hooks
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("no hook {id}"))
            .get(key)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(hooks.len(), 5);
    for (id, language) in [
        ("vastleaks", "python"),
        ("vastleaks-cargo", "rust"),
        (HOOK, "system"),
        ("vastleaks-docker", "docker_image"),
    ] {
        assert_eq!(field(id, "language"), language);
        let entry = field(id, "entry");
        // Each hook names its own id, for the `SKIP=ID` advice.
        let tail = format!("scan --staged --hook-id {id}");
        if language == "docker_image" {
            // The image of this version, whose entrypoint is vastleaks.
            let version = format!(":{} {tail}", env!("CARGO_PKG_VERSION"));
            assert!(entry.ends_with(&version), "{entry}");
        } else {
            assert_eq!(entry, format!("vastleaks {tail}"));
        }
        assert_eq!(field(id, "pass_filenames"), "false");
        assert_eq!(field(id, "stages"), "[pre-commit]");
    }
    assert_eq!(
        field("vastleaks-files", "entry"),
        "vastleaks scan --files --hook-id vastleaks-files"
    );
    assert_eq!(field("vastleaks-files", "pass_filenames"), "true");
}

/// `pre-commit run --all-files` stages nothing: the staged hook must say it
/// checked nothing, the files hook must find the committed key, and
/// `--from-ref/--to-ref` must scan that range.
#[test]
fn all_files_and_ref_ranges_are_no_false_green() {
    if !pre_commit_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let (hooks, rev) = hooks_repo(dir.path());
    let repo = init_repo(&dir.path().join("app"));
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {HOOK}\n        verbose: true\n      - id: vastleaks-files\n",
        hooks.display()
    );
    let base = commit_file(&repo, ".pre-commit-config.yaml", &config, "config");
    commit_file(
        &repo,
        "deploy/app.env",
        &key_line(4),
        "a key committed without the hook",
    );

    let (ok, output) = pre_commit(&repo, home, &["run", "--all-files"]);
    assert!(!ok, "the files hook finds the committed key: {output}");
    assert!(output.contains(&redacted(&key(4))), "{output}");
    assert!(
        output.contains("nothing was checked"),
        "the staged hook says so: {output}"
    );

    let (ok, output) = pre_commit(
        &repo,
        home,
        &["run", HOOK, "--from-ref", &base, "--to-ref", "HEAD"],
    );
    assert!(!ok, "the range holds the key: {output}");
    assert!(output.contains(&redacted(&key(4))), "{output}");
}
