//! Unit-name rules the generators need: validity, mangling an arbitrary
//! string into a unit name, and escaping `%` specifiers — as systemd 252's
//! `unit_name_is_valid()`, `unit_name_mangle()`, `unit_name_build()` and
//! `specifier_escape()` behave (see `systemd.unit(5)`, "Description", for
//! the allowed characters).
//!
//! Kept private to the generators: they need exactly systemd's mangling to
//! reproduce the names `systemd-sysv-generator` picks, nothing more.

/// Longest unit name plus one (`UNIT_NAME_MAX`).
const UNIT_NAME_MAX: usize = 256;

const UNIT_TYPES: &[&str] = &[
    "service",
    "mount",
    "swap",
    "socket",
    "target",
    "device",
    "automount",
    "timer",
    "path",
    "slice",
    "scope",
];

/// Characters allowed in a unit name prefix (`VALID_CHARS`).
fn valid_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.' | '\\')
}

fn valid_char_with_at(c: char) -> bool {
    c == '@' || valid_char(c)
}

/// The type suffix of a valid unit name (`"service"`, `"target"`, …).
pub fn unit_type(name: &str) -> Option<&str> {
    if !is_valid(name) {
        return None;
    }
    name.rsplit_once('.').map(|(_, t)| t)
}

/// `unit_name_is_valid(name, UNIT_NAME_ANY)`: plain, template or instance.
pub fn is_valid(name: &str) -> bool {
    if name.is_empty() || name.len() >= UNIT_NAME_MAX {
        return false;
    }
    let Some(dot) = name.rfind('.') else {
        return false;
    };
    if dot == 0 || !UNIT_TYPES.contains(&&name[dot + 1..]) {
        return false;
    }
    let prefix = &name[..dot];
    prefix.chars().all(valid_char_with_at) && !prefix.starts_with('@')
}

/// `unit_name_build(prefix, NULL, suffix)`: `prefix` may not contain `@`.
pub fn build(prefix: &str, suffix: &str) -> Option<String> {
    if prefix.is_empty() || !prefix.chars().all(valid_char) {
        return None;
    }
    let s = format!("{prefix}{suffix}");
    is_valid(&s).then_some(s)
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
    if is_valid(name) {
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
        } else if b.is_ascii() && valid_char_with_at(c) {
            s.push(c);
        } else {
            push_hex_escape(&mut s, b);
        }
    }
    if unit_type(&s).is_none() {
        s.push_str(".service");
    }
    is_valid(&s).then_some(s)
}

/// `unit_name_from_path()`: `/var/lib/x` → `var-lib-x.mount`.
fn from_path(path: &str, suffix: &str) -> Option<String> {
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
                || !(b.is_ascii() && valid_char(c))
            {
                push_hex_escape(&mut s, b);
            } else {
                s.push(c);
            }
        }
    }
    s.push_str(suffix);
    is_valid(&s).then_some(s)
}

/// `specifier_escape()`: double every `%` so the loader reads it literally.
pub fn escape_specifiers(s: &str) -> String {
    s.replace('%', "%%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity() {
        assert!(is_valid("foo.service"));
        assert!(is_valid("foo@.service"));
        assert!(is_valid("foo@bar.socket"));
        assert!(!is_valid("@foo.service"));
        assert!(!is_valid("foo"));
        assert!(!is_valid(".service"));
        assert!(!is_valid("foo.bogus"));
        assert!(!is_valid("fo o.service"));
        assert!(!is_valid(&format!("{}.service", "a".repeat(250))));
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
    fn building_and_escaping() {
        assert_eq!(
            build("x-display-manager", ".target").as_deref(),
            Some("x-display-manager.target")
        );
        assert_eq!(build("a@b", ".target"), None);
        assert_eq!(build("", ".target"), None);
        assert_eq!(escape_specifiers("50% /x%i"), "50%% /x%%i");
    }
}
