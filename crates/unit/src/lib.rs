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
//! - [`specifier`]: `%n`, `%i`, `%H`… expansion with a [`specifier::Host`]
//!   that [`host`] reads from a root.
//! - [`directive`]: the one table of every directive systemd knows.
//! - [`load`]: the search-path scan ([`load::UnitIndex`]) and the assembly
//!   of one unit from its fragment, aliases, drop-ins and `.wants/` links.
//! - [`config`]: a unit fully read — every assignment parsed and merged,
//!   dependencies (explicit, implicit, default) computed.
//! - [`generator`]: SysV init scripts and xinetd services → unit files,
//!   written into a generator output directory.
//! - [`value`]: typed parsers for the value of one assignment (time spans,
//!   sizes, command lines, environment, …), dispatched by
//!   [`directive::Kind`].
//! - [`install`]: the `[Install]` logic of `systemctl enable`, `disable`,
//!   `mask`, `preset`, `is-enabled`, `list-unit-files`… on unit files.
//! - [`condition`]: evaluating `Condition…=`/`Assert…=` checks against a
//!   root, the host and the manager's credentials and environment.
//! - [`few`]: the one-word list the loaded units keep their rarely used
//!   lists in.
//! - [`calendar`]: calendar events (`OnCalendar=`): parsing, normalized
//!   form, next elapse, and the time-zone code (TZif, POSIX rules) they need.

pub mod calendar;
pub mod condition;
pub mod config;
pub mod diag;
pub mod directive;
pub mod few;
pub mod generator;
pub mod host;
pub mod install;
pub mod load;
pub mod mountinfo;
pub mod name;
pub mod paths;
pub mod specifier;
pub mod syntax;
pub mod value;

pub use diag::{Diagnostic, Severity, Span};
pub use name::{UnitName, UnitType};
pub use paths::{LookupPaths, Scope};
