//! Parsing: gotmpl's lexer and parser, plus the checks Go's parser makes
//! that gotmpl leaves out.
//!
//! gotmpl's parser stops silently at a stray top-level `{{end}}`/`{{else}}`
//! and accepts unclosed blocks at end of input; Go rejects both, and also
//! rejects undefined functions and variables, `{{break}}` outside `{{range}}`
//! and literals as later pipeline stages, even in branches never executed.
//! We find the first two by parsing with a sentinel action appended (it must
//! come back as the last top-level node), and check the rest on the tree.

use std::collections::HashMap;
use std::sync::Arc;

use gotmpl::parse::{BranchNode, Expr, ListNode, Node, Parser, PipeNode, is_empty_tree};

use crate::error::TemplateFailure;
use crate::registry::FunctionRegistry;

const SENTINEL: &str = "qsec_eof_sentinel_7f3a";

/// A parsed template: its body and the templates it defines.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The top-level body.
    pub root: Arc<ListNode>,
    /// Named templates (`define`, `block`, and the root under its own name).
    pub templates: HashMap<String, Arc<ListNode>>,
    /// The source text, for error positions.
    pub source: Arc<str>,
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let end = offset.min(src.len());
    let before = &src[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map_or(end, |i| end - i - 1);
    (line, col)
}

fn failure(name: &str, src: &str, offset: usize, message: String) -> TemplateFailure {
    let (line, col) = line_col(src, offset);
    TemplateFailure::parse(name, line, Some(col + 1), message)
}

fn is_sentinel(node: &Node) -> bool {
    matches!(node, Node::Action(a) if a.pipe.decl.is_empty()
        && a.pipe.commands.len() == 1
        && matches!(a.pipe.commands[0].args.as_slice(), [Expr::Identifier(_, n)] if n.as_str() == SENTINEL))
}

fn contains_sentinel(list: &ListNode) -> bool {
    list.nodes.iter().any(|n| match n {
        _ if is_sentinel(n) => true,
        Node::If(b) | Node::Range(b) | Node::With(b) => {
            contains_sentinel(&b.body) || b.else_body.as_ref().is_some_and(contains_sentinel)
        }
        Node::List(l) => contains_sentinel(l),
        Node::Define(d) => contains_sentinel(&d.body),
        _ => false,
    })
}

/// Parses `source` named `name` with delimiters `left`/`right`, checking it
/// against the functions in `funcs`.
pub(crate) fn parse(
    name: &str,
    source: &str,
    left: &str,
    right: &str,
    funcs: &FunctionRegistry,
) -> Result<Parsed, TemplateFailure> {
    if let Some(at) = spaced_comment(source, left) {
        return Err(failure(name, source, at, "unexpected \"/\" in command".into()));
    }
    let text = format!("{source}{left}{SENTINEL}{right}");
    let (mut root, defines) = match Parser::with_name(Some(name), &text, left, right).and_then(Parser::parse) {
        Ok(parsed) => parsed,
        Err(
            gotmpl::TemplateError::Parse { line, col, message, .. }
            | gotmpl::TemplateError::Lex { line, col, message, .. },
        ) => {
            return Err(TemplateFailure::parse(name, line.max(1), Some(col.max(1)), message));
        }
        Err(other) => return Err(TemplateFailure::parse(name, 1, None, other.to_string())),
    };
    match root.nodes.last() {
        Some(last) if is_sentinel(last) => {
            root.nodes.pop();
        }
        _ => {
            let nested = contains_sentinel(&root) || defines.iter().any(|d| contains_sentinel(&d.body));
            let message = if nested { "unexpected EOF" } else { "unexpected {{end}} or {{else}}" };
            return Err(failure(name, source, source.len(), message.into()));
        }
    }
    let mut templates: HashMap<String, Arc<ListNode>> = HashMap::new();
    for def in defines {
        let key = def.name.to_string();
        match templates.get(&key) {
            Some(existing) if !existing.is_empty_tree() && !def.body.is_empty_tree() => {
                return Err(failure(
                    name,
                    source,
                    def.pos.offset,
                    format!("template: multiple definition of template {:?}", def.name.as_str()),
                ));
            }
            Some(_) if def.body.is_empty_tree() => {}
            _ => {
                templates.insert(key, Arc::new(def.body));
            }
        }
    }
    let checker = Checker { name, source, funcs };
    checker.list(&root, &mut vec!["$".into()], false)?;
    for body in templates.values() {
        checker.list(body, &mut vec!["$".into()], false)?;
    }
    let root = Arc::new(root);
    match templates.get(name) {
        Some(existing) if !existing.is_empty_tree() && !root.is_empty_tree() => {
            return Err(failure(name, source, 0, format!("template: multiple definition of template {name:?}")));
        }
        Some(existing) if root.nodes.iter().all(is_empty_tree) => {
            let existing = existing.clone();
            return Ok(Parsed { root: existing, templates, source: Arc::from(source) });
        }
        _ => {
            templates.insert(name.to_string(), root.clone());
        }
    }
    Ok(Parsed { root, templates, source: Arc::from(source) })
}

struct Checker<'a> {
    name: &'a str,
    source: &'a str,
    funcs: &'a FunctionRegistry,
}

impl Checker<'_> {
    fn err(&self, offset: usize, message: String) -> TemplateFailure {
        failure(self.name, self.source, offset, message)
    }

    fn list(&self, list: &ListNode, vars: &mut Vec<String>, in_range: bool) -> Result<(), TemplateFailure> {
        for node in &list.nodes {
            match node {
                Node::Action(a) => self.pipe(&a.pipe, vars)?,
                Node::With(b) if self.source.get(..b.pos.offset).is_some_and(|s| s.trim_end().ends_with("else")) => {
                    // `{{else with}}` arrived in Go 1.23; Go 1.19 rejects it.
                    return Err(self.err(b.pos.offset, "unexpected <with> in else".into()));
                }
                Node::If(b) | Node::With(b) => self.branch(b, vars, in_range, false)?,
                Node::Range(b) => self.branch(b, vars, in_range, true)?,
                Node::Template(t) => match &t.pipe {
                    Some(p) => self.pipe(p, vars)?,
                    // gotmpl gives a block's define the block's own position.
                    None if self.is_block(t) => {
                        return Err(self.err(t.pos.offset, "missing value for block clause".into()));
                    }
                    None => {}
                },
                Node::List(l) => self.list(l, vars, in_range)?,
                Node::Break(pos) if !in_range => return Err(self.err(pos.offset, "{{break}} outside {{range}}".into())),
                Node::Continue(pos) if !in_range => {
                    return Err(self.err(pos.offset, "{{continue}} outside {{range}}".into()));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn is_block(&self, t: &gotmpl::parse::TemplateNode) -> bool {
        self.source.get(t.pos.offset..).is_some_and(|rest| rest.trim_start().starts_with("block"))
    }

    fn branch(
        &self,
        b: &BranchNode,
        vars: &mut Vec<String>,
        in_range: bool,
        is_range: bool,
    ) -> Result<(), TemplateFailure> {
        let mark = vars.len();
        self.pipe(&b.pipe, vars)?;
        self.list(&b.body, vars, in_range || is_range)?;
        if let Some(e) = &b.else_body {
            // The else branch of a range runs outside the loop.
            self.list(e, vars, in_range)?;
        }
        vars.truncate(mark);
        Ok(())
    }

    fn pipe(&self, p: &PipeNode, vars: &mut Vec<String>) -> Result<(), TemplateFailure> {
        for (i, cmd) in p.commands.iter().enumerate() {
            if i > 0
                && let Some(first) = cmd.args.first()
                && matches!(first, Expr::Bool(..) | Expr::Dot(_) | Expr::Nil(_) | Expr::Number(..) | Expr::String(..))
            {
                return Err(self.err(first.pos().offset, format!("non executable command in pipeline stage {}", i + 1)));
            }
            for arg in &cmd.args {
                self.expr(arg, vars)?;
            }
        }
        for d in &p.decl {
            if p.is_assign {
                if !vars.iter().any(|v| v == d.as_str()) {
                    return Err(self.err(p.pos.offset, format!("undefined variable {:?}", d.as_str())));
                }
            } else {
                vars.push(d.to_string());
            }
        }
        Ok(())
    }

    fn expr(&self, e: &Expr, vars: &mut Vec<String>) -> Result<(), TemplateFailure> {
        match e {
            Expr::Identifier(pos, name) if !self.funcs.contains(name) => {
                Err(self.err(pos.offset, format!("function {:?} not defined", name.as_str())))
            }
            Expr::Variable(pos, name, _) if !vars.iter().any(|v| v == name.as_str()) => {
                Err(self.err(pos.offset, format!("undefined variable {:?}", name.as_str())))
            }
            Expr::Pipe(_, p) => {
                let mark = vars.len();
                self.pipe(p, vars)?;
                vars.truncate(mark.max(vars.len()));
                Ok(())
            }
            Expr::String(pos, _) if !quoted_ok(self.source.get(pos.offset..).unwrap_or("")) => {
                Err(self.err(pos.offset, "invalid syntax".into()))
            }
            Expr::Number(pos, _) if !number_ok(self.source.get(pos.offset..).unwrap_or("")) => {
                Err(self.err(pos.offset, "illegal number syntax".into()))
            }
            Expr::Chain(pos, inner, _) => {
                if matches!(**inner, Expr::Nil(_) | Expr::Bool(..) | Expr::Number(..) | Expr::String(..) | Expr::Dot(_))
                {
                    return Err(self.err(pos.offset, "unexpected . after term".into()));
                }
                self.expr(inner, vars)
            }
            _ => Ok(()),
        }
    }
}

/// Checks the escapes of the double-quoted literal starting `rest` as Go's
/// `strconv.Unquote` does (gotmpl passes unknown escapes through).
fn quoted_ok(rest: &str) -> bool {
    let mut it = rest.chars();
    if it.next() != Some('"') {
        return true;
    }
    while let Some(c) = it.next() {
        match c {
            '"' => return true,
            '\n' => return false,
            '\\' => {
                let hex = |it: &mut std::str::Chars<'_>, n: usize| {
                    (0..n).all(|_| it.next().is_some_and(|d| d.is_ascii_hexdigit()))
                };
                let ok = match it.next() {
                    Some('a' | 'b' | 'f' | 'n' | 'r' | 't' | 'v' | '\\' | '"') => true,
                    Some('x') => hex(&mut it, 2),
                    Some('u') => hex(&mut it, 4),
                    Some('U') => hex(&mut it, 8),
                    Some(d @ '0'..='7') => {
                        let rest: String = it.by_ref().take(2).collect();
                        rest.len() == 2 && rest.chars().all(|c| ('0'..='7').contains(&c)) && d <= '3'
                    }
                    _ => false,
                };
                if !ok {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// Go starts a comment only right after the delimiter (or after `- `):
/// `{{ /* x */ }}` is an error there, while gotmpl accepts it.
fn spaced_comment(source: &str, left: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = source[from..].find(left) {
        let at = from + i + left.len();
        let rest = &source[at..];
        let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if trimmed.len() < rest.len() && trimmed.starts_with("/*") && !rest.starts_with("- ") {
            return Some(at);
        }
        from = at;
    }
    None
}

/// Go's number-literal rules gotmpl is lenient about: `_` only between
/// digits, and no `8`/`9` in a legacy octal literal like `08`.
fn number_ok(rest: &str) -> bool {
    let text: String =
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-')).collect();
    let body = text.trim_start_matches(['+', '-']);
    if body.starts_with('\'') {
        return true;
    }
    let b = body.as_bytes();
    for (k, &c) in b.iter().enumerate() {
        if c == b'_' {
            let prev_ok =
                k > 0 && (b[k - 1].is_ascii_hexdigit() || matches!(b[k - 1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B'));
            let next_ok = b.get(k + 1).is_some_and(u8::is_ascii_hexdigit);
            if !prev_ok || !next_ok {
                return false;
            }
        }
    }
    let legacy_octal = b.len() > 1 && b[0] == b'0' && b[1].is_ascii_digit() && !body.contains(['.', 'e', 'E', 'i']);
    !(legacy_octal && body.contains(['8', '9']))
}
