//! `vastleaks ci github` against fake event payloads and real repositories:
//! an "origin" bare repository, a working repository that pushes to it, and a
//! checkout cloned from it the way actions/checkout does (full or shallow).
//! Each test asserts the exact commit set the event calls for.

use crate::common;
use crate::fake_vast;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use common::*;
use serde_json::json;

const ZERO: &str = "0000000000000000000000000000000000000000";

/// origin.git (bare), work (pushes to origin) and, per test, checkouts.
struct Remote {
    dir: tempfile::TempDir,
}

impl Remote {
    fn new() -> Remote {
        let dir = tempfile::tempdir().unwrap();
        git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", "origin.git"],
        );
        init_repo(&dir.path().join("work"));
        let remote = Remote { dir };
        git(
            &remote.work(),
            &["remote", "add", "origin", &remote.origin_url()],
        );
        remote
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn origin_url(&self) -> String {
        format!("file://{}", self.dir.path().join("origin.git").display())
    }

    /// Commits a new file in work; returns the commit id.
    fn commit(&self, name: &str) -> String {
        commit_file(&self.work(), name, &format!("{name}\n"), name)
    }

    fn push(&self, args: &[&str]) {
        let mut all = vec!["push", "-q", "origin"];
        all.extend_from_slice(args);
        git(&self.work(), &all);
    }

    fn rev(&self, rev: &str) -> String {
        git(&self.work(), &["rev-parse", rev])
    }

    /// A checkout as actions/checkout makes it with `fetch-depth: 0`.
    fn checkout(&self, name: &str, branch: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        git(
            self.dir.path(),
            &["clone", "-q", "--branch", branch, &self.origin_url(), name],
        );
        path
    }

    /// A checkout as actions/checkout makes it by default (`fetch-depth: 1`).
    fn shallow_checkout(&self, name: &str, branch: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        git(
            self.dir.path(),
            &[
                "clone",
                "-q",
                "--depth",
                "1",
                "--single-branch",
                "--branch",
                branch,
                &self.origin_url(),
                name,
            ],
        );
        path
    }
}

fn range(work: &Path, spec: &str) -> BTreeSet<String> {
    git(work, &["rev-list", spec])
        .lines()
        .map(str::to_string)
        .collect()
}

fn set(commits: &[&String]) -> BTreeSet<String> {
    commits.iter().map(|c| c.to_string()).collect()
}

/// Runs `ci github` in `checkout` with the event and extra args.
fn ci(checkout: &Path, event: &str, payload: &serde_json::Value, args: &[&str]) -> Command {
    let event_file = checkout.join("..").join(format!("{event}-event.json"));
    std::fs::write(&event_file, payload.to_string()).unwrap();
    let mut cmd = vastleaks();
    cmd.current_dir(checkout)
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_EVENT_PATH", &event_file)
        .args(["ci", "github"])
        .args(args);
    cmd
}

/// The `--dry-run` plan: (first line, commit set).
fn plan(checkout: &Path, event: &str, payload: &serde_json::Value) -> (String, BTreeSet<String>) {
    let output = ci(checkout, event, payload, &["--dry-run"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "dry run failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let commits = stdout
        .lines()
        .filter(|l| l.len() == 40 && l.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string)
        .collect();
    (stdout, commits)
}

fn push_event(git_ref: &str, before: &str, after: &str) -> serde_json::Value {
    json!({
        "ref": git_ref,
        "before": before,
        "after": after,
        "created": before == ZERO,
        "deleted": after == ZERO,
        "forced": false,
        "repository": { "default_branch": "main" },
    })
}

fn pr_event(base: &str, head: &str) -> serde_json::Value {
    json!({
        "number": 7,
        "pull_request": { "base": { "sha": base, "ref": "main" }, "head": { "sha": head, "ref": "feat" } },
        "repository": { "default_branch": "main" },
    })
}

#[test]
fn push_scans_before_to_after() {
    let remote = Remote::new();
    remote.commit("a");
    let c2 = remote.commit("b");
    remote.push(&["main"]);
    let c3 = remote.commit("c");
    let c4 = remote.commit("d");
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    let (text, commits) = plan(&checkout, "push", &push_event("refs/heads/main", &c2, &c4));
    assert_eq!(commits, set(&[&c3, &c4]), "{text}");
    assert!(
        text.starts_with("plan: push to refs/heads/main: commits "),
        "{text}"
    );
}

#[test]
fn new_branch_scans_only_commits_on_no_other_branch() {
    let remote = Remote::new();
    remote.commit("a");
    remote.commit("b");
    remote.push(&["main"]);
    // `other` branches off main; `feat` branches off `other`.
    git(&remote.work(), &["checkout", "-q", "-b", "other"]);
    remote.commit("o1");
    remote.push(&["other"]);
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    let f1 = remote.commit("f1");
    let f2 = remote.commit("f2");
    remote.push(&["feat"]);
    // main moves on after the fork: its new commits are not the branch's.
    git(&remote.work(), &["checkout", "-q", "main"]);
    remote.commit("m1");
    remote.push(&["main"]);

    let checkout = remote.checkout("checkout", "feat");
    let (text, commits) = plan(&checkout, "push", &push_event("refs/heads/feat", ZERO, &f2));
    assert_eq!(commits, set(&[&f1, &f2]), "{text}");
    assert!(text.contains("new refs/heads/feat"), "{text}");
}

#[test]
fn first_push_of_the_default_branch_scans_its_history() {
    let remote = Remote::new();
    let c1 = remote.commit("a");
    let c2 = remote.commit("b");
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    let (text, commits) = plan(&checkout, "push", &push_event("refs/heads/main", ZERO, &c2));
    assert_eq!(commits, set(&[&c1, &c2]), "{text}");
}

#[test]
fn force_push_with_before_gone_scans_from_the_merge_base_with_default() {
    let remote = Remote::new();
    remote.commit("a");
    let fork = remote.commit("b");
    remote.push(&["main"]);
    // The old tip of feat: committed but never reachable on the remote now.
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    remote.commit("old1");
    let gone = remote.commit("old2");
    git(&remote.work(), &["reset", "-q", "--hard", &fork]);
    let y1 = remote.commit("y1");
    let y2 = remote.commit("y2");
    remote.push(&["--force", "feat"]);
    git(&remote.work(), &["checkout", "-q", "main"]);
    remote.commit("m1");
    remote.push(&["main"]);

    let checkout = remote.checkout("checkout", "feat");
    let mut event = push_event("refs/heads/feat", &gone, &y2);
    event["forced"] = json!(true);
    let (text, commits) = plan(&checkout, "push", &event);
    assert_eq!(commits, set(&[&y1, &y2]), "{text}");
    assert!(text.contains("is gone"), "{text}");
    assert_eq!(range(&remote.work(), &format!("{fork}..{y2}")), commits);
}

#[test]
fn force_push_with_before_present_scans_before_to_after() {
    let remote = Remote::new();
    remote.commit("a");
    let fork = remote.commit("b");
    let old = remote.commit("old");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "keep-old"]);
    remote.push(&["keep-old"]);
    git(&remote.work(), &["checkout", "-q", "main"]);
    git(&remote.work(), &["reset", "-q", "--hard", &fork]);
    let new = remote.commit("new");
    remote.push(&["--force", "main"]);
    let checkout = remote.checkout("checkout", "main");
    let mut event = push_event("refs/heads/main", &old, &new);
    event["forced"] = json!(true);
    let (text, commits) = plan(&checkout, "push", &event);
    assert_eq!(commits, set(&[&new]), "{text}");
}

#[test]
fn pull_request_scans_every_commit_from_the_merge_base_including_merges() {
    let remote = Remote::new();
    remote.commit("a");
    remote.commit("b");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    // More than one API page (30) of commits.
    let mut expected = Vec::new();
    for i in 0..35 {
        expected.push(remote.commit(&format!("f{i}")));
    }
    git(&remote.work(), &["checkout", "-q", "main"]);
    remote.commit("m1");
    let base = remote.commit("m2");
    git(&remote.work(), &["checkout", "-q", "feat"]);
    git(&remote.work(), &["merge", "-q", "--no-edit", "main"]);
    let head = remote.rev("HEAD");
    expected.push(head.clone());
    remote.push(&["main", "feat"]);

    let checkout = remote.checkout("checkout", "main");
    let (text, commits) = plan(&checkout, "pull_request", &pr_event(&base, &head));
    assert_eq!(
        commits,
        expected.iter().cloned().collect::<BTreeSet<_>>(),
        "{text}"
    );
    assert_eq!(commits.len(), 36);
    assert!(
        text.starts_with("plan: pull request #7: commits from the merge base"),
        "{text}"
    );
}

#[test]
fn schedule_and_dispatch_audit_everything_deleted_branch_nothing() {
    let remote = Remote::new();
    let c1 = remote.commit("a");
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    for event in ["schedule", "workflow_dispatch"] {
        let (text, commits) = plan(&checkout, event, &json!({}));
        assert!(text.contains("scan: full history"), "{text}");
        assert!(commits.is_empty());
    }
    let (text, commits) = plan(&checkout, "push", &push_event("refs/heads/gone", &c1, ZERO));
    assert!(text.contains("scan: nothing"), "{text}");
    assert!(commits.is_empty());

    ci(
        &checkout,
        "schedule",
        &json!({}),
        &["--mode", "range", "--dry-run"],
    )
    .assert()
    .code(2)
    .stderr(predicates::str::contains("no commit range"));
    ci(
        &checkout,
        "schedule",
        &json!({}),
        &["--since-commit", "HEAD~1"],
    )
    .assert()
    .code(2)
    .stderr(predicates::str::contains("decided by the event"));
}

#[test]
fn shallow_push_checkout_is_deepened_until_the_range_is_whole() {
    let remote = Remote::new();
    remote.commit("a");
    let before = remote.commit("b");
    remote.push(&["main"]);
    let mut expected = Vec::new();
    for i in 0..4 {
        expected.push(remote.commit(&format!("n{i}")));
    }
    remote.push(&["main"]);
    let after = expected.last().unwrap().clone();
    let checkout = remote.shallow_checkout("checkout", "main");
    assert_eq!(
        git(&checkout, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );

    let (text, commits) = plan(
        &checkout,
        "push",
        &push_event("refs/heads/main", &before, &after),
    );
    assert_eq!(
        commits,
        expected.iter().cloned().collect::<BTreeSet<_>>(),
        "{text}"
    );
    assert!(text.contains("note: "), "fetches are reported: {text}");
}

#[test]
fn shallow_pull_request_checkout_fetches_the_head_and_the_merge_base() {
    let remote = Remote::new();
    remote.commit("a");
    remote.commit("b");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    let f1 = remote.commit("f1");
    let f2 = remote.commit("f2");
    git(&remote.work(), &["checkout", "-q", "main"]);
    let base = remote.commit("m1");
    remote.push(&["main", "feat"]);
    let checkout = remote.shallow_checkout("checkout", "main");
    let (text, commits) = plan(&checkout, "pull_request", &pr_event(&base, &f2));
    assert_eq!(commits, set(&[&f1, &f2]), "{text}");
}

#[test]
fn shallow_checkout_that_cannot_fetch_fails_with_the_fix() {
    let remote = Remote::new();
    remote.commit("a");
    let before = remote.commit("b");
    remote.push(&["main"]);
    remote.commit("c");
    remote.commit("d");
    let after2 = remote.rev("HEAD");
    remote.push(&["main"]);
    let checkout = remote.shallow_checkout("checkout", "main");
    git(
        &checkout,
        &["remote", "set-url", "origin", "/nonexistent/origin.git"],
    );
    let event = push_event("refs/heads/main", &before, &after2);
    ci(&checkout, "push", &event, &["--dry-run"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("fetch-depth: 0"));

    // A real run says so in the job summary and as an annotation too.
    let files = tempfile::tempdir().unwrap();
    let summary = files.path().join("summary.md");
    let output = ci(&checkout, "push", &event, &[])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with("::error title=vastleaks::"), "{stdout}");
    // Outside Actions, no workflow command: the error is on stderr only.
    let outside = ci(&checkout, "push", &event, &[])
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    assert_eq!(outside.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&outside.stdout).contains("::error"));
    assert!(stdout.contains("fetch-depth: 0"), "{stdout}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with("## vastleaks: the scan did not run\n\n"),
        "{summary}"
    );
    assert!(summary.contains("fetch-depth: 0"), "{summary}");
}

#[test]
fn deleted_branch_run_writes_summary_outputs_and_sarif() {
    let remote = Remote::new();
    let c1 = remote.commit("a");
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    let files = tempfile::tempdir().unwrap();
    let summary = files.path().join("summary.md");
    let outputs = files.path().join("outputs");
    let sarif = files.path().join("out.sarif");
    std::fs::write(&outputs, "earlier=1\n").unwrap();
    ci(
        &checkout,
        "push",
        &push_event("refs/heads/gone", &c1, ZERO),
        &["--sarif", sarif.to_str().unwrap()],
    )
    .env("GITHUB_STEP_SUMMARY", &summary)
    .env("GITHUB_OUTPUT", &outputs)
    .assert()
    .success()
    .stdout("");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.starts_with("## vastleaks: no Vast API keys found\n\n- push deleted refs/heads/gone: nothing to scan\n"),
        "{summary}"
    );
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        format!("earlier=1\nfindings=0\nlive=0\nsarif={}\n", sarif.display())
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"], json!([]));
}

#[test]
fn outside_actions_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    vastleaks()
        .current_dir(dir.path())
        .env_remove("GITHUB_EVENT_NAME")
        .args(["ci", "github"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("GITHUB_EVENT_NAME is not set"));
}

/// A full run: (exit code, stdout, summary, outputs, SARIF results).
struct CiRun {
    code: i32,
    stdout: String,
    summary: String,
    outputs: String,
    sarif_results: Vec<serde_json::Value>,
}

fn ci_run(checkout: &Path, event: &str, payload: &serde_json::Value, args: &[&str]) -> CiRun {
    let files = tempfile::tempdir().unwrap();
    let summary = files.path().join("summary.md");
    let outputs = files.path().join("outputs");
    let output = ci(checkout, event, payload, args)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .env("RUNNER_TEMP", files.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap_or_else(|e| panic!("{}: {e}; stderr: {stderr}", p.display()))
    };
    let sarif: serde_json::Value =
        serde_json::from_str(&read(&files.path().join("vastleaks.sarif"))).unwrap();
    CiRun {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        summary: read(&summary),
        outputs: read(&outputs),
        sarif_results: sarif["runs"][0]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    }
}

/// Commits `path` holding a key line in the work repository.
fn commit_key(remote: &Remote, path: &str, key_index: usize) -> String {
    commit_file(
        &remote.work(),
        path,
        &key_line(key_index),
        &format!("add {path}"),
    )
}

#[test]
fn push_run_reports_only_keys_in_the_pushed_commits() {
    let remote = Remote::new();
    remote.commit("a");
    commit_key(&remote, "old.env", 0);
    let before = remote.commit("b");
    remote.push(&["main"]);
    let leak = commit_key(&remote, "config/new.env", 1);
    let after = remote.commit("c");
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    let run = ci_run(
        &checkout,
        "push",
        &push_event("refs/heads/main", &before, &after),
        &[],
    );

    assert_eq!(run.code, 1, "findings fail the step: {}", run.stdout);
    let annotations: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(annotations.len(), 1, "{}", run.stdout);
    assert!(
        annotations[0].starts_with(&format!(
            "::error file=config/new.env,line=1,col=14,title=Vast API key::Vast API key assigned to a Vast-named variable {} ",
            redacted(&key(1))
        )),
        "{}",
        annotations[0]
    );
    assert!(annotations[0].contains(&format!("in commit {}.", &leak[..12])));
    assert!(!run.stdout.contains(&key(1)) && !run.summary.contains(&key(1)));
    assert!(
        !run.stdout.contains(&redacted(&key(0))),
        "a key before the push is not reported"
    );

    assert!(
        run.summary
            .starts_with("## vastleaks: 1 leaked Vast API key (1 finding)\n"),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains(&format!(
            "- push to refs/heads/main: commits {}..{}\n- 2 commits scanned\n",
            &before[..12],
            &after[..12]
        )),
        "{}",
        run.summary
    );
    assert!(
        run.summary.contains(&format!(
            "| `{}`<br>fingerprint `929683a167bc703e` | config/new.env:1 | `{}` add config/new.env<br>still at HEAD | not checked | Revoke, then rewrite history or accept |\n",
            redacted(&key(1)),
            &leak[..12]
        )),
        "{}",
        run.summary
    );
    let lines: Vec<&str> = run.outputs.lines().collect();
    assert_eq!(lines[..2], ["findings=1", "live=0"]);
    assert!(
        lines[2].starts_with("sarif=/") && lines[2].ends_with("/vastleaks.sarif"),
        "{}",
        run.outputs
    );
    assert_eq!(run.sarif_results.len(), 1);
    assert_eq!(
        run.sarif_results[0]["partialFingerprints"]["vastleaks/v1"],
        "929683a167bc703e"
    );

    // Checked out into a sub-directory of the workspace: annotations name
    // the file relative to the workspace, as GitHub expects.
    let output = ci(
        &checkout,
        "push",
        &push_event("refs/heads/main", &before, &after),
        &[],
    )
    .env("GITHUB_WORKSPACE", checkout.parent().unwrap())
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("::error file=checkout/config/new.env,line=1,"),
        "{stdout}"
    );

    let never = ci_run(
        &checkout,
        "push",
        &push_event("refs/heads/main", &before, &after),
        &["--fail-on", "never"],
    );
    assert_eq!(never.code, 0);
    assert!(never.outputs.starts_with("findings=1\n"));
}

#[test]
fn new_branch_merging_two_branches_scans_exactly_its_own_commits() {
    let remote = Remote::new();
    remote.commit("a");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "side"]);
    commit_key(&remote, "side.env", 2);
    remote.push(&["side"]);
    git(&remote.work(), &["checkout", "-q", "main"]);
    remote.commit("m1");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    let own = commit_key(&remote, "feat.env", 3);
    git(&remote.work(), &["merge", "-q", "--no-edit", "side"]);
    let merge = remote.rev("HEAD");
    remote.push(&["feat"]);
    let checkout = remote.checkout("checkout", "feat");
    let event = push_event("refs/heads/feat", ZERO, &merge);

    let (text, commits) = plan(&checkout, "push", &event);
    assert_eq!(commits, set(&[&own, &merge]), "{text}");
    let run = ci_run(&checkout, "push", &event, &[]);
    assert!(run.stdout.contains(&redacted(&key(3))), "{}", run.stdout);
    assert!(
        !run.stdout.contains(&redacted(&key(2))),
        "side's key is on another branch: {}",
        run.stdout
    );
    assert!(run.outputs.starts_with("findings=1\n"), "{}", run.outputs);
}

#[test]
fn first_push_scans_the_root_commit_too() {
    let remote = Remote::new();
    commit_key(&remote, "root.env", 4);
    let tip = remote.commit("b");
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    let run = ci_run(
        &checkout,
        "push",
        &push_event("refs/heads/main", ZERO, &tip),
        &[],
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(&redacted(&key(4))), "{}", run.stdout);
}

#[test]
fn pull_request_run_ignores_keys_on_the_base_branch() {
    let remote = Remote::new();
    remote.commit("a");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    commit_key(&remote, "pr.env", 5);
    let head = remote.commit("f2");
    git(&remote.work(), &["checkout", "-q", "main"]);
    commit_key(&remote, "main.env", 0);
    let base = remote.rev("HEAD");
    remote.push(&["main", "feat"]);
    let checkout = remote.checkout("checkout", "main");
    let run = ci_run(&checkout, "pull_request", &pr_event(&base, &head), &[]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(&redacted(&key(5))), "{}", run.stdout);
    assert!(!run.stdout.contains(&redacted(&key(0))), "{}", run.stdout);
    assert!(
        run.summary
            .contains("- pull request #7: commits from the merge base"),
        "{}",
        run.summary
    );
}

#[test]
fn schedule_run_audits_all_history() {
    let remote = Remote::new();
    commit_key(&remote, "deleted.env", 1);
    git(&remote.work(), &["rm", "-q", "deleted.env"]);
    git(&remote.work(), &["commit", "-q", "-m", "remove key"]);
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    let run = ci_run(&checkout, "schedule", &json!({}), &[]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("file=deleted.env"), "{}", run.stdout);
    assert!(
        run.summary.contains("- schedule: full history audit\n"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("history only"), "{}", run.summary);
}

#[test]
fn verify_marks_live_and_revoked_keys_and_fail_on_live() {
    let api = fake_vast::FakeVast::start();
    let live = api.add_live("ci-live", 1, 11);
    let revoked = fake_vast::key_from_seed("ci-revoked");
    let remote = Remote::new();
    let before = remote.commit("a");
    remote.push(&["main"]);
    commit_file(
        &remote.work(),
        "live.env",
        &format!("VAST_API_KEY={live}\n"),
        "live",
    );
    commit_file(
        &remote.work(),
        "old.env",
        &format!("VAST_API_KEY={revoked}\n"),
        "revoked",
    );
    let after = remote.rev("HEAD");
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    let event = push_event("refs/heads/main", &before, &after);
    let verify = [
        "--verify",
        "--api-url",
        api.url.as_str(),
        "--verify-timeout",
        "2s",
        "--verify-retries",
        "1",
    ];

    let mut args = verify.to_vec();
    args.extend(["--fail-on", "live"]);
    let run = ci_run(&checkout, "push", &event, &args);
    assert_eq!(
        run.code, 1,
        "a live key fails with --fail-on live: {}",
        run.stdout
    );
    assert!(
        run.outputs.starts_with("findings=2\nlive=1\n"),
        "{}",
        run.outputs
    );
    assert!(
        run.stdout.contains("title=Live Vast API key::")
            && run.stdout.contains("Verification: live."),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("::notice file=old.env,"),
        "{}",
        run.stdout
    );
    assert!(
        run.summary
            .contains("| **live** | **Revoke now**, then rewrite history or accept |"),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .contains("| revoked | Already dead: rewrite history or accept |"),
        "{}",
        run.summary
    );
    assert!(
        run.summary
            .starts_with("## vastleaks: 2 leaked Vast API keys (2 findings), 1 live\n"),
        "{}",
        run.summary
    );
    let sarif = serde_json::to_string(&run.sarif_results).unwrap();
    for text in [&run.stdout, &run.summary, &run.outputs, &sarif] {
        assert!(!text.contains(&live) && !text.contains(&revoked));
        for pii in fake_vast::PII {
            assert!(!text.contains(pii), "personal data in the CI output");
        }
    }

    // Only the revoked key: --fail-on live passes, --fail-on any fails.
    api.edit(&live, |record| record.deleted = true);
    let mut args = verify.to_vec();
    args.extend(["--fail-on", "live"]);
    assert_eq!(ci_run(&checkout, "push", &event, &args).code, 0);
    assert_eq!(ci_run(&checkout, "push", &event, &verify).code, 1);

    // --fail-on live without --verify is a usage error.
    ci(&checkout, "push", &event, &["--fail-on", "live"])
        .assert()
        .code(2);
}

#[test]
fn pull_request_from_unrelated_history_scans_all_its_commits() {
    let remote = Remote::new();
    remote.commit("a");
    let base = remote.commit("b");
    git(&remote.work(), &["checkout", "-q", "--orphan", "feat"]);
    git(&remote.work(), &["rm", "-q", "-rf", "."]);
    let o1 = remote.commit("o1");
    let o2 = remote.commit("o2");
    remote.push(&["main", "feat"]);
    let checkout = remote.checkout("checkout", "main");
    let (text, commits) = plan(&checkout, "pull_request", &pr_event(&base, &o2));
    assert_eq!(commits, set(&[&o1, &o2]), "{text}");
    assert!(text.contains("(none: unrelated histories)"), "{text}");
}

#[test]
fn shallow_new_branch_and_force_push_are_exact() {
    let remote = Remote::new();
    for i in 0..5 {
        remote.commit(&format!("a{i}"));
    }
    let fork = remote.rev("HEAD");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    let f1 = remote.commit("f1");
    let f2 = remote.commit("f2");
    remote.push(&["feat"]);
    git(&remote.work(), &["checkout", "-q", "main"]);
    remote.commit("m1");
    remote.push(&["main"]);

    // New branch, single-branch shallow checkout of feat: main is fetched
    // (its tip only) and both are deepened until they meet.
    let checkout = remote.shallow_checkout("new", "feat");
    let (text, commits) = plan(&checkout, "push", &push_event("refs/heads/feat", ZERO, &f2));
    assert_eq!(commits, set(&[&f1, &f2]), "{text}");

    // Force push whose old tip is gone, same kind of checkout.
    let gone = "1234567890123456789012345678901234567890";
    let checkout = remote.shallow_checkout("forced", "feat");
    let mut event = push_event("refs/heads/feat", gone, &f2);
    event["forced"] = json!(true);
    let (text, commits) = plan(&checkout, "push", &event);
    assert_eq!(commits, set(&[&f1, &f2]), "{text}");
    assert!(text.contains(&format!("({})", &fork[..12])), "{text}");
}

#[test]
fn shallow_schedule_unshallows_before_the_audit() {
    let remote = Remote::new();
    commit_key(&remote, "old.env", 3);
    git(&remote.work(), &["rm", "-q", "old.env"]);
    git(&remote.work(), &["commit", "-q", "-m", "remove"]);
    remote.commit("later");
    remote.push(&["main"]);
    let checkout = remote.shallow_checkout("checkout", "main");
    let run = ci_run(&checkout, "schedule", &json!({}), &[]);
    assert_eq!(run.code, 1, "{}", run.summary);
    assert!(run.stdout.contains("file=old.env"), "{}", run.stdout);
    assert!(run.summary.contains("--unshallow"), "{}", run.summary);
    assert_eq!(
        git(&checkout, &["rev-parse", "--is-shallow-repository"]),
        "false"
    );
}

/// An executable shell script at `path` that appends its name to `marker`
/// (then runs `then`, if any, with the same arguments).
fn marker_script(path: &Path, marker: &Path, then: &str) {
    let text = format!(
        "#!/bin/sh\necho \"$0 $*\" >> '{}'\n{then}\n",
        marker.display()
    );
    std::fs::write(path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn commands_configured_by_the_repository_never_run() {
    let remote = Remote::new();
    remote.commit("a");
    let before = remote.commit("b");
    remote.push(&["main"]);
    let leak = commit_key(&remote, "leak.env", 2);
    remote.commit("c");
    let after = remote.rev("HEAD");
    remote.push(&["main"]);
    // Shallow, so the run has to fetch (uploadpack, ref updates, gc).
    let checkout = remote.shallow_checkout("checkout", "main");
    let scripts = tempfile::tempdir().unwrap();
    let marker = scripts.path().join("marker");
    let upload_pack = scripts.path().join("upload-pack");
    marker_script(&upload_pack, &marker, "exec git-upload-pack \"$@\"");
    let fsmonitor = scripts.path().join("fsmonitor");
    marker_script(&fsmonitor, &marker, "");
    let hooks = scripts.path().join("hooks");
    std::fs::create_dir(&hooks).unwrap();
    for hook in [
        "reference-transaction",
        "pre-auto-gc",
        "post-checkout",
        "post-merge",
    ] {
        marker_script(&hooks.join(hook), &marker, "");
        marker_script(&checkout.join(".git/hooks").join(hook), &marker, "");
    }
    let included = scripts.path().join("included.cfg");
    std::fs::write(
        &included,
        format!(
            "[core]\n\tsshCommand = '{}'\n\taskPass = '{}'\n[credential]\n\thelper = '!{}'\n",
            fsmonitor.display(),
            fsmonitor.display(),
            fsmonitor.display()
        ),
    )
    .unwrap();
    for (key, value) in [
        ("core.fsmonitor", fsmonitor.to_str().unwrap()),
        ("remote.origin.uploadpack", upload_pack.to_str().unwrap()),
        ("core.hooksPath", hooks.to_str().unwrap()),
        ("include.path", included.to_str().unwrap()),
        ("protocol.ext.allow", "always"),
        ("fetch.recurseSubmodules", "true"),
        ("gc.auto", "1"),
    ] {
        git(&checkout, &["config", key, value]);
    }
    // The same git, without vastleaks' guard, does run them: the test can fail.
    git(
        &checkout,
        &["fetch", "-q", "origin", "main:refs/remotes/origin/probe"],
    );
    git(
        &checkout,
        &["update-ref", "-d", "refs/remotes/origin/probe"],
    );
    assert!(marker.exists(), "the scripts are wired up");
    std::fs::remove_file(&marker).unwrap();

    let run = ci_run(
        &checkout,
        "push",
        &push_event("refs/heads/main", &before, &after),
        &[],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.summary);
    assert!(
        run.stdout.contains(&format!("in commit {}.", &leak[..12])),
        "{}",
        run.stdout
    );
    assert!(
        run.summary.contains("--deepen"),
        "it fetched: {}",
        run.summary
    );
    let ran = std::fs::read_to_string(&marker).unwrap_or_default();
    assert!(ran.is_empty(), "repository-configured commands ran:\n{ran}");
}

#[test]
fn hostile_payload_ids_are_refused_before_git_sees_them() {
    let remote = Remote::new();
    let c1 = remote.commit("a");
    let c2 = remote.commit("b");
    remote.push(&["main"]);
    let checkout = remote.checkout("checkout", "main");
    let scratch = tempfile::tempdir().unwrap();
    let marker = scratch.path().join("marker");
    let inject = format!("--upload-pack=touch {}", marker.display());
    let not_ascii = format!("a{}", "é".repeat(20));
    let cases = [
        (
            "push",
            push_event("refs/heads/main", &inject, &c2),
            "before",
        ),
        ("push", push_event("refs/heads/main", &c1, &inject), "after"),
        (
            "push",
            push_event("refs/heads/main", &not_ascii, &c2),
            "before",
        ),
        (
            "push",
            push_event("refs/heads/main", &c1, &"z".repeat(40)),
            "after",
        ),
        (
            "pull_request",
            pr_event(&inject, &c2),
            "pull_request.base.sha",
        ),
        (
            "pull_request",
            pr_event(&c1, &not_ascii),
            "pull_request.head.sha",
        ),
    ];
    for (event, payload, field) in cases {
        for args in [&["--dry-run"][..], &[]] {
            let output = ci(&checkout, event, &payload, args).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{field}: {stderr}");
            assert!(!stderr.contains("panicked"), "{stderr}");
            assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
            assert!(
                stderr.contains(&format!("`{field}` is not a commit id")),
                "{stderr}"
            );
            assert!(!marker.exists(), "{field}: the payload ran a command");
        }
    }
}

/// Everything under `.git` (path -> contents), and git's own object count.
fn git_dir_state(repo: &Path) -> (std::collections::BTreeMap<PathBuf, Vec<u8>>, String) {
    fn walk(dir: &Path, root: &Path, out: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_path_buf();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut files = std::collections::BTreeMap::new();
    let git_dir = repo.join(".git");
    walk(&git_dir, &git_dir, &mut files);
    let counts = git(repo, &["count-objects", "-v"]);
    (files, counts)
}

fn assert_unchanged(
    repo: &Path,
    before: &(std::collections::BTreeMap<PathBuf, Vec<u8>>, String),
    what: &str,
) {
    let after = git_dir_state(repo);
    assert_eq!(before.1, after.1, "{what}: git count-objects changed");
    let names =
        |s: &std::collections::BTreeMap<PathBuf, Vec<u8>>| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&before.0),
        names(&after.0),
        "{what}: files under .git changed"
    );
    for (path, contents) in &before.0 {
        assert!(
            after.0.get(path) == Some(contents),
            "{what}: {} changed",
            path.display()
        );
    }
}

#[test]
fn no_scan_writes_into_the_repository() {
    let remote = Remote::new();
    let root = commit_key(&remote, "root.env", 0);
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "side"]);
    commit_key(&remote, "side.env", 2);
    remote.push(&["side"]);
    git(&remote.work(), &["checkout", "-q", "main"]);
    let m1 = remote.commit("m1");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    commit_key(&remote, "feat.env", 3);
    // A merge of two branches: the new branch's boundary is two commits.
    git(&remote.work(), &["merge", "-q", "--no-edit", "side"]);
    let merge = remote.rev("HEAD");
    remote.push(&["feat"]);
    let checkout = remote.checkout("checkout", "feat");
    std::fs::write(checkout.join("staged.env"), key_line(4)).unwrap();
    git(&checkout, &["add", "staged.env"]);
    let before = git_dir_state(&checkout);

    let scans: [&[&str]; 4] = [
        &["."],
        &["--staged"],
        &["--git"],
        &["--git", "--since-commit", &root],
    ];
    for args in scans {
        let output = vastleaks()
            .current_dir(&checkout)
            .arg("scan")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "scan {args:?}: {output:?}");
        assert_unchanged(&checkout, &before, &format!("scan {args:?}"));
    }
    // New branch (two boundary commits), push, pull request, full audit.
    let events = [
        ("push", push_event("refs/heads/feat", ZERO, &merge)),
        ("push", push_event("refs/heads/feat", &m1, &merge)),
        ("pull_request", pr_event(&m1, &merge)),
        ("schedule", json!({})),
    ];
    for (event, payload) in events {
        let run = ci_run(&checkout, event, &payload, &[]);
        assert_eq!(run.code, 1, "{event} {payload}: {}", run.summary);
        assert_unchanged(&checkout, &before, &format!("ci github {event} {payload}"));
    }
    // First push of the only branch: its whole history, no boundary at all.
    let single = remote.dir.path().join("single");
    git(
        remote.dir.path(),
        &[
            "clone",
            "-q",
            "--single-branch",
            "--branch",
            "main",
            &remote.origin_url(),
            "single",
        ],
    );
    let before = git_dir_state(&single);
    let event = push_event("refs/heads/main", ZERO, &m1);
    let run = ci_run(&single, "push", &event, &[]);
    assert_eq!(run.code, 1, "{}", run.summary);
    assert!(
        run.summary.contains("- 2 commits scanned\n"),
        "{}",
        run.summary
    );
    assert_unchanged(&single, &before, "ci github first push");
}

impl Remote {
    /// A checkout as actions/checkout makes it with `filter: FILTER`
    /// (a partial clone: blobs outside the checked-out tree are not fetched).
    fn partial_checkout(&self, name: &str, branch: &str, filter: &str) -> PathBuf {
        git(
            &self.dir.path().join("origin.git"),
            &["config", "uploadpack.allowFilter", "true"],
        );
        git(
            self.dir.path(),
            &[
                "clone",
                "-q",
                &format!("--filter={filter}"),
                "--branch",
                branch,
                &self.origin_url(),
                name,
            ],
        );
        self.dir.path().join(name)
    }
}

/// A pull request that adds a key and deletes it in the next commit.
fn add_then_delete_pull_request(remote: &Remote) -> (String, String, String) {
    remote.commit("a");
    let base = remote.commit("b");
    remote.push(&["main"]);
    git(&remote.work(), &["checkout", "-q", "-b", "feat"]);
    let leak = commit_key(remote, "secret.env", 1);
    git(&remote.work(), &["rm", "-q", "secret.env"]);
    git(&remote.work(), &["commit", "-q", "-m", "oops, remove it"]);
    let head = remote.rev("HEAD");
    remote.push(&["feat"]);
    (base, leak, head)
}

#[test]
fn partial_clone_checkout_fetches_the_blobs_the_event_needs() {
    for filter in ["blob:none", "tree:0"] {
        let remote = Remote::new();
        let (base, leak, head) = add_then_delete_pull_request(&remote);
        let checkout = remote.partial_checkout(&format!("pr-{filter}"), "feat", filter);
        let blob = git(
            &remote.work(),
            &["rev-parse", &format!("{leak}:secret.env")],
        );
        assert!(
            !git_cmd(&checkout)
                .args(["cat-file", "-e", &blob])
                .env("GIT_NO_LAZY_FETCH", "1")
                .status()
                .unwrap()
                .success(),
            "the key's blob is not in the partial clone"
        );
        let run = ci_run(&checkout, "pull_request", &pr_event(&base, &head), &[]);
        assert_eq!(run.code, 1, "{filter}: {}\n{}", run.stdout, run.summary);
        assert!(
            run.stdout.contains(&redacted(&key(1))) && run.stdout.contains(&leak[..12]),
            "{filter}: {}",
            run.stdout
        );
        assert!(
            run.summary.contains("partial clone: fetched"),
            "{filter}: {}",
            run.summary
        );
        assert!(
            !run.stdout.contains("::warning"),
            "{filter}: {}",
            run.stdout
        );

        // A partial clone that cannot fetch fails the step, with the fix.
        let offline = remote.partial_checkout(&format!("offline-{filter}"), "feat", filter);
        git(
            &offline,
            &["remote", "set-url", "origin", "/nonexistent/origin.git"],
        );
        let output = ci(&offline, "pull_request", &pr_event(&base, &head), &[])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{filter}: {stderr}");
        assert!(
            stderr.contains("partial clone") && stderr.contains("no `filter`"),
            "{filter}: {stderr}"
        );
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");

        // The full-history audit of a partial clone fetches what it lacks too.
        let checkout = remote.partial_checkout(&format!("audit-{filter}"), "main", filter);
        git(&checkout, &["fetch", "-q", "origin", "feat"]);
        let run = ci_run(&checkout, "schedule", &json!({}), &[]);
        assert_eq!(run.code, 1, "{filter}: {}\n{}", run.stdout, run.summary);
        assert!(
            run.stdout.contains(&redacted(&key(1))),
            "{filter}: {}",
            run.stdout
        );
    }
}
