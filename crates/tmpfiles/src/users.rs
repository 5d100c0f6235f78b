//! User and group names, resolved from the root's own `/etc/passwd` and
//! `/etc/group`.
//!
//! With `--root=DIR`, systemd-tmpfiles cannot ask NSS (that would answer
//! for the host, not for the tree being prepared), so it reads the tree's
//! files directly (`name_to_uid_offline()`), after trying the field as a
//! number and synthesising `root` (tmpfiles.d(5), "User, Group"). We
//! always work that way: vigil prepares container trees, and at boot the
//! root *is* `/`, whose files are the authority before any network
//! directory is up.
//!
//! A number is accepted as an id when it is a valid one: not `-1`
//! (4294967295) and not 65535, which systemd refuses as ambiguous 16-bit
//! `-1`; such a field is then looked up as a name and usually fails.
//!
//! Main type: [`UserDb`].

use std::collections::HashMap;
use std::io;
use std::path::Path;

use crate::fs::Root;

/// Why a name could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("No such process")]
    NotFound,
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Names to ids, read lazily from one root.
#[derive(Default)]
pub struct UserDb {
    passwd: Option<Result<HashMap<String, u32>, io::ErrorKind>>,
    group: Option<Result<HashMap<String, u32>, io::ErrorKind>>,
}

/// systemd's `parse_uid()`: decimal digits, a valid id.
pub fn parse_id(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u32 = s.parse().ok()?;
    (v != u32::MAX && v != 0xffff).then_some(v)
}

/// `name:…:id:…` lines (the third field is the id), first entry wins.
fn parse_db(text: &str) -> HashMap<String, u32> {
    let mut map = HashMap::new();
    for line in text.lines() {
        let mut f = line.split(':');
        let (Some(name), Some(_), Some(id)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        if name.is_empty() || name.starts_with('#') {
            continue;
        }
        if let Ok(id) = id.trim().parse::<u32>() {
            map.entry(name.to_string()).or_insert(id);
        }
    }
    map
}

fn load(root: &Root, file: &str) -> Result<HashMap<String, u32>, io::ErrorKind> {
    let node = root.chase(Path::new(file), false, false).map_err(|e| e.kind())?;
    let mut file = std::fs::File::from(crate::sys::reopen(node.raw(), libc::O_RDONLY).map_err(|e| e.kind())?);
    let mut text = String::new();
    io::Read::read_to_string(&mut file, &mut text).map_err(|e| e.kind())?;
    Ok(parse_db(&text))
}

impl UserDb {
    pub fn new() -> UserDb {
        UserDb::default()
    }

    fn lookup(
        cache: &mut Option<Result<HashMap<String, u32>, io::ErrorKind>>,
        root: &Root,
        file: &str,
        name: &str,
    ) -> Result<u32, LookupError> {
        if let Some(id) = parse_id(name) {
            return Ok(id);
        }
        if name == "root" {
            return Ok(0);
        }
        let db = cache.get_or_insert_with(|| load(root, file));
        match db {
            Ok(map) => map.get(name).copied().ok_or(LookupError::NotFound),
            Err(kind) => Err(LookupError::Io(io::Error::from(*kind))),
        }
    }

    /// A user name or number, as `find_uid()` resolves it offline.
    pub fn uid(&mut self, root: &Root, name: &str) -> Result<u32, LookupError> {
        Self::lookup(&mut self.passwd, root, "/etc/passwd", name)
    }

    /// A group name or number.
    pub fn gid(&mut self, root: &Root, name: &str) -> Result<u32, LookupError> {
        Self::lookup(&mut self.group, root, "/etc/group", name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names() {
        assert_eq!(parse_id("0"), Some(0));
        assert_eq!(parse_id("1001"), Some(1001));
        assert_eq!(parse_id("65535"), None);
        assert_eq!(parse_id("4294967295"), None);
        assert_eq!(parse_id("-1"), None);
        assert_eq!(parse_id("+5"), None);
        let db = parse_db("root:x:0:0::/root:/bin/sh\nfoo:x:1001:1001::/:/bin/sh\nbad line\nfoo:x:7:7::/:/bin/sh\n");
        assert_eq!(db.get("foo"), Some(&1001));
        assert_eq!(db.get("bad line"), None);
    }
}
