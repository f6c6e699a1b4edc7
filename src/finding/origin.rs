//! Where a finding came from, as one type per kind of input.
//!
//! An origin is complete when it is made: a file finding has its path, a git
//! blob finding has been attributed (introducing commit, path, refs,
//! reachability, presence at HEAD) before it becomes a finding at all. The
//! git sources therefore keep what they find in objects as
//! [`crate::scan::ObjectHit`]s until attribution has run, instead of making
//! findings with holes and filling them in later.
//!
//! [`Origin`]'s `Display` is the one rendering of "where" (`path`,
//! `commit message ID`, `tag message ID`, `object ID`, `<stdin>`) that every
//! report format and every message uses; [`GitView`] is the flat shape the
//! JSON and SARIF documents have always had for the git part.

use std::fmt;

use gix::ObjectId;
use serde::{Serialize, Serializer};

/// Where the scanned bytes came from: the `source` field of reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A file in the working tree.
    File,
    /// Standard input.
    Stdin,
    /// A blob in the git object database.
    GitBlob,
    /// A commit message.
    GitCommit,
    /// An annotated tag message.
    GitTag,
    /// A blob staged in the index.
    Staged,
}

/// Where a finding came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A file in the working tree (or named on the command line), by its
    /// display path.
    File { path: String },
    /// Standard input.
    Stdin,
    /// A blob staged in the index, by its index path.
    Staged { path: String },
    /// A blob in the object database, attributed.
    GitBlob(Box<BlobOrigin>),
    /// A commit message.
    CommitMessage(Box<CommitOrigin>),
    /// An annotated tag's message.
    TagMessage(Box<TagOrigin>),
}

/// A blob as attribution found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobOrigin {
    pub blob: ObjectId,
    /// The path the introducing commit (or the index) gives the blob; `None`
    /// when no commit and no index entry names it (a dangling blob).
    pub path: Option<String>,
    /// The commit that first introduced the blob, if any commit reaches it.
    pub introduced_by: Option<CommitInfo>,
    pub reach: Reach,
    /// Whether the key is still in the tree at HEAD (`None`: not determined).
    pub at_head: Option<bool>,
}

/// A commit whose message holds a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitOrigin {
    pub commit: CommitInfo,
    pub reach: Reach,
}

/// An annotated tag whose message holds a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagOrigin {
    pub tag: ObjectId,
    pub reach: Reach,
}

/// What reports say about a commit. Author and summary come from the
/// scanned repository: key shapes in them are redacted when they are read
/// (see [`crate::source::git::describe_commit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    pub id: ObjectId,
    /// `Name <email>`; `None` when the commit could not be read.
    pub author: Option<String>,
    /// Commit time, RFC 3339.
    pub date: Option<String>,
    pub summary: Option<String>,
}

impl CommitInfo {
    /// A commit known by id only (not readable, or not described yet).
    pub fn id_only(id: ObjectId) -> CommitInfo {
        CommitInfo {
            id,
            author: None,
            date: None,
            summary: None,
        }
    }
}

/// Which refs reach an object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// Refs the object (or its introducing commit) is reachable from; empty
    /// when unreachable. `index` for a blob only the index keeps alive.
    pub refs: Vec<String>,
    /// False for dangling objects (dropped stashes, reset commits); `None`
    /// when the refs could not be read, so nobody can tell.
    pub reachable: Option<bool>,
}

impl Origin {
    /// The `source` field of reports.
    pub fn kind(&self) -> SourceKind {
        match self {
            Origin::File { .. } => SourceKind::File,
            Origin::Stdin => SourceKind::Stdin,
            Origin::Staged { .. } => SourceKind::Staged,
            Origin::GitBlob(_) => SourceKind::GitBlob,
            Origin::CommitMessage(_) => SourceKind::GitCommit,
            Origin::TagMessage(_) => SourceKind::GitTag,
        }
    }

    /// The file or index path (`/`-separated for git), if the input has one.
    pub fn path(&self) -> Option<&str> {
        match self {
            Origin::File { path } | Origin::Staged { path } => Some(path),
            Origin::GitBlob(blob) => blob.path.as_deref(),
            Origin::Stdin | Origin::CommitMessage(_) | Origin::TagMessage(_) => None,
        }
    }

    /// The same origin seen from a directory above: `prefix` (ending in
    /// `/`) is put in front of the path, if there is one. For a scan run in
    /// a subdirectory whose report must name files from the repository root.
    pub fn prefix_path(&mut self, prefix: &str) {
        let path = match self {
            Origin::File { path } | Origin::Staged { path } => Some(path),
            Origin::GitBlob(blob) => blob.path.as_mut(),
            Origin::Stdin | Origin::CommitMessage(_) | Origin::TagMessage(_) => None,
        };
        if let Some(path) = path {
            path.insert_str(0, prefix);
        }
    }

    /// The git object the key is in (blob, commit or tag).
    pub fn object(&self) -> Option<ObjectId> {
        match self {
            Origin::GitBlob(blob) => Some(blob.blob),
            Origin::CommitMessage(message) => Some(message.commit.id),
            Origin::TagMessage(message) => Some(message.tag),
            Origin::File { .. } | Origin::Stdin | Origin::Staged { .. } => None,
        }
    }

    /// The git part of the finding, flat, as reports show it; `None` for
    /// inputs outside the object database.
    pub fn git(&self) -> Option<GitView<'_>> {
        let (object, commit, reach, at_head) = match self {
            Origin::GitBlob(blob) => (
                blob.blob,
                blob.introduced_by.as_ref(),
                &blob.reach,
                blob.at_head,
            ),
            Origin::CommitMessage(message) => (
                message.commit.id,
                Some(&message.commit),
                &message.reach,
                None,
            ),
            Origin::TagMessage(message) => (message.tag, None, &message.reach, None),
            Origin::File { .. } | Origin::Stdin | Origin::Staged { .. } => return None,
        };
        Some(GitView {
            object,
            commit: commit.map(|c| c.id),
            author: commit.and_then(|c| c.author.as_deref()),
            date: commit.and_then(|c| c.date.as_deref()),
            summary: commit.and_then(|c| c.summary.as_deref()),
            refs: &reach.refs,
            reachable: reach.reachable,
            at_head,
        })
    }
}

/// What a finding is in, as every format names it: a path when there is
/// one, else the object (and what kind of text it is), else standard input.
/// Formats differ only in spelling (full or short ids, links, URIs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place<'a> {
    Path(&'a str),
    CommitMessage(ObjectId),
    TagMessage(ObjectId),
    /// A blob no commit and no index entry names.
    Object(ObjectId),
    Stdin,
}

impl Place<'_> {
    /// For a place that is an object: what it is, in words, and its id.
    pub fn object(&self) -> Option<(&'static str, ObjectId)> {
        match *self {
            Place::CommitMessage(id) => Some(("commit message", id)),
            Place::TagMessage(id) => Some(("tag message", id)),
            Place::Object(id) => Some(("object", id)),
            Place::Path(_) | Place::Stdin => None,
        }
    }
}

impl Origin {
    /// What the finding is in: see [`Place`].
    pub fn place(&self) -> Place<'_> {
        match self {
            Origin::File { path } | Origin::Staged { path } => Place::Path(path),
            Origin::Stdin => Place::Stdin,
            Origin::GitBlob(blob) => match &blob.path {
                Some(path) => Place::Path(path),
                None => Place::Object(blob.blob),
            },
            Origin::CommitMessage(message) => Place::CommitMessage(message.commit.id),
            Origin::TagMessage(message) => Place::TagMessage(message.tag),
        }
    }
}

/// "Where", for messages and plain-text formats: the path, `commit message
/// ID`, `tag message ID`, `object ID` or `<stdin>`. Not escaped: paths come
/// from the scanned input, so callers escape for their medium.
impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = self.place();
        match place {
            Place::Path(path) => f.write_str(path),
            Place::Stdin => f.write_str("<stdin>"),
            _ => match place.object() {
                Some((what, id)) => write!(f, "{what} {id}"),
                None => Ok(()),
            },
        }
    }
}

/// The git part of a finding as the JSON report has always shaped it
/// (`schemas/report.schema.json`, `git`): ids as hex strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GitView<'a> {
    /// The blob (or commit/tag object for messages) the key is in.
    #[serde(serialize_with = "hex")]
    pub object: ObjectId,
    /// The commit that introduced the blob (the commit itself for a message).
    #[serde(serialize_with = "optional_hex")]
    pub commit: Option<ObjectId>,
    pub author: Option<&'a str>,
    pub date: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub refs: &'a [String],
    pub reachable: Option<bool>,
    pub at_head: Option<bool>,
}

/// The first 12 hex digits of an object id: what people paste into `git show`
/// (the length every message uses, [`crate::wording::SHORT_ID_LEN`]; ids held
/// as text go through [`crate::wording::short`]).
pub fn short(id: &ObjectId) -> String {
    id.to_hex_with_len(crate::wording::SHORT_ID_LEN).to_string()
}

/// An id of 40 times `digit`, for unit tests.
#[cfg(test)]
pub(crate) fn test_id(digit: char) -> ObjectId {
    ObjectId::from_hex(digit.to_string().repeat(40).as_bytes()).expect("a hex digit")
}

#[cfg(test)]
impl Origin {
    /// A blob at `path`, for unit tests.
    pub(crate) fn test_blob(
        path: Option<&str>,
        introduced_by: Option<CommitInfo>,
        reachable: Option<bool>,
        at_head: Option<bool>,
    ) -> Origin {
        Origin::GitBlob(Box::new(BlobOrigin {
            blob: test_id('b'),
            path: path.map(str::to_string),
            introduced_by,
            reach: Reach {
                refs: Vec::new(),
                reachable,
            },
            at_head,
        }))
    }
}

fn hex<S: Serializer>(id: &ObjectId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

fn optional_hex<S: Serializer>(id: &Option<ObjectId>, serializer: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => serializer.collect_str(id),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(hex: &str) -> ObjectId {
        ObjectId::from_hex(hex.repeat(40 / hex.len()).as_bytes()).unwrap()
    }

    fn blob(path: Option<&str>) -> Origin {
        Origin::GitBlob(Box::new(BlobOrigin {
            blob: id("ab"),
            path: path.map(str::to_string),
            introduced_by: Some(CommitInfo {
                author: Some("A <a@example.com>".into()),
                ..CommitInfo::id_only(id("cd"))
            }),
            reach: Reach {
                refs: vec!["refs/heads/main".into()],
                reachable: Some(true),
            },
            at_head: Some(false),
        }))
    }

    #[test]
    fn every_origin_says_where() {
        assert_eq!(
            Origin::File {
                path: "a/.env".into()
            }
            .to_string(),
            "a/.env"
        );
        assert_eq!(Origin::Stdin.to_string(), "<stdin>");
        assert_eq!(blob(Some("x.env")).to_string(), "x.env");
        assert_eq!(blob(None).to_string(), format!("object {}", id("ab")));
        let message = Origin::CommitMessage(Box::new(CommitOrigin {
            commit: CommitInfo::id_only(id("5e")),
            reach: Reach::default(),
        }));
        assert_eq!(message.to_string(), format!("commit message {}", id("5e")));
        let tag = Origin::TagMessage(Box::new(TagOrigin {
            tag: id("7a"),
            reach: Reach::default(),
        }));
        assert_eq!(tag.to_string(), format!("tag message {}", id("7a")));
    }

    #[test]
    fn git_view_keeps_the_report_shape() {
        let view = serde_json::to_value(blob(Some("x.env")).git().unwrap()).unwrap();
        assert_eq!(
            view,
            serde_json::json!({
                "object": "ab".repeat(20),
                "commit": "cd".repeat(20),
                "author": "A <a@example.com>",
                "date": null,
                "summary": null,
                "refs": ["refs/heads/main"],
                "reachable": true,
                "at_head": false,
            })
        );
        assert!(Origin::Stdin.git().is_none());
        let message = Origin::CommitMessage(Box::new(CommitOrigin {
            commit: CommitInfo::id_only(id("5e")),
            reach: Reach::default(),
        }));
        let git = message.git().unwrap();
        assert_eq!((git.object, git.commit), (id("5e"), Some(id("5e"))));
        assert_eq!(short(&id("5e")), "5e".repeat(6));
    }
}
