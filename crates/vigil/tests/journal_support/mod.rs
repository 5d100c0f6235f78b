//! Shared helpers for the journal tests: a journal daemon in a temporary
//! root (this test process plays the manager), clients for its three
//! protocols, and the two `journalctl`s to compare — the real systemd 252
//! one (the oracle) and ours. Everything polls with deadlines.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const REAL_JOURNALCTL: &str = "/usr/bin/journalctl";
pub const MACHINE_ID: &str = "0123456789abcdef0123456789abcdef";

pub fn vigil() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

/// Polls `cond` with a growing pause until it holds or `deadline` passes.
pub fn wait_until(deadline: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + deadline;
    let mut pause = Duration::from_millis(2);
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= end {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// A temporary root with a journal daemon.
pub struct JournalRoot {
    pub path: PathBuf,
    pub daemon: Option<Child>,
}

impl JournalRoot {
    /// A fresh root (short path: socket paths must fit in `sun_path`)
    /// with a machine id and, if given, a `journald.conf`.
    pub fn new(name: &str, conf: Option<&str>) -> JournalRoot {
        let path = PathBuf::from(format!("/tmp/vj-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("etc/systemd")).unwrap();
        std::fs::write(path.join("etc/machine-id"), format!("{MACHINE_ID}\n")).unwrap();
        if let Some(c) = conf {
            std::fs::write(path.join("etc/systemd/journald.conf"), c).unwrap();
        }
        JournalRoot { path, daemon: None }
    }

    pub fn sock(&self, name: &str) -> PathBuf {
        self.path.join("run/vigil/journal").join(name)
    }

    /// Where the files go (volatile storage unless `var/log/journal` exists).
    pub fn journal_dir(&self) -> PathBuf {
        let var = self.path.join("var/log/journal");
        if var.is_dir() {
            var
        } else {
            self.path.join("run/log/journal")
        }
    }

    pub fn machine_dir(&self) -> PathBuf {
        self.journal_dir().join(MACHINE_ID)
    }

    /// Starts `vigil journald` with this process as the manager and waits
    /// for READY on the readiness pipe.
    pub fn start(&mut self) {
        self.start_with(&[]);
    }

    /// [`start`](Self::start) with extra arguments (`--user`).
    pub fn start_with(&mut self, extra: &[&str]) {
        self.spawn(extra, None);
    }

    /// [`start`](Self::start) in a network namespace of its own whose
    /// `net.unix.max_dgram_qlen` is `qlen` (the length of its datagram
    /// sockets' queues; systemd as PID 1 raises it to 512). Needs root.
    pub fn start_with_qlen(&mut self, qlen: u32) {
        self.spawn(&[], Some(qlen));
    }

    fn spawn(&mut self, extra: &[&str], qlen: Option<u32>) {
        let qlen = qlen.map(|q| format!("{q}\n"));
        let (rd, wr) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).unwrap();
        let wr_fd = wr.as_raw_fd();
        let mut cmd = Command::new(vigil());
        cmd.arg("journald")
            .arg(format!("--root={}", self.path.display()))
            .arg(format!("--manager-pid={}", std::process::id()))
            .arg(format!("--ready-fd={wr_fd}"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.path.join("journald.err")).unwrap());
        // SAFETY: only fcntl (async-signal-safe) between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                libc::fcntl(wr_fd, libc::F_SETFD, 0);
                if let Some(q) = &qlen {
                    // /proc/sys/net is the namespace of whoever opens it.
                    if libc::unshare(libc::CLONE_NEWNET) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    let path = c"/proc/sys/net/unix/max_dgram_qlen";
                    let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                    if fd < 0 || libc::write(fd, q.as_ptr().cast(), q.len()) != q.len() as isize {
                        return Err(std::io::Error::last_os_error());
                    }
                    libc::close(fd);
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("spawn journald");
        drop(wr);
        let mut f = std::fs::File::from(rd);
        // Up to the newline: a forked helper of another test may hold a
        // copy of the write end for a moment, so EOF can come late.
        let mut msg = String::new();
        let mut b = [0u8; 1];
        while let Ok(1) = f.read(&mut b) {
            if b[0] == b'\n' {
                break;
            }
            msg.push(b[0] as char);
        }
        assert_eq!(
            msg.trim(),
            "READY",
            "journald did not start: {msg} / {}",
            self.stderr()
        );
        self.daemon = Some(child);
    }

    pub fn pid(&self) -> i32 {
        self.daemon.as_ref().map(|c| c.id() as i32).unwrap_or(0)
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.path.join("journald.err")).unwrap_or_default()
    }

    /// SIGTERM and wait: files end OFFLINE.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut c = self.daemon.take().expect("daemon running");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        c.wait().unwrap()
    }

    pub fn kill9(&mut self) {
        let mut c = self.daemon.take().expect("daemon running");
        let _ = c.kill();
        let _ = c.wait();
    }

    pub fn alive(&mut self) -> bool {
        self.daemon
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Entries stored so far, from the file headers (cheap to poll).
    pub fn stored(&self) -> u64 {
        journal_files(&self.journal_dir())
            .iter()
            .filter_map(|p| journal::JournalFile::open(p).ok())
            .map(|f| f.header().n_entries)
            .sum()
    }

    /// Waits until at least `n` entries are stored.
    pub fn wait_stored(&self, n: u64, deadline: Duration) {
        let ok = wait_until(deadline, || self.stored() >= n);
        assert!(
            ok,
            "only {} of {n} entries stored; journald stderr:\n{}",
            self.stored(),
            self.stderr()
        );
    }

    /// A stdout-stream connection with the given header lines.
    pub fn stream(
        &self,
        identifier: &str,
        unit: &str,
        priority: &str,
        level_prefix: bool,
    ) -> UnixStream {
        let mut s = UnixStream::connect(self.sock("stdout")).unwrap();
        write!(
            s,
            "{identifier}\n{unit}\n{priority}\n{}\n0\n0\n0\n",
            u8::from(level_prefix)
        )
        .unwrap();
        s
    }

    pub fn native(&self, payload: &[u8]) {
        let s = UnixDatagram::unbound().unwrap();
        s.send_to(payload, self.sock("socket")).unwrap();
    }

    pub fn syslog(&self, payload: &[u8]) {
        let s = UnixDatagram::unbound().unwrap();
        s.send_to(payload, self.sock("dev-log")).unwrap();
    }

    /// Sends `payload` in a sealed memfd passed with SCM_RIGHTS, the way
    /// sd_journal_sendv() sends entries too large for a datagram.
    pub fn native_memfd(&self, payload: &[u8]) {
        use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags, UnixAddr};
        let name = std::ffi::CString::new("journal-test").unwrap();
        // SAFETY: plain syscalls on descriptors we own.
        let fd = unsafe {
            libc::memfd_create(name.as_ptr(), libc::MFD_ALLOW_SEALING | libc::MFD_CLOEXEC)
        };
        assert!(fd >= 0);
        // SAFETY: fd was just created.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut f = std::fs::File::from(owned);
        f.write_all(payload).unwrap();
        // SAFETY: fcntl on our memfd.
        let r = unsafe {
            libc::fcntl(
                f.as_raw_fd(),
                libc::F_ADD_SEALS,
                libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL,
            )
        };
        assert_eq!(r, 0);
        let s = UnixDatagram::unbound().unwrap();
        let addr = UnixAddr::new(&self.sock("socket")).unwrap();
        let fds = [f.as_raw_fd()];
        sendmsg(
            s.as_raw_fd(),
            &[],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            Some(&addr),
        )
        .unwrap();
    }
}

impl Drop for JournalRoot {
    fn drop(&mut self) {
        if let Some(mut c) = self.daemon.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// `*.journal` and `*.journal~` files under `dir` (one level of machine-id
/// subdirectories).
pub fn journal_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(journal_files(&p));
        } else {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.ends_with(".journal") || n.ends_with(".journal~") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn run(bin: &str, pre: &[&str], args: &[&str]) -> Output {
    let out = Command::new(bin)
        .args(pre)
        .args(args)
        .env("TZ", "UTC")
        .env("SYSTEMD_COLORS", "0")
        .output();
    out.unwrap_or_else(|e| panic!("cannot run {bin} (the real journalctl is required): {e}"))
}

/// The real systemd 252 journalctl.
pub fn real(args: &[&str]) -> Output {
    run(REAL_JOURNALCTL, &["--no-pager"], args)
}

/// Ours, as `vigil logs`.
pub fn ours(args: &[&str]) -> Output {
    run(vigil(), &["logs", "--no-pager"], args)
}

/// Runs both on the same arguments and asserts identical stdout, stderr
/// and exit status.
pub fn same(args: &[&str]) -> Vec<u8> {
    let r = real(args);
    let o = ours(args);
    assert!(
        r.stdout == o.stdout,
        "stdout differs for {args:?}\n--- real ---\n{}\n--- ours ---\n{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&o.stdout)
    );
    // getopt names the program as invoked.
    let r_err = String::from_utf8_lossy(&r.stderr).replace(REAL_JOURNALCTL, "journalctl");
    assert_eq!(
        r_err,
        String::from_utf8_lossy(&o.stderr),
        "stderr differs for {args:?}"
    );
    assert_eq!(
        r.status.code(),
        o.status.code(),
        "exit status differs for {args:?}"
    );
    r.stdout
}

/// JSON output as a list of objects (member order is random in the real
/// journalctl, so JSON is compared as data).
pub fn json_entries(out: &[u8]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| match serde_json::from_str(l) {
            Ok(serde_json::Value::Object(m)) => m,
            other => panic!("not a JSON object: {l}: {other:?}"),
        })
        .collect()
}

/// Entries read with the real journalctl, as JSON objects.
pub fn entries(dir: &Path, extra: &[&str]) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let d = dir.to_str().unwrap();
    let mut args = vec!["-D", d, "-o", "json", "--all"];
    args.extend_from_slice(extra);
    let o = real(&args);
    assert!(
        o.status.success(),
        "journalctl failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    json_entries(&o.stdout)
}

pub fn field<'a>(e: &'a serde_json::Map<String, serde_json::Value>, name: &str) -> Option<&'a str> {
    e.get(name).and_then(|v| v.as_str())
}

/// A process forked from the test that connects to `path` as a stream,
/// writes `data` and exits: a peer that is not the manager. Only
/// async-signal-safe calls happen in the child.
pub fn fork_stream_writer(path: &Path, data: Vec<u8>) -> i32 {
    let addr = sockaddr(path);
    // SAFETY: the child only uses socket/connect/write/close/_exit.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_STREAM, 0);
            if fd < 0
                || libc::connect(fd, &addr.0 as *const _ as *const libc::sockaddr, addr.1) != 0
            {
                libc::_exit(2);
            }
            let mut off = 0usize;
            while off < data.len() {
                let n = libc::write(fd, data.as_ptr().add(off).cast(), data.len() - off);
                if n <= 0 {
                    libc::_exit(3);
                }
                off += n as usize;
            }
            libc::close(fd);
            libc::_exit(0);
        }
        pid
    }
}

/// A forked process that writes `data` to the inherited descriptor `fd`
/// and exits: a service writing to the stream its manager opened.
pub fn fork_fd_writer(fd: i32, data: Vec<u8>) -> i32 {
    // SAFETY: the child only uses write/_exit.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            let mut off = 0usize;
            while off < data.len() {
                let n = libc::write(fd, data.as_ptr().add(off).cast(), data.len() - off);
                if n <= 0 {
                    libc::_exit(3);
                }
                off += n as usize;
            }
            libc::_exit(0);
        }
        pid
    }
}

/// A forked process that sends one datagram to `path` and exits. With a
/// `gate` pipe `(read, write)`, it first waits until the parent closes
/// its write end.
pub fn fork_datagram(path: &Path, data: Vec<u8>, gate: Option<(i32, i32)>) -> i32 {
    let addr = sockaddr(path);
    // SAFETY: the child only uses close/read/socket/sendto/_exit.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0);
        if pid == 0 {
            if let Some((rd, wr)) = gate {
                libc::close(wr);
                let mut b = 0u8;
                libc::read(rd, (&mut b as *mut u8).cast(), 1);
            }
            let fd = libc::socket(libc::AF_UNIX, libc::SOCK_DGRAM, 0);
            let r = libc::sendto(
                fd,
                data.as_ptr().cast(),
                data.len(),
                0,
                &addr.0 as *const _ as *const libc::sockaddr,
                addr.1,
            );
            libc::_exit(if r < 0 { 3 } else { 0 });
        }
        pid
    }
}

pub fn wait_child(pid: i32) -> i32 {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    }
}

fn sockaddr(path: &Path) -> (libc::sockaddr_un, libc::socklen_t) {
    // SAFETY: zeroed sockaddr_un is valid.
    let mut a: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    a.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.to_str().unwrap().as_bytes();
    assert!(bytes.len() < a.sun_path.len());
    for (i, b) in bytes.iter().enumerate() {
        a.sun_path[i] = *b as libc::c_char;
    }
    (
        a,
        std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
    )
}

/// The stdout-stream header bytes.
pub fn header(identifier: &str, unit: &str, priority: &str, level_prefix: bool) -> Vec<u8> {
    format!(
        "{identifier}\n{unit}\n{priority}\n{}\n0\n0\n0\n",
        u8::from(level_prefix)
    )
    .into_bytes()
}

/// A native-protocol binary field.
pub fn binary_field(name: &str, value: &[u8]) -> Vec<u8> {
    let mut b = name.as_bytes().to_vec();
    b.push(b'\n');
    b.extend((value.len() as u64).to_le_bytes());
    b.extend(value);
    b.push(b'\n');
    b
}
