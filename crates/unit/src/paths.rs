//! Where unit files are searched, in which order, under which root.
//!
//! The lists are systemd 252's, as `systemd-analyze unit-paths` prints them
//! on Debian bookworm (where `/lib/systemd/system` comes before
//! `/usr/lib/systemd/system`). Earlier directories win: a unit file in
//! `/etc/systemd/system` shadows the vendor one, and drop-ins with the same
//! file name are overridden the same way.
//!
//! Every path is kept *relative to the root* (as systemd prints it) and
//! joined to the root only when touching the disk, because a `--root=DIR`
//! tree's absolute symlinks (`/lib/systemd/system/ssh.service`) mean
//! "inside DIR", exactly as `systemctl --root=DIR` reads them. [`chase`]
//! resolves such symlinks without ever leaving the root.
//!
//! The [`DirKind`] of each directory matters to `[Install]` logic:
//! `enable` writes into the persistent config dir, `--runtime` into the
//! runtime one, generator and transient dirs are never written by it, and
//! `is-enabled` reports `generated`, `transient`, `runtime`… by where a file
//! was found (`systemctl(1)`, "is-enabled").

use std::io;
use std::path::{Component, Path, PathBuf};

/// Which manager the paths are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The system manager (`/etc/systemd/system`, …).
    System,
    /// A user's manager (`~/.config/systemd/user`, …).
    User,
    /// `systemctl --global`: the user-unit directories shared by all users.
    Global,
}

/// The role of a search directory, from most to least specific.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirKind {
    /// `*.control`: written by `systemctl set-property`.
    Control,
    /// `transient`: units created at runtime through the API.
    Transient,
    /// Generator output, early/normal/late.
    GeneratorEarly,
    Generator,
    GeneratorLate,
    /// Persistent administrator configuration (`/etc/systemd/system`).
    Config,
    /// Runtime configuration (`/run/systemd/system`).
    Runtime,
    /// Portable service attachments (`*.attached`).
    Attached,
    /// Vendor units shipped by packages (`/usr/lib/systemd/system`, …).
    Vendor,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchDir {
    /// Absolute path as seen from inside the root.
    pub path: PathBuf,
    pub kind: DirKind,
}

/// The search path of one manager, with the root it lives under.
#[derive(Clone, Debug)]
pub struct LookupPaths {
    pub scope: Scope,
    /// `/` or the `--root=` directory.
    pub root: PathBuf,
    /// In priority order, highest first.
    pub dirs: Vec<SearchDir>,
}

/// What a user-scope lookup needs from the environment; taken explicitly so
/// tests and `--root` runs never depend on the caller's `$HOME`.
#[derive(Clone, Debug, Default)]
pub struct UserEnv {
    pub home: PathBuf,
    /// `$XDG_RUNTIME_DIR`; without it the runtime directories are skipped,
    /// as systemd does.
    pub runtime_dir: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME`, default `~/.config`.
    pub config_home: Option<PathBuf>,
    /// `$XDG_DATA_HOME`, default `~/.local/share`.
    pub data_home: Option<PathBuf>,
    /// `$XDG_CONFIG_DIRS`, default `/etc/xdg`.
    pub config_dirs: Vec<PathBuf>,
    /// `$XDG_DATA_DIRS`, default `/usr/local/share:/usr/share`.
    pub data_dirs: Vec<PathBuf>,
}

impl UserEnv {
    /// Read the XDG variables of the current process.
    pub fn from_env() -> UserEnv {
        let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let list = |k: &str| -> Vec<PathBuf> {
            std::env::var(k)
                .ok()
                .map(|v| v.split(':').filter(|s| s.starts_with('/')).map(PathBuf::from).collect())
                .unwrap_or_default()
        };
        UserEnv {
            home: var("HOME").unwrap_or_else(|| PathBuf::from("/root")),
            runtime_dir: var("XDG_RUNTIME_DIR"),
            config_home: var("XDG_CONFIG_HOME"),
            data_home: var("XDG_DATA_HOME"),
            config_dirs: list("XDG_CONFIG_DIRS"),
            data_dirs: list("XDG_DATA_DIRS"),
        }
    }
}

fn d(path: impl Into<PathBuf>, kind: DirKind) -> SearchDir {
    SearchDir { path: path.into(), kind }
}

impl LookupPaths {
    /// The system manager's search path (`systemd.unit(5)`, "Unit File Load
    /// Path", system list).
    pub fn system(root: impl Into<PathBuf>) -> LookupPaths {
        use DirKind::*;
        LookupPaths {
            scope: Scope::System,
            root: root.into(),
            dirs: vec![
                d("/etc/systemd/system.control", Control),
                d("/run/systemd/system.control", Control),
                d("/run/systemd/transient", Transient),
                d("/run/systemd/generator.early", GeneratorEarly),
                d("/etc/systemd/system", Config),
                d("/etc/systemd/system.attached", Attached),
                d("/run/systemd/system", Runtime),
                d("/run/systemd/system.attached", Attached),
                d("/run/systemd/generator", Generator),
                d("/usr/local/lib/systemd/system", Vendor),
                d("/lib/systemd/system", Vendor),
                d("/usr/lib/systemd/system", Vendor),
                d("/run/systemd/generator.late", GeneratorLate),
            ],
        }
    }

    /// A user manager's search path (`systemd.unit(5)`, user list).
    pub fn user(root: impl Into<PathBuf>, env: &UserEnv) -> LookupPaths {
        use DirKind::*;
        let config_home = env.config_home.clone().unwrap_or_else(|| env.home.join(".config"));
        let data_home = env.data_home.clone().unwrap_or_else(|| env.home.join(".local/share"));
        let config_dirs = if env.config_dirs.is_empty() {
            vec![PathBuf::from("/etc/xdg")]
        } else {
            env.config_dirs.clone()
        };
        let data_dirs = if env.data_dirs.is_empty() {
            vec![PathBuf::from("/usr/local/share"), PathBuf::from("/usr/share")]
        } else {
            env.data_dirs.clone()
        };
        let rt = env.runtime_dir.as_ref().map(|r| r.join("systemd"));
        let mut dirs = vec![d(config_home.join("systemd/user.control"), Control)];
        if let Some(rt) = &rt {
            dirs.push(d(rt.join("user.control"), Control));
            dirs.push(d(rt.join("transient"), Transient));
            dirs.push(d(rt.join("generator.early"), GeneratorEarly));
        }
        dirs.push(d(config_home.join("systemd/user"), Config));
        for c in &config_dirs {
            dirs.push(d(c.join("systemd/user"), Config));
        }
        dirs.push(d("/etc/systemd/user", Config));
        if let Some(rt) = &rt {
            dirs.push(d(rt.join("user"), Runtime));
        }
        dirs.push(d("/run/systemd/user", Runtime));
        if let Some(rt) = &rt {
            dirs.push(d(rt.join("generator"), Generator));
        }
        dirs.push(d(data_home.join("systemd/user"), Vendor));
        for c in &data_dirs {
            dirs.push(d(c.join("systemd/user"), Vendor));
        }
        dirs.push(d("/usr/local/lib/systemd/user", Vendor));
        dirs.push(d("/usr/lib/systemd/user", Vendor));
        if let Some(rt) = &rt {
            dirs.push(d(rt.join("generator.late"), GeneratorLate));
        }
        LookupPaths { scope: Scope::User, root: root.into(), dirs }
    }

    /// `--global`: the directories every user's manager shares.
    pub fn global(root: impl Into<PathBuf>) -> LookupPaths {
        use DirKind::*;
        LookupPaths {
            scope: Scope::Global,
            root: root.into(),
            // `systemd-analyze --global unit-paths`: the XDG data dirs come
            // before the lib dirs, as for a user manager.
            dirs: vec![
                d("/etc/systemd/user", Config),
                d("/run/systemd/user", Runtime),
                d("/usr/local/share/systemd/user", Vendor),
                d("/usr/share/systemd/user", Vendor),
                d("/usr/local/lib/systemd/user", Vendor),
                d("/usr/lib/systemd/user", Vendor),
            ],
        }
    }

    /// The first directory of a kind: where `enable` writes (`Config`) or
    /// `enable --runtime` writes (`Runtime`).
    pub fn first_of(&self, kind: DirKind) -> Option<&Path> {
        self.dirs.iter().find(|s| s.kind == kind).map(|s| s.path.as_path())
    }

    /// An in-root path as a path on the host.
    pub fn on_disk(&self, path: &Path) -> PathBuf {
        in_root(&self.root, path)
    }

    /// The directory kind `path` (in-root, absolute) lies in, if any.
    pub fn kind_of(&self, path: &Path) -> Option<DirKind> {
        self.dirs.iter().find(|s| path.starts_with(&s.path)).map(|s| s.kind)
    }
}

/// Join an absolute in-root path onto `root`.
pub fn in_root(root: &Path, path: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    // Byte-wise: `strip_prefix("/")` and comparing `root` with `/` parse
    // both paths into components, and this runs for every file the loader
    // touches. Leading slashes go (as the root component does); the rest
    // is joined as it was.
    let bytes = path.as_os_str().as_bytes();
    let start = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    let rel = Path::new(std::ffi::OsStr::from_bytes(&bytes[start..]));
    let root_bytes = root.as_os_str().as_bytes();
    if !root_bytes.is_empty() && root_bytes.iter().all(|&b| b == b'/') {
        Path::new("/").join(rel)
    } else {
        root.join(rel)
    }
}

/// Most symlinks followed before giving up (`ELOOP`), as the kernel does.
pub(crate) const MAX_FOLLOW: usize = 40;

/// `ELOOP` on Linux.
pub(crate) const ELOOP: i32 = 40;

/// Resolve `path` (absolute, in-root) inside `root`, following symlinks the
/// way `chase_symlinks(…, CHASE_PREFIX_ROOT)` does: an absolute link target
/// restarts at the root, `..` never climbs above it. Returns the resolved
/// in-root path; missing components need not exist (`/dev/null` in a root
/// without `/dev` still resolves to `/dev/null`, which is how masks are
/// recognised).
pub fn chase(root: &Path, path: &Path) -> io::Result<PathBuf> {
    chase_state(root, path).map(|c| c.path)
}

/// What [`chase_state`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chased {
    /// The resolved in-root path, as [`chase`] returns it.
    pub path: PathBuf,
    /// A component was missing, so the rest was taken literally: anything
    /// appended to `path` is literal too (no symlink can lie below).
    pub missing: bool,
}

/// [`chase`], also saying whether a component was missing. Resolution is
/// component by component, so `chase(P/name)` is `name` resolved against
/// `chase(P)` — which lets a caller keep the chased directories of many
/// files of one directory (the unit loader's cache).
pub fn chase_state(root: &Path, path: &Path) -> io::Result<Chased> {
    let mut todo: Vec<std::ffi::OsString> = Vec::new();
    push_components(&mut todo, path);
    let mut done = PathBuf::from("/");
    let mut follows = 0;
    while let Some(c) = todo.pop() {
        if c == ".." {
            done.pop();
            continue;
        }
        let next = done.join(&c);
        match std::fs::symlink_metadata(in_root(root, &next)) {
            Ok(m) if m.file_type().is_symlink() => {
                follows += 1;
                if follows > MAX_FOLLOW {
                    // ELOOP, so callers can report it the way systemd does
                    // ("Too many levels of symbolic links").
                    return Err(io::Error::from_raw_os_error(ELOOP));
                }
                let target = std::fs::read_link(in_root(root, &next))?;
                if target.is_absolute() {
                    done = PathBuf::from("/");
                }
                push_components(&mut todo, &target);
            }
            Ok(_) => done = next,
            // Nothing below a missing directory can be a symlink: the rest
            // of the path is taken literally.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                done = next;
                while let Some(c) = todo.pop() {
                    if c == ".." {
                        done.pop();
                    } else {
                        done.push(c);
                    }
                }
                return Ok(Chased { path: done, missing: true });
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Chased { path: done, missing: false })
}

/// Push the components of `p` onto the stack so that the first component
/// is popped first.
fn push_components(stack: &mut Vec<std::ffi::OsString>, p: &Path) {
    let comps: Vec<_> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    stack.extend(comps.into_iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn in_root_joins_like_strip_prefix_and_join() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(in_root(Path::new("/"), Path::new("/etc/x")), p("/etc/x"));
        assert_eq!(in_root(Path::new("/r"), Path::new("/etc/x")), p("/r/etc/x"));
        assert_eq!(in_root(Path::new("/r/"), Path::new("//etc/x")), p("/r/etc/x"));
        assert_eq!(in_root(Path::new("/r"), Path::new("etc/x")), p("/r/etc/x"));
        assert_eq!(in_root(Path::new("/r"), Path::new("/")), p("/r/"));
        assert_eq!(in_root(Path::new("/"), Path::new("/")), p("/"));
    }

    #[test]
    fn system_order_matches_systemd_analyze() {
        let lp = LookupPaths::system("/");
        let got: Vec<_> = lp.dirs.iter().map(|d| d.path.display().to_string()).collect();
        // `systemd-analyze unit-paths` on Debian bookworm (systemd 252).
        let want = "/etc/systemd/system.control /run/systemd/system.control \
            /run/systemd/transient /run/systemd/generator.early /etc/systemd/system \
            /etc/systemd/system.attached /run/systemd/system /run/systemd/system.attached \
            /run/systemd/generator /usr/local/lib/systemd/system /lib/systemd/system \
            /usr/lib/systemd/system /run/systemd/generator.late";
        assert_eq!(got.join(" "), want);
        assert_eq!(lp.first_of(DirKind::Config), Some(Path::new("/etc/systemd/system")));
    }

    #[test]
    fn user_order_matches_systemd_analyze() {
        let env = UserEnv {
            home: "/root".into(),
            runtime_dir: Some("/run/user/0".into()),
            ..UserEnv::default()
        };
        let got: Vec<_> = LookupPaths::user("/", &env)
            .dirs
            .iter()
            .map(|d| d.path.display().to_string())
            .collect();
        let want = "/root/.config/systemd/user.control /run/user/0/systemd/user.control \
            /run/user/0/systemd/transient /run/user/0/systemd/generator.early \
            /root/.config/systemd/user /etc/xdg/systemd/user /etc/systemd/user \
            /run/user/0/systemd/user /run/systemd/user /run/user/0/systemd/generator \
            /root/.local/share/systemd/user /usr/local/share/systemd/user \
            /usr/share/systemd/user /usr/local/lib/systemd/user /usr/lib/systemd/user \
            /run/user/0/systemd/generator.late";
        assert_eq!(got.join(" "), want);
    }

    #[test]
    fn chase_stays_inside_root() {
        let t = std::env::temp_dir().join(format!("vigil-chase-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&t);
        std::fs::create_dir_all(t.join("usr/lib/systemd/system")).unwrap();
        std::fs::create_dir_all(t.join("etc/systemd/system")).unwrap();
        symlink("usr/lib", t.join("lib")).unwrap();
        std::fs::write(t.join("usr/lib/systemd/system/ssh.service"), "[Unit]\n").unwrap();
        symlink("/lib/systemd/system/ssh.service", t.join("etc/systemd/system/sshd.service"))
            .unwrap();
        symlink("/dev/null", t.join("etc/systemd/system/masked.service")).unwrap();
        symlink("../../../../../../x", t.join("etc/systemd/system/up.service")).unwrap();
        let c = |p: &str| chase(&t, Path::new(p)).unwrap();
        assert_eq!(c("/etc/systemd/system/sshd.service"), Path::new("/usr/lib/systemd/system/ssh.service"));
        assert_eq!(c("/etc/systemd/system/masked.service"), Path::new("/dev/null"));
        assert_eq!(c("/etc/systemd/system/up.service"), Path::new("/x"));
        symlink("loop2", t.join("loop1")).unwrap();
        symlink("loop1", t.join("loop2")).unwrap();
        assert_eq!(chase(&t, Path::new("/loop1")).unwrap_err().raw_os_error(), Some(ELOOP));
        std::fs::remove_dir_all(&t).unwrap();
    }
}
