//! `action.yml` stays in step with the binary and the README.
//!
//! The file is parsed by hand (the subset used: top-level sections, two-space
//! keys, four-space `description:`/`default:` lines) instead of adding a YAML
//! crate for one test.

use crate::common;
use crate::release_server;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// section -> key -> (field -> value) for the `inputs:` and `outputs:` sections.
type Sections = BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>>;

fn parse(text: &str) -> Sections {
    let mut sections = Sections::new();
    let mut section: Option<String> = None;
    let mut key: Option<String> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim();
        match indent {
            0 => {
                section = body.strip_suffix(':').map(str::to_string);
                key = None;
            }
            2 => {
                if let (Some(section), Some(name)) = (&section, body.strip_suffix(':')) {
                    sections
                        .entry(section.clone())
                        .or_default()
                        .entry(name.to_string())
                        .or_default();
                    key = Some(name.to_string());
                }
            }
            4 => {
                if let (Some(section), Some(name), Some((field, value))) =
                    (&section, &key, body.split_once(": "))
                {
                    if let Some(entry) = sections
                        .get_mut(section)
                        .and_then(|keys| keys.get_mut(name))
                    {
                        entry.insert(field.to_string(), value.trim_matches('"').to_string());
                    }
                }
            }
            _ => {}
        }
    }
    sections
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn action() -> Sections {
    let text = std::fs::read_to_string(root().join("action.yml")).expect("action.yml exists");
    parse(&text)
}

#[test]
fn inputs_and_outputs_are_the_documented_interface() {
    let action = action();
    let inputs: Vec<&str> = action["inputs"].keys().map(String::as_str).collect();
    assert_eq!(
        inputs,
        ["args", "fail-on", "install", "mode", "path", "verify", "version"]
    );
    let outputs: Vec<&str> = action["outputs"].keys().map(String::as_str).collect();
    assert_eq!(outputs, ["findings", "live", "sarif"]);
    for (section, keys) in &action {
        if section != "inputs" && section != "outputs" {
            continue;
        }
        for (name, fields) in keys {
            assert!(
                fields.get("description").is_some_and(|d| !d.is_empty()),
                "{section}.{name} needs a description"
            );
        }
    }
    let defaults: Vec<(&str, &str)> = action["inputs"]
        .iter()
        .map(|(name, fields)| (name.as_str(), fields["default"].as_str()))
        .collect();
    assert_eq!(
        defaults,
        [
            ("args", ""),
            ("fail-on", "any"),
            ("install", "auto"),
            ("mode", "auto"),
            ("path", "."),
            ("verify", "false"),
            ("version", ""),
        ]
    );
    for output in ["findings", "live", "sarif"] {
        assert_eq!(
            action["outputs"][output]["value"],
            format!("${{{{ steps.scan.outputs.{output} }}}}")
        );
    }
}

/// The values the inputs pass on are values the binary accepts.
#[test]
fn inputs_map_to_options_the_binary_accepts() {
    let output = common::vastleaks()
        .args(["ci", "github", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for option in ["--mode", "--fail-on", "--verify", "--sarif"] {
        assert!(help.contains(option), "ci github --help lacks {option}");
    }
    // The event decides what is scanned, and secrets are never shown in CI:
    // options `ci github` refuses are not offered.
    for refused in [
        "--show-secrets",
        "--staged",
        "--since-commit",
        "--branch",
        "--files",
        "--git ",
    ] {
        assert!(
            !help.contains(refused),
            "ci github --help offers {refused}: {help}"
        );
    }
    let action = action();
    for (input, values) in [
        ("mode", ["auto", "full", "range"]),
        ("fail-on", ["any", "live", "never"]),
        ("fail-on", ["unknown", "unknown", "unknown"]),
    ] {
        let description = &action["inputs"][input]["description"];
        for value in values {
            assert!(
                description.contains(value),
                "input {input} does not document {value}"
            );
            assert!(help.contains(value), "--{input} does not accept {value}");
        }
    }
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(text.contains("\"$VASTLEAKS\" ci github --mode \"$INPUT_MODE\" --fail-on \"$INPUT_FAIL_ON\" $verify $INPUT_ARGS ."));
    for mode in ["auto", "binary", "source"] {
        assert!(action["inputs"]["install"]["description"].contains(&format!("{mode}:")));
    }
    // Inputs reach the shell through env, never spliced into the script.
    for line in text
        .lines()
        .filter(|l| l.trim_start().starts_with("run:") || l.starts_with("        "))
    {
        if line.contains("${{") {
            assert!(
                !line.contains("inputs.") || line.trim_start().starts_with("INPUT_"),
                "input expanded inside a script: {line}"
            );
        }
    }
}

/// Every input and output is listed in the README's "GitHub Actions" section.
#[test]
fn readme_documents_every_input_and_output() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md exists");
    let start = readme
        .find("## GitHub Actions")
        .expect("README.md has a \"## GitHub Actions\" section");
    let rest = &readme[start + 3..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let action = action();
    for kind in ["inputs", "outputs"] {
        for name in action[kind].keys() {
            assert!(
                section.contains(&format!("`{name}`")),
                "README \"GitHub Actions\" does not document the {kind} `{name}`"
            );
        }
    }
    assert!(section.contains("fetch-depth: 0"));
}

/// The `run: |` script of the step named `name`, dedented.
fn step_script(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let start = text
        .find(&format!("- name: {name}\n"))
        .unwrap_or_else(|| panic!("action.yml has no step {name:?}"));
    let step = &text[start..];
    let run = step.find("run: |\n").expect("step has a run block") + "run: |\n".len();
    let mut script = String::new();
    for line in step[run..].lines() {
        if !line.is_empty() && !line.starts_with("        ") {
            break;
        }
        script.push_str(line.get(8..).unwrap_or(""));
        script.push('\n');
    }
    script
}

fn bash(script: &str, dir: &Path, env: &[(&str, &std::ffi::OsStr)]) -> std::process::Output {
    let mut cmd = std::process::Command::new("bash");
    common::clean_env(&mut cmd)
        .arg("-e")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", common::path_with_bin());
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().expect("bash runs")
}

/// The action's shell steps, run with bash as the runner would (inputs as
/// INPUT_* variables): the locate step finds the binary on PATH and computes
/// the version and cache key; the scan step runs `ci github` and fills
/// GITHUB_OUTPUT.
#[test]
fn action_steps_work_in_bash() {
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs");
    let located = bash(
        &step_script("Locate vastleaks"),
        dir.path(),
        &[
            ("GITHUB_OUTPUT", outputs.as_os_str()),
            ("GITHUB_ACTION_PATH", root().as_os_str()),
            ("RUNNER_TEMP", dir.path().as_os_str()),
            ("INPUT_VERSION", "".as_ref()),
            ("INPUT_INSTALL", "auto".as_ref()),
        ],
    );
    assert!(
        located.status.success(),
        "{}",
        String::from_utf8_lossy(&located.stderr)
    );
    let located = std::fs::read_to_string(&outputs).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    let bin = common::bin().display().to_string();
    let key = located
        .strip_prefix(&format!(
            "found=true\nbin={bin}\nversion={version}\nkey=auto-{version}-"
        ))
        .and_then(|rest| rest.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{located}"));
    // This checkout is a git work tree (`uses: ./`): keyed on its commit.
    if root().join(".git").exists() {
        assert_eq!(key.len(), 40, "{key}");
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    } else {
        assert_eq!(key, "local");
    }

    let repo = common::init_repo(&dir.path().join("repo"));
    let before = common::commit_file(&repo, "a.txt", "a\n", "a");
    let after = common::commit_file(&repo, "app.env", &common::key_line(0), "key");
    let event = dir.path().join("event.json");
    std::fs::write(
        &event,
        format!(r#"{{"ref":"refs/heads/main","before":"{before}","after":"{after}","repository":{{"default_branch":"main"}}}}"#),
    )
    .unwrap();
    let outputs = dir.path().join("scan-outputs");
    let summary = dir.path().join("summary.md");
    let sarif = dir.path().join("x.sarif");
    let args = format!("--sarif {}", sarif.display());
    let scan = |fail_on: &str| {
        bash(
            &step_script("Scan"),
            &repo,
            &[
                ("GITHUB_EVENT_NAME", "push".as_ref()),
                ("GITHUB_EVENT_PATH", event.as_os_str()),
                ("GITHUB_OUTPUT", outputs.as_os_str()),
                ("GITHUB_STEP_SUMMARY", summary.as_os_str()),
                ("INPUT_MODE", "auto".as_ref()),
                ("INPUT_VERIFY", "false".as_ref()),
                ("INPUT_FAIL_ON", fail_on.as_ref()),
                ("INPUT_ARGS", args.as_ref()),
                ("VASTLEAKS", bin.as_ref()),
            ],
        )
    };
    let failed = scan("any");
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert!(String::from_utf8_lossy(&failed.stdout).starts_with("::error file=app.env,line=1,"));
    assert_eq!(
        std::fs::read_to_string(&outputs).unwrap(),
        format!("findings=1\nlive=0\nsarif={}\n", sarif.display())
    );
    assert!(sarif.is_file());
    assert_eq!(scan("never").status.code(), Some(0));
}

/// The install step against a fake release host on loopback (the action's
/// own, empty, pinned-checksum table): with a token the archive is checked
/// with `gh attestation verify` and installed; a failed attestation fails the
/// step; without a way to verify, the action's checkout is built from source.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn install_step_verifies_or_builds_from_source() {
    use release_server::{path_with, publish, stand_ins, ReleaseServer, TARGET, VERSION};

    let dir = tempfile::tempdir().unwrap();
    publish(dir.path(), TARGET);
    let server = ReleaseServer::start(&dir.path().join("site"));
    let path = path_with(&stand_ins(dir.path()));
    let log = dir.path().join("log");
    let temp = dir.path().join("runner-temp");
    std::fs::create_dir(&temp).unwrap();
    let action_path = root();
    let install = |mode: &str, extra: &[(&str, &str)]| {
        let mut env: Vec<(&str, &std::ffi::OsStr)> = vec![
            ("PATH", path.as_os_str()),
            ("FAKE_LOG", log.as_os_str()),
            ("RUNNER_TEMP", temp.as_os_str()),
            ("GITHUB_ACTION_PATH", action_path.as_os_str()),
            ("GITHUB_SERVER_URL", server.url.as_ref()),
            ("GITHUB_ACTION_REPOSITORY", "OWNER/vastleaks".as_ref()),
            ("INPUT_VERSION", "".as_ref()),
            ("INPUT_INSTALL", mode.as_ref()),
            ("VERSION", VERSION.as_ref()),
        ];
        env.extend(extra.iter().map(|(k, v)| (*k, v.as_ref())));
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_dir_all(temp.join("vastleaks"));
        let out = bash(&step_script("Install vastleaks"), dir.path(), &env);
        (out, std::fs::read_to_string(&log).unwrap_or_default())
    };
    let installed = temp.join("vastleaks/bin/vastleaks");

    let (out, log) = install("auto", &[("GH_TOKEN", "t"), ("FAKE_GH_EXIT", "0")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(log.starts_with("gh attestation verify "), "{log}");
    assert_eq!(
        server.requests(),
        [format!(
            "/OWNER/vastleaks/releases/download/v{VERSION}/vastleaks-{VERSION}-{TARGET}.tar.gz"
        )]
    );
    let version = common::vastleaks_at(&installed).arg("-V").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("vastleaks {VERSION}")
    );

    let (out, _) = install("binary", &[("GH_TOKEN", "t"), ("FAKE_GH_EXIT", "1")]);
    assert!(!out.status.success(), "a failed attestation fails the step");
    assert!(!installed.exists());

    let downloads = server.requests().len();
    let (out, log) = install("auto", &[("GH_TOKEN", "")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        log,
        format!(
            "install --locked --root {} --path {}\n",
            temp.join("vastleaks").display(),
            root().display()
        )
    );
    assert_eq!(
        server.requests().len(),
        downloads,
        "no download without a check"
    );
}

/// Every `uses:` in the action and the workflows names a full commit SHA
/// (a tag can be moved to other code; a SHA cannot).
#[test]
fn every_uses_is_pinned_by_commit_sha() {
    let mut files = vec![root().join("action.yml")];
    if let Ok(entries) = std::fs::read_dir(root().join(".github/workflows")) {
        files.extend(entries.map(|e| e.unwrap().path()));
    }
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            let line = line.trim_start().trim_start_matches("- ");
            let Some(target) = line.strip_prefix("uses: ") else {
                continue;
            };
            let target = target.split_whitespace().next().unwrap_or("");
            checked += 1;
            if target.starts_with("./") {
                continue;
            }
            let sha = target.rsplit_once('@').map(|(_, r)| r).unwrap_or("");
            assert!(
                sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}: `uses: {target}` is not pinned by commit SHA",
                file.display()
            );
        }
    }
    assert!(checked > 0);
}
