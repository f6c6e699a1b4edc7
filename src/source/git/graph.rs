//! The commit graph the audit collected, for attribution: generation
//! numbers (so an ancestor wins a tie in commit time) and which refs reach a
//! commit (by walking its descendants).

use std::collections::{HashMap, HashSet, VecDeque};

use gix::ObjectId;

use super::refs::RefTip;
use super::CommitMeta;

/// The commit graph of every commit the audit saw.
pub struct Graph<'a> {
    commits: &'a [CommitMeta],
    pub index: HashMap<ObjectId, u32>,
}

impl<'a> Graph<'a> {
    pub fn new(commits: &'a [CommitMeta]) -> Self {
        let index = commits
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i as u32))
            .collect();
        Graph { commits, index }
    }

    pub fn parents(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.commits[i]
            .parents
            .iter()
            .filter_map(|p| self.index.get(p).map(|&i| i as usize))
    }

    /// Generation numbers (1 + the largest parent's), so ancestors sort first.
    pub fn generations(&self) -> Vec<u32> {
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

    pub fn children(&self) -> Vec<Vec<u32>> {
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
pub fn reaching_refs(
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
