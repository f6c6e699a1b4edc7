//! The baseline loader (`Suppressions::load_baseline`) over arbitrary file
//! content. It reads a file, so each input is written to one temporary file
//! per process (on /dev/shm when there is one): no change to the loader.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vastleaks::suppress::Suppressions;
use vastleaks_fuzz::key_shapes;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = if Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        dir.join(format!(
            "vastleaks-fuzz-baseline-{}.json",
            std::process::id()
        ))
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).unwrap();
    let mut suppressions = Suppressions::default();
    match suppressions.load_baseline(path, "baseline.json") {
        Ok(added) => {
            let json: serde_json::Value = serde_json::from_slice(data).unwrap();
            let findings = json["findings"].as_array().unwrap();
            assert!(added <= findings.len());
            assert!(added > 0 || findings.is_empty());
        }
        Err(err) => {
            let message = format!("{err:#}");
            assert!(message.starts_with("--baseline "), "{message}");
            assert!(!message.contains('\n'), "{message}");
            assert!(key_shapes(message.as_bytes()).is_empty(), "{message}");
        }
    }
});
