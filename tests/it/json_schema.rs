//! `schemas/report.schema.json` describes what `--format json` really
//! writes: real reports of every scan mode (files, stdin, staged, full git
//! history, a commit range, `--verify` against the fake API, `--show-secrets`)
//! are validated with `check-jsonschema` (PyPI; `.ci/run` installs it).
//!
//! A missing `check-jsonschema` is a failure, not a skip: a schema that is
//! never checked drifts from the reports silently.

use crate::common;
use crate::fake_vast;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;
use fake_vast::{key_from_seed, FakeVast, Mode};
use serde_json::Value;

fn schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json")
}

/// Runs `vastleaks scan ARGS --format json` in `dir` (with `stdin` piped in
/// when given) and returns the parsed report, checking that it is one.
fn report(dir: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Value {
    let mut cmd = vastleaks();
    cmd.arg("scan")
        .args(args)
        .args(["--format", "json", "--progress", "never"])
        .current_dir(dir);
    for (key, value) in env {
        cmd.env(key, value);
    }
    if let Some(input) = stdin {
        cmd.write_stdin(input.as_bytes().to_vec());
    }
    let out = cmd.output().expect("vastleaks runs");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "vastleaks {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "vastleaks {args:?} wrote no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `check-jsonschema --schemafile SCHEMA FILES...`: (success, output).
fn check(files: &[PathBuf]) -> (bool, String) {
    let out = Command::new("check-jsonschema")
        .arg("--schemafile")
        .arg(schema())
        .args(files)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "check-jsonschema could not run ({e}): install it with \
                 `python3 -m pip install check-jsonschema` (.ci/run does)"
            )
        });
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn save(dir: &Path, name: &str, report: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(report).unwrap()).unwrap();
    path
}

/// Every mode's report, each with at least one finding, validated in one run.
#[test]
fn reports_of_every_mode_match_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    std::fs::create_dir(&out).unwrap();
    let mut reports: Vec<(&str, Value)> = Vec::new();

    // Files: findings (one base64-encoded), a skipped (oversized) file, a stale ignore entry and
    // a key suppressed inline.
    let tree = dir.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("app.env"), key_line(0)).unwrap();
    std::fs::write(
        tree.join("allowed.env"),
        format!("VAST_API_KEY={} # vastleaks:allow\n", key(1)),
    )
    .unwrap();
    std::fs::write(
        tree.join("secret.yaml"),
        "kind: Secret\ndata:\n  VAST_API_KEY: MzgzOTJhYTBhY2RkZjgwOGJlM2Y4YmM3Zjc0ZjY5MzUxZjE5OTJjZTJmM2YzYjQ0NTVkYTMyOTU3MDZmYjdhZA==\n",
    )
    .unwrap();
    std::fs::write(tree.join("big.log"), "x".repeat(4096)).unwrap();
    std::fs::write(tree.join(".vastleaksignore"), "0123456789abcdef\n").unwrap();
    reports.push((
        "files",
        report(&tree, &["--max-file-size", "1K", "."], None, &[]),
    ));
    reports.push((
        "files-show-secrets",
        report(&tree, &["--show-secrets", "."], None, &[]),
    ));

    // A project configuration's allowlist (suppression by "config") and
    // full redaction.
    let configured = dir.path().join("configured");
    std::fs::create_dir_all(configured.join("fixtures")).unwrap();
    std::fs::write(configured.join("app.env"), key_line(0)).unwrap();
    std::fs::write(configured.join("fixtures/a.env"), key_line(1)).unwrap();
    std::fs::write(
        configured.join(".vastleaks.toml"),
        "allow-paths = [\"fixtures/**\"]\n",
    )
    .unwrap();
    reports.push((
        "files-config-redact-full",
        report(&configured, &["--redact", "full", "."], None, &[]),
    ));

    // Standard input.
    reports.push(("stdin", report(&tree, &["-"], Some(&key_line(2)), &[])));

    // A repository: a key committed then deleted, a key in a commit message,
    // a dangling commit, and a staged key.
    let repo = init_repo(&dir.path().join("repo"));
    let base = commit_file(&repo, "README", "hello\n", "init");
    commit_file(&repo, "deploy.sh", &key_line(3), "deploy");
    git(&repo, &["rm", "-q", "deploy.sh"]);
    git(
        &repo,
        &[
            "commit",
            "-q",
            "-m",
            &format!("cleanup\n\nVAST_API_KEY={}", key(4)),
        ],
    );
    let tip = git(&repo, &["rev-parse", "HEAD"]);
    commit_file(&repo, "lost.env", &key_line(5), "to be dropped");
    git(&repo, &["reset", "-q", "--hard", &tip]);
    std::fs::write(repo.join("staged.env"), key_line(0)).unwrap();
    git(&repo, &["add", "staged.env"]);
    reports.push(("staged", report(&repo, &["--staged"], None, &[])));
    reports.push(("git", report(&repo, &["--git"], None, &[])));
    reports.push((
        "range",
        report(&repo, &["--git", "--since-commit", &base], None, &[]),
    ));

    // --verify against the fake API: live, revoked and unknown outcomes.
    let api = FakeVast::start();
    let live = api.add_live("schema-live", 100, 1);
    let revoked = key_from_seed("schema-revoked");
    api.add_key(&revoked, 100, 2, true);
    let flaky = api.add_live("schema-flaky", 101, 3);
    api.set_mode(&flaky, Mode::BadGateway { remaining: 99 });
    let verified = dir.path().join("verified");
    fake_vast::write_env_files(
        &verified,
        &[
            ("live.env", &live),
            ("revoked.env", &revoked),
            ("flaky.env", &flaky),
        ],
    );
    reports.push((
        "verify",
        report(
            &verified,
            &[
                "--verify",
                "--verify-retries",
                "0",
                "--api-url",
                &api.url,
                ".",
            ],
            None,
            &[],
        ),
    ));

    let mut files = Vec::new();
    for (name, report) in &reports {
        let findings = report["findings"].as_array().map_or(0, Vec::len);
        assert!(findings > 0, "the {name} report has no findings: {report}");
        files.push(save(&out, name, report));
    }
    // The interesting parts are really there (else the schema checks nothing).
    let by_name = |name: &str| &reports.iter().find(|(n, _)| *n == name).unwrap().1;
    assert!(by_name("files")["problems"]
        .as_array()
        .is_some_and(|p| !p.is_empty()));
    assert_eq!(
        by_name("files-config-redact-full")["suppressed"][0]["suppression"]["by"],
        "config"
    );
    assert!(by_name("files")["stale_ignores"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
    assert!(by_name("git")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["git"]["reachable"] == Value::Bool(false)));
    let statuses: Vec<&str> = by_name("verify")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["verification"]["status"].as_str())
        .collect();
    for status in ["live", "revoked", "unknown"] {
        assert!(statuses.contains(&status), "{statuses:?}");
    }

    let (ok, output) = check(&files);
    assert!(ok, "a real report does not match the schema:\n{output}");
}

/// The schema rejects what a report must never contain, so the check above
/// can fail: an unredacted key marked redacted, an unknown source, a missing
/// summary, an unknown verification without its reason.
#[test]
fn schema_rejects_malformed_reports() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.env"), key_line(0)).unwrap();
    let good = report(dir.path(), &["."], None, &[]);
    let mut files = vec![save(dir.path(), "good", &good)];

    type Tamper = fn(&mut Value);
    let tampered: [(&str, Tamper); 4] = [
        ("full-key", |r| {
            r["findings"][0]["secret"] = Value::from(key(0))
        }),
        ("source", |r| {
            r["findings"][0]["source"] = Value::from("ftp")
        }),
        ("summary", |r| {
            r.as_object_mut().unwrap().remove("summary");
        }),
        ("reason", |r| {
            r["findings"][0]["verification"] = serde_json::json!({ "status": "unknown" })
        }),
    ];
    for (name, tamper) in tampered {
        let mut bad = good.clone();
        tamper(&mut bad);
        files.push(save(dir.path(), name, &bad));
    }
    // One run (the tool takes a second to start): every bad file is named
    // in the errors, the good one is not.
    let (ok, output) = check(&files);
    assert!(!ok, "the schema accepted tampered reports:\n{output}");
    assert!(!output.contains("good.json::"), "{output}");
    for (name, _) in tampered {
        assert!(
            output.contains(&format!("{name}.json::")),
            "the schema accepted a report with a bad {name}:\n{output}"
        );
    }
}

/// Additions announced for the report (a `suppressed` array of findings with
/// a `suppression` object, a nullable `git.reachable`, new fields) validate.
#[test]
fn schema_allows_compatible_additions() {
    let dir = tempfile::tempdir().unwrap();
    let repo = init_repo(&dir.path().join("repo"));
    commit_file(&repo, "app.env", &key_line(0), "key");
    let mut extended = report(&repo, &["--git"], None, &[]);
    let mut finding = extended["findings"][0].clone();
    finding["git"]["reachable"] = Value::Null;
    finding["new_field"] = Value::from("later");
    let mut suppressed = finding.clone();
    suppressed["suppression"] =
        serde_json::json!({ "by": "ignore-file", "file": ".vastleaksignore", "line": 2 });
    extended["findings"][0] = finding;
    extended["suppressed"] = Value::Array(vec![suppressed.clone()]);
    extended["summary"]["new_count"] = Value::from(3);
    let path = save(dir.path(), "extended", &extended);
    let (ok, output) = check(std::slice::from_ref(&path));
    assert!(ok, "{output}");

    // A suppressed finding must say what suppressed it.
    suppressed.as_object_mut().unwrap().remove("suppression");
    extended["suppressed"] = Value::Array(vec![suppressed]);
    let path = save(dir.path(), "unexplained", &extended);
    let (ok, _) = check(&[path]);
    assert!(
        !ok,
        "a suppressed finding without `suppression` was accepted"
    );
}
