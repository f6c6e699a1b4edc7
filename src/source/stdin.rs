//! Standard input, for piping logs and command output through the scanner.

use std::io::Read;

use anyhow::Context;

use crate::finding::SourceKind;
use crate::scan::{Blob, Collector, Scanner};

/// Reads all of standard input and scans it as one blob.
pub fn scan(scanner: &Scanner, collector: &Collector) -> anyhow::Result<()> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .context("cannot read standard input")?;
    collector.scan(
        scanner,
        &Blob {
            source: SourceKind::Stdin,
            path: None,
            bytes: &bytes,
        },
    );
    Ok(())
}
