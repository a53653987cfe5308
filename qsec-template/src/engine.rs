//! [`GoTemplateEngine`]: options, function set, parse cache and rendering.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use crate::error::TemplateFailure;
use crate::exec::{ExecOptions, execute};
use crate::parse::{Parsed, parse};
use crate::registry::{Function, FunctionRegistry};
use crate::value::Value;

/// What a field lookup on a map does when the key is missing (Go's
/// `missingkey` option).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// Go's default: the value is nil and prints `<no value>`.
    #[default]
    Default,
    /// Rendering fails with `map has no entry for key "..."`.
    Error,
}

/// Builds a [`GoTemplateEngine`].
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    funcs: FunctionRegistry,
    missing_key: MissingKey,
    left: String,
    right: String,
    cache_capacity: usize,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            funcs: FunctionRegistry::with_sprig(),
            missing_key: MissingKey::Default,
            left: "{{".into(),
            right: "}}".into(),
            cache_capacity: 1024,
        }
    }
}

impl EngineBuilder {
    /// Go's builtins and all of Sprig, `{{ }}` delimiters, `missingkey=default`.
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts from exactly these functions instead of builtins + Sprig.
    pub fn functions(mut self, funcs: FunctionRegistry) -> Self {
        self.funcs = funcs;
        self
    }

    /// Adds (or replaces) one function.
    pub fn function(mut self, name: &str, f: Function) -> Self {
        self.funcs.insert(name, f);
        self
    }

    /// Removes functions by name, e.g. `["env", "expandenv"]` to keep
    /// templates away from the process environment.
    pub fn deny<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> Self {
        for n in names {
            self.funcs.remove(n);
        }
        self
    }

    /// Sets the `missingkey` behaviour.
    pub fn missing_key(mut self, mk: MissingKey) -> Self {
        self.missing_key = mk;
        self
    }

    /// Sets the action delimiters (Go's `Delims`); empty means the default.
    pub fn delimiters(mut self, left: &str, right: &str) -> Self {
        self.left = if left.is_empty() { "{{".into() } else { left.into() };
        self.right = if right.is_empty() { "}}".into() } else { right.into() };
        self
    }

    /// How many parsed templates to keep (0 disables the cache).
    pub fn cache_capacity(mut self, n: usize) -> Self {
        self.cache_capacity = n;
        self
    }

    /// Builds the engine.
    pub fn build(self) -> GoTemplateEngine {
        GoTemplateEngine {
            inner: Arc::new(Inner {
                funcs: self.funcs,
                opts: ExecOptions { missing_key_error: self.missing_key == MissingKey::Error },
                left: self.left,
                right: self.right,
                cache_capacity: self.cache_capacity,
                cache: Mutex::new(HashMap::new()),
            }),
        }
    }
}

type CacheEntry = (String, String, Arc<Parsed>);

#[derive(Debug)]
struct Inner {
    funcs: FunctionRegistry,
    opts: ExecOptions,
    left: String,
    right: String,
    cache_capacity: usize,
    cache: Mutex<HashMap<u64, CacheEntry>>,
}

/// Go text/template + Sprig. Cheap to clone; safe to share across threads.
#[derive(Debug, Clone)]
pub struct GoTemplateEngine {
    inner: Arc<Inner>,
}

impl Default for GoTemplateEngine {
    fn default() -> Self {
        EngineBuilder::new().build()
    }
}

/// A parsed template, ready to render many times.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    parsed: Arc<Parsed>,
    engine: GoTemplateEngine,
}

impl Template {
    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders with `data` as dot.
    pub fn execute(&self, data: &Value) -> Result<String, TemplateFailure> {
        let mut out = String::with_capacity(self.parsed.source.len() + 64);
        let inner = &self.engine.inner;
        execute(&self.name, &self.parsed, &inner.funcs, inner.opts, data, &mut out)?;
        Ok(out)
    }
}

impl GoTemplateEngine {
    /// The default engine: builtins + Sprig, Go's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder for other options.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// The functions templates can call.
    pub fn functions(&self) -> &FunctionRegistry {
        &self.inner.funcs
    }

    /// Parses `source`, named `name` in errors; reuses an earlier parse of
    /// the same name and source.
    pub fn parse(&self, name: &str, source: &str) -> Result<Template, TemplateFailure> {
        let inner = &self.inner;
        let mut h = DefaultHasher::new();
        (name, source).hash(&mut h);
        let key = h.finish();
        if inner.cache_capacity > 0
            && let Ok(cache) = inner.cache.lock()
            && let Some((n, s, p)) = cache.get(&key)
            && n == name
            && s == source
        {
            return Ok(Template { name: name.to_string(), parsed: p.clone(), engine: self.clone() });
        }
        let parsed = Arc::new(parse(name, source, &inner.left, &inner.right, &inner.funcs)?);
        if inner.cache_capacity > 0
            && let Ok(mut cache) = inner.cache.lock()
        {
            if cache.len() >= inner.cache_capacity {
                cache.clear();
            }
            cache.insert(key, (name.to_string(), source.to_string(), parsed.clone()));
        }
        Ok(Template { name: name.to_string(), parsed, engine: self.clone() })
    }

    /// Parses and renders in one step.
    pub fn render(&self, name: &str, source: &str, data: &Value) -> Result<String, TemplateFailure> {
        self.parse(name, source)?.execute(data)
    }

    /// Renders with JSON data, mapped to Go values as `encoding/json` +
    /// the Go oracle do (see [`Value::from_json`]).
    pub fn render_json(&self, name: &str, source: &str, data: &serde_json::Value) -> Result<String, TemplateFailure> {
        self.render(name, source, &Value::from_json(data))
    }
}
