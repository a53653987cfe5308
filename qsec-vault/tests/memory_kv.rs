//! MemoryVault: kv v2 and kv v1, shaped as the API docs show.

use std::time::Duration;

use qsec_vault::testkit::MemoryVault;
use qsec_vault::testkit::memory::{Method, VaultReply, VaultRequest};
use serde_json::{Value, json};

mod common;

use common::memory::dev_vault;

fn call(vault: &MemoryVault, method: Method, path: &str, body: Value) -> VaultReply {
    vault.handle(VaultRequest::new(method, path).with_body(body).with_token("root"))
}

fn write(vault: &MemoryVault, path: &str, data: Value) -> VaultReply {
    call(vault, Method::Post, path, json!({ "data": data }))
}

fn read(vault: &MemoryVault, path: &str) -> VaultReply {
    call(vault, Method::Get, path, Value::Null)
}

#[test]
fn v2_write_and_read_have_the_documented_shape() {
    let vault = dev_vault();
    let reply = write(&vault, "secret/data/my-secret", json!({"foo": "bar", "zip": "zap"}));
    assert_eq!(reply.status, 200);
    let meta = reply.data().unwrap();
    assert_eq!(meta["version"], 1);
    assert_eq!(meta["destroyed"], false);
    assert_eq!(meta["deletion_time"], "");
    assert!(meta["created_time"].as_str().unwrap().ends_with('Z'));

    let reply = read(&vault, "secret/data/my-secret");
    assert_eq!(reply.status, 200);
    let data = reply.data().unwrap();
    assert_eq!(data["data"], json!({"foo": "bar", "zip": "zap"}));
    assert_eq!(data["metadata"]["version"], 1);
    assert_eq!(data["metadata"]["custom_metadata"], Value::Null);
    assert_eq!(read(&vault, "secret/data/missing").body.unwrap(), json!({"errors": []}));
    assert_eq!(read(&vault, "secret/data/missing").status, 404);
}

#[test]
fn v2_versions_delete_undelete_destroy() {
    let vault = dev_vault();
    for i in 1..=3 {
        write(&vault, "secret/data/app", json!({ "v": i }));
    }
    let v1 = vault.handle(VaultRequest::get("secret/data/app").with_query("version", "1").with_token("root"));
    assert_eq!(v1.data().unwrap()["data"]["v"], 1);

    // Soft delete of the latest: 404 with the version's metadata.
    assert_eq!(call(&vault, Method::Delete, "secret/data/app", Value::Null).status, 204);
    let deleted = read(&vault, "secret/data/app");
    assert_eq!(deleted.status, 404);
    let body = deleted.body.unwrap();
    assert_eq!(body["data"]["data"], Value::Null);
    assert_eq!(body["data"]["metadata"]["version"], 3);
    assert_ne!(body["data"]["metadata"]["deletion_time"], "");

    assert_eq!(call(&vault, Method::Post, "secret/undelete/app", json!({"versions": [3]})).status, 204);
    assert_eq!(read(&vault, "secret/data/app").data().unwrap()["data"]["v"], 3);

    assert_eq!(call(&vault, Method::Post, "secret/delete/app", json!({"versions": [1, 2]})).status, 204);
    let v2 = vault.handle(VaultRequest::get("secret/data/app").with_query("version", "2").with_token("root"));
    assert_eq!(v2.status, 404);

    assert_eq!(call(&vault, Method::Put, "secret/destroy/app", json!({"versions": [2]})).status, 204);
    let undelete = call(&vault, Method::Post, "secret/undelete/app", json!({"versions": [1, 2]}));
    assert_eq!(undelete.status, 204);
    let v2 = vault.handle(VaultRequest::get("secret/data/app").with_query("version", "2").with_token("root"));
    assert_eq!(v2.status, 404, "destroyed versions stay gone");
    assert_eq!(v2.body.unwrap()["data"]["metadata"]["destroyed"], true);
    let v1 = vault.handle(VaultRequest::get("secret/data/app").with_query("version", "1").with_token("root"));
    assert_eq!(v1.status, 200);

    let missing = call(&vault, Method::Post, "secret/delete/app", json!({}));
    assert_eq!(missing.errors(), ["no version number provided"]);
}

#[test]
fn v2_metadata_read_write_list_delete() {
    let vault = dev_vault();
    write(&vault, "secret/data/foo", json!({"a": 1}));
    write(&vault, "secret/data/foo", json!({"a": 2}));
    write(&vault, "secret/data/foo/bar", json!({"b": 1}));
    let custom = json!({"max_versions": 5, "custom_metadata": {"owner": "jdoe"}, "delete_version_after": "3h25m19s"});
    assert_eq!(call(&vault, Method::Post, "secret/metadata/foo", custom).status, 204);
    let meta = read(&vault, "secret/metadata/foo");
    let data = meta.data().unwrap();
    assert_eq!(data["current_version"], 2);
    assert_eq!(data["oldest_version"], 1);
    assert_eq!(data["max_versions"], 5);
    assert_eq!(data["delete_version_after"], "3h25m19s");
    assert_eq!(data["custom_metadata"], json!({"owner": "jdoe"}));
    assert_eq!(data["versions"]["2"]["destroyed"], false);
    assert_eq!(
        read(&vault, "secret/data/foo").data().unwrap()["metadata"]["custom_metadata"],
        json!({"owner": "jdoe"})
    );

    let list = vault.handle(VaultRequest::list("secret/metadata/").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!(["foo", "foo/"]));
    let list = vault.handle(VaultRequest::list("secret/metadata/foo").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!(["bar"]));
    assert_eq!(vault.handle(VaultRequest::list("secret/metadata/none").with_token("root")).status, 404);

    assert_eq!(call(&vault, Method::Delete, "secret/metadata/foo", Value::Null).status, 204);
    assert_eq!(read(&vault, "secret/data/foo").status, 404);
    assert_eq!(read(&vault, "secret/metadata/foo").status, 404);
}

#[test]
fn v2_check_and_set() {
    let vault = dev_vault();
    let cas = |cas: u64, v: u64| {
        call(&vault, Method::Post, "secret/data/c", json!({"options": {"cas": cas}, "data": {"v": v}}))
    };
    assert_eq!(cas(0, 1).status, 200);
    let clash = cas(0, 2);
    assert_eq!(clash.status, 400);
    assert_eq!(clash.errors(), ["check-and-set parameter did not match the current version"]);
    assert_eq!(cas(1, 2).status, 200);
    call(&vault, Method::Post, "secret/config", json!({"cas_required": true}));
    let required = write(&vault, "secret/data/c", json!({"v": 3}));
    assert_eq!(required.errors(), ["check-and-set parameter required for this call"]);
    let config = read(&vault, "secret/config");
    assert_eq!(config.data().unwrap()["cas_required"], true);
    assert_eq!(config.data().unwrap()["max_versions"], 0);
}

#[test]
fn v2_patch_merges_into_a_new_version() {
    let vault = dev_vault();
    write(&vault, "secret/data/p", json!({"foo": "bar", "keep": "me", "nested": {"a": 1, "b": 2}}));
    let patch = call(&vault, Method::Patch, "secret/data/p", json!({"data": {"foo": "a", "nested": {"b": null}}}));
    assert_eq!(patch.status, 200);
    assert_eq!(patch.data().unwrap()["version"], 2);
    let data = read(&vault, "secret/data/p").data().unwrap()["data"].clone();
    assert_eq!(data, json!({"foo": "a", "keep": "me", "nested": {"a": 1}}));
    assert_eq!(call(&vault, Method::Patch, "secret/data/absent", json!({"data": {"a": 1}})).status, 404);
}

#[test]
fn v2_max_versions_and_delete_version_after() {
    let vault = dev_vault();
    vault.clock().freeze();
    call(&vault, Method::Post, "secret/config", json!({"max_versions": 2, "delete_version_after": "1h"}));
    for i in 1..=3 {
        write(&vault, "secret/data/m", json!({ "v": i }));
    }
    let meta = read(&vault, "secret/metadata/m");
    assert_eq!(meta.data().unwrap()["oldest_version"], 2);
    assert_eq!(meta.data().unwrap()["versions"].as_object().unwrap().len(), 2);
    assert_eq!(read(&vault, "secret/data/m").status, 200);
    vault.clock().advance(Duration::from_secs(3601));
    assert_eq!(read(&vault, "secret/data/m").status, 404, "deleted after an hour");
}

#[test]
fn v2_subkeys_hide_values() {
    let vault = dev_vault();
    write(&vault, "secret/data/s", json!({"foo": "abc", "bar": {"baz": "def"}, "quux": {}}));
    let reply = read(&vault, "secret/subkeys/s");
    assert_eq!(reply.data().unwrap()["subkeys"], json!({"foo": null, "bar": {"baz": null}, "quux": null}));
}

#[test]
fn v2_paths_outside_the_api_are_404() {
    let vault = dev_vault();
    let reply = write(&vault, "secret/plain", json!({"a": 1}));
    assert_eq!(reply.status, 404);
    assert!(reply.errors()[0].contains("Invalid path for a versioned K/V secrets engine"));
}

#[test]
fn v1_read_write_list_delete() {
    let vault = MemoryVault::builder().root_token("root").dev_mounts().kv_v1("secret").build();
    let reply = call(&vault, Method::Post, "secret/my-secret", json!({"foo": "bar", "ttl": "1h"}));
    assert_eq!(reply.status, 204);
    call(&vault, Method::Post, "secret/my-secret/nested", json!({"a": "b"}));
    let read_back = read(&vault, "secret/my-secret");
    let body = read_back.body.unwrap();
    assert_eq!(body["data"], json!({"foo": "bar", "ttl": "1h"}));
    assert_eq!(body["lease_duration"], 3600, "ttl is advisory");
    assert_eq!(body["lease_id"], "");
    assert_eq!(read(&vault, "secret/my-secret/nested").body.unwrap()["lease_duration"], 2_764_800);
    let list = vault.handle(VaultRequest::list("secret/").with_token("root"));
    assert_eq!(list.data().unwrap()["keys"], json!(["my-secret", "my-secret/"]));
    assert_eq!(call(&vault, Method::Post, "secret/empty", json!({})).errors(), ["missing data fields"]);
    assert_eq!(call(&vault, Method::Delete, "secret/my-secret", Value::Null).status, 204);
    assert_eq!(read(&vault, "secret/my-secret").status, 404);
    let mounts = read(&vault, "sys/mounts");
    assert_eq!(mounts.data().unwrap()["secret/"]["options"]["version"], "1");
}

#[test]
fn seeds_land_in_both_versions() {
    let vault = MemoryVault::builder()
        .root_token("root")
        .dev_mounts()
        .kv_v1("kv")
        .seed_secret("secret/myapp/db", json!({"password": "a"}))
        .seed_secret("secret/data/myapp/api", json!({"key": "b"}))
        .seed_secret("kv/myapp/db", json!({"password": "c"}))
        .build();
    assert_eq!(read(&vault, "secret/data/myapp/db").data().unwrap()["data"]["password"], "a");
    assert_eq!(read(&vault, "secret/data/myapp/api").data().unwrap()["data"]["key"], "b");
    assert_eq!(read(&vault, "kv/myapp/db").data().unwrap()["password"], "c");
}

#[test]
fn the_cubbyhole_is_private_to_each_token() {
    let vault = dev_vault();
    let token = |_: u8| {
        let reply =
            vault.handle(VaultRequest::post("auth/token/create", json!({"policies": ["default"]})).with_token("root"));
        reply.body.unwrap()["auth"]["client_token"].as_str().unwrap().to_owned()
    };
    let (a, b) = (token(1), token(2));
    let put = vault.handle(VaultRequest::post("cubbyhole/note", json!({"n": 1})).with_token(&a));
    assert_eq!(put.status, 204);
    assert_eq!(vault.handle(VaultRequest::get("cubbyhole/note").with_token(&a)).status, 200);
    assert_eq!(vault.handle(VaultRequest::get("cubbyhole/note").with_token(&b)).status, 404);
}
