//! Helpers shared by the generator tests: temporary roots built from
//! fixtures, and snapshots of a generator output directory.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("vigil-gen-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        // Canonical, so paths compare equal with what tools resolve.
        TempDir(std::fs::canonicalize(&p).expect("canonicalize temp dir"))
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/generator").join(rel)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let mut entries: Vec<_> =
        std::fs::read_dir(from).expect("read fixture dir").map(|e| e.expect("entry")).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let src = e.path();
        let dst = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// Build a root from `fixtures/generator/<name>`: copy `etc/` and `units/`,
/// chmod files per `modes.txt` (default 0755 under etc/init.d, 0644
/// elsewhere), create the symlinks listed in `links.txt`.
pub fn root_from_fixture(name: &str, into: &Path) {
    let fx = fixture(name);
    for sub in ["etc", "units"] {
        if fx.join(sub).is_dir() {
            copy_tree(&fx.join(sub), &into.join(sub));
        }
    }
    set_default_modes(into, into);
    if let Ok(modes) = std::fs::read_to_string(fx.join("modes.txt")) {
        for line in modes.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let mut it = line.split_whitespace();
            let (Some(p), Some(m)) = (it.next(), it.next()) else {
                panic!("bad modes.txt line {line}")
            };
            let mode = u32::from_str_radix(m, 8).expect("octal mode");
            std::fs::set_permissions(into.join(p), std::fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
    }
    if let Ok(links) = std::fs::read_to_string(fx.join("links.txt")) {
        for line in links.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
            let mut it = line.split_whitespace();
            let (Some(p), Some(t)) = (it.next(), it.next()) else {
                panic!("bad links.txt line {line}")
            };
            let at = into.join(p);
            std::fs::create_dir_all(at.parent().expect("parent")).expect("mkdir");
            std::os::unix::fs::symlink(t, &at).expect("symlink");
        }
    }
}

fn set_default_modes(root: &Path, dir: &Path) {
    for e in std::fs::read_dir(dir).expect("read") {
        let e = e.expect("entry");
        let p = e.path();
        let ft = e.file_type().expect("type");
        if ft.is_dir() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            set_default_modes(root, &p);
        } else if ft.is_file() {
            let exec =
                p.starts_with(root.join("etc/init.d")) || p.starts_with(root.join("usr/sbin"));
            let mode = if exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
    }
}

/// One entry of an output directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Out {
    File(String),
    Link(PathBuf),
}

/// Every file and symlink under `dir`, by relative path.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Out> {
    let mut m = BTreeMap::new();
    walk(dir, dir, &mut m);
    m
}

fn walk(base: &Path, dir: &Path, m: &mut BTreeMap<PathBuf, Out>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd {
        let e = e.expect("entry");
        let p = e.path();
        let rel = p.strip_prefix(base).expect("under base").to_path_buf();
        let ft = e.file_type().expect("type");
        if ft.is_symlink() {
            m.insert(rel, Out::Link(std::fs::read_link(&p).expect("readlink")));
        } else if ft.is_dir() {
            walk(base, &p, m);
        } else {
            m.insert(rel, Out::File(std::fs::read_to_string(&p).expect("read")));
        }
    }
}

/// The uid that owns files this test process creates.
pub fn my_uid(dir: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).expect("stat").uid()
}
