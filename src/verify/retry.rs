//! How long to wait before asking the API again.
//!
//! The Vast docs say 429 answers carry no `Retry-After`, but the official CLI
//! honours `Retry-After` and `X-RateLimit-Reset` when present, so we do too;
//! without either we back off exponentially from `--verify-backoff` (1 s).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// A wait the server asked for, if it asked.
///
/// `Retry-After` is either delta-seconds or an HTTP date. `X-RateLimit-Reset`
/// is, depending on the server, delta-seconds or a Unix timestamp: values
/// above 10^9 can only be timestamps (31 years of delta would be absurd).
pub fn server_wait(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(value) = header_text(headers, "retry-after") {
        if let Some(wait) = parse_seconds(value) {
            return Some(wait);
        }
        if let Ok(when) = httpdate::parse_http_date(value) {
            return Some(when.duration_since(now).unwrap_or(Duration::ZERO));
        }
    }
    let reset = header_text(headers, "x-ratelimit-reset")?;
    let seconds: f64 = reset
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)?;
    if seconds > 1e9 {
        let when = UNIX_EPOCH + Duration::from_secs_f64(seconds);
        Some(when.duration_since(now).unwrap_or(Duration::ZERO))
    } else {
        Some(Duration::from_secs_f64(seconds))
    }
}

/// Exponential backoff for retry number `attempt` (0-based): `base * 2^attempt`,
/// plus up to a quarter of jitter so parallel workers do not retry in lockstep.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = exp / 4 * (nanos % 1000) / 1000;
    exp + jitter
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn parse_seconds(text: &str) -> Option<Duration> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u64>().ok().map(Duration::from_secs)
}

/// Parses `10`, `10s`, `1.5`, `500ms`, `2m` into a duration (for the timeout
/// and backoff options).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 10, 10s, 1.5s or 500ms"))?;
    if !value.is_finite() || value < 0.0 || value * scale > 86_400.0 {
        return Err(format!("{text:?} is out of range (0 to 24 hours)"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            server_wait(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(
            server_wait(&headers(&[("retry-after", &later)]), now),
            Some(Duration::from_secs(7))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(
            server_wait(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
        assert_eq!(server_wait(&headers(&[]), now), None);
        assert_eq!(server_wait(&headers(&[("retry-after", "soon")]), now), None);
    }

    #[test]
    fn rate_limit_reset_delta_or_timestamp() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            server_wait(&headers(&[("x-ratelimit-reset", "2")]), now),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            server_wait(&headers(&[("x-ratelimit-reset", "1700000005")]), now),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn backoff_doubles() {
        let base = Duration::from_millis(100);
        assert!(backoff(base, 0) >= base && backoff(base, 0) <= base * 5 / 4);
        assert!(backoff(base, 3) >= base * 8 && backoff(base, 3) <= base * 10);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-1").is_err());
    }
}
