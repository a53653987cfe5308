//! `GoTemplateRenderer` behind `qsec_core::TemplateRenderer`.

use qsec_core::TemplateRenderer;
use qsec_template::{GoTemplateEngine, GoTemplateRenderer};
use serde_json::json;

#[tokio::test]
async fn renders_through_the_core_trait() {
    let renderer = GoTemplateRenderer::new(GoTemplateEngine::new());
    let out = renderer
        .render("config/local.yml.tmpl", "user: {{ .db.user | quote }}", &json!({"db": {"user": "app"}}))
        .await
        .expect("renders");
    assert_eq!(out.content.expose_secret(), "user: \"app\"");
    assert!(out.leases.is_empty());
}

#[tokio::test]
async fn errors_are_core_template_errors() {
    let renderer = GoTemplateRenderer::default();
    let err = renderer.render("config/x.tmpl", "{{ fail \"no db\" }}", &json!(null)).await.expect_err("fails");
    match err {
        qsec_core::Error::Template { template, line, column, message } => {
            assert_eq!((template.as_str(), line, column), ("config/x.tmpl", Some(1), Some(4)));
            assert!(message.ends_with("error calling fail: no db"), "{message}");
        }
        other => panic!("unexpected error {other:?}"),
    }
}
