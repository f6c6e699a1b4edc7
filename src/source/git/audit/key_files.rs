//! Blobs named like key files: the traversal reads blobs without names, so
//! the ones some tree names like a key file are read again with that name,
//! for the path rules.

use gix::ObjectId;

use crate::scan::{Blob, Collector, GitObject, ProblemKind, Scanner, Subject};

/// Scans blobs named like key files again with their name, so path rules
/// (which need no keyword) apply. Duplicates of content findings are removed
/// when the session finishes.
pub fn scan_key_files(
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
        if crate::source::git::size_over(repo, &id, max_file_size).is_some() {
            continue;
        }
        match repo.try_find_object(id) {
            // The name is only for the rules; the path comes from attribution.
            Ok(Some(object)) => local.scan_object(
                scanner,
                &Blob {
                    path: Some(&name),
                    bytes: &object.data,
                },
                GitObject::Blob(id),
            ),
            Ok(None) => {} // reported by attribution if it matters
            Err(err) => collector.problem(
                Subject::Object(id.to_owned()),
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
    collector.add_object_hits(parts.object_hits);
    for problem in parts.problems {
        collector.add_problem(problem);
    }
}
