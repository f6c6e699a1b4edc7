//! What the Vast API is, in one place: where it lives, the endpoints the
//! scanner calls, where a person revokes a key by hand, and what its answers
//! mean (the facts are collected in the team's vast-api.md notes, §3-§5).
//!
//! The transport (timeouts, retries, redirects, the bearer header) is
//! [`crate::verify::api`]'s job; this module only knows the API's contract,
//! so that a change at Vast (a new host, a new refusal text) is one edit.

use std::fmt::Display;

use crate::finding::{UnknownReason, Verification, VerifyStatus};

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

fn unknown(reason: UnknownReason) -> Verification {
    Verification {
        status: VerifyStatus::Unknown,
        reason: Some(reason),
        user_id: None,
        key_id: None,
    }
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
            unknown(UnknownReason::UnexpectedResponse),
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
                    unknown(UnknownReason::UnexpectedResponse),
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
                unknown(reason),
                Some(format!("HTTP {status} from {base}: {what}")),
            )
        }
        404 => (
            unknown(UnknownReason::UnexpectedResponse),
            Some(format!(
                "HTTP 404 from {base}: is the API base (--api-url/VAST_URL) right?"
            )),
        ),
        status => (
            unknown(UnknownReason::UnexpectedResponse),
            Some(format!("HTTP {status} from {base}")),
        ),
    }
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
}
