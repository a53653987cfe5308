//! The init container's pipeline, from SecretID received to files in place:
//! parse the delivery body, look up and unwrap the wrapping token (or take
//! the plain SecretID), log in to AppRole, render a config template of 10
//! lookups into the config volume and write the lease file — through
//! `qsec_init::deliver`, over HTTP to a dev Vault that answers every request
//! after 5 ms.
//!
//! - `vault_5ms/wrapped_secret_id`: lookup, unwrap, login, one concurrent
//!   round of 10 reads: four round trips (the goal: under 30 ms).
//! - `vault_5ms/plain_secret_id`: login and the round of reads: two.
//! - `vault_instant/wrapped_secret_id`: no added latency: qsec's own cost
//!   (HTTP, JSON, templates, files) per delivery.
//!
//! Run: `cargo bench -p qsec-benches --bench init_pipeline`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use qsec_core::{
    AppRef, IssuedSecretId, KvMount, KvVersion, QsecLayout, RoleId, SecretIdIssuer, SecretIdRequest, VaultBackend,
};
use qsec_init::{AppRoleLogin, Handover, delivery};
use qsec_template::config_dir::ConfigDirOptions;
use qsec_vault::testkit::{DevServer, MemoryVault};
use qsec_vault::{Provisioner, VaultClient, VaultConfig};
use serde_json::json;
use tempfile::TempDir;

/// A config file reading 10 secrets of the app's own area.
const TEMPLATE: &str = r#"# rendered by qsec for {{ .appRef }}
database:
  host: {{ lookup "db" "host" | quote }}
  password: {{ lookup "db-password" | quote }}
cache_url: {{ printf "redis://:%s@redis.internal:6379/0" (lookup "redis") | quote }}
queue_url: {{ lookup "queue-url" | quote }}
api_key: {{ lookup "api-key" | quote }}
oauth_secret: {{ lookup "oauth" "client_secret" | quote }}
smtp_password: {{ lookup "smtp-password" | quote }}
sentry_dsn: {{ lookup "sentry-dsn" | quote }}
signing_key: {{ lookup "signing-key" | quote }}
webhook_token: {{ lookup "webhook-token" | quote }}
"#;

const LATENCY: Duration = Duration::from_millis(5);

struct Pod {
    vault: MemoryVault,
    server: DevServer,
    login: AppRoleLogin,
    handover: Handover,
    request: SecretIdRequest,
    _dirs: TempDir,
}

impl Pod {
    async fn start() -> Pod {
        let secrets = [
            ("db", json!({ "host": "db.internal" })),
            ("db-password", json!({ "value": "pw" })),
            ("redis", json!({ "value": "r-pw" })),
            ("queue-url", json!({ "value": "amqp://queue.internal" })),
            ("api-key", json!({ "value": "k-1" })),
            ("oauth", json!({ "client_id": "id", "client_secret": "cs" })),
            ("smtp-password", json!({ "value": "smtp" })),
            ("sentry-dsn", json!({ "value": "https://sentry.internal/1" })),
            ("signing-key", json!({ "value": "sk-1" })),
            ("webhook-token", json!({ "value": "wt" })),
        ];
        let mut builder = MemoryVault::builder().root_token("root").dev_mounts();
        for (name, data) in secrets {
            builder = builder.seed_secret(&format!("secret/myapp/{name}"), data);
        }
        let vault = builder.build();
        let mut layout = QsecLayout::default();
        layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
        let app: AppRef = "aws.stg.myapp".parse().unwrap();
        let root = vault.backend().with_token("root");
        let role_id = Provisioner::new(&root, layout.clone()).unwrap().ensure_app(&app).await.unwrap().role_id;
        let plan = layout.plan(&app).unwrap();
        let server = DevServer::start(vault.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();

        // The config and lease volumes are tmpfs in a pod (and the lease file
        // is fsynced): measure on tmpfs where there is one.
        let shm = std::path::Path::new("/dev/shm");
        let dirs = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() }.unwrap();
        let source = dirs.path().join("source");
        std::fs::create_dir(&source).unwrap();
        std::fs::write(source.join("local.yml.tmpl"), TEMPLATE).unwrap();
        let login = AppRoleLogin {
            mount: "approle".into(),
            role_id: RoleId::new(role_id.expose_secret()),
            secret_id_path: plan.names.secret_id_path(),
        };
        let handover = Handover {
            plan: plan.clone(),
            functions: Default::default(),
            deny_functions: Vec::new(),
            config_source: source,
            config_dir: dirs.path().join("config"),
            lease_dir: dirs.path().join("leases"),
            options: ConfigDirOptions { data: json!({ "appRef": "aws.stg.myapp" }), ..Default::default() },
            render_timeout: Duration::from_secs(30),
        };
        let request = SecretIdRequest {
            approle_mount: "approle".into(),
            role_name: plan.names.approle.clone(),
            num_uses: Some(1),
            ..Default::default()
        };
        Pod { vault, server, login, handover, request, _dirs: dirs }
    }

    /// What the controller would POST, and a fresh Vault client as a new
    /// `qsec-init` process has: not part of the measured time.
    async fn delivery(&self, wrapped: bool) -> (Vec<u8>, Arc<dyn VaultBackend>) {
        let request = SecretIdRequest { wrap_ttl: wrapped.then_some(Duration::from_secs(60)), ..self.request.clone() };
        let body = match self.vault.backend().with_token("root").issue_secret_id(&request).await.unwrap() {
            IssuedSecretId::Plain { secret_id, .. } => json!({ "secret_id": secret_id.expose_secret() }),
            IssuedSecretId::Wrapped(info) => json!({ "wrapped_secret_id": info.token.expose_secret() }),
            other => panic!("unexpected {other:?}"),
        };
        let client = VaultClient::new(VaultConfig::new(&self.server.url()).unwrap()).unwrap();
        (body.to_string().into_bytes(), Arc::new(client))
    }
}

fn bench(c: &mut Criterion) {
    qsec_vault::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let pod = runtime.block_on(Pod::start());
    let cases = [
        ("vault_5ms", "wrapped_secret_id", LATENCY, true),
        ("vault_5ms", "plain_secret_id", LATENCY, false),
        ("vault_instant", "wrapped_secret_id", Duration::ZERO, true),
    ];
    for (group_name, name, latency, wrapped) in cases {
        pod.vault.faults().set_latency(latency);
        let mut group = c.benchmark_group(group_name);
        group.sample_size(30).measurement_time(Duration::from_secs(5));
        group.bench_function(name, |b| {
            b.iter_batched(
                || runtime.block_on(pod.delivery(wrapped)),
                |(body, vault)| {
                    runtime.block_on(async {
                        let delivery = delivery::parse(&body).unwrap();
                        let report = qsec_init::deliver(vault, &pod.login, &pod.handover, &delivery).await.unwrap();
                        black_box(report.files.len())
                    })
                },
                BatchSize::PerIteration,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
