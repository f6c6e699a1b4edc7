//! `--redact partial|full`: how much of a key output may show.

use crate::common;

use std::path::Path;

use common::{env_line, Repo, KEYS};

const FORMATS: [&str; 6] = ["human", "json", "jsonl", "sarif", "github", "markdown"];

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = common::vastleaks_command()
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

/// The fingerprint of `KEYS[0]`.
const FP0: &str = "ae1a7957ddf97fc5";

/// No character of `key` that partial redaction would show, in any form.
fn assert_no_key_characters(output: &str, key: &str, context: &str) {
    let first = format!("{}...", &key[..4]);
    let last = format!("...{}", &key[60..]);
    assert!(!output.contains(key), "{context}: full key\n{output}");
    assert!(!output.contains(&first), "{context}: {first}\n{output}");
    assert!(!output.contains(&last), "{context}: {last}\n{output}");
}

#[test]
fn full_redaction_shows_no_key_characters_in_any_format() {
    let repo = Repo::new();
    // One key as a finding, in a directory named after another (only the
    // output writer catches that one), and one suppressed inline (listed on
    // stderr and in reports).
    repo.write(&format!("keys/{}/app.env", KEYS[1]), &env_line(KEYS[0]));
    repo.write(
        "fixture.env",
        &format!("VAST_API_KEY={} # vastleaks:allow\n", KEYS[2]),
    );
    repo.commit("keys");
    for mode in [&["scan", "."][..], &["scan", "--git", "."][..]] {
        for format in FORMATS {
            let mut args = mode.to_vec();
            args.extend(["--redact", "full", "-f", format, "--progress", "never"]);
            let (code, stdout, stderr) = run(&repo.path, &args);
            assert_eq!(code, 1, "{args:?}: {stderr}");
            for key in &KEYS[..3] {
                assert_no_key_characters(&stdout, key, &format!("{args:?} stdout"));
                assert_no_key_characters(&stderr, key, &format!("{args:?} stderr"));
            }
            assert!(
                stdout.contains(FP0),
                "{args:?}: the fingerprint identifies the key:\n{stdout}"
            );
            assert!(
                stdout.contains("[redacted]"),
                "{args:?}: the key is shown as redacted:\n{stdout}"
            );
        }
    }
}

#[test]
fn partial_is_the_default_and_full_conflicts_with_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.env"), env_line(KEYS[0])).unwrap();
    let (code, default, _) = run(dir.path(), &["scan", "-f", "json"]);
    assert_eq!(code, 1);
    let (_, partial, _) = run(dir.path(), &["scan", "-f", "json", "--redact", "partial"]);
    assert_eq!(default, partial);
    assert!(default.contains("\"secret\": \"3839...b7ad\""), "{default}");
    assert!(default.contains("\"redacted\": true"), "{default}");

    let (_, full, _) = run(dir.path(), &["scan", "-f", "json", "--redact", "full"]);
    assert!(full.contains("\"secret\": \"[redacted]\""), "{full}");
    assert!(full.contains("\"redacted\": true"), "{full}");

    let (code, _, stderr) = run(dir.path(), &["scan", "--redact", "full", "--show-secrets"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--show-secrets"), "{stderr}");
    let (code, _, stderr) = run(dir.path(), &["scan", "--redact", "none"]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn full_redaction_covers_report_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.env"), env_line(KEYS[0])).unwrap();
    let (code, _, stderr) = run(
        dir.path(),
        &["scan", "--redact", "full", "-f", "sarif", "-o", "out.sarif"],
    );
    assert_eq!(code, 1, "{stderr}");
    let written = std::fs::read_to_string(dir.path().join("out.sarif")).unwrap();
    assert_no_key_characters(&written, KEYS[0], "-o out.sarif");
    assert!(written.contains(FP0));
}

#[test]
fn full_redaction_covers_findings_printed_live_from_standard_input() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    for format in ["human", "jsonl"] {
        let mut child = common::vastleaks_command()
            .args(["scan", "-", "--redact", "full", "-f", format])
            .current_dir(dir.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(env_line(KEYS[0]).as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_no_key_characters(&stdout, KEYS[0], format);
        assert_no_key_characters(&String::from_utf8_lossy(&out.stderr), KEYS[0], format);
        assert!(
            stdout.contains(FP0) && stdout.contains("[redacted]"),
            "{stdout}"
        );
    }
}
