//! The real binary on a real git repository whose file names, commit
//! message, author and branch name carry keys: no format, in files mode or
//! git mode, shows one in full on stdout or stderr.

use std::path::Path;

use proptest::prelude::*;

use vastleaks::key::Secret;

use super::{common, config, key};

/// Exit code, stdout and stderr of `vastleaks scan ARGS` in `dir`.
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = common::vastleaks()
        .arg("scan")
        .args(args)
        .args(["--progress", "never", "--color", "never"])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Where each key goes: the first is the key in a file (found, shown
/// redacted), the others are in what vastleaks repeats around it.
const FIELDS: [&str; 7] = [
    "the finding's own key",
    "directory name",
    "commit message",
    "commit author",
    "branch name",
    "skipped file name",
    "ignore-file glob",
];

/// Builds the repository, scans it in files and git mode in every format and
/// returns `MODE FORMAT STREAM: FIELD` for each key shown in full.
fn leaks(keys: &[String; 7]) -> Vec<String> {
    let repo = common::Repo::new();
    repo.write(
        &format!("config/{}/app.env", keys[1]),
        &format!("VAST_API_KEY={}\n", keys[0]),
    );
    repo.write(&format!("data/big-{}.txt", keys[5]), &"x".repeat(4096));
    // An invalid glob: its error message quotes the glob.
    let fp = Secret::new(keys[0].clone()).fingerprint();
    repo.write(".vastleaksignore", &format!("{fp} [{}\n", keys[6]));
    repo.git(&["checkout", "-q", "-b", &format!("feature/{}", keys[4])]);
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "--author",
        &format!("Dev {} <dev@example.com>", keys[3]),
        "-m",
        &format!("add config (key {})", keys[2]),
    ]);
    let mut leaks = Vec::new();
    for mode in [&["."][..], &["--git", "."][..]] {
        for format in ["human", "json", "jsonl", "sarif", "github", "markdown"] {
            let mut args = vec!["--format", format, "--max-file-size", "1K"];
            args.extend_from_slice(mode);
            let (code, stdout, stderr) = run(&repo.path, &args);
            assert_eq!(
                code, 1,
                "{args:?}: the key is a finding\n{stdout}\n{stderr}"
            );
            for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                for (field, key) in FIELDS.iter().zip(keys) {
                    if text.contains(key.as_str()) {
                        let mode = if mode.len() == 2 { "--git" } else { "files" };
                        leaks.push(format!("{mode} {format} {stream}: {field}"));
                    }
                }
            }
        }
    }
    // The check can fail: with --show-secrets the key is printed.
    let (_, stdout, _) = run(&repo.path, &["--format", "json", "--show-secrets", "."]);
    assert!(stdout.contains(keys[0].as_str()), "{stdout}");
    leaks
}

proptest! {
    #![proptest_config(config(2))]

    #[test]
    fn the_binary_never_shows_a_key_without_show_secrets(keys in proptest::array::uniform7(key())) {
        let leaks = leaks(&keys);
        prop_assert!(leaks.is_empty(), "full keys shown:\n{}", leaks.join("\n"));
    }
}
