//! Commit ranges for CI: what the commits in `BASE..HEAD` (or any
//! [`Range`] of tips and hidden commits) introduced.
//!
//! Each commit in the range is diffed against every parent (all parents of a
//! merge, so content written while resolving a conflict is seen; the empty
//! tree for a root commit); blobs that differ are scanned once each, under
//! the path and commit where the range first introduced them. Commit messages
//! in the range are scanned too. Cost follows the size of the range, not the
//! history.

use std::collections::HashMap;

use anyhow::bail;
use gix::ObjectId;
use rayon::prelude::*;

use super::{object_problem, tree, Range, Request};
use crate::scan::{Blob, Collector, GitObject, Problem, ProblemKind, Scanner, Subject};

pub struct Outcome {
    /// blob -> (introducing commit, path)
    pub introduced: HashMap<ObjectId, (ObjectId, String)>,
    /// The same blobs, oldest introduction first.
    pub order: Vec<ObjectId>,
    pub notes: Vec<String>,
}

/// Resolves `spec` to a commit, with an error that says what to do.
fn resolve(repo: &gix::Repository, spec: &str, what: &str) -> anyhow::Result<ObjectId> {
    let shallow = repo.is_shallow().unwrap_or(false);
    let found = repo
        .rev_parse_single(spec)
        .ok()
        .and_then(|id| id.object().ok())
        .and_then(|object| object.peel_to_commit().ok());
    match found {
        Some(commit) => Ok(commit.id),
        None if shallow => bail!(
            "{what} {spec}: commit not found in this shallow clone; fetch more history \
             (`git fetch --deepen=100`, `git fetch --unshallow`, or `fetch-depth: 0` in actions/checkout) and run again"
        ),
        None => bail!(
            "{what} {spec}: no such commit in this repository; pass a commit, branch or tag that exists \
             (fetch it first if it is on a remote: `git fetch origin {spec}`)"
        ),
    }
}

/// What a range introduced, found from commits and trees alone (no blob is
/// read), so the CI backfill of a partial clone can ask the same question
/// the scan does.
struct Walked {
    /// Commits in the range.
    commits: usize,
    introduced: HashMap<ObjectId, (ObjectId, String)>,
    /// Introduced blobs, oldest introduction first.
    order: Vec<ObjectId>,
    /// Commits whose messages are scanned.
    messages: Vec<ObjectId>,
    /// Commits whose parents are missing locally (shallow clone).
    parentless: usize,
}

/// Walks the range's commits (oldest first) and diffs each against every
/// parent. Damage is reported through `problem`; only a range that cannot
/// be resolved at all is an error.
fn walk(
    repo: &gix::Repository,
    range: &Range,
    problem: &mut dyn FnMut(Problem),
) -> anyhow::Result<Walked> {
    let label = range.label();
    let tips = range
        .tips
        .iter()
        .map(|spec| resolve(repo, spec, "range head"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let hidden = range
        .hidden
        .iter()
        .map(|spec| resolve(repo, spec, "range base"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let walk = repo
        .rev_walk(tips)
        .with_hidden(hidden)
        .all()
        .map_err(|err| {
            anyhow::anyhow!(
                "cannot walk {label}: {}",
                crate::source::git::describe(&err)
            )
        })?;
    let mut commits = Vec::new();
    for info in walk {
        match info {
            Ok(info) => commits.push(info.id),
            Err(err) => {
                problem(Problem::new(
                    Subject::Range(label.clone()),
                    ProblemKind::Error,
                    format!(
                        "history walk stopped early: {}",
                        crate::source::git::describe(&err)
                    ),
                ));
                break;
            }
        }
    }
    // Oldest first, so a blob is credited to the first commit introducing it.
    commits.reverse();

    let mut walked = Walked {
        commits: commits.len(),
        introduced: HashMap::new(),
        order: Vec::new(),
        messages: Vec::new(),
        parentless: 0,
    };
    for id in &commits {
        let commit = match repo.find_commit(*id) {
            Ok(commit) => commit,
            Err(err) => {
                problem(object_problem(
                    ProblemKind::Error,
                    id,
                    format!(
                        "unreadable commit in {label}: {}",
                        crate::source::git::describe(&err)
                    ),
                ));
                continue;
            }
        };
        walked.messages.push(*id);
        let Ok(tree_id) = commit.tree_id().map(|t| t.detach()) else {
            problem(object_problem(
                ProblemKind::Error,
                id,
                "commit without a readable tree",
            ));
            continue;
        };
        let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
        let mut parent_trees = Vec::new();
        for parent in &parents {
            match repo
                .find_commit(*parent)
                .ok()
                .and_then(|c| c.tree_id().ok().map(|t| t.detach()))
            {
                Some(tree) => parent_trees.push(Some(tree)),
                // Beyond a shallow boundary: everything counts as new.
                None => parent_trees.push(None),
            }
        }
        if parent_trees.is_empty() || parent_trees.iter().any(Option::is_none) {
            walked.parentless += usize::from(!parents.is_empty());
            parent_trees = vec![None];
        }
        // A merge introduces only what differs from *every* parent (what a
        // conflict resolution wrote). What it brings in unchanged from one
        // side belongs to that side: scanned with that side's commits when
        // they are in the range, and not the range's when they are not (a
        // pull request that merges main must not report main's keys).
        let mut per_parent: Vec<Vec<(ObjectId, String)>> = Vec::new();
        for parent_tree in parent_trees {
            let mut added = Vec::new();
            tree::diff(
                repo,
                parent_tree,
                tree_id,
                id,
                &mut |blob, path| added.push((blob, path)),
                &mut *problem,
            );
            per_parent.push(added);
        }
        let others: Vec<std::collections::HashSet<(ObjectId, String)>> = per_parent
            .iter()
            .skip(1)
            .map(|added| added.iter().cloned().collect())
            .collect();
        for (blob, path) in per_parent.into_iter().next().unwrap_or_default() {
            if others.iter().all(|set| set.contains(&(blob, path.clone()))) {
                walked.introduced.entry(blob).or_insert_with(|| {
                    walked.order.push(blob);
                    (*id, path)
                });
            }
        }
    }
    Ok(walked)
}

/// The objects a scan of `range` would need and the repository lacks: trees
/// the walk could not read, then blobs the range introduced that are not
/// here. What a partial clone must fetch for the scan to be complete; reads
/// commits and trees, never blobs.
pub fn missing_objects(repo: &mut gix::Repository, range: &Range) -> anyhow::Result<Vec<ObjectId>> {
    super::tune_for_random_reads(repo);
    let repo = &*repo;
    let mut missing = Vec::new();
    let walked = walk(repo, range, &mut |p| {
        missing.extend(p.object());
    })?;
    missing.extend(walked.order.iter().filter(|id| !repo.has_object(id)));
    missing.sort();
    missing.dedup();
    Ok(missing)
}

/// Scans the blobs and messages introduced by the range.
pub fn scan(
    repo: &mut gix::Repository,
    range: &Range,
    request: &Request,
    scanner: &Scanner,
    collector: &Collector,
) -> anyhow::Result<Outcome> {
    super::tune_for_random_reads(repo);
    let repo = &*repo;
    let Walked {
        commits,
        introduced,
        order,
        messages,
        parentless,
    } = walk(repo, range, &mut |p| collector.add_problem(p))?;
    let mut notes = Vec::new();
    if parentless > 0 {
        notes.push(format!(
            "{parentless} commit(s) in the range have parents missing locally (shallow clone); their whole tree was scanned"
        ));
    }
    notes.push(format!(
        "range {}: {commits} commit(s), {} new blob(s)",
        range.label(),
        order.len()
    ));

    let sync = repo.clone().into_sync();
    let max = request.max_file_size;
    super::in_pool(request.jobs, || {
        order.par_iter().for_each_init(
            || {
                let mut repo = sync.to_thread_local();
                super::tune_for_random_reads(&mut repo);
                repo
            },
            |repo, blob| {
                let Some((commit, path)) = introduced.get(blob) else {
                    return;
                };
                scan_blob(repo, *blob, *commit, path, max, scanner, collector);
            },
        );
        messages.par_iter().for_each_init(
            || {
                let mut repo = sync.to_thread_local();
                super::tune_for_random_reads(&mut repo);
                repo
            },
            |repo, id| {
                if let Ok(object) = repo.find_object(*id) {
                    let (message, _) = super::message_of(&object.data);
                    collector.scan_object(
                        scanner,
                        &Blob {
                            path: None,
                            bytes: message,
                        },
                        GitObject::Commit(*id),
                    );
                }
            },
        );
    })?;
    Ok(Outcome {
        introduced,
        order,
        notes,
    })
}

fn scan_blob(
    repo: &gix::Repository,
    blob: ObjectId,
    commit: ObjectId,
    path: &str,
    max_file_size: u64,
    scanner: &Scanner,
    collector: &Collector,
) {
    let report =
        |kind, message: String| collector.add_problem(object_problem(kind, &blob, message));
    if let Some(size) = crate::source::git::size_over(repo, &blob, max_file_size) {
        return report(
            ProblemKind::Skipped,
            format!("{path} in commit {commit}: {size} bytes is over --max-file-size; raise it to scan this blob"),
        );
    }
    match repo.try_find_object(blob) {
        Ok(Some(object)) => collector.scan_object(
            scanner,
            &Blob {
                path: Some(path),
                bytes: &object.data,
            },
            GitObject::Blob(blob),
        ),
        Ok(None) => report(
            ProblemKind::Error,
            format!("missing blob {path} (referenced by commit {commit}); not scanned"),
        ),
        Err(err) => report(
            ProblemKind::Error,
            format!(
                "unreadable blob {path} (referenced by commit {commit}): {}",
                crate::source::git::describe(&err)
            ),
        ),
    }
}
