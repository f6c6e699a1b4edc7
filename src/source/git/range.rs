//! Commit ranges for CI: what the commits in `BASE..HEAD` (or any
//! [`Range`] of tips and hidden commits) introduced.
//!
//! Each commit in the range is diffed against every parent (all parents of a
//! merge, so content written while resolving a conflict is seen; the empty
//! tree for a root commit); blobs that differ are scanned once each, under
//! the path and commit where the range first introduced them. Commit messages
//! in the range are scanned too. Cost follows the size of the range, not the
//! history: about 0.6 ms a commit on git/git, mostly reading trees by id.
//!
//! A range large enough that this would cost more than reading the whole
//! object database in pack order is scanned by [`super::range_pack`]
//! instead, with the same findings and attribution; [`Strategy`] picks.

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

/// How a range's blobs are found and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// Diff each commit against its parents, read new blobs by id.
    Walk,
    /// Read every object in pack order, then keep what the range introduced
    /// ([`super::range_pack`]).
    Pack,
}

/// Objects in the object database per commit of the range above which
/// reading the whole database in pack order is cheaper than diffing the
/// range's commits. Measured on git/git (849,014 objects, release build):
/// the walk costs 1.9-2.5 ms of CPU a commit, the pack-order read about
/// 24 µs an object, so the two cost the same CPU near 100 objects a commit;
/// the walk runs mostly on one thread, so on two cores their wall times meet
/// nearer 170. 200 keeps mid-sized ranges on the walk, whose memory follows
/// the range (the pack-order read needs the audit's).
pub const OBJECTS_PER_COMMIT: u64 = 200;

/// The environment variable that forces a strategy (`walk` or `pack`), for
/// tests and benchmarks: [`Strategy::choose`] decides otherwise.
pub const STRATEGY_ENV: &str = "VASTLEAKS_RANGE_STRATEGY";

impl Strategy {
    /// `Pack` when the range has more than one commit per
    /// [`OBJECTS_PER_COMMIT`] objects of the repository, unless
    /// [`STRATEGY_ENV`] says otherwise.
    pub fn choose(repo: &gix::Repository, commits: usize) -> Strategy {
        match std::env::var(STRATEGY_ENV).as_deref() {
            Ok("walk") => return Strategy::Walk,
            Ok("pack") => return Strategy::Pack,
            _ => {}
        }
        let objects = repo.objects.packed_object_count().unwrap_or(u64::MAX);
        if (commits as u64).saturating_mul(OBJECTS_PER_COMMIT) > objects {
            Strategy::Pack
        } else {
            Strategy::Walk
        }
    }
}

/// The range's commits, oldest first (so a blob is credited to the first
/// commit introducing it). A walk that stops early is a problem; a range
/// that cannot be resolved at all is an error.
pub(super) fn commits(
    repo: &gix::Repository,
    range: &Range,
    problem: &mut dyn FnMut(Problem),
) -> anyhow::Result<Vec<ObjectId>> {
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
    Ok(commits)
}

/// The parents' trees of `commit` as the range compares with them: `[None]`
/// (everything is new) for a root commit and when a parent is missing
/// locally (beyond a shallow boundary). The flag says the latter.
pub(super) fn parent_trees(
    repo: &gix::Repository,
    commit: &gix::Commit<'_>,
) -> (Vec<Option<ObjectId>>, bool) {
    let parents: Vec<ObjectId> = commit.parent_ids().map(|p| p.detach()).collect();
    let trees: Vec<Option<ObjectId>> = parents
        .iter()
        .map(|parent| {
            repo.find_commit(*parent)
                .ok()
                .and_then(|c| c.tree_id().ok().map(|t| t.detach()))
        })
        .collect();
    if trees.is_empty() || trees.iter().any(Option::is_none) {
        return (vec![None], !parents.is_empty());
    }
    (trees, false)
}

/// Diffs each of `commits` (oldest first) against every parent. Damage is
/// reported through `problem`.
fn walk(
    repo: &gix::Repository,
    range: &Range,
    commits: &[ObjectId],
    bar: &indicatif::ProgressBar,
    problem: &mut dyn FnMut(Problem),
) -> Walked {
    let label = range.label();
    let mut walked = Walked {
        commits: commits.len(),
        introduced: HashMap::new(),
        order: Vec::new(),
        messages: Vec::new(),
        parentless: 0,
    };
    for id in commits {
        bar.inc(1);
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
        let (parent_trees, parentless) = parent_trees(repo, &commit);
        walked.parentless += usize::from(parentless);
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
    walked
}

/// The objects a scan of `range` would need and the repository lacks: trees
/// the walk could not read, then blobs the range introduced that are not
/// here. What a partial clone must fetch for the scan to be complete; reads
/// commits and trees, never blobs.
pub fn missing_objects(repo: &mut gix::Repository, range: &Range) -> anyhow::Result<Vec<ObjectId>> {
    super::tune_for_random_reads(repo);
    let repo = &*repo;
    let mut missing = Vec::new();
    let mut problem = |p: Problem| missing.extend(p.object());
    let commits = commits(repo, range, &mut problem)?;
    let hidden = indicatif::ProgressBar::hidden();
    let walked = walk(repo, range, &commits, &hidden, &mut problem);
    missing.extend(walked.order.iter().filter(|id| !repo.has_object(id)));
    missing.sort();
    missing.dedup();
    Ok(missing)
}

/// Scans the blobs and messages introduced by the range, by the cheaper
/// [`Strategy`].
pub fn scan(
    repo: &mut gix::Repository,
    range: &Range,
    request: &Request,
    scanner: &Scanner,
    collector: &Collector,
) -> anyhow::Result<Outcome> {
    super::tune_for_random_reads(repo);
    let repo = &*repo;
    let mut problem = |p: Problem| collector.add_problem(p);
    let commits = commits(repo, range, &mut problem)?;
    let mut notes = Vec::new();
    if Strategy::choose(repo, commits.len()) == Strategy::Pack {
        let pack = super::range_pack::scan(repo, range, &commits, request, scanner, collector)?;
        match pack {
            super::range_pack::Scanned::Done(outcome) => return Ok(outcome),
            super::range_pack::Scanned::Walk(why) => notes.push(format!(
                "range {}: {why}; the range's commits were diffed one by one instead",
                range.label()
            )),
        }
    }

    let bar = super::audit::progress_bar_of(request.progress, commits.len() as u64, "commits");
    let Walked {
        commits,
        introduced,
        order,
        messages,
        parentless,
    } = walk(repo, range, &commits, &bar, &mut problem);
    bar.finish_and_clear();
    if parentless > 0 {
        notes.push(parentless_note(parentless));
    }
    notes.push(format!(
        "range {}: {commits} commit(s), {} new blob(s)",
        range.label(),
        order.len()
    ));
    let bar = super::audit::progress_bar_of(
        request.progress,
        (order.len() + messages.len()) as u64,
        "new blobs and messages",
    );
    let targets: Vec<(ObjectId, ObjectId, &str)> = order
        .iter()
        .filter_map(|blob| {
            let (commit, path) = introduced.get(blob)?;
            Some((*blob, *commit, path.as_str()))
        })
        .collect();
    read(repo, &targets, &messages, request, scanner, collector, &bar)?;
    bar.finish_and_clear();
    Ok(Outcome {
        introduced,
        order,
        notes,
    })
}

/// The note for commits whose parents are missing locally.
pub(super) fn parentless_note(parentless: usize) -> String {
    format!(
        "{parentless} commit(s) in the range have parents missing locally (shallow clone); their whole tree was scanned"
    )
}

/// Scans `blobs` (blob, introducing commit, path) by id with their paths
/// and the messages of `messages`, on all cores, counting each on `bar`.
pub(super) fn read(
    repo: &gix::Repository,
    blobs: &[(ObjectId, ObjectId, &str)],
    messages: &[ObjectId],
    request: &Request,
    scanner: &Scanner,
    collector: &Collector,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<()> {
    let sync = repo.clone().into_sync();
    let max = request.max_file_size;
    let thread_repo = || {
        let mut repo = sync.to_thread_local();
        super::tune_for_random_reads(&mut repo);
        repo
    };
    super::in_pool(request.jobs, || {
        blobs
            .par_iter()
            .for_each_init(thread_repo, |repo, (blob, commit, path)| {
                scan_blob(repo, *blob, *commit, path, max, scanner, collector);
                bar.inc(1);
            });
        messages.par_iter().for_each_init(thread_repo, |repo, id| {
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
            bar.inc(1);
        });
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
