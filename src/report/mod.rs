//! Reports: the end of the pipeline. Every format renders the same [`Report`]
//! (made by [`crate::pipeline`]).
//!
//! Keys are redacted as `--redact` says (partially by default, not at all
//! with `--show-secrets`); the choice is made once, carried by
//! [`RenderOptions::redaction`] to [`crate::key::Secret::display`].

use std::io::{self};

use termcolor::WriteColor;

use crate::rules::Rule;

pub mod github;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sarif;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Grouped by file, coloured on a terminal.
    Human,
    /// One JSON document (also the baseline format).
    Json,
    /// One JSON object per finding, per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions `::error file=...,line=...::` annotations.
    Github,
    /// A Markdown summary table (GitHub job summary, merge-request notes).
    Markdown,
}

pub use crate::pipeline::{Report, ScanMode, Summary};

impl Summary {
    /// "12 files", "1 staged blob", "3 objects": what was scanned, pluralised.
    pub fn scanned_phrase(&self) -> String {
        let unit = match self.mode {
            ScanMode::Files => "file",
            ScanMode::Stdin => "input",
            ScanMode::Staged => "staged blob",
            ScanMode::Git | ScanMode::Range => "object",
        };
        plural(self.scanned, unit)
    }

    /// ", 2 suppressed, 1 skipped, 1 error": the non-zero side counts.
    pub fn side_counts(&self) -> String {
        let mut out = String::new();
        for (count, what) in [(self.suppressed, "suppressed"), (self.skipped, "skipped")] {
            if count > 0 {
                out.push_str(&format!(", {} {what}", thousands(count)));
            }
        }
        if self.errors > 0 {
            out.push_str(&format!(", {}", plural(self.errors, "error")));
        }
        out
    }
}

/// Counts are written by [`crate::wording`]; re-exported because every
/// format writes them.
pub use crate::wording::{plural, thousands};

/// Options shared by every format.
pub struct RenderOptions<'a> {
    /// How much of each key to show.
    pub redaction: crate::untrusted::Redaction,
    /// All rules in effect (SARIF lists them).
    pub rules: &'a [Rule],
}

/// Writes `report` in `format`. Only human output uses colour.
pub fn write(
    format: Format,
    report: &Report,
    options: &RenderOptions<'_>,
    out: &mut dyn WriteColor,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, options, out),
        Format::Json => json::write_document(report, options, out),
        Format::Jsonl => json::write_lines(report, options, out),
        Format::Sarif => sarif::write(report, options, out),
        Format::Github => github::write(report, options, out),
        Format::Markdown => markdown::write(report, options, out),
    }
}

/// Human-readable byte count.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
