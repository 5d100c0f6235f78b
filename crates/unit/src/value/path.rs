//! Paths and names in unit files: absolute-path checks and normalization
//! (systemd's `path_simplify_and_warn()`), executable names, unit names,
//! file descriptor names.
//!
//! A path setting (`WorkingDirectory=`, `StandardOutput=file:…`,
//! `ReadWritePaths=`, …) must be absolute; it is then *simplified* —
//! repeated slashes collapse, `.` components and a trailing slash vanish —
//! and must be *normalized* afterwards, which in practice means it may not
//! contain a `..` component. Each component may have at most 255 bytes, the
//! whole path less than 4096.
//!
//! Unit names follow `systemd.unit(5)`, "DESCRIPTION": `prefix[@instance].type`
//! with the characters `[A-Za-z0-9:_.\-]` (plus `\` for escapes and one
//! `@`), a known type suffix, and fewer than 256 bytes.

use super::error::ValueError;

/// `PATH_MAX` (counting the terminating NUL) and `NAME_MAX`.
pub const PATH_MAX: usize = 4096;
pub const NAME_MAX: usize = 255;

/// Every unit type systemd 252 knows, as a name suffix.
pub const UNIT_TYPES: [&str; 11] =
    ["service", "mount", "swap", "socket", "target", "device", "automount", "timer", "path", "slice", "scope"];

/// Longest unit name plus one (`UNIT_NAME_MAX`).
pub const UNIT_NAME_MAX: usize = 256;

pub fn path_is_absolute(p: &str) -> bool {
    p.starts_with('/')
}

/// `filename_is_valid()`: one path component, not `.` or `..`.
pub fn filename_is_valid(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && !s.contains('/') && s.len() <= NAME_MAX
}

/// `string_is_safe()`: no control characters, quotes or backslashes.
pub fn string_is_safe(s: &str) -> bool {
    s.bytes().all(|b| b >= b' ' && b != 0x7f && b != b'"' && b != b'\'' && b != b'\\')
}

/// `path_simplify()`: collapse `//`, drop `.` components and a trailing
/// slash. `..` is kept (resolving it needs the file system).
pub fn path_simplify(p: &str) -> String {
    let absolute = path_is_absolute(p);
    let mut out = String::with_capacity(p.len());
    for comp in p.split('/').filter(|c| !c.is_empty() && *c != ".") {
        if absolute || !out.is_empty() {
            out.push('/');
        }
        out.push_str(comp);
    }
    if out.is_empty() {
        out.push_str(if absolute { "/" } else { "." });
    }
    out
}

/// `path_is_valid()`: not empty, shorter than `PATH_MAX`, no component
/// longer than `NAME_MAX`.
pub fn path_is_valid(p: &str) -> bool {
    !p.is_empty() && p.len() < PATH_MAX && p.split('/').all(|c| c.len() <= NAME_MAX)
}

/// `path_is_normalized()`: valid, and no `..`, `.` or empty components.
pub fn path_is_normalized(p: &str) -> bool {
    path_is_valid(p) && !p.contains("//") && !p.split('/').any(|c| c == "." || c == "..")
}

/// `path_simplify_and_warn(path, PATH_CHECK_ABSOLUTE)`: the check every
/// absolute-path setting goes through. Returns the simplified path.
pub fn absolute_path(p: &str) -> Result<String, ValueError> {
    if !path_is_absolute(p) {
        return Err(ValueError::PathNotAbsolute(p.to_string()));
    }
    let simple = path_simplify(p);
    if !path_is_valid(&simple) {
        return Err(ValueError::PathLength(simple.len()));
    }
    if !path_is_normalized(&simple) {
        return Err(ValueError::PathNotNormalized(simple));
    }
    Ok(simple)
}

/// Which shapes of unit name [`unit_name_is_valid`] accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitNameFlags {
    /// `foo.service`
    pub plain: bool,
    /// `foo@bar.service`
    pub instance: bool,
    /// `foo@.service`
    pub template: bool,
}

impl UnitNameFlags {
    /// What a dependency may name: plain units and instances.
    pub const DEPENDENCY: UnitNameFlags = UnitNameFlags { plain: true, instance: true, template: false };
    pub const ANY: UnitNameFlags = UnitNameFlags { plain: true, instance: true, template: true };
}

/// `unit_name_is_valid()`.
pub fn unit_name_is_valid(n: &str, flags: UnitNameFlags) -> bool {
    if n.is_empty() || n.len() >= UNIT_NAME_MAX {
        return false;
    }
    let Some(dot) = n.rfind('.') else {
        return false;
    };
    if dot == 0 || !UNIT_TYPES.contains(&&n[dot + 1..]) {
        return false;
    }
    let stem = &n[..dot];
    if !stem.bytes().all(|b| b.is_ascii_alphanumeric() || b"@:-_.\\".contains(&b)) {
        return false;
    }
    match stem.find('@') {
        None => flags.plain,
        Some(0) => false,
        Some(at) if at + 1 == stem.len() => flags.template,
        Some(_) => flags.instance,
    }
}

/// `fdname_is_valid()`: printable ASCII without `:`, at most 255 bytes
/// (the empty name is valid).
pub fn fdname_is_valid(s: &str) -> bool {
    s.len() <= 255 && s.bytes().all(|b| (b' '..0x7f).contains(&b) && b != b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplify() {
        assert_eq!(path_simplify("//bin//true/."), "/bin/true");
        assert_eq!(path_simplify("/"), "/");
        assert_eq!(path_simplify("/./"), "/");
        assert_eq!(path_simplify("/a/../b/"), "/a/../b");
        assert_eq!(path_simplify("a/./b/"), "a/b");
        assert_eq!(path_simplify("./"), ".");
    }

    #[test]
    fn absolute_checks() {
        assert_eq!(absolute_path("/x//y/"), Ok("/x/y".into()));
        assert_eq!(absolute_path("/"), Ok("/".into()));
        assert_eq!(absolute_path("rel"), Err(ValueError::PathNotAbsolute("rel".into())));
        assert_eq!(absolute_path(""), Err(ValueError::PathNotAbsolute("".into())));
        assert_eq!(absolute_path("/a/../b"), Err(ValueError::PathNotNormalized("/a/../b".into())));
        assert!(matches!(absolute_path(&format!("/{}", "a".repeat(256))), Err(ValueError::PathLength(_))));
        assert!(matches!(absolute_path(&"/aaaaaaa".repeat(600)), Err(ValueError::PathLength(_))));
    }

    #[test]
    fn filenames_and_safety() {
        assert!(filename_is_valid("true"));
        assert!(filename_is_valid("+ls"));
        assert!(!filename_is_valid("a/b"));
        assert!(!filename_is_valid(".."));
        assert!(!filename_is_valid(""));
        assert!(string_is_safe("/usr/bin/my prog"));
        assert!(!string_is_safe("/bin/ec\\ho"));
        assert!(!string_is_safe("/bin/x\ty"));
        assert!(!string_is_safe("a\"b"));
    }

    #[test]
    fn unit_names() {
        let dep = UnitNameFlags::DEPENDENCY;
        assert!(unit_name_is_valid("foo.service", dep));
        assert!(unit_name_is_valid("getty@tty1.service", dep));
        assert!(unit_name_is_valid("dev-sda1.device", dep));
        assert!(unit_name_is_valid("a\\x2db.mount", dep));
        assert!(!unit_name_is_valid("foo@.service", dep));
        assert!(unit_name_is_valid("foo@.service", UnitNameFlags::ANY));
        assert!(!unit_name_is_valid("@x.service", UnitNameFlags::ANY));
        assert!(!unit_name_is_valid("foo", dep));
        assert!(!unit_name_is_valid("foo.bogus", dep));
        assert!(!unit_name_is_valid(".service", dep));
        assert!(!unit_name_is_valid("a b.service", dep));
        assert!(!unit_name_is_valid(&format!("{}.service", "a".repeat(248)), dep));
        assert!(unit_name_is_valid(&format!("{}.service", "a".repeat(247)), dep));
    }

    #[test]
    fn fd_names() {
        assert!(fdname_is_valid(""));
        assert!(fdname_is_valid("a b"));
        assert!(!fdname_is_valid("a:b"));
        assert!(!fdname_is_valid("a\tb"));
        assert!(!fdname_is_valid(&"x".repeat(256)));
    }
}
