//! What the verifier shows while it works: keys checked / total, and each
//! wait before a retry as it starts, on standard error.
//!
//! Off unless stderr is a terminal or `--progress always`, so CI logs and
//! tests see exactly what they saw before. Lines name a key by fingerprint
//! and a failure by status code or error kind: never the key, never
//! anything from the API's answer (it holds personal data).

use indicatif::{ProgressBar, ProgressStyle};

use super::api::{show_duration, RetryNotice};
use crate::key::Fingerprint;

/// The bar; hidden (every call a no-op) when not wanted.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    pub fn new(show: bool, keys: u64) -> Progress {
        // The git audit's bar: the same terminal / forced-stderr handling.
        let bar = crate::source::git::audit::progress_bar(show, keys);
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {pos}/{len} keys checked [{bar:30}] {elapsed}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.tick();
        Progress { bar }
    }

    /// A key's check is done.
    pub fn checked(&self) {
        self.bar.inc(1);
    }

    /// A wait before a retry starts. `notice.cause` is a failure detail:
    /// status codes and error kinds only.
    pub fn waiting(&self, key: &Fingerprint, notice: &RetryNotice) {
        self.bar.println(format!(
            "key {key}: {}; waiting {} before retry {} of {}",
            notice.cause,
            show_duration(notice.wait),
            notice.retry,
            notice.retries
        ));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
