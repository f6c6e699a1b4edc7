//! The staged content, for pre-commit hooks: exactly what the next commit
//! would add. Index entries whose blob differs from HEAD's at the same path
//! (every entry on an unborn branch) are read from the object database, not
//! from the working tree, so an unstaged edit neither hides nor adds a key.
//!
//! Anything that stops the scan (unreadable index, missing HEAD objects) is
//! an error, never a silent pass.

use std::collections::HashMap;

use anyhow::Context;
use gix::ObjectId;

use crate::finding::SourceKind;
use crate::scan::{Blob, Collector, ProblemKind, Scanner};
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
    let index = repo.open_index().map_err(|err| {
        anyhow::anyhow!(
            "--staged: cannot read the index {}: {}; run `git status` to check the repository",
            index_path.display(),
            crate::source::git::describe(&err)
        )
    })?;
    let head = head_blobs(repo)?;

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
        if head.as_ref().and_then(|h| h.get(path.as_ref() as &[u8])) == Some(&entry.id) {
            continue;
        }
        staged += 1;
        let path = path.to_string();
        match gix::objs::Find::try_find(&repo.objects, &entry.id, &mut buf) {
            Ok(Some(object)) if object.data.len() as u64 > request.max_file_size => collector
                .problem(
                    path,
                    ProblemKind::Skipped,
                    format!(
                    "staged blob of {} bytes is over --max-file-size; raise it to scan this file",
                    object.data.len()
                ),
                ),
            Ok(Some(object)) => collector.scan(
                scanner,
                &Blob {
                    source: SourceKind::Staged,
                    path: Some(&path),
                    bytes: object.data,
                },
            ),
            Ok(None) => collector.problem(
                path,
                ProblemKind::Error,
                format!(
                    "staged blob {} is missing from the object database; run `git add` again",
                    entry.id
                ),
            ),
            Err(err) => collector.problem(
                path,
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
        notes.push("nothing staged: the index matches HEAD".to_string());
    } else {
        notes.push(format!("{staged} staged blob(s) differ from HEAD"));
    }
    if conflicted > 0 {
        notes.push(format!(
            "{conflicted} conflicted index entr{} not scanned; resolve the conflict and stage the result",
            if conflicted == 1 { "y" } else { "ies" }
        ));
    }
    Ok(Outcome { notes })
}

/// Path -> blob id of every file in HEAD's tree; `None` on an unborn branch.
fn head_blobs(repo: &gix::Repository) -> anyhow::Result<Option<HashMap<Vec<u8>, ObjectId>>> {
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
    let mut out = HashMap::new();
    let mut stack = vec![(tree, Vec::new())];
    while let Some((id, prefix)) = stack.pop() {
        let object = repo
            .find_object(id)
            .map_err(|err| anyhow::anyhow!("{}", crate::source::git::describe(&err)))
            .with_context(|| format!("--staged: cannot read tree {id} of HEAD"))?;
        for entry in gix::objs::TreeRefIter::from_bytes(&object.data, repo.object_hash()) {
            let entry = entry
                .map_err(|err| anyhow::anyhow!("--staged: corrupt tree {id} of HEAD: {err}"))?;
            let mut path = prefix.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(entry.filename);
            if entry.mode.is_tree() {
                stack.push((entry.oid.to_owned(), path));
            } else {
                out.insert(path, entry.oid.to_owned());
            }
        }
    }
    Ok(Some(out))
}
