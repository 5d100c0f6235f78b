//! The systemd unit-file language, read the way systemd 252 reads it.
//!
//! Layers, bottom up:
//!
//! - [`diag`]: [`Span`]s and [`Diagnostic`]s that every later layer uses to
//!   point at file:line.
//! - [`syntax`]: lines → sections and `key=value` entries (comments,
//!   continuations, section headers), no knowledge of directives.
//! - [`generator`]: SysV init scripts and xinetd services → unit files,
//!   written into a generator output directory.

pub mod diag;
pub mod generator;
pub mod syntax;

pub use diag::{Diagnostic, Severity, Span};
pub mod directive;
