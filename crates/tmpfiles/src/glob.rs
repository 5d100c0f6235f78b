//! Shell globs over the root, as `glob(3)` with `GLOB_BRACE` expands the
//! paths of `w e z Z t T h H a A x X r R` lines (tmpfiles.d(5): "Lines of
//! this type accept shell-style globs in place of normal path names").
//!
//! systemd hands the root-prefixed pattern to libc's `glob()`, which
//! follows symlinks on the host; we walk the pattern one component at a
//! time through [`Root::chase`], so a symlink in the tree can never make a
//! glob list (and a later `R` remove) anything outside the root.
//!
//! Rules kept from `glob(3)`: `{a,b}` alternatives (nested allowed) are
//! expanded first; a component with `*`, `?` or `[` is matched against the
//! directory's entries with `fnmatch(FNM_PERIOD)`, so a wildcard never
//! matches a leading dot; a backslash quotes the next character; the
//! result names objects that exist (a dangling symlink counts), spelled as
//! the pattern spells them (not resolved). One difference: `.*` never
//! yields `.` and `..`. Results are sorted so runs are reproducible
//! (systemd passes `GLOB_NOSORT`, whose order is the directory's).
//!
//! Main function: [`glob`].

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::fs::{self, Root};
use crate::sys;

/// Whether `s` contains an unquoted `*`, `?` or `[`.
pub fn is_magic(s: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        match c {
            b'\\' => i += 2,
            b'*' | b'?' | b'[' => return true,
            _ => i += 1,
        }
    }
    false
}

/// Drop the quoting backslashes of a literal component.
fn unquote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c == b'\\' {
            if let Some(&n) = s.get(i + 1) {
                out.push(n);
            }
            i += 2;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `{a,b}c` → `ac`, `bc`, recursively, as `GLOB_BRACE` does.
pub fn expand_braces(p: &[u8]) -> Vec<Vec<u8>> {
    let mut i = 0;
    let open = loop {
        match p.get(i) {
            None => return vec![p.to_vec()],
            Some(b'\\') => i += 2,
            Some(b'{') => break i,
            Some(_) => i += 1,
        }
    };
    let mut depth = 0;
    let mut commas = Vec::new();
    let mut j = open;
    let close = loop {
        match p.get(j) {
            None => return vec![p.to_vec()],
            Some(b'\\') => j += 2,
            Some(b'{') => {
                depth += 1;
                j += 1;
            }
            Some(b'}') => {
                depth -= 1;
                if depth == 0 {
                    break j;
                }
                j += 1;
            }
            Some(b',') if depth == 1 => {
                commas.push(j);
                j += 1;
            }
            Some(_) => j += 1,
        }
    };
    let (prefix, suffix) = (&p[..open], &p[close + 1..]);
    let mut bounds = vec![open];
    bounds.extend(&commas);
    bounds.push(close);
    let mut out = Vec::new();
    for w in bounds.windows(2) {
        let alt = &p[w[0] + 1..w[1]];
        let mut joined = prefix.to_vec();
        joined.extend_from_slice(alt);
        joined.extend_from_slice(suffix);
        out.extend(expand_braces(&joined));
    }
    out
}

/// `fnmatch(pattern, name, FNM_PERIOD)`.
pub fn fnmatch(pattern: &[u8], name: &[u8], flags: libc::c_int) -> bool {
    let (Ok(p), Ok(n)) = (CString::new(pattern), CString::new(name)) else {
        return false;
    };
    // SAFETY: both are valid NUL-terminated strings.
    unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), flags) == 0 }
}

/// Every existing in-root path `pattern` matches.
pub fn glob(root: &Root, pattern: &Path) -> io::Result<Vec<PathBuf>> {
    let mut results = Vec::new();
    for alt in expand_braces(pattern.as_os_str().as_bytes()) {
        let comps: Vec<&[u8]> = alt.split(|&b| b == b'/').filter(|c| !c.is_empty()).collect();
        let mut current = vec![PathBuf::from("/")];
        for comp in &comps {
            let mut next = Vec::new();
            if is_magic(comp) {
                for dir in &current {
                    let Ok(node) = root.chase(dir, false, false) else {
                        continue;
                    };
                    if !sys::is_dir(&node.st) {
                        continue;
                    }
                    let Ok(rd) = sys::open_dir_for_read(node.raw()) else {
                        continue;
                    };
                    let Ok(mut names) = sys::read_dir(rd) else {
                        continue;
                    };
                    names.sort();
                    for name in names {
                        if fnmatch(comp, name.as_bytes(), libc::FNM_PERIOD) {
                            next.push(dir.join(&name));
                        }
                    }
                }
            } else {
                let lit = OsString::from(OsStr::from_bytes(&unquote(comp)));
                next.extend(current.iter().map(|d| d.join(&lit)));
            }
            current = next;
        }
        for p in current {
            if exists(root, &p) {
                results.push(p);
            }
        }
    }
    results.sort();
    results.dedup();
    Ok(results)
}

fn exists(root: &Root, p: &Path) -> bool {
    match fs::split_last(p) {
        None => true,
        Some(_) => root.chase(p, true, false).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_and_magic() {
        let b = |s: &str| expand_braces(s.as_bytes()).into_iter().map(|v| String::from_utf8(v).unwrap()).collect::<Vec<_>>();
        assert_eq!(b("/a/{x,y}/z"), ["/a/x/z", "/a/y/z"]);
        assert_eq!(b("/{a,b{c,d}}"), ["/a", "/bc", "/bd"]);
        assert_eq!(b("/a\\{x,y}"), ["/a\\{x,y}"]);
        assert_eq!(b("/a{x"), ["/a{x"]);
        assert!(is_magic(b"a*"));
        assert!(!is_magic(b"a\\*"));
        assert!(fnmatch(b".X[0-9]*-lock", b".X0-lock", libc::FNM_PERIOD));
        assert!(!fnmatch(b"*", b".hidden", libc::FNM_PERIOD));
    }
}
