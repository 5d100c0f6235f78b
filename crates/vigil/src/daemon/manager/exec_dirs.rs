//! `RuntimeDirectory=`, `StateDirectory=`, `CacheDirectory=`,
//! `LogsDirectory=` and `ConfigurationDirectory=` (`systemd.exec(5)`,
//! "RuntimeDirectory=, StateDirectory=, …"): directories the manager
//! creates for a service before each of its commands runs, hands to it in
//! `$RUNTIME_DIRECTORY`… and, for the runtime ones, removes when it stops.
//!
//! Lifecycle of one runtime directory:
//!
//! ```text
//!   absent --(a command is spawned: create, chmod, chown)--> present
//!   present --(unit dead/failed, Preserve=no)------------------> absent
//!   present --(auto-restart or restart job, Preserve=restart)--> present
//!   present --(any stop, Preserve=yes)-------------------------> present
//! ```
//!
//! The other four kinds are created the same way and never removed.
//!
//! Where (the man page's table 2; the manager's `--root=` is prepended):
//!
//! | kind          | system      | user                     |
//! |---------------|-------------|--------------------------|
//! | runtime       | /run        | `$XDG_RUNTIME_DIR`       |
//! | state         | /var/lib    | `$XDG_CONFIG_HOME`       |
//! | cache         | /var/cache  | `$XDG_CACHE_HOME`        |
//! | logs          | /var/log    | `$XDG_CONFIG_HOME/log`   |
//! | configuration | /etc        | `$XDG_CONFIG_HOME`       |
//!
//! Rules taken from the man page: missing parents are created `0755` and
//! left alone otherwise; only the innermost directory gets the `…Mode=`
//! (default `0755`) and the ownership of `User=`/`Group=`, and when it is
//! not already owned that way everything below it is chowned too. A
//! `ConfigurationDirectory=` that already exists keeps its mode and owner,
//! and one that is created stays root's ("Except in case of
//! ConfigurationDirectory=…"). A user manager changes no ownership. The
//! `SRC:LINK` form (not for configuration) also creates `LINK` as a
//! symlink to `SRC` below the same base.
//!
//! This runs in the manager, before fork (systemd does it in the child,
//! `setup_exec_directory()`); a failure is handed to the child
//! (`ExecPlan::exec_directory_failure`), which fails at the matching step
//! and exits with systemd's status: 233/RUNTIME_DIRECTORY,
//! 238/STATE_DIRECTORY, 239/CACHE_DIRECTORY, 240/LOGS_DIRECTORY,
//! 241/CONFIGURATION_DIRECTORY.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use unit::config::UnitConfig;
use unit::directive::SectionKind as S;
use unit::paths::{LookupPaths, Scope, UserEnv};
use unit::value::Value;

/// The five kinds, in systemd's `ExecDirectoryType` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirKind {
    Runtime,
    State,
    Cache,
    Logs,
    Configuration,
}

impl DirKind {
    pub const ALL: [DirKind; 5] = [DirKind::Runtime, DirKind::State, DirKind::Cache, DirKind::Logs, DirKind::Configuration];

    fn name(self) -> &'static str {
        match self {
            DirKind::Runtime => "Runtime",
            DirKind::State => "State",
            DirKind::Cache => "Cache",
            DirKind::Logs => "Logs",
            DirKind::Configuration => "Configuration",
        }
    }

    /// The directive naming the directories (`RuntimeDirectory=`…); read
    /// for every start, so no string is built.
    fn directive(self) -> &'static str {
        match self {
            DirKind::Runtime => "RuntimeDirectory",
            DirKind::State => "StateDirectory",
            DirKind::Cache => "CacheDirectory",
            DirKind::Logs => "LogsDirectory",
            DirKind::Configuration => "ConfigurationDirectory",
        }
    }

    /// Its mode directive (`RuntimeDirectoryMode=`…).
    fn mode_directive(self) -> &'static str {
        match self {
            DirKind::Runtime => "RuntimeDirectoryMode",
            DirKind::State => "StateDirectoryMode",
            DirKind::Cache => "CacheDirectoryMode",
            DirKind::Logs => "LogsDirectoryMode",
            DirKind::Configuration => "ConfigurationDirectoryMode",
        }
    }

    fn env_name(self) -> String {
        format!("{}_DIRECTORY", self.name().to_ascii_uppercase())
    }

    /// Where a system manager puts this kind.
    fn system_base(self) -> &'static str {
        match self {
            DirKind::Runtime => "/run",
            DirKind::State => "/var/lib",
            DirKind::Cache => "/var/cache",
            DirKind::Logs => "/var/log",
            DirKind::Configuration => "/etc",
        }
    }

    /// Where a user manager puts this kind; `None` without
    /// `$XDG_RUNTIME_DIR` for runtime directories.
    fn user_base(self, env: &UserEnv) -> Option<PathBuf> {
        let config = env.config_home.clone().unwrap_or_else(|| env.home.join(".config"));
        match self {
            DirKind::Runtime => env.runtime_dir.clone(),
            DirKind::State | DirKind::Configuration => Some(config),
            DirKind::Cache => Some(
                std::env::var_os("XDG_CACHE_HOME")
                    .map(PathBuf::from)
                    .filter(|p| p.is_absolute())
                    .unwrap_or_else(|| env.home.join(".cache")),
            ),
            DirKind::Logs => Some(config.join("log")),
        }
    }
}

/// One entry of a directory list: the directory (relative to its base)
/// and the symlinks to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub path: PathBuf,
    pub links: Vec<PathBuf>,
}

/// The base directory of each kind for one manager.
#[derive(Clone, Debug)]
pub struct Bases {
    bases: [Option<PathBuf>; 5],
    /// A user manager changes no ownership.
    chown: bool,
}

impl Bases {
    pub fn new(lookup: &LookupPaths) -> Bases {
        let under_root = |p: &Path| lookup.root.join(p.strip_prefix("/").unwrap_or(p));
        let user = lookup.scope == Scope::User;
        let env = user.then(UserEnv::from_env);
        let bases = DirKind::ALL.map(|k| match &env {
            Some(env) => k.user_base(env).map(|p| under_root(&p)),
            None => Some(under_root(Path::new(k.system_base()))),
        });
        Bases { bases, chown: !user }
    }

    fn base(&self, kind: DirKind) -> Option<&Path> {
        self.bases.get(kind as usize).and_then(|b| b.as_deref())
    }
}

/// A relative, normalized path without `..` (`path_is_safe()` and
/// `path_is_normalized()` in systemd).
fn valid_relative(p: &str) -> Option<PathBuf> {
    let path = Path::new(p);
    let ok = !p.is_empty()
        && !p.ends_with('/')
        && !p.contains("//")
        && path.components().all(|c| matches!(c, Component::Normal(_)));
    ok.then(|| path.to_path_buf())
}

/// The entries of one kind in `cfg`. Invalid words are skipped (the
/// loader reported them); `SRC:LINK` pairs with the same source merge.
pub fn entries(cfg: &UnitConfig, kind: DirKind) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    for word in cfg.strings(S::Service, kind.directive()) {
        let (src, link) = match word.split_once(':') {
            Some((s, l)) if kind != DirKind::Configuration => (s, Some(l)),
            _ => (word, None),
        };
        let Some(path) = valid_relative(src) else { continue };
        let link = link.and_then(valid_relative);
        match out.iter_mut().find(|e| e.path == path) {
            Some(e) => e.links.extend(link),
            None => out.push(Entry { path, links: link.into_iter().collect() }),
        }
    }
    out
}

fn mode(cfg: &UnitConfig, kind: DirKind) -> u32 {
    match cfg.value(S::Service, kind.mode_directive()) {
        Some(Value::Mode(m)) => *m & 0o7777,
        _ => 0o755,
    }
}

/// Every directory of every kind the unit uses, as absolute paths
/// (sandboxing keeps them reachable and writable, `sandbox.rs`).
pub fn paths(cfg: &UnitConfig, bases: &Bases) -> Vec<PathBuf> {
    DirKind::ALL
        .iter()
        .filter_map(|&k| Some((bases.base(k)?, entries(cfg, k))))
        .flat_map(|(base, list)| list.into_iter().map(move |e| base.join(&e.path)))
        .collect()
}

/// `RUNTIME_DIRECTORY=/run/a:/run/b`… for every kind the unit uses.
pub fn environment(cfg: &UnitConfig, bases: &Bases) -> Vec<(String, String)> {
    DirKind::ALL
        .iter()
        .filter_map(|&k| {
            let base = bases.base(k)?;
            let list = entries(cfg, k);
            (!list.is_empty()).then(|| {
                let joined: Vec<String> = list.iter().map(|e| base.join(&e.path).display().to_string()).collect();
                (k.env_name(), joined.join(":"))
            })
        })
        .collect()
}

/// Why a directory could not be set up; the message is systemd's.
#[derive(Debug, thiserror::Error)]
#[error("Failed to set up {what} directory {path}: {source}")]
pub struct DirError {
    what: &'static str,
    kind: DirKind,
    path: PathBuf,
    #[source]
    source: std::io::Error,
}

impl DirError {
    /// What the child reports: the kind's step and the errno.
    pub fn for_child(&self) -> (exec::ExecDirectory, i32) {
        let kind = match self.kind {
            DirKind::Runtime => exec::ExecDirectory::Runtime,
            DirKind::State => exec::ExecDirectory::State,
            DirKind::Cache => exec::ExecDirectory::Cache,
            DirKind::Logs => exec::ExecDirectory::Logs,
            DirKind::Configuration => exec::ExecDirectory::Configuration,
        };
        (kind, self.source.raw_os_error().unwrap_or(libc::EIO))
    }
}

/// Owner of the innermost directories: `User=`'s uid, `Group=` or the
/// user's primary group. `None` for either means "leave as is".
pub fn owner(cfg: &UnitConfig) -> (Option<u32>, Option<u32>) {
    let view = unit::config::service::ServiceView::new(cfg);
    let user = view.user().and_then(|u| exec::resolve_user(u).ok());
    let gid = view.group().and_then(|g| exec::resolve_group(g).ok()).map(|g| g.gid).or(user.as_ref().map(|u| u.gid));
    (user.map(|u| u.uid), gid)
}

/// Chown `dir` and everything below it, unless `dir` is already owned
/// as wanted (systemd's `path_chown_recursive()` shortcut). Symlinks are
/// chowned themselves, never followed.
fn chown_tree(dir: &Path, uid: Option<u32>, gid: Option<u32>) -> std::io::Result<()> {
    let md = std::fs::symlink_metadata(dir)?;
    if uid.is_none_or(|u| u == md.uid()) && gid.is_none_or(|g| g == md.gid()) {
        return Ok(());
    }
    fn walk(p: &Path, uid: Option<u32>, gid: Option<u32>) -> std::io::Result<()> {
        std::os::unix::fs::lchown(p, uid, gid)?;
        if std::fs::symlink_metadata(p)?.is_dir() {
            for e in std::fs::read_dir(p)? {
                walk(&e?.path(), uid, gid)?;
            }
        }
        Ok(())
    }
    walk(dir, uid, gid)
}

fn what(kind: DirKind) -> &'static str {
    match kind {
        DirKind::Runtime => "runtime",
        DirKind::State => "state",
        DirKind::Cache => "cache",
        DirKind::Logs => "logs",
        DirKind::Configuration => "configuration",
    }
}

/// Create every directory of `cfg`, with its mode, owner and symlinks.
pub fn setup(cfg: &UnitConfig, bases: &Bases) -> Result<(), DirError> {
    // The owner is looked up only for a unit that has directories.
    let mut owner_ids = None;
    for kind in DirKind::ALL {
        let Some(base) = bases.base(kind) else { continue };
        let list = entries(cfg, kind);
        if list.is_empty() {
            continue;
        }
        let want = mode(cfg, kind);
        let (uid, gid) =
            *owner_ids.get_or_insert_with(|| if bases.chown { owner(cfg) } else { (None, None) });
        for e in list {
            let p = base.join(&e.path);
            let fail = |source| DirError { what: what(kind), kind, path: p.clone(), source };
            if let Some(parent) = p.parent() {
                std::fs::DirBuilder::new().recursive(true).mode(0o755).create(parent).map_err(fail)?;
            }
            let created = match std::fs::DirBuilder::new().mode(want).create(&p) {
                Ok(()) => true,
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists && p.is_dir() => false,
                Err(err) => return Err(fail(err)),
            };
            if kind == DirKind::Configuration && !created {
                continue;
            }
            // mkdir(2) applied the manager's umask; the mode is exact.
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(want)).map_err(fail)?;
            if kind != DirKind::Configuration {
                chown_tree(&p, uid, gid).map_err(fail)?;
            }
            for link in &e.links {
                let l = base.join(link);
                if let Some(parent) = l.parent() {
                    std::fs::DirBuilder::new().recursive(true).mode(0o755).create(parent).map_err(fail)?;
                }
                match std::os::unix::fs::symlink(&p, &l) {
                    Ok(()) => {}
                    Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(err) => return Err(fail(err)),
                }
            }
        }
    }
    Ok(())
}

/// `RuntimeDirectoryPreserve=`: `no` (default), `yes` or `restart`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preserve {
    No,
    Yes,
    Restart,
}

pub fn preserve(cfg: &UnitConfig) -> Preserve {
    match cfg.string(S::Service, "RuntimeDirectoryPreserve") {
        Some("restart") => Preserve::Restart,
        Some(s) => match unit::value::boolean::parse_boolean(s) {
            Ok(true) => Preserve::Yes,
            _ => Preserve::No,
        },
        None => Preserve::No,
    }
}

/// The unit went down; `restarting` when it comes back at once (an
/// automatic restart or a restart job). Removes the runtime directories
/// (the innermost only) and their symlinks unless preserved.
pub fn stopped(cfg: &UnitConfig, bases: &Bases, restarting: bool) {
    let keep = match preserve(cfg) {
        Preserve::Yes => true,
        Preserve::Restart => restarting,
        Preserve::No => false,
    };
    let Some(base) = bases.base(DirKind::Runtime) else { return };
    if keep {
        return;
    }
    for e in entries(cfg, DirKind::Runtime) {
        for link in &e.links {
            let _ = std::fs::remove_file(base.join(link));
        }
        // Nothing to tell anyone if it is already gone.
        let _ = std::fs::remove_dir_all(base.join(&e.path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_only() {
        assert_eq!(valid_relative("foo/bar"), Some(PathBuf::from("foo/bar")));
        for bad in ["", "/abs", "a/../b", "..", "./a", "a//b", "a/"] {
            assert_eq!(valid_relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn env_names() {
        assert_eq!(DirKind::Runtime.env_name(), "RUNTIME_DIRECTORY");
        assert_eq!(DirKind::Configuration.env_name(), "CONFIGURATION_DIRECTORY");
        assert_eq!(DirKind::Logs.directive(), "LogsDirectory");
    }
}
