//! What a scan could not read or chose not to read, and what it is about.
//!
//! The subject is typed so that code can ask "which object is this about"
//! (partial clones fetch exactly those) and deduplicate by value, while
//! reports keep printing the text they always did (`object ID`, a path,
//! `<stdin>`, ...) in the `path` field.

use std::fmt;

use gix::ObjectId;
use serde::{Serialize, Serializer};

/// Something the scan could not read or chose not to read. Reported, never fatal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What the problem is about; `path` in reports.
    #[serde(rename = "path")]
    pub subject: Subject,
    pub kind: ProblemKind,
    pub message: String,
}

impl Problem {
    pub fn new(subject: Subject, kind: ProblemKind, message: impl Into<String>) -> Problem {
        Problem {
            subject,
            kind,
            message: message.into(),
        }
    }

    /// The object this problem is about, if it is about one.
    pub fn object(&self) -> Option<ObjectId> {
        match self.subject {
            Subject::Object(id) => Some(id),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Deliberately not scanned (too large, symlink not followed).
    Skipped,
    /// Could not be scanned (unreadable, corrupt).
    Error,
}

/// What a problem is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A file, directory or index path, as reports print paths; also a
    /// pack or objects directory of a repository.
    Path(String),
    /// A git object.
    Object(ObjectId),
    /// Standard input.
    Stdin,
    /// The repository's refs (reachability could not be decided).
    Refs,
    /// A commit range, by its label (`BASE..HEAD`).
    Range(String),
    /// A partial clone's unfetched objects, as a whole.
    PartialClone,
    /// A configuration or ignore file (`HEAD:.vastleaksignore` when read
    /// from a commit).
    ConfigFile(String),
    /// One line of an ignore file.
    IgnoreEntry { file: String, line: usize },
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Path(path) | Subject::ConfigFile(path) => f.write_str(path),
            Subject::Object(id) => write!(f, "object {id}"),
            Subject::Stdin => f.write_str("<stdin>"),
            Subject::Refs => f.write_str("refs"),
            Subject::Range(label) => f.write_str(label),
            Subject::PartialClone => f.write_str("partial clone"),
            Subject::IgnoreEntry { file, line } => write!(f, "{file}:{line}"),
        }
    }
}

impl Serialize for Subject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Orders problems as reports list them (by the subject's text) and drops
/// repeats about the same object: an object missing from the audit's tree
/// check and from attribution is one problem.
pub fn sort_and_dedup(problems: &mut Vec<Problem>) {
    problems.sort_by_cached_key(|p| p.subject.to_string());
    problems.dedup_by(|a, b| a.subject == b.subject && matches!(a.subject, Subject::Object(_)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_print_as_reports_always_did() {
        let id = ObjectId::from_hex(&[b'a'; 40]).unwrap();
        let text = |s: Subject| s.to_string();
        assert_eq!(
            text(Subject::Object(id)),
            format!("object {}", "a".repeat(40))
        );
        assert_eq!(text(Subject::Stdin), "<stdin>");
        assert_eq!(text(Subject::Path("a b/c".into())), "a b/c");
        assert_eq!(
            text(Subject::IgnoreEntry {
                file: ".vastleaksignore".into(),
                line: 3
            }),
            ".vastleaksignore:3"
        );
        let problem = Problem::new(Subject::Object(id), ProblemKind::Error, "missing");
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["path"], format!("object {}", "a".repeat(40)));
        assert_eq!(problem.object(), Some(id));
    }

    #[test]
    fn only_object_problems_are_deduplicated() {
        let id = ObjectId::from_hex(&[b'b'; 40]).unwrap();
        let mut problems = vec![
            Problem::new(Subject::Object(id), ProblemKind::Error, "missing blob"),
            Problem::new(Subject::Path("x".into()), ProblemKind::Error, "one"),
            Problem::new(Subject::Object(id), ProblemKind::Error, "missing tree"),
            Problem::new(Subject::Path("x".into()), ProblemKind::Error, "two"),
        ];
        sort_and_dedup(&mut problems);
        let seen: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(seen, ["missing blob", "one", "two"]);
    }
}
