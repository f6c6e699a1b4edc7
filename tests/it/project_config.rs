//! The project configuration file, `.vastleaks.toml`: what it may set, that
//! command-line flags win, that what it suppresses stays visible, and that it
//! is read like every configuration file from the scanned tree (regular
//! file, no links, problems by file and line without echoing content).

use crate::common;

use std::path::Path;

use common::{env_line, scan, Repo, Run, KEYS};
use serde_json::Value;

const CONFIG: &str = ".vastleaks.toml";
const FIXTURES: &str = "allow-paths = [\"tests/fixtures/**\"]\n";

fn write(dir: &Path, rel: &str, content: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

fn suppressed(run: &Run) -> Vec<Value> {
    run.json["suppressed"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The one suppressed finding, checked to be suppressed by `pattern` of
/// the config file `file`.
fn assert_suppressed_by_config(run: &Run, file: &str, pattern: &str) {
    let all = suppressed(run);
    assert_eq!(all.len(), 1, "{}\n{}", run.stdout, run.stderr);
    let by = &all[0]["suppression"];
    assert_eq!(by["by"], "config", "{by}");
    assert_eq!(by["pattern"], pattern, "{by}");
    assert_eq!(by["file"], file, "{by}");
    assert_eq!(run.json["summary"]["suppressed"], 1);
}

#[test]
fn allow_paths_suppress_fixture_keys_in_files_mode_and_stay_visible() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), CONFIG, FIXTURES);
    write(dir.path(), "tests/fixtures/a.env", &env_line(KEYS[0]));
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.findings().is_empty());
    assert_suppressed_by_config(&run, CONFIG, "tests/fixtures/**");
    assert!(
        run.stderr.contains(
            "suppressed: tests/fixtures/a.env:1:14 3839...b7ad fingerprint ae1a7957ddf97fc5 by allow-paths \"tests/fixtures/**\" in .vastleaks.toml"
        ),
        "{}",
        run.stderr
    );

    // A key elsewhere still fails the scan.
    write(dir.path(), "src/app.env", &env_line(KEYS[1]));
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.one(KEYS[1])["path"], "src/app.env");
    assert_eq!(suppressed(&run).len(), 1);

    // Scanning the directory from outside: globs are relative to the root.
    let run = scan(
        dir.path().parent().unwrap(),
        &[&dir.path().to_string_lossy()],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(suppressed(&run).len(), 1, "{}", run.stdout);
    assert_eq!(run.findings().len(), 1);
}

#[test]
fn allow_paths_apply_to_staged_content() {
    let repo = Repo::new();
    repo.write(CONFIG, FIXTURES);
    repo.commit("config");
    repo.write("tests/fixtures/a.env", &env_line(KEYS[0]));
    repo.git(&["add", "-A"]);
    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = suppressed(&run);
    assert_eq!(all.len(), 1, "{}", run.stdout);
    assert_eq!(all[0]["suppression"]["by"], "config");
    assert_eq!(all[0]["suppression"]["pattern"], "tests/fixtures/**");

    // From a subdirectory too: the config is the work tree's.
    std::fs::create_dir_all(repo.path.join("src")).unwrap();
    let run = scan(&repo.path.join("src"), &["--staged"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(suppressed(&run).len(), 1, "{}", run.stdout);

    repo.write("src/app.env", &env_line(KEYS[1]));
    repo.git(&["add", "-A"]);
    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.one(KEYS[1])["path"], "src/app.env");
    assert_eq!(suppressed(&run).len(), 1);
}

#[test]
fn allow_paths_apply_to_full_history_after_attribution() {
    let repo = Repo::new();
    repo.write(CONFIG, FIXTURES);
    repo.write("tests/fixtures/a.env", &env_line(KEYS[0]));
    repo.commit("fixture");
    // Deleted later: only history has it.
    std::fs::remove_file(repo.path.join("tests/fixtures/a.env")).unwrap();
    repo.commit("drop fixture");
    let run = scan(&repo.path, &["--git"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let all = suppressed(&run);
    assert_eq!(all.len(), 1, "{}", run.stdout);
    assert_eq!(all[0]["suppression"]["by"], "config");
    assert_eq!(all[0]["path"], "tests/fixtures/a.env");

    // A key at a path the allowlist does not name still fails.
    repo.write("deploy/prod.env", &env_line(KEYS[1]));
    repo.commit("oops");
    std::fs::remove_file(repo.path.join("deploy/prod.env")).unwrap();
    repo.commit("remove");
    let run = scan(&repo.path, &["--git"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.one(KEYS[1])["path"], "deploy/prod.env");
    assert_eq!(suppressed(&run).len(), 1);
}

#[test]
fn a_bare_repository_uses_the_config_committed_at_head() {
    let origin = Repo::new();
    origin.write(CONFIG, FIXTURES);
    origin.write("tests/fixtures/a.env", &env_line(KEYS[0]));
    origin.commit("fixture");
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare.git");
    origin.git(&[
        "clone",
        "-q",
        "--bare",
        &origin.path.to_string_lossy(),
        &bare.to_string_lossy(),
    ]);
    let run = scan(dir.path(), &["--git", "bare.git"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_suppressed_by_config(&run, "HEAD:.vastleaks.toml", "tests/fixtures/**");
}

#[test]
fn a_config_changed_by_the_scanned_range_is_named_and_its_suppressions_shown() {
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    let base = repo.commit("base");
    // The change under review adds a key and an allowlist covering it.
    repo.write(CONFIG, "allow-paths = [\"src/**\"]\n");
    repo.write("src/app.env", &env_line(KEYS[0]));
    repo.commit("sneaky");
    let run = scan(&repo.path, &["--git", "--since-commit", &base]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(suppressed(&run).len(), 1, "{}", run.stdout);
    assert!(
        run.notes()
            .iter()
            .any(|n| n.contains(".vastleaks.toml") && n.contains("scanned commits change")),
        "{:?}",
        run.notes()
    );
    assert!(
        run.stderr.contains("by allow-paths \"src/**\" in"),
        "{}",
        run.stderr
    );
    // Listed among the suppressions the range itself adds.
    let added = run.json["added_suppressions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(added.len(), 1, "{}", run.stdout);
    assert_eq!(added[0]["suppression"]["by"], "config");
    // --suppressions base-only: the base had no allowlist, so the key counts.
    let run = scan(
        &repo.path,
        &[
            "--git",
            "--since-commit",
            &base,
            "--suppressions",
            "base-only",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);

    // The same config, committed before the range: no note.
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.write("other.txt", "x\n");
    repo.commit("later");
    repo.write("src/other.env", &env_line(KEYS[1]));
    repo.commit("another fixture under the same allowlist");
    let run = scan(&repo.path, &["--git", "--since-commit", &head]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.notes().iter().any(|n| n.contains(".vastleaks.toml")),
        "{:?}",
        run.notes()
    );
    assert_eq!(suppressed(&run).len(), 1, "{}", run.stdout);
    let added = run.json["added_suppressions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(added.is_empty(), "{}", run.stdout);
    let run = scan(
        &repo.path,
        &[
            "--git",
            "--since-commit",
            &head,
            "--suppressions",
            "base-only",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn flags_override_config_values() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        CONFIG,
        "max-file-size = \"10\"\nfail-on = \"never\"\n",
    );
    write(dir.path(), "app.env", &env_line(KEYS[0]));
    write(dir.path(), "small", "x\n");

    // The config applies: app.env is over 10 bytes, so it is skipped.
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.findings().is_empty());
    assert_eq!(run.json["summary"]["skipped"], 2, "{}", run.stdout);

    // --max-file-size wins: the key is found; fail-on = never still holds,
    // and says so.
    let run = scan(dir.path(), &["--max-file-size", "1M"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.findings().len(), 1);
    assert!(
        run.notes()
            .iter()
            .any(|n| n.contains("fail-on") && n.contains("never") && n.contains(CONFIG)),
        "{:?}",
        run.notes()
    );

    // --fail-on wins.
    let run = scan(dir.path(), &["--max-file-size", "1M", "--fail-on", "any"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn fail_on_live_in_the_config_without_verify_counts_every_finding() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), CONFIG, "fail-on = \"live\"\n");
    write(dir.path(), "app.env", &env_line(KEYS[0]));
    // Not a usage error (the pre-commit hook runs without --verify), and
    // not a pass: unverified findings count.
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn config_rule_files_add_rules_but_cannot_replace_built_ins() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |id: &str| {
        format!(
            "[[rule]]\nid = \"{id}\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"medium\"\npattern = '(?i:vast)_creds\\s*=\\s*{{KEY}}'\n"
        )
    };
    write(dir.path(), "ci/rules/team.toml", &rule("team.vast-creds"));
    write(
        dir.path(),
        "ci/vastleaks.toml",
        "rules = [\"rules/team.toml\"]\n",
    );
    write(dir.path(), "x.cfg", &format!("vast_creds = {}\n", KEYS[2]));
    // Paths in `rules` are relative to the config file.
    let run = scan(dir.path(), &["--config", "ci/vastleaks.toml"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.one(KEYS[2])["rule"], "team.vast-creds");

    write(dir.path(), CONFIG, "rules = [\"ci/rules/team.toml\"]\n");
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.one(KEYS[2])["rule"], "team.vast-creds");

    // A rule file from the tree redefining a built-in rule would let a pull
    // request switch detection off.
    write(
        dir.path(),
        "ci/rules/team.toml",
        &rule("vast.env-assignment"),
    );
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("vast.env-assignment") && run.stderr.contains("built-in"),
        "{}",
        run.stderr
    );

    // A configured rule file is checked like a `--rules` file: a content
    // rule that cannot fire, and a rule missing its own example, are
    // refused, by line and rule id, without quoting the file.
    write(
        dir.path(),
        "ci/rules/team.toml",
        "[[rule]]\nid = \"team.deploy\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"medium\"\npattern = 'DEPLOY_TOKEN={KEY}'\n",
    );
    write(dir.path(), CONFIG, "rules = [\"ci/rules/team.toml\"]\n");
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("line 6 of the rule file")
            && run.stderr.contains("rule team.deploy: can never fire")
            && !run.stderr.contains("DEPLOY_TOKEN"),
        "{}",
        run.stderr
    );
    write(
        dir.path(),
        "ci/rules/team.toml",
        &format!(
            "{}examples = [\"vast_creds: {}\"]\n",
            rule("team.vast-creds"),
            KEYS[1]
        ),
    );
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("line 2 of the rule file")
            && run
                .stderr
                .contains("rule team.vast-creds: its example 1 is not found")
            && !run.stderr.contains(&KEYS[1][..8]),
        "{}",
        run.stderr
    );

    // Outside the tree: refused before anything is read.
    write(dir.path(), CONFIG, "\n\nrules = [\"../outside.toml\"]\n");
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains(".vastleaks.toml:3"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "real.toml", FIXTURES);
    std::os::unix::fs::symlink(dir.path().join("real.toml"), dir.path().join(CONFIG)).unwrap();
    write(dir.path(), "tests/fixtures/a.env", &env_line(KEYS[0]));
    let run = scan(dir.path(), &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(".vastleaks.toml") && run.stderr.contains("symbolic link"),
        "{}",
        run.stderr
    );

    // The same in a git mode: the work tree's config is a link.
    let repo = Repo::new();
    std::os::unix::fs::symlink("/proc/self/environ", repo.path.join(CONFIG)).unwrap();
    repo.write("a.txt", "x\n");
    repo.git(&["add", "a.txt"]);
    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
}

#[test]
fn a_malformed_config_is_reported_by_file_and_line_without_its_content() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.env", &env_line(KEYS[0]));
    let cases = [
        // An unknown key whose value is a key pasted by mistake.
        (
            format!(
                "allow-paths = [\"docs/**\"]\n\napi_key_{} = \"{}\"\n",
                KEYS[3], KEYS[4]
            ),
            3,
        ),
        // A syntax error.
        (format!("# ok\nmax-file-size = \"{}\n", KEYS[4]), 2),
        // A bad value.
        (format!("\nmax-file-size = \"{}\"\n", KEYS[4]), 2),
        (format!("\n\nfail-on = \"{}\"\n", KEYS[4]), 3),
        (
            format!("allow-paths = [\n  \"ok/**\",\n  \"[{}\",\n]\n", KEYS[4]),
            3,
        ),
    ];
    for (text, line) in cases {
        write(dir.path(), CONFIG, &text);
        let run = scan(dir.path(), &[]);
        assert_eq!(run.code, 2, "{text}\n{}", run.stderr);
        assert!(
            run.stderr.contains(&format!(".vastleaks.toml:{line}:")),
            "{text}\n{}",
            run.stderr
        );
        for secret in [KEYS[3], KEYS[4], &KEYS[4][..8], &KEYS[4][60..]] {
            assert!(
                !run.stderr.contains(secret) && !run.stdout.contains(secret),
                "{text}\n{}",
                run.stderr
            );
        }
    }
}

#[test]
fn no_config_skips_the_discovered_one_and_config_names_another() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), CONFIG, FIXTURES);
    write(dir.path(), "tests/fixtures/a.env", &env_line(KEYS[0]));
    let run = scan(dir.path(), &["--no-config"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(suppressed(&run).is_empty());

    // --config FILE replaces the discovered one; its globs are relative to
    // the scan root.
    write(
        dir.path(),
        "team/vastleaks.toml",
        "allow-paths = [\"tests/**\"]\n",
    );
    let run = scan(dir.path(), &["--config", "team/vastleaks.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_suppressed_by_config(&run, "team/vastleaks.toml", "tests/**");

    let run = scan(dir.path(), &["--config", "missing.toml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);

    let run = scan(
        dir.path(),
        &["--config", "team/vastleaks.toml", "--no-config"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn ci_github_applies_the_repository_config_and_the_redaction_level() {
    let repo = Repo::new();
    repo.write(CONFIG, FIXTURES);
    repo.write("tests/fixtures/a.env", &env_line(KEYS[0]));
    repo.write("src/app.env", &env_line(KEYS[1]));
    repo.commit("keys");
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    std::fs::write(&event, "{}").unwrap();
    let sarif = dir.path().join("out.sarif");
    let summary = dir.path().join("summary.md");
    let out = common::vastleaks_command()
        .current_dir(&repo.path)
        .env("GITHUB_EVENT_NAME", "schedule")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args(["ci", "github", "--redact", "full", "--sarif"])
        .arg(&sarif)
        .args(["-f", "json", "."])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let all = json["suppressed"].as_array().cloned().unwrap_or_default();
    assert_eq!(all.len(), 1, "{stdout}");
    assert_eq!(all[0]["suppression"]["by"], "config");
    assert_eq!(all[0]["path"], "tests/fixtures/a.env");
    assert_eq!(json["findings"][0]["path"], "src/app.env");
    let written = [
        std::fs::read_to_string(&sarif).unwrap(),
        std::fs::read_to_string(&summary).unwrap(),
        stdout,
        stderr.into_owned(),
    ];
    for text in &written {
        for key in &KEYS[..2] {
            assert!(!text.contains(&format!("{}...", &key[..4])), "{text}");
            assert!(!text.contains(&format!("...{}", &key[60..])), "{text}");
        }
    }
    assert!(
        written[1].contains("allow-paths \"tests/fixtures/\\*\\*\""),
        "{}",
        written[1]
    );
}
