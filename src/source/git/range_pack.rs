//! Large commit ranges, read in pack order.
//!
//! Diffing every commit of a range reads its trees by id, along delta
//! chains: on git/git about 0.6 ms a commit, so 20,000 commits cost 20 times
//! the full-history audit, which decodes every object once in pack order
//! ([`super::audit`]). For a range that large this module gets the same
//! answer another way:
//!
//! 1. Read the whole object database as the audit does, into a collector of
//!    its own, recording tree -> subtree links.
//! 2. The blobs that matter are the candidates: blobs with a finding, blobs
//!    over --max-file-size and objects that trees name but the repository
//!    lacks. Every other blob cannot change the range's report, whether the
//!    range introduced it or not.
//! 3. For each commit of the range (oldest first, as the walk goes), find
//!    the candidates in its tree and in its parents' trees, by path: a
//!    candidate at a path where no parent has it is introduced there, exactly
//!    what [`super::range`]'s diff decides. Only trees that contain a
//!    candidate are read (known from the links when the candidates are all
//!    missing objects, the common case of a clean history; otherwise every
//!    tree of the range is read once by id, still fewer reads than the
//!    walk's).
//! 4. Scan the introduced candidates by id under the path that introduced
//!    them, and the range's commit messages, as the walk does.
//!
//! Findings, attribution, skipped blobs and missing blobs are the walk's.
//! Where this reasoning does not hold the range is walked instead: a
//! `--rules` path rule (it may match a whole path, which step 1 does not
//! see), damage other than missing objects, a tree over --max-file-size.
//! What the walk would count as new blobs is not known here, so the note
//! gives the objects read instead.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::audit;
use super::range::{self, Outcome};
use super::tree::Containment;
use super::{object_problem, Range, Request};
use crate::scan::{Collector, GitObject, Problem, ProblemKind, Scanner};

/// What [`scan`] did.
pub enum Scanned {
    Done(Outcome),
    /// The range must be walked; why, for a note. Nothing was reported.
    Walk(String),
}

/// Scans `commits` (the range's, oldest first) by reading the object
/// database in pack order.
pub fn scan(
    repo: &gix::Repository,
    range: &Range,
    commits: &[ObjectId],
    request: &Request,
    scanner: &Scanner,
    collector: &Collector,
) -> anyhow::Result<Scanned> {
    let matcher = scanner.matcher();
    if matcher.has_path_rules() && !matcher.path_rules_need_keyword() {
        return Ok(Scanned::Walk(
            "a --rules path rule may match whole paths, which only the walk sees".into(),
        ));
    }
    let local = Collector::default();
    let sync = repo.clone().into_sync();
    let pass = audit::scan_with(
        &sync,
        request,
        scanner,
        &local,
        audit::Hooks { edges: true },
    )?;
    let parts = local.into_parts();

    let missing: HashSet<ObjectId> = pass.missing.iter().map(|(o, _)| *o).collect();
    let mut found: HashSet<ObjectId> = (parts.object_hits.iter())
        .filter_map(|hit| match hit.object {
            GitObject::Blob(id) => Some(id),
            _ => None,
        })
        .collect();
    for problem in &parts.problems {
        match (problem.kind, problem.object()) {
            (ProblemKind::Skipped, Some(id)) => {
                let blob = repo
                    .find_header(id)
                    .is_ok_and(|h| h.kind() == gix::object::Kind::Blob);
                if !blob {
                    return Ok(Scanned::Walk(format!(
                        "object {id}, not a blob, is over --max-file-size"
                    )));
                }
                found.insert(id);
            }
            (ProblemKind::Error, Some(id)) if missing.contains(&id) => {}
            _ => {
                return Ok(Scanned::Walk(
                    "reading the object database in pack order reported damage".into(),
                ))
            }
        }
    }

    // Which trees can hold a candidate: when the candidates are only missing
    // objects, the trees naming them and every tree above those.
    let mut links = pass.links;
    let only = match links.as_mut() {
        Some(links) if found.is_empty() => {
            let seeds: Vec<u32> = (pass.missing.iter())
                .filter_map(|(_, tree)| links.position(tree))
                .collect();
            let trees = above(seeds, &mut links.edges);
            links.edges = Vec::new();
            Some((&*links, trees))
        }
        _ => None,
    };
    let mut targets: Vec<ObjectId> = found.into_iter().chain(missing.iter().copied()).collect();
    targets.sort();
    targets.dedup();
    let mut containment = Containment::new(repo, &targets);
    if let Some((links, trees)) = only {
        // A missing object named as a tree is read (and reported) too.
        containment = containment.skipping(move |tree| {
            !missing.contains(tree) && links.position(tree).is_none_or(|p| !trees.contains(&p))
        });
    }

    let bar = audit::progress_bar_of(request.progress, commits.len() as u64, "commits");
    let label = range.label();
    let mut introduced: HashMap<ObjectId, (ObjectId, String)> = HashMap::new();
    let mut order = Vec::new();
    let mut messages = Vec::new();
    let mut parentless = 0;
    let mut damage: Option<Problem> = None;
    for id in commits {
        bar.inc(1);
        let commit = match repo.find_commit(*id) {
            Ok(commit) => commit,
            Err(err) => {
                collector.add_problem(object_problem(
                    ProblemKind::Error,
                    id,
                    format!("unreadable commit in {label}: {}", super::describe(&err)),
                ));
                continue;
            }
        };
        messages.push(*id);
        let Ok(tree) = commit.tree_id().map(|t| t.detach()) else {
            collector.add_problem(object_problem(
                ProblemKind::Error,
                id,
                "commit without a readable tree",
            ));
            continue;
        };
        let (parent_trees, shallow) = range::parent_trees(repo, &commit);
        parentless += usize::from(shallow);
        let mut note = |p: Problem| {
            damage.get_or_insert(p);
        };
        let hits = containment.hits(tree, id, &mut note);
        if hits.is_empty() {
            continue;
        }
        let before: Vec<_> = (parent_trees.into_iter())
            .map(|parent| parent.map(|tree| containment.hits(tree, id, &mut note)))
            .collect();
        for (target, path) in hits.iter() {
            // New at this path against every parent (as the walk's diff).
            let new = before.iter().all(|parent| {
                (parent.as_ref())
                    .is_none_or(|hits| !hits.iter().any(|(t, p)| t == target && p == path))
            });
            if new {
                let blob = targets[*target as usize];
                introduced.entry(blob).or_insert_with(|| {
                    order.push(blob);
                    (*id, path.clone())
                });
            }
        }
    }
    bar.finish_and_clear();
    if damage.is_some() {
        // The walk reports damage in its own words, with its paths.
        return Ok(Scanned::Walk("a tree of the range cannot be read".into()));
    }

    // What the pass read counts as scanned; the second look at the
    // introduced candidates (with their paths) does not.
    collector.merge(crate::scan::ScanParts {
        findings: Vec::new(),
        object_hits: Vec::new(),
        problems: Vec::new(),
        ..parts
    });
    let blobs: Vec<(ObjectId, ObjectId, &str)> = order
        .iter()
        .filter_map(|blob| {
            let (commit, path) = introduced.get(blob)?;
            Some((*blob, *commit, path.as_str()))
        })
        .collect();
    let bar = audit::progress_bar_of(
        request.progress,
        (blobs.len() + messages.len()) as u64,
        "messages and candidate blobs",
    );
    let again = Collector::default();
    range::read(repo, &blobs, &messages, request, scanner, &again, &bar)?;
    bar.finish_and_clear();
    let again = again.into_parts();
    collector.merge(crate::scan::ScanParts {
        scanned: 0,
        bytes: 0,
        ..again
    });

    let mut notes = Vec::new();
    if parentless > 0 {
        notes.push(range::parentless_note(parentless));
    }
    notes.push(format!(
        "range {label}: {} commit(s); a large range, so every object of the repository was read in pack order ({})",
        commits.len(),
        crate::wording::plural(pass.objects, "object")
    ));
    Ok(Scanned::Done(Outcome {
        introduced,
        order,
        notes,
    }))
}

/// The trees in `seeds` and every tree above them through `edges`
/// ((subtree, tree) links), by [`audit::Links::position`].
fn above(seeds: Vec<u32>, edges: &mut [(u32, u32)]) -> HashSet<u32> {
    edges.sort_unstable();
    let mut seen: HashSet<u32> = HashSet::new();
    let mut todo = seeds;
    while let Some(tree) = todo.pop() {
        if !seen.insert(tree) {
            continue;
        }
        let start = edges.partition_point(|(child, _)| *child < tree);
        todo.extend(
            edges[start..]
                .iter()
                .take_while(|(child, _)| *child == tree)
                .map(|(_, parent)| *parent),
        );
    }
    seen
}
