//! UTF-16 text: PowerShell's `>` and `Out-File`, regedit exports and many
//! Windows tools write it, and a key in it is as leaked as one in UTF-8. The
//! rules run on bytes, where "VAST_API_KEY" in UTF-16 is
//! `V\0A\0S\0T\0...` and matches nothing, so such a file used to look clean.
//!
//! Cost is kept off the common path: only a blob that starts with a UTF-16
//! byte-order mark or has a NUL byte in its first 8000 bytes (as git's binary
//! test) is searched for the UTF-16 spellings of the keyword, and only a blob
//! where that search hits is decoded. Text files without NULs pay for one
//! `memchr` over at most 8000 bytes. Not covered: UTF-16 without a BOM whose
//! first 8000 bytes hold no ASCII character (no NUL byte to notice).
//!
//! Positions in a decoded file: `line` and `column` count lines and
//! characters of the decoded text (what an editor shows); `offset` is the
//! byte offset of the key's first code unit in the original file and
//! `length` the key's length there in bytes (2 per character); the finding's
//! `encoding` names the decoding (`utf-16le` or `utf-16be`).

use std::cell::Cell;
use std::sync::OnceLock;

use super::{Blob, Scanner};
use crate::finding::Hit;
use crate::matcher::prefilter::Prefilter;

/// How many leading bytes decide whether a blob may be UTF-16.
const SNIFF: usize = 8000;

/// Byte order of UTF-16 code units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utf16 {
    Le,
    Be,
}

impl Utf16 {
    /// The name reports show (`Location::encoding`).
    pub fn name(self) -> &'static str {
        match self {
            Utf16::Le => "utf-16le",
            Utf16::Be => "utf-16be",
        }
    }

    fn unit(self, pair: &[u8]) -> u16 {
        match self {
            Utf16::Le => u16::from_le_bytes([pair[0], pair[1]]),
            Utf16::Be => u16::from_be_bytes([pair[0], pair[1]]),
        }
    }
}

thread_local! {
    /// Set while this thread scans on behalf of [`scan_utf16`], so the
    /// scanner's hook does not decode again (decoded text can itself look
    /// like UTF-16 to a hostile file: UTF-32 would decode twice).
    static DECODING: Cell<bool> = const { Cell::new(false) };
}

/// Hits for `blob` when it holds UTF-16 text with the keyword: those of
/// the bytes as they are plus those of each decoding, by offset. `None` when
/// the blob is not UTF-16 (the caller scans it as usual).
pub fn scan_utf16(scanner: &Scanner, blob: &Blob<'_>) -> Option<Vec<Hit>> {
    if DECODING.with(Cell::get) || !may_be_utf16(blob.bytes) {
        return None;
    }
    let encodings = encodings_with_keyword(blob.bytes);
    if encodings.is_empty() {
        return None;
    }
    DECODING.with(|d| d.set(true));
    let _reset = Reset;
    let mut findings = scanner.scan_bytes(blob);
    for encoding in encodings {
        let decoded = decode(blob.bytes, encoding);
        let inner = Blob {
            path: blob.path,
            bytes: &decoded.text,
        };
        let mut found = scanner.scan_bytes(&inner);
        let mut offsets = decoded.offsets(blob.bytes);
        for finding in &mut found {
            let location = &mut finding.location;
            let start = offsets.original(location.offset);
            let end = offsets.original(location.offset + location.length);
            location.offset = start;
            location.length = end - start;
            location.encoding = Some(encoding.name());
        }
        findings.extend(found);
    }
    findings.sort_by_key(|f| f.location.offset);
    Some(findings)
}

/// Clears [`DECODING`] however the scan ends.
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        DECODING.with(|d| d.set(false));
    }
}

/// A byte-order mark, or a NUL byte early on (ASCII text in UTF-16 is half
/// NULs). Cheap: at most [`SNIFF`] bytes are looked at.
fn may_be_utf16(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || memchr::memchr(0, &bytes[..bytes.len().min(SNIFF)]).is_some()
}

/// The decodings in which the keyword appears. `v\0a\0s\0t` is the keyword
/// in little-endian units at its own offset and in big-endian units one byte
/// earlier, so a hit at an even offset is UTF-16LE text aligned on even
/// offsets, and a hit at an odd offset UTF-16BE text aligned the same way
/// (both as a file written from its first byte would be). For ASCII text the
/// two readings agree, so only the reported name can be a guess.
fn encodings_with_keyword(bytes: &[u8]) -> Vec<Utf16> {
    let mut le = false;
    let mut be = false;
    keyword().for_each_hit(bytes, |hit| {
        if hit % 2 == 0 {
            le = true;
        } else {
            be = true;
        }
    });
    [(le, Utf16::Le), (be, Utf16::Be)]
        .into_iter()
        .filter_map(|(found, encoding)| found.then_some(encoding))
        .collect()
}

/// The keyword's UTF-16 spellings in any ASCII case (the trailing NUL of the
/// last unit is left out so both byte orders match).
fn keyword() -> &'static Prefilter {
    static KEYWORD: OnceLock<Prefilter> = OnceLock::new();
    KEYWORD.get_or_init(|| {
        let mut spelled: Vec<u8> = crate::rules::reach::KEYWORD
            .bytes()
            .flat_map(|b| [b, 0])
            .collect();
        spelled.pop();
        Prefilter::new(&[&spelled]).expect("a literal keyword always builds")
    })
}

/// A UTF-16 blob decoded to UTF-8.
pub struct Decoded {
    pub encoding: Utf16,
    /// UTF-8; unpaired surrogates become U+FFFD, a leading BOM is dropped.
    pub text: Vec<u8>,
    /// Offset in the original of the first decoded unit (2 after a BOM).
    start: usize,
}

/// Decodes `bytes` as UTF-16 code units starting at offset 0 (a trailing odd
/// byte is ignored).
pub fn decode(bytes: &[u8], encoding: Utf16) -> Decoded {
    let units = bytes.chunks_exact(2).map(|pair| encoding.unit(pair));
    let bom = bytes.len() >= 2 && encoding.unit(&bytes[..2]) == 0xFEFF;
    let mut text = Vec::with_capacity(bytes.len() / 2);
    let mut utf8 = [0u8; 4];
    for ch in char::decode_utf16(units.skip(usize::from(bom))) {
        let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
        text.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
    }
    Decoded {
        encoding,
        text,
        start: if bom { 2 } else { 0 },
    }
}

impl Decoded {
    /// Maps offsets of the decoded text back to the original bytes; offsets
    /// must be asked in increasing order (findings come sorted).
    pub fn offsets<'a>(&'a self, original: &'a [u8]) -> OffsetMap<'a> {
        OffsetMap {
            units: original[self.start..].chunks_exact(2),
            encoding: self.encoding,
            decoded: 0,
            original: self.start,
            pending: None,
        }
    }
}

/// Walks the original and the decoded text in step.
pub struct OffsetMap<'a> {
    units: std::slice::ChunksExact<'a, u8>,
    encoding: Utf16,
    /// Decoded bytes before the next character.
    decoded: usize,
    /// Original bytes before the next character.
    original: usize,
    /// A unit read ahead that was not the low half of a surrogate pair.
    pending: Option<u16>,
}

impl OffsetMap<'_> {
    /// The original offset of the character that starts at decoded offset
    /// `target` (or of the end, past the last character).
    pub fn original(&mut self, target: usize) -> usize {
        while self.decoded < target {
            let Some(unit) = self.pending.take().or_else(|| self.next_unit()) else {
                break;
            };
            let (ch, units) = if (0xD800..0xDC00).contains(&unit) {
                match self.next_unit() {
                    Some(low) if (0xDC00..0xE000).contains(&low) => ('\u{10000}', 2),
                    other => {
                        self.pending = other;
                        (char::REPLACEMENT_CHARACTER, 1)
                    }
                }
            } else {
                (
                    char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
                    1,
                )
            };
            self.decoded += ch.len_utf8();
            self.original += 2 * units;
        }
        self.original
    }

    fn next_unit(&mut self) -> Option<u16> {
        self.units.next().map(|pair| self.encoding.unit(pair))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, encoding: Utf16, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
        for unit in units {
            out.extend_from_slice(&match encoding {
                Utf16::Le => unit.to_le_bytes(),
                Utf16::Be => unit.to_be_bytes(),
            });
        }
        out
    }

    #[test]
    fn decodes_both_byte_orders_with_and_without_bom() {
        let text = "é ✓ 𝄞 VAST_API_KEY=x\r\n";
        for encoding in [Utf16::Le, Utf16::Be] {
            for bom in [false, true] {
                let decoded = decode(&utf16(text, encoding, bom), encoding);
                assert_eq!(decoded.text, text.as_bytes(), "{encoding:?} bom={bom}");
            }
        }
    }

    #[test]
    fn offsets_map_back_to_code_units() {
        let text = "é𝄞 VAST";
        for bom in [false, true] {
            let bytes = utf16(text, Utf16::Le, bom);
            let decoded = decode(&bytes, Utf16::Le);
            let mut map = decoded.offsets(&bytes);
            let base = if bom { 2 } else { 0 };
            // "é" is 2 UTF-8 bytes, 1 unit; "𝄞" 4 bytes, 2 units (a pair).
            assert_eq!(map.original(2), base + 2);
            assert_eq!(map.original(6), base + 6);
            assert_eq!(map.original(7), base + 8);
            assert_eq!(map.original(11), base + 16);
        }
    }

    #[test]
    fn lone_surrogates_become_replacement_characters_in_step() {
        // A high surrogate followed by 'A', then 'B'.
        let bytes = [0x00, 0xD8, b'A', 0, b'B', 0];
        let decoded = decode(&bytes, Utf16::Le);
        assert_eq!(decoded.text, "\u{FFFD}AB".as_bytes());
        let mut map = decoded.offsets(&bytes);
        assert_eq!(map.original(3), 2);
        assert_eq!(map.original(4), 4);
    }

    #[test]
    fn only_blobs_with_a_bom_or_early_nul_are_searched() {
        assert!(!may_be_utf16(b"VAST_API_KEY=1\n"));
        assert!(may_be_utf16(&[0xFF, 0xFE]));
        assert!(may_be_utf16(&utf16("x", Utf16::Be, false)));
        let mut late = vec![b'a'; SNIFF];
        late.push(0);
        assert!(!may_be_utf16(&late));
    }

    #[test]
    fn keyword_parity_picks_the_byte_order() {
        assert_eq!(
            encodings_with_keyword(&utf16("x Vast", Utf16::Le, true)),
            [Utf16::Le]
        );
        assert_eq!(
            encodings_with_keyword(&utf16("x vAST", Utf16::Be, false)),
            [Utf16::Be]
        );
        assert!(encodings_with_keyword(&utf16("nothing here", Utf16::Le, true)).is_empty());
        assert!(encodings_with_keyword(b"vast in ASCII").is_empty());
    }
}

#[cfg(test)]
mod scan_tests {
    use super::*;
    use crate::matcher::Matcher;
    use crate::rules::RuleSet;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    fn encode(text: &str, encoding: Utf16, bom: bool) -> Vec<u8> {
        let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
        units
            .flat_map(|unit| match encoding {
                Utf16::Le => unit.to_le_bytes(),
                Utf16::Be => unit.to_be_bytes(),
            })
            .collect()
    }

    fn scan(bytes: &[u8]) -> Vec<Hit> {
        let scanner = Scanner::new(Matcher::new(&RuleSet::builtin()).unwrap());
        scanner.scan_bytes(&Blob {
            path: Some("env.ps1"),
            bytes,
        })
    }

    #[test]
    fn keys_in_utf16_files_are_found_and_located() {
        let text = format!("# é setup\r\n$env:VAST_API_KEY = \"{KEY}\"\r\n");
        for encoding in [Utf16::Le, Utf16::Be] {
            for bom in [true, false] {
                let bytes = encode(&text, encoding, bom);
                let found = scan(&bytes);
                assert_eq!(found.len(), 1, "{encoding:?} bom={bom}");
                let location = &found[0].location;
                assert_eq!(found[0].secret.expose(), KEY);
                assert_eq!(location.encoding, Some(encoding.name()));
                assert_eq!((location.line, location.column), (2, 22));
                // Offsets are in the original bytes: 2 per character.
                let at = usize::from(bom) * 2
                    + 2 * text.encode_utf16().take_while(|_| true).count()
                    - 2 * (KEY.len() + 3);
                assert_eq!(location.offset, at);
                assert_eq!(location.length, 128);
                assert!(!location.binary);
            }
        }
    }

    #[test]
    fn ascii_and_utf16_keys_in_one_blob_are_both_found() {
        let other = "0b96135e9524064d0e67f499198f921cfa0ed9ba2727856331050ce20ce0ca39";
        // 80 bytes, so the UTF-16 part starts on an even offset as a file would.
        let mut bytes = format!("VAST_API_KEY={other}\n\0\0").into_bytes();
        bytes.extend(encode(&format!("VAST_API_KEY={KEY}\n"), Utf16::Le, false));
        let found = scan(&bytes);
        let keys: Vec<&str> = found.iter().map(|f| f.secret.expose()).collect();
        assert_eq!(keys, [other, KEY]);
        assert_eq!(found[0].location.encoding, None);
        assert_eq!(found[1].location.encoding, Some("utf-16le"));
    }

    #[test]
    fn decoding_happens_once() {
        // UTF-32LE: decoding it as UTF-16 yields UTF-16 again. Decoding must
        // not recurse (a hostile file could nest it many times).
        let text = format!("VAST_API_KEY={KEY}\n");
        let utf32: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert!(scan(&utf32).is_empty());
        assert!(!DECODING.with(Cell::get));
    }
}
