//! The audit's progress bar (also used by verification, which counts keys).

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar on standard error when asked for; hidden otherwise. On a terminal
/// indicatif draws it; with `--progress always` and no terminal (a CI log,
/// `2>&1 | tee`) it is drawn anyway through [`ForcedStderr`].
pub fn progress_bar(show: bool, total: u64) -> ProgressBar {
    progress_bar_of(show, total, "objects")
}

/// [`progress_bar`] counting `what` ("commits", "blobs").
pub fn progress_bar_of(show: bool, total: u64, what: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::term_like_with_hz(Box::new(ForcedStderr), 2)
    };
    let bar = ProgressBar::with_draw_target(Some(total), target);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{spinner}} {{human_pos}}/{{human_len}} {what} [{{bar:30}}] {{elapsed}}, about {{eta}} left"
    )) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Standard error as a terminal, for a bar the user asked for explicitly.
#[derive(Debug)]
struct ForcedStderr;

impl ForcedStderr {
    fn write(&self, text: &str) -> std::io::Result<()> {
        std::io::stderr().lock().write_all(text.as_bytes())
    }
}

impl indicatif::TermLike for ForcedStderr {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.write(&format!("\x1b[{n}A"))
    }
    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.write(&format!("\x1b[{n}B"))
    }
    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.write(&format!("\x1b[{n}C"))
    }
    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.write(&format!("\x1b[{n}D"))
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.write(&format!("{s}\n"))
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.write(s)
    }
    fn clear_line(&self) -> std::io::Result<()> {
        self.write("\r\x1b[2K")
    }
    fn flush(&self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
