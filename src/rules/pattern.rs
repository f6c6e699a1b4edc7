//! The rule pattern language: `{KEY}` and `{KEY_BASE64}` expanded into the
//! regex the matcher runs, and the one way patterns are compiled, so that the
//! loader's checks and the matcher agree on what a pattern means.

/// What `{KEY}` expands to in a rule pattern: a key ([`crate::key::KEY_REGEX`])
/// that is not part of a longer word (so SHA-512 digests and longer hex runs
/// never match). Case-sensitive even inside `(?i)` rules: Vast keys are lowercase.
fn key_pattern() -> String {
    format!(r"(?-i:(?-u:\b)(?P<key>{})(?-u:\b))", crate::key::KEY_REGEX)
}

/// What `{KEY_BASE64}` expands to: the base64 encoding of a key (88
/// characters, `==` padded), as Kubernetes Secret `data:` fields hold it. The
/// matcher decodes it and keeps it only if it decodes to a key.
pub const KEY_BASE64_PATTERN: &str = r"(?-i:(?-u:\b)(?P<key>[A-Za-z0-9+/]{86}==))";

/// Expands `{KEY}` and turns Unicode off: rules run on bytes that are often not
/// UTF-8, and Unicode word boundaries cost 20x in `regex::bytes`.
pub(super) fn expand(pattern: &str) -> String {
    format!(
        "(?-u){}",
        pattern
            .replace("{KEY_BASE64}", KEY_BASE64_PATTERN)
            .replace("{KEY}", &key_pattern())
    )
}

/// The name `{KEY}`'s group gets in [`key_is_live`]'s probe.
const PROBE_GROUP: &str = "vastleaks_key_probe";

/// True when `{KEY}` (or `{KEY_BASE64}`) is a live part of the pattern
/// `source`, so that the `key` group of the expanded pattern is the one that
/// matches exactly a key. A `(?x)` comment can swallow the expansion, leaving
/// no `key` group (the matcher would panic) or the rule's own group named
/// `key` in its place (the matcher would report any text as a key). The
/// probe renames the expansion's group: it shows up only if the expansion is
/// live, and then the real expansion owns `key` (two groups of one name do
/// not compile).
pub(super) fn key_is_live(source: &str) -> bool {
    if source.contains(PROBE_GROUP) {
        return false;
    }
    let rename = |pattern: &str| pattern.replace("<key>", &format!("<{PROBE_GROUP}>"));
    let probe = format!(
        "(?-u){}",
        source
            .replace("{KEY_BASE64}", &rename(KEY_BASE64_PATTERN))
            .replace("{KEY}", &rename(&key_pattern()))
    );
    compile(&probe).is_ok_and(|re| {
        re.group_info()
            .to_index(regex_automata::PatternID::ZERO, PROBE_GROUP)
            .is_some()
    })
}

/// Compiles a (expanded) rule pattern the way the matcher does.
pub(crate) fn compile(pattern: &str) -> Result<regex_automata::meta::Regex, String> {
    regex_automata::meta::Regex::builder()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .utf8(false)
                .unicode(false),
        )
        .configure(regex_automata::meta::Config::new().utf8_empty(false))
        .build(pattern)
        .map_err(|err| {
            err.to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
}
