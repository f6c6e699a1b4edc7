//! The full-history audit: every object in the object database, once.
//!
//! Packs are decoded in pack order with gix's delta tree
//! (`Algorithm::DeltaTreeLookup`): each delta base is inflated once and its
//! children are resolved from it, on all cores, which is faster than
//! `git cat-file --batch-all-objects`. Loose objects are read separately, as
//! are objects in alternates. Reachability does not matter here: dangling
//! commits, dropped stashes and unreferenced blobs are objects like any
//! other; attribution later says whether they are reachable.
//!
//! A pack whose traversal fails (truncated, corrupt) is scanned again object
//! by object, so every readable object is still scanned and each unreadable
//! one is reported by id.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use gix::odb::pack;
use gix::ObjectId;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use super::{merge_into, object_problem, object_provenance, CommitMeta, Request};
use crate::finding::SourceKind;
use crate::scan::{Blob, Collector, ProblemKind, Scanner};

/// What the audit hands to attribution.
pub struct Outcome {
    pub commits: Vec<CommitMeta>,
    /// Objects seen (scanned, skipped or failed).
    pub objects: u64,
    pub notes: Vec<String>,
}

/// Reports each missing object once, with one tree that references it. In a
/// partial clone too: a blob that was never fetched was not scanned, and a
/// key in it would pass unseen, so it is a hole like any other (the session
/// adds one problem saying how to fetch them).
fn report_missing(mut missing: Vec<(ObjectId, ObjectId, String)>, collector: &Collector) -> usize {
    missing.sort();
    missing.dedup_by(|a, b| a.0 == b.0);
    let count = missing.len();
    for (object, tree, name) in missing {
        let p = object_problem(
            ProblemKind::Error,
            &object,
            format!("missing object (referenced by tree {tree} as {name:?}); not scanned"),
        );
        collector.problem(p.path, p.kind, p.message);
    }
    count
}

/// Per-pack (or loose) state: findings go to a local collector so that a
/// traversal that fails half way can be discarded and redone without
/// duplicates.
struct Sink<'a> {
    scanner: &'a Scanner,
    collector: Collector,
    commits: Mutex<Vec<CommitMeta>>,
    /// Blobs named like key files in some tree: scanned again with their name
    /// so path rules apply.
    key_files: Mutex<Vec<(ObjectId, String)>>,
    /// Tree entries naming an object the repository does not have:
    /// (missing object, tree, entry name).
    missing: Mutex<Vec<(ObjectId, ObjectId, String)>>,
    /// Submodule entries seen (their objects live in another repository).
    submodules: Mutex<Vec<String>>,
    inventory: &'a Inventory,
    max_file_size: u64,
    hash: gix::hash::Kind,
    bar: &'a ProgressBar,
    key_file_rules: bool,
    /// Tree names need matching only in trees that mention the keyword.
    names_need_keyword: bool,
}

/// Which objects the repository has (packs and loose), so every tree entry
/// can be checked without reading the object. Keyed on the first 8 bytes of
/// the id: object ids are uniformly random, so that is a perfect hash, 8
/// bytes per object (3 MB for 350,000 objects), and several times faster than
/// a binary search in the pack indexes for the millions of tree entries of a
/// long history. A missing object whose 64-bit prefix collides with a present
/// one would go unreported: odds of about n^2 / 2^65.
struct Inventory {
    ids: HashSet<u64, BuildHasherDefault<PrefixHasher>>,
}

impl Inventory {
    fn new(packs: &[pack::Bundle], loose: &[(usize, ObjectId)]) -> Self {
        let capacity = packs
            .iter()
            .map(|b| b.index.num_objects() as usize)
            .sum::<usize>()
            + loose.len();
        let mut ids = HashSet::with_capacity_and_hasher(capacity, Default::default());
        for bundle in packs {
            for i in 0..bundle.index.num_objects() {
                ids.insert(prefix(bundle.index.oid_at_index(i)));
            }
        }
        ids.extend(loose.iter().map(|(_, id)| prefix(id)));
        Inventory { ids }
    }

    fn contains(&self, id: &gix::oid) -> bool {
        self.ids.contains(&prefix(id))
    }
}

fn prefix(id: &gix::oid) -> u64 {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&id.as_bytes()[..8]);
    u64::from_le_bytes(bytes)
}

/// The key already is a uniformly random 64-bit value: use it as the hash.
#[derive(Default)]
struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

impl<'a> Sink<'a> {
    fn new(
        scanner: &'a Scanner,
        request: &Request,
        hash: gix::hash::Kind,
        bar: &'a ProgressBar,
        inventory: &'a Inventory,
    ) -> Self {
        Sink {
            scanner,
            collector: Collector::default(),
            commits: Mutex::new(Vec::new()),
            key_files: Mutex::new(Vec::new()),
            missing: Mutex::new(Vec::new()),
            submodules: Mutex::new(Vec::new()),
            inventory,
            max_file_size: request.max_file_size,
            hash,
            bar,
            key_file_rules: scanner.matcher().has_path_rules(),
            names_need_keyword: scanner.matcher().path_rules_need_keyword(),
        }
    }

    /// One decoded object.
    fn object(&self, kind: gix::object::Kind, id: &gix::oid, data: &[u8]) {
        use gix::object::Kind;
        match kind {
            Kind::Blob => {
                if data.len() as u64 > self.max_file_size {
                    self.collector.problem(
                        format!("object {id}"),
                        ProblemKind::Skipped,
                        format!(
                            "blob of {} bytes is over --max-file-size ({} bytes); raise it to scan this blob",
                            data.len(),
                            self.max_file_size
                        ),
                    );
                } else {
                    self.collector.scan_with(
                        self.scanner,
                        &Blob {
                            source: SourceKind::GitBlob,
                            path: None,
                            bytes: data,
                        },
                        |f| f.git = Some(object_provenance(id)),
                    );
                }
            }
            Kind::Commit => match gix::objs::CommitRef::from_bytes(data, self.hash) {
                Ok(commit) => {
                    let meta = CommitMeta {
                        id: id.to_owned(),
                        tree: commit.tree(),
                        parents: commit.parents().collect(),
                        time: commit.time().map(|t| t.seconds).unwrap_or(0),
                    };
                    lock(&self.commits).push(meta);
                    self.message(SourceKind::GitCommit, id, data);
                }
                Err(err) => self.collector.problem(
                    format!("object {id}"),
                    ProblemKind::Error,
                    format!("corrupt commit: {err}"),
                ),
            },
            Kind::Tag => self.message(SourceKind::GitTag, id, data),
            Kind::Tree => self.tree(id, data),
        }
        self.bar.inc(1);
    }

    /// An object not read because it is over --max-file-size (`size`
    /// unknown: stored as a delta of such an object).
    fn skipped(&self, kind: gix::object::Kind, id: &gix::oid, size: Option<u64>) {
        let what = match size {
            Some(size) => format!(
                "{kind} of {size} bytes is over --max-file-size ({} bytes); raise it to scan this {kind}",
                self.max_file_size
            ),
            None => format!(
                "{kind} stored as a delta of an object over --max-file-size ({} bytes), which is not inflated; raise the limit to scan it",
                self.max_file_size
            ),
        };
        self.collector
            .problem(format!("object {id}"), ProblemKind::Skipped, what);
        self.bar.inc(1);
    }

    fn message(&self, source: SourceKind, id: &gix::oid, data: &[u8]) {
        let (message, _) = super::message_of(data);
        self.collector.scan_with(
            self.scanner,
            &Blob {
                source,
                path: None,
                bytes: message,
            },
            |f| {
                let mut provenance = object_provenance(id);
                if source == SourceKind::GitCommit {
                    provenance.commit = Some(id.to_string());
                }
                f.git = Some(provenance);
            },
        );
    }

    /// Checks that every entry names an object the repository has (a
    /// missing blob would otherwise go unnoticed: nothing reads it), notes
    /// submodules, and notes blobs whose name a path rule (key file) applies
    /// to. With only the built-in path rules (which name Vast files), names
    /// are only matched in trees mentioning the keyword.
    fn tree(&self, id: &gix::oid, data: &[u8]) {
        let names = self.key_file_rules
            && (!self.names_need_keyword || self.scanner.matcher().has_keyword(data));
        for entry in gix::objs::TreeRefIter::from_bytes(data, self.hash) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    self.collector.problem(
                        format!("object {id}"),
                        ProblemKind::Error,
                        format!("corrupt tree: {err}"),
                    );
                    return;
                }
            };
            if entry.mode.is_commit() {
                lock(&self.submodules).push(entry.filename.to_string());
                continue;
            }
            if !self.inventory.contains(entry.oid) {
                lock(&self.missing).push((
                    entry.oid.to_owned(),
                    id.to_owned(),
                    entry.filename.to_string(),
                ));
            }
            if names && entry.mode.is_blob_or_symlink() {
                let name = entry.filename.to_string();
                if self.scanner.matcher().path_rule_applies(&name) {
                    lock(&self.key_files).push((entry.oid.to_owned(), name));
                }
            }
        }
    }

    fn into_parts(self) -> Gathered {
        Gathered {
            parts: self.collector.into_parts(),
            commits: into_inner(self.commits),
            key_files: into_inner(self.key_files),
            missing: into_inner(self.missing),
            submodules: into_inner(self.submodules),
        }
    }
}

/// What one pack (or the loose objects) yielded besides findings.
struct Gathered {
    parts: crate::scan::ScanParts,
    commits: Vec<CommitMeta>,
    key_files: Vec<(ObjectId, String)>,
    missing: Vec<(ObjectId, ObjectId, String)>,
    submodules: Vec<String>,
}

#[derive(Default)]
struct Totals {
    commits: Vec<CommitMeta>,
    key_files: Vec<(ObjectId, String)>,
    missing: Vec<(ObjectId, ObjectId, String)>,
    submodules: Vec<String>,
}

impl Totals {
    fn add(&mut self, collector: &Collector, mut gathered: Gathered) {
        merge_into(collector, gathered.parts);
        self.commits.append(&mut gathered.commits);
        self.key_files.append(&mut gathered.key_files);
        self.missing.append(&mut gathered.missing);
        self.submodules.append(&mut gathered.submodules);
    }
}

fn into_inner<T>(mutex: Mutex<T>) -> T {
    mutex.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Scans every object of the repository.
pub fn scan(
    sync_repo: &gix::ThreadSafeRepository,
    request: &Request,
    scanner: &Scanner,
    collector: &Collector,
) -> anyhow::Result<Outcome> {
    let repo = sync_repo.to_thread_local();
    let hash = repo.object_hash();
    let objects_dirs = objects_directories(&repo);

    // Open every pack first: later packs skip objects an earlier pack holds,
    // and loose objects skip everything packed.
    let mut bundles = Vec::new();
    for dir in &objects_dirs {
        for idx in pack_indexes(dir, collector) {
            match pack::Bundle::at(&idx, hash) {
                Ok(bundle) => bundles.push(bundle),
                Err(err) => collector.problem(
                    crate::source::files::display_path(&idx),
                    ProblemKind::Error,
                    format!(
                        "unreadable pack, its objects are not scanned: {}",
                        crate::source::git::describe(&err)
                    ),
                ),
            }
        }
    }
    let loose: Vec<(usize, ObjectId)> = objects_dirs
        .iter()
        .enumerate()
        .flat_map(|(store, dir)| {
            let db = gix::odb::loose::Store::at(dir, hash);
            let ids: Vec<(usize, ObjectId)> = db
                .iter()
                .filter_map(|id| match id {
                    Ok(id) => Some((store, id)),
                    Err(err) => {
                        collector.problem(
                            crate::source::files::display_path(dir),
                            ProblemKind::Error,
                            format!("cannot list loose objects: {err}"),
                        );
                        None
                    }
                })
                .collect();
            ids
        })
        .filter(|(_, id)| !bundles.iter().any(|b| b.index.lookup(id).is_some()))
        .collect();

    let total: u64 = bundles
        .iter()
        .map(|b| u64::from(b.index.num_objects()))
        .sum::<u64>()
        + loose.len() as u64;
    let bar = progress_bar(request.progress, total);
    let inventory = Inventory::new(&bundles, &loose);
    let mut totals = Totals::default();
    let threads = (request.jobs > 0).then_some(request.jobs);

    for (position, bundle) in bundles.iter().enumerate() {
        let earlier: Vec<&pack::index::File> =
            bundles[..position].iter().map(|b| &b.index).collect();
        let max = request.max_file_size;
        let sink = Sink::new(scanner, request, hash, &bar, &inventory);
        let mut traversed =
            traverse_pack(bundle, &earlier, &sink, threads, max, &Default::default());
        let mut sink = sink;
        if traversed.is_err() {
            // Maybe a delta whose result is over the limit stopped it (see
            // pack_walk): if so, once more with those deltas left out.
            let deltas = super::pack_walk::oversized_deltas(bundle, max);
            if !deltas.is_empty() {
                sink = Sink::new(scanner, request, hash, &bar, &inventory);
                traversed = traverse_pack(bundle, &earlier, &sink, threads, max, &deltas);
            }
        }
        let sink = match traversed {
            Ok(()) => sink,
            Err(err) => {
                // Start over object by object; what was gathered is dropped.
                collector.problem(
                    crate::source::files::display_path(bundle.pack.path()),
                    ProblemKind::Error,
                    format!("pack traversal failed ({err}); reading its objects one by one"),
                );
                let sink = Sink::new(scanner, request, hash, &bar, &inventory);
                crate::source::git::in_pool(request.jobs, || {
                    objects_one_by_one(bundle, &earlier, &sink)
                })?;
                sink
            }
        };
        totals.add(collector, sink.into_parts());
    }

    let sink = Sink::new(scanner, request, hash, &bar, &inventory);
    let loose_dbs: Vec<gix::odb::loose::Store> = objects_dirs
        .iter()
        .map(|dir| gix::odb::loose::Store::at(dir, hash))
        .collect();
    crate::source::git::in_pool(request.jobs, || {
        loose
            .par_iter()
            .for_each_init(Vec::new, |buf, (store, id)| {
                if let Ok(Some((size, kind))) = loose_dbs[*store].try_header(id) {
                    if size > sink.max_file_size {
                        return sink.skipped(kind, id, Some(size));
                    }
                }
                match loose_dbs[*store].try_find(id, buf) {
                    Ok(Some(object)) => sink.object(object.kind, id, object.data),
                    Ok(None) => {} // removed while we scan (gc): it is in a pack now
                    Err(err) => {
                        sink.collector.problem(
                            format!("object {id}"),
                            ProblemKind::Error,
                            format!(
                                "corrupt loose object, not scanned: {}",
                                crate::source::git::describe(&err)
                            ),
                        );
                        sink.bar.inc(1);
                    }
                }
            })
    })?;
    totals.add(collector, sink.into_parts());
    bar.finish_and_clear();

    scan_key_files(
        &repo,
        totals.key_files,
        request.max_file_size,
        scanner,
        collector,
    );
    check_commit_links(&repo, &totals.commits, collector);
    let missing = report_missing(totals.missing, collector);
    let mut notes = Vec::new();
    if total > 0 {
        notes.push(format!(
            // No claim that everything was scanned here: what could not be
            // read is reported as problems, and the exit code says it.
            "object database: {} ({} in {}, {} loose){}",
            crate::wording::plural(total, "object"),
            crate::report::thousands(total - loose.len() as u64),
            crate::wording::plural(bundles.len() as u64, "pack"),
            crate::report::thousands(loose.len() as u64),
            if missing > 0 {
                format!(
                    "; {} that its trees name missing (see the errors)",
                    crate::wording::plural(missing as u64, "object")
                )
            } else {
                String::new()
            }
        ));
    }
    let mut submodules = totals.submodules;
    submodules.sort();
    submodules.dedup();
    if !submodules.is_empty() {
        notes.push(format!(
            "submodules ({}) are separate repositories and were not scanned; run `vastleaks scan --git` in each",
            submodules.join(", ")
        ));
    }
    Ok(Outcome {
        commits: totals.commits,
        objects: total,
        notes,
    })
}

/// Decodes one pack in pack order with the delta tree, on `threads` threads,
/// never inflating an object over `max` bytes ([`super::pack_walk`]).
fn traverse_pack(
    bundle: &pack::Bundle,
    earlier: &[&pack::index::File],
    sink: &Sink<'_>,
    threads: Option<usize>,
    max: u64,
    deltas: &super::pack_walk::OversizedDeltas,
) -> Result<(), String> {
    use super::pack_walk::Visit;
    let in_earlier = |id: &gix::oid| earlier.iter().any(|idx| idx.lookup(id).is_some());
    super::pack_walk::traverse(bundle, threads, max, deltas, &|visit| match visit {
        Visit::Object { kind, id, data } if !in_earlier(id) => sink.object(kind, id, data),
        Visit::Skipped { kind, id, size } if !in_earlier(id) => sink.skipped(kind, id, size),
        _ => {}
    })
}

/// The slow, robust path for a damaged pack: every index entry on its own,
/// each failure reported with the object id.
fn objects_one_by_one(bundle: &pack::Bundle, earlier: &[&pack::index::File], sink: &Sink<'_>) {
    (0..bundle.index.num_objects())
        .into_par_iter()
        .for_each_init(
            || (Vec::new(), gix::zlib::Inflate::default()),
            |(buf, inflate), index| {
                let id = bundle.index.oid_at_index(index).to_owned();
                if earlier.iter().any(|idx| idx.lookup(id).is_some()) {
                    return;
                }
                if let Some((kind, size)) =
                    super::pack_walk::size_over(bundle, index, inflate, sink.max_file_size)
                {
                    return sink.skipped(kind, &id, Some(size));
                }
                let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    bundle
                        .get_object_by_index(index, buf, inflate, &mut pack::cache::Never)
                        .map(|(data, _)| (data.kind, data.data.to_vec()))
                        .map_err(|err| crate::source::git::describe(&err))
                }))
                .unwrap_or_else(|_| Err("the pack decoder panicked".to_string()));
                match read {
                    Ok((kind, data)) => sink.object(kind, &id, &data),
                    Err(err) => {
                        sink.collector.problem(
                            format!("object {id}"),
                            ProblemKind::Error,
                            format!(
                                "unreadable in {}: {err}",
                                crate::source::files::display_path(bundle.pack.path())
                            ),
                        );
                        sink.bar.inc(1);
                    }
                }
            },
        );
}

/// Scans blobs named like key files again with their name, so path rules
/// (which need no keyword) apply. Duplicates of content findings are removed
/// when the session finishes.
fn scan_key_files(
    repo: &gix::Repository,
    mut key_files: Vec<(ObjectId, String)>,
    max_file_size: u64,
    scanner: &Scanner,
    collector: &Collector,
) {
    key_files.sort();
    key_files.dedup_by(|a, b| a.0 == b.0);
    let local = Collector::default();
    for (id, name) in key_files {
        // Over the limit: already reported as skipped by the traversal.
        if super::size_over(repo, &id, max_file_size).is_some() {
            continue;
        }
        match repo.try_find_object(id) {
            Ok(Some(object)) => local.scan_with(
                scanner,
                &Blob {
                    source: SourceKind::GitBlob,
                    path: Some(&name),
                    bytes: &object.data,
                },
                |f| {
                    f.git = Some(object_provenance(&id));
                    // The name was only needed for the rules; the path comes
                    // from attribution.
                    f.location.path = None;
                },
            ),
            Ok(None) => {} // reported by attribution if it matters
            Err(err) => collector.problem(
                format!("object {id}"),
                ProblemKind::Error,
                format!(
                    "unreadable blob {name}: {}",
                    crate::source::git::describe(&err)
                ),
            ),
        }
    }
    // Counted once already by the traversal.
    let parts = local.into_parts();
    collector.add_findings(parts.findings);
    for problem in parts.problems {
        collector.problem(problem.path, problem.kind, problem.message);
    }
}

/// A commit whose tree or parent is missing is a damaged history: report it
/// (the boundary commits of a shallow clone are expected to lack parents).
fn check_commit_links(repo: &gix::Repository, commits: &[CommitMeta], collector: &Collector) {
    let shallow: Vec<ObjectId> = repo
        .shallow_commits()
        .ok()
        .flatten()
        .map(|c| c.iter().copied().collect())
        .unwrap_or_default();
    for commit in commits {
        if !repo.has_object(commit.tree) {
            let p = object_problem(
                ProblemKind::Error,
                &commit.tree,
                format!("missing tree of commit {}", commit.id),
            );
            collector.problem(p.path, p.kind, p.message);
        }
        if shallow.contains(&commit.id) {
            continue;
        }
        for parent in &commit.parents {
            if !repo.has_object(parent) {
                let p = object_problem(
                    ProblemKind::Error,
                    parent,
                    format!("missing parent commit of {}", commit.id),
                );
                collector.problem(p.path, p.kind, p.message);
            }
        }
    }
}

/// The repository's objects directory and its alternates.
fn objects_directories(repo: &gix::Repository) -> Vec<PathBuf> {
    let main = repo.objects.store_ref().path().to_path_buf();
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut dirs = vec![main.clone()];
    if let Ok(alternates) = gix::odb::alternate::resolve(main, &cwd) {
        dirs.extend(alternates);
    }
    dirs
}

/// `*.idx` files in `dir/pack`, in name order.
fn pack_indexes(objects_dir: &Path, collector: &Collector) -> Vec<PathBuf> {
    let pack_dir = objects_dir.join("pack");
    let entries = match std::fs::read_dir(&pack_dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(err) => {
            collector.problem(
                crate::source::files::display_path(&pack_dir),
                ProblemKind::Error,
                format!("cannot list packs: {err}"),
            );
            return Vec::new();
        }
    };
    let mut indexes: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        .collect();
    indexes.sort();
    indexes
}

/// A bar on standard error when asked for; hidden otherwise. On a terminal
/// indicatif draws it; with `--progress always` and no terminal (a CI log,
/// `2>&1 | tee`) it is drawn anyway through [`ForcedStderr`].
pub fn progress_bar(show: bool, total: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::term_like_with_hz(Box::new(ForcedStderr), 2)
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {human_pos}/{human_len} objects [{bar:30}] {elapsed}, about {eta} left",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Standard error as a terminal, for a bar the user asked for explicitly.
#[derive(Debug)]
struct ForcedStderr;

impl ForcedStderr {
    fn write(&self, text: &str) -> std::io::Result<()> {
        std::io::stderr().lock().write_all(text.as_bytes())
    }
}

impl indicatif::TermLike for ForcedStderr {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.write(&format!("\x1b[{n}A"))
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.write(&format!("\x1b[{n}B"))
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.write(&format!("\x1b[{n}C"))
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.write(&format!("\x1b[{n}D"))
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.write(&format!("{s}\n"))
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.write(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.write("\r\x1b[2K")
    }
    fn flush(&self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
