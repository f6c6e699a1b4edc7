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

use std::io::Read;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Once;
use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};
use reqwest::blocking::Client;
use reqwest::header::HeaderMap;
use reqwest::{redirect, Method, Url};

use super::retry;
use crate::finding::{redact_key_shapes, Secret, UnknownReason};

/// The production API.
pub const DEFAULT_API_URL: &str = "https://console.vast.ai";

/// Answers larger than this are cut: classification needs a few fields only.
const MAX_BODY: u64 = 1 << 20;

/// Redirects followed within the same origin (e.g. a missing trailing slash).
const MAX_REDIRECTS: usize = 5;

/// A validated API base URL, without a trailing slash.
#[derive(Clone, Debug)]
pub struct ApiBase {
    url: Url,
}

impl ApiBase {
    /// Validates `text`. `origin` names where it came from for the error
    /// message (`--api-url`, `VAST_URL`).
    pub fn parse(text: &str, origin: &str) -> anyhow::Result<ApiBase> {
        // Error messages echo the URL: never a key pasted into it.
        let shown = redact_key_shapes(text);
        let url = Url::parse(text.trim()).map_err(|err| {
            anyhow::anyhow!("{origin} {shown:?}: not a URL ({err}); use e.g. {DEFAULT_API_URL}")
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            bail!("{origin}: credentials in the URL are not allowed; give the bare API base like {DEFAULT_API_URL}");
        }
        if url.query().is_some() || url.fragment().is_some() {
            // The query is not echoed: it may hold a token of any shape.
            let mut bare = url.clone();
            bare.set_query(None);
            bare.set_fragment(None);
            bail!("{origin} {:?}: a query or fragment is not allowed (it was dropped from this message); give the bare API base like {DEFAULT_API_URL}", redact_key_shapes(bare.as_str()));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => bail!(
                "{origin} {shown:?}: plain http is only allowed to a loopback address (127.0.0.0/8, ::1, localhost), \
                 because the API key would travel unencrypted; use https"
            ),
            other => bail!("{origin} {shown:?}: unsupported scheme {other:?}; use https"),
        }
        if url.host().is_none() {
            bail!("{origin} {shown:?}: no host; use e.g. {DEFAULT_API_URL}");
        }
        Ok(ApiBase { url })
    }

    /// The URL of `path` (relative, e.g. `api/v0/users/current/`) under the base.
    pub fn endpoint(&self, path: &str) -> anyhow::Result<Url> {
        let mut base = self.url.clone();
        if !base.path().ends_with('/') {
            let with_slash = format!("{}/", base.path());
            base.set_path(&with_slash);
        }
        base.join(path)
            .with_context(|| format!("cannot build the URL for {path}"))
    }

    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.url)
    }
}

impl std::fmt::Display for ApiBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.url.as_str().trim_end_matches('/'))
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || name.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

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

/// A blocking client bound to one API base.
pub struct ApiClient {
    http: Client,
    base: ApiBase,
    retry: RetryPolicy,
}

impl ApiClient {
    pub fn new(base: ApiBase, timeout: Duration, retry: RetryPolicy) -> anyhow::Result<ApiClient> {
        install_crypto_provider();
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
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(policy)
            .https_only(!base.is_loopback());
        if base.is_loopback() {
            // A proxy cannot reach this machine's loopback anyway.
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .context("cannot set up the HTTPS client (TLS/CA certificates)")?;
        Ok(ApiClient { http, base, retry })
    }

    pub fn base(&self) -> &ApiBase {
        &self.base
    }

    /// Sends `method path` authenticated with `key`, retrying 429, 5xx,
    /// timeouts and network errors. Any other status is a final [`Answer`].
    pub fn send(&self, method: Method, path: &str, key: &Secret) -> Result<Answer, Failure> {
        let url = self.base.endpoint(path).map_err(|err| Failure {
            reason: UnknownReason::UnexpectedResponse,
            detail: format!("{err:#}"),
            attempts: 0,
        })?;
        let mut attempt = 0;
        loop {
            let (failure, server_wait) = match self.once(method.clone(), &url, key) {
                Ok((answer, headers)) => {
                    let reason = match answer.status {
                        429 => UnknownReason::RateLimited,
                        500..=599 => UnknownReason::ServerError,
                        _ => {
                            return Ok(Answer {
                                attempts: attempt + 1,
                                ..answer
                            })
                        }
                    };
                    let wait = retry::server_wait(&headers, SystemTime::now());
                    let detail = format!("HTTP {} from {}", answer.status, self.base);
                    (
                        Failure {
                            reason,
                            detail,
                            attempts: attempt + 1,
                        },
                        wait,
                    )
                }
                Err((reason, detail)) => (
                    Failure {
                        reason,
                        detail,
                        attempts: attempt + 1,
                    },
                    None,
                ),
            };
            if attempt >= self.retry.retries {
                let mut failure = failure;
                failure.detail = format!(
                    "{} (after {} attempt{})",
                    failure.detail,
                    attempt + 1,
                    if attempt == 0 { "" } else { "s" }
                );
                return Err(failure);
            }
            let wait = server_wait.unwrap_or_else(|| retry::backoff(self.retry.backoff, attempt));
            if wait > self.retry.max_wait {
                let mut failure = failure;
                failure.detail = format!(
                    "{}; the server asked to wait {}s, more than the {}s allowed",
                    failure.detail,
                    wait.as_secs(),
                    self.retry.max_wait.as_secs()
                );
                return Err(failure);
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn once(
        &self,
        method: Method,
        url: &Url,
        key: &Secret,
    ) -> Result<(Answer, HeaderMap), (UnknownReason, String)> {
        let response = self
            .http
            .request(method, url.clone())
            .bearer_auth(key.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .map_err(|err| transport_error(&err))?;
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
        response
            .take(MAX_BODY)
            .read_to_end(&mut body)
            .map_err(|err| {
                if err.kind() == std::io::ErrorKind::TimedOut
                    || err.to_string().contains("timed out")
                {
                    (
                        UnknownReason::Timeout,
                        format!("timed out reading the answer from {}", self.base),
                    )
                } else {
                    (
                        UnknownReason::Network,
                        format!("cannot read the answer from {}: {}", self.base, err.kind()),
                    )
                }
            })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_loopback() {
        assert!(ApiBase::parse("https://console.vast.ai", "--api-url").is_ok());
        assert!(ApiBase::parse("https://example.com/prefix/", "--api-url").is_ok());
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:1234/",
            "http://localhost:99",
            "http://LOCALHOST.",
        ] {
            assert!(ApiBase::parse(ok, "--api-url").is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://127.0.0.1.example.com",
            "http://localhost.example.com",
            "ftp://127.0.0.1",
            "https://user:pw@console.vast.ai",
            "https://console.vast.ai/?api_key=x",
            "console.vast.ai",
        ] {
            assert!(ApiBase::parse(bad, "--api-url").is_err(), "{bad}");
        }
        let key = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";
        for with_key in [
            format!("https://console.vast.ai/api/v0/instances/?api_key={key}"),
            format!("http://example.com/{key}/"),
            format!("console.vast.ai/{key}"),
        ] {
            let err = ApiBase::parse(&with_key, "VAST_URL")
                .unwrap_err()
                .to_string();
            assert!(err.contains("VAST_URL") && !err.contains(key), "{err}");
        }
        let err = ApiBase::parse("https://console.vast.ai/?token=abc", "--api-url")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("console.vast.ai") && !err.contains("abc"),
            "{err}"
        );
        let err = ApiBase::parse("http://example.com", "--api-url")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--api-url") && err.contains("loopback"),
            "{err}"
        );
    }

    #[test]
    fn endpoints_keep_a_path_prefix() {
        let base = ApiBase::parse("http://127.0.0.1:1/prefix", "x").unwrap();
        assert_eq!(
            base.endpoint("api/v0/users/current/").unwrap().as_str(),
            "http://127.0.0.1:1/prefix/api/v0/users/current/"
        );
        let base = ApiBase::parse("https://console.vast.ai/", "x").unwrap();
        assert_eq!(
            base.endpoint("api/v0/auth/apikeys/7/").unwrap().as_str(),
            "https://console.vast.ai/api/v0/auth/apikeys/7/"
        );
        assert_eq!(base.to_string(), "https://console.vast.ai");
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
}
