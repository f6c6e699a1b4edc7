use std::process::ExitCode;

use clap::Parser;
use vastleaks::cli::Cli;
use vastleaks::commands::{self, Exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            eprintln!("vastleaks: error: {err:#}");
            Exit::Error.into()
        }
    }
}
