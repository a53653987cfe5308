//! The evaluator: walks gotmpl's parse tree with Go text/template's
//! execution rules (Go's `exec.go`), over qsec's typed [`Value`]s.

mod eval;
mod show;

use std::collections::HashMap;
use std::sync::Arc;

use gotmpl::parse::{BranchNode, ListNode, Node, Pos, TemplateNode};

use crate::error::TemplateFailure;
use crate::parse::Parsed;
use crate::registry::FunctionRegistry;
use crate::value::Value;

/// Go's limit on nested template calls; ours is lower to stay within a
/// thread's stack.
const MAX_DEPTH: usize = 1000;

/// Why the walk stopped early.
pub(crate) enum Signal {
    /// An error at a source offset, with the node Go names in `at <...>`.
    Err(Box<(usize, String, String)>),
    Break,
    Continue,
}

pub(crate) type Flow<T = ()> = Result<T, Signal>;

/// Builds an error signal at `pos`, naming `node`.
pub(crate) fn fail<T>(pos: Pos, node: String, message: impl Into<String>) -> Flow<T> {
    Err(Signal::Err(Box::new((pos.offset, node, message.into()))))
}

/// Options the evaluator needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExecOptions {
    /// `missingkey=error`.
    pub missing_key_error: bool,
}

pub(crate) struct State<'a> {
    funcs: &'a FunctionRegistry,
    templates: &'a HashMap<String, Arc<ListNode>>,
    opts: ExecOptions,
    vars: Vec<(Arc<str>, Value)>,
    depth: usize,
    /// Dot is a nil element of a ranged slice or map (Go's nil `interface {}`,
    /// which fails field access instead of yielding `<no value>`).
    dot_nil: bool,
    out: &'a mut String,
}

/// Renders `parsed` with `data` as dot, appending to `out`.
pub(crate) fn execute(
    name: &str,
    parsed: &Parsed,
    funcs: &FunctionRegistry,
    opts: ExecOptions,
    data: &Value,
    out: &mut String,
) -> Result<(), TemplateFailure> {
    let mut state = State {
        funcs,
        templates: &parsed.templates,
        opts,
        vars: vec![("$".into(), data.clone())],
        depth: 0,
        dot_nil: false,
        out,
    };
    match state.walk(data, &parsed.root) {
        Ok(()) => Ok(()),
        Err(Signal::Err(e)) => {
            let (offset, node, message) = *e;
            let src = &parsed.source;
            let end = offset.min(src.len());
            let line = src[..end].matches('\n').count() + 1;
            let col = src[..end].rfind('\n').map_or(end, |i| end - i - 1);
            Err(TemplateFailure::exec(name, line, col + 1, format!("executing {name:?} at <{node}>: {message}")))
        }
        Err(Signal::Break | Signal::Continue) => Ok(()),
    }
}

impl State<'_> {
    fn mark(&self) -> usize {
        self.vars.len()
    }

    fn pop(&mut self, mark: usize) {
        self.vars.truncate(mark);
    }

    fn walk(&mut self, dot: &Value, list: &ListNode) -> Flow {
        for node in &list.nodes {
            self.walk_node(dot, node)?;
        }
        Ok(())
    }

    fn walk_node(&mut self, dot: &Value, node: &Node) -> Flow {
        match node {
            Node::Text(t) => {
                self.out.push_str(&t.text);
                Ok(())
            }
            Node::Action(a) => {
                let v = self.eval_pipeline(dot, &a.pipe)?;
                if a.pipe.decl.is_empty() {
                    self.print(&v, a.pos, &a.pipe)?;
                }
                Ok(())
            }
            Node::If(b) => self.walk_if_with(dot, b, false),
            Node::With(b) => self.walk_if_with(dot, b, true),
            Node::Range(b) => self.walk_range(dot, b),
            Node::Template(t) => self.walk_template(dot, t),
            Node::List(l) => self.walk(dot, l),
            Node::Define(_) => Ok(()),
            Node::Break(_) => Err(Signal::Break),
            Node::Continue(_) => Err(Signal::Continue),
        }
    }

    /// Go's `printValue`: `<no value>` for nil, `fmt.Fprint` otherwise.
    fn print(&mut self, v: &Value, pos: Pos, pipe: &gotmpl::parse::PipeNode) -> Flow {
        match v {
            Value::Nil => self.out.push_str("<no value>"),
            Value::Str(s) => self.out.push_str(s),
            Value::Func(_) => {
                return fail(
                    pos,
                    show::pipe(pipe),
                    format!("can't print {} of type {}", show::pipe(pipe), v.type_name()),
                );
            }
            other => self.out.push_str(&crate::gofmt::sprint_value(other)),
        }
        Ok(())
    }

    fn walk_if_with(&mut self, dot: &Value, b: &BranchNode, with: bool) -> Flow {
        let mark = self.mark();
        let r = (|| {
            let v = self.eval_pipeline(dot, &b.pipe)?;
            if v.truthy() {
                if with {
                    let saved = std::mem::replace(&mut self.dot_nil, false);
                    let r = self.walk(&v, &b.body);
                    self.dot_nil = saved;
                    r
                } else {
                    self.walk(dot, &b.body)
                }
            } else if let Some(e) = &b.else_body {
                self.walk(dot, e)
            } else {
                Ok(())
            }
        })();
        self.pop(mark);
        r
    }

    fn walk_range(&mut self, dot: &Value, b: &BranchNode) -> Flow {
        let outer = self.mark();
        let r = self.range_inner(dot, b);
        self.pop(outer);
        match r {
            Err(Signal::Break) => Ok(()),
            other => other,
        }
    }

    fn range_inner(&mut self, dot: &Value, b: &BranchNode) -> Flow {
        let v = self.eval_pipeline(dot, &b.pipe)?;
        let mark = self.mark();
        let ndecl = b.pipe.decl.len();
        let iterate = |s: &mut Self, index: Value, elem: Value| -> Flow {
            let n = s.vars.len();
            if ndecl > 0 && n > 0 {
                s.vars[n - 1].1 = elem.clone();
            }
            if ndecl > 1 && n > 1 {
                s.vars[n - 2].1 = index;
            }
            let saved = std::mem::replace(&mut s.dot_nil, elem.is_nil());
            let r = s.walk(&elem, &b.body);
            s.dot_nil = saved;
            s.pop(mark);
            match r {
                Err(Signal::Continue) => Ok(()),
                other => other,
            }
        };
        match &v {
            Value::List(l) if !l.items.is_empty() => {
                for (i, item) in l.items.iter().enumerate() {
                    iterate(self, Value::Int(i as i64), item.clone())?;
                }
                return Ok(());
            }
            Value::Map(m) if !m.is_empty() => {
                let entries: Vec<(Arc<str>, Value)> = m.read().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                for (k, item) in entries {
                    iterate(self, Value::Str(k), item)?;
                }
                return Ok(());
            }
            Value::List(_) | Value::Map(_) | Value::Nil => {}
            other => {
                return fail(
                    b.pos,
                    show::pipe(&b.pipe),
                    format!("range can't iterate over {}", crate::gofmt::sprint_value(other)),
                );
            }
        }
        match &b.else_body {
            Some(e) => self.walk(dot, e),
            None => Ok(()),
        }
    }

    fn walk_template(&mut self, dot: &Value, t: &TemplateNode) -> Flow {
        let Some(body) = self.templates.get(t.name.as_str()).cloned() else {
            return fail(
                t.pos,
                format!("template {:?}", t.name.as_str()),
                format!("template {:?} not defined", t.name.as_str()),
            );
        };
        if self.depth >= MAX_DEPTH {
            return fail(
                t.pos,
                format!("template {:?}", t.name.as_str()),
                format!("exceeded maximum template depth ({MAX_DEPTH})"),
            );
        }
        let new_dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Value::Nil,
        };
        // No dynamic scoping: the called template sees only `$`.
        let saved = std::mem::replace(&mut self.vars, vec![("$".into(), new_dot.clone())]);
        self.depth += 1;
        let saved_nil = std::mem::replace(&mut self.dot_nil, false);
        let r = self.walk(&new_dot, &body);
        self.dot_nil = saved_nil;
        self.depth -= 1;
        self.vars = saved;
        r
    }
}
