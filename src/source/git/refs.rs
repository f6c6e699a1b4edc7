//! The refs of a repository, for reachability: which refs reach the commit
//! that introduced a key, and whether the answer can be trusted (a corrupt
//! `packed-refs` makes "no ref reaches it" mean "unknown").

use gix::ObjectId;

/// A ref and what it points at.
pub struct RefTip {
    pub name: String,
    /// The object the ref names (a tag object for annotated tags).
    pub direct: Option<ObjectId>,
    /// Peeled to a non-tag object.
    pub peeled: Option<ObjectId>,
}

/// Every ref (and a detached HEAD), and why the list may be incomplete.
pub struct Refs {
    pub tips: Vec<RefTip>,
    /// Set when some refs could not be read (a corrupt `packed-refs`): a
    /// finding no readable ref reaches may still be reachable, so its
    /// reachability is unknown, not "unreachable".
    pub unreadable: Option<String>,
}

impl Refs {
    /// Reachability of something these refs (by name) reach.
    pub fn reachable(&self, names: &[String]) -> Option<bool> {
        if !names.is_empty() {
            Some(true)
        } else if self.unreadable.is_some() {
            None
        } else {
            Some(false)
        }
    }
}

pub fn read(repo: &gix::Repository) -> Refs {
    let mut out = Vec::new();
    let mut unreadable = None;
    let iter = repo
        .references()
        .map_err(|err| crate::source::git::describe(&err))
        .and_then(|platform| {
            // `all()` borrows the platform: collect while it lives.
            let all = platform
                .all()
                .map_err(|err| crate::source::git::describe(&err))?;
            Ok(all
                .map(|r| r.map_err(|err| crate::source::git::describe(&err)))
                .collect::<Vec<_>>())
        });
    let references = match iter {
        Ok(references) => references,
        Err(err) => {
            unreadable = Some(err);
            Vec::new()
        }
    };
    for reference in references {
        let reference = match reference {
            Ok(reference) => reference,
            Err(err) => {
                unreadable.get_or_insert(err);
                continue;
            }
        };
        let name = reference.name().as_bstr().to_string();
        let direct = reference.target().try_id().map(|id| id.to_owned());
        let mut reference = reference;
        let peeled = reference.peel_to_id().ok().map(|id| id.detach());
        out.push(RefTip {
            name,
            direct,
            peeled,
        });
    }
    if let Ok(head) = repo.head() {
        if head.is_detached() {
            if let Some(id) = head.id() {
                out.push(RefTip {
                    name: "HEAD".to_string(),
                    direct: Some(id.detach()),
                    peeled: Some(id.detach()),
                });
            }
        }
    }
    Refs {
        tips: out,
        unreadable,
    }
}
