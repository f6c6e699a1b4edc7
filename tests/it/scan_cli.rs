//! End-to-end tests of `vastleaks scan` and `vastleaks rules` on real temp
//! directories, running the real binary.

use std::fs;
use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

/// Random example keys (their fingerprints are in the repo's .vastleaksignore).
const KEY_A: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";
const KEY_B: &str = "0b96135e9524064d0e67f499198f921cfa0ed9ba2727856331050ce20ce0ca39";
const KEY_C: &str = "97a188ae6989333290979729e514930096e84e5b529ab3caacf0091ae36d40c5";

use crate::common::vastleaks;

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, content).unwrap();
}

fn scan_json(dir: &Path, extra: &[&str]) -> (Value, i32, String) {
    let output = vastleaks()
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    (
        json,
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn finding_paths(json: &Value) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn finds_a_key_in_a_hidden_env_file_redacted_with_exit_1() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        ".env",
        format!("DEBUG=1\nVAST_API_KEY={KEY_A}\n"),
    );
    let assert = vastleaks()
        .current_dir(dir.path())
        .args(["scan", "--color", "never"])
        .assert()
        .code(1);
    let out = String::from_utf8_lossy(&assert.get_output().stdout).into_owned();
    assert!(out.contains(".env"), "{out}");
    assert!(out.contains("2:14"), "line:column missing: {out}");
    assert!(out.contains("vast.env-assignment"), "{out}");
    assert!(out.contains("3839...b7ad"), "{out}");
    assert!(
        out.contains("ae1a7957ddf97fc5"),
        "fingerprint missing: {out}"
    );
    assert!(
        !out.contains(KEY_A),
        "full key printed without --show-secrets"
    );
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(!err.contains(KEY_A));
    assert!(err.contains("1 finding"), "{err}");
}

#[test]
fn show_secrets_prints_the_full_key_in_every_format() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "deploy.sh",
        format!("vastai set api-key {KEY_A}\n"),
    );
    for format in ["human", "json", "jsonl", "sarif"] {
        let shown = vastleaks()
            .current_dir(dir.path())
            .args(["scan", "--show-secrets", "-f", format])
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&shown.stdout).contains(KEY_A),
            "{format} hides the key with --show-secrets"
        );
        let hidden = vastleaks()
            .current_dir(dir.path())
            .args(["scan", "-f", format])
            .output()
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&hidden.stdout).contains(KEY_A),
            "{format} leaks the key by default"
        );
        assert_eq!(hidden.status.code(), Some(1));
    }
}

#[test]
fn clean_tree_exits_0() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "Cargo.lock",
        format!("[[package]]\nname = \"vastai\"\nchecksum = \"{KEY_A}\"\n"),
    );
    write(
        dir.path(),
        "README.md",
        "Rent GPUs on vast.ai: export VAST_API_KEY=your-api-key\n",
    );
    write(
        dir.path(),
        "settings.py",
        format!("SECRET_KEY = '{KEY_B}'\n"),
    );
    vastleaks()
        .current_dir(dir.path())
        .arg("scan")
        .assert()
        .code(0)
        .stdout("");
}

#[test]
fn respects_gitignore_unless_no_ignore_and_never_scans_dot_git() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".gitignore", "secrets/\n");
    write(
        dir.path(),
        "secrets/prod.env",
        format!("VAST_API_KEY={KEY_A}\n"),
    );
    write(
        dir.path(),
        ".git/config",
        format!("[vast]\napi_key = {KEY_B}\n"),
    );
    vastleaks()
        .current_dir(dir.path())
        .arg("scan")
        .assert()
        .code(0);
    let (json, code, _) = scan_json(dir.path(), &["--no-ignore"]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&json), vec!["secrets/prod.env"]);
}

#[test]
fn oversized_files_are_reported_as_skipped() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "big.log",
        format!("{}\nVAST_API_KEY={KEY_A}\n", "x".repeat(4096)),
    );
    write(dir.path(), "small.env", format!("VAST_API_KEY={KEY_B}\n"));
    let (json, code, stderr) = scan_json(dir.path(), &["--max-file-size", "1K"]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&json), vec!["small.env"]);
    assert!(stderr.contains("skipped: big.log"), "{stderr}");
    assert_eq!(json["summary"]["skipped"], 1);
    assert_eq!(json["problems"][0]["kind"], "skipped");
}

#[test]
fn stdin_is_scanned_with_dash() {
    let log = format!("429 Client Error: Too Many Requests for url: https://console.vast.ai/api/v0/bundles/?api_key={KEY_C}\n");
    // Run outside this repository: its .vastleaksignore lists the example keys.
    let dir = TempDir::new().unwrap();
    let output = vastleaks()
        .current_dir(dir.path())
        .args(["scan", "-", "-f", "jsonl"])
        .write_stdin(log)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let line: Value =
        serde_json::from_slice(output.stdout.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["rule"], "vast.url-query");
    assert_eq!(line["source"], "stdin");
    assert_eq!(line["path"], Value::Null);
    assert_eq!(line["secret"], "97a1...40c5");
}

#[test]
fn json_report_has_the_documented_fields() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a/notebook.ipynb",
        format!("{{\"source\": [\"os.environ[\\\"VAST_API_KEY\\\"] = \\\"{KEY_A}\\\"\\n\"]}}"),
    );
    write(dir.path(), "b/.vast_api_key", format!("{KEY_B}\r\n"));
    let (json, code, _) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(json["version"], 1);
    assert_eq!(json["tool"]["name"], "vastleaks");
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    let first = &findings[0];
    for field in [
        "rule",
        "rule_name",
        "confidence",
        "fingerprint",
        "secret",
        "redacted",
        "source",
        "path",
        "line",
        "column",
        "offset",
        "binary",
    ] {
        assert!(first.get(field).is_some(), "missing {field}: {first}");
    }
    assert_eq!(first["path"], "a/notebook.ipynb");
    assert_eq!(first["source"], "file");
    assert_eq!(findings[1]["rule"], "vast.key-file");
    assert_eq!(json["summary"]["findings"], 2);
    assert_eq!(json["summary"]["keys"], 2);
    assert_eq!(json["summary"]["scanned"], 2);
}

#[test]
fn base64_kubernetes_secret_is_decoded_and_fingerprinted_like_the_plain_key() {
    let dir = TempDir::new().unwrap();
    // base64 of KEY_A, as `kubectl create secret` writes it under data:.
    let encoded =
        "MzgzOTJhYTBhY2RkZjgwOGJlM2Y4YmM3Zjc0ZjY5MzUxZjE5OTJjZTJmM2YzYjQ0NTVkYTMyOTU3MDZmYjdhZA==";
    write(
        dir.path(),
        "k8s/secret.yaml",
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: trainer\ndata:\n  VAST_API_KEY: {encoded}\n"),
    );
    let (json, code, _) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let finding = &json["findings"][0];
    assert_eq!(finding["rule"], "vast.base64-secret");
    assert_eq!(finding["fingerprint"], "ae1a7957ddf97fc5");
    assert_eq!(finding["secret"], "3839...b7ad");
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(6), Some(17))
    );
    let shown = vastleaks()
        .current_dir(dir.path())
        .args(["scan", "--show-secrets", "-f", "jsonl"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains(KEY_A));
}

#[test]
fn sarif_is_structurally_valid_for_code_scanning() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "src/my app/config.py",
        format!("client = VastAI(api_key=\"{KEY_A}\")\n"),
    );
    let output = vastleaks()
        .current_dir(dir.path())
        .args(["scan", "-f", "sarif"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "vastleaks");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules
        .iter()
        .all(|r| r["id"].is_string() && r["shortDescription"]["text"].is_string()));
    let result = &run["results"][0];
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], result["ruleId"]);
    assert_eq!(result["ruleId"], "vast.sdk-constructor");
    assert_eq!(result["level"], "error");
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains("3839...b7ad"));
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "src/my%20app/config.py"
    );
    assert_eq!(location["region"]["startLine"], 1);
    assert_eq!(location["region"]["startColumn"], 26);
    assert_eq!(
        result["partialFingerprints"]["vastleaks/v1"],
        "ae1a7957ddf97fc5"
    );
}

#[test]
fn output_file_gets_the_report() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("VAST_API_KEY={KEY_A}\n"));
    let report = dir.path().join("out/report.json");
    fs::create_dir_all(report.parent().unwrap()).unwrap();
    vastleaks()
        .current_dir(dir.path())
        .args(["scan", ".env", "-f", "json", "-o"])
        .arg(&report)
        .assert()
        .code(1)
        .stdout("");
    let json: Value = serde_json::from_str(&fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["findings"][0]["fingerprint"], "ae1a7957ddf97fc5");
    vastleaks()
        .current_dir(dir.path())
        .args(["scan", ".env", "-o", "no/such/dir/r.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-o no/such/dir/r.json"));
}

#[test]
fn inline_allow_ignore_file_and_stale_entries() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "a.env",
        format!(
            "VAST_API_KEY={KEY_A} # vastleaks:allow\nVASTAI_API_KEY={KEY_B} # gitleaks:allow\n"
        ),
    );
    write(
        dir.path(),
        "docs/example.md",
        format!("export VAST_API_KEY={KEY_C}\n"),
    );
    write(
        dir.path(),
        "src/real.env",
        format!("export VAST_API_KEY={KEY_C}\n"),
    );
    // KEY_C is accepted in docs only; the second entry matches nothing.
    write(
        dir.path(),
        ".vastleaksignore",
        "# accepted examples\n1444d4929aeb0fc4 docs/**\n929683a167bc703e src/**\n",
    );
    let (json, code, stderr) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&json), vec!["src/real.env"]);
    assert_eq!(json["summary"]["suppressed"], 3);
    assert_eq!(json["stale_ignores"][0]["line"], 3);
    assert!(
        stderr.contains(".vastleaksignore:3") && stderr.contains("stale"),
        "{stderr}"
    );
}

#[test]
fn invalid_ignore_lines_are_reported_and_the_scan_goes_on() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.env", format!("VAST_API_KEY={KEY_A}\n"));
    write(dir.path(), ".vastleaksignore", "not-a-fingerprint\n");
    let (json, code, stderr) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&json), vec!["a.env"]);
    assert!(
        stderr.contains(".vastleaksignore:1") && stderr.contains("not a fingerprint"),
        "{stderr}"
    );
}

#[test]
fn a_full_key_pasted_into_the_ignore_file_is_not_echoed() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.env", format!("VAST_API_KEY={KEY_A}\n"));
    write(dir.path(), ".vastleaksignore", format!("{KEY_B}\n"));
    for format in ["human", "json", "jsonl", "sarif", "github", "markdown"] {
        let output = vastleaks()
            .current_dir(dir.path())
            .args(["scan", "--format", format])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stdout.contains(KEY_B) && !stderr.contains(KEY_B),
            "{format}: {stdout}{stderr}"
        );
        assert!(
            stdout.contains(".vastleaksignore:1") || stderr.contains(".vastleaksignore:1"),
            "{format}: {stdout}{stderr}"
        );
    }
    let (_, _, stderr) = scan_json(dir.path(), &[]);
    assert!(
        stderr.contains("full API key") && stderr.contains("fingerprint"),
        "{stderr}"
    );
}

#[test]
fn quiet_keeps_errors_only() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.env", format!("VAST_API_KEY={KEY_A}\n"));
    write(dir.path(), "big.txt", "x".repeat(2048));
    write(dir.path(), ".vastleaksignore", "not-a-fingerprint\n");
    let output = vastleaks()
        .current_dir(dir.path())
        .args(["scan", "-q", "--max-file-size", "1K"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("error: .vastleaksignore:1"), "{stderr}");
    assert!(
        !stderr.contains("big.txt") && !stderr.contains("scanned"),
        "{stderr}"
    );
}

#[test]
fn baseline_suppresses_known_keys_only() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "old.env", format!("VAST_API_KEY={KEY_A}\n"));
    let baseline = dir.path().join("baseline.json");
    vastleaks()
        .current_dir(dir.path())
        .args(["scan", "-f", "json", "-o"])
        .arg(&baseline)
        .assert()
        .code(1);
    vastleaks()
        .current_dir(dir.path())
        .args(["scan", "--baseline"])
        .arg(&baseline)
        .assert()
        .code(0);
    write(dir.path(), "new.env", format!("VAST_API_KEY={KEY_B}\n"));
    let (json, code, _) = scan_json(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&json), vec!["new.env"]);
    write(dir.path(), "broken.json", "{");
    vastleaks()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "broken.json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--baseline broken.json"));
    // Another tool's report: findings, but no vastleaks fingerprint in any.
    write(
        dir.path(),
        "other.json",
        r#"{"findings": [{"Fingerprint": "abc:def:1", "RuleID": "generic"}]}"#,
    );
    vastleaks()
        .current_dir(dir.path())
        .args(["scan", "--baseline", "other.json"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--baseline other.json")
                .and(predicate::str::contains("fingerprint")),
        );
}

#[test]
fn binary_crlf_and_non_utf8_files() {
    let dir = TempDir::new().unwrap();
    let mut blob = vec![0x7f, b'E', b'L', b'F', 0, 0, 0xff, 0xfe];
    blob.extend_from_slice(format!("VAST_API_KEY={KEY_A}").as_bytes());
    blob.extend_from_slice(&[0, 0xc3, 0x28]);
    write(dir.path(), "app.bin", blob);
    let mut latin1 = b"caf\xe9 = 1\r\n".to_vec();
    latin1.extend_from_slice(format!("set VAST_API_KEY={KEY_B}\r\n").as_bytes());
    write(dir.path(), "run.bat", latin1);
    let (json, code, _) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["path"], "app.bin");
    assert_eq!(findings[0]["binary"], true);
    assert_eq!(findings[1]["path"], "run.bat");
    assert_eq!(findings[1]["line"], 2);
    assert_eq!(findings[1]["binary"], false);
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), ".env", format!("VAST_API_KEY={KEY_A}\n"));
    let coloured = vastleaks()
        .current_dir(dir.path())
        .args(["scan", "--color", "always"])
        .output()
        .unwrap();
    assert!(
        coloured.stdout.contains(&0x1b),
        "no ANSI escapes with --color always"
    );
    let piped = vastleaks()
        .current_dir(dir.path())
        .args(["scan"])
        .output()
        .unwrap();
    assert!(
        !piped.stdout.contains(&0x1b),
        "ANSI escapes when stdout is not a terminal"
    );
    let no_color = vastleaks()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .args(["scan", "--color", "auto"])
        .output()
        .unwrap();
    assert!(!no_color.stdout.contains(&0x1b));
}

#[test]
fn missing_path_is_a_usage_error() {
    vastleaks()
        .args(["scan", "definitely/not/here"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "definitely/not/here: no such file or directory",
        ));
}

#[test]
fn bad_option_values_exit_2() {
    vastleaks()
        .args(["scan", "--max-file-size", "lots"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--max-file-size"));
    vastleaks()
        .args(["scan", "--format", "xml"])
        .assert()
        .code(2);
}

#[cfg(unix)]
#[test]
fn broken_and_looping_symlinks_are_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::symlink;
    let dir = TempDir::new().unwrap();
    write(dir.path(), "real.env", format!("VAST_API_KEY={KEY_A}\n"));
    symlink("missing-target", dir.path().join("dangling")).unwrap();
    fs::create_dir(dir.path().join("loop")).unwrap();
    symlink("..", dir.path().join("loop/up")).unwrap();
    symlink("self-b", dir.path().join("self-a")).unwrap();
    symlink("self-a", dir.path().join("self-b")).unwrap();

    let (json, code, stderr) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&json), vec!["real.env"]);
    assert!(
        stderr.contains("dangling: broken symbolic link"),
        "{stderr}"
    );
    assert!(stderr.contains("self-a: symbolic link loop"), "{stderr}");

    let (json, code, stderr) = scan_json(dir.path(), &["--follow"]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&json), vec!["real.env"]);
    assert!(
        stderr.contains("loop/up") && stderr.contains("loop"),
        "{stderr}"
    );
    assert!(stderr.contains("dangling"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_reported_and_the_scan_goes_on() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    write(dir.path(), "locked.env", format!("VAST_API_KEY={KEY_B}\n"));
    write(dir.path(), "open.env", format!("VAST_API_KEY={KEY_A}\n"));
    let locked = dir.path().join("locked.env");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    if fs::read(&locked).is_ok() {
        // Running as root: permissions do not stop reads, nothing to test.
        eprintln!("note: running as root, file permissions do not stop reads: unreadable files not tested");
        return;
    }
    let (json, code, stderr) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(finding_paths(&json), vec!["open.env"]);
    assert!(stderr.contains("locked.env: cannot read"), "{stderr}");
}

#[test]
fn rules_list_and_check() {
    vastleaks().args(["rules", "list"]).assert().code(0).stdout(
        predicate::str::contains("vast.env-assignment")
            .and(predicate::str::contains("vast.key-file")),
    );
    vastleaks()
        .args(["rules", "check"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("all ok"));
}

#[test]
fn extra_rules_file_adds_rules_and_failing_examples_fail_check() {
    let dir = TempDir::new().unwrap();
    // The rule's own examples hold (or the file would not load); its
    // negative example is one a built-in rule finds, which `rules check`
    // reports.
    let rules = "[[rule]]\nid = \"team.vast-secret-json\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"medium\"\n\
                 pattern = '(?i:vast)_creds\\s*=\\s*{KEY}'\nexamples = [\"vast_creds = 38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad\"]\n\
                 negative_examples = [\"VAST_API_KEY=0b96135e9524064d0e67f499198f921cfa0ed9ba2727856331050ce20ce0ca39\"]\n";
    write(dir.path(), "extra.toml", rules);
    write(dir.path(), "x.cfg", format!("vast_creds = {KEY_C}\n"));
    let (json, code, _) = scan_json(dir.path(), &["--rules", "extra.toml", "x.cfg"]);
    assert_eq!(code, 1);
    assert_eq!(json["findings"][0]["rule"], "team.vast-secret-json");
    // The failure names the example by number: its text holds a key, and a
    // rule file may come from the scanned repository.
    vastleaks()
        .current_dir(dir.path())
        .args(["rules", "check", "--rules", "extra.toml"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("negative example 1 matched by vast.env-assignment")
                .and(predicate::str::contains(KEY_B).not())
                .and(predicate::str::contains(&KEY_B[..8]).not()),
        );
}

/// A rule file from the scanned repository is hostile input: a refusal names
/// the file, the line and the rule, on one line, and quotes none of it.
fn assert_refused(dir: &Path, args: &[&str], wanted: &[&str], not_echoed: &[&str]) {
    let output = vastleaks().current_dir(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    for part in wanted {
        assert!(
            stderr.contains(part),
            "{args:?}: {part:?} missing: {stderr}"
        );
    }
    for part in not_echoed {
        assert!(
            !stderr.contains(part),
            "{args:?}: {part:?} echoed: {stderr}"
        );
    }
}

const TEAM_RULE: &str =
    "[[rule]]\nid = \"team.token\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\n";

/// Content rules run only within reach of the word `vast` (the prefilter):
/// a rule that does not demand the word would find nothing in the text it
/// was written for, so loading it is an error that says what to do.
#[test]
fn content_rule_that_can_never_fire_is_refused_at_load() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "team.toml",
        format!("{TEAM_RULE}pattern = 'DEPLOY_SECRET_TOKEN={{KEY}}'\n"),
    );
    write(
        dir.path(),
        "a.env",
        format!("DEPLOY_SECRET_TOKEN={KEY_C}\n"),
    );
    let wanted = [
        "team.toml:6",
        "rule team.token",
        "can never fire",
        "near = '(?i)vast'",
    ];
    for args in [
        &["scan", "--rules", "team.toml", "a.env"][..],
        &["rules", "check", "--rules", "team.toml"],
    ] {
        assert_refused(dir.path(), args, &wanted, &["DEPLOY_SECRET", &KEY_C[..8]]);
    }
    // With the word demanded nearby, the same rule loads and finds the key.
    write(
        dir.path(),
        "team.toml",
        format!("{TEAM_RULE}pattern = 'DEPLOY_SECRET_TOKEN={{KEY}}'\nnear = '(?i)vast'\n"),
    );
    write(
        dir.path(),
        "a.env",
        format!("# vast.ai\nDEPLOY_SECRET_TOKEN={KEY_C}\n"),
    );
    let (json, code, stderr) = scan_json(dir.path(), &["--rules", "team.toml", "a.env"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json["findings"][0]["rule"], "team.token");
    // Key-file rules run on the whole file: no keyword needed.
    write(
        dir.path(),
        "team.toml",
        format!("{TEAM_RULE}path = 'deploy\\.key$'\npattern = '\\A{{KEY}}'\n"),
    );
    write(dir.path(), "deploy.key", KEY_C);
    let (_, code, stderr) = scan_json(dir.path(), &["--rules", "team.toml", "deploy.key"]);
    assert_eq!(code, 1, "{stderr}");
}

/// A `--rules` file's examples are run when it is loaded: a rule that misses
/// its own example, or finds a key in its own negative example, is refused
/// (by number: the example text is not echoed).
#[test]
fn rules_file_examples_run_at_load() {
    let dir = TempDir::new().unwrap();
    let rule = format!("{TEAM_RULE}pattern = '(?i:vast)_deploy_token=\\s*{{KEY}}'\n");
    write(dir.path(), "a.env", "nothing\n");
    write(
        dir.path(),
        "team.toml",
        format!(
            "{rule}examples = [\"vast_deploy_token={KEY_A}\", \"vast_deploy_token: {KEY_B}\"]\n"
        ),
    );
    let wanted = ["team.toml:2", "rule team.token", "example 2 is not found"];
    for args in [
        &["scan", "--rules", "team.toml", "a.env"][..],
        &["rules", "check", "--rules", "team.toml"],
    ] {
        assert_refused(
            dir.path(),
            args,
            &wanted,
            &[&KEY_B[..8], "vast_deploy_token:"],
        );
    }
    write(
        dir.path(),
        "team.toml",
        format!("{rule}negative_examples = [\"vast_deploy_token= {KEY_B}\"]\n"),
    );
    assert_refused(
        dir.path(),
        &["scan", "--rules", "team.toml", "a.env"],
        &[
            "team.toml:2",
            "rule team.token",
            "negative example 1 is matched",
        ],
        &[&KEY_B[..8]],
    );
    // Examples that hold: the file loads.
    write(
        dir.path(),
        "team.toml",
        format!("{rule}examples = [\"vast_deploy_token={KEY_A}\"]\nnegative_examples = [\"vast_deploy_token: {KEY_B}\"]\n"),
    );
    let (_, code, stderr) = scan_json(dir.path(), &["--rules", "team.toml", "a.env"]);
    assert_eq!(code, 0, "{stderr}");
}

/// `rules list` shows a rule file's names and descriptions like any other
/// untrusted text: keys redacted, control characters escaped.
#[test]
fn rules_list_shows_rule_file_text_as_untrusted() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "team.toml",
        format!("[[rule]]\nid = \"team.x\"\nname = \"n \\u001b]0;owned\\u0007\"\ndescription = \"see {KEY_C}\"\nconfidence = \"high\"\npattern = '(?i:vast)_x={{KEY}}'\n"),
    );
    let output = vastleaks()
        .current_dir(dir.path())
        .args(["rules", "list", "--rules", "team.toml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("team.x"), "{stdout}");
    assert!(
        !stdout.contains(KEY_C) && stdout.contains("97a1...40c5"),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}') && stdout.contains("\\x1b]0;owned"),
        "{stdout}"
    );
}

#[test]
fn invalid_rules_file_names_file_and_line() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "bad.toml", "[[rule]]\nid = \"x\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npattern = '(unclosed{KEY}'\n");
    vastleaks()
        .current_dir(dir.path())
        .args(["scan", "--rules", "bad.toml"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.toml:6").and(predicate::str::contains("invalid pattern")),
        );
    vastleaks()
        .current_dir(dir.path())
        .args(["rules", "check", "--rules", "missing.toml"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--rules missing.toml: rule file not found")
                .and(predicate::str::contains("missing.toml:0").not()),
        );
}

#[test]
fn long_version_names_commit_target_and_rules() {
    let output = vastleaks().arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for field in ["commit: ", "target: ", "rules: "] {
        assert!(text.contains(field), "{text}");
    }
    let short = vastleaks().arg("-V").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&short.stdout).lines().count(), 1);
}

/// Every subcommand's help states its exit codes, so nobody has to guess
/// what a script or CI step should check.
#[test]
fn every_subcommand_help_states_its_exit_codes() {
    for command in [
        &["scan"][..],
        &["revoke"],
        &["ci"],
        &["ci", "github"],
        &["rules"],
        &["rules", "list"],
        &["rules", "check"],
        &["install-hook"],
        &["completions"],
        &["man"],
    ] {
        let output = vastleaks().args(command).arg("--help").output().unwrap();
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(
            help.contains("Exit codes:") && help.contains("2 "),
            "{command:?} --help does not state its exit codes: {help}"
        );
    }
}

/// The README's option tables use the value names `--help` prints.
#[test]
fn readme_value_names_match_help() {
    let readme = include_str!("../../README.md");
    let mut help = String::new();
    for command in [&["scan"][..], &["revoke"], &["ci", "github"]] {
        let output = vastleaks().args(command).arg("--help").output().unwrap();
        help.push_str(&String::from_utf8_lossy(&output.stdout));
    }
    let option_value = regex::Regex::new(r"`(?:-[a-zA-Z], )?(--[a-z-]+) ([A-Z][A-Z_]*)`").unwrap();
    let mut checked = 0;
    for caps in option_value.captures_iter(readme) {
        let (option, value) = (&caps[1], &caps[2]);
        if !help.contains(&format!("{option} <")) {
            continue; // another tool's option, or a flag without a value
        }
        assert!(
            help.contains(&format!("{option} <{value}>")),
            "README writes `{option} {value}`, --help writes {}",
            help.lines()
                .find(|l| l.contains(&format!("{option} <")))
                .unwrap_or_default()
                .trim()
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} options checked");
}
