//! A fake Vast API on 127.0.0.1, behaving as `vast-api.md` §3-4 describes,
//! shared by `tests/verify_api.rs` and `tests/revoke.rs`.
//!
//! A minimal HTTP/1.1 server on `std::net` (one thread per connection, one
//! request per connection, `Connection: close`). tiny_http 0.12 was tried
//! first: its thread pool stalls some connections when idle pool threads
//! retire after 5 s (measured: 4 to 16 of 100 requests never answered at 8 to
//! 32 parallel clients), which would turn into false `timeout` outcomes.
//! It records every request (method, URL, Authorization, User-Agent, time) so
//! tests can count calls per key on the server side and check that no key
//! ever appears in a URL. Live keys answer with planted personal data
//! ([`PII`]) that must never show up in any output.

#![allow(dead_code)]

mod trickle;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub use trickle::Trickle;

/// Personal data planted in every 200 answer of `/users/current/`.
pub const PII: [&str; 5] = [
    "canary.person@example.org",
    "Canary Quentin Person",
    "12 Canary Lane",
    "4111111111111111",
    "Canaryville",
];

/// A raw key planted in the `/users/current/` body (the API may return one).
pub fn planted_body_key() -> String {
    key_from_seed("planted-in-body")
}

/// A deterministic 64-hex key from a seed (keys are built at runtime, never
/// written in the source).
pub fn key_from_seed(seed: &str) -> String {
    let digest = Sha256::digest(format!("vastleaks-test:{seed}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// How a key's requests are answered (beyond the normal live/deleted logic).
#[derive(Clone, Debug)]
pub enum Mode {
    Normal,
    /// 429 for the next `remaining` calls to /users/current/, then normal.
    /// `headers` are added to each 429 (e.g. Retry-After).
    RateLimited {
        remaining: u32,
        headers: Vec<(String, String)>,
    },
    /// 502 with an HTML body for the next `remaining` calls, then normal.
    BadGateway {
        remaining: u32,
    },
    /// Sleeps this long before answering /users/current/.
    Slow(Duration),
    /// 200 with a body that is not JSON.
    Malformed,
    /// 401 demanding two-factor authentication.
    TwoFactor,
    /// 403: a scoped key without user_read.
    Scope,
    /// 302 to this URL.
    Redirect(String),
    /// The normal answer, dripped one byte at a time.
    Trickle(Trickle),
}

#[derive(Clone, Debug)]
pub struct KeyRecord {
    pub key: String,
    pub id: i64,
    pub user_id: i64,
    pub deleted: bool,
    pub mode: Mode,
    /// `key_id` reported by /users/current/ instead of `id` (a buggy or
    /// ambiguous API: e.g. the account's main key id).
    pub reported_key_id: Option<i64>,
    /// Leave `key_id` out of /users/current/ altogether.
    pub hide_key_id: bool,
    /// Answer to DELETE with this key as caller, instead of the real logic;
    /// `(status, delete_anyway)`.
    pub delete_answer: Option<(u16, bool)>,
    /// 429s (with Retry-After: 1) for the next DELETE calls.
    pub delete_rate_limited: u32,
}

#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub url: String,
    pub auth: Option<String>,
    pub user_agent: Option<String>,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    keys: Vec<KeyRecord>,
    list_with_values: bool,
    log: Vec<Logged>,
    /// Added to every answer (simulated network latency, for measurements).
    latency: Option<Duration>,
    /// Drip every answer to `GET /auth/apikeys/`.
    list_trickle: Option<Trickle>,
}

pub struct FakeVast {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: Listener,
}

impl FakeVast {
    pub fn start() -> FakeVast {
        let state = Arc::new(Mutex::new(State::default()));
        let server = {
            let state = Arc::clone(&state);
            Listener::start(move |request| handle(request, &state))
        };
        FakeVast {
            url: format!("http://127.0.0.1:{}", server.port),
            state,
            server,
        }
    }

    /// Adds a live key with key id `id` for account `user_id`; returns it.
    pub fn add_live(&self, seed: &str, user_id: i64, id: i64) -> String {
        let key = key_from_seed(seed);
        self.add_key(&key, user_id, id, false);
        key
    }

    pub fn add_key(&self, key: &str, user_id: i64, id: i64, deleted: bool) {
        self.state().keys.push(KeyRecord {
            key: key.to_string(),
            id,
            user_id,
            deleted,
            mode: Mode::Normal,
            reported_key_id: None,
            hide_key_id: false,
            delete_answer: None,
            delete_rate_limited: 0,
        });
    }

    pub fn edit(&self, key: &str, change: impl FnOnce(&mut KeyRecord)) {
        let mut state = self.state();
        let record = state
            .keys
            .iter_mut()
            .find(|r| r.key == key)
            .expect("key registered in the fake API");
        change(record);
    }

    pub fn set_mode(&self, key: &str, mode: Mode) {
        self.edit(key, |r| r.mode = mode);
    }

    /// Whether `GET /auth/apikeys/` shows key values (older API docs).
    pub fn list_with_values(&self, yes: bool) {
        self.state().list_with_values = yes;
    }

    /// Drips every answer to `GET /api/v0/auth/apikeys/`.
    pub fn trickle_key_list(&self, trickle: Trickle) {
        self.state().list_trickle = Some(trickle);
    }

    /// Delays every answer by `latency` (measurements only).
    pub fn set_latency(&self, latency: Duration) {
        self.state().latency = Some(latency);
    }

    pub fn is_deleted(&self, key: &str) -> bool {
        self.state().keys.iter().any(|r| r.key == key && r.deleted)
    }

    pub fn log(&self) -> Vec<Logged> {
        self.state().log.clone()
    }

    /// Requests with `method` whose path starts with `path`, made with `key`
    /// (any key when `None`).
    pub fn count(&self, method: &str, path: &str, key: Option<&str>) -> usize {
        let bearer = key.map(|k| format!("Bearer {k}"));
        self.state()
            .log
            .iter()
            .filter(|l| l.method == method && l.url.starts_with(path))
            .filter(|l| bearer.is_none() || l.auth == bearer)
            .count()
    }

    /// Asserts the invariants every test shares: no key in any URL, never
    /// the reset-key endpoint, a vastleaks User-Agent on every request.
    pub fn assert_clean_requests(&self) {
        let state = self.state();
        for logged in &state.log {
            for record in &state.keys {
                assert!(
                    !logged.url.contains(&record.key),
                    "a key appeared in a URL: {}",
                    logged.method
                );
            }
            assert!(
                !logged.url.contains("reset_apikey"),
                "the reset-key endpoint was called"
            );
            assert!(
                logged
                    .user_agent
                    .as_deref()
                    .is_some_and(|ua| ua.starts_with("vastleaks/")),
                "User-Agent {:?}",
                logged.user_agent
            );
            let has_hex_run = logged
                .url
                .as_bytes()
                .windows(64)
                .any(|w| w.iter().all(u8::is_ascii_hexdigit));
            assert!(!has_hex_run, "a 64-hex value appeared in a URL");
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A parsed request head (requests carry no body here).
pub struct Request {
    pub method: String,
    pub url: String,
    headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer; `delay` is slept before it is written, then it is written at
/// once or dripped by `trickle`.
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Option<Duration>,
    trickle: Option<Trickle>,
}

impl Reply {
    fn new(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay: None,
            trickle: None,
        }
    }

    fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// The accept loop: one thread per connection, one request per connection.
struct Listener {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let handler = Arc::new(handler);
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let handler = Arc::clone(&handler);
                    std::thread::spawn(move || serve(stream, &*handler));
                }
            })
        };
        Listener {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(mut stream: TcpStream, handler: &dyn Fn(&Request) -> Reply) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (Some(method), Some(url)) = (first.next(), first.next()) else {
        return;
    };
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let request = Request {
        method: method.to_string(),
        url: url.to_string(),
        headers,
    };
    let reply = handler(&request);
    if let Some(delay) = reply.delay {
        std::thread::sleep(delay);
    }
    let mut out = format!(
        "HTTP/1.1 {} Fake\r\nContent-Length: {}\r\nConnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (name, value) in &reply.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    if let Some(trickle) = reply.trickle {
        trickle.write(&mut stream, out.as_bytes(), reply.body.as_bytes());
        return;
    }
    out.push_str(&reply.body);
    // The client may have given up (timeout): ignore write errors.
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.flush();
}

fn json(status: u16, body: String) -> Reply {
    Reply::new(status, body).with_header("Content-Type", "application/json")
}

fn handle(request: &Request, state: &Mutex<State>) -> Reply {
    let auth = request.header("Authorization").map(str::to_string);
    let caller = auth
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_string);
    let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
    state.log.push(Logged {
        method: request.method.clone(),
        url: request.url.clone(),
        auth,
        user_agent: request.header("User-Agent").map(str::to_string),
        at: Instant::now(),
    });
    let mut delay = state.latency;
    let mut reply = answer(
        &mut state,
        &request.method,
        &request.url,
        caller.as_deref(),
        &mut delay,
    );
    reply.delay = delay;
    reply
}

fn invalid_key() -> Reply {
    json(
        401,
        r#"{"success": false, "error": "invalid_user_key", "msg": "Invalid user key"}"#.to_string(),
    )
}

fn answer(
    state: &mut State,
    method: &str,
    url: &str,
    caller: Option<&str>,
    delay: &mut Option<Duration>,
) -> Reply {
    let path = url.split('?').next().unwrap_or(url);
    let index = caller.and_then(|key| state.keys.iter().position(|r| r.key == key));
    match (method, path) {
        ("GET", "/api/v0/users/current/") => {
            let Some(index) = index else {
                return invalid_key();
            };
            let record = &mut state.keys[index];
            let trickle = match record.mode {
                Mode::Trickle(trickle) => Some(trickle),
                _ => None,
            };
            match &mut record.mode {
                Mode::RateLimited { remaining, headers } if *remaining > 0 => {
                    *remaining -= 1;
                    let mut reply =
                        Reply::new(429, "API requests too frequent endpoint threshold=2.0");
                    for (name, value) in headers.iter() {
                        reply = reply.with_header(name, value);
                    }
                    return reply;
                }
                Mode::BadGateway { remaining } if *remaining > 0 => {
                    *remaining -= 1;
                    return Reply::new(
                        502,
                        "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
                    )
                    .with_header("Content-Type", "text/html");
                }
                Mode::Slow(duration) => *delay = Some(*duration + delay.unwrap_or_default()),
                Mode::Malformed => {
                    return json(200, format!(r#"{{"id": 1, "email": "{}", "#, PII[0]))
                }
                Mode::TwoFactor => {
                    return json(
                        401,
                        r#"{"success": false, "error": "2fa_required", "msg": "Two-factor authentication (2FA) verification required"}"#.to_string(),
                    )
                }
                Mode::Scope => {
                    return json(
                        403,
                        r#"{"success": false, "error": "forbidden", "msg": "API key does not have permission user_read"}"#.to_string(),
                    )
                }
                Mode::Redirect(to) => {
                    return Reply::new(302, "").with_header("Location", to)
                }
                _ => {}
            }
            if record.deleted {
                return invalid_key();
            }
            let key_id = if record.hide_key_id {
                String::new()
            } else {
                format!(
                    r#""key_id": {}, "#,
                    record.reported_key_id.unwrap_or(record.id)
                )
            };
            let mut reply = json(
                200,
                format!(
                    r#"{{"id": {}, {key_id}"username": "canary", "email": "{}", "fullname": "{}",
                       "billaddress_line1": "{}", "billaddress_city": "{}", "paid_card": "{}",
                       "credit": 12.5, "balance": 0, "api_key": "{}", "sid": "x"}}"#,
                    record.user_id,
                    PII[0],
                    PII[1],
                    PII[2],
                    PII[4],
                    PII[3],
                    planted_body_key()
                ),
            );
            reply.trickle = trickle;
            reply
        }
        ("GET", "/api/v0/auth/apikeys/") => {
            let Some(index) = index.filter(|i| !state.keys[*i].deleted) else {
                return invalid_key();
            };
            let user = state.keys[index].user_id;
            let with_values = state.list_with_values;
            let entries: Vec<String> = state
                .keys
                .iter()
                .filter(|r| r.user_id == user && !r.deleted)
                .map(|r| {
                    let value = if with_values {
                        format!(r#", "key": "{}""#, r.key)
                    } else {
                        String::new()
                    };
                    format!(
                        r#"{{"id": {}, "user_id": {}, "rights": null, "key_type": "api", "created_at": 1700000000.0{value}}}"#,
                        r.id, r.user_id
                    )
                })
                .collect();
            let mut reply = json(200, format!(r#"{{"apikeys": [{}]}}"#, entries.join(", ")));
            reply.trickle = state.list_trickle;
            reply
        }
        ("DELETE", p) if p.starts_with("/api/v0/auth/apikeys/") => {
            let Some(index) = index.filter(|i| !state.keys[*i].deleted) else {
                return invalid_key();
            };
            let target: Option<i64> = p
                .trim_start_matches("/api/v0/auth/apikeys/")
                .trim_end_matches('/')
                .parse()
                .ok();
            let caller_user = state.keys[index].user_id;
            if state.keys[index].delete_rate_limited > 0 {
                state.keys[index].delete_rate_limited -= 1;
                return Reply::new(429, "API requests too frequent endpoint threshold=2.0")
                    .with_header("Retry-After", "1");
            }
            let target_index =
                target.and_then(|id| state.keys.iter().position(|r| r.id == id && !r.deleted));
            if let Some((status, delete_anyway)) = state.keys[index].delete_answer {
                if delete_anyway {
                    if let Some(t) = target_index {
                        state.keys[t].deleted = true;
                    }
                }
                return json(
                    status,
                    r#"{"success": false, "msg": "canned answer"}"#.to_string(),
                );
            }
            match target_index {
                None => json(
                    404,
                    r#"{"success": false, "msg": "API key not found"}"#.to_string(),
                ),
                Some(t) if state.keys[t].user_id != caller_user => json(
                    403,
                    r#"{"success": false, "msg": "API key belongs to another user"}"#.to_string(),
                ),
                Some(t) => {
                    state.keys[t].deleted = true;
                    json(200, r#""API key deleted""#.to_string())
                }
            }
        }
        _ => json(404, r#"{"success": false, "msg": "not found"}"#.to_string()),
    }
}

/// A second server that only counts requests: the target of cross-host
/// redirects. Any request reaching it means a key may have leaked.
pub struct Catcher {
    pub url: String,
    hits: Arc<Mutex<usize>>,
    _server: Listener,
}

impl Catcher {
    pub fn start() -> Catcher {
        let hits = Arc::new(Mutex::new(0));
        let server = {
            let hits = Arc::clone(&hits);
            Listener::start(move |_| {
                *hits.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                json(200, r#"{"id": 99, "key_id": 99}"#.to_string())
            })
        };
        // `localhost`, not 127.0.0.1: another host for the client.
        Catcher {
            url: format!("http://localhost:{}", server.port),
            hits,
            _server: server,
        }
    }

    pub fn hits(&self) -> usize {
        *self.hits.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The binary with a clean environment (no VAST_URL, no proxy, no NO_COLOR).
pub use crate::common::vastleaks;

/// Writes `VAST_API_KEY=KEY` files into `dir`, one per (name, key).
pub fn write_env_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, key) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(&path, format!("# config\nVAST_API_KEY={key}\n")).expect("write file");
    }
}

/// Asserts nothing from the planted personal data, no full key and no
/// planted body key appears in the output.
pub fn assert_no_leaks(output: &Output, keys: &[&str]) {
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for pii in PII {
        assert!(
            !text.contains(pii),
            "personal data {pii:?} in the output:\n{text}"
        );
    }
    assert!(
        !text.contains(&planted_body_key()),
        "the body's key in the output"
    );
    for key in keys {
        assert!(!text.contains(key), "a full key in the output");
    }
    assert!(!text.contains("canned answer"), "an API body in the output");
}

/// `(fingerprint -> (status, reason))` from a JSON scan report.
pub fn outcomes(stdout: &[u8]) -> HashMap<String, (String, Option<String>)> {
    let report: serde_json::Value = serde_json::from_slice(stdout).expect("JSON report");
    let mut map = HashMap::new();
    for finding in report["findings"].as_array().expect("findings") {
        let v = &finding["verification"];
        map.insert(
            finding["fingerprint"]
                .as_str()
                .expect("fingerprint")
                .to_string(),
            (
                v["status"].as_str().unwrap_or("none").to_string(),
                v["reason"].as_str().map(str::to_string),
            ),
        );
    }
    map
}

/// The fingerprint vastleaks computes for `key`.
pub fn fingerprint(key: &str) -> String {
    vastleaks::key::Fingerprint::of(key).to_string()
}
