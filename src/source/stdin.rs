//! Standard input, for piping logs and command output through the scanner.
//!
//! Read as a stream, in overlapping windows (see [`crate::scan::stream`]):
//! memory stays bounded however long the input (`kubectl logs -f | vastleaks
//! scan -` runs for days), there is no length limit (--max-file-size is for
//! files and blobs), and each batch of findings is handed to a callback as
//! soon as it is known, so line-oriented output can print it at once.

use std::io::Write;

use anyhow::bail;

use crate::cli::ScanArgs;
use crate::finding::{Finding, Origin};
use crate::report::{self, Format, RenderOptions, Report};
use crate::rules::RuleSet;
use crate::scan::{Collector, ProblemKind, Scanner, StreamOptions, Subject};
use crate::suppress::Suppressions;

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

/// Whether `vastleaks scan -` with these arguments prints findings as they
/// come: line-oriented formats (`human`, `jsonl`) written to standard output,
/// without `--verify` (whose outcome is known only at the end). Document
/// formats (JSON, SARIF, Markdown) are written whole at the end.
pub fn prints_live(args: &ScanArgs) -> bool {
    let stdin_mode = args.paths.len() == 1
        && args.paths[0].as_os_str() == "-"
        && !args.git
        && !args.staged
        && args.since_commit.is_none();
    let to_stdout = args
        .output
        .output
        .as_deref()
        .is_none_or(|path| path.as_os_str() == "-");
    stdin_mode
        && to_stdout
        && matches!(args.output.format, Format::Human | Format::Jsonl)
        && !args.verify.verify
        && !args.verify.only_live
}

/// Prints each batch of findings from standard input as it arrives, in the
/// requested line-oriented format, after the ignore file and baseline (a
/// suppressed finding is not printed, as in the final report).
pub struct LivePrinter<'a> {
    format: Format,
    redaction: crate::untrusted::Redaction,
    color: termcolor::ColorChoice,
    rules: &'a RuleSet,
    suppressions: &'a Suppressions,
}

impl<'a> LivePrinter<'a> {
    pub fn new(args: &ScanArgs, rules: &'a RuleSet, suppressions: &'a Suppressions) -> Self {
        use std::io::IsTerminal;
        LivePrinter {
            format: args.output.format,
            redaction: args.output.redaction(),
            color: crate::commands::scan::color_choice(
                args.output.color,
                std::io::stdout().is_terminal(),
            ),
            rules,
            suppressions,
        }
    }

    /// Prints the findings of `batch` that count. Output errors (a closed
    /// pipe) are ignored here: the scan goes on and the exit code still says
    /// whether keys were found.
    pub fn print(&self, batch: &[Finding]) {
        let kept = self.suppressions.apply(batch.to_vec()).kept;
        if kept.is_empty() {
            return;
        }
        let report = Report {
            findings: kept,
            ..Report::default()
        };
        let options = RenderOptions {
            redaction: self.redaction,
            rules: self.rules.rules(),
        };
        // Through the same redacting writer as every other output.
        let mut out = crate::untrusted::Redactor::with(
            termcolor::StandardStream::stdout(self.color),
            self.redaction,
        );
        let _ = report::write(self.format, &report, &options, &mut out)
            .and_then(|()| out.finish()?.flush());
    }
}
