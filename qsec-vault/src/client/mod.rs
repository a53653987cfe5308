//! [`VaultClient`]: everything qsec says to Vault, over HTTP.
//!
//! One file per concern: [`config`] (settings and the environment), `tls`
//! (building the HTTP client), `transport` (requests, headers, retries),
//! `answer` (envelopes, payloads, error mapping), `auth` (logins),
//! `token`, `kv`, `sys`, `wrapping`, `approle`, `engines` (PKI, database,
//! AWS), `backend` (the [`qsec_core`] trait impls), [`types`] (typed answers)
//! and [`requests`] (typed parameters).
//!
//! ```no_run
//! # async fn demo() -> qsec_vault::Result<()> {
//! use qsec_core::{RoleId, SecretId};
//! use qsec_vault::{VaultClient, VaultConfig};
//!
//! qsec_vault::install_crypto_provider();
//! let vault = VaultClient::new(VaultConfig::from_env()?)?;
//! let auth = vault.login_approle("approle", &RoleId::new("role-id"), &SecretId::new("secret-id")).await?;
//! println!("logged in: {auth}"); // the token prints as [redacted]
//! let db = vault.read("secret/myapp/db").await?;
//! # let _ = db;
//! # Ok(())
//! # }
//! ```

mod answer;
mod approle;
mod auth;
mod backend;
pub mod config;
mod engines;
mod kv;
pub mod requests;
mod sys;
mod tls;
mod token;
mod transport;
pub mod types;
mod wrapping;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use qsec_core::{KvVersion, VaultResponse, VaultToken};
use reqwest::header::HeaderValue;
use url::Url;

use self::answer::Raw;
pub use self::auth::DEFAULT_SERVICE_ACCOUNT_TOKEN_PATH;
pub use self::config::{Pem, RetryPolicy, VaultConfig};
use self::transport::Call;
pub use self::types::Enveloped;
use crate::error::{Error, Result};

/// A Vault HTTP client holding a current token.
///
/// Cloning is cheap and clones share the token: a login through one clone
/// is seen by all. `Debug` never shows the token.
#[derive(Clone)]
pub struct VaultClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// The address requests go to (see `tls::build`).
    base: Url,
    /// The address as configured, for messages.
    address: Url,
    namespace: Option<HeaderValue>,
    timeout: Duration,
    retry: RetryPolicy,
    token: RwLock<Option<VaultToken>>,
    /// kv versions learned from `sys/mounts`, by mount path.
    kv_versions: RwLock<HashMap<String, KvVersion>>,
}

impl VaultClient {
    /// Builds a client: reads the CA and client certificate files, sets up
    /// TLS with the process-wide ring provider (installing it if needed).
    pub fn new(config: VaultConfig) -> Result<Self> {
        crate::install_crypto_provider();
        let transport = tls::build(&config)?;
        let namespace = match config.namespace.as_deref().map(str::trim).filter(|ns| !ns.is_empty()) {
            Some(ns) => Some(HeaderValue::from_str(ns).map_err(|_| Error::Config {
                setting: "namespace".into(),
                reason: format!("expected a namespace path such as team-a/, got {ns:?}"),
            })?),
            None => None,
        };
        Ok(Self {
            inner: Arc::new(Inner {
                http: transport.http,
                base: transport.base,
                address: config.address,
                namespace,
                timeout: config.timeout,
                retry: config.retry,
                token: RwLock::new(config.token),
                kv_versions: RwLock::new(HashMap::new()),
            }),
        })
    }

    /// A client configured from the environment, as the vault CLI is; see
    /// [`VaultConfig::from_lookup`].
    pub fn from_env() -> Result<Self> {
        Self::new(VaultConfig::from_env()?)
    }

    /// Vault's address, as configured.
    pub fn address(&self) -> &Url {
        &self.inner.address
    }

    /// The current token, if there is one.
    pub fn token(&self) -> Option<VaultToken> {
        self.inner.token.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Makes `token` the current token for every later call.
    pub fn set_token(&self, token: VaultToken) {
        *self.inner.token.write().unwrap_or_else(PoisonError::into_inner) = Some(token);
    }

    /// Forgets the current token; later calls are unauthenticated.
    pub fn clear_token(&self) {
        *self.inner.token.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// `GET path`; `Ok(None)` when Vault says it does not exist (404 with
    /// no errors) or answers 204.
    pub async fn read(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.optional_envelope(Call::get("read", path)).await
    }

    /// `LIST path`; the keys are in `data.keys` ([`VaultResponse::keys`]).
    /// `Ok(None)` when there is nothing to list (404 with no errors).
    pub async fn list(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.optional_envelope(Call::list("list", path)).await
    }

    /// `POST path` with `body` as JSON; `Ok(None)` for 204.
    pub async fn write(&self, path: &str, body: &serde_json::Value) -> Result<Option<VaultResponse>> {
        self.send(Call::post("write", path).json(body.clone())).await?.envelope()
    }

    /// `DELETE path`; `Ok(None)` for 204, or when it does not exist.
    pub async fn delete(&self, path: &str) -> Result<Option<VaultResponse>> {
        self.optional_envelope(Call::delete("delete", path)).await
    }

    /// Sends `call`; a 404 without errors means "not there": `Ok(None)`.
    async fn send_optional(&self, call: Call) -> Result<Option<Raw>> {
        match self.send(call).await {
            Ok(raw) => Ok(Some(raw)),
            Err(Error::Vault { status: 404, errors, .. }) if errors.is_empty() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The keys of a LIST answer; a 404 without errors is an empty list.
    async fn list_keys(&self, call: Call) -> Result<Enveloped<Vec<String>>> {
        let Some(raw) = self.send_optional(call).await? else {
            return Ok(Enveloped { value: Vec::new(), envelope: VaultResponse::default() });
        };
        let keys: Keys = raw.payload()?;
        Ok(Enveloped { value: keys.keys, envelope: raw.required_envelope()? })
    }

    async fn optional_envelope(&self, call: Call) -> Result<Option<VaultResponse>> {
        match self.send_optional(call).await? {
            Some(raw) => raw.envelope(),
            None => Ok(None),
        }
    }
}

/// `data.keys` of a LIST answer (or top-level `keys`, as some docs show).
#[derive(serde::Deserialize)]
struct Keys {
    #[serde(default, deserialize_with = "types::null_as_default")]
    keys: Vec<String>,
}

impl fmt::Debug for VaultClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultClient")
            .field("address", &self.inner.address.as_str())
            .field("namespace", &self.inner.namespace)
            .field("has_token", &self.token().is_some())
            .finish_non_exhaustive()
    }
}
