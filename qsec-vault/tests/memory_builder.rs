//! `MemoryVaultBuilder::try_build`: a bad setup is an error that says
//! what is wrong; `build` panics with it.
#![cfg(feature = "testkit")]

use qsec_vault::testkit::MemoryVault;
use qsec_vault::testkit::memory::VaultRequest;
use serde_json::json;

#[track_caller]
fn error_of(builder: qsec_vault::testkit::memory::MemoryVaultBuilder) -> String {
    match builder.try_build() {
        Ok(_) => panic!("the setup should be refused"),
        Err(why) => why,
    }
}

#[test]
fn bad_setups_are_reported() {
    let base = || MemoryVault::builder().root_token("root").dev_mounts();
    assert_eq!(error_of(base().mount("tx", "nosuch")), "mount tx/: plugin not found in the catalog: nosuch");
    assert_eq!(error_of(base().auth("corp", "nosuch")), "auth corp/: plugin not found in the catalog: nosuch");
    assert!(error_of(base().mount("sys", "kv")).contains("reserved"));
    assert!(error_of(base().auth("token", "approle")).contains("reserved"));
    assert_eq!(error_of(base().seed_secret("nowhere/app", json!({"a": 1}))), "seed nowhere/app: no kv mount there");
    assert_eq!(error_of(base().seed_secret("pki/app", json!({"a": 1}))), "seed pki/app: pki/ is not a kv mount");
    assert!(error_of(base().seed_secret("secret/app", json!("text"))).contains("must be a JSON object"));
    assert!(error_of(base().seed_secret("secret", json!({"a": 1}))).contains("names the mount"));
    assert!(error_of(base().policy("app", "path {")).starts_with("policy app: "));
    assert_eq!(error_of(base().policy("root", "")), "policy root: cannot update \"root\" policy");
}

#[test]
fn good_setups_build_with_secrets_in_any_kv_mount() {
    let vault = MemoryVault::builder()
        .root_token("root")
        .kv_v1("kv")
        .kv_v2("apps/secrets")
        .seed_secret("kv/team/db", json!({"password": "pw-1"}))
        .seed_secret("apps/secrets/data/myapp", json!({"k": "v"}))
        .policy("reader", "path \"kv/*\" { capabilities = [\"read\"] }")
        .try_build()
        .expect("a good setup");
    let read = vault.handle(VaultRequest::get("kv/team/db").with_token("root"));
    assert_eq!(read.data().unwrap()["password"], "pw-1");
    let read = vault.handle(VaultRequest::get("apps/secrets/data/myapp").with_token("root"));
    assert_eq!(read.data().unwrap()["data"]["k"], "v");
}

#[test]
#[should_panic(expected = "MemoryVault setup: seed nowhere/app: no kv mount there")]
fn build_panics_with_the_setup_error() {
    let _ = MemoryVault::builder().seed_secret("nowhere/app", json!({})).build();
}
