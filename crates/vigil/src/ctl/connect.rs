//! Reaching the manager of a root — and starting it when there is none.
//!
//! Auto-start (DESIGN.md, "Fixed interface"): a runtime verb that finds no
//! manager answering on the control socket starts one in the background,
//! the classic way — fork, `setsid`, fork again so the manager is nobody's
//! child but init's (or our subreaper's), stdin from `/dev/null`, output to
//! `manager.log` in the state directory — then polls the socket until it
//! answers, with a deadline. Two CLIs racing to auto-start are fine: the
//! second manager loses the lock and exits, both CLIs reach the first.
//! `--no-autostart` turns this off and the verb fails instead.

use std::ffi::CString;
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use proto::client::Client;
use proto::ProtoError;

use crate::rundir::RunDir;

/// How long a freshly started manager may take to answer.
const START_DEADLINE: Duration = Duration::from_secs(10);

pub fn connect(rundir: &RunDir, autostart: bool) -> Result<Client> {
    match Client::connect(&rundir.control(), "systemctl") {
        Ok(c) => return Ok(c),
        Err(ProtoError::Io(e))
            if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused) =>
        {
            if !autostart {
                bail!(
                    "Failed to connect to the manager at {}: {e} (not starting one: --no-autostart)",
                    rundir.control().display()
                );
            }
        }
        Err(e) => {
            return Err(anyhow!(e))
                .with_context(|| format!("connecting to {}", rundir.control().display()))
        }
    }
    let ready = spawn_manager(rundir)?;
    wait_ready(rundir, ready)?;
    let deadline = Instant::now() + START_DEADLINE;
    let mut pause = Duration::from_millis(1);
    loop {
        match Client::connect(&rundir.control(), "systemctl") {
            Ok(c) => return Ok(c),
            Err(e) if Instant::now() >= deadline => {
                bail!(
                    "started a manager for {} but it did not answer within {:?}: {e} (see {})",
                    rundir.root.display(),
                    START_DEADLINE,
                    rundir.dir.join("manager.log").display()
                )
            }
            Err(_) => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
        }
    }
}

/// Read the manager's start-up verdict from the readiness pipe: `READY`
/// once it listens, or its error message if it gave up. End of file
/// without a verdict means it died.
fn wait_ready(rundir: &RunDir, ready: std::fs::File) -> Result<()> {
    use std::io::Read;
    use std::os::fd::AsFd;
    let mut msg = Vec::new();
    let mut f = ready;
    let deadline = Instant::now() + START_DEADLINE;
    let mut buf = [0u8; 512];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = left.as_millis().min(i32::MAX as u128) as u16;
        let mut fds = [nix::poll::PollFd::new(f.as_fd(), nix::poll::PollFlags::POLLIN)];
        match nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(ms)) {
            Ok(0) => bail!(
                "started a manager for {} but it did not become ready within {START_DEADLINE:?}",
                rundir.root.display()
            ),
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => bail!("waiting for the manager: {e}"),
        }
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => msg.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => bail!("waiting for the manager: {e}"),
        }
        if msg.ends_with(b"\n") {
            break;
        }
    }
    let msg = String::from_utf8_lossy(&msg);
    match msg.trim_end() {
        "READY" => Ok(()),
        "" => bail!(
            "the manager for {} exited during start-up (see {})",
            rundir.root.display(),
            rundir.dir.join("manager.log").display()
        ),
        // Lost the race against another CLI's manager: that one answers.
        m if m.contains("already running") => Ok(()),
        m => bail!("the manager for {} failed to start: {m}", rundir.root.display()),
    }
}

/// Double-fork a detached `vigild` for this root; returns the read end of
/// its readiness pipe.
fn spawn_manager(rundir: &RunDir) -> Result<std::fs::File> {
    std::fs::create_dir_all(&rundir.dir)
        .with_context(|| format!("creating {}", rundir.dir.display()))?;
    let exe = std::fs::read_link("/proc/self/exe").context("finding our own executable")?;
    let (rd, wr) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).context("pipe")?;
    let wr_fd = wr.as_raw_fd();
    let mut argv: Vec<CString> = vec![CString::new("vigild")?];
    for a in rundir.selector_args() {
        argv.push(CString::new(a)?);
    }
    argv.push(CString::new(format!("--ready-fd={wr_fd}"))?);
    let exe_c = CString::new(exe.as_os_str().as_bytes())?;
    let log = CString::new(rundir.dir.join("manager.log").as_os_str().as_bytes())?;
    let devnull = CString::new("/dev/null")?;
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(std::ptr::null());

    // Everything the children need is prepared above: after fork only
    // async-signal-safe calls follow.
    // SAFETY: fork in a process whose other threads (if any) hold no locks
    // we touch afterwards; the child only calls async-signal-safe functions.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => bail!("fork: {}", std::io::Error::last_os_error()),
        0 => unsafe {
            // SAFETY: async-signal-safe calls only, then _exit.
            libc::setsid();
            if libc::fork() != 0 {
                libc::_exit(0);
            }
            let null = libc::open(devnull.as_ptr(), libc::O_RDONLY);
            let out = libc::open(log.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND, 0o644);
            if null >= 0 {
                libc::dup2(null, 0);
            }
            if out >= 0 {
                libc::dup2(out, 1);
                libc::dup2(out, 2);
            }
            // The readiness pipe is the one descriptor the manager inherits.
            libc::fcntl(wr_fd, libc::F_SETFD, 0);
            libc::execv(exe_c.as_ptr(), argv_ptrs.as_ptr());
            libc::_exit(127);
        },
        child => {
            let mut status = 0;
            // SAFETY: waiting for our own direct child.
            unsafe { libc::waitpid(child, &mut status, 0) };
            drop(wr);
            Ok(std::fs::File::from(rd))
        }
    }
}
