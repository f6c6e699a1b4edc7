//! The settings every git command gets so that the scanned repository (its
//! `.git/config` and whatever that includes) cannot make git run a command
//! of its choosing, while the runner's own global and system configuration
//! (credential helpers, proxies) keeps working.

use std::path::Path;

use anyhow::{bail, Context};

use super::base_command;

/// Protocols git may use. `file` for local mirrors (and tests), `https` and
/// `ssh` for how CI checkouts are cloned. Everything else is refused: `ext::`
/// and `fd::` run commands, remote helpers (`remote.*.vcs`, `foo::URL`) are
/// programs, and plain `git://`/`http://` are unauthenticated.
pub const ALLOWED_PROTOCOLS: [&str; 3] = ["file", "https", "ssh"];

/// Command-running keys that take one value, and what they fall back to
/// when only the repository set them (git's own default behaviour).
const SINGLE_VALUED: [(&str, &str); 3] = [
    ("core.sshcommand", "ssh"),
    // Empty: git skips it and (with GIT_TERMINAL_PROMPT=0) never prompts.
    ("core.askpass", ""),
    // Empty: git cannot start it and advertises no alternate refs.
    ("core.alternaterefscommand", ""),
];

/// What every command is run with so that the repository cannot make git
/// run a command of its choosing.
#[derive(Debug)]
pub(super) struct Guard {
    /// An empty directory for `core.hooksPath`, removed when the last
    /// [`Git`] handle goes: no hook (the repository's or anyone's) runs.
    _hooks: tempfile::TempDir,
    /// `key=value` pairs passed as `-c key=value`.
    pub(super) config: Vec<String>,
}

impl Guard {
    pub(super) fn new(dir: &Path) -> anyhow::Result<Guard> {
        let hooks = tempfile::Builder::new()
            .prefix("vastleaks-no-hooks-")
            .tempdir()
            .context("cannot create an empty hooks directory in the temporary directory (set TMPDIR to a writable directory)")?;
        // Listing the configuration runs nothing; the hooks and fsmonitor
        // overrides are passed anyway so no git process ever goes without.
        let output = base_command(dir)
            .arg("-c")
            .arg("core.fsmonitor=false")
            .arg("-c")
            .arg(format!("core.hooksPath={}", hooks.path().display()))
            .args(["config", "--list", "--show-scope", "-z"])
            .output()
            .with_context(|| {
                format!(
                    "cannot run `git` in {}: is git installed and on PATH?",
                    dir.display()
                )
            })?;
        // Exit 1 with no output: no configuration at all.
        if !output.status.success() && !output.stderr.is_empty() {
            bail!(
                "`git config --list --show-scope` failed in {} (vastleaks needs git 2.26 or newer): {}",
                dir.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let config = guard_overrides(&output.stdout, hooks.path());
        Ok(Guard {
            _hooks: hooks,
            config,
        })
    }
}

/// Scopes whose settings the runner (not the scanned repository) controls.
fn trusted(scope: &str) -> bool {
    matches!(scope, "system" | "global" | "command")
}

/// The `-c key=value` overrides for a repository whose configuration is
/// `listing` (`git config --list --show-scope -z`: `scope NUL key LF value
/// NUL`, or `scope NUL key NUL` for a key without a value).
///
/// Always: no fsmonitor, hooks only from the empty `hooks` directory, only
/// [`ALLOWED_PROTOCOLS`] (a `protocol.X.allow` anywhere in the config beats
/// the general `protocol.allow`, so each one seen is overridden too).
/// Command-running keys set by the repository (`local`/`worktree` scopes,
/// `include`d files included) are replaced by the runner's value, or git's
/// default; credential helpers are rebuilt from the trusted scopes only (an
/// empty `credential.helper` empties git's list).
pub fn guard_overrides(listing: &[u8], hooks: &Path) -> Vec<String> {
    let mut out = vec![
        "core.fsmonitor=false".to_string(),
        format!("core.hooksPath={}", hooks.display()),
        "protocol.allow=never".to_string(),
    ];
    out.extend(
        ALLOWED_PROTOCOLS
            .iter()
            .map(|p| format!("protocol.{p}.allow=always")),
    );
    let mut refused_protocols: Vec<String> = Vec::new();
    let mut single: Vec<(&str, bool, Option<String>)> = SINGLE_VALUED
        .iter()
        .map(|(key, _)| (*key, false, None))
        .collect();
    let mut untrusted_helper = false;
    let mut trusted_helpers: Vec<String> = Vec::new();

    for entry in listing.split(|&b| b == 0).collect::<Vec<_>>().chunks(2) {
        let [scope, item] = entry else { continue };
        let scope = String::from_utf8_lossy(scope);
        let item = String::from_utf8_lossy(item);
        let (key, value) = match item.split_once('\n') {
            Some((key, value)) => (key.to_string(), value.to_string()),
            None => (item.to_string(), String::new()),
        };
        // Section and variable names are case-insensitive (git lowercases
        // them in the listing); subsections are not.
        let lower = key.to_ascii_lowercase();
        if let Some(name) = lower
            .strip_prefix("protocol.")
            .and_then(|rest| rest.strip_suffix(".allow"))
        {
            if !ALLOWED_PROTOCOLS.contains(&name) && !refused_protocols.iter().any(|p| p == name) {
                refused_protocols.push(name.to_string());
            }
            continue;
        }
        if let Some(slot) = single.iter_mut().find(|(k, _, _)| *k == lower) {
            if trusted(&scope) {
                slot.2 = Some(value);
            } else {
                slot.1 = true;
            }
            continue;
        }
        if lower.starts_with("credential.") && lower.ends_with(".helper") {
            if trusted(&scope) {
                trusted_helpers.push(format!("{key}={value}"));
            } else {
                untrusted_helper = true;
            }
        }
    }
    out.extend(
        refused_protocols
            .iter()
            .map(|p| format!("protocol.{p}.allow=never")),
    );
    for ((key, set_by_repo, runner_value), (_, default)) in single.iter().zip(SINGLE_VALUED) {
        if *set_by_repo {
            out.push(format!(
                "{key}={}",
                runner_value.as_deref().unwrap_or(default)
            ));
        }
    }
    if untrusted_helper {
        out.push("credential.helper=".to_string());
        out.extend(trusted_helpers);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::*;

    fn listing(entries: &[(&str, &str, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (scope, key, value) in entries {
            out.extend_from_slice(format!("{scope}\0{key}\n{value}\0").as_bytes());
        }
        out
    }

    #[test]
    fn repository_commands_are_replaced_by_the_runners_or_defaults() {
        let hooks = Path::new("/tmp/empty");
        let config = guard_overrides(
            &listing(&[
                ("global", "core.sshcommand", "ssh -i /runner/key"),
                ("local", "core.sshcommand", "touch /tmp/pwned"),
                ("local", "core.askpass", "/evil"),
                ("local", "protocol.ext.allow", "always"),
                ("global", "protocol.http.allow", "always"),
                ("local", "core.pager", "less"),
            ]),
            hooks,
        );
        for expected in [
            "core.fsmonitor=false",
            "core.hooksPath=/tmp/empty",
            "protocol.allow=never",
            "protocol.https.allow=always",
            "protocol.ext.allow=never",
            "protocol.http.allow=never",
            "core.sshcommand=ssh -i /runner/key",
            "core.askpass=",
        ] {
            assert!(
                config.iter().any(|c| c == expected),
                "{expected}: {config:?}"
            );
        }
        assert!(!config
            .iter()
            .any(|c| c.contains("pwned") || c.contains("less")));
        // Nothing to override when only the runner sets a key.
        let config = guard_overrides(&listing(&[("system", "core.sshcommand", "ssh -v")]), hooks);
        assert!(!config.iter().any(|c| c.starts_with("core.sshcommand")));
    }

    /// Real git resolves the rebuilt helper list: the runner's helpers run,
    /// the repository's (from its config or an included file) never do.
    #[test]
    fn credential_helpers_come_only_from_the_runner() {
        let dir = tempfile::tempdir().unwrap();
        let marker = |name: &str| dir.path().join(name);
        let helper =
            |name: &str| format!("!f() {{ echo ran >> '{}'; }}; f", marker(name).display());
        let global = dir.path().join("global.cfg");
        std::fs::write(
            &global,
            format!("[credential]\n\thelper = \"{}\"\n", helper("global")),
        )
        .unwrap();
        let repo = dir.path().join("repo");
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .env("GIT_CONFIG_GLOBAL", &global)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_TERMINAL_PROMPT", "0")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(out.status.success(), "{args:?}: {out:?}");
        };
        git(&["init", "-q", repo.to_str().unwrap()]);
        let included = dir.path().join("included.cfg");
        std::fs::write(
            &included,
            format!(
                "[credential \"https://example.com\"]\n\thelper = \"{}\"\n",
                helper("included")
            ),
        )
        .unwrap();
        let repo_arg = repo.to_str().unwrap();
        git(&[
            "-C",
            repo_arg,
            "config",
            "credential.helper",
            &helper("local"),
        ]);
        git(&[
            "-C",
            repo_arg,
            "config",
            "include.path",
            included.to_str().unwrap(),
        ]);

        let listing = Command::new("git")
            .args(["-C", repo_arg, "config", "--list", "--show-scope", "-z"])
            .env("GIT_CONFIG_GLOBAL", &global)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap()
            .stdout;
        let mut fill = Command::new("git");
        fill.args(["-C", repo_arg]);
        for pair in guard_overrides(&listing, dir.path()) {
            fill.arg("-c").arg(pair);
        }
        let mut child = fill
            .args(["credential", "fill"])
            .env("GIT_CONFIG_GLOBAL", &global)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"protocol=https\nhost=example.com\n\n")
            .unwrap();
        child.wait().unwrap();
        assert!(
            marker("global").exists(),
            "the runner's helper must still run"
        );
        assert!(!marker("local").exists(), "the repository's helper ran");
        assert!(!marker("included").exists(), "an included helper ran");
    }
}
