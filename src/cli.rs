//! Command-line interface: argument definitions only. What each command does
//! lives in `crate::commands`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config_file::parse_size;
use crate::outcome::FailOn;
use crate::report::Format;
use crate::untrusted::Redaction;
use crate::verify::retry::parse_duration;

/// The one exit policy (src/outcome.rs), as every help text states it.
/// Commands that do not scan: they work or fail.
const PLAIN_EXIT_CODES: &str =
    "Exit codes: 2 an error (a usage error, or what could not be done); 0 otherwise.";
/// `rules`: a failed example is like a finding.
const RULES_EXIT_CODES: &str = "Exit codes: 1 `check` found a rule whose examples fail; 2 an error (e.g. a --rules file that does not load); 0 otherwise.";
const EXIT_CODES: &str = "Exit codes: 1 findings (that --fail-on counts); 2 an incomplete scan (part of it could not be read, or every input was skipped; --allow-incomplete accepts it) or an error; 0 otherwise.";

/// `--version` (long form): what a bug report needs to reproduce a build.
const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("VASTLEAKS_COMMIT"),
    "\ntarget: ",
    env!("VASTLEAKS_TARGET"),
    "\nrules: ",
    env!("CARGO_PKG_VERSION"),
    " (built in)"
);

#[derive(Debug, Parser)]
#[command(
    name = "vastleaks",
    version,
    long_version = LONG_VERSION,
    about = "Finds, verifies and revokes leaked Vast.ai API keys in files and git history.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, standard input or git history for Vast API keys.
    #[command(after_help = EXIT_CODES)]
    Scan(ScanArgs),
    /// List or check the detection rules.
    #[command(after_help = RULES_EXIT_CODES)]
    Rules(RulesArgs),
    /// Install a git pre-commit hook that scans the staged content of each commit.
    #[command(after_help = PLAIN_EXIT_CODES)]
    InstallHook(InstallHookArgs),
    /// Run as a CI step: decide from the CI's environment what to scan, scan it, report for the CI.
    #[command(after_help = EXIT_CODES)]
    Ci(CiArgs),
    /// Scan, verify, and revoke the keys that are live (dry run unless --yes).
    #[command(
        after_help = "Exit codes: 1 a live key was not revoked; 2 an incomplete scan or an error; 0 otherwise."
    )]
    Revoke(RevokeArgs),
    /// Print a shell completion script: bash, zsh, fish, powershell or elvish.
    #[command(after_help = PLAIN_EXIT_CODES)]
    Completions(CompletionsArgs),
    /// Print the man page (roff), every subcommand included.
    #[command(after_help = PLAIN_EXIT_CODES)]
    Man,
}

/// Everything that decides what is scanned and how it is reported. Shared by
/// every command that scans.
#[derive(Debug, Clone, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Also scan files excluded by .gitignore, .ignore and git's exclude files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Follow symbolic links (by default they are not followed; broken ones are reported).
    #[arg(long, short = 'L')]
    pub follow: bool,

    /// Worker threads; 0 (the default) uses every core.
    #[arg(
        long,
        short = 'j',
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub jobs: usize,

    /// Skip (and report) files larger than this: 500K, 100M, 1G, 10MiB (powers of 2) or 10kB, 10MB, 10k (powers of 10). Default: the project configuration's max-file-size, else 100M.
    // No clap default: a value given here must win over the configuration's,
    // so "not given" has to be visible. Read it through `ScanArgs::max_file_size()`.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,

    /// Exit 0 even when part of the scan could not be read or every input was
    /// skipped (by default such a scan exits 2: it cannot vouch for what it
    /// did not read).
    #[arg(long)]
    pub allow_incomplete: bool,

    /// Extra rule file (TOML); rules with an existing id replace the built-in one. Repeatable.
    #[arg(long = "rules", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,

    /// Suppress every key found in this earlier JSON report.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Do not honour `vastleaks:allow` / `gitleaks:allow` markers: a pull
    /// request can add a marker next to its own key (the finding is shown as
    /// suppressed either way; with this option it counts).
    #[arg(long)]
    pub no_inline_allow: bool,

    /// Which suppressions count in a range scan: `all` (default; those the
    /// range adds are listed for review), or `base-only`: only the ignore
    /// file and baseline as they are at the range's base, and no inline
    /// markers (they sit in the change under review).
    #[arg(long, value_enum, value_name = "WHICH", default_value_t = SuppressionSources::All)]
    pub suppressions: SuppressionSources,

    /// Ignore file to use instead of `.vastleaksignore` at each scan root.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,

    /// Project configuration file to use instead of `.vastleaks.toml` at the
    /// scan root (the work-tree root in git modes).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,

    /// Do not read `.vastleaks.toml`.
    #[arg(long)]
    pub no_config: bool,

    /// Scan git history instead of files: every object in the repository
    /// (PATH is the repository, default `.`). With `--since-commit` or a
    /// `BASE..HEAD` argument, only what those commits introduced.
    #[arg(long, conflicts_with = "staged")]
    pub git: bool,

    /// Scan the staged content (index entries that differ from HEAD), as a
    /// pre-commit hook. The default when PRE_COMMIT=1 and no mode is given
    /// (then `pre-commit run --from-ref A --to-ref B` scans the range A..B).
    #[arg(long)]
    pub staged: bool,

    /// Scan the PATHs as files even under PRE_COMMIT=1 (for a hook that
    /// checks the files pre-commit passes, as `pre-commit run --all-files` and
    /// CI do).
    #[arg(long, conflicts_with_all = ["staged", "git", "since_commit"])]
    pub files: bool,

    /// Scan only what commits after BASE introduced (BASE..--branch); implies --git.
    #[arg(long, value_name = "BASE", conflicts_with = "staged")]
    pub since_commit: Option<String>,

    /// The tip of the range for --since-commit (default HEAD).
    #[arg(long, value_name = "REV", requires = "since_commit")]
    pub branch: Option<String>,

    /// Progress bar on standard error: `auto` shows it on a terminal only.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ProgressWhen::Auto)]
    pub progress: ProgressWhen,

    #[command(flatten)]
    pub verify: VerifyArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

/// Checking keys against the Vast API.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Verification")]
pub struct VerifyArgs {
    /// Check each distinct key once against the Vast API (read-only: GET /api/v0/users/current/).
    #[arg(long)]
    pub verify: bool,

    /// Keys checked in parallel.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub verify_jobs: usize,

    /// Total time per API request: connect, headers and body (e.g. 10, 10s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_duration)]
    pub verify_timeout: Duration,

    /// Time for the whole verification, retries and waits included (e.g. 5m, 90s); keys not checked by then are `unknown (deadline)`.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub verify_deadline: Duration,

    /// Retries after a 429, 5xx, timeout or network error, before reporting `unknown`.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub verify_retries: u32,

    /// First backoff between retries when the API gives no Retry-After; doubles each retry.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration, hide = true)]
    pub verify_backoff: Duration,

    /// Vast API base URL (https; http only to loopback, for tests).
    // hide_env_values: --help must not print whatever VAST_URL holds.
    #[arg(long, value_name = "URL", env = "VAST_URL", hide_env_values = true, default_value = None)]
    pub api_url: Option<String>,

    /// Which findings make the exit code 1: any, live (verified live), unknown (live or not confirmed revoked), never. Default: the project configuration's fail-on, else any.
    // No clap default, as for --max-file-size: read it through `ScanArgs::fail_on()`.
    #[arg(long, value_enum, value_name = "WHICH")]
    pub fail_on: Option<FailOn>,

    /// Report only keys verified live (needs --verify).
    #[arg(long, requires = "verify")]
    pub only_live: bool,
}

/// `vastleaks revoke`.
#[derive(Debug, Clone, Args)]
#[command(
    mut_arg("paths", |arg| arg.help(
        "Files or directories to scan (`-` is not accepted: give keys on standard input with --stdin)"
    )),
    // Refused (scan-only) or meaningless here: revoke always verifies and acts
    // only on live keys. Hidden so that help offers only what works.
    mut_arg("fail_on", |arg| arg.hide(true)),
    mut_arg("only_live", |arg| arg.hide(true)),
    mut_arg("verify", |arg| arg.hide(true))
)]
pub struct RevokeArgs {
    /// Read keys from standard input, one per line, instead of scanning (never pass keys as arguments).
    #[arg(long, conflicts_with = "paths")]
    pub stdin: bool,

    /// Revoke without asking. Without it: a dry run, or a question per key on a terminal.
    #[arg(long, short = 'y', conflicts_with = "dry_run")]
    pub yes: bool,

    /// Only print the plan, even on a terminal.
    #[arg(long)]
    pub dry_run: bool,

    /// Only these keys (fingerprints as printed by `scan`). Repeatable.
    #[arg(long = "fingerprint", value_name = "FP")]
    pub fingerprints: Vec<String>,

    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SuppressionSources {
    All,
    BaseOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressWhen {
    Auto,
    Always,
    Never,
}

/// How results are shown.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Write the report to FILE instead of standard output (`-` = standard output).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print full keys instead of the redacted form (first 4 + last 4).
    #[arg(long)]
    pub show_secrets: bool,

    /// How much of a key any output shows: `partial` (first 4 + last 4,
    /// `3839...b7ad`) or `full` (no key characters: `[redacted]`, for logs
    /// shared outside the team; the fingerprint still identifies the key).
    #[arg(
        long,
        value_enum,
        value_name = "LEVEL",
        default_value_t = Redaction::Partial,
        conflicts_with = "show_secrets"
    )]
    pub redact: Redaction,

    /// When to colour human output (NO_COLOR is honoured with `auto`).
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// Print nothing on standard error but errors.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// The pre-commit hook id this runs as, for the `SKIP=ID` advice when a
    /// commit is blocked (pre-commit does not tell a hook its id; each hook's
    /// `entry` passes it).
    #[arg(long, value_name = "ID", hide = true)]
    pub hook_id: Option<String>,
}

impl OutputArgs {
    /// The one redaction decision every output follows.
    pub fn redaction(&self) -> Redaction {
        if self.show_secrets {
            Redaction::None
        } else {
            self.redact
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: RulesAction,

    /// Extra rule file (TOML), as for `scan --rules`. Repeatable.
    #[arg(long = "rules", value_name = "FILE", global = true)]
    pub rule_files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum RulesAction {
    /// Print every rule with its id, confidence and description.
    #[command(after_help = RULES_EXIT_CODES)]
    List,
    /// Compile every rule and check all examples and negative examples.
    #[command(after_help = RULES_EXIT_CODES)]
    Check,
}

#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// The repository to protect (any directory inside its working tree).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
}

#[derive(Debug, Args)]
pub struct CiArgs {
    #[command(subcommand)]
    pub provider: CiProvider,
}

#[derive(Debug, Subcommand)]
pub enum CiProvider {
    /// GitHub Actions: reads GITHUB_EVENT_NAME/GITHUB_EVENT_PATH, scans the pushed or
    /// pull-request commits (or all history on schedule/workflow_dispatch), writes
    /// annotations, the job summary, a SARIF file and step outputs.
    #[command(after_help = EXIT_CODES)]
    Github(CiGithubArgs),
}

/// `vastleaks ci github`. The positional PATH is the repository; every other
/// scan option (`--rules`, `--baseline`, `--ignore-file`, `--verify`,
/// `--fail-on`, ...) applies as in `scan`.
#[derive(Debug, Clone, Args)]
#[command(
    mut_arg("format", |arg| arg.default_value("github")),
    mut_arg("paths", |arg| arg.help("The repository to scan (where actions/checkout put it)")),
    // The event decides what is scanned, and keys are never shown in CI: these
    // are refused (or, `--git`, implied), so help does not offer them.
    mut_arg("show_secrets", |arg| arg.hide(true)),
    mut_arg("staged", |arg| arg.hide(true)),
    mut_arg("files", |arg| arg.hide(true)),
    mut_arg("since_commit", |arg| arg.hide(true)),
    mut_arg("branch", |arg| arg.hide(true)),
    mut_arg("git", |arg| arg.hide(true))
)]
pub struct CiGithubArgs {
    /// auto: the event's commits (full history on schedule/workflow_dispatch); full: all
    /// history; range: the event's commits, an error for events without any.
    #[arg(long, value_enum, default_value_t = CiMode::Auto)]
    pub mode: CiMode,

    /// Where to write the SARIF report (default: $RUNNER_TEMP/vastleaks.sarif).
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,

    /// Print what the event calls for (the commits to scan) and stop: no scan and no report
    /// files (missing history may still be fetched).
    #[arg(long)]
    pub dry_run: bool,

    /// The git remote to fetch missing history from.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,

    /// The triggering event (set by GitHub Actions).
    #[arg(long, env = "GITHUB_EVENT_NAME", value_name = "NAME")]
    pub event_name: Option<String>,

    /// The event payload, JSON (set by GitHub Actions).
    #[arg(long, env = "GITHUB_EVENT_PATH", value_name = "FILE")]
    pub event_path: Option<PathBuf>,

    /// Markdown job summary to append to (set by GitHub Actions).
    #[arg(long, env = "GITHUB_STEP_SUMMARY", value_name = "FILE")]
    pub step_summary: Option<PathBuf>,

    /// Step outputs file to append to (set by GitHub Actions).
    #[arg(long, env = "GITHUB_OUTPUT", value_name = "FILE")]
    pub github_output: Option<PathBuf>,

    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CiMode {
    Auto,
    Full,
    Range,
}

/// `vastleaks completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
