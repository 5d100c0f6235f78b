//! The systemd unit-file language, read the way systemd 252 reads it.
//!
//! Layers, bottom up:
//!
//! - [`diag`]: [`Span`]s and [`Diagnostic`]s that every later layer uses to
//!   point at file:line.
//! - [`syntax`]: lines → sections and `key=value` entries (comments,
//!   continuations, section headers), no knowledge of directives.
//! - [`value`]: typed parsers for the value of one assignment (time spans,
//!   sizes, command lines, environment, …), dispatched by
//!   [`directive::Kind`].

pub mod diag;
pub mod syntax;

pub use diag::{Diagnostic, Severity, Span};
pub mod directive;
pub mod value;
