//! `Matcher::find` over arbitrary bytes, with and without a key-file path.
//! Besides "no panic": every match is in bounds, sorted, one per offset, and
//! is a whole 64-hex key (not part of a longer word) that is no placeholder,
//! or base64 that decodes to one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks::key::is_placeholder;
use vastleaks_fuzz::{is_key, is_word_byte, scanner, KEY_FILE_PATH};

fuzz_target!(|data: &[u8]| {
    let matcher = scanner().matcher();
    for path in [None, Some(KEY_FILE_PATH)] {
        let found = matcher.find(data, path);
        let mut previous: Option<usize> = None;
        for m in &found {
            assert!(m.rule < matcher.rules().len());
            assert!(m.key.start < m.key.end && m.key.end <= data.len(), "{m:?}");
            assert!(
                previous.is_none_or(|p| p < m.key.start),
                "unsorted: {found:?}"
            );
            previous = Some(m.key.start);
            let raw = &data[m.key.clone()];
            let key = match &m.decoded {
                None => raw,
                Some(decoded) => {
                    assert!(matcher.rules()[m.rule].base64, "{m:?}");
                    assert_eq!(raw.len(), 88, "{m:?}");
                    decoded.as_bytes()
                }
            };
            assert!(is_key(key), "not a key: {m:?}");
            assert!(!is_placeholder(key), "placeholder reported: {m:?}");
            // Not part of a longer word (a longer hex run, a SHA-512).
            assert!(
                m.key.start == 0 || !is_word_byte(data[m.key.start - 1]),
                "{m:?}"
            );
            assert!(
                m.key.end == data.len() || !is_word_byte(data[m.key.end]),
                "{m:?}"
            );
        }
    }
});
