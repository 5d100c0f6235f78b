//! POSIX ACLs for `a`, `a+`, `A`, `A+` lines (tmpfiles.d(5), acl(5)).
//!
//! The argument is the short or long text form of acl(5), entries
//! separated by commas: `u:alice:rwx,g::r-x,m::rwx,o::---`; an entry
//! prefixed with `d:` or `default:` belongs to the *default* ACL (applied
//! to directories only). Names are resolved when the line is read, from
//! the root's user database, as `acl_from_text()` resolves them then.
//!
//! Applying follows systemd 252 step by step:
//!
//! 1. on read: without `+`, if the list names users or groups but has no
//!    `mask`, the mask is computed now (`calc_acl_mask_if_needed()`), over
//!    the entries *given* (the base entries are not there yet);
//! 2. with `+`, the file's current ACL (the mode's three entries when it
//!    has none) is merged with the new entries, an entry with the same tag
//!    and qualifier being replaced; a mask is added only if still missing;
//! 3. missing `user::`, `group::` and `other::` entries are filled in from
//!    the file's current mode (`add_base_acls_if_needed()`);
//! 4. the result is written as the `system.posix_acl_access` (or
//!    `…_default`) extended attribute, in the kernel's binary format with
//!    entries sorted by tag and id. The kernel then updates the mode bits
//!    (the group bits show the mask), exactly as `acl_set_file()` would.
//!
//! A file system without ACL support is not an error (the line is a
//! no-op, as in systemd); symlinks are skipped.
//!
//! Main types: [`AclSpec`], [`Entry`].

use std::io;
use std::os::fd::RawFd;

use crate::sys;

pub const USER_OBJ: u16 = 0x01;
pub const USER: u16 = 0x02;
pub const GROUP_OBJ: u16 = 0x04;
pub const GROUP: u16 = 0x08;
pub const MASK: u16 = 0x10;
pub const OTHER: u16 = 0x20;
const UNDEFINED_ID: u32 = u32::MAX;
const XATTR_VERSION: u32 = 2;

pub const ACCESS_XATTR: &str = "system.posix_acl_access";
pub const DEFAULT_XATTR: &str = "system.posix_acl_default";

/// One ACL entry: tag, qualifier (uid/gid for named entries) and rwx bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub tag: u16,
    pub id: u32,
    pub perm: u16,
}

/// The ACLs one line sets.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AclSpec {
    pub access: Option<Vec<Entry>>,
    pub default: Option<Vec<Entry>>,
}

/// Why an ACL text was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AclParseError {
    #[error("invalid ACL entry '{0}'")]
    Entry(String),
    #[error("unknown user or group '{0}' in ACL")]
    Name(String),
}

fn parse_perm(s: &str, entry: &str) -> Result<u16, AclParseError> {
    let mut p = 0u16;
    for c in s.chars() {
        let bit = match c {
            'r' => 4,
            'w' => 2,
            'x' => 1,
            '-' => 0,
            _ => return Err(AclParseError::Entry(entry.to_string())),
        };
        if bit != 0 && p & bit != 0 {
            return Err(AclParseError::Entry(entry.to_string()));
        }
        p |= bit;
    }
    if s.is_empty() {
        return Err(AclParseError::Entry(entry.to_string()));
    }
    Ok(p)
}

/// One `tag:qualifier:perms` entry (`acl_from_text()`'s grammar).
fn parse_entry(
    text: &str,
    resolve: &mut dyn FnMut(bool, &str) -> Option<u32>,
) -> Result<Entry, AclParseError> {
    let bad = || AclParseError::Entry(text.to_string());
    let mut f = text.splitn(3, ':');
    let tag = f.next().ok_or_else(bad)?.trim();
    let second = f.next().ok_or_else(bad)?.trim();
    let third = f.next().map(str::trim);
    let (tag, named) = match tag {
        "u" | "user" => (USER_OBJ, true),
        "g" | "group" => (GROUP_OBJ, true),
        "m" | "mask" => (MASK, false),
        "o" | "other" => (OTHER, false),
        _ => return Err(bad()),
    };
    let (qualifier, perms) = match (named, third) {
        (_, Some(p)) => (second, p),
        // `m:rwx` and `o:r--`: the qualifier may be left out.
        (false, None) => ("", second),
        (true, None) => return Err(bad()),
    };
    let perm = parse_perm(perms, text)?;
    if qualifier.is_empty() {
        return Ok(Entry { tag, id: UNDEFINED_ID, perm });
    }
    if !named {
        return Err(bad());
    }
    let is_user = tag == USER_OBJ;
    let id = resolve(is_user, qualifier).ok_or_else(|| AclParseError::Name(qualifier.to_string()))?;
    Ok(Entry { tag: if is_user { USER } else { GROUP }, id, perm })
}

/// `calc_acl_mask_if_needed()`: add a mask over the group class when
/// named entries exist and no mask does.
pub fn add_mask_if_needed(acl: &mut Vec<Entry>) {
    if acl.iter().any(|e| e.tag == MASK) {
        return;
    }
    if !acl.iter().any(|e| e.tag == USER || e.tag == GROUP) {
        return;
    }
    let perm = acl
        .iter()
        .filter(|e| matches!(e.tag, USER | GROUP | GROUP_OBJ))
        .fold(0, |m, e| m | e.perm);
    acl.push(Entry { tag: MASK, id: UNDEFINED_ID, perm });
}

/// systemd's `parse_acl()`: split into access and default entries.
/// `want_mask` is false for `+` lines, whose mask is computed after the
/// merge instead.
pub fn parse(
    text: &str,
    want_mask: bool,
    resolve: &mut dyn FnMut(bool, &str) -> Option<u32>,
) -> Result<AclSpec, AclParseError> {
    let mut access = Vec::new();
    let mut default = Vec::new();
    let mut any_access = false;
    let mut any_default = false;
    for raw in text.split(',') {
        let (target, rest, flag) = match raw.strip_prefix("default:").or_else(|| raw.strip_prefix("d:")) {
            Some(rest) => (&mut default, rest, &mut any_default),
            None => (&mut access, raw, &mut any_access),
        };
        *flag = true;
        // acl_from_text() also splits at blanks and skips `#` comments.
        for piece in rest.split_whitespace() {
            if piece.starts_with('#') {
                break;
            }
            target.push(parse_entry(piece, resolve)?);
        }
        if rest.trim().is_empty() {
            return Err(AclParseError::Entry(raw.to_string()));
        }
    }
    if want_mask {
        add_mask_if_needed(&mut access);
        add_mask_if_needed(&mut default);
    }
    Ok(AclSpec {
        access: any_access.then_some(access),
        default: any_default.then_some(default),
    })
}

/// Decode the kernel's xattr representation.
pub fn decode(raw: &[u8]) -> Option<Vec<Entry>> {
    let version = u32::from_le_bytes(raw.get(0..4)?.try_into().ok()?);
    if version != XATTR_VERSION || !(raw.len() - 4).is_multiple_of(8) {
        return None;
    }
    raw.get(4..)?
        .chunks_exact(8)
        .map(|c| {
            Some(Entry {
                tag: u16::from_le_bytes(c.get(0..2)?.try_into().ok()?),
                perm: u16::from_le_bytes(c.get(2..4)?.try_into().ok()?),
                id: u32::from_le_bytes(c.get(4..8)?.try_into().ok()?),
            })
        })
        .collect()
}

/// Encode for the kernel: entries sorted by tag, then id.
pub fn encode(acl: &[Entry]) -> Vec<u8> {
    let mut sorted = acl.to_vec();
    sorted.sort_by_key(|e| (e.tag, e.id));
    let mut out = XATTR_VERSION.to_le_bytes().to_vec();
    for e in sorted {
        out.extend_from_slice(&e.tag.to_le_bytes());
        out.extend_from_slice(&e.perm.to_le_bytes());
        out.extend_from_slice(&e.id.to_le_bytes());
    }
    out
}

/// The three entries a plain mode stands for (`acl_from_mode()`).
fn from_mode(mode: u32) -> [Entry; 3] {
    let e = |tag, shift: u32| Entry { tag, id: UNDEFINED_ID, perm: ((mode >> shift) & 7) as u16 };
    [e(USER_OBJ, 6), e(GROUP_OBJ, 3), e(OTHER, 0)]
}

/// `add_base_acls_if_needed()`.
fn add_base_entries(acl: &mut Vec<Entry>, mode: u32) {
    for base in from_mode(mode) {
        if !acl.iter().any(|e| e.tag == base.tag) {
            acl.push(base);
        }
    }
}

/// `acls_for_file()`: the file's ACL with `new` merged in.
fn merged(fd: RawFd, xattr: &str, mode: u32, new: &[Entry]) -> io::Result<Vec<Entry>> {
    let mut acl = match sys::get_xattr(fd, xattr)? {
        Some(raw) => decode(&raw).ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL))?,
        None if xattr == ACCESS_XATTR => from_mode(mode).to_vec(),
        None => Vec::new(),
    };
    for n in new {
        let qualified = matches!(n.tag, USER | GROUP);
        match acl.iter_mut().find(|e| e.tag == n.tag && (!qualified || e.id == n.id)) {
            Some(e) => *e = *n,
            None => acl.push(*n),
        }
    }
    add_mask_if_needed(&mut acl);
    Ok(acl)
}

/// Set one ACL (access or default) on the object `fd` refers to.
/// `Ok(false)`: the file system does not support ACLs.
pub fn set(fd: RawFd, xattr: &str, entries: &[Entry], modify: bool) -> io::Result<bool> {
    let mode = sys::fstat(fd)?.st_mode & 0o7777;
    let mut acl = if modify { merged(fd, xattr, mode, entries)? } else { entries.to_vec() };
    add_base_entries(&mut acl, mode);
    match sys::set_xattr(fd, xattr, &encode(&acl)) {
        Ok(()) => Ok(true),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP) | Some(libc::ENOTTY) | Some(libc::ENOSYS)) => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(user: bool, name: &str) -> Option<u32> {
        match (user, name) {
            (_, n) if n.chars().all(|c| c.is_ascii_digit()) => n.parse().ok(),
            (false, "adm") => Some(4),
            (true, "alice") => Some(1000),
            _ => None,
        }
    }

    #[test]
    fn parses_access_and_default_entries() {
        let spec = parse("u:alice:rwx,g:adm:r-x,d:group::r-x,default:o::---", true, &mut resolve).unwrap();
        let access = spec.access.unwrap();
        assert_eq!(access[0], Entry { tag: USER, id: 1000, perm: 7 });
        assert_eq!(access[1], Entry { tag: GROUP, id: 4, perm: 5 });
        assert_eq!(access[2], Entry { tag: MASK, id: UNDEFINED_ID, perm: 7 }, "mask over the given entries");
        let default = spec.default.unwrap();
        assert_eq!(default.len(), 2, "no named entries, no mask");
        assert_eq!(parse("m:r-x", true, &mut resolve).unwrap().access.unwrap()[0].perm, 5);
    }

    #[test]
    fn refuses_bad_text() {
        assert!(matches!(parse("u:nobody-here:rwx", true, &mut resolve), Err(AclParseError::Name(_))));
        assert!(parse("x::rwx", true, &mut resolve).is_err());
        assert!(parse("u::rwq", true, &mut resolve).is_err());
        assert!(parse("u::rr", true, &mut resolve).is_err());
        assert!(parse("", true, &mut resolve).is_err());
    }

    #[test]
    fn xattr_round_trip_is_sorted() {
        let acl = vec![
            Entry { tag: OTHER, id: UNDEFINED_ID, perm: 5 },
            Entry { tag: GROUP, id: 4, perm: 6 },
            Entry { tag: USER_OBJ, id: UNDEFINED_ID, perm: 7 },
        ];
        let raw = encode(&acl);
        let back = decode(&raw).unwrap();
        assert_eq!(back.iter().map(|e| e.tag).collect::<Vec<_>>(), [USER_OBJ, GROUP, OTHER]);
        assert_eq!(&raw[..4], &[2, 0, 0, 0]);
    }
}
