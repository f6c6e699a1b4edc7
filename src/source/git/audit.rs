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

mod holes;
mod inventory;
mod key_files;
mod progress;
mod sink;

use std::path::{Path, PathBuf};

use gix::odb::pack;
use gix::ObjectId;
use rayon::prelude::*;

use super::{CommitMeta, Request};
use crate::scan::{Collector, ProblemKind, Scanner, Subject};
use holes::{check_commit_links, report_missing};
use inventory::Inventory;
pub use inventory::Links;
use key_files::scan_key_files;
pub use progress::{progress_bar, progress_bar_of};
use sink::{Sink, Totals};

/// What the audit hands to attribution.
pub struct Outcome {
    pub commits: Vec<CommitMeta>,
    /// Objects seen (scanned, skipped or failed).
    pub objects: u64,
    pub notes: Vec<String>,
    /// Objects that trees name and the repository lacks (each reported as
    /// a problem), with every tree naming each.
    pub missing: Vec<(ObjectId, ObjectId)>,
    /// With [`Hooks::edges`]: every (subtree, tree) link, so a caller can
    /// tell which trees contain a given object without reading them by id.
    pub links: Option<Links>,
}

/// What a caller of [`scan_with`] wants recorded besides findings.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hooks {
    /// Record tree -> subtree links ([`Outcome::links`]): 8 bytes per link
    /// (about 7 million links, 56 MB, for git/git's whole history).
    pub edges: bool,
}

/// Scans every object of the repository.
pub fn scan(
    sync_repo: &gix::ThreadSafeRepository,
    request: &Request,
    scanner: &Scanner,
    collector: &Collector,
) -> anyhow::Result<Outcome> {
    scan_with(sync_repo, request, scanner, collector, Hooks::default())
}

/// [`scan`], recording what `hooks` asks for (large commit ranges read the
/// whole object database this way: see [`super::range_pack`]).
pub fn scan_with(
    sync_repo: &gix::ThreadSafeRepository,
    request: &Request,
    scanner: &Scanner,
    collector: &Collector,
    hooks: Hooks,
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
                    Subject::Path(crate::source::files::display_path(&idx)),
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
                            Subject::Path(crate::source::files::display_path(dir)),
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
        let sink = Sink::new(scanner, request, hash, &bar, &inventory, hooks);
        let mut traversed =
            traverse_pack(bundle, &earlier, &sink, threads, max, &Default::default());
        let mut sink = sink;
        if traversed.is_err() {
            // Maybe a delta whose result is over the limit stopped it (see
            // pack_walk): if so, once more with those deltas left out.
            let deltas = super::pack_walk::oversized_deltas(bundle, max);
            if !deltas.is_empty() {
                sink = Sink::new(scanner, request, hash, &bar, &inventory, hooks);
                traversed = traverse_pack(bundle, &earlier, &sink, threads, max, &deltas);
            }
        }
        let sink = match traversed {
            Ok(()) => sink,
            Err(err) => {
                // Start over object by object; what was gathered is dropped.
                collector.problem(
                    Subject::Path(crate::source::files::display_path(bundle.pack.path())),
                    ProblemKind::Error,
                    format!("pack traversal failed ({err}); reading its objects one by one"),
                );
                let sink = Sink::new(scanner, request, hash, &bar, &inventory, hooks);
                crate::source::git::in_pool(request.jobs, || {
                    objects_one_by_one(bundle, &earlier, &sink)
                })?;
                sink
            }
        };
        totals.add(collector, sink.into_parts());
    }

    let sink = Sink::new(scanner, request, hash, &bar, &inventory, hooks);
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
                            Subject::Object(id.to_owned()),
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
    let named: Vec<(ObjectId, ObjectId)> =
        totals.missing.iter().map(|(o, t, _)| (*o, *t)).collect();
    let missing = report_missing(totals.missing, collector);
    let mut notes = Vec::new();
    if total > 0 {
        notes.push(format!(
            // No claim that everything was scanned here: what could not be
            // read is reported as problems, and the exit code says it.
            "object database: {} ({} in {}, {} loose){}",
            crate::wording::plural(total, "object"),
            crate::wording::thousands(total - loose.len() as u64),
            crate::wording::plural(bundles.len() as u64, "pack"),
            crate::wording::thousands(loose.len() as u64),
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
        missing: named,
        links: hooks.edges.then_some(Links::new(totals.edges, inventory)),
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
                            Subject::Object(id.to_owned()),
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
                Subject::Path(crate::source::files::display_path(&pack_dir)),
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
