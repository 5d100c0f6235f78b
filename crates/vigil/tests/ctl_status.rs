//! `systemctl status` as systemd 252's `print_status_info()` lays it out
//! for what the commands of a unit did: `Process:` lines for every command
//! of the current start cycle that exited (before `Main PID:`), the
//! `ExecStartPre=`… properties of `show` in systemctl's `{ path=… ; … }`
//! form, and `Tasks: N (limit: M)` when the hierarchy limits the unit's
//! tasks. Driven through the real `vigil daemon --root=DIR`.

#[path = "socket_support/mod.rs"]
mod support;

use std::time::Duration;

use support::*;

fn unit(name: &'static str, text: &str) -> (&'static str, String) {
    (name, text.to_string())
}

fn status(s: &Sock, u: &str) -> String {
    stdout(&s.vigil(&["status", "--no-pager", u]))
}

/// The `pid=` of each value of a `show -p NAME` answer, in order.
fn pids(s: &Sock, u: &str, name: &str) -> Vec<String> {
    let o = stdout(&s.vigil(&["show", "-p", name, u]));
    o.lines()
        .filter_map(|l| l.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(" ; pid=").nth(1).and_then(|r| r.split(' ').next()).unwrap_or("").to_string())
        .collect()
}

#[test]
fn oneshot_shows_each_finished_command_before_main_pid() {
    let s = Sock::with_manager(
        "stprocs",
        &[unit(
            "o.service",
            "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStartPre=/bin/true\nExecStartPre=-/bin/false x\n\
             ExecStart=/bin/echo hi\nExecStop=/bin/true stop\n",
        )],
        &[],
    );
    s.start("o.service");
    let pre = pids(&s, "o.service", "ExecStartPre");
    let main = pids(&s, "o.service", "ExecStart");
    assert_eq!((pre.len(), main.len()), (2, 1), "{pre:?} {main:?}");
    let text = status(&s, "o.service");
    let lines: Vec<&str> = text.lines().collect();
    let want = [
        format!("    Process: {} ExecStartPre=/bin/true (code=exited, status=0/SUCCESS)", pre[0]),
        format!("    Process: {} ExecStartPre=/bin/false x (code=exited, status=1/FAILURE)", pre[1]),
        format!("    Process: {} ExecStart=/bin/echo hi (code=exited, status=0/SUCCESS)", main[0]),
        format!("   Main PID: {} (code=exited, status=0/SUCCESS)", main[0]),
    ];
    let at = lines.iter().position(|l| *l == want[0]).unwrap_or_else(|| panic!("no {:?} in:\n{text}", want[0]));
    assert_eq!(lines[at..at + 4], want.iter().map(String::as_str).collect::<Vec<_>>()[..], "{text}");
    assert!(lines[at - 1].starts_with("     Active: active (exited)"), "{text}");
    // The stop command has not run: systemctl's form of an unrun command.
    let stop = stdout(&s.vigil(&["show", "-p", "ExecStop", "o.service"]));
    assert_eq!(
        stop.trim(),
        "ExecStop={ path=/bin/true ; argv[]=/bin/true stop ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"
    );
    let pre_show = stdout(&s.vigil(&["show", "-p", "ExecStartPre", "o.service"]));
    assert!(pre_show.contains("argv[]=/bin/false x ; ignore_errors=yes ; start_time=["), "{pre_show}");
    assert!(pre_show.contains(" ; code=exited ; status=1 }"), "{pre_show}");
}

#[test]
fn killed_main_process_and_a_new_cycle() {
    let s = Sock::with_manager(
        "stkill",
        &[unit("k.service", "[Service]\nExecStartPre=/bin/true\nExecStart=/bin/sleep 300\n")],
        &[],
    );
    s.start("k.service");
    let main = s.prop("k.service", "MainPID");
    // A running main process has no Process: line.
    assert!(!status(&s, "k.service").contains("ExecStart=/bin/sleep"), "{}", status(&s, "k.service"));
    assert!(s.vigil(&["kill", "-s", "KILL", "k.service"]).status.success());
    s.wait_prop("k.service", "ActiveState", "failed");
    let text = status(&s, "k.service");
    assert!(
        text.lines().any(|l| l == format!("    Process: {main} ExecStart=/bin/sleep 300 (code=killed, signal=KILL)")),
        "{text}"
    );
    let first_pre = pids(&s, "k.service", "ExecStartPre");
    // A new start begins a new cycle: the old records are replaced.
    s.start("k.service");
    let ok = wait_until(Duration::from_secs(10), || {
        let t = status(&s, "k.service");
        !t.contains("signal=KILL") && t.contains("ExecStartPre=/bin/true (code=exited")
    });
    assert!(ok, "{}", status(&s, "k.service"));
    assert_ne!(pids(&s, "k.service", "ExecStartPre"), first_pre);
    assert!(s.vigil(&["stop", "k.service"]).status.success());
}

#[test]
fn tasks_line_shows_the_pids_limit() {
    let s = Sock::with_manager("sttasks", &[unit("t.service", "[Service]\nExecStart=/bin/sleep 300\n")], &[]);
    s.start("t.service");
    let group = s.prop("t.service", "ControlGroup");
    // The cgroup2 mount (also in a hybrid layout, /sys/fs/cgroup/unified).
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mount = mountinfo.lines().find_map(|l| {
        let (pre, post) = l.split_once(" - ")?;
        post.starts_with("cgroup2 ").then(|| pre.split_whitespace().nth(4).map(std::path::PathBuf::from)).flatten()
    });
    let pids_max = mount.map(|m| m.join(group.trim_start_matches('/')).join("pids.max"));
    let Some(pids_max) = pids_max.filter(|p| !group.is_empty() && p.exists()) else {
        eprintln!("tasks_line_shows_the_pids_limit: skipped, no cgroup with the pids controller (needs root and cgroup v2)");
        return;
    };
    assert_eq!(s.prop("t.service", "TasksMax"), "infinity");
    assert!(status(&s, "t.service").lines().any(|l| l == "      Tasks: 1"), "{}", status(&s, "t.service"));
    std::fs::write(&pids_max, "77").unwrap();
    assert_eq!(s.prop("t.service", "TasksMax"), "77");
    let text = status(&s, "t.service");
    assert!(text.lines().any(|l| l == "      Tasks: 1 (limit: 77)"), "{text}");
    assert!(s.vigil(&["stop", "t.service"]).status.success());
}
