//! What happens to each decoded object: blobs and messages are scanned,
//! commits are kept for attribution, trees are checked for missing entries,
//! submodules and key-file names. Per pack, so that a traversal that fails
//! half way can be dropped and redone without duplicates.

use std::sync::Mutex;

use gix::ObjectId;
use indicatif::ProgressBar;

use super::inventory::Inventory;
use crate::scan::{Blob, Collector, GitObject, ProblemKind, Scanner, Subject};
use crate::source::git::{CommitMeta, Request};

/// Per-pack (or loose) state: findings go to a local collector so that a
/// traversal that fails half way can be discarded and redone without
/// duplicates.
pub struct Sink<'a> {
    scanner: &'a Scanner,
    pub collector: Collector,
    commits: Mutex<Vec<CommitMeta>>,
    /// Blobs named like key files in some tree: scanned again with their name
    /// so path rules apply.
    key_files: Mutex<Vec<(ObjectId, String)>>,
    /// Tree entries naming an object the repository does not have:
    /// (missing object, tree, entry name).
    missing: Mutex<Vec<(ObjectId, ObjectId, String)>>,
    /// Submodule entries seen (their objects live in another repository).
    submodules: Mutex<Vec<String>>,
    /// (subtree, tree) links, when [`super::Hooks::edges`] asks for them.
    edges: Option<Mutex<Vec<(u32, u32)>>>,
    inventory: &'a Inventory,
    pub max_file_size: u64,
    hash: gix::hash::Kind,
    pub bar: &'a ProgressBar,
    key_file_rules: bool,
    /// Tree names need matching only in trees that mention the keyword.
    names_need_keyword: bool,
}

impl<'a> Sink<'a> {
    pub fn new(
        scanner: &'a Scanner,
        request: &Request,
        hash: gix::hash::Kind,
        bar: &'a ProgressBar,
        inventory: &'a Inventory,
        hooks: super::Hooks,
    ) -> Self {
        Sink {
            scanner,
            collector: Collector::default(),
            commits: Mutex::new(Vec::new()),
            key_files: Mutex::new(Vec::new()),
            missing: Mutex::new(Vec::new()),
            submodules: Mutex::new(Vec::new()),
            edges: hooks.edges.then(|| Mutex::new(Vec::new())),
            inventory,
            max_file_size: request.max_file_size,
            hash,
            bar,
            key_file_rules: scanner.matcher().has_path_rules(),
            names_need_keyword: scanner.matcher().path_rules_need_keyword(),
        }
    }

    /// One decoded object.
    pub fn object(&self, kind: gix::object::Kind, id: &gix::oid, data: &[u8]) {
        use gix::object::Kind;
        match kind {
            Kind::Blob => {
                if data.len() as u64 > self.max_file_size {
                    self.collector.problem(
                        Subject::Object(id.to_owned()),
                        ProblemKind::Skipped,
                        format!(
                            "blob of {} bytes is over --max-file-size ({} bytes); raise it to scan this blob",
                            data.len(),
                            self.max_file_size
                        ),
                    );
                } else {
                    self.collector.scan_object(
                        self.scanner,
                        &Blob {
                            path: None,
                            bytes: data,
                        },
                        GitObject::Blob(id.to_owned()),
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
                    self.message(GitObject::Commit(id.to_owned()), data);
                }
                Err(err) => self.collector.problem(
                    Subject::Object(id.to_owned()),
                    ProblemKind::Error,
                    format!("corrupt commit: {err}"),
                ),
            },
            Kind::Tag => self.message(GitObject::Tag(id.to_owned()), data),
            Kind::Tree => self.tree(id, data),
        }
        self.bar.inc(1);
    }

    /// An object not read because it is over --max-file-size (`size`
    /// unknown: stored as a delta of such an object).
    pub fn skipped(&self, kind: gix::object::Kind, id: &gix::oid, size: Option<u64>) {
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
            .problem(Subject::Object(id.to_owned()), ProblemKind::Skipped, what);
        self.bar.inc(1);
    }

    /// A commit's or tag's message.
    fn message(&self, object: GitObject, data: &[u8]) {
        let (message, _) = crate::source::git::message_of(data);
        self.collector.scan_object(
            self.scanner,
            &Blob {
                path: None,
                bytes: message,
            },
            object,
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
        let mut subtrees = Vec::new();
        for entry in gix::objs::TreeRefIter::from_bytes(data, self.hash) {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    self.collector.problem(
                        Subject::Object(id.to_owned()),
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
            if self.edges.is_some() && entry.mode.is_tree() {
                let positions =
                    (self.inventory.position(entry.oid)).zip(self.inventory.position(id));
                if let Some(link) = positions {
                    subtrees.push(link);
                }
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
        if let Some(edges) = &self.edges {
            lock(edges).append(&mut subtrees);
        }
    }

    pub fn into_parts(self) -> Gathered {
        Gathered {
            parts: self.collector.into_parts(),
            commits: into_inner(self.commits),
            key_files: into_inner(self.key_files),
            missing: into_inner(self.missing),
            submodules: into_inner(self.submodules),
            edges: self.edges.map(into_inner).unwrap_or_default(),
        }
    }
}

/// What one pack (or the loose objects) yielded besides findings.
pub struct Gathered {
    parts: crate::scan::ScanParts,
    pub commits: Vec<CommitMeta>,
    pub key_files: Vec<(ObjectId, String)>,
    missing: Vec<(ObjectId, ObjectId, String)>,
    submodules: Vec<String>,
    edges: Vec<(u32, u32)>,
}

#[derive(Default)]
pub struct Totals {
    pub commits: Vec<CommitMeta>,
    pub key_files: Vec<(ObjectId, String)>,
    pub missing: Vec<(ObjectId, ObjectId, String)>,
    pub submodules: Vec<String>,
    pub edges: Vec<(u32, u32)>,
}

impl Totals {
    pub fn add(&mut self, collector: &Collector, mut gathered: Gathered) {
        collector.merge(gathered.parts);
        self.commits.append(&mut gathered.commits);
        self.key_files.append(&mut gathered.key_files);
        self.missing.append(&mut gathered.missing);
        self.submodules.append(&mut gathered.submodules);
        self.edges.append(&mut gathered.edges);
    }
}

fn into_inner<T>(mutex: Mutex<T>) -> T {
    mutex.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
