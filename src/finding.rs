//! The one finding type every input produces and every report consumes.

use std::fmt;

use serde::Serialize;

use crate::key::{Fingerprint, Secret};
use crate::rules::Confidence;

mod origin;

#[cfg(test)]
pub(crate) use origin::test_id;

pub use origin::{
    short, BlobOrigin, CommitInfo, CommitOrigin, GitView, Origin, Place, Reach, SourceKind,
    TagOrigin,
};

/// Replaces every key-shaped run in `text` by its redacted form; see
/// [`crate::untrusted::redact_keys`], which owns the rule.
pub fn redact_key_shapes(text: &str) -> String {
    crate::untrusted::redact_keys(text).into_owned()
}

/// Where in its input a key sits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset of the key in its source.
    pub offset: usize,
    /// Length in bytes of the key as written (64, or 88 when base64-encoded).
    #[serde(skip)]
    pub length: usize,
    /// The source contains NUL bytes: a key embedded in a binary is still a leak.
    pub binary: bool,
    /// Set when the source was decoded before matching (`utf-16le`,
    /// `utf-16be`): `line` and `column` then count decoded lines and
    /// characters, while `offset` and `length` stay byte positions in the
    /// original.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
}

/// Verification outcome of a key against the Vast API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    /// The API accepted the key: it works right now.
    Live,
    /// The API said "Invalid user key": deleted or never valid.
    Revoked,
    /// Could not tell; see the reason. Never a synonym for "revoked".
    Unknown,
}

/// Why a key's status is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownReason {
    RateLimited,
    Timeout,
    Network,
    ServerError,
    TwoFactorRequired,
    InsufficientScope,
    UnexpectedResponse,
    Deadline,
}

impl fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        f.write_str(&text)
    }
}

impl fmt::Display for VerifyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VerifyStatus::Live => "live",
            VerifyStatus::Revoked => "revoked",
            VerifyStatus::Unknown => "unknown",
        })
    }
}

/// The result of checking a key. Holds no personal data: only the account's
/// numeric id and the key's id are kept from the API's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub status: VerifyStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<UnknownReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<i64>,
}

impl Verification {
    /// Could not tell whether the key is live, and why.
    pub fn unknown(reason: UnknownReason) -> Verification {
        Verification {
            status: VerifyStatus::Unknown,
            reason: Some(reason),
            user_id: None,
            key_id: None,
        }
    }
}

/// Why a finding does not count towards the exit code. A suppressed finding
/// is never dropped: it stays in the report, marked, so that a pull request
/// cannot hide its own key without the reviewer seeing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Suppression {
    /// `vastleaks:allow` or `gitleaks:allow` on the key's line.
    Inline { marker: String },
    /// An entry of an ignore file.
    IgnoreFile { file: String, line: usize },
    /// A fingerprint listed in a `--baseline` report.
    Baseline { file: String },
    /// An `allow-paths` pattern of the project configuration that matches
    /// the finding's path.
    Config { file: String, pattern: String },
}

impl Suppression {
    /// SARIF's `suppression.kind`: in the scanned source itself, or outside it.
    pub fn in_source(&self) -> bool {
        matches!(self, Suppression::Inline { .. })
    }
}

impl fmt::Display for Suppression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Suppression::Inline { marker } => write!(f, "`{marker}` on its line"),
            Suppression::IgnoreFile { file, line } => write!(f, "ignore entry {file}:{line}"),
            Suppression::Baseline { file } => write!(f, "baseline {file}"),
            Suppression::Config { file, pattern } => {
                write!(f, "allow-paths \"{pattern}\" in {file}")
            }
        }
    }
}

/// What the scanner found in some bytes, before anyone says where the bytes
/// came from. Sources that know their origin at once (files, stdin, staged
/// paths) turn hits into findings right away; the git sources keep hits in
/// objects until attribution has made their origin complete.
#[derive(Clone, Debug)]
pub struct Hit {
    pub rule_id: String,
    pub rule_name: String,
    pub confidence: Confidence,
    pub secret: Secret,
    pub fingerprint: Fingerprint,
    pub location: Location,
    /// Set by an inline allow marker on the key's line.
    pub suppression: Option<Suppression>,
}

impl Hit {
    /// The finding this hit is, once its origin is known.
    pub fn found_in(self, origin: Origin) -> Finding {
        Finding {
            rule_id: self.rule_id,
            rule_name: self.rule_name,
            confidence: self.confidence,
            secret: self.secret,
            fingerprint: self.fingerprint,
            location: self.location,
            origin,
            verification: None,
            suppression: self.suppression,
        }
    }
}

/// One occurrence of a key.
#[derive(Clone, Debug)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub confidence: Confidence,
    pub secret: Secret,
    pub fingerprint: Fingerprint,
    pub location: Location,
    pub origin: Origin,
    pub verification: Option<Verification>,
    /// Set when something suppressed the finding (it is then reported as
    /// suppressed, not dropped).
    pub suppression: Option<Suppression>,
}

impl Finding {
    /// What the key is in: see [`Origin`]'s `Display`.
    pub fn place(&self) -> String {
        self.origin.to_string()
    }

    /// `place:line:column` for messages.
    pub fn position(&self) -> String {
        format!(
            "{}:{}:{}",
            self.origin, self.location.line, self.location.column
        )
    }
}

#[cfg(test)]
impl Finding {
    /// A finding of the env-assignment rule at `origin`, `line:column`, for unit tests.
    pub(crate) fn for_test(key: &str, origin: Origin, line: usize, column: usize) -> Finding {
        let secret = Secret::new(key);
        Finding {
            rule_id: "vast.env-assignment".into(),
            rule_name: "Vast API key assigned to a Vast-named variable".into(),
            confidence: Confidence::High,
            fingerprint: secret.fingerprint(),
            secret,
            location: Location {
                line,
                column,
                offset: 0,
                length: key.len(),
                binary: false,
                encoding: None,
            },
            origin,
            verification: None,
            suppression: None,
        }
    }

    /// [`Finding::for_test`] in a work-tree file.
    pub(crate) fn in_file(key: &str, path: &str, line: usize, column: usize) -> Finding {
        Finding::for_test(key, Origin::File { path: path.into() }, line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    #[test]
    fn positions_name_files_messages_and_stdin() {
        let file = Finding::in_file(KEY, "a/.env", 2, 14);
        assert_eq!(file.position(), "a/.env:2:14");
        let stdin = Finding::for_test(KEY, Origin::Stdin, 1, 1);
        assert_eq!(stdin.position(), "<stdin>:1:1");
        let id = gix::ObjectId::from_hex(b"5e19f2c35e19f2c35e19f2c35e19f2c35e19f2c3").unwrap();
        let message = Origin::CommitMessage(Box::new(CommitOrigin {
            commit: CommitInfo::id_only(id),
            reach: Reach::default(),
        }));
        let message = Finding::for_test(KEY, message, 1, 18);
        assert_eq!(message.position(), format!("commit message {id}:1:18"));
    }

    #[test]
    fn key_shapes_in_free_text_are_redacted() {
        let text = format!("ci: export VAST_API_KEY={KEY} (sha {})", "0".repeat(40));
        assert_eq!(
            redact_key_shapes(&text),
            format!(
                "ci: export VAST_API_KEY=3839...b7ad (sha {})",
                "0".repeat(40)
            )
        );
        let longer = format!("{KEY}{KEY}");
        assert_eq!(redact_key_shapes(&longer), longer);
        assert_eq!(redact_key_shapes("é ok"), "é ok");
    }
}
