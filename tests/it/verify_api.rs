//! `scan --verify` against a fake Vast API on 127.0.0.1.

use crate::fake_vast;

use std::time::Duration;

use fake_vast::{
    assert_no_leaks, fingerprint, key_from_seed, outcomes, vastleaks, write_env_files, Catcher,
    FakeVast, Mode, Trickle,
};
use tempfile::TempDir;

/// Short timeouts and backoff so the suite stays fast.
fn fast(api: &str) -> Vec<String> {
    [
        "--verify",
        "--api-url",
        api,
        "--verify-timeout",
        "1s",
        "--verify-retries",
        "1",
        "--verify-backoff",
        "10ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn every_outcome_and_reason() {
    let api = FakeVast::start();
    let catcher = Catcher::start();
    let live = api.add_live("live", 100, 1);
    let deleted = key_from_seed("deleted");
    api.add_key(&deleted, 100, 2, true);
    let never_existed = key_from_seed("never-existed");
    let limited = api.add_live("limited", 101, 3);
    api.set_mode(
        &limited,
        Mode::RateLimited {
            remaining: 99,
            headers: vec![],
        },
    );
    let slow = api.add_live("slow", 102, 4);
    api.set_mode(&slow, Mode::Slow(Duration::from_secs(3)));
    let gateway = api.add_live("gateway", 103, 5);
    api.set_mode(&gateway, Mode::BadGateway { remaining: 99 });
    let malformed = api.add_live("malformed", 104, 6);
    api.set_mode(&malformed, Mode::Malformed);
    let two_factor = api.add_live("2fa", 105, 7);
    api.set_mode(&two_factor, Mode::TwoFactor);
    let scoped = api.add_live("scope", 106, 8);
    api.set_mode(&scoped, Mode::Scope);
    let redirected = api.add_live("redirect", 107, 9);
    api.set_mode(
        &redirected,
        Mode::Redirect(format!("{}/api/v0/users/current/", catcher.url)),
    );

    let keys = [
        &live,
        &deleted,
        &never_existed,
        &limited,
        &slow,
        &gateway,
        &malformed,
        &two_factor,
        &scoped,
        &redirected,
    ];
    let dir = TempDir::new().unwrap();
    let files: Vec<(String, &str)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (format!("f{i}.env"), k.as_str()))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(n, k)| (n.as_str(), *k)).collect();
    write_env_files(dir.path(), &files);

    let output = vastleaks()
        .arg("scan")
        .arg(dir.path())
        .args(fast(&api.url))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let got = outcomes(&output.stdout);
    let expect = |key: &str, status: &str, reason: Option<&str>| {
        assert_eq!(
            got.get(&fingerprint(key)),
            Some(&(status.to_string(), reason.map(str::to_string))),
            "stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    expect(&live, "live", None);
    expect(&deleted, "revoked", None);
    expect(&never_existed, "revoked", None);
    expect(&limited, "unknown", Some("rate_limited"));
    expect(&slow, "unknown", Some("timeout"));
    expect(&gateway, "unknown", Some("server_error"));
    expect(&malformed, "unknown", Some("unexpected_response"));
    expect(&two_factor, "unknown", Some("two_factor_required"));
    expect(&scoped, "unknown", Some("insufficient_scope"));
    expect(&redirected, "unknown", Some("unexpected_response"));

    // Live: only the two ids are kept.
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let live_finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fingerprint"] == fingerprint(&live))
        .unwrap();
    assert_eq!(
        live_finding["verification"],
        serde_json::json!({"status": "live", "user_id": 100, "key_id": 1})
    );
    assert_eq!(
        report["summary"]["verification"],
        serde_json::json!({"live": 1, "revoked": 2, "unknown": 7})
    );

    // Retried (1 retry): 429, 502 and the timeout twice; the rest once.
    for key in [&limited, &gateway, &slow] {
        assert_eq!(api.count("GET", "/api/v0/users/current/", Some(key)), 2);
    }
    for key in [
        &live,
        &deleted,
        &never_existed,
        &malformed,
        &two_factor,
        &scoped,
        &redirected,
    ] {
        assert_eq!(api.count("GET", "/api/v0/users/current/", Some(key)), 1);
    }
    assert_eq!(catcher.hits(), 0, "a redirect to another host was followed");
    api.assert_clean_requests();
    let all: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
    assert_no_leaks(&output, &all);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("1 live, 2 revoked, 7 unknown"), "{stderr}");
    assert!(stderr.contains("redirect to another host"), "{stderr}");
}

#[test]
fn one_request_per_distinct_key() {
    let api = FakeVast::start();
    let keys: Vec<String> = (0..5)
        .map(|i| api.add_live(&format!("k{i}"), 1, i))
        .collect();
    let dir = TempDir::new().unwrap();
    // Each key in three files.
    let names: Vec<String> = (0..15).map(|i| format!("d{}/f{i}.env", i % 3)).collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), keys[i % 5].as_str()))
        .collect();
    write_env_files(dir.path(), &files);
    let output = vastleaks()
        .arg("scan")
        .arg(dir.path())
        .args(fast(&api.url))
        .args(["--verify-jobs", "3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(api.count("GET", "/api/v0/users/current/", None), 5);
    for key in &keys {
        assert_eq!(api.count("GET", "/api/v0/users/current/", Some(key)), 1);
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.matches("  live").count(), 15, "{stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("verified 5 distinct keys")
            && stderr.contains("(5 requests): 5 live, 0 revoked, 0 unknown"),
        "{stderr}"
    );
    api.assert_clean_requests();
}

#[test]
fn retries_honour_retry_after_and_rate_limit_reset() {
    let api = FakeVast::start();
    let seconds = api.add_live("retry-after-seconds", 1, 1);
    api.set_mode(
        &seconds,
        Mode::RateLimited {
            remaining: 1,
            headers: vec![("Retry-After".into(), "1".into())],
        },
    );
    let date = api.add_live("retry-after-date", 1, 2);
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(1));
    api.set_mode(
        &date,
        Mode::RateLimited {
            remaining: 1,
            headers: vec![("Retry-After".into(), when)],
        },
    );
    let reset = api.add_live("ratelimit-reset", 1, 3);
    api.set_mode(
        &reset,
        Mode::RateLimited {
            remaining: 1,
            headers: vec![("X-RateLimit-Reset".into(), "1".into())],
        },
    );
    let bare = api.add_live("no-header", 1, 4);
    api.set_mode(
        &bare,
        Mode::RateLimited {
            remaining: 2,
            headers: vec![],
        },
    );
    let flaky = api.add_live("flaky-502", 1, 5);
    api.set_mode(&flaky, Mode::BadGateway { remaining: 2 });
    let too_long = api.add_live("too-long", 1, 6);
    api.set_mode(
        &too_long,
        Mode::RateLimited {
            remaining: 9,
            headers: vec![("Retry-After".into(), "3600".into())],
        },
    );

    let dir = TempDir::new().unwrap();
    write_env_files(
        dir.path(),
        &[
            ("a.env", &seconds),
            ("b.env", &date),
            ("c.env", &reset),
            ("d.env", &bare),
            ("e.env", &flaky),
            ("f.env", &too_long),
        ],
    );
    let output = vastleaks()
        .arg("scan")
        .arg(dir.path())
        .args(["--verify", "--api-url", &api.url])
        .args([
            "--verify-retries",
            "3",
            "--verify-backoff",
            "10ms",
            "--verify-jobs",
            "6",
        ])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let got = outcomes(&output.stdout);
    for key in [&seconds, &date, &reset, &bare, &flaky] {
        assert_eq!(got[&fingerprint(key)].0, "live", "{output:?}");
    }
    assert_eq!(
        api.count("GET", "/api/v0/users/current/", Some(&seconds)),
        2
    );
    assert_eq!(api.count("GET", "/api/v0/users/current/", Some(&date)), 2);
    assert_eq!(api.count("GET", "/api/v0/users/current/", Some(&reset)), 2);
    assert_eq!(api.count("GET", "/api/v0/users/current/", Some(&bare)), 3);
    assert_eq!(api.count("GET", "/api/v0/users/current/", Some(&flaky)), 3);
    // A server asking for an hour is not waited for: unknown, one request.
    assert_eq!(
        got[&fingerprint(&too_long)],
        ("unknown".to_string(), Some("rate_limited".to_string()))
    );
    assert_eq!(
        api.count("GET", "/api/v0/users/current/", Some(&too_long)),
        1
    );
    // Server-side spacing: the retry came no earlier than Retry-After said.
    let log = api.log();
    let times: Vec<_> = log
        .iter()
        .filter(|l| l.auth.as_deref() == Some(&format!("Bearer {seconds}")))
        .map(|l| l.at)
        .collect();
    assert!(times[1].duration_since(times[0]) >= Duration::from_millis(900));
    api.assert_clean_requests();
}

#[test]
fn network_errors_are_unknown_not_revoked() {
    // A port nobody listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = key_from_seed("network");
    let output = vastleaks()
        .args(["scan", "-", "--format", "json"])
        .args(fast(&format!("http://127.0.0.1:{port}")))
        .write_stdin(format!("VAST_API_KEY={key}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        outcomes(&output.stdout)[&fingerprint(&key)],
        ("unknown".to_string(), Some("network".to_string()))
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown (network)"), "{stderr}");
    assert!(stderr.contains("unknown is not revoked"), "{stderr}");
}

#[test]
fn non_loopback_http_is_refused() {
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &key_from_seed("x"))]);
    for url in [
        "http://example.com",
        "http://10.1.2.3:8080",
        "ftp://127.0.0.1",
    ] {
        let output = vastleaks()
            .arg("scan")
            .arg(dir.path())
            .args(["--verify", "--api-url", url])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{url}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("--api-url"), "{stderr}");
        assert!(output.stdout.is_empty(), "scanned despite a bad API URL");
    }
    // The same through the environment, and for revoke.
    let output = vastleaks()
        .arg("scan")
        .arg(dir.path())
        .arg("--verify")
        .env("VAST_URL", "http://example.com")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("loopback"));
    let output = vastleaks()
        .arg("revoke")
        .arg(dir.path())
        .args(["--api-url", "http://example.com", "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn vast_url_environment_sets_the_base() {
    let api = FakeVast::start();
    let key = api.add_live("env", 1, 1);
    let output = vastleaks()
        .args(["scan", "-", "--verify"])
        .env("VAST_URL", &api.url)
        .write_stdin(format!("export VAST_API_KEY={key}\n"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(api.count("GET", "/api/v0/users/current/", Some(&key)), 1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("live"), "{stdout}");
    assert_no_leaks(&output, &[&key]);
}

#[test]
fn fail_on_and_only_live() {
    let api = FakeVast::start();
    let live = api.add_live("live", 1, 1);
    let revoked = key_from_seed("revoked");
    let unknown = api.add_live("unknown", 2, 2);
    api.set_mode(&unknown, Mode::Scope);
    let run = |keys: &[&str], extra: &[&str]| {
        let dir = TempDir::new().unwrap();
        let names: Vec<String> = (0..keys.len()).map(|i| format!("{i}.env")).collect();
        let files: Vec<(&str, &str)> = names
            .iter()
            .map(String::as_str)
            .zip(keys.iter().copied())
            .collect();
        write_env_files(dir.path(), &files);
        vastleaks()
            .arg("scan")
            .arg(dir.path())
            .args(fast(&api.url))
            .args(extra)
            .output()
            .unwrap()
    };
    let code = |keys: &[&str], extra: &[&str]| run(keys, extra).status.code();
    assert_eq!(
        code(&[&revoked], &[]),
        Some(1),
        "default: any finding fails"
    );
    assert_eq!(code(&[&revoked], &["--fail-on", "live"]), Some(0));
    assert_eq!(code(&[&revoked], &["--fail-on", "unknown"]), Some(0));
    assert_eq!(code(&[&unknown, &revoked], &["--fail-on", "live"]), Some(0));
    assert_eq!(
        code(&[&unknown, &revoked], &["--fail-on", "unknown"]),
        Some(1)
    );
    assert_eq!(code(&[&live, &revoked], &["--fail-on", "live"]), Some(1));

    let output = run(
        &[&live, &revoked, &unknown],
        &["--only-live", "--format", "json"],
    );
    let got = outcomes(&output.stdout);
    assert_eq!(got.len(), 1);
    assert_eq!(got[&fingerprint(&live)].0, "live");

    // Without --verify, --fail-on live/unknown and --only-live are usage errors.
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &live)]);
    for extra in [&["--fail-on", "live"][..], &["--only-live"][..]] {
        let output = vastleaks()
            .arg("scan")
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
    }
}

#[test]
fn sarif_levels_follow_the_outcome() {
    let api = FakeVast::start();
    let live = api.add_live("live", 1, 1);
    let revoked = key_from_seed("revoked");
    let unknown = api.add_live("unknown", 2, 2);
    api.set_mode(&unknown, Mode::TwoFactor);
    let dir = TempDir::new().unwrap();
    write_env_files(
        dir.path(),
        &[("a.env", &live), ("b.env", &revoked), ("c.env", &unknown)],
    );
    let output = vastleaks()
        .arg("scan")
        .arg(dir.path())
        .args(fast(&api.url))
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut levels = std::collections::HashMap::new();
    for result in sarif["runs"][0]["results"].as_array().unwrap() {
        levels.insert(
            result["partialFingerprints"]["vastleaks/v1"]
                .as_str()
                .unwrap()
                .to_string(),
            result["level"].as_str().unwrap().to_string(),
        );
    }
    assert_eq!(levels[&fingerprint(&live)], "error");
    assert_eq!(levels[&fingerprint(&revoked)], "note");
    assert_eq!(levels[&fingerprint(&unknown)], "warning");
    assert_no_leaks(&output, &[&live, &revoked, &unknown]);
}

#[test]
fn human_output_shows_outcomes_without_personal_data() {
    let api = FakeVast::start();
    let live = api.add_live("live", 1, 1);
    let revoked = key_from_seed("revoked");
    let dir = TempDir::new().unwrap();
    write_env_files(dir.path(), &[("a.env", &live), ("b.env", &revoked)]);
    let output = vastleaks()
        .arg("scan")
        .arg(dir.path())
        .args(fast(&api.url))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("  live") && stdout.contains("  revoked"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("1 live, 1 revoked, 0 unknown"), "{stderr}");
    assert!(stderr.contains("LIVE"), "{stderr}");
    assert_no_leaks(&output, &[&live, &revoked]);

    // Without --verify nothing is sent.
    let before = api.log().len();
    vastleaks()
        .arg("scan")
        .arg(dir.path())
        .args(["--api-url", &api.url])
        .output()
        .unwrap();
    assert_eq!(api.log().len(), before);
}

/// `HTTPS_PROXY` is honoured, and the default API base is console.vast.ai
/// over TLS: the proxy sees a CONNECT to console.vast.ai:443 and never the
/// key. The fake proxy refuses the tunnel, so nothing leaves this machine.
#[test]
fn https_proxy_from_the_environment_is_used() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let proxy = std::thread::spawn(move || {
        let mut seen = Vec::new();
        // One connection per attempt; no retries requested.
        if let Ok((mut stream, _)) = listener.accept() {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 4096];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        }
        seen
    });
    let key = key_from_seed("proxied");
    let output = vastleaks()
        .args([
            "scan",
            "-",
            "--verify",
            "--verify-retries",
            "0",
            "--format",
            "json",
        ])
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{port}"))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .write_stdin(format!("VAST_API_KEY={key}\n"))
        .output()
        .unwrap();
    let seen = String::from_utf8_lossy(&proxy.join().unwrap()).into_owned();
    assert!(
        seen.starts_with("CONNECT console.vast.ai:443 "),
        "proxy saw: {seen:?}"
    );
    assert!(
        !seen.contains(&key),
        "the key reached the proxy in clear text"
    );
    assert_eq!(
        outcomes(&output.stdout)[&fingerprint(&key)],
        ("unknown".to_string(), Some("network".to_string()))
    );
}

/// Not a test: a measurement. `cargo test --test verify_api measure -- --ignored --nocapture`
/// verifies 100 distinct keys (each in 2 files) against the fake API with
/// 50 ms simulated latency per answer, at several --verify-jobs values, and
/// prints wall times and server-side request counts.
#[test]
#[ignore]
fn measure_verify_wall_time() {
    let api = FakeVast::start();
    api.set_latency(Duration::from_millis(50));
    let keys: Vec<String> = (0..100)
        .map(|i| api.add_live(&format!("m{i}"), 1, i))
        .collect();
    let dir = TempDir::new().unwrap();
    let names: Vec<String> = (0..200).map(|i| format!("f{i}.env")).collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), keys[i % 100].as_str()))
        .collect();
    write_env_files(dir.path(), &files);
    for jobs in ["1", "4", "8", "16", "32"] {
        let before = api.count("GET", "/api/v0/users/current/", None);
        let started = std::time::Instant::now();
        let output = vastleaks()
            .arg("scan")
            .arg(dir.path())
            .args([
                "--verify",
                "--api-url",
                &api.url,
                "--verify-jobs",
                jobs,
                "--verify-retries",
                "0",
            ])
            .output()
            .unwrap();
        let elapsed = started.elapsed();
        let requests = api.count("GET", "/api/v0/users/current/", None) - before;
        assert_eq!(output.status.code(), Some(1));
        println!(
            "--verify-jobs {jobs:>2}: 200 findings, 100 distinct keys, {requests} requests, {:.2} s wall",
            elapsed.as_secs_f64()
        );
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            if line.contains("note:") {
                println!("    {line}");
            }
        }
    }
}

/// A key pasted into VAST_URL (a URL copied with `?api_key=`) is neither
/// echoed by the usage error nor shown by `--help`.
#[test]
fn a_key_in_vast_url_is_not_echoed() {
    let key = key_from_seed("in-the-url");
    let url = format!("https://console.vast.ai/api/v0/instances/?api_key={key}");
    let dir = TempDir::new().unwrap();
    let output = vastleaks()
        .args(["scan", "--verify"])
        .arg(dir.path())
        .env("VAST_URL", &url)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("VAST_URL"));
    assert_no_leaks(&output, &[&key]);
    let help = vastleaks()
        .args(["scan", "--help"])
        .env("VAST_URL", &url)
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert_no_leaks(&help, &[&key]);
}

/// Writes one `.env` file per key into a fresh directory, in key order.
fn env_dir(keys: &[&str]) -> TempDir {
    let dir = TempDir::new().unwrap();
    let names: Vec<String> = (0..keys.len()).map(|i| format!("k{i:03}.env")).collect();
    let files: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(keys.iter().copied())
        .collect();
    write_env_files(dir.path(), &files);
    dir
}

/// A server dripping its answer one byte every 200 ms never trips a per-read
/// timeout; `--verify-timeout` must bound the whole request (connect,
/// headers and body), so the key is `unknown (timeout)` after two attempts
/// of 1 s each, not after the whole drip.
#[test]
fn a_trickling_server_is_cut_by_the_request_timeout() {
    let api = FakeVast::start();
    let every = Duration::from_millis(200);
    let body = api.add_live("trickle-body", 1, 1);
    api.set_mode(
        &body,
        Mode::Trickle(Trickle {
            every,
            headers: false,
        }),
    );
    let head = api.add_live("trickle-headers", 1, 2);
    api.set_mode(
        &head,
        Mode::Trickle(Trickle {
            every,
            headers: true,
        }),
    );
    let dir = env_dir(&[&body, &head]);
    let started = std::time::Instant::now();
    let output = vastleaks()
        .arg("scan")
        .arg(dir.path())
        .args(fast(&api.url))
        .args(["--verify-jobs", "2", "--format", "json"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let got = outcomes(&output.stdout);
    for key in [&body, &head] {
        assert_eq!(
            got[&fingerprint(key)],
            ("unknown".to_string(), Some("timeout".to_string())),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // The first attempt and one retry.
        assert_eq!(api.count("GET", "/api/v0/users/current/", Some(key)), 2);
    }
    // Two attempts of at most 1 s each: 2 s. Sanity guard only (4x + slack),
    // far below the 30 s drip each attempt would take without the bound.
    assert!(elapsed < Duration::from_secs(13), "took {elapsed:?}");
    assert_no_leaks(&output, &[&body, &head]);
    api.assert_clean_requests();
}

/// `--verify-deadline` bounds the whole verification phase: keys not
/// checked, mid-request or waiting to retry when it runs out are `unknown
/// (deadline)`, and keys not started are never sent.
#[test]
fn verify_deadline_bounds_the_whole_phase() {
    let api = FakeVast::start();
    // Asks for a wait within the 60 s cap but past the deadline.
    let waiting = api.add_live("wait-past-deadline", 1, 100);
    api.set_mode(
        &waiting,
        Mode::RateLimited {
            remaining: 9,
            headers: vec![("Retry-After".into(), "30".into())],
        },
    );
    let slow: Vec<String> = (0..16)
        .map(|i| {
            let key = api.add_live(&format!("slow{i}"), 1, i);
            api.set_mode(&key, Mode::Slow(Duration::from_secs(1)));
            key
        })
        .collect();
    let mut keys: Vec<&str> = vec![&waiting];
    keys.extend(slow.iter().map(String::as_str));
    let dir = env_dir(&keys);
    let started = std::time::Instant::now();
    let output = vastleaks()
        .arg("scan")
        .arg(dir.path())
        .args(["--verify", "--api-url", &api.url])
        .args(["--verify-timeout", "10s", "--verify-retries", "3"])
        .args(["--verify-jobs", "2", "--verify-deadline", "2500ms"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let got = outcomes(&output.stdout);
    let deadline = ("unknown".to_string(), Some("deadline".to_string()));
    assert_eq!(got[&fingerprint(&waiting)], deadline);
    assert_eq!(
        api.count("GET", "/api/v0/users/current/", Some(&waiting)),
        1
    );
    let mut cut = 0;
    for key in &slow {
        let outcome = &got[&fingerprint(key)];
        if *outcome == deadline {
            cut += 1;
        } else {
            assert_eq!(outcome.0, "live", "{key}");
        }
    }
    // 2 workers, 1 s per answer, 2.5 s: at most 5 answers fit.
    assert!(cut >= 11, "only {cut} of 16 keys cut by the deadline");
    let sent = api.count("GET", "/api/v0/users/current/", None);
    assert!(
        sent <= 8,
        "{sent} requests: keys were sent after the deadline"
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["summary"]["verification"]["unknown"], cut + 1);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--verify-deadline"), "{stderr}");
    // Sanity guard only: the deadline plus slack, not 16 s of slow answers.
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert_no_leaks(&output, &keys);
}

/// Absurd rate-limit headers (a wait no clock can represent) must not
/// panic: the key is `unknown (rate_limited)` without a retry, and the run
/// ends with a normal report and exit code.
#[test]
fn absurd_rate_limit_headers_do_not_panic() {
    let api = FakeVast::start();
    let headers = [
        ("X-RateLimit-Reset", "1e300"),
        ("X-RateLimit-Reset", "10000000000000000000"),
        (
            "X-RateLimit-Reset",
            "179769313486231570000000000000000000000",
        ),
        ("Retry-After", "99999999999999999999999999"),
        ("Retry-After", "18446744073709551615"),
    ];
    let keys: Vec<String> = headers
        .iter()
        .enumerate()
        .map(|(i, (name, value))| {
            let key = api.add_live(&format!("absurd{i}"), 1, i as i64);
            api.set_mode(
                &key,
                Mode::RateLimited {
                    remaining: 9,
                    headers: vec![(name.to_string(), value.to_string())],
                },
            );
            key
        })
        .collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let dir = env_dir(&refs);
    for format in ["json", "human"] {
        let output = vastleaks()
            .arg("scan")
            .arg(dir.path())
            .args(["--verify", "--api-url", &api.url, "--verify-retries", "3"])
            .args(["--format", format])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{output:?}");
        assert_no_leaks(&output, &refs);
        if format == "json" {
            let got = outcomes(&output.stdout);
            for key in &keys {
                assert_eq!(
                    got[&fingerprint(key)],
                    ("unknown".to_string(), Some("rate_limited".to_string()))
                );
            }
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("0 live, 0 revoked, 5 unknown"), "{stderr}");
        }
    }
    // Never retried (one request per run): the asked-for wait is over the cap.
    for key in &keys {
        assert_eq!(api.count("GET", "/api/v0/users/current/", Some(key)), 2);
    }
}

/// `revoke` talks to the same API through the same client: a trickled key
/// list is cut by `--verify-timeout` too, and nothing is deleted.
#[test]
fn revoke_calls_are_bounded_too() {
    let api = FakeVast::start();
    let leaked = api.add_live("revoke-trickle", 500, 11);
    api.trickle_key_list(Trickle {
        every: Duration::from_millis(200),
        headers: false,
    });
    let dir = env_dir(&[&leaked]);
    let started = std::time::Instant::now();
    let output = vastleaks()
        .arg("revoke")
        .arg(dir.path())
        .args(["--api-url", &api.url, "--yes", "--format", "json"])
        .args(["--verify-timeout", "1s", "--verify-retries", "1"])
        .args(["--verify-backoff", "10ms"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(api.count("DELETE", "/", None), 0);
    assert!(!api.is_deleted(&leaked));
    assert_eq!(api.count("GET", "/api/v0/auth/apikeys/", Some(&leaked)), 2);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("cannot list the account's keys") && text.contains("--verify-timeout"),
        "{text}"
    );
    assert!(elapsed < Duration::from_secs(13), "took {elapsed:?}");
    assert_no_leaks(&output, &[&leaked]);
}

/// With `--progress always` the verifier shows keys checked / total and
/// each wait before a retry as it happens, naming keys by fingerprint only.
/// Without it (stderr is not a terminal here) stderr is as before.
#[test]
fn progress_shows_counts_and_waits_without_secrets() {
    let api = FakeVast::start();
    let limited = api.add_live("progress-limited", 1, 1);
    api.set_mode(
        &limited,
        Mode::RateLimited {
            remaining: 1,
            headers: vec![("Retry-After".into(), "1".into())],
        },
    );
    let live = api.add_live("progress-live", 1, 2);
    let dir = env_dir(&[&limited, &live]);
    let run = |extra: &[&str]| {
        vastleaks()
            .arg("scan")
            .arg(dir.path())
            .args(fast(&api.url))
            .args(extra)
            .output()
            .unwrap()
    };
    let shown = run(&["--progress", "always"]);
    assert_eq!(shown.status.code(), Some(1), "{shown:?}");
    let stderr = String::from_utf8_lossy(&shown.stderr);
    let short = &fingerprint(&limited);
    assert!(
        stderr.contains(&format!("key {short}: HTTP 429")) && stderr.contains("waiting 1s"),
        "{stderr}"
    );
    assert!(stderr.contains("/2 keys checked"), "{stderr}");
    assert_no_leaks(&shown, &[&limited, &live]);

    let quiet = run(&[]);
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(
        !stderr.contains("waiting") && !stderr.contains("keys checked"),
        "{stderr}"
    );
}
