//! `vastleaks install-hook` against real repositories: the hook is written
//! where git runs it, chains an existing hook instead of overwriting it, is
//! idempotent, and really blocks a commit that stages a key.

use crate::common;

use std::path::Path;

use common::*;

fn install(repo: &Path) -> assert_cmd::assert::Assert {
    vastleaks().current_dir(repo).arg("install-hook").assert()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `git commit` with the built binary on PATH; returns (success, stderr).
fn try_commit(repo: &Path, message: &str) -> (bool, String) {
    let output = git_cmd(repo)
        .env("PATH", path_with_bin())
        .args(["commit", "-q", "-m", message])
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn installs_once_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(dir.path());
    install(&repo)
        .success()
        .stdout(predicates::str::contains("installed the pre-commit hook"));
    let hook = repo.join(".git/hooks/pre-commit");
    let first = read(&hook);
    assert!(first.starts_with("#!/bin/sh\n"));
    assert!(first.contains("exec \"$vastleaks\" scan --staged"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&hook).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "hook must be executable");
    }
    install(&repo)
        .success()
        .stdout(predicates::str::contains("is up to date"));
    assert_eq!(read(&hook), first);
    assert!(!repo.join(".git/hooks/pre-commit.local").exists());
}

#[test]
fn existing_hook_is_chained_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(dir.path());
    let hooks = repo.join(".git/hooks");
    let foreign = "#!/bin/sh\necho foreign >> foreign-ran.log\nexit \"${FOREIGN_EXIT:-0}\"\n";
    std::fs::write(hooks.join("pre-commit"), foreign).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            hooks.join("pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    install(&repo)
        .success()
        .stdout(predicates::str::contains("pre-commit.local"));
    assert_eq!(read(&hooks.join("pre-commit.local")), foreign);
    // Reinstalling must not chain our hook to itself.
    install(&repo).success();
    assert_eq!(read(&hooks.join("pre-commit.local")), foreign);

    // The foreign hook runs first and can still block the commit.
    std::fs::write(repo.join("clean.txt"), "hello\n").unwrap();
    git(&repo, &["add", "clean.txt"]);
    let output = git_cmd(&repo)
        .env("PATH", path_with_bin())
        .env("FOREIGN_EXIT", "3")
        .args(["commit", "-q", "-m", "blocked by foreign"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(read(&repo.join("foreign-ran.log")), "foreign\n");

    // Both pass: the commit goes through and the foreign hook ran again.
    let (ok, stderr) = try_commit(&repo, "clean");
    assert!(ok, "clean commit must pass: {stderr}");
    assert_eq!(read(&repo.join("foreign-ran.log")), "foreign\nforeign\n");
}

#[test]
fn refuses_when_both_hook_and_local_exist() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(dir.path());
    let hooks = repo.join(".git/hooks");
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::write(hooks.join("pre-commit.local"), "#!/bin/sh\nexit 1\n").unwrap();
    install(&repo)
        .code(2)
        .stderr(predicates::str::contains("refusing to overwrite"));
    assert_eq!(read(&hooks.join("pre-commit")), "#!/bin/sh\nexit 0\n");
    assert_eq!(read(&hooks.join("pre-commit.local")), "#!/bin/sh\nexit 1\n");
}

#[test]
fn respects_core_hooks_path() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(dir.path());
    git(&repo, &["config", "core.hooksPath", ".githooks"]);
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    install(&repo.join("sub")).success();
    assert!(read(&repo.join(".githooks/pre-commit")).contains("scan --staged"));
    assert!(!repo.join(".git/hooks/pre-commit").exists());
}

#[test]
fn not_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    install(dir.path())
        .code(2)
        .stderr(predicates::str::contains("not inside a git working tree"));
}

#[test]
fn hook_blocks_a_staged_key_and_ignores_unstaged_edits() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(dir.path());
    commit_file(&repo, "README", "hello\n", "init");
    install(&repo).success();

    std::fs::write(repo.join("app.env"), key_line(0)).unwrap();
    git(&repo, &["add", "app.env"]);
    let (ok, stderr) = try_commit(&repo, "leak");
    assert!(!ok, "a staged key must block the commit");
    let output = git_cmd(&repo)
        .env("PATH", path_with_bin())
        .args(["commit", "-q", "-m", "leak"])
        .output()
        .unwrap();
    let all = format!("{stderr}{}", String::from_utf8_lossy(&output.stdout));
    assert!(all.contains(&redacted(&key(0))), "{all}");
    assert!(!all.contains(&key(0)), "the full key must not be printed");

    // Unstage the key; a clean staged change next to an unstaged key passes.
    git(&repo, &["reset", "-q", "app.env"]);
    std::fs::write(repo.join("README"), "hello again\n").unwrap();
    git(&repo, &["add", "README"]);
    let (ok, stderr) = try_commit(&repo, "clean");
    assert!(ok, "only staged content counts: {stderr}");
}

/// `git commit -a` stages through a temporary index (GIT_INDEX_FILE): the
/// hook must scan that, not the index on disk before the commit.
#[test]
fn hook_sees_what_commit_all_stages() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(dir.path());
    commit_file(&repo, "settings.env", "DEBUG=1\n", "init");
    install(&repo).success();
    std::fs::write(
        repo.join("settings.env"),
        format!("DEBUG=1\n{}", key_line(4)),
    )
    .unwrap();
    let output = git_cmd(&repo)
        .env("PATH", path_with_bin())
        .args(["commit", "-q", "-a", "-m", "leak via -a"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "commit -a with a key must be blocked"
    );
    assert!(stderr.contains(&redacted(&key(4))), "{stderr}");

    // `git commit PATH` (only that path, another temporary index).
    std::fs::write(repo.join("other.txt"), "x\n").unwrap();
    git(&repo, &["add", "other.txt"]);
    git(&repo, &["commit", "-q", "--no-verify", "-m", "other"]);
    std::fs::write(repo.join("other.txt"), "y\n").unwrap();
    let output = git_cmd(&repo)
        .env("PATH", path_with_bin())
        .args(["commit", "-q", "-m", "only settings", "settings.env"])
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "commit PATH with a key must be blocked"
    );
}
