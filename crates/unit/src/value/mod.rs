//! Typed parsers for the value of one `Key=value` assignment.
//!
//! The directive table names a [`Kind`] for every key; [`parse`] (or
//! [`parse_with_warnings`]) turns the raw text into a [`Value`] according
//! to it. Each parser follows what systemd 252 does for that syntax — its
//! quirks included, since real unit files depend on them — and says where
//! in its module essay. The parsers are pure: no file system, no
//! environment, no logging. Specifier expansion (`%n`, `%i`, …) is the
//! caller's: it passes a callback, and we apply it where systemd does (per
//! word after unquoting for lists and command lines, on the whole value
//! otherwise, never for numbers, booleans, time spans, sizes and signals).
//!
//! Rules shared by every kind:
//!
//! - An empty value (only blanks) is [`Value::Empty`]. For most directives
//!   systemd reads it as "reset to the default / clear the list"; which one
//!   is the directive's business. Capability lists are the exception: there
//!   the empty value is the empty set.
//! - The value ends at a NUL byte, as a C string would.
//! - `Err` means systemd would ignore the whole assignment ("…, ignoring")
//!   — or, for [`ValueError::is_fatal`] errors, refuse the unit. Problems
//!   systemd logs while still using the rest of the value (one bad word in
//!   a list) are pushed to the warning list.
//!
//! Modules, by topic:
//!
//! - [`words`]: quoting and C escapes (`extract_first_word()`), used by
//!   every list;
//! - [`boolean`], [`number`] (integers, nice, OOM score, weights, CPU
//!   quota), [`size`] (bytes, percentages), [`time`] (spans, printing),
//!   [`mode`], [`signal`], [`exit_status`], [`limit`] (`Limit*=`),
//!   [`cpuset`];
//! - [`exec`] (command lines and `$VAR` expansion), [`env`]
//!   (`Environment=`, environment files);
//! - [`path`] (paths and unit names), [`stdio`], [`listen`], [`caps`]
//!   (capabilities, secure bits), [`syslog`], [`condition`].

pub mod boolean;
pub mod caps;
pub mod condition;
pub mod cpuset;
pub mod env;
mod error;
pub mod exec;
pub mod exit_status;
pub mod limit;
pub mod listen;
pub mod mode;
pub mod number;
pub mod path;
pub mod signal;
pub mod size;
pub mod stdio;
pub mod syslog;
pub mod time;
pub mod words;

pub use caps::{CapabilitySet, SecureBits};
pub use condition::Condition;
pub use cpuset::CpuSet;
pub use error::{ExecErrorReason, ValueError};
pub use exec::{Argv, ExecCommand, ExecFlags};
pub use exit_status::ExitStatusSet;
pub use limit::Rlimit;
pub use listen::ListenAddress;
pub use number::Weight;
pub use size::{MemoryLimit, Size};
pub use stdio::{StdInput, StdOutput};
pub use time::Usec;

use crate::directive::Kind;
use path::{absolute_path, path_is_absolute, unit_name_is_valid, UnitNameFlags};
use words::{ExtractFlags, Words, WHITESPACE};

/// One entry of a path list (`ReadWritePaths=`, `RequiresMountsFor=`, …).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PathEntry {
    /// Absolute and simplified.
    pub path: String,
    /// `-` prefix: a missing path is not an error.
    pub ignore_missing: bool,
    /// `+` prefix (after any `-`): relative to `RootDirectory=`.
    pub root_relative: bool,
}

/// The parsed value of one assignment. Several kinds share a variant when
/// their results have the same shape; the caller knows the kind it asked
/// for.
///
/// Every loaded unit keeps one per assignment for its life, so no payload
/// is wider than three words (32 bytes with the tag): a value of 40 made
/// each assignment an 80-byte slot instead of 72 (`Settings`' size test).
/// Hence `Box<str>` rather than `String` in the few two-field payloads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// The value was empty.
    Empty,
    Bool(bool),
    /// `Kind::Int`, `Kind::Nice`, `Kind::OomScoreAdjust`.
    Int(i64),
    Unsigned(u64),
    /// `Kind::Seconds`, `Kind::Usec`.
    Timespan(Usec),
    /// `Kind::Nsec`: nanoseconds, `u64::MAX` is infinity.
    Nsec(u64),
    Size(Size),
    /// `Kind::SizeOrPercent`.
    MemoryLimit(MemoryLimit),
    /// `Kind::Percent`, in 1/10000 (`20%` is 2000).
    Permyriad(u32),
    Mode(u32),
    Signal(i32),
    /// Boxed, as `Listen` is: the two largest payloads (40 and 48 bytes)
    /// would set the size of every value a loaded unit keeps.
    ExitStatusSet(Box<ExitStatusSet>),
    /// `Kind::String`, `Kind::Unit`, `Kind::Path` (simplified),
    /// `Kind::Calendar`, `Kind::Raw`; specifiers expanded.
    String(String),
    /// `Kind::Strings`, `Kind::Units`, `Kind::EnvNames`.
    Strings(Vec<String>),
    /// `Kind::Paths`.
    Paths(Vec<PathEntry>),
    /// `Kind::Exec`: one or more commands (`;`-separated).
    Exec(Vec<ExecCommand>),
    /// `Kind::Environment`: `(name, value)` in order, names unique.
    Environment(Vec<(String, String)>),
    /// `Kind::EnvironmentFile`: the path (a glob is allowed) and whether it
    /// had the `-` prefix.
    EnvironmentFile { path: Box<str>, optional: bool },
    Condition(Condition),
    /// `Kind::Enum`: the member of the kind's list that matched.
    Enum(&'static str),
    Limit(Rlimit),
    Weight(Weight),
    CpuSet(CpuSet),
    /// `CPUAffinity=numa`: take the CPUs from the NUMA policy.
    CpuAffinityNuma,
    Capabilities(CapabilitySet),
    SecureBits(SecureBits),
    /// Unshifted facility number (`daemon` is 3).
    SyslogFacility(u8),
    SyslogLevel(u8),
    Input(StdInput),
    Output(StdOutput),
    Listen(Box<ListenAddress>),
}

/// A specifier-expansion callback, as [`parse`] takes it.
pub type Expand<'a> = dyn FnMut(&str) -> Result<String, String> + 'a;

/// Parse `raw` as `kind`, dropping warnings. See [`parse_with_warnings`].
pub fn parse(kind: Kind, raw: &str, expand: &mut Expand<'_>) -> Result<Value, ValueError> {
    let mut warnings = Vec::new();
    parse_with_warnings(kind, raw, expand, &mut warnings)
}

fn expanded(text: &str, expand: &mut Expand<'_>) -> Result<String, ValueError> {
    expand(text).map_err(|reason| ValueError::Specifier { text: text.to_string(), reason })
}

/// Parse `raw` as `kind`. Problems that systemd logs without rejecting the
/// assignment are appended to `warnings`.
pub fn parse_with_warnings(
    kind: Kind,
    raw: &str,
    expand: &mut Expand<'_>,
    warnings: &mut Vec<ValueError>,
) -> Result<Value, ValueError> {
    let raw = match raw.find('\0') {
        Some(nul) => &raw[..nul],
        None => raw,
    };
    if raw.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        // An empty capability list is the empty *set* (`CapabilityBoundingSet=`
        // drops every capability in systemd 252's `--test` dump), not a
        // reset to the default.
        if kind == Kind::Capabilities {
            return Ok(Value::Capabilities(CapabilitySet::default()));
        }
        return Ok(Value::Empty);
    }
    let mut value = match kind {
        Kind::String | Kind::Raw => Value::String(expanded(raw, expand)?),
        Kind::Strings => Value::Strings(parse_strings(raw, expand, warnings)?),
        Kind::Bool => Value::Bool(boolean::parse_boolean(raw)?),
        Kind::Int => Value::Int(number::parse_int(raw)?),
        Kind::Unsigned => Value::Unsigned(number::parse_unsigned(raw)?),
        Kind::Seconds => Value::Timespan(time::parse_sec(raw)?),
        Kind::Usec => Value::Timespan(time::parse_usec(raw)?),
        Kind::Nsec => Value::Nsec(time::parse_nsec(raw)?),
        Kind::Size => Value::Size(size::parse_size_or_infinity(raw)?),
        Kind::SizeOrPercent => Value::MemoryLimit(size::parse_memory_limit(raw)?),
        Kind::Percent => Value::Permyriad(number::parse_cpu_quota(raw)?),
        Kind::Mode => Value::Mode(mode::parse_mode(raw)?),
        Kind::Signal => Value::Signal(signal::signal_from_string(raw)?),
        Kind::ExitStatusSet => Value::ExitStatusSet(Box::new(exit_status::parse_exit_status_set(raw, warnings)?)),
        Kind::Unit => {
            let name = expanded(raw, expand)?;
            if !unit_name_is_valid(&name, UnitNameFlags::DEPENDENCY) {
                return Err(ValueError::UnitName(name));
            }
            Value::String(name)
        }
        Kind::Units => Value::Strings(parse_units(raw, expand, warnings)?),
        Kind::Path => Value::String(absolute_path(&expanded(raw, expand)?)?),
        Kind::Paths => Value::Paths(parse_paths(raw, expand, warnings)?),
        Kind::Exec => Value::Exec(exec::parse_exec(raw, expand, warnings)?),
        Kind::Environment => Value::Environment(env::parse_environment(raw, expand, warnings)),
        Kind::EnvironmentFile => {
            let path = expanded(raw, expand)?;
            let (optional, p) = match path.strip_prefix('-') {
                Some(p) => (true, p),
                None => (false, path.as_str()),
            };
            if !path_is_absolute(p) {
                return Err(ValueError::PathNotAbsolute(path));
            }
            Value::EnvironmentFile { path: p.into(), optional }
        }
        Kind::EnvNames => Value::Strings(env::parse_env_names(raw, expand, warnings)),
        Kind::Condition => Value::Condition(condition::parse_condition(raw, expand)?),
        Kind::Enum(members) => Value::Enum(parse_enum(raw, members)?),
        Kind::Limit(unit) => Value::Limit(limit::parse_rlimit(raw, unit)?),
        Kind::Nice => Value::Int(number::parse_nice(raw)?.into()),
        Kind::OomScoreAdjust => Value::Int(number::parse_oom_score_adjust(raw)?.into()),
        Kind::Weight => Value::Weight(number::parse_cpu_weight(raw)?),
        Kind::CpuSet => {
            let text = expanded(raw, expand)?;
            if text == "numa" {
                Value::CpuAffinityNuma
            } else {
                Value::CpuSet(cpuset::parse_cpu_set(&text, warnings)?)
            }
        }
        Kind::Capabilities => Value::Capabilities(caps::parse_capabilities(raw, warnings)),
        Kind::SecureBits => Value::SecureBits(caps::parse_secure_bits(raw, warnings)),
        Kind::SyslogFacility => Value::SyslogFacility(syslog::parse_syslog_facility(raw)?),
        Kind::SyslogLevel => Value::SyslogLevel(syslog::parse_syslog_level(raw)?),
        Kind::Input => Value::Input(stdio::parse_input(raw, expand)?),
        Kind::Output => Value::Output(stdio::parse_output(raw, expand, warnings)?),
        Kind::Listen => Value::Listen(Box::new(listen::parse_listen(&expanded(raw, expand)?)?)),
        Kind::Calendar => Value::String(expanded(raw, expand)?),
    };
    value.shrink_to_fit();
    Ok(value)
}

impl Value {
    /// Give back the room a list grew into while it was parsed: a value
    /// is kept for the unit's life, and a list grown by doubling holds up
    /// to 4 slots for 1 word (`WantedBy=multi-user.target`: 96 bytes for
    /// 24 in every unit).
    fn shrink_to_fit(&mut self) {
        match self {
            Value::Strings(v) => v.shrink_to_fit(),
            Value::Paths(v) => v.shrink_to_fit(),
            Value::Exec(v) => v.shrink_to_fit(),
            Value::Environment(v) => v.shrink_to_fit(),
            _ => {}
        }
    }
}

/// The words of a list, or the first splitting error pushed as a warning
/// (systemd keeps the words before it: "Invalid syntax, ignoring").
fn next_or_warn(words: &mut Words<'_>, warnings: &mut Vec<ValueError>) -> Option<String> {
    match words.next_word() {
        Ok(w) => w,
        Err(e) => {
            warnings.push(e);
            None
        }
    }
}

/// Quoted words, no C escapes (a backslash makes the next character
/// literal), each specifier-expanded; a specifier failure drops the rest of
/// the line. This is how systemd 252 splits `SupplementaryGroups=` and most
/// string lists; `Documentation=` differs only in keeping backslashes,
/// which URLs do not contain.
fn parse_strings(raw: &str, expand: &mut Expand<'_>, warnings: &mut Vec<ValueError>) -> Result<Vec<String>, ValueError> {
    let mut out = Vec::new();
    let mut words = Words::new(raw, WHITESPACE, ExtractFlags::UNQUOTE);
    while let Some(word) = next_or_warn(&mut words, warnings) {
        match expanded(&word, expand) {
            Ok(w) => out.push(w),
            Err(e) => {
                warnings.push(e);
                break;
            }
        }
    }
    Ok(out)
}

/// `config_parse_unit_deps()`: words split at blanks with backslashes kept
/// and quotes not special; invalid names are skipped with a warning.
fn parse_units(raw: &str, expand: &mut Expand<'_>, warnings: &mut Vec<ValueError>) -> Result<Vec<String>, ValueError> {
    let mut out: Vec<String> = Vec::new();
    let mut words = Words::new(raw, WHITESPACE, ExtractFlags::RETAIN_ESCAPE);
    while let Some(word) = next_or_warn(&mut words, warnings) {
        let name = match expanded(&word, expand) {
            Ok(n) => n,
            Err(e) => {
                warnings.push(e);
                continue;
            }
        };
        if !unit_name_is_valid(&name, UnitNameFlags::DEPENDENCY) {
            warnings.push(ValueError::UnitName(name));
            continue;
        }
        out.push(name);
    }
    Ok(out)
}

/// `config_parse_namespace_path_strv()`: quoted words, optional `-` then
/// `+` prefix, specifiers, absolute and normalized paths. Bad entries are
/// skipped with a warning.
fn parse_paths(raw: &str, expand: &mut Expand<'_>, warnings: &mut Vec<ValueError>) -> Result<Vec<PathEntry>, ValueError> {
    let mut out = Vec::new();
    let mut words = Words::new(raw, WHITESPACE, ExtractFlags::UNQUOTE);
    while let Some(word) = next_or_warn(&mut words, warnings) {
        let mut w = word.as_str();
        let ignore_missing = w.starts_with('-');
        if ignore_missing {
            w = &w[1..];
        }
        let root_relative = w.starts_with('+');
        if root_relative {
            w = &w[1..];
        }
        let checked = expanded(w, expand).and_then(|p| absolute_path(&p));
        match checked {
            Ok(path) => out.push(PathEntry { path, ignore_missing, root_relative }),
            Err(e) => warnings.push(e),
        }
    }
    Ok(out)
}

/// A member of `members`, matched exactly. Tables that contain both `yes`
/// and `no` are systemd's "with boolean" tables (`ProtectSystem=`,
/// `ProtectHome=`, …), which accept every boolean spelling for those two.
fn parse_enum(raw: &str, members: &'static [&'static str]) -> Result<&'static str, ValueError> {
    if let Some(&m) = members.iter().find(|m| **m == raw) {
        return Ok(m);
    }
    if members.contains(&"yes") && members.contains(&"no") {
        if let Ok(b) = boolean::parse_boolean(raw) {
            return Ok(if b { "yes" } else { "no" });
        }
    }
    Err(ValueError::Enum { text: raw.to_string(), expected: members.join(", ") })
}

#[cfg(test)]
mod tests;
