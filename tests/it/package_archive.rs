//! The release archive as `scripts/package.py` (the release workflow's
//! packager) makes it from the binary these tests built: its contents, its
//! SHA-256 line for the pinned table, and the whole chain a user of the
//! Action goes through: pinned table, loopback release host, install.sh, a
//! working `vastleaks`.
#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

use crate::common;
use crate::release_server;

use std::path::Path;
use std::process::Command;

use release_server::{ReleaseServer, TARGET, VERSION};
use sha2::{Digest, Sha256};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn archive_contents_sum_and_install_chain() {
    let dir = tempfile::tempdir().unwrap();
    // A copy without DWARF: the debug build is ~160 MB, and gzip-ing it
    // would dominate the test. The code is the same.
    let binary = dir.path().join("vastleaks");
    std::fs::copy(common::bin(), &binary).unwrap();
    let _ = Command::new("strip")
        .arg("--strip-debug")
        .arg(&binary)
        .status();

    let release = dir.path().join(format!("site/v{VERSION}"));
    let out = Command::new("python3")
        .arg(root().join("scripts/package.py"))
        .arg("--binary")
        .arg(&binary)
        .args(["--target", TARGET, "--out"])
        .arg(&release)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let name = format!("vastleaks-{VERSION}-{TARGET}");
    let archive = release.join(format!("{name}.tar.gz"));
    let sum = format!("{:x}", Sha256::digest(std::fs::read(&archive).unwrap()));
    // Line 2: the pinned-table line; the .sha256 file: sha256sum's format.
    assert_eq!(
        stdout.lines().nth(1),
        Some(format!("{VERSION} {TARGET} {sum}").as_str())
    );
    assert_eq!(
        std::fs::read_to_string(release.join(format!("{name}.tar.gz.sha256"))).unwrap(),
        format!("{sum}  {name}.tar.gz\n")
    );

    let listing = Command::new("tar")
        .arg("-tzvf")
        .arg(&archive)
        .output()
        .unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    for file in [
        "vastleaks",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "README.md",
        "CHANGELOG.md",
        "SECURITY.md",
        "report.schema.json",
        "vastleaks.1",
        "completions/vastleaks.bash",
        "completions/_vastleaks",
        "completions/vastleaks.fish",
        "completions/_vastleaks.ps1",
        "completions/vastleaks.elv",
    ] {
        assert!(
            listing.contains(&format!("{name}/{file}\n")),
            "{file} missing:\n{listing}"
        );
    }
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("-rwxr-xr-x") && l.ends_with("/vastleaks")),
        "the binary is executable:\n{listing}"
    );

    // The chain the Action runs: pinned sum, download, verify, unpack, run.
    let table = dir.path().join("pinned.txt");
    std::fs::write(&table, stdout.lines().nth(1).unwrap()).unwrap();
    let server = ReleaseServer::start(&dir.path().join("site"));
    let dest = dir.path().join("dest");
    let mut install = Command::new("sh");
    let install = common::clean_env(&mut install)
        .arg(root().join("scripts/install.sh"))
        .args(["--version", VERSION, "--mode", "binary", "--target", TARGET])
        .args(["--base-url", &server.url, "--dest"])
        .arg(&dest)
        .arg("--checksums")
        .arg(&table)
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let version = common::vastleaks_at(dest.join("bin/vastleaks"))
        .arg("-V")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("vastleaks {VERSION}")
    );
}
