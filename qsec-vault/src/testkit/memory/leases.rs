//! Leases on dynamic secrets, and the `sys/leases/*` endpoints.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde_json::{Value, json};

use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{after, format_go_duration, random_base62, rfc3339, secs_until};
use super::request::Method;
use super::router::Call;
use super::state::State;

/// What a lease keeps alive, so revoking it can kill it in its engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LeasedSecret {
    DatabaseUser { username: String },
    AwsKey { access_key: String },
    Certificate { serial: String },
}

/// One lease.
#[derive(Debug, Clone)]
pub(crate) struct Lease {
    pub(crate) id: String,
    /// The API path that issued it, e.g. `database/creds/app`.
    pub(crate) path: String,
    /// The secrets engine's mount key, e.g. `database/`.
    pub(crate) mount: String,
    /// The token that created it: revoking that token revokes the lease.
    pub(crate) owner: Option<String>,
    pub(crate) issued: SystemTime,
    pub(crate) expire: SystemTime,
    pub(crate) last_renewal: Option<SystemTime>,
    pub(crate) renewable: bool,
    /// What a renewal without an increment grants.
    pub(crate) default_ttl: u64,
    /// The latest it may be renewed until.
    pub(crate) max_deadline: SystemTime,
    pub(crate) secret: LeasedSecret,
}

/// What to create a lease with.
#[derive(Debug, Clone)]
pub(crate) struct NewLease {
    pub(crate) path: String,
    pub(crate) mount: String,
    pub(crate) owner: Option<String>,
    pub(crate) ttl: u64,
    pub(crate) max_ttl: u64,
    pub(crate) renewable: bool,
    pub(crate) secret: LeasedSecret,
}

/// Every lease, by id.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    by_id: BTreeMap<String, Lease>,
}

impl Leases {
    /// Creates a lease; answers its id.
    pub(crate) fn create(&mut self, new: NewLease, now: SystemTime) -> String {
        let id = format!("{}/{}", new.path.trim_end_matches('/'), random_base62(24));
        let ttl = new.ttl.min(new.max_ttl);
        self.by_id.insert(
            id.clone(),
            Lease {
                id: id.clone(),
                path: new.path,
                mount: new.mount,
                owner: new.owner,
                issued: now,
                expire: after(now, ttl),
                last_renewal: None,
                renewable: new.renewable,
                default_ttl: ttl,
                max_deadline: after(now, new.max_ttl),
                secret: new.secret,
            },
        );
        id
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Lease> {
        self.by_id.get(id)
    }

    pub(crate) fn remove(&mut self, id: &str) -> Option<Lease> {
        self.by_id.remove(id)
    }

    pub(crate) fn expired(&self, now: SystemTime) -> Vec<String> {
        self.by_id.values().filter(|l| l.expire <= now).map(|l| l.id.clone()).collect()
    }

    pub(crate) fn owned_by(&self, token: &str) -> Vec<String> {
        self.by_id.values().filter(|l| l.owner.as_deref() == Some(token)).map(|l| l.id.clone()).collect()
    }

    pub(crate) fn with_prefix(&self, prefix: &str) -> Vec<String> {
        self.by_id.keys().filter(|id| id.starts_with(prefix)).cloned().collect()
    }

    /// Renews a lease by `increment` (or its default) within its max TTL;
    /// answers the new TTL and warnings.
    fn renew(&mut self, id: &str, increment: Option<u64>, now: SystemTime) -> ApiResult<(u64, Vec<String>)> {
        let lease = self.by_id.get_mut(id).ok_or_else(|| ApiError::bad_request("lease not found"))?;
        if !lease.renewable {
            return Err(ApiError::bad_request("lease is not renewable"));
        }
        let wanted = increment.filter(|i| *i > 0).unwrap_or(lease.default_ttl);
        let room = secs_until(now, lease.max_deadline);
        let mut warnings = Vec::new();
        if wanted > room {
            warnings.push(format!(
                "TTL of \"{}\" exceeded the effective max_ttl of \"{}\"; TTL value is capped accordingly",
                format_go_duration(wanted),
                format_go_duration(room)
            ));
        }
        let ttl = wanted.min(room);
        lease.expire = after(now, ttl);
        lease.last_renewal = Some(now);
        Ok((ttl, warnings))
    }
}

/// The lease id of a `sys/leases/*` call: the body's, else the path's.
fn lease_id(call: &Call, suffix: &str) -> ApiResult<String> {
    call.params
        .str("lease_id")
        .filter(|id| !id.is_empty())
        .or_else(|| (!suffix.is_empty()).then(|| suffix.to_owned()))
        .ok_or_else(|| ApiError::bad_request("missing lease ID"))
}

/// `sys/leases/*` (and the legacy `sys/renew`, `sys/revoke*`); `rest` is
/// the path after `sys/`. Tokens' leases (see `Token::lease_id`) are
/// looked up, listed and revoked here as Vault does; renewing one is
/// `auth/token/renew`'s job.
pub(crate) fn handle(state: &mut State, call: &Call, rest: &str) -> ApiResult {
    if rest.trim_end_matches('/') == "leases" {
        call.expect(&[Method::Get])?;
        return irrevocable(call, json!({ "lease_count": 0, "leases": [] }));
    }
    let rest = rest.strip_prefix("leases/").unwrap_or(rest);
    let (op, suffix) = rest.split_once('/').unwrap_or((rest, ""));
    match (op, call.method.is_write(), call.method) {
        ("count", false, Method::Get) if suffix.is_empty() => {
            irrevocable(call, json!({ "lease_count": 0, "counts": {} }))
        }
        ("lookup", true, _) => lookup(state, call, suffix),
        ("lookup", false, Method::List) => list(state, suffix),
        ("renew", true, _) => {
            let id = lease_id(call, suffix)?;
            if state.tokens.by_lease(&id).is_some() {
                return Err(ApiError::bad_request("tokens cannot be renewed through this endpoint"));
            }
            let increment = call.params.duration("increment")?;
            let (ttl, warnings) = state.leases.renew(&id, increment, call.now)?;
            let renewable = state.leases.get(&id).is_some_and(|l| l.renewable);
            Ok(Outcome::Envelope(
                Envelope { lease_id: id, lease_duration: ttl, renewable, status: 200, ..Envelope::default() }
                    .with_warnings(warnings),
            ))
        }
        ("revoke", true, _) => {
            let id = lease_id(call, suffix)?;
            if let Some(token) = state.tokens.by_lease(&id).map(|t| t.id.clone()) {
                state.revoke_token(&token, true);
            }
            state.revoke_lease(&id);
            Ok(Outcome::NoContent)
        }
        ("revoke-prefix" | "revoke-force", true, _) => {
            if suffix.is_empty() {
                return Err(ApiError::bad_request("missing prefix"));
            }
            state.revoke_prefix(suffix);
            Ok(Outcome::NoContent)
        }
        // Vault answers 202 Accepted (the tidy runs in the background); the docs
        // show the body as a plain answer, and 200 is what clients expect.
        ("tidy", true, _) => Ok(Outcome::Envelope(Envelope { status: 200, ..Envelope::default() }.with_warning(
            "Tidy operation successfully started. Any information from the operation will be printed to OpenBao's \
             server logs.",
        ))),
        ("lookup" | "renew" | "revoke" | "revoke-prefix" | "revoke-force" | "tidy" | "count", _, _) => {
            Err(ApiError::unsupported_operation())
        }
        _ => Err(ApiError::no_route(&call.path)),
    }
}

/// `sys/leases` and `sys/leases/count`: only `type=irrevocable` is
/// supported, and this Vault never fails a revocation, so there are none.
/// Without that type Vault answers nothing (204).
fn irrevocable(call: &Call, empty: Value) -> ApiResult {
    if call.params.str("type").is_some_and(|t| t.eq_ignore_ascii_case("irrevocable")) {
        Ok(Outcome::data(empty))
    } else {
        Ok(Outcome::NoContent)
    }
}

fn lookup(state: &State, call: &Call, suffix: &str) -> ApiResult {
    let id = lease_id(call, suffix)?;
    if let Some(token) = state.tokens.by_lease(&id) {
        return Ok(Outcome::data(json!({
            "id": id,
            "issue_time": rfc3339(token.creation),
            "expire_time": token.expire.map(rfc3339),
            "last_renewal": token.last_renewal.map(rfc3339),
            "renewable": token.renewable,
            "ttl": token.ttl(call.now),
            "path": token.path,
        })));
    }
    let lease = state.leases.get(&id).ok_or_else(|| ApiError::bad_request("invalid lease"))?;
    Ok(Outcome::data(json!({
        "id": lease.id,
        "issue_time": rfc3339(lease.issued),
        "expire_time": rfc3339(lease.expire),
        "last_renewal": lease.last_renewal.map(rfc3339),
        "renewable": lease.renewable,
        "ttl": secs_until(call.now, lease.expire),
        "path": lease.path,
    })))
}

/// `LIST sys/leases/lookup/:prefix`: the next path segment of every lease
/// under the prefix, folders with a trailing `/`.
fn list(state: &State, prefix: &str) -> ApiResult {
    let prefix = if prefix.is_empty() || prefix.ends_with('/') { prefix.to_owned() } else { format!("{prefix}/") };
    let mut ids = state.leases.with_prefix(&prefix);
    ids.extend(state.tokens.lease_ids_with_prefix(&prefix));
    let keys = ids
        .into_iter()
        .map(|id| {
            let rest = &id[prefix.len()..];
            match rest.split_once('/') {
                Some((folder, _)) => format!("{folder}/"),
                None => rest.to_owned(),
            }
        })
        .collect();
    Outcome::keys(keys)
}
