//! [`VaultRenderer`]: the `TemplateRenderer` the init container uses: Go
//! templates with Sprig and the Vault functions, Vault reads fetched
//! concurrently between passes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use futures_util::stream::{self, StreamExt};
use qsec_core::{Lease, RenderedTemplate, SecretText, TemplateRenderer, VaultBackend};

use super::functions::{self, VaultFunctionsConfig};
use super::scrub;
use super::session::{self, Answer, Pass, Request, Scope};
use crate::engine::{EngineBuilder, GoTemplateEngine};
use crate::registry::FunctionRegistry;
use crate::value::Value;

/// How many passes a template may take before rendering gives up: each
/// pass can only discover reads that depend on the previous pass's answers.
pub const DEFAULT_MAX_PASSES: usize = 8;

/// How many Vault requests one pass makes at once.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Builds a [`VaultRenderer`].
#[must_use]
pub struct VaultRendererBuilder {
    vault: Arc<dyn VaultBackend>,
    config: VaultFunctionsConfig,
    engine: EngineBuilder,
    deny: Vec<String>,
    max_passes: usize,
    concurrency: usize,
}

impl VaultRendererBuilder {
    /// Where the Vault functions find things.
    pub fn config(mut self, config: VaultFunctionsConfig) -> Self {
        self.config = config;
        self
    }

    /// The engine to start from: `missingkey`, delimiters, custom functions.
    pub fn engine(mut self, engine: EngineBuilder) -> Self {
        self.engine = engine;
        self
    }

    /// Functions templates may not call, Vault ones included (e.g. `env`,
    /// `expandenv`, `rawWrite`).
    pub fn deny<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        self.deny.extend(names.into_iter().map(str::to_owned));
        self
    }

    /// How many passes a template may take, and how many requests a pass
    /// makes at once.
    pub fn limits(mut self, max_passes: usize, concurrency: usize) -> Self {
        self.max_passes = max_passes.max(1);
        self.concurrency = concurrency.max(1);
        self
    }

    /// Builds the renderer.
    pub fn build(self) -> VaultRenderer {
        let mut vault_functions = FunctionRegistry::empty();
        functions::register(&mut vault_functions, self.config);
        let mut engine = self.engine;
        for name in vault_functions.names() {
            if let Some(function) = vault_functions.get(name) {
                engine = engine.function(name, function.clone());
            }
        }
        let engine = engine.deny(self.deny.iter().map(String::as_str)).build();
        VaultRenderer {
            engine,
            vault: self.vault,
            scope: Arc::default(),
            max_passes: self.max_passes,
            concurrency: self.concurrency,
        }
    }
}

/// Renders templates whose Vault functions read from `vault`.
///
/// A render runs in passes: the template is executed; every Vault request it
/// made that has no answer yet is recorded (the function returns an empty
/// placeholder); the recorded requests are made concurrently; the template
/// is executed again, until a pass needs nothing new. Ten independent
/// lookups therefore cost one round of requests, not ten. Writes (`rawWrite`,
/// `secret` with pairs, the `tls*` issues) wait for a pass whose reads are
/// all answered, so a write never goes to a path built from a placeholder;
/// a read of a path the same template writes sees Vault as it was before.
///
/// Answers are kept for the renderer's lifetime (its *scope*): `dbUsername`
/// and `dbPassword` of one role, in any template rendered by this renderer,
/// share one credential and one lease; `tlsKey`/`tlsCert`/`tlsCA` of one CN
/// share one certificate. Use one renderer per config-directory render.
///
/// A render error never quotes a value fetched in the scope: each one (of 4
/// characters or more) becomes `***` in the message, as is and Go-quoted.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> qsec_core::Result<()> {
/// use std::sync::Arc;
/// use qsec_core::{QsecLayout, TemplateRenderer, VaultResponse};
/// use qsec_core::mock::MockVaultBackend;
/// use qsec_template::{VaultFunctionsConfig, VaultRenderer};
///
/// let mut vault = MockVaultBackend::new();
/// vault.expect_read().withf(|path| path == "secret/myapp/db").times(1).returning(|_| {
///     Ok(Some(serde_json::from_value::<VaultResponse>(serde_json::json!({ "data": { "password": "pw" } })).unwrap()))
/// });
/// let plan = QsecLayout::default().plan(&"aws.stg.myapp".parse()?)?;
/// let config = VaultFunctionsConfig { app: Some(plan), ..Default::default() };
/// let renderer = VaultRenderer::new(Arc::new(vault), config);
/// let out = renderer.render("local.yml.tmpl", r#"password: {{ lookup "db" "password" }}"#, &serde_json::Value::Null).await?;
/// assert_eq!(out.content.expose_secret(), "password: pw");
/// # Ok(()) }
/// ```
pub struct VaultRenderer {
    engine: GoTemplateEngine,
    vault: Arc<dyn VaultBackend>,
    scope: Arc<Scope>,
    max_passes: usize,
    concurrency: usize,
}

impl VaultRenderer {
    /// Go's builtins, all of Sprig and the Vault functions, default options.
    pub fn new(vault: Arc<dyn VaultBackend>, config: VaultFunctionsConfig) -> Self {
        Self::builder(vault).config(config).build()
    }

    /// A builder, for engine options, a function denylist and limits.
    pub fn builder(vault: Arc<dyn VaultBackend>) -> VaultRendererBuilder {
        VaultRendererBuilder {
            vault,
            config: VaultFunctionsConfig::default(),
            engine: EngineBuilder::new(),
            deny: Vec::new(),
            max_passes: DEFAULT_MAX_PASSES,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// A renderer with the same engine and Vault but a fresh scope: nothing
    /// fetched yet, so new credentials on the next render. Cheap.
    pub fn with_new_scope(&self) -> Self {
        Self {
            engine: self.engine.clone(),
            vault: self.vault.clone(),
            scope: Arc::default(),
            max_passes: self.max_passes,
            concurrency: self.concurrency,
        }
    }

    /// The engine, e.g. to list its functions.
    pub fn engine(&self) -> &GoTemplateEngine {
        &self.engine
    }

    async fn fetch(&self, request: &Request) -> Answer {
        let answer = match request {
            Request::Read(path) => self.vault.read(path).await,
            Request::Write(path, body) => {
                let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
                self.vault.write(path, &body).await
            }
        };
        // Core errors carry paths and Vault's messages, never secrets.
        answer.map_err(|error| error.to_string())
    }
}

#[async_trait]
impl TemplateRenderer for VaultRenderer {
    async fn render(&self, name: &str, source: &str, data: &serde_json::Value) -> qsec_core::Result<RenderedTemplate> {
        let template = self.engine.parse(name, source)?;
        let data = Value::from_json(data);
        let mut leases: Vec<Lease> = Vec::new();
        for _ in 0..self.max_passes {
            let (result, missing): (_, BTreeSet<Request>) = {
                let pass = Arc::new(Pass::new(self.scope.clone()));
                let result = session::with_pass(&pass, || template.execute(&data));
                (result, pass.take_missing())
            };
            if missing.is_empty() {
                // Render errors reach logs; Go's messages may quote a value
                // fetched from Vault.
                let output = result.map_err(|mut failure| {
                    failure.message = scrub::scrub(&failure.message, &self.scope.secret_values());
                    failure
                })?;
                return Ok(RenderedTemplate { content: SecretText::new(output), leases });
            }
            // An error in a pass with missing answers may only be a
            // placeholder's doing; the next pass tells.
            let batch = next_batch(missing);
            let answers: Vec<(Request, Answer)> = stream::iter(batch)
                .map(|request| async move {
                    let answer = self.fetch(&request).await;
                    (request, answer)
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let now = unix_seconds(SystemTime::now());
            for (request, answer) in answers {
                if let Ok(Some(response)) = &answer
                    && let Some(lease) = response.lease(request.path(), now)
                {
                    leases.push(lease);
                }
                self.scope.store(request, answer);
            }
        }
        Err(qsec_core::Error::Template {
            template: name.to_owned(),
            line: None,
            column: None,
            message: format!(
                "still asking Vault for new values after {} rounds; does a Vault call depend on its own result?",
                self.max_passes
            ),
        })
    }
}

/// Which of a pass's missing requests to make now.
///
/// Reads first: a write is made only in a pass whose reads were all
/// answered, because until then its path or body may come from a
/// placeholder, and a write to the wrong path cannot be taken back. Among
/// reads, paths that show a placeholder's marks (`<no value>`, a `%!` verb
/// error, an empty segment) wait while there are other reads to make.
fn next_batch(missing: BTreeSet<Request>) -> Vec<Request> {
    let (reads, writes): (Vec<Request>, Vec<Request>) =
        missing.into_iter().partition(|request| matches!(request, Request::Read(_)));
    if reads.is_empty() {
        return writes;
    }
    let (doubtful, clean): (Vec<Request>, Vec<Request>) = reads.into_iter().partition(|r| looks_unfinished(r.path()));
    if clean.is_empty() { doubtful } else { clean }
}

fn looks_unfinished(path: &str) -> bool {
    path.contains("<no value>") || path.contains("%!") || path.contains("//") || path.ends_with('/') || path.is_empty()
}

/// Seconds since the Unix epoch, as leases count them.
fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
