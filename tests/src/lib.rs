//! Shared helpers for the end-to-end tests (fixture paths, running the `galeri` binary).

pub mod conformance;
pub mod conformance_admin;
pub mod site;
