//! What the two long-running personalities (the manager and the journal)
//! share at start-up: one instance per state directory, and telling the
//! process that started them when they are ready.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;

use anyhow::{bail, Context, Result};

/// Hold an exclusive `flock` on `path` for the process's lifetime; our pid
/// is written into it for the error message of the next one ("`what` is
/// already running for `place` (pid N)").
pub fn take_lock(path: &Path, what: &str, place: &Path) -> Result<File> {
    use std::io::{Read, Seek, Write};
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    // SAFETY: flock on a file descriptor we own.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let mut other = String::new();
        let _ = f.read_to_string(&mut other);
        bail!("{what} is already running for {} (pid {})", place.display(), other.trim());
    }
    f.set_len(0)?;
    f.rewind()?;
    writeln!(f, "{}", std::process::id())?;
    Ok(f)
}

/// The starter's end of our start-up (`--ready-fd=FD`): told once —
/// `READY` or the start-up error on one line — then closed.
pub struct ReadyPipe(File);

impl ReadyPipe {
    pub fn adopt(fd: i32) -> Option<ReadyPipe> {
        use std::os::fd::FromRawFd;
        // Only take descriptors that are really open; mark it close-on-exec
        // so children never inherit it.
        // SAFETY: fcntl on an integer fd; ownership is taken only if valid.
        if fd < 3 || unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) } != 0 {
            return None;
        }
        // SAFETY: the fd is open (fcntl succeeded) and was handed to us for
        // exactly this purpose.
        Some(ReadyPipe(unsafe { File::from_raw_fd(fd) }))
    }

    /// The pipe's descriptor (kept open across the manager's re-execution,
    /// `malloc_cache::reexec_manager`).
    pub fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.0.as_raw_fd()
    }

    pub fn tell(mut self, msg: &str) {
        use std::io::Write;
        let _ = writeln!(self.0, "{}", msg.replace('\n', " "));
    }
}
