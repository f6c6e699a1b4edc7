//! What a Vast API key is, in one place: its shape, how text becomes one,
//! its fingerprint, the forms it may be shown in, and which key-shaped values
//! are placeholders rather than keys.
//!
//! The shape is the fact everything else is built on (README, "What counts
//! as a Vast key": the docs never state a format, and every key seen in
//! public code is exactly 64 lowercase hex digits, no prefix). Keys are
//! case-sensitive, so an uppercase run is not a key: every module that needs
//! to ask "is this a key?" asks here, so that no check is looser than
//! another.
//!
//! The bottom layer: imports nothing from the crate.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Length of a Vast API key: 64 lowercase hex digits.
pub const KEY_LEN: usize = 64;

/// The key shape as a regex fragment (no anchors, no group): what rule
/// patterns expand `{KEY}` around.
pub const KEY_REGEX: &str = "[0-9a-f]{64}";

/// What a key looks like when nothing of it may be shown (`--redact full`).
pub const FULLY_REDACTED: &str = "[redacted]";

/// Length of the partial form `abcd...wxyz` ([`partial`]).
pub const PARTIAL_LEN: usize = 11;

/// A digit a key may hold: `0-9` or `a-f` (never uppercase).
pub fn is_key_digit(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// True when `bytes` is exactly a key: 64 lowercase hex digits.
pub fn is_key_shape(bytes: &[u8]) -> bool {
    bytes.len() == KEY_LEN && bytes.iter().all(|&b| is_key_digit(b))
}

/// The partial form of a key-shaped string: first 4 and last 4 characters,
/// enough to recognise a key you own and useless to an attacker. Shorter
/// strings (never a key) are starred out entirely.
pub fn partial(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}...{tail}")
}

/// Decodes base64 that should hold a key (a Kubernetes Secret's `data:`
/// field); `None` unless it decodes to exactly a key (most 88-character
/// base64 runs are something else).
pub fn decode_base64(encoded: &[u8]) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    is_key_shape(&bytes).then(|| String::from_utf8_lossy(&bytes).into_owned())
}

/// How much of a key output may show: one decision, made from the command
/// line (`--redact`, `--show-secrets`) and carried by every renderer and by
/// the output redactor (`crate::untrusted::Redactor`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Redaction {
    /// First 4 and last 4 characters (`3839...b7ad`): enough to recognise a
    /// key you own, useless to an attacker.
    #[default]
    Partial,
    /// No key characters at all (`[redacted]`), for logs shared
    /// outside the team; the fingerprint still identifies the key.
    Full,
    /// The whole key (`--show-secrets`; not a `--redact` value).
    #[value(skip)]
    None,
}

impl Redaction {
    /// A key-shaped run (64 hex digits) as this level shows it.
    pub fn apply(self, key: &str) -> String {
        match self {
            Redaction::Partial => partial(key),
            Redaction::Full => FULLY_REDACTED.to_string(),
            Redaction::None => key.to_string(),
        }
    }
}

/// Text that is not a key. Says what a key looks like, never echoes the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Vast API key (64 lowercase hex digits)")]
pub struct NotAKey;

/// A leaked key. Deliberately has no `Display` and no `Serialize`: printing or
/// serialising the full key must be an explicit `expose()` call, made only
/// when the user asked for `--show-secrets` or when talking to the Vast API.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret(String);

impl Secret {
    /// Wraps text already known to be a key (a rule's `{KEY}` group matched
    /// it). Text from a user goes through [`Secret::parse`].
    pub fn new(key: impl Into<String>) -> Secret {
        Secret(key.into())
    }

    /// Text that must be a key (a line of `revoke --stdin`, an API answer).
    pub fn parse(text: &str) -> Result<Secret, NotAKey> {
        if is_key_shape(text.as_bytes()) {
            Ok(Secret(text.to_string()))
        } else {
            Err(NotAKey)
        }
    }

    /// The full key.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// First 4 and last 4 characters ([`partial`]).
    pub fn redacted(&self) -> String {
        partial(&self.0)
    }

    /// What reports print, at the level the user chose (`--redact`,
    /// `--show-secrets`).
    pub fn display(&self, redaction: Redaction) -> String {
        redaction.apply(&self.0)
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

/// Content-keyed identity of a key: the first 16 hex digits of
/// SHA-256("vastleaks:v1:" + key). It depends on the key alone, so it survives
/// rebases, squashes, renames and moved lines, and it is what ignore files,
/// baselines and SARIF `partialFingerprints` use. 64 bits cannot be reversed
/// into the key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Fingerprint(String);

impl Fingerprint {
    const DOMAIN: &'static str = "vastleaks:v1:";
    pub const LEN: usize = 16;

    pub fn of(key: &str) -> Fingerprint {
        let digest = Sha256::new()
            .chain_update(Self::DOMAIN)
            .chain_update(key)
            .finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Fingerprint(hex[..Self::LEN].to_string())
    }

    /// Parses a fingerprint written by a user (ignore file, baseline, flag):
    /// 16 lowercase hex digits, as [`Fingerprint::of`] writes them.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let valid = text.len() == Self::LEN && text.bytes().all(is_key_digit);
        valid.then(|| Fingerprint(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Placeholders and test values that have the shape of a key but are not one:
/// `0123456789abcdef` repeated, one repeated character, and the like. A random
/// 64-hex key trips none of these checks except with negligible probability.
pub fn is_placeholder(key: &[u8]) -> bool {
    let mut seen = [false; 256];
    for &b in key {
        seen[b as usize] = true;
    }
    let distinct = seen.iter().filter(|&&s| s).count();
    if distinct < 8 {
        return true;
    }
    if key.iter().all(u8::is_ascii_digit) || key.iter().all(u8::is_ascii_alphabetic) {
        return true;
    }
    // Periodic: a short block repeated (e.g. "deadbeef" x 8).
    if (1..=32)
        .any(|period| key.len() % period == 0 && key[period..].iter().zip(key).all(|(a, b)| a == b))
    {
        return true;
    }
    // An ascending or descending run of 8 consecutive hex digits.
    let value = |b: u8| (b as char).to_digit(16).map(|d| d as i32).unwrap_or(-100);
    for direction in [1, -1] {
        let mut run = 1;
        for pair in key.windows(2) {
            if value(pair[1]) - value(pair[0]) == direction {
                run += 1;
                if run >= 8 {
                    return true;
                }
            } else {
                run = 1;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";

    #[test]
    fn shape_is_64_lowercase_hex() {
        assert!(is_key_shape(KEY.as_bytes()));
        assert!(!is_key_shape(KEY.to_ascii_uppercase().as_bytes()));
        assert!(!is_key_shape(&KEY.as_bytes()[..63]));
        assert!(!is_key_shape(format!("{KEY}0").as_bytes()));
        assert!(!is_key_shape(KEY.replace('a', "g").as_bytes()));
        let pattern = regex::Regex::new(&format!("^{KEY_REGEX}$")).unwrap();
        assert!(pattern.is_match(KEY));
        assert!(!pattern.is_match(&KEY.to_ascii_uppercase()));
    }

    #[test]
    fn base64_decodes_to_keys_only() {
        use base64::Engine;
        let encode = |text: &str| base64::engine::general_purpose::STANDARD.encode(text);
        assert_eq!(decode_base64(encode(KEY).as_bytes()).as_deref(), Some(KEY));
        let upper = encode(&KEY.to_ascii_uppercase());
        assert_eq!(decode_base64(upper.as_bytes()), None);
        assert_eq!(decode_base64(encode(&KEY[..63]).as_bytes()), None);
        assert_eq!(decode_base64(b"not base64!"), None);
    }

    #[test]
    fn parse_accepts_keys_only_and_does_not_echo() {
        assert_eq!(Secret::parse(KEY).unwrap().expose(), KEY);
        let upper = KEY.to_ascii_uppercase();
        let err = Secret::parse(&upper).unwrap_err();
        assert!(!err.to_string().contains(&upper[..8]), "{err}");
        assert!(Secret::parse("").is_err());
        assert!(Secret::parse(&format!(" {KEY}")).is_err());
    }

    #[test]
    fn redaction_keeps_four_and_four() {
        let secret = Secret::new(KEY);
        assert_eq!(secret.redacted(), "3839...b7ad");
        assert_eq!(secret.redacted().len(), PARTIAL_LEN);
        assert_eq!(secret.display(Redaction::None), KEY);
        assert_eq!(secret.display(Redaction::Partial), "3839...b7ad");
        assert_eq!(secret.display(Redaction::Full), FULLY_REDACTED);
        assert!(!format!("{secret:?}").contains(KEY));
        assert_eq!(partial("short"), "*****");
    }

    #[test]
    fn fingerprint_is_stable_and_content_keyed() {
        let a = Fingerprint::of(KEY);
        assert_eq!(a.as_str().len(), Fingerprint::LEN);
        assert_eq!(a, Secret::new(KEY).fingerprint());
        assert_ne!(a, Fingerprint::of(&KEY.replace('3', "4")));
        assert_eq!(Fingerprint::parse(a.as_str()), Some(a.clone()));
        assert_eq!(Fingerprint::parse(&a.as_str().to_ascii_uppercase()), None);
        assert_eq!(Fingerprint::parse("xyz"), None);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder("a".repeat(64).as_bytes()));
        assert!(is_placeholder("0123456789abcdef".repeat(4).as_bytes()));
        assert!(is_placeholder("deadbeef".repeat(8).as_bytes()));
        assert!(is_placeholder(&"1234567890".repeat(7).as_bytes()[..64]));
        assert!(!is_placeholder(KEY.as_bytes()));
    }
}
