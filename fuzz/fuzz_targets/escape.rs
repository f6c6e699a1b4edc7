//! The output escapers over arbitrary text.
//!
//! - `report::github::escape_data` (workflow-command message): no CR, LF or
//!   other unsafe character (control, bidi override: shown as `\x1b` and the
//!   like), and decoding the runner's escapes gives the input back when it
//!   had no unsafe character but CR and LF.
//! - `report::github::escape_property` (`file=`, `title=`): also no `:` or
//!   `,` (they delimit properties), and reversible likewise.
//! - `report::markdown::text` (a table cell): no control character, no
//!   Markdown or HTML metacharacter left unescaped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks::report::github::{escape_data, escape_property};
use vastleaks::report::markdown;
use vastleaks::untrusted::is_unsafe_char;

/// Undoes the runner's percent escapes (actions/toolkit `command.ts`).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let code = rest.get(i..i + 3).unwrap_or("");
        let decoded = match code {
            "%25" => '%',
            "%0D" => '\r',
            "%0A" => '\n',
            "%3A" => ':',
            "%2C" => ',',
            _ => panic!("stray % in {text:?}"),
        };
        out.push(decoded);
        rest = &rest[i + 3..];
    }
    out.push_str(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);

    // Control characters are made visible, not passed on: only text without
    // them (CR and LF aside, which the runner decodes) comes back unchanged.
    let plain = !input
        .chars()
        .any(|c| c != '\r' && c != '\n' && is_unsafe_char(c));

    let escaped = escape_data(&input);
    assert!(!escaped.chars().any(is_unsafe_char), "{escaped:?}");
    if plain {
        assert_eq!(unescape(&escaped), input);
    }

    let property = escape_property(&input);
    assert!(!property.chars().any(is_unsafe_char), "{property:?}");
    assert!(!property.contains([':', ',']), "{property:?}");
    if plain {
        assert_eq!(unescape(&property), input);
    }

    let cell = markdown::text(&input);
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        assert!(!c.is_control(), "control {c:?} in {cell:?}");
        match c {
            '\\' => {
                let next = chars.next();
                assert!(
                    matches!(
                        next,
                        Some('\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' | '$')
                    ),
                    "lone backslash in {cell:?}"
                );
            }
            '&' => {
                let at = cell.len() - chars.as_str().len() - 1;
                assert!(
                    ["&amp;", "&lt;", "&gt;"]
                        .iter()
                        .any(|e| cell[at..].starts_with(e)),
                    "bare & in {cell:?}"
                );
            }
            '<' | '>' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' | '$' => {
                panic!("unescaped {c:?} in {cell:?}")
            }
            _ => {}
        }
    }
});
