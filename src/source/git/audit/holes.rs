//! Holes in the history: objects that trees or commits name and the
//! repository does not have. Nothing reads a missing object, so without
//! these checks a key in it would pass unseen.

use gix::ObjectId;

use crate::scan::{Collector, ProblemKind};
use crate::source::git::{object_problem, CommitMeta};

/// Reports each missing object once, with one tree that references it. In a
/// partial clone too: a blob that was never fetched was not scanned, and a
/// key in it would pass unseen, so it is a hole like any other (the session
/// adds one problem saying how to fetch them).
pub fn report_missing(
    mut missing: Vec<(ObjectId, ObjectId, String)>,
    collector: &Collector,
) -> usize {
    missing.sort();
    missing.dedup_by(|a, b| a.0 == b.0);
    let count = missing.len();
    for (object, tree, name) in missing {
        collector.add_problem(object_problem(
            ProblemKind::Error,
            &object,
            format!("missing object (referenced by tree {tree} as {name:?}); not scanned"),
        ));
    }
    count
}

/// A commit whose tree or parent is missing is a damaged history: report it
/// (the boundary commits of a shallow clone are expected to lack parents).
pub fn check_commit_links(repo: &gix::Repository, commits: &[CommitMeta], collector: &Collector) {
    let shallow: Vec<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|c| c.iter().copied().collect())
        .unwrap_or_default();
    for commit in commits {
        if !repo.has_object(commit.tree) {
            collector.add_problem(object_problem(
                ProblemKind::Error,
                &commit.tree,
                format!("missing tree of commit {}", commit.id),
            ));
        }
        if shallow.contains(&commit.id) {
            continue;
        }
        for parent in &commit.parents {
            if !repo.has_object(parent) {
                collector.add_problem(object_problem(
                    ProblemKind::Error,
                    parent,
                    format!("missing parent commit of {}", commit.id),
                ));
            }
        }
    }
}
