//! PKI roles (`pki/roles/:name`): which names a role may issue for, with
//! which keys, for how long.

use serde_json::{Map, Value, json};

use super::outcome::{ApiError, ApiResult};
use super::params::Params;
use super::token_roles::glob_match;

/// Role parameters this Vault acts on or reports itself; any other one a
/// role is written with is kept and read back as given (Vault has dozens:
/// `ou`, `organization`, `ext_key_usage`, ...).
const MODELED: [&str; 19] = [
    "name",
    "ttl",
    "max_ttl",
    "allowed_domains",
    "allow_subdomains",
    "allow_any_name",
    "allow_bare_domains",
    "allow_glob_domains",
    "allow_localhost",
    "allow_ip_sans",
    "require_cn",
    "key_type",
    "key_bits",
    "generate_lease",
    "no_store",
    "server_flag",
    "client_flag",
    "issuer_ref",
    "format",
];

/// A PKI role: which names it may issue for, and for how long.
#[derive(Debug, Clone)]
pub(crate) struct PkiRole {
    pub(crate) ttl: u64,
    pub(crate) max_ttl: u64,
    allowed_domains: Vec<String>,
    allow_subdomains: bool,
    allow_any_name: bool,
    allow_bare_domains: bool,
    allow_glob_domains: bool,
    allow_localhost: bool,
    pub(crate) allow_ip_sans: bool,
    pub(crate) require_cn: bool,
    pub(crate) key_type: String,
    pub(crate) key_bits: u64,
    pub(crate) generate_lease: bool,
    pub(crate) no_store: bool,
    server_flag: bool,
    client_flag: bool,
    issuer_ref: String,
    /// The parameters this Vault does not model, as written.
    other: Map<String, Value>,
}

impl Default for PkiRole {
    fn default() -> Self {
        Self {
            ttl: 0,
            max_ttl: 0,
            allowed_domains: Vec::new(),
            allow_subdomains: false,
            allow_any_name: false,
            allow_bare_domains: false,
            allow_glob_domains: false,
            allow_localhost: true,
            allow_ip_sans: true,
            require_cn: true,
            key_type: "rsa".into(),
            key_bits: 2048,
            generate_lease: false,
            no_store: false,
            server_flag: true,
            client_flag: true,
            issuer_ref: "default".into(),
            other: Map::new(),
        }
    }
}

impl PkiRole {
    /// The role `dev_mounts()` creates: any name, EC keys, 72h at most.
    pub(crate) fn dev() -> Self {
        Self {
            allow_any_name: true,
            allow_subdomains: true,
            key_type: "ec".into(),
            key_bits: 256,
            max_ttl: 72 * 3600,
            ..Self::default()
        }
    }

    pub(crate) fn apply(&mut self, params: &Params) -> ApiResult<()> {
        macro_rules! set {
            ($field:ident, bool) => {
                if let Some(v) = params.bool(stringify!($field))? {
                    self.$field = v;
                }
            };
        }
        if let Some(v) = params.duration("ttl")? {
            self.ttl = v;
        }
        if let Some(v) = params.duration("max_ttl")? {
            self.max_ttl = v;
        }
        if let Some(v) = params.list("allowed_domains")? {
            self.allowed_domains = v;
        }
        set!(allow_subdomains, bool);
        set!(allow_any_name, bool);
        set!(allow_bare_domains, bool);
        set!(allow_glob_domains, bool);
        set!(allow_localhost, bool);
        set!(allow_ip_sans, bool);
        set!(require_cn, bool);
        set!(generate_lease, bool);
        set!(no_store, bool);
        set!(server_flag, bool);
        set!(client_flag, bool);
        let key_type_given = params.str("key_type").filter(|t| !t.is_empty());
        if let Some(v) = &key_type_given {
            self.key_type = v.clone();
        }
        match params.u64("key_bits")? {
            Some(bits) => self.key_bits = bits,
            // A new key type without bits takes that type's default.
            None if key_type_given.is_some() => self.key_bits = 0,
            None => {}
        }
        if let Some(v) = params.str("issuer_ref").filter(|r| !r.is_empty()) {
            self.issuer_ref = v;
        }
        self.key_bits = match (self.key_type.as_str(), self.key_bits) {
            ("rsa" | "ec" | "ed25519" | "any", bits) if bits > 0 || self.key_type == "any" => bits,
            // Vault stores the default size rather than 0.
            ("rsa", _) => 2048,
            ("ec", _) => 256,
            ("ed25519", _) => 0,
            (other, _) => return Err(ApiError::bad_request(format!("unknown key type {other}"))),
        };
        if self.key_type == "ed25519" {
            self.key_bits = 0;
        }
        if self.max_ttl > 0 && self.ttl > self.max_ttl {
            return Err(ApiError::bad_request("\"ttl\" value must be less than \"max_ttl\" value"));
        }
        for (key, value) in &params.0 {
            if !MODELED.contains(&key.as_str()) {
                self.other.insert(key.clone(), value.clone());
            }
        }
        Ok(())
    }

    pub(crate) fn to_json(&self) -> Value {
        // Vault's defaults for the fields it has and this Vault does not
        // act on; what the role was written with overrides them.
        let mut data = json!({
            "allow_ip_sans": self.allow_ip_sans,
            "allow_localhost": self.allow_localhost,
            "allow_subdomains": self.allow_subdomains,
            "allow_any_name": self.allow_any_name,
            "allow_bare_domains": self.allow_bare_domains,
            "allow_glob_domains": self.allow_glob_domains,
            "allowed_domains": self.allowed_domains,
            "client_flag": self.client_flag,
            "generate_lease": self.generate_lease,
            "issuer_ref": self.issuer_ref,
            "key_bits": self.key_bits,
            "key_type": self.key_type,
            "max_ttl": self.max_ttl,
            "no_store": self.no_store,
            "require_cn": self.require_cn,
            "server_flag": self.server_flag,
            "ttl": self.ttl,
        });
        let defaults = json!({
            "allow_wildcard_certificates": true,
            "allowed_domains_template": false,
            "allowed_other_sans": [],
            "allowed_serial_numbers": [],
            "allowed_uri_sans": [],
            "allowed_uri_sans_template": false,
            "allowed_user_ids": [],
            "basic_constraints_valid_for_non_ca": false,
            "cn_validations": ["email", "hostname"],
            "code_signing_flag": false,
            "country": [],
            "email_protection_flag": false,
            "enforce_hostnames": true,
            "ext_key_usage": [],
            "ext_key_usage_oids": [],
            "key_usage": ["DigitalSignature", "KeyAgreement", "KeyEncipherment"],
            "locality": [],
            "not_after": "",
            "not_before_duration": 30,
            "organization": [],
            "ou": [],
            "policy_identifiers": [],
            "postal_code": [],
            "province": [],
            "signature_bits": 0,
            "street_address": [],
            "use_csr_common_name": true,
            "use_csr_sans": true,
            "use_pss": false,
        });
        if let (Value::Object(map), Value::Object(defaults)) = (&mut data, defaults) {
            map.extend(defaults);
        }
        if let Value::Object(map) = &mut data {
            map.extend(self.other.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        data
    }

    /// Whether the role may issue for `name` (a DNS name or an email).
    pub(crate) fn allows_name(&self, name: &str) -> bool {
        if self.allow_any_name {
            return true;
        }
        let host = name.rsplit_once('@').map(|(_, domain)| domain).unwrap_or(name);
        if self.allow_localhost && matches!(host, "localhost" | "localdomain") {
            return true;
        }
        self.allowed_domains.iter().any(|domain| {
            (self.allow_bare_domains && host == domain)
                || (self.allow_subdomains && host.ends_with(&format!(".{domain}")))
                || (self.allow_glob_domains && glob_match(domain, host))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_names_as_configured() {
        let role =
            PkiRole { allowed_domains: vec!["example.com".into()], allow_subdomains: true, ..PkiRole::default() };
        assert!(role.allows_name("www.example.com"));
        assert!(!role.allows_name("example.com"));
        assert!(role.allows_name("localhost"));
        assert!(!role.allows_name("www.example.org"));
        let bare = PkiRole { allow_bare_domains: true, ..role.clone() };
        assert!(bare.allows_name("example.com"));
        let globs = PkiRole {
            allowed_domains: vec!["ftp*.example.com".into()],
            allow_glob_domains: true,
            ..PkiRole::default()
        };
        assert!(globs.allows_name("ftp01.example.com"));
        assert!(PkiRole::dev().allows_name("anything.internal"));
    }

    #[test]
    fn key_bits_default_by_key_type_and_other_fields_are_kept() {
        let params = |value: Value| Params(value.as_object().unwrap().clone());
        let mut role = PkiRole::default();
        role.apply(&params(json!({"key_type": "ec", "ou": ["eng"]}))).unwrap();
        assert_eq!((role.key_type.as_str(), role.key_bits), ("ec", 256));
        assert_eq!(role.to_json()["ou"], json!(["eng"]));
        role.apply(&params(json!({"key_type": "rsa"}))).unwrap();
        assert_eq!(role.key_bits, 2048);
        assert!(role.apply(&params(json!({"key_type": "dsa"}))).is_err());
    }
}
