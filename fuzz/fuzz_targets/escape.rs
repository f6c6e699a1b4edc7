//! The output escapers over arbitrary text.
//!
//! - `report::github::escape_data` (workflow-command message): no CR or LF,
//!   and decoding the runner's escapes gives the input back.
//! - `report::github::escape_property` (`file=`, `title=`): also no `:` or
//!   `,` (they delimit properties), and reversible.
//! - `report::markdown::text` (a table cell): no control character, no
//!   Markdown or HTML metacharacter left unescaped.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks::report::github::{escape_data, escape_property};
use vastleaks::report::markdown;

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

    let escaped = escape_data(&input);
    assert!(!escaped.contains(['\r', '\n']), "{escaped:?}");
    assert_eq!(unescape(&escaped), input);

    let property = escape_property(&input);
    assert!(!property.contains(['\r', '\n', ':', ',']), "{property:?}");
    assert_eq!(unescape(&property), input);

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
