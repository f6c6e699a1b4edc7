//! Line, column and inline-allow status of findings, in one pass.
//!
//! The cursor walks the input once, in order, region by region (a whole blob
//! is one region; a stream is the sequence of its windows' owned regions).
//! It carries the line number, the column reached on the current line and
//! whether an allow marker was seen on it, so nothing is ever rescanned: the
//! cost is linear in the input however many findings share a line, and a line
//! may be longer than any window. A finding's suppression depends on its
//! whole line, including bytes not read yet, so findings wait in `pending`
//! until the cursor passes the end of their line (or the input ends).

use crate::finding::{Hit, Suppression};

/// Markers that suppress a finding on their line. `gitleaks:allow` is honoured
/// so teams moving from gitleaks keep their annotations. Earlier markers win
/// when a line has both.
pub const ALLOW_MARKERS: [&[u8]; 2] = [b"vastleaks:allow", b"gitleaks:allow"];

/// The longest marker: a marker ending in a region may start this many bytes
/// minus one before it, so regions are searched from that far back.
pub const MARKER_REACH: usize = {
    let (a, b) = (ALLOW_MARKERS[0].len(), ALLOW_MARKERS[1].len());
    if a > b {
        a
    } else {
        b
    }
};

pub struct LineCursor {
    /// Absolute offset up to which the input has been walked.
    pos: u64,
    /// 1-based line at `pos`.
    line: usize,
    /// Characters between the start of the current line and `pos`.
    column: usize,
    /// Best (lowest-index) marker seen on the current line so far.
    marker: Option<usize>,
    /// Findings on the current line, waiting for its end.
    pending: Vec<Hit>,
}

impl Default for LineCursor {
    fn default() -> Self {
        LineCursor {
            pos: 0,
            line: 1,
            column: 0,
            marker: None,
            pending: Vec::new(),
        }
    }
}

impl LineCursor {
    /// Where the cursor is (the start of the next region).
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Walks the region from [`LineCursor::pos`] to `end`. `window` holds the
    /// bytes from absolute offset `start`, which must be at or before
    /// `pos - (MARKER_REACH - 1)` unless `pos` is 0, and reach at least `end`.
    /// `found` are the region's findings, with `location.offset` absolute and
    /// sorted; they get line and column here. Findings whose line ended are
    /// appended to `done`, with their suppression decided.
    pub fn advance(
        &mut self,
        window: &[u8],
        start: u64,
        end: u64,
        found: Vec<Hit>,
        done: &mut Vec<Hit>,
    ) {
        debug_assert!(start <= self.pos && end >= self.pos);
        let from = usize::try_from(self.pos - start).expect("window offsets fit in memory");
        let to = usize::try_from(end - start).expect("window offsets fit in memory");
        let bytes = &window[from..to];
        let markers = markers_ending_in(window, from, to);
        let mut markers = markers.into_iter().peekable();
        let mut found = found.into_iter().peekable();
        // `counted`: how far (relative to `bytes`) `self.column` counts.
        let mut counted = 0usize;
        let newlines = memchr::memchr_iter(b'\n', bytes).map(Some);
        for newline in newlines.chain(std::iter::once(None)) {
            let segment_end = newline.unwrap_or(bytes.len());
            // Markers whose last byte is on this segment (a marker holds no
            // newline, so it is on the line of its last byte).
            while let Some(&(last, index)) = markers.peek() {
                if last - from >= segment_end {
                    break;
                }
                self.marker = Some(self.marker.map_or(index, |m| m.min(index)));
                markers.next();
            }
            while let Some(finding) =
                found.next_if(|f| ((f.location.offset as u64 - self.pos) as usize) < segment_end)
            {
                let at = (finding.location.offset as u64 - self.pos) as usize;
                self.column += count_chars(&bytes[counted..at]);
                counted = at;
                let mut finding = finding;
                finding.location.line = self.line;
                finding.location.column = self.column + 1;
                self.pending.push(finding);
            }
            match newline {
                Some(at) => {
                    self.end_line(done);
                    self.line += 1;
                    self.column = 0;
                    counted = at + 1;
                }
                None => self.column += count_chars(&bytes[counted..]),
            }
        }
        self.pos = end;
    }

    /// The input ended: the current line is complete.
    pub fn finish(&mut self, done: &mut Vec<Hit>) {
        self.end_line(done);
    }

    fn end_line(&mut self, done: &mut Vec<Hit>) {
        let suppression = self.marker.take().map(|index| Suppression::Inline {
            marker: String::from_utf8_lossy(ALLOW_MARKERS[index]).into_owned(),
        });
        for mut finding in self.pending.drain(..) {
            finding.suppression = suppression.clone();
            done.push(finding);
        }
    }
}

/// Markers whose last byte lies in `window[from..to]`, as (position of the
/// last byte relative to `window`, marker index), sorted by position.
fn markers_ending_in(window: &[u8], from: usize, to: usize) -> Vec<(usize, usize)> {
    let search_from = from.saturating_sub(MARKER_REACH - 1);
    let haystack = &window[search_from..to];
    let mut found = Vec::new();
    for (index, marker) in ALLOW_MARKERS.iter().enumerate() {
        for at in memchr::memmem::find_iter(haystack, marker) {
            let last = search_from + at + marker.len() - 1;
            if last >= from {
                found.push((last, index));
            }
        }
    }
    found.sort_unstable();
    found
}

/// Characters, not bytes: UTF-8 continuation bytes do not count.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}
