//! Records the commit a binary was built from, for `vastleaks --version`.
//!
//! Read from the git directory directly (no `git` process, no dependency;
//! `build/git_head.rs`): a build from a crates.io package or a tarball has no
//! `.git` and says "unknown". No timestamp is recorded, so builds stay
//! reproducible.

#[path = "build/git_head.rs"]
mod git_head;

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/git_head.rs");
    let head = git_head::read(Path::new(".git"));
    let commit = head
        .as_ref()
        .and_then(|head| head.commit.clone())
        .unwrap_or_else(|| "unknown".to_string());
    for file in head.iter().flat_map(|head| &head.watch) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    println!("cargo:rustc-env=VASTLEAKS_COMMIT={commit}");
    println!(
        "cargo:rustc-env=VASTLEAKS_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
}
