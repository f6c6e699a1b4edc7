//! What the Vast API is, in one place: where it lives, the endpoints the
//! scanner calls, where a person revokes a key by hand, and what its answers
//! mean (who-am-I, the key list, a delete), as the public Vast docs and the
//! official `vastai` CLI describe them; the README's `--verify` and `revoke`
//! sections say what users see of it.
//!
//! The transport (timeouts, retries, redirects, the bearer header) is
//! [`crate::verify::api`]'s job; this module only knows the API's contract,
//! so that a change at Vast (a new host, a new refusal text) is one edit.

use std::fmt::Display;

use crate::finding::{UnknownReason, Verification, VerifyStatus};
use crate::key::{is_key_shape, Secret};

/// The production API base (the official CLI's `VAST_URL` default).
pub const DEFAULT_API_URL: &str = "https://console.vast.ai";

/// The console page where a person deletes a key by hand; as a macro so that
/// fixed help texts (`concat!`) name it from here too.
macro_rules! manage_keys_url {
    () => {
        "https://cloud.vast.ai/manage-keys/"
    };
}
pub(crate) use manage_keys_url;

/// Where to revoke by hand.
pub const MANAGE_KEYS_URL: &str = manage_keys_url!();

/// Who am I: read-only, what verification asks (`GET`).
pub const CURRENT_USER: &str = "api/v0/users/current/";

/// The account's keys (`GET`), and the parent of one key's path.
pub const LIST_KEYS: &str = "api/v0/auth/apikeys/";

/// The account's audit log (`GET`): where the owner sees what a key did.
pub const AUDIT_LOGS: &str = "api/v0/audit_logs/";

/// One key, by id: `DELETE` revokes it immediately.
pub fn key_path(key_id: i64) -> String {
    format!("{LIST_KEYS}{key_id}/")
}

/// The `msg`/`error`/`detail` text of an error answer (or the raw text),
/// lowercased, for classification only. Never print it.
pub fn error_text(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(value) => ["msg", "error", "detail", "message"]
            .iter()
            .filter_map(|field| value.get(field).and_then(|v| v.as_str()))
            .collect::<Vec<_>>()
            .join(" "),
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    text.to_ascii_lowercase()
}

/// Maps a final [`CURRENT_USER`] answer (status and body; `refused_redirect`
/// names the host of a redirect that was not followed) to an outcome, with a
/// detail line naming `base` when the outcome is not plain. Only `id` and
/// `key_id` are taken from the body; the rest is personal data and stays
/// with the caller's answer, which drops it.
///
/// Only 401 "Invalid user key" means revoked: any other refusal (2FA, a
/// scoped key without `user_read`) says nothing about whether the key works.
pub fn classify_current(
    status: u16,
    body: &[u8],
    refused_redirect: Option<&str>,
    base: &dyn Display,
) -> (Verification, Option<String>) {
    if let Some(host) = refused_redirect {
        return (
            Verification::unknown(UnknownReason::UnexpectedResponse),
            Some(format!(
                "HTTP {status} redirect to another host ({host}) not followed: the key is only sent to {base}"
            )),
        );
    }
    match status {
        200 => {
            let ids = serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|v| {
                    let id = v.get("id")?.as_i64()?;
                    Some((id, v.get("key_id").and_then(|k| k.as_i64())))
                });
            match ids {
                Some((user_id, key_id)) => (
                    Verification {
                        status: VerifyStatus::Live,
                        reason: None,
                        user_id: Some(user_id),
                        key_id,
                    },
                    None,
                ),
                None => (
                    Verification::unknown(UnknownReason::UnexpectedResponse),
                    Some(format!(
                        "HTTP 200 from {base} without a JSON object holding an integer `id`"
                    )),
                ),
            }
        }
        401 | 403 => {
            let text = error_text(body);
            if status == 401 && text.contains("invalid user key") {
                return (
                    Verification {
                        status: VerifyStatus::Revoked,
                        reason: None,
                        user_id: None,
                        key_id: None,
                    },
                    None,
                );
            }
            let two_factor = [
                "2fa",
                "two-factor",
                "two factor",
                "otp",
                "multi-factor",
                "mfa",
            ]
            .iter()
            .any(|word| text.contains(word));
            let scope = [
                "permission",
                "scope",
                "user_read",
                "not authorized",
                "forbidden",
                "rights",
            ]
            .iter()
            .any(|word| text.contains(word));
            let (reason, what) = if two_factor {
                (
                    UnknownReason::TwoFactorRequired,
                    "two-factor authentication demanded: the key may be live",
                )
            } else if scope || status == 403 {
                (
                    UnknownReason::InsufficientScope,
                    "the key lacks the user_read permission: it may be live",
                )
            } else {
                (
                    UnknownReason::UnexpectedResponse,
                    "refused without \"Invalid user key\": the key may be live",
                )
            };
            (
                Verification::unknown(reason),
                Some(format!("HTTP {status} from {base}: {what}")),
            )
        }
        404 => (
            Verification::unknown(UnknownReason::UnexpectedResponse),
            Some(format!(
                "HTTP 404 from {base}: is the API base (--api-url/VAST_URL) right?"
            )),
        ),
        status => (
            Verification::unknown(UnknownReason::UnexpectedResponse),
            Some(format!("HTTP {status} from {base}")),
        ),
    }
}

/// What a `DELETE` of one key ([`key_path`]) answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeleteAnswer {
    /// Any 2xx (the body is a JSON string or `{"success": true}`): gone now.
    Deleted,
    /// 403: the key id belongs to another user.
    OtherUser,
    /// 401: no `user_write` permission, or two-factor authentication demanded.
    NotPermitted,
    /// 404: no such key id (maybe deleted already).
    NotFound,
    Unexpected(u16),
}

pub fn classify_delete(status: u16) -> DeleteAnswer {
    match status {
        200..=299 => DeleteAnswer::Deleted,
        403 => DeleteAnswer::OtherUser,
        401 => DeleteAnswer::NotPermitted,
        404 => DeleteAnswer::NotFound,
        status => DeleteAnswer::Unexpected(status),
    }
}

/// One entry of the account's key list ([`LIST_KEYS`]), as far as revoking
/// needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyListEntry {
    pub id: i64,
    pub user_id: Option<i64>,
    /// `Some(equal)` when the entry carries a full key value: whether it is
    /// `leaked`. The value itself is not kept.
    pub value_matches: Option<bool>,
}

/// Parses the key list, `{"apikeys": [...]}` or a bare list (current docs
/// show no key values in it, older ones did: both are handled). A value
/// counts only if it has the key shape, and is compared with `leaked`
/// exactly (keys are case-sensitive). `None` when the answer has another
/// format.
pub fn parse_key_list(body: &[u8], leaked: &Secret) -> Option<Vec<KeyListEntry>> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let list = match &value {
        serde_json::Value::Array(list) => list,
        other => other.get("apikeys")?.as_array()?,
    };
    list.iter()
        .map(|entry| {
            Some(KeyListEntry {
                id: entry.get("id")?.as_i64()?,
                user_id: entry.get("user_id").and_then(|u| u.as_i64()),
                value_matches: ["key", "api_key", "apikey"]
                    .iter()
                    .find_map(|f| entry.get(f).and_then(|v| v.as_str()))
                    .filter(|v| is_key_shape(v.as_bytes()))
                    .map(|v| v == leaked.expose()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(status: u16, body: &str) -> Verification {
        classify_current(status, body.as_bytes(), None, &DEFAULT_API_URL).0
    }

    #[test]
    fn outcomes() {
        let live = classify(200, r#"{"id": 7, "key_id": 9, "email": "a@b.c"}"#);
        assert_eq!(live.status, VerifyStatus::Live);
        assert_eq!((live.user_id, live.key_id), (Some(7), Some(9)));
        assert_eq!(
            classify(401, r#"{"msg": "Invalid user key"}"#).status,
            VerifyStatus::Revoked
        );
        let reason = |s, b| classify(s, b).reason;
        assert_eq!(
            reason(200, "{oops"),
            Some(UnknownReason::UnexpectedResponse)
        );
        assert_eq!(
            reason(200, r#"{"id": "7"}"#),
            Some(UnknownReason::UnexpectedResponse)
        );
        assert_eq!(
            reason(401, r#"{"msg": "2FA verification required"}"#),
            Some(UnknownReason::TwoFactorRequired)
        );
        assert_eq!(
            reason(403, r#"{"msg": "no"}"#),
            Some(UnknownReason::InsufficientScope)
        );
        assert_eq!(
            reason(401, r#"{"msg": "missing permission user_read"}"#),
            Some(UnknownReason::InsufficientScope)
        );
        assert_eq!(reason(401, "nope"), Some(UnknownReason::UnexpectedResponse));
        assert_eq!(reason(418, ""), Some(UnknownReason::UnexpectedResponse));
    }

    #[test]
    fn refused_redirect_is_unknown_and_named() {
        let (verification, detail) =
            classify_current(302, b"", Some("evil.example"), &"https://console.vast.ai");
        assert_eq!(verification.status, VerifyStatus::Unknown);
        let detail = detail.unwrap();
        assert!(detail.contains("evil.example") && detail.contains("console.vast.ai"));
    }

    #[test]
    fn error_text_reads_json_or_plain() {
        assert_eq!(
            error_text(br#"{"msg": "Invalid user key"}"#),
            "invalid user key"
        );
        assert_eq!(
            error_text(b"API requests too frequent"),
            "api requests too frequent"
        );
    }

    #[test]
    fn paths() {
        assert_eq!(key_path(7), "api/v0/auth/apikeys/7/");
        assert!(MANAGE_KEYS_URL.starts_with("https://"));
    }

    #[test]
    fn delete_answers() {
        assert_eq!(classify_delete(200), DeleteAnswer::Deleted);
        assert_eq!(classify_delete(204), DeleteAnswer::Deleted);
        assert_eq!(classify_delete(403), DeleteAnswer::OtherUser);
        assert_eq!(classify_delete(401), DeleteAnswer::NotPermitted);
        assert_eq!(classify_delete(404), DeleteAnswer::NotFound);
        assert_eq!(classify_delete(500), DeleteAnswer::Unexpected(500));
    }

    #[test]
    fn key_lists_with_and_without_values() {
        let key = Secret::new("ab".repeat(32));
        let with = format!(
            r#"{{"apikeys": [{{"id": 1, "user_id": 5, "key": "{}"}}, {{"id": 2, "key": "{}"}}]}}"#,
            "cd".repeat(32),
            key.expose()
        );
        let entries = parse_key_list(with.as_bytes(), &key).unwrap();
        assert_eq!(entries[0].value_matches, Some(false));
        assert_eq!(entries[1].value_matches, Some(true));
        let without = r#"{"apikeys": [{"id": 1, "user_id": 5, "rights": null}]}"#;
        let entries = parse_key_list(without.as_bytes(), &key).unwrap();
        assert_eq!(
            (entries[0].id, entries[0].user_id, entries[0].value_matches),
            (1, Some(5), None)
        );
        assert!(parse_key_list(b"{\"apikeys\": [{\"id\": \"x\"}]}", &key).is_none());
        assert!(parse_key_list(b"<html>", &key).is_none());
    }

    /// Keys are case-sensitive lowercase hex: an entry holding the leaked
    /// key in uppercase is some other value, and must not pick the key id to
    /// delete (the list check compared case-insensitively and accepted any
    /// hex case as a key).
    #[test]
    fn uppercase_value_is_not_the_leaked_key() {
        let key = Secret::new("38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad");
        let list = format!(
            r#"{{"apikeys": [{{"id": 1, "key": "{}"}}, {{"id": 2, "key": "{}"}}]}}"#,
            key.expose().to_ascii_uppercase(),
            "cd".repeat(32)
        );
        let entries = parse_key_list(list.as_bytes(), &key).unwrap();
        assert_ne!(entries[0].value_matches, Some(true));
        assert_eq!(entries[1].value_matches, Some(false));
    }
}
