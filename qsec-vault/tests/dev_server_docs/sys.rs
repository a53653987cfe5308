//! `api_system_health.mdx`, `api_system_init.mdx`,
//! `api_system_seal-status.mdx`, `api_system_unseal.mdx`,
//! `api_system_mounts.mdx` and `api_system_auth.mdx`.

use serde_json::{Value, json};

use crate::{Docs, assert_shape};

/// The documented health answer.
fn health_sample() -> Value {
    json!({
      "initialized": true,
      "sealed": false,
      "standby": false,
      "replication_performance_mode": "disabled",
      "replication_dr_mode": "disabled",
      "server_time_utc": 1516639589,
      "version": "0.9.2",
      "cluster_name": "openbao-cluster-3bd69ca2",
      "cluster_id": "00af5aa8-c87d-b5fc-e82e-97cd8dfaf731"
    })
}

#[tokio::test]
async fn health_init_seal_status_and_unseal_follow_the_docs() {
    let docs = Docs::start();
    let health = docs.call("GET", "sys/health", None, None).await;
    assert_eq!(health.status, 200);
    assert_shape(&health.body, &health_sample());
    let head = Docs::send(docs.request("HEAD", "sys/health")).await;
    assert_eq!((head.status, head.text.as_str()), (200, ""));
    let custom = docs.call("GET", "sys/health?standbycode=200&activecode=204", None, None).await;
    assert_eq!(custom.status, 204);

    assert_eq!(docs.call("GET", "sys/init", None, None).await.body, json!({"initialized": true}));
    let init = docs.call("POST", "sys/init", None, Some(json!({"secret_shares": 10, "secret_threshold": 5}))).await;
    // Like a dev server, this Vault starts initialized.
    assert_eq!((init.status, init.errors().as_str()), (400, "Vault is already initialized"));

    let unsealed_sample = json!({
      "type": "shamir",
      "initialized": true,
      "sealed": false,
      "t": 3,
      "n": 5,
      "progress": 0,
      "nonce": "",
      "version": "1.11.0",
      "commit_date": "2022-05-03T08:34:11Z",
      "migration": false,
      "cluster_name": "openbao-cluster-336172e1",
      "cluster_id": "f94053ad-d80e-4270-2006-2efd67d0910a",
      "recovery_seal": false,
      "storage_type": "file"
    });
    let status = docs.call("GET", "sys/seal-status", None, None).await;
    assert_shape(&status.body, &unsealed_sample);

    assert_eq!(docs.root("POST", "sys/seal", None).await.status, 204);
    let sealed = docs.call("GET", "sys/seal-status", None, None).await;
    assert_shape(
        &sealed.body,
        &json!({
          "type": "shamir",
          "initialized": true,
          "sealed": true,
          "t": 3,
          "n": 5,
          "progress": 2,
          "nonce": "",
          "version": "1.11.0",
          "commit_date": "2022-05-03T08:34:11Z",
          "migration": false,
          "recovery_seal": false,
          "storage_type": "file"
        }),
    );
    assert_eq!(sealed.body["sealed"], true);
    let health = docs.call("GET", "sys/health", None, None).await;
    assert_eq!((health.status, &health.body["sealed"]), (503, &json!(true)));
    assert_eq!(docs.call("GET", "sys/health?sealedcode=200", None, None).await.status, 200);
    assert_eq!(docs.root("GET", "secret/data/x", None).await.status, 503);

    let reset = docs.call("POST", "sys/unseal", None, Some(json!({"reset": true}))).await;
    assert_eq!((reset.status, &reset.body["sealed"]), (200, &json!(true)));
    assert_shape(&reset.body, &json!({"sealed": true, "t": 3, "n": 5, "progress": 2, "version": "0.6.2"}));
    let unsealed = docs.call("POST", "sys/unseal", None, Some(json!({"key": "abcd1234..."}))).await;
    assert_eq!(unsealed.status, 200);
    assert_shape(
        &unsealed.body,
        &json!({
          "sealed": false,
          "t": 3,
          "n": 5,
          "progress": 0,
          "version": "0.6.2",
          "cluster_name": "openbao-cluster-d6ec3c7f",
          "cluster_id": "3e8b3fec-3749-e056-ba41-b62a63b997e8"
        }),
    );
    assert_eq!(docs.call("POST", "sys/unseal", None, Some(json!({}))).await.status, 400);
    docs.stop().await;
}

/// A mount's entry in the documented `sys/mounts` answer.
fn mount_sample(options: Value, config: Value) -> Value {
    json!({
      "accessor": "kv_aedd93c1",
      "config": config,
      "description": "key/value secret storage",
      "external_entropy_access": false,
      "local": false,
      "options": options,
      "plugin_version": "",
      "running_plugin_version": "v0.13.0+builtin",
      "running_sha256": "",
      "seal_wrap": false,
      "type": "kv",
      "uuid": "8074a73f-6921-c0cd-589a-016405dc46ec"
    })
}

fn ttl_config() -> Value {
    json!({"default_lease_ttl": 0, "force_no_cache": false, "max_lease_ttl": 0})
}

#[tokio::test]
async fn secrets_engines_are_listed_enabled_read_tuned_and_disabled_as_documented() {
    let docs = Docs::start();
    let mounts = docs.root("GET", "sys/mounts", None).await;
    assert_eq!(mounts.status, 200);
    let mut sys_config = ttl_config();
    sys_config["passthrough_request_headers"] = json!(["Accept"]);
    let mut secret = mount_sample(json!({"version": "2"}), ttl_config());
    secret["deprecation_status"] = json!("supported");
    assert_shape(
        &mounts.body,
        &json!({
          "request_id": "48d2c601-97a0-3904-f549-4fcbc740d718",
          "lease_id": "",
          "lease_duration": 0,
          "renewable": false,
          "data": {
            "cubbyhole/": mount_sample(Value::Null, ttl_config()),
            "identity/": mount_sample(Value::Null, ttl_config()),
            "secret/": secret,
            "sys/": mount_sample(Value::Null, sys_config)
          },
          "warnings": null
        }),
    );
    assert_eq!(mounts.data()["secret/"]["options"], json!({"version": "2"}));
    assert_eq!(mounts.data()["cubbyhole/"]["local"], true);

    let payload = json!({"type": "kv", "config": {"force_no_cache": true}});
    assert_eq!(docs.root("POST", "sys/mounts/my-mount", Some(payload)).await.status, 204);
    let one = docs.root("GET", "sys/mounts/cubbyhole", None).await;
    // `sys/` answers also carry `data`'s fields at the top level.
    let mut one_sample = mount_sample(Value::Null, ttl_config());
    for (key, value) in [
        ("request_id", json!("efdab917-ade2-1802-b8fa-fe2e6486d4e5")),
        ("lease_id", json!("")),
        ("renewable", json!(false)),
        ("lease_duration", json!(0)),
        ("data", mount_sample(Value::Null, ttl_config())),
        ("wrap_info", Value::Null),
        ("warnings", Value::Null),
        ("auth", Value::Null),
    ] {
        one_sample[key] = value;
    }
    assert_shape(&one.body, &one_sample);
    assert_eq!(one.body["type"], "cubbyhole");
    let mine = docs.root("GET", "sys/mounts/my-mount", None).await;
    assert_shape(&mine.body, &one_sample);
    assert_eq!(mine.data()["config"]["force_no_cache"], true);

    let tune = json!({"default_lease_ttl": 1800, "max_lease_ttl": 3600});
    assert_eq!(docs.root("POST", "sys/mounts/my-mount/tune", Some(tune)).await.status, 204);
    let tuned = docs.root("GET", "sys/mounts/my-mount/tune", None).await;
    assert_shape(&tuned.body, &json!({"default_lease_ttl": 3600, "max_lease_ttl": 7200, "force_no_cache": false}));
    assert_eq!((&tuned.body["default_lease_ttl"], &tuned.body["max_lease_ttl"]), (&json!(1800), &json!(3600)));
    // The system defaults show as seconds, where `sys/mounts` says 0.
    let defaults = docs.root("GET", "sys/mounts/secret/tune", None).await;
    assert_eq!(defaults.body["default_lease_ttl"], 2_764_800);
    // Durations as strings, as `config` documents them.
    let strings = json!({"type": "kv", "config": {"default_lease_ttl": "30m", "max_lease_ttl": "1h"}});
    docs.root("POST", "sys/mounts/other", Some(strings)).await;
    assert_eq!(docs.root("GET", "sys/mounts/other", None).await.data()["config"]["default_lease_ttl"], 1800);

    let taken = docs.root("POST", "sys/mounts/my-mount", Some(json!({"type": "kv"}))).await;
    assert_eq!(taken.status, 400);
    assert_eq!(docs.root("DELETE", "sys/mounts/my-mount", None).await.status, 204);
    assert_eq!(docs.root("GET", "sys/mounts/my-mount", None).await.status, 400);
    docs.stop().await;
}

/// An auth method's entry in the documented `sys/auth` answer.
fn auth_sample() -> Value {
    json!({
      "accessor": "auth_github_badd7fd0",
      "config": {
        "default_lease_ttl": 0,
        "force_no_cache": false,
        "max_lease_ttl": 0,
        "token_type": "default-service"
      },
      "description": "",
      "external_entropy_access": false,
      "local": false,
      "options": null,
      "plugin_version": "",
      "running_plugin_version": "v1.12.0+builtin.openbao",
      "running_sha256": "",
      "seal_wrap": false,
      "type": "github",
      "uuid": "4b42d1a4-0a0d-3c88-ae90-997e0c8b41be"
    })
}

#[tokio::test]
async fn auth_methods_are_listed_enabled_read_tuned_and_disabled_as_documented() {
    let docs = Docs::start();
    let payload = json!({"type": "github", "description": "Login with GitHub"});
    assert_eq!(docs.root("POST", "sys/auth/my-auth", Some(payload)).await.status, 204);
    let list = docs.root("GET", "sys/auth", None).await;
    assert_shape(
        &list.body,
        &json!({
          "request_id": "9bc0fab8-d65c-3961-afe6-d05f50c5fd22",
          "lease_id": "",
          "lease_duration": 0,
          "renewable": false,
          "data": {
            "my-auth/": auth_sample(),
            "token/": auth_sample()
          },
          "warnings": null
        }),
    );
    assert_eq!(list.data()["token/"]["type"], "token");

    let read = docs.root("GET", "sys/auth/my-auth", None).await;
    assert_shape(
        &read.body,
        &json!({
          "request_id": "8d2a1e33-4c00-46a5-f50d-4dc5f5d96f12",
          "lease_id": "",
          "lease_duration": 0,
          "renewable": false,
          "data": auth_sample(),
          "warnings": null
        }),
    );
    assert_eq!((&read.data()["type"], &read.data()["description"]), (&json!("github"), &json!("Login with GitHub")));

    let tune_sample = json!({
      "default_lease_ttl": 2764800,
      "description": "",
      "force_no_cache": false,
      "max_lease_ttl": 2764800,
      "token_type": "default-service"
    });
    let tune = docs.root("GET", "sys/auth/my-auth/tune", None).await;
    assert_shape(&tune.body, &tune_sample);
    assert_eq!(tune.body["default_lease_ttl"], 2_764_800);
    let payload = json!({
      "default_lease_ttl": 1800,
      "max_lease_ttl": 86400,
      "audit_non_hmac_request_keys": ["client_nonce"],
      "user_lockout_config":{
        "lockout_threshold":"20",
        "lockout_duration":"5m",
        "lockout_counter_reset":"5m"
      }
    });
    assert_eq!(docs.root("POST", "sys/auth/my-auth/tune", Some(payload)).await.status, 204);
    // The same without sudo, through sys/mounts/auth/:path/tune.
    let tuned = docs.root("GET", "sys/mounts/auth/my-auth/tune", None).await;
    assert_shape(&tuned.body, &tune_sample);
    assert_eq!((&tuned.body["default_lease_ttl"], &tuned.body["max_lease_ttl"]), (&json!(1800), &json!(86400)));
    assert_eq!(tuned.body["audit_non_hmac_request_keys"], json!(["client_nonce"]));
    let batch = docs.root("POST", "sys/auth/my-auth/tune", Some(json!({"token_type": "batch"}))).await;
    assert_eq!(batch.status, 400, "this Vault issues service tokens only");

    assert_eq!(docs.root("DELETE", "sys/auth/my-auth", None).await.status, 204);
    assert_eq!(docs.root("GET", "sys/auth/my-auth", None).await.status, 400);
    docs.stop().await;
}
