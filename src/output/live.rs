//! `vastleaks scan -` prints findings as they come, so a log piped through
//! it for days shows each key at once.

use std::io::{IsTerminal, Write};

use crate::cli::{OutputArgs, ScanArgs};
use crate::finding::Finding;
use crate::report::{self, Format, RenderOptions, Report};
use crate::rules::RuleSet;

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
/// requested line-oriented format. The pipeline hands over only findings
/// that count (after the ignore file and baseline), as in the final report.
pub struct LivePrinter<'a> {
    format: Format,
    redaction: crate::untrusted::Redaction,
    color: termcolor::ColorChoice,
    rules: &'a RuleSet,
}

impl<'a> LivePrinter<'a> {
    pub fn new(output: &OutputArgs, rules: &'a RuleSet) -> Self {
        LivePrinter {
            format: output.format,
            redaction: output.redaction(),
            color: super::color_choice(output.color, std::io::stdout().is_terminal()),
            rules,
        }
    }

    /// Prints `batch`. Output errors (a closed pipe) are ignored here: the
    /// scan goes on and the exit code still says whether keys were found.
    pub fn print(&self, batch: &[Finding]) {
        let report = Report {
            findings: batch.to_vec(),
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
