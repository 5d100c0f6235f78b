//! One configuration line to one [`Item`] (tmpfiles.d(5), "CONFIGURATION
//! FILE FORMAT"), as systemd 252's `parse_line()` reads it.
//!
//! The first six fields — type, path, mode, user, group, age — are split
//! at blanks with quoting: `"…"` and `'…'` group blanks, a backslash makes
//! the next character literal. Despite the manual's "Fields may contain
//! C-style escapes", 252 does *not* decode `\x41` in these fields (the
//! backslash just quotes the `x`); we follow the tool. Everything after the
//! sixth field, verbatim and with inner blanks, is the argument; `-` alone
//! means none. For `f F w L C` the argument is C-unescaped and then
//! specifier-expanded; for the other kinds it is used as written. What
//! `f`/`w` write is exactly that text: 252 appends no newline (the
//! manual's "suffixed by a newline" is not what the tool does), so
//! `w /proc/sys/… - - - - 1` writes one byte and `hello\n` spells its
//! newline out.
//!
//! Outcomes are graded the way systemd grades them:
//!
//! - *invalid configuration* ([`Severity::Error`]): bad syntax, unknown
//!   type or modifier, unknown specifier, relative path, bad mode or age,
//!   unknown user or group. The line is dropped, the others still apply,
//!   and the run's exit status is 65 (`EX_DATAERR`);
//! - *skipped* ([`Severity::Skipped`]): an unresolvable specifier (`%m`
//!   with no machine id yet), a `^` line whose credential is not passed.
//!   Dropped on purpose, not an error;
//! - *failed* ([`Severity::Failed`]): the line cannot be used (a bad
//!   credential name, base64 that does not decode) and is dropped, but
//!   systemd does not count it as invalid configuration. (Given such a
//!   line in a file named on its command line, 252 aborts the whole run
//!   with status 1; we keep applying the other lines, as it does for the
//!   files it finds in the configuration directories.)
//! - *warnings* ([`Severity::Warning`]): part of the line is ignored (an
//!   argument on a type that takes none, an unparsable ACL or xattr).
//!
//! Modifiers (tmpfiles.d(5), "Type Modifiers"): `!` boot only, `+` append
//! or force, `-` failure tolerated at create, `=` replace mistyped
//! objects, `~` argument is base64, `^` argument names a credential read
//! from `$CREDENTIALS_DIRECTORY` (we implement it: when no such directory
//! or file exists the line is skipped, exactly as systemd does). Each may
//! appear once.
//!
//! Main function: [`parse_line`].

use std::path::{Path, PathBuf};

use unit::value::words::{ExtractFlags, Words, WHITESPACE};

use crate::acl;
use crate::fs::Root;
use crate::item::{AgeBy, Item, Kind, Origin};
use crate::spec::{SpecError, Specifiers};
use crate::users::{LookupError, UserDb};

/// How bad a diagnostic is; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Invalid configuration: the line is dropped and the run's exit
    /// status becomes 65.
    Error,
    /// The line cannot be used (a bad credential name, undecodable
    /// base64) and is dropped, but systemd does not count it as invalid
    /// configuration.
    Failed,
    /// Part of the line is ignored.
    Warning,
    /// The line is dropped on purpose (unresolvable specifier, credential
    /// not passed, …).
    Skipped,
    /// For information (`/var/run` rewritten, duplicate line).
    Notice,
}

/// A message about one line of one file.
#[derive(Debug)]
pub struct Diagnostic {
    pub origin: Origin,
    pub severity: Severity,
    pub error: LineError,
    /// From a `!` line: it only counts when applying with `--boot`.
    pub boot_only: bool,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.origin, self.error)
    }
}

/// Everything that can be said about a line.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("Failed to parse line: {0}")]
    Syntax(String),
    #[error("Syntax error.")]
    TooShort,
    #[error("Unknown modifiers in command '{0}'.")]
    Modifiers(String),
    #[error("Failed to replace specifiers in '{0}': {1}")]
    PathSpecifier(String, String),
    #[error("Failed to resolve specifier '%{0}': {1}, skipping.")]
    Unresolvable(char, &'static str),
    #[error("Path '{0}' not absolute.")]
    NotAbsolute(String),
    #[error("Unknown command type '{0}'.")]
    UnknownType(String),
    #[error("base64 decoding not supported for {0}.")]
    Base64NotSupported(&'static str),
    #[error("{0} requires argument.")]
    NeedsArgument(&'static str),
    #[error("Can't parse device file major/minor '{0}'.")]
    DeviceNumber(String),
    #[error("Unknown file attribute '{0}' on '{1}'.")]
    UnknownAttribute(char, String),
    #[error("Setting file attribute on '{0}' needs an attribute specification.")]
    EmptyAttribute(String),
    #[error("Failed to substitute specifiers in argument: {0}")]
    ArgumentSpecifier(String),
    #[error("Failed to unescape parameter to write: {0}")]
    ArgumentEscape(String),
    #[error("Source path '{0}' is not absolute.")]
    CopySourceNotAbsolute(String),
    #[error("Failed to base64 decode specified argument '{0}'.")]
    Base64(String),
    #[error("Reading from credential requested, but no credential name specified.")]
    NoCredentialName,
    #[error("Credential name not valid: {0}")]
    CredentialName(String),
    #[error("Credential '{0}' not specified, skipping line.")]
    CredentialMissing(String),
    #[error("Failed to read credential '{0}': {1}")]
    Credential(String, std::io::Error),
    #[error("Failed to resolve user '{0}': {1}")]
    User(String, LookupError),
    #[error("Failed to resolve group '{0}': {1}")]
    Group(String, LookupError),
    #[error("Invalid mode '{0}'.")]
    Mode(String),
    #[error("Invalid age-by '{0}'.")]
    AgeBy(String),
    #[error("Invalid age '{0}'.")]
    Age(String),
    #[error("{0} lines don't take argument fields, ignoring.")]
    ArgumentIgnored(char),
    #[error("Failed to parse extended attribute '{0}', ignoring.")]
    Xattr(String),
    #[error("Failed to parse ACL \"{0}\", ignoring: {1}")]
    Acl(String, acl::AclParseError),
    #[error("Line references path below legacy directory /var/run/, updating {0} → {1}; please update the tmpfiles.d/ drop-in file accordingly.")]
    VarRun(String, String),
    #[error("Duplicate line for path \"{0}\", ignoring.")]
    Duplicate(String),
    #[error("Failed to read configuration file: {0}")]
    File(std::io::Error),
    // What applying says about a line, beside failures.
    #[error("We lack the privilege to create device nodes (CAP_MKNOD or the device cgroup), skipping {0}.")]
    NoMknod(PathBuf),
    #[error("\"{0}\" already exists and is not a {1}.")]
    OtherType(PathBuf, &'static str),
    #[error("Copy source path '{0}' does not exist, skipping line.")]
    CopySourceMissing(PathBuf),
    #[error("ACLs are not supported by the file system at {0}, ignoring.")]
    AclUnsupported(PathBuf),
    #[error("Cannot set file attribute for '{0}', value=0x{1:08x}, mask=0x{2:08x}, ignoring: {3}")]
    Attribute(PathBuf, u32, u32, std::io::Error),
}

/// What parsing needs besides the line.
pub struct ParseContext<'a> {
    pub spec: Specifiers<'a>,
    pub root: &'a Root,
    pub users: &'a mut UserDb,
    /// `$CREDENTIALS_DIRECTORY`, for `^` lines.
    pub credentials: Option<&'a Path>,
    pub prefixes: &'a Prefixes,
}

/// `--prefix=`/`--exclude-prefix=`/`-E`: which paths lines may touch.
/// A line outside is dropped once its type is checked, before its
/// argument, owner, mode and age are looked at (so their errors are not
/// reported), as systemd's `should_include_path()` does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Prefixes {
    pub include: Vec<PathBuf>,
    pub exclude: Vec<PathBuf>,
}

impl Prefixes {
    /// `-E`: leave the API file systems alone (`/dev`, `/proc`, `/run`,
    /// `/sys`), as when preparing an image whose mounts will cover them.
    pub fn exclude_api_file_systems() -> Prefixes {
        Prefixes { include: Vec::new(), exclude: ["/dev", "/proc", "/run", "/sys"].iter().map(PathBuf::from).collect() }
    }

    /// Whether a line for `path` applies (component-wise prefixes).
    pub fn includes(&self, path: &Path) -> bool {
        if self.exclude.iter().any(|p| path.starts_with(p)) {
            return false;
        }
        self.include.is_empty() || self.include.iter().any(|p| path.starts_with(p))
    }
}

/// The outcome of one line: maybe an item, and what was said about it.
pub struct Parsed {
    pub item: Option<Item>,
    pub diagnostics: Vec<Diagnostic>,
    /// A `!` line: systemd ignores it, errors included, without `--boot`.
    pub boot_only: bool,
}

struct Out<'o> {
    origin: &'o Origin,
    diags: Vec<Diagnostic>,
    boot_only: bool,
}

impl Out<'_> {
    fn say(&mut self, severity: Severity, error: LineError) {
        self.diags.push(Diagnostic { origin: self.origin.clone(), severity, error, boot_only: self.boot_only });
    }

    fn fail(mut self, severity: Severity, error: LineError) -> Parsed {
        self.say(severity, error);
        Parsed { item: None, diagnostics: self.diags, boot_only: self.boot_only }
    }
}

/// `path_simplify()`: drop `.` components, duplicate and trailing slashes.
pub fn simplify(path: &str) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.split('/') {
        if c.is_empty() || c == "." {
            continue;
        }
        out.push(c);
    }
    out
}

fn parse_mode(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    u32::from_str_radix(s, 8).ok().filter(|&m| m <= 0o7777)
}

/// `parse_devnum()`: `MAJOR:MINOR`, each fitting the kernel's limits.
fn parse_devnum(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once(':')?;
    let ok = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    if !ok(a) || !ok(b) {
        return None;
    }
    let major: u32 = a.parse().ok()?;
    let minor: u32 = b.parse().ok()?;
    (major < (1 << 12) && minor < (1 << 20)).then_some((major, minor))
}

/// `h`/`H` attribute letters (chattr(1)) to `(value, mask)`.
pub fn parse_attributes(arg: &str, path: &str) -> Result<(u32, u32), LineError> {
    const TABLE: [(char, u32); 15] = [
        ('A', 0x0000_0080), // FS_NOATIME_FL
        ('S', 0x0000_0008), // FS_SYNC_FL
        ('D', 0x0001_0000), // FS_DIRSYNC_FL
        ('a', 0x0000_0020), // FS_APPEND_FL
        ('c', 0x0000_0004), // FS_COMPR_FL
        ('d', 0x0000_0040), // FS_NODUMP_FL
        ('e', 0x0008_0000), // FS_EXTENT_FL
        ('i', 0x0000_0010), // FS_IMMUTABLE_FL
        ('j', 0x0000_4000), // FS_JOURNAL_DATA_FL
        ('s', 0x0000_0001), // FS_SECRM_FL
        ('u', 0x0000_0002), // FS_UNRM_FL
        ('t', 0x0000_8000), // FS_NOTAIL_FL
        ('T', 0x0002_0000), // FS_TOPDIR_FL
        ('C', 0x0080_0000), // FS_NOCOW_FL
        ('P', 0x2000_0000), // FS_PROJINHERIT_FL
    ];
    let all: u32 = TABLE.iter().fold(0, |m, (_, v)| m | v);
    let (mode, rest) = match arg.chars().next() {
        Some('+') => ('+', &arg[1..]),
        Some('-') => ('-', &arg[1..]),
        Some('=') => ('=', &arg[1..]),
        _ => ('+', arg),
    };
    if rest.is_empty() && mode != '=' {
        return Err(LineError::EmptyAttribute(path.to_string()));
    }
    let (mut value, mut mask) = (0u32, 0u32);
    for c in rest.chars() {
        let v = TABLE
            .iter()
            .find(|(l, _)| *l == c)
            .map(|(_, v)| *v)
            .ok_or_else(|| LineError::UnknownAttribute(c, path.to_string()))?;
        if mode != '-' {
            value |= v;
        }
        mask |= v;
    }
    if mode == '=' {
        mask |= all;
    }
    Ok((value, mask))
}

/// `parse_age_by_from_arg()`: lower case for files, upper case for
/// directories, blanks ignored.
fn parse_age_by(s: &str) -> Option<(AgeBy, AgeBy)> {
    let (mut f, mut d) = (0u8, 0u8);
    for c in s.chars() {
        if WHITESPACE.contains(c) {
            continue;
        }
        let bit = match c.to_ascii_lowercase() {
            'a' => AgeBy::ATIME,
            'b' => AgeBy::BTIME,
            'c' => AgeBy::CTIME,
            'm' => AgeBy::MTIME,
            _ => return None,
        };
        if c.is_ascii_lowercase() {
            f |= bit;
        } else {
            d |= bit;
        }
    }
    if f == 0 && d == 0 {
        return None;
    }
    Some((
        if f != 0 { AgeBy(f) } else { AgeBy::DEFAULT_FILE },
        if d != 0 { AgeBy(d) } else { AgeBy::DEFAULT_DIR },
    ))
}

/// RFC 4648 base64, blanks ignored, padding optional
/// (`unbase64mem()`).
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut nbits = 0u32;
    let mut out = Vec::new();
    let mut pad = 0;
    for c in s.bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            pad += 1;
            continue;
        }
        if pad > 0 {
            return None;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | v as u32;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    if pad > 2 || nbits >= 6 {
        return None;
    }
    Some(out)
}

/// `credential_name_valid()`: a plain file name.
fn credential_name_valid(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/') && s.len() <= 255
}

/// Parse one line (already stripped, not a comment).
pub fn parse_line(ctx: &mut ParseContext<'_>, origin: &Origin, line: &str) -> Parsed {
    let mut out = Out { origin, diags: Vec::new(), boot_only: false };
    let mut words = Words::new(line, WHITESPACE, ExtractFlags::UNQUOTE);
    let mut fields: Vec<String> = Vec::with_capacity(6);
    while fields.len() < 6 {
        match words.next_word() {
            Ok(Some(w)) => fields.push(w),
            Ok(None) => break,
            Err(e) => return out.fail(Severity::Error, LineError::Syntax(e.to_string())),
        }
    }
    if fields.len() < 2 {
        return out.fail(Severity::Error, LineError::TooShort);
    }
    let argument = words.rest().filter(|a| !a.is_empty() && *a != "-").map(str::to_string);
    let field = |i: usize| fields.get(i).map(String::as_str).filter(|s| !s.is_empty() && *s != "-");
    let action = fields[0].clone();

    let mut chars = action.chars();
    let Some(type_char) = chars.next() else {
        return out.fail(Severity::Error, LineError::TooShort);
    };
    let (mut boot, mut plus, mut minus, mut equals, mut unbase64, mut cred) = (false, false, false, false, false, false);
    for m in chars {
        let slot = match m {
            '!' => &mut boot,
            '+' => &mut plus,
            '-' => &mut minus,
            '=' => &mut equals,
            '~' => &mut unbase64,
            '^' => &mut cred,
            _ => return out.fail(Severity::Error, LineError::Modifiers(action.clone())),
        };
        if *slot {
            return out.fail(Severity::Error, LineError::Modifiers(action.clone()));
        }
        *slot = true;
    }
    out.boot_only = boot;

    // Path: specifiers, /var/run → /run, absolute, normalized.
    let raw_path = fields[1].clone();
    let expanded = match ctx.spec.expand(&raw_path) {
        Ok(p) => p,
        Err(SpecError::Unresolvable(c, why)) => {
            return out.fail(Severity::Skipped, LineError::Unresolvable(c, why));
        }
        Err(SpecError::Unknown(c)) => {
            let why = format!("unknown specifier '%{c}'");
            return out.fail(Severity::Error, LineError::PathSpecifier(raw_path, why));
        }
    };
    let mut path_str = expanded;
    if let Some(rest) = path_str.strip_prefix("/var/run/") {
        if !rest.trim_matches('/').is_empty() {
            let patched = format!("/run/{rest}");
            out.say(Severity::Notice, LineError::VarRun(path_str.clone(), patched.clone()));
            path_str = patched;
        }
    }
    if !path_str.starts_with('/') {
        return out.fail(Severity::Error, LineError::NotAbsolute(path_str));
    }
    let path = simplify(&path_str);

    let Some(kind) = Kind::from_char(type_char) else {
        return out.fail(Severity::Error, LineError::UnknownType(type_char.to_string()));
    };

    let mut item = Item {
        kind,
        path,
        argument: argument.clone(),
        content: None,
        xattrs: Vec::new(),
        acl: None,
        attributes: None,
        uid: None,
        gid: None,
        mode: 0,
        mode_set: false,
        uid_only_create: false,
        gid_only_create: false,
        mode_only_create: false,
        mask_perms: false,
        age: None,
        age_by_file: AgeBy::DEFAULT_FILE,
        age_by_dir: AgeBy::DEFAULT_DIR,
        keep_first_level: false,
        major_minor: None,
        boot_only: boot,
        append_or_force: plus,
        allow_failure: minus,
        try_replace: equals,
        origin: origin.clone(),
    };

    use Kind::*;
    match kind {
        CreateDirectory | CreateSubvolume | CreateSubvolumeInheritQuota | CreateSubvolumeNewQuota
        | EmptyDirectory | TruncateDirectory | CreateFifo | IgnorePath | IgnoreDirectoryPath | RemovePath
        | RecursiveRemovePath | AdjustMode | RelabelPath | RecursiveRelabelPath => {
            if argument.is_some() {
                out.say(Severity::Warning, LineError::ArgumentIgnored(type_char));
            }
        }
        CreateFile | TruncateFile => {}
        CreateSymlink if unbase64 => {
            return out.fail(Severity::Error, LineError::Base64NotSupported("symlink targets"));
        }
        CreateSymlink => {}
        WriteFile if argument.is_none() => {
            return out.fail(Severity::Error, LineError::NeedsArgument("Write file"));
        }
        WriteFile => {}
        CopyFiles if unbase64 => {
            return out.fail(Severity::Error, LineError::Base64NotSupported("copy sources"));
        }
        CopyFiles => {}
        CreateCharDevice | CreateBlockDevice => {
            if unbase64 {
                return out.fail(Severity::Error, LineError::Base64NotSupported("device node creation"));
            }
            let Some(a) = &argument else {
                return out.fail(Severity::Error, LineError::NeedsArgument("Device file"));
            };
            match parse_devnum(a) {
                Some(mm) => item.major_minor = Some(mm),
                None => return out.fail(Severity::Error, LineError::DeviceNumber(a.clone())),
            }
        }
        SetXattr | RecursiveSetXattr => {
            if unbase64 {
                return out.fail(Severity::Error, LineError::Base64NotSupported("extended attributes"));
            }
            let Some(a) = &argument else {
                return out.fail(Severity::Error, LineError::NeedsArgument("Set extended attribute"));
            };
            let mut w = Words::new(a, WHITESPACE, ExtractFlags::UNQUOTE | ExtractFlags::CUNESCAPE);
            loop {
                match w.next_word() {
                    Ok(Some(x)) => match x.split_once('=') {
                        Some((n, v)) if !n.is_empty() && !v.is_empty() => {
                            item.xattrs.push((n.to_string(), v.to_string()))
                        }
                        _ => out.say(Severity::Warning, LineError::Xattr(x)),
                    },
                    Ok(None) => break,
                    Err(_) => {
                        out.say(Severity::Warning, LineError::Xattr(w.rest().unwrap_or("").to_string()));
                        break;
                    }
                }
            }
        }
        SetAcl | RecursiveSetAcl => {
            if unbase64 {
                return out.fail(Severity::Error, LineError::Base64NotSupported("ACLs"));
            }
            let Some(a) = &argument else {
                return out.fail(Severity::Error, LineError::NeedsArgument("Set ACLs"));
            };
            let root = ctx.root;
            let users = &mut *ctx.users;
            let mut resolve = |is_user: bool, name: &str| {
                if is_user {
                    users.uid(root, name).ok()
                } else {
                    users.gid(root, name).ok()
                }
            };
            match acl::parse(a, !plus, &mut resolve) {
                Ok(spec) => item.acl = Some(spec),
                Err(e) => out.say(Severity::Warning, LineError::Acl(a.clone(), e)),
            }
        }
        SetAttribute | RecursiveSetAttribute => {
            if unbase64 {
                return out.fail(Severity::Error, LineError::Base64NotSupported("file attributes"));
            }
            let Some(a) = &argument else {
                return out.fail(Severity::Error, LineError::NeedsArgument("Set file attribute"));
            };
            match parse_attributes(a, &item.path.display().to_string()) {
                Ok(v) => item.attributes = Some(v),
                Err(e) => return out.fail(Severity::Error, e),
            }
        }
    }

    if !ctx.prefixes.includes(&item.path) {
        return Parsed { item: None, diagnostics: out.diags, boot_only: out.boot_only };
    }

    // Argument: unescape and expand for the kinds that write or point.
    if !unbase64 {
        if matches!(kind, CopyFiles | CreateSymlink | CreateFile | TruncateFile | WriteFile) {
            if let Some(a) = &item.argument {
                let unescaped = match unit::value::words::cunescape(a) {
                    Ok(u) => u,
                    Err(e) => return out.fail(Severity::Error, LineError::ArgumentEscape(e.to_string())),
                };
                match ctx.spec.expand(&unescaped) {
                    Ok(v) => item.argument = Some(v),
                    Err(SpecError::Unresolvable(c, why)) => {
                        return out.fail(Severity::Skipped, LineError::Unresolvable(c, why))
                    }
                    Err(SpecError::Unknown(c)) => {
                        return out.fail(Severity::Error, LineError::ArgumentSpecifier(format!("unknown specifier '%{c}'")))
                    }
                }
            }
        }
        if matches!(kind, SetXattr | RecursiveSetXattr) {
            let mut expanded = Vec::new();
            for (n, v) in &item.xattrs {
                let n = ctx.spec.expand(n);
                let v = ctx.spec.expand(v);
                match (n, v) {
                    (Ok(n), Ok(v)) => expanded.push((n, v)),
                    (Err(SpecError::Unresolvable(c, why)), _) | (_, Err(SpecError::Unresolvable(c, why))) => {
                        return out.fail(Severity::Skipped, LineError::Unresolvable(c, why))
                    }
                    (Err(SpecError::Unknown(c)), _) | (_, Err(SpecError::Unknown(c))) => {
                        return out.fail(Severity::Error, LineError::ArgumentSpecifier(format!("unknown specifier '%{c}'")))
                    }
                }
            }
            item.xattrs = expanded;
        }
    }

    match kind {
        CreateSymlink if item.argument.is_none() => {
            item.argument = Some(format!("/usr/share/factory{}", item.path.display()));
        }
        CopyFiles => match &item.argument {
            None => item.argument = Some(format!("/usr/share/factory{}", item.path.display())),
            Some(a) if !a.starts_with('/') => {
                return out.fail(Severity::Error, LineError::CopySourceNotAbsolute(a.clone()));
            }
            Some(a) => item.argument = Some(simplify(a).display().to_string()),
        },
        _ => {}
    }

    if cred {
        let Some(name) = item.argument.clone() else {
            return out.fail(Severity::Failed, LineError::NoCredentialName);
        };
        if !credential_name_valid(&name) {
            return out.fail(Severity::Failed, LineError::CredentialName(name));
        }
        let Some(dir) = ctx.credentials else {
            return out.fail(Severity::Skipped, LineError::CredentialMissing(name));
        };
        match std::fs::read(dir.join(&name)) {
            Ok(data) => item.content = Some(data),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return out.fail(Severity::Skipped, LineError::CredentialMissing(name));
            }
            Err(e) => return out.fail(Severity::Failed, LineError::Credential(name, e)),
        }
    }

    if unbase64 {
        let source = match (&item.content, &item.argument) {
            (Some(c), _) => Some(String::from_utf8_lossy(c).into_owned()),
            (None, Some(a)) => Some(a.clone()),
            _ => None,
        };
        if let Some(s) = source {
            match base64_decode(&s) {
                Some(d) => item.content = Some(d),
                None => return out.fail(Severity::Failed, LineError::Base64(s)),
            }
        }
    }

    if let Some(u) = field(3) {
        let (name, only_create) = match u.strip_prefix(':') {
            Some(n) => (n, true),
            None => (u, false),
        };
        match ctx.users.uid(ctx.root, name) {
            Ok(id) => {
                item.uid = Some(id);
                item.uid_only_create = only_create;
            }
            Err(e) => return out.fail(Severity::Error, LineError::User(name.to_string(), e)),
        }
    }
    if let Some(g) = field(4) {
        let (name, only_create) = match g.strip_prefix(':') {
            Some(n) => (n, true),
            None => (g, false),
        };
        match ctx.users.gid(ctx.root, name) {
            Ok(id) => {
                item.gid = Some(id);
                item.gid_only_create = only_create;
            }
            Err(e) => return out.fail(Severity::Error, LineError::Group(name.to_string(), e)),
        }
    }

    match field(2) {
        Some(m) => {
            let mut rest = m;
            loop {
                if let Some(r) = rest.strip_prefix('~') {
                    item.mask_perms = true;
                    rest = r;
                } else if let Some(r) = rest.strip_prefix(':') {
                    item.mode_only_create = true;
                    rest = r;
                } else {
                    break;
                }
            }
            match parse_mode(rest) {
                Some(mode) => {
                    item.mode = mode;
                    item.mode_set = true;
                }
                None => return out.fail(Severity::Error, LineError::Mode(m.to_string())),
            }
        }
        None => item.mode = if kind.is_directory_like() { 0o755 } else { 0o644 },
    }

    if let Some(a) = field(5) {
        let mut rest = a;
        if let Some(r) = rest.strip_prefix('~') {
            item.keep_first_level = true;
            rest = r;
        }
        if let Some((by, secs)) = rest.split_once(':') {
            match parse_age_by(by) {
                Some((f, d)) => {
                    item.age_by_file = f;
                    item.age_by_dir = d;
                }
                None => return out.fail(Severity::Error, LineError::AgeBy(by.to_string())),
            }
            rest = secs;
        }
        match unit::value::time::parse_sec(rest) {
            Ok(u) => item.age = Some(u.0),
            Err(_) => return out.fail(Severity::Error, LineError::Age(rest.to_string())),
        }
    }

    Parsed { item: Some(item), diagnostics: out.diags, boot_only: out.boot_only }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(simplify("//a/./b//"), PathBuf::from("/a/b"));
        assert_eq!(parse_mode("0755"), Some(0o755));
        assert_eq!(parse_mode("2775"), Some(0o2775));
        assert_eq!(parse_mode("0788"), None);
        assert_eq!(parse_mode("17777"), None);
        assert_eq!(parse_devnum("1:3"), Some((1, 3)));
        assert_eq!(parse_devnum("1:"), None);
        assert_eq!(parse_devnum("4096:0"), None);
        assert_eq!(base64_decode("aGVsbG8K").unwrap(), b"hello\n");
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("a$").is_none());
        assert_eq!(parse_age_by("ab").unwrap(), (AgeBy(3), AgeBy::DEFAULT_DIR));
        assert_eq!(parse_age_by("M").unwrap(), (AgeBy::DEFAULT_FILE, AgeBy(8)));
        assert!(parse_age_by("z").is_none());
        assert_eq!(parse_attributes("+C", "/x").unwrap(), (0x0080_0000, 0x0080_0000));
        assert_eq!(parse_attributes("-d", "/x").unwrap(), (0, 0x40));
        assert!(parse_attributes("=", "/x").unwrap().1 != 0);
        assert!(parse_attributes("+Q", "/x").is_err());
        assert!(parse_attributes("+", "/x").is_err());
    }
}
