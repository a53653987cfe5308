//! Talking to a pod's `qsec-init`: is it waiting (`GET /healthz`), and the
//! delivery itself (`POST /v1/secret-id` with the wrapping token).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use qsec_core::WrappingToken;
use qsec_core::delivery::{DELIVERY_PATH, HEALTH_PATH, SecretIdDelivery};

/// What `qsec-init` said to `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Waiting for a SecretID.
    Waiting,
    /// Answered, but not waiting (processing another delivery, or done).
    Busy(String),
    /// No answer: refused, timed out, or not HTTP.
    Unreachable(String),
}

/// What `qsec-init` said to the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// 200: it logged in with the SecretID.
    Accepted,
    /// Any other answer, or none; the reason says which.
    Failed(String),
}

/// HTTP client for `qsec-init` endpoints.
#[derive(Clone)]
pub struct InitClient {
    http: reqwest::Client,
    probe_timeout: Duration,
    delivery_timeout: Duration,
}

impl InitClient {
    /// A client with these timeouts.
    pub fn new(probe_timeout: Duration, delivery_timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            // Pod IPs are never proxied; a proxy would also see the wrapping token.
            .no_proxy()
            .connect_timeout(probe_timeout)
            // Each pod is talked to twice, once: the /healthz connection is
            // kept for the POST that follows (one connection per delivery,
            // not two); the POST closes it, and one left by a pod that was not
            // waiting goes soon, so idle connections to thousands of pods
            // never pile up.
            .pool_max_idle_per_host(1)
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self { http, probe_timeout, delivery_timeout }
    }

    /// Asks `qsec-init` at `ip:port` whether it waits for a SecretID.
    pub async fn readiness(&self, ip: IpAddr, port: u16) -> Readiness {
        let url = format!("http://{}{HEALTH_PATH}", SocketAddr::new(ip, port));
        match self.http.get(&url).timeout(self.probe_timeout).send().await {
            Ok(response) => {
                let status = response.status();
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                match body["status"].as_str() {
                    Some("waiting") if status.is_success() => Readiness::Waiting,
                    Some(other) => Readiness::Busy(format!("GET {HEALTH_PATH} answered {status} status {other:?}")),
                    None => Readiness::Busy(format!("GET {HEALTH_PATH} answered {status} without a status")),
                }
            }
            Err(error) => Readiness::Unreachable(describe(&error)),
        }
    }

    /// POSTs the wrapping token to `qsec-init` at `ip:port`.
    pub async fn deliver(&self, ip: IpAddr, port: u16, wrapping_token: WrappingToken) -> Delivered {
        let url = format!("http://{}{DELIVERY_PATH}", SocketAddr::new(ip, port));
        let body = SecretIdDelivery::Wrapped { wrapped_secret_id: wrapping_token };
        match self
            .http
            .post(&url)
            .timeout(self.delivery_timeout)
            // The last request to this run of qsec-init: nothing to keep open.
            .header(reqwest::header::CONNECTION, "close")
            .json(&body)
            .send()
            .await
        {
            Ok(response) if response.status().is_success() => Delivered::Accepted,
            Ok(response) => {
                let status = response.status();
                // qsec-init's error bodies never quote the token; keep them short anyway.
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                let message: String = body["error"].as_str().unwrap_or_default().chars().take(300).collect();
                Delivered::Failed(format!("POST {DELIVERY_PATH} answered {status}: {message}"))
            }
            Err(error) => Delivered::Failed(format!("POST {DELIVERY_PATH}: {}", describe(&error))),
        }
    }
}

fn describe(error: &reqwest::Error) -> String {
    // reqwest's Display names the URL (pod IP and path), which is fine;
    // the cause says refused / timed out.
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
