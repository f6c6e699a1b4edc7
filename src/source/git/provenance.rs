//! Attribution, done after the scan and only for objects that had findings:
//! which commit first introduced a blob and at which path, who wrote it and
//! when, which refs reach that commit (or none: unreachable), and whether the
//! key is still in the tree at HEAD.
//!
//! "Introduced by commit C" means the blob is somewhere in C's tree and in
//! none of its parents' trees. That covers merges whose conflict resolution
//! created the blob, and root commits. Among all introducing commits the
//! earliest (committer time, then generation so an ancestor wins a tie) is
//! the first. Trees are visited once per distinct tree id, so a history of
//! any length costs one pass over its distinct trees.

use std::collections::{HashMap, HashSet, VecDeque};

use gix::ObjectId;

use super::tree::Containment;
use super::{describe_commit, CommitMeta};
use crate::finding::{Finding, Fingerprint, SourceKind};
use crate::scan::Problem;

/// A ref and what it points at.
struct RefTip {
    name: String,
    /// The object the ref names (a tag object for annotated tags).
    direct: Option<ObjectId>,
    /// Peeled to a non-tag object.
    peeled: Option<ObjectId>,
}

/// Every ref (and a detached HEAD), and why the list may be incomplete.
struct Refs {
    tips: Vec<RefTip>,
    /// Set when some refs could not be read (a corrupt `packed-refs`): a
    /// finding no readable ref reaches may still be reachable, so its
    /// reachability is unknown, not "unreachable".
    unreadable: Option<String>,
}

impl Refs {
    /// Reachability of something these refs (by name) reach.
    fn reachable(&self, names: &[String]) -> Option<bool> {
        if !names.is_empty() {
            Some(true)
        } else if self.unreadable.is_some() {
            None
        } else {
            Some(false)
        }
    }
}

fn refs(repo: &gix::Repository) -> Refs {
    let mut out = Vec::new();
    let mut unreadable = None;
    let iter = repo
        .references()
        .map_err(|err| super::describe(&err))
        .and_then(|platform| {
            // `all()` borrows the platform: collect while it lives.
            let all = platform.all().map_err(|err| super::describe(&err))?;
            Ok(all
                .map(|r| r.map_err(|err| super::describe(&err)))
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

/// The commit graph of every commit the audit saw.
struct Graph<'a> {
    commits: &'a [CommitMeta],
    index: HashMap<ObjectId, u32>,
}

impl<'a> Graph<'a> {
    fn new(commits: &'a [CommitMeta]) -> Self {
        let index = commits
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i as u32))
            .collect();
        Graph { commits, index }
    }

    fn parents(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.commits[i]
            .parents
            .iter()
            .filter_map(|p| self.index.get(p).map(|&i| i as usize))
    }

    /// Generation numbers (1 + the largest parent's), so ancestors sort first.
    fn generations(&self) -> Vec<u32> {
        let n = self.commits.len();
        let mut generation = vec![0u32; n];
        let mut stack = Vec::new();
        for start in 0..n {
            if generation[start] != 0 {
                continue;
            }
            stack.push((start, false));
            while let Some((i, expanded)) = stack.pop() {
                if generation[i] != 0 {
                    continue;
                }
                if expanded {
                    generation[i] = 1 + self.parents(i).map(|p| generation[p]).max().unwrap_or(0);
                } else {
                    stack.push((i, true));
                    stack.extend(
                        self.parents(i)
                            .filter(|&p| generation[p] == 0)
                            .map(|p| (p, false)),
                    );
                }
            }
        }
        generation
    }

    /// Every commit that has `start` in its ancestry (including itself).
    fn descendants(&self, start: usize, children: &[Vec<u32>]) -> HashSet<ObjectId> {
        let mut seen = vec![false; self.commits.len()];
        let mut queue = VecDeque::from([start]);
        seen[start] = true;
        let mut out = HashSet::new();
        while let Some(i) = queue.pop_front() {
            out.insert(self.commits[i].id);
            for &child in &children[i] {
                if !seen[child as usize] {
                    seen[child as usize] = true;
                    queue.push_back(child as usize);
                }
            }
        }
        out
    }

    fn children(&self) -> Vec<Vec<u32>> {
        let mut children = vec![Vec::new(); self.commits.len()];
        for i in 0..self.commits.len() {
            for p in self.parents(i).collect::<Vec<_>>() {
                children[p].push(i as u32);
            }
        }
        children
    }
}

/// Names of refs whose tip has commit `index` in its history.
fn reaching_refs(
    graph: &Graph<'_>,
    children: &[Vec<u32>],
    tips: &[RefTip],
    index: usize,
    cache: &mut HashMap<usize, Vec<String>>,
) -> Vec<String> {
    cache
        .entry(index)
        .or_insert_with(|| {
            let descendants = graph.descendants(index, children);
            let mut names: Vec<String> = tips
                .iter()
                .filter(|t| t.peeled.is_some_and(|id| descendants.contains(&id)))
                .map(|t| t.name.clone())
                .collect();
            names.sort();
            names.dedup();
            names
        })
        .clone()
}

/// Distinct blob ids among the findings, in a stable order.
fn hit_blobs(findings: &[Finding]) -> Vec<ObjectId> {
    let mut ids: Vec<ObjectId> = findings
        .iter()
        .filter(|f| f.location.source == SourceKind::GitBlob)
        .filter_map(|f| f.git.as_ref())
        .filter_map(|g| ObjectId::from_hex(g.object.as_bytes()).ok())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn object_of(finding: &Finding) -> Option<ObjectId> {
    finding
        .git
        .as_ref()
        .and_then(|g| ObjectId::from_hex(g.object.as_bytes()).ok())
}

/// Fingerprints of keys in blobs that are in `head_tree`.
fn keys_at_head(
    repo: &gix::Repository,
    head_tree: Option<(ObjectId, ObjectId)>,
    targets: &[ObjectId],
    findings: &[Finding],
    containment: &mut Containment<'_>,
    problem: &mut dyn FnMut(Problem),
) -> Option<HashSet<Fingerprint>> {
    let (commit, tree) = head_tree?;
    let _ = repo;
    let hits = containment.hits(tree, &commit, problem);
    let at_head: HashSet<ObjectId> = hits.iter().map(|(t, _)| targets[*t as usize]).collect();
    Some(
        findings
            .iter()
            .filter(|f| f.location.source == SourceKind::GitBlob)
            .filter(|f| object_of(f).is_some_and(|id| at_head.contains(&id)))
            .map(|f| f.fingerprint.clone())
            .collect(),
    )
}

/// HEAD's commit and tree, if HEAD points at a commit.
fn head_tree(repo: &gix::Repository) -> Option<(ObjectId, ObjectId)> {
    let commit = repo.head_commit().ok()?;
    let tree = commit.tree_id().ok()?.detach();
    Some((commit.id, tree))
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

/// Attributes findings of the full-history audit.
pub fn attribute_audit(
    repo: &gix::Repository,
    commits: &[CommitMeta],
    findings: &mut [Finding],
    mut problem: impl FnMut(Problem),
) -> Ranks {
    if findings.is_empty() {
        return Ranks::new();
    }
    let targets = hit_blobs(findings);
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
            let hits = containment.hits(commit.tree, &commit.id, &mut problem);
            if hits.is_empty() {
                continue;
            }
            let mut in_parents: HashSet<u32> = HashSet::new();
            for parent in graph.parents(i).collect::<Vec<_>>() {
                let parent = &commits[parent];
                let parent_hits = containment.hits(parent.tree, &parent.id, &mut problem);
                in_parents.extend(parent_hits.iter().map(|(t, _)| *t));
            }
            for (target, path) in hits.iter() {
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
        repo,
        head_tree(repo),
        &targets,
        findings,
        &mut containment,
        &mut problem,
    );
    let refs = refs(repo);
    if let Some(err) = &refs.unreadable {
        // gix quotes the bad line: repository content, so no escapes and
        // no key reach the terminal through it.
        let err: String = err
            .chars()
            .take(300)
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let err = crate::finding::redact_key_shapes(&err);
        problem(Problem {
            path: "refs".to_string(),
            kind: crate::scan::ProblemKind::Error,
            message: format!(
                "refs unreadable: reachability unknown ({err}); findings no readable ref reaches are marked `reachable: null`, not unreachable; repair the refs (e.g. `packed-refs`) and scan again"
            ),
        });
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

    for finding in findings.iter_mut() {
        let Some(object) = object_of(finding) else {
            continue;
        };
        let source = finding.location.source;
        let fingerprint = finding.fingerprint.clone();
        let mut path = None;
        let git = super::ensure_provenance(finding);
        match source {
            SourceKind::GitBlob => {
                let intro = target_index.get(&object).and_then(|&t| first[t].as_ref());
                if let Some((_, _, index, intro_path)) = intro {
                    describe_commit(repo, commits[*index].id, git);
                    git.refs = reaching_refs(&graph, &children, tips, *index, &mut reach_cache);
                    path = Some(intro_path.clone());
                } else if let Some(staged_path) = staged.get(&object) {
                    // Staged but never committed: the index keeps it alive.
                    git.refs = vec!["index".to_string()];
                    path = Some(staged_path.clone());
                }
                git.reachable = refs.reachable(&git.refs);
                git.at_head = at_head.as_ref().map(|keys| keys.contains(&fingerprint));
            }
            SourceKind::GitCommit => {
                describe_commit(repo, object, git);
                if let Some(&index) = graph.index.get(&object) {
                    git.refs =
                        reaching_refs(&graph, &children, tips, index as usize, &mut reach_cache);
                }
                git.reachable = refs.reachable(&git.refs);
            }
            SourceKind::GitTag => {
                git.refs = tips
                    .iter()
                    .filter(|t| t.direct == Some(object))
                    .map(|t| t.name.clone())
                    .collect();
                git.reachable = refs.reachable(&git.refs);
            }
            _ => {}
        }
        if path.is_some() {
            finding.location.path = path;
        }
    }
    targets
        .iter()
        .zip(&first)
        .filter_map(|(id, intro)| {
            intro
                .as_ref()
                .map(|(time, generation, _, _)| (*id, (*time, *generation)))
        })
        .collect()
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
        let (Some(path), Some(object)) = (&finding.location.path, object_of(finding)) else {
            continue;
        };
        if finding.location.source != SourceKind::GitBlob {
            continue;
        }
        let group = (finding.fingerprint.clone(), path.clone());
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
        let (Some(path), Some(object)) = (&finding.location.path, object_of(finding)) else {
            return true;
        };
        finding.location.source != SourceKind::GitBlob
            || best.get(&(finding.fingerprint.clone(), path.clone())) == Some(&object)
    });
    before - findings.len()
}

/// Attributes findings of a range scan: the introducing commit is already
/// known from the diffs; the refs are the range's tips. "At HEAD" means the
/// repository's HEAD, as in the audit, not the range's tip: scanning
/// `main..feature` while on main asks whether main still has the key.
pub fn attribute_range(
    repo: &gix::Repository,
    introduced: &HashMap<ObjectId, (ObjectId, String)>,
    tips: &[String],
    findings: &mut [Finding],
    mut problem: impl FnMut(Problem),
) {
    if findings.is_empty() {
        return;
    }
    let targets = hit_blobs(findings);
    let mut containment = Containment::new(repo, &targets);
    let at_head = keys_at_head(
        repo,
        head_tree(repo),
        &targets,
        findings,
        &mut containment,
        &mut problem,
    );
    for finding in findings.iter_mut() {
        let Some(object) = object_of(finding) else {
            continue;
        };
        let source = finding.location.source;
        let fingerprint = finding.fingerprint.clone();
        let git = super::ensure_provenance(finding);
        git.refs = tips.to_vec();
        // Reachable from the range's tips, by construction.
        git.reachable = Some(true);
        match source {
            SourceKind::GitBlob => {
                if let Some((commit, _)) = introduced.get(&object) {
                    describe_commit(repo, *commit, git);
                }
                git.at_head = at_head.as_ref().map(|keys| keys.contains(&fingerprint));
            }
            SourceKind::GitCommit => describe_commit(repo, object, git),
            _ => {}
        }
    }
}
