//! The AppRole auth method: roles, RoleIDs, SecretIDs, login.

use std::collections::BTreeMap;
use std::time::SystemTime;

use ipnet::IpNet;
use serde_json::{Map, Value, json};

use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{Params, after, ip_allowed, rfc3339, uuid};
use super::request::Method;
use super::router::Call;
use super::state::{AuthEngine, State};
use super::token_settings::TokenSettings;
use super::tokens::TokenSpec;

/// One SecretID.
#[derive(Debug, Clone)]
struct SecretIdEntry {
    secret_id: String,
    accessor: String,
    metadata: BTreeMap<String, String>,
    cidr_list: Vec<IpNet>,
    token_bound_cidrs: Vec<IpNet>,
    /// Uses left; 0 is unlimited.
    num_uses: u64,
    ttl: u64,
    creation: SystemTime,
    expiration: Option<SystemTime>,
    updated: SystemTime,
}

impl SecretIdEntry {
    fn to_json(&self) -> Value {
        let cidrs = |nets: &[IpNet]| nets.iter().map(ToString::to_string).collect::<Vec<_>>();
        json!({
            "cidr_list": cidrs(&self.cidr_list),
            "creation_time": rfc3339(self.creation),
            "expiration_time": self.expiration.map(rfc3339).unwrap_or_else(|| "0001-01-01T00:00:00Z".into()),
            "last_updated_time": rfc3339(self.updated),
            "metadata": self.metadata,
            "secret_id_accessor": self.accessor,
            "secret_id_num_uses": self.num_uses,
            "secret_id_ttl": self.ttl,
            "token_bound_cidrs": cidrs(&self.token_bound_cidrs),
        })
    }
}

/// One AppRole.
#[derive(Debug, Clone)]
struct AppRole {
    name: String,
    role_id: String,
    bind_secret_id: bool,
    secret_id_bound_cidrs: Vec<IpNet>,
    secret_id_num_uses: u64,
    secret_id_ttl: u64,
    local_secret_ids: bool,
    token: TokenSettings,
    /// SecretIDs by accessor.
    secret_ids: BTreeMap<String, SecretIdEntry>,
    /// No SecretID expires before this: every request expires what is due,
    /// and scanning thousands of SecretIDs each time made that quadratic.
    next_expiry: Option<SystemTime>,
}

impl AppRole {
    fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            role_id: uuid(),
            bind_secret_id: true,
            secret_id_bound_cidrs: Vec::new(),
            secret_id_num_uses: 0,
            secret_id_ttl: 0,
            local_secret_ids: false,
            token: TokenSettings::default(),
            secret_ids: BTreeMap::new(),
            next_expiry: None,
        }
    }

    fn apply(&mut self, params: &Params, creating: bool) -> ApiResult<()> {
        if let Some(v) = params.bool("bind_secret_id")? {
            self.bind_secret_id = v;
        }
        if let Some(v) = params.cidrs("secret_id_bound_cidrs")?.or(params.cidrs("bound_cidr_list")?) {
            self.secret_id_bound_cidrs = v;
        }
        if let Some(v) = params.u64("secret_id_num_uses")? {
            self.secret_id_num_uses = v;
        }
        if let Some(v) = params.duration("secret_id_ttl")? {
            self.secret_id_ttl = v;
        }
        if let Some(v) = params.bool("local_secret_ids")? {
            if !creating && v != self.local_secret_ids {
                return Err(ApiError::bad_request("local_secret_ids can only be modified during role creation"));
            }
            self.local_secret_ids = v;
        }
        if creating && let Some(role_id) = params.str("role_id").filter(|r| !r.is_empty()) {
            self.role_id = role_id;
        }
        self.token.apply(params)?;
        if !self.bind_secret_id && self.secret_id_bound_cidrs.is_empty() && self.token.bound_cidrs.is_empty() {
            return Err(ApiError::bad_request("at least one constraint should be enabled on the role"));
        }
        Ok(())
    }

    fn to_json(&self) -> Value {
        let mut data = json!({
            "bind_secret_id": self.bind_secret_id,
            "local_secret_ids": self.local_secret_ids,
            "secret_id_bound_cidrs": self.secret_id_bound_cidrs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "secret_id_num_uses": self.secret_id_num_uses,
            "secret_id_ttl": self.secret_id_ttl,
        });
        self.token.write_json(&mut data, false);
        data
    }
}

/// The AppRoles of one mount.
#[derive(Debug, Default)]
pub(crate) struct AppRoleStore {
    roles: BTreeMap<String, AppRole>,
}

impl AppRoleStore {
    pub(crate) fn exists(&self, rel: &str) -> Option<bool> {
        let name = rel.strip_prefix("role/")?;
        (!name.contains('/')).then(|| self.roles.contains_key(&name.to_lowercase()))
    }

    /// Forgets SecretIDs whose TTL has passed.
    pub(crate) fn expire(&mut self, now: SystemTime) {
        for role in self.roles.values_mut() {
            if role.next_expiry.is_none_or(|due| due > now) {
                continue;
            }
            role.secret_ids.retain(|_, entry| entry.expiration.is_none_or(|at| at > now));
            role.next_expiry = role.secret_ids.values().filter_map(|entry| entry.expiration).min();
        }
    }

    /// How many SecretIDs `role` has (for tests).
    pub(crate) fn secret_id_count(&self, role: &str) -> usize {
        self.roles.get(&role.to_lowercase()).map(|r| r.secret_ids.len()).unwrap_or(0)
    }
}

fn store<'a>(state: &'a mut State, call: &Call) -> ApiResult<&'a mut AppRoleStore> {
    match state.auth_mounts.get_mut(&call.mount).map(|m| &mut m.engine) {
        Some(AuthEngine::AppRole(store)) => Ok(store),
        _ => Err(ApiError::no_route(&call.path)),
    }
}

/// `auth/<approle mount>/*`.
pub(crate) fn handle(state: &mut State, call: &Call) -> ApiResult {
    let rel = call.rel.trim_end_matches('/');
    if rel == "login" {
        call.expect(&[Method::Post])?;
        return login(state, call);
    }
    if rel == "role" {
        call.expect(&[Method::List])?;
        return Outcome::keys(store(state, call)?.roles.keys().cloned().collect());
    }
    if rel == "tidy/secret-id" {
        call.expect(&[Method::Post])?;
        // Vault answers 202 Accepted (the tidy runs in the background); the docs
        // show the body as a plain answer, and 200 is what clients expect.
        return Ok(Outcome::Envelope(Envelope { status: 200, ..Envelope::default() }.with_warning(
            "Tidy operation successfully started. Any information from the operation will be printed to OpenBao's \
             server logs.",
        )));
    }
    let Some(rest) = rel.strip_prefix("role/") else { return Err(ApiError::no_route(&call.path)) };
    let (name, sub) = rest.split_once('/').unwrap_or((rest, ""));
    if name.ends_with('.') {
        // Vault's name pattern cannot end in a period: no route matches.
        return Err(ApiError::unsupported_path());
    }
    let name = name.to_lowercase();
    let now = call.now;
    let store = store(state, call)?;
    if sub.is_empty() {
        return role_crud(store, call, &name);
    }
    let role = match store.roles.get_mut(&name) {
        Some(role) => role,
        // Reading a field of a missing role is Vault's plain 404.
        None if call.method == Method::Get => return Err(ApiError::not_found()),
        None => return Err(ApiError::bad_request(format!("role \"{name}\" does not exist"))),
    };
    match sub {
        "role-id" => match call.method {
            Method::Get => Ok(Outcome::data(json!({ "role_id": role.role_id }))),
            Method::Post | Method::Put => {
                let role_id = call.params.required_str("role_id", "missing role_id")?;
                let taken = store.roles.values().any(|r| r.name != name && r.role_id == role_id);
                if taken {
                    return Err(ApiError::bad_request("role_id already in use"));
                }
                if let Some(role) = store.roles.get_mut(&name) {
                    role.role_id = role_id.clone();
                }
                // Vault answers 204; the documented sample answers the RoleID
                // now in force, which a client may read or ignore.
                Ok(Outcome::data(json!({ "role_id": role_id })))
            }
            _ => Err(ApiError::unsupported_operation()),
        },
        "secret-id" if call.method == Method::List => Outcome::keys(role.secret_ids.keys().cloned().collect()),
        "secret-id" | "custom-secret-id" => {
            call.expect(&[Method::Post])?;
            let custom = (sub == "custom-secret-id")
                .then(|| call.params.required_str("secret_id", "missing secret_id"))
                .transpose()?;
            generate(role, call, custom, now)
        }
        "secret-id/lookup" | "secret-id/destroy" => {
            call.expect(&[Method::Post])?;
            let secret_id = call.params.required_str("secret_id", "missing secret_id")?;
            let accessor = role.secret_ids.values().find(|e| e.secret_id == secret_id).map(|e| e.accessor.clone());
            match (sub, accessor) {
                ("secret-id/lookup", Some(accessor)) => Ok(Outcome::data(role.secret_ids[&accessor].to_json())),
                ("secret-id/lookup", None) => Ok(Outcome::NoContent),
                (_, Some(accessor)) => {
                    role.secret_ids.remove(&accessor);
                    Ok(Outcome::NoContent)
                }
                (_, None) => Ok(Outcome::NoContent),
            }
        }
        "secret-id-accessor/lookup" | "secret-id-accessor/destroy" => {
            call.expect(&[Method::Post])?;
            let accessor = call.params.required_str("secret_id_accessor", "missing secret_id_accessor")?;
            if !role.secret_ids.contains_key(&accessor) {
                return Err(ApiError::bad_request(format!(
                    "failed to find accessor entry for secret_id_accessor: \"{accessor}\""
                )));
            }
            if sub.ends_with("lookup") {
                Ok(Outcome::data(role.secret_ids[&accessor].to_json()))
            } else {
                role.secret_ids.remove(&accessor);
                Ok(Outcome::NoContent)
            }
        }
        field => field_endpoint(role, call, field),
    }
}

fn role_crud(store: &mut AppRoleStore, call: &Call, name: &str) -> ApiResult {
    match call.method {
        Method::Get => Ok(Outcome::data(store.roles.get(name).ok_or_else(ApiError::not_found)?.to_json())),
        Method::Post | Method::Put => {
            let creating = !store.roles.contains_key(name);
            let mut role = store.roles.get(name).cloned().unwrap_or_else(|| AppRole::new(name));
            role.apply(&call.params, creating)?;
            if store.roles.values().any(|r| r.name != name && r.role_id == role.role_id) {
                return Err(ApiError::bad_request("role_id already in use"));
            }
            store.roles.insert(name.to_owned(), role);
            Ok(Outcome::NoContent)
        }
        Method::Delete => {
            store.roles.remove(name);
            Ok(Outcome::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// The per-field endpoints (`role/:name/policies`, `.../token-ttl`, ...).
fn field_endpoint(role: &mut AppRole, call: &Call, field: &str) -> ApiResult {
    let keys: &[&str] = match field {
        "policies" => &["token_policies", "policies"],
        "secret-id-num-uses" => &["secret_id_num_uses"],
        "secret-id-ttl" => &["secret_id_ttl"],
        "token-ttl" => &["token_ttl"],
        "token-max-ttl" => &["token_max_ttl"],
        "token-num-uses" => &["token_num_uses"],
        "bind-secret-id" => &["bind_secret_id"],
        "secret-id-bound-cidrs" => &["secret_id_bound_cidrs"],
        "token-bound-cidrs" => &["token_bound_cidrs"],
        "period" => &["token_period", "period"],
        _ => return Err(ApiError::no_route(&call.path)),
    };
    match call.method {
        Method::Get => {
            let all = role.to_json();
            let data: Map<String, Value> =
                keys.iter().filter_map(|k| Some((k.to_string(), all.get(*k)?.clone()))).collect();
            Ok(Outcome::data(Value::Object(data)))
        }
        Method::Post | Method::Put | Method::Delete => {
            let params = if call.method == Method::Delete {
                // Deleting a field resets it to its default.
                let defaults = AppRole::new("").to_json();
                Params(keys.iter().filter_map(|k| Some((k.to_string(), defaults.get(*k)?.clone()))).collect())
            } else {
                if !keys.iter().any(|k| call.params.has(k)) {
                    return Err(ApiError::bad_request(format!("missing {}", keys[0])));
                }
                call.params.clone()
            };
            let mut updated = role.clone();
            updated.apply(&params, false)?;
            *role = updated;
            Ok(Outcome::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// Generates (or registers, `custom`) a SecretID.
fn generate(role: &mut AppRole, call: &Call, custom: Option<String>, now: SystemTime) -> ApiResult {
    if !role.bind_secret_id {
        return Err(ApiError::bad_request("bind_secret_id is not set on the role"));
    }
    let params = &call.params;
    let metadata: BTreeMap<String, String> = match params.raw("metadata") {
        None => BTreeMap::new(),
        Some(Value::String(text)) if text.trim().is_empty() => BTreeMap::new(),
        Some(Value::String(text)) => serde_json::from_str::<Map<String, Value>>(text)
            .map_err(|e| ApiError::bad_request(format!("failed to parse metadata: {e}")))?
            .into_iter()
            .map(|(k, v)| (k, v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
            .collect(),
        Some(_) => params.string_map("metadata")?.unwrap_or_default(),
    };
    let cidr_list = params.cidrs("cidr_list")?.unwrap_or_default();
    if !subset(&cidr_list, &role.secret_id_bound_cidrs) {
        return Err(ApiError::bad_request(
            "failed to verify the CIDR restrictions set on the secret ID: cidr_list must be a subset of the role's \
             secret_id_bound_cidrs",
        ));
    }
    let token_bound_cidrs = params.cidrs("token_bound_cidrs")?.unwrap_or_default();
    if !subset(&token_bound_cidrs, &role.token.bound_cidrs) {
        return Err(ApiError::bad_request(
            "failed to verify the CIDR restrictions set on the secret ID: token_bound_cidrs must be a subset of the \
             role's token_bound_cidrs",
        ));
    }
    let num_uses = match params.i64("num_uses")? {
        Some(n) if n < 0 => return Err(ApiError::bad_request("num_uses cannot be negative")),
        Some(n) => {
            let n = n as u64;
            let role_max = role.secret_id_num_uses;
            if role_max > 0 && (n == 0 || n > role_max) {
                return Err(ApiError::bad_request("num_uses cannot be higher than the role's secret_id_num_uses"));
            }
            n
        }
        None => role.secret_id_num_uses,
    };
    let ttl = match params.duration("ttl")? {
        Some(ttl) => {
            let role_max = role.secret_id_ttl;
            if role_max > 0 && (ttl == 0 || ttl > role_max) {
                return Err(ApiError::bad_request("ttl cannot be longer than the role's secret_id_ttl"));
            }
            ttl
        }
        None => role.secret_id_ttl,
    };
    // Only a custom SecretID can collide; checking a fresh random UUID
    // against every SecretID of the role made issuing quadratic.
    if let Some(custom) = &custom
        && role.secret_ids.values().any(|e| &e.secret_id == custom)
    {
        return Err(ApiError::bad_request("SecretID is already registered"));
    }
    let secret_id = custom.unwrap_or_else(uuid);
    let entry = SecretIdEntry {
        secret_id: secret_id.clone(),
        accessor: uuid(),
        metadata,
        cidr_list,
        token_bound_cidrs,
        num_uses,
        ttl,
        creation: now,
        expiration: (ttl > 0).then(|| after(now, ttl)),
        updated: now,
    };
    let data = json!({
        "secret_id": secret_id,
        "secret_id_accessor": entry.accessor,
        "secret_id_ttl": ttl,
        "secret_id_num_uses": num_uses,
    });
    if let Some(at) = entry.expiration {
        role.next_expiry = Some(role.next_expiry.map_or(at, |due| due.min(at)));
    }
    role.secret_ids.insert(entry.accessor.clone(), entry);
    Ok(Outcome::data(data))
}

fn subset(requested: &[IpNet], allowed: &[IpNet]) -> bool {
    allowed.is_empty() || requested.iter().all(|net| allowed.iter().any(|outer| outer.contains(net)))
}

/// `auth/<mount>/login` with `role_id` and `secret_id`.
fn login(state: &mut State, call: &Call) -> ApiResult {
    let role_id = call.params.required_str("role_id", "missing role_id")?;
    let now = call.now;
    let ip = call.client_ip;
    let store = store(state, call)?;
    let role = store
        .roles
        .values_mut()
        .find(|r| r.role_id == role_id)
        .ok_or_else(|| ApiError::bad_request("invalid role ID"))?;
    let mut meta = BTreeMap::new();
    let mut bound_cidrs = role.token.bound_cidrs.clone();
    if role.bind_secret_id {
        let secret_id = call.params.required_str("secret_id", "missing secret_id")?;
        let (accessor, entry) = role
            .secret_ids
            .iter()
            .find(|(_, e)| e.secret_id == secret_id && e.expiration.is_none_or(|at| at > now))
            .map(|(a, e)| (a.clone(), e.clone()))
            .ok_or_else(|| ApiError::bad_request("invalid secret id"))?;
        if !ip_allowed(&entry.cidr_list, ip) {
            return Err(ApiError::bad_request(format!(
                "source address \"{ip}\" unauthorized through CIDR restrictions on the secret ID"
            )));
        }
        if !ip_allowed(&role.secret_id_bound_cidrs, ip) {
            return Err(ApiError::bad_request(format!(
                "source address \"{ip}\" unauthorized by CIDR restrictions on the role"
            )));
        }
        match entry.num_uses {
            0 => {}
            1 => {
                role.secret_ids.remove(&accessor);
            }
            n => {
                if let Some(stored) = role.secret_ids.get_mut(&accessor) {
                    stored.num_uses = n - 1;
                    stored.updated = now;
                }
            }
        }
        meta.extend(entry.metadata.clone());
        if !entry.token_bound_cidrs.is_empty() {
            bound_cidrs = entry.token_bound_cidrs.clone();
        }
    } else if !ip_allowed(&role.secret_id_bound_cidrs, ip) {
        return Err(ApiError::bad_request(format!(
            "source address \"{ip}\" unauthorized by CIDR restrictions on the role"
        )));
    }
    meta.insert("role_name".into(), role.name.clone());
    let mut spec: TokenSpec = role.token.spec(&format!("auth/{}login", call.mount), "approle");
    spec.meta = meta;
    spec.bound_cidrs = bound_cidrs;
    let mount = state.auth_config(&call.mount);
    let (token, warnings) = state.tokens.create(spec, mount, now)?;
    Ok(Outcome::Envelope(Envelope::auth(token.auth_block(now, true)).with_warnings(warnings)))
}
