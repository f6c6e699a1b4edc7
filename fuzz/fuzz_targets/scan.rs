//! `Scanner::scan_bytes` over arbitrary bytes. Every finding holds a 64-hex
//! key whose fingerprint and redaction are consistent, and a location that
//! points at the key: offset in bounds, line = 1 + newlines before it,
//! column counted in characters, inline markers only from the key's line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks::finding::Suppression;
use vastleaks::key::Fingerprint;
use vastleaks::scan::Blob;
use vastleaks_fuzz::{is_key, scanner, KEY_FILE_PATH};

fuzz_target!(|data: &[u8]| {
    for path in [None, Some("x.env"), Some(KEY_FILE_PATH)] {
        let findings = scanner().scan_bytes(&Blob {
            path,
            bytes: data,
        });
        for f in &findings {
            let key = f.secret.expose();
            assert!(is_key(key.as_bytes()), "{f:?}");
            assert_eq!(f.fingerprint, Fingerprint::of(key));
            assert_eq!(f.fingerprint.as_str().len(), Fingerprint::LEN);
            let redacted = f.secret.redacted();
            assert!(
                !redacted.contains(key) && redacted.len() == 11,
                "{redacted}"
            );

            let loc = &f.location;
            let end = loc.offset.checked_add(loc.length).expect("overflow");
            assert!(end <= data.len(), "{f:?}");
            assert!(loc.length == 64 || loc.length == 88, "{f:?}");
            if loc.length == 64 {
                assert_eq!(&data[loc.offset..end], key.as_bytes());
            }
            let before = &data[..loc.offset];
            let newlines = before.iter().filter(|&&b| b == b'\n').count();
            assert_eq!(loc.line, newlines + 1, "{f:?}");
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let chars = data[line_start..loc.offset]
                .iter()
                .filter(|&&b| b & 0xC0 != 0x80)
                .count();
            assert_eq!(loc.column, chars + 1, "{f:?}");
            assert_eq!(loc.binary, data[..data.len().min(8000)].contains(&0));

            let line_end = data[loc.offset..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(data.len(), |i| loc.offset + i);
            let line = &data[line_start..line_end];
            let marked = [&b"vastleaks:allow"[..], b"gitleaks:allow"]
                .iter()
                .any(|m| line.windows(m.len()).any(|w| w == *m));
            assert_eq!(
                matches!(f.suppression, Some(Suppression::Inline { .. })),
                marked,
                "{f:?}"
            );
        }
    }
});
