//! The distribution files agree with each other: the targets the release
//! workflow builds are the ones the installer detects and the README lists,
//! the pinned-checksum table is well formed, the crate ships its licences and
//! schema. (Text checks: the files are small and their format is ours.)

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

#[test]
fn every_release_target_is_built_detected_and_documented() {
    let release = read(".github/workflows/release.yml");
    let built: Vec<&str> = release
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- target: "))
        .collect();
    assert_eq!(built, TARGETS);
    let install = read("scripts/install.sh");
    let readme = read("README.md");
    for target in TARGETS {
        assert!(
            install.contains(&format!("echo {target} ;;")),
            "install.sh does not detect {target}"
        );
        assert!(readme.contains(target), "README does not list {target}");
    }
}

#[test]
fn pinned_checksum_table_is_well_formed() {
    let table = read("packaging/release-checksums.txt");
    for line in table.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 3, "VERSION TARGET SHA256: {line}");
        assert!(
            fields[0].split('.').count() == 3,
            "version like 0.1.0: {line}"
        );
        assert!(TARGETS.contains(&fields[1]), "unknown target: {line}");
        assert!(
            fields[2].len() == 64 && fields[2].bytes().all(|b| b.is_ascii_hexdigit()),
            "SHA-256 in hex: {line}"
        );
    }
}

#[test]
fn crate_ships_licences_schema_and_docs() {
    let manifest = read("Cargo.toml");
    let include = &manifest[manifest.find("include = [").expect("include list")..];
    let include = &include[..include.find(']').unwrap()];
    for file in [
        "\"LICENSE-MIT\"",
        "\"LICENSE-APACHE\"",
        "\"schemas/**\"",
        "\"CHANGELOG.md\"",
        "\"SECURITY.md\"",
        "\"README.md\"",
    ] {
        assert!(include.contains(file), "Cargo.toml include lacks {file}");
    }
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    assert!(read("LICENSE-APACHE").contains("Apache License"));
    assert!(read("LICENSE-MIT").contains("MIT License"));
}

/// cargo-binstall looks for the archive names package.py writes.
#[test]
fn binstall_metadata_names_the_release_archives() {
    let manifest = read("Cargo.toml");
    assert!(manifest.contains(
        "pkg-url = \"{ repo }/releases/download/v{ version }/{ name }-{ version }-{ target }{ archive-suffix }\""
    ));
    assert!(
        manifest.contains("bin-dir = \"{ name }-{ version }-{ target }/{ bin }{ binary-ext }\"")
    );
    let package = read("scripts/package.py");
    assert!(package.contains("top = into / f\"vastleaks-{version}-{target}\""));
    assert!(package.contains("archive = out / f\"{top.name}.tar.gz\""));
    assert!(package.contains("archive = out / f\"{top.name}.zip\""));
}
