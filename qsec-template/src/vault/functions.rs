//! The Vault template functions, by the seed's names: `lookup`, `secret`,
//! `rawRead`, `rawWrite`, `awsCredsEnvVars`, `dbUsername`, `dbPassword`,
//! `tlsKey`, `tlsCert`, `tlsCA`.

use std::collections::BTreeMap;
use std::sync::Arc;

use qsec_core::{AppPlan, KvMount, KvVersion, VaultResponse};
use serde_json::json;

use super::session::{self, Request};
use crate::registry::{FuncError, FuncResult, FunctionRegistry, Param, Signature};
use crate::value::Value;

/// Where the Vault functions find things.
#[derive(Debug, Clone)]
pub struct VaultFunctionsConfig {
    /// The app being rendered for: `lookup` reads its own area, and
    /// `awsCredsEnvVars` without a role uses its role name. Without it,
    /// those two fail with a clear message.
    pub app: Option<AppPlan>,
    /// The database secrets engine mount. Default `database`.
    pub database_mount: String,
    /// The AWS secrets engine mount. Default `aws`.
    pub aws_mount: String,
    /// Where `tls*` functions issue certificates; `{role}` becomes the app's
    /// role name. Default `pki/issue/{role}`.
    pub pki_issue_path: String,
}

impl Default for VaultFunctionsConfig {
    fn default() -> Self {
        Self {
            app: None,
            database_mount: "database".into(),
            aws_mount: "aws".into(),
            pki_issue_path: "pki/issue/{role}".into(),
        }
    }
}

/// The names this module registers, for documentation and sandboxing.
pub const VAULT_FUNCTIONS: &[&str] = &[
    "lookup",
    "secret",
    "rawRead",
    "rawWrite",
    "awsCredsEnvVars",
    "dbUsername",
    "dbPassword",
    "tlsKey",
    "tlsCert",
    "tlsCA",
];

/// Adds the Vault functions to `registry`.
pub fn register(registry: &mut FunctionRegistry, config: VaultFunctionsConfig) {
    let config = Arc::new(config);
    let c = config.clone();
    registry.add("lookup", Signature::variadic(&[Param::Str], Param::Str), move |args| lookup(&c, args));
    registry.add("secret", Signature::variadic(&[Param::Str], Param::Str), secret);
    registry.add("rawRead", Signature::fixed(&[Param::Str]), raw_read);
    registry.add("rawWrite", Signature::variadic(&[Param::Str], Param::Str), raw_write);
    let c = config.clone();
    registry.add("awsCredsEnvVars", Signature::variadic(&[], Param::Str), move |args| aws_creds_env_vars(&c, args));
    let c = config.clone();
    registry.add("dbUsername", Signature::fixed(&[Param::Str]), move |args| database_field(&c, args, "username"));
    let c = config.clone();
    registry.add("dbPassword", Signature::fixed(&[Param::Str]), move |args| database_field(&c, args, "password"));
    for (name, field) in [("tlsKey", "private_key"), ("tlsCert", "certificate"), ("tlsCA", "issuing_ca")] {
        let c = config.clone();
        registry.add(name, Signature::fixed(&[Param::Str]), move |args| tls_field(&c, args, field));
    }
}

/// Fetches `request` in this pass: `Ok(None)` means "not fetched yet" and the
/// caller returns a placeholder; the renderer will render again.
fn fetch(request: Request) -> Result<Option<Option<VaultResponse>>, FuncError> {
    match session::lookup(request).map_err(FuncError::new)? {
        None => Ok(None),
        Some(Ok(response)) => Ok(Some(response)),
        Some(Err(message)) => Err(FuncError::new(message)),
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// `lookup NAME [KEY]`: a secret of the app's own area. With KEY, that key's
/// value; without, the only key's value, or the whole map when there are
/// several.
fn lookup(config: &VaultFunctionsConfig, args: &[Value]) -> FuncResult {
    let plan = config
        .app
        .as_ref()
        .ok_or_else(|| FuncError::new("lookup needs the app (PROVIDER.CLUSTER.APP) to be configured"))?;
    let name = text(&args[0]);
    if name.is_empty() || name.starts_with('/') || name.split('/').any(|part| part == ".." || part == ".") {
        return Err(FuncError::new(format!("lookup: {name:?} is not a secret name inside the app's area")));
    }
    if args.len() > 2 {
        return Err(FuncError::new("lookup takes a secret name and at most one key"));
    }
    let logical = format!("{}/{name}", plan.secret_areas.app);
    let path = plan.kv_read_path(&logical);
    let Some(response) = fetch(Request::Read(path.clone()))? else {
        return Ok(Value::str(""));
    };
    let response =
        response.ok_or_else(|| FuncError::new(format!("lookup: secret {name:?} not found (read {path})")))?;
    let v2 = KvMount::containing(&plan.kv_mounts, &logical).is_some_and(|m| m.version == KvVersion::V2);
    let data = response.data.as_ref().map(|d| d.expose_secret());
    let data = if v2 { data.and_then(|d| d.get("data")) } else { data };
    let entries = data.and_then(serde_json::Value::as_object).cloned().unwrap_or_default();
    match args.get(1).map(text) {
        Some(key) => entries.get(key).map(Value::from_json).ok_or_else(|| {
            let keys: Vec<&str> = entries.keys().map(String::as_str).collect();
            FuncError::new(format!("lookup: secret {name:?} has no key {key:?} (it has: {})", keys.join(", ")))
        }),
        None if entries.len() == 1 => Ok(entries.values().next().map(Value::from_json).unwrap_or_default()),
        None => Ok(Value::from_json(&serde_json::Value::Object(entries))),
    }
}

/// `k=v` arguments as a JSON object of strings.
fn pairs(args: &[Value], function: &str) -> Result<serde_json::Value, FuncError> {
    let mut body = serde_json::Map::new();
    for arg in args {
        let (key, value) = text(arg)
            .split_once('=')
            .ok_or_else(|| FuncError::new(format!("{function}: {:?} is not key=value", text(arg))))?;
        body.insert(key.to_owned(), json!(value));
    }
    Ok(serde_json::Value::Object(body))
}

/// `secret PATH [k=v ...]`, as consul-template has it: a read, or a write
/// when given pairs; the whole response, with consul-template's field names.
fn secret(args: &[Value]) -> FuncResult {
    let path = text(&args[0]).trim_start_matches('/').to_owned();
    let request = if args.len() > 1 {
        Request::write(path.clone(), &pairs(&args[1..], "secret")?)
    } else {
        Request::Read(path.clone())
    };
    let Some(response) = fetch(request)? else {
        return Ok(Value::map(BTreeMap::new()));
    };
    let response = response.ok_or_else(|| FuncError::new(format!("secret: nothing at {path}")))?;
    Ok(Value::from_json(&consul_template_secret(&response)))
}

fn consul_template_secret(response: &VaultResponse) -> serde_json::Value {
    let auth = response.auth.as_ref().map(|auth| {
        json!({
            "ClientToken": auth.client_token.expose_secret(),
            "Accessor": auth.accessor,
            "Policies": auth.policies,
            "TokenPolicies": auth.token_policies,
            "Metadata": auth.metadata,
            "LeaseDuration": auth.lease_duration,
            "Renewable": auth.renewable,
        })
    });
    let wrap = response.wrap_info.as_ref().map(|wrap| {
        json!({
            "Token": wrap.token.expose_secret(),
            "Accessor": wrap.accessor,
            "TTL": wrap.ttl,
            "CreationTime": wrap.creation_time,
            "CreationPath": wrap.creation_path,
            "WrappedAccessor": wrap.wrapped_accessor,
        })
    });
    json!({
        "RequestID": response.request_id,
        "LeaseID": response.lease_id,
        "LeaseDuration": response.lease_duration,
        "Renewable": response.renewable,
        "Data": response.data.as_ref().map(|d| d.expose_secret().clone()),
        "Warnings": response.warnings,
        "Auth": auth,
        "WrapInfo": wrap,
    })
}

/// `rawRead PATH`: the `data` of any path the app's policy lets it read.
fn raw_read(args: &[Value]) -> FuncResult {
    let path = text(&args[0]).trim_start_matches('/').to_owned();
    let Some(response) = fetch(Request::Read(path.clone()))? else {
        return Ok(Value::map(BTreeMap::new()));
    };
    let response = response.ok_or_else(|| FuncError::new(format!("rawRead: nothing at {path}")))?;
    Ok(response.data.as_ref().map(|d| Value::from_json(d.expose_secret())).unwrap_or_default())
}

/// `rawWrite PATH k=v...`: writes, and gives the answer's `data` (an empty
/// map when Vault answers 204).
fn raw_write(args: &[Value]) -> FuncResult {
    let path = text(&args[0]).trim_start_matches('/').to_owned();
    let body = pairs(&args[1..], "rawWrite")?;
    let Some(response) = fetch(Request::write(path, &body))? else {
        return Ok(Value::map(BTreeMap::new()));
    };
    Ok(response
        .and_then(|r| r.data)
        .map(|d| Value::from_json(d.expose_secret()))
        .unwrap_or_else(|| Value::map(BTreeMap::new())))
}

/// `awsCredsEnvVars [ROLE]`: AWS credentials as `export` lines for `sh`.
fn aws_creds_env_vars(config: &VaultFunctionsConfig, args: &[Value]) -> FuncResult {
    let role = match args {
        [] => config
            .app
            .as_ref()
            .map(|plan| plan.names.approle.clone())
            .ok_or_else(|| FuncError::new("awsCredsEnvVars needs a role name, or the app to be configured"))?,
        [role] => text(role).to_owned(),
        _ => return Err(FuncError::new("awsCredsEnvVars takes at most one role name")),
    };
    let path = format!("{}/creds/{role}", config.aws_mount);
    let Some(response) = fetch(Request::Read(path.clone()))? else {
        return Ok(Value::str(""));
    };
    let data =
        response.and_then(|r| r.data).ok_or_else(|| FuncError::new(format!("awsCredsEnvVars: nothing at {path}")))?;
    let field = |name: &str| data.get_str(name).filter(|v| !v.is_empty());
    let mut lines = String::new();
    for (variable, key) in [
        ("AWS_ACCESS_KEY_ID", "access_key"),
        ("AWS_SECRET_ACCESS_KEY", "secret_key"),
        ("AWS_SESSION_TOKEN", "security_token"),
    ] {
        match field(key) {
            Some(value) => lines.push_str(&format!("export {variable}={}\n", shell_quote(value))),
            None if key == "security_token" => {}
            None => return Err(FuncError::new(format!("awsCredsEnvVars: {path} gave no {key}"))),
        }
    }
    Ok(Value::str(lines))
}

/// Single-quotes `value` for `sh`: nothing inside is interpreted.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `dbUsername ROLE` / `dbPassword ROLE`: one credential per role per scope.
fn database_field(config: &VaultFunctionsConfig, args: &[Value], field: &str) -> FuncResult {
    let path = format!("{}/creds/{}", config.database_mount, text(&args[0]));
    string_field(Request::Read(path), field)
}

/// `tlsKey CN` / `tlsCert CN` / `tlsCA CN`: one certificate per CN per scope.
fn tls_field(config: &VaultFunctionsConfig, args: &[Value], field: &str) -> FuncResult {
    let role = config.app.as_ref().map(|plan| plan.names.approle.as_str()).unwrap_or("default");
    let path = config.pki_issue_path.replace("{role}", role);
    string_field(Request::write(path, &json!({ "common_name": text(&args[0]) })), field)
}

fn string_field(request: Request, field: &str) -> FuncResult {
    let path = request.path().to_owned();
    let Some(response) = fetch(request)? else {
        return Ok(Value::str(""));
    };
    let data = response.and_then(|r| r.data).ok_or_else(|| FuncError::new(format!("nothing at {path}")))?;
    data.get_str(field).map(Value::str).ok_or_else(|| FuncError::new(format!("{path} gave no {field}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_quotes_and_metacharacters() {
        assert_eq!(shell_quote("AKIA123"), "'AKIA123'");
        assert_eq!(shell_quote("a'b$(rm -rf /)`x`"), r"'a'\''b$(rm -rf /)`x`'");
    }

    #[test]
    fn pairs_must_be_key_value() {
        let ok = pairs(&[Value::str("a=1"), Value::str("b=x=y")], "rawWrite").unwrap();
        assert_eq!(ok, json!({ "a": "1", "b": "x=y" }));
        let error = pairs(&[Value::str("novalue")], "rawWrite").unwrap_err();
        assert_eq!(error.to_string(), r#"rawWrite: "novalue" is not key=value"#);
    }

    #[test]
    fn functions_outside_a_render_say_so() {
        let error = raw_read(&[Value::str("secret/x")]).unwrap_err();
        assert!(error.to_string().contains("only when rendering through qsec's Vault renderer"));
    }
}
