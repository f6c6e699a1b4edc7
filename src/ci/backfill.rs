//! `ci github` on a partial clone (actions/checkout with `filter:`): fetch
//! the objects the scan needs into the checkout before scanning.
//!
//! This is the one documented exception to "a scan never writes into the
//! repository it scans": the checkout belongs to the CI run, and the objects
//! arrive the way any git command that needs them would get them (a promisor
//! fetch by id). Without it a key added in one commit and deleted in the
//! next is in a blob the clone never had, and the run would pass. A plain
//! `vastleaks scan` never fetches; it reports each such object as a hole.

use std::path::Path;

use anyhow::bail;
use gix::ObjectId;

use crate::gitcli::Git;
use crate::source::git::{open_repository, range, Range};

/// What the scan will read.
pub enum Scope<'a> {
    /// The blobs a range introduces (and the trees that lead to them).
    Range(&'a Range),
    /// Every object reachable from a ref (the full audit).
    All,
}

/// Rounds of "list what is missing, fetch it": trees fetched in one round
/// (a `tree:0` clone) reveal the blobs the next round fetches.
const MAX_ROUNDS: usize = 4;

/// Fetches what `scope` needs and the clone lacks; returns a note for the
/// summary (`None` when nothing was missing). Objects still missing
/// afterwards (the remote does not have them either) are left for the scan,
/// which reports each one as a hole.
pub fn backfill(
    git: &Git,
    remote: &str,
    repo: &Path,
    scope: &Scope<'_>,
) -> anyhow::Result<Option<String>> {
    let mut requested = 0usize;
    let mut command = String::new();
    let mut previous: Vec<ObjectId> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let missing = missing(git, repo, scope)?;
        if missing.is_empty() || missing == previous {
            break;
        }
        let ids: Vec<String> = missing.iter().map(ObjectId::to_string).collect();
        let fetched = git.fetch_promised(remote, &ids)?;
        if !fetched.ok {
            bail!(
                "this checkout is a partial clone and {} object(s) the scan needs are not in it; `{}` (ids on standard input) failed: {}; give actions/checkout no `filter` (with `fetch-depth: 0`)",
                ids.len(),
                fetched.command,
                fetched.stderr
            );
        }
        requested += ids.len();
        command = fetched.command;
        previous = missing;
    }
    Ok((requested > 0).then(|| {
        format!(
            "partial clone: fetched {requested} object(s) the scan needs from {remote} (`{command}`, ids on standard input)"
        )
    }))
}

/// The objects `scope` needs that the repository does not have.
fn missing(git: &Git, repo: &Path, scope: &Scope<'_>) -> anyhow::Result<Vec<ObjectId>> {
    match scope {
        Scope::Range(range) => {
            // Opened each round: the packs fetched by the previous one.
            let mut repo = open_repository(repo)?;
            range::missing_objects(&mut repo, range)
        }
        Scope::All => {
            // `--missing=print` lists what a walk finds absent, without
            // fetching it (git would otherwise fetch one object at a time).
            let listing = git.run(["rev-list", "--objects", "--missing=print", "--all"])?;
            Ok(listing
                .lines()
                .filter_map(|line| line.strip_prefix('?'))
                .filter_map(|hex| ObjectId::from_hex(hex.trim().as_bytes()).ok())
                .collect())
        }
    }
}
