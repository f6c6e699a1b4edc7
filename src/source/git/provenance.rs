//! Attribution, done after the scan and only for objects that had hits:
//! which commit first introduced a blob and at which path, who wrote it and
//! when, which refs reach that commit (or none: unreachable), and whether the
//! key is still in the tree at HEAD. This is where a hit in an object
//! becomes a finding: its [`Origin`] is made here, whole, in one go.
//!
//! "Introduced by commit C" means the blob is somewhere in C's tree and in
//! none of its parents' trees. That covers merges whose conflict resolution
//! created the blob, and root commits. Among all introducing commits the
//! earliest (committer time, then generation so an ancestor wins a tie) is
//! the first. Trees are visited once per distinct tree id, so a history of
//! any length costs one pass over its distinct trees.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use super::graph::{reaching_refs, Graph};
use super::tree::Containment;
use super::{describe_commit, CommitMeta};
use crate::finding::{BlobOrigin, CommitInfo, CommitOrigin, Finding, Origin, Reach, TagOrigin};
use crate::key::Fingerprint;
use crate::scan::{GitObject, ObjectHit, Problem, ProblemKind, Subject};

/// Distinct blob ids among the hits, in a stable order.
fn hit_blobs(hits: &[ObjectHit]) -> Vec<ObjectId> {
    let mut ids: Vec<ObjectId> = hits
        .iter()
        .filter_map(|h| match h.object {
            GitObject::Blob(id) => Some(id),
            _ => None,
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Fingerprints of keys in blobs that are in `head_tree`.
fn keys_at_head(
    head_tree: Option<(ObjectId, ObjectId)>,
    targets: &[ObjectId],
    hits: &[ObjectHit],
    containment: &mut Containment<'_>,
    problem: &mut dyn FnMut(Problem),
) -> Option<HashSet<Fingerprint>> {
    let (commit, tree) = head_tree?;
    let found = containment.hits(tree, &commit, problem);
    let at_head: HashSet<ObjectId> = found.iter().map(|(t, _)| targets[*t as usize]).collect();
    Some(
        hits.iter()
            .filter(|h| matches!(h.object, GitObject::Blob(id) if at_head.contains(&id)))
            .map(|h| h.hit.fingerprint.clone())
            .collect(),
    )
}

/// HEAD's commit and tree, if HEAD points at a commit.
fn head_tree(repo: &gix::Repository) -> Option<(ObjectId, ObjectId)> {
    let commit = repo.head_commit().ok()?;
    let tree = commit.tree_id().ok()?.detach();
    Some((commit.id, tree))
}

/// Commits described once each, however many findings they introduced.
struct Described<'r> {
    repo: &'r gix::Repository,
    cache: HashMap<ObjectId, CommitInfo>,
}

impl<'r> Described<'r> {
    fn new(repo: &'r gix::Repository) -> Self {
        Described {
            repo,
            cache: HashMap::new(),
        }
    }

    fn get(&mut self, id: ObjectId) -> CommitInfo {
        self.cache
            .entry(id)
            .or_insert_with(|| describe_commit(self.repo, id))
            .clone()
    }
}

/// A handle tuned for reading every tree once: see [`super::tune_for_random_reads`].
fn tree_reader(repo: &gix::Repository) -> gix::Repository {
    let mut repo = repo.clone();
    super::tune_for_random_reads(&mut repo);
    repo
}

/// Index paths of `blobs` that the index references (staged, never committed).
fn staged_paths(repo: &gix::Repository, blobs: &[ObjectId]) -> HashMap<ObjectId, String> {
    let mut out = HashMap::new();
    if blobs.is_empty() || repo.is_bare() || !repo.index_path().exists() {
        return out;
    }
    let Ok(index) = repo.open_index() else {
        return out;
    };
    for entry in index.entries() {
        if blobs.contains(&entry.id) {
            out.entry(entry.id)
                .or_insert_with(|| entry.path(&index).to_string());
        }
    }
    out
}

/// Makes the findings of the full-history audit: each hit with its
/// attributed origin. Also returns when each attributed blob was introduced.
pub fn attribute_audit(
    repo: &gix::Repository,
    commits: &[CommitMeta],
    hits: Vec<ObjectHit>,
    mut problem: impl FnMut(Problem),
) -> (Vec<Finding>, Ranks) {
    if hits.is_empty() {
        return (Vec::new(), Ranks::new());
    }
    let targets = hit_blobs(&hits);
    let graph = Graph::new(commits);
    let generations = graph.generations();
    let tree_repo = tree_reader(repo);
    let mut containment = Containment::new(&tree_repo, &targets);

    // For each target: (time, generation, commit index, path) of the best
    // introducing commit so far.
    let mut first: Vec<Option<(i64, u32, usize, String)>> = vec![None; targets.len()];
    if !targets.is_empty() {
        // Oldest first: consecutive trees are deltas of each other, so their
        // bases stay in the pack cache.
        let mut order: Vec<usize> = (0..commits.len()).collect();
        order.sort_by_key(|&i| (commits[i].time, generations[i]));
        for i in order {
            let commit = &commits[i];
            let found = containment.hits(commit.tree, &commit.id, &mut problem);
            if found.is_empty() {
                continue;
            }
            let mut in_parents: HashSet<u32> = HashSet::new();
            for parent in graph.parents(i).collect::<Vec<_>>() {
                let parent = &commits[parent];
                let parent_hits = containment.hits(parent.tree, &parent.id, &mut problem);
                in_parents.extend(parent_hits.iter().map(|(t, _)| *t));
            }
            for (target, path) in found.iter() {
                if in_parents.contains(target) {
                    continue;
                }
                let candidate = (commit.time, generations[i], i, path.clone());
                let slot = &mut first[*target as usize];
                let better = match slot {
                    None => true,
                    Some(best) => {
                        (candidate.0, candidate.1, &candidate.3) < (best.0, best.1, &best.3)
                    }
                };
                if better {
                    *slot = Some(candidate);
                }
            }
        }
    }

    let at_head = keys_at_head(
        head_tree(repo),
        &targets,
        &hits,
        &mut containment,
        &mut problem,
    );
    let refs = super::refs::read(repo);
    if let Some(err) = &refs.unreadable {
        // gix quotes the bad line: repository content, so no escapes and
        // no key reach the terminal through it.
        let err: String = err
            .chars()
            .take(300)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let err = crate::finding::redact_key_shapes(&err);
        problem(Problem::new(
            Subject::Refs,
            ProblemKind::Error,
            format!(
                "refs unreadable: reachability unknown ({err}); findings no readable ref reaches are marked `reachable: null`, not unreachable; repair the refs (e.g. `packed-refs`) and scan again"
            ),
        ));
    }
    let tips = &refs.tips;
    let children = graph.children();
    let unattributed: Vec<ObjectId> = targets
        .iter()
        .zip(&first)
        .filter(|(_, intro)| intro.is_none())
        .map(|(id, _)| *id)
        .collect();
    let staged = staged_paths(repo, &unattributed);
    let mut reach_cache = HashMap::new();
    let target_index: HashMap<ObjectId, usize> =
        targets.iter().enumerate().map(|(i, id)| (*id, i)).collect();

    let mut described = Described::new(repo);
    let mut findings = Vec::with_capacity(hits.len());
    for ObjectHit { object, hit } in hits {
        let origin = match object {
            GitObject::Blob(blob) => {
                let intro = target_index.get(&blob).and_then(|&t| first[t].as_ref());
                let (introduced_by, names, path) = match intro {
                    Some((_, _, index, intro_path)) => (
                        Some(described.get(commits[*index].id)),
                        reaching_refs(&graph, &children, tips, *index, &mut reach_cache),
                        Some(intro_path.clone()),
                    ),
                    // Staged but never committed: the index keeps it alive.
                    None => match staged.get(&blob) {
                        Some(path) => (None, vec!["index".to_string()], Some(path.clone())),
                        None => (None, Vec::new(), None),
                    },
                };
                Origin::GitBlob(Box::new(BlobOrigin {
                    blob,
                    path,
                    introduced_by,
                    reach: Reach {
                        reachable: refs.reachable(&names),
                        refs: names,
                    },
                    at_head: at_head.as_ref().map(|keys| keys.contains(&hit.fingerprint)),
                }))
            }
            GitObject::Commit(id) => {
                let names = match graph.index.get(&id) {
                    Some(&index) => {
                        reaching_refs(&graph, &children, tips, index as usize, &mut reach_cache)
                    }
                    None => Vec::new(),
                };
                Origin::CommitMessage(Box::new(CommitOrigin {
                    commit: described.get(id),
                    reach: Reach {
                        reachable: refs.reachable(&names),
                        refs: names,
                    },
                }))
            }
            GitObject::Tag(tag) => {
                let names: Vec<String> = tips
                    .iter()
                    .filter(|t| t.direct == Some(tag))
                    .map(|t| t.name.clone())
                    .collect();
                Origin::TagMessage(Box::new(TagOrigin {
                    tag,
                    reach: Reach {
                        reachable: refs.reachable(&names),
                        refs: names,
                    },
                }))
            }
        };
        findings.push(hit.found_in(origin));
    }
    let ranks = targets
        .iter()
        .zip(&first)
        .filter_map(|(id, intro)| {
            intro
                .as_ref()
                .map(|(time, generation, _, _)| (*id, (*time, *generation)))
        })
        .collect();
    (findings, ranks)
}

/// When each attributed blob was introduced: (commit time, generation).
pub type Ranks = HashMap<ObjectId, (i64, u32)>;

/// A key that stays in a file while other lines change is in every later
/// version of that file (every later blob). Reporting each version would
/// bury the one fact that matters (where and when the key first appeared),
/// so findings of the same key at the same path are folded into the
/// earliest-introduced blob. Returns how many findings were folded.
pub fn fold_versions(findings: &mut Vec<Finding>, ranks: &Ranks) -> usize {
    type Group = (Fingerprint, String);
    let rank_of = |id: &ObjectId| ranks.get(id).copied().unwrap_or((i64::MAX, u32::MAX));
    let mut best: HashMap<Group, ObjectId> = HashMap::new();
    for finding in findings.iter() {
        let Some((path, object)) = blob_at_path(finding) else {
            continue;
        };
        let group = (finding.fingerprint.clone(), path.to_string());
        best.entry(group)
            .and_modify(|current| {
                if (rank_of(&object), object) < (rank_of(current), *current) {
                    *current = object;
                }
            })
            .or_insert(object);
    }
    let before = findings.len();
    findings.retain(|finding| {
        let Some((path, object)) = blob_at_path(finding) else {
            return true;
        };
        best.get(&(finding.fingerprint.clone(), path.to_string())) == Some(&object)
    });
    before - findings.len()
}

/// The path and blob of a finding in a blob that has a path.
fn blob_at_path(finding: &Finding) -> Option<(&str, ObjectId)> {
    match &finding.origin {
        Origin::GitBlob(blob) => Some((blob.path.as_deref()?, blob.blob)),
        _ => None,
    }
}

/// Makes the findings of a range scan: the introducing commit is already
/// known from the diffs; the refs are the range's tips. "At HEAD" means the
/// repository's HEAD, as in the audit, not the range's tip: scanning
/// `main..feature` while on main asks whether main still has the key.
pub fn attribute_range(
    repo: &gix::Repository,
    introduced: &HashMap<ObjectId, (ObjectId, String)>,
    tips: &[String],
    hits: Vec<ObjectHit>,
    mut problem: impl FnMut(Problem),
) -> Vec<Finding> {
    if hits.is_empty() {
        return Vec::new();
    }
    let targets = hit_blobs(&hits);
    let mut containment = Containment::new(repo, &targets);
    let at_head = keys_at_head(
        head_tree(repo),
        &targets,
        &hits,
        &mut containment,
        &mut problem,
    );
    // Reachable from the range's tips, by construction.
    let reach = Reach {
        refs: tips.to_vec(),
        reachable: Some(true),
    };
    let mut described = Described::new(repo);
    let mut findings = Vec::with_capacity(hits.len());
    for ObjectHit { object, hit } in hits {
        let origin = match object {
            GitObject::Blob(blob) => {
                let (introduced_by, path) = match introduced.get(&blob) {
                    Some((commit, path)) => (Some(described.get(*commit)), Some(path.clone())),
                    None => (None, None),
                };
                Origin::GitBlob(Box::new(BlobOrigin {
                    blob,
                    path,
                    introduced_by,
                    reach: reach.clone(),
                    at_head: at_head.as_ref().map(|keys| keys.contains(&hit.fingerprint)),
                }))
            }
            GitObject::Commit(id) => Origin::CommitMessage(Box::new(CommitOrigin {
                commit: described.get(id),
                reach: reach.clone(),
            })),
            GitObject::Tag(tag) => Origin::TagMessage(Box::new(TagOrigin {
                tag,
                reach: reach.clone(),
            })),
        };
        findings.push(hit.found_in(origin));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::test_id;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    fn in_blob(blob: ObjectId, path: Option<&str>) -> Finding {
        let mut finding = Finding::for_test(KEY, Origin::test_blob(path, None, None, None), 1, 1);
        if let Origin::GitBlob(origin) = &mut finding.origin {
            origin.blob = blob;
        }
        finding
    }

    #[test]
    fn later_versions_fold_into_the_first_and_other_places_stay() {
        let (old, new, elsewhere) = (test_id('1'), test_id('2'), test_id('3'));
        let ranks: Ranks = [(old, (10, 1)), (new, (20, 2)), (elsewhere, (5, 1))].into();
        let mut findings = vec![
            in_blob(new, Some("a.env")),
            in_blob(old, Some("a.env")),
            in_blob(elsewhere, Some("b.env")),
            // No path (dangling): nothing to fold it into.
            in_blob(test_id('4'), None),
            Finding::in_file(KEY, "a.env", 1, 1),
        ];
        assert_eq!(fold_versions(&mut findings, &ranks), 1);
        let left: Vec<(Option<ObjectId>, String)> = findings
            .iter()
            .map(|f| (f.origin.object(), f.place()))
            .collect();
        assert_eq!(
            left,
            [
                (Some(old), "a.env".to_string()),
                (Some(elsewhere), "b.env".to_string()),
                (Some(test_id('4')), format!("object {}", test_id('4'))),
                (None, "a.env".to_string()),
            ]
        );
    }
}
