//! Tree walking helpers: what changed between two trees, and which of a few
//! target blobs a tree contains (memoised per tree id, so a whole history
//! costs one visit per distinct tree).

use std::collections::HashMap;
use std::rc::Rc;

use gix::ObjectId;

use super::object_problem;
use crate::scan::{Problem, ProblemKind};

/// Entries of a tree, owned (the object buffer is reused by the caller).
struct Entry {
    name: Vec<u8>,
    mode: gix::objs::tree::EntryMode,
    id: ObjectId,
}

/// Reads a tree's entries; a missing or corrupt tree is reported with what
/// referenced it and treated as empty.
fn entries(
    repo: &gix::Repository,
    id: ObjectId,
    referrer: &dyn Fn() -> String,
    problem: &mut dyn FnMut(Problem),
) -> Vec<Entry> {
    if id == ObjectId::empty_tree(repo.object_hash()) {
        return Vec::new();
    }
    let object = match repo.try_find_object(id) {
        Ok(Some(object)) => object,
        Ok(None) => {
            problem(object_problem(
                ProblemKind::Error,
                &id,
                format!("missing tree (referenced by {})", referrer()),
            ));
            return Vec::new();
        }
        Err(err) => {
            problem(object_problem(
                ProblemKind::Error,
                &id,
                format!(
                    "unreadable tree (referenced by {}): {}",
                    crate::source::git::describe(&err),
                    referrer()
                ),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for entry in gix::objs::TreeRefIter::from_bytes(&object.data, repo.object_hash()) {
        match entry {
            Ok(entry) => out.push(Entry {
                name: entry.filename.to_vec(),
                mode: entry.mode,
                id: entry.oid.to_owned(),
            }),
            Err(err) => {
                problem(object_problem(
                    ProblemKind::Error,
                    &id,
                    format!("corrupt tree (referenced by {}): {err}", referrer()),
                ));
                break;
            }
        }
    }
    out
}

fn join(prefix: &str, name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    if prefix.is_empty() {
        name.into_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Calls `added(blob, path)` for every blob in `new` that is not at the same
/// path with the same id in `old` (added or modified). Unchanged subtrees are
/// skipped by id, so the cost follows the size of the change.
pub fn diff(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: ObjectId,
    commit: &gix::oid,
    added: &mut dyn FnMut(ObjectId, String),
    problem: &mut dyn FnMut(Problem),
) {
    diff_at(repo, old, new, "", commit, added, problem);
}

fn diff_at(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: ObjectId,
    prefix: &str,
    commit: &gix::oid,
    added: &mut dyn FnMut(ObjectId, String),
    problem: &mut dyn FnMut(Problem),
) {
    if old == Some(new) {
        return;
    }
    let referrer = || {
        if prefix.is_empty() {
            format!("commit {commit}")
        } else {
            format!("commit {commit}, path {prefix}")
        }
    };
    let new_entries = entries(repo, new, &referrer, problem);
    let old_entries = match old {
        Some(old) => entries(repo, old, &referrer, problem),
        None => Vec::new(),
    };
    let old_by_name: HashMap<&[u8], &Entry> =
        old_entries.iter().map(|e| (e.name.as_slice(), e)).collect();
    for entry in &new_entries {
        let before = old_by_name.get(entry.name.as_slice());
        if before.is_some_and(|b| b.id == entry.id && b.mode == entry.mode) {
            continue;
        }
        if entry.mode.is_tree() {
            let old_sub = before.filter(|b| b.mode.is_tree()).map(|b| b.id);
            diff_at(
                repo,
                old_sub,
                entry.id,
                &join(prefix, &entry.name),
                commit,
                added,
                problem,
            );
        } else if entry.mode.is_blob_or_symlink() {
            if before.is_some_and(|b| b.id == entry.id) {
                continue; // mode change only
            }
            added(entry.id, join(prefix, &entry.name));
        }
        // Submodule entries (commits of another repository) have no blob here.
    }
}

/// Which target blobs a tree contains, and at which paths.
pub type Hits = Rc<Vec<(u32, String)>>;

/// Memoised "which targets does this tree contain" over many trees.
pub struct Containment<'r> {
    repo: &'r gix::Repository,
    targets: gix::hashtable::HashMap<ObjectId, u32>,
    memo: gix::hashtable::HashMap<ObjectId, Hits>,
    empty: Hits,
}

impl<'r> Containment<'r> {
    pub fn new(repo: &'r gix::Repository, targets: &[ObjectId]) -> Self {
        Containment {
            repo,
            targets: targets
                .iter()
                .enumerate()
                .map(|(i, id)| (*id, i as u32))
                .collect(),
            memo: Default::default(),
            empty: Rc::new(Vec::new()),
        }
    }

    /// Targets in `tree` (recursively) with their paths. Names are only
    /// turned into strings on a hit: most trees contain no target.
    pub fn hits(
        &mut self,
        tree: ObjectId,
        commit: &gix::oid,
        problem: &mut dyn FnMut(Problem),
    ) -> Hits {
        if let Some(hits) = self.memo.get(&tree) {
            return hits.clone();
        }
        let data = match self.repo.try_find_object(tree) {
            Ok(Some(object)) => object.detach().data,
            Ok(None) => {
                problem(object_problem(
                    ProblemKind::Error,
                    &tree,
                    format!("missing tree (referenced by commit {commit})"),
                ));
                Vec::new()
            }
            Err(err) => {
                problem(object_problem(
                    ProblemKind::Error,
                    &tree,
                    format!(
                        "unreadable tree (referenced by commit {commit}): {}",
                        super::describe(&err)
                    ),
                ));
                Vec::new()
            }
        };
        let mut out = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(&data, self.repo.object_hash()) {
            let Ok(entry) = entry else {
                problem(object_problem(
                    ProblemKind::Error,
                    &tree,
                    format!("corrupt tree (referenced by commit {commit})"),
                ));
                break;
            };
            if entry.mode.is_tree() {
                let sub = self.hits(entry.oid.to_owned(), commit, problem);
                if !sub.is_empty() {
                    let name = String::from_utf8_lossy(entry.filename);
                    out.extend(sub.iter().map(|(t, p)| (*t, format!("{name}/{p}"))));
                }
            } else if entry.mode.is_blob_or_symlink() {
                if let Some(&target) = self.targets.get(entry.oid) {
                    out.push((target, String::from_utf8_lossy(entry.filename).into_owned()));
                }
            }
        }
        let hits = if out.is_empty() {
            self.empty.clone()
        } else {
            Rc::new(out)
        };
        self.memo.insert(tree, hits.clone());
        hits
    }
}
