//! Setup shared by qsec-vault's integration tests: a wiremock Vault with a
//! client of it and the request matchers the wire-format suites use, and a
//! dev `MemoryVault` answering raw requests.
//!
//! Every test file links this module and uses only part of it.
#![allow(dead_code)]

use qsec_vault::client::RetryPolicy;
use qsec_vault::{VaultClient, VaultConfig};
use serde_json::Value;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// A wiremock server and a client of it holding `token`. Failures are not
/// retried: the tests want Vault's first answer.
pub(crate) async fn mock_vault(token: Option<&str>) -> (MockServer, VaultClient) {
    mock_vault_with(token, RetryPolicy::none()).await
}

/// [`mock_vault`] with a retry policy of the test's choosing.
pub(crate) async fn mock_vault_with(token: Option<&str>, retry: RetryPolicy) -> (MockServer, VaultClient) {
    qsec_vault::install_crypto_provider();
    let server = MockServer::start().await;
    let mut config = VaultConfig::new(&server.uri()).unwrap().with_retry(retry);
    config.token = token.map(Into::into);
    (server, VaultClient::new(config).unwrap())
}

/// Matches requests without an `X-Vault-Token` header.
pub(crate) struct NoToken;

impl Match for NoToken {
    fn matches(&self, request: &Request) -> bool {
        !request.headers.contains_key("x-vault-token")
    }
}

/// Matches requests without a body.
pub(crate) struct NoBody;

impl Match for NoBody {
    fn matches(&self, request: &Request) -> bool {
        request.body.is_empty()
    }
}

/// A 200 with a JSON body.
pub(crate) fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// Expects exactly one `verb at` carrying `token`, with `body` as JSON (or no
/// body at all), and answers it with `answer`.
pub(crate) async fn expect(
    server: &MockServer,
    token: &str,
    verb: &str,
    at: &str,
    body: Option<Value>,
    answer: ResponseTemplate,
) {
    let mock = Mock::given(method(verb)).and(path(at)).and(header("x-vault-token", token));
    let mock = match body {
        Some(body) => mock.and(body_json(body)),
        None => mock.and(NoBody),
    };
    mock.respond_with(answer).expect(1).mount(server).await;
}

/// The in-memory Vault side.
#[cfg(feature = "testkit")]
pub(crate) mod memory {
    use qsec_vault::testkit::MemoryVault;
    use qsec_vault::testkit::memory::{VaultReply, VaultRequest};
    use serde_json::Value;

    /// A `vault server -dev`-like vault (`dev_mounts`), root token `root`.
    pub(crate) fn dev_vault() -> MemoryVault {
        MemoryVault::builder().root_token("root").dev_mounts().build()
    }

    /// [`dev_vault`] with its clock frozen, for tests that check TTLs.
    pub(crate) fn frozen_dev_vault() -> MemoryVault {
        let vault = dev_vault();
        vault.clock().freeze();
        vault
    }

    /// `POST path` with `body`, as `token`.
    pub(crate) fn post(vault: &MemoryVault, token: &str, path: &str, body: Value) -> VaultReply {
        vault.handle(VaultRequest::post(path, body).with_token(token))
    }

    /// `GET path`, as `token`.
    pub(crate) fn get(vault: &MemoryVault, token: &str, path: &str) -> VaultReply {
        vault.handle(VaultRequest::get(path).with_token(token))
    }
}
