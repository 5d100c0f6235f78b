//! SIGTERM while booting (issue 7, found by `docker stop` right after
//! `is-system-running` said "running" on a loaded machine): a target's
//! start job still waits behind a service that is starting. The manager
//! must cancel it, stop the service and exit — not wait forever for a job
//! nothing will ever wake. And until boot is over, `is-system-running`
//! says "starting", not "running".

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
    let starting = wait_until(Duration::from_secs(20), || stdout(&root.vigil(&["is-active", "slow.service"])).trim() == "activating");
    assert!(starting, "slow.service never got to activating");
    // Boot is not over: not "running" yet (systemctl(1): exit 1).
    let o = root.vigil(&["is-system-running"]);
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
