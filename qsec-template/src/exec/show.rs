//! Go's `Node.String()`: how an error names the node it happened at.

use gotmpl::parse::{Expr, Number, PipeNode};

use crate::gofmt::{float::format_v, quote::quote};

/// The source-like text of an expression.
pub(crate) fn expr(e: &Expr) -> String {
    match e {
        Expr::Dot(_) => ".".into(),
        Expr::Field(_, fields) => fields.iter().map(|f| format!(".{f}")).collect(),
        Expr::Variable(_, name, fields) => {
            let mut s = name.to_string();
            for f in fields {
                s.push('.');
                s.push_str(f);
            }
            s
        }
        Expr::Identifier(_, name) => name.to_string(),
        Expr::String(_, s) => quote(s),
        Expr::Number(_, Number::Int(i)) => i.to_string(),
        Expr::Number(_, Number::Uint(u)) => u.to_string(),
        Expr::Number(_, Number::Float(f)) => format_v(*f),
        Expr::Bool(_, b) => b.to_string(),
        Expr::Nil(_) => "nil".into(),
        Expr::Pipe(_, p) => format!("({})", pipe(p)),
        Expr::Chain(_, inner, fields) => {
            let mut s = expr(inner);
            for f in fields {
                s.push('.');
                s.push_str(f);
            }
            s
        }
    }
}

/// A call: the function and its arguments.
pub(crate) fn call(f: &Expr, args: &[Expr]) -> String {
    let mut s = expr(f);
    for a in args {
        s.push(' ');
        s.push_str(&expr(a));
    }
    s
}

/// A pipeline.
pub(crate) fn pipe(p: &PipeNode) -> String {
    let mut s = String::new();
    if !p.decl.is_empty() {
        s.push_str(&p.decl.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "));
        s.push_str(if p.is_assign { " = " } else { " := " });
    }
    let cmds: Vec<String> = p.commands.iter().map(|c| c.args.iter().map(expr).collect::<Vec<_>>().join(" ")).collect();
    s.push_str(&cmds.join(" | "));
    s
}
