//! The project configuration file, `.vastleaks.toml`: defaults a team commits
//! next to its code (path allowlists for test fixtures, extra rule files, a
//! size limit, what fails the run), so every hook, CI step and one-off audit
//! applies the same ones without repeating flags.
//!
//! It lives in the scanned repository, so a pull request controls it. Hence:
//! it is read like every configuration file ([`crate::config_file`]: a
//! regular file, no links, at most 1 MiB); a bad one stops the scan (exit 2)
//! with file and line, never its content; what its allowlist matches is
//! *suppressed*, not dropped (reported with the pattern that matched); its
//! rule files may add rules but not replace a built-in one; a `fail-on` that
//! needs `--verify` applies only with it (never turning unverified findings
//! into a pass); and when the configuration in use differs from the one the
//! scanned commits started from, a note says so. Command-line flags win over
//! every value it sets.

mod discover;
mod history;

use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use discover::load;

use crate::outcome::fail_on::FailOn;
use crate::rules::{elide_quoted, line_of, RuleSet};
use crate::source::git::Session;
use crate::suppress::{allow_path, AllowPath};

/// The file looked up at the scan root (the work-tree root in git modes).
pub const CONFIG_FILE_NAME: &str = ".vastleaks.toml";

/// The keys a configuration file may hold (named in unknown-key errors).
const KEYS: [&str; 4] = ["allow-paths", "rules", "max-file-size", "fail-on"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    allow_paths: Vec<Spanned<String>>,
    #[serde(default)]
    rules: Vec<Spanned<String>>,
    max_file_size: Option<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
}

/// One configuration file in use.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    /// As reports name it: `.vastleaks.toml`, `sub/.vastleaks.toml`,
    /// `HEAD:.vastleaks.toml` (bare repository), or the `--config` path.
    pub name: String,
    /// What `allow-paths` globs are relative to: the scan roots (an empty
    /// path: the current directory or the repository root).
    pub bases: Vec<PathBuf>,
    pub allow_paths: Vec<AllowPath>,
    /// The file's text, to tell whether the scanned commits change it.
    text: String,
    /// Discovered in a git repository (not given with `--config`).
    in_repository: bool,
}

/// Everything the project configuration decides for one scan.
#[derive(Clone, Debug, Default)]
pub struct ProjectConfig {
    pub files: Vec<ConfigFile>,
    /// Rules from the files' `rules` (never replacing a built-in rule).
    pub rules: RuleSet,
    /// `max-file-size`, and the file that set it.
    pub max_file_size: Option<(u64, String)>,
    /// `fail-on`, and the file that set it.
    pub fail_on: Option<(FailOn, String)>,
}

/// `./sub/` as `sub`, `.` as the empty path: the form finding paths have.
pub(super) fn normalized(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// Where the rule files a configuration names are read from.
enum RuleFiles<'a> {
    /// The configuration file's directory.
    Dir(PathBuf),
    /// Committed at HEAD (a bare repository's configuration).
    Committed(&'a Session),
}

/// A configuration file's text and what it applies to.
struct Source<'a> {
    name: String,
    text: String,
    bases: Vec<PathBuf>,
    rules: RuleFiles<'a>,
    in_repository: bool,
}

impl ProjectConfig {
    /// Parses one file into the configuration. Several files (several scan
    /// roots) combine to the strictest values.
    fn add(&mut self, source: Source<'_>) -> anyhow::Result<()> {
        let Source {
            name,
            text,
            bases,
            rules,
            in_repository,
        } = source;
        let at = |offset: usize, message: &str| {
            anyhow::anyhow!(
                "{name}:{}: {message}; fix the configuration file (or pass --no-config)",
                line_of(&text, offset)
            )
        };
        let raw: RawConfig = toml::from_str(&text).map_err(|err| {
            let offset = err.span().map(|s| s.start).unwrap_or(0);
            at(offset, &safe_message(err.message()))
        })?;
        let mut allow_paths = Vec::new();
        for pattern in raw.allow_paths {
            let offset = pattern.span().start;
            allow_paths.push(allow_path(pattern.into_inner()).map_err(|err| at(offset, &err))?);
        }
        for file in raw.rules {
            let offset = file.span().start;
            let set = load_rule_file(file.get_ref(), &rules)
                .map_err(|err| at(offset, &format!("rules: {err}")))?;
            let builtin = RuleSet::builtin();
            if let Some(rule) = set.rules().iter().find(|r| builtin.get(&r.id).is_some()) {
                return Err(at(
                    offset,
                    &format!(
                        "rules: the rule file redefines the built-in rule {}; a rule file named in the configuration may add rules, not replace built-in ones (give the rule a new id, or pass the file with --rules)",
                        rule.id
                    ),
                ));
            }
            self.rules.extend(set);
        }
        if let Some(size) = raw.max_file_size {
            let value = crate::config_file::parse_size(size.get_ref()).map_err(|_| {
                at(
                    size.span().start,
                    "max-file-size: not a size like \"500K\", \"100M\", \"1G\" or \"10MB\"",
                )
            })?;
            // The largest limit scans the most.
            if self.max_file_size.as_ref().is_none_or(|(v, _)| value > *v) {
                self.max_file_size = Some((value, name.clone()));
            }
        }
        if let Some(fail_on) = raw.fail_on {
            let value =
                <FailOn as clap::ValueEnum>::from_str(fail_on.get_ref(), false).map_err(|_| {
                    at(
                        fail_on.span().start,
                        "fail-on: expected \"any\", \"live\", \"unknown\" or \"never\"",
                    )
                })?;
            if self
                .fail_on
                .as_ref()
                .is_none_or(|(v, _)| strictness(value) > strictness(*v))
            {
                self.fail_on = Some((value, name.clone()));
            }
        }
        self.files.push(ConfigFile {
            name,
            bases,
            allow_paths,
            text,
            in_repository,
        });
        Ok(())
    }
}

/// How many findings a `fail-on` value counts, for combining several files.
fn strictness(value: FailOn) -> u8 {
    match value {
        FailOn::Any => 3,
        FailOn::Unknown => 2,
        FailOn::Live => 1,
        FailOn::Never => 0,
    }
}

/// Reads one entry of `rules`: a path relative to the configuration file,
/// inside the tree (no absolute paths, no `..`, no symbolic links on the
/// way), read like every configuration file. Errors say what is wrong
/// without repeating the entry (the caller names the configuration line).
fn load_rule_file(entry: &str, from: &RuleFiles<'_>) -> Result<RuleSet, String> {
    let relative = Path::new(entry);
    if entry.is_empty()
        || !relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(
            "an entry is not a relative path inside the repository (no absolute paths, no `..`)"
                .to_string(),
        );
    }
    let parsed = match from {
        RuleFiles::Dir(dir) => {
            let mut walked = dir.clone();
            for component in relative.parent().into_iter().flat_map(Path::components) {
                walked.push(component);
                if std::fs::symlink_metadata(&walked).is_ok_and(|m| m.file_type().is_symlink()) {
                    return Err("a directory on the way to the rule file is a symbolic link (not followed: it could point outside the repository)".to_string());
                }
            }
            RuleSet::load(&dir.join(relative))
        }
        RuleFiles::Committed(session) => {
            let path = normalized(relative).to_string_lossy().replace('\\', "/");
            let text = session
                .committed_file("HEAD", &path)
                .map_err(|_| {
                    "the rule file cannot be read at HEAD (not a file, over 1 MiB or not UTF-8)"
                        .to_string()
                })?
                .ok_or_else(|| "rule file not found at HEAD".to_string())?;
            RuleSet::parse(&text, &path)
        }
    };
    let parsed = parsed.and_then(|set| crate::matcher::check_own_examples(&set).map(|()| set));
    parsed.map_err(|err| match err.line {
        0 => err.message,
        line => format!("line {line} of the rule file: {}", err.message),
    })
}

/// A TOML parser message that is safe to print: quoted values elided (as in
/// rule files), and names in backticks kept only when they are keys this
/// file may hold (an unknown key is text from the file: it could be a key
/// pasted by mistake).
fn safe_message(message: &str) -> String {
    let message = elide_quoted(message);
    let mut out = String::with_capacity(message.len());
    let mut parts = message.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let rest: Vec<&str> = parts.collect();
    for (index, part) in rest.iter().enumerate() {
        let inside = index % 2 == 0 && index + 1 < rest.len();
        if inside {
            out.push('`');
            out.push_str(if KEYS.contains(part) { part } else { "..." });
            out.push('`');
        } else if index % 2 == 1 {
            out.push_str(part);
        } else {
            // An unmatched backtick: drop what follows it.
            out.push_str("`...");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> anyhow::Result<ProjectConfig> {
        let mut config = ProjectConfig::default();
        config.add(Source {
            name: ".vastleaks.toml".into(),
            text: text.into(),
            bases: vec![PathBuf::new()],
            rules: RuleFiles::Dir(PathBuf::from("/nonexistent")),
            in_repository: false,
        })?;
        Ok(config)
    }

    #[test]
    fn values_parse_and_combine_to_the_strictest() {
        let mut config = parse(
            "allow-paths = [\"tests/fixtures/**\", \"docs/*.md\"]\nmax-file-size = \"10MB\"\nfail-on = \"never\"\n",
        )
        .unwrap();
        let file = &config.files[0];
        assert_eq!(file.allow_paths.len(), 2);
        assert!(file.allow_paths[0]
            .matcher
            .is_match("tests/fixtures/a/b.env"));
        // `*` does not cross directories.
        assert!(!file.allow_paths[1].matcher.is_match("docs/a/b.md"));
        assert_eq!(config.max_file_size.as_ref().unwrap().0, 10_000_000);
        assert_eq!(config.fail_on.as_ref().unwrap().0, FailOn::Never);
        config
            .add(Source {
                name: "b/.vastleaks.toml".into(),
                text: "max-file-size = \"1K\"\nfail-on = \"live\"\n".into(),
                bases: vec![PathBuf::from("b")],
                rules: RuleFiles::Dir(PathBuf::from("b")),
                in_repository: false,
            })
            .unwrap();
        assert_eq!(config.max_file_size.unwrap().0, 10_000_000);
        assert_eq!(config.fail_on.unwrap().0, FailOn::Live);
    }

    #[test]
    fn errors_name_the_line_and_keep_the_content_out() {
        let key = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";
        for (text, line) in [
            (format!("\nsecret_{key} = 1\n"), 2),
            (format!("\n\nmax-file-size = \"{key}\"\n"), 3),
            (format!("fail-on = \"{key}\"\n"), 1),
            (format!("allow-paths = [\"{key}[\"]\n"), 1),
            (format!("allow-paths = \"{key}\"\n"), 1),
            (format!("rules = [\"../{key}.toml\"]\n"), 1),
            (format!("rules = [\"{key}.toml\"]\n"), 1),
            (format!("x = \"{key}"), 1),
        ] {
            let err = format!("{:#}", parse(&text).unwrap_err());
            assert!(
                err.starts_with(&format!(".vastleaks.toml:{line}: ")),
                "{err}"
            );
            assert!(
                !err.contains(&key[..8]) && !err.contains(&key[56..]),
                "{err}"
            );
        }
        let err = format!("{:#}", parse("allow_paths = []\n").unwrap_err());
        assert!(err.contains("`allow-paths`"), "{err}");
    }

    #[test]
    fn backticked_names_are_kept_only_when_known() {
        assert_eq!(
            safe_message("unknown field `secret`, expected one of `allow-paths`, `rules`"),
            "unknown field `...`, expected one of `allow-paths`, `rules`"
        );
        assert_eq!(safe_message("odd `tail"), "odd `...");
    }
}
