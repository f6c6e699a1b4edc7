//! Errors in a rule file: by file and line, never echoing the file's text
//! (a rule file kept in the scanned repository is hostile input).

fn line_suffix(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}")
    }
}

/// A rule file could not be used. Names the file and line so the fix is obvious.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line_suffix(*.line))]
pub struct RuleError {
    pub file: String,
    /// 1-based; 0 when the error is about the whole file (cannot read it).
    pub line: usize,
    pub message: String,
}

/// A parser message with quoted values elided: the TOML parser quotes the
/// text it choked on, and a rule file from the scanned tree must be reported
/// by line, not echoed.
pub(crate) fn elide_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        match c {
            '"' if inside => {
                out.push_str("...\"");
                inside = false;
            }
            '"' => {
                out.push('"');
                inside = true;
            }
            _ if inside => {}
            c => out.push(c),
        }
    }
    crate::untrusted::escape_controls(&out).into_owned()
}

pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
