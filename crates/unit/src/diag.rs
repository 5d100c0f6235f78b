//! Where a value came from, and what we have to say about it.
//!
//! Every value the parser hands out carries a [`Span`] (file, line, column,
//! all 1-based like an editor shows them), so that any later stage — the
//! typed parsers, the loader, `vigil verify`, the manager's load-time
//! messages — can point at the exact spot of a unit file.
//!
//! Problems found while reading are not `Err`s that refuse a whole unit:
//! systemd logs "Unknown key name …, ignoring" or "Failed to parse …,
//! ignoring" and carries on with the rest of the file. We collect the same
//! findings as [`Diagnostic`]s with a [`Severity`] and let the caller decide
//! how loud to be. Only conditions that make systemd refuse the unit (bad
//! syntax in the file structure is not one of them) become errors.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// A position in a unit file. Lines and columns start at 1.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: Arc<Path>,
    pub line: u32,
    pub col: u32,
}

impl Span {
    pub fn new(file: Arc<Path>, line: u32, col: u32) -> Span {
        Span { file, line, col }
    }

    /// A span for values that come from no file (built-in defaults, the
    /// command line). Printed as `<builtin>:0`.
    pub fn builtin() -> Span {
        thread_local! {
            static BUILTIN: Arc<Path> = Arc::from(Path::new("<builtin>"));
        }
        Span { file: BUILTIN.with(Arc::clone), line: 0, col: 0 }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something we keep but do not act on yet ("unsupported"), or other
    /// information worth showing in `verify`.
    Notice,
    /// systemd would log and ignore this (unknown key, unparsable value).
    Warning,
    /// systemd would refuse the unit, or `systemd-analyze verify` would
    /// exit non-zero because of it.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One finding about a unit file, always tied to a place in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    pub fn new(severity: Severity, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity, span, message: message.into() }
    }
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, span, message)
    }
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, span, message)
    }
    pub fn notice(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Notice, span, message)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.span, self.message)
    }
}
