//! `vastleaks ci <provider>`.

use super::Exit;
use crate::cli::{CiArgs, CiProvider};

pub fn run(args: &CiArgs) -> anyhow::Result<Exit> {
    match &args.provider {
        CiProvider::Github(args) => crate::ci::github::run(args),
    }
}
