//! [`TemplateRenderer`]: turning a `*.tmpl` file into its config file.

use async_trait::async_trait;

use crate::error::Result;
use crate::response::Lease;
use crate::secret::SecretText;

/// A rendered template: text that may hold secrets, and the leases the
/// template's Vault functions obtained while rendering it.
#[derive(Debug, Clone)]
pub struct RenderedTemplate {
    /// The output.
    pub content: SecretText,
    /// Leases on dynamic secrets it used, for the refresh sidecar to renew.
    pub leases: Vec<Lease>,
}

/// Renders Go text/template sources with data and the renderer's functions.
///
/// What a caller may rely on:
/// - The function set (Sprig, Vault functions, custom ones) is fixed when the
///   renderer is built; `render` only takes the template and its data.
/// - Rendering the same template with the same data and the same Vault
///   answers gives the same output: map iteration is in key order.
/// - Errors are [`crate::Error::Template`] naming `name`, with line and
///   column where the engine knows them; nothing partial is returned.
/// - Every lease a Vault function obtained is in the result, so none is
///   forgotten unrenewed or unrevoked.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait TemplateRenderer: Send + Sync {
    /// Renders `source`, named `name` in errors (usually its file path),
    /// with `data` as the template's dot.
    async fn render(&self, name: &str, source: &str, data: &serde_json::Value) -> Result<RenderedTemplate>;
}
