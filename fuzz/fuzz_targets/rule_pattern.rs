//! One rule whose `pattern` is the input, loaded through the rules TOML
//! loader like a `--rules` file, with the input as its example: the same
//! checks as the `rules` target, with every mutation spent on the regex
//! language (flags, groups, comments, classes) instead of on TOML.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks_fuzz::check_rule_file;

fuzz_target!(|data: &[u8]| {
    let Ok(pattern) = std::str::from_utf8(data) else {
        return;
    };
    // serde_json's string escapes are valid TOML basic-string escapes.
    let quoted = serde_json::to_string(pattern).unwrap();
    let file = format!(
        "[[rule]]\nid = \"fuzz\"\nname = \"n\"\ndescription = \"d\"\nconfidence = \"high\"\npattern = {quoted}\nexamples = [{quoted}]\n"
    );
    check_rule_file(&file, pattern);
});
