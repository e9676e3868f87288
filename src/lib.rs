//! archlens: look inside container images and say whether each will run on the
//! platform it is deployed to, and if not, which file breaks it and how to fix the build.
//!
//! Data flows one way: reference -> [`source`] -> manifest/index ([`oci`]) -> chosen
//! image -> layer scans ([`scan`], classifying files with [`detect`]) -> merged
//! filesystem and artefacts -> [`verdict`] -> [`report`] or the terminal UI.

// Data from outside (tars, ELF files, JSON, registries) must never panic the core.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod analyze;
pub mod audit;
pub mod cache;
pub mod catalog;
pub mod check;
pub mod config;
pub mod detect;
pub mod diff;
pub mod oci;
pub mod report;
pub mod scan;
pub mod source;
pub mod text;
pub mod ui;
pub mod verdict;
