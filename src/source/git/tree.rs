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
                    referrer(),
                    crate::source::git::describe(&err)
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
    if old == Some(new) {
        return;
    }
    // An explicit stack, not recursion: nesting depth is chosen by whoever
    // wrote the history. Entries are visited in tree order, depth first, as
    // a recursive walk would.
    let mut stack = vec![DiffLevel::open(
        repo,
        old,
        new,
        String::new(),
        commit,
        problem,
    )];
    while let Some(top) = stack.last_mut() {
        let Some(entry) = top.new_entries.get(top.next) else {
            stack.pop();
            continue;
        };
        top.next += 1;
        let before = top.old_by_name.get(entry.name.as_slice()).copied();
        if before.is_some_and(|(id, mode)| id == entry.id && mode == entry.mode) {
            continue;
        }
        let (id, mode) = (entry.id, entry.mode);
        let path = join(&top.prefix, &entry.name);
        if mode.is_tree() {
            let old_sub = before.filter(|(_, m)| m.is_tree()).map(|(id, _)| id);
            if old_sub == Some(id) {
                continue;
            }
            if stack.len() >= MAX_TREE_DEPTH {
                problem(too_deep(&id, &format!("commit {commit}, path {path}")));
                continue;
            }
            let level = DiffLevel::open(repo, old_sub, id, path, commit, problem);
            stack.push(level);
        } else if mode.is_blob_or_symlink() {
            if before.is_some_and(|(b, _)| b == id) {
                continue; // mode change only
            }
            added(id, path);
        }
        // Submodule entries (commits of another repository) have no blob here.
    }
}

/// Deepest tree nesting walked. Git itself refuses deeper trees
/// (`core.maxTreeDepth`, 4096 by default), so only a crafted history has
/// them; below this depth the walk stops and says so (a hole: the scan is
/// incomplete), instead of spending memory on ever longer paths.
pub const MAX_TREE_DEPTH: usize = 4096;

fn too_deep(tree: &ObjectId, referrer: &str) -> Problem {
    object_problem(
        ProblemKind::Error,
        tree,
        format!(
            "tree nested more than {MAX_TREE_DEPTH} levels deep (referenced by {referrer}); not read below that depth (git itself refuses such trees: core.maxTreeDepth)"
        ),
    )
}

/// One tree level of [`diff`]: the new tree's entries, the old tree's by
/// name, and how far the walk has got.
struct DiffLevel {
    new_entries: Vec<Entry>,
    old_by_name: HashMap<Vec<u8>, (ObjectId, gix::objs::tree::EntryMode)>,
    next: usize,
    prefix: String,
}

impl DiffLevel {
    fn open(
        repo: &gix::Repository,
        old: Option<ObjectId>,
        new: ObjectId,
        prefix: String,
        commit: &gix::oid,
        problem: &mut dyn FnMut(Problem),
    ) -> DiffLevel {
        let referrer = || {
            if prefix.is_empty() {
                format!("commit {commit}")
            } else {
                format!("commit {commit}, path {prefix}")
            }
        };
        let new_entries = entries(repo, new, &referrer, problem);
        let old_by_name = match old {
            Some(old) => entries(repo, old, &referrer, problem)
                .into_iter()
                .map(|e| (e.name, (e.id, e.mode)))
                .collect(),
            None => HashMap::new(),
        };
        DiffLevel {
            new_entries,
            old_by_name,
            next: 0,
            prefix,
        }
    }
}

/// Which target blobs a tree contains, and at which paths.
pub type Hits = Rc<Vec<(u32, String)>>;

/// Which trees [`Containment`] need not read.
type Skip<'r> = Box<dyn Fn(&gix::oid) -> bool + 'r>;

/// Memoised "which targets does this tree contain" over many trees.
pub struct Containment<'r> {
    repo: &'r gix::Repository,
    targets: gix::hashtable::HashMap<ObjectId, u32>,
    memo: gix::hashtable::HashMap<ObjectId, Hits>,
    empty: Hits,
    /// Trees known to hold no target, which are not read (see
    /// [`Containment::skipping`]).
    skip: Option<Skip<'r>>,
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
            skip: None,
        }
    }

    /// Trees for which `skip` is true are taken to hold no target without
    /// being read (the caller knows which trees can hold one).
    pub fn skipping(mut self, skip: impl Fn(&gix::oid) -> bool + 'r) -> Self {
        self.skip = Some(Box::new(skip));
        self
    }

    fn skips(&self, tree: &gix::oid) -> bool {
        self.skip.as_ref().is_some_and(|skip| skip(tree))
    }

    /// Targets in `tree` (recursively) with their paths. Names are only
    /// turned into strings on a hit: most trees contain no target. Walked
    /// with an explicit stack (nesting depth is the history writer's choice),
    /// at most [`MAX_TREE_DEPTH`] levels.
    pub fn hits(
        &mut self,
        tree: ObjectId,
        commit: &gix::oid,
        problem: &mut dyn FnMut(Problem),
    ) -> Hits {
        if let Some(hits) = self.memo.get(&tree) {
            return hits.clone();
        }
        if self.skips(&tree) {
            return self.empty.clone();
        }
        let mut stack = vec![self.open(tree, commit, problem)];
        loop {
            let depth = stack.len();
            let top = stack.last_mut().expect("the walk ends when the stack does");
            let Some(&(start, end, mode, id)) = top.entries.get(top.next) else {
                let done = stack.pop().expect("not empty");
                let hits = if done.out.is_empty() {
                    self.empty.clone()
                } else {
                    Rc::new(done.out)
                };
                self.memo.insert(done.tree, hits.clone());
                if stack.is_empty() {
                    return hits;
                }
                continue;
            };
            let name = &top.data[start..end];
            if mode.is_tree() {
                if let Some(sub) = self.memo.get(&id) {
                    if !sub.is_empty() {
                        let name = String::from_utf8_lossy(name);
                        top.out
                            .extend(sub.iter().map(|(t, p)| (*t, format!("{name}/{p}"))));
                    }
                } else if self.skips(&id) {
                    // Holds no target.
                } else if depth >= MAX_TREE_DEPTH {
                    problem(too_deep(&id, &format!("commit {commit}")));
                } else {
                    // Descend; this entry is taken up again (from the memo)
                    // once the subtree is done.
                    let level = self.open(id, commit, problem);
                    stack.push(level);
                    continue;
                }
            } else if mode.is_blob_or_symlink() {
                if let Some(&target) = self.targets.get(&id) {
                    top.out
                        .push((target, String::from_utf8_lossy(name).into_owned()));
                }
            }
            top.next += 1;
        }
    }

    /// Reads one tree for [`Containment::hits`]; a missing, unreadable or
    /// corrupt tree is reported and walked as far as it could be read.
    fn open(
        &self,
        tree: ObjectId,
        commit: &gix::oid,
        problem: &mut dyn FnMut(Problem),
    ) -> HitsLevel {
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
        let mut entries = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(&data, self.repo.object_hash()) {
            let Ok(entry) = entry else {
                problem(object_problem(
                    ProblemKind::Error,
                    &tree,
                    format!("corrupt tree (referenced by commit {commit})"),
                ));
                break;
            };
            // The name as a range of `data`: no allocation per entry.
            let start = entry.filename.as_ptr() as usize - data.as_ptr() as usize;
            let end = start + entry.filename.len();
            entries.push((start, end, entry.mode, entry.oid.to_owned()));
        }
        HitsLevel {
            tree,
            data,
            entries,
            next: 0,
            out: Vec::new(),
        }
    }
}

/// One tree level of [`Containment::hits`].
struct HitsLevel {
    tree: ObjectId,
    data: Vec<u8>,
    /// Name (as a range of `data`), mode and id of each entry.
    entries: Vec<(usize, usize, gix::objs::tree::EntryMode, ObjectId)>,
    next: usize,
    out: Vec<(u32, String)>,
}
