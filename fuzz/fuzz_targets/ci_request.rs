//! The GitHub event payload parser (`ci::event::request`) over arbitrary event
//! names and JSON values, in every mode. The input is the event name, a
//! newline, then the payload; payloads that are not JSON still run, as `{}`
//! and as a JSON string of their text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use vastleaks::ci::event::{request, Mode, Request};

/// Every commit id a request hands to git as an argument (`git fetch REMOTE
/// ID`, `git merge-base`, `git rev-list`): it must be an object id, never
/// something git would parse as an option or a revision expression.
fn commit_ids(request: &Request) -> Vec<&str> {
    match request {
        Request::Nothing { .. } | Request::Full { .. } => Vec::new(),
        Request::PullRequest { base, head, .. } => vec![base, head],
        Request::Push { before, after, .. } => vec![before, after],
        Request::NewRef { after, .. } => vec![after],
    }
}

/// Every ref name a request hands to git: never something git would parse as
/// an option.
fn ref_names(request: &Request) -> Vec<&str> {
    match request {
        Request::Push {
            git_ref,
            default_branch,
            ..
        }
        | Request::NewRef {
            git_ref,
            default_branch,
            ..
        } => std::iter::once(git_ref.as_str())
            .chain(default_branch.as_deref())
            .collect(),
        _ => Vec::new(),
    }
}

fn is_object_id(id: &str) -> bool {
    (id.len() == 40 || id.len() == 64) && id.bytes().all(|b| b.is_ascii_hexdigit())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (event, payload) = text.split_once('\n').unwrap_or((&text, ""));
    let payloads = match serde_json::from_str::<Value>(payload) {
        Ok(value) => vec![value],
        Err(_) => vec![
            Value::Object(Default::default()),
            Value::String(payload.into()),
        ],
    };
    for payload in &payloads {
        for mode in [Mode::Auto, Mode::Full, Mode::Range] {
            match request(event, payload, mode) {
                Ok(req) => {
                    if mode == Mode::Full {
                        assert!(matches!(req, Request::Full { .. }), "{req:?}");
                    }
                    if mode == Mode::Range {
                        assert!(!matches!(req, Request::Full { .. }), "{req:?}");
                    }
                    for name in ref_names(&req) {
                        assert!(!name.starts_with('-'), "{event:?}: ref {name:?} in {req:?}");
                    }
                    for id in commit_ids(&req) {
                        assert!(is_object_id(id), "{event:?}: commit id {id:?} in {req:?}");
                    }
                }
                Err(err) => assert!(mode != Mode::Full, "{err:#}"),
            }
        }
    }
});
