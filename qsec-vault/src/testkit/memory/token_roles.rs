//! Token roles (`auth/token/roles/:name`): what tokens created against a
//! role may carry and how they live.

use ipnet::IpNet;
use serde_json::json;

use super::outcome::{ApiError, ApiResult, Outcome};
use super::params::Params;
use super::request::Method;
use super::router::Call;
use super::state::State;

/// A token role.
#[derive(Debug, Clone)]
pub(crate) struct TokenRole {
    pub(crate) name: String,
    pub(crate) allowed_policies: Vec<String>,
    pub(crate) disallowed_policies: Vec<String>,
    pub(crate) allowed_policies_glob: Vec<String>,
    pub(crate) disallowed_policies_glob: Vec<String>,
    pub(crate) allowed_entity_aliases: Vec<String>,
    pub(crate) orphan: bool,
    pub(crate) renewable: bool,
    pub(crate) path_suffix: String,
    pub(crate) period: u64,
    pub(crate) explicit_max_ttl: u64,
    pub(crate) bound_cidrs: Vec<IpNet>,
    pub(crate) no_default_policy: bool,
    pub(crate) num_uses: u64,
    pub(crate) token_type: String,
}

impl TokenRole {
    fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            allowed_policies: Vec::new(),
            disallowed_policies: Vec::new(),
            allowed_policies_glob: Vec::new(),
            disallowed_policies_glob: Vec::new(),
            allowed_entity_aliases: Vec::new(),
            orphan: false,
            renewable: true,
            path_suffix: String::new(),
            period: 0,
            explicit_max_ttl: 0,
            bound_cidrs: Vec::new(),
            no_default_policy: false,
            num_uses: 0,
            token_type: "default-service".into(),
        }
    }

    /// Applies the parameters a request sets; the others keep their values.
    fn apply(&mut self, params: &Params) -> ApiResult<()> {
        let policies = |key: &str| -> ApiResult<Option<Vec<String>>> {
            Ok(params.list(key)?.map(|list| {
                let mut list: Vec<String> = list.into_iter().map(|p| p.to_lowercase()).collect();
                list.sort();
                list.dedup();
                list
            }))
        };
        if let Some(v) = policies("allowed_policies")? {
            self.allowed_policies = v;
        }
        if let Some(v) = policies("disallowed_policies")? {
            self.disallowed_policies = v;
        }
        if let Some(v) = policies("allowed_policies_glob")? {
            self.allowed_policies_glob = v;
        }
        if let Some(v) = policies("disallowed_policies_glob")? {
            self.disallowed_policies_glob = v;
        }
        if let Some(v) = params.list("allowed_entity_aliases")? {
            self.allowed_entity_aliases = v;
        }
        if let Some(v) = params.bool("orphan")? {
            self.orphan = v;
        }
        if let Some(v) = params.bool("renewable")? {
            self.renewable = v;
        }
        if let Some(v) = params.str("path_suffix") {
            if v.contains("..") {
                return Err(ApiError::bad_request("error registering path suffix: path suffix cannot contain '..'"));
            }
            self.path_suffix = v.trim_matches('/').to_owned();
        }
        if let Some(v) = params.duration("token_period")?.or(params.duration("period")?) {
            self.period = v;
        }
        if let Some(v) = params.duration("token_explicit_max_ttl")?.or(params.duration("explicit_max_ttl")?) {
            self.explicit_max_ttl = v;
        }
        if let Some(v) = params.cidrs("token_bound_cidrs")?.or(params.cidrs("bound_cidrs")?) {
            self.bound_cidrs = v;
        }
        if let Some(v) = params.bool("token_no_default_policy")? {
            self.no_default_policy = v;
        }
        if let Some(v) = params.u64("token_num_uses")? {
            self.num_uses = v;
        }
        if let Some(v) = params.str("token_type") {
            match v.as_str() {
                "" | "default" | "default-service" | "service" => self.token_type = "default-service".into(),
                "batch" | "default-batch" => {
                    return Err(ApiError::bad_request("batch tokens are not supported by the qsec in-memory Vault"));
                }
                other => return Err(ApiError::bad_request(format!("invalid 'token_type' value {other:?}"))),
            }
        }
        Ok(())
    }

    fn to_json(&self) -> serde_json::Value {
        let cidrs: Vec<String> = self.bound_cidrs.iter().map(ToString::to_string).collect();
        json!({
            "allowed_entity_aliases": self.allowed_entity_aliases,
            "allowed_policies": self.allowed_policies,
            "disallowed_policies": self.disallowed_policies,
            "allowed_policies_glob": self.allowed_policies_glob,
            "disallowed_policies_glob": self.disallowed_policies_glob,
            "explicit_max_ttl": self.explicit_max_ttl,
            "name": self.name,
            "orphan": self.orphan,
            "path_suffix": self.path_suffix,
            "period": self.period,
            "renewable": self.renewable,
            "token_bound_cidrs": cidrs,
            "token_explicit_max_ttl": self.explicit_max_ttl,
            "token_no_default_policy": self.no_default_policy,
            "token_num_uses": self.num_uses,
            "token_period": self.period,
            "token_type": self.token_type,
        })
    }
}

/// `auth/token/roles` and `auth/token/roles/:name`; `name` may be empty.
pub(crate) fn handle(state: &mut State, call: &Call, name: &str) -> ApiResult {
    let name = name.trim_matches('/').to_lowercase();
    if name.ends_with('.') {
        // Vault's name pattern cannot end in a period: no route matches.
        return Err(ApiError::unsupported_path());
    }
    if call.method == Method::List || name.is_empty() {
        call.expect(&[Method::List])?;
        return Outcome::keys(state.token_roles.keys().cloned().collect());
    }
    match call.method {
        Method::Get => {
            let role = state.token_roles.get(&name).ok_or_else(ApiError::not_found)?;
            Ok(Outcome::data(role.to_json()))
        }
        Method::Post | Method::Put => {
            let mut role = state.token_roles.get(&name).cloned().unwrap_or_else(|| TokenRole::new(&name));
            role.apply(&call.params)?;
            state.token_roles.insert(name, role);
            Ok(Outcome::NoContent)
        }
        Method::Delete => {
            state.token_roles.remove(&name);
            Ok(Outcome::NoContent)
        }
        _ => Err(ApiError::unsupported_operation()),
    }
}

/// Whether `name` matches a policy glob (a `*` anywhere, as Vault's
/// `glob.Glob`).
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            if !name.starts_with(head) {
                return false;
            }
            let rest = &name[head.len()..];
            (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob_match(tail, &rest[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_globs_match_like_vault() {
        assert!(glob_match("dev-*", "dev-app"));
        assert!(glob_match("*-read", "app-read"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("dev-*", "prod-app"));
        assert!(glob_match("exact", "exact"));
    }
}
