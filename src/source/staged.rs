//! The staged content, for pre-commit hooks: exactly what the next commit
//! would add. Index entries whose blob differs from HEAD's at the same path
//! (every entry on an unborn branch) are read from the object database, not
//! from the working tree, so an unstaged edit neither hides nor adds a key.
//!
//! Anything that stops the scan (unreadable index, missing HEAD objects) is
//! an error, never a silent pass.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use crate::finding::Origin;
use crate::scan::{Blob, Collector, ProblemKind, Scanner, Subject};
use crate::source::git::Request;

pub struct Outcome {
    pub notes: Vec<String>,
}

/// Scans index entries that differ from HEAD.
pub fn scan(
    repo: &gix::Repository,
    request: &Request,
    scanner: &Scanner,
    collector: &Collector,
) -> anyhow::Result<Outcome> {
    let mut notes = Vec::new();
    if repo.is_bare() {
        anyhow::bail!(
            "--staged: {} is a bare repository and has no index; use --git to audit its history",
            repo.path().display()
        );
    }
    let index_path = repo.index_path();
    if !index_path.exists() {
        notes.push("nothing staged (no index yet)".to_string());
        return Ok(Outcome { notes });
    }
    // Like git (which verifies the index checksum only in fsck), skip the
    // whole-file hash: it is a third of the cost of a pre-commit run. One
    // thread: the index of a 5,000-file repository decodes in well under a
    // millisecond and spawning threads costs more.
    let options = gix::index::decode::Options {
        thread_limit: Some(1),
        ..Default::default()
    };
    let index =
        gix::index::File::at(&index_path, repo.object_hash(), true, options).map_err(|err| {
            anyhow::anyhow!(
                "--staged: cannot read the index {}: {}; run `git status` to check the repository",
                index_path.display(),
                crate::source::git::describe(&err)
            )
        })?;
    let mut head = head_view(repo, &index)?;

    let mut staged = 0usize;
    let mut conflicted = 0usize;
    let mut buf = Vec::new();
    for entry in index.entries() {
        if entry.stage_raw() != 0 {
            conflicted += 1;
            continue;
        }
        if entry
            .flags
            .contains(gix::index::entry::Flags::INTENT_TO_ADD)
        {
            continue;
        }
        let is_blob = entry
            .mode
            .to_tree_entry_mode()
            .is_some_and(|m| m.is_blob_or_symlink());
        if !is_blob {
            continue; // submodule: another repository's commit
        }
        let path = entry.path(&index);
        if head
            .as_mut()
            .is_some_and(|h| h.unchanged(path.as_ref(), &entry.id))
        {
            continue;
        }
        staged += 1;
        let path = path.to_string();
        if let Some(size) = crate::source::git::size_over(repo, &entry.id, request.max_file_size) {
            collector.problem(
                Subject::Path(path),
                ProblemKind::Skipped,
                format!("staged blob of {size} bytes is over --max-file-size; raise it to scan this file"),
            );
            continue;
        }
        match gix::objs::Find::try_find(&repo.objects, &entry.id, &mut buf) {
            Ok(Some(object)) => collector.scan(
                scanner,
                &Blob {
                    path: Some(&path),
                    bytes: object.data,
                },
                || Origin::Staged { path: path.clone() },
            ),
            Ok(None) => collector.problem(
                Subject::Path(path),
                ProblemKind::Error,
                format!(
                    "staged blob {} is missing from the object database; run `git add` again",
                    entry.id
                ),
            ),
            Err(err) => collector.problem(
                Subject::Path(path),
                ProblemKind::Error,
                format!(
                    "staged blob {} is unreadable: {}",
                    entry.id,
                    crate::source::git::describe(&err)
                ),
            ),
        }
    }
    if staged == 0 {
        // Say it: `pre-commit run --all-files` runs this hook with nothing
        // staged, and a bare "Passed" would be a false green.
        notes.push(
            "nothing staged (the index matches HEAD): nothing was checked; to check files, use \
             `vastleaks scan` or, with pre-commit, the vastleaks-files hook"
                .to_string(),
        );
    } else {
        notes.push(format!(
            "{} differ from HEAD",
            crate::wording::plural(staged as u64, "staged blob")
        ));
    }
    if conflicted > 0 {
        notes.push(format!(
            "{} not scanned; resolve the conflict and stage the result",
            crate::wording::plural_of(
                conflicted as u64,
                "conflicted index entry",
                "conflicted index entries"
            )
        ));
    }
    Ok(Outcome { notes })
}

/// What HEAD holds, as far as the staged comparison needs it: directories
/// known to be identical in the index and HEAD (skipped wholesale), and the
/// blob ids of HEAD's files in every other directory.
struct HeadView {
    unchanged_dirs: HashSet<Vec<u8>>,
    blobs: HashMap<Vec<u8>, ObjectId>,
    /// The unchanged directory the previous entry was in.
    current: Option<Vec<u8>>,
}

impl HeadView {
    /// True when `path`'s entry is identical to HEAD's. Index entries come
    /// sorted by path, so the entries of an unchanged directory are
    /// contiguous: remembering the last one matched skips its siblings
    /// without hashing.
    fn unchanged(&mut self, path: &[u8], id: &ObjectId) -> bool {
        if let Some(dir) = &self.current {
            if path.len() > dir.len() && path.starts_with(dir) && path[dir.len()] == b'/' {
                return true;
            }
        }
        if self.unchanged_dirs.contains(&b""[..]) || self.blobs.get(path) == Some(id) {
            return true;
        }
        for (i, _) in path.iter().enumerate().filter(|(_, &b)| b == b'/') {
            if self.unchanged_dirs.contains(&path[..i]) {
                self.current = Some(path[..i].to_vec());
                return true;
            }
        }
        false
    }
}

/// HEAD's view; `None` on an unborn branch. The index's cache-tree extension
/// (which git keeps for the directories a change did not touch) names the
/// directories whose tree id equals HEAD's, so only the trees along changed
/// paths are read: one changed file in a 5,000-file repository costs a few
/// tree reads, not hundreds.
fn head_view(
    repo: &gix::Repository,
    index: &gix::index::State,
) -> anyhow::Result<Option<HeadView>> {
    let head = repo.head().map_err(|err| {
        anyhow::anyhow!(
            "--staged: cannot read HEAD: {}",
            crate::source::git::describe(&err)
        )
    })?;
    if head.is_unborn() {
        return Ok(None);
    }
    let commit = repo.head_commit().map_err(|err| {
        anyhow::anyhow!(
            "--staged: cannot read the HEAD commit: {}",
            crate::source::git::describe(&err)
        )
    })?;
    let tree = commit
        .tree_id()
        .map_err(|err| {
            anyhow::anyhow!(
                "--staged: HEAD has no readable tree: {}",
                crate::source::git::describe(&err)
            )
        })?
        .detach();
    let mut view = HeadView {
        unchanged_dirs: HashSet::new(),
        blobs: HashMap::new(),
        current: None,
    };
    match index.tree() {
        Some(cache) => compare_with_cache(repo, cache, Some(tree), Vec::new(), &mut view)?,
        None => read_all(repo, tree, Vec::new(), &mut view)?,
    }
    Ok(Some(view))
}

/// Walks the cache tree and HEAD's tree together.
fn compare_with_cache(
    repo: &gix::Repository,
    cache: &gix::index::extension::Tree,
    head: Option<ObjectId>,
    prefix: Vec<u8>,
    view: &mut HeadView,
) -> anyhow::Result<()> {
    let Some(head) = head else {
        return Ok(()); // a directory HEAD does not have: all of it is new
    };
    if cache.num_entries.is_some() && cache.id == head {
        view.unchanged_dirs.insert(prefix);
        return Ok(());
    }
    for (name, mode, id) in read_tree(repo, head)? {
        let path = join(&prefix, &name);
        if mode.is_tree() {
            match cache
                .children
                .iter()
                .find(|c| c.name.as_slice() == name.as_slice())
            {
                Some(child) => compare_with_cache(repo, child, Some(id), path, view)?,
                None => read_all(repo, id, path, view)?,
            }
        } else {
            view.blobs.insert(path, id);
        }
    }
    Ok(())
}

/// Every file below `tree`.
fn read_all(
    repo: &gix::Repository,
    tree: ObjectId,
    prefix: Vec<u8>,
    view: &mut HeadView,
) -> anyhow::Result<()> {
    let mut stack = vec![(tree, prefix)];
    while let Some((id, prefix)) = stack.pop() {
        for (name, mode, entry_id) in read_tree(repo, id)? {
            let path = join(&prefix, &name);
            if mode.is_tree() {
                stack.push((entry_id, path));
            } else {
                view.blobs.insert(path, entry_id);
            }
        }
    }
    Ok(())
}

fn read_tree(
    repo: &gix::Repository,
    id: ObjectId,
) -> anyhow::Result<Vec<(Vec<u8>, gix::objs::tree::EntryMode, ObjectId)>> {
    let object = repo.find_object(id).map_err(|err| {
        anyhow::anyhow!(
            "--staged: cannot read tree {id} of HEAD: {}",
            crate::source::git::describe(&err)
        )
    })?;
    gix::objs::TreeRefIter::from_bytes(&object.data, repo.object_hash())
        .map(|entry| {
            entry
                .map(|e| (e.filename.to_vec(), e.mode, e.oid.to_owned()))
                .map_err(|err| anyhow::anyhow!("--staged: corrupt tree {id} of HEAD: {err}"))
        })
        .collect()
}

fn join(prefix: &[u8], name: &[u8]) -> Vec<u8> {
    let mut path = prefix.to_vec();
    if !path.is_empty() {
        path.push(b'/');
    }
    path.extend_from_slice(name);
    path
}
