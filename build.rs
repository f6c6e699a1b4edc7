//! Records the commit a binary was built from, for `vastleaks --version`.
//!
//! Read from `.git` directly (no `git` process, no dependency): a build from
//! a crates.io package or a tarball has no `.git` and says "unknown". No
//! timestamp is recorded, so builds stay reproducible.

use std::path::Path;

fn main() {
    let git = Path::new(".git");
    println!("cargo:rerun-if-changed=.git/HEAD");
    let commit = head_commit(git).unwrap_or_else(|| "unknown".to_string());
    if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
        if let Some(reference) = head.trim().strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed=.git/{reference}");
            println!("cargo:rerun-if-changed=.git/packed-refs");
        }
    }
    println!("cargo:rustc-env=VASTLEAKS_COMMIT={commit}");
    println!(
        "cargo:rustc-env=VASTLEAKS_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
}

fn head_commit(git: &Path) -> Option<String> {
    let head = std::fs::read_to_string(git.join("HEAD")).ok()?;
    let head = head.trim();
    let id = match head.strip_prefix("ref: ") {
        None => head.to_string(),
        Some(reference) => match std::fs::read_to_string(git.join(reference)) {
            Ok(id) => id.trim().to_string(),
            Err(_) => std::fs::read_to_string(git.join("packed-refs"))
                .ok()?
                .lines()
                .find_map(|line| {
                    let (id, name) = line.split_once(' ')?;
                    (name == reference).then(|| id.to_string())
                })?,
        },
    };
    let valid = id.len() >= 40 && id.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then_some(id)
}
