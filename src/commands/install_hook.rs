//! `vastleaks install-hook`: a plain git `pre-commit` hook for people who do
//! not use the pre-commit framework.
//!
//! The hook is a POSIX `sh` script (git runs hooks with `sh` on every
//! platform, including Git for Windows), so the same file works everywhere.
//! An existing hook is never overwritten: it is renamed to
//! `pre-commit.local` and the new hook runs it first, stopping if it fails.
//! Running the command again only refreshes our own hook.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::Exit;
use crate::cli::InstallHookArgs;
use crate::gitcli::Git;

/// Identifies a hook written by this command (so reinstalling replaces it
/// instead of chaining it to itself).
pub const MARKER: &str = "installed by `vastleaks install-hook`";

/// Name the previous hook is kept under.
pub const LOCAL_HOOK: &str = "pre-commit.local";

/// What `install` did, for the message and for tests.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Installed,
    /// An earlier vastleaks hook was there and is now up to date.
    Refreshed,
    /// A foreign hook was kept as `pre-commit.local` and is chained.
    Chained,
}

pub fn run(args: &InstallHookArgs) -> anyhow::Result<Exit> {
    let (hook, outcome) = install(&args.repo, current_exe().as_deref())?;
    let hook = hook.display();
    match outcome {
        Outcome::Installed => println!("vastleaks: installed the pre-commit hook at {hook}"),
        Outcome::Refreshed => println!("vastleaks: the pre-commit hook at {hook} is up to date"),
        Outcome::Chained => println!(
            "vastleaks: installed the pre-commit hook at {hook}; your previous hook is now {LOCAL_HOOK} next to it and runs first"
        ),
    }
    println!("vastleaks: each commit now scans the staged content; skip once with `git commit --no-verify`");
    Ok(Exit::Clean)
}

/// The running binary, with `/` separators so that Git for Windows' `sh`
/// can execute it (`C:/Users/.../vastleaks.exe`).
fn current_exe() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let text = exe.to_str()?.replace('\\', "/");
    Some(text)
}

/// Writes the hook into `repo`'s hooks directory. `exe` is remembered in the
/// script as the binary to prefer over the one on PATH.
pub fn install(repo: &Path, exe: Option<&str>) -> anyhow::Result<(PathBuf, Outcome)> {
    let git = Git::new(repo);
    let top = git.run(["rev-parse", "--show-toplevel"]).with_context(|| {
        format!(
            "{}: not inside a git working tree; run install-hook in the repository to protect",
            repo.display()
        )
    })?;
    let hooks_dir = Git::new(PathBuf::from(top)).hooks_dir()?;
    std::fs::create_dir_all(&hooks_dir)
        .with_context(|| format!("cannot create the hooks directory {}", hooks_dir.display()))?;
    let hook = hooks_dir.join("pre-commit");
    let local = hooks_dir.join(LOCAL_HOOK);
    let script = script(exe);

    let outcome = match std::fs::read(&hook) {
        Ok(existing) if contains(&existing, MARKER.as_bytes()) => {
            if existing == script.as_bytes() {
                return Ok((hook, Outcome::Refreshed));
            }
            Outcome::Refreshed
        }
        Ok(_) => {
            if local.exists() {
                bail!(
                    "{} is not a vastleaks hook and {} already exists: refusing to overwrite either; merge them into one file by hand, then run install-hook again",
                    hook.display(),
                    local.display()
                );
            }
            std::fs::rename(&hook, &local).with_context(|| {
                format!(
                    "cannot keep the existing hook: renaming {} to {} failed",
                    hook.display(),
                    local.display()
                )
            })?;
            Outcome::Chained
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Outcome::Installed,
        Err(err) => {
            return Err(err).with_context(|| {
                format!(
                    "cannot read the existing hook {}; check its permissions",
                    hook.display()
                )
            })
        }
    };
    write_executable(&hook, &script)?;
    Ok((hook, outcome))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Writes `text` to `path` and makes it executable where that means
/// something (git on Windows runs hooks through `sh` regardless).
fn write_executable(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text)
        .with_context(|| format!("cannot write the hook {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    Ok(())
}

/// Quotes `text` for `sh` with single quotes.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The hook. LF line endings only: a CR would end up in `sh` words.
pub fn script(exe: Option<&str>) -> String {
    let exe = sh_quote(exe.unwrap_or(""));
    format!(
        r#"#!/bin/sh
# vastleaks pre-commit hook, {MARKER}.
# Blocks a commit that stages a Vast.ai API key (only staged content counts).
# A hook that was here before was kept as {LOCAL_HOOK} and runs first.
# Skip once: git commit --no-verify.
# Uninstall: delete this file (and rename {LOCAL_HOOK} back to pre-commit).
hook_dir=$(dirname "$0")
if [ -x "$hook_dir/{LOCAL_HOOK}" ]; then
    "$hook_dir/{LOCAL_HOOK}" "$@" || exit $?
fi
vastleaks={exe}
if [ -z "$vastleaks" ] || [ ! -x "$vastleaks" ]; then
    if command -v vastleaks >/dev/null 2>&1; then
        vastleaks=vastleaks
    else
        echo "vastleaks: pre-commit hook: the vastleaks binary was not found (not at ${{vastleaks:-its install path}} nor on PATH); install it, or skip this check once with git commit --no-verify" >&2
        exit 1
    fi
fi
exec "$vastleaks" scan --staged
"#,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
    }

    #[test]
    fn script_is_lf_only_and_marked() {
        let text = script(Some("C:/Program Files/vastleaks.exe"));
        assert!(!text.contains('\r'));
        assert!(text.starts_with("#!/bin/sh\n"));
        assert!(text.contains(MARKER));
        assert!(text.contains("vastleaks='C:/Program Files/vastleaks.exe'\n"));
        assert!(text.contains("exec \"$vastleaks\" scan --staged\n"));
    }
}
