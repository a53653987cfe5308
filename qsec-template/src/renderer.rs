//! [`GoTemplateRenderer`]: the engine behind [`qsec_core::TemplateRenderer`].

use async_trait::async_trait;
use qsec_core::{RenderedTemplate, Result, SecretText, TemplateRenderer};

use crate::engine::GoTemplateEngine;

/// Renders templates with a [`GoTemplateEngine`]; obtains no leases itself
/// (the Vault functions that do are registered on the engine).
#[derive(Debug, Clone, Default)]
pub struct GoTemplateRenderer {
    engine: GoTemplateEngine,
}

impl GoTemplateRenderer {
    /// A renderer over `engine`.
    pub fn new(engine: GoTemplateEngine) -> Self {
        GoTemplateRenderer { engine }
    }

    /// The engine.
    pub fn engine(&self) -> &GoTemplateEngine {
        &self.engine
    }
}

#[async_trait]
impl TemplateRenderer for GoTemplateRenderer {
    async fn render(&self, name: &str, source: &str, data: &serde_json::Value) -> Result<RenderedTemplate> {
        let text = self.engine.render_json(name, source, data)?;
        Ok(RenderedTemplate { content: SecretText::from(text), leases: Vec::new() })
    }
}
