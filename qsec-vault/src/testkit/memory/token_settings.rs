//! The `token_*` fields auth method roles share (Vault's `tokenutil`), and
//! the token they describe.

use ipnet::IpNet;
use serde_json::{Value, json};

use super::outcome::{ApiError, ApiResult};
use super::params::Params;
use super::tokens::TokenSpec;

/// How a role's tokens are made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TokenSettings {
    pub(crate) policies: Vec<String>,
    pub(crate) ttl: u64,
    pub(crate) max_ttl: u64,
    pub(crate) period: u64,
    pub(crate) num_uses: u64,
    pub(crate) bound_cidrs: Vec<IpNet>,
    pub(crate) explicit_max_ttl: u64,
    pub(crate) no_default_policy: bool,
}

impl TokenSettings {
    /// Applies the `token_*` parameters a request sets, and the deprecated
    /// names (`policies`, `period`, `ttl`, `max_ttl`, `bound_cidrs`) when the
    /// new one is absent.
    pub(crate) fn apply(&mut self, params: &Params) -> ApiResult<()> {
        let first_list = |keys: &[&str]| -> ApiResult<Option<Vec<String>>> {
            for key in keys {
                if let Some(list) = params.list(key)? {
                    return Ok(Some(list));
                }
            }
            Ok(None)
        };
        let first_duration = |keys: &[&str]| -> ApiResult<Option<u64>> {
            for key in keys {
                if let Some(value) = params.duration(key)? {
                    return Ok(Some(value));
                }
            }
            Ok(None)
        };
        if let Some(policies) = first_list(&["token_policies", "policies"])? {
            let mut policies: Vec<String> = policies.into_iter().map(|p| p.to_lowercase()).collect();
            policies.sort();
            policies.dedup();
            self.policies = policies;
        }
        if let Some(v) = first_duration(&["token_ttl", "ttl"])? {
            self.ttl = v;
        }
        if let Some(v) = first_duration(&["token_max_ttl", "max_ttl"])? {
            self.max_ttl = v;
        }
        if let Some(v) = first_duration(&["token_period", "period"])? {
            self.period = v;
        }
        if let Some(v) = first_duration(&["token_explicit_max_ttl"])? {
            self.explicit_max_ttl = v;
        }
        if let Some(v) = params.u64("token_num_uses")? {
            self.num_uses = v;
        }
        if let Some(v) = params.cidrs("token_bound_cidrs")?.or(params.cidrs("bound_cidrs")?) {
            self.bound_cidrs = v;
        }
        if let Some(v) = params.bool("token_no_default_policy")? {
            self.no_default_policy = v;
        }
        if let Some(kind) = params.str("token_type")
            && !matches!(kind.as_str(), "" | "default" | "service" | "default-service")
        {
            return Err(ApiError::bad_request(format!(
                "token_type {kind:?} is not supported by the qsec in-memory Vault (service tokens only)"
            )));
        }
        if self.max_ttl > 0 && self.ttl > self.max_ttl {
            return Err(ApiError::bad_request("\"token_ttl\" value must be less than \"token_max_ttl\" value"));
        }
        Ok(())
    }

    /// Adds the fields to a role's read answer; `legacy_ttls` adds `ttl` and
    /// `max_ttl` too (Kubernetes roles show them).
    pub(crate) fn write_json(&self, data: &mut Value, legacy_ttls: bool) {
        let cidrs: Vec<String> = self.bound_cidrs.iter().map(ToString::to_string).collect();
        let fields = json!({
            "token_policies": self.policies,
            "policies": self.policies,
            "token_ttl": self.ttl,
            "token_max_ttl": self.max_ttl,
            "token_period": self.period,
            "period": self.period,
            "token_num_uses": self.num_uses,
            "token_bound_cidrs": cidrs,
            "token_explicit_max_ttl": self.explicit_max_ttl,
            "token_no_default_policy": self.no_default_policy,
            "token_type": "default",
        });
        if let (Value::Object(data), Value::Object(fields)) = (data, fields) {
            data.extend(fields);
            if legacy_ttls {
                data.insert("ttl".into(), json!(self.ttl));
                data.insert("max_ttl".into(), json!(self.max_ttl));
            }
        }
    }

    /// The token a login with these settings creates (an orphan).
    pub(crate) fn spec(&self, path: &str, display_name: &str) -> TokenSpec {
        TokenSpec {
            policies: self.policies.clone(),
            no_default_policy: self.no_default_policy,
            display_name: display_name.into(),
            num_uses: self.num_uses,
            ttl: self.ttl,
            max_ttl: self.max_ttl,
            explicit_max_ttl: self.explicit_max_ttl,
            period: self.period,
            renewable: true,
            path: path.into(),
            bound_cidrs: self.bound_cidrs.clone(),
            ..TokenSpec::default()
        }
    }
}
