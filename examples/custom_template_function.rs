//! Adding your own template function next to Go's builtins, Sprig and the
//! Vault functions.
//!
//! A function is a `Signature` in Go's parameter types plus a closure over
//! the template's values; Go's argument checks apply before the closure
//! runs. Register it on an `EngineBuilder`, and hand that builder to
//! `VaultRenderer::builder(..).engine(..)` to use it beside `lookup` and
//! friends. Run it with
//! `cargo run -p qsec-template --example custom_template_function`.

use std::sync::Arc;

use qsec_core::{AppRef, KvMount, KvVersion, QsecLayout, TemplateRenderer};
use qsec_template::{EngineBuilder, FuncError, Function, Param, Signature, Value, VaultFunctionsConfig, VaultRenderer};
use qsec_vault::testkit::MemoryVault;
use serde_json::json;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// `postgresUrl HOST DB USER PASSWORD`: a connection URL with the user and
/// password percent-encoded, which Sprig's `urlquery` does not do for URLs'
/// user-info part.
fn postgres_url() -> Function {
    let sig = Signature::fixed(&[Param::Str, Param::Str, Param::Str, Param::Str]);
    Function::new(sig, |args: &[Value]| {
        // The signature guarantees four strings.
        let [host, db, user, password] = args else { return Err(FuncError::new("expected four arguments")) };
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        if text(host).is_empty() {
            return Err(FuncError::new("postgresUrl: the host is empty"));
        }
        Ok(Value::str(format!(
            "postgres://{}:{}@{}/{}",
            encode(&text(user)),
            encode(&text(password)),
            text(host),
            encode(&text(db))
        )))
    })
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The engine options every renderer of this service uses.
fn engine() -> EngineBuilder {
    EngineBuilder::new().function("postgresUrl", postgres_url())
}

/// Renders a template that feeds a Vault secret into `postgresUrl`.
async fn render_with_vault() -> Result<String> {
    let vault = MemoryVault::builder()
        .root_token("root")
        .dev_mounts()
        .seed_secret("secret/myapp/db", json!({ "user": "app", "password": "p@ss/w:rd" }))
        .build();
    let mut layout = QsecLayout::default();
    layout.policies.kv_mounts = vec![KvMount { path: "secret".into(), version: KvVersion::V2 }];
    let app: AppRef = "aws.stg.myapp".parse()?;
    let config = VaultFunctionsConfig { app: Some(layout.plan(&app)?), ..Default::default() };
    let renderer =
        VaultRenderer::builder(Arc::new(vault.backend().with_token("root"))).config(config).engine(engine()).build();
    let source = r#"url: {{ postgresUrl .host "app" (lookup "db" "user") (lookup "db" "password") }}"#;
    let rendered = renderer.render("db.yml.tmpl", source, &json!({ "host": "db.internal:5432" })).await?;
    Ok(rendered.content.expose_secret().to_owned())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    // Without Vault: the plain engine with the function added.
    let plain = engine().build();
    let out = plain.render_json("x.tmpl", r#"{{ postgresUrl "localhost" "dev" "me" "a b" }}"#, &json!({}))?;
    println!("{out}");
    // With Vault: the URL holds a password, so it is only counted here.
    let rendered = render_with_vault().await?;
    println!("rendered db.yml: {} bytes (it holds a password, so it is not printed)", rendered.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_renders_and_goes_through_gos_argument_checks() {
        let engine = engine().build();
        let out = engine.render_json("x.tmpl", r#"{{ postgresUrl "localhost" "dev" "me" "a b" }}"#, &json!({}));
        assert_eq!(out.unwrap(), "postgres://me:a%20b@localhost/dev");
        // Go's argument checks run before the closure.
        let wrong = engine.render_json("x.tmpl", r#"{{ postgresUrl 1 "dev" "me" "pw" }}"#, &json!({})).unwrap_err();
        assert_eq!(wrong.message, r#"executing "x.tmpl" at <1>: expected string; found 1"#);
        let empty = engine.render_json("x.tmpl", r#"{{ postgresUrl "" "dev" "me" "pw" }}"#, &json!({})).unwrap_err();
        assert!(empty.message.ends_with("postgresUrl: the host is empty"), "{empty}");
    }

    #[tokio::test]
    async fn the_function_takes_values_from_vault() {
        assert_eq!(render_with_vault().await.unwrap(), "url: postgres://app:p%40ss%2Fw%3Ard@db.internal:5432/app");
    }
}
