//! `finding::redact_key_shapes` over arbitrary text: no run of exactly 64
//! lowercase hex digits survives (runs that are part of a longer hex run are
//! not keys and stay, and so does a digest written as one, `sha256:<hex>`),
//! nothing else changes, and redacting twice is a no-op.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks::finding::redact_key_shapes;
use vastleaks_fuzz::{is_lower_hex, key_shapes};

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let output = redact_key_shapes(&input);
    let out = output.as_bytes();
    for shape in key_shapes(out) {
        let at = shape.as_ptr() as usize - out.as_ptr() as usize;
        assert!(out[..at].ends_with(b"sha256:"), "{output:?}");
    }
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
        if i - start == 64 && !bytes[..start].ends_with(b"sha256:") {
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
