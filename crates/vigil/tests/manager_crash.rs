//! `kill -9` of the manager itself (issue #3): its services keep running,
//! unsupervised, until the next manager of the same root starts — which
//! cleans them up before anything else and says so. Once with cgroups
//! (the processes are found in the dead manager's cgroup; needs root),
//! once with `VIGIL_CGROUPS=off` (found through the pids and invocation
//! ids the dead manager recorded). Also: spawning without waiting for exec
//! still fails a unit whose command cannot be executed with
//! `status=203/EXEC`, and `Type=exec` becomes active once exec succeeded.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use common::*;

/// A manager in the foreground, its console in `console-N.log`.
fn start_manager(root: &TestRoot, n: u32, cgroups: bool) -> Child {
    let mut cmd = Command::new(vigil());
    cmd.args(["daemon", &root.root_arg()])
        .env("VIGIL_JOURNAL", "off")
        .stderr(std::fs::File::create(root.path.join(format!("console-{n}.log"))).unwrap());
    if !cgroups {
        cmd.env("VIGIL_CGROUPS", "off");
    }
    let child = cmd.spawn().unwrap();
    assert!(
        wait_until(Duration::from_secs(20), || std::os::unix::net::UnixStream::connect(root.control()).is_ok()),
        "manager did not start"
    );
    child
}

fn console(root: &TestRoot, n: u32) -> String {
    std::fs::read_to_string(root.path.join(format!("console-{n}.log"))).unwrap_or_default()
}

fn read_pids(p: &Path) -> Vec<i32> {
    std::fs::read_to_string(p).unwrap_or_default().split_whitespace().filter_map(|w| w.parse().ok()).collect()
}

fn write_units(root: &TestRoot, units: &[(&str, &str)], scripts: &[(&str, &str)]) {
    let r = root.path.display().to_string();
    let dir = root.path.join("etc/systemd/system");
    std::fs::create_dir_all(&dir).unwrap();
    for (n, text) in units {
        std::fs::write(dir.join(n), text.replace("@ROOT@", &r)).unwrap();
    }
    for (n, text) in scripts {
        let p = root.path.join(n);
        std::fs::write(&p, format!("#!/bin/sh\n{}", text.replace("@ROOT@", &r))).unwrap();
        Command::new("chmod").arg("755").arg(&p).status().unwrap();
    }
}

/// Three services: a plain one, one with a child of its own, and a
/// forking daemon whose main process is a grandchild of the start
/// command. Each script writes the pids of its processes to `pids-*`.
fn crash_and_restart(name: &str, cgroups: bool) {
    let root = TestRoot::new(name);
    write_units(
        &root,
        &[
            ("plain.service", "[Service]\nExecStart=@ROOT@/plain.sh\n"),
            ("kids.service", "[Service]\nExecStart=@ROOT@/kids.sh\n"),
            ("daemon.service", "[Service]\nType=forking\nPIDFile=@ROOT@/daemon.pid\nExecStart=@ROOT@/daemon.sh\n"),
        ],
        &[
            ("plain.sh", "echo $$ > @ROOT@/pids-plain.tmp\nmv @ROOT@/pids-plain.tmp @ROOT@/pids-plain\nexec sleep 300\n"),
            ("kids.sh", "sleep 300 &\necho $! > @ROOT@/pids-kids.tmp\necho $$ >> @ROOT@/pids-kids.tmp\nmv @ROOT@/pids-kids.tmp @ROOT@/pids-kids\nwait\n"),
            // The subshell forks the daemon and exits: a double fork.
            ("daemon.sh", "( sleep 300 & echo $! > @ROOT@/daemon.pid.tmp; mv @ROOT@/daemon.pid.tmp @ROOT@/daemon.pid )\nexit 0\n"),
        ],
    );
    let mut first = start_manager(&root, 1, cgroups);
    let o = root.vigil(&["--no-autostart", "start", "plain", "kids", "daemon"]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stderr(&o), console(&root, 1));
    // `start` returns once the simple services are forked, not once their
    // scripts have run: wait for each script's pid file (written whole,
    // through a rename).
    assert!(wait_until(Duration::from_secs(10), || read_pids(&root.path.join("pids-kids")).len() == 2));
    assert!(wait_until(Duration::from_secs(10), || read_pids(&root.path.join("pids-plain")).len() == 1));
    let mut pids = read_pids(&root.path.join("pids-plain"));
    pids.extend(read_pids(&root.path.join("pids-kids")));
    pids.extend(read_pids(&root.path.join("daemon.pid")));
    assert_eq!(pids.len(), 4, "{pids:?}");
    let record = std::fs::read_to_string(root.path.join("run/vigil/supervised")).expect("the manager keeps its record");
    let old_base = record.lines().find_map(|l| l.strip_prefix("cgroup ")).map(PathBuf::from);
    assert_eq!(old_base.is_some(), cgroups, "{record}");

    let old_pid = first.id();
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    // The services outlive it, unsupervised.
    assert!(pids.iter().all(|p| pid_alive(*p)), "{pids:?}");

    let mut second = start_manager(&root, 2, cgroups);
    assert!(
        wait_until(Duration::from_secs(15), || pids.iter().all(|p| !pid_alive(*p))),
        "survivors: {:?}\n{}",
        pids.iter().filter(|p| pid_alive(**p)).collect::<Vec<_>>(),
        console(&root, 2)
    );
    let said = format!("Cleaned up 4 processes left by a previous manager (pid {old_pid}).");
    // Said once the manager is set up, a moment after its socket is bound.
    assert!(wait_until(Duration::from_secs(10), || console(&root, 2).contains(&said)), "{}", console(&root, 2));
    if let Some(base) = old_base {
        assert!(!base.exists(), "the dead manager's cgroup {} is still there", base.display());
    }
    // The units can be started again under the new manager.
    let o = root.vigil(&["--no-autostart", "start", "plain"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&root.vigil(&["--no-autostart", "is-active", "plain"])), "active\n");

    // A clean exit leaves no record, so the next start cleans nothing.
    let o = root.vigil(&["--no-autostart", "exit"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(second.wait().unwrap().success());
    assert!(!root.path.join("run/vigil/supervised").exists());
    let mut third = start_manager(&root, 3, cgroups);
    let _ = root.vigil(&["--no-autostart", "exit"]);
    third.wait().unwrap();
    assert!(!console(&root, 3).contains("previous manager"), "{}", console(&root, 3));
}

#[test]
fn a_killed_managers_services_are_cleaned_up_at_the_next_start_with_cgroups() {
    if !is_root() {
        println!("skipped: needs root for a writable cgroup hierarchy");
        return;
    }
    crash_and_restart("crash-cg", true);
}

#[test]
fn a_killed_managers_services_are_cleaned_up_at_the_next_start_without_cgroups() {
    crash_and_restart("crash-nocg", false);
}

#[test]
fn exec_failure_after_fork_fails_the_unit_with_203_and_type_exec_waits_for_exec() {
    let root = TestRoot::new("execfail");
    write_units(
        &root,
        &[
            ("missing.service", "[Service]\nExecStart=/nonexistent/binary\n"),
            ("missing-exec.service", "[Service]\nType=exec\nExecStart=/nonexistent/binary\n"),
            ("ok-exec.service", "[Service]\nType=exec\nExecStart=/bin/sleep 300\n"),
        ],
        &[],
    );
    let mut m = start_manager(&root, 1, true);
    let show = |unit: &str, prop: &str| stdout(&root.vigil(&["--no-autostart", "show", "-p", prop, "--value", unit])).trim().to_string();
    let _ = root.vigil(&["--no-autostart", "start", "missing"]);
    assert!(wait_until(Duration::from_secs(10), || show("missing", "ActiveState") == "failed"), "{}", console(&root, 1));
    assert_eq!(show("missing", "Result"), "exit-code");
    assert_eq!(show("missing", "ExecMainStatus"), "203");
    // systemd 252's two lines for a program that is not there.
    let c = console(&root, 1);
    assert!(c.contains("missing.service: Failed to locate executable /nonexistent/binary: No such file or directory"), "{c}");
    assert!(c.contains("missing.service: Failed at step EXEC spawning /nonexistent/binary: No such file or directory"), "{c}");

    // Type=exec: the start job fails with the exec, and succeeds once the
    // binary runs.
    let o = root.vigil(&["--no-autostart", "start", "missing-exec"]);
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(show("missing-exec", "ExecMainStatus"), "203");
    let o = root.vigil(&["--no-autostart", "start", "ok-exec"]);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stderr(&o), console(&root, 1));
    assert_eq!(show("ok-exec", "ActiveState"), "active");
    let main: i32 = show("ok-exec", "MainPID").parse().unwrap();
    assert!(pid_alive(main));

    let _ = root.vigil(&["--no-autostart", "exit"]);
    assert!(m.wait().unwrap().success());
    assert!(!pid_alive(main));
}

/// The cgroup2 mount and our own group in it: where a manager we start
/// creates its `vigil-PID` base.
fn cgroup_parent() -> Option<PathBuf> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mount = info.lines().find_map(|l| {
        let (left, right) = l.split_once(" - ")?;
        (right.split_whitespace().next()? == "cgroup2").then(|| left.split_whitespace().nth(4).map(PathBuf::from))?
    })?;
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let own = own.lines().find_map(|l| l.strip_prefix("0::"))?.trim_start_matches('/').to_string();
    Some(mount.join(own))
}

/// A pid no process can have (above `pid_max`), `n` = 1, 2, …
fn dead_pid(n: u32) -> u32 {
    let max: u32 = std::fs::read_to_string("/proc/sys/kernel/pid_max").unwrap().trim().parse().unwrap();
    max + n
}

#[test]
fn empty_cgroups_of_dead_managers_are_swept_at_start_and_busy_ones_kept() {
    if !is_root() {
        println!("skipped: needs root for a writable cgroup hierarchy");
        return;
    }
    let parent = cgroup_parent().expect("this test needs a cgroup2 mount");
    // An empty base with an empty unit group, as a killed manager leaves.
    let empty = parent.join(format!("vigil-{}", dead_pid(1)));
    std::fs::create_dir_all(empty.join("x.service")).unwrap();
    // A base whose unit group still holds a process: another root's
    // leftovers, for that root's next manager to clean up.
    let busy = parent.join(format!("vigil-{}", dead_pid(2)));
    let mut sleeper = Command::new("sleep").arg("300").spawn().unwrap();
    // Until the sleeper is in it, the group is empty: a manager of another
    // test starting now sweeps it (as it should), so make it again.
    let mut placed = Err(std::io::Error::other("not tried"));
    for _ in 0..100 {
        placed = std::fs::create_dir_all(busy.join("y.service"))
            .and_then(|()| std::fs::write(busy.join("y.service/cgroup.procs"), sleeper.id().to_string()));
        if placed.is_ok() {
            break;
        }
    }
    placed.expect("the sleeper moved into the busy group");

    let root = TestRoot::new("sweep");
    let mut m = start_manager(&root, 1, true);
    // Swept at start-up, a moment after the control socket is bound.
    let swept = wait_until(Duration::from_secs(10), || !empty.exists());
    let kept = busy.join("y.service").exists();
    let _ = root.vigil(&["--no-autostart", "exit"]);
    m.wait().unwrap();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(wait_until(Duration::from_secs(5), || std::fs::remove_dir(busy.join("y.service")).is_ok()));
    let _ = std::fs::remove_dir(&busy);
    let _ = std::fs::remove_dir(empty.join("x.service"));
    let _ = std::fs::remove_dir(&empty);
    assert!(swept, "{} was not removed; console:\n{}", empty.display(), console(&root, 1));
    assert!(kept, "a group holding a process was removed");
    // (Whether the console says so is not asserted: a manager of another
    // test starting at the same moment may have swept the group first.)
}

#[test]
fn three_hundred_services_start_at_once_without_waiting_for_each_exec() {
    // More children than one batch of exec reports (64) and than the
    // limit of children pending between fork and exec (128).
    let root = TestRoot::new("many");
    let dir = root.path.join("etc/systemd/system");
    std::fs::create_dir_all(dir.join("multi-user.target.wants")).unwrap();
    for i in 0..300 {
        std::fs::write(dir.join(format!("m{i}.service")), "[Service]\nExecStart=/bin/sleep 300\n").unwrap();
        std::os::unix::fs::symlink(format!("../m{i}.service"), dir.join(format!("multi-user.target.wants/m{i}.service"))).unwrap();
    }
    let mut m = start_manager(&root, 1, true);
    let o = root.vigil(&["--no-autostart", "start", "multi-user.target"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let active = || {
        let out = stdout(&root.vigil(&["--no-autostart", "list-units", "--type=service", "--state=active", "--no-legend"]));
        out.lines().filter(|l| l.split_whitespace().any(|w| w.starts_with('m') && w.ends_with(".service"))).count()
    };
    assert!(wait_until(Duration::from_secs(30), || active() == 300), "{} active\n{}", active(), console(&root, 1));
    let o = root.vigil(&["--no-autostart", "exit"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(m.wait().unwrap().success());
}
