//! Revocation, by the safe procedure the README's `vastleaks revoke` section
//! describes.
//!
//! The API cannot be asked "delete *this* key"; it deletes a key *id*. The id
//! of the calling key comes from `/users/current/` (`key_id`), which is not
//! documented to be the calling key's id, so it is cross-checked against the
//! account's key list before anything is deleted, and after the delete the
//! leaked key must stop working (401) or we say loudly that a different key
//! was deleted. Any doubt: refuse and send the user to the console.
//! The reset-key endpoint is never called: which key it resets is unclear.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde::Serialize;

use crate::finding::{Verification, VerifyStatus};
use crate::key::{Fingerprint, Secret};
use crate::vast_api::{
    classify_delete, key_path, parse_key_list, DeleteAnswer, KeyListEntry, LIST_KEYS,
    MANAGE_KEYS_URL,
};
use crate::verify::Verifier;

/// The API allows about one key call per 1-2 s per token.
pub const DELETE_INTERVAL: Duration = Duration::from_secs(2);

/// What was done for a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// A DELETE was sent.
    Revoke,
    /// Planned only (dry run).
    DryRun,
    /// Asked on the terminal, and the answer was no (or quit).
    Declined,
    /// Nothing to do or not safe to do.
    Skip,
}

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Deleted, and the post-check confirms the key no longer works.
    Revoked,
    /// The API said 404 and the key no longer works.
    AlreadyGone,
    /// Dry run: this key would be revoked.
    WouldRevoke,
    /// The user answered no.
    Declined,
    /// Verified revoked already: nothing to do.
    NotLive,
    /// Status unknown: not revoked; check by hand.
    Unverified,
    /// Doubt about which key id to delete, or the API refused (403/401).
    Refused,
    /// The delete or its post-check failed; the key may still work.
    Failed,
    /// A delete succeeded but the leaked key still works.
    DifferentKeyDeleted,
}

impl Outcome {
    /// The key is known not to work any more.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            Outcome::Revoked | Outcome::AlreadyGone | Outcome::NotLive
        )
    }
}

/// One line of the audit trail. Holds no key and no personal data.
#[derive(Clone, Debug, Serialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC.
    pub time: String,
    pub fingerprint: Fingerprint,
    /// Redacted (first 4 + last 4).
    pub key: String,
    pub key_id: Option<i64>,
    pub action: Action,
    pub outcome: Outcome,
    pub detail: String,
}

impl AuditRecord {
    pub fn new(
        secret: &Secret,
        key_id: Option<i64>,
        action: Action,
        outcome: Outcome,
        detail: impl Into<String>,
    ) -> AuditRecord {
        AuditRecord {
            time: rfc3339(SystemTime::now()),
            fingerprint: secret.fingerprint(),
            key: secret.redacted(),
            key_id,
            action,
            outcome,
            detail: detail.into(),
        }
    }
}

/// Performs deletes, at most one per [`DELETE_INTERVAL`].
pub struct Revoker<'a> {
    verifier: &'a Verifier,
    last_delete: Option<Instant>,
}

impl<'a> Revoker<'a> {
    pub fn new(verifier: &'a Verifier) -> Revoker<'a> {
        Revoker {
            verifier,
            last_delete: None,
        }
    }

    /// Step 2 of the procedure: the id to delete, or why not.
    ///
    /// If the key list carries key values, the entry whose value is the leaked
    /// key must have id == `key_id`; otherwise an entry with id == `key_id`
    /// must exist. The list (which may hold other keys) is dropped here.
    pub fn cross_check(&self, secret: &Secret, verified: &Verification) -> Result<i64, String> {
        if verified.status != VerifyStatus::Live {
            return Err("the key is not verified live in this run".to_string());
        }
        let key_id = verified
            .key_id
            .ok_or("the API did not say which key id this key has (no `key_id`)")?;
        let client = self.verifier.client();
        let answer = client
            .send(Method::GET, LIST_KEYS, secret)
            .map_err(|f| format!("cannot list the account's keys: {}", f.detail))?;
        if answer.status != 200 {
            return Err(format!(
                "listing the account's keys answered HTTP {} (the key may lack the user_read permission)",
                answer.status
            ));
        }
        let entries = parse_key_list(&answer.body, secret)
            .ok_or("the account's key list has an unexpected format")?;
        drop(answer);
        let with_values = entries.iter().any(|e| e.value_matches.is_some());
        let matching: Vec<&KeyListEntry> = if with_values {
            entries
                .iter()
                .filter(|e| e.value_matches == Some(true))
                .collect()
        } else {
            entries.iter().filter(|e| e.id == key_id).collect()
        };
        let entry = match matching.as_slice() {
            [one] => *one,
            [] if with_values => {
                return Err("the account's key list does not contain this key".to_string())
            }
            [] => {
                return Err(format!(
                    "the account's key list has no key with id {key_id}"
                ))
            }
            _ => return Err("the account's key list matches this key more than once".to_string()),
        };
        if entry.id != key_id {
            return Err(format!(
                "/users/current/ says key id {key_id} but the key list says this key is id {}",
                entry.id
            ));
        }
        if let (Some(owner), Some(user)) = (entry.user_id, verified.user_id) {
            if owner != user {
                return Err(format!(
                    "key id {key_id} belongs to account {owner}, not to the key's account {user}"
                ));
            }
        }
        Ok(key_id)
    }

    /// Steps 3 and 4: DELETE, then the post-check with the leaked key.
    pub fn revoke(&mut self, secret: &Secret, key_id: i64) -> AuditRecord {
        if let Some(last) = self.last_delete {
            let since = last.elapsed();
            if since < DELETE_INTERVAL {
                std::thread::sleep(DELETE_INTERVAL - since);
            }
        }
        let path = key_path(key_id);
        let answer = self.verifier.client().send(Method::DELETE, &path, secret);
        self.last_delete = Some(Instant::now());
        let record = |outcome, detail: String| {
            AuditRecord::new(secret, Some(key_id), Action::Revoke, outcome, detail)
        };
        let deleted = match answer.as_ref().map(|a| classify_delete(a.status)) {
            Ok(DeleteAnswer::Deleted) => "deleted".to_string(),
            Ok(DeleteAnswer::OtherUser) => {
                return record(
                    Outcome::Refused,
                    format!("the API refused (403): key id {key_id} belongs to another user; nothing deleted, revoke by hand at {MANAGE_KEYS_URL}"),
                )
            }
            Ok(DeleteAnswer::NotPermitted) => {
                return record(
                    Outcome::Refused,
                    format!("the API refused (401): the key lacks the user_write permission or two-factor authentication is required; nothing deleted, revoke by hand at {MANAGE_KEYS_URL}"),
                )
            }
            Ok(DeleteAnswer::NotFound) => "not found (404)".to_string(),
            Ok(DeleteAnswer::Unexpected(status)) => format!("unexpected HTTP {status}"),
            Err(f) => format!("no answer ({})", f.detail),
        };
        drop(answer);
        let check = self.verifier.check(secret);
        let status = check.verification.status;
        let (outcome, detail) = match (deleted.as_str(), status) {
            ("deleted", VerifyStatus::Revoked) => (
                Outcome::Revoked,
                format!("deleted key id {key_id}; post-check: the leaked key is refused now (401)"),
            ),
            ("deleted", VerifyStatus::Live) => (
                Outcome::DifferentKeyDeleted,
                format!("DELETED KEY ID {key_id} BUT THE LEAKED KEY STILL WORKS: A DIFFERENT KEY WAS DELETED. Revoke the leaked key by hand now at {MANAGE_KEYS_URL} and check which key id {key_id} was"),
            ),
            ("not found (404)", VerifyStatus::Revoked) => (
                Outcome::AlreadyGone,
                format!("key id {key_id} was already gone (404); post-check: the leaked key is refused (401)"),
            ),
            (_, VerifyStatus::Revoked) => (
                Outcome::Revoked,
                format!("delete of key id {key_id}: {deleted}; post-check: the leaked key is refused now (401)"),
            ),
            (_, VerifyStatus::Live) => (
                Outcome::Failed,
                format!("delete of key id {key_id}: {deleted}; post-check: the leaked key STILL WORKS; revoke by hand at {MANAGE_KEYS_URL}"),
            ),
            (_, VerifyStatus::Unknown) => (
                Outcome::Failed,
                format!(
                    "delete of key id {key_id}: {deleted}; the post-check could not tell whether the key still works ({}); check by hand at {MANAGE_KEYS_URL}",
                    check.detail.as_deref().unwrap_or("unknown")
                ),
            ),
        };
        record(outcome, detail)
    }
}

/// Formats a time as RFC 3339 UTC (`2026-11-26T15:04:05Z`), with the date
/// library gix already brings.
pub fn rfc3339(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    gix::date::Time::new(secs, 0)
        .format_or_unix(gix::date::time::CustomFormat::new("%Y-%m-%dT%H:%M:%SZ"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_707_845)),
            "2026-11-26T15:44:05Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }
}
