//! `Accept=no` socket activation end to end: the manager listens, the
//! first traffic starts the service with every port of the socket unit as
//! `LISTEN_FDS` (names from `FileDescriptorName=`), the socket stops
//! watching while the service runs and listens again when it is gone.
//! Unix and TCP stream sockets, UDP datagrams, FIFOs, a restart under
//! load, bind failures and the start limit.

mod socket_support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use socket_support::*;

#[test]
fn unix_stream_service_gets_its_fds_on_first_connection() {
    let s = Sock::with_manager(
        "sock-unix",
        &[
            ("rep.socket", "[Socket]\nListenStream=@ROOT@/run/rep.sock\nSocketMode=0600\n".into()),
            ("rep.service", "[Service]\nExecStart=@ROOT@/report.py\n".into()),
        ],
        &[("report.py", REPORT_PY.into())],
    );
    s.start("rep.socket");
    assert_eq!(s.prop("rep.socket", "ActiveState"), "active");
    assert_eq!(s.prop("rep.socket", "SubState"), "listening");
    assert_eq!(s.prop("rep.service", "ActiveState"), "inactive", "nothing starts before traffic");
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let meta = std::fs::metadata(s.path("run/rep.sock")).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600, "SocketMode=");

    let mut c = UnixStream::connect(s.path("run/rep.sock")).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let line = read_all(&mut c);
    assert_eq!(line, "pid_ok=True fds=1 names=rep.socket type=1 remote=-:-\n", "console:\n{}", s.console());
    assert!(s.console().contains("Listening on rep.socket."), "{}", s.console());
    // The script exits after one connection: the socket listens again and
    // the next connection starts it again.
    s.wait_prop("rep.service", "ActiveState", "inactive");
    s.wait_prop("rep.socket", "SubState", "listening");
    let mut c = UnixStream::connect(s.path("run/rep.sock")).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    assert!(read_all(&mut c).starts_with("pid_ok=True fds=1"));

    // Once the service (which holds a copy of the socket) is gone too,
    // closing the socket unit closes the socket.
    s.wait_prop("rep.service", "ActiveState", "inactive");
    s.vigil(&["stop", "rep.socket"]);
    s.wait_prop("rep.socket", "ActiveState", "inactive");
    assert!(s.console().contains("Closed rep.socket."), "{}", s.console());
    assert!(UnixStream::connect(s.path("run/rep.sock")).is_err(), "closed socket refuses");
}

#[test]
fn tcp_socket_with_two_ports_passes_both_in_order_with_names() {
    let port = free_port();
    let s = Sock::with_manager(
        "sock-tcp",
        &[
            (
                "web.socket",
                format!(
                    "[Unit]\nDescription=Web Socket\n[Socket]\nListenStream=127.0.0.1:{port}\nListenStream=@ROOT@/run/web-admin.sock\nFileDescriptorName=web\nNoDelay=yes\nKeepAlive=yes\n"
                ),
            ),
            ("web.service", "[Service]\nExecStart=@ROOT@/report.py 3\n".into()),
        ],
        &[("report.py", REPORT_PY.into())],
    );
    s.start("web.socket");
    // One Listen= line per port, as systemctl show prints them.
    assert_eq!(s.prop("web.socket", "Listen"), format!("127.0.0.1:{port} (Stream)\n{} (Stream)", s.path("run/web-admin.sock").display()));
    assert_eq!(s.prop("web.socket", "Triggers"), "web.service");
    let out = tcp_exchange(loopback(port), "").unwrap();
    assert_eq!(out, "pid_ok=True fds=2 names=web:web type=1 remote=-:-\n", "console:\n{}", s.console());
    assert!(s.console().contains("Listening on web.socket - Web Socket."), "{}", s.console());
}

#[test]
fn datagram_socket_activates_and_service_reads_the_datagram() {
    let port = free_port();
    let s = Sock::with_manager(
        "sock-dgram",
        &[
            ("dg.socket", format!("[Socket]\nListenDatagram=127.0.0.1:{port}\n")),
            ("dg.service", "[Service]\nExecStart=@ROOT@/dg.py\n".into()),
        ],
        &[(
            "dg.py",
            "#!@PYTHON@\nimport os, socket\ns = socket.socket(fileno=3)\ndata, peer = s.recvfrom(100)\nopen('@ROOT@/got.tmp', 'w').write('%s %s %s' % (s.type, os.environ['LISTEN_FDS'], data.decode()))\nos.rename('@ROOT@/got.tmp', '@ROOT@/got')\n".into(),
        )],
    );
    s.start("dg.socket");
    let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    u.send_to(b"hello-udp", ("127.0.0.1", port)).unwrap();
    let got = s.wait_file("got", |t| !t.is_empty());
    assert_eq!(got, "2 1 hello-udp");
    s.wait_prop("dg.socket", "SubState", "listening");
}

#[test]
fn fifo_activates_on_write() {
    let s = Sock::with_manager(
        "sock-fifo",
        &[
            ("ff.socket", "[Socket]\nListenFIFO=@ROOT@/run/in.fifo\nSocketMode=0620\nRemoveOnStop=yes\n".into()),
            ("ff.service", "[Service]\nExecStart=@ROOT@/ff.sh\n".into()),
        ],
        &[("ff.sh", "#!/bin/sh\nread line <&3\necho \"$LISTEN_FDNAMES $line\" >@ROOT@/got.tmp\nmv @ROOT@/got.tmp @ROOT@/got\n".into())],
    );
    s.start("ff.socket");
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let meta = std::fs::metadata(s.path("run/in.fifo")).unwrap();
    assert!(meta.file_type().is_fifo());
    assert_eq!(meta.permissions().mode() & 0o777, 0o620 & !0o022, "SocketMode= under the manager's umask");
    // The manager holds the FIFO open for reading, so this does not block.
    let mut w = std::fs::OpenOptions::new().write(true).open(s.path("run/in.fifo")).unwrap();
    w.write_all(b"through-the-fifo\n").unwrap();
    drop(w);
    assert_eq!(s.wait_file("got", |t| t.ends_with('\n')), "ff.socket through-the-fifo\n");
    s.vigil(&["stop", "ff.socket"]);
    s.wait_prop("ff.socket", "ActiveState", "inactive");
    assert!(!s.path("run/in.fifo").exists(), "RemoveOnStop= removes the FIFO");
}

/// A well-behaved Accept=no server: SIGTERM is only acted on between
/// connections, so every connection it accepted is answered; what is
/// still in the backlog is the next instance's.
const PONG_PY: &str = r#"#!@PYTHON@
import os, select, signal, socket
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
s = socket.socket(fileno=3)
s.setblocking(False)
while True:
    if signal.SIGTERM in signal.sigpending():
        os._exit(0)
    r, _, _ = select.select([s], [], [], 0.02)
    if not r:
        continue
    try:
        c, _ = s.accept()
    except BlockingIOError:
        continue
    c.setblocking(True)
    c.sendall(b'pong %d\n' % os.getpid())
    c.close()
"#;

/// `pong.socket` on a fresh port with `pong.service` (`[Service]` lines
/// `extra` added) answering a first client: (manager, port, its answer).
fn pong_running(name: &str, extra: &str) -> (Sock, u16, String) {
    let port = free_port();
    let s = Sock::with_manager(
        name,
        &[
            ("pong.socket", format!("[Socket]\nListenStream=127.0.0.1:{port}\n")),
            ("pong.service", format!("[Service]\nExecStart=@ROOT@/pong.py\n{extra}")),
        ],
        &[("pong.py", PONG_PY.into())],
    );
    s.start("pong.socket");
    let first = tcp_exchange(loopback(port), "").unwrap_or_else(|e| panic!("{e}\n{}", s.console()));
    assert!(first.starts_with("pong "), "{first}");
    s.wait_prop("pong.socket", "SubState", "running");
    (s, port, first)
}

/// A client connecting while its service restarts waits in the backlog
/// and is served by the new instance: never refused.
#[test]
fn restart_of_the_service_never_refuses_a_client() {
    let (s, port, first) = pong_running("sock-restart", "");
    let root_arg = s.root.root_arg();
    let restarter = std::thread::spawn(move || {
        for _ in 0..3 {
            let o = std::process::Command::new(vigil()).args([&root_arg, "restart", "pong.service"]).output().unwrap();
            assert!(o.status.success(), "restart: {}", String::from_utf8_lossy(&o.stderr));
        }
    });
    let mut pids = std::collections::BTreeSet::from([first]);
    let mut n = 0;
    while !restarter.is_finished() || n < 20 {
        let out = tcp_exchange(loopback(port), "").unwrap_or_else(|e| panic!("connection {n} refused or broken: {e}\n{}", s.console()));
        assert!(out.starts_with("pong "), "connection {n}: {out:?}");
        pids.insert(out);
        n += 1;
    }
    restarter.join().unwrap();
    let last = tcp_exchange(loopback(port), "").unwrap();
    assert!(pids.contains(&last), "the last instance answered the loop too: {last:?} {pids:?}");
    assert!(pids.len() >= 2, "the service was restarted while clients connected: {pids:?}");
    assert_eq!(s.prop("pong.socket", "SubState"), "running");
    assert_eq!(s.prop("pong.socket", "NRefused"), "0");
}

/// The same, made deterministic: the client connects exactly while the
/// old instance is gone and the new one not started yet (the restart is
/// held in the first `ExecStopPost=` until the client is in), and it is the new
/// instance that answers it.
#[test]
fn a_client_connecting_while_the_service_is_down_is_served_by_the_new_instance() {
    let (s, port, first) = pong_running(
        "sock-restart-hold",
        "ExecStopPost=/bin/sh -c '[ -e @ROOT@/down ] || { touch @ROOT@/down; while [ ! -e @ROOT@/go ]; do sleep 0.02; done; }'\n",
    );
    let root_arg = s.root.root_arg();
    let restarter = std::thread::spawn(move || {
        std::process::Command::new(vigil()).args([&root_arg, "restart", "pong.service"]).output().unwrap()
    });
    // The old instance has exited (stop-post runs after it).
    assert!(wait_until(std::time::Duration::from_secs(15), || s.path("down").exists()), "{}", s.console());
    let mut c = std::net::TcpStream::connect(loopback(port)).unwrap_or_else(|e| panic!("refused while down: {e}\n{}", s.console()));
    c.set_read_timeout(Some(std::time::Duration::from_secs(15))).unwrap();
    std::fs::write(s.path("go"), "").unwrap();
    let answer = read_all(&mut c);
    let o = restarter.join().unwrap();
    assert!(o.status.success(), "restart: {}", stderr(&o));
    assert!(answer.starts_with("pong "), "{answer:?}\n{}", s.console());
    assert_ne!(answer, first, "the new instance answers\n{}", s.console());
    assert_eq!(s.prop("pong.socket", "NRefused"), "0");
}

#[test]
fn port_in_use_fails_the_socket_with_systemds_message() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let s = Sock::with_manager(
        "sock-inuse",
        &[
            ("busy.socket", format!("[Unit]\nDescription=Busy Socket\n[Socket]\nListenStream=127.0.0.1:{port}\n")),
            ("busy.service", "[Service]\nExecStart=/bin/true\n".into()),
        ],
        &[],
    );
    let o = s.vigil(&["start", "busy.socket"]);
    assert!(!o.status.success());
    assert_eq!(s.prop("busy.socket", "ActiveState"), "failed");
    assert_eq!(s.prop("busy.socket", "Result"), "resources");
    let console = s.console();
    assert!(
        console.contains(&format!(
            "busy.socket: Failed to create listening socket (127.0.0.1:{port}): Address already in use (ListenStream=)"
        )),
        "{console}"
    );
    assert!(console.contains("Failed to listen on busy.socket - Busy Socket."), "{console}");
}

/// A service that never takes its traffic is started again and again
/// until its start limit stops it; then the socket gives up too
/// (`service-start-limit-hit`), instead of spinning.
#[test]
fn service_that_ignores_traffic_hits_the_start_limit() {
    let s = Sock::with_manager(
        "sock-limit",
        &[
            ("lazy.socket", "[Socket]\nListenStream=@ROOT@/run/lazy.sock\n".into()),
            ("lazy.service", "[Service]\nExecStart=/bin/true\n".into()),
        ],
        &[],
    );
    s.start("lazy.socket");
    let _c = UnixStream::connect(s.path("run/lazy.sock")).unwrap();
    s.wait_prop("lazy.socket", "ActiveState", "failed");
    let r = s.prop("lazy.socket", "Result");
    assert!(r == "service-start-limit-hit" || r == "trigger-limit-hit", "{r}\n{}", s.console());
    assert_eq!(r, "service-start-limit-hit", "systemd's service start limit (5 in 10s) is hit before the trigger limit (20 in 2s)");
}

#[test]
fn socket_units_start_at_boot_through_sockets_target() {
    let mut s = Sock::setup(
        "sock-boot",
        &[
            ("boot.socket", "[Socket]\nListenStream=@ROOT@/run/boot.sock\n[Install]\nWantedBy=sockets.target\n".into()),
            ("boot.service", "[Service]\nExecStart=@ROOT@/report.py\n".into()),
        ],
        &[("report.py", REPORT_PY.into())],
    );
    let wants = s.path("etc/systemd/system/sockets.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    std::os::unix::fs::symlink("../boot.socket", wants.join("boot.socket")).unwrap();
    s.start_manager(&["--boot"]);
    s.wait_prop("boot.socket", "SubState", "listening");
    let c = UnixStream::connect(s.path("run/boot.sock")).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut line = String::new();
    BufReader::new(c).read_line(&mut line).unwrap();
    assert!(line.starts_with("pid_ok=True fds=1 names=boot.socket"), "{line}");
}
