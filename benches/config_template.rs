//! Rendering a realistic config template: 30 lines, 10 Vault lookups and
//! Sprig calls, through the Vault renderer against an in-memory Vault.
//!
//! - `vault_20ms/ten_lookups`: Vault answers every request after 20 ms; the
//!   ten independent lookups are fetched in one concurrent round, so a
//!   render takes about one round trip (the goal: under 60 ms).
//! - `vault_instant/config_template`: the same template with no added
//!   latency: the cost of qsec's own work per render.
//!
//! Run: `cargo bench -p qsec-benches --bench config_template`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use qsec_core::{KvMount, KvVersion, QsecLayout, TemplateRenderer, VaultToken};
use qsec_template::{VaultFunctionsConfig, VaultRenderer};
use qsec_vault::testkit::MemoryVault;
use serde_json::json;

/// A config file as teams write them: lookups, defaults, quoting, lists.
const TEMPLATE: &str = r#"# rendered by qsec for {{ .app }}
server:
  host: {{ .host | default "0.0.0.0" | quote }}
  port: {{ .port | default 8080 }}
  name: {{ .app | upper }}
database:
  host: {{ lookup "db" "host" | quote }}
  port: {{ lookup "db" "port" }}
  user: {{ lookup "db" "user" | quote }}
  password: {{ lookup "db" "password" | quote }}
  pool: {{ max 4 (.replicas | default 2 | mul 2) }}
cache:
  url: {{ printf "redis://:%s@%s:6379/0" (lookup "redis" "password") (lookup "redis" "host") | quote }}
queue:
  url: {{ lookup "queue-url" | quote }}
  topic: {{ list .app "events" | join "." }}
api:
  key: {{ lookup "api-key" | quote }}
  secret_sha: {{ lookup "api-secret" | sha256sum | trunc 16 }}
oauth:
  client_id: {{ lookup "oauth" "client_id" | quote }}
  client_secret: {{ lookup "oauth" "client_secret" | b64enc | quote }}
features:
{{- range $name, $on := .features }}
  {{ $name }}: {{ $on }}
{{- end }}
smtp:
  password: {{ lookup "smtp-password" | quote }}
sentry_dsn: {{ lookup "sentry-dsn" | default "" | quote }}
signing_key: {{ lookup "signing-key" | nospace | quote }}
webhook_token: {{ lookup "webhook-token" | quote }}
generated_at: {{ "2026-11-23" }}
"#;

fn vault(latency: Duration) -> MemoryVault {
    let seeds = [
        ("db", json!({ "host": "db.internal", "port": 5432, "user": "app", "password": "pw" })),
        ("redis", json!({ "host": "redis.internal", "password": "r-pw" })),
        ("queue-url", json!({ "value": "amqp://queue.internal" })),
        ("api-key", json!({ "value": "k-1" })),
        ("api-secret", json!({ "value": "s-1" })),
        ("oauth", json!({ "client_id": "id", "client_secret": "cs" })),
        ("smtp-password", json!({ "value": "smtp" })),
        ("sentry-dsn", json!({ "value": "https://sentry.internal/1" })),
        ("signing-key", json!({ "value": "sk 1" })),
        ("webhook-token", json!({ "value": "wt" })),
    ];
    let mut builder = MemoryVault::builder().root_token("root").dev_mounts();
    for (name, data) in seeds {
        builder = builder.seed_secret(&format!("secret/myapp/{name}"), data);
    }
    let vault = builder.build();
    vault.faults().set_latency(latency);
    vault
}

fn renderer(vault: &MemoryVault) -> VaultRenderer {
    let mut layout = QsecLayout::default();
    layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
    let plan = layout.plan(&"aws.stg.myapp".parse().unwrap()).unwrap();
    let backend = Arc::new(vault.backend().with_token(VaultToken::new("root")));
    VaultRenderer::new(backend, VaultFunctionsConfig { app: Some(plan), ..Default::default() })
}

fn data() -> serde_json::Value {
    json!({ "app": "myapp", "replicas": 3, "features": { "beta": true, "dark-mode": false } })
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let data = data();

    let slow = vault(Duration::from_millis(20));
    let template = renderer(&slow);
    let mut group = c.benchmark_group("vault_20ms");
    group.sample_size(20).measurement_time(Duration::from_secs(5));
    group.bench_function("ten_lookups", |b| {
        b.iter(|| {
            // A fresh scope per render: every lookup really goes to Vault.
            let renderer = template.with_new_scope();
            let out = runtime.block_on(renderer.render("local.yml.tmpl", TEMPLATE, &data)).unwrap();
            black_box(out.content.expose_secret().len())
        })
    });
    group.finish();

    let fast = vault(Duration::ZERO);
    let template = renderer(&fast);
    let mut group = c.benchmark_group("vault_instant");
    group.bench_function("config_template", |b| {
        b.iter(|| {
            let renderer = template.with_new_scope();
            let out = runtime.block_on(renderer.render("local.yml.tmpl", TEMPLATE, &data)).unwrap();
            black_box(out.content.expose_secret().len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
