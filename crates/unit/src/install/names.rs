//! Unit-name predicates on plain strings, exactly as `src/basic/unit-name.c`
//! of systemd 252 answers them.
//!
//! The install logic juggles names that are not (yet) valid — a symlink
//! called `foo`, an `Alias=` that names a directory, a preset glob — and
//! asks the same small questions of all of them: is this a valid name of
//! kind X, what is its template, its instance, its type. [`crate::UnitName`]
//! is the validated form the rest of the crate uses; here we need the
//! tri-state answers of `unit_name_is_valid(n, flags)` and friends on raw
//! strings, with systemd's quirks (a name's type is looked up *before* the
//! template rules: `foo@.slice` is a valid name that `enable` later refuses
//! with "unit type slice cannot be templated").

use crate::name::UnitType;

/// `UNIT_NAME_PLAIN`, `…_INSTANCE`, `…_TEMPLATE` as bit flags.
pub(crate) const PLAIN: u8 = 1;
pub(crate) const INSTANCE: u8 = 2;
pub(crate) const TEMPLATE: u8 = 4;
pub(crate) const ANY: u8 = PLAIN | INSTANCE | TEMPLATE;

/// `UNIT_NAME_MAX`: names must be shorter than 256 bytes.
const NAME_MAX: usize = 256;

fn valid_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.' | b'\\')
}

/// `unit_name_is_valid(n, flags)`.
pub(crate) fn is_valid(n: &str, flags: u8) -> bool {
    classify(n).map(|k| k & flags != 0).unwrap_or(false)
}

/// `unit_name_classify()`: which kind of valid name `n` is.
pub(crate) fn classify(n: &str) -> Option<u8> {
    if n.is_empty() || n.len() >= NAME_MAX {
        return None;
    }
    let dot = n.rfind('.')?;
    if dot == 0 {
        return None;
    }
    UnitType::from_word(&n[dot + 1..])?;
    let bytes = n.as_bytes();
    let mut at = None;
    for (i, &b) in bytes[..dot].iter().enumerate() {
        if b == b'@' {
            if at.is_none() {
                at = Some(i);
            }
        } else if !valid_char(b) {
            return None;
        }
    }
    match at {
        Some(0) => None,
        None => Some(PLAIN),
        Some(a) if a + 1 == dot => Some(TEMPLATE),
        Some(_) => Some(INSTANCE),
    }
}

/// `unit_name_to_type()`: only for valid names.
pub(crate) fn unit_type(n: &str) -> Option<UnitType> {
    classify(n)?;
    UnitType::from_word(&n[n.rfind('.')? + 1..])
}

/// The type suffix with its dot (`.service`); for sorting and display.
pub(crate) fn suffix(n: &str) -> Option<&str> {
    n.rfind('.').map(|d| &n[d..])
}

/// `unit_name_template()`: `foo@.service` for an instance or template.
pub(crate) fn template(n: &str) -> Option<String> {
    if !is_valid(n, INSTANCE | TEMPLATE) {
        return None;
    }
    let at = n.find('@')?;
    let dot = n.rfind('.')?;
    Some(format!("{}{}", &n[..=at], &n[dot..]))
}

/// `unit_name_to_instance()`: the instance (empty for templates), `None`
/// for plain names or invalid ones.
pub(crate) fn instance(n: &str) -> Option<&str> {
    classify(n)?;
    let at = n.find('@')?;
    let dot = n.rfind('.')?;
    Some(&n[at + 1..dot])
}

/// `unit_name_to_prefix()`: everything before the first `@` or last `.`.
pub(crate) fn prefix(n: &str) -> Option<&str> {
    classify(n)?;
    let end = n.find('@').or_else(|| n.rfind('.'))?;
    Some(&n[..end])
}

/// `unit_name_to_prefix_and_instance()`: the name without its suffix.
pub(crate) fn stem(n: &str) -> Option<&str> {
    classify(n)?;
    Some(&n[..n.rfind('.')?])
}

/// `unit_instance_is_valid()`: further `@` are allowed in instances.
pub(crate) fn instance_is_valid(i: &str) -> bool {
    !i.is_empty() && i.bytes().all(|b| b == b'@' || valid_char(b))
}

/// `unit_name_replace_instance()`.
pub(crate) fn replace_instance(n: &str, inst: &str) -> Option<String> {
    if !is_valid(n, INSTANCE | TEMPLATE) || !instance_is_valid(inst) {
        return None;
    }
    let at = n.find('@')?;
    let dot = n.rfind('.')?;
    let s = format!("{}{}{}", &n[..=at], inst, &n[dot..]);
    is_valid(&s, INSTANCE).then_some(s)
}

/// `unit_type_may_alias()`.
pub(crate) fn type_may_alias(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service
            | UnitType::Socket
            | UnitType::Target
            | UnitType::Device
            | UnitType::Timer
            | UnitType::Path
    )
}

/// `unit_type_may_template()`.
pub(crate) fn type_may_template(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service | UnitType::Socket | UnitType::Target | UnitType::Timer | UnitType::Path
    )
}

/// `unit_symlink_name_compatible()`: may a `.wants/`/`.requires/` entry
/// called `symlink` point at unit `target`?
pub(crate) fn symlink_name_compatible(symlink: &str, target: &str, instance_propagation: bool) -> bool {
    let k1 = classify(symlink);
    if symlink == target && matches!(k1, Some(PLAIN) | Some(INSTANCE)) {
        return true;
    }
    let Some(tmpl) = template(symlink) else {
        return false;
    };
    let k2 = classify(target);
    if k1 == Some(INSTANCE) && k2 == Some(TEMPLATE) && tmpl == target {
        return true;
    }
    instance_propagation && k1 == Some(TEMPLATE) && k2 == Some(TEMPLATE) && tmpl == target
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_matches_systemd() {
        assert!(is_valid("foo.service", PLAIN));
        assert!(!is_valid("foo.service", INSTANCE));
        assert!(is_valid("a@b@c.service", INSTANCE));
        assert!(is_valid("foo@.slice", TEMPLATE));
        assert!(!is_valid("@x.service", ANY));
        assert!(!is_valid(".service", ANY));
        assert!(!is_valid("foo.bar", ANY));
        assert!(!is_valid("foo bar.service", ANY));
        assert!(!is_valid(&format!("{}.service", "a".repeat(248)), ANY));
        assert!(is_valid(&format!("{}.service", "a".repeat(247)), ANY));
    }

    #[test]
    fn parts() {
        assert_eq!(template("getty@tty1.service").as_deref(), Some("getty@.service"));
        assert_eq!(template("getty.service"), None);
        assert_eq!(instance("getty@tty1.service"), Some("tty1"));
        assert_eq!(instance("getty@.service"), Some(""));
        assert_eq!(instance("getty.service"), None);
        assert_eq!(prefix("a-b@c.service"), Some("a-b"));
        assert_eq!(stem("a-b@c.service"), Some("a-b@c"));
        assert_eq!(replace_instance("getty@.service", "tty2").as_deref(), Some("getty@tty2.service"));
        assert_eq!(replace_instance("getty.service", "tty2"), None);
        assert!(symlink_name_compatible("getty@tty1.service", "getty@.service", false));
        assert!(symlink_name_compatible("a@.service", "a@.service", true));
        assert!(!symlink_name_compatible("a@.service", "a@.service", false));
    }
}
