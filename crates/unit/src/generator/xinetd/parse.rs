//! xinetd configuration syntax (`xinetd.conf(5)`, and xinetd's own line
//! reader, whose rules are stricter than the man page suggests):
//!
//! - A line whose first non-blank character is `#` is a comment; so is an
//!   empty line. A `#` later in a line is data, not a comment.
//! - Top level lines: `service NAME`, `defaults`, `include FILE`,
//!   `includedir DIR`. Words are separated by spaces and tabs; extra words
//!   are ignored.
//! - After `service NAME` or `defaults`, the next line must hold only `{`;
//!   the entry ends at a line holding only `}`.
//! - Inside: `attribute OP value value …`, OP one of `=`, `+=`, `-=`. The
//!   attribute name must be followed by a blank before the operator
//!   (`port=23` is an error in xinetd). Values are split on blanks; there is
//!   no quoting.
//! - A malformed line makes xinetd drop the whole entry (it skips to the
//!   next `}`), and so do we, with an error [`Diagnostic`].
//!
//! The result is a list of [`Item`]s in file order; what the attributes
//! mean is the business of [`super::config`].

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Set,
    Add,
    Remove,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Set => "=",
            Op::Add => "+=",
            Op::Remove => "-=",
        }
    }
}

/// One `attribute OP values…` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    pub name: String,
    pub op: Op,
    pub values: Vec<String>,
    pub span: Span,
}

/// A `service NAME { … }` or `defaults { … }` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The service name; empty for `defaults`.
    pub name: String,
    pub span: Span,
    pub attrs: Vec<Attr>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Defaults(Entry),
    Service(Entry),
    Include { path: String, span: Span },
    IncludeDir { path: String, span: Span },
}

/// One file read into items.
#[derive(Clone, Debug, Default)]
pub struct ParsedConfig {
    pub items: Vec<Item>,
    pub diagnostics: Vec<Diagnostic>,
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_blank).filter(|w| !w.is_empty())
}

/// True if the line holds `ch` once and nothing else but whitespace.
fn only_char(line: &str, ch: char) -> bool {
    let mut seen = false;
    for c in line.chars() {
        if c == ch && !seen {
            seen = true;
        } else if !c.is_whitespace() {
            return false;
        }
    }
    seen
}

fn parse_attr(line: &str, span: Span) -> Result<Attr, String> {
    let l = line.trim_start();
    let name_end = l.find(|c: char| c.is_whitespace() || c == '=').unwrap_or(l.len());
    let name = &l[..name_end];
    let rest = &l[name_end..];
    if rest.is_empty() {
        return Err(format!("Nothing after attribute: {name}"));
    }
    if rest.starts_with('=') {
        return Err(format!("Attribute {name} needs a space before operator"));
    }
    let rest = rest.trim_start();
    let (op, values) = if let Some(v) = rest.strip_prefix("+=") {
        (Op::Add, v)
    } else if let Some(v) = rest.strip_prefix("-=") {
        (Op::Remove, v)
    } else if let Some(v) = rest.strip_prefix('=') {
        (Op::Set, v)
    } else if rest.is_empty() {
        return Err(format!("Nothing after attribute: {name}"));
    } else {
        return Err(format!("Bad operator for attribute: {name}"));
    };
    Ok(Attr {
        name: name.to_string(),
        op,
        values: words(values).map(str::to_string).collect(),
        span,
    })
}

/// Parse one configuration file.
pub fn parse_config(path: &Path, text: &str) -> ParsedConfig {
    let file: Arc<Path> = Arc::from(path);
    let span = |line: usize| Span::new(file.clone(), u32::try_from(line).unwrap_or(u32::MAX), 1);
    // Significant lines only, with their 1-based numbers.
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.is_empty() && !t.starts_with('#')
        })
        .collect();
    let mut out = ParsedConfig::default();
    let mut i = 0;
    // Skip to just past the next line that is only `}`.
    let skip_entry = |i: &mut usize, out: &mut ParsedConfig| {
        while let Some((_, l)) = lines.get(*i) {
            *i += 1;
            if only_char(l, '}') {
                return;
            }
        }
        if let Some((n, _)) = lines.last() {
            out.diagnostics.push(Diagnostic::warning(span(*n), "missing } in last service entry"));
        }
    };
    while let Some(&(n, line)) = lines.get(i) {
        i += 1;
        let mut w = words(line);
        let keyword = w.next().unwrap_or("");
        let arg = w.next();
        let is_service = match keyword {
            "service" => true,
            "defaults" => false,
            "include" | "includedir" => {
                let Some(p) = arg else {
                    out.diagnostics
                        .push(Diagnostic::error(span(n), format!("{keyword}: name missing")));
                    continue;
                };
                let (path, span) = (p.to_string(), span(n));
                out.items.push(if keyword == "include" {
                    Item::Include { path, span }
                } else {
                    Item::IncludeDir { path, span }
                });
                continue;
            }
            _ => {
                out.diagnostics.push(Diagnostic::error(span(n), "missing service keyword"));
                skip_entry(&mut i, &mut out);
                continue;
            }
        };
        let name = if is_service {
            match arg {
                Some(a) => a.to_string(),
                None => {
                    out.diagnostics.push(Diagnostic::error(span(n), "service name missing"));
                    skip_entry(&mut i, &mut out);
                    continue;
                }
            }
        } else {
            String::new()
        };
        match lines.get(i) {
            Some((_, l)) if only_char(l, '{') => i += 1,
            _ => {
                let what = if is_service { format!("Service {name}") } else { "defaults".into() };
                out.diagnostics.push(Diagnostic::error(span(n), format!("{what}: missing '{{'")));
                i += 1;
                skip_entry(&mut i, &mut out);
                continue;
            }
        }
        let mut entry = Entry { name, span: span(n), attrs: Vec::new() };
        let mut complete = false;
        let mut broken = false;
        while let Some(&(m, l)) = lines.get(i) {
            i += 1;
            if only_char(l, '}') {
                complete = true;
                break;
            }
            match parse_attr(l, span(m)) {
                Ok(a) => entry.attrs.push(a),
                Err(msg) => {
                    out.diagnostics
                        .push(Diagnostic::error(span(m), format!("{msg}; entry ignored")));
                    skip_entry(&mut i, &mut out);
                    broken = true;
                    break;
                }
            }
        }
        if broken {
            continue;
        }
        if !complete {
            out.diagnostics
                .push(Diagnostic::error(entry.span.clone(), "incomplete entry (no closing })"));
            continue;
        }
        out.items.push(if is_service { Item::Service(entry) } else { Item::Defaults(entry) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ParsedConfig {
        parse_config(Path::new("/etc/xinetd.d/t"), text)
    }

    #[test]
    fn entries_and_operators() {
        let c = p("# c\nservice telnet\n{\n  socket_type = stream\n only_from += 10.0.0.0 \t127.0.0.1\n  env -= A\n}\n");
        assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
        let Some(Item::Service(e)) = c.items.first() else { panic!("no service") };
        assert_eq!(e.name, "telnet");
        let got: Vec<(&str, Op, Vec<&str>, u32)> = e
            .attrs
            .iter()
            .map(|a| {
                (a.name.as_str(), a.op, a.values.iter().map(String::as_str).collect(), a.span.line)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("socket_type", Op::Set, vec!["stream"], 4),
                ("only_from", Op::Add, vec!["10.0.0.0", "127.0.0.1"], 5),
                ("env", Op::Remove, vec!["A"], 6),
            ]
        );
    }

    #[test]
    fn hash_inside_a_line_is_data_and_empty_value_is_kept() {
        let c = p("service x\n{\nserver_args = -a #b\nonly_from =\n}\n");
        let Some(Item::Service(e)) = c.items.first() else { panic!("no service") };
        assert_eq!(e.attrs[0].values, vec!["-a", "#b"]);
        assert!(e.attrs[1].values.is_empty());
    }

    #[test]
    fn missing_space_before_operator_drops_the_entry() {
        let c = p("service a\n{\nport=23\nwait = no\n}\nservice b\n{\nwait = no\n}\n");
        assert_eq!(c.items.len(), 1);
        assert!(matches!(&c.items[0], Item::Service(e) if e.name == "b"));
        assert_eq!(c.diagnostics.len(), 1);
        assert_eq!(c.diagnostics[0].span.line, 3);
        assert!(c.diagnostics[0].message.contains("needs a space before operator"));
    }

    #[test]
    fn brace_rules() {
        // `{` on the service line is not accepted by xinetd.
        let c = p("service a {\nwait = no\n}\nservice b\n{\n");
        assert!(c.items.is_empty());
        let msgs: Vec<(u32, &str)> =
            c.diagnostics.iter().map(|d| (d.span.line, d.message.as_str())).collect();
        assert_eq!(
            msgs,
            vec![(1, "Service a: missing '{'"), (4, "incomplete entry (no closing })")]
        );
    }

    #[test]
    fn includes_and_bad_keywords() {
        let c = p("includedir /etc/xinetd.d\ninclude /etc/x.conf\nbogus\nwait = no\n}\ndefaults\n{\ninstances = 5\n}\n");
        assert_eq!(c.items.len(), 3);
        assert!(matches!(&c.items[0], Item::IncludeDir { path, .. } if path == "/etc/xinetd.d"));
        assert!(matches!(&c.items[1], Item::Include { path, .. } if path == "/etc/x.conf"));
        assert!(matches!(&c.items[2], Item::Defaults(e) if e.attrs.len() == 1));
        assert_eq!(c.diagnostics.len(), 1);
        assert_eq!(c.diagnostics[0].message, "missing service keyword");
    }
}
