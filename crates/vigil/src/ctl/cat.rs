//! `systemctl cat UNIT…`: the files a unit is made of, as they are on
//! disk — the fragment, then each drop-in in the order it applies.
//!
//! Output, as systemd 252's `verb_cat()` and `cat_files()` write it:
//!
//! ```text
//! # /lib/systemd/system/ssh.service
//! …its lines…
//!
//! # /etc/systemd/system/ssh.service.d/override.conf
//! …its lines…
//! ```
//!
//! Units are separated by one blank line. Paths are in-root paths (what
//! systemctl shows on a live system). Each line is printed as read with
//! systemd's `read_line()`: `\n`, `\r`, `\r\n`, `\n\r` and NUL all end a
//! line, and a last line without newline gets one. A masked unit prints
//! "# Unit X is masked." and one that failed to load "# Unit X could not
//! be loaded." on stdout, without changing the exit status; a unit without
//! any file prints "No files found for X." on stderr, and the command
//! exits 1 after the other units are shown. A file that cannot be read
//! stops the command ("Failed to cat PATH: …", exit 1).
//!
//! Where vigil differs, on purpose:
//!
//! - `--root=DIR` works (systemctl refuses `cat` there): paths are looked
//!   up and symlinks followed inside DIR.
//! - There is no manager to ask which units are loaded, so everything
//!   comes from the unit files ([`UnitIndex`]), glob patterns match unit
//!   file names (not aliases), and whether a unit without a fragment
//!   exists is decided as the manager would: services, sockets, targets,
//!   timers, paths and automounts need one ("No files found"), other
//!   types show their drop-ins; templates, which systemctl always looks
//!   up itself, show whatever files they have.
//! - Lines are printed with colour (the header blue, notes magenta) only
//!   on a terminal, never with `NO_COLOR` or `TERM=dumb`; there is no
//!   pager and no hyperlinking of paths.

use std::ffi::CString;
use std::path::{Path, PathBuf};

use unit::install::{args, Errno};
use unit::load::{LoadState, UnitIndex};
use unit::paths::{chase, in_root};
use unit::{UnitName, UnitType};

use super::context::{env_bool, err_line, out, Context};

/// systemd's `LONG_LINE_MAX`: a longer line is a read error (`ENOBUFS`).
const LONG_LINE_MAX: usize = 1024 * 1024;

/// `ENOBUFS`, which `Errno`'s message table does not cover.
const ENOBUFS_MESSAGE: &str = "No buffer space available";

const BLUE: &str = "\x1b[0;1;34m";
const MAGENTA: &str = "\x1b[0;1;35m";
const NORMAL: &str = "\x1b[0m";

/// systemd's `colors_enabled()`: `SYSTEMD_COLORS` decides if set; else
/// colour on a terminal unless `NO_COLOR` or a dumb terminal.
fn colors_enabled() -> bool {
    if let Some(b) = env_bool("SYSTEMD_COLORS") {
        return b;
    }
    if std::env::var_os("NO_COLOR").is_some() {
        return false;
    }
    match std::env::var("TERM") {
        Ok(t) if t != "dumb" => {}
        _ => return false,
    }
    // SAFETY: isatty on a descriptor number has no memory effects.
    unsafe { libc::isatty(1) == 1 }
}

/// Split file content into lines the way systemd's `read_line()` does;
/// the flag says a line was longer than [`LONG_LINE_MAX`] (the lines
/// before it are returned).
fn split_lines(data: &[u8]) -> (Vec<&[u8]>, bool) {
    const NL: u8 = 1;
    const CR: u8 = 2;
    const NUL: u8 = 4;
    let class = |b: u8| match b {
        b'\n' => NL,
        b'\r' => CR,
        0 => NUL,
        _ => 0,
    };
    let mut lines = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let start = i;
        // The line's text.
        while i < data.len() && class(data[i]) == 0 {
            i += 1;
        }
        if i - start >= LONG_LINE_MAX {
            return (lines, true);
        }
        lines.push(&data[start..i]);
        // Its end marker: each kind at most once, nothing after a NUL.
        let mut seen = 0u8;
        while i < data.len() {
            let c = class(data[i]);
            if c == 0 || seen & NUL != 0 || seen & c != 0 {
                break;
            }
            seen |= c;
            i += 1;
        }
    }
    (lines, false)
}

/// Where to read an in-root path: symlinks followed inside the root.
/// `None` for `/dev/null` (a masked drop-in), which reads as empty even
/// when the root has no `/dev`.
fn host_path(root: &Path, p: &Path) -> Result<Option<PathBuf>, Errno> {
    let resolved = chase(root, p).map_err(|e| Errno::from(&e))?;
    if resolved == Path::new("/dev/null") {
        return Ok(None);
    }
    Ok(Some(in_root(root, &resolved)))
}

/// `cat_file()`: the header once the file is open, then its lines. A
/// file that opens but cannot be read (a directory) gets its header and
/// then systemd's two messages.
fn cat_file(root: &Path, p: &Path, newline: bool, color: bool) -> Result<(), String> {
    use std::io::Read;
    let fail = |e: &dyn std::fmt::Display| format!("Failed to cat {}: {e}", p.display());
    let file = match host_path(root, p).map_err(|e| fail(&e))? {
        None => None,
        Some(h) => Some(std::fs::File::open(&h).map_err(|e| fail(&Errno::from(&e)))?),
    };
    let (blue, normal) = if color { (BLUE, NORMAL) } else { ("", "") };
    let mut header = Vec::new();
    if newline {
        header.push(b'\n');
    }
    header.extend_from_slice(format!("{blue}# {}{normal}\n", p.display()).as_bytes());
    out_bytes(&header);
    let mut data = Vec::new();
    if let Some(mut f) = file {
        if let Err(e) = f.read_to_end(&mut data) {
            let e = Errno::from(&e);
            err_line(&format!("Failed to read \"{}\": {e}", p.display()));
            return Err(fail(&e));
        }
    }
    let (lines, too_long) = split_lines(&data);
    let mut buf: Vec<u8> = Vec::with_capacity(data.len() + lines.len());
    for l in lines {
        buf.extend_from_slice(l);
        buf.push(b'\n');
    }
    out_bytes(&buf);
    if too_long {
        // systemd reports the read error itself, then cat_files() warns.
        err_line(&format!("Failed to read \"{}\": {ENOBUFS_MESSAGE}", p.display()));
        return Err(fail(&ENOBUFS_MESSAGE));
    }
    Ok(())
}

fn out_bytes(b: &[u8]) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(b);
    let _ = o.flush();
}

/// Whether the manager refuses to load a unit of this type without a
/// fragment (its `unit_load_fragment_and_dropin(u, true)`): then the
/// unit is `not-found` and systemctl shows none of its drop-ins. Slices,
/// devices, mounts, swaps and scopes may exist without a unit file.
fn fragment_required(t: UnitType) -> bool {
    matches!(
        t,
        UnitType::Service | UnitType::Socket | UnitType::Target | UnitType::Timer | UnitType::Path | UnitType::Automount
    )
}

/// `fnmatch(pattern, name, FNM_NOESCAPE)`, as systemctl matches unit
/// names against patterns.
fn fnmatch(pattern: &str, name: &str) -> bool {
    let (Ok(p), Ok(n)) = (CString::new(pattern), CString::new(name)) else { return false };
    // SAFETY: both arguments are valid NUL-terminated strings.
    unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), libc::FNM_NOESCAPE) == 0 }
}

fn is_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `systemctl cat UNIT|PATTERN…`.
pub fn cat(cx: &Context, words: &[String]) -> u8 {
    let mut names: Vec<String> = Vec::new();
    let mut globs: Vec<String> = Vec::new();
    for w in words {
        match args::mangle(w, "", ".service", true) {
            Ok(m) => {
                if !cx.quiet {
                    for n in &m.notices {
                        err_line(n);
                    }
                }
                if is_glob(&m.name) {
                    globs.push(m.name);
                } else {
                    names.push(m.name);
                }
            }
            Err(e) => {
                err_line(&format!("Failed to mangle name: {e}"));
                return 1;
            }
        }
    }
    let lp = match cx.lookup_paths() {
        Ok(lp) => lp,
        Err(e) => {
            let root = cx.root_dir().display().to_string();
            err_line(&format!("Failed to initialize unit search paths for root directory {root}: {e}"));
            return 1;
        }
    };
    let index = UnitIndex::build(&lp);
    if !globs.is_empty() {
        for entry in index.list() {
            let is_unit = !matches!(entry.kind, unit::load::EntryKind::Alias(_));
            if is_unit && globs.iter().any(|g| fnmatch(g, entry.name)) {
                names.push(entry.name.to_string());
            }
        }
    }

    let root = cx.root_dir();
    let color = colors_enabled();
    let (magenta, normal) = if color { (MAGENTA, NORMAL) } else { ("", "") };
    let mut first = true;
    let mut code = 0;
    for n in &names {
        let Ok(name) = UnitName::parse(n) else {
            err_line(&format!("No files found for {n}."));
            code = 1;
            continue;
        };
        let src = index.load(&name);
        match src.load_state {
            LoadState::Masked => {
                out(&format!("{magenta}# Unit {n} is masked{normal}.\n"));
                continue;
            }
            LoadState::Error => {
                out(&format!("{magenta}# Unit {n} could not be loaded.{normal}\n"));
                continue;
            }
            _ => {}
        }
        let without_fragment_ok = name.is_template() || !fragment_required(name.unit_type());
        if src.fragment.is_none() && (src.dropin_paths.is_empty() || !without_fragment_ok) {
            err_line(&format!("No files found for {n}."));
            code = 1;
            continue;
        }
        if !first {
            out("\n");
        }
        first = false;
        let files = src.fragment.iter().map(|p| &**p).chain(src.dropin_paths.iter().map(PathBuf::as_path));
        for (i, p) in files.enumerate() {
            if let Err(msg) = cat_file(root, p, i > 0, color) {
                err_line(&msg);
                return 1;
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &[u8]) -> Vec<String> {
        split_lines(s).0.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect()
    }

    #[test]
    fn line_endings_like_read_line() {
        assert_eq!(lines(b"a\nb\n"), ["a", "b"]);
        assert_eq!(lines(b"a\nb"), ["a", "b"]);
        assert_eq!(lines(b"a\r\nb\n\rc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(lines(b"\n\n"), ["", ""]);
        assert_eq!(lines(b"a\r\n\0b"), ["a", "b"]);
        assert_eq!(lines(b"a\0\nb"), ["a", "", "b"]);
        assert_eq!(lines(b"a\n\nb"), ["a", "", "b"]);
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn overlong_line_is_an_error_after_the_lines_before() {
        let mut data = b"ok\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', LONG_LINE_MAX));
        let (l, too_long) = split_lines(&data);
        assert_eq!(l.len(), 1);
        assert!(too_long);
    }

    #[test]
    fn globs_match_like_fnmatch() {
        assert!(fnmatch("ssh*", "ssh.service"));
        assert!(fnmatch("*.s[eo]*", "ssh.socket"));
        assert!(!fnmatch("ssh?", "ssh.service"));
        assert!(fnmatch("a\\x2d*", "a\\x2db.service"));
    }
}
