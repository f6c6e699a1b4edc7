//! Gathering what parallel sources found: findings whose origin is known,
//! hits in git objects that wait for attribution, and problems.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use gix::ObjectId;

use super::{Blob, Problem, ProblemKind, Scanner, StreamOptions, StreamOutcome, Subject};
use crate::finding::{Finding, Hit, Origin};

/// A git object whose content was scanned: what attribution starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GitObject {
    Blob(ObjectId),
    /// A commit, for its message.
    Commit(ObjectId),
    /// An annotated tag, for its message.
    Tag(ObjectId),
}

impl GitObject {
    pub fn id(&self) -> ObjectId {
        match self {
            GitObject::Blob(id) | GitObject::Commit(id) | GitObject::Tag(id) => *id,
        }
    }
}

/// A hit in a git object: it becomes a finding once attribution has said
/// where the object sits in history ([`crate::source::git::provenance`]).
#[derive(Clone, Debug)]
pub struct ObjectHit {
    pub object: GitObject,
    pub hit: Hit,
}

/// Thread-safe accumulator that parallel sources push into.
#[derive(Default)]
pub struct Collector {
    findings: Mutex<Vec<Finding>>,
    object_hits: Mutex<Vec<ObjectHit>>,
    problems: Mutex<Vec<Problem>>,
    pub scanned: AtomicU64,
    pub bytes: AtomicU64,
}

impl Collector {
    /// Scans `blob`, whose origin is known now, and records the outcome.
    /// The origin is made only for a blob with findings.
    pub fn scan(&self, scanner: &Scanner, blob: &Blob<'_>, origin: impl FnOnce() -> Origin) {
        let hits = self.count(scanner, blob);
        if !hits.is_empty() {
            let origin = origin();
            let findings = hits.into_iter().map(|hit| hit.found_in(origin.clone()));
            lock(&self.findings).extend(findings);
        }
    }

    /// Scans the content of a git object; its hits wait for attribution.
    pub fn scan_object(&self, scanner: &Scanner, blob: &Blob<'_>, object: GitObject) {
        let hits = self.count(scanner, blob);
        if !hits.is_empty() {
            let hits = hits.into_iter().map(|hit| ObjectHit { object, hit });
            lock(&self.object_hits).extend(hits);
        }
    }

    fn count(&self, scanner: &Scanner, blob: &Blob<'_>) -> Vec<Hit> {
        let hits = scanner.scan_bytes(blob);
        self.scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes
            .fetch_add(blob.bytes.len() as u64, Ordering::Relaxed);
        hits
    }

    /// Scans a stream in windows (see [`Scanner::scan_stream`]), recording
    /// findings as they come and handing each batch to `on_findings` too
    /// (to print them at once). Counts as one input.
    pub fn scan_stream(
        &self,
        scanner: &Scanner,
        reader: &mut dyn std::io::Read,
        origin: &Origin,
        options: StreamOptions,
        on_findings: &mut dyn FnMut(&[Finding]),
    ) -> StreamOutcome {
        let outcome = scanner.scan_stream(reader, origin.path(), options, &mut |hits| {
            let batch: Vec<Finding> = hits
                .into_iter()
                .map(|hit| hit.found_in(origin.clone()))
                .collect();
            on_findings(&batch);
            lock(&self.findings).extend(batch);
        });
        self.scanned.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(outcome.bytes, Ordering::Relaxed);
        outcome
    }

    pub fn add_findings(&self, findings: Vec<Finding>) {
        lock(&self.findings).extend(findings);
    }

    pub fn add_object_hits(&self, hits: Vec<ObjectHit>) {
        lock(&self.object_hits).extend(hits);
    }

    pub fn problem(&self, subject: Subject, kind: ProblemKind, message: impl Into<String>) {
        self.add_problem(Problem::new(subject, kind, message));
    }

    pub fn add_problem(&self, problem: Problem) {
        lock(&self.problems).push(problem);
    }

    /// Adds what another collector gathered (a per-pack one, say); its
    /// counts are added too.
    pub fn merge(&self, parts: ScanParts) {
        self.add_findings(parts.findings);
        self.add_object_hits(parts.object_hits);
        lock(&self.problems).extend(parts.problems);
        self.scanned.fetch_add(parts.scanned, Ordering::Relaxed);
        self.bytes.fetch_add(parts.bytes, Ordering::Relaxed);
    }

    pub fn into_parts(self) -> ScanParts {
        let mut findings = into_inner(self.findings);
        let mut problems = into_inner(self.problems);
        // Parallel sources finish in any order; reports must not churn.
        findings.sort_by(|a, b| {
            (
                a.origin.path(),
                a.location.line,
                a.location.column,
                &a.rule_id,
            )
                .cmp(&(
                    b.origin.path(),
                    b.location.line,
                    b.location.column,
                    &b.rule_id,
                ))
        });
        problems.sort_by_cached_key(|p| p.subject.to_string());
        ScanParts {
            findings,
            object_hits: into_inner(self.object_hits),
            problems,
            scanned: self.scanned.into_inner(),
            bytes: self.bytes.into_inner(),
        }
    }
}

/// What a finished source produced.
pub struct ScanParts {
    pub findings: Vec<Finding>,
    /// Hits in git objects, not attributed yet: the git session turns them
    /// into findings when it finishes.
    pub object_hits: Vec<ObjectHit>,
    pub problems: Vec<Problem>,
    pub scanned: u64,
    pub bytes: u64,
}

fn into_inner<T>(mutex: Mutex<T>) -> T {
    mutex.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// A poisoned lock only means another thread panicked while pushing; the data
/// is still a valid Vec, and losing findings would be worse than using it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::Matcher;
    use crate::rules::RuleSet;

    const LINE: &[u8] =
        b"VAST_API_KEY=38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad\n";

    fn scanner() -> Scanner {
        Scanner::new(Matcher::new(&RuleSet::builtin()).unwrap())
    }

    fn blob(bytes: &[u8]) -> Blob<'_> {
        Blob { path: None, bytes }
    }

    #[test]
    fn hits_in_objects_wait_for_attribution() {
        let (scanner, collector) = (scanner(), Collector::default());
        let id = ObjectId::from_hex(&[b'e'; 40]).unwrap();
        collector.scan_object(&scanner, &blob(LINE), GitObject::Blob(id));
        let parts = collector.into_parts();
        assert!(parts.findings.is_empty());
        assert_eq!(parts.object_hits.len(), 1);
        assert_eq!(parts.object_hits[0].object, GitObject::Blob(id));
        assert_eq!(parts.object_hits[0].hit.location.line, 1);
        assert_eq!((parts.scanned, parts.bytes), (1, LINE.len() as u64));
    }

    #[test]
    fn known_origins_make_findings_and_only_when_there_are_hits() {
        let (scanner, collector) = (scanner(), Collector::default());
        collector.scan(&scanner, &blob(b"nothing here\n"), || {
            panic!("an origin was made for a blob without findings")
        });
        collector.scan(&scanner, &blob(LINE), || Origin::File {
            path: "a/.env".into(),
        });
        let parts = collector.into_parts();
        assert!(parts.object_hits.is_empty());
        assert_eq!(parts.findings.len(), 1);
        assert_eq!(parts.findings[0].position(), "a/.env:1:14");
        assert_eq!(parts.scanned, 2);
    }
}
