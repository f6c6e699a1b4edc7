//! The SARIF every scan mode writes is valid against the official SARIF
//! 2.1.0 schema (vendored in tests/sarif/, see its README) and carries what
//! code scanning needs to keep alerts right: a category per kind of run,
//! logical locations for what is not a file, suppressions.

use crate::common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::{key, Repo};
use serde_json::Value;

/// Runs `vastleaks scan ARGS -f sarif` in `dir` (with `stdin` piped in when
/// given), checks the output against the schema and returns it.
fn sarif(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Value {
    let mut cmd = common::vastleaks_command();
    cmd.arg("scan")
        .args(args)
        .args(["-f", "sarif", "--progress", "never"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run vastleaks");
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or_default())
        .expect("write stdin");
    drop(input);
    let out = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_ne!(
        out.status.code(),
        Some(2),
        "scan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let document: Value = serde_json::from_str(&stdout).expect("SARIF is JSON");
    validate(&document);
    for n in 0..common::KEYS.len() {
        assert!(!stdout.contains(&key(n)), "a full key in SARIF:\n{stdout}");
    }
    document
}

/// Validates `document` against the vendored official schema.
fn validate(document: &Value) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/sarif-schema-2.1.0.json");
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    let index = compiler
        .compile(schema.to_str().expect("UTF-8 path"), &mut schemas)
        .unwrap_or_else(|err| panic!("the vendored schema compiles: {err:#}"));
    if let Err(err) = schemas.validate(document, index) {
        panic!(
            "SARIF does not match the 2.1.0 schema:\n{err:#}\n{}",
            serde_json::to_string_pretty(document).unwrap()
        );
    }
}

fn run(document: &Value) -> &Value {
    &document["runs"][0]
}

fn results(document: &Value) -> &Vec<Value> {
    run(document)["results"].as_array().expect("results")
}

fn category(document: &Value) -> &str {
    run(document)["automationDetails"]["id"]
        .as_str()
        .expect("automationDetails.id")
}

fn result_for<'a>(document: &'a Value, redacted: &str) -> &'a Value {
    results(document)
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap_or("")
                .contains(redacted)
        })
        .unwrap_or_else(|| panic!("no result for {redacted}: {document:#}"))
}

#[test]
fn the_validator_rejects_an_invalid_log() {
    // The check itself can fail: a result without a message breaks the schema.
    let broken = serde_json::json!({
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}],
    });
    let caught = std::panic::catch_unwind(|| validate(&broken));
    assert!(caught.is_err());
}

#[test]
fn files_mode() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join(".env"), common::env_line(&key(0))).unwrap();
    std::fs::create_dir(root.join("my docs")).unwrap();
    std::fs::write(
        root.join("my docs/notes #1.md"),
        format!("Set `VAST_API_KEY` to `{}` before running.\n", key(1)),
    )
    .unwrap();
    std::fs::write(
        root.join("fixture.env"),
        format!("VAST_API_KEY={} # vastleaks:allow\n", key(2)),
    )
    .unwrap();
    // PowerShell's `>` writes UTF-16LE with a byte-order mark.
    let utf16: Vec<u8> = [0xFEFF]
        .into_iter()
        .chain(format!("$env:VAST_API_KEY = \"{}\"\r\n", key(3)).encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::write(root.join("env.txt"), utf16).unwrap();

    let document = sarif(root, &["."], None);
    assert_eq!(category(&document), "vastleaks/files/");
    let driver = &run(&document)["tool"]["driver"];
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));

    let notes = result_for(&document, &common::redacted(&key(1)));
    assert_eq!(
        notes["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "my%20docs/notes%20%231.md"
    );
    assert_eq!(notes["ruleId"], "vast.prose");

    let allowed = result_for(&document, &common::redacted(&key(2)));
    assert_eq!(allowed["suppressions"][0]["kind"], "inSource");

    let decoded = result_for(&document, &common::redacted(&key(3)));
    assert_eq!(decoded["properties"]["encoding"], "utf-16le");
    let region = &decoded["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startColumn"], 22);
    assert_eq!(region["endColumn"], 22 + 64);
    assert_eq!(results(&document).len(), 4);
}

#[test]
fn stdin_mode() {
    let dir = tempfile::tempdir().unwrap();
    let input = format!("log line\nVAST_API_KEY={}\n", key(0));
    let document = sarif(dir.path(), &["-"], Some(input.as_bytes()));
    assert_eq!(category(&document), "vastleaks/stdin/");
    let location = &results(&document)[0]["locations"][0];
    assert_eq!(location["logicalLocations"][0]["name"], "stdin");
    assert_eq!(location["logicalLocations"][0]["kind"], "stdin");
    assert_eq!(location["physicalLocation"]["region"]["startLine"], 2);
}

#[test]
fn staged_mode() {
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    repo.commit("init");
    repo.write("deploy/.env", &common::env_line(&key(4)));
    repo.git(&["add", "deploy/.env"]);
    let document = sarif(&repo.path, &["--staged"], None);
    assert_eq!(category(&document), "vastleaks/staged/");
    let result = result_for(&document, &common::redacted(&key(4)));
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/.env"
    );
}

/// A history with keys in a file, a commit message, a tag message, and one
/// key accepted in `.vastleaksignore`.
fn history() -> (Repo, String, String) {
    let repo = Repo::new();
    repo.write("README.md", "hello\n");
    let base = repo.commit("init");
    repo.write("config/.env", &common::env_line(&key(0)));
    repo.write("old.env", &common::env_line(&key(5)));
    let fingerprint = {
        // Ask vastleaks for the fingerprint rather than recomputing it here.
        let out = common::vastleaks_command()
            .args(["scan", "-f", "json", "old.env"])
            .current_dir(&repo.path)
            .output()
            .unwrap();
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        json["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    repo.write(
        ".vastleaksignore",
        &format!("{fingerprint}  # revoked, accepted\n"),
    );
    let commit = repo.commit(&format!("deploy: export VAST_API_KEY={}", key(1)));
    repo.git(&[
        "tag",
        "-a",
        "v1",
        "-m",
        &format!("release notes\nVAST_API_KEY={}", key(2)),
    ]);
    (repo, base, commit)
}

#[test]
fn full_history_mode() {
    let (repo, _, commit) = history();
    let document = sarif(&repo.path, &["--git"], None);
    assert_eq!(category(&document), "vastleaks/full/");

    let message = result_for(&document, &common::redacted(&key(1)));
    let location = &message["locations"][0];
    assert_eq!(location["logicalLocations"][0]["name"], commit.as_str());
    assert_eq!(location["logicalLocations"][0]["kind"], "commit-message");
    assert_eq!(
        location["physicalLocation"]["artifactLocation"]["uri"],
        format!("vastleaks/commit-message/{commit}")
    );

    let tag = result_for(&document, &common::redacted(&key(2)));
    assert_eq!(
        tag["locations"][0]["logicalLocations"][0]["kind"],
        "tag-message"
    );

    let file = result_for(&document, &common::redacted(&key(0)));
    assert_eq!(
        file["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "config/.env"
    );
    assert!(file["locations"][0].get("logicalLocations").is_none());

    let accepted = result_for(&document, &common::redacted(&key(5)));
    assert_eq!(accepted["suppressions"][0]["kind"], "external");
    assert!(accepted["suppressions"][0]["justification"]
        .as_str()
        .unwrap()
        .contains(".vastleaksignore"));
}

#[test]
fn range_mode() {
    let (repo, base, commit) = history();
    let range = format!("{base}..HEAD");
    let document = sarif(&repo.path, &["--git", &range], None);
    assert_eq!(category(&document), "vastleaks/range/");
    let message = result_for(&document, &common::redacted(&key(1)));
    assert_eq!(
        message["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
        format!("commit-message:{commit}")
    );
    result_for(&document, &common::redacted(&key(0)));
}
