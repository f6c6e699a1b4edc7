//! Standard input, for piping logs and command output through the scanner.
//!
//! Read as a stream, in overlapping windows (see [`crate::scan::stream`]):
//! memory stays bounded however long the input (`kubectl logs -f | vastleaks
//! scan -` runs for days), there is no length limit (--max-file-size is for
//! files and blobs), and each batch of findings is handed to a callback as
//! soon as it is known, so line-oriented output can print it at once.

use anyhow::bail;

use crate::finding::{Finding, Origin};
use crate::scan::{Collector, ProblemKind, Scanner, StreamOptions, Subject};

/// Scans all of standard input, calling `on_findings` with each batch of
/// findings as it is found.
pub fn scan(
    scanner: &Scanner,
    collector: &Collector,
    on_findings: &mut dyn FnMut(&[Finding]),
) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    let mut reader = stdin.lock();
    let outcome = collector.scan_stream(
        scanner,
        &mut reader,
        &Origin::Stdin,
        StreamOptions::default(),
        on_findings,
    );
    match outcome.error {
        Some(err) if outcome.bytes == 0 => bail!("cannot read standard input: {err}"),
        Some(err) => collector.problem(
            Subject::Stdin,
            ProblemKind::Error,
            format!(
                "cannot read past byte {}: {err}; what came before was scanned",
                outcome.bytes
            ),
        ),
        None => {}
    }
    Ok(())
}
