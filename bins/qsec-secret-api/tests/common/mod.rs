//! Calling the Secret API from the tests: one request, its status and JSON.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

/// A client for one running Secret API.
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// An answer: the status and the JSON body (`Null` when there is none).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Api {
    pub fn new(base: &str) -> Self {
        qsec_vault::install_crypto_provider();
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
        Self { http, base: base.trim_end_matches('/').to_owned() }
    }

    /// Sends `method path` with `token` as bearer and `body` as JSON.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let mut request =
            self.http.request(Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the Secret API answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer { status, body }
    }

    /// `POST /v1/apps/P/C/A/role-id`.
    pub async fn role_id(&self, app: &str, token: &str) -> Answer {
        self.call("POST", &format!("/v1/apps/{}/role-id", slashed(app)), Some(token), None).await
    }

    /// `POST /v1/apps/P/C/A/secret-id-token`.
    pub async fn secret_id_token(&self, app: &str, token: &str) -> Answer {
        self.call("POST", &format!("/v1/apps/{}/secret-id-token", slashed(app)), Some(token), None).await
    }

    /// `PUT /v1/apps/P/C/A/secrets/NAME`.
    pub async fn put_secret(&self, app: &str, name: &str, data: Value, token: &str) -> Answer {
        self.call("PUT", &format!("/v1/apps/{}/secrets/{name}", slashed(app)), Some(token), Some(data)).await
    }

    /// `GET /v1/apps/P/C/A/secrets/NAME`.
    pub async fn get_secret(&self, app: &str, name: &str, token: &str) -> Answer {
        self.call("GET", &format!("/v1/apps/{}/secrets/{name}", slashed(app)), Some(token), None).await
    }

    /// `GET /v1/apps/P/C/A/secrets/NAME/versions`.
    pub async fn versions(&self, app: &str, name: &str, token: &str) -> Answer {
        self.call("GET", &format!("/v1/apps/{}/secrets/{name}/versions", slashed(app)), Some(token), None).await
    }

    /// `POST /v1/apps/P/C/A/secrets/NAME/rollback`.
    pub async fn rollback(&self, app: &str, name: &str, version: u64, token: &str) -> Answer {
        let body = serde_json::json!({ "version": version });
        self.call("POST", &format!("/v1/apps/{}/secrets/{name}/rollback", slashed(app)), Some(token), Some(body)).await
    }
}

/// `aws.stg.myapp` as the path `aws/stg/myapp`.
pub fn slashed(app: &str) -> String {
    app.replace('.', "/")
}
