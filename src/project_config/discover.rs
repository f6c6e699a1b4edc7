//! Finding the configuration file for a scan: `--config`, the one at a
//! repository's work-tree root (committed at HEAD in a bare repository), or
//! the one in each scanned directory.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::{normalized, ProjectConfig, RuleFiles, Source, CONFIG_FILE_NAME};
use crate::config_file::{self, ConfigFileError};
use crate::source::files::display_path;
use crate::source::git::{Request, Session};

/// Finds and reads the configuration for a scan: `config_path` (`--config`)
/// if given, else the one at the repository's work-tree root (`git`: the git
/// scan the command asks for, if any), else the one in each directory of
/// `paths` (or the current directory).
pub fn load(
    config_path: Option<&Path>,
    git: Option<Request>,
    paths: &[PathBuf],
) -> anyhow::Result<Option<ProjectConfig>> {
    let mut config = ProjectConfig::default();
    if let Some(file) = config_path {
        let text = config_file::read(file).map_err(|err| match err {
            ConfigFileError::NotFound => anyhow::anyhow!(
                "--config {}: not found; pass an existing configuration file",
                file.display()
            ),
            err => anyhow::anyhow!("--config {}: {err}", file.display()),
        })?;
        let bases = match &git {
            Some(_) => vec![PathBuf::new()],
            None => file_roots(paths),
        };
        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let source = Source {
            name: display_path(file),
            text,
            bases,
            rules: RuleFiles::Dir(dir),
            in_repository: false,
        };
        config.add(source)?;
        return Ok(Some(config));
    }
    if let Some(request) = git {
        // Not a repository: the scan itself reports that.
        let Ok(session) = Session::open(request) else {
            return Ok(None);
        };
        match session
            .ignore_file()
            .and_then(|f| f.parent().map(Path::to_path_buf))
        {
            Some(work_tree) => {
                let path = work_tree.join(CONFIG_FILE_NAME);
                if let Some(text) = read_discovered(&path, CONFIG_FILE_NAME)? {
                    config.add(Source {
                        name: CONFIG_FILE_NAME.to_string(),
                        text,
                        bases: vec![PathBuf::new()],
                        rules: RuleFiles::Dir(work_tree),
                        in_repository: true,
                    })?;
                }
            }
            // A bare repository: the configuration committed at HEAD.
            None => {
                let name = format!("HEAD:{CONFIG_FILE_NAME}");
                let text = session
                    .committed_file("HEAD", CONFIG_FILE_NAME)
                    .with_context(|| format!("{name}: cannot use it; fix or remove it"))?;
                if let Some(text) = text {
                    config.add(Source {
                        name,
                        text,
                        bases: vec![PathBuf::new()],
                        rules: RuleFiles::Committed(&session),
                        in_repository: true,
                    })?;
                }
            }
        }
    } else {
        for base in file_roots(paths) {
            let path = base.join(CONFIG_FILE_NAME);
            let name = display_path(&path);
            if let Some(text) = read_discovered(&path, &name)? {
                config.add(Source {
                    name,
                    text,
                    bases: vec![base.clone()],
                    rules: RuleFiles::Dir(base),
                    in_repository: false,
                })?;
            }
        }
    }
    Ok((!config.files.is_empty()).then_some(config))
}

/// Files mode: the directories given (their configuration files apply),
/// else the current directory (only files given, as pre-commit passes them,
/// or standard input).
fn file_roots(paths: &[PathBuf]) -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.as_os_str() != "-" && p.is_dir())
        .map(|p| normalized(p))
        .collect();
    if dirs.is_empty() {
        vec![PathBuf::new()]
    } else {
        dirs
    }
}

/// A discovered configuration file's text; `None` when there is none.
fn read_discovered(path: &Path, name: &str) -> anyhow::Result<Option<String>> {
    match config_file::read(path) {
        Ok(text) => Ok(Some(text)),
        Err(ConfigFileError::NotFound) => Ok(None),
        Err(err) => bail!("{name}: {err} (or pass --no-config to scan without it)"),
    }
}
