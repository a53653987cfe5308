//! `GET path?help=1`: an endpoint's help, as the API overview documents it
//! (a markdown `help` text and a small OpenAPI document, at the top level).
//! The texts are short summaries: nobody parses them, but a caller asking
//! for help gets Vault's shape rather than the operation's answer.

use serde_json::json;

use super::request::VaultReply;

/// The system backend.
pub(crate) const SYSTEM: &str = "The system backend is built-in to OpenBao and cannot be remounted or unmounted. It \
                                 contains the paths that are used to configure OpenBao itself as well as perform core \
                                 operations.";
/// The token auth method.
pub(crate) const TOKEN: &str = "The token credential backend is always enabled and builtin to OpenBao. Client tokens \
                                are used to identify a client and to allow OpenBao to associate policies and ACLs \
                                which are enforced on every request.";
/// The AppRole auth method.
pub(crate) const APPROLE: &str = "Any registered Role can authenticate itself with OpenBao. The credentials that are \
                                  required depend on the constraints that are set on the Role: RoleID, and SecretID \
                                  unless bind_secret_id is false.";
/// The Kubernetes auth method.
pub(crate) const KUBERNETES: &str = "The Kubernetes Auth Backend allows authentication for Kubernetes service \
                                     accounts.";
/// kv v1.
pub(crate) const KV_V1: &str = "The kv backend reads and writes arbitrary secrets to the backend. The secrets are \
                                encrypted/decrypted by OpenBao: they are never stored unencrypted in the backend.";
/// kv v2.
pub(crate) const KV_V2: &str = "This backend provides a versioned key-value store. The kv backend reads and writes \
                                arbitrary secrets to the storage backend. Each key can have a configured number of \
                                versions, and versions can be retrieved based on their version numbers.";
/// The database engine.
pub(crate) const DATABASE: &str = "The database backend supports using many different databases as secret backends, \
                                   including but not limited to: cassandra, mssql, mysql, postgres.";
/// The AWS engine.
pub(crate) const AWS: &str = "The AWS backend dynamically generates AWS access keys for a set of IAM policies.";
/// The PKI engine.
pub(crate) const PKI: &str = "The PKI backend dynamically generates X509 server and client certificates.";
/// The cubbyhole.
pub(crate) const CUBBYHOLE: &str = "The cubbyhole backend reads and writes arbitrary secrets to the backend. The \
                                    secrets are scoped to the token that wrote them.";
/// A mounted engine or method this Vault does not simulate.
pub(crate) const INERT: &str = "This engine is mounted, but the qsec in-memory Vault serves none of its paths.";

/// The help answer for `path`, described by `description`.
pub(crate) fn reply(description: &str, path: &str) -> VaultReply {
    let help = format!("## DESCRIPTION\n\n{description}\n\n## PATHS\n\nThe following paths are supported: {path}");
    VaultReply::json(
        200,
        json!({
            "help": help,
            "openapi": {
                "openapi": "3.0.2",
                "info": {
                    "title": "OpenBao API",
                    "description": "HTTP API that gives you full access to OpenBao. All API routes are prefixed \
                                    with `/v1/`.",
                    "version": "1.0.0",
                    "license": { "name": "Mozilla Public License 2.0", "url": "https://www.mozilla.org/en-US/MPL/2.0" }
                },
                "paths": {}
            }
        }),
    )
}
