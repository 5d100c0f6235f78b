//! SIGTERM while booting (issue 7, found by `docker stop` right after
//! `is-system-running` said "running" on a loaded machine): a target's
//! start job still waits behind a service that is starting. The manager
//! must cancel it, stop the service and exit — not wait forever for a job
//! nothing will ever wake. And until boot is over, `is-system-running`
//! says "starting", not "running".
//!
//! Also: traffic on a socket whose service already stopped must not start
//! that service again while the manager goes down (found with rsyslog,
//! whose syslog.socket got log lines from services stopping after it:
//! rsyslog came back and PID 1 never exited).

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{stdout, vigil, wait_until, TestRoot};

#[test]
fn sigterm_during_boot_cancels_waiting_jobs_and_exits() {
    let root = TestRoot::new("sigterm-boot");
    let units = root.path.join("etc/systemd/system");
    std::fs::create_dir_all(&units).expect("mkdir");
    std::fs::write(
        units.join("slow.service"),
        "[Unit]\nDescription=slow to start\n\n[Service]\nExecStartPre=/bin/sleep 300\nExecStart=/bin/sleep infinity\n",
    )
    .expect("write");
    std::fs::write(units.join("up.target"), "[Unit]\nDescription=up\nWants=slow.service\nAfter=slow.service\n").expect("write");
    let mut daemon = Command::new(vigil())
        .args(["daemon", &root.root_arg(), "--boot", "--unit", "up.target"])
        .env("VIGIL_JOURNAL", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the manager");
    let starting = wait_until(Duration::from_secs(20), || stdout(&root.vigil(&["--no-autostart", "is-active", "slow.service"])).trim() == "activating");
    assert!(starting, "slow.service never got to activating");
    // Boot is not over: not "running" yet (systemctl(1): exit 1).
    let o = root.vigil(&["--no-autostart", "is-system-running"]);
    assert_eq!((stdout(&o).trim(), o.status.code()), ("starting", Some(1)));
    // SAFETY: kill(2) of the manager this test started.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let exited = wait_until(Duration::from_secs(20), || matches!(daemon.try_wait(), Ok(Some(_))));
    if !exited {
        let _ = daemon.kill();
    }
    let status = daemon.wait().expect("wait");
    assert!(exited, "the manager did not exit after SIGTERM while up.target waited for slow.service");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn socket_traffic_during_shutdown_does_not_restart_its_service() {
    let root = TestRoot::new("sigterm-sock");
    let units = root.path.join("etc/systemd/system");
    std::fs::create_dir_all(&units).expect("mkdir");
    let sock = root.path.join("log.sock");
    // Start order: log.socket, chatty.service, log.service; stop order the
    // reverse: log.service, then chatty.service, whose ExecStop writes to
    // the socket, then log.socket.
    std::fs::write(units.join("log.socket"), format!("[Socket]\nListenDatagram={}\n", sock.display())).expect("write");
    std::fs::write(
        units.join("log.service"),
        "[Unit]\nRequires=log.socket\nAfter=log.socket chatty.service\n\n[Service]\nExecStart=/bin/sleep infinity\n",
    )
    .expect("write");
    std::fs::write(
        units.join("chatty.service"),
        format!(
            "[Unit]\nAfter=log.socket\n\n[Service]\nExecStart=/bin/sleep infinity\nExecStop=/usr/bin/logger -d -u {} stopping\n",
            sock.display()
        ),
    )
    .expect("write");
    std::fs::write(units.join("up.target"), "[Unit]\nWants=log.socket chatty.service log.service\nAfter=log.service\n").expect("write");
    let console = root.path.join("console");
    let mut daemon = Command::new(vigil())
        .args(["daemon", &root.root_arg(), "--boot", "--unit", "up.target"])
        .env("VIGIL_JOURNAL", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&console).expect("console"))
        .spawn()
        .expect("start the manager");
    let up = wait_until(Duration::from_secs(20), || stdout(&root.vigil(&["--no-autostart", "is-system-running"])).trim() == "running");
    assert!(up, "boot did not finish: {}", std::fs::read_to_string(&console).unwrap_or_default());
    assert_eq!(stdout(&root.vigil(&["--no-autostart", "is-active", "log.service"])).trim(), "active", "{}", std::fs::read_to_string(&console).unwrap_or_default());
    // SAFETY: kill(2) of the manager this test started.
    unsafe { libc::kill(daemon.id() as i32, libc::SIGTERM) };
    let exited = wait_until(Duration::from_secs(20), || matches!(daemon.try_wait(), Ok(Some(_))));
    if !exited {
        let _ = daemon.kill();
    }
    let _ = daemon.wait();
    let said = std::fs::read_to_string(&console).unwrap_or_default();
    assert!(exited, "the manager did not exit after SIGTERM:\n{said}");
    let log_service = said.matches("Started log.service").count();
    assert_eq!(log_service, 1, "log.service started again during shutdown:\n{said}");
    // Nor is the socket failed for it: it just stops being watched.
    assert!(!said.contains("Failed to queue service startup job"), "{said}");
}
