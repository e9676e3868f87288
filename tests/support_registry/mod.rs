//! Test helpers for the registry and ECR tests: real services started on loopback ports
//! (Debian's docker-registry, moto_server), OCI layouts built from scratch, and a small
//! fault-injecting HTTP proxy that sits in front of the real registry. One file per part;
//! everything is re-exported here, so `support_registry::X` names any of it.
// Each test binary uses some of these helpers, never all.
#![allow(dead_code, unused_imports)]

pub mod fleet;
mod layout;
mod moto;
mod proxy;
mod registry;
mod services;

pub use layout::*;
pub use moto::*;
pub use proxy::*;
pub use registry::*;
pub use services::*;
