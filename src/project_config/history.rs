//! The configuration against history: its allowlists as a range's base had
//! them, and whether the scanned commits change the configuration in use.

use std::path::{Path, PathBuf};

use super::{ProjectConfig, RawConfig, CONFIG_FILE_NAME};
use crate::outcome::fail_on::FailOn;
use crate::source::git::{Mode, Session};
use crate::suppress::{allow_path, AllowPath, Suppressions};

impl ProjectConfig {
    /// A configured `fail-on` that lets findings pass, said in the report:
    /// `flag` is `--fail-on` (which wins), `effective` the value in force.
    pub fn fail_on_note(&self, flag: Option<FailOn>, effective: FailOn) -> Option<String> {
        let mut notes = Vec::new();
        if let Some((value, file)) = &self.fail_on {
            if flag.is_none() && effective == *value && *value != FailOn::Any {
                let what = match value {
                    FailOn::Never => "no finding fails the run",
                    FailOn::Live => "only keys verified live fail the run",
                    _ => "keys verified revoked do not fail the run",
                };
                notes.push(format!(
                    "fail-on = \"{}\" from {file}: {what} (--fail-on any overrides it)",
                    clap::ValueEnum::to_possible_value(value)
                        .map(|v| v.get_name().to_string())
                        .unwrap_or_default()
                ));
            }
        }
        notes.pop()
    }

    /// Adds the configuration's path allowlists to `suppressions`.
    pub fn add_allowlists(&self, suppressions: &mut Suppressions) {
        for file in &self.files {
            suppressions.add_allow_paths(&file.name, &file.bases, &file.allow_paths);
        }
    }

    /// Adds the `allow-paths` of the configuration in use as it was committed at
    /// `rev` (a range's base, named `label` in reports), so a range scan can
    /// tell the suppressions its own commits add from those it started with.
    /// A base configuration that cannot be parsed contributes nothing (it is
    /// not what this scan uses, so it is not reported again).
    pub fn add_committed_allowlists(
        &self,
        config_path: Option<&Path>,
        session: &Session,
        rev: &str,
        label: &str,
        suppressions: &mut Suppressions,
    ) {
        let path = match config_path {
            Some(file) => match session.tree_path(file) {
                Some(path) => path,
                None => return,
            },
            None => CONFIG_FILE_NAME.to_string(),
        };
        let Some(raw) = session
            .committed_file(rev, &path)
            .ok()
            .flatten()
            .and_then(|text| toml::from_str::<RawConfig>(&text).ok())
        else {
            return;
        };
        let paths: Vec<AllowPath> = raw
            .allow_paths
            .into_iter()
            .filter_map(|p| allow_path(p.into_inner()).ok())
            .collect();
        suppressions.add_allow_paths(&format!("{label}:{path}"), &[PathBuf::new()], &paths);
    }

    /// What a reader of the report must know about the configuration: that
    /// the scanned commits (or uncommitted changes) change it.
    pub fn change_notes(&self, session: &Session) -> Vec<String> {
        let mut notes = Vec::new();
        for file in self.files.iter().filter(|f| f.in_repository) {
            let committed_at = |rev: &str| {
                session
                    .committed_file(rev, CONFIG_FILE_NAME)
                    .ok()
                    .flatten()
                    .is_some_and(|text| text == file.text)
            };
            let why = match session.mode() {
            // The range starts from its hidden commits: a configuration none
            // of them has is one the scanned commits brought (or edited).
            Mode::Range(range) if !range.hidden.iter().any(|rev| committed_at(rev)) => format!(
                "is not the one the scanned range {} starts from: the scanned commits change it (or it has uncommitted changes)",
                range.label()
            ),
            Mode::Range(_) => continue,
            _ if !committed_at("HEAD") => {
                "differs from the one committed at HEAD (uncommitted or staged changes)".to_string()
            }
            _ => continue,
        };
            notes.push(format!(
            "the configuration {} {why}; review it: it decides what is suppressed and what fails",
            file.name
        ));
        }
        notes
    }
}
