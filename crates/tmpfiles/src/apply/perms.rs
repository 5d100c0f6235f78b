//! Adjusting what exists: mode and ownership, extended attributes, ACLs,
//! file attributes — for the line that created an object and for the
//! `z Z m t T a A h H` lines.
//!
//! Mode and ownership follow systemd's `fd_set_perms()` (tmpfiles.d(5),
//! "Mode", "User, Group"):
//!
//! - nothing is done unless the line sets a mode, user or group;
//! - `:` prefixes apply the value only to objects created by this very
//!   line ([`Creation::Normal`]/[`Creation::Force`]), not to existing ones;
//! - a `~` mode is masked by the current one: no `x` bits if there were
//!   none, same for `r` and `w`, and set-id/sticky bits only on
//!   directories;
//! - when both owner and mode change, the mode is first reduced to the
//!   bits old and new have in common, then ownership changes, then the
//!   final mode is set — also after a bare `chown()`, which clears set-id
//!   bits — so no window shows the file with more rights than either
//!   state grants;
//! - symlinks are never chmod'ed (their mode means nothing), only chowned;
//! - a hard-linked file is refused while `fs.protected_hardlinks` is off.

use std::os::fd::AsRawFd;

use crate::acl;
use crate::fs::Node;
use crate::item::Item;
use crate::parse::{LineError, Severity};
use crate::sys;

use super::{OpError, Run, What};

/// Whether the object was made by the line being applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Creation {
    Normal,
    Existing,
    Force,
}

/// `process_mask_perms()`.
fn mask_perms(mut mode: u32, current: u32) -> u32 {
    if current & 0o111 == 0 {
        mode &= !0o111;
    }
    if current & 0o222 == 0 {
        mode &= !0o222;
    }
    if current & 0o444 == 0 {
        mode &= !0o444;
    }
    if current & libc::S_IFMT != libc::S_IFDIR {
        mode &= !0o7000;
    }
    mode
}

fn hardlink_vulnerable(st: &sys::Stat) -> bool {
    !sys::is_dir(st) && st.st_nlink > 1 && !sys::hardlinks_protected()
}

impl Run<'_> {
    /// `fd_set_perms()`.
    pub(crate) fn set_perms(&mut self, item: &Item, node: &mut Node, creation: Creation) -> Result<(), OpError> {
        if !item.mode_set && item.uid.is_none() && item.gid.is_none() {
            return Ok(());
        }
        node.refresh().map_err(|e| OpError::io("stat", &node.path, e))?;
        let st = node.st;
        if hardlink_vulnerable(&st) {
            return Err(OpError::Hardlinked(node.path.clone()));
        }
        let existing = creation == Creation::Existing;
        let new_uid = match item.uid {
            Some(u) if !existing || !item.uid_only_create => u,
            _ => st.st_uid,
        };
        let new_gid = match item.gid {
            Some(g) if !existing || !item.gid_only_create => g,
            _ => st.st_gid,
        };
        let do_chown = new_uid != st.st_uid || new_gid != st.st_gid;
        let new_mode = if item.mode_set && (!existing || !item.mode_only_create) {
            if item.mask_perms {
                mask_perms(item.mode, st.st_mode)
            } else {
                item.mode
            }
        } else {
            st.st_mode & 0o7777
        };
        let do_chmod = (new_mode ^ st.st_mode) & 0o7777 != 0;
        let is_link = sys::is_lnk(&st);
        if do_chmod && do_chown && !is_link {
            let common = new_mode & st.st_mode & 0o7777;
            if (common ^ st.st_mode) & 0o7777 != 0 {
                sys::fchmod_opath(node.raw(), common).map_err(|e| OpError::io("fchmod", &node.path, e))?;
            }
        }
        if do_chown {
            let u = (new_uid != st.st_uid).then_some(new_uid);
            let g = (new_gid != st.st_gid).then_some(new_gid);
            sys::fchown_fd(node.raw(), u, g).map_err(|e| OpError::io("fchownat", &node.path, e))?;
            self.did(item, &node.path, What::Chown(new_uid, new_gid));
        }
        if (do_chmod || do_chown) && !is_link {
            sys::fchmod_opath(node.raw(), new_mode).map_err(|e| OpError::io("fchmod", &node.path, e))?;
            if do_chmod {
                self.did(item, &node.path, What::Chmod(new_mode));
            }
        }
        Ok(())
    }

    /// `fd_set_xattrs()`.
    pub(crate) fn set_xattrs(&mut self, item: &Item, node: &mut Node) -> Result<(), OpError> {
        for (name, value) in &item.xattrs {
            sys::set_xattr(node.raw(), name, value.as_bytes())
                .map_err(|e| OpError::io("set extended attribute on", &node.path, e))?;
            self.did(item, &node.path, What::SetXattr(name.clone()));
        }
        Ok(())
    }

    /// `fd_set_acls()`: access ACL, then (directories only) the default.
    pub(crate) fn set_acls(&mut self, item: &Item, node: &mut Node) -> Result<(), OpError> {
        let Some(spec) = &item.acl else {
            return Ok(());
        };
        node.refresh().map_err(|e| OpError::io("stat", &node.path, e))?;
        if hardlink_vulnerable(&node.st) {
            return Err(OpError::Hardlinked(node.path.clone()));
        }
        if sys::is_lnk(&node.st) {
            return Ok(());
        }
        let mut supported = true;
        if let Some(access) = &spec.access {
            supported = acl::set(node.raw(), acl::ACCESS_XATTR, access, item.append_or_force)
                .map_err(|e| OpError::io("set access ACL on", &node.path, e))?;
        }
        if supported && sys::is_dir(&node.st) {
            if let Some(default) = &spec.default {
                acl::set(node.raw(), acl::DEFAULT_XATTR, default, item.append_or_force)
                    .map_err(|e| OpError::io("set default ACL on", &node.path, e))?;
            }
        }
        if supported {
            self.did(item, &node.path, What::SetAcl);
        } else {
            // systemd says this only at debug level; we never skip silently.
            self.note(item, Severity::Warning, LineError::AclUnsupported(node.path.clone()));
        }
        Ok(())
    }

    /// `fd_set_attribute()`: chattr(1) flags. Refusals by the file system
    /// are warnings, as in systemd, not failures.
    pub(crate) fn set_attributes(&mut self, item: &Item, node: &mut Node) -> Result<(), OpError> {
        let Some((value, mask)) = item.attributes else {
            return Ok(());
        };
        if mask == 0 {
            return Ok(());
        }
        node.refresh().map_err(|e| OpError::io("stat", &node.path, e))?;
        if !sys::is_reg(&node.st) && !sys::is_dir(&node.st) {
            return Err(OpError::AttributesUnsupported(node.path.clone()));
        }
        let mut f = value & mask;
        if !sys::is_dir(&node.st) {
            f &= !0x0001_0000; // FS_DIRSYNC_FL only means something on directories
        }
        let fd = sys::reopen(node.raw(), libc::O_RDONLY | libc::O_NOATIME | libc::O_NONBLOCK)
            .or_else(|_| sys::reopen(node.raw(), libc::O_RDONLY | libc::O_NONBLOCK))
            .map_err(|e| OpError::io("reopen", &node.path, e))?;
        let result = sys::get_flags(fd.as_raw_fd()).and_then(|old| {
            let new = (old & !mask) | (f & mask);
            if new == old {
                return Ok(None);
            }
            sys::set_flags(fd.as_raw_fd(), new).map(|()| Some(new))
        });
        match result {
            Ok(Some(new)) => self.did(item, &node.path, What::SetAttributes(new)),
            Ok(None) => {}
            Err(e) => self.note(item, Severity::Warning, LineError::Attribute(node.path.clone(), value, mask, e)),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_mode_follows_the_current_bits() {
        // A file without x bits keeps none; set-id bits only on directories.
        assert_eq!(mask_perms(0o2750, libc::S_IFREG | 0o640), 0o640);
        assert_eq!(mask_perms(0o2750, libc::S_IFDIR | 0o755), 0o2750);
        assert_eq!(mask_perms(0o777, libc::S_IFREG | 0o500), 0o555);
        assert_eq!(mask_perms(0o777, libc::S_IFREG), 0);
    }
}
