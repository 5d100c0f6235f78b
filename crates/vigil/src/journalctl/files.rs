//! Which journal files `journalctl` reads, and the verbs that work on
//! files rather than entries: `--disk-usage`, `--vacuum-*`,
//! `--list-boots`.
//!
//! Sources, as journalctl picks them: `--file=GLOB` (repeatable, shell
//! globs), else `-D DIR` (repeatable), else the journal directories of
//! `--root=DIR` (or of `/`): `var/log/journal` and `run/log/journal`, each
//! with its machine-id subdirectories. `--user` keeps only the user's own
//! files (`user-UID.journal` and its archives), as `journalctl --user`
//! does, plus the user journal daemon's fallback directory.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use journal::{Id128, Journal, JournalFile};

use super::args::Options;
use super::output::format_bytes;
use super::time::format_timestamp;

/// Directories and files to read.
pub struct Sources {
    pub dirs: Vec<PathBuf>,
    pub files: Vec<PathBuf>,
    /// True when the user named the sources (`-D`, `--file`, `--root`):
    /// then `-b` resolves boots from the files, not from this machine.
    pub explicit: bool,
}

fn glob(pattern: &str) -> Vec<PathBuf> {
    let Ok(c) = CString::new(pattern) else {
        return Vec::new();
    };
    // SAFETY: zeroed glob_t is the documented initial state.
    let mut g: libc::glob_t = unsafe { std::mem::zeroed() };
    // SAFETY: valid pattern and glob_t; results freed below.
    let r = unsafe { libc::glob(c.as_ptr(), 0, None, &mut g) };
    let mut out = Vec::new();
    if r == 0 {
        for i in 0..g.gl_pathc {
            // SAFETY: glob filled gl_pathc valid C strings.
            let p = unsafe { std::ffi::CStr::from_ptr(*g.gl_pathv.add(i)) };
            out.push(PathBuf::from(std::ffi::OsStr::from_bytes(p.to_bytes())));
        }
    }
    // SAFETY: g was initialised by glob (or zeroed, which globfree accepts).
    unsafe { libc::globfree(&mut g) };
    out
}

impl Sources {
    pub fn from_options(o: &Options) -> Result<Sources, String> {
        if !o.files.is_empty() {
            let mut files = Vec::new();
            for pat in &o.files {
                let found = glob(pat);
                if found.is_empty() {
                    // journalctl 252's wording when a --file glob matches nothing.
                    return Err("Failed to open files: No such file or directory".to_string());
                }
                files.extend(found);
            }
            return Ok(Sources {
                dirs: Vec::new(),
                files,
                explicit: true,
            });
        }
        if !o.directories.is_empty() {
            for d in &o.directories {
                if let Err(e) = std::fs::read_dir(d) {
                    return Err(format!("Failed to open {}: {}", d.display(), io_reason(&e)));
                }
            }
            return Ok(Sources {
                dirs: o.directories.clone(),
                files: Vec::new(),
                explicit: true,
            });
        }
        let root = o.root.clone().unwrap_or_else(|| PathBuf::from("/"));
        let mut dirs: Vec<PathBuf> = crate::journald::storage::journal_roots(&root)
            .into_iter()
            .collect();
        if o.user {
            if let Ok(rd) = crate::rundir::RunDir::new(o.root.as_deref(), true) {
                dirs.push(rd.dir.join("journal/log"));
            }
        }
        dirs.retain(|d| d.is_dir());
        Ok(Sources {
            dirs,
            files: Vec::new(),
            explicit: o.root.is_some(),
        })
    }

    /// Every journal file, sorted, filtered for `--user`.
    pub fn paths(&self, user: bool) -> Vec<PathBuf> {
        let mut set = BTreeSet::new();
        set.extend(self.files.iter().cloned());
        for d in &self.dirs {
            collect(d, &mut set, true);
        }
        let uid = nix::unistd::getuid().as_raw();
        let prefix = format!("user-{uid}");
        set.into_iter()
            .filter(|p| {
                !user
                    || p.file_name().is_some_and(|n| {
                        let n = n.to_string_lossy();
                        n.starts_with(&format!("{prefix}.")) || n.starts_with(&format!("{prefix}@"))
                    })
            })
            .collect()
    }

    /// Opens the files; ones that cannot be read are reported and left out.
    pub fn open(&self, user: bool) -> Result<(Journal, usize), String> {
        let mut good = Vec::new();
        for p in self.paths(user) {
            match JournalFile::open(&p) {
                Ok(_) => good.push(p),
                Err(e) => eprintln!("{e}"),
            }
        }
        let n = good.len();
        Journal::open_files(&good)
            .map(|j| (j, n))
            .map_err(|e| format!("Failed to open journal: {e}"))
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "Permission denied".into(),
        _ => e.to_string(),
    }
}

fn collect(dir: &Path, out: &mut BTreeSet<PathBuf>, descend: bool) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_file() && (name.ends_with(".journal") || name.ends_with(".journal~")) {
            out.insert(path);
        } else if meta.is_dir() && descend && Id128::parse(&name).is_ok() {
            collect(&path, out, false);
        }
    }
}

/// `--disk-usage`.
pub fn disk_usage(paths: &[PathBuf]) -> String {
    let total: u64 = paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.blocks() * 512)
        .sum();
    format!(
        "Archived and active journals take up {} in the file system.",
        format_bytes(total)
    )
}

/// The directories holding `paths`, machine-id subdirectories first (the
/// order journalctl reports them in), each with its files.
fn by_directory(sources: &Sources, paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in paths {
        if let Some(parent) = p.parent() {
            if !dirs.iter().any(|d| d == parent) {
                dirs.push(parent.to_path_buf());
            }
        }
    }
    for d in &sources.dirs {
        if !dirs.iter().any(|x| x == d) {
            dirs.push(d.clone());
        }
    }
    dirs
}

/// `--vacuum-size=`, `--vacuum-time=`, `--vacuum-files=`: removes the
/// oldest *archived* files (never an active `*.journal` without `@`) of
/// each directory until it fits, printing what journalctl prints.
///
/// As journald's `journal_directory_vacuum()`: archived files oldest
/// first, stopping at the first one with which every limit holds — the
/// directory's total size, the number of files *including the active
/// ones*, and the file's first entry not older than `--vacuum-time=`.
pub fn vacuum(
    sources: &Sources,
    paths: &[PathBuf],
    size: Option<u64>,
    time: Option<u64>,
    files: Option<u64>,
) -> Vec<String> {
    let now = crate::journald::storage::now_realtime();
    let mut out = Vec::new();
    for dir in by_directory(sources, paths) {
        let mut usage = crate::journald::storage::dir_usage(&dir);
        let mut total: u64 = usage.iter().map(|f| f.bytes).sum();
        let mut left = usage.len() as u64;
        usage.retain(|f| {
            f.path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains('@'))
        });
        let mut freed = 0u64;
        for f in usage {
            let too_big = size.is_some_and(|s| total > s);
            let too_old = time.is_some_and(|t| t > 0 && f.head_realtime.saturating_add(t) < now);
            let too_many = files.is_some_and(|n| n > 0 && left > n);
            if !(too_big || too_old || too_many) {
                break;
            }
            left -= 1;
            match std::fs::remove_file(&f.path) {
                Ok(()) => {
                    out.push(format!(
                        "Deleted archived journal {} ({}).",
                        f.path.display(),
                        format_bytes(f.bytes)
                    ));
                    total = total.saturating_sub(f.bytes);
                    freed += f.bytes;
                }
                Err(e) => out.push(format!(
                    "Failed to delete archived journal {}: {e}",
                    f.path.display()
                )),
            }
        }
        out.push(format!(
            "Vacuuming done, freed {} of archived journals from {}.",
            format_bytes(freed),
            dir.display()
        ));
    }
    out
}

/// One boot: id, first and last entry time.
pub struct Boot {
    pub id: Id128,
    pub first: u64,
    pub last: u64,
}

/// The boots in the journal, oldest first.
pub fn boots(j: &mut Journal) -> Vec<Boot> {
    j.flush_matches();
    let ids = j.unique_values("_BOOT_ID").unwrap_or_default();
    let mut out = Vec::new();
    for v in ids {
        let Ok(id) = Id128::parse(&String::from_utf8_lossy(&v)) else {
            continue;
        };
        j.flush_matches();
        if j.add_match(format!("_BOOT_ID={id}").as_bytes()).is_err() {
            continue;
        }
        j.seek_head();
        let first = j.next().ok().flatten().map(|e| e.realtime);
        j.seek_tail();
        let last = j.previous().ok().flatten().map(|e| e.realtime);
        if let (Some(first), Some(last)) = (first, last) {
            out.push(Boot { id, first, last });
        }
    }
    j.flush_matches();
    out.sort_by_key(|b| (b.first, b.last));
    out
}

/// Finds the boot `-b` names: an id (plus offset), or an offset from the
/// last boot (0, -1, …) or from the first (1, 2, …).
pub fn resolve_boot(boots: &[Boot], id: Option<Id128>, offset: i64) -> Option<Id128> {
    let base = match id {
        Some(id) => boots.iter().position(|b| b.id == id)? as i64,
        None if offset > 0 => -1,
        None => boots.len() as i64 - 1,
    };
    let idx = base + offset;
    (0..boots.len() as i64)
        .contains(&idx)
        .then(|| boots[idx as usize].id)
}

/// `--list-boots`, a table like journalctl's (no header with `-q`).
pub fn list_boots(boots: &[Boot], quiet: bool, utc: bool) -> String {
    let n = boots.len() as i64;
    let rows: Vec<[String; 4]> = boots
        .iter()
        .enumerate()
        .map(|(i, b)| {
            [
                (i as i64 - n + 1).to_string(),
                b.id.to_hex(),
                format_timestamp(b.first, utc),
                format_timestamp(b.last, utc),
            ]
        })
        .collect();
    let header = ["IDX", "BOOT ID", "FIRST ENTRY", "LAST ENTRY"].map(String::from);
    let mut all: Vec<&[String; 4]> = Vec::new();
    if !quiet {
        all.push(&header);
    }
    all.extend(rows.iter());
    let width = |c: usize| all.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let w = [width(0), width(1), width(2)];
    let mut s = String::new();
    for (k, r) in all.iter().enumerate() {
        let is_header = !quiet && k == 0;
        if is_header {
            s.push_str(&format!(
                "{:<w0$} {:<w1$} {:<w2$} {}\n",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2]
            ));
        } else {
            s.push_str(&format!(
                "{:>w0$} {:<w1$} {:<w2$} {}\n",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2]
            ));
        }
    }
    s
}
