//! Pipelines, commands, fields and calls, as Go's `exec.go` evaluates them.

use std::sync::Arc;

use gotmpl::parse::{CommandNode, Expr, Number, PipeNode, Pos, SmolStr};

use super::show;
use super::{Flow, State, fail};
use crate::registry::{Function, Param};
use crate::value::Value;

/// What a field step produced: Go distinguishes a key present with a nil
/// value (an `interface {}` holding nil) from a missing one.
struct Step {
    value: Value,
    nil_iface: bool,
}

impl State<'_> {
    pub(super) fn eval_pipeline(&mut self, dot: &Value, pipe: &PipeNode) -> Flow<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.commands {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or_default();
        for d in &pipe.decl {
            if pipe.is_assign {
                match self.vars.iter_mut().rev().find(|(n, _)| **n == *d.as_str()) {
                    Some(slot) => slot.1 = value.clone(),
                    None => return fail(pipe.pos, show::pipe(pipe), format!("undefined variable: {d}")),
                }
            } else {
                self.vars.push((Arc::from(d.as_str()), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, cmd: &CommandNode, fin: &Option<Value>) -> Flow {
        if cmd.args.len() > 1 || fin.is_some() {
            let first = &cmd.args[0];
            return fail(
                first.pos(),
                show::expr(first),
                format!("can't give argument to non-function {}", show::expr(first)),
            );
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &CommandNode, fin: Option<Value>) -> Flow<Value> {
        let first = &cmd.args[0];
        match first {
            Expr::Field(pos, fields) => {
                self.eval_field_chain(dot, dot.clone(), self.dot_nil, *pos, first, fields, cmd, fin)
            }
            Expr::Chain(pos, inner, fields) => {
                if matches!(**inner, Expr::Nil(_)) {
                    return fail(*pos, show::expr(first), "indirection through explicit nil");
                }
                let base = self.eval_arg(dot, Param::Any, inner)?;
                self.eval_field_chain(dot, base, false, *pos, first, fields, cmd, fin)
            }
            Expr::Identifier(pos, name) => self.eval_function(dot, *pos, name, cmd, &cmd.args[1..], fin),
            Expr::Pipe(_, p) => {
                self.not_a_function(cmd, &fin)?;
                self.eval_pipeline(dot, p)
            }
            Expr::Variable(pos, name, fields) => {
                let v = self.var(*pos, name)?;
                if fields.is_empty() {
                    self.not_a_function(cmd, &fin)?;
                    return Ok(v);
                }
                self.eval_field_chain(dot, v, false, *pos, first, fields, cmd, fin)
            }
            _ => {
                self.not_a_function(cmd, &fin)?;
                match first {
                    Expr::Bool(_, b) => Ok(Value::Bool(*b)),
                    Expr::Dot(_) => Ok(dot.clone()),
                    Expr::Nil(pos) => fail(*pos, "nil".into(), "nil is not a command"),
                    Expr::Number(pos, n) => ideal_constant(*pos, n),
                    Expr::String(_, s) => Ok(Value::Str(s.clone())),
                    _ => fail(first.pos(), show::expr(first), "can't evaluate command"),
                }
            }
        }
    }

    fn var(&self, pos: Pos, name: &SmolStr) -> Flow<Value> {
        match self.vars.iter().rev().find(|(n, _)| **n == *name.as_str()) {
            Some((_, v)) => Ok(v.clone()),
            None => fail(pos, name.to_string(), format!("undefined variable: {name}")),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field_chain(
        &mut self,
        dot: &Value,
        receiver: Value,
        nil_iface: bool,
        pos: Pos,
        node: &Expr,
        fields: &[SmolStr],
        cmd: &CommandNode,
        fin: Option<Value>,
    ) -> Flow<Value> {
        let mut cur = Step { value: receiver, nil_iface };
        let n = fields.len();
        for (i, f) in fields.iter().enumerate() {
            let last = i + 1 == n;
            let (args, fin) = if last { (&cmd.args[1..], fin.clone()) } else { (&[][..], None) };
            cur = self.eval_field(dot, pos, node, f, args, fin, cur)?;
        }
        Ok(cur.value)
    }

    #[allow(clippy::too_many_arguments)]
    fn eval_field(
        &mut self,
        dot: &Value,
        pos: Pos,
        node: &Expr,
        name: &str,
        args: &[Expr],
        fin: Option<Value>,
        receiver: Step,
    ) -> Flow<Step> {
        let has_args = !args.is_empty() || fin.is_some();
        match &receiver.value {
            Value::Nil if receiver.nil_iface => {
                fail(pos, show::expr(node), format!("nil pointer evaluating interface {{}}.{name}"))
            }
            Value::Nil if self.opts.missing_key_error => {
                fail(pos, show::expr(node), format!("nil data; no entry for key {name:?}"))
            }
            Value::Nil => Ok(Step { value: Value::Nil, nil_iface: false }),
            Value::Map(m) => {
                if has_args {
                    return fail(pos, show::expr(node), format!("{name} is not a method but has arguments"));
                }
                match m.get(name) {
                    Some(v) => Ok(Step { nil_iface: v.is_nil(), value: v }),
                    None if self.opts.missing_key_error => {
                        fail(pos, show::expr(node), format!("map has no entry for key {name:?}"))
                    }
                    None => Ok(Step { value: Value::Nil, nil_iface: false }),
                }
            }
            Value::Struct(s) => match s.fields.iter().find(|(n, _)| *n == name) {
                Some((_, v)) if has_args => {
                    let _ = v;
                    fail(pos, show::expr(node), format!("{name} has arguments but cannot be invoked as function"))
                }
                Some((_, v)) => Ok(Step { value: v.clone(), nil_iface: false }),
                None => fail(pos, show::expr(node), format!("can't evaluate field {name} in type {}", s.type_name)),
            },
            v @ (Value::Time(_) | Value::Version(_)) => match crate::methods::lookup(v, name) {
                Some(method) => {
                    let value = self.call(dot, pos, node, name, &method, args, fin)?;
                    Ok(Step { value, nil_iface: false })
                }
                None => fail(pos, show::expr(node), format!("can't evaluate field {name} in type {}", v.type_name())),
            },
            other => fail(
                pos,
                show::expr(node),
                format!(
                    "can't evaluate field {name} in type {}",
                    if other.is_nil() { "interface {}".into() } else { other.type_name() }
                ),
            ),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        pos: Pos,
        name: &str,
        cmd: &CommandNode,
        args: &[Expr],
        fin: Option<Value>,
    ) -> Flow<Value> {
        let Some(f) = self.funcs.get(name).cloned() else {
            return fail(pos, name.to_string(), format!("{name:?} is not a defined function"));
        };
        let node = Expr::Identifier(pos, SmolStr::from(name));
        let _ = cmd;
        self.call(dot, pos, &node, name, &f, args, fin)
    }

    /// Go's `evalCall`: argument count, short-circuit `and`/`or`, argument
    /// conversion, the call, and `error calling NAME: ...`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn call(
        &mut self,
        dot: &Value,
        pos: Pos,
        node: &Expr,
        name: &str,
        f: &Function,
        args: &[Expr],
        fin: Option<Value>,
    ) -> Flow<Value> {
        let sig = f.signature();
        let num_in = args.len() + usize::from(fin.is_some());
        let fixed = sig.params.len();
        if sig.variadic.is_some() {
            if num_in < fixed {
                return fail(
                    pos,
                    show::expr(node),
                    format!("wrong number of args for {name}: want at least {fixed} got {}", args.len()),
                );
            }
        } else if num_in != fixed {
            return fail(pos, show::expr(node), format!("wrong number of args for {name}: want {fixed} got {num_in}"));
        }
        if let Some(stop_on) = f.short_circuit_on() {
            let mut v = Value::Nil;
            for a in args {
                v = self.eval_arg(dot, Param::Raw, a)?;
                if v.truthy() == stop_on {
                    return Ok(v);
                }
            }
            return Ok(fin.unwrap_or(v));
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, a) in args.iter().enumerate() {
            let p = sig.params.get(i).copied().or(sig.variadic).unwrap_or(Param::Any);
            argv.push(self.eval_arg(dot, p, a)?);
        }
        if let Some(v) = fin {
            let p = if num_in - 1 < fixed { sig.params[num_in - 1] } else { sig.variadic.unwrap_or(Param::Any) };
            argv.push(validate(pos, node, v, p, false)?);
        }
        match f.call(&argv) {
            Ok(v) => Ok(v),
            Err(e) => fail(pos, show::call(node, args), format!("error calling {name}: {e}")),
        }
    }

    /// Go's `evalArg`: literals convert to the parameter type; computed
    /// values must already have it.
    pub(super) fn eval_arg(&mut self, dot: &Value, p: Param, e: &Expr) -> Flow<Value> {
        let computed = match e {
            Expr::Dot(_) => Some((dot.clone(), self.dot_nil)),
            Expr::Field(pos, fields) => {
                let mut step = Step { value: dot.clone(), nil_iface: self.dot_nil };
                for f in fields {
                    step = self.eval_field(dot, *pos, e, f, &[], None, step)?;
                }
                Some((step.value, step.nil_iface))
            }
            Expr::Variable(pos, name, fields) => {
                let v = self.var(*pos, name)?;
                let mut step = Step { value: v, nil_iface: false };
                for f in fields {
                    step = self.eval_field(dot, *pos, e, f, &[], None, step)?;
                }
                Some((step.value, step.nil_iface))
            }
            Expr::Pipe(_, pipe) => Some((self.eval_pipeline(dot, pipe)?, false)),
            Expr::Identifier(pos, name) => {
                let cmd = CommandNode { pos: *pos, args: vec![e.clone()] };
                Some((self.eval_function(dot, *pos, name, &cmd, &[], None)?, false))
            }
            Expr::Chain(pos, inner, fields) => {
                let cmd = CommandNode { pos: *pos, args: vec![e.clone()] };
                let base = self.eval_arg(dot, Param::Any, inner)?;
                Some((self.eval_field_chain(dot, base, false, *pos, e, fields, &cmd, None)?, false))
            }
            _ => None,
        };
        if let Some((v, nil_iface)) = computed {
            return validate(e.pos(), e, v, p, nil_iface);
        }
        literal(e, p)
    }
}

/// Go's `idealConstant`: the value of a number literal as `interface {}`.
fn ideal_constant(pos: Pos, n: &Number) -> Flow<Value> {
    match *n {
        Number::Int(i) => Ok(Value::Int(i)),
        Number::Float(f) => Ok(Value::Float(f)),
        Number::Uint(u) => fail(pos, u.to_string(), format!("{u} overflows int")),
    }
}

fn literal_int(n: &Number) -> Option<i64> {
    match *n {
        Number::Int(i) => Some(i),
        Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(f as i64),
        _ => None,
    }
}

/// A literal argument converted to parameter type `p` (Go's `evalBool`,
/// `evalString`, `evalInteger`, ... and `evalEmptyInterface`).
fn literal(e: &Expr, p: Param) -> Flow<Value> {
    let text = show::expr(e);
    let pos = e.pos();
    match (p, e) {
        (Param::Any | Param::Raw, Expr::Bool(_, b)) => Ok(Value::Bool(*b)),
        (Param::Any | Param::Raw, Expr::String(_, s)) => Ok(Value::Str(s.clone())),
        (Param::Any | Param::Raw, Expr::Number(_, n)) => ideal_constant(pos, n),
        (Param::Any | Param::Raw | Param::Map | Param::List, Expr::Nil(_)) => Ok(Value::Nil),
        (_, Expr::Nil(_)) => fail(pos, text, format!("cannot assign nil to {}", p.go_name())),
        (Param::Str, Expr::String(_, s)) => Ok(Value::Str(s.clone())),
        (Param::Str, _) => fail(pos, text.clone(), format!("expected string; found {text}")),
        (Param::Bool, Expr::Bool(_, b)) => Ok(Value::Bool(*b)),
        (Param::Bool, _) => fail(pos, text.clone(), format!("expected bool; found {text}")),
        (Param::Int, Expr::Number(_, n)) if literal_int(n).is_some() => Ok(Value::Int(literal_int(n).unwrap_or(0))),
        (Param::Int, _) => fail(pos, text.clone(), format!("expected integer; found {text}")),
        (Param::Uint32, Expr::Number(_, n)) if literal_int(n).is_some_and(|i| i >= 0) => {
            Ok(Value::Int(literal_int(n).unwrap_or(0) & 0xffff_ffff))
        }
        (Param::Uint32, _) => fail(pos, text.clone(), format!("expected unsigned integer; found {text}")),
        (Param::Float, Expr::Number(_, n)) => Ok(Value::Float(match *n {
            Number::Int(i) => i as f64,
            Number::Uint(u) => u as f64,
            Number::Float(f) => f,
        })),
        (Param::Float, _) => fail(pos, text.clone(), format!("expected float; found {text}")),
        _ => fail(pos, text.clone(), format!("can't handle {text} for arg of type {}", p.go_name())),
    }
}

/// Go's `validateType`: a computed value must be assignable to `p`.
fn validate(pos: Pos, node: &Expr, v: Value, p: Param, nil_iface: bool) -> Flow<Value> {
    let ok = match (&v, p) {
        (_, Param::Any | Param::Raw) => true,
        (Value::Nil, Param::Map | Param::List) if !nil_iface => true,
        (Value::Nil, _) if nil_iface => {
            return fail(
                pos,
                show::expr(node),
                format!("wrong type for value; expected {}; got interface {{}}", p.go_name()),
            );
        }
        (Value::Nil, _) => return fail(pos, show::expr(node), format!("invalid value; expected {}", p.go_name())),
        (Value::Str(_), Param::Str) | (Value::Int(_), Param::Int) | (Value::Float(_), Param::Float) => true,
        (Value::Bool(_), Param::Bool) | (Value::Time(_), Param::Time) => true,
        (Value::Map(m), Param::Map) => m.elem() == crate::value::Elem::Any,
        (Value::List(l), Param::List) => l.elem == crate::value::Elem::Any,
        (Value::Struct(s), Param::Struct(name)) => s.type_name == name,
        _ => false,
    };
    if ok {
        Ok(v)
    } else {
        fail(pos, show::expr(node), format!("wrong type for value; expected {}; got {}", p.go_name(), v.type_name()))
    }
}
