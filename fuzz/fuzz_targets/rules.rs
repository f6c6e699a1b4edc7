//! The rules TOML loader (`RuleSet::parse`, what `--rules FILE` runs) over
//! arbitrary text. A file that loads must give a matcher that never panics
//! and whose matches are 64-hex keys, on its own examples and on the file's
//! text itself; a file that does not load must give an error whose line is
//! in the file. (`rule_pattern` puts the mutations on the regex language.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks_fuzz::check_rule_file;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check_rule_file(text, text);
    }
});
