//! The one place that talks to the Vast API.
//!
//! Safety rules enforced here, so no caller can forget them:
//! - the base URL is `https` (plain `http` only to loopback, for tests) and
//!   comes from `--api-url`/`VAST_URL`, never from a scanned file;
//! - the key travels only in `Authorization: Bearer` (marked sensitive), never
//!   in a URL;
//! - redirects are followed only within the same scheme, host and port, so a
//!   redirect cannot carry a key to another host;
//! - answer bodies are read (bounded) only to classify them and are dropped:
//!   they hold personal data and are never printed, logged or stored.

use std::sync::Once;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use reqwest::header::HeaderMap;
use reqwest::Client;
use reqwest::{redirect, Method, Url};

pub use super::base::{ApiBase, DEFAULT_API_URL};
pub use super::budget::{deadline_after, show_duration};
use super::retry;
use crate::finding::UnknownReason;
use crate::key::Secret;

/// Answers larger than this are cut: classification needs a few fields only.
const MAX_BODY: usize = 1 << 20;

/// Redirects followed within the same origin (e.g. a missing trailing slash).
const MAX_REDIRECTS: usize = 5;

/// Retry behaviour for 429, 5xx, timeouts and network errors.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff when the server gives no wait; doubles each retry.
    pub backoff: Duration,
    /// A server asking for a longer wait than this is not waited for: the
    /// key is reported `unknown (rate_limited)` instead of hanging the run.
    pub max_wait: Duration,
}

/// How long one request and one whole call may take.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Total per request: connect, headers and body (`--verify-timeout`).
    /// A total, not per read: a server dripping one byte at a time must not
    /// keep a request open for ever.
    pub request: Duration,
    /// Total per call, retries and waits included, when the caller gives no
    /// deadline of its own (`--verify-deadline`).
    pub call: Duration,
}

/// A final answer from the API. `body` is bounded and must never leave the
/// classifying code.
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    /// Host of a redirect that was not followed, for the message.
    pub refused_redirect: Option<String>,
    /// Requests sent for this answer (1 + retries).
    pub attempts: u32,
}

/// Why no usable answer came back, after retries.
#[derive(Debug)]
pub struct Failure {
    pub reason: UnknownReason,
    /// Safe to print: status codes and error kinds, never a body or key.
    pub detail: String,
    pub attempts: u32,
}

/// A wait before a retry, as it starts (for progress display). `cause` is a
/// [`Failure::detail`]: status codes and error kinds only.
pub struct RetryNotice<'a> {
    pub cause: &'a str,
    pub wait: Duration,
    /// 1-based number of the retry about to happen.
    pub retry: u32,
    pub retries: u32,
}

/// A client bound to one API base.
///
/// reqwest's async client driven by a private single-threaded tokio
/// runtime, not reqwest's blocking client: the blocking client's timeout is
/// total only up to the headers and then applies to each body read, so a
/// server dripping a byte at a time kept a request open indefinitely. Here
/// every exchange (connect, headers, body) runs under one
/// `tokio::time::timeout_at`. Worker threads share the runtime:
/// `Runtime::block_on` from several threads at once is supported (one
/// thread drives I/O, the others are woken by it).
pub struct ApiClient {
    http: Client,
    /// Always `Some` until dropped (see the `Drop` impl).
    runtime: Option<tokio::runtime::Runtime>,
    base: ApiBase,
    retry: RetryPolicy,
    limits: Limits,
}

impl ApiClient {
    pub fn new(base: ApiBase, limits: Limits, retry: RetryPolicy) -> anyhow::Result<ApiClient> {
        install_crypto_provider();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the HTTP client's runtime")?;
        let policy = redirect::Policy::custom(|attempt| {
            let same_origin = attempt
                .previous()
                .first()
                .is_some_and(|first| first.origin() == attempt.url().origin());
            if !same_origin || attempt.previous().len() > MAX_REDIRECTS {
                attempt.stop()
            } else {
                attempt.follow()
            }
        });
        let mut builder = Client::builder()
            .user_agent(concat!("vastleaks/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(limits.request)
            .redirect(policy)
            .https_only(!base.is_loopback());
        if base.is_loopback() {
            // A proxy cannot reach this machine's loopback anyway.
            builder = builder.no_proxy();
        }
        let http = {
            let _inside = runtime.enter();
            builder
                .build()
                .context("cannot set up the HTTPS client (TLS/CA certificates)")?
        };
        Ok(ApiClient {
            http,
            runtime: Some(runtime),
            base,
            retry,
            limits,
        })
    }

    pub fn base(&self) -> &ApiBase {
        &self.base
    }

    /// The instant a call starting now must end by (`--verify-deadline`).
    pub fn call_deadline(&self) -> Instant {
        deadline_after(self.limits.call)
    }

    /// [`ApiClient::send_until`] with a fresh `--verify-deadline` budget.
    /// For the revoke steps, each of which is one call.
    pub fn send(&self, method: Method, path: &str, key: &Secret) -> Result<Answer, Failure> {
        self.send_until(method, path, key, self.call_deadline(), &|_| {})
    }

    /// Sends `method path` authenticated with `key`, retrying 429, 5xx,
    /// timeouts and network errors. Any other status is a final [`Answer`].
    ///
    /// Nothing runs past `until`: a request in flight then is cut, and a
    /// retry whose wait would end after it is not waited for; both are
    /// `unknown (deadline)`. `on_retry` hears of each wait as it starts.
    pub fn send_until(
        &self,
        method: Method,
        path: &str,
        key: &Secret,
        until: Instant,
        on_retry: &dyn Fn(&RetryNotice),
    ) -> Result<Answer, Failure> {
        let url = self.base.endpoint(path).map_err(|err| Failure {
            reason: UnknownReason::UnexpectedResponse,
            detail: format!("{err:#}"),
            attempts: 0,
        })?;
        let mut attempt: u32 = 0;
        loop {
            let started = Instant::now();
            if started >= until {
                return Err(Failure {
                    reason: UnknownReason::Deadline,
                    detail: "not checked: the --verify-deadline ran out".to_string(),
                    attempts: attempt,
                });
            }
            let own_limit = started.checked_add(self.limits.request);
            let cut_by_deadline = own_limit.is_none_or(|limit| limit > until);
            let request_until = if cut_by_deadline {
                until
            } else {
                own_limit.unwrap_or(until)
            };
            let outcome = self.once(method.clone(), &url, key, request_until);
            let attempts = attempt.saturating_add(1);
            let (failure, server_wait) = match outcome {
                Ok((answer, headers)) => {
                    let reason = match answer.status {
                        429 => UnknownReason::RateLimited,
                        500..=599 => UnknownReason::ServerError,
                        _ => return Ok(Answer { attempts, ..answer }),
                    };
                    let wait = retry::server_wait(&headers, SystemTime::now());
                    let detail = format!("HTTP {} from {}", answer.status, self.base);
                    (
                        Failure {
                            reason,
                            detail,
                            attempts,
                        },
                        wait,
                    )
                }
                Err(Cut) if cut_by_deadline => {
                    return Err(Failure {
                        reason: UnknownReason::Deadline,
                        detail: format!(
                            "no complete answer from {} before the --verify-deadline ran out",
                            self.base
                        ),
                        attempts,
                    })
                }
                Err(Cut) => (
                    Failure {
                        reason: UnknownReason::Timeout,
                        detail: format!(
                            "no complete answer from {} within {} (--verify-timeout)",
                            self.base,
                            show_duration(self.limits.request)
                        ),
                        attempts,
                    },
                    None,
                ),
                Err(Broken(reason, detail)) => (
                    Failure {
                        reason,
                        detail,
                        attempts,
                    },
                    None,
                ),
            };
            let mut failure = failure;
            if attempt >= self.retry.retries {
                failure.detail = format!(
                    "{} (after {})",
                    failure.detail,
                    crate::wording::plural(u64::from(attempts), "attempt")
                );
                return Err(failure);
            }
            // The server's wait is capped (max_wait); our own backoff only
            // by the deadline below.
            let wait = server_wait.unwrap_or_else(|| retry::backoff(self.retry.backoff, attempt));
            if server_wait.is_some() && wait > self.retry.max_wait {
                failure.detail = format!(
                    "{}; the server asked to wait {}, more than the {} allowed",
                    failure.detail,
                    show_duration(wait),
                    show_duration(self.retry.max_wait)
                );
                return Err(failure);
            }
            if Instant::now()
                .checked_add(wait)
                .is_none_or(|end| end >= until)
            {
                return Err(Failure {
                    reason: UnknownReason::Deadline,
                    detail: format!(
                        "{}; the retry in {} would come after the --verify-deadline",
                        failure.detail,
                        show_duration(wait)
                    ),
                    attempts,
                });
            }
            on_retry(&RetryNotice {
                cause: &failure.detail,
                wait,
                retry: attempts,
                retries: self.retry.retries,
            });
            std::thread::sleep(wait);
            attempt = attempts;
        }
    }

    /// One request, ended at `until` whatever the server does.
    fn once(
        &self,
        method: Method,
        url: &Url,
        key: &Secret,
        until: Instant,
    ) -> Result<(Answer, HeaderMap), Attempt> {
        let Some(runtime) = &self.runtime else {
            return Err(Cut);
        };
        let exchange = self.exchange(method, url, key);
        // The timer is created inside the runtime (it needs its clock).
        runtime
            .block_on(async move {
                tokio::time::timeout_at(tokio::time::Instant::from_std(until), exchange).await
            })
            .unwrap_or(Err(Cut))
    }

    /// Sends the request and reads the answer (bounded to [`MAX_BODY`]).
    async fn exchange(
        &self,
        method: Method,
        url: &Url,
        key: &Secret,
    ) -> Result<(Answer, HeaderMap), Attempt> {
        let mut response = self
            .http
            .request(method, url.clone())
            .bearer_auth(key.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| {
                let (reason, detail) = transport_error(&err);
                Broken(reason, detail)
            })?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let refused_redirect = response.status().is_redirection().then(|| {
            headers
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .and_then(|l| l.host_str().map(str::to_string))
                .unwrap_or_else(|| "an unknown location".to_string())
        });
        let mut body = Vec::new();
        while body.len() < MAX_BODY {
            let chunk = response.chunk().await.map_err(|err| {
                Broken(
                    UnknownReason::Network,
                    format!(
                        "cannot read the answer from {}: {}",
                        self.base,
                        transport_error(&err).1
                    ),
                )
            })?;
            let Some(chunk) = chunk else { break };
            let room = MAX_BODY - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        Ok((
            Answer {
                status,
                body,
                refused_redirect,
                attempts: 1,
            },
            headers,
        ))
    }
}

impl Drop for ApiClient {
    /// A plain drop of the runtime waits for its blocking threads, and a DNS
    /// lookup cut by a deadline may still be running on one: do not let it
    /// hold up the exit.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// How one request went wrong.
enum Attempt {
    /// Its time ran out (`--verify-timeout`, or the overall deadline).
    Cut,
    /// A transport error, with a printable description.
    Broken(UnknownReason, String),
}
use Attempt::{Broken, Cut};

/// Describes a transport error without the URL (it holds no key, but the
/// message stays short) and classifies it.
fn transport_error(err: &reqwest::Error) -> (UnknownReason, String) {
    let reason = if err.is_timeout() {
        UnknownReason::Timeout
    } else {
        UnknownReason::Network
    };
    let mut text = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        let piece = e.to_string();
        if !text.contains(&piece) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&piece);
        }
        source = e.source();
    }
    let text = match err.url() {
        Some(url) => text.replace(&format!(" for url ({url})"), ""),
        None => text,
    };
    (reason, text)
}

/// reqwest is built without a default TLS crypto provider (to avoid the
/// aws-lc C build); rustls needs one installed per process before the first
/// client, or reqwest panics.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means another provider is already installed: fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_for_messages_and_deadlines() {
        assert_eq!(show_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(show_duration(Duration::from_secs(2)), "2s");
        assert_eq!(show_duration(Duration::from_millis(2500)), "2.5s");
        assert_eq!(show_duration(Duration::from_secs(300)), "5m");
        assert_eq!(show_duration(Duration::from_secs(90)), "90s");
        assert_eq!(show_duration(Duration::MAX), "forever");
        assert_eq!(
            show_duration(Duration::from_secs(u64::MAX)),
            format!("{}s", u64::MAX)
        );
        // Never panics, however far the budget reaches.
        assert!(deadline_after(Duration::MAX) > Instant::now());
        assert!(deadline_after(Duration::ZERO) <= Instant::now());
    }
}
