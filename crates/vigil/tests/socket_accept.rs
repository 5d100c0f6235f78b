//! `Accept=yes` end to end: one `PREFIX@INSTANCE.service` per connection,
//! named as systemd names it, with the connection on stdio
//! (`StandardInput=socket`) or as fd 3, `REMOTE_ADDR`/`REMOTE_PORT`, and
//! `MaxConnections=`/`MaxConnectionsPerSource=` refusing and counting.

mod socket_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use socket_support::*;

fn echo_units(port: u16, extra: &str) -> Vec<(&'static str, String)> {
    vec![
        ("echo.socket", format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n{extra}")),
        ("echo@.service", "[Service]\nExecStart=/bin/cat\nStandardInput=socket\nStandardOutput=socket\n".into()),
    ]
}

#[test]
fn every_client_gets_its_own_echo() {
    let port = free_port();
    let s = Sock::with_manager("acc-echo", &echo_units(port, ""), &[]);
    s.start("echo.socket");
    // Three clients at once, each with its own conversation.
    let mut clients: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(loopback(port)).unwrap()).collect();
    for (i, c) in clients.iter_mut().enumerate() {
        c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        c.write_all(format!("client {i} says hi\n").as_bytes()).unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let want = format!("client {i} says hi\n");
        let mut buf = vec![0u8; want.len()];
        c.read_exact(&mut buf).unwrap_or_else(|e| panic!("client {i}: {e}\n{}", s.console()));
        assert_eq!(String::from_utf8_lossy(&buf), want);
    }
    s.wait_prop("echo.socket", "NConnections", "3");
    assert_eq!(s.prop("echo.socket", "NAccepted"), "3");
    // Instances are named N-LOCAL:PORT-REMOTE:PORT, N counting from 0.
    let list = stdout(&s.vigil(&["list-units", "--all"]));
    for (i, c) in clients.iter().enumerate() {
        let rport = c.local_addr().unwrap().port();
        let name = format!("echo@{i}-127.0.0.1:{port}-127.0.0.1:{rport}.service");
        assert!(list.contains(&name), "no instance {name}:\n{list}");
    }
    for c in &clients {
        c.shutdown(std::net::Shutdown::Write).unwrap();
    }
    for c in &mut clients {
        assert_eq!(read_all(c), "", "cat exits at EOF and the connection closes");
    }
    s.wait_prop("echo.socket", "NConnections", "0");
    assert_eq!(s.prop("echo.socket", "SubState"), "listening");
}

#[test]
fn connection_as_fd3_with_remote_env() {
    let port = free_port();
    let s = Sock::with_manager(
        "acc-fd3",
        &[
            ("rep.socket", format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n")),
            ("rep@.service", "[Service]\nExecStart=@ROOT@/conn.py\n".into()),
        ],
        &[(
            "conn.py",
            "#!@PYTHON@\nimport os, socket\nc = socket.socket(fileno=3)\nc.sendall(('%s %s %s %s %s\\n' % (os.environ['LISTEN_FDS'], os.environ['LISTEN_FDNAMES'], os.environ['LISTEN_PID'] == str(os.getpid()), os.environ['REMOTE_ADDR'], os.environ['REMOTE_PORT'])).encode())\n".into(),
        )],
    );
    s.start("rep.socket");
    let mut c = TcpStream::connect(loopback(port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let rport = c.local_addr().unwrap().port();
    assert_eq!(read_all(&mut c), format!("1 connection True 127.0.0.1 {rport}\n"), "{}", s.console());
}

#[test]
fn max_connections_refuses_counts_and_recovers() {
    let port = free_port();
    let s = Sock::with_manager("acc-max", &echo_units(port, "MaxConnections=2\n"), &[]);
    s.start("echo.socket");
    let mut a = TcpStream::connect(loopback(port)).unwrap();
    let mut b = TcpStream::connect(loopback(port)).unwrap();
    for c in [&mut a, &mut b] {
        c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        c.write_all(b"x\n").unwrap();
        let mut buf = [0u8; 2];
        c.read_exact(&mut buf).unwrap();
    }
    s.wait_prop("echo.socket", "NConnections", "2");
    // The third is accepted and closed at once: EOF, no echo.
    let mut third = TcpStream::connect(loopback(port)).unwrap();
    third.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = third.write_all(b"refused?\n");
    assert_eq!(read_all(&mut third), "");
    s.wait_prop("echo.socket", "NRefused", "1");
    assert!(s.console().contains("echo.socket: Too many incoming connections (2), dropping connection."), "{}", s.console());
    // One connection ends: there is room again.
    a.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_all(&mut a), "");
    s.wait_prop("echo.socket", "NConnections", "1");
    let out = tcp_exchange(loopback(port), "room again\n").unwrap();
    assert_eq!(out, "room again\n");
    assert_eq!(s.prop("echo.socket", "NAccepted"), "3");
    drop(b);
}

#[test]
fn max_connections_per_source_counts_by_address() {
    let port = free_port();
    let s = Sock::with_manager("acc-src", &echo_units(port, "MaxConnectionsPerSource=1\n"), &[]);
    s.start("echo.socket");
    let mut a = TcpStream::connect(loopback(port)).unwrap();
    a.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    a.write_all(b"a\n").unwrap();
    let mut buf = [0u8; 2];
    a.read_exact(&mut buf).unwrap();
    // Same source: refused.
    let mut again = TcpStream::connect(loopback(port)).unwrap();
    again.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let _ = again.write_all(b"b\n");
    assert_eq!(read_all(&mut again), "");
    s.wait_prop("echo.socket", "NRefused", "1");
    assert!(
        s.console().contains("echo.socket: Too many incoming connections (2) from source 127.0.0.1, dropping connection."),
        "{}",
        s.console()
    );
    // Another source address on loopback is served.
    let other = connect_from([127, 0, 0, 2], port);
    let mut other = other.expect("connect from 127.0.0.2");
    other.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    other.write_all(b"other\n").unwrap();
    let mut buf = [0u8; 6];
    other.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"other\n");
}

/// A TCP connection from a chosen loopback source address.
fn connect_from(src: [u8; 4], port: u16) -> std::io::Result<TcpStream> {
    // std cannot bind a client socket before connecting: libc it is.
    // SAFETY: plain socket calls on a descriptor we own.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        use std::os::fd::FromRawFd;
        let stream = TcpStream::from_raw_fd(fd);
        let mut sin: libc::sockaddr_in = std::mem::zeroed();
        sin.sin_family = libc::AF_INET as libc::sa_family_t;
        sin.sin_addr.s_addr = u32::from_be_bytes(src).to_be();
        if libc::bind(fd, (&sin as *const libc::sockaddr_in).cast(), std::mem::size_of::<libc::sockaddr_in>() as u32) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        sin.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
        sin.sin_port = port.to_be();
        if libc::connect(fd, (&sin as *const libc::sockaddr_in).cast(), std::mem::size_of::<libc::sockaddr_in>() as u32) < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(stream)
    }
}

#[test]
fn unix_accept_instances_are_named_by_peer_pid_and_uid() {
    let s = Sock::with_manager(
        "acc-unix",
        &[
            ("u.socket", "[Socket]\nListenStream=@ROOT@/run/u.sock\nAccept=yes\n".into()),
            ("u@.service", "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n".into()),
        ],
        &[],
    );
    s.start("u.socket");
    let mut c = UnixStream::connect(s.path("run/u.sock")).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    c.write_all(b"over unix\n").unwrap();
    let mut buf = [0u8; 10];
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"over unix\n", "StandardOutput= follows StandardInput=socket");
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    let name = format!("u@0-{}-{uid}.service", std::process::id());
    assert_eq!(s.prop(&name, "ActiveState"), "active", "instance {name}\n{}", stdout(&s.vigil(&["list-units", "--all"])));
    drop(c);
    s.wait_prop(&name, "ActiveState", "inactive");
    s.wait_prop("u.socket", "NConnections", "0");
}

#[test]
fn missing_template_fails_the_socket() {
    let port = free_port();
    let s = Sock::with_manager(
        "acc-notmpl",
        &[("lone.socket", format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n"))],
        &[],
    );
    s.start("lone.socket");
    let mut c = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port))).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    assert_eq!(read_all(&mut c), "");
    s.wait_prop("lone.socket", "ActiveState", "failed");
    assert_eq!(s.prop("lone.socket", "Result"), "resources");
    assert!(s.console().contains("Failed to queue service startup job (Maybe the service file is missing or not a template unit?)"), "{}", s.console());
}

#[test]
fn ipv6_instances_are_named_without_brackets() {
    let port = free_port();
    let s = Sock::with_manager(
        "acc-v6",
        &[
            ("six.socket", format!("[Socket]\nListenStream=[::1]:{port}\nAccept=yes\n")),
            ("six@.service", "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n".into()),
        ],
        &[],
    );
    s.start("six.socket");
    assert_eq!(s.prop("six.socket", "Listen"), format!("[::1]:{port} (Stream)"));
    let mut c = TcpStream::connect(SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port))).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    c.write_all(b"six\n").unwrap();
    let mut buf = [0u8; 4];
    c.read_exact(&mut buf).unwrap();
    let rport = c.local_addr().unwrap().port();
    let name = format!("six@0-::1:{port}-::1:{rport}.service");
    assert_eq!(s.prop(&name, "ActiveState"), "active", "{}", stdout(&s.vigil(&["list-units", "--all"])));
}

/// inetd's way, kept where nothing can need the connection again: the
/// manager closes its copy once the instance's last `ExecStart=` has it, so
/// a service that closes its streams and goes on ends the client's stream
/// at once; the instance still counts as a connection until it is gone.
/// With an `ExecStop=` (which gets the socket too) the manager's copy stays,
/// and what that command writes reaches the client.
#[test]
fn the_connection_ends_when_the_service_closes_it() {
    let port = free_port();
    let s = Sock::with_manager(
        "acc-close",
        &[
            ("bye.socket", format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n")),
            (
                "bye@.service",
                "[Service]\nExecStart=/bin/sh -c 'echo bye; exec >&- <&- 2>&-; exec sleep 60'\nStandardInput=socket\n".into(),
            ),
        ],
        &[],
    );
    s.start("bye.socket");
    let mut c = TcpStream::connect(loopback(port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    assert_eq!(read_all(&mut c), "bye\n", "EOF while the service still runs\n{}", s.console());
    assert_eq!(s.prop("bye.socket", "NConnections"), "1", "the running instance still counts");
    let rport = c.local_addr().unwrap().port();
    let instance = format!("bye@0-127.0.0.1:{port}-127.0.0.1:{rport}.service");
    assert_eq!(s.prop(&instance, "ActiveState"), "active");
    s.vigil(&["stop", &instance]);
    s.wait_prop("bye.socket", "NConnections", "0");

    let port = free_port();
    let s = Sock::with_manager(
        "acc-keep",
        &[
            ("bye.socket", format!("[Socket]\nListenStream=127.0.0.1:{port}\nAccept=yes\n")),
            (
                "bye@.service",
                "[Service]\nExecStart=/bin/sh -c 'echo bye; exec >&- <&- 2>&-; exec sleep 60'\nExecStop=/bin/echo stopped\nStandardInput=socket\n"
                    .into(),
            ),
        ],
        &[],
    );
    s.start("bye.socket");
    let mut c = TcpStream::connect(loopback(port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut first = [0u8; 4];
    c.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"bye\n");
    let rport = c.local_addr().unwrap().port();
    s.vigil(&["stop", &format!("bye@0-127.0.0.1:{port}-127.0.0.1:{rport}.service")]);
    assert_eq!(read_all(&mut c), "stopped\n", "ExecStop= wrote on the manager's copy\n{}", s.console());
}
