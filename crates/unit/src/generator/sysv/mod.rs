//! The SysV generator: `/etc/init.d` scripts → `.service` units, as
//! systemd 252's `systemd-sysv-generator(8)` makes them.
//!
//! Steps, in systemd's order (each matters for the output):
//!
//! 1. **Enumerate** `/etc/init.d`. An entry is a candidate if, after
//!    following symlinks, it is a regular file with the owner's execute
//!    bit. There is no list of names to skip: `README`, `skeleton` or
//!    `.depend.*` are skipped only because they are not executable, and an
//!    executable `rc` would become `rc.service` as it does under systemd.
//!    The unit name is the file name without `.sh`, mangled into a valid
//!    unit name. `foo` and `foo.sh` both map to `foo.service`: the first
//!    seen wins — systemd's readdir order, our sorted order. A native unit
//!    of that name anywhere in the unit search path (a file, even empty, or
//!    a symlink that resolves, including to `/dev/null`) shadows the
//!    script; a dangling symlink does not; a directory makes systemd skip
//!    the script too.
//! 2. **Runlevel links**: `/etc/rc1.d` … `/etc/rc5.d` entries named
//!    `S` + two digits + name (at least four characters). Only the name
//!    matters, not the link target. The highest number is the script's
//!    start priority; each directory adds its target, in table order, to
//!    both `Before=` and the `.wants/` links: rc1 → `rescue.target`, rc2,
//!    rc3, rc4 → `multi-user.target`, rc5 → `graphical.target`. systemd does
//!    not deduplicate, so a script in rc2–rc5 gets `Before=multi-user.target`
//!    three times, and we write the same. `rcS.d`, `rc0.d` and `rc6.d` are
//!    ignored: services get shutdown ordering from default dependencies.
//! 3. **Headers** are read ([`lsb`]); `Provides:` service names become
//!    alias symlinks `alias.service -> name.service` (first one wins).
//! 4. **Start priorities** order scripts against each other only when at
//!    least one of the pair has no LSB header: lower number → `After=`,
//!    higher → `Before=`. systemd walks a hash map here, so the order of
//!    these extra lines varies between its runs; we sort by unit name.
//! 5. **Write** each unit into the output directory (a symlink of the same
//!    name left by step 3 is replaced: real scripts win), then
//!    `TARGET.wants/name.service -> ../name.service` for every runlevel
//!    target.
//!
//! systemd runs this generator with its output in the *late* generator
//! directory, below units in `/etc` and `/run` and above vendor units only
//! through the shadowing check of step 1. Callers pass that directory as
//! `out`.

pub mod lsb;

use crate::diag::Diagnostic;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::fsutil::{self, Lookup};
use super::{file_span, GenError, GenOptions, GenReport, Output};

pub use lsb::{parse_script, render_unit, unit_from_script, unit_name_for_script, ScriptInfo};

/// rc directories read for start links, and the target each stands for.
const RC_TARGETS: &[(&str, &str)] = &[
    ("rc1.d", "rescue.target"),
    ("rc2.d", "multi-user.target"),
    ("rc3.d", "multi-user.target"),
    ("rc4.d", "multi-user.target"),
    ("rc5.d", "graphical.target"),
];

/// One script we generate a unit for.
struct Stub {
    /// Path inside the root: `/etc/init.d/foo`.
    path: PathBuf,
    /// The file to read, symlinks resolved inside the root.
    host: PathBuf,
    /// Highest `S??` number among its runlevel links.
    priority: Option<u8>,
    /// Targets from runlevel links, in [`RC_TARGETS`] order, duplicates kept.
    runlevel_targets: Vec<&'static str>,
    info: ScriptInfo,
    loaded: bool,
}

/// Is a native unit called `name` in one of `dirs`? `Err` carries a
/// reason to skip the script anyway (systemd's "Failed to detect whether
/// … exists, skipping").
fn native_unit_exists(root: &Path, dirs: &[PathBuf], name: &str) -> Result<bool, String> {
    for dir in dirs {
        let host = dir.join(name);
        // Unit dirs are given root-prefixed; symlinks in them are resolved
        // relative to the root.
        let (r, in_root) = match host.strip_prefix(root) {
            Ok(rel) => (root, Path::new("/").join(rel)),
            Err(_) => (Path::new("/"), host.clone()),
        };
        match fsutil::follow(r, &in_root) {
            Ok(Lookup::Missing) => {
                // A dangling symlink stops the search but does not count.
                if std::fs::symlink_metadata(&host).is_ok() {
                    return Ok(false);
                }
            }
            Ok(Lookup::DevNull) | Ok(Lookup::TooManyLinks) => return Ok(true),
            Ok(Lookup::Found(_, meta)) => {
                if meta.is_dir() {
                    return Err(format!("{} is a directory", host.display()));
                }
                return Ok(true);
            }
            Err(e) => return Err(format!("{}: {e}", host.display())),
        }
    }
    Ok(false)
}

/// Generate units for the SysV scripts under `root` into `out`.
pub fn run_sysv(root: &Path, out: &Path, opts: &GenOptions) -> Result<GenReport, GenError> {
    let mut report = GenReport::default();
    if !opts.system_mode {
        return Ok(report);
    }
    let initd_in_root = Path::new("/etc/init.d");
    let initd = fsutil::host_path(root, initd_in_root);
    let entries = fsutil::sorted_entries(&initd).map_err(|e| GenError::io("reading", &initd, e))?;

    // 1. Enumerate.
    let mut stubs: BTreeMap<String, Stub> = BTreeMap::new();
    for entry in entries {
        let path = initd_in_root.join(&entry);
        let (host, meta) = match fsutil::follow(root, &path) {
            Ok(Lookup::Found(h, m)) => (h, m),
            Ok(_) => continue,
            Err(e) => {
                report.diagnostics.push(Diagnostic::warning(
                    file_span(&path),
                    format!("stat() failed, ignoring: {e}"),
                ));
                continue;
            }
        };
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o100 == 0 || !meta.is_file() {
            continue;
        }
        let Some(name) = unit_name_for_script(&entry) else {
            report.diagnostics.push(Diagnostic::warning(
                file_span(&path),
                "no valid unit name can be made from this file name, ignoring",
            ));
            continue;
        };
        if let Some(first) = stubs.get(&name) {
            report.diagnostics.push(Diagnostic::notice(
                file_span(&path),
                format!("{name} is already generated from {}, ignoring", first.path.display()),
            ));
            continue;
        }
        match native_unit_exists(root, &opts.unit_search_path, &name) {
            Ok(false) => {}
            Ok(true) => continue,
            Err(why) => {
                report.diagnostics.push(Diagnostic::notice(
                    file_span(&path),
                    format!("cannot tell whether native {name} exists ({why}), skipping"),
                ));
                continue;
            }
        }
        if let Some(why) = fsutil::untrusted_reason(&meta, opts) {
            report
                .diagnostics
                .push(Diagnostic::error(file_span(&path), format!("refusing, {why}")));
            continue;
        }
        report.diagnostics.push(Diagnostic::warning(
            file_span(&path),
            format!(
                "SysV service '{}' lacks a native systemd unit file; generating {name} for compatibility",
                path.display()
            ),
        ));
        stubs.insert(
            name,
            Stub {
                path,
                host,
                priority: None,
                runlevel_targets: Vec::new(),
                info: ScriptInfo::default(),
                loaded: false,
            },
        );
    }

    // 2. Runlevel links.
    for (dir, target) in RC_TARGETS {
        let host = fsutil::host_path(root, &Path::new("/etc").join(dir));
        let names = fsutil::sorted_entries(&host).map_err(|e| GenError::io("reading", &host, e))?;
        let mut seen_here: BTreeSet<String> = BTreeSet::new();
        for link in names {
            let b = link.as_bytes();
            if b.len() < 4 || b[0] != b'S' || !b[1].is_ascii_digit() || !b[2].is_ascii_digit() {
                continue;
            }
            let prio = (b[1] - b'0') * 10 + (b[2] - b'0');
            let Some(name) = unit_name_for_script(&link[3..]) else {
                continue;
            };
            let Some(stub) = stubs.get_mut(&name) else {
                continue;
            };
            stub.priority = Some(stub.priority.map_or(prio, |p| p.max(prio)));
            if seen_here.insert(name) {
                stub.runlevel_targets.push(target);
            }
        }
    }

    // 3. Headers and aliases.
    let output = Output { dir: out };
    for (name, stub) in stubs.iter_mut() {
        let bytes = match std::fs::read(&stub.host) {
            Ok(b) => b,
            Err(e) => {
                report
                    .diagnostics
                    .push(Diagnostic::error(file_span(&stub.path), format!("Failed to read: {e}")));
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        stub.info = parse_script(&stub.path, &text);
        stub.loaded = true;
        report.diagnostics.append(&mut stub.info.diagnostics);
        for alias in &stub.info.aliases {
            output.symlink(Path::new(alias), Path::new(name), &mut report)?;
        }
    }

    // 4. Start priorities, between a script without LSB header and others.
    let prios: Vec<(String, u8, bool)> = stubs
        .iter()
        .filter(|(_, s)| s.loaded)
        .filter_map(|(n, s)| s.priority.map(|p| (n.clone(), p, s.info.has_lsb)))
        .collect();

    // 5. Write.
    for (name, stub) in &stubs {
        if !stub.loaded {
            continue;
        }
        let mut before: Vec<String> =
            stub.runlevel_targets.iter().map(|t| (*t).to_string()).collect();
        before.extend(stub.info.before.iter().cloned());
        let mut after = stub.info.after.clone();
        if let Some(mine) = stub.priority {
            for (other, p, other_lsb) in &prios {
                if other == name || (stub.info.has_lsb && *other_lsb) {
                    continue;
                }
                if *p < mine {
                    after.push(other.clone());
                } else if *p > mine {
                    before.push(other.clone());
                }
            }
        }
        let text = render_unit(&stub.path, &stub.info, &before, &after, &stub.info.wants);
        if output.remove_symlink(Path::new(name), &mut report)? {
            report.diagnostics.push(Diagnostic::warning(
                file_span(&stub.path),
                format!("Overwriting existing symlink {name} with real service."),
            ));
        }
        if !output.write_unit(name, &text, &mut report)? {
            report.diagnostics.push(Diagnostic::error(
                file_span(&stub.path),
                format!(
                    "Failed to create unit file {}: already exists",
                    output.path(Path::new(name)).display()
                ),
            ));
            continue;
        }
        for target in &stub.runlevel_targets {
            let rel = PathBuf::from(format!("{target}.wants")).join(name);
            output.symlink(&rel, &Path::new("..").join(name), &mut report)?;
        }
    }
    Ok(report)
}
