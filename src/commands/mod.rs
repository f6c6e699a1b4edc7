//! One module per subcommand. Each turns parsed arguments into work on the
//! library and returns an [`Exit`].

pub mod ci;
pub mod completions;
pub mod install_hook;
pub mod revoke;
pub mod rules;
pub mod scan;

use std::process::ExitCode;

use crate::cli::{Cli, Command};

/// The exit codes users and CI rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Nothing found.
    Clean = 0,
    /// Findings (or failed rule checks).
    Findings = 1,
    /// The command could not do its job: usage, unreadable input, bad configuration.
    Error = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::InstallHook(args) => install_hook::run(&args),
        Command::Ci(args) => ci::run(&args),
        Command::Revoke(args) => revoke::run(&args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man => completions::man(),
    }
}
