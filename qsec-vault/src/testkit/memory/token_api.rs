//! The token auth method's endpoints: `auth/token/*`.

use super::outcome::{ApiError, ApiResult, Envelope, Outcome};
use super::request::Method;
use super::router::Call;
use super::state::State;
use super::token_roles::{self, TokenRole, glob_match};
use super::tokens::{Token, TokenSpec};

/// Existence check for writes: token roles tell `create` from `update`.
pub(crate) fn exists(state: &State, rel: &str) -> Option<bool> {
    let name = rel.strip_prefix("roles/")?.trim_matches('/').to_lowercase();
    Some(state.token_roles.contains_key(&name))
}

/// `auth/token/*`.
pub(crate) fn handle(state: &mut State, call: &Call) -> ApiResult {
    let rel = call.rel.trim_end_matches('/');
    if rel == "roles" || rel.starts_with("roles/") {
        return token_roles::handle(state, call, rel.trim_start_matches("roles"));
    }
    match rel {
        "create" | "create-orphan" => {
            call.expect(&[Method::Post])?;
            // `role_name` in the body names a role, as the path form does.
            let role = match call.params.str("role_name").filter(|r| !r.is_empty() && rel == "create") {
                Some(name) => Some(token_role(state, &name)?),
                None => None,
            };
            create(state, call, role, rel == "create-orphan")
        }
        _ if rel.starts_with("create/") => {
            call.expect(&[Method::Post])?;
            let role = token_role(state, &rel["create/".len()..])?;
            create(state, call, Some(role), false)
        }
        "lookup-self" => {
            call.expect(&[Method::Get, Method::Post])?;
            let token = caller_token(call)?;
            Ok(Outcome::data(token.lookup_data(call.now, true)))
        }
        "lookup" => {
            call.expect(&[Method::Get, Method::Post])?;
            let id = call.params.str("token").filter(|t| !t.is_empty());
            let token = match id {
                Some(id) => state.tokens.get(&id).cloned().ok_or_else(|| ApiError::new(403, "bad token"))?,
                None => caller_token(call)?.clone(),
            };
            Ok(Outcome::data(token.lookup_data(call.now, true)))
        }
        "lookup-accessor" => {
            call.expect(&[Method::Post])?;
            let token = by_accessor(state, call)?;
            Ok(Outcome::data(token.lookup_data(call.now, false)))
        }
        "renew-self" => {
            call.expect(&[Method::Post])?;
            let id = caller_token(call)?.id.clone();
            renew(state, call, &id, true)
        }
        "renew" => {
            call.expect(&[Method::Post])?;
            let id = call.params.required_str("token", "missing token")?;
            if state.tokens.get(&id).is_none() {
                return Err(ApiError::bad_request("token not found"));
            }
            renew(state, call, &id, true)
        }
        "renew-accessor" => {
            call.expect(&[Method::Post])?;
            let id = by_accessor(state, call)?.id;
            renew(state, call, &id, false)
        }
        "revoke-self" => {
            call.expect(&[Method::Post])?;
            let id = caller_token(call)?.id.clone();
            state.revoke_token(&id, true);
            Ok(Outcome::NoContent)
        }
        "revoke" => {
            call.expect(&[Method::Post])?;
            let id = call.params.required_str("token", "missing token")?;
            state.revoke_token(&id, true);
            Ok(Outcome::NoContent)
        }
        "revoke-accessor" => {
            call.expect(&[Method::Post])?;
            let id = by_accessor(state, call)?.id;
            state.revoke_token(&id, true);
            Ok(Outcome::NoContent)
        }
        "revoke-orphan" => {
            call.expect(&[Method::Post])?;
            if !call.caller.as_ref().is_some_and(|c| c.has_sudo(&call.path)) {
                return Err(ApiError::bad_request("root or sudo privileges required to revoke and orphan"));
            }
            let id = call.params.required_str("token", "missing token")?;
            state.revoke_token(&id, false);
            Ok(Outcome::NoContent)
        }
        "accessors" => {
            call.expect(&[Method::List])?;
            Outcome::keys(state.tokens.accessors())
        }
        "tidy" => {
            call.expect(&[Method::Post])?;
            // Vault answers 202 Accepted (the tidy runs in the background); the docs
            // show the body as a plain answer, and 200 is what clients expect.
            Ok(Outcome::Envelope(Envelope { status: 200, ..Envelope::default() }.with_warning(
                "Tidy operation successfully started. Any information from the operation will be printed to \
                     OpenBao's server logs.",
            )))
        }
        _ => Err(ApiError::no_route(&call.path)),
    }
}

fn token_role(state: &State, name: &str) -> ApiResult<TokenRole> {
    let name = name.to_lowercase();
    state.token_roles.get(&name).cloned().ok_or_else(|| ApiError::bad_request(format!("unknown role {name}")))
}

fn caller_token(call: &Call) -> ApiResult<&Token> {
    call.caller.as_ref().map(|c| &c.token).ok_or_else(ApiError::permission_denied)
}

fn by_accessor(state: &State, call: &Call) -> ApiResult<Token> {
    let accessor = call.params.required_str("accessor", "missing accessor")?;
    state
        .tokens
        .id_of_accessor(&accessor)
        .and_then(|id| state.tokens.get(&id).cloned())
        .ok_or_else(|| ApiError::bad_request("invalid accessor"))
}

fn renew(state: &mut State, call: &Call, id: &str, with_id: bool) -> ApiResult {
    let increment = call.params.duration("increment")?;
    // A periodic token of a role renews with the role's current period.
    let role_period = state
        .tokens
        .get(id)
        .and_then(|t| t.role.as_ref())
        .and_then(|role| state.token_roles.get(role))
        .map(|role| role.period)
        .filter(|period| *period > 0);
    let warnings = state.tokens.renew(id, increment, role_period, call.now)?;
    let token = state.tokens.get(id).ok_or_else(|| ApiError::bad_request("token not found"))?;
    Ok(Outcome::Envelope(Envelope::auth(token.auth_block(call.now, with_id)).with_warnings(warnings)))
}

/// `auth/token/create`, `create-orphan` and `create/:role_name`.
fn create(state: &mut State, call: &Call, role: Option<TokenRole>, orphan_endpoint: bool) -> ApiResult {
    let caller = call.caller.as_ref().ok_or_else(ApiError::permission_denied)?;
    let parent = &caller.token;
    let is_sudo = caller.has_sudo(&call.path);
    let params = &call.params;

    if params.str("type").is_some_and(|t| t == "batch") {
        return Err(ApiError::bad_request("batch tokens are not supported by the qsec in-memory Vault"));
    }
    let id = params.str("id").filter(|id| !id.is_empty());
    if let Some(id) = &id {
        if !parent.is_root() && !is_sudo {
            return Err(ApiError::bad_request("root or sudo privileges required to specify token id"));
        }
        if id.contains('.') {
            return Err(ApiError::bad_request("token IDs can not contain a '.' character"));
        }
    }
    if params.i64("num_uses")?.is_some_and(|n| n < 0) {
        return Err(ApiError::bad_request("number of uses cannot be negative"));
    }
    let num_uses = params.u64("num_uses")?.unwrap_or(0);
    let no_default_policy = params.bool("no_default_policy")?.unwrap_or(false);
    let requested: Vec<String> =
        params.list("policies")?.unwrap_or_default().into_iter().map(|p| p.to_lowercase()).collect();
    let mut spec = TokenSpec {
        id,
        no_default_policy,
        meta: params.string_map("meta")?.unwrap_or_default(),
        display_name: params
            .str("display_name")
            .filter(|n| !n.is_empty())
            .map(|n| format!("token-{n}"))
            .unwrap_or_default(),
        num_uses,
        ttl: params.duration("ttl")?.or(params.duration("lease")?).unwrap_or(0),
        explicit_max_ttl: params.duration("explicit_max_ttl")?.unwrap_or(0),
        renewable: params.bool("renewable")?.unwrap_or(true),
        // Tokens of a role live under `create/:role_name`, whichever form
        // named it, so revoke-prefix on that path finds them all.
        path: match &role {
            Some(role) => format!("auth/{}create/{}", call.mount, role.name),
            None => call.path.trim_end_matches('/').to_owned(),
        },
        ..TokenSpec::default()
    };
    let period = params.duration("period")?.unwrap_or(0);
    let no_parent = params.bool("no_parent")?.unwrap_or(false);

    let orphan = match &role {
        Some(role) => {
            spec.policies = role_policies(role, &requested, no_default_policy)?;
            spec.no_default_policy = true;
            spec.period = if role.period > 0 { role.period } else { period };
            if role.explicit_max_ttl > 0
                && (spec.explicit_max_ttl == 0 || spec.explicit_max_ttl > role.explicit_max_ttl)
            {
                spec.explicit_max_ttl = role.explicit_max_ttl;
            }
            spec.renewable &= role.renewable;
            spec.bound_cidrs = role.bound_cidrs.clone();
            if role.num_uses > 0 && (spec.num_uses == 0 || spec.num_uses > role.num_uses) {
                spec.num_uses = role.num_uses;
            }
            spec.role = Some(role.name.clone());
            if !role.path_suffix.is_empty() {
                spec.path = format!("{}/{}", spec.path, role.path_suffix);
            }
            if role.period == 0 && period > 0 && !is_sudo {
                return Err(ApiError::bad_request("root or sudo privileges required to create periodic token"));
            }
            role.orphan
        }
        None => {
            spec.policies = if requested.is_empty() {
                parent.policies.iter().filter(|p| !(no_default_policy && *p == "default")).cloned().collect()
            } else {
                requested.clone()
            };
            let asks_beyond_parent = requested.iter().any(|p| p != "default" && !parent.policies.contains(p))
                || requested.contains(&"root".into());
            if !parent.is_root() && !is_sudo && asks_beyond_parent {
                return Err(ApiError::bad_request("child policies must be subset of parent"));
            }
            if period > 0 && !is_sudo {
                return Err(ApiError::bad_request("root or sudo privileges required to create periodic token"));
            }
            spec.period = period;
            if no_parent && !orphan_endpoint && !is_sudo {
                return Err(ApiError::bad_request("root or sudo privileges required to create orphan token"));
            }
            orphan_endpoint || no_parent
        }
    };
    spec.parent = (!orphan).then(|| parent.id.clone());
    let warnings: Vec<String> = super::tokens::normalize_policies(&spec.policies, true)
        .iter()
        .filter(|p| !state.policies.exists(p))
        .map(|p| format!("Policy \"{p}\" does not exist"))
        .collect();
    let mount = state.auth_config("token/");
    let (token, mut capped) = state.tokens.create(spec, mount, call.now)?;
    capped.extend(warnings);
    Ok(Outcome::Envelope(Envelope::auth(token.auth_block(call.now, true)).with_warnings(capped)))
}

/// The policies of a token created against `role`, or the error Vault gives.
fn role_policies(role: &TokenRole, requested: &[String], no_default_policy: bool) -> ApiResult<Vec<String>> {
    let default_disallowed = role.disallowed_policies.iter().any(|p| p == "default")
        || role.disallowed_policies_glob.iter().any(|g| glob_match(g, "default"));
    let add_default = !no_default_policy && !role.no_default_policy && !default_disallowed;
    let restricted = !role.allowed_policies.is_empty() || !role.allowed_policies_glob.is_empty();
    let mut policies: Vec<String> =
        if requested.is_empty() && restricted { role.allowed_policies.clone() } else { requested.to_vec() };
    if restricted {
        let allowed = |p: &String| {
            p == "default"
                || role.allowed_policies.contains(p)
                || role.allowed_policies_glob.iter().any(|g| glob_match(g, p))
        };
        if let Some(bad) = policies.iter().find(|p| !allowed(p)) {
            return Err(ApiError::bad_request(format!(
                "token policies ({bad:?}) must be subset of the role's allowed policies ({:?})",
                role.allowed_policies
            )));
        }
    }
    if add_default {
        policies.push("default".into());
    }
    for policy in &policies {
        let disallowed = role.disallowed_policies.contains(policy)
            || role.disallowed_policies_glob.iter().any(|g| glob_match(g, policy));
        if disallowed {
            return Err(ApiError::bad_request(format!("token policy {policy:?} is disallowed by this role")));
        }
    }
    if policies.is_empty() {
        // Vault refuses to mint a token with no policies at all.
        return Err(ApiError::bad_request("token must have at least one policy"));
    }
    Ok(policies)
}
