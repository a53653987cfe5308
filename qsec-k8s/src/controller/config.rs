//! The controller's settings, with the defaults the binary documents.

use std::path::PathBuf;
use std::time::Duration;

use qsec_core::AppRef;

use crate::error::{Error, Result};

/// What to do with a pod whose refresh sidecar failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RefreshAction {
    /// Delete the pod (with a uid precondition) so its owner replaces it.
    Delete,
    /// Only record a Warning Event on the pod.
    Event,
}

/// Settings of the Secret Controller.
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    /// The cluster this controller serves, e.g. `stg`: pods of apps in
    /// another cluster get an Event and no SecretID.
    pub cluster: String,
    /// The provider, e.g. `aws`, when pods of other providers are to be refused too.
    pub provider: Option<String>,
    /// Watch only this namespace (all when `None`).
    pub namespace: Option<String>,
    /// Watch only pods with these labels (server-side filtering).
    pub label_selector: Option<String>,
    /// The Secret API's base URL.
    pub secret_api: String,
    /// The service-account token presented to the Secret API; re-read for
    /// each request, so rotation works.
    pub token_file: PathBuf,
    /// This replica's name, in delivery records, Events and the Lease.
    pub identity: String,
    /// How long a SecretID lives.
    pub secret_id_ttl: Duration,
    /// How long its wrapping token lives.
    pub wrap_ttl: Duration,
    /// A get-secret-id token is renewed this long before it expires.
    pub token_margin: Duration,
    /// Pods worked on at once.
    pub concurrency: usize,
    /// First retry delay of a failing pod; doubles up to `retry_max`.
    pub retry_min: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Timeout of `GET /healthz` on `qsec-init`.
    pub probe_timeout: Duration,
    /// Timeout of the delivery POST (qsec-init unwraps and logs in before answering).
    pub delivery_timeout: Duration,
    /// What to do when a refresh sidecar failed.
    pub refresh_action: RefreshAction,
    /// How long a started refresh sidecar may stay unready before that counts as failed.
    pub refresh_grace: Duration,
}

impl ControllerConfig {
    /// Defaults for `cluster`, the Secret API at `secret_api`, identity `identity`.
    pub fn new(cluster: &str, secret_api: &str, identity: &str) -> Self {
        Self {
            cluster: cluster.to_owned(),
            provider: None,
            namespace: None,
            label_selector: None,
            secret_api: secret_api.trim_end_matches('/').to_owned(),
            token_file: "/var/run/secrets/kubernetes.io/serviceaccount/token".into(),
            identity: identity.to_owned(),
            secret_id_ttl: Duration::from_secs(120),
            wrap_ttl: Duration::from_secs(60),
            token_margin: Duration::from_secs(30),
            concurrency: 64,
            retry_min: Duration::from_millis(250),
            retry_max: Duration::from_secs(30),
            probe_timeout: Duration::from_secs(2),
            delivery_timeout: Duration::from_secs(30),
            refresh_action: RefreshAction::Delete,
            refresh_grace: Duration::from_secs(60),
        }
    }

    /// Checks the settings for contradictions.
    pub fn validate(&self) -> Result<()> {
        let invalid = |field, reason: &str| Err(Error::ControllerSettings { field, reason: reason.into() });
        if self.cluster.is_empty() || self.cluster.contains('.') {
            return invalid("cluster", "expected the cluster part of app references, e.g. stg");
        }
        if self.identity.is_empty() {
            return invalid("identity", "must not be empty (the pod name is a good choice)");
        }
        if !(self.secret_api.starts_with("http://") || self.secret_api.starts_with("https://")) {
            return invalid("secret_api", "expected an http:// or https:// URL");
        }
        if self.concurrency == 0 {
            return invalid("concurrency", "must be at least 1");
        }
        if self.secret_id_ttl.as_secs() == 0 || self.wrap_ttl.as_secs() == 0 {
            return invalid("secret_id_ttl", "SecretID and wrap TTLs are whole seconds, at least 1");
        }
        if self.retry_min.is_zero() || self.retry_min > self.retry_max {
            return invalid("retry_min", "must be positive and at most retry_max");
        }
        Ok(())
    }

    /// Why `app` is not this controller's to serve, if it is not.
    pub fn refuses(&self, app: &AppRef) -> Option<String> {
        if app.cluster() != self.cluster {
            return Some(format!(
                "app {app} belongs to cluster {:?}; this controller serves {:?}",
                app.cluster(),
                self.cluster
            ));
        }
        match &self.provider {
            Some(provider) if app.provider() != provider => {
                Some(format!("app {app} belongs to provider {:?}; this controller serves {provider:?}", app.provider()))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_clusters_and_providers() {
        let mut config = ControllerConfig::new("stg", "http://api", "ctl-0");
        config.validate().unwrap();
        assert!(config.refuses(&"aws.stg.myapp".parse().unwrap()).is_none());
        assert!(config.refuses(&"aws.prd.myapp".parse().unwrap()).unwrap().contains("cluster \"prd\""));
        config.provider = Some("gcp".into());
        assert!(config.refuses(&"aws.stg.myapp".parse().unwrap()).unwrap().contains("provider \"aws\""));
        config.cluster = "a.b".into();
        assert!(config.validate().is_err());
    }
}
