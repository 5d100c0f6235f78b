//! User and group resolution, done in the parent before fork.
//!
//! NSS (`getpwnam_r`, `getgrnam_r`, `getgrouplist`) may load modules, talk
//! to daemons over sockets and take locks; none of that is
//! async-signal-safe, so none of it may run between `fork(2)` and
//! `execve(2)`. The manager resolves here and the child only calls
//! `setgroups`/`setresgid`/`setresuid` with plain numbers.
//!
//! Rules follow systemd's `get_user_creds()`/`get_group_creds()`
//! (`systemd.exec(5)`, "User=, Group="):
//!
//! - a name made only of digits is a numeric ID; it must still exist in
//!   the user database (systemd fails with `ESRCH` otherwise), and the
//!   reserved IDs `65535` and `4294967295` are never valid;
//! - `root`/`0` are synthesized without NSS (uid 0, home `/root`, shell
//!   `/bin/sh`), so that a broken NSS setup cannot stop root services;
//! - `nobody`/`65534` (and the group `nogroup`, Debian's build of
//!   systemd) are synthesized too (home `/`, shell `/usr/sbin/nologin`).
//!
//! Supplementary groups follow `initgroups(3)` semantics: the user's groups
//! from the group database, plus `SupplementaryGroups=`. As in systemd,
//! the database is not consulted when the effective group is 0.
//!
//! Main types: [`UserInfo`], [`GroupInfo`], [`CredError`].

use std::ffi::{CStr, CString, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use libc::{c_char, c_int, gid_t, uid_t};

/// A resolved user (`struct passwd`, the fields a service needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
    pub shell: PathBuf,
}

/// A resolved group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupInfo {
    pub name: String,
    pub gid: u32,
}

/// Why a user or group could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum CredError {
    #[error("user {0:?} not found in the user database")]
    UserNotFound(String),
    #[error("group {0:?} not found in the group database")]
    GroupNotFound(String),
    #[error("looking up {what} {name:?} failed: {source}")]
    Lookup {
        what: &'static str,
        name: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} name {name:?} contains a NUL byte")]
    Nul { what: &'static str, name: String },
}

/// Parses a numeric UID/GID as systemd's `parse_uid()` does: decimal
/// digits only, and never the reserved `(uid_t) -1` or `(uint16_t) -1`.
fn parse_id(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: u32 = s.parse().ok()?;
    if id == u32::MAX || id == 65535 {
        return None;
    }
    Some(id)
}

const NOBODY_ID: u32 = 65534;

/// Resolves `User=` (a name or a numeric UID).
pub fn resolve_user(name: &str) -> Result<UserInfo, CredError> {
    if name == "root" || name == "0" {
        return Ok(UserInfo {
            name: "root".into(),
            uid: 0,
            gid: 0,
            home: "/root".into(),
            shell: "/bin/sh".into(),
        });
    }
    if name == "nobody" || name == "65534" {
        return Ok(UserInfo {
            name: "nobody".into(),
            uid: NOBODY_ID,
            gid: NOBODY_ID,
            home: "/".into(),
            shell: "/usr/sbin/nologin".into(),
        });
    }
    let found = match parse_id(name) {
        Some(uid) => passwd_lookup(name, |pw, buf, len, out| {
            // SAFETY: all pointers are valid for the call; see passwd_lookup.
            unsafe { libc::getpwuid_r(uid as uid_t, pw, buf, len, out) }
        })?,
        None => {
            let cname = CString::new(name).map_err(|_| CredError::Nul {
                what: "user",
                name: name.into(),
            })?;
            passwd_lookup(name, |pw, buf, len, out| {
                // SAFETY: all pointers are valid for the call; see passwd_lookup.
                unsafe { libc::getpwnam_r(cname.as_ptr(), pw, buf, len, out) }
            })?
        }
    };
    found.ok_or_else(|| CredError::UserNotFound(name.into()))
}

/// Resolves `Group=` or one `SupplementaryGroups=` entry.
pub fn resolve_group(name: &str) -> Result<GroupInfo, CredError> {
    if name == "root" || name == "0" {
        return Ok(GroupInfo {
            name: "root".into(),
            gid: 0,
        });
    }
    if name == "nogroup" || name == "65534" {
        return Ok(GroupInfo {
            name: "nogroup".into(),
            gid: NOBODY_ID,
        });
    }
    let found = match parse_id(name) {
        Some(gid) => group_lookup(name, |gr, buf, len, out| {
            // SAFETY: all pointers are valid for the call; see group_lookup.
            unsafe { libc::getgrgid_r(gid as gid_t, gr, buf, len, out) }
        })?,
        None => {
            let cname = CString::new(name).map_err(|_| CredError::Nul {
                what: "group",
                name: name.into(),
            })?;
            group_lookup(name, |gr, buf, len, out| {
                // SAFETY: all pointers are valid for the call; see group_lookup.
                unsafe { libc::getgrnam_r(cname.as_ptr(), gr, buf, len, out) }
            })?
        }
    };
    found.ok_or_else(|| CredError::GroupNotFound(name.into()))
}

/// The groups `initgroups(user, gid)` would set: `gid` plus every group
/// listing `user` as a member.
pub fn user_groups(user: &str, gid: u32) -> Result<Vec<u32>, CredError> {
    let cname = CString::new(user).map_err(|_| CredError::Nul {
        what: "user",
        name: user.into(),
    })?;
    let mut groups: Vec<gid_t> = vec![0; 32];
    // Grow until getgrouplist fits; it reports the needed count in `n`.
    for _ in 0..16 {
        let mut n = c_int::try_from(groups.len()).unwrap_or(c_int::MAX);
        // SAFETY: `groups` has room for `n` entries; `cname` is NUL-terminated.
        let r = unsafe {
            libc::getgrouplist(cname.as_ptr(), gid as gid_t, groups.as_mut_ptr(), &mut n)
        };
        let n = usize::try_from(n).unwrap_or(0);
        if r >= 0 {
            groups.truncate(n);
            return Ok(groups);
        }
        let grow = n.max(groups.len() * 2);
        groups.resize(grow, 0);
    }
    Err(CredError::Lookup {
        what: "groups of user",
        name: user.into(),
        source: std::io::Error::from_raw_os_error(libc::E2BIG),
    })
}

/// The home directory for `WorkingDirectory=~` when no `User=` is set: the
/// manager's own, as systemd's `get_home_dir()` finds it (`$HOME` when
/// absolute, `/root` for root, else the user database).
pub fn own_home() -> Result<PathBuf, CredError> {
    if let Some(home) = std::env::var_os("HOME") {
        let p = PathBuf::from(home);
        if p.is_absolute() {
            return Ok(p);
        }
    }
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    if uid == 0 {
        return Ok("/root".into());
    }
    resolve_user(&uid.to_string()).map(|u| u.home)
}

/// Size of the first scratch buffer for the reentrant NSS calls; grown on
/// `ERANGE`.
const NSS_BUF: usize = 1024;

fn cstr_string(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: NSS returns NUL-terminated strings inside our buffer.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn cstr_path(p: *const c_char) -> PathBuf {
    if p.is_null() {
        return PathBuf::new();
    }
    // SAFETY: NSS returns NUL-terminated strings inside our buffer.
    PathBuf::from(OsStr::from_bytes(unsafe { CStr::from_ptr(p) }.to_bytes()))
}

fn passwd_lookup(
    name: &str,
    mut call: impl FnMut(*mut libc::passwd, *mut c_char, usize, *mut *mut libc::passwd) -> c_int,
) -> Result<Option<UserInfo>, CredError> {
    let mut buf: Vec<c_char> = vec![0; NSS_BUF];
    loop {
        // SAFETY: passwd is plain old data; zeroed is a valid value.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut out: *mut libc::passwd = std::ptr::null_mut();
        let r = call(&mut pw, buf.as_mut_ptr(), buf.len(), &mut out);
        if r == libc::ERANGE && buf.len() < (1 << 20) {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if r != 0 {
            // ENOENT/ESRCH/EBADF/EPERM mean "not found" per getpwnam_r(3).
            if matches!(r, libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM) {
                return Ok(None);
            }
            return Err(CredError::Lookup {
                what: "user",
                name: name.into(),
                source: std::io::Error::from_raw_os_error(r),
            });
        }
        if out.is_null() {
            return Ok(None);
        }
        return Ok(Some(UserInfo {
            name: cstr_string(pw.pw_name),
            uid: pw.pw_uid,
            gid: pw.pw_gid,
            home: cstr_path(pw.pw_dir),
            shell: cstr_path(pw.pw_shell),
        }));
    }
}

fn group_lookup(
    name: &str,
    mut call: impl FnMut(*mut libc::group, *mut c_char, usize, *mut *mut libc::group) -> c_int,
) -> Result<Option<GroupInfo>, CredError> {
    let mut buf: Vec<c_char> = vec![0; NSS_BUF];
    loop {
        // SAFETY: group is plain old data; zeroed is a valid value.
        let mut gr: libc::group = unsafe { std::mem::zeroed() };
        let mut out: *mut libc::group = std::ptr::null_mut();
        let r = call(&mut gr, buf.as_mut_ptr(), buf.len(), &mut out);
        if r == libc::ERANGE && buf.len() < (1 << 20) {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if r != 0 {
            if matches!(r, libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM) {
                return Ok(None);
            }
            return Err(CredError::Lookup {
                what: "group",
                name: name.into(),
                source: std::io::Error::from_raw_os_error(r),
            });
        }
        if out.is_null() {
            return Ok(None);
        }
        return Ok(Some(GroupInfo {
            name: cstr_string(gr.gr_name),
            gid: gr.gr_gid,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_follow_parse_uid() {
        assert_eq!(parse_id("0"), Some(0));
        assert_eq!(parse_id("1000"), Some(1000));
        assert_eq!(parse_id("65535"), None);
        assert_eq!(parse_id("4294967295"), None);
        assert_eq!(parse_id("-1"), None);
        assert_eq!(parse_id("+1"), None);
        assert_eq!(parse_id(""), None);
        assert_eq!(parse_id("4294967296"), None);
    }

    #[test]
    fn root_and_nobody_are_synthesized() {
        let root = resolve_user("0").expect("root");
        assert_eq!(
            (root.uid, root.gid, root.home.to_str()),
            (0, 0, Some("/root"))
        );
        let nobody = resolve_user("nobody").expect("nobody");
        assert_eq!((nobody.uid, nobody.gid), (65534, 65534));
        assert_eq!(resolve_group("nogroup").expect("nogroup").gid, 65534);
    }

    #[test]
    fn database_lookups_match_getent() {
        // `daemon` exists on every Debian system (uid 1, group 1).
        let out = std::process::Command::new("getent")
            .args(["passwd", "daemon"])
            .output()
            .expect("getent must be installed");
        let line = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = line.trim().split(':').collect();
        assert!(fields.len() == 7, "unexpected getent output {line:?}");
        let u = resolve_user("daemon").expect("daemon user");
        assert_eq!(u.uid.to_string(), fields[2]);
        assert_eq!(u.gid.to_string(), fields[3]);
        assert_eq!(u.home.to_str(), Some(fields[5]));
        let by_id = resolve_user(fields[2]).expect("daemon by uid");
        assert_eq!(by_id.name, "daemon");
        let g = resolve_group("daemon").expect("daemon group");
        assert_eq!(g.gid.to_string(), fields[3]);
        assert!(matches!(
            resolve_user("no-such-user-vigil"),
            Err(CredError::UserNotFound(_))
        ));
        assert!(matches!(
            resolve_group("no-such-group-vigil"),
            Err(CredError::GroupNotFound(_))
        ));
        assert!(matches!(
            resolve_user("4000000"),
            Err(CredError::UserNotFound(_))
        ));
    }

    #[test]
    fn user_groups_includes_primary_and_memberships() {
        let out = std::process::Command::new("id")
            .args(["-G", "daemon"])
            .output()
            .expect("id must be installed");
        let mut expected: Vec<u32> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
        let u = resolve_user("daemon").expect("daemon user");
        let mut got = user_groups("daemon", u.gid).expect("groups");
        expected.sort_unstable();
        got.sort_unstable();
        got.dedup();
        assert_eq!(got, expected);
    }
}
