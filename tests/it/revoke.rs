//! `vastleaks revoke` against a fake Vast API on 127.0.0.1.

use crate::common::vastleaks_on_terminal;
use crate::fake_vast;

use std::time::Duration;

use fake_vast::{
    assert_no_leaks, fingerprint, key_from_seed, vastleaks, write_env_files, FakeVast,
};
use tempfile::TempDir;

const CURRENT: &str = "/api/v0/users/current/";
const KEYS: &str = "/api/v0/auth/apikeys/";

fn revoke(api: &FakeVast, dir: &TempDir, extra: &[&str]) -> std::process::Output {
    vastleaks()
        .arg("revoke")
        .arg(dir.path())
        .args([
            "--api-url",
            &api.url,
            "--verify-timeout",
            "2s",
            "--verify-backoff",
            "10ms",
        ])
        .args(extra)
        .output()
        .unwrap()
}

fn audit(output: &std::process::Output) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    doc["audit"].as_array().unwrap().clone()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// An account with its main key (id 10) and the leaked key (id 11).
fn account(api: &FakeVast) -> (String, String) {
    let main = api.add_live("main", 500, 10);
    let leaked = api.add_live("leaked", 500, 11);
    (main, leaked)
}

#[test]
fn dry_run_changes_nothing() {
    let api = FakeVast::start();
    let (main, leaked) = account(&api);
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &leaked), ("sub/b.env", &leaked)]);
    for format in ["human", "json"] {
        let output = revoke(&api, &dir, &["--format", format]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "live key remains: {output:?}"
        );
        assert_eq!(api.count("DELETE", "/", None), 0);
        assert!(!api.is_deleted(&leaked));
        assert!(stderr(&output).contains("dry run: nothing was changed"));
        if format == "json" {
            let records = audit(&output);
            assert_eq!(records.len(), 1);
            assert_eq!(records[0]["outcome"], "would_revoke");
            assert_eq!(records[0]["action"], "dry-run");
            assert_eq!(records[0]["key_id"], 11);
            assert_eq!(records[0]["fingerprint"], fingerprint(&leaked));
        } else {
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                stdout.contains("would_revoke") && stdout.contains(&fingerprint(&leaked)),
                "{stdout}"
            );
            // The plan names the locations.
            assert!(
                stderr(&output).contains("a.env:2:14"),
                "{}",
                stderr(&output)
            );
        }
        assert_no_leaks(&output, &[&main, &leaked]);
    }
    api.assert_clean_requests();
}

#[test]
fn yes_deletes_and_post_checks() {
    for with_values in [false, true] {
        let api = FakeVast::start();
        api.list_with_values(with_values);
        let (main, leaked) = account(&api);
        let dir = TempDir::new().unwrap();
        write_env_files(dir.path(), &[("a.env", &leaked)]);
        let output = revoke(&api, &dir, &["--yes", "--format", "json"]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(api.is_deleted(&leaked));
        assert!(!api.is_deleted(&main), "the main key was deleted");
        assert_eq!(api.count("DELETE", &format!("{KEYS}11/"), Some(&leaked)), 1);
        assert_eq!(api.count("DELETE", "/", None), 1);
        // Verify, then the post-check.
        assert_eq!(api.count("GET", CURRENT, Some(&leaked)), 2);
        assert_eq!(api.count("GET", KEYS, Some(&leaked)), 1);
        let records = audit(&output);
        assert_eq!(records[0]["outcome"], "revoked", "{records:?}");
        assert_eq!(records[0]["action"], "revoke");
        assert_eq!(records[0]["key_id"], 11);
        assert!(records[0]["time"].as_str().unwrap().ends_with('Z'));
        assert!(stderr(&output).contains("audit log"));
        assert_no_leaks(&output, &[&main, &leaked]);
        api.assert_clean_requests();
    }
}

#[test]
fn wrong_key_id_is_refused() {
    // With key values in the list: /users/current/ reports the main key's
    // id, the list says the leaked key is 11: refuse.
    let api = FakeVast::start();
    api.list_with_values(true);
    let (main, leaked) = account(&api);
    api.edit(&leaked, |r| r.reported_key_id = Some(10));
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &leaked)]);
    let output = revoke(&api, &dir, &["--yes", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(api.count("DELETE", "/", None), 0);
    let records = audit(&output);
    assert_eq!(records[0]["outcome"], "refused");
    let detail = records[0]["detail"].as_str().unwrap();
    assert!(detail.contains("manage-keys"), "{detail}");
    assert_no_leaks(&output, &[&main, &leaked]);

    // Without values: a key_id that is not in the account's list: refuse.
    let api = FakeVast::start();
    let (main, leaked) = account(&api);
    api.edit(&leaked, |r| r.reported_key_id = Some(999));
    let output = revoke(&api, &dir, &["--yes", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(api.count("DELETE", "/", None), 0);
    assert_eq!(audit(&output)[0]["outcome"], "refused");
    assert!(!api.is_deleted(&main) && !api.is_deleted(&leaked));

    // No key_id at all: nothing to cross-check, refuse without listing.
    let api = FakeVast::start();
    let (main, leaked) = account(&api);
    api.edit(&leaked, |r| r.hide_key_id = true);
    let output = revoke(&api, &dir, &["--yes", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(api.count("DELETE", "/", None), 0);
    assert_eq!(api.count("GET", KEYS, None), 0);
    let records = audit(&output);
    assert_eq!(records[0]["outcome"], "refused");
    assert!(records[0]["detail"].as_str().unwrap().contains("key_id"));
    assert!(!api.is_deleted(&main) && !api.is_deleted(&leaked));
}

#[test]
fn a_different_key_deleted_is_reported_loudly() {
    // Without values the list cannot tell; key_id points at the main key,
    // which exists: the delete happens, and the post-check catches it.
    let api = FakeVast::start();
    let (main, leaked) = account(&api);
    api.edit(&leaked, |r| r.reported_key_id = Some(10));
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &leaked)]);
    let output = revoke(&api, &dir, &["--yes", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(api.is_deleted(&main) && !api.is_deleted(&leaked));
    assert_eq!(audit(&output)[0]["outcome"], "different_key_deleted");
    let err = stderr(&output);
    assert!(
        err.contains("DANGER") && err.contains("A DIFFERENT KEY WAS DELETED"),
        "{err}"
    );
    assert_no_leaks(&output, &[&main, &leaked]);
}

#[test]
fn delete_answers_403_401_404_and_429() {
    // (canned DELETE answer, 429s first, expected outcome, exit code)
    type Case = (Option<(u16, bool)>, u32, &'static str, i32);
    let cases: [Case; 4] = [
        (Some((403, false)), 0, "refused", 1),
        (Some((401, false)), 0, "refused", 1),
        (Some((404, true)), 0, "already_gone", 0),
        (None, 1, "revoked", 0),
    ];
    for (answer, rate_limited, outcome, code) in cases {
        let api = FakeVast::start();
        let (main, leaked) = account(&api);
        api.edit(&leaked, |r| {
            r.delete_answer = answer;
            r.delete_rate_limited = rate_limited;
        });
        let dir = TempDir::new().unwrap();
        write_env_files(dir.path(), &[("a.env", &leaked)]);
        let output = revoke(&api, &dir, &["--yes", "--format", "json"]);
        let records = audit(&output);
        assert_eq!(records[0]["outcome"], outcome, "{answer:?}: {records:?}");
        assert_eq!(output.status.code(), Some(code), "{answer:?}");
        assert_eq!(
            api.count("DELETE", "/", None),
            1 + rate_limited as usize,
            "{answer:?}"
        );
        let detail = records[0]["detail"].as_str().unwrap();
        match answer {
            Some((403, _)) => assert!(detail.contains("another user"), "{detail}"),
            Some((401, _)) => assert!(detail.contains("user_write"), "{detail}"),
            _ => {}
        }
        assert!(!api.is_deleted(&main));
        assert_no_leaks(&output, &[&main, &leaked]);
    }
}

#[test]
fn stdin_keys_and_fingerprint_filter() {
    let api = FakeVast::start();
    let (main, leaked) = account(&api);
    let other = api.add_live("other", 500, 12);
    let revoked = key_from_seed("gone");
    let output = vastleaks()
        .args(["revoke", "--stdin", "--yes", "--format", "json"])
        .args(["--api-url", &api.url, "--verify-backoff", "10ms"])
        .args([
            "--fingerprint",
            &fingerprint(&leaked),
            "--fingerprint",
            &fingerprint(&revoked),
        ])
        .write_stdin(format!("{leaked}\n\n# comment\n{other}\n{revoked}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(api.is_deleted(&leaked));
    assert!(!api.is_deleted(&other), "--fingerprint not honoured");
    assert_eq!(api.count("GET", CURRENT, Some(&other)), 0);
    let records = audit(&output);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["outcome"], "revoked");
    assert_eq!(records[1]["outcome"], "not_live");
    assert_eq!(records[1]["action"], "skip");
    assert_no_leaks(&output, &[&main, &leaked, &other, &revoked]);

    // A line that is not a key: exit 2, and the line is not echoed.
    let output = vastleaks()
        .args(["revoke", "--stdin", "--api-url", &api.url])
        .write_stdin("not-a-key-but-maybe-a-password\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("line 1") && !err.contains("maybe-a-password"),
        "{err}"
    );
    // Keys are lowercase: an uppercase one is not a key (and not echoed).
    let output = vastleaks()
        .args(["revoke", "--stdin", "--api-url", &api.url])
        .write_stdin(format!("{}\n", leaked.to_ascii_uppercase()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("--stdin: line 1: not a Vast API key (64 lowercase hex digits)")
            && !err.to_ascii_lowercase().contains(&leaked[..8]),
        "{err}"
    );

    // --stdin without --yes is a dry run (stdin cannot answer questions).
    let fresh = api.add_live("fresh", 500, 13);
    let output = vastleaks()
        .args(["revoke", "--stdin", "--api-url", &api.url])
        .write_stdin(format!("{fresh}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!api.is_deleted(&fresh));
    api.assert_clean_requests();
}

/// `revoke -` is refused, so its help must not offer it; refused formats
/// name what to use.
#[test]
fn usage_errors_and_help_say_what_to_use_instead() {
    let output = vastleaks().args(["revoke", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(!help.contains("`-` reads standard input"), "{help}");
    assert!(help.contains("--stdin"), "{help}");
    // Options revoke refuses (or that mean nothing to it) are not offered.
    for refused in ["--fail-on", "--only-live", "--verify "] {
        assert!(
            !help.contains(refused),
            "revoke --help offers {refused}: {help}"
        );
    }
    assert!(!help.contains("[`"), "rustdoc links leak into help: {help}");
    assert!(help.contains("--verify-timeout"), "{help}");
    let output = vastleaks().args(["revoke", "-"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--stdin"), "{}", stderr(&output));
    let output = vastleaks()
        .args(["revoke", "--format", "sarif", "."])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--format sarif") && stderr(&output).contains("jsonl"),
        "{}",
        stderr(&output)
    );
}

/// A key given to --fingerprint by mistake is a usage error that does not
/// print the key back (CI logs keep stderr).
#[test]
fn a_key_given_as_fingerprint_is_not_echoed() {
    let key = key_from_seed("pasted");
    let dir = TempDir::new().unwrap();
    let output = vastleaks()
        .arg("revoke")
        .arg(dir.path())
        .args(["--api-url", "http://127.0.0.1:9", "--fingerprint", &key])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--fingerprint"),
        "{}",
        stderr(&output)
    );
    assert_no_leaks(&output, &[&key]);
}

#[test]
fn keys_that_are_not_live_are_not_touched() {
    let api = FakeVast::start();
    let scoped = api.add_live("scoped", 1, 1);
    api.set_mode(&scoped, fake_vast::Mode::Scope);
    let revoked = key_from_seed("revoked");
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &scoped), ("b.env", &revoked)]);
    let output = revoke(&api, &dir, &["--yes", "--format", "json"]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an unknown key is not settled"
    );
    let records = audit(&output);
    let by_fp = |key: &str| {
        records
            .iter()
            .find(|r| r["fingerprint"] == fingerprint(key))
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(by_fp(&scoped), "unverified");
    assert_eq!(by_fp(&revoked), "not_live");
    assert_eq!(api.count("DELETE", "/", None), 0);
    assert_eq!(api.count("GET", KEYS, None), 0);
}

#[test]
fn deletes_are_spaced_two_seconds_apart() {
    let api = FakeVast::start();
    let a = api.add_live("a", 7, 1);
    let b = api.add_live("b", 7, 2);
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &a), ("b.env", &b)]);
    let output = revoke(&api, &dir, &["--yes", "--format", "jsonl"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|r| r["outcome"] == "revoked"));
    let deletes: Vec<_> = api
        .log()
        .into_iter()
        .filter(|l| l.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 2);
    assert!(deletes[1].at.duration_since(deletes[0].at) >= Duration::from_millis(1950));
}

/// On a terminal without --yes, revoke asks per key. The terminal comes from
/// util-linux `script`, which runs the command on a pseudo-terminal.
#[test]
fn asks_per_key_on_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .map_or(true, |o| !o.status.success())
    {
        eprintln!("note: util-linux `script` not found: terminal confirmation not tested");
        return;
    }
    let api = FakeVast::start();
    let a = api.add_live("ask-a", 3, 1);
    let b = api.add_live("ask-b", 3, 2);
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &a), ("b.env", &b)]);
    let audit = dir.path().join("audit.json");
    // Yes to the first key (a.env sorts first), no to the second.
    let output = vastleaks_on_terminal(&[
        "revoke".as_ref(),
        dir.path().as_os_str(),
        "--api-url".as_ref(),
        api.url.as_ref(),
        "--color".as_ref(),
        "never".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        audit.as_os_str(),
    ])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .and_then(|mut child| {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"y\n")?;
        std::thread::sleep(Duration::from_millis(300));
        stdin.write_all(b"n\n")?;
        drop(stdin);
        child.wait_with_output()
    })
    .unwrap();
    let screen = String::from_utf8_lossy(&output.stdout);
    assert_eq!(screen.matches("[q]uit:").count(), 2, "{screen}");
    let records: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("audit.json")).unwrap()).unwrap();
    let outcome = |key: &str| {
        records["audit"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["fingerprint"] == fingerprint(key))
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(outcome(&a), "revoked", "{screen}");
    assert_eq!(outcome(&b), "declined", "{screen}");
    assert!(api.is_deleted(&a) && !api.is_deleted(&b));
    assert_no_leaks(&output, &[&a, &b]);
}

#[test]
fn scan_only_report_options_are_refused() {
    let api = FakeVast::start();
    let (_, leaked) = account(&api);
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &leaked)]);
    let output = revoke(&api, &dir, &["--fail-on", "live", "--yes"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--fail-on apply to `vastleaks scan`"));
    assert_eq!(api.count("DELETE", "/", None), 0);
}

#[test]
fn a_fingerprint_typo_is_an_error_not_a_silent_success() {
    let api = FakeVast::start();
    let (_main, leaked) = account(&api);
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &leaked)]);
    let output = revoke(&api, &dir, &["--yes", "--fingerprint", "0123456789abcdef"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("--fingerprint 0123456789abcdef: no such key"),
        "{}",
        stderr(&output)
    );
    assert!(!api.is_deleted(&leaked), "nothing may be revoked");
}

/// Runs `revoke` on a pseudo-terminal (util-linux `script`), typing `input`
/// with a pause between lines; returns the screen and the audit records.
fn revoke_on_terminal(
    api: &FakeVast,
    dir: &TempDir,
    input: &[&str],
) -> (String, serde_json::Value) {
    let audit = dir.path().join("audit.json");
    let output = vastleaks_on_terminal(&[
        "revoke".as_ref(),
        dir.path().as_os_str(),
        "--api-url".as_ref(),
        api.url.as_ref(),
        "--color".as_ref(),
        "never".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "-o".as_ref(),
        audit.as_os_str(),
    ])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .spawn()
    .and_then(|mut child| {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for line in input {
            std::thread::sleep(Duration::from_millis(300));
            stdin.write_all(line.as_bytes())?;
        }
        std::thread::sleep(Duration::from_millis(300));
        drop(stdin);
        child.wait_with_output()
    })
    .unwrap();
    let screen = String::from_utf8_lossy(&output.stdout).into_owned();
    let records = serde_json::from_slice(&std::fs::read(dir.path().join("audit.json")).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {screen}"));
    (screen, records)
}

#[test]
fn terminal_answers_are_checked_and_each_result_shown_at_once() {
    let api = FakeVast::start();
    let a = api.add_live("tty-a", 3, 1);
    let b = api.add_live("tty-b", 3, 2);
    let c = api.add_live("tty-c", 3, 3);
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &a), ("b.env", &b), ("c.env", &c)]);
    // "maybe" is asked again; "y" revokes a; then Ctrl-D ends the session.
    let (screen, records) = revoke_on_terminal(&api, &dir, &["maybe\n", "y\n", "\x04"]);
    assert!(screen.contains("Please answer y, n, a or q."), "{screen}");
    // The same envelope as scan's JSON report.
    assert_eq!(records["version"], 1);
    assert_eq!(records["tool"]["name"], "vastleaks");
    let revoked_at = screen.find("revoked: key").expect("a's result is shown");
    let second_prompt = screen.rfind("[q]uit:").unwrap();
    assert!(
        revoked_at < second_prompt,
        "result before the next question: {screen}"
    );
    let outcome = |key: &str| {
        let record = records["audit"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["fingerprint"] == fingerprint(key))
            .unwrap()
            .clone();
        (record["action"].clone(), record["outcome"].clone())
    };
    assert_eq!(outcome(&a).1, "revoked", "{screen}");
    assert_eq!(
        outcome(&b),
        ("declined".into(), "declined".into()),
        "{screen}"
    );
    assert_eq!(
        outcome(&c),
        ("declined".into(), "declined".into()),
        "{screen}"
    );
    assert!(api.is_deleted(&a) && !api.is_deleted(&b) && !api.is_deleted(&c));
    assert!(!screen.contains("declined: declined"), "{screen}");

    // "a" revokes this key and every later one without asking again.
    let api = FakeVast::start();
    let d = api.add_live("tty-d", 4, 1);
    let e = api.add_live("tty-e", 4, 2);
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("d.env", &d), ("e.env", &e)]);
    let (screen, _) = revoke_on_terminal(&api, &dir, &["a\n"]);
    assert_eq!(screen.matches("[q]uit:").count(), 1, "{screen}");
    assert!(api.is_deleted(&d) && api.is_deleted(&e), "{screen}");
}
