//! File-system plumbing for the install logic: the root prefix, in-root
//! symlink chasing, directory listings in on-disk order, glob matching.
//!
//! Every path the install logic keeps is *inside the root* (what systemd
//! gets back from `skip_root()`), and [`Root::host`] turns it into a real
//! path only to touch the disk. Messages, though, show the host path, as
//! `systemctl --root=DIR` does ("Created symlink /DIR/etc/… → /lib/…"), so
//! [`Root::show`] renders that form.
//!
//! Directory listings are returned in `readdir()` order, unsorted: systemd
//! walks `.wants/` directories and search paths with `FOREACH_DIRENT`, and
//! the order of its "Removed …" messages — and which of two conflicting
//! files `preset-all` sees first — is that order. Reading the same
//! directory the same way gives the same answer.

use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::errno::Errno;

/// The root directory all paths are relative to.
#[derive(Clone, Debug)]
pub(crate) struct Root {
    /// Absolute, simplified; `None` for `/` (systemd's `root_dir == NULL`).
    dir: Option<PathBuf>,
}

impl Root {
    /// Like systemctl's `--root=` parsing: made absolute against the
    /// current directory and simplified, but symlinks are not resolved.
    pub(crate) fn new(root: &Path) -> Root {
        let abs = if root.is_absolute() {
            root.to_path_buf()
        } else {
            std::env::current_dir().map(|c| c.join(root)).unwrap_or_else(|_| root.to_path_buf())
        };
        let s = simplify(&abs.to_string_lossy());
        if s == "/" {
            Root { dir: None }
        } else {
            Root { dir: Some(PathBuf::from(s)) }
        }
    }

    pub(crate) fn is_set(&self) -> bool {
        self.dir.is_some()
    }

    /// The root as a directory path (`/` when unset).
    pub(crate) fn path(&self) -> &Path {
        self.dir.as_deref().unwrap_or(Path::new("/"))
    }

    /// An in-root absolute path as a path on this machine.
    pub(crate) fn host(&self, p: &Path) -> PathBuf {
        crate::paths::in_root(self.path(), p)
    }

    /// The host path as systemd prints it.
    pub(crate) fn show(&self, p: &Path) -> String {
        simplify(&self.host(p).to_string_lossy())
    }

    /// `chase_symlinks(path, root, CHASE_NONEXISTENT [| CHASE_NOFOLLOW])`,
    /// answering with the in-root result. With `nofollow` the last
    /// component is taken as it is (a symlink there is not followed), but
    /// everything above it is resolved.
    pub(crate) fn chase(&self, p: &Path, nofollow: bool) -> Result<PathBuf, Errno> {
        if nofollow {
            if let (Some(parent), Some(Component::Normal(last))) = (p.parent(), p.components().next_back()) {
                let parent = crate::paths::chase(self.path(), parent).map_err(|e| Errno::from(&e))?;
                return Ok(parent.join(last));
            }
        }
        crate::paths::chase(self.path(), p).map_err(|e| Errno::from(&e))
    }
}

/// systemd's `path_simplify()`: drop duplicate slashes, `.` components and
/// trailing slashes; `..` is kept.
pub(crate) fn simplify(s: &str) -> String {
    let abs = s.starts_with('/');
    let parts: Vec<&str> = s.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    let joined = parts.join("/");
    match (abs, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// The last component of a path-like string (`basename()`).
pub(crate) fn basename(s: &str) -> &str {
    let t = s.trim_end_matches('/');
    t.rsplit('/').next().unwrap_or(t)
}

/// `path_equal()`.
pub(crate) fn path_eq(a: &Path, b: &Path) -> bool {
    a.components().eq(b.components())
}

/// What `d_type` says an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DType {
    Dir,
    Symlink,
    Regular,
    Other,
}

/// The entries of a host directory in `readdir()` order, names that are
/// not UTF-8 left out (they cannot be unit names).
pub(crate) fn list_dir(host: &Path) -> io::Result<Vec<(String, DType)>> {
    let mut out = Vec::new();
    for e in fs::read_dir(host)? {
        let e = e?;
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let t = match e.file_type() {
            Ok(t) if t.is_symlink() => DType::Symlink,
            Ok(t) if t.is_dir() => DType::Dir,
            Ok(t) if t.is_file() => DType::Regular,
            _ => DType::Other,
        };
        out.push((name, t));
    }
    Ok(out)
}

/// `null_or_empty()`: an empty regular file or any character device (the
/// `/dev/null` of a mask).
pub(crate) fn null_or_empty(m: &fs::Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt;
    (m.file_type().is_file() && m.len() == 0) || m.file_type().is_char_device()
}

/// `fnmatch(pattern, s, FNM_NOESCAPE)`: `*`, `?` and bracket expressions
/// (with `!`/`^` negation, ranges and `[:class:]`), backslash literal.
pub(crate) fn fnmatch(pattern: &str, s: &str) -> bool {
    glob(pattern.as_bytes(), s.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si) = (0usize, 0usize);
    // Where to resume after the last `*`: (pattern index, string index).
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        let step = match p.get(pi) {
            Some(b'*') => {
                star = Some((pi + 1, si));
                pi += 1;
                continue;
            }
            Some(b'?') => Some(pi + 1),
            Some(b'[') => match bracket(p, pi, s[si]) {
                Some((true, next)) => Some(next),
                Some((false, _)) => None,
                // An unterminated `[` is an ordinary character.
                None => (s[si] == b'[').then_some(pi + 1),
            },
            Some(&c) => (c == s[si]).then_some(pi + 1),
            None => None,
        };
        match step {
            Some(next) => {
                pi = next;
                si += 1;
            }
            None => match star {
                Some((sp, ss)) => {
                    pi = sp;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Match one byte against the bracket expression at `p[start]`; returns
/// whether it matched and the index after the closing `]`, or `None` if the
/// bracket is not terminated.
fn bracket(p: &[u8], start: usize, c: u8) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some(b'!') | Some(b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let b = *p.get(i)?;
        if b == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if b == b'[' && p.get(i + 1) == Some(&b':') {
            let rest = &p[i + 2..];
            if let Some(end) = rest.windows(2).position(|w| w == b":]") {
                let class = &rest[..end];
                matched |= match class {
                    b"alpha" => c.is_ascii_alphabetic(),
                    b"digit" => c.is_ascii_digit(),
                    b"alnum" => c.is_ascii_alphanumeric(),
                    b"upper" => c.is_ascii_uppercase(),
                    b"lower" => c.is_ascii_lowercase(),
                    b"space" => c.is_ascii_whitespace(),
                    b"punct" => c.is_ascii_punctuation(),
                    b"xdigit" => c.is_ascii_hexdigit(),
                    b"print" => (0x20..0x7f).contains(&c),
                    b"graph" => (0x21..0x7f).contains(&c),
                    b"cntrl" => c.is_ascii_control(),
                    b"blank" => c == b' ' || c == b'\t',
                    _ => false,
                };
                i += 2 + end + 2;
                continue;
            }
        }
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&e| e != b']') {
            let hi = p[i + 2];
            matched |= b <= c && c <= hi;
            i += 3;
        } else {
            matched |= b == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_like_glibc() {
        assert!(fnmatch("*", "a.service"));
        assert!(fnmatch("ssh*", "ssh.socket"));
        assert!(!fnmatch("ssh*", "sh.socket"));
        assert!(fnmatch("systemd-journal-gatewayd.*", "systemd-journal-gatewayd.socket"));
        assert!(fnmatch("getty@.service", "getty@.service"));
        assert!(!fnmatch("getty@.service", "getty@tty1.service"));
        assert!(fnmatch("a?c", "abc"));
        assert!(fnmatch("[a-c]x", "bx"));
        assert!(!fnmatch("[!a-c]x", "bx"));
        assert!(fnmatch("[]]", "]"));
        assert!(fnmatch("[[:digit:]]*", "1abc"));
        assert!(fnmatch("a\\b", "a\\b"));
        assert!(fnmatch("[ab", "[ab"));
        assert!(fnmatch("*a*b*", "xxaxxbxx"));
        assert!(!fnmatch("*a*b", "xxaxxbxx"));
    }

    #[test]
    fn simplify_like_systemd() {
        assert_eq!(simplify("//a//b/./c/"), "/a/b/c");
        assert_eq!(simplify("/a/../b"), "/a/../b");
        assert_eq!(simplify("/"), "/");
        assert_eq!(simplify("a/"), "a");
        assert_eq!(basename("/a/b.service"), "b.service");
        assert_eq!(basename("b.service"), "b.service");
    }

    #[test]
    fn root_paths() {
        let r = Root::new(Path::new("/tmp//x/"));
        assert_eq!(r.show(Path::new("/etc/a")), "/tmp/x/etc/a");
        let r = Root::new(Path::new("/"));
        assert!(!r.is_set());
        assert_eq!(r.show(Path::new("/etc/a")), "/etc/a");
    }
}
