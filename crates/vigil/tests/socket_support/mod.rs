//! Shared harness of the socket-activation tests: a temporary root with
//! units and small helper programs, the real `vigil daemon --root=ROOT`
//! in the foreground, and the CLI (`vigil --root=ROOT start x.socket`,
//! `show -p … --value`) to drive it. Clients talk over loopback only.
//! Waiting is polling with deadlines.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;

pub use common::*;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command};
use std::time::Duration;

/// The python every helper script runs with: an absolute path, since the
/// manager gives services systemd's default `PATH`.
pub const PYTHON: &str = "/usr/bin/python3";

pub struct Sock {
    pub root: TestRoot,
    child: Option<Child>,
}

impl Sock {
    /// A root with `units` (in `etc/systemd/system`) and `files` (relative
    /// to the root; `*.py` and `*.sh` made executable). `@ROOT@` is
    /// replaced by the root's path and `@PYTHON@` by [`PYTHON`] in both.
    pub fn setup(name: &str, units: &[(&str, String)], files: &[(&str, String)]) -> Sock {
        assert!(std::path::Path::new(PYTHON).exists(), "{PYTHON} is needed by the socket tests");
        let root = TestRoot::new(name);
        let r = root.path.display().to_string();
        let fix = |t: &str| t.replace("@ROOT@", &r).replace("@PYTHON@", PYTHON);
        let dir = root.path.join("etc/systemd/system");
        std::fs::create_dir_all(&dir).unwrap();
        for (n, text) in units {
            std::fs::write(dir.join(n), fix(text)).unwrap();
        }
        for (n, text) in files {
            let p = root.path.join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, fix(text)).unwrap();
            if n.ends_with(".py") || n.ends_with(".sh") {
                Command::new("chmod").arg("755").arg(&p).status().unwrap();
            }
        }
        Sock { root, child: None }
    }

    /// Start `vigil daemon --root=ROOT EXTRA…` and wait until it answers.
    pub fn start_manager(&mut self, extra: &[&str]) {
        let child = Command::new(vigil())
            .args(["daemon", &self.root.root_arg()])
            .args(extra)
            .stderr(std::fs::File::create(self.root.path.join("console.log")).unwrap())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let ok = wait_until(Duration::from_secs(10), || {
            self.root.control().exists() && self.vigil(&["--no-autostart", "is-system-running"]).status.code().is_some_and(|c| c <= 1)
        });
        assert!(ok, "manager did not come up; console:\n{}", self.console());
    }

    pub fn with_manager(name: &str, units: &[(&str, String)], files: &[(&str, String)]) -> Sock {
        let mut s = Sock::setup(name, units, files);
        s.start_manager(&[]);
        s
    }

    pub fn vigil(&self, args: &[&str]) -> std::process::Output {
        self.root.vigil(args)
    }

    /// `vigil start UNIT`, asserting success.
    pub fn start(&self, unit: &str) {
        let o = self.vigil(&["start", unit]);
        assert!(o.status.success(), "start {unit}: {}{}\nconsole:\n{}", stdout(&o), stderr(&o), self.console());
    }

    pub fn prop(&self, unit: &str, name: &str) -> String {
        let o = self.vigil(&["show", "-p", name, "--value", unit]);
        stdout(&o).trim().to_string()
    }

    /// Wait until a property has a value; panics with the console if not.
    pub fn wait_prop(&self, unit: &str, name: &str, want: &str) {
        let mut last = String::new();
        let ok = wait_until(Duration::from_secs(15), || {
            last = self.prop(unit, name);
            last == want
        });
        assert!(ok, "{unit} {name}: wanted {want:?}, last {last:?}; console:\n{}", self.console());
    }

    pub fn console(&self) -> String {
        std::fs::read_to_string(self.root.path.join("console.log")).unwrap_or_default()
    }

    pub fn path(&self, p: &str) -> std::path::PathBuf {
        self.root.path.join(p)
    }

    /// Wait for a file to exist with content satisfying `f`; returns it.
    pub fn wait_file(&self, p: &str, f: impl Fn(&str) -> bool) -> String {
        let path = self.path(p);
        let mut text = String::new();
        let ok = wait_until(Duration::from_secs(15), || {
            text = std::fs::read_to_string(&path).unwrap_or_default();
            f(&text)
        });
        assert!(ok, "{}: last content {text:?}; console:\n{}", path.display(), self.console());
        text
    }
}

impl Drop for Sock {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = self.root.vigil(&["--no-autostart", "exit"]);
        let exited = wait_until(Duration::from_secs(20), || matches!(child.try_wait(), Ok(Some(_))));
        if !exited {
            let _ = child.kill();
            let _ = child.wait();
            if !std::thread::panicking() {
                panic!("manager did not exit; console:\n{}", self.console());
            }
        }
    }
}

/// A loopback port that is free right now (bound and released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let p = l.local_addr().unwrap().port();
    // Also free for UDP, where the datagram tests use it.
    let _u = std::net::UdpSocket::bind(("127.0.0.1", p));
    p
}

/// Connect, send `msg`, half-close, read everything back.
pub fn tcp_exchange(addr: SocketAddr, msg: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(15)))?;
    s.write_all(msg.as_bytes())?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// Read what the server says first (until EOF or timeout).
pub fn read_all(s: &mut impl Read) -> String {
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

pub fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A python helper that reports what socket activation gave it: on the
/// first connection (stream) it writes one line
/// `pid_ok=B fds=N names=A:B type=T REMOTE=ADDR:PORT` and closes it.
/// `fd` is the descriptor to accept on (3 for the first socket).
pub const REPORT_PY: &str = r#"#!@PYTHON@
import os, socket, sys
n = int(os.environ.get("LISTEN_FDS", "0"))
pid_ok = os.environ.get("LISTEN_PID") == str(os.getpid())
names = os.environ.get("LISTEN_FDNAMES", "")
fd = int(sys.argv[1]) if len(sys.argv) > 1 else 3
s = socket.socket(fileno=fd)
c, _ = s.accept()
c.sendall(("pid_ok=%s fds=%d names=%s type=%d remote=%s:%s\n" % (pid_ok, n, names, s.type, os.environ.get("REMOTE_ADDR", "-"), os.environ.get("REMOTE_PORT", "-"))).encode())
c.close()
"#;
