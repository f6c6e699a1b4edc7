//! What a CI run must scan, decided from the triggering event, and the git
//! work that makes the answer trustworthy in a shallow checkout.
//!
//! The rules (issue 5):
//! - pull request: the commits from the merge base of `base.sha` and
//!   `head.sha` to `head.sha`, all of them (no API page limit: git computes it);
//! - push: `before..after`; a new branch (`before` all zeros): the commits not
//!   reachable from the default branch or any other remote branch; a force
//!   push whose `before` is gone: from the merge base with the default branch;
//!   a deleted branch: nothing;
//! - schedule, workflow_dispatch (and events without commits): full history.
//!
//! A shallow checkout cuts history at "shallow" commits that git treats as
//! parentless, so `git rev-list before..after` can quietly stop early. The
//! invariant checked here: **no commit in the chosen set is a shallow
//! boundary**. Until it holds, missing history is fetched (`--deepen`, then
//! `--unshallow`); if fetching fails the run fails with the `fetch-depth: 0`
//! fix. A scan never silently covers less than the event asks for.

use std::collections::HashSet;
use std::fmt;

use anyhow::{bail, Context};

use super::event::Request;
use crate::gitcli::Git;
use crate::wording::short;

/// The fix printed when history is missing and cannot be fetched.
pub const FETCH_DEPTH_FIX: &str =
    "check out the full history: in the workflow, give actions/checkout `with: fetch-depth: 0`";

/// Deepening steps (commits) tried before fetching everything.
const DEEPEN_STEPS: [u32; 2] = [50, 1000];

/// Which scan the event calls for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Nothing to scan (a deleted branch), and why.
    Nothing { reason: String },
    /// Every object in the repository.
    Full { reason: String },
    /// Exactly these commits: reachable from `tips`, not from `excludes`.
    Commits {
        /// Commits whose ancestry is scanned.
        tips: Vec<String>,
        /// Commits whose ancestry is not (merge bases, `before`, other branches).
        excludes: Vec<String>,
        /// The resulting set, newest first (`git rev-list` order).
        commits: Vec<String>,
        /// One line for the summary: what the event was and what was chosen.
        reason: String,
    },
}

impl Plan {
    pub fn reason(&self) -> &str {
        match self {
            Plan::Nothing { reason } | Plan::Full { reason } => reason,
            Plan::Commits { reason, .. } => reason,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

/// Turns a request into a plan, fetching missing history when the checkout
/// is shallow or lacks a commit the event names.
pub struct Planner<'a> {
    pub git: &'a Git,
    pub remote: &'a str,
    /// Lines describing what was fetched, for the summary.
    pub fetched: Vec<String>,
}

impl<'a> Planner<'a> {
    pub fn new(git: &'a Git, remote: &'a str) -> Planner<'a> {
        Planner {
            git,
            remote,
            fetched: Vec::new(),
        }
    }

    pub fn plan(&mut self, request: &Request) -> anyhow::Result<Plan> {
        match request {
            Request::Nothing { reason } => Ok(Plan::Nothing {
                reason: reason.clone(),
            }),
            Request::Full { reason } => {
                if self.is_shallow()? {
                    self.fetch(
                        &["--unshallow"],
                        &[],
                        "a full history audit needs all history",
                    )?;
                }
                Ok(Plan::Full {
                    reason: reason.clone(),
                })
            }
            Request::PullRequest { base, head, what } => {
                self.ensure_commit(base)?;
                self.ensure_commit(head)?;
                let bases = self.merge_bases(base, head)?;
                let reason = format!(
                    "{what}: commits from the merge base {} to {}",
                    bases
                        .first()
                        .map_or("(none: unrelated histories)", |b| short(b)),
                    short(head)
                );
                self.commits(vec![head.clone()], bases, reason)
            }
            Request::Push {
                git_ref,
                before,
                after,
                default_branch,
            } => {
                self.ensure_commit(after)?;
                if self.try_ensure_commit(before)? {
                    let reason = format!(
                        "push to {git_ref}: commits {}..{}",
                        short(before),
                        short(after)
                    );
                    return self.commits(vec![after.clone()], vec![before.clone()], reason);
                }
                // A force push whose `before` no longer exists anywhere.
                let default = self.default_branch(default_branch.as_deref())?;
                if branch_name(git_ref) == Some(default.name.as_str()) {
                    let reason = format!(
                        "force push to the default branch {git_ref}: its previous tip {} is gone, so all history of {} is scanned",
                        short(before),
                        short(after)
                    );
                    return self.commits(vec![after.clone()], Vec::new(), reason);
                }
                let bases = self.merge_bases(&default.commit, after)?;
                let reason = format!(
                    "force push to {git_ref}: its previous tip {} is gone, so commits from the merge base with {} ({}) to {}",
                    short(before),
                    default.name,
                    bases.first().map_or("none", |b| short(b)),
                    short(after)
                );
                self.commits(vec![after.clone()], bases, reason)
            }
            Request::NewRef {
                git_ref,
                after,
                default_branch,
            } => {
                self.ensure_commit(after)?;
                let default_name = self.default_branch_name(default_branch.as_deref())?;
                let mut excludes = self.other_remote_branches(git_ref)?;
                let reason = if branch_name(git_ref) == Some(default_name.as_str()) {
                    // The first push of the default branch: nothing to
                    // subtract but other branches pushed before it.
                    format!(
                        "new default branch {git_ref}: commits of {} not on any other branch",
                        short(after)
                    )
                } else {
                    let default = self.default_branch(Some(&default_name))?;
                    excludes.push(default.commit.clone());
                    format!(
                        "new {git_ref}: commits of {} not on {} or any other branch",
                        short(after),
                        default.name
                    )
                };
                excludes.sort();
                excludes.dedup();
                self.commits(vec![after.clone()], excludes, reason)
            }
        }
    }

    /// Computes `tips --not excludes`, deepening a shallow checkout until no
    /// commit of the set sits on a shallow boundary.
    fn commits(
        &mut self,
        tips: Vec<String>,
        mut excludes: Vec<String>,
        reason: String,
    ) -> anyhow::Result<Plan> {
        // A pushed branch that was its own base (e.g. `before == after`).
        excludes.retain(|e| !e.is_empty());
        let mut step = 0;
        loop {
            let commits = self.rev_list(&tips, &excludes)?;
            let shallow = self.shallow_commits()?;
            let cut: Vec<&String> = commits.iter().filter(|c| shallow.contains(*c)).collect();
            if cut.is_empty() {
                return Ok(Plan::Commits {
                    tips,
                    excludes,
                    commits,
                    reason,
                });
            }
            let why = format!(
                "commit {} of the range is a shallow-clone boundary (its parents were not fetched)",
                short(cut[0])
            );
            match DEEPEN_STEPS.get(step) {
                Some(depth) => {
                    // Deepen the excluded side too: a shallow `before` or
                    // merge base would otherwise hide ancestors that are not
                    // the range's (more would be scanned, never less).
                    let deepen = format!("--deepen={depth}");
                    let mut wanted = tips.clone();
                    wanted.extend(excludes.iter().cloned());
                    self.fetch(&[deepen.as_str()], &wanted, &why)?;
                }
                None if step == DEEPEN_STEPS.len() => {
                    self.fetch(&["--unshallow"], &[], &why)?;
                }
                None => bail!(
                    "{why}, even after fetching all history from {}; {FETCH_DEPTH_FIX}",
                    self.remote
                ),
            }
            step += 1;
        }
    }

    fn rev_list(&self, tips: &[String], excludes: &[String]) -> anyhow::Result<Vec<String>> {
        let mut args = vec!["rev-list".to_string(), "--end-of-options".to_string()];
        args.extend(tips.iter().cloned());
        // `^X`, not `--not X`: after --end-of-options nothing is an option.
        args.extend(excludes.iter().map(|e| format!("^{e}")));
        self.git.words(&args)
    }

    /// All merge bases (criss-cross merges have several); fetches history
    /// while a shallow checkout hides them.
    fn merge_bases(&mut self, a: &str, b: &str) -> anyhow::Result<Vec<String>> {
        let mut step = 0;
        loop {
            let output = self
                .git
                .output(["merge-base", "--all", "--end-of-options", a, b])?;
            if output.status.success() {
                return Ok(String::from_utf8_lossy(&output.stdout)
                    .split_whitespace()
                    .map(str::to_string)
                    .collect());
            }
            if !self.is_shallow()? {
                // Exit 1 without output: unrelated histories, so no base and
                // every commit of `b` counts. Anything else is git failing.
                if output.status.code() == Some(1) {
                    return Ok(Vec::new());
                }
                bail!(
                    "`git merge-base --all {a} {b}` failed: {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
            }
            let why = format!(
                "the merge base of {} and {} is beyond the shallow checkout",
                short(a),
                short(b)
            );
            let tips = [a.to_string(), b.to_string()];
            match DEEPEN_STEPS.get(step) {
                Some(depth) => {
                    let deepen = format!("--deepen={depth}");
                    self.fetch(&[deepen.as_str()], &tips, &why)?;
                }
                None => self.fetch(&["--unshallow"], &tips, &why)?,
            }
            step += 1;
        }
    }

    fn is_shallow(&self) -> anyhow::Result<bool> {
        Ok(self.git.run(["rev-parse", "--is-shallow-repository"])? == "true")
    }

    fn shallow_commits(&self) -> anyhow::Result<HashSet<String>> {
        let path = self.git.run(["rev-parse", "--git-path", "shallow"])?;
        let path = self.git.dir().join(path);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text.split_whitespace().map(str::to_string).collect()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(HashSet::new()),
            Err(err) => Err(err).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    fn has_commit(&self, sha: &str) -> anyhow::Result<bool> {
        self.git.succeeds([
            "cat-file",
            "-e",
            "--end-of-options",
            &format!("{sha}^{{commit}}"),
        ])
    }

    /// Makes sure `sha` is present, fetching it by id if needed.
    fn ensure_commit(&mut self, sha: &str) -> anyhow::Result<()> {
        if !self.try_ensure_commit(sha)? {
            bail!(
                "commit {sha} named by the event is not in the checkout and `git fetch {} {sha}` could not get it; {FETCH_DEPTH_FIX}",
                self.remote
            );
        }
        Ok(())
    }

    /// Like [`Planner::ensure_commit`] but reports absence instead of failing
    /// (a force-pushed `before` may be gone for good).
    fn try_ensure_commit(&mut self, sha: &str) -> anyhow::Result<bool> {
        if self.has_commit(sha)? {
            return Ok(true);
        }
        // In a shallow checkout fetch only the commit itself: fetching it
        // whole would pull its entire history (a full clone's worth). The
        // range loop then deepens it together with the tips as needed.
        let mut options = vec!["--quiet", "--no-tags"];
        if self.is_shallow()? {
            options.push("--depth=1");
        }
        let fetched = self.git.fetch(self.remote, &options, &[sha.to_string()])?;
        if fetched.ok && self.has_commit(sha)? {
            self.fetched
                .push(format!("fetched {} from {}", short(sha), self.remote));
            return Ok(true);
        }
        Ok(false)
    }

    /// `git fetch --no-tags REMOTE [options] [tips]`, or the fetch-depth fix.
    fn fetch(&mut self, options: &[&str], tips: &[String], why: &str) -> anyhow::Result<()> {
        let mut all = vec!["--quiet", "--no-tags"];
        all.extend_from_slice(options);
        let fetched = self.git.fetch(self.remote, &all, tips)?;
        if !fetched.ok {
            bail!(
                "{why}, and `{}` failed: {}; {FETCH_DEPTH_FIX}",
                fetched.command,
                fetched.stderr
            );
        }
        self.fetched.push(format!(
            "shallow checkout: ran `{}` because {why}",
            fetched.command
        ));
        Ok(())
    }

    /// The default branch's name: from the event, else `REMOTE/HEAD`.
    fn default_branch_name(&self, name: Option<&str>) -> anyhow::Result<String> {
        let remote = self.remote;
        match name {
            Some(name) => Ok(name.to_string()),
            None => {
                let head = self
                    .git
                    .run([
                        "symbolic-ref",
                        "--short",
                        "--end-of-options",
                        &format!("refs/remotes/{remote}/HEAD"),
                    ])
                    .with_context(|| {
                        format!("the event does not name the default branch and refs/remotes/{remote}/HEAD is not set; run `git remote set-head {remote} --auto`")
                    })?;
                Ok(head
                    .strip_prefix(&format!("{remote}/"))
                    .unwrap_or(&head)
                    .to_string())
            }
        }
    }

    /// The default branch's name and tip (the remote-tracking ref, fetched
    /// if the checkout lacks it).
    fn default_branch(&mut self, name: Option<&str>) -> anyhow::Result<Branch> {
        let remote = self.remote;
        let name = self.default_branch_name(name)?;
        let tracking = format!("refs/remotes/{remote}/{name}");

        let commit_of = |git: &Git| {
            git.output([
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &format!("{tracking}^{{commit}}"),
            ])
            .map(|o| {
                o.status
                    .success()
                    .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
            })
        };
        if let Some(commit) = commit_of(self.git)? {
            return Ok(Branch { name, commit });
        }
        let refspec = format!("+refs/heads/{name}:{tracking}");
        // Shallow: only its tip; the range loop deepens it as needed.
        let depth: &[&str] = if self.is_shallow()? {
            &["--depth=1"]
        } else {
            &[]
        };
        self.fetch(
            depth,
            &[refspec],
            &format!("the default branch {name} is not in the checkout"),
        )?;
        match commit_of(self.git)? {
            Some(commit) => Ok(Branch { name, commit }),
            None => bail!(
                "the default branch {name} could not be fetched from {remote}; {FETCH_DEPTH_FIX}"
            ),
        }
    }

    /// Tips of the remote branches other than the pushed one.
    fn other_remote_branches(&self, git_ref: &str) -> anyhow::Result<Vec<String>> {
        let remote = self.remote;
        let prefix = format!("refs/remotes/{remote}/");
        let own = branch_name(git_ref).map(|b| format!("{prefix}{b}"));
        let listing = self.git.run([
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            "--end-of-options",
            &prefix,
        ])?;
        let mut tips = Vec::new();
        for line in listing.lines() {
            let Some((id, name)) = line.split_once(' ') else {
                continue;
            };
            if Some(name) == own.as_deref() || name == format!("{prefix}HEAD") {
                continue;
            }
            tips.push(id.to_string());
        }
        Ok(tips)
    }
}

struct Branch {
    name: String,
    commit: String,
}

/// `refs/heads/x` -> `x`; tags and other refs are not branches.
fn branch_name(git_ref: &str) -> Option<&str> {
    git_ref.strip_prefix("refs/heads/")
}
