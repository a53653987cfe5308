//! The authorisation matrix: groups × verbs × app patterns × subjects,
//! against the running service, with tokens signed by test keys.

mod common;

use common::Api;
use qsec_secret_api::testkit::{StackOptions, TestStack};
use serde_json::json;

const RULES: &str = r#"
  - description: platform admins, everything everywhere
    groups: [platform]
    verbs: ["*"]
    apps: ["*"]
  - description: the myapp team, on every cluster
    groups: [team-myapp]
    verbs: [role-id, "secrets:*"]
    apps: ["*.*.myapp"]
  - description: staging deployers
    groups: [deployers-stg]
    verbs: [role-id]
    apps: ["aws.stg.*"]
  - description: auditors see staging history, no values
    groups: [auditors]
    verbs: ["secrets:history"]
    apps: ["aws.stg.*"]
  - description: the staging controller
    subjects: ["system:serviceaccount:qsec:controller"]
    verbs: [secret-id-token]
    apps: ["aws.stg.*"]
"#;

const APPS: [&str; 4] = ["aws.stg.myapp", "aws.stg.other", "gcp.prod.myapp", "aws.prod.other"];

/// One case: who, what, on which app, and whether it is allowed.
struct Case {
    subject: &'static str,
    groups: &'static [&'static str],
    verb: &'static str,
    app: &'static str,
    allowed: bool,
}

const fn case(
    subject: &'static str,
    groups: &'static [&'static str],
    verb: &'static str,
    app: &'static str,
    allowed: bool,
) -> Case {
    Case { subject, groups, verb, app, allowed }
}

const CONTROLLER: &str = "system:serviceaccount:qsec:controller";

const CASES: &[Case] = &[
    // Platform admins: every verb on every app.
    case("root-ann", &["platform"], "role-id", "aws.stg.myapp", true),
    case("root-ann", &["platform"], "secret-id-token", "gcp.prod.myapp", true),
    case("root-ann", &["platform"], "secrets:read", "aws.prod.other", true),
    case("root-ann", &["platform"], "secrets:history", "aws.prod.other", true),
    // The team: its app on every cluster, and nothing else.
    case("tim", &["team-myapp"], "role-id", "gcp.prod.myapp", true),
    case("tim", &["team-myapp"], "secrets:write", "aws.stg.myapp", true),
    case("tim", &["team-myapp"], "secrets:read", "gcp.prod.myapp", true),
    case("tim", &["team-myapp"], "secrets:history", "aws.stg.myapp", true),
    case("tim", &["team-myapp"], "role-id", "aws.stg.other", false),
    case("tim", &["team-myapp"], "secrets:read", "aws.prod.other", false),
    case("tim", &["team-myapp"], "secret-id-token", "aws.stg.myapp", false),
    // Staging deployers: role-id on staging only.
    case("dee", &["deployers-stg"], "role-id", "aws.stg.other", true),
    case("dee", &["deployers-stg"], "role-id", "aws.prod.other", false),
    case("dee", &["deployers-stg"], "role-id", "gcp.prod.myapp", false),
    case("dee", &["deployers-stg"], "secrets:read", "aws.stg.myapp", false),
    case("dee", &["deployers-stg"], "secret-id-token", "aws.stg.myapp", false),
    // Auditors: history, never values, staging only.
    case("aud", &["auditors"], "secrets:history", "aws.stg.other", true),
    case("aud", &["auditors"], "secrets:read", "aws.stg.other", false),
    case("aud", &["auditors"], "secrets:write", "aws.stg.other", false),
    case("aud", &["auditors"], "secrets:history", "aws.prod.other", false),
    // The controller, by subject: secret-id-token on staging only.
    case(CONTROLLER, &[], "secret-id-token", "aws.stg.myapp", true),
    case(CONTROLLER, &[], "secret-id-token", "gcp.prod.myapp", false),
    case(CONTROLLER, &[], "role-id", "aws.stg.myapp", false),
    case(CONTROLLER, &[], "secrets:read", "aws.stg.myapp", false),
    // Groups add up; nothing else grants anything.
    case("multi", &["auditors", "deployers-stg"], "role-id", "aws.stg.myapp", true),
    case("multi", &["auditors", "deployers-stg"], "secrets:history", "aws.stg.myapp", true),
    case("multi", &["auditors", "deployers-stg"], "secrets:write", "aws.stg.myapp", false),
    case("bob", &[], "role-id", "aws.stg.myapp", false),
    case("bob", &["platform-admins", "PLATFORM", "team-*"], "role-id", "aws.stg.myapp", false),
    case("system:serviceaccount:qsec:other", &[], "secret-id-token", "aws.stg.myapp", false),
    case("controller", &[], "secret-id-token", "aws.stg.myapp", false),
    // Patterns match whole parts: *.*.myapp is not myapp2.
    case("tim", &["team-myapp"], "role-id", "aws.stg.myapp2", false),
];

async fn attempt(api: &Api, token: &str, verb: &str, app: &str) -> u16 {
    let answer = match verb {
        "role-id" => api.role_id(app, token).await,
        "secret-id-token" => api.secret_id_token(app, token).await,
        "secrets:read" => api.get_secret(app, "db", token).await,
        "secrets:write" => api.put_secret(app, "db", json!({ "password": "written-in-matrix" }), token).await,
        "secrets:history" => api.versions(app, "db", token).await,
        other => panic!("no such verb {other}"),
    };
    if answer.status == 403 {
        assert_eq!(answer.body["error"], "forbidden", "{answer:?}");
    }
    answer.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_of_the_matrix_is_decided_as_the_rules_say() {
    let stack = TestStack::start(StackOptions::with_rules(RULES)).await;
    let api = Api::new(&stack.url());
    let admin = stack.signer().token("root-ann", &["platform"]);
    for app in APPS {
        assert_eq!(api.role_id(app, &admin).await.status, 200, "{app}");
        assert_eq!(api.put_secret(app, "db", json!({ "password": "p" }), &admin).await.status, 200, "{app}");
    }
    let mut failures = Vec::new();
    for (index, case) in CASES.iter().enumerate() {
        // Alternate the algorithms: both key types must work everywhere.
        let token = if index % 2 == 0 {
            stack.signer().token(case.subject, case.groups)
        } else {
            stack.signer().es256_token(case.subject, case.groups)
        };
        let status = attempt(&api, &token, case.verb, case.app).await;
        let expected = if case.allowed { 200 } else { 403 };
        if status != expected {
            failures.push(format!(
                "{} {:?} {} {}: got {status}, expected {expected}",
                case.subject, case.groups, case.verb, case.app
            ));
        }
    }
    assert!(CASES.len() >= 20);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_can_pin_subjects_to_their_issuer() {
    let pinned = r#"
  - subjects: ["system:serviceaccount:qsec:controller"]
    issuers: ["https://kubernetes.cluster.test"]
    verbs: [secret-id-token]
    apps: ["*"]
  - groups: [platform]
    verbs: [role-id]
    apps: ["*"]
"#;
    let stack = TestStack::start(StackOptions::with_rules(pinned)).await;
    let api = Api::new(&stack.url());
    let admin = stack.signer().token("root-ann", &["platform"]);
    assert_eq!(api.role_id("aws.stg.myapp", &admin).await.status, 200);
    // The same subject from the people's identity provider is not the controller.
    let impostor = stack.signer().token(CONTROLLER, &[]);
    assert_eq!(api.secret_id_token("aws.stg.myapp", &impostor).await.status, 403);
    stack.shutdown().await;
}
