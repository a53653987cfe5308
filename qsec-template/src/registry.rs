//! The function registry: Go's `template.FuncMap`, with Go's parameter types.
//!
//! Go checks every argument against the function's declared parameter type
//! before calling it (`trunc 2 .n` with an `int` `.n` fails: "wrong type for
//! value; expected string; got int"), and treats literals specially (`1` is
//! fine for a `float64` parameter, `"1"` is not). A [`Signature`] carries those
//! parameter types so the executor can apply the same rules.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::value::Value;

/// The error a template function returns; Go reports it as
/// `error calling NAME: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError(pub String);

impl FuncError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        FuncError(message.into())
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FuncError {}

/// What a template function returns.
pub type FuncResult = Result<Value, FuncError>;

/// A Go parameter type, as far as argument checking needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface {}`: anything, `nil` included.
    Any,
    /// `reflect.Value` (the builtins): anything, missing values included.
    Raw,
    /// `string`.
    Str,
    /// `int`.
    Int,
    /// `uint32`.
    Uint32,
    /// `float64`.
    Float,
    /// `bool`.
    Bool,
    /// `map[string]interface {}` (`nil` allowed).
    Map,
    /// `[]interface {}` (`nil` allowed).
    List,
    /// `time.Time`.
    Time,
    /// A struct type, by Go type name.
    Struct(&'static str),
}

impl Param {
    /// The Go spelling of the type, for error messages.
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Raw => "reflect.Value",
            Param::Str => "string",
            Param::Int => "int",
            Param::Uint32 => "uint32",
            Param::Float => "float64",
            Param::Bool => "bool",
            Param::Map => "map[string]interface {}",
            Param::List => "[]interface {}",
            Param::Time => "time.Time",
            Param::Struct(name) => name,
        }
    }
}

/// The parameter list of a function: fixed parameters, then optionally a
/// variadic one (Go's `...T`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// Fixed parameters.
    pub params: Vec<Param>,
    /// The type of the `...` parameter's elements, if variadic.
    pub variadic: Option<Param>,
}

impl Signature {
    /// Fixed parameters only.
    pub fn fixed(params: &[Param]) -> Self {
        Signature { params: params.to_vec(), variadic: None }
    }

    /// Fixed parameters followed by `...variadic`.
    pub fn variadic(params: &[Param], variadic: Param) -> Self {
        Signature { params: params.to_vec(), variadic: Some(variadic) }
    }
}

type Body = dyn Fn(&[Value]) -> FuncResult + Send + Sync;

/// A template function: its signature and its body. Cheap to clone.
#[derive(Clone)]
pub struct Function {
    sig: Arc<Signature>,
    body: Arc<Body>,
    short_circuit: Option<bool>,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Function({:?})", self.sig)
    }
}

impl Function {
    /// A function with the given signature. The body receives arguments that
    /// already passed Go's type checks for `sig`.
    pub fn new(sig: Signature, body: impl Fn(&[Value]) -> FuncResult + Send + Sync + 'static) -> Self {
        Function { sig: Arc::new(sig), body: Arc::new(body), short_circuit: None }
    }

    /// Go's builtin `and` (`stop_on = false`) or `or` (`stop_on = true`):
    /// arguments are evaluated lazily, left to right.
    pub(crate) fn short_circuit(stop_on: bool) -> Self {
        let mut f = Function::new(Signature::variadic(&[Param::Raw], Param::Raw), |_| Ok(Value::Nil));
        f.short_circuit = Some(stop_on);
        f
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.sig
    }

    /// `Some(stop_on)` for `and`/`or`.
    pub(crate) fn short_circuit_on(&self) -> Option<bool> {
        self.short_circuit
    }

    /// Calls the body.
    pub fn call(&self, args: &[Value]) -> FuncResult {
        (self.body)(args)
    }
}

/// A set of named template functions: Go's builtins, Sprig, and yours.
#[derive(Clone, Default, Debug)]
pub struct FunctionRegistry {
    funcs: HashMap<String, Function>,
}

impl FunctionRegistry {
    /// An empty registry (not even Go's builtins).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Go's text/template builtins only.
    pub fn builtins() -> Self {
        let mut r = Self::empty();
        crate::builtins::register(&mut r);
        r
    }

    /// Go's builtins plus every function of Sprig v3's `TxtFuncMap()`, with
    /// Sprig's `slice` replacing the builtin one, as in Sprig-based tools.
    pub fn with_sprig() -> Self {
        Self::with_sprig_in_zone(jiff::tz::TimeZone::system())
    }

    /// Like [`with_sprig`](Self::with_sprig), with `local` as Go's
    /// `time.Local` for Sprig's date functions.
    pub fn with_sprig_in_zone(local: jiff::tz::TimeZone) -> Self {
        let mut r = Self::builtins();
        crate::sprig::register(&mut r, &local);
        r
    }

    /// Adds or replaces a function.
    pub fn insert(&mut self, name: impl Into<String>, function: Function) -> &mut Self {
        self.funcs.insert(name.into(), function);
        self
    }

    /// Adds or replaces a function from a signature and a body.
    pub fn add(
        &mut self,
        name: &str,
        sig: Signature,
        body: impl Fn(&[Value]) -> FuncResult + Send + Sync + 'static,
    ) -> &mut Self {
        self.insert(name, Function::new(sig, body))
    }

    /// Removes a function (for sandboxing, e.g. `env`); true if it was there.
    pub fn remove(&mut self, name: &str) -> bool {
        self.funcs.remove(name).is_some()
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<&Function> {
        self.funcs.get(name)
    }

    /// True when `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    /// The registered names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.funcs.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Number of functions.
    pub fn len(&self) -> usize {
        self.funcs.len()
    }

    /// True when no function is registered.
    pub fn is_empty(&self) -> bool {
        self.funcs.is_empty()
    }
}
