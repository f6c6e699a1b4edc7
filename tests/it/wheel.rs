//! The `vastleaks-bin` wheel and the default pre-commit hook that installs it.
//!
//! The wheel is made by `scripts/package.py` (the release workflow's
//! packager) from the binary these tests built: nothing is compiled twice.
//! It is installed into a fresh venv, its `vastleaks` runs a scan, and the
//! `vastleaks` hook (language: python) is run by the real pre-commit
//! framework with pip pointed at the wheel instead of PyPI (PIP_NO_INDEX,
//! PIP_FIND_LINKS), so no test reaches the network.
//!
//! A missing python3 or pre-commit is a failure; VASTLEAKS_SKIP_PRE_COMMIT=1
//! skips only the pre-commit part, as in tests/pre_commit_framework.rs.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// The platform tag the release workflow gives the Linux x86_64 wheel
/// (a static musl binary runs on any Linux).
const PLATFORM: &str = "manylinux_2_17_x86_64.manylinux2014_x86_64.musllinux_1_1_x86_64";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds the wheel into `dir` and returns its path.
fn build_wheel(dir: &Path) -> PathBuf {
    let out = Command::new("python3")
        .arg(root().join("scripts/package.py"))
        .arg("--binary")
        .arg(bin())
        .args([
            "--target",
            "x86_64-unknown-linux-musl",
            "--no-archive",
            "--store",
        ])
        .args(["--wheel-platform", PLATFORM, "--out"])
        .arg(dir)
        .output()
        .expect("python3 runs (install Python 3)");
    ok(&out, "package.py");
    let wheel = dir.join(format!(
        "vastleaks_bin-{}-py3-none-{PLATFORM}.whl",
        env!("CARGO_PKG_VERSION")
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        wheel.display().to_string()
    );
    wheel
}

#[test]
fn wheel_installs_into_a_venv_and_scans() {
    let dir = tempfile::tempdir().unwrap();
    let wheels = dir.path().join("wheels");
    let wheel = build_wheel(&wheels);

    let venv = dir.path().join("venv");
    ok(
        &Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .unwrap(),
        "python3 -m venv",
    );
    let pip = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--no-index",
            "--disable-pip-version-check",
        ])
        .arg(&wheel)
        .output()
        .unwrap();
    ok(&pip, "pip install");

    let installed = venv.join("bin/vastleaks");
    let version = vastleaks_at(&installed).arg("-V").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("vastleaks {}", env!("CARGO_PKG_VERSION"))
    );
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("app.env"), key_line(0)).unwrap();
    let scan = vastleaks_at(&installed)
        .args(["scan", "--color", "never", "."])
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(scan.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&scan.stdout);
    assert!(stdout.contains(&redacted(&key(0))), "{stdout}");
    assert!(!stdout.contains(&key(0)));

    // pip knows what it installed and can remove it again.
    let show = Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "show", "-f", "vastleaks-bin"])
        .output()
        .unwrap();
    ok(&show, "pip show");
    assert!(String::from_utf8_lossy(&show.stdout).contains("bin/vastleaks"));
}

fn path_without_vastleaks() -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).filter(|d| !d.join("vastleaks").exists());
    std::env::join_paths(dirs.collect::<Vec<_>>()).unwrap()
}

/// The default hook id `vastleaks` installs through pip (the checkout's
/// pyproject.toml: a dependency on vastleaks-bin, nothing compiled) and
/// blocks a staged key.
#[test]
fn default_hook_installs_the_wheel_and_blocks_staged_keys() {
    if std::env::var_os("VASTLEAKS_SKIP_PRE_COMMIT").is_some_and(|v| v == "1") {
        eprintln!("VASTLEAKS_SKIP_PRE_COMMIT=1: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let wheels = dir.path().join("wheels");
    build_wheel(&wheels);
    let repo = init_repo(&dir.path().join("app"));
    commit_file(&repo, "README", "hello\n", "init");
    std::fs::write(repo.join("deploy.sh"), key_line(3)).unwrap();
    git(&repo, &["add", "deploy.sh"]);

    let mut pre_commit = Command::new("pre-commit");
    let out = clean_env(&mut pre_commit)
        .args(["try-repo"])
        .arg(root())
        .arg("vastleaks")
        .current_dir(&repo)
        .env("PRE_COMMIT_HOME", dir.path().join("pre-commit-home"))
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", &wheels)
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        // No other vastleaks on PATH: the hook must bring its own.
        .env("PATH", path_without_vastleaks())
        .output()
        .expect("`pre-commit` is on PATH (pip install pre-commit)");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // With no vastleaks on PATH, the report can only come from the wheel
    // installed in the hook's environment (else: "Executable not found").
    assert!(!out.status.success(), "a staged key must block: {output}");
    assert!(output.contains(&redacted(&key(3))), "{output}");
    assert!(!output.contains(&key(3)));
}
