//! One module per subcommand. Each turns parsed arguments into work on the
//! library and returns an [`Exit`].

pub mod ci;
pub mod completions;
pub mod install_hook;
pub mod revoke;
pub mod rules;
pub mod scan;

use crate::cli::{Cli, Command};

pub use crate::outcome::Exit;

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
