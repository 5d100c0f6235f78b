//! Service output reaches the journal: the manager starts the journal
//! process, connects each service's stdout/stderr to it with the unit
//! named in the stream header (trusted because the manager opened it), and
//! both our `journalctl` and the real one find the lines by unit.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

#[test]
fn service_output_is_in_the_journal_by_unit() {
    let r = TestRoot::new("jmgr");
    let dir = r.path.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(r.path.join("var/log/journal")).unwrap();
    std::fs::write(r.path.join("talk.sh"), "#!/bin/sh\necho hello journal\necho to stderr >&2\necho '<3>an error'\n").unwrap();
    Command::new("chmod").arg("755").arg(r.path.join("talk.sh")).status().unwrap();
    std::fs::write(
        dir.join("talk.service"),
        format!("[Unit]\nDescription=Talker\n[Service]\nType=oneshot\nSyslogIdentifier=talker\nExecStart={}/talk.sh\n", r.path.display()),
    )
    .unwrap();
    assert_eq!(r.vigil(&["start", "talk"]).status.code(), Some(0));
    let ours = || stdout(&r.vigil(&["logs", "-u", "talk", "-o", "cat", "--no-pager"]));
    assert!(wait_until(Duration::from_secs(10), || ours().lines().count() >= 3), "journal: {:?}", ours());
    assert_eq!(ours(), "hello journal\nto stderr\nan error\n");
    // The real journalctl reads the same files the same way.
    let jdir = std::fs::read_dir(r.path.join("var/log/journal")).unwrap().flatten().next().expect("machine-id dir").path();
    let real = Command::new("journalctl")
        .arg("-D")
        .arg(&jdir)
        .args(["-u", "talk.service", "-o", "cat", "--no-pager"])
        .output()
        .expect("journalctl (scripts/test-deps installs it)");
    assert_eq!(String::from_utf8_lossy(&real.stdout), "hello journal\nto stderr\nan error\n");
    // Priority prefix and identifier.
    let o = r.vigil(&["logs", "-u", "talk", "-p", "err", "-o", "verbose", "--no-pager"]);
    let v = stdout(&o);
    assert!(v.contains("PRIORITY=3") && v.contains("SYSLOG_IDENTIFIER=talker") && v.contains("_SYSTEMD_UNIT=talk.service"), "{v}");
    assert!(v.contains("_SYSTEMD_INVOCATION_ID="), "{v}");
}
