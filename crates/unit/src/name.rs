//! Unit names: validation, types, templates and instances, escaping.
//!
//! A unit name is `PREFIX[@INSTANCE].TYPE` (`systemd.unit(5)`,
//! "Description"): at most 255 bytes, made of ASCII letters, digits and
//! `:-_.\`, with at most one `@`. `foo@.service` is a *template*,
//! `foo@bar.service` an *instance* of it; `foo.service` is plain.
//!
//! [`UnitName`] is the parsed, validated form. It is cheap to query (the
//! positions of `@` and of the type suffix are remembered) because the loader
//! and the engine ask "what type?", "which template?" for every unit.
//!
//! Escaping follows `systemd-escape(1)`: `/` becomes `-`, bytes outside the
//! allowed set (and a leading `.`) become `\xNN`; path escaping first
//! normalises the path (duplicate and trailing slashes removed, `/` alone is
//! `-`).

use std::fmt;

use thiserror::Error;

/// `UNIT_NAME_MAX` in systemd: the longest valid name is 255 bytes.
pub const UNIT_NAME_MAX: usize = 255;

/// The unit types of `systemd.unit(5)`, in systemd's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UnitType {
    Service,
    Mount,
    Swap,
    Socket,
    Target,
    Device,
    Automount,
    Timer,
    Path,
    Slice,
    Scope,
}

impl UnitType {
    pub const ALL: [UnitType; 11] = [
        UnitType::Service,
        UnitType::Mount,
        UnitType::Swap,
        UnitType::Socket,
        UnitType::Target,
        UnitType::Device,
        UnitType::Automount,
        UnitType::Timer,
        UnitType::Path,
        UnitType::Slice,
        UnitType::Scope,
    ];

    /// The suffix without the dot: `service`, `socket`, …
    pub fn as_str(self) -> &'static str {
        match self {
            UnitType::Service => "service",
            UnitType::Mount => "mount",
            UnitType::Swap => "swap",
            UnitType::Socket => "socket",
            UnitType::Target => "target",
            UnitType::Device => "device",
            UnitType::Automount => "automount",
            UnitType::Timer => "timer",
            UnitType::Path => "path",
            UnitType::Slice => "slice",
            UnitType::Scope => "scope",
        }
    }

    pub fn from_word(s: &str) -> Option<UnitType> {
        UnitType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The suffix with its dot: `".service"`.
    pub fn suffix(self) -> &'static str {
        match self {
            UnitType::Service => ".service",
            UnitType::Mount => ".mount",
            UnitType::Swap => ".swap",
            UnitType::Socket => ".socket",
            UnitType::Target => ".target",
            UnitType::Device => ".device",
            UnitType::Automount => ".automount",
            UnitType::Timer => ".timer",
            UnitType::Path => ".path",
            UnitType::Slice => ".slice",
            UnitType::Scope => ".scope",
        }
    }

    /// The type whose suffix is exactly `suffix` (with the dot).
    pub fn from_suffix(suffix: &str) -> Option<UnitType> {
        UnitType::from_word(suffix.strip_prefix('.')?)
    }

    /// The type of a unit name such as `foo@bar.service`: whatever follows
    /// the last dot.
    pub fn from_unit_name(name: &str) -> Option<UnitType> {
        UnitType::from_word(&name[name.rfind('.')? + 1..])
    }

    /// Whether unit files of this type may be templates (`systemd.unit(5)`:
    /// slices and scopes cannot; devices are never loaded from files).
    pub fn can_be_template(self) -> bool {
        !matches!(self, UnitType::Slice | UnitType::Scope | UnitType::Device)
    }
}

impl fmt::Display for UnitType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NameError {
    #[error("unit name is empty")]
    Empty,
    #[error("unit name \"{0}\" is longer than {UNIT_NAME_MAX} bytes")]
    TooLong(String),
    #[error("unit name \"{0}\" has no valid type suffix")]
    NoType(String),
    #[error("unit name \"{0}\" contains invalid character {1:?}")]
    BadChar(String, char),
    #[error("unit name \"{0}\" has an empty prefix")]
    EmptyPrefix(String),
    #[error("unit type {1} of \"{0}\" cannot be a template or instance")]
    NoTemplates(String, UnitType),
    #[error("\"{0}\" is not a template name")]
    NotTemplate(String),
    #[error("instance \"{0}\" is not valid in a unit name")]
    BadInstance(String),
}

/// What kind of name it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameKind {
    Plain,
    Template,
    Instance,
}

/// A validated unit name.
///
/// 24 bytes: the text is a `Box<str>` (a name never grows) and the
/// positions are `u8`s (a valid name has at most [`UNIT_NAME_MAX`] bytes).
/// Every loaded unit keeps its id and its names for the manager's life, and
/// a `String` with `usize` positions was 56 bytes each.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitName {
    name: Box<str>,
    /// Byte index of `@`, if any.
    at: Option<u8>,
    /// Byte index of the `.` before the type suffix.
    dot: u8,
    ty: UnitType,
}

fn valid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '\\' | '@')
}

/// [`valid_char`] for one byte of the name: every valid character is
/// ASCII, so a byte scan decides as the char scan did, without decoding
/// UTF-8 (a parse is done for every name a connection's instance is known
/// under; the char scan and two char searches were most of its cost).
fn valid_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.' | b'\\' | b'@')
}

impl UnitName {
    pub fn parse(name: &str) -> Result<UnitName, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.len() > UNIT_NAME_MAX {
            return Err(NameError::TooLong(name.to_string()));
        }
        // One pass over the bytes finds the first bad character, the last
        // `.` and the first `@`. A bad byte is the first byte of its char:
        // every byte before it is ASCII.
        let (mut dot, mut first_at) = (None, None);
        for (i, &b) in name.as_bytes().iter().enumerate() {
            if !valid_byte(b) {
                let c = name[i..].chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
                return Err(NameError::BadChar(name.to_string(), c));
            }
            if b == b'.' {
                dot = Some(i);
            } else if b == b'@' && first_at.is_none() {
                first_at = Some(i);
            }
        }
        let dot = dot.ok_or_else(|| NameError::NoType(name.to_string()))?;
        let ty = UnitType::from_word(&name[dot + 1..])
            .ok_or_else(|| NameError::NoType(name.to_string()))?;
        // The first `@` splits prefix and instance; systemd's
        // `unit_name_is_valid()` accepts further `@` inside the instance
        // (`unit_instance_is_valid()`: "We allow additional @ in the
        // instance string, we do not allow them in the prefix!"). An `@`
        // after the last `.` is in the type word, which then did not parse.
        let at = first_at.filter(|&a| a < dot);
        if at.is_some()
            && !ty.can_be_template() {
                return Err(NameError::NoTemplates(name.to_string(), ty));
            }
        let prefix_end = at.unwrap_or(dot);
        if prefix_end == 0 {
            return Err(NameError::EmptyPrefix(name.to_string()));
        }
        // Both fit: `name.len() <= UNIT_NAME_MAX` (255) was checked above.
        Ok(UnitName { name: name.into(), at: at.map(|a| a as u8), dot: dot as u8, ty })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn unit_type(&self) -> UnitType {
        self.ty
    }

    fn at(&self) -> Option<usize> {
        self.at.map(usize::from)
    }

    fn dot(&self) -> usize {
        usize::from(self.dot)
    }

    pub fn kind(&self) -> NameKind {
        match self.at() {
            None => NameKind::Plain,
            Some(at) if at + 1 == self.dot() => NameKind::Template,
            Some(_) => NameKind::Instance,
        }
    }

    pub fn is_template(&self) -> bool {
        self.kind() == NameKind::Template
    }

    pub fn is_instance(&self) -> bool {
        self.kind() == NameKind::Instance
    }

    /// The part before `@` (or before the suffix for plain names): `%p`.
    pub fn prefix(&self) -> &str {
        &self.name[..self.at().unwrap_or(self.dot())]
    }

    /// The instance string as written (still escaped): `%i`. Empty for
    /// templates, `None` for plain names.
    pub fn instance(&self) -> Option<&str> {
        self.at().map(|at| &self.name[at + 1..self.dot()])
    }

    /// The name without the type suffix: `foo@bar` for `foo@bar.service`.
    pub fn stem(&self) -> &str {
        &self.name[..self.dot()]
    }

    /// `foo@.service` for `foo@bar.service`; `None` for plain names.
    pub fn template(&self) -> Option<UnitName> {
        // Built, not parsed again: `PREFIX@.TYPE` of a valid name is valid,
        // shorter, and `parse` would find the same `@`, `.` and type.
        let at = self.at()?;
        let tail = &self.name[self.dot()..];
        let mut t = String::with_capacity(at + 1 + tail.len());
        t.push_str(&self.name[..=at]);
        t.push_str(tail);
        Some(UnitName { name: t.into_boxed_str(), at: self.at, dot: self.at? + 1, ty: self.ty })
    }

    /// `foo@INSTANCE.service` from the template `foo@.service`.
    pub fn with_instance(&self, instance: &str) -> Result<UnitName, NameError> {
        if !self.is_template() {
            return Err(NameError::NotTemplate(self.name.to_string()));
        }
        if instance.is_empty() || !instance.bytes().all(valid_byte) {
            return Err(NameError::BadInstance(instance.to_string()));
        }
        // Built, not parsed again: the template's prefix and type are
        // valid, the instance's characters too, and the type's `.` stays
        // the last one; only the length can fail, as `parse` says it.
        let (at, tail) = (self.dot() - 1, &self.name[self.dot()..]);
        let mut n = String::with_capacity(at + 1 + instance.len() + tail.len());
        n.push_str(&self.name[..=at]);
        n.push_str(instance);
        n.push_str(tail);
        if n.len() > UNIT_NAME_MAX {
            return Err(NameError::TooLong(n));
        }
        let dot = (n.len() - tail.len()) as u8;
        Ok(UnitName { name: n.into_boxed_str(), at: self.at, dot, ty: self.ty })
    }

    /// Names of the prefix drop-in directories for this unit, most general
    /// first: for `foo-bar-baz.service` that is `foo-.service`,
    /// `foo-bar-.service` (`systemd.unit(5)`, "Description": "…drop-ins for
    /// foo-bar-baz.service are also searched in foo-.service.d/ and
    /// foo-bar-.service.d/"). Only the dashes of the prefix (before `@`)
    /// count, and an instance keeps its instance: `a-b@x.service` →
    /// `a-@x.service`, as systemd 252's `unit_file_find_dirs()` builds it
    /// (checked with `systemd --test`); a template gives plain names
    /// (`a-b@.service` → `a-.service`). The template's own prefixes
    /// (`a-@.service`, reached through `a-b@.service`) are not included:
    /// `load` walks the full expansion.
    pub fn dash_prefixes(&self) -> Vec<String> {
        let prefix = self.prefix();
        let tail = match self.kind() {
            NameKind::Instance => &self.name[prefix.len()..],
            _ => &self.name[self.dot()..],
        };
        let mut out = Vec::new();
        for (i, c) in prefix.char_indices() {
            // A dash at position 0 or at the end does not make a prefix.
            if c == '-' && i > 0 && i + 1 < prefix.len() {
                out.push(format!("{}-{}", &prefix[..i], tail));
            }
        }
        out
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnitName({})", self.name)
    }
}

impl AsRef<str> for UnitName {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

/// `systemd-escape STRING`: `/` → `-`, disallowed bytes and a leading `.`
/// → `\xNN`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b if b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'.') => {
                out.push(b as char)
            }
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// `systemd-escape --path PATH`: normalise, drop the leading and trailing
/// `/`, then escape; the root directory is `-`.
pub fn escape_path(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    if parts.is_empty() {
        return "-".to_string();
    }
    escape(&parts.join("/"))
}

/// `systemd-escape --unescape`: `-` → `/`, `\xNN` → byte. Invalid escapes
/// are kept literally (systemd's `unit_name_unescape` would fail; callers
/// that need strictness validate the name first).
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' => {
                out.push(b'/');
                i += 1;
            }
            b'\\' if i + 3 < bytes.len() && bytes[i + 1] == b'x' => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 4;
                    }
                    None => {
                        out.push(b'\\');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `systemd-escape --unescape --path`: unescape and make absolute.
pub fn unescape_path(s: &str) -> String {
    if s == "-" {
        return "/".to_string();
    }
    let u = unescape(s);
    if u.starts_with('/') {
        u
    } else {
        format!("/{u}")
    }
}

/// `unit_name_build(prefix, NULL, suffix)`: `prefix` may not contain `@`.
pub fn build(prefix: &str, suffix: &str) -> Option<String> {
    if prefix.is_empty() || !prefix.chars().all(|c| valid_char(c) && c != '@') {
        return None;
    }
    let s = format!("{prefix}{suffix}");
    UnitName::parse(&s).is_ok().then_some(s)
}

fn push_hex_escape(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('\\');
    out.push('x');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 15)]));
}

/// `unit_name_mangle(name, 0)`: make `name` a valid unit name, appending
/// `.service` when it has no unit suffix. `None` when no valid name can be
/// made (empty, or too long after escaping).
pub fn mangle(name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    if UnitName::parse(name).is_ok() {
        return Some(name.to_string());
    }
    if name.starts_with("/dev/") || name.starts_with("/sys/") {
        if let Some(n) = from_path(name, ".device") {
            return Some(n);
        }
    }
    if name.starts_with('/') {
        if let Some(n) = from_path(name, ".mount") {
            return Some(n);
        }
    }
    let mut s = String::with_capacity(name.len() + 8);
    for b in name.bytes() {
        let c = char::from(b);
        if b == b'/' {
            s.push('-');
        } else if b.is_ascii() && valid_char(c) {
            s.push(c);
        } else {
            push_hex_escape(&mut s, b);
        }
    }
    if UnitType::from_unit_name(&s).is_none() {
        s.push_str(".service");
    }
    UnitName::parse(&s).is_ok().then_some(s)
}

/// `unit_name_from_path()`: `/var/lib/x` → `var-lib-x.mount`.
pub fn from_path(path: &str, suffix: &str) -> Option<String> {
    let comps: Vec<&str> = path.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if comps.contains(&"..") {
        return None;
    }
    let mut s = String::new();
    if comps.is_empty() {
        s.push('-');
    } else {
        let joined = comps.join("/");
        for (i, b) in joined.bytes().enumerate() {
            let c = char::from(b);
            if b == b'/' {
                s.push('-');
            } else if (i == 0 && b == b'.')
                || b == b'-'
                || b == b'\\'
                || !(b.is_ascii() && valid_char(c) && c != '@')
            {
                push_hex_escape(&mut s, b);
            } else {
                s.push(c);
            }
        }
    }
    s.push_str(suffix);
    UnitName::parse(&s).is_ok().then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_kinds() {
        let n = UnitName::parse("foo.service").unwrap();
        assert_eq!((n.kind(), n.prefix(), n.instance()), (NameKind::Plain, "foo", None));
        let t = UnitName::parse("getty@.service").unwrap();
        assert_eq!((t.kind(), t.prefix(), t.instance()), (NameKind::Template, "getty", Some("")));
        let i = UnitName::parse("getty@tty1.service").unwrap();
        assert_eq!(i.kind(), NameKind::Instance);
        assert_eq!(i.instance(), Some("tty1"));
        assert_eq!(i.template().unwrap().as_str(), "getty@.service");
        assert_eq!(t.with_instance("tty2").unwrap().as_str(), "getty@tty2.service");
        assert_eq!(i.unit_type(), UnitType::Service);
        assert_eq!(i.stem(), "getty@tty1");
    }

    #[test]
    fn invalid_names() {
        assert_eq!(UnitName::parse(""), Err(NameError::Empty));
        assert!(matches!(UnitName::parse("foo"), Err(NameError::NoType(_))));
        assert!(matches!(UnitName::parse("foo.bar"), Err(NameError::NoType(_))));
        assert!(matches!(UnitName::parse(".service"), Err(NameError::EmptyPrefix(_))));
        assert!(matches!(UnitName::parse("@x.service"), Err(NameError::EmptyPrefix(_))));
        // Extra '@' belong to the instance, as in systemd.
        let n = UnitName::parse("a@b@c.service").unwrap();
        assert_eq!((n.prefix(), n.instance()), ("a", Some("b@c")));
        assert!(UnitName::parse("a@.service").unwrap().with_instance("x@y").is_ok());
        assert!(matches!(UnitName::parse("a b.service"), Err(NameError::BadChar(_, ' '))));
        assert!(matches!(UnitName::parse("a@.slice"), Err(NameError::NoTemplates(..))));
        let long = format!("{}.service", "a".repeat(250));
        assert!(matches!(UnitName::parse(&long), Err(NameError::TooLong(_))));
        assert!(UnitName::parse("systemd-fsck@dev-disk-by\\x2duuid-1.service").is_ok());
    }

    #[test]
    fn dash_prefixes() {
        let n = UnitName::parse("foo-bar-baz.service").unwrap();
        assert_eq!(n.dash_prefixes(), vec!["foo-.service", "foo-bar-.service"]);
        let n = UnitName::parse("a-b@x-y.service").unwrap();
        assert_eq!(n.dash_prefixes(), vec!["a-@x-y.service"]);
        let n = UnitName::parse("a-b@.service").unwrap();
        assert_eq!(n.dash_prefixes(), vec!["a-.service"]);
        assert!(UnitName::parse("-.slice").unwrap().dash_prefixes().is_empty());
        assert!(UnitName::parse("plain.service").unwrap().dash_prefixes().is_empty());
    }

    #[test]
    fn mangling_matches_systemd() {
        assert_eq!(mangle("apache2").as_deref(), Some("apache2.service"));
        assert_eq!(mangle("foo.socket").as_deref(), Some("foo.socket"));
        assert_eq!(mangle("a b").as_deref(), Some("a\\x20b.service"));
        assert_eq!(mangle("foo@").as_deref(), Some("foo@.service"));
        assert_eq!(mangle("x+y").as_deref(), Some("x\\x2by.service"));
        assert_eq!(mangle("/var/lib-x").as_deref(), Some("var-lib\\x2dx.mount"));
        assert_eq!(mangle("/dev/sda").as_deref(), Some("dev-sda.device"));
        assert_eq!(mangle(""), None);
        assert_eq!(mangle(&"a".repeat(300)), None);
    }

    #[test]
    fn building() {
        assert_eq!(build("x-display-manager", ".target").as_deref(), Some("x-display-manager.target"));
        assert_eq!(build("a@b", ".target"), None);
        assert_eq!(build("", ".target"), None);
    }

    #[test]
    fn escaping_matches_systemd_escape() {
        assert_eq!(escape("foo/bar baz"), "foo-bar\\x20baz");
        assert_eq!(escape(".hidden"), "\\x2ehidden");
        assert_eq!(escape("a-b"), "a\\x2db");
        assert_eq!(escape_path("/dev/sda1"), "dev-sda1");
        assert_eq!(escape_path("/"), "-");
        assert_eq!(escape_path("//var//lib/"), "var-lib");
        assert_eq!(unescape("foo-bar\\x20baz"), "foo/bar baz");
        assert_eq!(unescape_path("dev-sda1"), "/dev/sda1");
        assert_eq!(unescape_path("-"), "/");
    }

    /// The names `template()` and `with_instance()` build without parsing
    /// are the ones parsing their text gives, field for field; the byte
    /// scan of `parse` rejects and reports as the char scan did.
    #[test]
    fn built_names_equal_parsed_ones() {
        for inst in ["foo@bar.service", "a-b@x.y.z.socket", "e@0-127.0.0.1:80-127.0.0.1:5.service", "t@a@b.target", "x@\\x2d.mount"] {
            let n = UnitName::parse(inst).unwrap();
            let t = n.template().unwrap();
            assert_eq!(t, UnitName::parse(t.as_str()).unwrap(), "{inst}");
            let back = t.with_instance(n.instance().unwrap()).unwrap();
            assert_eq!(back, n, "{inst}");
            assert_eq!(back, UnitName::parse(back.as_str()).unwrap());
        }
        let t = UnitName::parse("p@.service").unwrap();
        let long = "i".repeat(UNIT_NAME_MAX);
        assert_eq!(t.with_instance(&long), Err(NameError::TooLong(format!("p@{long}.service"))));
        let fits = "i".repeat(UNIT_NAME_MAX - "p@.service".len());
        assert_eq!(t.with_instance(&fits).unwrap().as_str().len(), UNIT_NAME_MAX);
        assert!(matches!(t.with_instance("a/b"), Err(NameError::BadInstance(_))));
        assert_eq!(UnitName::parse("fö.service"), Err(NameError::BadChar("fö.service".into(), 'ö')));
        assert_eq!(UnitName::parse("a b.service"), Err(NameError::BadChar("a b.service".into(), ' ')));
        assert_eq!(UnitName::parse("foo.serv@ice"), Err(NameError::NoType("foo.serv@ice".into())));
        assert_eq!(UnitName::parse("foo"), Err(NameError::NoType("foo".into())));
        assert_eq!(UnitName::parse("@x.service"), Err(NameError::EmptyPrefix("@x.service".into())));
        assert!(matches!(UnitName::parse("s@x.slice"), Err(NameError::NoTemplates(..))));
        let n = UnitName::parse("a.b@c.service").unwrap();
        assert_eq!((n.prefix(), n.instance()), ("a.b", Some("c")));
    }
}
