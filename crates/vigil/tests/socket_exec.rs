//! Control commands of socket units (`systemd.socket(5)`): `ExecStartPre=`
//! runs before the socket is bound, `ExecStartPost=` after;
//! `ExecStopPre=` before it is closed, `ExecStopPost=` after. A failing
//! command fails the unit with result `exit-code` and nothing listens.

mod socket_support;

use std::net::TcpStream;
use std::os::unix::net::UnixStream;

use socket_support::*;

/// A script that appends "TAG yes|no" to `log` — whether the socket node
/// exists at that moment — and exits with `code`.
const PROBE: &str = "#!/bin/sh\nif [ -S @ROOT@/run/s.sock ]; then b=yes; else b=no; fi\necho \"$1 $b\" >> @ROOT@/log\nexit ${2:-0}\n";

fn probe_socket(extra: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "p.socket",
            format!(
                "[Socket]\nListenStream=@ROOT@/run/s.sock\nRemoveOnStop=yes\n\
                 ExecStartPre=@ROOT@/probe.sh start-pre\nExecStartPost=@ROOT@/probe.sh start-post\n\
                 ExecStopPre=@ROOT@/probe.sh stop-pre\nExecStopPost=@ROOT@/probe.sh stop-post\n{extra}"
            ),
        ),
        ("p.service", "[Service]\nExecStart=/bin/sleep 300\n".into()),
    ]
}

fn log(s: &Sock) -> String {
    std::fs::read_to_string(s.path("log")).unwrap_or_default()
}

#[test]
fn commands_run_around_binding_and_closing() {
    let s = Sock::with_manager("sx-order", &probe_socket(""), &[("probe.sh", PROBE.into())]);
    std::fs::create_dir_all(s.path("run")).unwrap();
    s.start("p.socket");
    assert_eq!(log(&s), "start-pre no\nstart-post yes\n");
    assert_eq!(s.prop("p.socket", "SubState"), "listening");
    // (No client here: it would start p.service, and a socket whose
    // service is active refuses to start again below.)
    assert!(s.vigil(&["stop", "p.socket"]).status.success());
    s.wait_prop("p.socket", "ActiveState", "inactive");
    assert_eq!(log(&s), "start-pre no\nstart-post yes\nstop-pre yes\nstop-post no\n");
    // A restart runs the stop commands, then the start commands.
    s.start("p.socket");
    std::fs::remove_file(s.path("log")).unwrap();
    assert!(s.vigil(&["restart", "p.socket"]).status.success());
    assert_eq!(log(&s), "stop-pre yes\nstop-post no\nstart-pre no\nstart-post yes\n");
    assert_eq!(s.prop("p.socket", "SubState"), "listening");
}

#[test]
fn failing_start_pre_fails_the_socket_and_nothing_is_bound() {
    let s = Sock::with_manager(
        "sx-pre",
        &probe_socket("ExecStartPre=@ROOT@/probe.sh bad-pre 3\nExecStartPre=@ROOT@/probe.sh never\n"),
        &[("probe.sh", PROBE.into())],
    );
    std::fs::create_dir_all(s.path("run")).unwrap();
    let o = s.vigil(&["start", "p.socket"]);
    assert!(!o.status.success(), "start must fail: {}", stdout(&o));
    assert_eq!(s.prop("p.socket", "ActiveState"), "failed");
    assert_eq!(s.prop("p.socket", "Result"), "exit-code");
    // The failing command stops the phase; no stop commands after start-pre.
    assert_eq!(log(&s), "start-pre no\nbad-pre no\n");
    assert!(!s.path("run/s.sock").exists(), "nothing was bound");
    let c = s.console();
    assert!(c.contains("Control process exited, code=exited, status=3/"), "{c}");
    assert!(c.contains("Failed with result 'exit-code'."), "{c}");
}

#[test]
fn failing_start_post_closes_the_port_through_the_stop_commands() {
    let port = free_port();
    let units = vec![
        (
            "t.socket",
            format!(
                "[Socket]\nListenStream=127.0.0.1:{port}\nExecStartPost=/bin/false\n\
                 ExecStopPost=/bin/sh -c 'echo stop-post >> @ROOT@/log'\n"
            ),
        ),
        ("t.service", "[Service]\nExecStart=/bin/sleep 300\n".into()),
    ];
    let s = Sock::with_manager("sx-post", &units, &[]);
    assert!(!s.vigil(&["start", "t.socket"]).status.success());
    assert_eq!(s.prop("t.socket", "ActiveState"), "failed");
    assert_eq!(s.prop("t.socket", "Result"), "exit-code");
    assert_eq!(log(&s), "stop-post\n");
    let refused = TcpStream::connect(loopback(port)).is_err();
    assert!(refused, "the port is closed after a failed start-post");
}

#[test]
fn ignored_failure_and_failing_stop_commands() {
    let units = vec![
        (
            "i.socket",
            "[Socket]\nListenStream=@ROOT@/run/i.sock\nExecStartPre=-/bin/false\nExecStopPost=/bin/false\n".to_string(),
        ),
        ("i.service", "[Service]\nExecStart=/bin/sleep 300\n".into()),
    ];
    let s = Sock::with_manager("sx-ignore", &units, &[]);
    std::fs::create_dir_all(s.path("run")).unwrap();
    s.start("i.socket");
    assert_eq!(s.prop("i.socket", "SubState"), "listening");
    // A failing stop command still stops the socket, which is then failed.
    assert!(s.vigil(&["stop", "i.socket"]).status.success());
    s.wait_prop("i.socket", "ActiveState", "failed");
    assert_eq!(s.prop("i.socket", "Result"), "exit-code");
    assert!(UnixStream::connect(s.path("run/i.sock")).is_err());
}

#[test]
fn a_command_past_timeout_sec_is_terminated_then_killed_and_the_socket_fails() {
    let units = vec![
        (
            "slow.socket",
            "[Socket]\nListenStream=@ROOT@/run/slow.sock\nTimeoutSec=1\n\
             ExecStartPre=/bin/sh -c 'trap \"\" TERM; echo $$$$ > @ROOT@/pre.pid; sleep 60'\n"
                .to_string(),
        ),
        ("slow.service", "[Service]\nExecStart=/bin/sleep 300\n".into()),
    ];
    let s = Sock::with_manager("sx-timeout", &units, &[]);
    std::fs::create_dir_all(s.path("run")).unwrap();
    assert_eq!(s.prop("slow.socket", "TimeoutUSec"), "1s");
    let o = s.vigil(&["start", "slow.socket"]);
    assert!(!o.status.success(), "start must fail: {}", stdout(&o));
    assert_eq!(s.prop("slow.socket", "ActiveState"), "failed");
    assert_eq!(s.prop("slow.socket", "Result"), "timeout");
    let c = s.console();
    assert!(c.contains("slow.socket: Starting timed out. Terminating."), "{c}");
    assert!(c.contains("slow.socket: Processes still around after SIGTERM. Killing."), "{c}");
    assert!(!s.path("run/slow.sock").exists(), "nothing was bound");
    // Neither the shell nor its sleep survives.
    let pid: i32 = std::fs::read_to_string(s.path("pre.pid")).unwrap().trim().parse().unwrap();
    assert!(wait_until(std::time::Duration::from_secs(10), || !pid_alive(pid)), "the command is gone");
}
