//! The Vault template functions against an in-memory Vault: what each
//! returns, that answers are shared within a scope, that independent reads
//! are made concurrently, and that failures are clear.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use qsec_core::{
    AppRef, AuthInfo, Jwt, KvMount, KvVersion, LeaseRenewal, QsecLayout, RoleId, SecretId, TemplateRenderer, TokenInfo,
    VaultBackend, VaultResponse, VaultToken, WrapLookup, WrappingToken,
};
use qsec_template::{VaultFunctionsConfig, VaultRenderer};
use qsec_vault::testkit::MemoryVault;
use serde_json::{Value, json};

fn app() -> AppRef {
    "aws.stg.myapp".parse().unwrap()
}

fn layout(kv: KvVersion) -> QsecLayout {
    let mut layout = QsecLayout::default();
    layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: kv }];
    layout
}

/// A dev Vault with the app's secrets, a database role, an AWS role and a
/// PKI role, and a root session on it.
async fn vault(kv: KvVersion) -> (MemoryVault, Arc<dyn VaultBackend>) {
    let mut builder = MemoryVault::builder().root_token("root").dev_mounts();
    if kv == KvVersion::V1 {
        builder = builder.kv_v1("secret");
    }
    let vault = builder
        .kv_v1("kv")
        .seed_secret("kv/chain/p1", json!({ "next": "p2" }))
        .seed_secret("kv/chain/p2", json!({ "next": "p3" }))
        .seed_secret("kv/chain/p3", json!({ "next": "p4" }))
        .seed_secret("kv/chain/p4", json!({ "next": "end" }))
        .seed_secret("secret/myapp/db", json!({ "password": "pw-1", "user": "app" }))
        .seed_secret("secret/myapp/api-key", json!({ "value": "k-1" }))
        .seed_secret("secret/myapp/pointer", json!({ "value": "api-key" }))
        .build();
    let root = vault.backend().with_token(VaultToken::new("root"));
    root.write("database/config/main", &json!({ "plugin_name": "postgresql-database-plugin", "allowed_roles": "*", "connection_url": "postgresql://127.0.0.1/app" })).await.unwrap();
    root.write(
        "database/roles/app",
        &json!({ "db_name": "main", "creation_statements": ["CREATE ROLE"], "default_ttl": "1h", "max_ttl": "24h" }),
    )
    .await
    .unwrap();
    root.write("aws/roles/aws.stg.myapp", &json!({ "credential_type": "iam_user", "policy_document": "{}" }))
        .await
        .unwrap();
    (vault, Arc::new(root))
}

fn renderer(backend: Arc<dyn VaultBackend>, kv: KvVersion) -> VaultRenderer {
    let config = VaultFunctionsConfig {
        app: Some(layout(kv).plan(&app()).unwrap()),
        pki_issue_path: "pki/issue/dev".into(),
        ..Default::default()
    };
    VaultRenderer::new(backend, config)
}

async fn render(renderer: &VaultRenderer, source: &str) -> qsec_core::Result<String> {
    let rendered = renderer.render("local.yml.tmpl", source, &Value::Null).await?;
    Ok(rendered.content.expose_secret().to_owned())
}

#[tokio::test]
async fn lookup_reads_the_apps_own_area_on_kv_v1_and_v2() {
    for kv in [KvVersion::V1, KvVersion::V2] {
        let (_vault, root) = vault(kv).await;
        let renderer = renderer(root, kv);
        let out = render(&renderer, r#"{{ lookup "db" "password" }} {{ lookup "api-key" }} {{ (lookup "db").user }}"#)
            .await
            .unwrap();
        assert_eq!(out, "pw-1 k-1 app", "{kv:?}");
    }
}

#[tokio::test]
async fn a_lookup_may_depend_on_another() {
    let (vault, root) = vault(KvVersion::V2).await;
    let renderer = renderer(root, KvVersion::V2);
    vault.clear_request_log();
    let out = render(&renderer, r#"{{ lookup (lookup "pointer") }}"#).await.unwrap();
    assert_eq!(out, "k-1");
    let reads = vault.request_log().iter().filter(|r| r.path.starts_with("secret/")).count();
    assert_eq!(reads, 2, "one read per secret, in two rounds");
}

#[tokio::test]
async fn database_and_tls_functions_share_one_credential_per_scope() {
    let (vault, root) = vault(KvVersion::V2).await;
    let renderer = renderer(root, KvVersion::V2);
    let first = renderer
        .render("a.tmpl", "{{ dbUsername \"app\" }}:{{ dbPassword \"app\" }}\n{{ tlsCert \"web.internal\" }}{{ tlsKey \"web.internal\" }}{{ tlsCA \"web.internal\" }}", &Value::Null)
        .await
        .unwrap();
    let second = renderer.render("b.tmpl", "{{ dbUsername \"app\" }}", &Value::Null).await.unwrap();
    let text = first.content.expose_secret();
    let (user, password) = text.lines().next().unwrap().split_once(':').unwrap();
    assert!(vault.database_credentials_valid(user, password));
    assert_eq!(second.content.expose_secret(), user, "same role, same scope: same user");
    assert!(text.contains("-----BEGIN CERTIFICATE-----") && text.contains("PRIVATE KEY-----"));
    assert_eq!(vault.database_users().len(), 1);
    let issues = vault.request_log().iter().filter(|r| r.path == "pki/issue/dev").count();
    assert_eq!(issues, 1, "one certificate per CN");
    assert_eq!(first.leases.len(), 1, "the database lease, reported once");
    assert!(second.leases.is_empty());
}

#[tokio::test]
async fn aws_credentials_render_as_shell_exports() {
    let (vault, root) = vault(KvVersion::V2).await;
    let renderer = renderer(root, KvVersion::V2);
    let out = render(&renderer, "{{ awsCredsEnvVars }}").await.unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let access = lines[0].strip_prefix("export AWS_ACCESS_KEY_ID='").unwrap().trim_end_matches('\'');
    let secret = lines[1].strip_prefix("export AWS_SECRET_ACCESS_KEY='").unwrap().trim_end_matches('\'');
    assert!(vault.aws_credentials_valid(access, secret));
}

#[tokio::test]
async fn secret_is_consul_template_compatible_and_raw_functions_work() {
    let (_vault, root) = vault(KvVersion::V2).await;
    let renderer = renderer(root.clone(), KvVersion::V2);
    let out = render(&renderer, r#"{{ with secret "secret/data/myapp/db" }}{{ .Data.data.password }}{{ end }}"#)
        .await
        .unwrap();
    assert_eq!(out, "pw-1");
    let out = render(&renderer, r#"{{ rawWrite "kv/new" "x=1" }}|{{ (rawRead "secret/data/myapp/db").data.user }}"#)
        .await
        .unwrap();
    assert_eq!(out, "map[]|app", "kv v1 answers a write with 204: an empty map");
    let written = root.read("kv/new").await.unwrap().unwrap();
    assert_eq!(written.data.unwrap().expose_secret()["x"], "1");
    let out = render(
        &renderer,
        r#"{{ with secret "pki/issue/dev" "common_name=a.internal" }}{{ .Data.private_key_type }}{{ end }}"#,
    )
    .await
    .unwrap();
    assert_eq!(out, "ec");
}

#[tokio::test]
async fn missing_secrets_and_keys_fail_with_clear_messages() {
    let (_vault, root) = vault(KvVersion::V2).await;
    let renderer = renderer(root, KvVersion::V2);
    let error = render(&renderer, "a\n{{ lookup \"nope\" }}").await.unwrap_err().to_string();
    assert!(error.contains("local.yml.tmpl:2") && error.contains(r#"secret "nope" not found"#), "{error}");
    let error = render(&renderer, r#"{{ lookup "db" "pass" }}"#).await.unwrap_err().to_string();
    assert!(error.contains(r#"has no key "pass" (it has: password, user)"#), "{error}");
    let error = render(&renderer, r#"{{ lookup "../other/x" }}"#).await.unwrap_err().to_string();
    assert!(error.contains("not a secret name inside the app's area"), "{error}");
    let error = render(&renderer, r#"{{ rawRead "sys/nothing/here" }}"#).await.unwrap_err().to_string();
    assert!(error.contains("sys/nothing/here"), "{error}");
}

#[tokio::test]
async fn a_template_that_keeps_asking_gives_up() {
    let (vault, root) = vault(KvVersion::V2).await;
    let config = VaultFunctionsConfig { app: Some(layout(KvVersion::V2).plan(&app()).unwrap()), ..Default::default() };
    let renderer = VaultRenderer::builder(root.clone()).config(config).limits(3, 4).build();
    // Each answer names the next path, so each step needs a round of its own.
    let source = r#"{{ $a := (rawRead "kv/chain/p1").next }}{{ $b := (rawRead (printf "kv/chain/%s" $a)).next }}{{ $c := (rawRead (printf "kv/chain/%s" $b)).next }}{{ (rawRead (printf "kv/chain/%s" $c)).next }}"#;
    let four = VaultRenderer::builder(root.clone()).limits(5, 4).build();
    assert_eq!(render(&four, source).await.unwrap(), "end");
    let error = render(&renderer, source).await.unwrap_err().to_string();
    assert!(error.contains("after 3 rounds"), "{error}");
    let placeholder_reads = vault
        .request_log()
        .iter()
        .filter(|r| r.path.contains("<no value>") || r.path.contains("%!") || r.path.ends_with('/'))
        .count();
    assert_eq!(placeholder_reads, 0, "no read of a path built from a placeholder");
}

#[tokio::test]
async fn writes_wait_until_their_inputs_are_known() {
    let (vault, root) = vault(KvVersion::V2).await;
    let renderer = renderer(root.clone(), KvVersion::V2);
    vault.clear_request_log();
    let out = render(&renderer, r#"{{ rawWrite (printf "kv/copy-%s" (lookup "api-key")) "x=1" }}"#).await.unwrap();
    assert_eq!(out, "map[]");
    let writes: Vec<String> =
        vault.request_log().iter().filter(|r| r.method.is_write()).map(|r| r.path.clone()).collect();
    assert_eq!(writes, ["kv/copy-k-1"], "one write, to the path built from the real answer");
}

#[tokio::test]
async fn denied_functions_do_not_exist() {
    let (_vault, root) = vault(KvVersion::V2).await;
    let renderer = VaultRenderer::builder(root).deny(["env", "rawWrite"]).build();
    let error = render(&renderer, r#"{{ rawWrite "x" "a=b" }}"#).await.unwrap_err().to_string();
    assert!(error.contains(r#"function "rawWrite" not defined"#), "{error}");
}

#[tokio::test]
async fn errors_never_quote_a_value_fetched_in_the_scope() {
    let (_vault, root) = vault(KvVersion::V2).await;
    root.write("secret/data/myapp/quoted", &json!({ "data": { "value": "pa\"ss\\wd-1" } })).await.unwrap();
    let renderer = renderer(root, KvVersion::V2);
    // Go's own words would quote the value: `parsing time "pw-1" as ...`.
    let error = render(&renderer, r#"{{ lookup "db" "password" | mustToDate "2006-01-02" }}"#).await.unwrap_err();
    let error = error.to_string();
    assert!(error.contains(r#"parsing time "***" as "2006-01-02""#) && !error.contains("pw-1"), "{error}");
    let error = render(&renderer, r#"{{ fail (printf "bad: %s" (lookup "db" "password")) }}"#).await.unwrap_err();
    assert!(error.to_string().ends_with("error calling fail: bad: ***"), "{error}");
    // Go-quoted, with its escapes.
    let error = render(&renderer, r#"{{ lookup "quoted" | mustToDate "2006" }}"#).await.unwrap_err().to_string();
    assert!(error.contains(r#"parsing time "***""#) && !error.contains("wd-1"), "{error}");
    // The scope spans templates: this one fetched nothing itself. Values
    // under 4 characters ("app") are left alone, so messages stay readable.
    let error = render(&renderer, r#"{{ fail "pw-1 app" }}"#).await.unwrap_err().to_string();
    assert!(error.ends_with("error calling fail: *** app"), "{error}");
}

/// Counts how many Vault calls are in flight at once.
struct Concurrency {
    inner: Arc<dyn VaultBackend>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
}

#[async_trait]
impl VaultBackend for Concurrency {
    fn set_token(&self, token: VaultToken) {
        self.inner.set_token(token)
    }
    async fn login_approle(&self, m: &str, r: &RoleId, s: &SecretId) -> qsec_core::Result<AuthInfo> {
        self.inner.login_approle(m, r, s).await
    }
    async fn login_kubernetes(&self, m: &str, r: &str, j: &Jwt) -> qsec_core::Result<AuthInfo> {
        self.inner.login_kubernetes(m, r, j).await
    }
    async fn read(&self, path: &str) -> qsec_core::Result<Option<VaultResponse>> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let answer = self.inner.read(path).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        answer
    }
    async fn list(&self, path: &str) -> qsec_core::Result<Option<VaultResponse>> {
        self.inner.list(path).await
    }
    async fn write(&self, path: &str, body: &Value) -> qsec_core::Result<Option<VaultResponse>> {
        self.inner.write(path, body).await
    }
    async fn delete(&self, path: &str) -> qsec_core::Result<Option<VaultResponse>> {
        self.inner.delete(path).await
    }
    async fn lookup_self(&self) -> qsec_core::Result<TokenInfo> {
        self.inner.lookup_self().await
    }
    async fn renew_self(&self, i: Option<Duration>) -> qsec_core::Result<AuthInfo> {
        self.inner.renew_self(i).await
    }
    async fn revoke_self(&self) -> qsec_core::Result<()> {
        self.inner.revoke_self().await
    }
    async fn renew_lease(&self, id: &str, i: Option<Duration>) -> qsec_core::Result<LeaseRenewal> {
        self.inner.renew_lease(id, i).await
    }
    async fn revoke_lease(&self, id: &str) -> qsec_core::Result<()> {
        self.inner.revoke_lease(id).await
    }
    async fn lookup_wrapping(&self, t: &WrappingToken) -> qsec_core::Result<WrapLookup> {
        self.inner.lookup_wrapping(t).await
    }
    async fn unwrap(&self, t: &WrappingToken) -> qsec_core::Result<VaultResponse> {
        self.inner.unwrap(t).await
    }
}

#[tokio::test]
async fn independent_lookups_are_fetched_in_one_concurrent_round() {
    let mut builder = MemoryVault::builder().root_token("root").dev_mounts();
    for i in 0..10 {
        builder = builder.seed_secret(&format!("secret/myapp/s{i}"), json!({ "value": format!("v{i}") }));
    }
    let vault = builder.build();
    let counting = Arc::new(Concurrency {
        inner: Arc::new(vault.backend().with_token(VaultToken::new("root"))),
        in_flight: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    });
    let renderer = renderer(counting.clone(), KvVersion::V2);
    let source: String = (0..10).map(|i| format!("{{{{ lookup \"s{i}\" }}}},")).collect();
    assert_eq!(render(&renderer, &source).await.unwrap(), "v0,v1,v2,v3,v4,v5,v6,v7,v8,v9,");
    assert_eq!(counting.peak.load(Ordering::SeqCst), 10, "all ten reads were in flight together");
}

#[tokio::test]
async fn a_renderer_denied_by_policy_reports_the_403() {
    let (vault, _root) = vault(KvVersion::V2).await;
    let token = vault
        .backend()
        .with_token(VaultToken::new("root"))
        .write("auth/token/create", &json!({ "policies": ["default"] }))
        .await
        .unwrap()
        .unwrap()
        .auth
        .unwrap()
        .client_token;
    let renderer = renderer(Arc::new(vault.backend().with_token(token)), KvVersion::V2);
    let error = render(&renderer, r#"{{ lookup "db" }}"#).await.unwrap_err().to_string();
    assert!(error.contains("403") && error.contains("secret/data/myapp/db"), "{error}");
}
