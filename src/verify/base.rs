//! The API base URL: where keys may be sent.
//!
//! `https` anywhere, plain `http` only to loopback (for tests), from
//! `--api-url`/`VAST_URL` and never from a scanned file; no credentials,
//! query or fragment. Error messages never echo a key pasted into the URL.

use std::net::{Ipv4Addr, Ipv6Addr};

use anyhow::{bail, Context};
use reqwest::Url;

use crate::finding::redact_key_shapes;

pub use crate::vast_api::DEFAULT_API_URL;

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
}
