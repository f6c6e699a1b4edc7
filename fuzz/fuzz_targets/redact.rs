//! `finding::redact_key_shapes` over arbitrary text: no run of exactly 64
//! lowercase hex digits survives (runs that are part of a longer hex run are
//! not keys and stay), nothing else changes, and redacting twice is a no-op.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks::finding::redact_key_shapes;
use vastleaks_fuzz::{is_lower_hex, key_shapes};

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let output = redact_key_shapes(&input);
    assert!(key_shapes(output.as_bytes()).is_empty(), "{output:?}");
    assert_eq!(redact_key_shapes(&output), output, "not idempotent");

    // Rebuild the expected output run by run: exactly-64 runs become
    // `abcd...wxyz`, every other byte is copied.
    let bytes = input.as_bytes();
    let mut expected = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && is_lower_hex(bytes[i]) {
            i += 1;
        }
        if i - start == 64 {
            expected.extend_from_slice(&bytes[start..start + 4]);
            expected.extend_from_slice(b"...");
            expected.extend_from_slice(&bytes[i - 4..i]);
        } else if i == start {
            expected.push(bytes[i]);
            i += 1;
        } else {
            expected.extend_from_slice(&bytes[start..i]);
        }
    }
    assert_eq!(output.as_bytes(), expected.as_slice());
});
