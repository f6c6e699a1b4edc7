//! Partial clones (`git clone --filter=blob:none`, actions/checkout's
//! `filter:`): objects the clone never fetched are promised by a remote, not
//! here. A scan reads with gix, which never fetches, so a plain scan cannot
//! read them; a key in one (added, then deleted in the next commit) would
//! pass unseen. Each such object is therefore a hole (an error problem, like
//! any missing object) and one more problem says how to fetch them all.
//! Only `vastleaks ci github` fetches them itself (see `ci::backfill`).

use gix::ObjectId;

use super::Mode;
use crate::scan::{Problem, ProblemKind, Subject};

/// The fetch git itself runs to get promised objects: no negotiation (the
/// remote must not skip objects it thinks we have because our commits reach
/// them), only what is asked for (`blob:none` keeps a wanted tree from
/// bringing every blob under it), nothing else touched.
pub const FETCH: &str = "git -c fetch.negotiationAlgorithm=noop fetch --no-tags \
     --no-write-fetch-head --recurse-submodules=no --filter=blob:none";

/// Up to this many ids are named in the command itself.
const IDS_IN_COMMAND: usize = 20;

/// A partial clone and the remote that promised its missing objects.
#[derive(Clone, Debug)]
pub struct Promisor {
    /// The promisor remote's name, when it is safe to print in a shell
    /// command (it comes from the repository's config).
    pub remote: Option<String>,
}

impl Promisor {
    /// `Some` when `repo` is a partial clone: a promisor remote or
    /// `extensions.partialClone` in its config, or a `.promisor` pack.
    pub fn detect(repo: &gix::Repository) -> Option<Promisor> {
        let config = repo.config_snapshot();
        let mut remotes: Vec<String> = config
            .string("extensions.partialClone")
            .map(|name| name.to_string())
            .into_iter()
            .collect();
        for name in repo.remote_names() {
            if config.boolean(format!("remote.{name}.promisor").as_str()) == Some(true) {
                remotes.push(name.to_string());
            }
        }
        let promisor_pack = std::fs::read_dir(repo.objects.store_ref().path().join("pack"))
            .map(|dir| {
                dir.flatten()
                    .any(|e| e.path().extension().is_some_and(|x| x == "promisor"))
            })
            .unwrap_or(false);
        if remotes.is_empty() && !promisor_pack {
            return None;
        }
        Some(Promisor {
            remote: remotes.into_iter().find(|name| printable(name)),
        })
    }

    /// The summary note for a partial clone.
    pub fn note(&self) -> String {
        format!(
            "partial clone (promisor remote {}): objects it never fetched cannot be read here; \
             any the scan needed is reported as an error",
            self.remote.as_deref().unwrap_or("unknown")
        )
    }

    /// One problem for all the objects among `problems` that this clone
    /// lacks, with the command that fetches them; `None` when there are none.
    pub fn holes(
        &self,
        repo: &gix::Repository,
        mode: &Mode,
        problems: &[Problem],
    ) -> Option<Problem> {
        let mut missing: Vec<ObjectId> = problems
            .iter()
            .filter_map(Problem::object)
            .filter(|id| !repo.has_object(id))
            .collect();
        missing.sort();
        missing.dedup();
        if missing.is_empty() {
            return None;
        }
        let remote = self.remote.as_deref().unwrap_or("<promisor remote>");
        let command = match scope(repo, mode) {
            Some(scope) if missing.len() > IDS_IN_COMMAND => format!(
                "git rev-list --objects --missing=print {scope} | sed -n 's/^?//p' | {FETCH} --stdin {remote}"
            ),
            _ => {
                let ids: Vec<String> = missing.iter().map(ObjectId::to_string).collect();
                format!("{FETCH} {remote} {}", ids.join(" "))
            }
        };
        Some(Problem::new(
            Subject::PartialClone,
            ProblemKind::Error,
            format!(
                "{} object(s) this scan needed are not in this partial clone and were not scanned \
                 (each is its own problem above); fetch them from the promisor remote, then scan again: `{command}`",
                missing.len()
            ),
        ))
    }
}

/// What `git rev-list` should walk to list the mode's missing objects:
/// every ref for the audit, the range's resolved commits for a range. Ids,
/// never the names given, so the command is safe to paste into a shell.
fn scope(repo: &gix::Repository, mode: &Mode) -> Option<String> {
    let id = |spec: &str| -> Option<String> {
        let object = repo.rev_parse_single(spec).ok()?.object().ok()?;
        Some(object.peel_to_commit().ok()?.id.to_string())
    };
    match mode {
        Mode::Audit => Some("--all".to_string()),
        Mode::Staged => None,
        Mode::Range(range) => {
            let mut words = Vec::new();
            for tip in &range.tips {
                words.push(id(tip)?);
            }
            for hidden in &range.hidden {
                words.push(format!("^{}", id(hidden)?));
            }
            Some(words.join(" "))
        }
    }
}

/// A remote name that can go into a shell command as it is.
fn printable(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_remote_names_are_printed() {
        assert!(printable("origin"));
        assert!(printable("up-stream_2.x"));
        assert!(!printable("origin;rm -rf ~"));
        assert!(!printable("--upload-pack=x"));
        assert!(!printable("$(id)"));
        assert!(!printable(""));
    }
}
