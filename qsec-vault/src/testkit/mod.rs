//! An in-memory Vault for tests and local work (feature `testkit`).
//!
//! [`MemoryVault`] keeps Vault's documented semantics in memory: tokens,
//! policies, AppRole, Kubernetes auth, kv v1/v2, response wrapping, leases,
//! simulated database and AWS engines, and a PKI issuing real certificates.
//! [`DevServer`] serves it over HTTP in Vault's wire format on loopback.

pub mod acl;
pub mod dev_server;
pub mod k8s_jwt;
pub mod memory;
pub mod pki;

pub use dev_server::DevServer;
pub use memory::MemoryVault;
