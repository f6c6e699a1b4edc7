//! Streams and oversized input: standard input, named pipes and devices
//! given as paths, non-regular files met during a walk, and git blobs over
//! --max-file-size in every git mode. Every run has a deadline: a scan that
//! blocks on a pipe must fail the test, not hang it.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{env_line, Repo, KEYS};
use serde_json::Value;

const DEADLINE: Duration = Duration::from_secs(60);

/// `vastleaks scan ARGS -f json`, isolated from the user's git config.
fn vastleaks(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = common::vastleaks_command();
    cmd.arg("scan")
        .args(args)
        .args(["--progress", "never"])
        .current_dir(dir);
    cmd
}

struct Outcome {
    code: i32,
    json: Value,
    stderr: String,
}

impl Outcome {
    fn findings(&self) -> Vec<Value> {
        self.json["findings"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn problems(&self) -> Vec<Value> {
        self.json["problems"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn problem_about(&self, what: &str) -> Value {
        self.problems()
            .into_iter()
            .find(|p| p["path"].as_str().is_some_and(|path| path.contains(what)))
            .unwrap_or_else(|| {
                panic!(
                    "no problem about {what}: {}\nstderr:\n{}",
                    self.json, self.stderr
                )
            })
    }
}

/// Waits for `child` at most [`DEADLINE`]; kills it and fails the test if
/// it is still running.
fn finish(mut child: Child) -> Outcome {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            child.wait().ok();
            panic!("vastleaks did not finish within {DEADLINE:?} (blocked on a stream?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let code = child.wait().unwrap().code().unwrap_or(-1);
    Outcome {
        code,
        json: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    }
}

/// Runs a scan with `input` on standard input (written from a thread, so a
/// large input cannot deadlock against the report).
fn scan_with_stdin(dir: &Path, args: &[&str], input: Vec<u8>) -> Outcome {
    let mut child = vastleaks(dir, args)
        .args(["-f", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        // The scanner may stop reading early (a limit): that is not an error here.
        let _ = stdin.write_all(&input);
    });
    let outcome = finish(child);
    writer.join().unwrap();
    outcome
}

fn scan(dir: &Path, args: &[&str]) -> Outcome {
    let child = vastleaks(dir, args)
        .args(["-f", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    finish(child)
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

#[test]
fn stdin_longer_than_max_file_size_is_scanned_to_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = "log line without secrets\n".repeat(400_000).into_bytes();
    input.extend_from_slice(env_line(KEYS[0]).as_bytes());
    assert!(input.len() > 9 << 20, "longer than two windows");
    let run = scan_with_stdin(dir.path(), &["-", "--max-file-size", "1K"], input);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.findings();
    assert_eq!(findings.len(), 1, "{}", run.json);
    assert_eq!(findings[0]["line"], 400_001);
    assert_eq!(findings[0]["column"], 14);
    assert!(run.problems().is_empty(), "{}", run.json);
}

#[test]
fn stdin_findings_are_printed_while_the_input_is_still_open() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["jsonl", "human"] {
        let mut child = vastleaks(dir.path(), &["-", "-f", format, "--color", "never"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().unwrap();
        // The key, then enough log lines to give it its context; the pipe
        // stays open.
        stdin.write_all(env_line(KEYS[1]).as_bytes()).unwrap();
        stdin
            .write_all("still running\n".repeat(500).as_bytes())
            .unwrap();
        stdin.flush().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let redacted = format!("{}...{}", &KEYS[1][..4], &KEYS[1][60..]);
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut printed = false;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(&redacted) => {
                    printed = true;
                    break;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        drop(stdin);
        let status = child.wait().unwrap();
        assert!(printed, "{format}: the finding was not printed before EOF");
        assert_eq!(status.code(), Some(1));
        // Printed once: nothing more after EOF.
        let rest: Vec<String> = rx.iter().filter(|l| l.contains(&redacted)).collect();
        assert!(rest.is_empty(), "{format}: printed again: {rest:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_named_pipe_given_as_a_path_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Errors are the scanner's to report: the test checks its output.
            if let Ok(mut pipe) = std::fs::OpenOptions::new().write(true).open(fifo) {
                let _ = pipe.write_all(b"starting\n");
                let _ = pipe.write_all(env_line(KEYS[2]).as_bytes());
            }
        })
    };
    let run = scan(dir.path(), &["pipe"]);
    if !writer.is_finished() {
        // The scan never opened the pipe: open it so the writer can finish.
        let _ = std::fs::read(&fifo);
    }
    writer.join().unwrap();
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.findings();
    assert_eq!(findings.len(), 1, "{}", run.json);
    assert_eq!(findings[0]["path"], "pipe");
    assert_eq!(findings[0]["line"], 2);
    assert_eq!(run.json["summary"]["scanned"], 1);
}

#[cfg(unix)]
#[test]
fn a_piped_dev_stdin_given_as_a_path_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let run = scan_with_stdin(dir.path(), &["/dev/stdin"], env_line(KEYS[3]).into_bytes());
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings().len(), 1, "{}", run.json);
}

#[cfg(target_os = "linux")]
#[test]
fn an_endless_device_stops_at_max_file_size_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let run = scan(dir.path(), &["/dev/zero", "--max-file-size", "64K"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let problem = run.problem_about("/dev/zero");
    assert_eq!(problem["kind"], "skipped");
    let message = problem["message"].as_str().unwrap();
    assert!(message.contains("--max-file-size"), "{message}");
    assert_eq!(run.json["summary"]["bytes"], 65536);
}

#[cfg(unix)]
#[test]
fn a_named_pipe_inside_a_walked_directory_is_reported_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("tree")).unwrap();
    std::fs::write(dir.path().join("tree/.env"), env_line(KEYS[4])).unwrap();
    // Nobody ever writes to it: opening it would block forever.
    mkfifo(&dir.path().join("tree/pipe"));
    let run = scan(dir.path(), &["tree"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings().len(), 1, "{}", run.json);
    let problem = run.problem_about("tree/pipe");
    assert_eq!(problem["kind"], "skipped");
    assert!(
        problem["message"]
            .as_str()
            .unwrap()
            .contains("not a regular file"),
        "{problem}"
    );
    assert!(run.stderr.contains("tree/pipe"), "{}", run.stderr);
}

#[test]
fn a_big_file_is_scanned_in_windows_with_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    // Keys around the 4 MiB window boundary and at the end.
    let filler = "0123456789abcdef filler\n";
    let mut text = filler.repeat((4 << 20) / filler.len() - 1);
    let first_line = text.matches('\n').count() + 1;
    text.push_str(&env_line(KEYS[0]));
    text.push_str(&filler.repeat(300_000));
    text.push_str(&format!("x = 1; VAST_API_KEY={}", KEYS[1]));
    std::fs::write(dir.path().join("big.log"), &text).unwrap();
    let run = scan(dir.path(), &["big.log"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.findings();
    assert_eq!(findings.len(), 2, "{}", run.json);
    assert_eq!(findings[0]["line"], first_line);
    assert_eq!(findings[1]["line"], first_line + 300_001);
    assert_eq!(findings[1]["column"], 21);
}

/// A repository whose history holds blobs over a 1 KiB limit, one of them
/// named like a key file (path rules must not read it either), and one
/// small blob with a key.
fn repo_with_oversized_blobs() -> Repo {
    let repo = Repo::new();
    let big = |n: usize| format!("{}{}", env_line(KEYS[n]), "padding line\n".repeat(200));
    repo.write("model.bin", &big(0));
    repo.write(
        "vast_api_key",
        &format!("{}\n{}", KEYS[1], " ".repeat(4000)),
    );
    repo.write("small.env", &env_line(KEYS[2]));
    repo.commit("add files");
    repo.write("model.bin", &format!("{}more\n", big(0)));
    repo.commit("grow the model");
    repo
}

fn assert_oversized_skipped(run: &Outcome, expected_skips: usize) {
    assert_eq!(run.code, 1, "{}", run.stderr);
    let findings = run.findings();
    assert_eq!(findings.len(), 1, "only the small blob: {}", run.json);
    assert!(findings[0]["secret"]
        .as_str()
        .unwrap()
        .starts_with(&KEYS[2][..4]));
    let skipped: Vec<Value> = run
        .problems()
        .into_iter()
        .filter(|p| p["kind"] == "skipped")
        .collect();
    assert_eq!(skipped.len(), expected_skips, "{}", run.json);
    for problem in &skipped {
        let message = problem["message"].as_str().unwrap();
        assert!(message.contains("--max-file-size"), "{message}");
    }
    assert_eq!(run.json["summary"]["skipped"], expected_skips);
}

#[test]
fn oversized_blobs_are_skipped_in_a_full_history_audit_loose_and_packed() {
    let repo = repo_with_oversized_blobs();
    let run = scan(&repo.path, &["--git", "--max-file-size", "1K"]);
    // Loose: two versions of model.bin and the key file.
    assert_oversized_skipped(&run, 3);
    repo.git(&["gc", "-q", "--aggressive"]);
    let run = scan(&repo.path, &["--git", "--max-file-size", "1K"]);
    assert_oversized_skipped(&run, 3);
}

#[test]
fn oversized_blobs_are_skipped_in_a_range() {
    let repo = Repo::new();
    repo.write("README", "hello\n");
    let base = repo.commit("base");
    repo.write(
        "model.bin",
        &format!("{}{}", env_line(KEYS[0]), "padding line\n".repeat(200)),
    );
    repo.write("small.env", &env_line(KEYS[2]));
    repo.commit("add");
    let run = scan(
        &repo.path,
        &["--git", "--since-commit", &base, "--max-file-size", "1K"],
    );
    assert_oversized_skipped(&run, 1);
}

#[test]
fn oversized_blobs_are_skipped_when_staged() {
    let repo = Repo::new();
    repo.write(
        "model.bin",
        &format!("{}{}", env_line(KEYS[0]), "padding line\n".repeat(200)),
    );
    repo.write("small.env", &env_line(KEYS[2]));
    repo.git(&["add", "-A"]);
    let run = scan(&repo.path, &["--staged", "--max-file-size", "1K"]);
    assert_oversized_skipped(&run, 1);
}

#[test]
fn a_delta_growing_past_the_limit_from_a_small_base_is_skipped_not_inflated() {
    // git makes the big blob a delta of the small one when the small one
    // sorts first (by path hash) and the growth is small: the delta's base
    // is under the limit, and only the delta's own data says its result is
    // over it.
    let repo = Repo::new();
    let small = format!("{}{}", env_line(KEYS[0]), "first version line\n".repeat(46));
    let big = format!("{small}{}", "grown\n".repeat(30));
    assert!(small.len() <= 1024 && big.len() > 1024);
    repo.write("zz.txt", &small);
    repo.write("aa.txt", &big);
    repo.commit("two sizes");
    repo.git(&["repack", "-adfq"]);
    let big_id = repo.git(&["rev-parse", "HEAD:aa.txt"]);
    let small_id = repo.git(&["rev-parse", "HEAD:zz.txt"]);
    let check = repo.git(&[
        "cat-file",
        "--batch-all-objects",
        "--batch-check=%(objectname) %(deltabase)",
    ]);
    assert!(
        check.contains(&format!("{big_id} {small_id}")),
        "the test needs the big blob stored as a delta of the small one:\n{check}"
    );

    let run = scan(&repo.path, &["--git", "--max-file-size", "1K"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings().len(), 1, "{}", run.json);
    let problems = run.problems();
    assert_eq!(problems.len(), 1, "no fallback, one skip: {}", run.json);
    assert_eq!(problems[0]["path"], format!("object {big_id}"));
    assert_eq!(problems[0]["kind"], "skipped");
    let message = problems[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{} bytes", big.len())),
        "{message}"
    );
}
