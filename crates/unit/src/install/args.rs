//! Turning command-line words into unit names the way `systemctl` does
//! before calling the install logic, with the notices it prints.
//!
//! `systemctl enable foo` means `foo.service`; `bad name` becomes
//! `bad\x20name.service` with a notice suggesting `systemd-escape`; a word
//! containing `/` is a path (made absolute); `/dev/sda` names a device
//! unit and `/home` a mount unit (`unit_name_mangle_with_suffix()`). These
//! are small, but the front end needs them to print what systemctl prints.

use std::path::Path;

use super::errno::Errno;
use super::names;

/// A mangled word and the notices systemctl shows for it (unless quiet).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mangled {
    pub name: String,
    pub notices: Vec<String>,
}

const VALID: &[u8] = b"@:-_.\\";
const GLOB_EXTRA: &[u8] = b"[]!-*?";

fn valid_char(c: u8, globs: bool) -> bool {
    c.is_ascii_alphanumeric() || VALID.contains(&c) || (globs && GLOB_EXTRA.contains(&c))
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `unit_name_mangle_with_suffix()`. `operation` completes "Glob pattern
/// passed OPERATION, but globs are not supported for this." (`"to
/// enable"`); `suffix` is added to names without a type (`.service`).
pub fn mangle(name: &str, operation: &str, suffix: &str, allow_globs: bool) -> Result<Mangled, Errno> {
    if name.is_empty() || names::unit_type(&format!("x{suffix}")).is_none() {
        return Err(Errno::EINVAL);
    }
    if names::is_valid(name, names::ANY) {
        return Ok(Mangled { name: name.to_string(), notices: Vec::new() });
    }
    let mut notices = Vec::new();
    let mut suggest_escape = true;
    if is_glob(name) && name.bytes().all(|c| valid_char(c, true)) {
        if allow_globs {
            return Ok(Mangled { name: name.to_string(), notices });
        }
        let op = if operation.is_empty() { String::new() } else { format!(" {operation}") };
        notices.push(format!("Glob pattern passed{op}, but globs are not supported for this."));
        suggest_escape = false;
    }
    let from_path = |suffix: &str| -> Option<String> {
        let esc = crate::name::escape_path(name);
        let n = format!("{esc}{suffix}");
        names::is_valid(&n, names::ANY).then_some(n)
    };
    if name.starts_with("/dev/") || name.starts_with("/sys/") {
        if let Some(n) = from_path(".device") {
            return Ok(Mangled { name: n, notices });
        }
    }
    if name.starts_with('/') {
        if let Some(n) = from_path(".mount") {
            return Ok(Mangled { name: n, notices });
        }
    }
    let mut s = String::with_capacity(name.len() * 4 + suffix.len());
    let mut mangled = false;
    for c in name.bytes() {
        if c == b'/' {
            s.push('-');
            mangled = true;
        } else if !valid_char(c, allow_globs) {
            s.push_str(&format!("\\x{c:02x}"));
            mangled = true;
        } else {
            s.push(c as char);
        }
    }
    if mangled {
        let hint = if suggest_escape { " (maybe you should use systemd-escape?)" } else { "" };
        notices.push(format!("Invalid unit name \"{name}\" escaped as \"{s}\"{hint}."));
    }
    if (!allow_globs || !is_glob(&s)) && names::unit_type(&s).is_none() {
        s.push_str(suffix);
    }
    if !allow_globs && !names::is_valid(&s, names::ANY) {
        return Err(Errno::EINVAL);
    }
    Ok(Mangled { name: s, notices })
}

/// systemctl's `mangle_names()` for the enable family: words with a `/`
/// are paths (made absolute against `cwd`), others are mangled with the
/// `.service` default. Returns the names and the notices to show; on
/// failure, the message systemctl prints.
pub fn mangle_names<S: AsRef<str>>(operation: &str, words: &[S], cwd: &Path) -> Result<(Vec<String>, Vec<String>), String> {
    let mut names = Vec::new();
    let mut notices = Vec::new();
    for w in words {
        let w = w.as_ref();
        if w.contains('/') {
            let p = if w.starts_with('/') { w.to_string() } else { cwd.join(w).to_string_lossy().into_owned() };
            names.push(p);
        } else {
            match mangle(w, operation, ".service", false) {
                Ok(m) => {
                    notices.extend(m.notices);
                    names.push(m.name);
                }
                Err(e) => return Err(format!("Failed to mangle unit name or path '{w}': {e}")),
            }
        }
    }
    Ok((names, notices))
}

/// systemctl's `normalize_names()` for `disable`: a path stands for its
/// file name, with a warning.
pub fn disable_names<S: AsRef<str>>(words: &[S]) -> (Vec<String>, Option<String>) {
    let mut was_path = false;
    let names = words
        .iter()
        .map(|w| {
            let w = w.as_ref();
            if w.contains('/') {
                was_path = true;
                super::fsutil::basename(w).to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let warning =
        was_path.then(|| "Warning: Can't execute disable on the unit file path. Proceeding with the unit name.".to_string());
    (names, warning)
}

/// systemctl's `normalize_filenames()` for `link`: every argument must be
/// an absolute path (under `--root`), or at least contain a `/`. On
/// failure, the message systemctl prints.
pub fn link_paths<S: AsRef<str>>(words: &[S], root_set: bool, cwd: &Path) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for w in words {
        let w = w.as_ref();
        if w.starts_with('/') {
            out.push(w.to_string());
            continue;
        }
        if root_set {
            return Err(format!("Non-absolute paths are not allowed when --root is used: {w}"));
        }
        if !w.contains('/') {
            return Err(format!(
                "Link argument must contain at least one directory separator.\n\
                 If you intended to link a file in the current directory, try ./{w} instead."
            ));
        }
        out.push(cwd.join(w).to_string_lossy().into_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangling_like_systemctl() {
        let m = mangle("bad name", "to check", ".service", false).unwrap();
        assert_eq!(m.name, "bad\\x20name.service");
        assert_eq!(m.notices, ["Invalid unit name \"bad name\" escaped as \"bad\\x20name\" (maybe you should use systemd-escape?)."]);
        assert_eq!(mangle("nginx", "", ".service", false).unwrap().name, "nginx.service");
        assert_eq!(mangle("nginx.socket", "", ".service", false).unwrap().name, "nginx.socket");
        assert_eq!(mangle("/dev/sda1", "", ".service", false).unwrap().name, "dev-sda1.device");
        assert_eq!(mangle("/home", "", ".service", false).unwrap().name, "home.mount");
        assert_eq!(mangle("multi-user", "", ".target", false).unwrap().name, "multi-user.target");
        let g = mangle("ssh*", "to enable", ".service", false).unwrap();
        assert_eq!(g.name, "ssh\\x2a.service");
        assert_eq!(g.notices[0], "Glob pattern passed to enable, but globs are not supported for this.");
        assert_eq!(mangle("ssh*", "", ".service", true).unwrap().name, "ssh*");
        assert!(mangle("", "", ".service", false).is_err());
    }

    #[test]
    fn disable_and_link_arguments() {
        let (n, w) = disable_names(&["/etc/systemd/system/a.service", "b.service"]);
        assert_eq!(n, ["a.service", "b.service"]);
        assert!(w.is_some());
        assert_eq!(disable_names(&["b.service"]).1, None);
        assert_eq!(link_paths(&["/opt/a.service"], true, Path::new("/x")).unwrap(), ["/opt/a.service"]);
        assert!(link_paths(&["a.service"], true, Path::new("/x")).unwrap_err().starts_with("Non-absolute"));
        assert!(link_paths(&["a.service"], false, Path::new("/x")).unwrap_err().starts_with("Link argument"));
        assert_eq!(link_paths(&["./a.service"], false, Path::new("/x")).unwrap(), ["/x/./a.service"]);
    }
}
