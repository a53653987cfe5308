//! The request pipeline: find the endpoint, authenticate the token, check
//! the ACL (create vs update by existence, sudo on root-protected paths),
//! count the token's use, run the endpoint, wrap the response if asked.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime};

use qsec_core::Capability;
use serde_json::{Map, Value, json};

use super::faults::Faults;
use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{Params, parse_duration, uuid};
use super::request::{Method, VaultReply, VaultRequest};
use super::state::{AuthEngine, Engine, State};
use super::tokens::Token;
use super::{approle, aws, database, help, kubernetes, kv, kv_v2, pki, sys, token_api};
use crate::testkit::acl::{Acl, AclRequest};

/// The authenticated caller of a request.
pub(crate) struct Caller {
    /// The token as it was when the request arrived.
    pub(crate) token: Token,
    pub(crate) acl: Acl,
}

impl Caller {
    /// Whether the caller holds `sudo` on `path` (root tokens always do).
    pub(crate) fn has_sudo(&self, path: &str) -> bool {
        self.token.is_root() || self.acl.allows(path, Capability::Sudo)
    }
}

/// One request as the endpoints see it.
pub(crate) struct Call {
    pub(crate) method: Method,
    /// The whole API path, e.g. `secret/data/app`.
    pub(crate) path: String,
    /// The mount the path lies in, e.g. `secret/` or `approle/`; empty for `sys/`.
    pub(crate) mount: String,
    /// The path inside the mount.
    pub(crate) rel: String,
    pub(crate) params: Params,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) now: SystemTime,
    pub(crate) client_ip: IpAddr,
    pub(crate) caller: Option<Caller>,
    /// The client token when it is a wrapping token (unwrap, rewrap).
    pub(crate) wrapping_token: Option<String>,
    /// The client token as sent, checked or not (a wrapping token may look
    /// itself up). Never logged.
    pub(crate) client_token: Option<String>,
    pub(crate) faults: Faults,
}

impl Call {
    /// The caller's token id; endpoints behind authentication always have one.
    pub(crate) fn token_id(&self) -> Option<&str> {
        self.caller.as_ref().map(|c| c.token.id.as_str())
    }

    /// 405 unless the method is one of `allowed`.
    pub(crate) fn expect(&self, allowed: &[Method]) -> ApiResult<()> {
        let method = if self.method == Method::Put { Method::Post } else { self.method };
        if allowed.contains(&method) { Ok(()) } else { Err(ApiError::unsupported_operation()) }
    }
}

/// Where a path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Sys(String),
    Auth { mount: String, rel: String },
    Secret { mount: String, rel: String },
    Nowhere,
}

fn target_of(state: &State, path: &str) -> Target {
    if let Some(rest) = path.strip_prefix("sys/") {
        return Target::Sys(rest.to_owned());
    }
    if path == "sys" {
        return Target::Sys(String::new());
    }
    if let Some(rest) = path.strip_prefix("auth/") {
        return match state.auth_mount_of(rest) {
            Some((mount, rel)) => Target::Auth { mount, rel },
            None => Target::Nowhere,
        };
    }
    match state.secret_mount_of(path) {
        Some((mount, rel)) => Target::Secret { mount, rel },
        None => Target::Nowhere,
    }
}

/// Endpoints reachable without a token.
fn is_unauthenticated(state: &State, target: &Target, method: Method) -> bool {
    match target {
        Target::Sys(rest) => {
            matches!(rest.as_str(), "health" | "seal-status" | "unseal" | "init" | "wrapping/lookup" | "leader")
        }
        Target::Auth { mount, rel } => {
            rel.trim_end_matches('/') == "login"
                && !matches!(state.auth_mounts.get(mount).map(|m| &m.engine), Some(AuthEngine::Token))
        }
        Target::Secret { mount, rel } => {
            matches!(state.mounts.get(mount).map(|m| &m.engine), Some(Engine::Pki(_)))
                && pki::is_unauthenticated(rel, method)
        }
        Target::Nowhere => false,
    }
}

/// Root-protected paths: they need `sudo` besides the operation's capability.
fn needs_sudo(state: &State, target: &Target, method: Method) -> bool {
    match target {
        Target::Sys(rest) => {
            rest.starts_with("auth/")
                || rest == "seal"
                || rest == "step-down"
                || rest.starts_with("leases/revoke-prefix/")
                || rest.starts_with("leases/revoke-force/")
                || rest.starts_with("revoke-prefix/")
                || rest.starts_with("revoke-force/")
                || (rest.starts_with("leases/lookup/") && method == Method::List)
                || rest.starts_with("audit")
                || rest.starts_with("raw")
                || rest == "rotate"
        }
        Target::Auth { mount, rel } => {
            matches!(state.auth_mounts.get(mount).map(|m| &m.engine), Some(AuthEngine::Token))
                && rel.starts_with("accessors")
        }
        Target::Secret { mount, rel } => {
            rel == "root"
                && method == Method::Delete
                && matches!(state.mounts.get(mount).map(|m| &m.engine), Some(Engine::Pki(_)))
        }
        Target::Nowhere => false,
    }
}

/// Whether the thing a write targets exists, for endpoints that tell
/// `create` from `update`; `None` for those that need `update` either way.
fn exists(state: &State, target: &Target) -> Option<bool> {
    match target {
        Target::Secret { mount, rel } => match &state.mounts.get(mount)?.engine {
            Engine::KvV1(store) => Some(store.contains(rel)),
            Engine::KvV2(store) => store.exists(rel),
            Engine::Database(db) => db.exists(rel),
            Engine::Aws(aws) => aws.exists(rel),
            Engine::Pki(pki) => pki.exists(rel),
            Engine::Cubbyhole(_) | Engine::Inert => None,
        },
        Target::Auth { mount, rel } => match &state.auth_mounts.get(mount)?.engine {
            AuthEngine::Token => token_api::exists(state, rel),
            AuthEngine::Inert => None,
            AuthEngine::AppRole(store) => store.exists(rel),
            AuthEngine::Kubernetes(store) => store.exists(rel),
        },
        _ => None,
    }
}

/// The capability an operation needs, as Vault maps them.
fn capability_for(method: Method, exists: Option<bool>) -> Capability {
    match method {
        Method::Get => Capability::Read,
        // `scan` has no `Capability`; `route` checks it with `Acl::allows_scan`.
        Method::List | Method::Scan => Capability::List,
        Method::Patch => Capability::Patch,
        Method::Delete => Capability::Delete,
        Method::Post | Method::Put => match exists {
            Some(false) => Capability::Create,
            _ => Capability::Update,
        },
    }
}

/// The ACL of a token's policies at `now`; policies that do not exist
/// grant nothing.
pub(crate) fn acl_for(state: &State, token: &Token, now: SystemTime) -> Acl {
    if token.is_root() {
        return Acl::root();
    }
    Acl::new_at(&state.policies.parsed(&token.policies), now)
}

/// Runs one request against `state`. `path` is normalized (no leading `/`).
pub(crate) fn route(
    state: &mut State,
    request: &VaultRequest,
    path: &str,
    now: SystemTime,
    faults: &Faults,
) -> VaultReply {
    let target = target_of(state, path);
    let method = request.method;
    let client_ip = request.client_ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let params = match params_of(request) {
        Ok(params) => params,
        Err(error) => return error.into_reply(),
    };

    // `GET ...?help=1` asks for the endpoint's help, not the operation.
    let help = method == Method::Get && request.query.get("help").is_some_and(|v| v == "1" || v == "true");

    // Authentication and authorization.
    let mut caller = None;
    let mut wrapping_token = None;
    let wrapping_path = matches!(&target, Target::Sys(rest) if rest == "wrapping/unwrap" || rest == "wrapping/rewrap");
    // On unwrap and rewrap, a client token that is no regular token is taken
    // as a wrapping token, so a used or expired one gets Vault's 400.
    let wrapping_candidate =
        request.token.as_deref().filter(|t| state.wrapping.is_live(t) || state.tokens.get(t).is_none());
    if wrapping_path && let Some(token) = wrapping_candidate {
        wrapping_token = Some(token.to_owned());
    } else if !is_unauthenticated(state, &target, method) {
        let token = match request.token.as_deref().and_then(|id| state.tokens.get(id)) {
            Some(token) if token.allows_ip(client_ip) => token.clone(),
            _ => return ApiError::permission_denied().into_reply(),
        };
        let acl = acl_for(state, &token, now);
        let listing = matches!(method, Method::List | Method::Scan);
        let acl_path = if listing && !path.ends_with('/') { format!("{path}/") } else { path.to_owned() };
        if help {
            // Vault answers help to anyone holding any capability on the path.
            if !token.is_root() && acl.capability_names(&acl_path) == ["deny"] {
                return ApiError::permission_denied().into_reply();
            }
            return match describe(state, &target) {
                Some(description) => help::reply(description, path),
                None => ApiError::no_route(path).into_reply(),
            };
        }
        let needed = capability_for(method, if method.is_write() { exists(state, &target) } else { None });
        let wrap_ttl = request.wrap_ttl.as_deref().and_then(|t| parse_duration(t).ok()).map(Duration::from_secs);
        let check = AclRequest { path: &acl_path, capability: needed, data: Some(&params.0), wrap_ttl };
        let sudo_ok = || !needs_sudo(state, &target, method) || acl.allows(&acl_path, Capability::Sudo);
        let allowed = token.is_root()
            || if method == Method::Scan { acl.allows_scan(&acl_path) } else { acl.authorize(&check) && sudo_ok() };
        if !allowed {
            return ApiError::permission_denied().into_reply();
        }
        caller = Some(Caller { token, acl });
    }

    // Count the use now, revoke after the request if it was the last one.
    let mut exhausted = None;
    if let Some(caller) = &mut caller
        && let Some(stored) = state.tokens.get_mut(&caller.token.id)
        && stored.num_uses > 0
    {
        stored.num_uses -= 1;
        caller.token.num_uses = stored.num_uses;
        if stored.num_uses == 0 {
            exhausted = Some(stored.id.clone());
        }
    }

    let (mount, rel) = match &target {
        Target::Auth { mount, rel } | Target::Secret { mount, rel } => (mount.clone(), rel.clone()),
        Target::Sys(rest) => (String::new(), rest.clone()),
        Target::Nowhere => (String::new(), path.to_owned()),
    };
    let call = Call {
        method,
        path: path.to_owned(),
        mount,
        rel,
        params,
        query: request.query.clone(),
        now,
        client_ip,
        caller,
        wrapping_token,
        client_token: request.token.clone(),
        faults: faults.clone(),
    };
    let mut outcome = dispatch(state, &call, &target);
    if matches!(method, Method::List | Method::Scan) {
        // `after` and `limit` page any list, as Vault's documented lists do.
        outcome = outcome.and_then(|outcome| outcome.paginate(&call.params));
    }
    if let Some(id) = exhausted {
        state.revoke_token(&id, true);
    }
    let wrap_ttl = match (&request.wrap_ttl, path) {
        (Some(ttl), _) => Some(ttl.clone()),
        (None, "sys/wrapping/wrap") => Some("300".to_owned()),
        _ => None,
    };
    match outcome {
        Ok(Outcome::Envelope(envelope)) => {
            if let Some(ttl) = wrap_ttl
                && envelope.status == 200
                && (envelope.data.is_some() || envelope.auth.is_some())
            {
                return wrap(state, &envelope, &ttl, path, now);
            }
            let body = envelope.to_json(&uuid(), path.starts_with("sys/") && !path.starts_with("sys/wrapping/"));
            VaultReply::json(envelope.status, body)
        }
        Ok(Outcome::NoContent) => VaultReply::no_content(),
        Ok(Outcome::Json(status, body)) => VaultReply::json(status, body),
        Ok(Outcome::Raw(raw)) => VaultReply { status: 200, body: None, raw: Some(raw) },
        Err(error) => error.into_reply(),
    }
}

fn params_of(request: &VaultRequest) -> ApiResult<Params> {
    let mut map = match &request.body {
        Value::Object(map) => map.clone(),
        Value::Null => Map::new(),
        _ if !request.method.is_write() && request.method != Method::Patch => Map::new(),
        _ => return Err(ApiError::bad_request("failed to parse JSON input: the body must be a JSON object")),
    };
    for (key, value) in &request.query {
        map.entry(key.clone()).or_insert_with(|| Value::String(value.clone()));
    }
    Ok(Params(map))
}

fn dispatch(state: &mut State, call: &Call, target: &Target) -> ApiResult {
    let kv_mount =
        |mount: &String| matches!(state.mounts.get(mount).map(|m| &m.engine), Some(Engine::KvV1(_) | Engine::KvV2(_)));
    if call.method == Method::Scan && !matches!(target, Target::Secret { mount, .. } if kv_mount(mount)) {
        // Only the kv engines scan.
        return Err(ApiError::unsupported_operation());
    }
    match target {
        Target::Sys(rest) => sys::handle(state, call, rest),
        Target::Auth { mount, .. } => match state.auth_mounts.get(mount).map(|m| &m.engine) {
            Some(AuthEngine::Token) => token_api::handle(state, call),
            Some(AuthEngine::AppRole(_)) => approle::handle(state, call),
            Some(AuthEngine::Kubernetes(_)) => kubernetes::handle(state, call),
            Some(AuthEngine::Inert) | None => Err(ApiError::no_route(&call.path)),
        },
        Target::Secret { mount, .. } => {
            let kind = match state.mounts.get(mount).map(|m| &m.engine) {
                Some(Engine::KvV1(_)) => "kv1",
                Some(Engine::KvV2(_)) => "kv2",
                Some(Engine::Database(_)) => "database",
                Some(Engine::Aws(_)) => "aws",
                Some(Engine::Pki(_)) => "pki",
                Some(Engine::Cubbyhole(_)) => "cubbyhole",
                Some(Engine::Inert) | None => return Err(ApiError::no_route(&call.path)),
            };
            match kind {
                "kv1" => kv::handle_v1(state, call),
                "kv2" => kv_v2::handle(state, call),
                "database" => database::handle(state, call),
                "aws" => aws::handle(state, call),
                "pki" => pki::handle(state, call),
                _ => kv::handle_cubbyhole(state, call),
            }
        }
        Target::Nowhere => Err(ApiError::no_route(&call.path)),
    }
}

/// What a help request on `target` describes; `None` where no engine is.
fn describe(state: &State, target: &Target) -> Option<&'static str> {
    Some(match target {
        Target::Sys(_) => help::SYSTEM,
        Target::Auth { mount, .. } => match &state.auth_mounts.get(mount)?.engine {
            AuthEngine::Token => help::TOKEN,
            AuthEngine::AppRole(_) => help::APPROLE,
            AuthEngine::Kubernetes(_) => help::KUBERNETES,
            AuthEngine::Inert => help::INERT,
        },
        Target::Secret { mount, .. } => match &state.mounts.get(mount)?.engine {
            Engine::KvV1(_) => help::KV_V1,
            Engine::KvV2(_) => help::KV_V2,
            Engine::Database(_) => help::DATABASE,
            Engine::Aws(_) => help::AWS,
            Engine::Pki(_) => help::PKI,
            Engine::Cubbyhole(_) => help::CUBBYHOLE,
            Engine::Inert => help::INERT,
        },
        Target::Nowhere => return None,
    })
}

/// Replaces a response by a wrapping token that unwraps, once, to it.
fn wrap(state: &mut State, envelope: &Envelope, ttl: &str, path: &str, now: SystemTime) -> VaultReply {
    let ttl = match parse_duration(ttl) {
        Ok(ttl) if ttl > 0 => ttl,
        _ => return ApiError::bad_request(format!("error parsing wrap TTL {ttl:?}")).into_reply(),
    };
    let wrapped_accessor = envelope
        .auth
        .as_ref()
        .and_then(|auth| auth.get("accessor"))
        .or_else(|| envelope.data.as_ref().and_then(|data| data.get("secret_id_accessor")))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let merge = path.starts_with("sys/") && !path.starts_with("sys/wrapping/");
    let inner = envelope.to_json(&uuid(), merge);
    let info = state.wrapping.wrap(inner, ttl, path, &wrapped_accessor, now);
    let mut body = Envelope { status: 200, ..Envelope::default() }.to_json(&uuid(), false);
    body["wrap_info"] = info;
    body["warnings"] = if envelope.warnings.is_empty() { Value::Null } else { json!(envelope.warnings) };
    VaultReply::json(200, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_need_create_or_update_by_existence() {
        assert_eq!(capability_for(Method::Post, Some(false)), Capability::Create);
        assert_eq!(capability_for(Method::Put, Some(true)), Capability::Update);
        assert_eq!(capability_for(Method::Post, None), Capability::Update);
        assert_eq!(capability_for(Method::List, None), Capability::List);
        assert_eq!(capability_for(Method::Patch, Some(true)), Capability::Patch);
    }

    #[test]
    fn sys_auth_and_lease_prefix_revocation_are_root_protected() {
        let state = State::new(std::time::SystemTime::UNIX_EPOCH);
        let sys = |rest: &str| Target::Sys(rest.into());
        assert!(needs_sudo(&state, &sys("auth/approle"), Method::Post));
        assert!(needs_sudo(&state, &sys("leases/revoke-prefix/database/"), Method::Post));
        assert!(needs_sudo(&state, &sys("leases/lookup/database/"), Method::List));
        assert!(!needs_sudo(&state, &sys("leases/lookup"), Method::Post));
        assert!(!needs_sudo(&state, &sys("policies/acl/app"), Method::Post));
        assert!(!needs_sudo(&state, &sys("mounts/kv"), Method::Post));
    }
}
