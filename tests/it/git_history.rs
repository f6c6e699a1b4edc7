//! Git modes against real repositories built with the git CLI: the full
//! audit (`--git`), attribution, `--staged`, commit ranges and damaged
//! repositories.

use crate::common;

use common::{env_line, scan, scan_env, Repo, KEYS};
use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

fn refs(finding: &Value) -> Vec<String> {
    finding["git"]["refs"]
        .as_array()
        .map(|r| r.iter().map(|v| s(v).to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn key_in_a_deleted_file_is_found_once_with_its_first_commit() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    repo.commit("init");
    repo.write("config/.env", &env_line(KEYS[0]));
    let introduced = repo.commit("add env");
    repo.write("other.txt", "x\n");
    repo.commit("unrelated");
    repo.git(&["rm", "-q", "config/.env"]);
    repo.commit("remove env");

    let run = scan(&repo.path, &["--git"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.one(KEYS[0]);
    assert_eq!(s(&f["source"]), "git-blob");
    assert_eq!(s(&f["path"]), "config/.env");
    assert_eq!(s(&f["git"]["commit"]), introduced);
    assert_eq!(s(&f["git"]["summary"]), "add env");
    assert!(s(&f["git"]["author"]).contains("Test Author"));
    assert!(s(&f["git"]["date"]).starts_with("2023-11-14T"));
    assert_eq!(refs(&f), vec!["refs/heads/main"]);
    assert_eq!(f["git"]["reachable"], Value::Bool(true));
    assert_eq!(f["git"]["at_head"], Value::Bool(false));
    assert_eq!(s(&run.json["summary"]["mode"]), "git");
    // The key never appears in full.
    assert!(!run.stdout.contains(KEYS[0]) && !run.stderr.contains(KEYS[0]));
}

#[test]
fn key_present_at_head_is_marked_and_first_commit_wins_over_a_copy() {
    let repo = Repo::new();
    repo.write("a.env", &env_line(KEYS[1]));
    let first = repo.commit("first");
    // Same content at another path later: the same blob, still introduced by `first`.
    repo.write("copy/a.env", &env_line(KEYS[1]));
    repo.commit("copy");

    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[1]);
    assert_eq!(s(&f["git"]["commit"]), first);
    assert_eq!(s(&f["path"]), "a.env");
    assert_eq!(f["git"]["at_head"], Value::Bool(true));
}

#[test]
fn key_on_another_branch_only() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write(
        "deploy/settings.yml",
        &format!("vast_api_key: {}\n", KEYS[2]),
    );
    let introduced = repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);

    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[2]);
    assert_eq!(s(&f["git"]["commit"]), introduced);
    assert_eq!(s(&f["path"]), "deploy/settings.yml");
    assert_eq!(refs(&f), vec!["refs/heads/feature"]);
    assert_eq!(f["git"]["at_head"], Value::Bool(false));
}

#[test]
fn key_only_in_an_annotated_tags_commit_and_in_a_tag_message() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    repo.commit("init");
    repo.git(&["checkout", "-q", "--detach"]);
    repo.write("release.env", &env_line(KEYS[3]));
    let tagged = repo.commit("release build");
    let tag_message = format!("release notes\n\n{}", env_line(KEYS[4]));
    repo.git(&["tag", "-a", "v1.0", "-m", &tag_message]);
    repo.git(&["checkout", "-q", "main"]);

    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[3]);
    assert_eq!(s(&f["git"]["commit"]), tagged);
    assert_eq!(refs(&f), vec!["refs/tags/v1.0"]);
    let t = run.one(KEYS[4]);
    assert_eq!(s(&t["source"]), "git-tag");
    assert_eq!(refs(&t), vec!["refs/tags/v1.0"]);
}

#[test]
fn key_only_in_a_merge_resolution() {
    let repo = Repo::new();
    repo.write("conflict.txt", "base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("conflict.txt", "side\n");
    repo.commit("side change");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("conflict.txt", "main\n");
    repo.commit("main change");
    assert!(
        !repo.git_status(&["merge", "-q", "side"]),
        "merge should conflict"
    );
    repo.write("conflict.txt", &format!("resolved\n{}", env_line(KEYS[5])));
    let merge = repo.commit("merge side");
    assert_eq!(
        repo.git(&["rev-list", "--parents", "-n1", "HEAD"])
            .split(' ')
            .count(),
        3,
        "a merge commit"
    );

    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[5]);
    assert_eq!(s(&f["git"]["commit"]), merge);
    assert_eq!(s(&f["path"]), "conflict.txt");
    assert_eq!(f["git"]["at_head"], Value::Bool(true));

    // The range scan sees it too: merges are diffed against every parent.
    let base = repo.git(&["rev-parse", "HEAD^1"]);
    let run = scan(&repo.path, &["--git", "--since-commit", &base]);
    assert_eq!(s(&run.one(KEYS[5])["git"]["commit"]), merge);
}

#[test]
fn key_in_a_dropped_stash_is_unreachable() {
    let repo = Repo::new();
    repo.write("app.env", "VAST_API_KEY=\n");
    repo.commit("init");
    repo.write("app.env", &env_line(KEYS[0]));
    repo.git(&["stash", "-q"]);
    let stash = repo.git(&["rev-parse", "stash@{0}"]);
    repo.git(&["stash", "drop", "-q"]);

    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[0]);
    assert_eq!(s(&f["path"]), "app.env");
    assert_eq!(f["git"]["reachable"], Value::Bool(false));
    assert!(refs(&f).is_empty());
    // The stash's index commit or its work-tree commit, both dangling now.
    let commit = s(&f["git"]["commit"]).to_string();
    let index_commit = repo.git(&["rev-parse", &format!("{stash}^2")]);
    assert!(
        commit == stash || commit == index_commit,
        "{commit} is neither stash commit"
    );
}

#[test]
fn key_in_a_dangling_commit_after_reset_hard() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    repo.commit("init");
    repo.write("secrets/prod.env", &env_line(KEYS[1]));
    let dropped = repo.commit("oops");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);

    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[1]);
    assert_eq!(s(&f["git"]["commit"]), dropped);
    assert_eq!(s(&f["path"]), "secrets/prod.env");
    assert_eq!(f["git"]["reachable"], Value::Bool(false));
    assert_eq!(f["git"]["at_head"], Value::Bool(false));
}

#[test]
fn key_in_a_commit_message() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    let commit = repo.commit(&format!("set up CI\n\n{}", env_line(KEYS[2])));
    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[2]);
    assert_eq!(s(&f["source"]), "git-commit");
    assert_eq!(s(&f["git"]["commit"]), commit);
    assert_eq!(refs(&f), vec!["refs/heads/main"]);
}

#[test]
fn oversized_staged_blobs_are_reported_as_skipped() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("first");
    repo.write(
        "big.log",
        &format!("{}\n{}", "x".repeat(4096), env_line(KEYS[0])),
    );
    repo.git(&["add", "big.log"]);
    let run = scan(&repo.path, &["--staged", "--max-file-size", "1K"]);
    // The only staged input was skipped: nothing was checked, so no pass.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.findings().is_empty());
    let problems = run.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["path"], "big.log");
    assert_eq!(problems[0]["kind"], "skipped");
    assert!(s(&problems[0]["message"]).contains("--max-file-size"));
}

#[test]
fn oversized_blobs_in_a_range_are_reported_as_skipped() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    let base = repo.commit("first");
    repo.write(
        "big.log",
        &format!("{}\n{}", "x".repeat(4096), env_line(KEYS[0])),
    );
    repo.commit("big");
    let run = scan(
        &repo.path,
        &["--git", "--since-commit", &base, "--max-file-size", "1K"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let problems = run.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["kind"], "skipped");
    assert!(
        s(&problems[0]["message"]).contains("big.log"),
        "{problems:?}"
    );
}

#[test]
fn staged_content_that_cannot_be_read_blocks_the_commit() {
    let repo = Repo::new();
    repo.write("a.txt", "a\n");
    repo.commit("first");
    repo.write("b.txt", "fresh content nobody else has\n");
    repo.git(&["add", "b.txt"]);
    let blob = repo.git(&["rev-parse", ":b.txt"]);
    std::fs::remove_file(Repo::loose_object(&repo.git_dir(), &blob)).unwrap();
    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("b.txt"), "{}", run.stderr);
    assert!(run.stderr.contains("could not be read"), "{}", run.stderr);
}

#[test]
fn a_key_in_a_commit_summary_is_never_printed_in_full() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    repo.commit(&format!("ci: {}", env_line(KEYS[2]).trim()));
    for format in ["human", "json", "jsonl", "sarif", "github", "markdown"] {
        let output = common::vastleaks()
            .args(["scan", "--git", "--progress", "never", "--format", format])
            .current_dir(&repo.path)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{format}");
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(KEYS[2]),
                "{format} prints the key from the commit summary: {text}"
            );
        }
    }
}

#[test]
fn keys_in_loose_and_packed_objects_are_each_found_once() {
    let repo = Repo::new();
    repo.write("packed.env", &env_line(KEYS[3]));
    let packed = repo.commit("packed");
    repo.git(&["gc", "-q"]);
    repo.write("loose.env", &env_line(KEYS[4]));
    let loose = repo.commit("loose");
    let loose_blob = repo.git(&["rev-parse", "HEAD:loose.env"]);
    let packed_blob = repo.git(&["rev-parse", "HEAD:packed.env"]);
    assert!(Repo::loose_object(&repo.git_dir(), &loose_blob).exists());
    assert!(!Repo::loose_object(&repo.git_dir(), &packed_blob).exists());
    // A second pack holding the packed blob again must not double it.
    repo.git(&["repack", "-q", "-a"]);
    repo.write("third.txt", "x\n");
    repo.commit("third");

    let run = scan(&repo.path, &["--git"]);
    assert_eq!(s(&run.one(KEYS[3])["git"]["commit"]), packed);
    assert_eq!(s(&run.one(KEYS[4])["git"]["commit"]), loose);
}

#[test]
fn key_files_in_history_are_found_by_name() {
    let repo = Repo::new();
    repo.write("home/.config/vastai/vast_api_key", KEYS[5]);
    let commit = repo.commit("dotfiles");
    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[5]);
    assert_eq!(s(&f["rule"]), "vast.key-file");
    assert_eq!(s(&f["path"]), "home/.config/vastai/vast_api_key");
    assert_eq!(s(&f["git"]["commit"]), commit);
}

/// A path rule from `--rules` need not mention Vast: the audit must match it
/// against every tree entry name, as file scans do.
#[test]
fn custom_path_rules_apply_to_history() {
    let repo = Repo::new();
    repo.write("deploy/creds.key", KEYS[4]);
    let commit = repo.commit("creds");
    let rules = tempfile::tempdir().expect("temp dir");
    let rule_file = rules.path().join("rules.toml");
    std::fs::write(
        &rule_file,
        "[[rule]]\nid = \"my.creds-file\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npath = '(?:^|/)creds\\.key$'\npattern = '^{KEY}'\n",
    )
    .expect("write rules");
    let rule_file = rule_file.to_str().expect("utf-8 path");
    let files = scan(&repo.path, &["--rules", rule_file]);
    assert_eq!(s(&files.one(KEYS[4])["rule"]), "my.creds-file");
    let run = scan(&repo.path, &["--git", "--rules", rule_file]);
    let f = run.one(KEYS[4]);
    assert_eq!(s(&f["rule"]), "my.creds-file");
    assert_eq!(s(&f["path"]), "deploy/creds.key");
    assert_eq!(s(&f["git"]["commit"]), commit);
}

#[test]
fn ignore_file_at_the_work_tree_root_applies_to_history() {
    let repo = Repo::new();
    repo.write("a.env", &env_line(KEYS[0]));
    repo.write("b.env", &env_line(KEYS[1]));
    repo.commit("keys");
    let listed = scan(&repo.path, &["--git"]);
    let fp = s(&listed.one(KEYS[0])["fingerprint"]).to_string();
    repo.write(".vastleaksignore", &format!("{fp}\n"));
    std::fs::create_dir_all(repo.path.join("sub")).expect("mkdir");
    let run = scan(&repo.path.join("sub"), &["--git"]);
    assert!(run.findings_of(KEYS[0]).is_empty());
    run.one(KEYS[1]);
}

#[test]
fn staged_scans_the_index_not_the_work_tree() {
    let repo = Repo::new();
    repo.write("committed.env", &env_line(KEYS[0]));
    repo.commit("old key stays in history");

    repo.write("new.env", &env_line(KEYS[1]));
    repo.git(&["add", "new.env"]);
    // Unstaged edit: not part of the commit.
    repo.write("notes.txt", &env_line(KEYS[2]));
    repo.write(
        "committed.env",
        &format!("{}{}", env_line(KEYS[0]), env_line(KEYS[3])),
    );

    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.one(KEYS[1]);
    assert_eq!(s(&f["source"]), "staged");
    assert_eq!(s(&f["path"]), "new.env");
    assert!(run.findings_of(KEYS[2]).is_empty(), "unstaged file scanned");
    assert!(run.findings_of(KEYS[3]).is_empty(), "unstaged edit scanned");
    assert!(
        run.findings_of(KEYS[0]).is_empty(),
        "unchanged HEAD blob scanned"
    );
    assert_eq!(run.json["summary"]["scanned"], 1);
    assert_eq!(s(&run.json["summary"]["mode"]), "staged");

    // PRE_COMMIT=1 with no mode means --staged, even with file arguments.
    let run = scan_env(&repo.path, &["notes.txt"], &[("PRE_COMMIT", "1")]);
    assert_eq!(s(&run.json["summary"]["mode"]), "staged");
    run.one(KEYS[1]);
    assert!(run.findings_of(KEYS[2]).is_empty());
}

#[test]
fn staged_with_nothing_staged_says_so() {
    let repo = Repo::new();
    repo.write("a.txt", "x\n");
    repo.commit("init");
    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.json["summary"]["scanned"], 0);
    assert!(run.notes().iter().any(|n| n.contains("nothing staged")));
}

#[test]
fn staged_on_an_unborn_branch_scans_every_entry() {
    let repo = Repo::new();
    repo.write("a.env", &env_line(KEYS[4]));
    repo.write("b.txt", "x\n");
    repo.git(&["add", "."]);
    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.json["summary"]["scanned"], 2);
    assert_eq!(s(&run.one(KEYS[4])["path"]), "a.env");
}

#[test]
fn range_scan_sees_only_its_range() {
    let repo = Repo::new();
    repo.write("one.env", &env_line(KEYS[0]));
    let base = repo.commit("before the range");
    repo.write("two.env", &env_line(KEYS[1]));
    let second = repo.commit("in range");
    repo.write("three.env", &env_line(KEYS[2]));
    repo.commit(&format!("also in range\n\n{}", env_line(KEYS[3])));

    let run = scan(&repo.path, &["--git", "--since-commit", &base]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(s(&run.json["summary"]["mode"]), "range");
    assert!(run.findings_of(KEYS[0]).is_empty(), "base content scanned");
    let f = run.one(KEYS[1]);
    assert_eq!(s(&f["git"]["commit"]), second);
    assert_eq!(s(&f["path"]), "two.env");
    assert_eq!(f["git"]["at_head"], Value::Bool(true));
    run.one(KEYS[2]);
    assert_eq!(s(&run.one(KEYS[3])["source"]), "git-commit");

    // The BASE..HEAD form and --branch select the same; without --git a
    // range is not a path, and the error says how to ask for one.
    let plain = scan(&repo.path, &[&format!("{base}..HEAD")]);
    assert_eq!(plain.code, 2);
    assert!(plain.stderr.contains("--git"), "{}", plain.stderr);
    let range = format!("{base}..HEAD");
    let run = scan(&repo.path, &["--git", &range]);
    assert_eq!(s(&run.json["summary"]["mode"]), "range");
    run.one(KEYS[1]);
    assert!(run.findings_of(KEYS[0]).is_empty());
    let run = scan(&repo.path, &["--since-commit", &base, "--branch", &second]);
    run.one(KEYS[1]);
    assert!(run.findings_of(KEYS[2]).is_empty());
}

#[test]
fn range_at_head_means_the_checked_out_head_not_the_range_tip() {
    let repo = Repo::new();
    repo.write("README", "hi\n");
    let base = repo.commit("init");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.env", &env_line(KEYS[0]));
    repo.commit("feature key");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("shared.env", &env_line(KEYS[1]));
    repo.commit("key on main too");
    repo.git(&["checkout", "-q", "feature"]);
    repo.write("shared.env", &env_line(KEYS[1]));
    repo.commit("same key on feature");
    repo.git(&["checkout", "-q", "main"]);

    // On main, scanning what feature adds: main lacks feature.env, but has
    // shared.env with the same content.
    let run = scan(&repo.path, &["--git", &format!("{base}..feature")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.one(KEYS[0]);
    assert_eq!(f["git"]["at_head"], Value::Bool(false), "{f}");
    assert_eq!(refs(&f), vec!["feature"]);
    let shared = run.one(KEYS[1]);
    assert_eq!(shared["git"]["at_head"], Value::Bool(true), "{shared}");
}

#[test]
fn range_with_an_unknown_base_is_a_clear_error() {
    let repo = Repo::new();
    repo.write("a", "x\n");
    repo.commit("init");
    let run = scan(&repo.path, &["--git", "--since-commit", "no-such-branch"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no-such-branch"), "{}", run.stderr);
}

// ---- faults -------------------------------------------------------------

#[test]
fn deleted_loose_objects_are_reported_and_the_scan_goes_on() {
    let repo = Repo::new();
    repo.write("keys.env", &env_line(KEYS[0]));
    repo.write("lib/code.rs", "fn main() {}\n");
    let base = repo.commit("one");
    repo.write("more/data.txt", "data\n");
    repo.write("more.env", &env_line(KEYS[1]));
    repo.commit("two");
    let lib_tree = repo.git(&["rev-parse", "HEAD:lib"]);
    let data_blob = repo.git(&["rev-parse", "HEAD:more/data.txt"]);
    std::fs::remove_file(Repo::loose_object(&repo.git_dir(), &lib_tree)).expect("delete tree");
    std::fs::remove_file(Repo::loose_object(&repo.git_dir(), &data_blob)).expect("delete blob");

    let run = scan(&repo.path, &["--git"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.one(KEYS[0]);
    run.one(KEYS[1]);
    let problems = run.problems();
    assert!(
        problems
            .iter()
            .any(|p| s(&p["path"]).contains(&lib_tree) && s(&p["message"]).contains("missing")),
        "{problems:?}"
    );
    // The deleted blob is named too, with the tree that references it.
    assert!(
        problems
            .iter()
            .any(|p| s(&p["path"]).contains(&data_blob) && s(&p["message"]).contains("data.txt")),
        "{problems:?}"
    );
    assert_eq!(
        problems
            .iter()
            .filter(|p| s(&p["path"]).contains(&lib_tree))
            .count(),
        1,
        "each missing object once: {problems:?}"
    );
    assert!(run.json["summary"]["errors"].as_u64().unwrap_or(0) >= 2);

    // A range scan reads blobs by id: the missing one is named with its commit and path.
    let run = scan(&repo.path, &["--git", "--since-commit", &base]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.one(KEYS[1]);
    assert!(
        run.problems()
            .iter()
            .any(|p| s(&p["path"]).contains(&data_blob)
                && s(&p["message"]).contains("more/data.txt")),
        "{:?}",
        run.problems()
    );
}

#[test]
fn truncated_pack_is_reported_and_readable_objects_are_still_scanned() {
    let repo = Repo::new();
    // Enough incompressible content that the truncation cuts through blobs.
    for i in 0..40 {
        let noise: String = (0..2000)
            .map(|j| char::from(b'a' + ((i * 7919 + j * 104729) % 26) as u8))
            .collect();
        repo.write(&format!("f{i}.txt"), &noise);
    }
    repo.commit("bulk");
    repo.git(&["gc", "-q"]);
    repo.write("after.env", &env_line(KEYS[2]));
    repo.commit("after the pack");
    let pack_dir = repo.git_dir().join("objects/pack");
    let pack = std::fs::read_dir(&pack_dir)
        .expect("pack dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .expect("a pack");
    let len = std::fs::metadata(&pack).expect("pack").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&pack)
        .expect("open pack");
    file.set_len(len / 2).expect("truncate");
    drop(file);

    let run = scan(&repo.path, &["--git"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.one(KEYS[2]);
    let problems = run.problems();
    assert!(
        problems
            .iter()
            .any(|p| s(&p["path"]).starts_with("object ")),
        "unreadable objects are named: {problems:?}"
    );
    assert!(run.json["summary"]["scanned"].as_u64().unwrap_or(0) >= 2);
}

#[test]
fn shallow_clone_is_noted_and_a_missing_base_says_how_to_fetch() {
    let origin = Repo::new();
    origin.write("a.env", &env_line(KEYS[3]));
    let old = origin.commit("old");
    origin.write("b.env", &env_line(KEYS[4]));
    origin.commit("new");

    let dir = tempfile::tempdir().expect("tmp");
    let clone = dir.path().join("clone");
    let url = format!("file://{}", origin.path.display());
    origin.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        &url,
        &clone.to_string_lossy(),
    ]);
    let clone = Repo::at(clone, dir);

    let run = scan(&clone.path, &["--git"]);
    assert!(run.code == 1, "{}", run.stderr);
    assert!(
        run.notes().iter().any(|n| n.contains("shallow")),
        "{:?}",
        run.notes()
    );
    run.one(KEYS[4]);

    let run = scan(&clone.path, &["--git", "--since-commit", &old]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("shallow"), "{}", run.stderr);
    assert!(run.stderr.contains("git fetch"), "{}", run.stderr);
}

#[test]
fn empty_repository_is_clean() {
    let repo = Repo::new();
    let run = scan(&repo.path, &["--git"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.notes().iter().any(|n| n.contains("empty repository")));
    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.notes().iter().any(|n| n.contains("nothing staged")));
}

#[test]
fn bare_repository_is_audited() {
    let origin = Repo::new();
    origin.write("x.env", &env_line(KEYS[5]));
    let commit = origin.commit("key");
    let dir = tempfile::tempdir().expect("tmp");
    let bare = dir.path().join("bare.git");
    origin.git(&[
        "clone",
        "-q",
        "--bare",
        &origin.path.to_string_lossy(),
        &bare.to_string_lossy(),
    ]);

    let run = scan(dir.path(), &["--git", "bare.git"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.one(KEYS[5]);
    assert_eq!(s(&f["git"]["commit"]), commit);
    assert_eq!(s(&f["path"]), "x.env");

    let run = scan(dir.path(), &["--staged", "bare.git"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bare"), "{}", run.stderr);
}

#[test]
fn a_path_that_is_not_a_repository_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = scan(dir.path(), &["--git"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
    let run = scan(dir.path(), &["--git", "does-not-exist"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("does-not-exist"), "{}", run.stderr);
}

#[test]
fn staged_in_nested_directories_uses_only_the_changed_paths() {
    let repo = Repo::new();
    for dir in ["a", "b/c", "b/d", "e/f/g"] {
        for i in 0..3 {
            repo.write(&format!("{dir}/file{i}.txt"), &format!("{dir} {i}\n"));
        }
    }
    repo.commit("tree");
    // A nested change, a new directory, and an unrelated unstaged edit.
    repo.write("b/c/file1.txt", &env_line(KEYS[0]));
    repo.write("new/dir/x.env", &env_line(KEYS[1]));
    repo.git(&["add", "b/c/file1.txt", "new/dir/x.env"]);
    repo.write("e/f/g/file0.txt", &env_line(KEYS[2]));

    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.json["summary"]["scanned"], 2, "{}", run.stdout);
    assert_eq!(s(&run.one(KEYS[0])["path"]), "b/c/file1.txt");
    assert_eq!(s(&run.one(KEYS[1])["path"]), "new/dir/x.env");
    assert!(run.findings_of(KEYS[2]).is_empty());

    // Once committed, nothing is staged any more.
    repo.commit("commit them");
    let run = scan(&repo.path, &["--staged"]);
    assert_eq!(run.json["summary"]["scanned"], 0, "{}", run.stdout);
}

#[test]
fn a_key_kept_while_the_file_changes_is_reported_once_at_its_first_version() {
    let repo = Repo::new();
    repo.write("app/.env", &format!("DEBUG=1\n{}", env_line(KEYS[3])));
    let first = repo.commit("add env");
    for i in 2..5 {
        repo.write("app/.env", &format!("DEBUG={i}\n{}", env_line(KEYS[3])));
        repo.commit(&format!("tweak {i}"));
    }
    let run = scan(&repo.path, &["--git"]);
    let f = run.one(KEYS[3]);
    assert_eq!(s(&f["git"]["commit"]), first);
    assert_eq!(f["git"]["at_head"], Value::Bool(true));
    assert!(
        run.notes().iter().any(|n| n.contains("folded")),
        "{:?}",
        run.notes()
    );

    let base = repo.git(&["rev-parse", &format!("{first}~0")]);
    let run = scan(&repo.path, &["--git", &format!("{base}..HEAD")]);
    let f = run.one(KEYS[3]);
    assert_eq!(s(&f["git"]["summary"]), "tweak 2");
}

/// A partial clone (`--filter=blob:none`, as actions/checkout makes with
/// `filter: blob:none`) of a history where a key was added, then deleted in
/// the next commit: the key's blob was never fetched.
fn partial_clone_of_an_added_then_deleted_key() -> (Repo, Repo, String, String) {
    partial_clone_of_added_then_deleted_keys(0)
}

/// The same with `extra` more key files (distinct blobs) added and deleted.
fn partial_clone_of_added_then_deleted_keys(extra: usize) -> (Repo, Repo, String, String) {
    let origin = Repo::new();
    origin.git(&["config", "uploadpack.allowFilter", "true"]);
    origin.write("README", "hi\n");
    let base = origin.commit("init");
    origin.write("old.env", &env_line(KEYS[0]));
    for i in 0..extra {
        origin.write(
            &format!("more/{i}.env"),
            &format!("{}# {i}\n", env_line(KEYS[1])),
        );
    }
    origin.commit("add key");
    origin.git(&["rm", "-q", "-r", "old.env"]);
    if extra > 0 {
        origin.git(&["rm", "-q", "-r", "more"]);
    }
    origin.commit("remove key");
    let blob = origin.git(&["rev-parse", "HEAD~1:old.env"]);

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
    (origin, Repo::at(clone, dir), base, blob)
}

/// The packs and loose objects of a repository, to see that nothing was fetched.
fn objects(repo: &Repo) -> (String, Vec<String>) {
    let mut packs: Vec<String> = std::fs::read_dir(repo.git_dir().join("objects/pack"))
        .expect("pack dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    packs.sort();
    (repo.git(&["count-objects", "-v"]), packs)
}

#[test]
fn partial_clone_holes_are_errors_with_the_command_that_fetches_them() {
    for full in [true, false] {
        let (_origin, clone, base, blob) = partial_clone_of_an_added_then_deleted_key();
        let range = format!("{base}..HEAD");
        let args: &[&str] = if full { &["--git"] } else { &["--git", &range] };
        let untouched = objects(&clone);
        let run = scan(&clone.path, args);
        // A hole: the scan could not read what it was asked to (exit 2).
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.findings_of(KEYS[0]).is_empty(), "the blob is not here");
        assert_eq!(objects(&clone), untouched, "{args:?}: a plain scan fetched");
        assert!(
            run.notes().iter().any(|n| n.contains("partial clone")),
            "{:?}",
            run.notes()
        );
        let problems = run.problems();
        let hole = problems
            .iter()
            .find(|p| s(&p["path"]) == format!("object {blob}"))
            .unwrap_or_else(|| panic!("{args:?}: no problem for the missing blob: {problems:?}"));
        assert_eq!(hole["kind"], "error", "{hole}");
        let summary: Vec<&Value> = problems
            .iter()
            .filter(|p| s(&p["path"]) == "partial clone")
            .collect();
        assert_eq!(summary.len(), 1, "{args:?}: {problems:?}");
        assert_eq!(summary[0]["kind"], "error");
        assert!(
            run.json["summary"]["errors"].as_u64() >= Some(2),
            "{}",
            run.json["summary"]
        );

        // The command the summary gives fetches what was missing: run it,
        // scan again, and the key is found.
        let message = s(&summary[0]["message"]);
        let command = message
            .split('`')
            .nth(1)
            .unwrap_or_else(|| panic!("no `command` in {message}"));
        assert!(command.starts_with("git "), "{command}");
        let mut sh = std::process::Command::new("sh");
        let out = common::clean_env(&mut sh)
            .args(["-c", command])
            .current_dir(&clone.path)
            .output()
            .expect("sh");
        assert!(out.status.success(), "{command}: {out:?}");
        let again = scan(&clone.path, args);
        assert_eq!(
            again.code, 1,
            "{args:?} after `{command}`: {}",
            again.stderr
        );
        assert_eq!(s(&again.one(KEYS[0])["path"]), "old.env");
        assert!(again.problems().is_empty(), "{:?}", again.problems());
    }
}

#[test]
fn many_partial_clone_holes_get_a_rev_list_pipeline_that_fetches_them() {
    for full in [true, false] {
        let (_origin, clone, base, _) = partial_clone_of_added_then_deleted_keys(30);
        let range = format!("{base}..HEAD");
        let args: &[&str] = if full { &["--git"] } else { &["--git", &range] };
        let run = scan(&clone.path, args);
        let problems = run.problems();
        assert_eq!(
            problems.iter().filter(|p| p["kind"] == "error").count(),
            32,
            "31 holes and the summary: {problems:?}"
        );
        let summary = problems
            .iter()
            .find(|p| s(&p["path"]) == "partial clone")
            .expect("summary problem");
        let message = s(&summary["message"]);
        assert!(message.starts_with("31 object(s)"), "{message}");
        let command = message.split('`').nth(1).expect("a command");
        assert!(
            command.starts_with("git rev-list --objects --missing=print "),
            "{command}"
        );
        assert!(command.contains("--stdin"), "{command}");
        let mut sh = std::process::Command::new("sh");
        let out = common::clean_env(&mut sh)
            .args(["-c", command])
            .current_dir(&clone.path)
            .output()
            .expect("sh");
        assert!(out.status.success(), "{command}: {out:?}");
        let again = scan(&clone.path, args);
        assert!(again.problems().is_empty(), "{:?}", again.problems());
        assert_eq!(again.findings_of(KEYS[1]).len(), 30);
        again.one(KEYS[0]);
    }
}

#[test]
fn corrupt_packed_refs_make_reachability_unknown_not_unreachable() {
    let repo = Repo::new();
    repo.write("k.env", &env_line(KEYS[0]));
    repo.commit("add key");
    repo.git(&["branch", "other"]);
    repo.git(&["pack-refs", "--all"]);
    assert!(!repo.git_dir().join("refs/heads/main").exists());
    std::fs::write(
        repo.git_dir().join("packed-refs"),
        format!(
            "# pack-refs with: peeled fully-peeled sorted \nVAST_API_KEY={} \u{1b}]0;pwned\u{7}\n",
            KEYS[2]
        ),
    )
    .expect("corrupt packed-refs");

    let run = scan(&repo.path, &["--git"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.one(KEYS[0]);
    assert_eq!(f["git"]["reachable"], Value::Null, "{f}");
    assert!(refs(&f).is_empty(), "{f}");
    let problems = run.problems();
    let refs_problem: Vec<&Value> = problems
        .iter()
        .filter(|p| s(&p["message"]).contains("refs unreadable: reachability unknown"))
        .collect();
    assert_eq!(refs_problem.len(), 1, "{problems:?}");
    assert_eq!(refs_problem[0]["kind"], "error");
    // The bad line is repository content: no key, no terminal escape.
    assert!(!run.stdout.contains(KEYS[2]) && !run.stderr.contains(KEYS[2]));
    assert!(!run.stdout.contains('\u{1b}') && !run.stderr.contains('\u{1b}'));

    // Readable refs: a dangling commit is still plainly unreachable.
    let healthy = Repo::new();
    healthy.write("a", "a\n");
    healthy.commit("init");
    healthy.write("k.env", &env_line(KEYS[1]));
    healthy.commit("key");
    healthy.git(&["reset", "-q", "--hard", "HEAD~1"]);
    let run = scan(&healthy.path, &["--git"]);
    assert_eq!(run.one(KEYS[1])["git"]["reachable"], Value::Bool(false));
    assert!(run.problems().is_empty(), "{:?}", run.problems());
}

#[test]
fn submodules_are_named_in_a_note() {
    let inner = Repo::new();
    inner.write("lib.rs", "pub fn f() {}\n");
    inner.commit("inner");
    let outer = Repo::new();
    outer.write("README", "outer\n");
    outer.commit("init");
    outer.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &inner.path.to_string_lossy(),
        "vendor/inner",
    ]);
    outer.commit("add submodule");
    let run = scan(&outer.path, &["--git"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.notes()
            .iter()
            .any(|n| n.contains("submodule") && n.contains("inner")),
        "{:?}",
        run.notes()
    );
    assert!(run.problems().is_empty(), "{:?}", run.problems());
}

#[test]
fn linked_worktrees_use_their_own_index_and_the_shared_history() {
    let repo = Repo::new();
    repo.write("README", "main\n");
    repo.commit("init");
    repo.git(&["branch", "side"]);
    let dir = tempfile::tempdir().expect("tmp");
    let wt = dir.path().join("wt");
    repo.git(&["worktree", "add", "-q", &wt.to_string_lossy(), "side"]);
    std::fs::write(wt.join("w.env"), env_line(KEYS[1])).expect("write");
    let status = common::git_command(&wt)
        .args(["add", "w.env"])
        .status()
        .expect("git add");
    assert!(status.success());

    let run = scan(&wt, &["--staged"]);
    assert_eq!(s(&run.one(KEYS[1])["path"]), "w.env");
    // The main work tree's index has nothing staged.
    let run = scan(&repo.path, &["--staged"]);
    assert!(run.findings().is_empty());
    // History is shared: the staged blob is already an object.
    let run = scan(&wt, &["--git"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let f = run.one(KEYS[1]);
    assert_eq!(s(&f["path"]), "w.env");
    assert_eq!(refs(&f), vec!["index"]);
}
