//! Reading one unit file or drop-in: masks, permissions, ownership,
//! UTF-8, then the line syntax.
//!
//! systemd reads the raw bytes and checks each *logical* line for UTF-8
//! after skipping comments, so a Latin-1 author name in a comment is
//! harmless while one in `Description=` stops the parse ("String is not
//! UTF-8 clean, ignoring assignment", and the unit fails to load). We
//! decode lossily — the replaced bytes only ever sit in comments or in a
//! line that makes the file fatal anyway — and report the first
//! non-comment line with invalid bytes as such an error.
//!
//! Parses of templates and drop-ins are cached per index
//! ([`ParseCache`]): every `Accept=yes`
//! connection loads a new instance of the same template, and re-reading
//! and re-parsing `foo@.service` and its drop-ins each time was an eighth
//! of the manager's work per connection. systemd re-reads the files on
//! every load; to keep that meaning the file is still `stat`ed on every
//! use (masks, permissions and ownership are checked as before) and the
//! cached parse is used only while device, inode, size, mtime and ctime
//! are all unchanged — an edited, replaced or `touch`ed file is read
//! again; a file changed in the last second is not cached at all (two
//! same-size writes within one timestamp tick would look alike). `daemon-reload` builds a new index and so starts a new cache.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::MetadataExt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::diag::{Diagnostic, Severity, Span};
use crate::name::UnitType;
use crate::paths::Scope;
use crate::syntax::{self, ParsedFile, Sections};

use super::index::UnitIndex;
use super::sections_for;

/// What reading a file gave.
pub(super) enum Read {
    Parsed(ParsedFile),
    /// `/dev/null`, a character device or an empty file.
    Masked,
    /// Could not be opened or read.
    Failed(Diagnostic),
    /// Refused by the ownership check.
    Refused(Diagnostic),
}

/// What identifies one version of a file: if all of these are equal the
/// content is taken as unchanged (a write updates mtime and ctime, a
/// rename-over changes the inode).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stamp {
    fn of(m: &fs::Metadata) -> Stamp {
        Stamp {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }

    /// Whether the file was last changed long enough ago that a further
    /// change would show in the stamp: timestamps advance in clock ticks,
    /// so two writes of the same size within one tick could share one
    /// ("racy" files, as git calls them). The ctime moves on every write,
    /// rename, chmod or `touch` and cannot be set back, so a file whose
    /// ctime is a second old is settled; fresher ones are not cached.
    fn settled(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
            .unwrap_or((0, 0));
        (self.ctime.0 + 1, self.ctime.1) <= now
    }
}

/// Parsed files by host path, with the unit type whose sections they were
/// parsed for. Keyed by the path alone, so that a lookup borrows it (no
/// key to build per use): a file is read for one type in practice — its
/// name or its drop-in directory's name says which — and a use for
/// another type is a miss that replaces the entry.
#[derive(Debug, Default)]
pub(crate) struct ParseCache(Mutex<HashMap<PathBuf, (UnitType, Stamp, ParsedFile)>>);

impl ParseCache {
    fn get(&self, path: &Path, ty: UnitType, stamp: Stamp) -> Option<ParsedFile> {
        let map = self.0.lock().ok()?;
        map.get(path).filter(|(t, s, _)| (*t, *s) == (ty, stamp)).map(|(_, _, f)| f.clone())
    }

    fn put(&self, path: &Path, ty: UnitType, stamp: Stamp, file: &ParsedFile) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(path.to_path_buf(), (ty, stamp, file.clone()));
        }
    }
}

/// Whether a file is read for more than one unit, and so worth keeping
/// parsed: a template (`foo@.service`, read again for every instance — each
/// `Accept=yes` connection) or a drop-in (`foo@.service.d/`, `service.d/`).
/// A plain unit file is read once per load of its one unit; caching it
/// would keep a second copy of every unit's text for the manager's life
/// (1000 units: ~1 MB).
fn read_for_many(path: &Path) -> bool {
    fn name(p: Option<&Path>) -> &str {
        p.and_then(Path::file_name).and_then(|n| n.to_str()).unwrap_or("")
    }
    name(Some(path)).contains("@.") || name(path.parent()).ends_with(".d")
}

fn span(path: &Path) -> Span {
    Span::new(Arc::from(path), 0, 0)
}

impl UnitIndex {
    /// Read the in-root `path`, a file of a unit of type `ty`; permission
    /// warnings go to `warnings`.
    pub(super) fn read_file(&self, path: &Arc<Path>, ty: UnitType, warnings: &mut Vec<Diagnostic>) -> Read {
        use std::os::unix::fs::FileTypeExt;
        let sections = sections_for(ty);
        let mut host = match self.host_path(path) {
            Ok(None) => return Read::Masked,
            Ok(Some(h)) => h,
            Err(e) => {
                return Read::Failed(Diagnostic::error(
                    span(path),
                    format!("Failed to open {}: {e}", path.display()),
                ))
            }
        };
        let meta = match host.metadata() {
            Ok(m) => m.clone(),
            Err(e) => {
                return Read::Failed(Diagnostic::error(
                    span(path),
                    format!("Failed to open {}: {e}", path.display()),
                ))
            }
        };
        let ft = meta.file_type();
        if ft.is_char_device() || (ft.is_file() && meta.len() == 0) {
            return Read::Masked;
        }
        let mode = meta.mode() & 0o7777;
        if ft.is_file() {
            // `stat_warn_permissions()`: systemd proceeds anyway.
            if mode & 0o111 != 0 {
                warnings.push(Diagnostic::warning(
                    span(path),
                    format!(
                        "Configuration file {} is marked executable. Please remove executable permission bits. Proceeding anyway.",
                        path.display()
                    ),
                ));
            }
            if mode & 0o002 != 0 {
                warnings.push(Diagnostic::warning(
                    span(path),
                    format!(
                        "Configuration file {} is marked world-writable. Please remove world writability permission bits. Proceeding anyway.",
                        path.display()
                    ),
                ));
            }
            let checked = self.options.check_ownership && self.lookup.scope == Scope::System;
            if checked && (meta.uid() != 0 || mode & 0o022 != 0) {
                return Read::Refused(Diagnostic::error(
                    span(path),
                    format!(
                        "Refusing {}: owned by uid {} with mode {:04o}; unit files of the system manager must be owned by root and not writable by group or others.",
                        path.display(),
                        meta.uid(),
                        mode
                    ),
                ));
            }
        }
        let stamp = Stamp::of(&meta);
        // Only files read for many units are ever cached (see
        // `read_for_many`).
        let cached = ft.is_file() && read_for_many(path);
        if cached {
            if let Some(f) = self.parsed.get(&host.path, ty, stamp) {
                return Read::Parsed(f);
            }
        }
        let file = match fs::File::open(&host.path) {
            Ok(f) => f,
            Err(e) => {
                return Read::Failed(Diagnostic::error(
                    span(path),
                    format!("Failed to open {}: {e}", path.display()),
                ))
            }
        };
        let mut bytes = Vec::new();
        if let Err(e) = read_all(&file, meta.len(), ft.is_file(), &mut bytes) {
            // Opened but unreadable (a directory): systemd has already
            // taken the file as the fragment, and the failed parse makes
            // the unit `error`, not `not-found`.
            let mut f = parse_bytes(path.clone(), b"", sections);
            f.diagnostics.push(Diagnostic::error(
                span(path),
                format!("Failed to read configuration file {}: {e}", path.display()),
            ));
            return Read::Parsed(f);
        }
        let parsed = parse_bytes(path.clone(), &bytes, sections);
        if cached && stamp.settled() {
            self.parsed.put(&host.path, ty, stamp, &parsed);
        }
        Read::Parsed(parsed)
    }
}

/// Read `file` to its end into `bytes`, room made for `size` bytes (its
/// `stat` size) and one more, so that a file of the size it had is read
/// with one `read` — `read_to_end` would ask `fstat` and `lseek` for the
/// size again. For a `regular` file a read that returns less than asked
/// for, once at least the `stat` size is in, has met the end, so the read
/// that would return 0 is left out: a boot of 1000 units made it 1000
/// times. A short read before the `stat` size (`read(2)` allows one, e.g.
/// on a network or FUSE file system, or interrupted by a signal) is not
/// taken as the end. Anything else is read until a read returns 0.
fn read_all(mut file: &fs::File, size: u64, regular: bool, bytes: &mut Vec<u8>) -> std::io::Result<()> {
    bytes.reserve(usize::try_from(size).unwrap_or(0).saturating_add(1).min(1 << 20));
    loop {
        if bytes.len() == bytes.capacity() {
            bytes.reserve(8192);
        }
        let len = bytes.len();
        bytes.resize(bytes.capacity(), 0);
        match file.read(&mut bytes[len..]) {
            Ok(0) => {
                bytes.truncate(len);
                return Ok(());
            }
            Ok(n) => {
                let asked = bytes.len() - len;
                bytes.truncate(len + n);
                if regular && n < asked && bytes.len() as u64 >= size {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => bytes.truncate(len),
            Err(e) => {
                bytes.truncate(len);
                return Err(e);
            }
        }
    }
}

/// Parse raw file content, reporting the first non-comment line that is
/// not UTF-8 as systemd's fatal "not UTF-8 clean" error.
pub(super) fn parse_bytes(path: Arc<Path>, bytes: &[u8], sections: &[&str]) -> ParsedFile {
    match std::str::from_utf8(bytes) {
        Ok(text) => syntax::parse(path, text, Sections::Only(sections)),
        Err(_) => {
            let text = String::from_utf8_lossy(bytes);
            let mut f = syntax::parse(path.clone(), &text, Sections::Only(sections));
            if let Some((line, lossy)) = first_bad_line(bytes) {
                f.diagnostics.push(Diagnostic::error(
                    Span::new(path, line, 1),
                    format!("String is not UTF-8 clean, ignoring assignment: {lossy}"),
                ));
                f.diagnostics.sort_by_key(|d| d.span.line);
            }
            f
        }
    }
}

fn first_bad_line(bytes: &[u8]) -> Option<(u32, String)> {
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        if std::str::from_utf8(raw).is_ok() {
            continue;
        }
        let start =
            raw.iter().position(|b| !matches!(b, b' ' | b'\t' | b'\r')).unwrap_or(raw.len());
        if matches!(raw.get(start), Some(b'#' | b';')) {
            continue;
        }
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let lossy = String::from_utf8_lossy(raw).trim().to_string();
        return Some((line, lossy));
    }
    None
}

/// A drop-in with a fatal error is read only up to that line: systemd
/// stops parsing there but keeps what was already applied, and the unit
/// still loads. Everything from the fatal line on is dropped, and the
/// error becomes a warning saying so.
pub(super) fn truncate_at_fatal(f: &mut ParsedFile) {
    let Some(fatal) =
        f.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| d.span.line).min()
    else {
        return;
    };
    f.sections.retain(|s| s.span.line < fatal);
    for s in &mut f.sections {
        s.entries.retain(|e| e.span.line < fatal);
    }
    f.diagnostics.retain(|d| d.span.line <= fatal);
    for d in &mut f.diagnostics {
        if d.severity == Severity::Error {
            d.severity = Severity::Warning;
            d.message.push_str(" (the rest of this drop-in is ignored)");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &[&str] = &["Unit", "Service", "Install"];

    #[test]
    fn read_all_reads_the_whole_file_whatever_its_size_hint() {
        let dir = std::env::temp_dir().join(format!("vigil-read-all-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f");
        let text: Vec<u8> = (0..20_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        fs::write(&path, &text).unwrap();
        // The stat size, a stale smaller one (the file grew), and none.
        for (hint, regular) in [(20_000, true), (100, true), (0, true), (100, false)] {
            let mut bytes = Vec::new();
            read_all(&fs::File::open(&path).unwrap(), hint, regular, &mut bytes).unwrap();
            assert_eq!(bytes, text, "hint {hint}, regular {regular}");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A short read before the stat size is not the end (`read(2)` allows
    /// one). A pipe gives one for certain: its writer blocks once the pipe
    /// holds its capacity (64 KiB), so the first read returns at most that.
    #[test]
    fn read_all_goes_on_after_a_short_read_before_the_stat_size() {
        let (reader, mut writer) = std::io::pipe().unwrap();
        let text: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let sent = text.clone();
        // A reader that stops early closes the pipe: the feeder then gets
        // EPIPE instead of blocking forever.
        let feeder = std::thread::spawn(move || std::io::Write::write_all(&mut writer, &sent).is_ok());
        let file = fs::File::from(std::os::fd::OwnedFd::from(reader));
        let mut bytes = Vec::new();
        read_all(&file, text.len() as u64, true, &mut bytes).unwrap();
        drop(file);
        assert!(feeder.join().unwrap(), "the reader closed the pipe before the end");
        assert_eq!(bytes.len(), text.len());
        assert_eq!(bytes, text);
    }

    #[test]
    fn latin1_in_comment_is_fine_in_value_is_fatal() {
        let f = parse_bytes(Arc::from(Path::new("/x.service")), b"[Unit]\n# caf\xe9\nDescription=ok\n", S);
        assert!(!f.has_errors());
        assert_eq!(f.entries("Unit").count(), 1);
        let f = parse_bytes(Arc::from(Path::new("/x.service")), b"[Unit]\nDescription=caf\xe9\n", S);
        let d: Vec<_> = f.diagnostics.iter().map(|d| (d.span.line, d.severity)).collect();
        assert_eq!(d, vec![(2, Severity::Error)]);
    }

    #[test]
    fn dropin_truncated_at_fatal_line() {
        let mut f = parse_bytes(
            Arc::from(Path::new("/x.conf")),
            b"[Unit]\nDescription=before\n[Broken\n[Unit]\nDescription=after\n",
            S,
        );
        truncate_at_fatal(&mut f);
        let vals: Vec<_> = f.entries("Unit").map(|e| e.value.as_str()).collect();
        assert_eq!(vals, vec!["before"]);
        assert!(!f.has_errors());
        assert_eq!(f.diagnostics.len(), 1);
    }

    #[test]
    fn only_files_read_for_many_units_are_kept_parsed() {
        for (path, kept) in [
            ("/etc/systemd/system/echo@.service", true),
            ("/etc/systemd/system/echo@.service.d/limits.conf", true),
            ("/usr/lib/systemd/system/service.d/10-timeout.conf", true),
            ("/etc/systemd/system/s1.service", false),
            ("/etc/systemd/system/echo@1.service", false),
            ("/etc/systemd/system/multi-user.target", false),
        ] {
            assert_eq!(read_for_many(Path::new(path)), kept, "{path}");
        }
    }
}
