//! The command builders in `common` are the only way the tests run
//! vastleaks and git, and they make a run independent of the environment
//! the suite was started from (a pre-commit hook, a CI runner, a shell with
//! a proxy or NO_COLOR set).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::common::{self, env_line, scan, Repo, KEYS};
use crate::fake_vast::FakeVast;

/// What a pre-commit hook, GitHub Actions and a proxied shell put in the
/// environment; every one of them changes what some test scans or sees.
const HOSTILE: &[(&str, &str)] = &[
    // pre-commit: a plain `scan` becomes `scan --staged` (or a ref range).
    ("PRE_COMMIT", "1"),
    ("PRE_COMMIT_FROM_REF", "HEAD"),
    ("PRE_COMMIT_TO_REF", "HEAD"),
    // git, inside a hook: another repository and index.
    ("GIT_DIR", "/dev/null/nothing"),
    ("GIT_INDEX_FILE", "/dev/null/index"),
    ("GIT_WORK_TREE", "/dev/null/nothing"),
    ("GIT_CONFIG_PARAMETERS", "'core.bare'='true'"),
    // The API and the way to it.
    ("VAST_URL", "http://127.0.0.1:9"),
    (
        "VAST_API_KEY",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ),
    ("HTTP_PROXY", "http://127.0.0.1:9"),
    ("HTTPS_PROXY", "http://127.0.0.1:9"),
    ("ALL_PROXY", "http://127.0.0.1:9"),
    ("http_proxy", "http://127.0.0.1:9"),
    ("https_proxy", "http://127.0.0.1:9"),
    ("all_proxy", "http://127.0.0.1:9"),
    ("NO_PROXY", "example.com"),
    // CI and the terminal.
    ("CI", "true"),
    ("GITHUB_ACTIONS", "true"),
    ("GITHUB_EVENT_NAME", "push"),
    ("GITHUB_OUTPUT", "/dev/null/output"),
    ("GITHUB_STEP_SUMMARY", "/dev/null/summary"),
    ("RUNNER_TEMP", "/dev/null/nothing"),
    ("NO_COLOR", "1"),
    ("CLICOLOR_FORCE", "1"),
    ("TERM", "xterm-256color"),
    ("COLUMNS", "20"),
    ("XDG_CONFIG_HOME", "/dev/null/nothing"),
    ("VASTLEAKS_TIMINGS", "1"),
];

/// The variables a vastleaks run receives: `env` started by the same
/// builder (`vastleaks_at` takes any program).
fn environment_of_a_run() -> Vec<(String, String)> {
    let out = common::vastleaks_at("env").output().expect("env runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Scans and environment checks whose results are known; run once in the
/// suite's own environment and once (below) in a child test process with
/// every HOSTILE variable set, they must pass both times.
#[test]
fn runs_see_a_clean_environment() {
    let env = environment_of_a_run();
    for (name, value) in &env {
        let hostile = HOSTILE.iter().any(|(h, _)| h == name);
        let ours = ["GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL", "HOME"].contains(&name.as_str());
        assert!(
            ours || !hostile,
            "{name}={value} reaches vastleaks through the builder"
        );
    }
    let get = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    assert_eq!(get("GIT_CONFIG_NOSYSTEM"), Some("1"));
    assert_eq!(get("GIT_CONFIG_GLOBAL"), Some("/dev/null"));
    let home = PathBuf::from(get("HOME").expect("HOME is set"));
    assert_eq!(
        std::fs::read_dir(&home).expect("HOME exists").count(),
        0,
        "HOME is empty"
    );
    assert!(get("PATH").is_some(), "PATH is kept");

    let repo = Repo::new();
    repo.write("app.env", &env_line(KEYS[0]));
    repo.commit("a key in history");
    repo.write("staged.env", &env_line(KEYS[1]));
    repo.git(&["add", "staged.env"]);
    repo.write("notes.txt", &env_line(KEYS[2]));

    // A file argument scans that file (PRE_COMMIT=1 would scan the index).
    let run = scan(&repo.path, &["notes.txt"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings().len(), 1, "{}", run.stdout);
    assert_eq!(run.one(KEYS[2])["path"], "notes.txt");
    assert_eq!(run.json["summary"]["mode"], "files", "{}", run.stdout);

    // The full audit reads this repository (GIT_DIR would name another).
    let run = scan(&repo.path, &["--git"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.problems().is_empty(), "{:?}", run.problems());
    assert_eq!(run.one(KEYS[0])["path"], "app.env");
    assert_eq!(run.one(KEYS[1])["path"], "staged.env");
    assert!(run.findings_of(KEYS[2]).is_empty());

    // Verification reaches the fake API on 127.0.0.1 (vastleaks itself
    // bypasses proxies for loopback; that no proxy variable reaches a run at
    // all is checked above, and matters for https URLs: verify_api sets one).
    let api = FakeVast::start();
    let live = api.add_live("builder", 7, 1);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("live.env"), env_line(&live)).unwrap();
    let run = scan(
        dir.path(),
        &["--verify", "--verify-retries", "0", "--api-url", &api.url],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.one(&live)["verification"]["status"],
        "live",
        "{}",
        run.stdout
    );

    // Help is wrapped at the default width, not at COLUMNS.
    let help = common::vastleaks().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains(
            "Finds, verifies and revokes leaked Vast.ai API keys in files and git history."
        ),
        "{help}"
    );
}

/// The test above, in a child process of this test binary whose own
/// environment holds every HOSTILE variable.
#[test]
fn a_hostile_environment_changes_nothing() {
    let name = "builder::runs_see_a_clean_environment";
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child.args([name, "--exact", "--nocapture", "--test-threads", "1"]);
    for (key, value) in HOSTILE {
        child.env(key, value);
    }
    let out = child.output().expect("the test binary runs");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{output}");
    assert!(
        output.contains("1 passed"),
        "the child ran no test: {output}"
    );
}

#[test]
fn cleared_names() {
    for name in [
        "PRE_COMMIT",
        "PRE_COMMIT_FROM_REF",
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_CONFIG_COUNT",
        "VAST_URL",
        "VAST_API_KEY",
        "HTTPS_PROXY",
        "https_proxy",
        "Https_Proxy",
        "no_proxy",
        "NO_COLOR",
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_WORKSPACE",
        "RUNNER_TEMP",
        "TERM",
        "COLUMNS",
    ] {
        assert!(common::is_cleared(OsStr::new(name)), "{name}");
    }
    for name in [
        "PATH", "HOME", "TMPDIR", "LANG", "CIRCLE", "TERMINAL", "no_color",
    ] {
        assert!(!common::is_cleared(OsStr::new(name)), "{name}");
    }
}

/// Every `.rs` file under `dir`, recursively.
fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension() == Some(OsStr::new("rs")) {
            found.push(path);
        }
    }
}

/// No test runs the binary or git around the builders, and no test file sits
/// outside the one test binary (a `tests/*.rs` file would be its own binary,
/// free to build its commands another way).
#[test]
fn builder_rule() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files = Vec::new();
    sources(&tests, &mut files);
    let it = tests.join("it");
    let strays: Vec<_> = files.iter().filter(|f| !f.starts_with(&it)).collect();
    assert!(
        strays.is_empty(),
        "integration tests belong in tests/it/ (one module each, listed in tests/it/main.rs): {strays:?}"
    );
    // Spelled in pieces so this file does not match itself.
    let needles = [
        concat!("cargo", "_bin("),
        concat!("CARGO_BIN", "_EXE"),
        concat!("Command::new(", "\"git\")"),
    ];
    let mut offenders: Vec<String> = Vec::new();
    for file in &files {
        if file.ends_with("it/common.rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if needles.iter().any(|n| line.contains(n)) {
                offenders.push(format!("{}:{}: {line}", file.display(), number + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "run vastleaks through common::vastleaks()/vastleaks_command()/vastleaks_at() and git through common::git_command():\n{}",
        offenders.join("\n")
    );
}
