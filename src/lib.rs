//! vastleaks: finds, verifies and revokes leaked Vast.ai API keys.
//!
//! Data flows one way: sources (files, stdin, git objects, staged blobs) hand
//! bytes to the [`matcher`], which yields [`finding`]s; suppressions filter
//! them; later stages may verify or revoke; [`report`] renders the result.
//! [`pipeline::run`] is where a scan happens; commands build its plan from
//! their arguments ([`resolve`]) and write its report ([`output`]).

pub mod ci;
pub mod cli;
pub mod commands;
pub mod config_file;
pub mod finding;
pub mod gitcli;
pub mod key;
mod layers;
pub mod matcher;
pub mod outcome;
pub mod output;
pub mod pipeline;
pub mod project_config;
pub mod report;
pub mod report_file;
pub mod resolve;
pub mod revoke;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod untrusted;
pub mod vast_api;
pub mod verify;
pub mod wording;

/// `build.rs`'s reading of the git directory, unit-tested with the library.
#[cfg(test)]
#[path = "../build/git_head.rs"]
mod git_head;
