//! Service output reaches the journal: the manager starts the journal
//! process, connects each service's stdout/stderr to it with the unit
//! named in the stream header (trusted because the manager opened it), and
//! both our `journalctl` and the real one find the lines by unit — with
//! the manager's own messages about the unit ("Starting…", "Deactivated
//! successfully."), as `journalctl -u` shows systemd's, also when the
//! manager is not PID 1 (`--root`) or is a user manager (`--user`).

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
    std::fs::write(dir.join("other.service"), "[Unit]\nDescription=Other\n[Service]\nType=oneshot\nExecStart=/bin/true\n").unwrap();
    assert_eq!(r.vigil(&["start", "talk"]).status.code(), Some(0));
    let ours = || stdout(&r.vigil(&["logs", "-u", "talk", "-o", "cat", "--no-pager"]));
    let done = "talk.service: Deactivated successfully.";
    assert!(wait_until(Duration::from_secs(10), || ours().contains(done)), "journal: {:?}", ours());
    let lines = ours();
    // The service's own lines, in order, and the manager's about it.
    let own: Vec<&str> = lines.lines().filter(|l| ["hello journal", "to stderr", "an error"].contains(l)).collect();
    assert_eq!(own, ["hello journal", "to stderr", "an error"], "{lines}");
    assert!(lines.lines().any(|l| l == "Starting talk.service - Talker..."), "{lines}");
    // The real journalctl reads the same files the same way: the manager
    // (not PID 1) is root, so `_UID=0` + `OBJECT_SYSTEMD_UNIT=` finds its
    // messages as journalctl finds those of "authorized daemons".
    let jdir = std::fs::read_dir(r.path.join("var/log/journal")).unwrap().flatten().next().expect("machine-id dir").path();
    let real = Command::new("journalctl")
        .arg("-D")
        .arg(&jdir)
        .args(["-u", "talk.service", "-o", "cat", "--no-pager"])
        .output()
        .expect("journalctl (scripts/test-deps installs it)");
    let real = String::from_utf8_lossy(&real.stdout).into_owned();
    if nix::unistd::getuid().is_root() {
        assert_eq!(real, lines);
    } else {
        eprintln!("not root: the real journalctl shows the manager's messages only from _UID=0");
    }
    // Priority prefix and identifier.
    let o = r.vigil(&["logs", "-u", "talk", "-p", "err", "-o", "verbose", "--no-pager"]);
    let v = stdout(&o);
    assert!(v.contains("PRIORITY=3") && v.contains("SYSLOG_IDENTIFIER=talker") && v.contains("_SYSTEMD_UNIT=talk.service"), "{v}");
    assert!(v.contains("_SYSTEMD_INVOCATION_ID="), "{v}");
    // The manager's message: from the manager's pid, about the unit.
    let pid = r.manager_pid().expect("manager pid");
    let o = r.vigil(&["logs", "-u", "talk", "-o", "verbose", "--no-pager", "MESSAGE=Starting talk.service - Talker..."]);
    let v = stdout(&o);
    for f in ["UNIT=talk.service", "OBJECT_SYSTEMD_UNIT=talk.service", "SYSLOG_IDENTIFIER=vigil", "_TRANSPORT=journal"] {
        assert!(v.lines().any(|l| l.trim() == f), "{f} missing:\n{v}");
    }
    assert!(v.lines().any(|l| l.trim() == format!("_PID={pid}")), "{v}");
    // Another unit's messages do not show under this one.
    assert_eq!(r.vigil(&["start", "other"]).status.code(), Some(0));
    let other = || stdout(&r.vigil(&["logs", "-u", "other", "-o", "cat", "--no-pager"]));
    assert!(wait_until(Duration::from_secs(10), || other().contains("other.service: Deactivated successfully.")), "{}", other());
    assert!(!other().contains("Talker") && !ours().contains("Other"), "{}\n{}", other(), ours());
}

/// A user manager logs about its units with `USER_UNIT=` (systemd's
/// `unit_log_field` for user managers), which `journalctl --user -u` and
/// `--user-unit` match together with the user's `_UID=`.
#[test]
fn user_manager_messages_are_found_by_user_unit() {
    let r = TestRoot::new("jmgru");
    let dir = r.path.join("etc/systemd/user");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hi.service"), "[Unit]\nDescription=Hi\n[Service]\nType=oneshot\nExecStart=/bin/echo hi there\n").unwrap();
    let root = r.root_arg();
    let v = |args: &[&str]| Command::new(vigil()).arg(&root).arg("--user").args(args).output().unwrap();
    let _stop = UserManager(root.clone());
    assert_eq!(v(&["start", "hi"]).status.code(), Some(0), "{}", String::from_utf8_lossy(&v(&["start", "hi"]).stderr));
    let ours = || stdout(&v(&["logs", "-u", "hi", "-o", "cat", "--no-pager"]));
    assert!(wait_until(Duration::from_secs(10), || ours().contains("hi.service: Deactivated successfully.")), "{:?}", ours());
    let lines = ours();
    assert!(lines.lines().any(|l| l == "hi there") && lines.lines().any(|l| l == "Starting hi.service - Hi..."), "{lines}");
    let o = stdout(&v(&["logs", "-u", "hi", "-o", "verbose", "--no-pager", "MESSAGE=Starting hi.service - Hi..."]));
    assert!(o.lines().any(|l| l.trim() == "USER_UNIT=hi.service"), "{o}");
    assert!(!o.lines().any(|l| l.trim().starts_with("UNIT=")), "{o}");
    // The real journalctl, on the user's file, by --user-unit.
    let uid = nix::unistd::getuid().as_raw();
    let files: Vec<_> = ["var/log/journal", "run/log/journal"]
        .iter()
        .flat_map(|d| std::fs::read_dir(r.path.join(d)).into_iter().flatten().flatten())
        .flat_map(|m| std::fs::read_dir(m.path()).into_iter().flatten().flatten())
        .map(|f| f.path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&format!("user-{uid}"))))
        .collect();
    assert!(!files.is_empty(), "no user journal file");
    let mut real = Command::new("journalctl");
    for f in &files {
        real.arg(format!("--file={}", f.display()));
    }
    let real = real.args(["--user-unit", "hi.service", "-o", "cat", "--no-pager"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&real.stdout), lines);
}

/// Stops the root's user manager (autostarted by the first `--user` command).
struct UserManager(String);

impl Drop for UserManager {
    fn drop(&mut self) {
        let _ = Command::new(vigil()).arg(&self.0).args(["--user", "--no-autostart", "exit"]).output();
    }
}
