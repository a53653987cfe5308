//! The documented configuration is the one the service reads: the example
//! file parses and passes every check that needs no network.

use qsec_secret_api::Config;

#[test]
fn the_example_configuration_is_valid() {
    let text = include_str!("../config.example.yaml");
    let config = Config::parse(text).unwrap_or_else(|e| panic!("config.example.yaml: {e}"));
    config.check().unwrap_or_else(|e| panic!("config.example.yaml: {e}"));
    assert_eq!(config.auth.issuers.len(), 2);
    assert_eq!(config.rules.len(), 4);
    assert_eq!(config.vault.kubernetes.as_ref().map(|k| k.role.as_str()), Some("qsec-secret-api"));
}

#[test]
fn the_readme_shows_the_example_and_the_vault_policy() {
    let readme = include_str!("../README.md");
    let policy = include_str!("../vault-policy.hcl");
    assert!(readme.contains(policy.trim()), "README.md must show vault-policy.hcl verbatim");
    let example = include_str!("../config.example.yaml");
    assert!(readme.contains(example.trim()), "README.md must show config.example.yaml verbatim");
}
