//! Where a manager keeps its runtime state, and so where a CLI finds it.
//!
//! | mode                    | state directory                    |
//! |-------------------------|------------------------------------|
//! | system (`/`)            | `/run/vigil`                       |
//! | rooted (`--root=DIR`)   | `DIR/run/vigil`                    |
//! | user (`--user`)         | `$XDG_RUNTIME_DIR/vigil`           |
//! | user under a root       | `DIR/run/vigil/user-UID`           |
//!
//! Inside it: `control` (the control socket), `lock` (held by the running
//! manager, so two managers never share a root), `notify` (the
//! `NOTIFY_SOCKET` services talk to).

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};

#[derive(Clone, Debug)]
pub struct RunDir {
    /// `/` or the `--root=` directory, absolute.
    pub root: PathBuf,
    pub user: bool,
    /// The state directory on disk.
    pub dir: PathBuf,
}

/// `sun_path` is 108 bytes including the terminating NUL.
const SUN_PATH_MAX: usize = 107;

impl RunDir {
    pub fn new(root: Option<&Path>, user: bool) -> Result<RunDir> {
        let root = match root {
            Some(r) => std::path::absolute(r)?,
            None => PathBuf::from("/"),
        };
        let rooted = root != Path::new("/");
        let dir = match (rooted, user) {
            (false, false) => PathBuf::from("/run/vigil"),
            (true, false) => root.join("run/vigil"),
            (true, true) => root.join(format!("run/vigil/user-{}", nix::unistd::getuid())),
            (false, true) => match std::env::var_os("XDG_RUNTIME_DIR") {
                Some(d) if !d.is_empty() => PathBuf::from(d).join("vigil"),
                _ => bail!("$XDG_RUNTIME_DIR is not set: cannot find the user manager"),
            },
        };
        let rd = RunDir { root, user, dir };
        let sock = rd.control();
        if sock.as_os_str().len() > SUN_PATH_MAX {
            bail!(
                "control socket path {} is longer than {SUN_PATH_MAX} bytes; use a shorter --root",
                sock.display()
            );
        }
        Ok(rd)
    }

    pub fn control(&self) -> PathBuf {
        self.dir.join("control")
    }

    pub fn lock(&self) -> PathBuf {
        self.dir.join("lock")
    }

    /// The `--root=`/`--user` arguments that select this manager, for
    /// re-executing ourselves as it.
    pub fn selector_args(&self) -> Vec<String> {
        let mut v = Vec::new();
        if self.root != Path::new("/") {
            v.push(format!("--root={}", self.root.display()));
        }
        if self.user {
            v.push("--user".to_string());
        }
        v
    }
}
