//! A real `ssh` login through socket activation, with Debian's own
//! `ssh.socket` and `ssh.service` (from the openssh-server package:
//! `Accept=no`, `Type=notify`, `sshd -D` taking its listening socket from
//! `LISTEN_FDS`), and the inetd style (`Accept=yes`, `sshd -i` on the
//! connection as stdin/stdout).
//!
//! Needs openssh-server and openssh-client installed; the test fails
//! (never skips) without them. Set-up command on Debian:
//! `apt-get install -y openssh-server openssh-client`.
//!
//! The units are used as shipped, with drop-ins that only move the port
//! to loopback and point `sshd` at a test key. `/run/sshd` is created
//! here because vigil does not apply `RuntimeDirectory=` yet.

mod socket_support;

use std::path::Path;
use std::process::Command;

use socket_support::*;

fn need(path: &str) {
    assert!(
        Path::new(path).exists(),
        "{path} is missing: install the ssh test dependencies with `apt-get install -y openssh-server openssh-client`"
    );
}

/// Generate a client key and allow it; returns the private key's path.
fn client_key(s: &Sock) -> String {
    let key = s.path("id_test");
    let o = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key).output().unwrap();
    assert!(o.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&o.stderr));
    std::fs::copy(s.path("id_test.pub"), s.path("authorized_keys")).unwrap();
    key.display().to_string()
}

fn sshd_opts(s: &Sock) -> String {
    format!("-o AuthorizedKeysFile={} -o StrictModes=no -o PidFile=none", s.path("authorized_keys").display())
}

fn ssh(key: &str, port: u16, command: &str) -> std::process::Output {
    Command::new("timeout")
        .args(["30", "ssh", "-i", key, "-p", &port.to_string()])
        .args(["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"])
        .arg("root@127.0.0.1")
        .arg(command)
        .output()
        .unwrap()
}

#[test]
fn ssh_login_through_debians_ssh_socket() {
    for p in ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/lib/systemd/system/ssh.socket", "/lib/systemd/system/ssh.service"] {
        need(p);
    }
    std::fs::create_dir_all("/run/sshd").unwrap();
    let port = free_port();
    let mut s = Sock::setup("ssh-socket", &[], &[]);
    let key = client_key(&s);
    let etc = s.path("etc/systemd/system");
    for u in ["ssh.socket", "ssh.service"] {
        std::fs::copy(Path::new("/lib/systemd/system").join(u), etc.join(u)).unwrap();
    }
    std::fs::create_dir_all(etc.join("ssh.socket.d")).unwrap();
    std::fs::write(etc.join("ssh.socket.d/port.conf"), format!("[Socket]\nListenStream=\nListenStream=127.0.0.1:{port}\n")).unwrap();
    std::fs::create_dir_all(etc.join("ssh.service.d")).unwrap();
    std::fs::write(etc.join("ssh.service.d/test.conf"), format!("[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D {}\n", sshd_opts(&s))).unwrap();
    s.start_manager(&[]);
    s.start("ssh.socket");
    assert_eq!(s.prop("ssh.service", "ActiveState"), "inactive");

    let o = ssh(&key, port, "echo ssh-ok-$((6*7)) $SSH_CONNECTION");
    let out = stdout(&o);
    assert!(o.status.success(), "ssh failed: {out}{}\nconsole:\n{}", stderr(&o), s.console());
    assert!(out.starts_with("ssh-ok-42 127.0.0.1 "), "{out}");
    assert!(out.trim_end().ends_with(&format!("127.0.0.1 {port}")), "{out}");
    // sshd said READY=1 (Type=notify) and keeps the socket: the unit
    // waits while it runs, and a second login reaches the same daemon.
    assert_eq!(s.prop("ssh.service", "ActiveState"), "active");
    assert_eq!(s.prop("ssh.socket", "SubState"), "running");
    let main = s.prop("ssh.service", "MainPID");
    let o = ssh(&key, port, "true");
    assert!(o.status.success(), "second login: {}", stderr(&o));
    assert_eq!(s.prop("ssh.service", "MainPID"), main);
}

#[test]
fn ssh_login_inetd_style_per_connection() {
    for p in ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"] {
        need(p);
    }
    std::fs::create_dir_all("/run/sshd").unwrap();
    let port = free_port();
    let mut s = Sock::setup("ssh-inetd", &[], &[]);
    let key = client_key(&s);
    let etc = s.path("etc/systemd/system");
    std::fs::write(
        etc.join("sshd.socket"),
        format!("[Unit]\nDescription=SSH Per-Connection Server Socket\n[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n"),
    )
    .unwrap();
    // Debian's former ssh@.service, with the test's options.
    std::fs::write(
        etc.join("sshd@.service"),
        format!("[Unit]\nDescription=OpenBSD Secure Shell server per-connection daemon\n[Service]\nExecStart=-/usr/sbin/sshd -i {}\nStandardInput=socket\n", sshd_opts(&s)),
    )
    .unwrap();
    s.start_manager(&[]);
    s.start("sshd.socket");
    for i in 0..2 {
        let o = ssh(&key, port, "echo per-connection $REMOTE_ADDR");
        assert!(o.status.success(), "login {i}: {}{}\nconsole:\n{}", stdout(&o), stderr(&o), s.console());
        assert_eq!(stdout(&o), "per-connection\n", "sshd clears the environment it was given");
    }
    assert_eq!(s.prop("sshd.socket", "NAccepted"), "2");
    s.wait_prop("sshd.socket", "NConnections", "0");
}
