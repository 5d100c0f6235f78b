//! The line syntax of unit files, as `systemd.syntax(7)` describes it and as
//! systemd 252's `config_parse()` actually reads it.
//!
//! This layer knows nothing about directives: it turns text into sections
//! and `key=value` entries, each with a [`Span`], and records the same
//! warnings systemd logs while doing so. The rules, in the order systemd
//! applies them to every physical line:
//!
//! 1. A line whose first non-blank character is `#` or `;` is a comment and
//!    is skipped — *also in the middle of a continuation*, so a commented-out
//!    line inside a backslash-continued `ExecStart=` simply disappears.
//! 2. A UTF-8 byte-order mark is dropped from the first line.
//! 3. If the line (joined to any pending continuation) ends in an unescaped
//!    backslash, that backslash becomes a space and the next line is
//!    appended verbatim (its leading blanks included).
//! 4. The complete logical line is stripped of surrounding whitespace. Empty
//!    lines are skipped; `[Name]` opens a section; anything else must be
//!    `key=value`, split at the first `=`, both sides stripped.
//!
//! What systemd does with problems, and so what we do:
//!
//! | input                        | systemd                                   | here                |
//! |------------------------------|-------------------------------------------|---------------------|
//! | `[Foo` (no `]`)              | "Invalid section header", unit not loaded | [`Severity::Error`] |
//! | unknown `[Section]`          | "Unknown section 'X'. Ignoring."          | warning, entries dropped |
//! | `[X-Foo]`                    | silently ignored                          | kept, no warning    |
//! | assignment before a section  | "Assignment outside of section. Ignoring."| warning             |
//! | no `=`                       | "Missing '=', ignoring line."             | warning             |
//! | `=value`                     | "Missing key name before '=', ignoring line." | warning         |
//!
//! Whether a section name is known depends on the unit type, so the caller
//! passes the list of accepted sections; `X-` sections are always accepted
//! and kept (tools read them), but carry no directives we interpret.

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Diagnostic, Severity, Span};

/// Longest logical line systemd accepts (`LONG_LINE_MAX`, 1 MiB).
pub const LONG_LINE_MAX: usize = 1024 * 1024;

/// One `key=value` assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    /// The value, stripped of surrounding whitespace, continuation lines
    /// joined. Quotes and escapes are *not* processed here: what they mean
    /// depends on the directive.
    pub value: String,
    /// Where the key starts (first line of a continued assignment).
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub span: Span,
    pub entries: Vec<Entry>,
}

/// A unit file read into sections. The source text is kept so tools that
/// rewrite files (`edit`, `revert`) can reproduce it byte for byte.
#[derive(Clone, Debug)]
pub struct ParsedFile {
    pub path: Arc<Path>,
    pub source: Arc<str>,
    pub sections: Vec<Section>,
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedFile {
    /// True when systemd would refuse to load this file at all.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.severity == Severity::Error)
    }

    /// All entries of one section, in file order (a section may appear
    /// several times in a file; their entries are concatenated).
    pub fn entries<'a>(&'a self, section: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.sections
            .iter()
            .filter(move |s| s.name == section)
            .flat_map(|s| s.entries.iter())
    }
}

/// Which section names a file may contain.
#[derive(Clone, Copy, Debug)]
pub enum Sections<'a> {
    /// Any section is accepted (xinetd-free generic INI files, presets…).
    Any,
    /// Only these (plus `X-…`); others are warned about and skipped.
    Only(&'a [&'a str]),
}

impl Sections<'_> {
    fn accepts(&self, name: &str) -> bool {
        match self {
            Sections::Any => true,
            Sections::Only(list) => name.starts_with("X-") || list.contains(&name),
        }
    }
}

/// Parse `text` read from `path`.
pub fn parse(path: impl Into<Arc<Path>>, text: &str, sections: Sections<'_>) -> ParsedFile {
    let path: Arc<Path> = path.into();
    let mut p = Parser {
        path: path.clone(),
        sections_ok: sections,
        out: Vec::new(),
        diags: Vec::new(),
        current: None,
        ignoring_section: false,
    };

    // A pending continuation: the joined text so far and the line it began on.
    let mut cont: Option<(String, u32)> = None;
    let mut lineno: u32 = 0;
    let mut first = true;
    for raw in text.split_inclusive('\n') {
        lineno += 1;
        let mut line = raw.strip_suffix('\n').unwrap_or(raw);
        line = line.strip_suffix('\r').unwrap_or(line);
        if first {
            first = false;
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        if line.trim_start_matches(is_ws).starts_with(['#', ';']) {
            continue;
        }
        let (mut logical, start) = match cont.take() {
            Some((mut acc, start)) => {
                acc.push_str(line);
                (acc, start)
            }
            None => (line.to_string(), lineno),
        };
        if logical.len() > LONG_LINE_MAX {
            p.diags.push(Diagnostic::error(
                Span::new(path.clone(), start, 1),
                "Continuation line too long",
            ));
            // systemd aborts the whole file here.
            break;
        }
        if ends_in_unescaped_backslash(&logical) {
            logical.pop();
            logical.push(' ');
            cont = Some((logical, start));
            continue;
        }
        p.line(&logical, start);
    }
    if let Some((logical, start)) = cont {
        p.line(&logical, start);
    }
    p.finish_section();
    ParsedFile { path, source: Arc::from(text), sections: p.out, diagnostics: p.diags }
}

/// systemd's WHITESPACE set: space, tab, newline, carriage return.
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn ends_in_unescaped_backslash(s: &str) -> bool {
    let mut escaped = false;
    for b in s.bytes() {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        }
    }
    escaped
}

struct Parser<'a> {
    path: Arc<Path>,
    sections_ok: Sections<'a>,
    out: Vec<Section>,
    diags: Vec<Diagnostic>,
    current: Option<Section>,
    /// Inside an unknown section: its entries are dropped without further
    /// warnings, as systemd does.
    ignoring_section: bool,
}

impl Parser<'_> {
    fn span(&self, line: u32, col: usize) -> Span {
        Span::new(self.path.clone(), line, col as u32 + 1)
    }

    fn finish_section(&mut self) {
        if let Some(s) = self.current.take() {
            self.out.push(s);
        }
    }

    fn line(&mut self, logical: &str, lineno: u32) {
        let lead = logical.len() - logical.trim_start_matches(is_ws).len();
        let l = logical.trim_matches(is_ws);
        if l.is_empty() {
            return;
        }
        if l.starts_with('[') {
            self.section_header(l, lineno, lead);
            return;
        }
        if self.current.is_none() {
            if !self.ignoring_section {
                let span = self.span(lineno, lead);
                self.diags
                    .push(Diagnostic::warning(span, "Assignment outside of section. Ignoring."));
            }
            return;
        }
        let Some(eq) = l.find('=') else {
            let span = self.span(lineno, lead);
            self.diags.push(Diagnostic::warning(span, "Missing '=', ignoring line."));
            return;
        };
        if eq == 0 {
            let span = self.span(lineno, lead);
            self.diags
                .push(Diagnostic::warning(span, "Missing key name before '=', ignoring line."));
            return;
        }
        let key = l[..eq].trim_matches(is_ws).to_string();
        let value = l[eq + 1..].trim_matches(is_ws).to_string();
        let span = self.span(lineno, lead);
        if let Some(sec) = self.current.as_mut() {
            sec.entries.push(Entry { key, value, span });
        }
    }

    fn section_header(&mut self, l: &str, lineno: u32, lead: usize) {
        let span = self.span(lineno, lead);
        if !l.ends_with(']') || l.len() < 2 {
            self.diags.push(Diagnostic::error(span, format!("Invalid section header '{l}'")));
            return;
        }
        let name = &l[1..l.len() - 1];
        if !string_is_safe(name) {
            self.diags
                .push(Diagnostic::error(span, format!("Bad characters in section header '{l}'")));
            return;
        }
        self.finish_section();
        if self.sections_ok.accepts(name) {
            self.ignoring_section = false;
            self.current = Some(Section { name: name.to_string(), span, entries: Vec::new() });
        } else {
            self.diags.push(Diagnostic::warning(span, format!("Unknown section '{name}'. Ignoring.")));
            self.ignoring_section = true;
        }
    }
}

/// systemd's `string_is_safe()`: no control characters, quotes or backslash.
fn string_is_safe(s: &str) -> bool {
    s.chars().all(|c| !(c < ' ' || c == '\x7f' || c == '\\' || c == '"' || c == '\''))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ParsedFile {
        parse(Path::new("/t/x.service"), text, Sections::Only(&["Unit", "Service", "Install"]))
    }

    fn kv(f: &ParsedFile) -> Vec<(String, String, u32)> {
        f.sections
            .iter()
            .flat_map(|s| s.entries.iter())
            .map(|e| (e.key.clone(), e.value.clone(), e.span.line))
            .collect()
    }

    #[test]
    fn basic_sections_and_entries() {
        let f = p("[Unit]\nDescription = Hello world \n\n[Service]\nExecStart=/bin/true\n");
        assert_eq!(f.sections.len(), 2);
        assert_eq!(
            kv(&f),
            vec![
                ("Description".into(), "Hello world".into(), 2),
                ("ExecStart".into(), "/bin/true".into(), 5)
            ]
        );
        assert!(f.diagnostics.is_empty());
    }

    #[test]
    fn continuation_with_comment_inside() {
        let f = p("[Service]\nExecStart=/bin/echo a \\\n# gone\n  b \\\n; gone too\n c\n");
        assert_eq!(kv(&f), vec![("ExecStart".into(), "/bin/echo a    b   c".into(), 2)]);
    }

    #[test]
    fn escaped_backslash_is_not_continuation() {
        let f = p("[Service]\nA=x\\\\\nB=y\n");
        assert_eq!(kv(&f), vec![("A".into(), "x\\\\".into(), 2), ("B".into(), "y".into(), 3)]);
    }

    #[test]
    fn continuation_at_eof() {
        let f = p("[Service]\nA=x \\");
        assert_eq!(kv(&f), vec![("A".into(), "x".into(), 2)]);
    }

    #[test]
    fn comments_and_bom_and_crlf() {
        let f = p("\u{feff}[Unit]\r\n  # c\r\n;c\r\nA=1\r\n");
        assert_eq!(kv(&f), vec![("A".into(), "1".into(), 4)]);
    }

    #[test]
    fn problems_are_reported_with_lines() {
        let f = p("A=1\n[Unit]\nnoequals\n=x\n[Bogus]\nB=2\n[X-Ok]\nC=3\n[Broken\n");
        let msgs: Vec<(u32, Severity, &str)> = f
            .diagnostics
            .iter()
            .map(|d| (d.span.line, d.severity, d.message.as_str()))
            .collect();
        assert_eq!(
            msgs,
            vec![
                (1, Severity::Warning, "Assignment outside of section. Ignoring."),
                (3, Severity::Warning, "Missing '=', ignoring line."),
                (4, Severity::Warning, "Missing key name before '=', ignoring line."),
                (5, Severity::Warning, "Unknown section 'Bogus'. Ignoring."),
                (9, Severity::Error, "Invalid section header '[Broken'"),
            ]
        );
        // The X- section is kept, the unknown one is not.
        assert_eq!(kv(&f), vec![("C".into(), "3".into(), 8)]);
        assert!(f.has_errors());
    }

    #[test]
    fn equals_in_value_and_empty_value() {
        let f = p("[Service]\nEnvironment=A=b=c\nExecStart=\n");
        assert_eq!(
            kv(&f),
            vec![("Environment".into(), "A=b=c".into(), 2), ("ExecStart".into(), "".into(), 3)]
        );
    }
}
