//! The Kubernetes auth method: config, roles, and login with a
//! service-account JWT verified locally against the configured `pem_keys`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::params::{Params, unix};
use super::request::Method;
use super::router::Call;
use super::state::{AuthEngine, State};
use super::token_roles::glob_match;
use super::token_settings::TokenSettings;
use crate::testkit::k8s_jwt::verify_service_account_jwt;

#[derive(Debug, Clone, Default)]
struct Config {
    kubernetes_host: String,
    kubernetes_ca_cert: String,
    pem_keys: Vec<String>,
    issuer: String,
    disable_iss_validation: bool,
    disable_local_ca_jwt: bool,
}

#[derive(Debug, Clone, Default)]
struct Role {
    bound_service_account_names: Vec<String>,
    bound_service_account_namespaces: Vec<String>,
    audience: String,
    alias_name_source: String,
    token: TokenSettings,
}

/// The state of one Kubernetes auth mount.
#[derive(Debug, Default)]
pub(crate) struct KubernetesStore {
    config: Option<Config>,
    roles: BTreeMap<String, Role>,
}

impl KubernetesStore {
    pub(crate) fn exists(&self, rel: &str) -> Option<bool> {
        if rel == "config" {
            return Some(self.config.is_some());
        }
        Some(self.roles.contains_key(rel.strip_prefix("role/")?))
    }
}

fn store<'a>(state: &'a mut State, call: &Call) -> ApiResult<&'a mut KubernetesStore> {
    match state.auth_mounts.get_mut(&call.mount).map(|m| &mut m.engine) {
        Some(AuthEngine::Kubernetes(store)) => Ok(store),
        _ => Err(ApiError::no_route(&call.path)),
    }
}

/// PEM keys come as a list, or as one string holding several PEM blocks.
fn pem_keys(params: &Params) -> Option<Vec<String>> {
    match params.raw("pem_keys")? {
        Value::Array(items) => Some(items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect()),
        Value::String(text) => Some(
            text.split_inclusive("-----END ")
                .zip(text.split("-----END ").skip(1))
                .map(|(head, tail)| {
                    let end = tail.find("-----").map(|i| i + 5).unwrap_or(tail.len());
                    format!("{head}{}", &tail[..end]).trim().to_owned()
                })
                .filter(|pem| pem.contains("-----BEGIN "))
                .collect(),
        ),
        _ => None,
    }
}

/// `auth/<kubernetes mount>/*`.
pub(crate) fn handle(state: &mut State, call: &Call) -> ApiResult {
    let rel = call.rel.trim_end_matches('/');
    if rel == "login" {
        call.expect(&[Method::Post])?;
        return login(state, call);
    }
    let store = store(state, call)?;
    let params = &call.params;
    if rel == "config" {
        return match call.method {
            Method::Get => {
                let c = store.config.as_ref().ok_or_else(ApiError::not_found)?;
                Ok(Outcome::data(json!({
                    "kubernetes_host": c.kubernetes_host,
                    "kubernetes_ca_cert": c.kubernetes_ca_cert,
                    "pem_keys": c.pem_keys,
                    "issuer": c.issuer,
                    "disable_iss_validation": c.disable_iss_validation,
                    "disable_local_ca_jwt": c.disable_local_ca_jwt,
                })))
            }
            Method::Post | Method::Put => {
                let host = params.required_str("kubernetes_host", "no host provided")?;
                store.config = Some(Config {
                    kubernetes_host: host,
                    kubernetes_ca_cert: params.str("kubernetes_ca_cert").unwrap_or_default(),
                    pem_keys: pem_keys(params).unwrap_or_default(),
                    issuer: params.str("issuer").unwrap_or_default(),
                    disable_iss_validation: params.bool("disable_iss_validation")?.unwrap_or(true),
                    disable_local_ca_jwt: params.bool("disable_local_ca_jwt")?.unwrap_or(false),
                });
                Ok(Outcome::NoContent)
            }
            _ => Err(ApiError::unsupported_operation()),
        };
    }
    if rel == "role" {
        call.expect(&[Method::List])?;
        return Outcome::keys(store.roles.keys().cloned().collect());
    }
    let Some(name) = rel.strip_prefix("role/") else { return Err(ApiError::no_route(&call.path)) };
    if name.ends_with('.') {
        // Vault's name pattern cannot end in a period: no route matches.
        return Err(ApiError::unsupported_path());
    }
    match call.method {
        Method::Get => {
            let role = store.roles.get(name).ok_or_else(ApiError::not_found)?;
            let mut data = json!({
                "bound_service_account_names": role.bound_service_account_names,
                "bound_service_account_namespaces": role.bound_service_account_namespaces,
                "audience": role.audience,
                "alias_name_source": role.alias_name_source,
            });
            role.token.write_json(&mut data, true);
            Ok(Outcome::data(data))
        }
        Method::Post | Method::Put => {
            let mut role = store
                .roles
                .get(name)
                .cloned()
                .unwrap_or_else(|| Role { alias_name_source: "serviceaccount_uid".into(), ..Role::default() });
            if let Some(names) = params.list("bound_service_account_names")? {
                role.bound_service_account_names = names;
            }
            if let Some(namespaces) = params.list("bound_service_account_namespaces")? {
                role.bound_service_account_namespaces = namespaces;
            }
            if let Some(audience) = params.str("audience") {
                role.audience = audience;
            }
            if let Some(source) = params.str("alias_name_source") {
                role.alias_name_source = source;
            }
            role.token.apply(params)?;
            if role.bound_service_account_names.is_empty() {
                return Err(ApiError::bad_request("\"bound_service_account_names\" can not be empty"));
            }
            if role.bound_service_account_namespaces.is_empty() {
                return Err(ApiError::bad_request("\"bound_service_account_namespaces\" can not be empty"));
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

/// Whether a bound list admits `value`: entries are globs (`*`, `dev-*`),
/// as Vault's `StrListContainsGlob` reads them.
fn bound(list: &[String], value: &str) -> bool {
    list.iter().any(|item| glob_match(item, value))
}

fn login(state: &mut State, call: &Call) -> ApiResult {
    let role_name = call.params.required_str("role", "missing role")?;
    let jwt = call.params.required_str("jwt", "missing jwt")?;
    let now = call.now;
    let store = store(state, call)?;
    let config = store.config.clone().ok_or_else(|| ApiError::bad_request("could not load backend configuration"))?;
    let role = store
        .roles
        .get(&role_name)
        .cloned()
        .ok_or_else(|| ApiError::bad_request(format!("invalid role name \"{role_name}\"")))?;
    if config.pem_keys.is_empty() {
        // Without pem_keys Vault would ask the TokenReview API, which this
        // in-memory Vault cannot reach.
        return Err(ApiError::permission_denied());
    }
    // Vault checks `iss` only when validation is on and an issuer is set: its
    // "default" issuer is never put into the expected claims, so projected
    // tokens (issued by the API server, not `kubernetes/serviceaccount`) pass.
    let issuer = (!config.disable_iss_validation && !config.issuer.is_empty()).then_some(config.issuer.as_str());
    let audience = (!role.audience.is_empty()).then_some(role.audience.as_str());
    let claims = verify_service_account_jwt(&jwt, &config.pem_keys, issuer, audience, unix(now)).map_err(|why| {
        // As Vault: a bad signature is a bare "permission denied"; a token
        // that verifies but does not qualify (expired, wrong issuer or
        // audience, malformed claims) is a 403 saying why.
        if why.starts_with("error verifying token signature") {
            ApiError::permission_denied()
        } else {
            ApiError::new(403, why)
        }
    })?;
    if !bound(&role.bound_service_account_names, &claims.service_account_name) {
        return Err(ApiError::new(403, "service account name not authorized"));
    }
    if !bound(&role.bound_service_account_namespaces, &claims.namespace) {
        return Err(ApiError::new(403, "namespace not authorized"));
    }
    let mut spec = role.token.spec(
        &format!("auth/{}login", call.mount),
        &format!("{}-{}", call.mount.trim_end_matches('/'), claims.namespace),
    );
    spec.meta = BTreeMap::from([
        ("role".to_owned(), role_name.clone()),
        ("service_account_name".to_owned(), claims.service_account_name.clone()),
        ("service_account_namespace".to_owned(), claims.namespace.clone()),
        ("service_account_secret_name".to_owned(), claims.secret_name.clone().unwrap_or_default()),
        ("service_account_uid".to_owned(), claims.service_account_uid.clone()),
    ]);
    if let Some(pod) = &claims.pod_name {
        spec.meta.insert("service_account_pod_name".to_owned(), pod.clone());
    }
    let mount = state.auth_config(&call.mount);
    let (token, warnings) = state.tokens.create(spec, mount, now)?;
    Ok(Outcome::Envelope(Envelope::auth(token.auth_block(now, true)).with_warnings(warnings)))
}
