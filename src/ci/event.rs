//! What a GitHub event asks to scan, read from its payload before git is
//! touched ([`super::plan`] then turns it into commits).
//!
//! The payload is hostile input (anyone who can open a pull request shapes
//! parts of it): every commit id must be 40 or 64 hex digits and every ref
//! name a valid ref name before either reaches a git command line.

use anyhow::{bail, Context};
use serde_json::Value;

/// The all-zeros id GitHub sends for "no commit" (new or deleted ref).
pub const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// How the user asked to choose the scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The event's commits; full history for events without commits.
    Auto,
    /// Always the full history.
    Full,
    /// The event's commits; an error for events without commits.
    Range,
}

/// What the event asks for, read from its payload before touching git.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    Nothing {
        reason: String,
    },
    Full {
        reason: String,
    },
    /// Merge base of `base` and `head` to `head`.
    PullRequest {
        base: String,
        head: String,
        what: String,
    },
    /// `before..after` on `git_ref`.
    Push {
        git_ref: String,
        before: String,
        after: String,
        default_branch: Option<String>,
    },
    /// A new branch or tag: `after` minus everything on other branches.
    NewRef {
        git_ref: String,
        after: String,
        default_branch: Option<String>,
    },
}

fn field<'a>(payload: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut value = payload;
    for key in path {
        value = value.get(key)?;
    }
    value.as_str()
}

fn required<'a>(payload: &'a Value, event: &str, path: &[&str]) -> anyhow::Result<&'a str> {
    field(payload, path).with_context(|| {
        format!(
            "the {event} event payload has no `{}`; is GITHUB_EVENT_PATH the payload of this event?",
            path.join(".")
        )
    })
}

/// A commit id from the payload: 40 (SHA-1) or 64 (SHA-256) hex digits,
/// lowercased. Anything else is refused before it reaches git, where a value
/// such as `--upload-pack=CMD` would be an option.
fn commit_id(payload: &Value, event: &str, path: &[&str]) -> anyhow::Result<String> {
    let value = required(payload, event, path)?;
    if matches!(value.len(), 40 | 64) && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(value.to_ascii_lowercase());
    }
    bail!(
        "the {event} event payload's `{}` is not a commit id (40 or 64 hex digits): {}; is GITHUB_EVENT_PATH the payload of this event?",
        path.join("."),
        shown_value(value)
    )
}

/// A ref or branch name from the payload, checked like `git check-ref-format`
/// (and never starting with `-`), so it can only ever name a ref.
fn ref_name<'a>(value: &'a str, event: &str, path: &[&str]) -> anyhow::Result<&'a str> {
    let bad_char = |c: char| c.is_ascii_control() || " ~^:?*[\\".contains(c);
    let valid = !value.is_empty()
        && value.len() <= 1024
        && !value.starts_with(['-', '/', '.'])
        && !value.ends_with(['/', '.'])
        && !value.ends_with(".lock")
        && !value.contains("..")
        && !value.contains("//")
        && !value.contains("@{")
        && !value.contains("/.")
        && !value.chars().any(bad_char);
    if valid {
        return Ok(value);
    }
    bail!(
        "the {event} event payload's `{}` is not a valid git ref name: {}; is GITHUB_EVENT_PATH the payload of this event?",
        path.join("."),
        shown_value(value)
    )
}

/// A payload value in an error message: on one line, escaped, short, and
/// with anything shaped like a key redacted (the payload is not ours).
fn shown_value(value: &str) -> String {
    let mut shown: String = value.chars().take(80).collect();
    if shown.len() < value.len() {
        shown.push_str("...");
    }
    let shown = crate::finding::redact_key_shapes(&shown);
    format!("\"{}\"", shown.escape_debug())
}

/// GitHub's "no commit" id (new or deleted ref), in either hash length.
fn is_zero(id: &str) -> bool {
    id.bytes().all(|b| b == b'0')
}

/// Reads the request out of a GitHub event.
pub fn request(event: &str, payload: &Value, mode: Mode) -> anyhow::Result<Request> {
    if mode == Mode::Full {
        return Ok(Request::Full {
            reason: format!("{event}: full history audit (mode full)"),
        });
    }
    let request = match event {
        "pull_request" | "pull_request_target" => Request::PullRequest {
            base: commit_id(payload, event, &["pull_request", "base", "sha"])?,
            head: commit_id(payload, event, &["pull_request", "head", "sha"])?,
            what: match payload.get("number").and_then(Value::as_u64) {
                Some(n) => format!("pull request #{n}"),
                None => "pull request".to_string(),
            },
        },
        "merge_group" => Request::PullRequest {
            base: commit_id(payload, event, &["merge_group", "base_sha"])?,
            head: commit_id(payload, event, &["merge_group", "head_sha"])?,
            what: "merge group".to_string(),
        },
        "push" => {
            let git_ref = required(payload, event, &["ref"])?;
            let git_ref = ref_name(git_ref, event, &["ref"])?.to_string();
            let before = commit_id(payload, event, &["before"])?;
            let after = commit_id(payload, event, &["after"])?;
            let deleted = payload.get("deleted").and_then(Value::as_bool) == Some(true);
            let default_branch = match field(payload, &["repository", "default_branch"]) {
                Some(name) => {
                    Some(ref_name(name, event, &["repository", "default_branch"])?.to_string())
                }
                None => None,
            };
            if deleted || is_zero(&after) {
                Request::Nothing {
                    reason: format!("push deleted {git_ref}: nothing to scan"),
                }
            } else if is_zero(&before) {
                Request::NewRef {
                    git_ref,
                    after,
                    default_branch,
                }
            } else {
                Request::Push {
                    git_ref,
                    before,
                    after,
                    default_branch,
                }
            }
        }
        "schedule" | "workflow_dispatch" => Request::Full {
            reason: format!("{event}: full history audit"),
        },
        other => Request::Full {
            reason: format!("{other}: this event carries no commit range, so: full history audit"),
        },
    };
    if mode == Mode::Range {
        if let Request::Full { .. } = request {
            bail!(
                "--mode range: the {event} event carries no commit range; use mode auto or full for this event"
            );
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn push_events() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let push = json!({"ref": "refs/heads/main", "before": a, "after": b,
            "repository": {"default_branch": "main"}});
        assert_eq!(
            request("push", &push, Mode::Auto).unwrap(),
            Request::Push {
                git_ref: "refs/heads/main".into(),
                before: a.clone(),
                after: b.clone(),
                default_branch: Some("main".into())
            }
        );
        let created =
            json!({"ref": "refs/heads/x", "before": ZERO_SHA, "after": b, "created": true});
        assert!(matches!(
            request("push", &created, Mode::Range).unwrap(),
            Request::NewRef { .. }
        ));
        let deleted =
            json!({"ref": "refs/heads/x", "before": a, "after": ZERO_SHA, "deleted": true});
        assert!(matches!(
            request("push", &deleted, Mode::Auto).unwrap(),
            Request::Nothing { .. }
        ));
    }

    #[test]
    fn events_without_commits() {
        let empty = json!({});
        assert!(matches!(
            request("schedule", &empty, Mode::Auto).unwrap(),
            Request::Full { .. }
        ));
        assert!(matches!(
            request("release", &empty, Mode::Auto).unwrap(),
            Request::Full { .. }
        ));
        let err = request("workflow_dispatch", &empty, Mode::Range).unwrap_err();
        assert!(err.to_string().contains("no commit range"), "{err}");
        assert!(matches!(
            request("push", &json!({"ref": "x"}), Mode::Full).unwrap(),
            Request::Full { .. }
        ));
    }

    #[test]
    fn malformed_payload_names_the_field() {
        let err = request("pull_request", &json!({"pull_request": {}}), Mode::Auto).unwrap_err();
        assert!(err.to_string().contains("pull_request.base.sha"), "{err}");
    }

    #[test]
    fn payload_ids_must_be_hex_commit_ids() {
        let good = "a".repeat(40);
        for bad in [
            "--upload-pack=touch marker".to_string(),
            "g".repeat(40),
            "é".repeat(20),
            "abc".to_string(),
            format!("{good}\n"),
        ] {
            let pr = json!({"pull_request": {"base": {"sha": good}, "head": {"sha": bad}}});
            let err = request("pull_request", &pr, Mode::Auto).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains("`pull_request.head.sha` is not a commit id"),
                "{text}"
            );
            assert!(!text.contains('\n'), "one line: {text}");
            let push = json!({"ref": "refs/heads/main", "before": bad, "after": good});
            let err = request("push", &push, Mode::Auto).unwrap_err();
            assert!(err.to_string().contains("`before`"), "{err}");
        }
        // SHA-256 repositories and upper case are commit ids too.
        let long = "B".repeat(64);
        let push = json!({"ref": "refs/heads/main", "before": long, "after": good});
        match request("push", &push, Mode::Auto).unwrap() {
            Request::Push { before, .. } => assert_eq!(before, "b".repeat(64)),
            other => panic!("{other:?}"),
        }
        let group = json!({"merge_group": {"base_sha": good, "head_sha": 7}});
        let err = request("merge_group", &group, Mode::Auto).unwrap_err();
        assert!(err.to_string().contains("merge_group.head_sha"), "{err}");
    }

    #[test]
    fn payload_ref_names_are_checked() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        for (git_ref, branch) in [
            ("--upload-pack=x", "main"),
            ("refs/heads/x", "-c"),
            ("refs/heads/x", "a..b"),
            ("refs/heads/x", "ma in"),
            ("refs/heads/x", "x:refs/heads/y"),
        ] {
            let push = json!({"ref": git_ref, "before": a, "after": b,
                "repository": {"default_branch": branch}});
            assert!(
                request("push", &push, Mode::Auto).is_err(),
                "{git_ref} {branch}"
            );
        }
        let push = json!({"ref": "refs/heads/feat/x", "before": a, "after": b,
            "repository": {"default_branch": "release/1.0"}});
        assert!(request("push", &push, Mode::Auto).is_ok());
    }
}
