//! qsec's template engine: Go `text/template` with all of Sprig v3, for the
//! config templates (`config/*.tmpl`) teams already have.
//!
//! ```
//! use qsec_template::{GoTemplateEngine, MissingKey};
//!
//! let engine = GoTemplateEngine::new();
//! let data = serde_json::json!({"db": {"host": "db.internal", "port": 5432}, "replicas": 2.0});
//! let out = engine.render_json(
//!     "config/local.yml.tmpl",
//!     "url: postgres://{{ .db.host }}:{{ .db.port }}/app\nname: {{ .name | default \"app\" | upper | quote }}\nreplicas: {{ .replicas }}",
//!     &data,
//! )?;
//! assert_eq!(out, "url: postgres://db.internal:5432/app\nname: \"APP\"\nreplicas: 2");
//!
//! // Errors name the file, line and column, as Go does.
//! let strict = GoTemplateEngine::builder().missing_key(MissingKey::Error).build();
//! let err = strict.render_json("config/local.yml.tmpl", "a\n{{ .nope }}", &data).unwrap_err();
//! assert_eq!((err.line, err.column), (2, Some(4)));
//! # Ok::<(), qsec_template::TemplateFailure>(())
//! ```
//!
//! # How it is built
//!
//! Templates are parsed by the [`gotmpl`] crate's parser; qsec adds the
//! checks Go's parser makes that gotmpl skips, and evaluates the tree itself
//! with Go's execution rules over [`Value`], which keeps the Go types a
//! template can observe (`int` vs `int64`, `[]string`, `time.Time`, shared
//! mutable maps). See `docs/decisions/0001-template-engine.md`.
//!
//! Custom functions are added with [`EngineBuilder::function`] and a
//! [`Signature`] in Go's parameter types, so Go's argument checks apply.
//! In the repository, `examples/custom_template_function.rs` adds one, and
//! `examples/render_config_dir.rs` renders a config directory in-process.

mod builtins;
pub mod config_dir;
pub mod conformance;
mod engine;
mod error;
mod exec;
pub mod gofmt;
mod gojson;
pub mod gotime;
mod methods;
mod parse;
mod registry;
mod renderer;
pub mod sprig;
mod value;
mod vault;

pub use engine::{EngineBuilder, GoTemplateEngine, MissingKey, Template};
pub use error::{Error, Phase, Result, TemplateFailure};
pub use registry::{FuncError, FuncResult, Function, FunctionRegistry, Param, Signature};
pub use renderer::GoTemplateRenderer;
pub use value::{Elem, ListData, Map, StructData, Value};
pub use vault::{
    DEFAULT_CONCURRENCY, DEFAULT_MAX_PASSES, VAULT_FUNCTIONS, VaultFunctionsConfig, VaultRenderer,
    VaultRendererBuilder, register as register_vault_functions,
};
