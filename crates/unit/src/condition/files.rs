//! The path conditions: `PathExists`, `PathExistsGlob`, `PathIsDirectory`,
//! `PathIsSymbolicLink`, `PathIsMountPoint`, `PathIsReadWrite`,
//! `PathIsEncrypted`, `DirectoryNotEmpty`, `FileNotEmpty`,
//! `FileIsExecutable` and `NeedsUpdate` (`systemd.unit(5)`).
//!
//! Every path is looked up inside [`CheckEnv::root`]: symlinks are
//! resolved with [`crate::paths::chase`], so an absolute link target stays
//! in the root, the way a `--root=DIR` manager sees its own tree. The
//! final component is followed for every check except
//! `PathIsSymbolicLink=`, as systemd's `stat()`/`lstat()` calls do.
//!
//! Mount facts come from `/proc/self/mountinfo` (under
//! [`CheckEnv::system`]) instead of `statvfs()`/`name_to_handle_at()`: a
//! path is a mount point when its resolved location is listed as one (the
//! root directory always is), and it is read-only when the mount holding
//! it (the longest listed prefix, the last such entry when stacked) has
//! `ro` in its mount or superblock options. Encryption follows systemd's
//! `path_is_encrypted()`: the block device behind the path, or any device
//! it is stacked on (`/sys/dev/block/M:m/slaves`), must be a dm-crypt
//! device (`dm/uuid` starting with `CRYPT-`); file systems without a block
//! device (tmpfs, overlay) are not encrypted.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::compare::{expand_braces, fnmatch, has_magic, MatchFlags};
use super::{CheckEnv, Verdict};
use crate::paths::{chase, in_root};
use crate::value::boolean::parse_boolean;

/// The host path of in-root `path`, all symlinks followed.
fn resolve(env: &CheckEnv, path: &str) -> PathBuf {
    match chase(&env.root, Path::new(path)) {
        Ok(p) => in_root(&env.root, &p),
        Err(_) => in_root(&env.root, Path::new(path)),
    }
}

/// The host path of in-root `path` with its directory resolved but the
/// last component kept (for `lstat()`).
fn resolve_parent(env: &CheckEnv, path: &str) -> PathBuf {
    let p = Path::new(path);
    match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) => resolve(env, &dir.to_string_lossy()).join(name),
        _ => resolve(env, path),
    }
}

pub(super) fn path_exists(env: &CheckEnv, arg: &str) -> Verdict {
    Ok(std::fs::metadata(resolve(env, arg)).is_ok())
}

pub(super) fn path_is_directory(env: &CheckEnv, arg: &str) -> Verdict {
    Ok(std::fs::metadata(resolve(env, arg)).is_ok_and(|m| m.is_dir()))
}

pub(super) fn path_is_symbolic_link(env: &CheckEnv, arg: &str) -> Verdict {
    Ok(std::fs::symlink_metadata(resolve_parent(env, arg)).is_ok_and(|m| m.file_type().is_symlink()))
}

pub(super) fn file_not_empty(env: &CheckEnv, arg: &str) -> Verdict {
    Ok(std::fs::metadata(resolve(env, arg)).is_ok_and(|m| m.is_file() && m.len() > 0))
}

pub(super) fn file_is_executable(env: &CheckEnv, arg: &str) -> Verdict {
    Ok(std::fs::metadata(resolve(env, arg)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

// `hidden_or_backup_file()`: names `DirectoryNotEmpty=` does not count.
use crate::load::dropin::hidden_or_backup;

/// Met unless the directory is empty, missing or not a directory; like
/// systemd, an unreadable directory counts as not empty.
pub(super) fn directory_not_empty(env: &CheckEnv, arg: &str) -> Verdict {
    let dir = resolve(env, arg);
    match std::fs::read_dir(&dir) {
        Ok(entries) => Ok(entries.flatten().any(|e| !hidden_or_backup(&e.file_name().to_string_lossy()))),
        Err(e) => Ok(!matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory)),
    }
}

/// `glob(…, GLOB_BRACE)` inside the root: does anything match?
pub(super) fn path_exists_glob(env: &CheckEnv, arg: &str) -> Verdict {
    Ok(expand_braces(arg).iter().any(|p| glob_exists(&env.root, p)))
}

fn glob_exists(root: &Path, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let mut here = vec![PathBuf::from("/")];
    for (k, part) in parts.iter().enumerate() {
        let last = k + 1 == parts.len();
        let mut next = Vec::new();
        for dir in &here {
            if has_magic(part) {
                let Ok(entries) = std::fs::read_dir(in_root(root, dir)) else { continue };
                for e in entries.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if fnmatch(part, &name, MatchFlags { casefold: false, file_name: true }) {
                        next.push(dir.join(name));
                    }
                }
            } else {
                let literal: String = part.replace('\\', "");
                let candidate = dir.join(&literal);
                let host = in_root(root, &candidate);
                let present = if last { std::fs::symlink_metadata(&host).is_ok() } else { host.is_dir() };
                if present {
                    next.push(candidate);
                }
            }
        }
        if next.is_empty() {
            return false;
        }
        here = next;
    }
    !here.is_empty()
}

/// One mount, as the path conditions use it.
struct MountEntry {
    mount_point: PathBuf,
    read_only: bool,
}

fn mountinfo(env: &CheckEnv) -> Option<Vec<MountEntry>> {
    let text = std::fs::read_to_string(env.system_path("/proc/self/mountinfo")).ok()?;
    Some(
        crate::mountinfo::parse(&text)
            .into_iter()
            .map(|m| MountEntry { read_only: m.readonly(), mount_point: PathBuf::from(m.point) })
            .collect(),
    )
}

/// The canonical host path of in-root `arg` (every symlink followed).
fn canonical(env: &CheckEnv, arg: &str) -> Option<PathBuf> {
    std::fs::canonicalize(resolve(env, arg)).ok()
}

pub(super) fn path_is_mount_point(env: &CheckEnv, arg: &str) -> Verdict {
    let Some(path) = canonical(env, arg) else { return Ok(false) };
    if path == Path::new("/") {
        return Ok(true);
    }
    let mounts = mountinfo(env).ok_or_else(|| "cannot read /proc/self/mountinfo".to_string())?;
    Ok(mounts.iter().any(|m| m.mount_point == path))
}

/// `path_is_read_only_fs()`: `Some(read_only)`, `None` if the path is
/// missing.
fn read_only_fs(env: &CheckEnv, arg: &str) -> Option<bool> {
    let path = canonical(env, arg)?;
    let mounts = mountinfo(env)?;
    let holder = mounts
        .iter()
        .filter(|m| path.starts_with(&m.mount_point))
        .max_by_key(|m| m.mount_point.components().count());
    let depth = holder.map(|h| h.mount_point.components().count());
    // Stacked mounts on the same point: the last listed one is on top.
    let top = mounts
        .iter()
        .rfind(|m| path.starts_with(&m.mount_point) && Some(m.mount_point.components().count()) == depth);
    Some(top.is_some_and(|m| m.read_only))
}

/// Met when the path exists on a writable file system.
pub(super) fn path_is_read_write(env: &CheckEnv, arg: &str) -> Verdict {
    Ok(matches!(read_only_fs(env, arg), Some(false)))
}

/// Linux `dev_t` → (major, minor).
fn major_minor(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

fn block_is_encrypted(dir: &Path, depth: usize) -> bool {
    if depth > 16 {
        return false;
    }
    let uuid = std::fs::read_to_string(dir.join("dm/uuid")).unwrap_or_default();
    if uuid.starts_with("CRYPT-") {
        return true;
    }
    let Ok(slaves) = std::fs::read_dir(dir.join("slaves")) else { return false };
    slaves.flatten().any(|s| block_is_encrypted(&s.path(), depth + 1))
}

pub(super) fn path_is_encrypted(env: &CheckEnv, arg: &str) -> Verdict {
    let Ok(meta) = std::fs::metadata(resolve(env, arg)) else { return Ok(false) };
    let (major, minor) = major_minor(meta.dev());
    if major == 0 {
        return Ok(false);
    }
    let dir = env.system_path(&format!("/sys/dev/block/{major}:{minor}"));
    Ok(block_is_encrypted(&dir, 0))
}

/// `ConditionNeedsUpdate=`: is `/usr` newer than `ARG/.updated`?
pub(super) fn needs_update(env: &CheckEnv, arg: &str) -> Verdict {
    if let Some(v) = super::system::cmdline_value(env, "systemd.condition-needs-update") {
        if let Ok(b) = parse_boolean(&v) {
            return Ok(b);
        }
    }
    if std::fs::metadata(in_root(&env.root, Path::new("/etc/initrd-release"))).is_ok() {
        return Ok(false);
    }
    if !arg.starts_with('/') {
        return Ok(true);
    }
    if read_only_fs(env, arg) == Some(true) {
        return Ok(false);
    }
    let stamp = resolve(env, &format!("{}/.updated", arg.trim_end_matches('/')));
    let Ok(other) = std::fs::symlink_metadata(&stamp) else { return Ok(true) };
    let Ok(usr) = std::fs::symlink_metadata(resolve(env, "/usr/")) else { return Ok(true) };
    if usr.mtime() != other.mtime() {
        return Ok(usr.mtime() > other.mtime());
    }
    if usr.mtime_nsec() == 0 || other.mtime_nsec() > 0 {
        return Ok(usr.mtime_nsec() > other.mtime_nsec());
    }
    // The stamp's file system has no nanoseconds: systemd-update-done wrote
    // the exact time into the file.
    let text = std::fs::read_to_string(&stamp).unwrap_or_default();
    let nsec = crate::host::parse_os_release(&text)
        .into_iter()
        .find(|(k, _)| k == "TIMESTAMP_NSEC")
        .and_then(|(_, v)| v.parse::<i128>().ok());
    Ok(match nsec {
        Some(n) => i128::from(usr.mtime()) * 1_000_000_000 + i128::from(usr.mtime_nsec()) > n,
        None => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names() {
        for n in [".x", "a~", "lost+found", "x.dpkg-old", "x.bak", "x.swp"] {
            assert!(hidden_or_backup(n), "{n}");
        }
        for n in ["a", "a.conf", "bak", "x.orig"] {
            assert!(!hidden_or_backup(n), "{n}");
        }
    }

    #[test]
    fn devices() {
        assert_eq!(major_minor(0x0803), (8, 3));
        assert_eq!(major_minor((259 << 8) | 1), (259, 1));
        assert_eq!(crate::mountinfo::unescape("/mnt/a\\040b"), "/mnt/a b");
    }
}
