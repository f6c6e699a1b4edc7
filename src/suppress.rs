//! Suppressions keyed on content, not position.
//!
//! Ignore entries and baselines name a key's fingerprint (optionally scoped to
//! a path glob), never a commit, line or offset, so they survive rebases,
//! squashes and moved lines. Entries that match nothing are reported as stale,
//! so the ignore file does not silently rot.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use globset::{Glob, GlobBuilder, GlobMatcher};
use serde::Serialize;

use crate::config_file::{self, ConfigFileError};
use crate::finding::{redact_key_shapes, Finding, Suppression};
use crate::key::Fingerprint;

/// Longest `allow-paths` pattern: reports print it next to every finding it
/// suppressed.
const MAX_PATTERN_LEN: usize = 1024;

/// One path allowlist pattern (the project configuration's `allow-paths`).
#[derive(Clone, Debug)]
pub struct AllowPath {
    /// As written in the file (reports show it: it is what suppressed).
    pub pattern: String,
    pub matcher: GlobMatcher,
}

/// One `allow-paths` pattern, compiled: `*` stays within a directory.
pub fn allow_path(pattern: String) -> Result<AllowPath, String> {
    if pattern.is_empty() || pattern.len() > MAX_PATTERN_LEN {
        return Err("allow-paths: a pattern must be 1 to 1024 characters".to_string());
    }
    let glob = GlobBuilder::new(&pattern)
        .literal_separator(true)
        .build()
        .map_err(|err| format!("allow-paths: invalid glob ({})", err.kind()))?;
    Ok(AllowPath {
        pattern,
        matcher: glob.compile_matcher(),
    })
}

/// The ignore file looked up at each scan root.
pub const IGNORE_FILE_NAME: &str = ".vastleaksignore";

/// One line of an ignore file.
#[derive(Debug)]
struct IgnoreEntry {
    fingerprint: Fingerprint,
    glob: Option<GlobMatcher>,
    /// Paths in the glob are relative to the ignore file's directory.
    base: PathBuf,
    file: String,
    line: usize,
}

/// An ignore entry that suppressed nothing in this scan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaleIgnore {
    pub file: String,
    pub line: usize,
    pub fingerprint: String,
}

/// A line of an ignore file that could not be used (reported, then skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreFileError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Suppressions {
    entries: Vec<IgnoreEntry>,
    baseline: HashSet<Fingerprint>,
    /// The baseline file, as named on the command line (for reports).
    baseline_file: String,
    /// Path allowlists from the project configuration.
    allowlists: Vec<Allowlist>,
}

/// The `allow-paths` of one project configuration file.
#[derive(Debug)]
struct Allowlist {
    file: String,
    /// What the globs are relative to (the scan roots).
    bases: Vec<PathBuf>,
    paths: Vec<AllowPath>,
}

/// What applying suppressions did.
pub struct Applied {
    pub kept: Vec<Finding>,
    /// Findings that do not count, each marked with what suppressed it.
    pub suppressed: Vec<Finding>,
    pub stale: Vec<StaleIgnore>,
}

impl Suppressions {
    /// Parses an ignore file's text. Bad lines are returned, not fatal: a typo
    /// in the ignore file must never hide the rest of the scan.
    pub fn add_ignore_file(&mut self, text: &str, file: &str, base: &Path) -> Vec<IgnoreFileError> {
        let mut errors = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.split_once('#').map_or(raw, |(before, _)| before).trim();
            if content.is_empty() {
                continue;
            }
            let mut fields = content.split_whitespace();
            let fp_text = fields.next().unwrap_or_default();
            let glob_text = fields.next();
            // Messages name the file and line, never what the line holds:
            // the file comes from the scanned tree, and it could hold a key
            // pasted by mistake or anything else not meant to be printed.
            let error = |message: &str| IgnoreFileError {
                file: file.to_string(),
                line,
                message: message.to_string(),
            };
            if fields.next().is_some() {
                errors.push(error("expected `FINGERPRINT [PATH-GLOB]`"));
                continue;
            }
            let Some(fingerprint) = Fingerprint::parse(fp_text) else {
                if redact_key_shapes(fp_text) != fp_text {
                    errors.push(error(
                        "this looks like a full API key, not a fingerprint: replace it with the 16-digit fingerprint printed in reports (and if it is a real key, revoke it: it is in this file)",
                    ));
                    continue;
                }
                errors.push(error(
                    "not a fingerprint (expected 16 lowercase hex digits, as printed in reports)",
                ));
                continue;
            };
            let glob = match glob_text.map(|g| Glob::new(g).map(|g| g.compile_matcher())) {
                None => None,
                Some(Ok(glob)) => Some(glob),
                Some(Err(err)) => {
                    errors.push(error(&format!("invalid path glob ({})", err.kind())));
                    continue;
                }
            };
            self.entries.push(IgnoreEntry {
                fingerprint,
                glob,
                base: base.to_path_buf(),
                file: file.to_string(),
                line,
            });
        }
        errors
    }

    /// Reads the ignore file at `path` if it exists (see
    /// [`crate::config_file`] for what is refused); `name` is how reports
    /// name it.
    pub fn load_ignore_file(
        &mut self,
        path: &Path,
        name: &str,
    ) -> Result<Vec<IgnoreFileError>, ConfigFileError> {
        let text = match config_file::read(path) {
            Ok(text) => text,
            Err(ConfigFileError::NotFound) => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(self.add_ignore_file(&text, name, &base))
    }

    /// Loads a baseline: a JSON report from an earlier run. Its fingerprints
    /// are suppressed wherever they appear; `name` is how reports name it.
    pub fn load_baseline(&mut self, path: &Path, name: &str) -> anyhow::Result<usize> {
        let text = config_file::read(path)
            .with_context(|| format!("--baseline {}: cannot use it; pass a JSON report written by `vastleaks scan --format json`", path.display()))?;
        self.add_baseline(&text, name)
    }

    /// Adds the fingerprints of a baseline report's text; `name` says where
    /// it came from (a path, or `REV:path` for a committed one).
    pub fn add_baseline(&mut self, text: &str, name: &str) -> anyhow::Result<usize> {
        // serde_json's messages can quote the text; say where, not what.
        let json: serde_json::Value = serde_json::from_str(text).map_err(|err| {
            anyhow::anyhow!(
                "--baseline {name}:{}:{}: not valid JSON; pass a report written by `vastleaks scan --format json`",
                err.line(),
                err.column()
            )
        })?;
        let findings = json.get("findings").and_then(|f| f.as_array()).with_context(|| {
            format!("--baseline {name}: no \"findings\" array; pass a report written by `vastleaks scan --format json`")
        })?;
        let mut added = 0;
        for finding in findings {
            if let Some(fp) = finding
                .get("fingerprint")
                .and_then(|f| f.as_str())
                .and_then(Fingerprint::parse)
            {
                added += usize::from(self.baseline.insert(fp));
            }
        }
        self.baseline_file = name.to_string();
        if added == 0 && !findings.is_empty() {
            anyhow::bail!(
                "--baseline {name}: none of its {} findings has a vastleaks fingerprint (16 hex digits); pass a report written by `vastleaks scan --format json`",
                findings.len()
            );
        }
        Ok(added)
    }

    /// Adds the `allow-paths` of the configuration file `file`: findings
    /// whose path, relative to one of `bases`, matches a pattern are
    /// suppressed (by that pattern). Findings without a path (standard input,
    /// commit messages, unreachable objects) never match.
    pub fn add_allow_paths(&mut self, file: &str, bases: &[PathBuf], paths: &[AllowPath]) {
        if paths.is_empty() {
            return;
        }
        self.allowlists.push(Allowlist {
            file: file.to_string(),
            bases: bases.to_vec(),
            paths: paths.to_vec(),
        });
    }

    /// The allowlist pattern that covers `path`, as a suppression.
    fn allowed(&self, path: Option<&str>) -> Option<Suppression> {
        let path = Path::new(path?);
        self.allowlists.iter().find_map(|list| {
            let matched = list.bases.iter().find_map(|base| {
                let relative = path.strip_prefix(base).ok()?;
                list.paths.iter().find(|p| p.matcher.is_match(relative))
            })?;
            Some(Suppression::Config {
                file: list.file.clone(),
                pattern: matched.pattern.clone(),
            })
        })
    }

    /// Whether these suppressions (say, as they were at a range's base)
    /// already held what suppressed `finding`: the same ignore entry
    /// (fingerprint and glob), the same baseline fingerprint, or an
    /// `allow-paths` pattern covering its path. An inline
    /// marker is never "already held" here: it sits in the scanned change.
    pub fn already_had(&self, finding: &Finding, tip: &Suppressions) -> bool {
        match &finding.suppression {
            Some(Suppression::IgnoreFile { file, line }) => {
                let Some(entry) = tip
                    .entries
                    .iter()
                    .find(|e| &e.file == file && e.line == *line)
                else {
                    return false;
                };
                let glob = entry.glob.as_ref().map(|g| g.glob().glob());
                self.entries.iter().any(|e| {
                    e.fingerprint == entry.fingerprint
                        && e.glob.as_ref().map(|g| g.glob().glob()) == glob
                })
            }
            Some(Suppression::Baseline { .. }) => self.baseline.contains(&finding.fingerprint),
            // Any allowlist here covering the same path: these held it.
            Some(Suppression::Config { .. }) => self.allowed(finding.origin.path()).is_some(),
            _ => false,
        }
    }

    /// Splits findings into kept and suppressed (marked with what suppressed
    /// them; findings already marked inline stay so) and lists stale ignore
    /// entries.
    pub fn apply(&self, findings: Vec<Finding>) -> Applied {
        let mut used = vec![false; self.entries.len()];
        let mut kept = Vec::with_capacity(findings.len());
        let mut suppressed = Vec::new();
        for mut finding in findings {
            for (index, entry) in self.entries.iter().enumerate() {
                if entry.fingerprint == finding.fingerprint
                    && entry.matches_path(finding.origin.path())
                {
                    used[index] = true;
                    finding
                        .suppression
                        .get_or_insert_with(|| Suppression::IgnoreFile {
                            file: entry.file.clone(),
                            line: entry.line,
                        });
                }
            }
            if finding.suppression.is_none() && self.baseline.contains(&finding.fingerprint) {
                finding.suppression = Some(Suppression::Baseline {
                    file: self.baseline_file.clone(),
                });
            }
            if finding.suppression.is_none() {
                finding.suppression = self.allowed(finding.origin.path());
            }
            if finding.suppression.is_some() {
                suppressed.push(finding);
            } else {
                kept.push(finding);
            }
        }
        let stale = self
            .entries
            .iter()
            .zip(used)
            .filter(|(_, used)| !used)
            .map(|(entry, _)| StaleIgnore {
                file: entry.file.clone(),
                line: entry.line,
                fingerprint: entry.fingerprint.to_string(),
            })
            .collect();
        Applied {
            kept,
            suppressed,
            stale,
        }
    }
}

impl IgnoreEntry {
    fn matches_path(&self, path: Option<&str>) -> bool {
        let Some(glob) = &self.glob else { return true };
        let Some(path) = path else { return false };
        let path = Path::new(path);
        let relative = path.strip_prefix(&self.base).unwrap_or(path);
        glob.is_match(relative) || glob.is_match(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Origin;

    fn finding(key: &str, path: &str) -> Finding {
        Finding::in_file(key, path, 1, 1)
    }

    const A: &str = "38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad";
    const B: &str = "0b96135e9524064d0e67f499198f921cfa0ed9ba2727856331050ce20ce0ca39";

    #[test]
    fn fingerprint_and_glob_entries() {
        let fa = Fingerprint::of(A);
        let fb = Fingerprint::of(B);
        let mut s = Suppressions::default();
        let text = format!("# comment\n{fa}   # everywhere\n{fb} docs/**\n0000000000000000\n");
        assert!(s
            .add_ignore_file(&text, ".vastleaksignore", Path::new(""))
            .is_empty());
        let applied = s.apply(vec![
            finding(A, "src/a.env"),
            finding(B, "docs/x.md"),
            finding(B, "src/b.env"),
        ]);
        assert_eq!(applied.suppressed.len(), 2);
        assert_eq!(applied.kept.len(), 1);
        assert_eq!(applied.kept[0].origin.path(), Some("src/b.env"));
        assert_eq!(applied.stale.len(), 1);
        assert_eq!(applied.stale[0].line, 4);
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let mut s = Suppressions::default();
        let fa = Fingerprint::of(A);
        let text = format!("not-a-fingerprint\n{fa} [bad-glob\n{fa} a b\n{fa}\n");
        let errors = s.add_ignore_file(&text, "ig", Path::new(""));
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(s.apply(vec![finding(A, "x")]).suppressed.len(), 1);
    }

    #[test]
    fn allow_paths_are_relative_to_their_bases_and_named_when_they_match() {
        let config = |pattern: &str| AllowPath {
            pattern: pattern.to_string(),
            matcher: globset::GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .unwrap()
                .compile_matcher(),
        };
        let mut s = Suppressions::default();
        s.add_allow_paths(
            "repo/.vastleaks.toml",
            &[PathBuf::from("repo")],
            &[config("tests/fixtures/**")],
        );
        let applied = s.apply(vec![
            finding(A, "repo/tests/fixtures/a.env"),
            finding(A, "tests/fixtures/a.env"),
            finding(A, "repo/src/tests/fixtures/a.env"),
            Finding::for_test(A, Origin::Stdin, 1, 1),
        ]);
        assert_eq!(applied.suppressed.len(), 1);
        assert_eq!(
            applied.suppressed[0].suppression,
            Some(Suppression::Config {
                file: "repo/.vastleaks.toml".into(),
                pattern: "tests/fixtures/**".into(),
            })
        );
        assert_eq!(applied.kept.len(), 3);
        // An ignore entry that also matches names itself, not the allowlist.
        let fa = Fingerprint::of(A);
        s.add_ignore_file(&format!("{fa}\n"), "ig", Path::new(""));
        let applied = s.apply(vec![finding(A, "repo/tests/fixtures/a.env")]);
        assert!(matches!(
            applied.suppressed[0].suppression,
            Some(Suppression::IgnoreFile { .. })
        ));
    }

    #[test]
    fn globs_are_relative_to_the_ignore_file() {
        let mut s = Suppressions::default();
        let fa = Fingerprint::of(A);
        s.add_ignore_file(
            &format!("{fa} tests/*.env\n"),
            "repo/.vastleaksignore",
            Path::new("repo"),
        );
        assert_eq!(
            s.apply(vec![finding(A, "repo/tests/a.env")])
                .suppressed
                .len(),
            1
        );
        assert_eq!(
            s.apply(vec![finding(A, "repo/src/a.env")]).suppressed.len(),
            0
        );
    }
}
