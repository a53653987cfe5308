//! Tokens the service must refuse with 401 — expired, wrong issuer, wrong
//! audience, unknown kid, `alg: none`, tampered and more — and the ones it
//! must accept: both key types, a little clock skew, Kubernetes
//! service-account tokens, keys rotated into the JWKS.

mod common;

use common::Api;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use qsec_secret_api::testkit::{
    AUDIENCE, EC_KID, RSA_KID, StackOptions, TestKey, TestStack, now, tampered_token, unsigned_token,
};
use qsec_vault::testkit::k8s_jwt::ServiceAccountTokenSigner;
use serde_json::{Value, json};

const RULES: &str = r#"
  - groups: [platform]
    verbs: ["*"]
    apps: ["*"]
  - subjects: ["system:serviceaccount:qsec:controller"]
    issuers: ["https://kubernetes.cluster.test"]
    verbs: [secret-id-token]
    apps: ["aws.stg.*"]
"#;

const APP: &str = "aws.stg.myapp";

/// Asserts a 401 with the JSON error body, whose message contains `why`.
async fn refused(api: &Api, token: Option<&str>, why: &str) {
    let answer = api.call("POST", "/v1/apps/aws/stg/myapp/role-id", token, None).await;
    assert_eq!(answer.status, 401, "{why}: {answer:?}");
    assert_eq!(answer.body["error"], "unauthenticated", "{answer:?}");
    let message = answer.body["message"].as_str().unwrap_or_default();
    assert!(message.contains(why), "expected {why:?} in {message:?}");
}

fn admin_claims(stack: &TestStack) -> Value {
    stack.signer().claims("root-ann", &["platform"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_with_401() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let rsa = stack.signer().rsa();
    let with = |change: &dyn Fn(&mut Value)| {
        let mut claims = admin_claims(&stack);
        change(&mut claims);
        rsa.sign(Some(RSA_KID), &claims)
    };

    refused(&api, None, "no bearer token").await;
    refused(&api, Some("not-a-jwt"), "not a JWT").await;
    refused(&api, Some(&with(&|c| c["exp"] = json!(now() - 120))), "expired").await;
    refused(&api, Some(&with(&|c| c["nbf"] = json!(now() + 300))), "not valid yet").await;
    refused(&api, Some(&with(&|c| c["iss"] = json!("https://evil.test"))), "not trusted").await;
    refused(&api, Some(&with(&|c| c["aud"] = json!("another-service"))), "another audience").await;
    refused(&api, Some(&with(&|c| drop(c.as_object_mut().unwrap().remove("aud")))), "no aud").await;
    refused(&api, Some(&with(&|c| drop(c.as_object_mut().unwrap().remove("exp")))), "no exp").await;
    refused(&api, Some(&with(&|c| drop(c.as_object_mut().unwrap().remove("sub")))), "no sub").await;
    refused(&api, Some(&rsa.sign(Some("unknown-kid"), &admin_claims(&stack))), "unknown kid").await;
    refused(&api, Some(&unsigned_token(&admin_claims(&stack))), "\"none\" is not accepted").await;

    // A valid token of someone else, with its payload swapped for an admin's.
    let nobody = stack.signer().token("mallory", &[]);
    refused(&api, Some(&tampered_token(&nobody, &admin_claims(&stack))), "signature does not verify").await;
    // Signed by a key the issuer never published, under a known kid.
    let stranger = TestKey::ec("stranger").sign(Some(EC_KID), &admin_claims(&stack));
    refused(&api, Some(&stranger), "signature does not verify").await;
    // An RSA signature presented under the EC key's kid.
    refused(&api, Some(&rsa.sign(Some(EC_KID), &admin_claims(&stack))), "unknown kid").await;
    // HMAC with a guessable secret: shared-secret algorithms are never accepted.
    let hs256 = jsonwebtoken::encode(
        &Header { kid: Some(RSA_KID.into()), ..Header::new(Algorithm::HS256) },
        &admin_claims(&stack),
        &EncodingKey::from_secret(b"public"),
    )
    .unwrap();
    refused(&api, Some(&hs256), "\"HS256\" is not accepted").await;

    // What must pass: RS256, ES256, no kid, and a token 10 s past exp (leeway 30 s).
    let accepted = [
        stack.signer().token("root-ann", &["platform"]),
        stack.signer().es256_token("root-ann", &["platform"]),
        rsa.sign(None, &admin_claims(&stack)),
        with(&|c| c["exp"] = json!(now() - 10)),
    ];
    for token in accepted {
        assert_eq!(api.role_id(APP, &token).await.status, 200);
    }
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_service_account_tokens_are_accepted_when_their_issuer_is_configured() {
    let cluster = ServiceAccountTokenSigner::generate("https://kubernetes.cluster.test").unwrap();
    let pem: String = cluster.public_key_pem().lines().map(|line| format!("          {line}\n")).collect();
    let mut options = StackOptions::with_rules(RULES);
    options.extra_issuers = format!(
        "    - issuer: https://kubernetes.cluster.test\n      audiences: [{AUDIENCE}]\n      pem_keys:\n        - |\n{pem}"
    );
    let stack = TestStack::start(options).await;
    let api = Api::new(&stack.url());
    let admin = stack.signer().token("root-ann", &["platform"]);
    assert_eq!(api.role_id(APP, &admin).await.status, 200);

    let sa = |audience| cluster.sign("qsec", "controller", "uid-1", Some(audience), now(), 600).unwrap();
    let token = sa(AUDIENCE);
    let answer = api.secret_id_token(APP, token.expose_secret()).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    // The same service account, with the API server's audience: refused.
    let wrong = sa("https://kubernetes.default.svc");
    assert_eq!(api.secret_id_token(APP, wrong.expose_secret()).await.status, 401);
    // A service account the rule does not name: authenticated, then forbidden.
    let other = cluster.sign("qsec", "other", "uid-2", Some(AUDIENCE), now(), 600).unwrap();
    assert_eq!(api.secret_id_token(APP, other.expose_secret()).await.status, 403);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_into_the_jwks_is_picked_up_on_its_first_use() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let rotated = TestKey::ec("rotated-1");
    let token = rotated.sign(Some("rotated-1"), &admin_claims(&stack));
    refused(&api, Some(&token), "unknown kid").await;

    let mut jwks = stack.signer().jwks();
    jwks["keys"].as_array_mut().unwrap().push(rotated.jwk().clone());
    std::fs::write(stack.jwks_path(), jwks.to_string()).unwrap();
    assert_eq!(api.role_id(APP, &token).await.status, 200);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kids_do_not_refetch_the_jwks_more_often_than_allowed() {
    let mut options = StackOptions::with_rules(RULES);
    options.jwks_min_refresh_interval = 3600;
    let stack = TestStack::start(options).await;
    let api = Api::new(&stack.url());
    let rotated = TestKey::ec("rotated-2");
    let mut jwks = stack.signer().jwks();
    jwks["keys"].as_array_mut().unwrap().push(rotated.jwk().clone());
    std::fs::write(stack.jwks_path(), jwks.to_string()).unwrap();
    // The JWKS was read at start-up, less than an hour ago: no new fetch.
    let token = rotated.sign(Some("rotated-2"), &admin_claims(&stack));
    refused(&api, Some(&token), "unknown kid").await;
    stack.shutdown().await;
}
