//! Commit ranges read both ways: diffing each commit (the walk, for small
//! ranges) and reading the object database in pack order (for large ones).
//! `VASTLEAKS_RANGE_STRATEGY` forces one; both must report the same.
use crate::common::{env_line, scan_env, vastleaks_command, Repo, Run, KEYS};
use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The range scanned with each strategy: (walk, pack).
fn both(repo: &Repo, args: &[&str]) -> (Run, Run) {
    let run = |strategy| scan_env(&repo.path, args, &[("VASTLEAKS_RANGE_STRATEGY", strategy)]);
    let (walk, pack) = (run("walk"), run("pack"));
    let notes = |run: &Run| run.notes().join(" | ");
    assert!(notes(&walk).contains("new blob(s)"), "{}", notes(&walk));
    assert!(
        notes(&pack).contains("read in pack order"),
        "the pack strategy was not used: {}",
        notes(&pack)
    );
    (walk, pack)
}

fn assert_same(walk: &Run, pack: &Run) {
    assert_eq!(walk.code, pack.code, "{}\n{}", walk.stderr, pack.stderr);
    assert_eq!(
        walk.json["findings"], pack.json["findings"],
        "findings and attribution differ"
    );
    assert_eq!(walk.json["problems"], pack.json["problems"]);
    assert_eq!(walk.json["suppressed"], pack.json["suppressed"]);
}

fn finding(run: &Run, path: &str, key: &str) -> Value {
    let found: Vec<Value> = run
        .findings_of(key)
        .into_iter()
        .filter(|f| s(&f["path"]) == path)
        .collect();
    assert_eq!(found.len(), 1, "{path}: {found:?}\n{}", run.stdout);
    found[0].clone()
}

/// A history with what makes "introduced" subtle: a base blob copied to a
/// new path, a file deleted and added back, versions of one file, a merge
/// that resolves a conflict with a key, a branch outside the range, a key
/// file (path rule), a key in a commit message, a blob over
/// --max-file-size, and objects both packed and loose.
#[test]
fn walk_and_pack_order_report_the_same_findings_and_attribution() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    repo.write("old.env", &env_line(KEYS[0]));
    // In every commit of the range, never introduced by it.
    repo.write("kept.env", &format!("# kept\n{}", env_line(KEYS[3])));
    let base = repo.commit("base");
    // A branch the range does not reach, with a key of its own.
    repo.git(&["checkout", "-q", "-b", "elsewhere"]);
    repo.write("elsewhere.env", &format!("# x\n{}", env_line(KEYS[5])));
    repo.commit("not in the range");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["repack", "-a", "-d", "-q"]);

    repo.write("copied/old.env", &env_line(KEYS[0]));
    repo.write("a.env", &env_line(KEYS[1]));
    let first = repo.commit("copy the base's key, add another");
    repo.write("a.env", &format!("{}DEBUG=1\n", env_line(KEYS[1])));
    repo.commit("second version");
    repo.git(&["rm", "-q", "a.env"]);
    repo.commit("remove");
    repo.write("a.env", &env_line(KEYS[1]));
    repo.commit("add the first version back");

    repo.write("conflict.txt", "main\n");
    repo.commit("main side");
    repo.git(&["checkout", "-q", "-b", "side", "HEAD~1"]);
    repo.write("conflict.txt", "side\n");
    repo.write("side.env", &env_line(KEYS[2]));
    let side = repo.commit("side work");
    repo.git(&["checkout", "-q", "main"]);
    assert!(
        !repo.git_status(&["merge", "-q", "side"]),
        "should conflict"
    );
    repo.write("conflict.txt", &env_line(KEYS[3]));
    let merge = repo.commit("merge side");
    repo.git(&["repack", "-q"]);

    repo.write("home/.vast_api_key", &format!("{}\n", KEYS[4]));
    let key_file = repo.commit("key file");
    repo.write("big.bin", &"x".repeat(4096));
    repo.commit(&format!("big blob\n\n{}", env_line(KEYS[5])));

    let range = ["--git", "--since-commit", &base, "--max-file-size", "1K"];
    let (walk, pack) = both(&repo, &range);
    assert_same(&walk, &pack);
    assert_eq!(walk.code, 1, "{}", walk.stderr);

    // What the walk decides, so the comparison is about something.
    let copied = finding(&pack, "copied/old.env", KEYS[0]);
    assert_eq!(s(&copied["git"]["commit"]), first);
    assert_eq!(s(&finding(&pack, "a.env", KEYS[1])["git"]["commit"]), first);
    assert_eq!(
        s(&finding(&pack, "side.env", KEYS[2])["git"]["commit"]),
        side
    );
    let resolved = finding(&pack, "conflict.txt", KEYS[3]);
    assert_eq!(s(&resolved["git"]["commit"]), merge);
    let file = finding(&pack, "home/.vast_api_key", KEYS[4]);
    assert_eq!(s(&file["git"]["commit"]), key_file);
    assert!(pack
        .findings_of(KEYS[5])
        .iter()
        .all(|f| s(&f["source"]) == "git-commit"));
    assert!(pack.findings().iter().all(|f| s(&f["path"]) != "kept.env"));
    assert!(
        pack.findings_of(KEYS[0]).len() == 1,
        "old.env is the base's"
    );
    assert!(
        pack.problems()
            .iter()
            .any(|p| s(&p["kind"]) == "skipped" && s(&p["message"]).contains("big.bin")),
        "{:?}",
        pack.problems()
    );

    // A range with no blob holding a key: only messages.
    let quiet = ["--git", "--since-commit", &key_file];
    let (walk, pack) = both(&repo, &quiet);
    assert_same(&walk, &pack);
    assert!(pack
        .findings()
        .iter()
        .all(|f| s(&f["source"]) == "git-commit"));
}

/// A partial clone lacks the blob of a key added and deleted in the range:
/// both strategies report the same hole (the pack-order one finds the
/// trees naming it through the tree links).
#[test]
fn a_blob_missing_from_a_partial_clone_is_the_same_problem_both_ways() {
    let origin = Repo::new();
    origin.git(&["config", "uploadpack.allowFilter", "true"]);
    origin.write("README", "hi\n");
    let base = origin.commit("init");
    origin.write("dir/old.env", &env_line(KEYS[0]));
    origin.commit("add key");
    origin.git(&["rm", "-q", "-r", "dir"]);
    origin.commit("remove key");
    let blob = origin.git(&["rev-parse", "HEAD~1:dir/old.env"]);
    let dir = tempfile::tempdir().expect("tmp");
    let clone = dir.path().join("partial");
    let url = format!("file://{}", origin.path.display());
    origin.git(&[
        "clone",
        "-q",
        "--filter=blob:none",
        &url,
        &clone.to_string_lossy(),
    ]);
    let clone = Repo::at(clone, dir);

    let (walk, pack) = both(&clone, &["--git", "--since-commit", &base]);
    assert_same(&walk, &pack);
    assert_eq!(pack.code, 2, "{}", pack.stderr);
    let problems = pack.problems();
    assert!(
        problems
            .iter()
            .any(|p| s(&p["path"]) == format!("object {blob}")
                && s(&p["message"]).contains("dir/old.env")),
        "{problems:?}"
    );
}

/// `--progress always` shows the range's commits and blobs as they go on
/// standard error (drawn even though stderr is not a terminal here), with
/// either strategy; without it stderr has no bar.
#[test]
fn range_scans_show_progress_when_asked() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    let base = repo.commit("base");
    for i in 0..5 {
        repo.write(&format!("f{i}.txt"), &format!("{i}\n"));
        repo.commit(&format!("commit {i}"));
    }
    let run = |strategy: &str, progress: &str| {
        let out = vastleaks_command()
            .args(["scan", "--git", "--since-commit", &base, "-f", "json"])
            .args(["--progress", progress])
            .current_dir(&repo.path)
            .env("VASTLEAKS_RANGE_STRATEGY", strategy)
            .output()
            .expect("run vastleaks");
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let walk = run("walk", "always");
    assert!(walk.contains("/5 commits"), "{walk:?}");
    assert!(walk.contains("new blobs and messages"), "{walk:?}");
    let pack = run("pack", "always");
    assert!(pack.contains(" objects ["), "{pack:?}");
    assert!(pack.contains("/5 commits"), "{pack:?}");
    for strategy in ["walk", "pack"] {
        let quiet = run(strategy, "never");
        assert!(
            !quiet.contains("commits") && !quiet.contains('\u{1b}'),
            "{quiet:?}"
        );
    }
}
