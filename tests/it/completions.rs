//! `vastleaks completions SHELL` and `vastleaks man`, end to end.

use crate::common;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = common::vastleaks().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_shell_gets_a_script_naming_the_options() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, stderr) = run(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {stderr}");
        for word in ["since-commit", "verify-timeout", "install-hook"] {
            assert!(stdout.contains(word), "{shell} completion lacks {word}");
        }
    }
    let (_, bash, _) = run(&["completions", "bash"]);
    assert!(bash.contains("complete -F"), "{bash}");
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let (code, stdout, stderr) = run(&["completions", "tcsh"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(stderr.contains("tcsh"), "{stderr}");
}

#[test]
fn man_page_is_roff_and_documents_subcommands() {
    let (code, stdout, stderr) = run(&["man"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains(".TH vastleaks 1"), "{}", &stdout[..200]);
    for section in ["VASTLEAKS SCAN", "VASTLEAKS REVOKE", "VASTLEAKS CI GITHUB"] {
        assert!(stdout.contains(section), "man page lacks {section}");
    }
    // Options of nested subcommands are documented too.
    assert!(stdout.contains("event\\-path"), "ci github's options");
}

/// `vastleaks completions bash | head -1` must not panic when the reader
/// goes away: a closed pipe is an ordinary write error (exit 2). The pipe's
/// read end is closed before the program starts, so every write fails
/// whatever the timing (both outputs fit in a pipe buffer: closing it after
/// spawning raced with the writes).
#[cfg(unix)]
#[test]
fn closed_pipe_is_an_error_not_a_panic() {
    use std::os::fd::{FromRawFd, OwnedFd};
    for args in [&["completions", "bash"][..], &["man"][..]] {
        let mut fds = [0; 2];
        // SAFETY: `pipe` fills both descriptors, each owned exactly once below.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        drop(read);
        let out = common::vastleaks_command()
            .args(args)
            .stdout(std::process::Stdio::from(write))
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    }
}
