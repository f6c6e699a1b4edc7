//! Inputs: everything that hands bytes to the scanner.
//!
//! Each source walks its input, calls [`crate::scan::Collector::scan`] for every
//! blob, and records what it could not read as a [`crate::scan::Problem`]
//! instead of stopping.

pub mod files;
pub mod git;
pub mod staged;
pub mod stdin;
