//! Vault ACL policies: parsing policy documents and deciding what a token
//! holding several policies may do on a path, as Vault does.
//!
//! The semantics follow Vault's (and OpenBao's) policy documentation and
//! implementation:
//!
//! - A rule's path is exact, a prefix (`*`, only as the last character) or
//!   has `+` segment wildcards (`secret/+/teamb`, possibly ending in `*`).
//! - An exact rule for the request path always wins. Otherwise the single
//!   highest-priority glob or wildcard rule applies, by the documented
//!   priority rules; capabilities of different patterns are never added up.
//! - The same path string in several policies (or twice in one policy) is
//!   merged: capabilities are unioned, and `deny` on either side leaves only
//!   `deny`.
//! - Deny by default: no matching rule, or a rule with
//!   `capabilities = []`, grants nothing.
//! - A policy named `root` makes the ACL a root ACL that allows everything.
//!
//! Documents are read as HCL 2 (with `hcl-rs`) or JSON. Every policy in
//! Vault's documentation parses the same; HCL 1 leniencies Vault's own
//! parser allows, such as several attributes on one line
//! (`path "a" { capabilities = ["read"] policy = "read" }`), are syntax
//! errors here.
//!
//! What is left out: identity templating (`{{identity.entity.id}}`) needs
//! an entity, which tokens here never have, so templated paths parse but
//! grant nothing, exactly as Vault treats a token without an entity; control
//! groups, MFA methods and list filtering are accepted and ignored.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use qsec_core::Capability;
use serde_json::{Map, Value};

// Capabilities as bits, like Vault's `cap2Int`, so merging is a bitwise or.
const DENY: u16 = 1 << 0;
const CREATE: u16 = 1 << 1;
const READ: u16 = 1 << 2;
const UPDATE: u16 = 1 << 3;
const DELETE: u16 = 1 << 4;
const LIST: u16 = 1 << 5;
const SUDO: u16 = 1 << 6;
const PATCH: u16 = 1 << 7;
const SCAN: u16 = 1 << 8;

/// Capability names and bits in alphabetical order, the order in which
/// Vault's `sys/capabilities` reports them.
const NAMED_BITS: [(&str, u16); 8] = [
    ("create", CREATE),
    ("delete", DELETE),
    ("list", LIST),
    ("patch", PATCH),
    ("read", READ),
    ("scan", SCAN),
    ("sudo", SUDO),
    ("update", UPDATE),
];

/// The keys Vault accepts inside a `path` stanza.
const PATH_KEYS: [&str; 13] = [
    "comment",
    "policy",
    "capabilities",
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "mfa_methods",
    "pagination_limit",
    "expiration",
    "list_scan_response_keys_filter_path",
    "control_group",
];

/// The rules of Vault's built-in `default` policy, attached to tokens unless
/// they are created with `no_default_policy`: a token may look itself up,
/// renew and revoke itself, check its capabilities, use its cubbyhole,
/// renew and look up leases, and wrap, look up and unwrap responses.
pub const DEFAULT_POLICY: &str = r#"
# A token's own properties, renewal and revocation.
path "auth/token/lookup-self" {
    capabilities = ["read"]
}
path "auth/token/renew-self" {
    capabilities = ["update"]
}
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# A token's capabilities on a path.
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# A token's own identity entity (needs an entity to apply).
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# The resultant ACL, for UIs.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Lease renewal (old and new paths) and lookup by lease ID.
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# A token's own cubbyhole.
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping.
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Hashing tools.
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}

# OIDC provider authorization.
path "identity/oidc/provider/+/authorize" {
    capabilities = ["read", "update"]
}
"#;

/// The rules of Vault's fixed `response-wrapping` policy, given to every
/// response-wrapping token: read its wrapped response, and unwrap.
pub const RESPONSE_WRAPPING_POLICY: &str = r#"
path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
"#;

/// The name Vault gives the request parameter that pagination limits.
const LIMIT_PARAMETER: &str = "limit";

fn capability_bit(capability: Capability) -> u16 {
    match capability {
        Capability::Create => CREATE,
        Capability::Read => READ,
        Capability::Update => UPDATE,
        Capability::Patch => PATCH,
        Capability::Delete => DELETE,
        Capability::List => LIST,
        Capability::Sudo => SUDO,
        Capability::Deny => DENY,
        // `Capability` is non-exhaustive; a capability this module does not
        // know is one no policy here can grant.
        _ => 0,
    }
}

fn bit_capability(bit: u16) -> Option<Capability> {
    match bit {
        CREATE => Some(Capability::Create),
        READ => Some(Capability::Read),
        UPDATE => Some(Capability::Update),
        PATCH => Some(Capability::Patch),
        DELETE => Some(Capability::Delete),
        LIST => Some(Capability::List),
        SUDO => Some(Capability::Sudo),
        DENY => Some(Capability::Deny),
        _ => None,
    }
}

/// What one path stanza (or several merged ones) grants.
#[derive(Debug, Clone, Default, PartialEq)]
struct Permissions {
    capabilities: u16,
    min_wrapping_ttl: Option<Duration>,
    max_wrapping_ttl: Option<Duration>,
    /// Lower-cased parameter name → allowed values; an empty list allows
    /// any value. An empty map constrains nothing.
    allowed_parameters: BTreeMap<String, Vec<Value>>,
    /// Lower-cased parameter name → denied values; an empty list denies
    /// every value.
    denied_parameters: BTreeMap<String, Vec<Value>>,
    required_parameters: Vec<String>,
    pagination_limit: Option<u64>,
}

impl Permissions {
    fn is_deny(&self) -> bool {
        self.capabilities & DENY != 0
    }

    /// Folds `other` (the same path string from another stanza) into
    /// `self`, as Vault's `NewACL` does.
    fn merge(&mut self, other: &Permissions) {
        if self.is_deny() {
            return;
        }
        if other.is_deny() {
            self.capabilities = DENY;
            self.allowed_parameters.clear();
            self.denied_parameters.clear();
            return;
        }
        self.capabilities |= other.capabilities;
        // The shortest wrapping TTLs win, keeping tokens' lives short.
        self.max_wrapping_ttl = lowest(self.max_wrapping_ttl, other.max_wrapping_ttl);
        self.min_wrapping_ttl = lowest(self.min_wrapping_ttl, other.min_wrapping_ttl);
        merge_parameters(&mut self.allowed_parameters, &other.allowed_parameters);
        merge_parameters(&mut self.denied_parameters, &other.denied_parameters);
        for parameter in &other.required_parameters {
            if !self.required_parameters.contains(parameter) {
                self.required_parameters.push(parameter.clone());
            }
        }
        self.pagination_limit = match (self.pagination_limit, other.pagination_limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

fn lowest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn merge_parameters(into: &mut BTreeMap<String, Vec<Value>>, from: &BTreeMap<String, Vec<Value>>) {
    for (key, values) in from {
        match into.get_mut(key) {
            // An empty list (any value) on either side wins over a list.
            Some(existing) if existing.is_empty() || values.is_empty() => existing.clear(),
            Some(existing) => existing.splice(0..0, values.iter().cloned()).for_each(drop),
            None => {
                into.insert(key.clone(), values.clone());
            }
        }
    }
}

/// How a rule's path matches request paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PathKind {
    /// Only this path.
    Exact,
    /// Every path starting with this (the `*` stripped).
    Prefix,
    /// Has `+` segments; may still end in `*`, which is kept.
    SegmentWildcard,
}

/// One `path` stanza of a policy.
#[derive(Debug, Clone, PartialEq)]
struct PathRule {
    /// The path as matched: leading `/` removed, a prefix rule's `*` removed.
    path: String,
    kind: PathKind,
    permissions: Permissions,
    /// After this instant the rule no longer applies.
    expiration: Option<SystemTime>,
    /// Uses identity templating, so it needs an entity to apply.
    templated: bool,
}

/// A parsed Vault ACL policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct AclPolicy {
    name: String,
    rules: Vec<PathRule>,
}

impl AclPolicy {
    /// Parses a policy document in HCL or in Vault's JSON policy form.
    /// Errors read like Vault's: `failed to parse policy: ...`.
    ///
    /// The name is kept as given; Vault lower-cases policy names when they
    /// are written, which is the caller's business. An empty document is a
    /// valid policy that grants nothing.
    pub fn parse(name: &str, text: &str) -> Result<AclPolicy, String> {
        let stanzas = if text.trim_start().starts_with('{') { json_stanzas(text)? } else { hcl_stanzas(text)? };
        let rules = stanzas
            .into_iter()
            .map(|(path, body)| parse_rule(&path, &body).map_err(|e| format!("failed to parse policy: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AclPolicy { name: name.to_owned(), rules })
    }

    /// The policy's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy's rule paths in document order, as they match: without a
    /// leading `/`, and without the `*` of a plain prefix rule.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|rule| rule.path.as_str())
    }

    /// Whether any path uses identity templating (`{{identity...}}`).
    /// Such paths grant nothing here, as for a Vault token without an entity.
    pub fn is_templated(&self) -> bool {
        self.rules.iter().any(|rule| rule.templated)
    }
}

/// A `path` stanza: the path as written and its body as JSON.
type Stanza = (String, Map<String, Value>);

/// The stanzas of an HCL policy.
fn hcl_stanzas(text: &str) -> Result<Vec<Stanza>, String> {
    let body = hcl::parse(text).map_err(|e| format!("failed to parse policy: {e}"))?;
    let mut stanzas = Vec::new();
    for structure in body.into_inner() {
        match structure {
            hcl::Structure::Attribute(attribute) => match attribute.key.as_str() {
                "name" => {}
                // `path = { "secret/foo" = { ... } }`, the shape JSON uses.
                "path" => stanzas.extend(path_object_stanzas(hcl_value_to_json(attribute.expr.into()))?),
                other => return Err(format!("failed to parse policy: invalid key {other:?}")),
            },
            hcl::Structure::Block(block) => {
                if block.identifier.as_str() != "path" {
                    return Err(format!("failed to parse policy: invalid key {:?}", block.identifier.as_str()));
                }
                let [label] = block.labels.as_slice() else {
                    return Err("failed to parse policy: a path stanza needs exactly one path, as in \
                                path \"secret/foo\" { ... }"
                        .to_owned());
                };
                stanzas.push((label.as_str().to_owned(), hcl_body_to_json(block.body)));
            }
        }
    }
    Ok(stanzas)
}

/// An HCL body as a JSON object: attributes as keys, nested blocks as
/// objects keyed by their identifier and then their labels.
fn hcl_body_to_json(body: hcl::Body) -> Map<String, Value> {
    let mut object = Map::new();
    for structure in body.into_inner() {
        match structure {
            hcl::Structure::Attribute(attribute) => {
                object.insert(attribute.key.into_inner(), hcl_value_to_json(attribute.expr.into()));
            }
            hcl::Structure::Block(block) => {
                // `factor "ops" { ... }` becomes {"factor": {"ops": {...}}}.
                let mut value = Value::Object(hcl_body_to_json(block.body));
                for label in block.labels.into_iter().rev() {
                    value = Value::Object(Map::from_iter([(label.into_inner(), value)]));
                }
                deep_merge(&mut object, block.identifier.into_inner(), value);
            }
        }
    }
    object
}

/// Inserts `value` at `key`, merging objects so repeated blocks add up.
fn deep_merge(object: &mut Map<String, Value>, key: String, value: Value) {
    match (object.get_mut(&key), value) {
        (Some(Value::Object(existing)), Value::Object(incoming)) => {
            for (k, v) in incoming {
                deep_merge(existing, k, v);
            }
        }
        (_, value) => {
            object.insert(key, value);
        }
    }
}

fn hcl_value_to_json(value: hcl::Value) -> Value {
    match value {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(b),
        hcl::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64().map_or(Value::Null, Value::from)
            }
        }
        hcl::Value::String(s) => Value::String(s),
        hcl::Value::Array(items) => Value::Array(items.into_iter().map(hcl_value_to_json).collect()),
        hcl::Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, hcl_value_to_json(v))).collect()),
    }
}

/// The stanzas of a JSON policy: `{"path": {"secret/foo": {...}}}`.
fn json_stanzas(text: &str) -> Result<Vec<Stanza>, String> {
    let document: Value = serde_json::from_str(text).map_err(|e| format!("failed to parse policy: {e}"))?;
    let Value::Object(top) = document else {
        return Err("failed to parse policy: does not contain a root object".to_owned());
    };
    let mut stanzas = Vec::new();
    for (key, value) in top {
        match key.as_str() {
            "name" => {}
            "path" => stanzas.extend(path_object_stanzas(value)?),
            other => return Err(format!("failed to parse policy: invalid key {other:?}")),
        }
    }
    Ok(stanzas)
}

/// `{"secret/foo": {...}, ...}`, or a list of such objects (HCL's JSON
/// flavour allows both), as stanzas.
fn path_object_stanzas(value: Value) -> Result<Vec<Stanza>, String> {
    let objects = match value {
        Value::Array(items) => items,
        other => vec![other],
    };
    let mut stanzas = Vec::new();
    for object in objects {
        let Value::Object(paths) = object else {
            return Err("failed to parse policy: \"path\" must map paths to objects".to_owned());
        };
        for (path, body) in paths {
            let Value::Object(body) = body else {
                return Err(format!("failed to parse policy: path {path:?}: the rule must be an object"));
            };
            stanzas.push((path, body));
        }
    }
    Ok(stanzas)
}

/// One stanza into a rule, following Vault's `parsePaths`. Errors come
/// without the "failed to parse policy: " prefix.
fn parse_rule(key: &str, body: &Map<String, Value>) -> Result<PathRule, String> {
    let templated = check_templating(key)?;
    if let Some(invalid) = body.keys().find(|k| !PATH_KEYS.contains(&k.as_str())) {
        return Err(format!("path {key:?}: invalid key {invalid:?}"));
    }

    let expiration = match body.get("expiration") {
        None => None,
        Some(raw) => Some(parse_time(raw).map_err(|e| format!("path {key:?}: invalid expiration time: {e}"))?),
    };

    // Paths in Vault start after the `/` of the API path.
    let path = key.strip_prefix('/').unwrap_or(key);
    if path.contains("+*") {
        return Err(format!("path {path:?}: invalid use of wildcards ('+*' is forbidden)"));
    }
    let has_segment_wildcards = path == "+" || path.contains("/+") || path.starts_with("+/");
    let (path, kind) = if has_segment_wildcards {
        // The trailing `*` stays: wildcard matching handles it.
        (path.to_owned(), PathKind::SegmentWildcard)
    } else if let Some(prefix) = path.strip_suffix('*') {
        (prefix.to_owned(), PathKind::Prefix)
    } else {
        (path.to_owned(), PathKind::Exact)
    };

    let mut names: Vec<String> = Vec::new();
    if let Some(old) = body.get("policy") {
        // The pre-capabilities syntax, `policy = "read"`.
        let old = old.as_str().ok_or_else(|| format!("path {key:?}: policy must be a string"))?;
        let mapped: &[&str] = match old {
            "deny" => &["deny"],
            "read" => &["read", "list"],
            "write" => &["create", "read", "update", "delete", "list"],
            "sudo" => &["create", "read", "update", "delete", "list", "sudo"],
            other => return Err(format!("path {key:?}: invalid policy {other:?}")),
        };
        names.extend(mapped.iter().map(|name| (*name).to_owned()));
    }
    if let Some(capabilities) = body.get("capabilities") {
        names.extend(string_list(capabilities).map_err(|e| format!("path {key:?}: capabilities {e}"))?);
    }

    let mut permissions = Permissions::default();
    for name in &names {
        let bit = match name.as_str() {
            "deny" => {
                // Deny admits nothing else; Vault stops reading the stanza.
                permissions.capabilities = DENY;
                return Ok(PathRule { path, kind, permissions, expiration, templated });
            }
            "create" => CREATE,
            "read" => READ,
            "update" => UPDATE,
            "delete" => DELETE,
            "list" => LIST,
            "sudo" => SUDO,
            "patch" => PATCH,
            "scan" => SCAN,
            other => return Err(format!("path {key:?}: invalid capability {other:?}")),
        };
        permissions.capabilities |= bit;
    }

    if let Some(raw) = body.get("allowed_parameters") {
        permissions.allowed_parameters =
            parameter_map(raw).map_err(|e| format!("path {key:?}: allowed_parameters {e}"))?;
    }
    if let Some(raw) = body.get("denied_parameters") {
        permissions.denied_parameters =
            parameter_map(raw).map_err(|e| format!("path {key:?}: denied_parameters {e}"))?;
    }
    if let Some(raw) = body.get("min_wrapping_ttl") {
        let ttl = parse_duration(raw).map_err(|e| format!("error parsing min_wrapping_ttl: {e}"))?;
        permissions.min_wrapping_ttl = (!ttl.is_zero()).then_some(ttl);
    }
    if let Some(raw) = body.get("max_wrapping_ttl") {
        let ttl = parse_duration(raw).map_err(|e| format!("error parsing max_wrapping_ttl: {e}"))?;
        permissions.max_wrapping_ttl = (!ttl.is_zero()).then_some(ttl);
    }
    if let (Some(min), Some(max)) = (permissions.min_wrapping_ttl, permissions.max_wrapping_ttl)
        && max < min
    {
        return Err("max_wrapping_ttl cannot be less than min_wrapping_ttl".to_owned());
    }
    if let Some(raw) = body.get("required_parameters") {
        permissions.required_parameters =
            string_list(raw).map_err(|e| format!("path {key:?}: required_parameters {e}"))?;
    }
    if let Some(raw) = body.get("mfa_methods") {
        string_list(raw).map_err(|e| format!("path {key:?}: mfa_methods {e}"))?;
    }
    if let Some(raw) = body.get("list_scan_response_keys_filter_path") {
        if !raw.is_string() {
            return Err(format!("path {key:?}: list_scan_response_keys_filter_path must be a string"));
        }
        if permissions.capabilities & LIST == 0 {
            return Err(
                "list_scan_response_keys_filter_path needs to be used on a path with the list capability".to_owned()
            );
        }
    }
    if let Some(raw) = body.get("pagination_limit") {
        let limit = raw.as_u64().ok_or_else(|| format!("path {key:?}: pagination_limit must be an integer"))?;
        permissions.pagination_limit = (limit > 0).then_some(limit);
    }

    Ok(PathRule { path, kind, permissions, expiration, templated })
}

/// Whether a path uses identity templating; an unbalanced `{{` is an error,
/// as Vault's template validation makes it.
fn check_templating(path: &str) -> Result<bool, String> {
    let mut rest = path;
    let mut templated = false;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(format!("failed to validate policy templating: unclosed \"{{{{\" in path {path:?}"));
        };
        templated = true;
        rest = &after[end + 2..];
    }
    Ok(templated)
}

fn string_list(raw: &Value) -> Result<Vec<String>, String> {
    let Value::Array(items) = raw else { return Err("must be a list of strings".to_owned()) };
    items
        .iter()
        .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| "must be a list of strings".to_owned()))
        .collect()
}

fn parameter_map(raw: &Value) -> Result<BTreeMap<String, Vec<Value>>, String> {
    let Value::Object(map) = raw else { return Err("must map parameter names to lists of values".to_owned()) };
    Ok(map
        .iter()
        .map(|(name, values)| {
            let values = match values {
                Value::Array(items) => items.clone(),
                // HCL's decoder makes a lone value a one-element list.
                single => vec![single.clone()],
            };
            (name.to_lowercase(), values)
        })
        .collect())
}

/// A duration as Vault's `ParseDurationSecond` reads it: a number of
/// seconds, or a Go duration string such as `"90s"` or `"1h30m"`, or days
/// such as `"5d"`.
fn parse_duration(raw: &Value) -> Result<Duration, String> {
    match raw {
        Value::Number(n) => n.as_u64().map(Duration::from_secs).ok_or_else(|| format!("invalid duration {n}")),
        Value::String(s) => parse_duration_str(s),
        other => Err(format!("invalid duration {other}")),
    }
}

fn parse_duration_str(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Duration::ZERO);
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    if let Some(days) = text.strip_suffix('d').and_then(|d| d.parse::<u64>().ok()) {
        return Ok(Duration::from_secs(days * 86_400));
    }
    let invalid = || format!("time: invalid duration {text:?}");
    let mut rest = text;
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(total).map_err(|_| invalid())
}

/// An absolute time: RFC 3339 text or Unix seconds.
fn parse_time(raw: &Value) -> Result<SystemTime, String> {
    match raw {
        Value::Number(n) => {
            n.as_u64().map(|secs| UNIX_EPOCH + Duration::from_secs(secs)).ok_or_else(|| format!("invalid time {n}"))
        }
        Value::String(s) => {
            if let Ok(secs) = s.trim().parse::<u64>() {
                return Ok(UNIX_EPOCH + Duration::from_secs(secs));
            }
            let parsed = time::OffsetDateTime::parse(s.trim(), &time::format_description::well_known::Rfc3339)
                .map_err(|e| format!("{s:?} is not an RFC 3339 time: {e}"))?;
            let nanos = parsed.unix_timestamp_nanos();
            if nanos < 0 {
                // Before 1970: long expired, whatever the clock says.
                return Ok(UNIX_EPOCH);
            }
            let nanos = u64::try_from(nanos).map_err(|_| format!("{s:?} is too far in the future"))?;
            Ok(UNIX_EPOCH + Duration::from_nanos(nanos))
        }
        other => Err(format!("invalid time {other}")),
    }
}

/// The effective permissions of a token: its policies compiled and merged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Acl {
    root: bool,
    exact: HashMap<String, Permissions>,
    prefix: HashMap<String, Permissions>,
    segment_wildcard: HashMap<String, Permissions>,
}

/// A request to check with [`Acl::authorize`]: everything Vault's ACL looks
/// at beyond the path and the capability.
#[derive(Debug, Clone, Copy)]
pub struct AclRequest<'a> {
    /// The request path, e.g. `secret/data/myapp/config`.
    pub path: &'a str,
    /// The capability the operation needs: `Read` for GET, `List` for LIST,
    /// `Create` or `Update` for POST/PUT (whichever applies), `Patch`,
    /// `Delete`.
    pub capability: Capability,
    /// The request's parameters, checked against `allowed_parameters`,
    /// `denied_parameters` and `required_parameters`.
    pub data: Option<&'a Map<String, Value>>,
    /// The response-wrapping TTL the client asked for, checked against
    /// `min_wrapping_ttl` and `max_wrapping_ttl`.
    pub wrap_ttl: Option<Duration>,
}

impl<'a> AclRequest<'a> {
    /// A request without parameters or wrapping.
    pub fn new(path: &'a str, capability: Capability) -> Self {
        AclRequest { path, capability, data: None, wrap_ttl: None }
    }
}

impl Acl {
    /// Compiles policies into one ACL, merged as Vault merges them. Paths
    /// with an `expiration` are judged against the system clock; use
    /// [`Acl::new_at`] with a controlled clock.
    pub fn new(policies: &[AclPolicy]) -> Acl {
        Acl::new_at(policies, SystemTime::now())
    }

    /// Like [`Acl::new`], leaving out paths whose `expiration` is before
    /// `now`.
    pub fn new_at(policies: &[AclPolicy], now: SystemTime) -> Acl {
        let mut acl = Acl::default();
        for policy in policies {
            if policy.name == "root" {
                acl.root = true;
            }
            for rule in &policy.rules {
                if rule.templated || rule.expiration.is_some_and(|expiration| now > expiration) {
                    continue;
                }
                let table = match rule.kind {
                    PathKind::Exact => &mut acl.exact,
                    PathKind::Prefix => &mut acl.prefix,
                    PathKind::SegmentWildcard => &mut acl.segment_wildcard,
                };
                match table.get_mut(&rule.path) {
                    Some(existing) => existing.merge(&rule.permissions),
                    None => {
                        table.insert(rule.path.clone(), rule.permissions.clone());
                    }
                }
            }
        }
        acl
    }

    /// An ACL that allows everything, as Vault's built-in `root` policy.
    pub fn root() -> Acl {
        Acl { root: true, ..Acl::default() }
    }

    /// Whether this is a root ACL.
    pub fn is_root(&self) -> bool {
        self.root
    }

    /// The effective capabilities on a request path, as Vault's
    /// `sys/capabilities` computes them: in alphabetical order; just
    /// `[Deny]` when the matching rule denies or nothing grants anything.
    /// A root ACL has every capability but `Deny`.
    ///
    /// `scan` is not a [`Capability`]; [`Acl::capability_names`] reports it.
    pub fn capabilities(&self, path: &str) -> Vec<qsec_core::Capability> {
        if self.root {
            return NAMED_BITS.iter().filter_map(|(_, bit)| bit_capability(*bit)).collect();
        }
        let bits = self.lookup(path, true).map_or(0, |p| p.capabilities);
        let capabilities: Vec<Capability> = if bits & DENY != 0 {
            Vec::new()
        } else {
            NAMED_BITS.iter().filter(|(_, bit)| bits & bit != 0).filter_map(|(_, bit)| bit_capability(*bit)).collect()
        };
        if capabilities.is_empty() { vec![Capability::Deny] } else { capabilities }
    }

    /// The capabilities on a path exactly as Vault's `sys/capabilities`
    /// returns them: `["root"]` for a root ACL, `["deny"]` when nothing is
    /// granted, else the granted names (including `scan`) alphabetically.
    pub fn capability_names(&self, path: &str) -> Vec<&'static str> {
        if self.root {
            return vec!["root"];
        }
        let bits = self.lookup(path, true).map_or(0, |p| p.capabilities);
        let names: Vec<&'static str> = if bits & DENY != 0 {
            Vec::new()
        } else {
            NAMED_BITS.iter().filter(|(_, bit)| bits & bit != 0).map(|(name, _)| *name).collect()
        };
        if names.is_empty() { vec!["deny"] } else { names }
    }

    /// Whether a request needing `capability` on `path` passes the
    /// capability check (parameters and wrapping are not looked at; see
    /// [`Acl::authorize`]). `Deny` is never allowed. A `List` request on
    /// `dir/` also matches an exact rule for `dir`, as in Vault.
    pub fn allows(&self, path: &str, capability: qsec_core::Capability) -> bool {
        if capability == Capability::Deny {
            return false;
        }
        if self.root {
            return true;
        }
        let bit = capability_bit(capability);
        self.lookup(path, capability == Capability::List)
            .is_some_and(|p| !p.is_deny() && bit != 0 && p.capabilities & bit != 0)
    }

    /// Whether a `SCAN` (OpenBao's recursive list) of `path` is allowed:
    /// `scan` has no [`Capability`] variant, so [`Acl::allows`] cannot say.
    /// Looked up as a list is, with the trailing-slash fallbacks.
    pub fn allows_scan(&self, path: &str) -> bool {
        self.root || self.lookup(path, true).is_some_and(|p| !p.is_deny() && p.capabilities & SCAN != 0)
    }

    /// The full check Vault makes on a request: the capability, then the
    /// wrapping TTL bounds, then (for read, create, update and patch) the
    /// required, denied and allowed parameters, and (for list) the
    /// pagination limit. Parameter names are compared case-insensitively and
    /// string values may use `*` globs at either end.
    pub fn authorize(&self, request: &AclRequest<'_>) -> bool {
        if !self.allows(request.path, request.capability) {
            return false;
        }
        if self.root {
            return true;
        }
        let Some(permissions) = self.lookup(request.path, request.capability == Capability::List) else {
            return false;
        };
        if let Some(max) = permissions.max_wrapping_ttl
            && request.wrap_ttl.is_none_or(|ttl| ttl > max)
        {
            return false;
        }
        if let Some(min) = permissions.min_wrapping_ttl
            && request.wrap_ttl.is_none_or(|ttl| ttl < min)
        {
            return false;
        }
        if let (Some(min), Some(max)) = (permissions.min_wrapping_ttl, permissions.max_wrapping_ttl)
            && max < min
        {
            return false;
        }
        let empty = Map::new();
        let data = request.data.unwrap_or(&empty);
        match request.capability {
            Capability::Read | Capability::Create | Capability::Update | Capability::Patch => {
                parameters_allowed(permissions, data)
            }
            Capability::List => pagination_allowed(permissions, data),
            _ => true,
        }
    }

    /// The permissions that apply to `path`, found as Vault's
    /// `AllowOperation` finds them. `list` turns on the trailing-slash
    /// fallbacks Vault uses for list operations.
    fn lookup(&self, path: &str, list: bool) -> Option<&Permissions> {
        let path = path.trim_start_matches('/');
        if let Some(permissions) = self.exact.get(path) {
            return Some(permissions);
        }
        if list {
            let trimmed = path.strip_suffix('/').unwrap_or(path);
            if let Some(permissions) = self.exact.get(trimmed) {
                return Some(permissions);
            }
            // Check without the trailing slash first: a glob may match it.
            if let Some(trimmed) = path.strip_suffix('/')
                && let Some(permissions) = self.non_exact(trimmed)
            {
                return Some(permissions);
            }
        }
        self.non_exact(path)
    }

    /// The highest-priority prefix or segment-wildcard rule matching `path`.
    fn non_exact(&self, path: &str) -> Option<&Permissions> {
        let mut candidates: Vec<Candidate<'_>> = Vec::new();

        // Only the longest matching prefix rule competes, as Vault looks it
        // up in a radix tree.
        let longest_prefix = (0..=path.len())
            .rev()
            .filter(|&end| path.is_char_boundary(end))
            .find_map(|end| self.prefix.get_key_value(&path[..end]));
        if let Some((prefix, permissions)) = longest_prefix {
            candidates.push(Candidate {
                first_wildcard: prefix.len(),
                is_prefix: true,
                wildcards: 0,
                path: prefix,
                permissions,
            });
        }

        let parts: Vec<&str> = path.split('/').collect();
        'rules: for (full, permissions) in &self.segment_wildcard {
            let first_wildcard = full.find('+').unwrap_or(full.len());
            let (pattern, is_prefix) = match full.strip_suffix('*') {
                Some(stripped) => (stripped, true),
                None => (full.as_str(), false),
            };
            let pattern_parts: Vec<&str> = pattern.split('/').collect();
            if parts.len() < pattern_parts.len() || (!is_prefix && parts.len() != pattern_parts.len()) {
                continue;
            }
            let mut wildcards = 0;
            for (i, pattern_part) in pattern_parts.iter().enumerate() {
                if *pattern_part == "+" {
                    wildcards += 1;
                } else if *pattern_part == parts[i] {
                    // A literal segment that matches.
                } else if is_prefix && i == pattern_parts.len() - 1 && parts[i].starts_with(pattern_part) {
                    // The globbed last segment.
                } else {
                    continue 'rules;
                }
            }
            candidates.push(Candidate { first_wildcard, is_prefix, wildcards, path: pattern, permissions });
        }
        candidates.into_iter().max_by(|a, b| a.priority_cmp(b)).map(|candidate| candidate.permissions)
    }
}

/// A non-exact rule matching a request path, ranked by Vault's priority
/// rules.
struct Candidate<'a> {
    /// Byte offset of the first `+` or `*`.
    first_wildcard: usize,
    is_prefix: bool,
    wildcards: usize,
    /// The pattern without its trailing `*`.
    path: &'a str,
    permissions: &'a Permissions,
}

impl Candidate<'_> {
    /// `Greater` when `self` has higher priority than `other`.
    fn priority_cmp(&self, other: &Candidate<'_>) -> std::cmp::Ordering {
        // 1. The later the first wildcard or glob, the higher.
        self.first_wildcard
            .cmp(&other.first_wildcard)
            // 2. Not ending in `*` beats ending in `*`.
            .then(other.is_prefix.cmp(&self.is_prefix))
            // 3. Fewer `+` segments beat more.
            .then(other.wildcards.cmp(&self.wildcards))
            // 4. Longer beats shorter.
            .then(self.path.len().cmp(&other.path.len()))
            // 5. Lexicographically larger beats smaller.
            .then(self.path.cmp(other.path))
    }
}

fn parameters_allowed(permissions: &Permissions, data: &Map<String, Value>) -> bool {
    // Vault lower-cases the required name but not the request's keys.
    if !permissions.required_parameters.iter().all(|required| data.contains_key(&required.to_lowercase())) {
        return false;
    }
    let lowered: Vec<(String, &Value)> = data.iter().map(|(k, v)| (k.to_lowercase(), v)).collect();
    if lowered.is_empty() {
        return true;
    }
    if !permissions.denied_parameters.is_empty() {
        if permissions.denied_parameters.contains_key("*") {
            return false;
        }
        for (name, value) in &lowered {
            if let Some(denied) = permissions.denied_parameters.get(name)
                && value_in_list(value, denied)
            {
                return false;
            }
        }
    }
    if permissions.allowed_parameters.is_empty() {
        return true;
    }
    let allow_all = permissions.allowed_parameters.contains_key("*");
    if allow_all && permissions.allowed_parameters.len() == 1 {
        return true;
    }
    lowered.iter().all(|(name, value)| match permissions.allowed_parameters.get(name) {
        Some(allowed) => value_in_list(value, allowed),
        None => allow_all,
    })
}

fn pagination_allowed(permissions: &Permissions, data: &Map<String, Value>) -> bool {
    let Some(limit) = permissions.pagination_limit else { return true };
    let given = data.iter().find(|(k, _)| k.eq_ignore_ascii_case(LIMIT_PARAMETER)).map(|(_, v)| v);
    match given {
        // Unaware callers are limited silently, unless `limit` is required.
        None => !permissions.required_parameters.iter().any(|p| p.eq_ignore_ascii_case(LIMIT_PARAMETER)),
        Some(Value::String(s)) if s == "max" => true,
        Some(Value::String(s)) => s.trim().parse::<u64>().is_ok_and(|n| n <= limit),
        Some(Value::Number(n)) => n.as_u64().is_some_and(|n| n <= limit),
        Some(_) => false,
    }
}

/// Vault's `valueInParameterList`: an empty list matches anything; strings
/// match with `*` globs at either end; other values must be equal.
fn value_in_list(value: &Value, list: &[Value]) -> bool {
    list.is_empty()
        || list.iter().any(|item| match (item, value) {
            (Value::String(pattern), Value::String(value)) => glob_match(pattern, value),
            (item, value) => item == value,
        })
}

/// Vault's `GlobbedStringsMatch`.
fn glob_match(pattern: &str, value: &str) -> bool {
    if pattern.len() < 2 {
        return pattern == value;
    }
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(_), Some(_)) => value.contains(&pattern[1..pattern.len() - 1]),
        (Some(suffix), None) => value.ends_with(suffix),
        (None, Some(prefix)) => value.starts_with(prefix),
        (None, None) => pattern == value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Capability::{Create, Delete, Deny, List, Patch, Read, Sudo, Update};
    use serde_json::json;

    fn policy(text: &str) -> AclPolicy {
        AclPolicy::parse("test", text).unwrap_or_else(|e| panic!("policy should parse: {e}\n{text}"))
    }

    fn acl(texts: &[&str]) -> Acl {
        let policies: Vec<AclPolicy> =
            texts.iter().enumerate().map(|(i, t)| AclPolicy::parse(&format!("p{i}"), t).unwrap()).collect();
        Acl::new(&policies)
    }

    fn data(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn write(acl: &Acl, path: &str, capability: Capability, body: Value) -> bool {
        let body = data(body);
        acl.authorize(&AclRequest { path, capability, data: Some(&body), wrap_ttl: None })
    }

    // --- The examples of concepts/policies, in the order the page gives them.

    #[test]
    fn simple_read_policy_in_hcl_and_json() {
        let hcl = r#"
path "secret/foo" {
  capabilities = ["read"]
}
"#;
        let json = r#"
{
  "path": {
    "secret/foo": {
      "capabilities": ["read"]
    }
  }
}
"#;
        for text in [hcl, json] {
            let acl = acl(&[text]);
            assert_eq!(acl.capabilities("secret/foo"), vec![Read]);
            assert!(acl.allows("secret/foo", Read));
            assert!(!acl.allows("secret/foo", Update));
            assert!(!acl.allows("secret/foo", Delete));
            // Deny by default.
            assert_eq!(acl.capabilities("secret/bar"), vec![Deny]);
        }
        assert_eq!(policy(hcl).rules, policy(json).rules);
    }

    const DETAILED: &str = r#"
# This section grants all access on "secret/*". further restrictions can be
# applied to this broad policy, as shown below.

path "secret/*" {
  capabilities = ["create", "read", "update", "patch", "delete", "list", "scan"]
}

# Even though we allowed secret/*, this line explicitly denies
# secret/super-secret. this takes precedence.

path "secret/super-secret" {
  capabilities = ["deny"]
}

# Policies can also specify allowed, disallowed, and required parameters. here
# the key "secret/restricted" can only contain "foo" (any value) and "bar" (one
# of "zip" or "zap").

path "secret/restricted" {
  capabilities = ["create"]
  allowed_parameters = {
    "foo" = []
    "bar" = ["zip", "zap"]
  }
}
"#;

    #[test]
    fn detailed_policy_grants_denies_and_restricts_parameters() {
        let acl = acl(&[DETAILED]);
        assert_eq!(acl.capabilities("secret/anything"), vec![Create, Delete, List, Patch, Read, Update]);
        assert_eq!(
            acl.capability_names("secret/anything"),
            ["create", "delete", "list", "patch", "read", "scan", "update"]
        );
        assert_eq!(acl.capabilities("secret/super-secret"), vec![Deny]);
        assert!(!acl.allows("secret/super-secret", Read));

        assert_eq!(acl.capabilities("secret/restricted"), vec![Create]);
        assert!(write(&acl, "secret/restricted", Create, json!({"foo": "anything", "bar": "zip"})));
        assert!(write(&acl, "secret/restricted", Create, json!({"bar": "zap"})));
        assert!(!write(&acl, "secret/restricted", Create, json!({"bar": "zop"})));
        assert!(!write(&acl, "secret/restricted", Create, json!({"baz": "1"})));
        // The capability check comes first: no update on this path.
        assert!(!write(&acl, "secret/restricted", Update, json!({"foo": "x"})));
    }

    #[test]
    fn exact_paths_and_suffix_globs() {
        let acl = acl(&[r#"
# Permit reading only "secret/foo". an attached token cannot read "secret/food"
# or "secret/foo/bar".

path "secret/foo" {
  capabilities = ["read"]
}

# Permit reading everything under "secret/bar". an attached token could read
# "secret/bar/zip", "secret/bar/zip/zap", but not "secret/bars/zip".

path "secret/bar/*" {
  capabilities = ["read"]
}

# Permit reading everything prefixed with "zip-". an attached token could read
# "secret/zip-zap" or "secret/zip-zap/zong", but not "secret/zip/zap

path "secret/zip-*" {
  capabilities = ["read"]
}
"#]);
        for allowed in ["secret/foo", "secret/bar/zip", "secret/bar/zip/zap", "secret/zip-zap", "secret/zip-zap/zong"] {
            assert!(acl.allows(allowed, Read), "{allowed} should be readable");
        }
        for denied in ["secret/food", "secret/foo/bar", "secret/bars/zip", "secret/zip/zap", "secret/bar"] {
            assert!(!acl.allows(denied, Read), "{denied} should not be readable");
        }
    }

    #[test]
    fn plus_matches_exactly_one_segment() {
        let acl = acl(&[r#"
# Permit reading the "teamb" path under any top-level path under secret/

path "secret/+/teamb" {
  capabilities = ["read"]
}

# Permit reading secret/foo/bar/teamb, secret/bar/foo/teamb, etc.

path "secret/+/+/teamb" {
  capabilities = ["read"]
}
"#]);
        for allowed in ["secret/foo/teamb", "secret/foo/bar/teamb", "secret/bar/foo/teamb"] {
            assert!(acl.allows(allowed, Read), "{allowed} should be readable");
        }
        for denied in ["secret/teamb", "secret/a/b/c/teamb", "secret/foo/teamb/x", "secret/foo/teambs"] {
            assert!(!acl.allows(denied, Read), "{denied} should not be readable");
        }
    }

    #[test]
    fn glob_without_slash_matches_longer_names() {
        let acl = acl(&[r#"path "secret/foo*" { capabilities = ["read"] }"#]);
        assert!(acl.allows("secret/foobar", Read));
        assert!(acl.allows("secret/foo", Read));
        assert!(acl.allows("secret/foo/bar", Read));
        assert!(!acl.allows("secret/fo", Read));
    }

    #[test]
    fn documented_priority_example_more_wildcards_lose() {
        // "secret/*" and "secret/+/+/foo/*": same first wildcard position,
        // both globs, the latter has two `+`, so "secret/*" wins.
        let acl = acl(&[
            r#"path "secret/*" { capabilities = ["read"] }"#,
            r#"path "secret/+/+/foo/*" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/a/b/foo/c"), vec![Read]);
    }

    #[test]
    fn templated_policies_parse_but_grant_nothing_without_an_entity() {
        for text in [
            r#"
path "secret/data/{{identity.entity.id}}/*" {
  capabilities = ["create", "update", "patch", "read", "delete"]
}

path "secret/metadata/{{identity.entity.id}}/*" {
  capabilities = ["list"]
}
"#,
            r#"
# In the example below, the group ID maps a group and the path

path "secret/data/groups/{{identity.groups.ids.fb036ebc-2f62-4124-9503-42aa7A869741.name}}/*" {
  capabilities = ["create", "update", "patch", "read", "delete"]
}

path "secret/metadata/groups/{{identity.groups.ids.fb036ebc-2f62-4124-9503-42aa7A869741.name}}/*" {
  capabilities = ["list"]
}
"#,
            r#"
path "secret/data/{{identity.entity.aliases.auth_kubernetes_xxxx.metadata.service_account_namespace}}/*" {
  capabilities = ["read"]
}
"#,
        ] {
            let parsed = policy(text);
            assert!(parsed.is_templated());
            let acl = Acl::new(&[parsed]);
            assert_eq!(acl.capabilities("secret/data/{{identity.entity.id}}/x"), vec![Deny]);
            assert_eq!(acl.capabilities("secret/data/anything/x"), vec![Deny]);
        }
        let err = AclPolicy::parse("t", r#"path "secret/{{identity.entity.id" { capabilities = ["read"] }"#)
            .expect_err("an unclosed template is invalid");
        assert!(err.starts_with("failed to parse policy: failed to validate policy templating"), "{err}");
    }

    #[test]
    fn comment_is_ignored() {
        let acl = acl(&[r#"
path "pki/*" {
  capabilities = ["deny"]
  comment = "explicitly deny access to PKI path based on discussion in TRACKER-12345."
}
"#]);
        assert_eq!(acl.capabilities("pki/issue/web"), vec![Deny]);
    }

    #[test]
    fn expired_paths_are_left_out() {
        let text = r#"
path "secret/data/in-case-of-emergency" {
  capabilities = ["read"]
  expiration = "2006-01-02T15:04:05Z"
}
path "secret/data/until-2100" {
  capabilities = ["read"]
  expiration = "2100-01-01T00:00:00Z"
}
"#;
        let parsed = policy(text);
        let acl = Acl::new(std::slice::from_ref(&parsed));
        assert!(!acl.allows("secret/data/in-case-of-emergency", Read));
        assert!(acl.allows("secret/data/until-2100", Read));

        let in_2050 = UNIX_EPOCH + Duration::from_secs(2_524_608_000);
        assert!(Acl::new_at(std::slice::from_ref(&parsed), in_2050).allows("secret/data/until-2100", Read));
        let in_2101 = UNIX_EPOCH + Duration::from_secs(4_133_980_800);
        assert!(!Acl::new_at(&[parsed], in_2101).allows("secret/data/until-2100", Read));

        let err = AclPolicy::parse("t", r#"path "a" { expiration = "tomorrow" }"#).unwrap_err();
        assert!(err.starts_with(r#"failed to parse policy: path "a": invalid expiration time"#), "{err}");
    }

    #[test]
    fn required_parameters_must_be_present() {
        let acl = acl(&[r#"
# This requires the user to create "secret/profile" with a parameter/key named
# "name" and "id" where kv v1 is enabled at "secret/".

path "secret/profile" {
  capabilities = ["create"]
  required_parameters = ["name", "id"]
}
"#]);
        assert!(write(&acl, "secret/profile", Create, json!({"name": "n", "id": "1"})));
        assert!(write(&acl, "secret/profile", Create, json!({"name": "n", "id": "1", "other": "x"})));
        assert!(!write(&acl, "secret/profile", Create, json!({"name": "n"})));
        assert!(!acl.authorize(&AclRequest::new("secret/profile", Create)));
    }

    #[test]
    fn allowed_parameters_with_any_value() {
        let acl = acl(&[r#"
# This allows the user to update the password parameter value set on any
# users configured for userpass auth method. The password value can be
# anything. However, the user cannot update other parameter values such as
# token_ttl.

path "auth/userpass/users/*" {
  capabilities = ["update"]
  allowed_parameters = {
    "password" = []
  }
}
"#]);
        assert!(write(&acl, "auth/userpass/users/bob", Update, json!({"password": "hunter2"})));
        assert!(!write(&acl, "auth/userpass/users/bob", Update, json!({"token_ttl": "1h"})));
        // Names compare case-insensitively.
        assert!(write(&acl, "auth/userpass/users/bob", Update, json!({"PASSWORD": "x"})));
    }

    #[test]
    fn allowed_parameters_with_listed_values() {
        let acl = acl(&[r#"
# This allows the user to create or update an encryption key for transit
# secrets engine enabled at "transit/". When you do, you can set the
# "auto_rotate_period" parameter value so that the key gets rotated.
# However, the rotation period must be "8h", "24h", or "5d". Any other value
# will result in an error.

path "transit/keys/*" {
  capabilities = ["create", "update"]
  allowed_parameters = {
    "auto_rotate_period" = ["8h", "24h", "5d"]
  }
}
"#]);
        assert!(write(&acl, "transit/keys/k", Create, json!({"auto_rotate_period": "24h"})));
        assert!(!write(&acl, "transit/keys/k", Update, json!({"auto_rotate_period": "1h"})));
        assert!(!write(&acl, "transit/keys/k", Update, json!({"type": "aes256-gcm96"})));
    }

    #[test]
    fn allowed_parameters_star_allows_the_others() {
        let acl = acl(&[r#"
# When kv v1 secrets engine is enabled at "secret/", this allows the user to
# create "secret/foo" with a parameter named "bar". The parameter "bar" can
# only contain the values "zip" or "zap", but any other parameters may be
# created with any value.

path "secret/foo" {
  capabilities = ["create"]
  allowed_parameters = {
    "bar" = ["zip", "zap"]
    "*"   = []
  }
}
"#]);
        assert!(write(&acl, "secret/foo", Create, json!({"bar": "zip", "anything": "else"})));
        assert!(!write(&acl, "secret/foo", Create, json!({"bar": "zop"})));
    }

    #[test]
    fn denied_parameters() {
        let acl = acl(&[
            r#"
# This allows the user to update the userpass auth method's user
# configurations (e.g., "password") but cannot update the "token_policies"
# and "policies" parameter values.

path "auth/userpass/users/*" {
  capabilities = ["update"]
  denied_parameters = {
    "token_policies" = []
    "policies" = []
  }
}
"#,
            r#"
# This allows the user to create or update token roles. However, the
# "allowed_policies" parameter value cannot be "admin", but the user can
# assign any other policies to the parameter.

path "auth/token/roles/*" {
  capabilities = ["create", "update"]
  denied_parameters = {
    "allowed_policies" = ["admin"]
  }
}
"#,
            r#"
# This allows the user to create or update an encryption key for transit
# secrets engine enabled at "transit/". However, the user cannot set any of
# the configuration parameters. As a result, the created key will have all
# parameters set to default values.

path "transit/keys/*" {
  capabilities = ["create", "update"]
  denied_parameters = {
    "*" = []
  }
}
"#,
        ]);
        assert!(write(&acl, "auth/userpass/users/bob", Update, json!({"password": "x"})));
        assert!(!write(&acl, "auth/userpass/users/bob", Update, json!({"policies": "admin"})));
        assert!(!write(&acl, "auth/userpass/users/bob", Update, json!({"token_policies": ["a"]})));

        assert!(write(&acl, "auth/token/roles/r", Create, json!({"allowed_policies": "dev"})));
        assert!(!write(&acl, "auth/token/roles/r", Create, json!({"allowed_policies": "admin"})));

        assert!(!write(&acl, "transit/keys/k", Create, json!({"type": "rsa-2048"})));
        // With no parameters at all there is nothing to deny.
        assert!(write(&acl, "transit/keys/k", Create, json!({})));
    }

    #[test]
    fn parameter_value_globs_and_non_string_values() {
        let acl = acl(&[
            r#"
# Only allow a parameter named "bar" with a value starting with "foo-*".

path "secret/foo" {
  capabilities = ["create"]
  allowed_parameters = {
    "bar" = ["foo-*"]
  }
}
"#,
            r#"
# The "no_store" parameter cannot be false

path "secret/nostore" {
  capabilities = ["create"]
  denied_parameters = {
    "no_store" = [false, "false"]
  }
}
"#,
            r#"
path "secret/nostore-required" {
  capabilities = ["create"]
  required_parameters = ["no_store"]
  denied_parameters = {
    "no_store" = [false, "false"]
  }
}
"#,
            r#"
# This allows the user to create, update, or patch "secret/foo" with a parameter
# named "bar". the values passed to parameter "bar" must start with "baz/"

path "secret/baz" {
  capabilities = ["create", "update", "patch"]
  allowed_parameters = {
    "bar" = ["baz/*"]
  }
}
"#,
        ]);
        assert!(write(&acl, "secret/foo", Create, json!({"bar": "foo-1"})));
        assert!(!write(&acl, "secret/foo", Create, json!({"bar": "food"})));

        assert!(!write(&acl, "secret/nostore", Create, json!({"no_store": false, "value": "bar"})));
        assert!(!write(&acl, "secret/nostore", Create, json!({"no_store": "false", "value": "bar"})));
        assert!(write(&acl, "secret/nostore", Create, json!({"value": "bar"})));
        assert!(!write(&acl, "secret/nostore-required", Create, json!({"value": "bar"})));
        assert!(write(&acl, "secret/nostore-required", Create, json!({"no_store": true})));

        assert!(write(&acl, "secret/baz", Patch, json!({"bar": "baz/quux,wibble,wobble,wubble"})));
        assert!(!write(&acl, "secret/baz", Patch, json!({"bar": "qux/baz"})));
    }

    #[test]
    fn pagination_and_list_filtering_keys_parse() {
        let acl = acl(&[
            r#"
path "test/metadata/*" {
    capabilities = ["list", "scan"]
    list_scan_response_keys_filter_path = "{{ .path }}{{ .key }}"
}
"#,
            r#"
path "other/metadata/*" {
    capabilities = ["list", "scan"]
    list_scan_response_keys_filter_path = "{{ .path | replace \"test/metadata/\" \"test/data/\" }}{{ .key }}"
    pagination_limit = 10
}
path "required/*" {
    capabilities = ["list"]
    pagination_limit = 10
    required_parameters = ["limit"]
}
"#,
        ]);
        assert!(acl.allows("test/metadata/app/", List));
        assert_eq!(acl.capability_names("test/metadata/app/"), ["list", "scan"]);
        let list = |path: &str, body: Value| write(&acl, path, List, body);
        assert!(list("other/metadata/", json!({})));
        assert!(list("other/metadata/", json!({"limit": "10"})));
        assert!(list("other/metadata/", json!({"limit": "max"})));
        assert!(!list("other/metadata/", json!({"limit": 11})));
        assert!(!list("required/", json!({})));
        assert!(list("required/", json!({"limit": 5})));

        let text = "path \"a/*\" {\n capabilities = [\"read\"]\n list_scan_response_keys_filter_path = \"x\"\n}";
        let err = AclPolicy::parse("t", text).expect_err("the filter needs list");
        assert_eq!(
            err,
            "failed to parse policy: list_scan_response_keys_filter_path needs to be used on a path with the list \
             capability"
        );
    }

    #[test]
    fn wrapping_ttl_bounds() {
        let acl = acl(&[r#"
# This effectively makes response wrapping mandatory for this path by setting min_wrapping_ttl to 1 second.
# This also sets this path's wrapped response maximum allowed TTL to 90 seconds.

path "auth/approle/role/my-role/secret-id" {
    capabilities = ["create", "update"]
    min_wrapping_ttl = "1s"
    max_wrapping_ttl = "90s"
}
"#]);
        let path = "auth/approle/role/my-role/secret-id";
        let request = |wrap_ttl: Option<u64>| AclRequest {
            path,
            capability: Update,
            data: None,
            wrap_ttl: wrap_ttl.map(Duration::from_secs),
        };
        assert!(acl.allows(path, Update));
        assert!(!acl.authorize(&request(None)));
        assert!(acl.authorize(&request(Some(1))));
        assert!(acl.authorize(&request(Some(90))));
        assert!(!acl.authorize(&request(Some(91))));

        let err = AclPolicy::parse("t", "path \"a\" {\n min_wrapping_ttl = \"2m\"\n max_wrapping_ttl = \"1m\"\n}")
            .unwrap_err();
        assert_eq!(err, "failed to parse policy: max_wrapping_ttl cannot be less than min_wrapping_ttl");
        let err = AclPolicy::parse("t", r#"path "a" { min_wrapping_ttl = "soon" }"#).unwrap_err();
        assert!(err.starts_with("failed to parse policy: error parsing min_wrapping_ttl"), "{err}");
    }

    #[test]
    fn merged_wrapping_ttls_keep_the_lowest() {
        let acl = acl(&[
            "path \"p\" {\n capabilities = [\"update\"]\n max_wrapping_ttl = 300\n}",
            "path \"p\" {\n capabilities = [\"update\"]\n max_wrapping_ttl = \"1m\"\n}",
        ]);
        let request =
            |secs| AclRequest { path: "p", capability: Update, data: None, wrap_ttl: Some(Duration::from_secs(secs)) };
        assert!(acl.authorize(&request(60)));
        assert!(!acl.authorize(&request(61)));
    }

    // --- Priority rules, one at a time.

    #[test]
    fn priority_later_first_wildcard_wins() {
        let acl = acl(&[
            r#"path "secret/+/bar" { capabilities = ["read"] }"#,
            r#"path "secret/foo/+" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/foo/bar"), vec![Update]);
        // A prefix glob counts from where its `*` is.
        let acl = self::acl(&[
            r#"path "secret/*" { capabilities = ["read"] }"#,
            r#"path "secret/foo/bar/+" { capabilities = ["update"] }"#,
            r#"path "secret/foo/*" { capabilities = ["list"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/foo/bar/baz"), vec![Update]);
        assert_eq!(acl.capabilities("secret/foo/baz"), vec![List]);
        assert_eq!(acl.capabilities("secret/other"), vec![Read]);
    }

    #[test]
    fn priority_no_trailing_glob_wins() {
        let acl = acl(&[
            r#"path "secret/+/ba*" { capabilities = ["read"] }"#,
            r#"path "secret/+/bar" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/foo/bar"), vec![Update]);
        assert_eq!(acl.capabilities("secret/foo/baz"), vec![Read]);

        let acl = self::acl(&[
            r#"path "secret/foo/*" { capabilities = ["read"] }"#,
            r#"path "secret/foo/+" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/foo/bar"), vec![Update]);
        assert_eq!(acl.capabilities("secret/foo/bar/baz"), vec![Read]);
    }

    #[test]
    fn priority_fewer_wildcards_win() {
        let acl = acl(&[
            r#"path "secret/+/+/baz" { capabilities = ["read"] }"#,
            r#"path "secret/+/bar/baz" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/foo/bar/baz"), vec![Update]);
        assert_eq!(acl.capabilities("secret/foo/qux/baz"), vec![Read]);
    }

    #[test]
    fn priority_longer_wins() {
        let acl = acl(&[
            r#"path "secret/+/bar/b*" { capabilities = ["read"] }"#,
            r#"path "secret/+/bar/ba*" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/foo/bar/baz"), vec![Update]);
        assert_eq!(acl.capabilities("secret/foo/bar/bz"), vec![Read]);
        // Among plain prefixes, the longest one.
        let acl = self::acl(&[
            r#"path "secret/*" { capabilities = ["read"] }"#,
            r#"path "secret/data/*" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/data/x"), vec![Update]);
    }

    #[test]
    fn priority_lexicographically_larger_wins() {
        // Same first wildcard, no globs, two `+` each, same length.
        let acl =
            acl(&[r#"path "+/+/c" { capabilities = ["read"] }"#, r#"path "+/b/+" { capabilities = ["update"] }"#]);
        assert_eq!(acl.capabilities("a/b/c"), vec![Update]);
    }

    #[test]
    fn exact_match_beats_every_glob() {
        let acl = acl(&[
            r#"path "secret/*" { capabilities = ["deny"] }"#,
            r#"path "secret/+" { capabilities = ["deny"] }"#,
            r#"path "secret/open" { capabilities = ["read"] }"#,
        ]);
        // Vault applies only the highest-priority rule, so an exact rule
        // grants even under a denying glob.
        assert_eq!(acl.capabilities("secret/open"), vec![Read]);
        assert_eq!(acl.capabilities("secret/closed"), vec![Deny]);
    }

    // --- Merging several policies.

    #[test]
    fn same_path_in_several_policies_is_unioned() {
        let acl = acl(&[
            r#"path "secret/data/myapp/*" { capabilities = ["read"] }"#,
            r#"path "secret/data/myapp/*" { capabilities = ["create", "update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/data/myapp/db"), vec![Create, Read, Update]);
        // Twice in one policy merges the same way.
        let acl = self::acl(&[r#"
path "a" { capabilities = ["read"] }
path "a" { capabilities = ["list"] }
"#]);
        assert_eq!(acl.capabilities("a"), vec![List, Read]);
    }

    #[test]
    fn different_patterns_are_not_unioned() {
        let acl = acl(&[
            r#"path "secret/*" { capabilities = ["read"] }"#,
            r#"path "secret/foo" { capabilities = ["update"] }"#,
        ]);
        assert_eq!(acl.capabilities("secret/foo"), vec![Update]);
        assert!(!acl.allows("secret/foo", Read));
    }

    #[test]
    fn deny_overrides_whatever_order() {
        for texts in [
            [
                r#"path "secret/foo" { capabilities = ["read", "sudo"] }"#,
                r#"path "secret/foo" { capabilities = ["deny"] }"#,
            ],
            [
                r#"path "secret/foo" { capabilities = ["deny"] }"#,
                r#"path "secret/foo" { capabilities = ["read", "sudo"] }"#,
            ],
        ] {
            let acl = acl(&texts);
            assert_eq!(acl.capabilities("secret/foo"), vec![Deny]);
            assert!(!acl.allows("secret/foo", Read));
            assert!(!acl.allows("secret/foo", Sudo));
        }
        // Deny in the same stanza as other capabilities keeps only deny.
        let acl = acl(&[r#"path "x" { capabilities = ["read", "deny", "update"] }"#]);
        assert_eq!(acl.capabilities("x"), vec![Deny]);
        // And it drops parameter constraints merged into it.
        let acl = self::acl(&[
            "path \"y\" {\n capabilities = [\"create\"]\n allowed_parameters = { \"a\" = [] }\n}",
            r#"path "y" { capabilities = ["deny"] }"#,
        ]);
        assert!(!write(&acl, "y", Create, json!({"a": 1})));
    }

    #[test]
    fn merged_parameters_follow_vault() {
        let acl = acl(&[
            r#"
path "p" {
  capabilities = ["create"]
  allowed_parameters = { "a" = ["1"], "b" = ["x"] }
}"#,
            r#"
path "p" {
  capabilities = ["create"]
  allowed_parameters = { "a" = ["2"], "b" = [] }
  required_parameters = ["a"]
}"#,
        ]);
        assert!(write(&acl, "p", Create, json!({"a": "1"})));
        assert!(write(&acl, "p", Create, json!({"a": "2", "b": "anything"})));
        assert!(!write(&acl, "p", Create, json!({"a": "3"})));
        assert!(!write(&acl, "p", Create, json!({"b": "x"})));
    }

    #[test]
    fn empty_capabilities_grant_nothing() {
        let acl =
            acl(&[r#"path "secret/*" { capabilities = ["read"] }"#, r#"path "secret/none" { capabilities = [] }"#]);
        assert_eq!(acl.capabilities("secret/none"), vec![Deny]);
        assert!(!acl.allows("secret/none", Read));
        assert_eq!(Acl::new(&[]).capabilities("anything"), vec![Deny]);
        assert_eq!(Acl::new(&[policy("")]).capability_names("anything"), ["deny"]);
    }

    // --- kv v2 paths.

    #[test]
    fn kv_v2_app_policy() {
        let acl = acl(&[r#"
path "secret/data/myapp/*" {
  capabilities = ["read"]
}
path "secret/metadata/myapp/*" {
  capabilities = ["list", "read"]
}
"#]);
        assert!(acl.allows("secret/data/myapp/config", Read));
        assert!(acl.allows("secret/data/myapp/nested/db", Read));
        assert!(!acl.allows("secret/data/myapp/config", Update));
        assert!(!acl.allows("secret/data/myapp", Read));
        assert!(!acl.allows("secret/data/otherapp/config", Read));
        assert!(!acl.allows("secret/data/myapp2/config", Read));
        assert!(acl.allows("secret/metadata/myapp/", List));
        assert!(acl.allows("secret/metadata/myapp/nested/", List));
        assert!(!acl.allows("secret/metadata/", List));
    }

    #[test]
    fn list_on_a_directory_falls_back_to_the_exact_rule() {
        let acl = acl(&[r#"path "secret/metadata/myapp" { capabilities = ["list"] }"#]);
        assert!(acl.allows("secret/metadata/myapp/", List));
        assert!(!acl.allows("secret/metadata/myapp/", Read));
        assert_eq!(acl.capabilities("secret/metadata/myapp/"), vec![List]);
    }

    #[test]
    fn leading_slashes_are_ignored() {
        let acl = acl(&[r#"path "/secret/foo" { capabilities = ["read"] }"#]);
        assert_eq!(policy(r#"path "/secret/foo" {}"#).paths().collect::<Vec<_>>(), ["secret/foo"]);
        assert!(acl.allows("secret/foo", Read));
        assert!(acl.allows("/secret/foo", Read));
    }

    #[test]
    fn old_style_policy_key() {
        let acl = acl(&[r#"
path "r" { policy = "read" }
path "w" { policy = "write" }
path "s" { policy = "sudo" }
path "d" { policy = "deny" }
"#]);
        assert_eq!(acl.capabilities("r"), vec![List, Read]);
        assert_eq!(acl.capabilities("w"), vec![Create, Delete, List, Read, Update]);
        assert_eq!(acl.capabilities("s"), vec![Create, Delete, List, Read, Sudo, Update]);
        assert_eq!(acl.capabilities("d"), vec![Deny]);
        let err = AclPolicy::parse("t", r#"path "x" { policy = "admin" }"#).unwrap_err();
        assert_eq!(err, r#"failed to parse policy: path "x": invalid policy "admin""#);
    }

    #[test]
    fn root_allows_everything() {
        let root = Acl::root();
        assert!(root.is_root());
        assert!(root.allows("sys/audit", Sudo));
        assert!(root.allows("anything/at/all", Delete));
        assert!(!root.allows("anything", Deny));
        assert!(root.authorize(&AclRequest::new("sys/seal", Update)));
        assert_eq!(root.capabilities("x"), vec![Create, Delete, List, Patch, Read, Sudo, Update]);
        assert_eq!(root.capability_names("x"), ["root"]);
        // A policy named "root" does the same, as in Vault.
        assert!(Acl::new(&[AclPolicy::parse("root", "").unwrap()]).allows("sys/seal", Sudo));
    }

    // --- Parse errors and accepted shapes.

    #[test]
    fn unknown_capability_is_a_parse_error() {
        let err = AclPolicy::parse("t", r#"path "secret/foo" { capabilities = ["read", "reed"] }"#).unwrap_err();
        assert_eq!(err, r#"failed to parse policy: path "secret/foo": invalid capability "reed""#);
        let err = AclPolicy::parse("t", r#"{"path": {"a": {"capabilities": ["root"]}}}"#).unwrap_err();
        assert_eq!(err, r#"failed to parse policy: path "a": invalid capability "root""#);
    }

    #[test]
    fn unknown_keys_are_parse_errors() {
        let err =
            AclPolicy::parse("t", "path \"a\" {\n capabilities = [\"read\"]\n capability = [\"x\"]\n}").unwrap_err();
        assert_eq!(err, r#"failed to parse policy: path "a": invalid key "capability""#);
        let err = AclPolicy::parse("t", r#"paths "a" { capabilities = ["read"] }"#).unwrap_err();
        assert_eq!(err, r#"failed to parse policy: invalid key "paths""#);
        let err = AclPolicy::parse("t", r#"{"paths": {}}"#).unwrap_err();
        assert_eq!(err, r#"failed to parse policy: invalid key "paths""#);
        // A top-level name is allowed and ignored.
        assert_eq!(policy("name = \"ignored\"\npath \"a\" {}").name(), "test");
    }

    #[test]
    fn syntax_errors_read_like_vault() {
        for text in [r#"path "a" { capabilities = ["read" }"#, r#"{"path": }"#, "path \"a\" {"] {
            let err = AclPolicy::parse("t", text).unwrap_err();
            assert!(err.starts_with("failed to parse policy: "), "{err}");
        }
        let err = AclPolicy::parse("t", r#"path "a" "b" { capabilities = ["read"] }"#).unwrap_err();
        assert!(err.starts_with("failed to parse policy: a path stanza needs exactly one path"), "{err}");
        let err = AclPolicy::parse("t", r#"path "a" { capabilities = "read" }"#).unwrap_err();
        assert_eq!(err, r#"failed to parse policy: path "a": capabilities must be a list of strings"#);
    }

    #[test]
    fn plus_star_is_forbidden() {
        let err = AclPolicy::parse("t", r#"path "secret/+*" { capabilities = ["read"] }"#).unwrap_err();
        assert_eq!(err, r#"failed to parse policy: path "secret/+*": invalid use of wildcards ('+*' is forbidden)"#);
    }

    #[test]
    fn other_documented_keys_are_accepted() {
        let parsed = policy(
            r#"
path "secret/foo" {
  capabilities = ["read"]
  mfa_methods = ["totp"]
  control_group {
    factor "ops" {
      identity {
        group_names = ["ops"]
        approvals = 1
      }
    }
  }
}
path "secret/bar" {
  capabilities = ["read"]
  control_group {
    ttl = "4h"
  }
}
"#,
        );
        assert!(Acl::new(&[parsed]).allows("secret/foo", Read));
    }

    #[test]
    fn json_policy_with_parameters_and_path_list() {
        let acl = acl(&[r#"
{
  "name": "ignored",
  "path": [
    {"secret/restricted": {"capabilities": ["create"], "allowed_parameters": {"bar": ["zip"]}}},
    {"secret/+/x": {"capabilities": ["read"], "min_wrapping_ttl": 1}}
  ]
}
"#]);
        assert!(write(&acl, "secret/restricted", Create, json!({"bar": "zip"})));
        assert!(!write(&acl, "secret/restricted", Create, json!({"bar": "zap"})));
        assert!(acl.allows("secret/a/x", Read));
        assert!(!acl.authorize(&AclRequest::new("secret/a/x", Read)));
    }

    #[test]
    fn hcl1_only_syntax_is_a_parse_error() {
        // HCL 2 wants one attribute a line; HCL 1 (Vault's parser) does not.
        let err = AclPolicy::parse("t", r#"path "a" { capabilities = ["read"] min_wrapping_ttl = "1s" }"#).unwrap_err();
        assert!(err.starts_with("failed to parse policy: "), "{err}");
    }

    #[test]
    fn hcl_path_attribute_form() {
        let acl = acl(&[r#"path = { "secret/foo" = { capabilities = ["read"] } }"#]);
        assert!(acl.allows("secret/foo", Read));
    }

    #[test]
    fn qsec_app_policies_parse_and_grant_what_they_say() {
        let app = qsec_core::AppRef::new("aws", "stg", "myapp").unwrap();
        for kv_version in [qsec_core::KvVersion::V1, qsec_core::KvVersion::V2] {
            let mut layout = qsec_core::QsecLayout::default();
            layout.policies.kv_mounts = vec![qsec_core::KvMount { path: "secret".into(), version: kv_version }];
            let plan = layout.plan(&app).unwrap();
            let read = AclPolicy::parse(&plan.read_policy.name, &plan.read_policy.to_hcl()).unwrap();
            let get_secret_id =
                AclPolicy::parse(&plan.get_secret_id_policy.name, &plan.get_secret_id_policy.to_hcl()).unwrap();

            let app_token = Acl::new(&[AclPolicy::parse("default", DEFAULT_POLICY).unwrap(), read]);
            let db = plan.kv_read_path("secret/myapp/db");
            assert!(app_token.allows(&db, Read), "{db}");
            assert!(!app_token.allows(&db, Update), "{db}");
            assert!(!app_token.allows(&plan.kv_read_path("secret/otherapp/db"), Read));
            assert!(app_token.allows("auth/token/renew-self", Update));

            let controller = Acl::new(&[get_secret_id]);
            let secret_id = "auth/approle/role/aws.stg.myapp/secret-id";
            assert_eq!(controller.capabilities(secret_id), vec![Create, Update]);
            assert!(!controller.allows("auth/approle/role/aws.stg.other/secret-id", Update));
        }
    }

    #[test]
    fn built_in_policies() {
        let default = Acl::new(&[AclPolicy::parse("default", DEFAULT_POLICY).unwrap()]);
        assert!(default.allows("auth/token/lookup-self", Read));
        assert!(default.allows("auth/token/renew-self", Update));
        assert!(default.allows("sys/wrapping/unwrap", Update));
        assert!(default.allows("cubbyhole/notes", Create));
        assert!(default.allows("cubbyhole/", List));
        assert!(default.allows("identity/oidc/provider/main/authorize", Read));
        assert!(!default.allows("secret/data/anything", Read));
        assert!(!default.allows("identity/entity/id/x", Read), "templated paths need an entity");

        let wrapping = Acl::new(&[AclPolicy::parse("response-wrapping", RESPONSE_WRAPPING_POLICY).unwrap()]);
        assert_eq!(wrapping.capabilities("cubbyhole/response"), vec![Create, Read]);
        assert!(wrapping.allows("sys/wrapping/unwrap", Update));
        assert!(!wrapping.allows("cubbyhole/other", Read));
    }

    #[test]
    fn go_durations() {
        let d = |s: &str| parse_duration_str(s).unwrap();
        assert_eq!(d("90s"), Duration::from_secs(90));
        assert_eq!(d("90"), Duration::from_secs(90));
        assert_eq!(d("1h30m"), Duration::from_secs(5400));
        assert_eq!(d("1.5h"), Duration::from_secs(5400));
        assert_eq!(d("500ms"), Duration::from_millis(500));
        assert_eq!(d("5d"), Duration::from_secs(432_000));
        assert_eq!(d(""), Duration::ZERO);
        assert!(parse_duration_str("5 minutes").is_err());
        assert!(parse_duration_str("-1s").is_err());
    }
}
