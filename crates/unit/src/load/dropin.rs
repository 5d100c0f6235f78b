//! Which drop-in (`.d`), `.wants` and `.requires` directories belong to a
//! unit, and which files in them count (systemd's `unit_file_find_dirs()`,
//! `unit_file_find_dropin_paths()` and `conf_files_list_strv()`).
//!
//! The order of directories decides which of several same-named files
//! wins: for each of the unit's names (primary first), for each search
//! directory, for each name in the expansion of [`expand_name`]; then the
//! type-wide directory (`service.d`) of each search directory. The first
//! file of a given name wins; the winners are then sorted by file name.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diag::{Diagnostic, Span};
use crate::name::{UnitName, UnitType};
use crate::paths::{chase, in_root};

use super::index::{content_of, Content, UnitIndex};
use super::DirDependency;

/// The names whose directories are searched for `name` in one search
/// directory, in systemd's order: the name; for an instance its template
/// (itself expanded); then the name with its prefix cut after the last
/// dash, keeping the instance (`foo-bar@x.service` → `foo-@x.service`),
/// expanded the same way. A trailing dash is chopped once first, so
/// `foo-bar-.service` continues with `foo-.service`.
pub(super) fn expand_name(name: &UnitName, out: &mut Vec<String>) {
    out.push(name.as_str().to_string());
    if name.is_instance() {
        if let Some(t) = name.template() {
            expand_name(&t, out);
        }
    }
    let mut prefix = name.prefix().to_string();
    let mut chopped = false;
    loop {
        let Some(dash) = prefix.rfind('-') else { return };
        if dash == 0 {
            return;
        }
        if dash + 1 < prefix.len() || chopped {
            prefix.truncate(dash + 1);
            break;
        }
        prefix.truncate(dash);
        chopped = true;
    }
    let built = match name.instance().filter(|_| name.is_instance()) {
        Some(inst) => format!("{prefix}@{inst}.{}", name.unit_type()),
        None => format!("{prefix}.{}", name.unit_type()),
    };
    // Too long or otherwise invalid: systemd stops expanding here too.
    if let Ok(b) = UnitName::parse(&built) {
        expand_name(&b, out);
    }
}

/// `hidden_or_backup_file()`: entries every systemd directory walk skips
/// (drop-in directories, `ConditionDirectoryNotEmpty=`…).
pub(crate) fn hidden_or_backup(name: &str) -> bool {
    if name.starts_with('.')
        || matches!(name, "lost+found" | "aquota.user" | "aquota.group")
        || name.ends_with('~')
    {
        return true;
    }
    let Some(dot) = name.rfind('.') else { return false };
    matches!(
        &name[dot + 1..],
        "rpmnew"
            | "rpmsave"
            | "rpmorig"
            | "dpkg-old"
            | "dpkg-new"
            | "dpkg-tmp"
            | "dpkg-dist"
            | "dpkg-bak"
            | "dpkg-backup"
            | "dpkg-remove"
            | "ucf-new"
            | "ucf-old"
            | "ucf-dist"
            | "swp"
            | "bak"
            | "old"
            | "new"
    )
}

fn span(path: &std::path::Path) -> Span {
    Span::new(Arc::from(path), 0, 0)
}

/// One winning file of a drop-in or dependency directory.
pub(super) struct Found {
    /// In-root: the canonical directory joined with the file name.
    pub(super) path: PathBuf,
    pub(super) file_name: String,
}

/// The names whose directories are searched for one unit, in order: the
/// [`expand_name`] expansion of each of its names (primary first), then
/// the type-wide name (`service`). The `.d`, `.wants` and `.requires`
/// searches differ only in the suffix, so a load expands the names once
/// for all three (each expansion allocates and re-parses names; three
/// passes were a tenth of an `Accept=yes` instance's load).
pub(super) struct SearchNames {
    expanded: Vec<Vec<String>>,
    type_wide: &'static str,
}

impl SearchNames {
    /// For a unit of type `ty` with these names, its id first.
    pub(super) fn new(names: &[UnitName], ty: UnitType) -> SearchNames {
        let expanded = names
            .iter()
            .map(|n| {
                let mut e = Vec::new();
                expand_name(n, &mut e);
                e
            })
            .collect();
        SearchNames { expanded, type_wide: ty.as_str() }
    }
}

impl UnitIndex {
    /// Candidate directories `(search dir index, entry name)` for a unit,
    /// in search order.
    fn candidates(&self, search: &SearchNames, suffix: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        let ndirs = self.lookup.dirs.len();
        for expanded in &search.expanded {
            for di in 0..ndirs {
                for e in expanded {
                    out.push((di, format!("{e}{suffix}")));
                }
            }
        }
        for di in 0..ndirs {
            out.push((di, format!("{}{suffix}", search.type_wide)));
        }
        out
    }

    /// Every drop-in directory systemd looks at for this unit, in search
    /// order, whether it exists or not (in-root, not canonicalised). The
    /// unit's names are resolved as [`UnitIndex::load`] does.
    pub fn dropin_search_dirs(&self, name: &UnitName) -> Vec<PathBuf> {
        let names = self.unit_names(name);
        let ty = names.first().unwrap_or(name).unit_type();
        self.candidates(&SearchNames::new(&names, ty), ".d")
            .into_iter()
            .filter_map(|(di, e)| self.lookup.dirs.get(di).map(|d| d.path.join(e)))
            .collect()
    }

    /// The candidates that exist, in the same order as [`Self::candidates`],
    /// found through the path cache without building every candidate.
    fn present_candidates(&self, search: &SearchNames, suffix: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        // One buffer for every probe: most candidates do not exist.
        let mut key = String::new();
        let mut probe = |name: &str| {
            key.clear();
            key.push_str(name);
            key.push_str(suffix);
            self.dropin_dirs.get(key.as_str()).map(|dirs| (dirs, key.clone()))
        };
        for expanded in &search.expanded {
            let mut found: Vec<(usize, usize, String)> = Vec::new();
            for (ei, e) in expanded.iter().enumerate() {
                if let Some((dirs, key)) = probe(e) {
                    for &di in dirs {
                        found.push((di, ei, key.clone()));
                    }
                }
            }
            found.sort();
            out.extend(found.into_iter().map(|(di, _, k)| (di, k)));
        }
        if let Some((dirs, key)) = probe(search.type_wide) {
            out.extend(dirs.iter().map(|&di| (di, key.clone())));
        }
        out
    }

    /// The existing directories among the candidates, canonicalised
    /// inside the root (systemd chases each drop-in directory).
    fn present_dirs(
        &self,
        search: &SearchNames,
        suffix: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for (di, entry) in self.present_candidates(search, suffix) {
            let Some(sd) = self.lookup.dirs.get(di) else { continue };
            let dir = sd.path.join(&entry);
            match chase(&self.lookup.root, &dir) {
                Ok(c) => out.push(c),
                Err(e) => diags.push(Diagnostic::warning(
                    span(&dir),
                    format!("Failed to canonicalize path '{}': {e}", dir.display()),
                )),
            }
        }
        out
    }

    /// The files of the unit's `suffix` directories (only those ending in
    /// `file_suffix`, if given): first occurrence of each file name wins,
    /// result sorted by file name.
    pub(super) fn collect(
        &self,
        search: &SearchNames,
        suffix: &str,
        file_suffix: Option<&str>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<Found> {
        let mut seen: HashMap<String, PathBuf> = HashMap::new();
        for dir in self.present_dirs(search, suffix, diags) {
            let host = in_root(&self.lookup.root, &dir);
            let rd = match fs::read_dir(&host) {
                Ok(rd) => rd,
                Err(e)
                    if e.kind() == io::ErrorKind::NotFound
                        || e.kind() == io::ErrorKind::NotADirectory =>
                {
                    continue
                }
                Err(e) => {
                    diags.push(Diagnostic::warning(
                        span(&dir),
                        format!("Failed to open directory, ignoring: {e}"),
                    ));
                    continue;
                }
            };
            for ent in rd.flatten() {
                let fname = ent.file_name();
                let Some(fname) = fname.to_str() else {
                    diags.push(Diagnostic::warning(
                        span(&dir.join(&fname)),
                        "File name is not UTF-8, ignoring.",
                    ));
                    continue;
                };
                if hidden_or_backup(fname) || file_suffix.is_some_and(|s| !fname.ends_with(s)) {
                    continue;
                }
                if !seen.contains_key(fname) {
                    seen.insert(fname.to_string(), dir.join(fname));
                }
            }
        }
        let mut out: Vec<Found> =
            seen.into_iter().map(|(file_name, path)| Found { path, file_name }).collect();
        out.sort_by(|a, b| a.file_name.as_bytes().cmp(b.file_name.as_bytes()));
        out
    }

    /// Dependencies from the unit's `.wants`/`.requires` directories
    /// (`process_deps()`). `unit` is the unit's primary name, used to fill
    /// template entries.
    pub(super) fn dir_dependencies(
        &self,
        unit: &UnitName,
        search: &SearchNames,
        suffix: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<DirDependency> {
        let what = if suffix == ".wants" { "Wants" } else { "Requires" };
        let mut out: Vec<DirDependency> = Vec::new();
        let mut seen: std::collections::HashSet<UnitName> = std::collections::HashSet::new();
        for f in self.collect(search, suffix, None, diags) {
            // One `lstat` and one `readlink` per entry, and the target's
            // resolution through the chased-directory cache (the entries
            // of one directory mostly point into one other).
            let host = in_root(&self.lookup.root, &f.path);
            let warn = |msg: String| Diagnostic::warning(span(&f.path), msg);
            let link = match fs::symlink_metadata(&host) {
                Ok(m) if m.file_type().is_symlink() => fs::read_link(&host),
                Ok(m) => {
                    // A mask (`/dev/null`, or empty) hides lower entries
                    // of the same name and adds nothing.
                    if content_of(&m) == Content::Masked {
                        continue;
                    }
                    diags.push(warn(format!(
                        "{what} dependency dropin {} is not a symlink, ignoring.",
                        f.path.display()
                    )));
                    continue;
                }
                Err(e) => {
                    diags.push(warn(format!(
                        "{what} dropin {} unreadable, ignoring: {e}",
                        f.path.display()
                    )));
                    continue;
                }
            };
            // A link to `/dev/null` (or an empty file) is a mask; a
            // dangling link is none.
            if let Ok(t) = &link {
                if self.content_of_link(&f.path, t) == Content::Masked {
                    continue;
                }
            }
            let Ok(entry) = UnitName::parse(&f.file_name) else {
                diags.push(warn(format!(
                    "{what} dependency dropin {} is not a valid unit name, ignoring.",
                    f.path.display()
                )));
                continue;
            };
            let target = match link {
                Ok(t) => t,
                Err(e) => {
                    diags.push(warn(format!(
                        "readlink(\"{}\") failed, ignoring: {e}",
                        f.path.display()
                    )));
                    continue;
                }
            };
            let target_name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !symlink_name_compatible(&entry, target_name, unit.is_instance()) {
                diags.push(warn(format!(
                    "{what} dependency dropin {} target {} has different name",
                    f.path.display(),
                    target.display()
                )));
            }
            let dep = match resolve_template(unit, &entry) {
                Ok(d) => d,
                Err(e) => {
                    diags.push(warn(format!(
                        "Cannot add {what} dependency on {entry}, ignoring: {e}"
                    )));
                    continue;
                }
            };
            // File names are unique here, so only a template entry's
            // instance can repeat a name (`a@.service` of unit `x` and
            // `a@x.service`): a set, not a scan of `out` per entry, which
            // was quadratic for a target wanted by 1000 units.
            if seen.insert(dep.clone()) {
                out.push(DirDependency { name: dep, link: f.path });
            }
        }
        out
    }
}

/// `unit_symlink_name_compatible()`: does a `.wants/` symlink's name fit
/// its target's name? A mismatch is only warned about.
fn symlink_name_compatible(link: &UnitName, target: &str, instance_propagation: bool) -> bool {
    if link.as_str() == target && !link.is_template() {
        return true;
    }
    let Some(template) = link.template() else { return false };
    let Ok(target) = UnitName::parse(target) else { return false };
    let same = template.as_str() == target.as_str();
    (link.is_instance() && target.is_template() && same)
        || (instance_propagation && link.is_template() && target.is_template() && same)
}

/// `resolve_template()`: a template dependency gets the unit's instance,
/// or for a non-instance unit its prefix (`foo.service` wanting
/// `bar@.service` wants `bar@foo.service`).
fn resolve_template(unit: &UnitName, dep: &UnitName) -> Result<UnitName, crate::name::NameError> {
    if !dep.is_template() {
        return Ok(dep.clone());
    }
    match unit.instance().filter(|_| unit.is_instance()) {
        Some(inst) => dep.with_instance(inst),
        None => dep.with_instance(unit.prefix()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand(s: &str) -> Vec<String> {
        let mut v = Vec::new();
        expand_name(&UnitName::parse(s).unwrap(), &mut v);
        v
    }

    #[test]
    fn expansion_matches_systemd_order() {
        assert_eq!(
            expand("foo-bar-baz.service"),
            ["foo-bar-baz.service", "foo-bar-.service", "foo-.service"]
        );
        assert_eq!(
            expand("a-b@x.service"),
            ["a-b@x.service", "a-b@.service", "a-.service", "a-@x.service", "a-@.service"]
        );
        assert_eq!(
            expand("foo--bar.service"),
            ["foo--bar.service", "foo--.service", "foo-.service"]
        );
        assert_eq!(expand("-.slice"), ["-.slice"]);
        assert_eq!(expand("-foo.service"), ["-foo.service"]);
        assert_eq!(expand("user-1000.slice"), ["user-1000.slice", "user-.slice"]);
        assert_eq!(expand("plain.service"), ["plain.service"]);
    }

    #[test]
    fn hidden_and_backup_names() {
        assert!(hidden_or_backup(".x.conf"));
        assert!(hidden_or_backup("x.conf~"));
        assert!(hidden_or_backup("x.service.dpkg-old"));
        assert!(!hidden_or_backup("x.conf"));
    }

    #[test]
    fn template_dependencies() {
        let n = |s: &str| UnitName::parse(s).unwrap();
        assert_eq!(
            resolve_template(&n("w@i.service"), &n("d@.service")).unwrap(),
            n("d@i.service")
        );
        assert_eq!(
            resolve_template(&n("foo.service"), &n("d@.service")).unwrap(),
            n("d@foo.service")
        );
        assert_eq!(resolve_template(&n("foo.service"), &n("d.service")).unwrap(), n("d.service"));
        assert!(symlink_name_compatible(&n("a.service"), "a.service", false));
        assert!(symlink_name_compatible(&n("a@x.service"), "a@.service", false));
        assert!(!symlink_name_compatible(&n("a@.service"), "a@.service", false));
        assert!(symlink_name_compatible(&n("a@.service"), "a@.service", true));
        assert!(!symlink_name_compatible(&n("a.service"), "b.service", false));
    }
}
