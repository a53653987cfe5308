//! The real `qsec-init` binary against a dev Vault on loopback: the
//! delivery protocol, the config and lease volumes, Kubernetes auth, and
//! every way it fails.

#[path = "init_process/approle.rs"]
mod approle;
#[path = "init_process/kubernetes.rs"]
mod kubernetes;
#[path = "init_process/lifecycle.rs"]
mod lifecycle;
#[path = "init_process/refusals.rs"]
mod refusals;
#[path = "init_process/support.rs"]
mod support;
