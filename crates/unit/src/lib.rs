//! The systemd unit-file language, read the way systemd 252 reads it.
//!
//! Layers, bottom up:
//!
//! - [`diag`]: [`Span`]s and [`Diagnostic`]s that every later layer uses to
//!   point at file:line.
//! - [`syntax`]: lines → sections and `key=value` entries (comments,
//!   continuations, section headers), no knowledge of directives.
//! - [`name`]: unit names ([`UnitName`], [`UnitType`]), templates,
//!   instances, `systemd-escape`.
//! - [`paths`]: the search path ([`LookupPaths`]) per [`Scope`], under a
//!   root; [`paths::chase`] resolves symlinks inside that root.
//! - [`specifier`]: `%n`, `%i`, `%H`… expansion with a [`specifier::Host`].
//! - [`directive`]: the one table of every directive systemd knows.
//! - [`install`]: the `[Install]` logic of `systemctl enable`, `disable`,
//!   `mask`, `preset`, `is-enabled`, `list-unit-files`… on unit files.

pub mod diag;
pub mod syntax;

pub use diag::{Diagnostic, Severity, Span};
pub mod directive;
pub mod install;
pub mod name;
pub mod paths;
pub mod specifier;

pub use name::{UnitName, UnitType};
pub use paths::{LookupPaths, Scope};
