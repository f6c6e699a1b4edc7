//! CI integrations. Each provider turns its environment (event payloads,
//! variables) into a [`plan::Plan`] (what to scan), runs the scan and writes
//! results where that CI shows them. All the logic lives in the binary so the
//! CI configuration (e.g. `action.yml`) stays a thin wrapper.

pub mod backfill;
pub mod event;
pub mod github;
pub mod plan;
