//! The one error type of the value parsers.
//!
//! Every variant carries the offending text, so that a caller can print
//! `file:line: <message>` the way systemd's `log_syntax()` does without
//! knowing which parser failed. Messages follow systemd's wording where
//! systemd has one ("Failed to parse signal name, ignoring: …" becomes
//! "Failed to parse signal name: …"; whether the value is then ignored is
//! the caller's decision, not ours).
//!
//! The same type doubles as the *warning* type: list-valued directives
//! (`Environment=`, `Wants=`, `ExecStart=` with a `-` prefix, …) keep
//! going after a bad element in systemd, logging a warning. Our parsers
//! return the good elements and push a `ValueError` describing each bad
//! one into the caller's warning list (see
//! [`crate::value::parse_with_warnings`]).

/// Why a value could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Quotes opened but never closed (or a lone trailing backslash inside
    /// quotes).
    #[error("Unbalanced quoting: \"{0}\"")]
    UnbalancedQuoting(String),
    /// An unknown or refused C escape (`\q`, `\x00`, `\U00110000`).
    #[error("Invalid escape sequence in \"{0}\"")]
    InvalidEscape(String),
    /// A non-fatal variant of the above: systemd kept the backslash verbatim
    /// and logged this. Only ever pushed as a warning.
    #[error("Ignoring unknown escape sequences: \"{0}\"")]
    UnknownEscapeIgnored(String),
    /// Escapes produced bytes that are not UTF-8 (`\xff` alone).
    #[error("Invalid UTF-8 after unescaping: \"{0}\"")]
    InvalidUtf8(String),
    /// The specifier expansion callback refused the text.
    #[error("Failed to resolve unit specifiers in '{text}': {reason}")]
    Specifier { text: String, reason: String },

    #[error("Failed to parse boolean value: {0}")]
    Bool(String),
    #[error("Failed to parse time span '{0}'")]
    Timespan(String),
    #[error("Time span '{0}' is out of range")]
    TimespanRange(String),
    #[error("Failed to parse size '{0}'")]
    Size(String),
    #[error("Size '{0}' is out of range")]
    SizeRange(String),
    #[error("Failed to parse percentage '{0}'")]
    Percent(String),
    #[error("Percentage '{0}' is out of range")]
    PercentRange(String),
    #[error("Failed to parse mode value: {0}")]
    Mode(String),
    #[error("Failed to parse number: {0}")]
    Number(String),
    /// A syntactically valid number outside the range the directive allows.
    #[error("Value out of range ({min}…{max}): {text}")]
    Range { text: String, min: i128, max: i128 },
    #[error("Failed to parse signal name: {0}")]
    Signal(String),
    #[error("Failed to parse exit status or signal: {0}")]
    ExitStatus(String),
    #[error("Failed to parse resource value: {0}")]
    Limit(String),
    #[error("Soft resource limit chosen higher than hard limit: {0}")]
    LimitSoftAboveHard(String),
    #[error("Failed to parse CPU set '{0}'")]
    CpuSet(String),
    #[error("Range '{0}' is invalid, lower bound above upper bound")]
    CpuRangeReversed(String),
    #[error("Cannot add CPU {0} to set: Numerical result out of range")]
    CpuTooLarge(u64),
    #[error("Unknown capability '{0}'")]
    Capability(String),
    #[error("Unknown secure bit '{0}'")]
    SecureBit(String),
    #[error("Failed to parse log facility: {0}")]
    SyslogFacility(String),
    #[error("Failed to parse log level: {0}")]
    SyslogLevel(String),
    #[error("Failed to parse input specifier: {0}")]
    Input(String),
    #[error("Failed to parse output specifier: {0}")]
    Output(String),
    /// `syslog`/`syslog+console` outputs; systemd maps them and warns.
    #[error("Standard output type {old} is obsolete, automatically updating to {new}")]
    ObsoleteOutput { old: String, new: &'static str },
    #[error("Invalid file descriptor name: {0}")]
    FdName(String),
    #[error("Failed to parse address value '{0}'")]
    Listen(String),
    #[error("Invalid value '{text}', expected one of: {expected}")]
    Enum { text: String, expected: String },
    #[error("Empty value where one is required")]
    Empty,

    #[error("Path is not absolute: {0}")]
    PathNotAbsolute(String),
    #[error("Path is not normalized: {0}")]
    PathNotNormalized(String),
    #[error("Path has invalid length ({0} bytes)")]
    PathLength(usize),
    #[error("Invalid unit name: {0}")]
    UnitName(String),

    #[error("Invalid environment assignment: {0}")]
    EnvAssignment(String),
    #[error("Invalid environment variable name: {0}")]
    EnvName(String),
    #[error("Invalid environment name or assignment: {0}")]
    EnvNameOrAssignment(String),
    #[error("line {line}: invalid UTF-8 in environment file")]
    EnvFileUtf8 { line: u32 },

    /// A command line systemd refuses. `fatal` is true when systemd would
    /// refuse the whole unit (no `-` prefix on the command); with `-` it only
    /// logs and skips the command, and we report it as a warning.
    #[error("{reason}{}: {text}", if *.fatal { "" } else { ", ignoring" })]
    Exec { reason: ExecErrorReason, text: String, fatal: bool },
}

/// What is wrong with a command line (`systemd.service(5)`, "COMMAND
/// LINES"). The display strings are systemd 252's log messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExecErrorReason {
    #[error("Empty path in command line")]
    EmptyPath,
    #[error("Executable name contains special characters")]
    SpecialCharacters,
    #[error("Executable path specifies a directory")]
    Directory,
    #[error("Neither a valid executable name nor an absolute path")]
    NotAbsoluteOrName,
    #[error("Empty executable name or zeroeth argument")]
    EmptyArgv0,
    #[error("Unbalanced quoting")]
    UnbalancedQuoting,
    #[error("Failed to resolve unit specifiers")]
    Specifier,
    #[error("Invalid UTF-8 in command line")]
    InvalidUtf8,
}

impl ValueError {
    /// True when systemd refuses to load the unit because of this error
    /// (`bad-setting`), rather than logging it and ignoring the assignment.
    /// Of the value parsers only command lines without `-` do that.
    pub fn is_fatal(&self) -> bool {
        matches!(self, ValueError::Exec { fatal: true, .. })
    }
}
