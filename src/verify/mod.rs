//! Verification: asks the Vast API whether each distinct key works, once.
//!
//! `GET /api/v0/users/current/` with the key as bearer token is read-only and
//! answers 200 for a working key, 401 "Invalid user key" for a deleted one.
//! Everything else (rate limits, outages, 2FA, scoped keys, odd answers) is
//! `unknown` with a reason: "could not check" never reads as "revoked".

pub mod api;
pub mod base;
pub mod budget;
pub mod progress;
pub mod retry;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Method;

use crate::finding::{UnknownReason, Verification, VerifyStatus};
use crate::key::{Fingerprint, Secret};
use crate::pipeline::{Checked, KeyChecker};
use api::{show_duration, Answer, ApiBase, ApiClient, Limits, RetryNotice, RetryPolicy};
use progress::Progress;

use crate::vast_api::CURRENT_USER;

/// Longest server-requested wait we honour before giving up on a key.
const MAX_SERVER_WAIT: Duration = Duration::from_secs(60);

/// What one key's check found, plus a printable detail for `unknown`.
#[derive(Clone, Debug)]
pub struct KeyCheck {
    pub verification: Verification,
    /// Status codes and error kinds only: never a body, never the key.
    pub detail: Option<String>,
    pub requests: u32,
}

pub use crate::outcome::FailOn;
pub use crate::pipeline::VerifyCounts;

/// How to verify, as resolved values (the command line's `--verify-*`
/// options and `--api-url`/`VAST_URL`, decided by the command).
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// The API base; `None` (or blank) is production.
    pub api_url: Option<String>,
    /// Keys checked at once.
    pub jobs: usize,
    /// Total per request.
    pub timeout: Duration,
    /// The whole verification phase (and one call without a deadline of
    /// its own).
    pub deadline: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; doubles each retry.
    pub backoff: Duration,
    /// Show keys checked / total and retry waits on stderr.
    pub progress: bool,
}

pub struct Verifier {
    client: ApiClient,
    jobs: usize,
    /// `--verify-deadline`: the whole of [`Verifier::check_all`].
    deadline: Duration,
    /// Show keys checked / total and retry waits on stderr.
    progress: bool,
}

impl Verifier {
    /// Validates the API base and builds the client. Fails (exit 2) on a base
    /// URL that would send keys somewhere unsafe.
    pub fn new(options: &VerifyOptions) -> anyhow::Result<Verifier> {
        let base = api_base(options.api_url.as_deref())?;
        let retry = RetryPolicy {
            retries: options.retries,
            backoff: options.backoff,
            max_wait: MAX_SERVER_WAIT,
        };
        let limits = Limits {
            request: options.timeout,
            call: options.deadline,
        };
        Ok(Verifier {
            client: ApiClient::new(base, limits, retry)?,
            jobs: options.jobs.max(1),
            deadline: options.deadline,
            progress: options.progress,
        })
    }

    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// Checks one key, within a fresh `--verify-deadline` budget.
    pub fn check(&self, key: &Secret) -> KeyCheck {
        self.check_until(key, self.client.call_deadline(), &|_| {})
    }

    /// Checks one key; nothing runs past `until` (see [`ApiClient::send_until`]).
    pub fn check_until(
        &self,
        key: &Secret,
        until: Instant,
        on_retry: &dyn Fn(&RetryNotice),
    ) -> KeyCheck {
        match self
            .client
            .send_until(Method::GET, CURRENT_USER, key, until, on_retry)
        {
            Ok(answer) => {
                let requests = answer.attempts;
                let (verification, detail) = classify_current(&answer, self.client.base());
                KeyCheck {
                    verification,
                    detail,
                    requests,
                }
            }
            Err(failure) => KeyCheck {
                verification: Verification::unknown(failure.reason),
                detail: Some(failure.detail),
                requests: failure.attempts,
            },
        }
    }

    /// Checks every key of `keys` once, `--verify-jobs` at a time. Details
    /// of `unknown` outcomes become notes. The pipeline applies the result
    /// ([`crate::pipeline::apply`]).
    ///
    /// The whole phase ends by `--verify-deadline`: keys not started by then
    /// are not sent at all, and requests or waits still running are cut;
    /// all of them are `unknown (deadline)`.
    pub fn check_all(&self, keys: &[(Fingerprint, Secret)]) -> Checked {
        let started = Instant::now();
        let until = api::deadline_after(self.deadline);
        let next = AtomicUsize::new(0);
        let results: Mutex<HashMap<Fingerprint, KeyCheck>> = Mutex::new(HashMap::new());
        let workers = self.jobs.min(keys.len());
        let progress = Progress::new(self.progress, keys.len() as u64);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    if Instant::now() >= until {
                        break;
                    }
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some((fingerprint, secret)) = keys.get(index) else {
                        break;
                    };
                    let check = self.check_until(secret, until, &|notice| {
                        progress.waiting(fingerprint, notice)
                    });
                    progress.checked();
                    if let Ok(mut results) = results.lock() {
                        results.insert(fingerprint.clone(), check);
                    }
                });
            }
        });
        progress.finish();
        let order: Vec<Fingerprint> = keys.iter().map(|(fp, _)| fp.clone()).collect();
        let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
        // Keys no worker reached before the deadline: never sent.
        for fingerprint in &order {
            results
                .entry(fingerprint.clone())
                .or_insert_with(|| KeyCheck {
                    verification: Verification::unknown(UnknownReason::Deadline),
                    detail: None,
                    requests: 0,
                });
        }
        let mut unsent = 0u64;
        let mut notes = Vec::new();
        let mut counts = VerifyCounts {
            api: self.client.base().to_string(),
            ..VerifyCounts::default()
        };
        for fingerprint in &order {
            let Some(check) = results.get(fingerprint) else {
                continue;
            };
            counts.requests += u64::from(check.requests);
            match check.verification.status {
                VerifyStatus::Live => counts.live += 1,
                VerifyStatus::Revoked => counts.revoked += 1,
                VerifyStatus::Unknown => {
                    counts.unknown += 1;
                    if check.requests == 0
                        && check.verification.reason == Some(UnknownReason::Deadline)
                    {
                        // One summary note for all of them, below.
                        unsent += 1;
                    } else if let (Some(reason), Some(detail)) =
                        (check.verification.reason, &check.detail)
                    {
                        notes.push(format!("key {fingerprint}: unknown ({reason}): {detail}"));
                    }
                }
            }
        }
        if unsent > 0 {
            notes.push(format!(
                "{} not checked: the --verify-deadline of {} ran out (unknown (deadline))",
                crate::wording::plural(unsent, "key"),
                show_duration(self.deadline)
            ));
        }
        counts.elapsed = started.elapsed();
        Checked {
            verifications: results
                .into_iter()
                .map(|(fingerprint, check)| (fingerprint, check.verification))
                .collect(),
            counts,
            notes,
        }
    }
}

impl KeyChecker for Verifier {
    fn check_keys(&self, keys: &[(Fingerprint, Secret)]) -> Checked {
        self.check_all(keys)
    }
}

/// The API base: `--api-url`, else `VAST_URL` (clap reads both into
/// `api_url`), else production. Never from a scanned repository. An empty
/// `VAST_URL=` counts as unset.
pub fn api_base(configured: Option<&str>) -> anyhow::Result<ApiBase> {
    match configured.filter(|url| !url.trim().is_empty()) {
        Some(url) => ApiBase::parse(url, "--api-url/VAST_URL"),
        None => ApiBase::parse(crate::vast_api::DEFAULT_API_URL, "default API URL"),
    }
}

/// Maps a final `/users/current/` answer to an outcome: see
/// [`crate::vast_api::classify_current`], which owns the classification.
/// The body holds personal data and is dropped with `answer`.
pub fn classify_current(answer: &Answer, base: &ApiBase) -> (Verification, Option<String>) {
    crate::vast_api::classify_current(
        answer.status,
        &answer.body,
        answer.refused_redirect.as_deref(),
        base,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_by_vast_api() {
        let answer = Answer {
            status: 401,
            body: br#"{"msg": "Invalid user key"}"#.to_vec(),
            refused_redirect: None,
            attempts: 1,
        };
        let base = ApiBase::parse("https://console.vast.ai", "x").unwrap();
        assert_eq!(
            classify_current(&answer, &base).0.status,
            VerifyStatus::Revoked
        );
    }
}
