//! `UnitFileState` and `UnitFilePreset` without a scan per question.
//!
//! `systemctl status X` prints `Loaded: loaded (PATH; enabled; vendor
//! preset: enabled)`, so every `status` asks the manager for both. The
//! answer is what `is-enabled` says (`unit::install`, systemd's
//! `unit_file_lookup_state()`): it lists every search directory and its
//! `.wants`/`.requires` subdirectories looking for links to the unit, and
//! reads the preset files. With 1000 enabled units that is three
//! `getdents` of 1000 entries and ~100 other system calls per `status`,
//! the only part of the answer that grew with N (issue 8: `status -n0`
//! 1.84 ms at 100 units, 2.67 ms at 1000).
//!
//! systemd computes the state once per unit and keeps it
//! (`unit_get_unit_file_state()` caches it in `Unit.unit_file_state`).
//! vigil's `enable`/`disable` run in the CLI and never tell the manager,
//! so a plain cache would answer "disabled" after `systemctl enable x`.
//! Instead the answers are kept together with stamps of everything they
//! were computed from, and a question first checks the stamps:
//!
//! - each search directory, and each `.wants`, `.requires` or `.upholds`
//!   directory in it: adding, removing or replacing a link changes the
//!   directory's mtime/ctime, and a new `.wants` directory changes its
//!   parent's. Subdirectories are only found by listing, which is done
//!   when the stamps are taken; as long as the parent's stamp holds, its
//!   set of subdirectories is the same. A search directory that does not
//!   exist is covered by its nearest existing ancestor, whose stamp
//!   changes when it is created;
//! - each preset directory and each `*.preset` file in it (a preset file
//!   edited in place changes only its own stamp);
//! - per unit, its fragment and its drop-ins (`NAME.d/*.conf` and the
//!   template's, in every search directory: their `[Install]` lines
//!   decide between `disabled`, `static` and `indirect`). Only drop-in
//!   directories that exist need a stamp of their own: a new one changes
//!   its search directory's stamp.
//!
//! That is a dozen `statx` or so per question instead of a scan: O(search path),
//! not O(units). A change anywhere in the directories drops every cached
//! answer; the next question recomputes and stamps again.
//!
//! Timestamps are coarse (the kernel's tick): a change in the same tick as
//! the stamp could leave it unchanged. So, as git does with its "racily
//! clean" entries, nothing is kept when a stamp is younger than
//! [`RACY`] at the time the answer was computed; such answers are
//! recomputed each time until their files are older.
//!
//! Not covered: specifiers in `[Install]` lines (`WantedBy=%H.target`)
//! change with the host name, as systemd's cache does not notice either;
//! `daemon-reload` starts afresh.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use unit::paths::LookupPaths;

/// How old every stamp must be before an answer computed from it is kept.
const RACY: Duration = Duration::from_secs(2);

/// What `stat(2)` says of one path: enough to notice a replaced or
/// modified directory or file. `None` when it does not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stat {
    dev: u64,
    ino: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

#[derive(Debug)]
struct Stamp {
    path: PathBuf,
    stat: Option<Stat>,
}

fn stat(path: &Path) -> Option<Stat> {
    let m = std::fs::metadata(path).ok()?;
    let ns = |s: i64, n: i64| s as i128 * 1_000_000_000 + n as i128;
    Some(Stat { dev: m.dev(), ino: m.ino(), mtime_ns: ns(m.mtime(), m.mtime_nsec()), ctime_ns: ns(m.ctime(), m.ctime_nsec()) })
}

impl Stamp {
    fn take(path: PathBuf) -> Stamp {
        let stat = stat(&path);
        Stamp { path, stat }
    }

    fn holds(&self) -> bool {
        stat(&self.path) == self.stat
    }

    /// Changed so recently that a further change might not show. The
    /// mtime is what a new entry or an edit moves (the ctime moves with it,
    /// and also on a mere `chmod`, which changes no answer).
    fn racy(&self, limit_ns: i128) -> bool {
        self.stat.is_some_and(|s| s.mtime_ns >= limit_ns)
    }
}

struct Entry {
    fragment: Stamp,
    /// The unit's drop-in directories that exist, and their files.
    dropins: Vec<Stamp>,
    state: String,
    preset: String,
}

/// The cached answers and the directory stamps they rest on.
#[derive(Default)]
pub struct FileStates {
    /// Empty: nothing cached.
    dirs: Vec<Stamp>,
    units: super::graph::NameMap<Entry>,
}

impl FileStates {
    /// `(UnitFileState, UnitFilePreset)` of unit `id`, whose fragment is
    /// `fragment` (in-root): from the cache when its stamps hold, else
    /// from `compute`.
    pub fn get(
        &mut self,
        lookup: &LookupPaths,
        id: &str,
        fragment: &Path,
        compute: impl FnOnce() -> (String, String),
    ) -> (String, String) {
        if !self.dirs.iter().all(Stamp::holds) {
            self.forget();
        }
        let frag = lookup.on_disk(fragment);
        if let Some(e) = self.units.get(id) {
            if e.fragment.path == frag && e.fragment.holds() && e.dropins.iter().all(Stamp::holds) {
                return (e.state.clone(), e.preset.clone());
            }
        }
        // The moment the answer is computed: stamps younger than RACY
        // before it may hide a change made in the same tick.
        let limit = SystemTime::now().checked_sub(RACY).and_then(|t| t.duration_since(UNIX_EPOCH).ok());
        let limit_ns = limit.map_or(i128::MIN, |d| d.as_nanos() as i128);
        let fresh = self.dirs.is_empty();
        if fresh {
            self.dirs = dir_stamps(lookup);
        }
        let fragment = Stamp::take(frag);
        let dropins = dropin_stamps(lookup, id);
        let (state, preset) = compute();
        if self.dirs.iter().any(|s| s.racy(limit_ns)) {
            // Too young to trust: answer, keep nothing.
            self.forget();
        } else if !fragment.racy(limit_ns) && !dropins.iter().any(|s| s.racy(limit_ns)) {
            let e = Entry { fragment, dropins, state: state.clone(), preset: preset.clone() };
            self.units.insert(id.to_string(), e);
        }
        (state, preset)
    }

    /// [`changed_since`] from the stamps [`FileStates::get`] keeps for
    /// `id`, without a file system call — valid only right after `get`
    /// checked them in the same request. `None` when none are kept.
    pub fn changed_since(&self, lookup: &LookupPaths, id: &str, dropins: &[PathBuf], loaded_ns: i64) -> Option<bool> {
        let e = self.units.get(id)?;
        let newer = |s: &Stamp| s.stat.is_some_and(|st| st.mtime_ns > i128::from(loaded_ns));
        let gone = |d: &PathBuf| {
            let host = lookup.on_disk(d);
            !e.dropins.iter().any(|s| s.path == host && s.stat.is_some())
        };
        Some(e.fragment.stat.is_none() || newer(&e.fragment) || e.dropins.iter().any(newer) || dropins.iter().any(gone))
    }

    /// Drop every answer (`daemon-reload`, or a stamp that changed).
    pub fn forget(&mut self) {
        self.dirs.clear();
        self.units.clear();
    }
}

/// Stamps of every directory the unit file state and the presets are
/// read from (see the module essay).
fn dir_stamps(lookup: &LookupPaths) -> Vec<Stamp> {
    let mut out: Vec<Stamp> = Vec::new();
    for d in &lookup.dirs {
        let host = lookup.on_disk(&d.path);
        if !stamp_existing(&mut out, host.clone()) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&host) else { continue };
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let link_dir = [".wants", ".requires", ".upholds"].iter().any(|s| name.ends_with(s));
            if link_dir && e.file_type().is_ok_and(|t| t.is_dir()) {
                out.push(Stamp::take(e.path()));
            }
        }
    }
    for d in unit::install::preset_dirs(lookup.scope) {
        // Resolved inside the root, as the preset reader resolves them.
        let real = unit::paths::chase(&lookup.root, Path::new(d)).unwrap_or_else(|_| PathBuf::from(d));
        let host = lookup.on_disk(&real);
        if !stamp_existing(&mut out, host.clone()) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&host) else { continue };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().ends_with(".preset") {
                out.push(Stamp::take(e.path()));
            }
        }
    }
    out
}

/// Stamps of the drop-in directories of `id` (and of its template) that
/// exist, and of the files in them, as the installer reads them
/// (`unit::install`'s discovery: `NAME.d/*.conf` in every search
/// directory).
fn dropin_stamps(lookup: &LookupPaths, id: &str) -> Vec<Stamp> {
    let mut names = vec![id.to_string()];
    if let Some(t) = unit::name::UnitName::parse(id).ok().and_then(|n| n.template()) {
        names.push(t.to_string());
    }
    let mut out = Vec::new();
    for d in &lookup.dirs {
        for n in &names {
            let dir = lookup.on_disk(&d.path.join(format!("{n}.d")));
            let stamp = Stamp::take(dir);
            if stamp.stat.is_none() {
                continue;
            }
            if let Ok(entries) = std::fs::read_dir(&stamp.path) {
                out.extend(entries.flatten().map(|e| Stamp::take(e.path())));
            }
            out.push(stamp);
        }
    }
    out
}

/// Whether the unit's files changed on disk since it was loaded at
/// `loaded_ns` (`NeedDaemonReload`, systemd's
/// `unit_need_daemon_reload()`): its fragment modified or gone,
/// a drop-in it loaded gone, or a drop-in directory of its names (or its
/// template's) or a file in one modified or created since — adding or
/// removing a drop-in changes its directory. `loaded_ns` is on the coarse
/// clock the kernel stamps files with; a change in the very tick of the
/// load is not told apart from one just before it, and a file stamped in
/// the future (a skewed clock where it was written) reads as changed until
/// the clock passes it (systemd compares the recorded mtimes exactly; vigil
/// keeps one instant per unit instead of two mtimes).
pub fn changed_since(lookup: &LookupPaths, id: &str, fragment: Option<&Path>, dropins: &[PathBuf], loaded_ns: i64) -> bool {
    // Modification times only, as systemd compares them: a `chmod` or a
    // new link changes a file's ctime and is no edit.
    let newer = |s: &Stat| s.mtime_ns > i128::from(loaded_ns);
    if let Some(f) = fragment {
        match stat(&lookup.on_disk(f)) {
            Some(s) if !newer(&s) => {}
            _ => return true,
        }
    }
    dropins.iter().any(|d| stat(&lookup.on_disk(d)).is_none())
        || dropin_stamps(lookup, id).iter().any(|s| s.stat.as_ref().is_some_and(newer))
}

/// Stamp `dir` if it exists (true), else its nearest existing ancestor:
/// `dir` can only appear by a new entry there, which changes that
/// ancestor's stamp. Most search directories do not exist, and share a
/// few ancestors (`/run/systemd`, `/usr/local/lib`): one `statx` each
/// per question instead of one per directory. Each path is stamped once.
fn stamp_existing(out: &mut Vec<Stamp>, dir: PathBuf) -> bool {
    let mut p = dir.as_path();
    loop {
        if let Some(stat) = stat(p) {
            if !out.iter().any(|s| s.path == p) {
                out.push(Stamp { path: p.to_path_buf(), stat: Some(stat) });
            }
            return p == dir;
        }
        match p.parent() {
            Some(up) => p = up,
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old(p: &Path) {
        // Two minutes ago: past the racy window.
        let t = SystemTime::now() - Duration::from_secs(120);
        let f = std::fs::File::open(p).unwrap();
        f.set_modified(t).unwrap();
    }

    /// A link added to a `.wants` directory is seen; an unchanged tree
    /// answers from the cache; a young tree is never cached.
    #[test]
    fn answers_follow_the_directories() {
        let root = std::env::temp_dir().join(format!("vigil-filestate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let etc = root.join("etc/systemd/system");
        let wants = etc.join("multi-user.target.wants");
        std::fs::create_dir_all(&wants).unwrap();
        std::fs::write(etc.join("a.service"), "[Service]\nExecStart=/bin/true\n").unwrap();
        let lookup = LookupPaths::system(&root);
        let frag = Path::new("/etc/systemd/system/a.service");
        let mut fs = FileStates::default();
        let mut calls = 0;
        let mut ask = |fs: &mut FileStates, answer: &str| {
            fs.get(&lookup, "a.service", frag, || {
                calls += 1;
                (answer.to_string(), String::new())
            })
        };
        // Everything was just made: racy, computed every time.
        assert_eq!(ask(&mut fs, "x").0, "x");
        assert_eq!(ask(&mut fs, "y").0, "y");
        for p in [&etc, &wants, &etc.join("a.service")] {
            old(p);
        }
        for d in [root.join("etc/systemd"), root.join("etc"), root.clone()] {
            old(&d);
        }
        assert_eq!(ask(&mut fs, "disabled").0, "disabled");
        assert_eq!(ask(&mut fs, "changed?").0, "disabled", "unchanged tree: cached");
        std::os::unix::fs::symlink("../a.service", wants.join("a.service")).unwrap();
        assert_eq!(ask(&mut fs, "enabled").0, "enabled", "a new link is seen");
        // A drop-in file edited in place, in a directory that exists.
        let dropins = etc.join("a.service.d");
        std::fs::create_dir(&dropins).unwrap();
        std::fs::write(dropins.join("x.conf"), "[Install]\n").unwrap();
        for p in [&etc, &wants, &dropins, &dropins.join("x.conf")] {
            old(p);
        }
        assert_eq!(ask(&mut fs, "one").0, "one");
        assert_eq!(ask(&mut fs, "two").0, "one", "cached");
        std::fs::write(dropins.join("x.conf"), "[Install]\nWantedBy=b.target\n").unwrap();
        assert_eq!(ask(&mut fs, "three").0, "three", "the edit is seen");
        assert_eq!(calls, 6);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
