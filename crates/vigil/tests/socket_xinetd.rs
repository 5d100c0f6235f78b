//! xinetd services under vigil: `/etc/xinetd.d` files of a root are
//! turned into units by the xinetd generator (called here, into the
//! root's `/run/systemd/generator.late`, as `vigil init` does at boot —
//! `vigil daemon` runs no generators), the manager boots with `--boot`
//! so `sockets.target` pulls the generated sockets in, and `only_from`
//! is enforced when connections are accepted (stream, `wait = no`) and
//! before a datagram activates its server (`wait = yes`).

mod socket_support;

use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::os::fd::FromRawFd;
use std::time::Duration;

use socket_support::*;

/// Run the generator over the root. `servers` are host paths of helper
/// scripts: the generator checks a server *inside the root* while the
/// manager (with `--root`, but no chroot) runs the host path, so each is
/// mirrored at ROOT/HOSTPATH as well.
fn generate(s: &Sock, servers: &[&str]) {
    for name in servers {
        let host = s.path(name);
        let inside = s.root.path.join(host.strip_prefix("/").unwrap());
        std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
        std::fs::copy(&host, &inside).unwrap();
    }
    let out = s.path("run/systemd/generator.late");
    std::fs::create_dir_all(&out).unwrap();
    let opts = unit::generator::GenOptions::system(vec![s.path("etc/systemd/system")]);
    let report = unit::generator::run_xinetd(&s.root.path, &out, &opts).expect("xinetd generator");
    let errors: Vec<String> =
        report.diagnostics.iter().filter(|d| d.severity == unit::Severity::Error).map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "generator errors: {errors:?}");
    assert!(!report.units.is_empty(), "nothing generated: {report:?}");
}

/// A TCP connection from `src` (a loopback address) to 127.0.0.1:`port`.
fn connect_from(src: [u8; 4], port: u16) -> TcpStream {
    // SAFETY: plain socket calls on a descriptor we own.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let stream = TcpStream::from_raw_fd(fd);
        let mut sin: libc::sockaddr_in = std::mem::zeroed();
        sin.sin_family = libc::AF_INET as libc::sa_family_t;
        sin.sin_addr.s_addr = u32::from_be_bytes(src).to_be();
        let len = std::mem::size_of::<libc::sockaddr_in>() as u32;
        assert_eq!(libc::bind(fd, (&sin as *const libc::sockaddr_in).cast(), len), 0, "bind {src:?}");
        sin.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        sin.sin_port = port.to_be();
        assert_eq!(libc::connect(fd, (&sin as *const libc::sockaddr_in).cast(), len), 0, "connect");
        stream
    }
}

#[test]
fn xinetd_stream_service_with_only_from() {
    let port = free_port();
    let mut s = Sock::setup(
        "xi-stream",
        &[],
        &[
            ("etc/xinetd.conf", "defaults\n{\n}\nincludedir /etc/xinetd.d\n".into()),
            (
                "etc/xinetd.d/hello",
                format!(
                    "service hello\n{{\n  type = UNLISTED\n  port = {port}\n  socket_type = stream\n  protocol = tcp\n  wait = no\n  user = root\n  server = @ROOT@/hello.sh\n  server_args = world\n  only_from = 127.0.0.1 10.0.0.0/8\n}}\n"
                ),
            ),
            ("hello.sh", "#!/bin/sh\nread name\necho \"hello $name from $REMOTE_ADDR\"\n".into()),
        ],
    );
    generate(&s, &["hello.sh"]);
    s.start_manager(&["--boot"]);
    s.wait_prop("hello.socket", "SubState", "listening");
    assert_eq!(s.prop("hello.socket", "Listen"), format!("[::]:{port} (Stream)"));

    let mut ok = connect_from([127, 0, 0, 1], port);
    ok.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    ok.write_all(b"xinetd\n").unwrap();
    let mut out = String::new();
    ok.read_to_string(&mut out).unwrap();
    assert_eq!(out, "hello xinetd from 127.0.0.1\n", "{}", s.console());

    let mut denied = connect_from([127, 0, 0, 2], port);
    denied.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = denied.write_all(b"intruder\n");
    assert_eq!(read_all(&mut denied), "", "refused connections are closed at once");
    s.wait_prop("hello.socket", "NRefused", "1");
    assert_eq!(s.prop("hello.socket", "NAccepted"), "1", "refused connections start no instance");
    assert!(s.console().contains("Connection from 127.0.0.2 refused by X-Xinetd-OnlyFrom="), "{}", s.console());
}

#[test]
fn xinetd_datagram_service_drops_datagrams_from_refused_sources() {
    let port = free_port();
    let mut s = Sock::setup(
        "xi-dgram",
        &[],
        &[
            ("etc/xinetd.conf", "includedir /etc/xinetd.d\n".into()),
            (
                "etc/xinetd.d/note",
                format!(
                    "service note\n{{\n  type = UNLISTED\n  port = {port}\n  socket_type = dgram\n  protocol = udp\n  wait = yes\n  user = root\n  server = @ROOT@/note.py\n  only_from = 127.0.0.1\n}}\n"
                ),
            ),
            (
                "note.py",
                "#!@PYTHON@\nimport socket, os\ns = socket.socket(fileno=0)\ndata, peer = s.recvfrom(200)\nopen('@ROOT@/note.tmp', 'w').write(data.decode())\nos.rename('@ROOT@/note.tmp', '@ROOT@/note')\n".into(),
            ),
        ],
    );
    generate(&s, &["note.py"]);
    s.start_manager(&["--boot"]);
    s.wait_prop("note.socket", "SubState", "listening");
    let bad = UdpSocket::bind("127.0.0.2:0").unwrap();
    bad.send_to(b"from-the-wrong-place", ("127.0.0.1", port)).unwrap();
    s.wait_prop("note.socket", "NRefused", "1");
    assert_eq!(s.prop("note.service", "ActiveState"), "inactive", "a refused datagram activates nothing");
    let good = UdpSocket::bind("127.0.0.1:0").unwrap();
    good.send_to(b"welcome", ("127.0.0.1", port)).unwrap();
    assert_eq!(s.wait_file("note", |t| !t.is_empty()), "welcome");
}
