//! Writing a report where the command line says: the chosen format to
//! standard output or `-o FILE` (atomically), diagnostics and the summary to
//! standard error, every byte through the redacting writer
//! ([`crate::untrusted::Redactor`]). `scan`, `revoke` and `ci github` all
//! write through here.

mod diagnostics;
pub mod live;

use std::io::{IsTerminal, Write};

use anyhow::Context;
use termcolor::{ColorChoice, NoColor, StandardStream, WriteColor};

pub use diagnostics::{found_a_key_link, write_diagnostics, write_problems};

use crate::cli::{ColorWhen, OutputArgs};
use crate::outcome::{self, Exit, Policy};
use crate::pipeline::ScanMode;
use crate::report::{self, Format, RenderOptions, Report};
use crate::report_file::ReportFile;
use crate::rules::RuleSet;
use crate::untrusted::Redactor;

/// Writes the report where `--output` says and the summary to stderr.
pub fn emit(report: &Report, rules: &RuleSet, output: &OutputArgs) -> anyhow::Result<()> {
    let options = RenderOptions {
        redaction: output.redaction(),
        rules: rules.rules(),
    };
    match output.output.as_deref().filter(|p| p.as_os_str() != "-") {
        Some(path) => {
            let file = ReportFile::create(path)
                .with_context(|| format!("-o {}: cannot create the report file; check the directory exists and is writable", path.display()))?;
            let mut out = redacting(NoColor::new(file), output);
            report::write(output.format, report, &options, &mut out)
                .and_then(|()| out.finish()?.into_inner().commit())
                .with_context(|| format!("-o {}: cannot write the report", path.display()))?;
        }
        None => {
            let stdout =
                StandardStream::stdout(color_choice(output.color, std::io::stdout().is_terminal()));
            let mut out = redacting(stdout, output);
            write_ignoring_broken_pipe(
                report::write(output.format, report, &options, &mut out)
                    .and_then(|()| out.finish()?.flush()),
            )?;
        }
    }
    let stderr =
        StandardStream::stderr(color_choice(output.color, std::io::stderr().is_terminal()));
    let mut err = redacting(stderr, output);
    let written = if output.quiet {
        // Quiet keeps errors: an input that could not be read is a hole in the scan.
        write_problems(report, true, &mut err)
    } else {
        write_diagnostics(report, output.format == Format::Human, &mut err).and_then(|()| {
            if report.summary.mode == ScanMode::Staged && !report.findings.is_empty() {
                diagnostics::write_commit_blocked(report, output.hook_id.as_deref(), &mut err)
            } else {
                Ok(())
            }
        })
    };
    write_ignoring_broken_pipe(written.and_then(|()| out_finish(err)))?;
    Ok(())
}

/// Output as written: every key-shaped run redacted as `--redact` says
/// (see [`crate::untrusted::Redactor`]). With `--show-secrets` the redactor
/// passes everything through unchanged.
pub fn redacting<W: Write>(inner: W, output: &OutputArgs) -> Redactor<W> {
    Redactor::with(inner, output.redaction())
}

fn out_finish<W: WriteColor>(out: Redactor<W>) -> std::io::Result<()> {
    out.finish()?.flush()
}

/// `vastleaks scan | head` must not fail with an error.
fn write_ignoring_broken_pipe(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write output"),
    }
}

pub fn color_choice(when: ColorWhen, is_terminal: bool) -> ColorChoice {
    match when {
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
        ColorWhen::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            if is_terminal && !no_color {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            }
        }
    }
}

/// The exit code under the one policy ([`crate::outcome`]), saying why on
/// stderr when the scan was incomplete.
pub fn exit_code(report: &Report, policy: Policy) -> Exit {
    let exit = outcome::decide(report, policy);
    if exit == Exit::Error {
        if let Some(why) = outcome::incompleteness(report) {
            let fix = if report.summary.mode == ScanMode::Staged {
                "fix it (e.g. `git add` the files again) before committing"
            } else {
                "fix the inputs, or pass --allow-incomplete to accept a partial scan"
            };
            eprintln!("vastleaks: error: scan incomplete: {why}; {fix}");
        }
    }
    exit
}
