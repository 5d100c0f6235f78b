//! Shared machinery of the differential tests: scratch roots, a small
//! language to prepare them, running the real `systemd-tmpfiles` 252 and
//! our library on twin copies, and comparing the resulting trees.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use tmpfiles::{apply, config, Config, LoadOptions, Ops, Scope, Severity};

/// The oracle. Missing is a failure, not a skip: CI has it.
pub const ORACLE: &str = "systemd-tmpfiles";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let base = std::env::var_os("CARGO_TARGET_TMPDIR").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let p = base.join(format!("tmpfiles-{}-{}-{}", tag, std::process::id(), n));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Undo chattr flags that would block removal.
        let _ = Command::new("chattr").args(["-R", "-i", "-a"]).arg(&self.0).output();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Default users of every prepared root. Group ids for names used in ACL
/// lines match the host's, because the real tool resolves ACL names
/// through the host's NSS while we read the root's files.
pub const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
foo:x:1001:1002::/home/foo:/bin/sh\n\
bar:x:1003:1003::/home/bar:/bin/sh\n";
pub const GROUP: &str = "root:x:0:\n\
daemon:x:1:\n\
adm:x:4:\n\
disk:x:6:\n\
utmp:x:43:\n\
foog:x:1002:\n\
bar:x:1003:\n";

fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(gid)).unwrap();
}

/// Prepare a root from a script, one command per line:
///
/// ```text
/// dir PATH [MODE [UID GID]]
/// file PATH MODE UID GID [CONTENT…]     (\n in CONTENT is a newline)
/// link PATH TARGET
/// fifo PATH
/// xattr PATH NAME VALUE
/// age PATH SECONDS                      (atime and mtime that long ago)
/// ```
pub fn prepare(root: &Path, script: &str) {
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/passwd"), PASSWD).unwrap();
    std::fs::write(root.join("etc/group"), GROUP).unwrap();
    for line in script.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.splitn(6, ' ').collect();
        let p = root.join(f[1].trim_start_matches('/'));
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let num = |i: usize, d: u32| f.get(i).map(|s| u32::from_str_radix(s, if i == 2 { 8 } else { 10 }).unwrap()).unwrap_or(d);
        match f[0] {
            "dir" => {
                std::fs::create_dir_all(&p).unwrap();
                set_mode(&p, num(2, 0o755));
                chown(&p, num(3, 0), num(4, 0));
            }
            "file" => {
                let content = f.get(5).map(|s| s.replace("\\n", "\n")).unwrap_or_default();
                std::fs::write(&p, content).unwrap();
                set_mode(&p, num(2, 0o644));
                chown(&p, num(3, 0), num(4, 0));
            }
            "link" => std::os::unix::fs::symlink(f[2], &p).unwrap(),
            "fifo" => {
                let c = CString::new(p.as_os_str().as_bytes()).unwrap();
                // SAFETY: valid path string.
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
            }
            "xattr" => {
                let c = CString::new(p.as_os_str().as_bytes()).unwrap();
                let n = CString::new(f[2]).unwrap();
                // SAFETY: valid strings.
                let r = unsafe { libc::lsetxattr(c.as_ptr(), n.as_ptr(), f[3].as_ptr().cast(), f[3].len(), 0) };
                assert_eq!(r, 0);
            }
            "age" => {
                let ago: i64 = f[2].parse().unwrap();
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
                let t = libc::timespec { tv_sec: now - ago, tv_nsec: 0 };
                let c = CString::new(p.as_os_str().as_bytes()).unwrap();
                // SAFETY: valid path, two timespecs.
                let r = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [t, t].as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
                assert_eq!(r, 0);
            }
            other => panic!("unknown setup command {other}"),
        }
    }
}

/// One object of a tree, everything the tests compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: char,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub content: Option<Vec<u8>>,
    pub target: Option<PathBuf>,
    pub rdev: u64,
    pub xattrs: BTreeMap<String, Vec<u8>>,
    pub flags: Option<u32>,
}

fn xattrs(p: &Path) -> BTreeMap<String, Vec<u8>> {
    let c = CString::new(p.as_os_str().as_bytes()).unwrap();
    let mut buf = vec![0u8; 4096];
    // SAFETY: valid string, writable buffer.
    let n = unsafe { libc::llistxattr(c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    let mut out = BTreeMap::new();
    if n <= 0 {
        return out;
    }
    buf.truncate(n as usize);
    for name in buf.split(|&b| b == 0).filter(|s| !s.is_empty()) {
        let cn = CString::new(name).unwrap();
        let mut v = vec![0u8; 4096];
        // SAFETY: valid strings, writable buffer.
        let r = unsafe { libc::lgetxattr(c.as_ptr(), cn.as_ptr(), v.as_mut_ptr().cast(), v.len()) };
        if r >= 0 {
            v.truncate(r as usize);
            out.insert(String::from_utf8_lossy(name).into_owned(), v);
        }
    }
    out
}

fn flags(p: &Path) -> Option<u32> {
    let f = std::fs::File::open(p).ok()?;
    let mut v: libc::c_int = 0;
    // SAFETY: the ioctl writes one int.
    let r = unsafe { libc::ioctl(std::os::fd::AsRawFd::as_raw_fd(&f), libc::FS_IOC_GETFLAGS as _, &mut v) };
    (r == 0).then_some(v as u32)
}

/// Every object below `root`, keyed by its path relative to the root.
pub fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        for p in names {
            let md = std::fs::symlink_metadata(&p).unwrap();
            let ft = md.file_type();
            use std::os::unix::fs::FileTypeExt;
            let kind = if ft.is_dir() {
                'd'
            } else if ft.is_symlink() {
                'l'
            } else if ft.is_file() {
                'f'
            } else if ft.is_fifo() {
                'p'
            } else if ft.is_char_device() {
                'c'
            } else if ft.is_block_device() {
                'b'
            } else {
                's'
            };
            let e = Entry {
                kind,
                mode: if kind == 'l' { 0 } else { md.mode() & 0o7777 },
                uid: md.uid(),
                gid: md.gid(),
                content: (kind == 'f').then(|| std::fs::read(&p).unwrap()),
                target: (kind == 'l').then(|| std::fs::read_link(&p).unwrap()),
                rdev: md.rdev(),
                xattrs: if kind == 'l' { BTreeMap::new() } else { xattrs(&p) },
                flags: if kind == 'f' || kind == 'd' { flags(&p) } else { None },
            };
            if kind == 'd' {
                todo.push(p.clone());
            }
            out.insert(p.strip_prefix(root).unwrap().to_path_buf(), e);
        }
    }
    out
}

fn show(e: &Entry) -> String {
    let mut s = format!("{} {:04o} {}:{}", e.kind, e.mode, e.uid, e.gid);
    if let Some(c) = &e.content {
        s.push_str(&format!(" content={:?}", String::from_utf8_lossy(c)));
    }
    if let Some(t) = &e.target {
        s.push_str(&format!(" -> {}", t.display()));
    }
    if e.rdev != 0 {
        s.push_str(&format!(" rdev={:x}", e.rdev));
    }
    if !e.xattrs.is_empty() {
        s.push_str(&format!(" xattrs={:?}", e.xattrs));
    }
    if let Some(f) = e.flags {
        s.push_str(&format!(" flags={f:x}"));
    }
    s
}

/// Human-readable differences between two snapshots.
pub fn diff(a: &BTreeMap<PathBuf, Entry>, b: &BTreeMap<PathBuf, Entry>) -> Vec<String> {
    let keys: BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        match (a.get(k), b.get(k)) {
            (Some(x), Some(y)) if x == y => {}
            (Some(x), Some(y)) => out.push(format!("{}: systemd {}\n        ours    {}", k.display(), show(x), show(y))),
            (Some(x), None) => out.push(format!("{}: only systemd has it: {}", k.display(), show(x))),
            (None, Some(y)) => out.push(format!("{}: only ours has it: {}", k.display(), show(y))),
            (None, None) => {}
        }
    }
    out
}

/// What one side did.
pub struct Outcome {
    pub tree: BTreeMap<PathBuf, Entry>,
    pub exit: i32,
    /// Line numbers of the configuration reported as invalid.
    pub bad_lines: BTreeSet<usize>,
    pub log: String,
}

fn ops_args(ops: Ops) -> Vec<&'static str> {
    let mut v = Vec::new();
    if ops.create {
        v.push("--create");
    }
    if ops.remove {
        v.push("--remove");
    }
    if ops.clean {
        v.push("--clean");
    }
    if ops.boot {
        v.push("--boot");
    }
    v
}

/// Run the real tool on `root` with the configuration files `confs`.
pub fn run_systemd(root: &Path, confs: &[PathBuf], ops: Ops, creds: Option<&Path>) -> Outcome {
    let mut cmd = Command::new(ORACLE);
    cmd.arg(format!("--root={}", root.display())).args(ops_args(ops)).args(confs);
    cmd.env("HOME", "/root").env_remove("TMPDIR").env_remove("TEMP").env_remove("TMP").env("SYSTEMD_LOG_LEVEL", "info");
    match creds {
        Some(c) => cmd.env("CREDENTIALS_DIRECTORY", c),
        None => cmd.env_remove("CREDENTIALS_DIRECTORY"),
    };
    let out = cmd.output().unwrap_or_else(|e| panic!("the oracle {ORACLE} must be installed: {e}"));
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut bad_lines = BTreeSet::new();
    // 252 reports an unknown chattr letter without file:line; find the
    // `h`/`H` line it is about by its path.
    for l in log.lines() {
        let Some(rest) = l.strip_prefix("Unknown file attribute '") else { continue };
        let Some(path) = rest.split("' on '").nth(1).and_then(|p| p.strip_suffix("'.")) else { continue };
        for c in confs {
            let text = std::fs::read_to_string(c).unwrap_or_default();
            for (i, line) in text.lines().enumerate() {
                let mut w = line.split_whitespace();
                if matches!(w.next(), Some(t) if t.starts_with('h') || t.starts_with('H')) && w.next() == Some(path) {
                    bad_lines.insert(i + 1);
                }
            }
        }
    }
    for l in log.lines() {
        for c in confs {
            let prefix = format!("{}:", c.display());
            if let Some(rest) = l.strip_prefix(&prefix) {
                let (num, msg) = rest.split_once(':').unwrap_or(("", ""));
                // Notices (duplicates, /var/run) are not errors.
                let notice = msg.contains("Duplicate line") || msg.contains("legacy directory") || msg.contains("ignoring");
                if let Ok(n) = num.parse::<usize>() {
                    if !notice {
                        bad_lines.insert(n);
                    }
                }
            }
        }
    }
    Outcome { tree: snapshot(root), exit: out.status.code().unwrap_or(-1), bad_lines, log }
}

/// Run our library on `root` with the same files.
pub fn run_ours(root: &Path, confs: &[PathBuf], ops: Ops, creds: Option<&Path>) -> Outcome {
    let host = config::detect_host(root, Scope::System);
    let opts = LoadOptions { root, scope: Scope::System, host: &host, credentials: creds, prefixes: Default::default() };
    let (cfg, diags) = Config::load_with(&opts, Some(confs)).expect("load");
    let report = apply(&cfg, root, ops);
    let mut log = String::new();
    let mut bad_lines = BTreeSet::new();
    for d in &diags {
        log.push_str(&format!("{d}\n"));
        if d.severity == Severity::Error && (ops.boot || !d.boot_only) && confs.contains(&d.origin.file) {
            bad_lines.insert(d.origin.line);
        }
    }
    for f in &report.failures {
        log.push_str(&format!("{f}\n"));
    }
    for n in &report.notes {
        log.push_str(&format!("note: {n}\n"));
    }
    let exit = report.exit_status(&diags, ops.boot);
    Outcome { tree: snapshot(root), exit, bad_lines, log }
}

/// Prepare twin roots, run both sides, return the differences (empty when
/// they agree on the tree, the exit status and the invalid lines).
pub fn differential(name: &str, setup: &str, conf: &str, ops: Ops) -> Vec<String> {
    differential_with(name, setup, conf, ops, None)
}

pub fn differential_with(name: &str, setup: &str, conf: &str, ops: Ops, creds: Option<&Path>) -> Vec<String> {
    let mut problems = differential_once(name, setup, conf, ops, creds);
    // Then every line alone, so that "the same lines fail on both sides"
    // is checked line by line even for failures systemd reports without
    // file:line (the exit status tells).
    let lines: Vec<&str> = conf.lines().filter(|l| !l.trim().is_empty() && !l.trim().starts_with('#')).collect();
    if lines.len() > 1 {
        for (i, line) in lines.iter().enumerate() {
            problems.extend(differential_once(&format!("{name}-line{}", i + 1), setup, &format!("{line}\n"), ops, creds));
        }
    }
    problems
}

fn differential_once(name: &str, setup: &str, conf: &str, ops: Ops, creds: Option<&Path>) -> Vec<String> {
    let s = Scratch::new(name);
    let a = s.0.join("a");
    let b = s.0.join("b");
    prepare(&a, setup);
    prepare(&b, setup);
    let conf_path = s.0.join(format!("{name}.conf"));
    std::fs::write(&conf_path, conf).unwrap();
    let confs = [conf_path];
    let sys = run_systemd(&a, &confs, ops, creds);
    let ours = run_ours(&b, &confs, ops, creds);
    let mut problems = Vec::new();
    for d in diff(&sys.tree, &ours.tree) {
        problems.push(format!("[{name}] tree: {d}"));
    }
    if sys.exit != ours.exit {
        problems.push(format!("[{name}] exit status: systemd {} ours {}", sys.exit, ours.exit));
    }
    if sys.bad_lines != ours.bad_lines {
        problems.push(format!("[{name}] invalid lines: systemd {:?} ours {:?}", sys.bad_lines, ours.bad_lines));
    }
    if !problems.is_empty() {
        problems.push(format!("[{name}] systemd log:\n{}\n[{name}] our log:\n{}", sys.log, ours.log));
    } else if std::env::var_os("TMPFILES_TEST_VERBOSE").is_some() {
        eprintln!("[{name}] systemd log:\n{}\n[{name}] our log:\n{}", sys.log, ours.log);
    }
    problems
}

/// Like [`differential`], with the configuration inside the roots'
/// directories (as a booting system finds it) instead of named files.
pub fn differential_dirs(name: &str, setup: &str, ops: Ops) -> Vec<String> {
    let s = Scratch::new(name);
    let a = s.0.join("a");
    let b = s.0.join("b");
    prepare(&a, setup);
    prepare(&b, setup);
    let sys = run_systemd(&a, &[], ops, None);
    let ours = run_ours_dirs(&b, ops);
    let mut problems: Vec<String> = diff(&sys.tree, &ours.tree).into_iter().map(|d| format!("[{name}] tree: {d}")).collect();
    if sys.exit != ours.exit {
        problems.push(format!("[{name}] exit status: systemd {} ours {}", sys.exit, ours.exit));
    }
    if !problems.is_empty() {
        problems.push(format!("[{name}] systemd log:\n{}\n[{name}] our log:\n{}", sys.log, ours.log));
    }
    problems
}

/// Our side, reading the root's configuration directories.
pub fn run_ours_dirs(root: &Path, ops: Ops) -> Outcome {
    let mut host = config::detect_host(root, Scope::System);
    host.credentials_dir = None;
    let opts = LoadOptions { root, scope: Scope::System, host: &host, credentials: None, prefixes: Default::default() };
    let (cfg, diags) = Config::load_with(&opts, None).expect("load");
    let report = apply(&cfg, root, ops);
    let mut log: String = diags.iter().map(|d| format!("{d}\n")).collect();
    log.extend(report.failures.iter().map(|f| format!("{f}\n")));
    let exit = report.exit_status(&diags, ops.boot);
    Outcome { tree: snapshot(root), exit, bad_lines: BTreeSet::new(), log }
}

pub const CREATE_REMOVE_BOOT: Ops = Ops { create: true, remove: true, clean: false, boot: true };
