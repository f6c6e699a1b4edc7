//! The rules TOML loader (`RuleSet::parse`, what `--rules FILE` runs) over
//! arbitrary text. A file that loads must give a matcher that never panics
//! and whose matches are 64-hex keys, on its own examples and on the file's
//! text itself; a file that does not load must give an error whose line is
//! in the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vastleaks::matcher::Matcher;
use vastleaks::rules::RuleSet;
use vastleaks_fuzz::{is_key, KEY_FILE_PATH};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let set = match RuleSet::parse(text, "fuzz.toml") {
        Ok(set) => set,
        Err(err) => {
            assert_eq!(err.file, "fuzz.toml");
            assert!(
                err.line >= 1 && err.line <= text.lines().count() + 1,
                "{err}"
            );
            assert!(!err.message.is_empty());
            return;
        }
    };
    // As `--rules` uses it: on top of the built-in rules.
    let mut all = RuleSet::builtin();
    all.extend(set);
    let Ok(matcher) = Matcher::new(&all) else {
        return;
    };
    let mut inputs: Vec<(&str, Option<&str>)> = vec![(text, None), (text, Some(KEY_FILE_PATH))];
    for rule in matcher.rules() {
        for example in rule.examples.iter().chain(&rule.negative_examples) {
            inputs.push((example.text(), example.path()));
        }
    }
    for (input, path) in inputs {
        for m in matcher.find(input.as_bytes(), path) {
            assert!(m.key.end <= input.len());
            let key = m
                .decoded
                .as_deref()
                .map_or(&input.as_bytes()[m.key.clone()], str::as_bytes);
            assert!(
                is_key(key),
                "rule {} matched a non-key: {m:?}",
                matcher.rules()[m.rule].id
            );
        }
    }
});
