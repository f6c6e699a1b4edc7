//! Git repositories as inputs: the full-history audit (`--git`), a commit
//! range (`--since-commit BASE`, `BASE..HEAD`) and the staged index
//! (`--staged`, in [`crate::source::staged`]).
//!
//! Built on gix rather than git2: gix decodes a whole pack in pack order with
//! its delta tree (every object once, no repeated delta-chain resolution, on
//! all cores), which git2 cannot do at all, and it is pure Rust (no libgit2 C
//! build). See the README's design notes for the measurements.
//!
//! The work is split so that a clean history costs only the scan:
//! [`audit`] / [`range`] hand every blob and message to the scanner, and only
//! the objects that produced findings are attributed afterwards by
//! [`provenance`].

pub mod audit;
mod graph;
pub mod pack_walk;
pub mod promisor;
pub mod provenance;
pub mod range;
pub mod range_pack;
mod refs;
pub mod tree;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use gix::ObjectId;

use crate::finding::{redact_key_shapes, CommitInfo};
use crate::scan::{Collector, Problem, ProblemKind, ScanParts, Scanner, Subject};

/// What part of a repository to scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Every object in the object database.
    Audit,
    /// Index entries that differ from HEAD.
    Staged,
    /// What the commits of a [`Range`] introduced.
    Range(Range),
}

/// The commits reachable from `tips` and from none of `hidden`, as
/// `git rev-list TIPS --not HIDDEN` selects them. `BASE..HEAD` is one tip
/// and one hidden commit; a CI event can hide many (a new branch hides every
/// other branch) or none (a first push scans all of its history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// Revisions whose ancestry is scanned (`HEAD`, `--branch`, an event's head).
    pub tips: Vec<String>,
    /// Revisions whose ancestry is not (`BASE`, merge bases, other branches).
    pub hidden: Vec<String>,
}

impl Range {
    /// `BASE..HEAD`.
    pub fn new(base: impl Into<String>, head: impl Into<String>) -> Range {
        Range {
            tips: vec![head.into()],
            hidden: vec![base.into()],
        }
    }

    /// How notes and problems name the range: `BASE..HEAD` when it is one,
    /// else the tips and (a few of) the hidden commits.
    pub fn label(&self) -> String {
        let tips = self.tips.join(" ");
        match self.hidden.as_slice() {
            [] => format!("{tips} (all of its history)"),
            [base] if self.tips.len() == 1 => format!("{base}..{tips}"),
            hidden => {
                let shown: Vec<&str> = hidden.iter().take(3).map(String::as_str).collect();
                let more = match hidden.len() - shown.len() {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!("{tips} --not {}{more}", shown.join(" "))
            }
        }
    }
}

impl Mode {
    /// The `mode` field of the summary.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Audit => "git",
            Mode::Staged => "staged",
            Mode::Range { .. } => "range",
        }
    }
}

/// Everything a git scan needs to know.
#[derive(Clone, Debug)]
pub struct Request {
    pub repo: PathBuf,
    pub mode: Mode,
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    pub max_file_size: u64,
    /// Show a progress bar on standard error.
    pub progress: bool,
}

/// A commit as attribution needs it: cheap to keep for every commit.
#[derive(Clone, Debug)]
pub struct CommitMeta {
    pub id: ObjectId,
    pub tree: ObjectId,
    pub parents: Vec<ObjectId>,
    /// Committer time, seconds since the epoch.
    pub time: i64,
}

/// An open repository and what the scan learned on the way.
pub struct Session {
    repo: gix::ThreadSafeRepository,
    request: Request,
    notes: Vec<String>,
    /// Every commit seen by the audit (for attribution).
    commits: Vec<CommitMeta>,
    /// Range mode: blob -> (introducing commit, path), decided during the scan.
    introduced: HashMap<ObjectId, (ObjectId, String)>,
    timings: Vec<(&'static str, std::time::Duration)>,
    /// Range mode: blobs in the order the range introduced them (oldest first).
    range_order: Vec<ObjectId>,
    /// Set for a partial clone: its unfetched objects are holes.
    promisor: Option<promisor::Promisor>,
}

impl Session {
    /// Opens the repository at (or above) `request.repo`. A path that is not
    /// a repository is a usage error.
    pub fn open(request: Request) -> anyhow::Result<Session> {
        let opened = std::time::Instant::now();
        let repo = open_repository(&request.repo)?;
        let open_time = opened.elapsed();
        let mut notes = Vec::new();
        if repo.is_shallow().unwrap_or(false) {
            notes.push(
                "shallow repository: history beyond the shallow boundary is not scanned \
                 (run `git fetch --unshallow` for a complete audit)"
                    .to_string(),
            );
        }
        let promisor = promisor::Promisor::detect(&repo);
        if let Some(promisor) = &promisor {
            notes.push(promisor.note());
        }
        Ok(Session {
            repo: repo.into_sync(),
            request,
            notes,
            commits: Vec::new(),
            introduced: HashMap::new(),
            timings: vec![("open", open_time)],
            range_order: Vec::new(),
            promisor,
        })
    }

    pub fn mode(&self) -> &Mode {
        &self.request.mode
    }

    /// The `.vastleaksignore` that applies: the one at the work-tree root
    /// (none for a bare repository).
    pub fn ignore_file(&self) -> Option<PathBuf> {
        self.repo
            .work_dir()
            .map(|dir| dir.join(crate::suppress::IGNORE_FILE_NAME))
    }

    /// A configuration file as committed at `rev` (`HEAD`, a range's base),
    /// for repositories without a work tree and for suppressions read from
    /// the base of a range. `Ok(None)` when `rev` has no such file. Bounded
    /// like every configuration file ([`crate::config_file::MAX_BYTES`]).
    pub fn committed_file(&self, rev: &str, path: &str) -> anyhow::Result<Option<String>> {
        let repo = self.repo.to_thread_local();
        let Ok(id) = repo.rev_parse_single(format!("{rev}:{path}").as_str()) else {
            return Ok(None);
        };
        let header = repo
            .find_header(id)
            .with_context(|| format!("{rev}:{path}: cannot read the committed file"))?;
        if header.kind() != gix::object::Kind::Blob {
            anyhow::bail!("{rev}:{path}: not a file; commit a regular file there");
        }
        if header.size() > crate::config_file::MAX_BYTES {
            anyhow::bail!(
                "{rev}:{path}: {} bytes, over the 1 MiB limit for configuration files; shorten it",
                header.size()
            );
        }
        let object = repo
            .find_object(id)
            .with_context(|| format!("{rev}:{path}: cannot read the committed file"))?;
        String::from_utf8(object.data.clone())
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{rev}:{path}: not UTF-8 text; save it as UTF-8"))
    }

    /// The commits a range scan hides (its base), if this is a range scan.
    pub fn range_hidden(&self) -> Option<Vec<String>> {
        match &self.request.mode {
            Mode::Range(range) => Some(range.hidden.clone()),
            _ => None,
        }
    }

    /// `path` relative to the work-tree root (`/`-separated), when it lies
    /// inside the work tree: how a file named by a flag is found in commits.
    pub fn tree_path(&self, path: &Path) -> Option<String> {
        let root = std::fs::canonicalize(self.repo.work_dir()?).ok()?;
        let path = std::fs::canonicalize(path).ok()?;
        let relative = path.strip_prefix(&root).ok()?;
        Some(crate::source::files::display_path(relative))
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Scans what the mode selects into `collector`. Errors only when the
    /// scan cannot run at all (bad range, unreadable index); damaged objects
    /// become problems.
    pub fn scan(&mut self, scanner: &Scanner, collector: &Collector) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let result = self.scan_mode(scanner, collector);
        self.timings.push(("scan", started.elapsed()));
        result
    }

    fn scan_mode(&mut self, scanner: &Scanner, collector: &Collector) -> anyhow::Result<()> {
        let repo = self.repo.to_thread_local();
        match self.request.mode.clone() {
            Mode::Audit => {
                let outcome = audit::scan(&self.repo, &self.request, scanner, collector)?;
                if outcome.objects == 0 {
                    self.notes
                        .push("empty repository: no objects to scan".to_string());
                }
                self.commits = outcome.commits;
                self.notes.extend(outcome.notes);
            }
            Mode::Range(range) => {
                let mut repo = repo;
                let outcome = range::scan(&mut repo, &range, &self.request, scanner, collector)?;
                self.notes.extend(outcome.notes);
                self.introduced = outcome.introduced;
                self.range_order = outcome.order;
            }
            Mode::Staged => {
                let outcome =
                    crate::source::staged::scan(&repo, &self.request, scanner, collector)?;
                self.notes.extend(outcome.notes);
            }
        }
        Ok(())
    }

    /// Turns the raw scan output into the report's findings: one finding per
    /// key occurrence per object, attributed to the commit that introduced
    /// the object, sorted for stable output.
    pub fn finish(&mut self, parts: &mut ScanParts) {
        let started = std::time::Instant::now();
        self.attribute(parts);
        self.timings.push(("attribution", started.elapsed()));
        if let Some(promisor) = &self.promisor {
            let repo = self.repo.to_thread_local();
            parts
                .problems
                .extend(promisor.holes(&repo, &self.request.mode, &parts.problems));
        }
        // For benchmarks: phase times as notes (not part of normal output).
        if std::env::var_os("VASTLEAKS_TIMINGS").is_some() {
            let text: Vec<String> = self
                .timings
                .iter()
                .map(|(phase, time)| format!("{phase} {:.3}s", time.as_secs_f64()))
                .collect();
            self.notes.push(format!("timings: {}", text.join(", ")));
        }
    }

    /// Turns the hits in objects into findings (attribution makes their
    /// origin), folds later versions of a file into the one that introduced
    /// the key, and sorts.
    fn attribute(&mut self, parts: &mut ScanParts) {
        let repo = self.repo.to_thread_local();
        // One finding per key occurrence per object: the audit's key-file
        // pass finds again what the content pass found (the smallest rule id
        // wins, as before). Findings made at once (staged paths) need no
        // such step: each path is scanned once, and one scan reports a key
        // once.
        let mut hits = std::mem::take(&mut parts.object_hits);
        hits.sort_by(|a, b| {
            (a.object, a.hit.location.offset, &a.hit.rule_id).cmp(&(
                b.object,
                b.hit.location.offset,
                &b.hit.rule_id,
            ))
        });
        hits.dedup_by(|a, b| {
            a.object == b.object && a.hit.location.offset == b.hit.location.offset
        });
        let problems = &mut parts.problems;
        let ranks = match &self.request.mode {
            Mode::Audit => {
                let (findings, ranks) =
                    provenance::attribute_audit(&repo, &self.commits, hits, |p| problems.push(p));
                parts.findings.extend(findings);
                ranks
            }
            Mode::Range(range) => {
                let findings =
                    provenance::attribute_range(&repo, &self.introduced, &range.tips, hits, |p| {
                        problems.push(p)
                    });
                parts.findings.extend(findings);
                self.range_order
                    .iter()
                    .enumerate()
                    .map(|(i, id)| (*id, (i as i64, 0)))
                    .collect()
            }
            Mode::Staged => provenance::Ranks::new(),
        };
        if self.request.mode != Mode::Staged {
            let folded = provenance::fold_versions(&mut parts.findings, &ranks);
            if folded > 0 {
                self.notes.push(format!(
                    "{folded} finding(s) of the same key in later versions of the same file were folded into the version that introduced it"
                ));
            }
        }
        parts.findings.sort_by(|a, b| {
            (
                a.origin.path(),
                a.origin.object(),
                a.location.line,
                a.location.column,
                &a.rule_id,
            )
                .cmp(&(
                    b.origin.path(),
                    b.origin.object(),
                    b.location.line,
                    b.location.column,
                    &b.rule_id,
                ))
        });
        crate::scan::problem::sort_and_dedup(&mut parts.problems);
    }
}

/// Opens a repository (work tree, `.git` directory or bare) at or above `path`.
pub fn open_repository(path: &Path) -> anyhow::Result<gix::Repository> {
    if std::fs::symlink_metadata(path).is_err() {
        bail!(
            "{}: no such file or directory; pass the path of a git repository",
            path.display()
        );
    }
    let mut repo = gix::discover(path).map_err(|err| {
        anyhow::anyhow!(
            "{}: not a git repository ({err}); pass the path of a git repository or run inside one",
            path.display()
        )
    })?;
    // Attribution and range scans read objects by id; a cache avoids
    // resolving the same delta bases again and again.
    repo.object_cache_size_if_unset(16 << 20);
    Ok(repo)
}

/// The message of a commit or tag object: everything after the first blank
/// line. Returns the message and its offset in `data`.
pub fn message_of(data: &[u8]) -> (&[u8], usize) {
    match memchr::memmem::find(data, b"\n\n") {
        Some(i) => (&data[i + 2..], i + 2),
        None => (&[], data.len()),
    }
}

/// A problem with an object.
pub fn object_problem(kind: ProblemKind, id: &gix::oid, message: impl Into<String>) -> Problem {
    Problem::new(Subject::Object(id.to_owned()), kind, message)
}

/// Runs `work` on a rayon pool with `jobs` threads (0 = the global pool).
pub fn in_pool<T: Send>(jobs: usize, work: impl FnOnce() -> T + Send) -> anyhow::Result<T> {
    if jobs == 0 {
        return Ok(work());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start worker threads")?;
    Ok(pool.install(work))
}

/// Memory for decoded delta bases when reading objects by id.
const PACK_CACHE_BYTES: usize = 32 << 20;

/// Attribution and range scans read trees and blobs by id, often along long
/// delta chains. A hash-map delta-base cache keeps the bases of consecutive
/// versions (the default 64-entry LRU thrashes: 7 s instead of 1 s on the
/// benchmark); the object cache is off because each object is read once.
pub fn tune_for_random_reads(repo: &mut gix::Repository) {
    repo.objects.set_pack_cache(|| {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(
            PACK_CACHE_BYTES,
        ))
    });
    repo.objects.unset_object_cache();
}

/// The object's size when it is over `max`, read from its header: big blobs
/// (model weights, datasets) are skipped without being inflated into memory.
/// `None` when it fits or the header cannot be read (the full read reports that).
pub fn size_over(repo: &gix::Repository, id: &gix::oid, max: u64) -> Option<u64> {
    let header = gix::objs::FindHeader::try_header(&repo.objects, id).ok()??;
    (header.size > max).then_some(header.size)
}

/// Formats a git time as RFC 3339.
pub fn rfc3339(time: gix::date::Time) -> String {
    time.format_or_unix(gix::date::time::format::ISO8601_STRICT)
}

/// What reports say about commit `id`: author, date and summary, with key
/// shapes redacted (a commit message that leaked a key must not leak it
/// again here). Only the id when the commit cannot be read.
pub fn describe_commit(repo: &gix::Repository, id: ObjectId) -> CommitInfo {
    let mut info = CommitInfo::id_only(id);
    let Ok(commit) = repo.find_commit(id) else {
        return info;
    };
    if let Ok(author) = commit.author() {
        info.author = Some(redact_key_shapes(&format!(
            "{} <{}>",
            author.name, author.email
        )));
    }
    if let Ok(time) = commit.time() {
        info.date = Some(rfc3339(time));
    }
    if let Ok(message) = commit.message() {
        info.summary = Some(redact_key_shapes(&message.summary().to_string()));
    }
    info
}

/// One line for an error and its causes (gix's alternate formatting is a
/// debug dump).
pub fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}
