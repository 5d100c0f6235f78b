//! The file-system and namespace settings of `systemd.exec(5)`
//! ("Sandboxing"), turned into what the exec crate carries out
//! ([`exec::Sandbox`]): a private mount namespace shaped by a list of
//! mount operations, a private network or UTS namespace.
//!
//! Each setting becomes entries "this path is read-only / writable /
//! inaccessible / a tmpfs / bound from there" (systemd's own vocabulary in
//! `namespace.c`):
//!
//! | setting | entries |
//! |---|---|
//! | `ProtectSystem=yes` | `/usr`, `/boot`, `/efi` read-only; `full` adds `/etc`; `strict` makes every mount read-only but `/dev`, `/proc`, `/sys` |
//! | `ProtectHome=yes` | `/home`, `/root`, `/run/user` inaccessible; `read-only`; `tmpfs` (read-only, empty) |
//! | `PrivateTmp=yes` | `/tmp`, `/var/tmp` bound from per-activation directories, removed when the unit goes down |
//! | `PrivateDevices=yes` | a new `/dev` with only the pseudo devices, `pts`, `shm`, `mqueue`; `CAP_MKNOD`, `CAP_SYS_RAWIO` dropped |
//! | `ReadWritePaths=`, `ReadOnlyPaths=`, `InaccessiblePaths=` | as named (`-` tolerates a missing path, `+` is relative to `RootDirectory=`) |
//! | `TemporaryFileSystem=P[:opts]` | a tmpfs on P (`ro` in the options: read-only) |
//! | `BindPaths=`, `BindReadOnlyPaths=` | `[-]SRC[:DST[:rbind|norbind]]` |
//! | `ProtectKernelTunables=` | `/proc/sys`, `/sys` and friends read-only, `/proc/kallsyms`, `/proc/kcore` inaccessible |
//! | `ProtectKernelModules=` | `/usr/lib/modules`, `/lib/modules` inaccessible, `CAP_SYS_MODULE` dropped |
//! | `ProtectKernelLogs=` | `/proc/kmsg`, `/dev/kmsg` inaccessible, `CAP_SYSLOG` dropped |
//! | `ProtectControlGroups=` | `/sys/fs/cgroup` read-only |
//! | `PrivateMounts=` | the namespace alone |
//! | `ProtectProc=`, `ProcSubset=` | a procfs of the service's own on `/proc`, with `hidepid=`/`subset=pid` |
//! | `PrivateIPC=` | an IPC namespace of its own |
//! | `RuntimeDirectory=`, `StateDirectory=`… | always reachable and writable (`systemd.exec(5)`: implied in `ReadWritePaths=`), bound in from the host even below a `PrivateTmp=` (a `--root` under `/tmp`) |
//! | (the manager's state directory) | always reachable: `NOTIFY_SOCKET` and the journal's sockets live there |
//!
//! Entries are applied shallow paths first (a `ReadWritePaths=` below a
//! `ProtectSystem=strict` wins), and at one path the more restrictive last.
//! Read-only is set per mount; clearing it is done only for mounts the host
//! has writable, so a sandbox never makes writable what the host mounted
//! read-only. What these settings do *not* do here: the system call filters
//! `ProtectKernelModules=` and `ProtectKernelLogs=` add in systemd (the
//! dropped capabilities and hidden files remain), `DevicePolicy=` (no cgroup
//! device program), and a network namespace shared by all processes of a
//! unit (each process gets its own loopback-only namespace).
//!
//! Namespaces need `CAP_SYS_ADMIN`: a manager that is not root applies none
//! of this and says so when the unit starts (`say_unapplied`), as systemd's
//! user manager cannot either without `PrivateUsers=`.

use std::path::{Path, PathBuf};

use exec::{Mount, MountOp, Sandbox};
use unit::config::UnitConfig;
use unit::directive::SectionKind as S;
use unit::value::Value;

use crate::daemon::mountinfo::{self, is_under, MountEntry};

/// The settings handled here (each one the unit sets, when the manager is
/// not privileged, is named as unapplied).
pub const SETTINGS: [&str; 20] = [
    "ProtectSystem",
    "ProtectHome",
    "PrivateTmp",
    "PrivateDevices",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "TemporaryFileSystem",
    "BindPaths",
    "BindReadOnlyPaths",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "PrivateMounts",
    "PrivateNetwork",
    "ProtectHostname",
    "PrivateIPC",
    "ProtectProc",
    "ProcSubset",
];

const CAP_SYS_MODULE: u32 = 16;
const CAP_SYS_RAWIO: u32 = 17;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_MKNOD: u32 = 27;
const CAP_SYSLOG: u32 = 34;

/// What one path becomes; the order is the order of application at one
/// path (the more restrictive last).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    /// A new `/proc` with these mount options.
    Proc { data: String },
    PrivateDev,
    PrivateTmp { src: PathBuf },
    Bind { src: PathBuf, readonly: bool, recursive: bool },
    /// An exec directory: bound from the host onto itself, the path made
    /// first where an earlier mount hid it.
    ExecDir,
    /// The manager's state directory (the notify and journal sockets):
    /// bound in like an exec directory, its write flag left as it is.
    Reachable,
    Tmpfs { data: String, readonly: bool },
    ReadWrite,
    ReadOnly,
    Inaccessible,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    path: String,
    mode: Mode,
    optional: bool,
}

fn entry(path: &str, mode: Mode, optional: bool) -> Entry {
    Entry { path: path.to_string(), mode, optional }
}

/// Where the manager keeps what sandboxes need: the inaccessible nodes
/// and the staging point of private `/dev`s.
pub struct Base {
    dir: PathBuf,
    /// The nodes below `dir` exist (made at the first sandboxed spawn).
    made: std::cell::Cell<bool>,
}

impl Base {
    pub fn new(state_dir: &Path) -> Base {
        Base { dir: state_dir.join("sandbox"), made: std::cell::Cell::new(false) }
    }

    /// Create the nodes once; a failure shows as a failed mount later.
    fn ensure(&self) {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if self.made.replace(true) {
            return;
        }
        let _ = std::fs::DirBuilder::new().recursive(true).mode(0o755).create(self.dir.join("dev"));
        let _ = std::fs::DirBuilder::new().mode(0o000).create(self.dir.join("inaccessible-dir"));
        let reg = self.dir.join("inaccessible-reg");
        if std::fs::File::create(&reg).is_ok() {
            let _ = std::fs::set_permissions(&reg, std::fs::Permissions::from_mode(0o000));
        }
    }
}

fn uses_any(cfg: &UnitConfig) -> bool {
    SETTINGS.iter().any(|n| match cfg.value(S::Service, n) {
        None | Some(Value::Empty) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !matches!(s.as_str(), "no" | "false" | "0" | "off"),
        Some(_) => true,
    })
}

/// The settings this unit sets that a non-root manager cannot apply.
pub fn unapplied(cfg: &UnitConfig) -> Vec<&'static str> {
    if privileged() || !uses_any(cfg) {
        return Vec::new();
    }
    SETTINGS.iter().copied().filter(|n| !cfg.settings.get(S::Service, n).is_empty()).collect()
}

/// The manager may make namespaces (root); asked once, as every spawn and
/// every `show` asks.
fn privileged() -> bool {
    static ROOT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ROOT.get_or_init(|| nix::unistd::geteuid().is_root())
}

/// The per-activation private `/tmp` and `/var/tmp` of a unit.
fn private_tmp_dirs(unit: &str, invocation: &str) -> [(PathBuf, &'static str); 2] {
    let name = format!("vigil-private-{unit}-{invocation}");
    [(Path::new("/tmp").join(&name), "/tmp"), (Path::new("/var/tmp").join(&name), "/var/tmp")]
}

/// `PrivateTmp=` directories: a 0700 directory holding a 1777 `tmp`.
fn make_private_tmp(outer: &Path) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let inner = outer.join("tmp");
    std::fs::DirBuilder::new().mode(0o700).recursive(true).create(outer)?;
    std::fs::DirBuilder::new().recursive(true).create(&inner)?;
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o1777))?;
    Ok(inner)
}

/// The unit went down: its private temporary directories go.
pub fn stopped(cfg: &UnitConfig, invocation: &str) {
    if cfg.bool_or(S::Service, "PrivateTmp", false) {
        for (outer, _) in private_tmp_dirs(cfg.id.as_str(), invocation) {
            let _ = std::fs::remove_dir_all(outer);
        }
    }
}

/// The sandbox of one command of `cfg`, the capabilities it drops, and
/// whether it implies `NoNewPrivileges=` (a unit without `CAP_SYS_ADMIN`
/// that protects kernel settings, `systemd.exec(5)`).
pub struct Shaped {
    pub sandbox: Option<Sandbox>,
    pub drop_caps: u64,
    pub implies_no_new_privileges: bool,
}

/// Shape the sandbox; `Err` is a message for the failed spawn.
pub fn shape(
    cfg: &UnitConfig,
    invocation: &str,
    base: &Base,
    dirs: &super::exec_dirs::Bases,
    has_user: bool,
    bounding: Option<u64>,
) -> Result<Shaped, String> {
    let none = Shaped { sandbox: None, drop_caps: 0, implies_no_new_privileges: false };
    // Every spawn comes through here: a unit without sandboxing costs only
    // these lookups.
    if !privileged() || !uses_any(cfg) {
        return Ok(none);
    }
    let b = |n: &str| cfg.bool_or(S::Service, n, false);
    let root = cfg.string(S::Service, "RootDirectory").unwrap_or("/");
    let mut entries = Vec::new();
    let mut drop_caps = 0u64;
    match cfg.string(S::Service, "ProtectSystem").unwrap_or("no") {
        "yes" | "true" | "1" | "on" => {
            entries.extend(["/usr", "/boot", "/efi"].map(|p| entry(p, Mode::ReadOnly, true)));
        }
        "full" => entries.extend(["/usr", "/boot", "/efi", "/etc"].map(|p| entry(p, Mode::ReadOnly, true))),
        "strict" => entries.push(entry("/", Mode::ReadOnly, false)),
        _ => {}
    }
    let home = ["/home", "/root", "/run/user"];
    match cfg.string(S::Service, "ProtectHome").unwrap_or("no") {
        "yes" | "true" | "1" | "on" => entries.extend(home.map(|p| entry(p, Mode::Inaccessible, true))),
        "read-only" => entries.extend(home.map(|p| entry(p, Mode::ReadOnly, true))),
        "tmpfs" => entries
            .extend(home.map(|p| entry(p, Mode::Tmpfs { data: "mode=0755".into(), readonly: true }, true))),
        _ => {}
    }
    if b("PrivateTmp") {
        for (outer, dst) in private_tmp_dirs(cfg.id.as_str(), invocation) {
            let src = make_private_tmp(&outer).map_err(|e| format!("Failed to set up PrivateTmp= {}: {e}", outer.display()))?;
            entries.push(entry(dst, Mode::PrivateTmp { src }, false));
        }
    }
    if b("PrivateDevices") {
        entries.push(entry("/dev", Mode::PrivateDev, false));
        drop_caps |= 1 << CAP_MKNOD | 1 << CAP_SYS_RAWIO;
    }
    for (name, mode) in [
        ("ReadWritePaths", Mode::ReadWrite),
        ("ReadOnlyPaths", Mode::ReadOnly),
        ("InaccessiblePaths", Mode::Inaccessible),
    ] {
        for a in cfg.settings.get(S::Service, name) {
            let Value::Paths(list) = &a.value else { continue };
            for p in list {
                let path = if p.root_relative { join_root(root, &p.path) } else { p.path.clone() };
                entries.push(entry(&path, mode.clone(), p.ignore_missing));
            }
        }
    }
    for spec in cfg.strings(S::Service, "TemporaryFileSystem").iter().flat_map(|s| s.split_whitespace()) {
        let (path, opts) = spec.split_once(':').unwrap_or((spec, ""));
        let readonly = opts.split(',').any(|o| o == "ro");
        let mut data: Vec<&str> = opts.split(',').filter(|o| !o.is_empty() && *o != "ro" && *o != "rw").collect();
        if !data.iter().any(|o| o.starts_with("mode=")) {
            data.insert(0, "mode=0755");
        }
        entries.push(entry(path, Mode::Tmpfs { data: data.join(","), readonly }, false));
    }
    for (name, readonly) in [("BindPaths", false), ("BindReadOnlyPaths", true)] {
        for spec in cfg.strings(S::Service, name).iter().flat_map(|s| s.split_whitespace()) {
            let (optional, spec) = match spec.strip_prefix('-') {
                Some(s) => (true, s),
                None => (false, spec),
            };
            let mut parts = spec.splitn(3, ':');
            let src = parts.next().unwrap_or_default();
            let dst = parts.next().filter(|d| !d.is_empty()).unwrap_or(src);
            let recursive = parts.next() != Some("norbind");
            if !src.starts_with('/') || !dst.starts_with('/') {
                return Err(format!("{name}={spec}: paths must be absolute."));
            }
            entries.push(entry(dst, Mode::Bind { src: src.into(), readonly, recursive }, optional));
        }
    }
    if b("ProtectKernelTunables") {
        for p in ["/proc/sys", "/proc/sysrq-trigger", "/proc/latency_stats", "/proc/acpi", "/proc/timer_stats", "/proc/fs", "/proc/irq", "/sys"] {
            entries.push(entry(p, Mode::ReadOnly, true));
        }
        entries.extend(["/proc/kallsyms", "/proc/kcore"].map(|p| entry(p, Mode::Inaccessible, true)));
    }
    if b("ProtectKernelModules") {
        entries.extend(["/usr/lib/modules", "/lib/modules"].map(|p| entry(p, Mode::Inaccessible, true)));
        drop_caps |= 1 << CAP_SYS_MODULE;
    }
    if b("ProtectKernelLogs") {
        entries.extend(["/proc/kmsg", "/dev/kmsg"].map(|p| entry(p, Mode::Inaccessible, true)));
        drop_caps |= 1 << CAP_SYSLOG;
    }
    // ProtectProc=/ProcSubset=: a procfs instance of our own with hidepid=
    // and subset= (`systemd.exec(5)`; Linux 5.8 named the hidepid values).
    let hidepid = cfg.string(S::Service, "ProtectProc").filter(|v| *v != "default");
    let subset = cfg.string(S::Service, "ProcSubset").filter(|v| *v == "pid");
    if hidepid.is_some() || subset.is_some() {
        let mut opts: Vec<String> = Vec::new();
        opts.extend(hidepid.map(|h| format!("hidepid={h}")));
        opts.extend(subset.map(|s| format!("subset={s}")));
        entries.push(entry("/proc", Mode::Proc { data: opts.join(",") }, false));
    }
    if b("ProtectControlGroups") {
        entries.push(entry("/sys/fs/cgroup", Mode::ReadOnly, true));
    }
    for d in super::exec_dirs::paths(cfg, dirs) {
        entries.push(entry(&d.to_string_lossy(), Mode::ExecDir, false));
    }
    if let Some(state) = base.dir.parent() {
        entries.push(entry(&state.to_string_lossy(), Mode::Reachable, false));
    }
    let kernel = ["ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectHostname"].iter().any(|n| b(n));
    let lacks_admin = has_user || bounding.is_some_and(|m| m & (1 << CAP_SYS_ADMIN) == 0);
    base.ensure();
    let table = mountinfo::read();
    let mount_namespace = !entries.is_empty() || b("PrivateMounts");
    Ok(Shaped {
        sandbox: Some(Sandbox {
            private_network: b("PrivateNetwork"),
            private_uts: b("ProtectHostname"),
            private_ipc: b("PrivateIPC"),
            mount_namespace,
            mounts: operations(entries, &table, base),
        }),
        drop_caps,
        implies_no_new_privileges: kernel && lacks_admin,
    })
}

fn join_root(root: &str, path: &str) -> String {
    if root == "/" {
        path.to_string()
    } else {
        format!("{}{}", root.trim_end_matches('/'), path)
    }
}

fn depth(p: &str) -> usize {
    p.split('/').filter(|c| !c.is_empty()).count()
}

/// The host mount a path lives on (the deepest mount point above it).
fn containing<'a>(table: &'a [MountEntry], path: &str) -> Option<&'a MountEntry> {
    table.iter().filter(|m| is_under(path, &m.point)).max_by_key(|m| depth(&m.point))
}

const API: [&str; 3] = ["/dev", "/proc", "/sys"];

fn in_api(p: &str) -> bool {
    API.iter().any(|a| is_under(p, a))
}

/// The operations for `entries` against the host mount `table`, in order.
fn operations(mut entries: Vec<Entry>, table: &[MountEntry], base: &Base) -> Vec<Mount> {
    entries.sort_by(|a, b| depth(&a.path).cmp(&depth(&b.path)).then(a.mode.cmp(&b.mode)));
    let mut out = Vec::new();
    let mut push = |op: MountOp, optional: bool| out.push(Mount { op, optional });
    let ro = |path: &str, readonly: bool, recursive: bool| MountOp::ReadOnly { path: path.into(), readonly, recursive };
    let bind_self = |path: &str| MountOp::Bind { src: path.into(), dst: path.into(), recursive: true };
    for e in entries {
        let p = e.path.as_str();
        match e.mode {
            Mode::ReadOnly if p == "/" => {
                // ProtectSystem=strict: every mount but the API trees.
                for m in table.iter().filter(|m| !in_api(&m.point)) {
                    push(ro(&m.point, true, false), true);
                }
            }
            Mode::ReadOnly => {
                push(bind_self(p), e.optional);
                push(ro(p, true, true), e.optional);
            }
            Mode::ReadWrite => {
                push(bind_self(p), e.optional);
                // Clear read-only only where the host has the mount writable.
                if containing(table, p).is_some_and(|m| !m.readonly) {
                    push(ro(p, false, false), e.optional);
                }
                for m in table.iter().filter(|m| m.point != p && is_under(&m.point, p) && !m.readonly) {
                    if in_api(p) || !in_api(&m.point) {
                        push(ro(&m.point, false, false), true);
                    }
                }
            }
            Mode::Inaccessible => {
                let dir = std::fs::metadata(p).map(|m| m.is_dir()).unwrap_or(true);
                let node = base.dir.join(if dir { "inaccessible-dir" } else { "inaccessible-reg" });
                push(MountOp::Bind { src: node, dst: p.into(), recursive: false }, e.optional);
                push(ro(p, true, false), e.optional);
            }
            Mode::Tmpfs { data, readonly } => {
                push(MountOp::MakeDir { path: p.into(), mode: 0o755 }, true);
                push(MountOp::Tmpfs { dst: p.into(), data }, e.optional);
                if readonly {
                    push(ro(p, true, false), e.optional);
                }
            }
            Mode::Bind { src, readonly, recursive } => {
                let writable_src = containing(table, &src.to_string_lossy()).is_some_and(|m| !m.readonly);
                push(MountOp::Bind { src, dst: p.into(), recursive }, e.optional);
                if readonly {
                    push(ro(p, true, recursive), e.optional);
                } else if writable_src {
                    push(ro(p, false, false), e.optional);
                }
            }
            Mode::ExecDir | Mode::Reachable => {
                let parts: Vec<&str> = p.split('/').filter(|c| !c.is_empty()).collect();
                for i in 1..=parts.len() {
                    let dir = format!("/{}", parts[..i].join("/"));
                    push(MountOp::MakeDir { path: dir.into(), mode: 0o755 }, true);
                }
                push(MountOp::Bind { src: p.into(), dst: p.into(), recursive: true }, false);
                if e.mode == Mode::ExecDir && containing(table, p).is_some_and(|m| !m.readonly) {
                    push(ro(p, false, false), false);
                }
            }
            Mode::PrivateTmp { src } => {
                push(MountOp::Bind { src, dst: p.into(), recursive: false }, false);
                push(ro(p, false, false), false);
            }
            Mode::PrivateDev => private_dev(&mut push, &base.dir.join("dev")),
            Mode::Proc { data } => push(MountOp::Proc { data }, false),
        }
    }
    out
}

/// `PrivateDevices=`: a tmpfs staged at `stage`, the pseudo devices bound
/// into it from the host's `/dev`, then moved over `/dev`.
fn private_dev(push: &mut impl FnMut(MountOp, bool), stage: &Path) {
    push(MountOp::Tmpfs { dst: stage.into(), data: "mode=0755".into() }, false);
    for node in ["null", "zero", "full", "random", "urandom", "tty"] {
        push(MountOp::MakeFile { path: stage.join(node) }, false);
        push(MountOp::Bind { src: Path::new("/dev").join(node), dst: stage.join(node), recursive: false }, true);
    }
    for dir in ["pts", "shm", "mqueue", "hugepages"] {
        push(MountOp::MakeDir { path: stage.join(dir), mode: 0o755 }, false);
        push(MountOp::Bind { src: Path::new("/dev").join(dir), dst: stage.join(dir), recursive: true }, true);
    }
    for (target, link) in [
        ("pts/ptmx", "ptmx"),
        ("/proc/self/fd", "fd"),
        ("/proc/self/fd/0", "stdin"),
        ("/proc/self/fd/1", "stdout"),
        ("/proc/self/fd/2", "stderr"),
    ] {
        push(MountOp::Symlink { target: target.into(), path: stage.join(link) }, false);
    }
    push(MountOp::Move { src: stage.into(), dst: "/dev".into() }, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<MountEntry> {
        [("/", false), ("/proc", false), ("/sys", true), ("/sys/fs/cgroup", false), ("/boot", true), ("/var", false)]
            .iter()
            .map(|(p, r)| MountEntry { point: p.to_string(), readonly: *r })
            .collect()
    }

    fn ops(entries: Vec<Entry>) -> Vec<MountOp> {
        operations(entries, &table(), &Base::new(Path::new("/run/vigil"))).into_iter().map(|m| m.op).collect()
    }

    fn ro(p: &str, readonly: bool, recursive: bool) -> MountOp {
        MountOp::ReadOnly { path: p.into(), readonly, recursive }
    }

    #[test]
    fn strict_makes_every_mount_but_the_api_trees_read_only() {
        assert_eq!(ops(vec![entry("/", Mode::ReadOnly, false)]), [ro("/", true, false), ro("/boot", true, false), ro("/var", true, false)]);
    }

    #[test]
    fn a_writable_path_below_strict_comes_after_and_never_unlocks_what_the_host_made_read_only() {
        let got = ops(vec![entry("/var/lib/x", Mode::ReadWrite, false), entry("/", Mode::ReadOnly, false)]);
        let rw_at = got.iter().position(|o| *o == ro("/var/lib/x", false, false)).expect("cleared");
        assert!(got.iter().position(|o| *o == ro("/var", true, false)).unwrap() < rw_at);
        // /boot is read-only on the host: a ReadWritePaths=/ cannot clear it.
        let got = ops(vec![entry("/", Mode::ReadWrite, false)]);
        assert!(got.contains(&ro("/var", false, false)));
        assert!(!got.contains(&ro("/boot", false, false)));
        assert!(!got.iter().any(|o| matches!(o, MountOp::ReadOnly { path, readonly: false, .. } if path.starts_with("/sys"))));
    }

    #[test]
    fn at_one_path_the_more_restrictive_is_applied_last() {
        let got = ops(vec![entry("/srv", Mode::Inaccessible, false), entry("/srv", Mode::ReadWrite, false)]);
        let last_bind = got.iter().rposition(|o| matches!(o, MountOp::Bind { .. })).unwrap();
        assert!(matches!(&got[last_bind], MountOp::Bind { src, .. } if src.ends_with("inaccessible-dir")));
    }

    #[test]
    fn private_devices_stage_and_move_over_dev() {
        let got = ops(vec![entry("/dev", Mode::PrivateDev, false)]);
        assert!(matches!(&got[0], MountOp::Tmpfs { dst, .. } if dst == Path::new("/run/vigil/sandbox/dev")));
        assert_eq!(got.last(), Some(&MountOp::Move { src: "/run/vigil/sandbox/dev".into(), dst: "/dev".into() }));
    }

    #[test]
    fn root_relative_paths_join_the_root_directory() {
        assert_eq!(join_root("/srv/root/", "/etc"), "/srv/root/etc");
        assert_eq!(join_root("/", "/etc"), "/etc");
    }
}
