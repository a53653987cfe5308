//! A simulated AWS secrets engine: `config/root`, `config/lease`, roles,
//! and access keys (`creds/:role`, `sts/:role`) that live as long as their
//! lease.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::leases::{LeasedSecret, NewLease};
use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{format_go_duration, random_base62};
use super::request::Method;
use super::router::Call;
use super::state::{Engine, State};

/// An access key the simulated AWS account holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsAccessKey {
    /// The access key id, e.g. `AKIA...` (`ASIA...` for STS).
    pub access_key: String,
    /// The role it was issued for.
    pub role: String,
    /// `iam_user`, `assumed_role`, `federation_token` or `session_token`.
    pub credential_type: String,
    /// The mount, e.g. `aws/`.
    pub mount: String,
}

#[derive(Debug, Clone)]
struct Role {
    credential_type: String,
    policy_arns: Vec<String>,
    role_arns: Vec<String>,
    iam_groups: Vec<String>,
    policy_document: String,
    default_sts_ttl: u64,
    max_sts_ttl: u64,
    user_path: String,
}

/// The engine's state.
#[derive(Debug, Default)]
pub(crate) struct Aws {
    root: Option<(String, String)>,
    lease: (u64, u64),
    roles: BTreeMap<String, Role>,
    /// Live keys by access key id, with their secret keys.
    keys: BTreeMap<String, (AwsAccessKey, String)>,
}

impl Aws {
    pub(crate) fn exists(&self, rel: &str) -> Option<bool> {
        let name = rel.strip_prefix("roles/")?;
        Some(self.roles.contains_key(name))
    }

    pub(crate) fn delete_key(&mut self, access_key: &str) {
        self.keys.remove(access_key);
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &AwsAccessKey> {
        self.keys.values().map(|(key, _)| key)
    }

    pub(crate) fn accepts(&self, access_key: &str, secret_key: &str) -> bool {
        self.keys.get(access_key).is_some_and(|(_, secret)| secret == secret_key)
    }
}

fn key_id(prefix: &str) -> String {
    format!("{prefix}{}", random_base62(16).to_uppercase())
}

/// `aws/*`.
pub(crate) fn handle(state: &mut State, call: &Call) -> ApiResult {
    let mount = state.mounts.get_mut(&call.mount).ok_or_else(|| ApiError::no_route(&call.path))?;
    let config = mount.config;
    let Engine::Aws(aws) = &mut mount.engine else { return Err(ApiError::no_route(&call.path)) };
    let rel = call.rel.trim_end_matches('/');
    let (area, name) = rel.split_once('/').unwrap_or((rel, ""));
    let params = &call.params;
    match (area, name, call.method) {
        ("config", "root", Method::Get) => {
            let (access_key, region) = aws.root.clone().ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(json!({
                "access_key": access_key, "region": region, "iam_endpoint": "", "sts_endpoint": "", "max_retries": -1
            })))
        }
        ("config", "root", Method::Post | Method::Put) => {
            let access_key = params.str("access_key").unwrap_or_default();
            let region = params.str("region").unwrap_or_else(|| "us-east-1".into());
            aws.root = Some((access_key, region));
            Ok(Outcome::NoContent)
        }
        ("config", "lease", Method::Get) => {
            let (lease, max) = aws.lease;
            Ok(Outcome::data(json!({
                "lease": format_go_duration(if lease > 0 { lease } else { config.default_ttl() }),
                "lease_max": format_go_duration(if max > 0 { max } else { config.max_ttl() }),
            })))
        }
        ("config", "lease", Method::Post | Method::Put) => {
            let lease = params.duration("lease")?.ok_or_else(|| ApiError::bad_request("lease is required"))?;
            let max = params.duration("lease_max")?.ok_or_else(|| ApiError::bad_request("lease_max is required"))?;
            aws.lease = (lease, max);
            Ok(Outcome::NoContent)
        }
        ("roles", "", Method::List) => Outcome::keys(aws.roles.keys().cloned().collect()),
        ("roles", name, Method::Get) => {
            let r = aws.roles.get(name).ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(json!({
                "credential_type": r.credential_type,
                "policy_arns": r.policy_arns,
                "role_arns": r.role_arns,
                "iam_groups": r.iam_groups,
                "policy_document": r.policy_document,
                "default_sts_ttl": r.default_sts_ttl,
                "max_sts_ttl": r.max_sts_ttl,
                "user_path": r.user_path,
                "permissions_boundary_arn": "",
                "iam_tags": {},
            })))
        }
        ("roles", name, Method::Post | Method::Put) => {
            let credential_type = params.str("credential_type").unwrap_or_else(|| "iam_user".into());
            if !matches!(credential_type.as_str(), "iam_user" | "assumed_role" | "federation_token" | "session_token") {
                return Err(ApiError::bad_request(format!("unrecognized credential type: {credential_type}")));
            }
            let role = Role {
                credential_type,
                policy_arns: params.list("policy_arns")?.unwrap_or_default(),
                role_arns: params.list("role_arns")?.unwrap_or_default(),
                iam_groups: params.list("iam_groups")?.unwrap_or_default(),
                policy_document: params.str("policy_document").unwrap_or_default(),
                default_sts_ttl: params.duration("default_sts_ttl")?.unwrap_or(0),
                max_sts_ttl: params.duration("max_sts_ttl")?.unwrap_or(0),
                user_path: params.str("user_path").unwrap_or_else(|| "/".into()),
            };
            aws.roles.insert(name.to_owned(), role);
            Ok(Outcome::NoContent)
        }
        ("roles", name, Method::Delete) => {
            aws.roles.remove(name);
            Ok(Outcome::NoContent)
        }
        ("creds" | "sts", name, Method::Get | Method::Post | Method::Put) if !name.is_empty() => {
            let role = aws
                .roles
                .get(name)
                .cloned()
                .ok_or_else(|| ApiError::bad_request(format!("Role \"{name}\" not found")))?;
            let sts = role.credential_type != "iam_user";
            if area == "sts" && !sts {
                return Err(ApiError::bad_request(format!(
                    "Can't generate STS credentials for a role that is not of type assumed_role, federation_token or session_token: {name}"
                )));
            }
            let access_key = key_id(if sts { "ASIA" } else { "AKIA" });
            let secret_key = random_base62(40);
            let security_token = sts.then(|| random_base62(120));
            let key = AwsAccessKey {
                access_key: access_key.clone(),
                role: name.to_owned(),
                credential_type: role.credential_type.clone(),
                mount: call.mount.clone(),
            };
            aws.keys.insert(access_key.clone(), (key, secret_key.clone()));
            let (ttl, max_ttl) = if sts {
                let requested = params.duration("ttl")?.unwrap_or(0);
                let default = if role.default_sts_ttl > 0 { role.default_sts_ttl } else { 3600 };
                let max = if role.max_sts_ttl > 0 { role.max_sts_ttl } else { config.max_ttl() };
                let ttl = if requested > 0 { requested } else { default };
                (ttl.min(max), max)
            } else {
                config.ttls_for(aws.lease.0, aws.lease.1)
            };
            let lease_id = state.leases.create(
                NewLease {
                    path: call.path.trim_end_matches('/').to_owned(),
                    mount: call.mount.clone(),
                    owner: call.token_id().map(str::to_owned),
                    ttl,
                    max_ttl,
                    // STS credentials cannot be extended, so Vault does not renew them.
                    renewable: !sts,
                    secret: LeasedSecret::AwsKey { access_key: access_key.clone() },
                },
                call.now,
            );
            let data = json!({
                "access_key": access_key,
                "secret_key": secret_key,
                "security_token": security_token.map(Value::from).unwrap_or(Value::Null),
                "arn": format!("arn:aws:iam::123456789012:user/vault-{name}"),
            });
            Ok(Outcome::Envelope(Envelope { lease_id, lease_duration: ttl, renewable: !sts, ..Envelope::data(data) }))
        }
        ("config" | "roles" | "creds" | "sts", _, _) => Err(ApiError::unsupported_operation()),
        _ => Err(ApiError::no_route(&call.path)),
    }
}
