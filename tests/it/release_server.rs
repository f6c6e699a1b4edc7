//! A fake release host on 127.0.0.1: serves files from a directory over
//! HTTP/1.1 (GET only, one request per connection) and records each request
//! path, so tests can check what an installer downloaded. Shared by the
//! install-script and action tests, with the release archives they serve
//! and stand-ins for `cargo`, `gh` and `uname`.

#![cfg(unix)]
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// This machine's release target (the tests run on Linux x86_64).
pub const TARGET: &str = "x86_64-unknown-linux-musl";

pub struct ReleaseServer {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl ReleaseServer {
    /// Serves `root`: a request for `/a/b` answers with the file `root/a/b`, or 404.
    pub fn start(root: &Path) -> ReleaseServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (root, requests, stop) = (root.to_path_buf(), requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &root, &requests);
                    }
                }
            })
        };
        ReleaseServer {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            port,
            thread: Some(thread),
        }
    }

    /// Request paths so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, root: &Path, requests: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    // Drain the headers.
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    requests.lock().unwrap().push(path.to_string());
    let file = (method == "GET" && !path.contains(".."))
        .then(|| root.join(path.trim_start_matches('/')))
        .filter(|file| file.is_file());
    let mut stream = &stream;
    match file.and_then(|file| std::fs::read(file).ok()) {
        Some(body) => {
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
        None => {
            let _ = stream.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
            );
        }
    }
}

impl Drop for ReleaseServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn write_exe(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A release host tree `DIR/site/OWNER/vastleaks/releases/download/vV/ARCHIVE`
/// whose archive holds `vastleaks-V-TARGET/vastleaks`: a launcher for the
/// binary these tests built (so the installed program really scans, and the
/// archive stays small). Returns the base URL path and the archive's SHA-256.
pub fn publish(dir: &Path, target: &str) -> (String, String) {
    let base = "/OWNER/vastleaks/releases/download";
    let stage = dir
        .join("stage")
        .join(format!("vastleaks-{VERSION}-{target}"));
    write_exe(
        &stage.join("vastleaks"),
        &format!(
            "#!/bin/sh\nexec '{}' \"$@\"\n",
            crate::common::bin().display()
        ),
    );
    let release = dir
        .join("site")
        .join(&base[1..])
        .join(format!("v{VERSION}"));
    std::fs::create_dir_all(&release).unwrap();
    let archive = release.join(format!("vastleaks-{VERSION}-{target}.tar.gz"));
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.join("stage"))
        .arg(format!("vastleaks-{VERSION}-{target}"))
        .status()
        .unwrap();
    assert!(status.success());
    let sum = Sha256::digest(std::fs::read(&archive).unwrap());
    (base.to_string(), format!("{sum:x}"))
}

/// Stand-ins on PATH: `cargo` records its arguments and "installs" a
/// binary into `--root`; `gh` records its arguments and exits FAKE_GH_EXIT;
/// `uname` answers FAKE_UNAME_S / FAKE_UNAME_M when set.
pub fn stand_ins(dir: &Path) -> PathBuf {
    let bin = dir.join("fake-bin");
    write_exe(
        &bin.join("cargo"),
        "#!/bin/sh\n\
         echo \"$*\" >> \"$FAKE_LOG\"\n\
         root=\n\
         while [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\n\
         mkdir -p \"$root/bin\" && printf '#!/bin/sh\\necho built-from-source\\n' > \"$root/bin/vastleaks\"\n\
         chmod +x \"$root/bin/vastleaks\"\n",
    );
    write_exe(
        &bin.join("gh"),
        "#!/bin/sh\necho \"gh $*\" >> \"$FAKE_LOG\"\nexit \"${FAKE_GH_EXIT:-1}\"\n",
    );
    let real_uname = String::from_utf8(
        Command::new("sh")
            .args(["-c", "command -v uname"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    write_exe(
        &bin.join("uname"),
        &format!(
            "#!/bin/sh\n\
             case $1 in\n\
               -s) [ -n \"$FAKE_UNAME_S\" ] && {{ echo \"$FAKE_UNAME_S\"; exit 0; }} ;;\n\
               -m) [ -n \"$FAKE_UNAME_M\" ] && {{ echo \"$FAKE_UNAME_M\"; exit 0; }} ;;\n\
             esac\n\
             exec '{}' \"$@\"\n",
            real_uname.trim()
        ),
    );
    bin
}

/// PATH with `dir` first.
pub fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap()));
    std::env::join_paths(paths).unwrap()
}
