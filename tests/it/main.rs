//! The integration tests, as one test binary (one link instead of one per
//! file). Every run of vastleaks and of git goes through the builders in
//! [`common`], which clear the environment variables that change behaviour.

mod common;
mod fake_vast;
mod release_server;

mod action_yml;
mod builder;
mod ci_github;
mod completions;
mod dist_files;
mod git_history;
mod git_ranges;
mod hostile;
mod install_hook;
mod install_script;
mod json_schema;
mod package_archive;
mod pre_commit_framework;
mod project_config;
mod properties;
mod real_world;
mod redact;
mod revoke;
mod sarif_schema;
mod scan_cli;
mod streams;
mod verify_api;
mod wheel;
