//! Hostile repositories: file names, refs, messages and configuration files
//! written by an attacker must not make vastleaks print a key, inject
//! terminal or CI commands, read files outside the tree, or pass a leak.

use crate::common;

use std::path::Path;

use common::{commit_file, git, init_repo, key, key_line, redacted, vastleaks_command};

const FORMATS: [&str; 6] = ["human", "json", "jsonl", "sarif", "github", "markdown"];

/// Runs `vastleaks ARGS` in `dir`; returns (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = vastleaks_command()
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn keys_in_paths_refs_and_messages_are_redacted_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    // The path, the branch and the commit message each carry a key; the
    // content carries another (the finding itself).
    let path_key = key(1);
    let ref_key = key(2);
    let message_key = key(3);
    commit_file(
        &repo,
        &format!("keys/{path_key}/.env"),
        &key_line(0),
        &format!("add {message_key}"),
    );
    git(&repo, &["branch", &format!("leak-{ref_key}")]);
    git(&repo, &["tag", &format!("t{path_key}")]);
    for mode in [&["scan", "."][..], &["scan", "--git", "."][..]] {
        for format in FORMATS {
            let mut args = mode.to_vec();
            args.extend(["-f", format, "--progress", "never"]);
            let (code, stdout, stderr) = run(&repo, &args);
            assert_eq!(code, 1, "{args:?}: {stderr}");
            for secret in [
                key(0),
                path_key.clone(),
                ref_key.clone(),
                message_key.clone(),
            ] {
                assert!(
                    !stdout.contains(&secret) && !stderr.contains(&secret),
                    "{args:?} printed a full key:\n{stdout}\n{stderr}"
                );
            }
            assert!(
                stdout.contains(&redacted(&key(0))),
                "{args:?}: the finding is still shown, redacted:\n{stdout}"
            );
        }
    }
    // --show-secrets shows everything as it is.
    let (_, stdout, _) = run(&repo, &["scan", ".", "--show-secrets"]);
    assert!(stdout.contains(&key(0)) && stdout.contains(&path_key));
}

#[test]
fn control_characters_in_names_reach_no_terminal_or_log() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    // A newline that starts a workflow command, an OSC 52 clipboard write,
    // a terminal title change and a bidi override.
    let name = "x\n::stop-commands::pwned\n::error::fake\x1b]52;c;cHduZWQ=\x07\x1b]0;title\x07\u{202e}.env";
    commit_file(
        &repo,
        name,
        &key_line(0),
        "evil\n\n::error::in message\x1b[2J",
    );
    for mode in [&["scan", "."][..], &["scan", "--git", "."][..]] {
        for format in ["human", "github", "markdown"] {
            let mut args = mode.to_vec();
            args.extend(["-f", format, "--progress", "never"]);
            let (code, stdout, stderr) = run(&repo, &args);
            assert_eq!(code, 1, "{args:?}: {stderr}");
            for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                assert!(
                    !text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{202e}'),
                    "{args:?}: {what} carries a control character:\n{text:?}"
                );
                assert!(
                    !text.lines().any(|l| l.starts_with("::stop-commands")
                        || l.starts_with("::error::fake")
                        || l.starts_with("::error::in message")),
                    "{args:?}: {what} lets a file name start a workflow command:\n{text}"
                );
            }
        }
    }
}

/// Exit code and JSON report of `vastleaks scan ARGS -f json`.
fn scan_json(dir: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["scan"];
    all.extend(args);
    all.extend(["-f", "json", "--progress", "never"]);
    let (code, stdout, stderr) = run(dir, &all);
    (
        code,
        serde_json::from_str(&stdout).unwrap_or_default(),
        stderr,
    )
}

#[test]
fn a_scan_with_holes_exits_2_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    commit_file(&repo, "a.txt", "nothing here\n", "one");
    commit_file(&repo, "b.txt", "nothing here either\n", "two");
    // Corrupt one loose object: the full audit cannot read it.
    let blob = git(&repo, &["rev-parse", "HEAD:b.txt"]);
    let path = repo.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&path, perms).unwrap();
    std::fs::write(&path, b"not zlib at all").unwrap();
    let (code, json, stderr) = scan_json(&repo, &["--git"]);
    assert!(json["summary"]["errors"].as_u64().unwrap() > 0, "{stderr}");
    assert_eq!(code, 2, "a hole must fail the scan: {stderr}");
    assert!(stderr.contains("incomplete"), "{stderr}");
    let (code, _, _) = scan_json(&repo, &["--git", "--allow-incomplete"]);
    assert_eq!(code, 0);
}

#[test]
fn every_input_skipped_or_a_bad_ignore_line_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "some text that is long\n").unwrap();
    let (code, json, stderr) = scan_json(dir.path(), &["--max-file-size", "10", "."]);
    assert_eq!(json["summary"]["scanned"], 0);
    assert_eq!(code, 2, "every file skipped is not a clean scan: {stderr}");
    // A file skipped by the user's limit among others that were scanned is
    // not a hole.
    std::fs::write(dir.path().join("b.txt"), "x\n").unwrap();
    let (code, _, stderr) = scan_json(dir.path(), &["--max-file-size", "10", "."]);
    assert_eq!(code, 0, "{stderr}");
    std::fs::write(dir.path().join(".vastleaksignore"), "not-a-fingerprint\n").unwrap();
    let (code, _, stderr) = scan_json(dir.path(), &["."]);
    assert_eq!(
        code, 2,
        "a malformed ignore line is a configuration error: {stderr}"
    );
    assert!(stderr.contains(".vastleaksignore:1"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn configuration_files_are_not_followed_out_of_the_tree_nor_echoed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    std::fs::write(repo.join("a.env"), key_line(0)).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", repo.join(".vastleaksignore")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", repo.join("baseline.json")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", repo.join("rules.toml")).unwrap();
    let secret = "CLOUD_DEPLOY_TOKEN_VALUE_d41d8cd98f00b204";
    let runs = [
        vec!["scan", "."],
        vec!["scan", "--git", "."],
        vec!["scan", ".", "--baseline", "baseline.json"],
        vec!["scan", ".", "--rules", "rules.toml"],
        vec!["scan", ".", "--ignore-file", ".vastleaksignore"],
    ];
    for args in runs {
        for format in ["human", "github", "markdown", "json"] {
            let mut all = args.clone();
            all.extend(["-f", format]);
            let out = vastleaks_command()
                .args(&all)
                .current_dir(&repo)
                .env("CLOUD_DEPLOY_TOKEN", secret)
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{all:?} printed the environment:\n{stdout}\n{stderr}"
            );
            // The key in a.env is found (1); a flag naming a bad file stops
            // the run (2). Never 0.
            assert!(
                matches!(out.status.code(), Some(1 | 2)),
                "{all:?}: {stderr}"
            );
            assert!(stderr.contains("symbolic link"), "{all:?}: {stderr}");
        }
    }
}

#[test]
fn malformed_ignore_lines_are_reported_by_line_without_their_content() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.env"), key_line(0)).unwrap();
    std::fs::write(
        dir.path().join(".vastleaksignore"),
        "TOPSECRET_PASSWORD_hunter2\n0123456789abcdef [TOPSECRET_GLOB\n",
    )
    .unwrap();
    for format in ["human", "github", "markdown", "json"] {
        let (code, stdout, stderr) = run(dir.path(), &["scan", ".", "-f", format]);
        assert_eq!(code, 1, "{stderr}");
        assert!(
            !stdout.contains("TOPSECRET") && !stderr.contains("TOPSECRET"),
            "{format}: ignore-file content echoed:\n{stdout}\n{stderr}"
        );
        assert!(stderr.contains(".vastleaksignore:1") && stderr.contains(".vastleaksignore:2"));
    }
}

#[test]
fn a_rules_file_that_replaces_a_builtin_rule_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.env"), key_line(0)).unwrap();
    std::fs::write(
        dir.path().join("rules.toml"),
        r#"[[rule]]
id = "vast.env-assignment"
name = "nothing"
description = "matches nothing"
confidence = "high"
pattern = 'vast_never_written_anywhere={KEY}'
"#,
    )
    .unwrap();
    let (code, stdout, stderr) = run(dir.path(), &["scan", ".", "--rules", "rules.toml"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stderr.contains("built-in rule vast.env-assignment is replaced by the rule at rules.toml"),
        "{stderr}"
    );
    let (_, stdout, _) = run(
        dir.path(),
        &["scan", ".", "--rules", "rules.toml", "-f", "markdown"],
    );
    assert!(
        stdout.contains("vast.env-assignment is replaced"),
        "{stdout}"
    );
}

#[test]
fn suppressed_findings_stay_visible_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("inline.env"),
        format!("VAST_API_KEY={} # vastleaks:allow\n", key(0)),
    )
    .unwrap();
    std::fs::write(root.join("ignored.env"), key_line(1)).unwrap();
    std::fs::write(root.join("base.env"), key_line(2)).unwrap();
    // A baseline of key 2, an ignore entry for key 1.
    let (_, baseline, _) = run(root, &["scan", "base.env", "-f", "json"]);
    let baseline_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(baseline_file.path(), baseline).unwrap();
    let baseline_arg = baseline_file.path().to_str().unwrap().to_string();
    let (_, json, _) = run(root, &["scan", "ignored.env", "-f", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fp = json["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::write(root.join(".vastleaksignore"), format!("{fp}\n")).unwrap();

    let args = ["scan", ".", "--baseline", baseline_arg.as_str()];
    let (code, stdout, stderr) = run(root, &[&args[..], &["-f", "json"]].concat());
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let by: Vec<String> = json["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["suppression"]["by"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(by, ["baseline", "ignore-file", "inline"], "{stdout}");
    assert_eq!(json["summary"]["suppressed"], 3);
    for k in 0..3 {
        assert!(
            stderr.contains(&redacted(&key(k))),
            "human stderr lists {k}: {stderr}"
        );
    }
    let (_, stdout, _) = run(root, &[&args[..], &["-f", "github"]].concat());
    assert_eq!(stdout.matches("::notice ").count(), 3, "{stdout}");
    assert!(stdout.contains("file=inline.env"), "{stdout}");
    let (_, stdout, _) = run(root, &[&args[..], &["-f", "markdown"]].concat());
    assert!(stdout.contains("Suppressed (3)"), "{stdout}");
    assert!(stdout.contains(".vastleaksignore:1"), "{stdout}");

    // --no-inline-allow: the marker no longer suppresses.
    let (code, stdout, _) = run(
        root,
        &[&args[..], &["-f", "json", "--no-inline-allow"]].concat(),
    );
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["findings"].as_array().unwrap().len(), 1);
    assert_eq!(json["findings"][0]["path"], "inline.env");
}

#[cfg(unix)]
#[test]
fn a_report_path_committed_as_a_link_does_not_overwrite_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::write(repo.join("a.env"), key_line(0)).unwrap();
    std::os::unix::fs::symlink(&victim, repo.join("report.json")).unwrap();
    let (code, _, stderr) = run(&repo, &["scan", "a.env", "-f", "json", "-o", "report.json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let report = std::fs::read_to_string(repo.join("report.json")).unwrap();
    assert!(report.contains(&redacted(&key(0))), "{report}");
}

#[test]
fn a_blocked_commit_is_told_what_works_on_a_first_commit() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    std::fs::write(repo.join("my file.env"), key_line(0)).unwrap();
    git(&repo, &["add", "."]);
    let (code, _, stderr) = run(
        &repo,
        &["scan", "--staged", "--hook-id", "vastleaks-system"],
    );
    assert_eq!(code, 1, "{stderr}");
    // `git restore --staged` fails before the first commit; `git rm --cached` works.
    assert!(stderr.contains("git rm --cached 'my file.env'"), "{stderr}");
    assert!(!stderr.contains("restore --staged"), "{stderr}");
    assert!(
        stderr.contains("SKIP=vastleaks-system git commit"),
        "{stderr}"
    );
    assert!(stderr.contains("--no-verify") && stderr.contains("vastleaks:allow"));
    // What it suggests works: the file is unstaged and the check passes.
    git(&repo, &["rm", "-q", "--cached", "my file.env"]);
    let (code, _, stderr) = run(&repo, &["scan", "--staged"]);
    assert_ne!(code, 1, "{stderr}");
}

#[test]
fn stale_ignore_entries_are_judged_only_by_full_scans() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    // An accepted fixture key, committed with its ignore entry.
    commit_file(&repo, "fixtures/a.env", &key_line(0), "fixture");
    let (_, json, _) = scan_json(&repo, &["--git"]);
    let fp = json["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    commit_file(&repo, ".vastleaksignore", &format!("{fp}\n"), "accept");
    let base = git(&repo, &["rev-parse", "HEAD"]);
    commit_file(&repo, "b.txt", "unrelated\n", "more");
    std::fs::write(repo.join("c.txt"), "staged\n").unwrap();
    git(&repo, &["add", "c.txt"]);
    for args in [vec!["--staged"], vec!["--git", &format!("{base}..HEAD")]] {
        let (code, json, stderr) = scan_json(&repo, &args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert_eq!(json["stale_ignores"], serde_json::json!([]), "{args:?}");
        assert!(!stderr.contains("stale"), "{args:?}: {stderr}");
    }
    // The full audit still judges it (and it is not stale: the key is there).
    let (_, json, _) = scan_json(&repo, &["--git"]);
    assert_eq!(json["stale_ignores"], serde_json::json!([]));
    std::fs::write(
        repo.join(".vastleaksignore"),
        format!("{fp}\n0123456789abcdef\n"),
    )
    .unwrap();
    let (_, json, _) = scan_json(&repo, &["."]);
    assert_eq!(json["stale_ignores"][0]["line"], 2);
}

#[test]
fn a_bare_repository_honours_its_committed_ignore_file() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    commit_file(&repo, "fixtures/a.env", &key_line(0), "fixture");
    let (_, json, _) = scan_json(&repo, &["--git"]);
    let fp = json["findings"][0]["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    commit_file(&repo, ".vastleaksignore", &format!("{fp}\n"), "accept");
    let bare = dir.path().join("bare.git");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--bare",
            repo.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let (code, clone, stderr) = scan_json(&repo, &["--git"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, json, stderr) = scan_json(dir.path(), &["--git", bare.to_str().unwrap()]);
    assert_eq!(
        code, 0,
        "the bare repository's committed ignore file applies: {stderr}"
    );
    assert_eq!(
        json["summary"]["suppressed"],
        clone["summary"]["suppressed"]
    );
    assert_eq!(
        json["suppressed"][0]["suppression"]["file"],
        "HEAD:.vastleaksignore"
    );
}

#[test]
fn suppressions_a_range_adds_are_listed_and_base_only_ignores_them() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    // The base: an accepted fixture key with its ignore entry.
    commit_file(&repo, "fixtures/f.env", &key_line(0), "fixture");
    // A key's fingerprint, as a scan of it alone reports it.
    let fp = |n: usize| {
        let dir2 = tempfile::tempdir().unwrap();
        std::fs::write(dir2.path().join("k.env"), key_line(n)).unwrap();
        let (_, json, _) = scan_json(dir2.path(), &["."]);
        json["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (f0, f1) = (fp(0), fp(1));
    commit_file(
        &repo,
        ".vastleaksignore",
        &format!("{f0}\n"),
        "accept the fixture",
    );
    let base = git(&repo, &["rev-parse", "HEAD"]);
    // The change: a new key with its own new ignore entry, another behind an
    // inline marker, and an edit of the fixture (its entry is old).
    commit_file(&repo, "app.env", &key_line(1), "app");
    commit_file(
        &repo,
        ".vastleaksignore",
        &format!("{f0}\n{f1}\n"),
        "accept the app key",
    );
    commit_file(
        &repo,
        "deploy.sh",
        &format!("export VAST_API_KEY={} # vastleaks:allow\n", key(2)),
        "deploy",
    );
    commit_file(
        &repo,
        "fixtures/f.env",
        &format!("# edited\n{}", key_line(0)),
        "touch fixture",
    );
    let range = format!("{base}..HEAD");

    let (code, json, stderr) = scan_json(&repo, &["--git", &range]);
    assert_eq!(code, 0, "suppressions are honoured by default: {stderr}");
    let added: Vec<&str> = json["added_suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(added, ["app.env", "deploy.sh"], "{json:#}");
    assert_eq!(json["summary"]["suppressed"], 3, "the fixture too");
    assert!(
        stderr.contains("this change adds the suppression"),
        "{stderr}"
    );
    let (_, stdout, _) = run(&repo, &["scan", "--git", &range, "-f", "markdown"]);
    assert!(
        stdout.contains("Suppressions added by this change (2): review them"),
        "{stdout}"
    );
    let (_, stdout, _) = run(&repo, &["scan", "--git", &range, "-f", "github"]);
    assert_eq!(stdout.matches("::warning ").count(), 2, "{stdout}");

    // Strict: only the base's ignore file counts, and no inline markers.
    let (code, json, stderr) = scan_json(&repo, &["--git", &range, "--suppressions", "base-only"]);
    assert_eq!(code, 1, "{stderr}");
    let mut found: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    found.sort_unstable();
    assert_eq!(found, ["app.env", "deploy.sh"]);
    assert_eq!(json["suppressed"][0]["path"], "fixtures/f.env");

    // base-only without a range has no base to trust.
    let (code, _, stderr) = scan_json(&repo, &["--git", "--suppressions", "base-only"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("needs a range"), "{stderr}");
}

/// A committed `.ignore` (or `.gitignore`) can hide tracked files from the
/// work-tree walk: they are reported as skipped, never silently dropped, and a
/// tree where every file is hidden is not a clean scan.
#[test]
fn tracked_files_hidden_by_a_committed_ignore_file_are_reported_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    commit_file(&repo, "src/app.py", &format!("{}\n", key_line(1)), "app");
    commit_file(&repo, "README.md", "nothing here\n", "readme");
    // Hide the file with the key; README.md is still scanned.
    commit_file(&repo, ".ignore", "src/\n", "hide src");
    let (code, json, stderr) = scan_json(&repo, &["."]);
    let problems = json["problems"].as_array().unwrap();
    let hidden: Vec<_> = problems
        .iter()
        .filter(|p| p["path"].as_str().unwrap().ends_with("src/app.py"))
        .collect();
    assert_eq!(hidden.len(), 1, "{stderr}");
    assert_eq!(hidden[0]["kind"], "skipped");
    let message = hidden[0]["message"].as_str().unwrap();
    assert!(
        message.contains("tracked") && message.contains("--no-ignore"),
        "{message}"
    );
    assert!(stderr.contains("src/app.py"), "{stderr}");
    assert_eq!(code, 0, "one file scanned, one hidden: {stderr}");
    // `--no-ignore` scans it: the key is found.
    let (code, json, _) = scan_json(&repo, &["--no-ignore", "."]);
    assert_eq!(code, 1);
    assert_eq!(json["findings"].as_array().unwrap().len(), 1);

    // Everything hidden (`*`, with `.ignore` itself hidden too): exit 2.
    commit_file(&repo, ".ignore", "*\n", "hide all");
    let (code, json, stderr) = scan_json(&repo, &["."]);
    assert_eq!(json["summary"]["scanned"], 0, "{stderr}");
    assert!(
        json["summary"]["skipped"].as_u64().unwrap() >= 3,
        "{stderr}"
    );
    assert_eq!(
        code, 2,
        "every tracked file hidden is not a clean scan: {stderr}"
    );

    // Scanning a subdirectory only reports what is under it; untracked
    // ignored files (build output) are not reported.
    commit_file(&repo, ".ignore", "*.py\n", "hide python files");
    std::fs::write(repo.join(".gitignore"), "target/\n").unwrap();
    std::fs::create_dir_all(repo.join("target")).unwrap();
    std::fs::write(repo.join("target/out.bin"), "build output\n").unwrap();
    let (_, json, stderr) = scan_json(&repo, &["src"]);
    let paths: Vec<_> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths.len(), 1, "{paths:?} {stderr}");
    assert!(paths[0].ends_with("app.py"), "{paths:?}");
    let (_, json, _) = scan_json(&repo, &["."]);
    assert!(
        !json["problems"].to_string().contains("out.bin"),
        "untracked ignored files are not reported"
    );
}

/// `depth` nested directories `a/a/.../a/k.env` holding `content`, written
/// with one `git mktree --batch` (a tree per level: a checkout could not hold
/// such a path, but history can); returns the top tree's id.
fn deep_tree(repo: &Path, depth: usize, content: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let blob = {
        let mut child = common::git_cmd(repo)
            .args(["hash-object", "-w", "--stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(content.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let mut mktree = common::git_cmd(repo)
        .args(["mktree", "--batch"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = mktree.stdin.take().unwrap();
    let mut output = BufReader::new(mktree.stdout.take().unwrap());
    let mut next = |line: String| {
        input.write_all(line.as_bytes()).unwrap();
        input.flush().unwrap();
        let mut id = String::new();
        output.read_line(&mut id).unwrap();
        id.trim().to_string()
    };
    let mut tree = next(format!("100644 blob {blob}\tk.env\n\n"));
    for _ in 0..depth {
        tree = next(format!("040000 tree {tree}\ta\n\n"));
    }
    drop(input); // end of input: mktree exits
    mktree.wait().unwrap();
    tree
}

/// A tree nested thousands of levels deep (cheap to craft, refused by git's
/// own `core.maxTreeDepth`) crashed the scan with a stack overflow (exit 134,
/// no report). Trees are walked without recursion now; past 4,096 levels the
/// walk stops there and says so, and the scan is incomplete, never clean.
#[test]
fn a_tree_nested_thousands_deep_is_a_reported_hole_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    let base = commit_file(&repo, "README.md", "nothing\n", "base");
    let secret = key(4);
    let within = deep_tree(&repo, 3_000, &format!("VAST_API_KEY={secret}\n"));
    let beyond = deep_tree(&repo, 5_000, &format!("VAST_API_KEY={}\n", key(5)));
    let top = {
        let mut child = common::git_cmd(&repo)
            .args(["mktree"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        write!(
            child.stdin.take().unwrap(),
            "040000 tree {within}\tok\n040000 tree {beyond}\ttoo-deep\n"
        )
        .unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    let commit = git(
        &repo,
        &["commit-tree", top.trim(), "-p", &base, "-m", "deep"],
    );
    git(&repo, &["update-ref", "refs/heads/main", &commit]);

    for args in [&["--git"][..], &["--git", "--since-commit", &base]] {
        let (code, json, stderr) = scan_json(&repo, args);
        assert!(
            !stderr.contains("overflow") && (code == 1 || code == 2),
            "{args:?}: exit {code}: {stderr}"
        );
        // Within the limit: found, at its full path.
        let found = json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["secret"] == redacted(&secret))
            .unwrap_or_else(|| panic!("{args:?}: key within the limit not found: {stderr}"));
        let path = found["path"].as_str().unwrap();
        assert!(
            path.starts_with("ok/a/a/") && path.ends_with("/k.env"),
            "{path}"
        );
        assert_eq!(path.matches('/').count(), 3_001, "{args:?}");
        // Beyond it: a problem that says why.
        assert!(
            json["problems"]
                .to_string()
                .contains("nested more than 4096 levels deep"),
            "{args:?}: {stderr}"
        );
        assert!(json["summary"]["errors"].as_u64().unwrap() > 0, "{args:?}");
    }
}
