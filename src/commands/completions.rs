//! `vastleaks completions SHELL` and `vastleaks man`: shell completion scripts
//! and a roff man page, generated from the clap definitions in `crate::cli`,
//! so they can never disagree with the options the binary accepts. The
//! release workflow runs both to put the files into the release archives.

use std::io::{self, Write};

use clap::CommandFactory;

use super::Exit;
use crate::cli::{Cli, CompletionsArgs};

/// Writes the completion script for the requested shell to standard output.
/// The script is built in memory first: `clap_complete::generate` panics on
/// a write error, and a closed pipe (`| head`) must be an error, not a panic.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<Exit> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "vastleaks", &mut script);
    let mut out = io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(Exit::Clean)
}

/// Writes the man page (section 1, every subcommand included) to standard output.
pub fn man() -> anyhow::Result<Exit> {
    let mut out = io::stdout().lock();
    write_man(&mut out)?;
    out.flush()?;
    Ok(Exit::Clean)
}

/// The main page, then a section per subcommand (nested ones too, such as
/// `ci github`) with its synopsis and options, so `man vastleaks` documents
/// every flag in one page.
fn write_man(out: &mut dyn Write) -> io::Result<()> {
    let command = Cli::command();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    write_subcommands(&command, "vastleaks", out)?;
    man.render_extra_section(out)?;
    man.render_version_section(out)
}

fn write_subcommands(parent: &clap::Command, prefix: &str, out: &mut dyn Write) -> io::Result<()> {
    for sub in parent.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{prefix} {}", sub.get_name());
        writeln!(out, ".SH \"{}\"", name.to_uppercase())?;
        let page = clap_mangen::Man::new(sub.clone().bin_name(name.clone()));
        let mut body = Vec::new();
        page.render_synopsis_section(&mut body)?;
        page.render_description_section(&mut body)?;
        page.render_options_section(&mut body)?;
        // Its SYNOPSIS/DESCRIPTION/OPTIONS become subsections of its section.
        let body = String::from_utf8_lossy(&body).replace(".SH ", ".SS ");
        out.write_all(body.as_bytes())?;
        write_subcommands(sub, &name, out)?;
    }
    Ok(())
}
