//! Finding and reading the configuration (tmpfiles.d(5), "CONFIGURATION
//! DIRECTORIES AND PRECEDENCE").
//!
//! System scope reads `*.conf` from, highest priority first,
//! `/etc/tmpfiles.d`, `/run/tmpfiles.d`, `/usr/local/lib/tmpfiles.d`,
//! `/usr/lib/tmpfiles.d` and — Debian builds systemd 252 with split `/usr`,
//! as `systemd-tmpfiles --cat-config` shows — `/lib/tmpfiles.d`, all inside
//! the root. A file shadows files of the same name in lower-priority
//! directories (a symlink to `/dev/null` masks a vendor file); the
//! survivors are read in file-name order, regardless of directory. Hidden
//! and backup files (`.foo.conf`, `foo.conf~`, `.dpkg-old`…) are ignored.
//!
//! User scope (`--user`) reads `$XDG_CONFIG_DIRS/user-tmpfiles.d`,
//! `~/.config/user-tmpfiles.d`, `$XDG_RUNTIME_DIR/user-tmpfiles.d`,
//! `~/.local/share/user-tmpfiles.d` and `$XDG_DATA_DIRS/user-tmpfiles.d`,
//! in that order, like 252's `user_config_paths()`.
//!
//! Lines are stripped; empty lines and `#` comments are skipped; there
//! are no continuation lines. Each line is parsed independently
//! ([`crate::parse`]): a bad line is reported with file:line and dropped,
//! the rest of the file still counts.
//!
//! After the files, the `tmpfiles.extra` credential (in
//! `$CREDENTIALS_DIRECTORY`) is read as one more configuration file.
//!
//! `!` lines are kept in the [`Config`]: whether they apply (and whether
//! their errors count) is decided by `--boot` when applying.
//!
//! Main type: [`Config`].

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use unit::specifier::Host;

use crate::fs::Root;
use crate::item::{Item, Origin};
use crate::parse::{self, Diagnostic, LineError, ParseContext, Prefixes, Severity};
use crate::spec::Specifiers;
use crate::sys;
use crate::users::UserDb;
use crate::Scope;

/// A configuration could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot open root directory {0}: {1}")]
    Root(PathBuf, io::Error),
}

/// One parsed line, kept with its diagnostics.
#[derive(Debug)]
struct Line {
    item: Option<Item>,
    boot_only: bool,
}

/// The parsed configuration, in application order (files by name, lines
/// in order).
#[derive(Debug, Default)]
pub struct Config {
    lines: Vec<Line>,
}

/// Where system-scope configuration lives, highest priority first.
pub const SYSTEM_DIRS: [&str; 5] = [
    "/etc/tmpfiles.d",
    "/run/tmpfiles.d",
    "/usr/local/lib/tmpfiles.d",
    "/usr/lib/tmpfiles.d",
    "/lib/tmpfiles.d",
];

/// The user-scope directories for `host` (its home and XDG variables).
pub fn user_dirs(host: &Host) -> Vec<PathBuf> {
    let env_list = |var: &str, default: &str| -> Vec<PathBuf> {
        let v = std::env::var(var).ok().filter(|s| !s.is_empty()).unwrap_or_else(|| default.to_string());
        v.split(':').filter(|p| p.starts_with('/')).map(PathBuf::from).collect()
    };
    let mut dirs: Vec<PathBuf> =
        env_list("XDG_CONFIG_DIRS", "/etc/xdg").into_iter().map(|d| d.join("user-tmpfiles.d")).collect();
    if let Some(c) = &host.user_config_dir {
        dirs.push(c.join("user-tmpfiles.d"));
    }
    if let Some(r) = &host.user_runtime_dir {
        dirs.push(r.join("user-tmpfiles.d"));
    }
    let data_home = std::env::var("XDG_DATA_HOME")
        .ok()
        .filter(|s| s.starts_with('/'))
        .map(PathBuf::from)
        .unwrap_or_else(|| host.home.join(".local/share"));
    dirs.push(data_home.join("user-tmpfiles.d"));
    dirs.extend(env_list("XDG_DATA_DIRS", "/usr/local/share:/usr/share").into_iter().map(|d| d.join("user-tmpfiles.d")));
    dirs
}

/// `hidden_or_backup_file()` plus the `.conf` suffix test.
fn is_config_name(name: &[u8]) -> bool {
    const BACKUP: [&[u8]; 12] = [
        b"~", b".rpmnew", b".rpmsave", b".rpmorig", b".dpkg-old", b".dpkg-new", b".dpkg-tmp", b".dpkg-dist",
        b".dpkg-bak", b".dpkg-backup", b".dpkg-remove", b".swp",
    ];
    !name.starts_with(b".") && name.ends_with(b".conf") && !BACKUP.iter().any(|s| name.ends_with(s))
}

/// The configuration files of `dirs` in reading order: one per name, from
/// the highest-priority directory that has it.
pub fn config_files(root: &Root, dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut by_name: std::collections::BTreeMap<Vec<u8>, PathBuf> = std::collections::BTreeMap::new();
    for dir in dirs {
        let Ok(node) = root.chase(dir, false, false) else {
            continue;
        };
        if !sys::is_dir(&node.st) {
            continue;
        }
        let Ok(rd) = sys::open_dir_for_read(node.raw()) else {
            continue;
        };
        let Ok(names) = sys::read_dir(rd) else {
            continue;
        };
        for name in names {
            if !is_config_name(name.as_bytes()) {
                continue;
            }
            by_name.entry(name.as_bytes().to_vec()).or_insert_with(|| dir.join(&name));
        }
    }
    by_name.into_values().collect()
}

/// The host facts systemd-tmpfiles 252 uses: files from the root, the
/// running kernel's hostname (it calls `gethostname()`, it does not read
/// the root's `/etc/hostname`).
pub fn detect_host(root: &Path, scope: Scope) -> Host {
    // SAFETY: getuid/getgid cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let uscope = match scope {
        Scope::System => unit::paths::Scope::System,
        Scope::User => unit::paths::Scope::User,
    };
    let mut host = Host::detect(root, uscope, uid, gid);
    if scope == Scope::User {
        // Like `get_home_dir()` and the XDG lookups of systemd: the
        // environment first, the user database after.
        let abs = |v: &str| std::env::var(v).ok().filter(|p| p.starts_with('/')).map(PathBuf::from);
        if let Some(h) = abs("HOME") {
            host.home = h;
        }
        host.user_config_dir = Some(abs("XDG_CONFIG_HOME").unwrap_or_else(|| host.home.join(".config")));
        host.user_cache_dir = Some(abs("XDG_CACHE_HOME").unwrap_or_else(|| host.home.join(".cache")));
        host.user_runtime_dir = abs("XDG_RUNTIME_DIR");
    }
    if let Ok(h) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let h = h.trim();
        if !h.is_empty() {
            host.hostname = h.to_string();
        }
    }
    host
}

/// Everything loading needs besides the files.
pub struct LoadOptions<'a> {
    pub root: &'a Path,
    pub scope: Scope,
    pub host: &'a Host,
    /// Where `^` lines read credentials (`$CREDENTIALS_DIRECTORY`).
    pub credentials: Option<&'a Path>,
    /// `--prefix`/`--exclude-prefix`/`-E`; the default applies every line.
    pub prefixes: Prefixes,
}

impl Config {
    /// Read the configuration of `scope` found in `root`, with the host
    /// facts detected from it. Diagnostics name file:line.
    pub fn load(root: &Path, scope: Scope) -> Result<(Config, Vec<Diagnostic>), LoadError> {
        let host = detect_host(root, scope);
        let creds = host.credentials_dir.clone();
        let opts = LoadOptions { root, scope, host: &host, credentials: creds.as_deref(), prefixes: Prefixes::default() };
        Config::load_with(&opts, None)
    }

    /// Read `files` (in-root paths are *not* assumed: these are paths on
    /// the host, like the positional arguments of `systemd-tmpfiles`), or
    /// the configuration directories when `files` is `None`.
    pub fn load_with(opts: &LoadOptions<'_>, files: Option<&[PathBuf]>) -> Result<(Config, Vec<Diagnostic>), LoadError> {
        let root = Root::open(opts.root).map_err(|e| LoadError::Root(opts.root.to_path_buf(), e))?;
        let mut config = Config::default();
        let mut diags = Vec::new();
        let mut users = UserDb::new();
        let root_opt = (opts.root != Path::new("/")).then_some(opts.root);
        let spec = Specifiers { host: opts.host, scope: opts.scope, root: root_opt };
        let mut ctx = ParseContext {
            spec,
            root: &root,
            users: &mut users,
            credentials: opts.credentials,
            prefixes: &opts.prefixes,
        };
        match files {
            Some(list) => {
                for f in list {
                    let text = std::fs::read(f);
                    config.read_text(&mut ctx, f, text, &mut diags);
                }
            }
            None => {
                let dirs: Vec<PathBuf> = match opts.scope {
                    Scope::System => SYSTEM_DIRS.iter().map(PathBuf::from).collect(),
                    Scope::User => user_dirs(opts.host),
                };
                for f in config_files(&root, &dirs) {
                    let text = read_in_root(&root, &f);
                    let shown = root.display(&f);
                    config.read_text(&mut ctx, &shown, text, &mut diags);
                }
            }
        }
        // Lines passed by the service manager or a VM's firmware as the
        // `tmpfiles.extra` credential come last (systemd 252 reads them in
        // both modes). The credential lives on the host, not in the root.
        if let Some(dir) = opts.credentials {
            let extra = dir.join("tmpfiles.extra");
            match std::fs::read(&extra) {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                text => config.read_text(&mut ctx, &extra, text, &mut diags),
            }
        }
        Ok((config, diags))
    }

    /// Parse configuration text (the contents of `file`).
    fn read_text(
        &mut self,
        ctx: &mut ParseContext<'_>,
        file: &Path,
        text: io::Result<Vec<u8>>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                diags.push(Diagnostic {
                    origin: Origin { file: file.to_path_buf(), line: 0 },
                    severity: Severity::Warning,
                    error: LineError::File(e),
                    boot_only: false,
                });
                return;
            }
        };
        for (n, raw) in text.split(|&b| b == b'\n').enumerate() {
            let origin = Origin { file: file.to_path_buf(), line: n + 1 };
            let Ok(line) = std::str::from_utf8(raw) else {
                diags.push(Diagnostic {
                    origin,
                    severity: Severity::Error,
                    error: LineError::Syntax("line is not valid UTF-8".into()),
                    boot_only: false,
                });
                continue;
            };
            let line = line.trim_matches([' ', '\t', '\n', '\r']);
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parsed = parse::parse_line(ctx, &origin, line);
            diags.extend(parsed.diagnostics);
            self.lines.push(Line { item: parsed.item, boot_only: parsed.boot_only });
        }
    }

    /// The items that apply: `!` lines only with `boot`.
    pub fn items(&self, boot: bool) -> impl Iterator<Item = &Item> {
        self.lines.iter().filter(move |l| boot || !l.boot_only).filter_map(|l| l.item.as_ref())
    }
}

/// Read a file inside the root. A symlink to `/dev/null` is a mask.
fn read_in_root(root: &Root, path: &Path) -> io::Result<Vec<u8>> {
    if let Ok(link) = root.chase(path, true, false) {
        if sys::is_lnk(&link.st) {
            if let Ok(t) = sys::readlinkat(link.raw(), std::ffi::OsStr::new("")) {
                if t == "/dev/null" {
                    return Ok(Vec::new());
                }
            }
        }
    }
    let node = root.chase(path, false, false)?;
    let mut file = std::fs::File::from(sys::reopen(node.raw(), libc::O_RDONLY)?);
    let mut out = Vec::new();
    io::Read::read_to_end(&mut file, &mut out)?;
    Ok(out)
}
