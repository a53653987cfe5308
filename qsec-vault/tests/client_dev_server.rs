//! Every public async method of `VaultClient`, against a real `DevServer`
//! over HTTP on 127.0.0.1, with its typed answer checked: the client and the
//! dev server provably agree on every endpoint qsec uses. (The wiremock
//! suites, `client_*.rs`, pin the client to the documented wire format;
//! `dev_server_docs` pins the server to it.)
#![cfg(feature = "testkit")]

#[path = "client_dev_server/approle.rs"]
mod approle;
#[path = "client_dev_server/auth.rs"]
mod auth;
#[path = "client_dev_server/engines.rs"]
mod engines;
#[path = "client_dev_server/kv.rs"]
mod kv;
#[path = "client_dev_server/sys.rs"]
mod sys;
#[path = "client_dev_server/token.rs"]
mod token;
#[path = "client_dev_server/wrapping.rs"]
mod wrapping;

use qsec_core::VaultToken;
use qsec_vault::client::RetryPolicy;
use qsec_vault::testkit::{DevServer, MemoryVault};
use qsec_vault::{Error, VaultClient, VaultConfig};

/// The root token of every vault here.
pub(crate) const ROOT: &str = "root";

/// A dev server on 127.0.0.1 serving a vault.
pub(crate) struct Harness {
    pub(crate) vault: MemoryVault,
    server: DevServer,
}

impl Harness {
    /// A `vault server -dev`-like vault (`dev_mounts`), root token `root`.
    pub(crate) fn start() -> Harness {
        Harness::with(MemoryVault::builder().root_token(ROOT).dev_mounts().build())
    }

    /// Serves `vault`, whose root token must be `root`.
    pub(crate) fn with(vault: MemoryVault) -> Harness {
        qsec_vault::install_crypto_provider();
        let server = DevServer::start(vault.clone(), "127.0.0.1:0".parse().unwrap()).expect("the dev server starts");
        Harness { vault, server }
    }

    /// A client of the server with no token. Failures are not retried:
    /// the tests want Vault's answer.
    pub(crate) fn client(&self) -> VaultClient {
        let config = VaultConfig::new(&self.server.url()).unwrap().with_retry(RetryPolicy::none());
        VaultClient::new(config).unwrap()
    }

    /// A client holding the root token.
    pub(crate) fn root(&self) -> VaultClient {
        let client = self.client();
        client.set_token(VaultToken::new(ROOT));
        client
    }

    /// The server's URL.
    pub(crate) fn url(&self) -> String {
        self.server.url()
    }

    /// Stops the server.
    pub(crate) async fn stop(self) {
        self.server.shutdown().await;
    }
}

/// The HTTP status of a Vault refusal.
#[track_caller]
pub(crate) fn status_of<T: std::fmt::Debug>(result: Result<T, Error>) -> u16 {
    match result {
        Err(Error::Vault { status, .. }) => status,
        other => panic!("expected Vault to refuse, got {other:?}"),
    }
}
