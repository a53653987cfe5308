//! qsec's template engine: Go text/template with Sprig and the Vault
//! functions, and config-directory rendering for the init container.
//!
//! Built by the template issue on top of [`qsec_core::TemplateRenderer`].
