//! One contract, two implementations: every scenario here runs against
//! `MemoryVault` in-process and against `VaultClient` talking HTTP to a
//! `DevServer`, so the in-memory Vault, the wire format and the client
//! cannot drift apart.
#![cfg(feature = "testkit")]

use std::net::SocketAddr;
use std::time::Duration;

use qsec_core::{
    AppRef, Capability, IssuedSecretId, KvMount, KvVersion, PolicyRule, QsecLayout, RoleId, SecretId, SecretIdIssuer,
    SecretIdRequest, VaultBackend, VaultToken, WrappingToken,
};
use qsec_vault::client::RetryPolicy;
use qsec_vault::testkit::{DevServer, MemoryVault};
use qsec_vault::{Provisioner, VaultClient, VaultConfig};
use serde_json::json;

/// What a scenario needs of a Vault session: both traits.
trait Session: VaultBackend + SecretIdIssuer {}
impl<T: VaultBackend + SecretIdIssuer> Session for T {}

/// A Vault to test against, reached in-process or over HTTP.
struct Harness {
    vault: MemoryVault,
    server: Option<DevServer>,
}

impl Harness {
    fn memory() -> Self {
        Self { vault: dev_vault(), server: None }
    }

    fn http() -> Self {
        qsec_vault::install_crypto_provider();
        let vault = dev_vault();
        let server = DevServer::start(vault.clone(), SocketAddr::from(([127, 0, 0, 1], 0))).expect("dev server starts");
        Self { vault, server: Some(server) }
    }

    /// A new session with no token.
    fn session(&self) -> Box<dyn Session> {
        match &self.server {
            None => Box::new(self.vault.backend()),
            Some(server) => {
                let config = VaultConfig::new(&server.url()).unwrap().with_retry(RetryPolicy::none());
                Box::new(VaultClient::new(config).unwrap())
            }
        }
    }

    /// A new session holding `token`.
    fn session_with(&self, token: &VaultToken) -> Box<dyn Session> {
        let session = self.session();
        session.set_token(token.clone());
        session
    }

    fn root(&self) -> Box<dyn Session> {
        self.session_with(&VaultToken::new(self.vault.root_token()))
    }

    async fn stop(self) {
        if let Some(server) = self.server {
            server.shutdown().await;
        }
    }
}

fn dev_vault() -> MemoryVault {
    MemoryVault::builder().root_token("root").dev_mounts().build()
}

fn myapp() -> AppRef {
    "aws.stg.myapp".parse().unwrap()
}

/// The seed's layout on a kv v2 `secret/`, plus the dynamic engines the
/// scenarios use.
fn layout() -> QsecLayout {
    let mut layout = QsecLayout::default();
    layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
    for path in ["database/creds/{role}", "aws/creds/{role}"] {
        layout.policies.read_rules.push(PolicyRule { path: path.into(), capabilities: vec![Capability::Read] });
    }
    layout
}

fn status(error: &qsec_core::Error) -> u16 {
    error.vault_status().unwrap_or_else(|| panic!("expected a Vault error status, got {error}"))
}

/// Provisions `app` and returns its RoleID and a controller session whose
/// token carries only the app's get-secret-id policy.
async fn provision(h: &Harness, app: &AppRef) -> (RoleId, Box<dyn Session>) {
    let root = h.root();
    let provisioned = Provisioner::new(&*root, layout()).unwrap().ensure_app(app).await.unwrap();
    let plan = layout().plan(app).unwrap();
    let created = root.write(&format!("auth/token/create/{}", plan.names.token_role), &json!({})).await.unwrap();
    let token = created.and_then(|r| r.auth).expect("token create answers with auth").client_token;
    (provisioned.role_id, h.session_with(&token))
}

fn secret_id_request(app: &AppRef) -> SecretIdRequest {
    SecretIdRequest {
        approle_mount: "approle".into(),
        role_name: app.to_string(),
        num_uses: Some(1),
        metadata: [("pod".to_string(), "default/myapp-0".to_string())].into(),
        ..Default::default()
    }
}

async fn plain_secret_id(controller: &dyn Session, app: &AppRef) -> SecretId {
    match controller.issue_secret_id(&secret_id_request(app)).await.unwrap() {
        IssuedSecretId::Plain { secret_id, .. } => secret_id,
        other => panic!("expected a plain SecretID, got {other:?}"),
    }
}

async fn approle_login_reads_only_its_own_area(h: &Harness) {
    let app = myapp();
    let (role_id, controller) = provision(h, &app).await;
    let root = h.root();
    root.write("secret/data/myapp/db", &json!({ "data": { "password": "pw-1" } })).await.unwrap();
    root.write("secret/data/other/db", &json!({ "data": { "password": "not-yours" } })).await.unwrap();

    let secret_id = plain_secret_id(&*controller, &app).await;
    let session = h.session();
    let auth = session.login_approle("approle", &role_id, &secret_id).await.unwrap();
    assert!(auth.token_policies.contains(&"secret-api/read-aws.stg.myapp".to_string()), "{auth}");
    let db = session.read("secret/data/myapp/db").await.unwrap().expect("secret exists");
    assert_eq!(db.data.unwrap().expose_secret()["data"]["password"], "pw-1");
    let denied = session.read("secret/data/other/db").await.unwrap_err();
    assert_eq!(status(&denied), 403);

    // num_uses 1: the same SecretID never logs in twice.
    let again = h.session().login_approle("approle", &role_id, &secret_id).await.unwrap_err();
    assert_eq!(status(&again), 400, "{again}");
}

async fn controller_token_issues_for_its_app_only(h: &Harness) {
    let app = myapp();
    let other: AppRef = "aws.stg.other".parse().unwrap();
    let (_, controller) = provision(h, &app).await;
    provision(h, &other).await;
    let denied = controller.issue_secret_id(&secret_id_request(&other)).await.unwrap_err();
    assert_eq!(status(&denied), 403);
    let read = controller.read("secret/data/myapp/db").await.unwrap_err();
    assert_eq!(status(&read), 403, "the controller must not read app secrets");
}

async fn wrapped_secret_id_unwraps_once(h: &Harness) {
    let app = myapp();
    let (role_id, controller) = provision(h, &app).await;
    let request = SecretIdRequest { wrap_ttl: Some(Duration::from_secs(60)), ..secret_id_request(&app) };
    let info = match controller.issue_secret_id(&request).await.unwrap() {
        IssuedSecretId::Wrapped(info) => info,
        other => panic!("expected a wrapped SecretID, got {other:?}"),
    };
    assert_eq!(info.creation_path, "auth/approle/role/aws.stg.myapp/secret-id");
    assert!(info.ttl > 0 && info.ttl <= 60);

    let pod = h.session();
    let lookup = pod.lookup_wrapping(&info.token).await.unwrap();
    assert_eq!(lookup.creation_path, info.creation_path);
    let unwrapped = pod.unwrap(&info.token).await.unwrap();
    let secret_id = SecretId::new(unwrapped.data.unwrap().get_str("secret_id").expect("secret_id"));
    pod.login_approle("approle", &role_id, &secret_id).await.unwrap();

    let again = h.session().unwrap(&info.token).await.unwrap_err();
    assert_eq!(status(&again), 400, "{again}");
    let bogus = h.session().unwrap(&WrappingToken::new("not-a-wrapping-token")).await.unwrap_err();
    assert_eq!(status(&bogus), 400, "{bogus}");
}

async fn token_lookup_renew_and_revoke(h: &Harness) {
    let app = myapp();
    let (role_id, controller) = provision(h, &app).await;
    let secret_id = plain_secret_id(&*controller, &app).await;
    let session = h.session();
    let auth = session.login_approle("approle", &role_id, &secret_id).await.unwrap();
    assert!(auth.renewable);
    let info = session.lookup_self().await.unwrap();
    assert_eq!(info.accessor, auth.accessor);
    assert_eq!(info.period, Some(300), "the seed's AppRole issues periodic tokens");
    let renewed = session.renew_self(None).await.unwrap();
    assert_eq!(renewed.lease_duration, 300);
    session.revoke_self().await.unwrap();
    let after = h.session_with(&auth.client_token).lookup_self().await.unwrap_err();
    assert_eq!(status(&after), 403);
}

async fn dynamic_leases_die_with_their_token(h: &Harness) {
    let app = myapp();
    let (role_id, controller) = provision(h, &app).await;
    let root = h.root();
    root.write(
        "database/config/main",
        &json!({ "plugin_name": "postgresql-database-plugin", "allowed_roles": "*", "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/app" }),
    )
    .await
    .unwrap();
    root.write(
        "database/roles/aws.stg.myapp",
        &json!({ "db_name": "main", "creation_statements": ["CREATE ROLE \"{{name}}\""], "default_ttl": "1h", "max_ttl": "24h" }),
    )
    .await
    .unwrap();
    root.write("aws/roles/aws.stg.myapp", &json!({ "credential_type": "iam_user", "policy_document": "{}" }))
        .await
        .unwrap();

    let secret_id = plain_secret_id(&*controller, &app).await;
    let session = h.session();
    session.login_approle("approle", &role_id, &secret_id).await.unwrap();
    let db = session.read("database/creds/aws.stg.myapp").await.unwrap().expect("database creds");
    assert!(!db.lease_id.is_empty() && db.renewable && db.lease_duration > 0);
    let data = db.data.clone().unwrap();
    let (user, password) = (data.get_str("username").unwrap().to_owned(), data.get_str("password").unwrap().to_owned());
    assert!(h.vault.database_credentials_valid(&user, &password));
    let renewal = session.renew_lease(&db.lease_id, Some(Duration::from_secs(600))).await.unwrap();
    assert_eq!(renewal.lease_id, db.lease_id);
    let aws = session.read("aws/creds/aws.stg.myapp").await.unwrap().expect("aws creds");
    let keys = aws.data.clone().unwrap();
    let (access, secret) =
        (keys.get_str("access_key").unwrap().to_owned(), keys.get_str("secret_key").unwrap().to_owned());
    assert!(h.vault.aws_credentials_valid(&access, &secret));

    session.revoke_self().await.unwrap();
    assert!(!h.vault.database_credentials_valid(&user, &password), "database user dropped with the token");
    assert!(!h.vault.aws_credentials_valid(&access, &secret), "AWS key deleted with the token");
    let gone = root.write("sys/leases/lookup", &json!({ "lease_id": db.lease_id })).await.unwrap_err();
    assert_eq!(status(&gone), 400, "{gone}");
}

async fn kv_list_missing_and_delete(h: &Harness) {
    let root = h.root();
    root.write("secret/data/myapp/a", &json!({ "data": { "k": "1" } })).await.unwrap();
    root.write("secret/data/myapp/b/c", &json!({ "data": { "k": "2" } })).await.unwrap();
    let listed = root.list("secret/metadata/myapp").await.unwrap().expect("keys");
    assert_eq!(listed.keys(), ["a", "b/"]);
    assert!(root.read("secret/data/myapp/missing").await.unwrap().is_none());
    assert!(root.list("secret/metadata/nothing-here").await.unwrap().is_none());
    root.delete("secret/data/myapp/a").await.unwrap();
    assert!(root.read("secret/data/myapp/a").await.unwrap().is_none(), "a deleted version reads as missing");
}

async fn ensure_app_twice_writes_nothing_the_second_time(h: &Harness) {
    let app = myapp();
    let root = h.root();
    let provisioner = Provisioner::new(&*root, layout()).unwrap();
    let first = provisioner.ensure_app(&app).await.unwrap();
    assert_eq!(first.changes.len(), 4, "{:?}", first.changes);
    h.vault.clear_request_log();
    let second = provisioner.ensure_app(&app).await.unwrap();
    assert!(second.changes.is_empty(), "{:?}", second.changes);
    assert_eq!(second.role_id.expose_secret(), first.role_id.expose_secret());
    let writes: Vec<_> = h.vault.request_log().into_iter().filter(|r| r.method.is_write()).collect();
    assert!(writes.is_empty(), "second ensure_app wrote {writes:?}");
}

macro_rules! contract {
    ($($scenario:ident),* $(,)?) => {
        mod in_memory {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let harness = super::Harness::memory();
                    super::$scenario(&harness).await;
                    harness.stop().await;
                }
            )*
        }
        mod over_http {
            $(
                #[tokio::test]
                async fn $scenario() {
                    let harness = super::Harness::http();
                    super::$scenario(&harness).await;
                    harness.stop().await;
                }
            )*
        }
    };
}

contract!(
    approle_login_reads_only_its_own_area,
    controller_token_issues_for_its_app_only,
    wrapped_secret_id_unwraps_once,
    token_lookup_renew_and_revoke,
    dynamic_leases_die_with_their_token,
    kv_list_missing_and_delete,
    ensure_app_twice_writes_nothing_the_second_time,
);
