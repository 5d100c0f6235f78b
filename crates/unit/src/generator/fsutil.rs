//! Filesystem helpers for reading inside a root directory.
//!
//! With `--root=DIR`, an absolute symlink such as
//! `/etc/init.d/foo -> /lib/init/foo` means `DIR/lib/init/foo`, not the
//! host's file, so symlinks are followed here by hand, relative to the root
//! (final components only; intermediate directory symlinks are left to the
//! kernel). `..` never climbs above the root. A link to `/dev/null` is
//! reported as such: it is how units are masked.
//!
//! The trust rule of the module essay lives here too ([`untrusted_reason`]).

use std::fs::Metadata;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use super::GenOptions;

/// How many symlinks we follow before giving up (`ELOOP`), like the kernel.
const MAX_LINKS: u32 = 40;

pub enum Lookup {
    Missing,
    /// A symlink chain ending in `/dev/null`: a mask.
    DevNull,
    /// The final, non-symlink file: its host path and metadata.
    Found(PathBuf, Metadata),
    TooManyLinks,
}

/// Host path of `in_root` (an absolute path inside `root`).
pub fn host_path(root: &Path, in_root: &Path) -> PathBuf {
    root.join(in_root.strip_prefix("/").unwrap_or(in_root))
}

/// Lexically clean an absolute in-root path: drop `.`, apply `..` without
/// climbing above `/`.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// `stat()` inside `root`, following symlinks relative to it.
pub fn follow(root: &Path, in_root: &Path) -> io::Result<Lookup> {
    let mut cur = normalize(in_root);
    for _ in 0..MAX_LINKS {
        let host = host_path(root, &cur);
        let meta = match std::fs::symlink_metadata(&host) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Lookup::Missing),
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_symlink() {
            return Ok(Lookup::Found(host, meta));
        }
        let target = std::fs::read_link(&host)?;
        if target == Path::new("/dev/null") {
            return Ok(Lookup::DevNull);
        }
        cur = if target.is_absolute() {
            normalize(&target)
        } else {
            normalize(&cur.parent().unwrap_or(Path::new("/")).join(target))
        };
    }
    Ok(Lookup::TooManyLinks)
}

/// Why a file may not be trusted in system mode, or `None` if it may.
/// The reason reads like "owned by uid 1000 (not root), mode 0666 is
/// writable by group or others".
pub fn untrusted_reason(meta: &Metadata, opts: &GenOptions) -> Option<String> {
    if !opts.system_mode {
        return None;
    }
    let uid = meta.uid();
    let mode = meta.mode() & 0o7777;
    let mut reasons = Vec::new();
    if uid != 0 && Some(uid) != opts.also_trust_uid {
        reasons.push(format!("owned by uid {uid} (not root)"));
    }
    if mode & 0o022 != 0 {
        reasons.push(format!("mode {mode:04o} is writable by group or others"));
    }
    (!reasons.is_empty()).then(|| reasons.join(", "))
}

/// Read a directory's entry names, sorted bytewise (the C locale order
/// xinetd uses; systemd's readdir order is unspecified, sorting makes ours
/// reproducible). A missing directory is empty.
pub fn sorted_entries(dir: &Path) -> io::Result<Vec<String>> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for ent in rd {
        let ent = ent?;
        // Names that are not UTF-8 cannot become unit names we can write
        // back faithfully; systemd would escape them, we skip them.
        if let Ok(n) = ent.file_name().into_string() {
            names.push(n);
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_clamps_at_root() {
        assert_eq!(normalize(Path::new("/a/../../b/./c")), PathBuf::from("/b/c"));
        assert_eq!(normalize(Path::new("/")), PathBuf::from("/"));
    }
}
