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
///
/// The headers are hostile input: a wait too long for any clock (`1e300`,
/// a timestamp past the year 292 billion) comes back as [`Duration::MAX`],
/// which the caller refuses to wait for, instead of overflowing. Garbage,
/// negative, NaN and infinite values count as no header (plain backoff).
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
    let delta = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX);
    if seconds > 1e9 {
        Some(match UNIX_EPOCH.checked_add(delta) {
            Some(when) => when.duration_since(now).unwrap_or(Duration::ZERO),
            None => Duration::MAX,
        })
    } else {
        Some(delta)
    }
}

/// Exponential backoff for retry number `attempt` (0-based): `base * 2^attempt`,
/// plus up to a quarter of jitter so parallel workers do not retry in lockstep.
/// Saturating: never panics, whatever `base` is.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = (exp / 4).saturating_mul(nanos % 1000) / 1000;
    exp.saturating_add(jitter)
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `Retry-After` delta-seconds. RFC 9110 says a whole number; a fraction
/// (`1.5`) is accepted as meant. More digits than any clock holds mean
/// "very long" ([`Duration::MAX`]), not "no header".
fn parse_seconds(text: &str) -> Option<Duration> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    let Ok(seconds) = whole.parse::<u64>() else {
        return Some(Duration::MAX);
    };
    let nanos = format!("{fraction:0<9}")
        .get(..9)
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(0);
    Some(Duration::new(seconds, 0).saturating_add(Duration::from_nanos(u64::from(nanos))))
}

/// Parses `10`, `10s`, `1.5`, `500ms`, `2m` into a duration (for the timeout,
/// deadline and backoff options).
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
        .map_err(|_| format!("{text:?} is not a duration like 10, 10s, 1.5s, 500ms or 2m"))?;
    let out_of_range = || format!("{text:?} is out of range (0 to 24 hours)");
    if !value.is_finite() || value < 0.0 || value * scale > 86_400.0 {
        return Err(out_of_range());
    }
    Duration::try_from_secs_f64(value * scale).map_err(|_| out_of_range())
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

    /// Every form a hostile or odd server may send: a wait, "very long"
    /// (`Duration::MAX`, refused by the caller) or no wait, never a panic.
    #[test]
    fn retry_after_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let wait = |value: &str| server_wait(&headers(&[("retry-after", value)]), now);
        assert_eq!(wait("0"), Some(Duration::ZERO));
        assert_eq!(wait(" 12 "), Some(Duration::from_secs(12)));
        assert_eq!(wait("1.5"), Some(Duration::from_millis(1500)));
        assert_eq!(wait("0.25"), Some(Duration::from_millis(250)));
        // Beyond nanoseconds is cut.
        assert_eq!(wait("2.0000000009999"), Some(Duration::from_secs(2)));
        assert_eq!(
            wait("18446744073709551615"),
            Some(Duration::from_secs(u64::MAX))
        );
        assert_eq!(wait("18446744073709551616"), Some(Duration::MAX));
        assert_eq!(wait(&"9".repeat(400)), Some(Duration::MAX));
        assert_eq!(wait("18446744073709551615.999999999"), Some(Duration::MAX));
        for garbage in [
            "-1", "-0.5", "1e3", "NaN", "inf", "soon", "", ".5", "1.2.3", "0x10",
        ] {
            assert_eq!(wait(garbage), None, "{garbage:?}");
        }
        // HTTP dates: future, past, the latest one the format allows.
        assert_eq!(
            wait("Tue, 14 Nov 2023 22:13:30 GMT"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(wait("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        assert!(
            wait("Fri, 31 Dec 9999 23:59:59 GMT").is_some_and(|w| w > Duration::from_secs(1 << 37))
        );
        assert_eq!(wait("Fri, 32 Dec 9999 23:59:59 GMT"), None);
    }

    #[test]
    fn rate_limit_reset_forms() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let wait = |value: &str| server_wait(&headers(&[("x-ratelimit-reset", value)]), now);
        assert_eq!(wait("3"), Some(Duration::from_secs(3)));
        assert_eq!(wait("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(wait("1700000002.5"), Some(Duration::from_millis(2500)));
        assert_eq!(wait("1600000000"), Some(Duration::ZERO));
        // A timestamp no SystemTime can hold, and a delta no Duration can.
        assert_eq!(wait("10000000000000000000"), Some(Duration::MAX));
        assert_eq!(wait("1e300"), Some(Duration::MAX));
        assert_eq!(wait(&f64::MAX.to_string()), Some(Duration::MAX));
        assert_eq!(wait("1e9"), Some(Duration::from_secs(1_000_000_000)));
        for garbage in [
            "NaN", "nan", "inf", "-inf", "infinity", "-1", "-1e300", "soon", "",
        ] {
            assert_eq!(wait(garbage), None, "{garbage:?}");
        }
        // Retry-After wins when it parses; garbage there falls through.
        assert_eq!(
            server_wait(
                &headers(&[("retry-after", "soon"), ("x-ratelimit-reset", "4")]),
                now
            ),
            Some(Duration::from_secs(4))
        );
    }

    #[test]
    fn backoff_saturates() {
        assert_eq!(backoff(Duration::MAX, 40), Duration::MAX);
        assert!(backoff(Duration::from_secs(86_400), 16) >= Duration::from_secs(86_400 * 65_536));
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
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        for bad in [
            "fast", "-1", "1e300", "NaN", "inf", "25h", "1441m", "-0.5s", "",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
