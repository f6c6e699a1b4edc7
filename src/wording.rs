//! How counts and object ids are written in messages and reports: one way,
//! so that `1 finding`, `251,658 objects` and a 12-character commit id read
//! the same in every format and on stderr.
//!
//! Bottom layer: sources, verification and reports all write counts, so this
//! cannot live with the reports (a source importing `report` ran upward).

/// `3 findings`, `1 finding`, `251,658 objects`: a count and a regular noun.
pub fn plural(count: u64, noun: &str) -> String {
    plural_of(count, noun, &format!("{noun}s"))
}

/// [`plural`] for a noun whose plural is not `+s`: `1 index entry`,
/// `2 index entries`.
pub fn plural_of(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", thousands(count))
    }
}

/// `251658` as `251,658`.
pub fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// How many characters of an object id messages show.
pub const SHORT_ID_LEN: usize = 12;

/// The first [`SHORT_ID_LEN`] characters of an id, for messages. Never panics,
/// whatever the string holds (ids can come from an event file or a ref).
pub fn short(id: &str) -> &str {
    match id.char_indices().nth(SHORT_ID_LEN) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_the_same_everywhere() {
        assert_eq!(plural(1, "error"), "1 error");
        assert_eq!(plural(0, "error"), "0 errors");
        assert_eq!(plural(251_658, "object"), "251,658 objects");
        assert_eq!(plural_of(1, "entry", "entries"), "1 entry");
        assert_eq!(plural_of(3, "entry", "entries"), "3 entries");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }

    #[test]
    fn short_never_panics() {
        assert_eq!(short("0123456789abcdef"), "0123456789ab");
        assert_eq!(short("ééééééééééééé"), "éééééééééééé");
        assert_eq!(short("ab"), "ab");
    }
}
