//! One issuer's public keys: from PEM in the configuration, a JWKS file or a
//! JWKS URL; cached, and fetched again when a token names a key we do not
//! know (rate-limited, so a flood of made-up `kid`s cannot hammer the
//! identity provider) or when the cache is older than its TTL.

use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use url::Url;

use super::jwk::{VerificationKey, parse_jwks, parse_pem};
use crate::error::{Error, Result};

/// Where fetched keys come from.
pub(crate) enum Source {
    /// A JWKS file, read again on refresh (keys rotated on disk, e.g. a
    /// mounted ConfigMap).
    File(PathBuf),
    /// A JWKS URL.
    Url {
        /// The URL.
        url: Url,
        /// The HTTP client (custom CA, timeout).
        http: reqwest::Client,
        /// A bearer token file sent as `Authorization`, e.g. the service
        /// account token the Kubernetes API's `/openid/v1/jwks` wants.
        bearer_token_file: Option<PathBuf>,
    },
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Self::File(path) => path.display().to_string(),
            Self::Url { url, .. } => url.to_string(),
        }
    }

    async fn fetch(&self) -> std::result::Result<String, String> {
        match self {
            Self::File(path) => tokio::fs::read_to_string(path).await.map_err(|e| e.to_string()),
            Self::Url { url, http, bearer_token_file } => {
                let mut request = http.get(url.clone());
                if let Some(path) = bearer_token_file {
                    let token = tokio::fs::read_to_string(path)
                        .await
                        .map_err(|e| format!("reading the bearer token file {}: {e}", path.display()))?;
                    request = request.bearer_auth(token.trim());
                }
                let response = request.send().await.map_err(|e| e.to_string())?;
                let status = response.status();
                if !status.is_success() {
                    return Err(format!("HTTP {status}"));
                }
                response.text().await.map_err(|e| e.to_string())
            }
        }
    }
}

struct Fetched {
    keys: Arc<Vec<VerificationKey>>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// The keys of one issuer.
pub(crate) struct KeySet {
    issuer: String,
    fixed: Vec<VerificationKey>,
    source: Option<Source>,
    fetched: RwLock<Fetched>,
    /// One refresh at a time; the others wait for its result.
    refreshing: tokio::sync::Mutex<()>,
    min_refresh_interval: Duration,
    cache_ttl: Duration,
}

impl KeySet {
    /// A key set from PEM keys and an optional source; nothing is fetched yet.
    pub(crate) fn new(
        issuer: &str,
        pem_keys: &[String],
        source: Option<Source>,
        min_refresh_interval: Duration,
        cache_ttl: Duration,
        field: &str,
    ) -> Result<Self> {
        let fixed = pem_keys
            .iter()
            .enumerate()
            .map(|(index, pem)| parse_pem(pem).map_err(|why| Error::config(format!("{field}.pem_keys[{index}]"), why)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            issuer: issuer.to_owned(),
            fixed,
            source,
            fetched: RwLock::new(Fetched { keys: Arc::new(Vec::new()), fetched_at: None, last_attempt: None }),
            refreshing: tokio::sync::Mutex::new(()),
            min_refresh_interval,
            cache_ttl,
        })
    }

    /// Loads the keys at start-up. A JWKS file that cannot be read or holds
    /// no usable key is a configuration error; a JWKS URL that cannot be
    /// reached is only logged, as the identity provider may come up later.
    pub(crate) async fn load(&self, field: &str) -> Result<()> {
        let Some(source) = &self.source else { return Ok(()) };
        match self.fetch_now(source).await {
            Ok(()) => Ok(()),
            Err(why) if matches!(source, Source::File(_)) => Err(Error::config(format!("{field}.jwks_file"), why)),
            Err(why) => {
                tracing::warn!(issuer = %self.issuer, source = %source.describe(), "JWKS not loaded yet: {why}");
                Ok(())
            }
        }
    }

    /// Every known key that fits a token with `kid` and `alg`.
    pub(crate) fn candidates(&self, kid: Option<&str>, alg: Algorithm) -> Vec<VerificationKey> {
        let fetched = Arc::clone(&self.read().keys);
        self.fixed.iter().chain(fetched.iter()).filter(|key| key.fits(kid, alg)).cloned().collect()
    }

    /// Whether the fetched keys are older than the cache TTL.
    pub(crate) fn is_stale(&self) -> bool {
        self.source.is_some() && self.read().fetched_at.is_none_or(|at| at.elapsed() >= self.cache_ttl)
    }

    /// Fetches the keys again, unless the last attempt was less than the
    /// minimum interval ago. Returns whether a fetch succeeded now.
    pub(crate) async fn refresh(&self) -> bool {
        let Some(source) = &self.source else { return false };
        let started = Instant::now();
        let _one_at_a_time = self.refreshing.lock().await;
        // Someone else may have refreshed while we waited: that counts.
        let last = self.read().last_attempt;
        if let Some(last) = last {
            if last >= started {
                return self.read().fetched_at.is_some_and(|at| at >= started);
            }
            if last.elapsed() < self.min_refresh_interval {
                return false;
            }
        }
        match self.fetch_now(source).await {
            Ok(()) => true,
            Err(why) => {
                tracing::warn!(issuer = %self.issuer, source = %source.describe(), "JWKS refresh failed: {why}");
                false
            }
        }
    }

    async fn fetch_now(&self, source: &Source) -> std::result::Result<(), String> {
        self.write().last_attempt = Some(Instant::now());
        let text = source.fetch().await.map_err(|why| format!("{}: {why}", source.describe()))?;
        let (keys, skipped) = parse_jwks(&text).map_err(|why| format!("{}: {why}", source.describe()))?;
        for note in &skipped {
            tracing::debug!(issuer = %self.issuer, "JWKS {}: skipped {note}", source.describe());
        }
        if keys.is_empty() {
            return Err(format!("{}: no usable signing key ({})", source.describe(), skipped.join("; ")));
        }
        tracing::info!(issuer = %self.issuer, keys = keys.len(), source = %source.describe(), "JWKS loaded");
        let mut fetched = self.write();
        fetched.keys = Arc::new(keys);
        fetched.fetched_at = Some(Instant::now());
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Fetched> {
        self.fetched.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Fetched> {
        self.fetched.write().unwrap_or_else(PoisonError::into_inner)
    }
}
