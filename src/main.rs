use std::process::ExitCode;

use clap::Parser;
use vastleaks::cli::Cli;
use vastleaks::commands::{self, Exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            // Errors quote paths, refs and git's own messages: untrusted text.
            eprintln!(
                "vastleaks: error: {}",
                vastleaks::untrusted::line(&format!("{err:#}"))
            );
            Exit::Error.into()
        }
    }
}
