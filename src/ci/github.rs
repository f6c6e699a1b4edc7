//! GitHub Actions.

use crate::cli::CiGithubArgs;
use crate::commands::Exit;

pub fn run(_args: &CiGithubArgs) -> anyhow::Result<Exit> {
    anyhow::bail!("not yet")
}
