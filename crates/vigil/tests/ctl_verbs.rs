//! The runtime verbs beyond start/stop, against an auto-started manager of
//! a temporary root: `kill`, `reset-failed`, `list-jobs`, the environment
//! verbs, `list-dependencies`, `list-sockets` and socket status, `halt`,
//! and the output options (`-o json`, `--plain`, `--no-legend`, colors,
//! pager). Outputs are compared with what systemctl 252 prints in the same
//! situation (its source and `systemctl(1)`: the real systemctl refuses
//! these verbs with `--root=`, "Verb 'kill' cannot be used with --root=").

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::*;

fn root_with(name: &str, units: &[(&str, &str)]) -> TestRoot {
    TestRoot::with_units(name, units)
}

fn with_env(r: &TestRoot, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = Command::new(vigil());
    c.arg(r.root_arg()).args(args).env_remove("NO_COLOR").env_remove("SYSTEMD_COLORS");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn prop(r: &TestRoot, unit: &str, p: &str) -> String {
    r.prop(unit, p)
}

#[test]
fn kill_sends_signals_to_whom_it_is_told() {
    let r = root_with(
        "kill",
        &[
            (
                "trap.service",
                "[Service]\nExecStart=/bin/sh -c 'trap \"echo usr1 >> @ROOT@/got\" USR1; touch @ROOT@/ready; while :; do sleep 0.05; done'\n",
            ),
            ("done.service", "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "trap"]).status.code(), Some(0));
    // The trap must be set before the first signal (or it kills the shell).
    assert!(wait_until(Duration::from_secs(5), || r.path.join("ready").exists()));
    let got = r.path.join("got");
    let o = r.vigil(&["kill", "--kill-whom=main", "--signal=SIGUSR1", "trap"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    assert!(wait_until(Duration::from_secs(5), || std::fs::read_to_string(&got).unwrap_or_default() == "usr1\n"));
    // -s takes names without SIG and numbers too (one at a time: signals
    // pending together coalesce).
    assert_eq!(r.vigil(&["kill", "-s", "USR1", "trap.service"]).status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(5), || std::fs::read_to_string(&got).unwrap_or_default() == "usr1\nusr1\n"));
    assert_eq!(r.vigil(&["kill", "-s", &libc::SIGUSR1.to_string(), "trap"]).status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(5), || std::fs::read_to_string(&got).unwrap_or_default() == "usr1\nusr1\nusr1\n"));
    assert_eq!(prop(&r, "trap", "ActiveState"), "active");

    // Errors: systemctl's messages, exit 1.
    let o = r.vigil(&["kill", "--kill-whom=control", "trap"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to kill unit trap.service: No control process to kill\n"));
    let o = r.vigil(&["kill", "nosuch"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to kill unit nosuch.service: Unit nosuch.service not loaded.\n"));
    let o = r.vigil(&["kill", "-s", "BOGUS", "trap"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to parse signal string BOGUS.\n"));
    let o = r.vigil(&["kill", "--kill-whom=bogus", "trap"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to kill unit trap.service: Invalid who argument bogus\n"));
    let o = r.vigil(&["kill", "-s", "help", "trap"]);
    assert!(stdout(&o).starts_with("HUP\nINT\nQUIT\n"), "{}", stdout(&o));

    // The default: SIGTERM to every process; the service ends cleanly.
    assert_eq!(r.vigil(&["kill", "trap"]).status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(5), || prop(&r, "trap", "ActiveState") == "inactive"));
    // A unit that is up without a main process.
    assert_eq!(r.vigil(&["start", "done"]).status.code(), Some(0));
    let o = r.vigil(&["kill", "--kill-whom=main", "done"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to kill unit done.service: No main process to kill\n"));
    // --kill-whom=all on a unit with nothing running is no error.
    assert_eq!(r.vigil(&["kill", "done"]).status.code(), Some(0));
}

/// `--kill-whom=control` reaches the control process only (here the
/// `ExecStartPre=` still running), `main` the main process only, `all`
/// (the default) every process of the unit (`systemctl(1)`, "--kill-whom=").
#[test]
fn kill_whom_control_main_and_all_reach_their_processes() {
    let trap = |who: &str| {
        format!("trap \"echo {who} >> @ROOT@/got\" USR1; touch @ROOT@/{who}.ready; while :; do sleep 0.05; done")
    };
    let r = root_with(
        "killwhom",
        &[(
            "two.service",
            &format!(
                "[Service]\nExecStartPre=/bin/sh -c '{}'\nExecStart=/bin/true\nTimeoutStartSec=infinity\n",
                trap("control")
            ),
        )],
    );
    let got = || {
        let mut v: Vec<String> = std::fs::read_to_string(r.path.join("got")).unwrap_or_default().lines().map(String::from).collect();
        v.sort();
        v
    };
    assert_eq!(r.vigil(&["start", "--no-block", "two"]).status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(5), || r.path.join("control.ready").exists()));
    let o = r.vigil(&["kill", "--kill-whom=main", "-s", "USR1", "two"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to kill unit two.service: No main process to kill\n"));
    let o = r.vigil(&["kill", "--kill-whom=control", "-s", "USR1", "two"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    assert!(wait_until(Duration::from_secs(5), || got() == ["control"]));
    let o = r.vigil(&["kill", "--kill-whom=all", "-s", "USR1", "two"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    assert!(wait_until(Duration::from_secs(5), || got() == ["control", "control"]));
    assert_eq!(prop(&r, "two", "SubState"), "start-pre");
    assert_eq!(r.vigil(&["stop", "two"]).status.code(), Some(0));
}

#[test]
fn reset_failed_clears_the_failed_state_and_the_restart_counter() {
    let r = root_with(
        "resetf",
        &[
            (
                "loop.service",
                "[Unit]\nStartLimitIntervalSec=1h\nStartLimitBurst=3\n[Service]\nExecStart=/bin/false\nRestart=always\nRestartSec=10ms\n",
            ),
            ("bad2.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n"),
        ],
    );
    r.vigil(&["start", "loop"]);
    assert!(wait_until(Duration::from_secs(10), || prop(&r, "loop", "ActiveState") == "failed"));
    assert_eq!(prop(&r, "loop", "NRestarts"), "3");

    let o = r.vigil(&["reset-failed", "loop"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    let o = r.vigil(&["is-failed", "loop"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("inactive\n", Some(1)));
    assert_eq!(prop(&r, "loop", "Result"), "success");
    assert_eq!(prop(&r, "loop", "NRestarts"), "0");
    // The counters start afresh: the service runs its restarts again.
    r.vigil(&["start", "loop"]);
    assert!(wait_until(Duration::from_secs(10), || prop(&r, "loop", "ActiveState") == "failed"));
    assert_eq!(prop(&r, "loop", "NRestarts"), "3");

    // Without arguments: every unit.
    assert_eq!(r.vigil(&["start", "bad2"]).status.code(), Some(1));
    assert_eq!(r.vigil(&["reset-failed"]).status.code(), Some(0));
    let o = r.vigil(&["is-failed", "loop", "bad2"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("inactive\ninactive\n", Some(1)));

    let o = r.vigil(&["reset-failed", "nosuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "Failed to reset failed state of unit nosuch.service: Unit nosuch.service not loaded.\n");
}

#[test]
fn list_jobs_prints_systemctls_table() {
    let r = root_with(
        "jobs",
        &[
            ("slow.service", "[Unit]\nDefaultDependencies=no\n[Service]\nType=oneshot\nExecStart=/bin/sleep 300\n"),
            ("later.service", "[Unit]\nDefaultDependencies=no\nAfter=slow.service\n[Service]\nExecStart=/bin/sleep 300\n"),
        ],
    );
    let o = r.vigil(&["list-jobs"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("No jobs running.\n", Some(0)));
    assert_eq!(r.vigil(&["start", "--no-block", "slow", "later"]).status.code(), Some(0));
    let o = r.vigil(&["list-jobs"]);
    let out = stdout(&o);
    let ids: Vec<&str> = out.lines().skip(1).take(2).map(|l| l.split(' ').next().unwrap()).collect();
    let w = ids.iter().map(|i| i.len()).max().unwrap().max(3);
    let expected = format!(
        "{:<w$} UNIT          TYPE  STATE\n{:<w$} slow.service  start running\n{:<w$} later.service start waiting\n\n2 jobs listed.\n",
        "JOB", ids[0], ids[1]
    );
    assert_eq!(out, expected);
    let o = r.vigil(&["list-jobs", "--no-legend", "later*"]);
    assert_eq!(stdout(&o), format!("{} later.service start waiting\n", ids[1]));
    let o = r.vigil(&["list-jobs", "nomatch*"]);
    assert_eq!(stdout(&o), "No jobs listed.\n");
    let o = r.vigil(&["list-jobs", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[1]["unit"], "later.service");
    assert_eq!(v[1]["state"], "waiting");
    assert_eq!(v[1]["job"].to_string(), ids[1]);
    // list-units shows the pending job in its JOB column.
    let o = r.vigil(&["list-units", "--no-legend", "later.service"]);
    assert_eq!(stdout(&o), "  later.service loaded inactive dead start later.service\n");
    // exit cancels the waiting job and stops the running one; the manager
    // ends (a waiting job must not keep it alive).
    let pid = r.manager_pid().unwrap();
    assert_eq!(r.vigil(&["exit"]).status.code(), Some(0));
    assert!(wait_until(Duration::from_secs(10), || !pid_alive(pid)), "manager still running");
}

#[test]
fn environment_block_reaches_services_started_afterwards() {
    let r = root_with(
        "env",
        &[(
            "show.service",
            "[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo \"FOO=$FOO SP=$SP\" > @ROOT@/env-out'\n",
        )],
    );
    let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n";
    let o = r.vigil(&["show-environment"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), (path, Some(0)));
    let o = r.vigil(&["set-environment", "FOO=bar", "SP=a b", "Q=it's"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    let o = r.vigil(&["show-environment"]);
    // The manager's own block first, then the clients' (systemd 252).
    assert_eq!(stdout(&o), format!("{path}FOO=bar\nQ=$'it\\'s'\nSP=$'a b'\n"));
    assert_eq!(r.vigil(&["start", "show"]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(r.path.join("env-out")).unwrap(), "FOO=bar SP=a b\n");

    let o = r.vigil(&["unset-environment", "FOO", "SP=other", "Q"]);
    assert_eq!(o.status.code(), Some(0));
    let o = r.vigil(&["show-environment", "-o", "json"]);
    assert_eq!(
        stdout(&o),
        "{\"PATH\":\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"SP\":\"a b\"}\n"
    );
    assert_eq!(r.vigil(&["start", "show"]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(r.path.join("env-out")).unwrap(), "FOO= SP=a b\n");

    let o = r.vigil(&["set-environment", "1X=y"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to set environment: Invalid environment assignments\n"));
    let o = r.vigil(&["set-environment", "NOEQUALS"]);
    assert_eq!(o.status.code(), Some(1));
    let o = r.vigil(&["unset-environment", "BAD NAME"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (Some(1), "Failed to set environment: Invalid environment variable names or assignments\n")
    );
}

#[test]
fn list_dependencies_draws_systemctls_tree() {
    let nodef = "[Unit]\nDefaultDependencies=no\n";
    let r = root_with(
        "deps",
        &[
            ("a.service", "[Unit]\nDefaultDependencies=no\nWants=b.service c.target\nRequires=d.service\n[Service]\nExecStart=/bin/sleep 300\n"),
            ("b.service", &format!("{nodef}[Service]\nExecStart=/bin/sleep 300\n")),
            ("d.service", &format!("{nodef}[Service]\nType=oneshot\nExecStart=/bin/false\n")),
            ("e.service", &format!("{nodef}Wants=f.service\n[Service]\nExecStart=/bin/sleep 300\n")),
            ("f.service", &format!("{nodef}[Service]\nExecStart=/bin/sleep 300\n")),
            ("c.target", "[Unit]\nDefaultDependencies=no\nWants=e.service\n"),
            ("x.service", "[Unit]\nDefaultDependencies=no\nWants=y.service\n[Service]\nExecStart=/bin/sleep 300\n"),
            ("y.service", "[Unit]\nDefaultDependencies=no\nWants=x.service\n[Service]\nExecStart=/bin/sleep 300\n"),
        ],
    );
    let tree = |args: &[&str]| {
        let o = with_env(&r, &[("LANG", "C.UTF-8")], args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    // Targets last, only targets expanded (services require their slice).
    assert_eq!(
        tree(&["list-dependencies", "a"]),
        "a.service\n○ ├─b.service\n○ ├─d.service\n○ ├─system.slice\n○ └─c.target\n○   └─e.service\n"
    );
    assert_eq!(
        tree(&["list-dependencies", "--all", "a"]),
        "a.service\n○ ├─b.service\n○ │ └─system.slice\n○ │   └─-.slice\n○ ├─d.service\n○ │ └─system.slice\n○ │   └─-.slice\n\
         ○ ├─system.slice\n○ │ └─-.slice\n○ └─c.target\n○   └─e.service\n○     ├─f.service\n○     │ └─system.slice\n\
         ○     │   └─-.slice\n○     └─system.slice\n○       └─-.slice\n"
    );
    // --plain: every unit once.
    assert_eq!(
        tree(&["list-dependencies", "--plain", "--all", "a"]),
        "a.service\n  b.service\n  system.slice\n  -.slice\n  d.service\n  c.target\n  e.service\n  f.service\n"
    );
    // --type= and --state= filter and flatten.
    assert_eq!(tree(&["list-dependencies", "--all", "--type=service", "a"]), "a.service\n  b.service\n  d.service\n");
    assert_eq!(tree(&["list-dependencies", "--all", "--state=not-found", "a"]), "a.service\n");
    // A cycle is cut with "...".
    assert_eq!(
        tree(&["list-dependencies", "--all", "x"]),
        "x.service\n○ ├─system.slice\n○ │ └─-.slice\n○ └─y.service\n○   ├─system.slice\n○   │ └─-.slice\n      └─...\n"
    );

    // Dots follow the states: active, failed; colored only when asked.
    assert_eq!(r.vigil(&["start", "b", "e"]).status.code(), Some(0));
    assert_eq!(r.vigil(&["start", "d"]).status.code(), Some(1));
    assert_eq!(
        tree(&["list-dependencies", "a"]),
        "a.service\n● ├─b.service\n× ├─d.service\n● ├─system.slice\n○ └─c.target\n●   └─e.service\n"
    );
    let o = with_env(&r, &[("LANG", "C.UTF-8"), ("SYSTEMD_COLORS", "1")], &["list-dependencies", "a"]);
    assert!(stdout(&o).contains("\x1b[0;1;32m●\x1b[0m ├─b.service\n\x1b[0;1;31m×\x1b[0m ├─d.service\n\x1b[0;1;32m●\x1b[0m ├─system.slice\n○ └─c.target"), "{:?}", stdout(&o));
    // ASCII glyphs outside a UTF-8 locale.
    let o = with_env(&r, &[("LC_ALL", "C")], &["list-dependencies", "a"]);
    assert_eq!(stdout(&o), "a.service\n* |-b.service\nx |-d.service\n* |-system.slice\n* `-c.target\n*   `-e.service\n");

    // Reverse: the units (loaded, as in systemd: idle ones are collected)
    // that want, require or are bound to the unit.
    assert_eq!(r.vigil(&["start", "c.target"]).status.code(), Some(0));
    assert_eq!(tree(&["list-dependencies", "--reverse", "e.service"]), "e.service\n● └─c.target\n");
    assert_eq!(tree(&["list-dependencies", "--reverse", "--plain", "--all", "f.service"]), "f.service\n  e.service\n  c.target\n");
}

#[test]
fn list_sockets_and_socket_status() {
    let r = root_with(
        "lsock",
        &[
            ("one.socket", "[Unit]\nDescription=One\n[Socket]\nListenStream=@ROOT@/run/one.sock\nListenDatagram=@ROOT@/run/one.dgram\n"),
            ("one.service", "[Service]\nExecStart=/bin/sleep 300\n"),
            ("acc.socket", "[Socket]\nListenStream=@ROOT@/run/acc.sock\nAccept=yes\n"),
            ("acc@.service", "[Service]\nExecStart=/bin/cat\nStandardInput=socket\n"),
        ],
    );
    let root = r.path.to_str().unwrap().to_string();
    let o = r.vigil(&["list-sockets"]);
    assert_eq!(stdout(&o), "LISTEN UNIT ACTIVATES\n\n0 sockets listed.\nPass --all to see loaded but inactive sockets, too.\n");
    assert_eq!(r.vigil(&["start", "one.socket", "acc.socket"]).status.code(), Some(0));
    let (a, d, s) = (format!("{root}/run/acc.sock"), format!("{root}/run/one.dgram"), format!("{root}/run/one.sock"));
    let w = d.len();
    let o = r.vigil(&["list-sockets"]);
    assert_eq!(
        stdout(&o),
        format!(
            "{:<w$} UNIT       ACTIVATES\n{a:<w$} acc.socket -\n{d} one.socket one.service\n{s:<w$} one.socket one.service\n\n3 sockets listed.\nPass --all to see loaded but inactive sockets, too.\n",
            "LISTEN"
        )
    );
    let o = r.vigil(&["list-sockets", "--show-types", "--no-legend", "one"]);
    assert_eq!(stdout(&o), format!("{d} Datagram one.socket one.service\n{s:<w$} Stream   one.socket one.service\n"));
    let o = r.vigil(&["list-sockets", "-o", "json", "acc.socket"]);
    assert_eq!(stdout(&o), format!("[{{\"listen\":\"{a}\",\"unit\":\"acc.socket\",\"activates\":null}}]\n"));

    let o = with_env(&r, &[("LANG", "C.UTF-8")], &["status", "one.socket"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let head: Vec<&str> = out.lines().take(6).collect();
    assert_eq!(
        head,
        [
            "● one.socket - One".to_string(),
            "     Loaded: loaded (/etc/systemd/system/one.socket; static)".into(),
            "     Active: active (listening)".into(),
            "   Triggers: ● one.service".into(),
            format!("     Listen: {s} (Stream)"),
            format!("             {d} (Datagram)"),
        ]
    );
    let o = with_env(&r, &[("LANG", "C.UTF-8")], &["status", "one.service"]);
    assert!(stdout(&o).contains("     Active: inactive (dead)\nTriggeredBy: ● one.socket\n"), "{}", stdout(&o));

    // Accept=yes: the counters, and the live instance as trigger.
    let mut c = std::os::unix::net::UnixStream::connect(&a).unwrap();
    assert!(wait_until(Duration::from_secs(10), || prop(&r, "acc.socket", "NConnections") == "1"));
    let o = with_env(&r, &[("LANG", "C.UTF-8")], &["status", "acc.socket"]);
    let out = stdout(&o);
    assert!(out.contains(&format!("     Listen: {a} (Stream)\n   Accepted: 1; Connected: 1;\n")), "{out}");
    assert!(out.contains("   Triggers: ● acc@0-"), "{out}");
    use std::io::Write;
    c.write_all(b"bye").unwrap();
    drop(c);
    assert!(wait_until(Duration::from_secs(10), || prop(&r, "acc.socket", "NConnections") == "0"));
}

#[test]
fn list_units_json_plain_legend_and_colors() {
    let r = root_with(
        "lu",
        &[
            ("web.service", "[Unit]\nDescription=Web\n[Service]\nExecStart=/bin/sleep 300\n"),
            ("bad.service", "[Service]\nType=oneshot\nExecStart=/bin/false\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "web"]).status.code(), Some(0));
    assert_eq!(r.vigil(&["start", "bad"]).status.code(), Some(1));
    let o = with_env(&r, &[("LANG", "C.UTF-8")], &["list-units", "--no-legend", "*.service"]);
    assert_eq!(stdout(&o), "● bad.service loaded failed failed  bad.service\n  web.service loaded active running Web\n");
    let o = r.vigil(&["list-units", "--no-legend", "--plain", "--type=service"]);
    assert_eq!(stdout(&o), "bad.service loaded failed failed  bad.service\nweb.service loaded active running Web\n");
    let o = r.vigil(&["list-units", "web.service"]);
    assert_eq!(
        stdout(&o),
        "  UNIT        LOAD   ACTIVE SUB     DESCRIPTION\n  web.service loaded active running Web\n\n\
         LOAD   = Reflects whether the unit definition was properly loaded.\n\
         ACTIVE = The high-level unit activation state, i.e. generalization of SUB.\n\
         SUB    = The low-level unit activation state, values depend on unit type.\n\
         1 loaded units listed. Pass --all to see loaded but inactive units, too.\n\
         To show all installed unit files use 'systemctl list-unit-files'.\n"
    );
    // Empty: the status dot's column is still one wide (systemd 252:
    // `list-units --state=running --type=swap` in the oracle).
    let o = r.vigil(&["list-units", "--state=inactive", "nomatch*"]);
    assert_eq!(
        stdout(&o),
        "  UNIT LOAD ACTIVE SUB DESCRIPTION\n0 loaded units listed.\nTo show all installed unit files use 'systemctl list-unit-files'.\n"
    );
    let o = r.vigil(&["list-units", "-o", "json", "web.service"]);
    assert_eq!(
        stdout(&o),
        "[{\"unit\":\"web.service\",\"load\":\"loaded\",\"active\":\"active\",\"sub\":\"running\",\"description\":\"Web\"}]\n"
    );
    let o = r.vigil(&["list-units", "-o", "json-pretty", "web.service"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v[0]["sub"], "running");
    let o = r.vigil(&["list-units", "-o", "bogus"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Unknown output 'bogus'.\n"));

    // Colors: never into a pipe unless SYSTEMD_COLORS says so.
    let o = with_env(&r, &[("LANG", "C.UTF-8")], &["list-units", "--no-legend", "bad.service"]);
    assert!(!stdout(&o).contains('\x1b'));
    let o = with_env(&r, &[("LANG", "C.UTF-8"), ("SYSTEMD_COLORS", "1")], &["list-units", "--no-legend", "bad.service"]);
    assert!(stdout(&o).starts_with("\x1b[0;1;31m●\x1b[0m \x1b[0;1;31mbad.service\x1b[0m"), "{:?}", stdout(&o));
    let o = with_env(&r, &[("SYSTEMD_COLORS", "1")], &["status", "web"]);
    assert!(stdout(&o).contains("Active: \x1b[0;1;32mactive (running)\x1b[0m"), "{:?}", stdout(&o));
}

#[test]
fn status_shows_the_journal_after_a_blank_line_only_when_there_is_one() {
    let r = root_with(
        "stj",
        &[
            ("talk.service", "[Unit]\nDescription=Talk\n[Service]\nExecStart=/bin/sh -c 'echo hello-from-status; exec sleep 300'\n"),
            ("quiet.socket", "[Socket]\nListenStream=@ROOT@/run/quiet.sock\n"),
            ("quiet.service", "[Service]\nExecStart=/bin/sleep 300\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "talk", "quiet.socket"]).status.code(), Some(0));
    let mut out = String::new();
    assert!(wait_until(Duration::from_secs(10), || {
        out = stdout(&r.vigil(&["status", "talk"]));
        // The journal line, not the command line in the CGroup tree.
        out.contains(": hello-from-status")
    }));
    let (head, journal) = out.split_once("\n\n").expect("a blank line before the journal");
    assert!(head.starts_with("● talk.service - Talk\n") && head.contains("Main PID: "), "{out}");
    assert!(journal.lines().any(|l| l.ends_with(": hello-from-status")), "{out}");
    // Nothing in the journal for the socket: no trailing blank line.
    let o = r.vigil(&["status", "quiet.socket"]);
    assert!(stdout(&o).ends_with("/run/quiet.sock (Stream)\n"), "{:?}", stdout(&o));
}

/// Run `vigil ARGS` on a pseudo-terminal (util-linux `script`), so stdout
/// is a tty; returns what the terminal showed.
fn on_tty(r: &TestRoot, env: &[(&str, &str)], args: &str) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"].into_iter().find(|p| std::path::Path::new(p).exists())?;
    let cmd = format!("{} {} {args}", vigil(), r.root_arg());
    let mut c = Command::new(script);
    c.args(["-qec", &cmd, "/dev/null"]).env("TERM", "xterm").env_remove("NO_COLOR").env_remove("SYSTEMD_COLORS");
    c.env_remove("SYSTEMD_PAGER").env_remove("PAGER").stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    Some(stdout(&c.output().unwrap()))
}

#[test]
fn terminal_gets_colors_and_a_pager_unless_told_otherwise() {
    let r = root_with("tty", &[("web.service", "[Unit]\nDescription=Web\n[Service]\nExecStart=/bin/sleep 300\n")]);
    assert_eq!(r.vigil(&["start", "web"]).status.code(), Some(0));
    let Some(shown) = on_tty(&r, &[("LANG", "C.UTF-8"), ("SYSTEMD_PAGER", "cat")], "status web") else {
        eprintln!("skipped: needs util-linux script(1) for a pseudo-terminal");
        return;
    };
    assert!(shown.contains("\x1b[0;1;32m●\x1b[0m web.service - Web"), "{shown:?}");
    let shown = on_tty(&r, &[("LANG", "C.UTF-8"), ("SYSTEMD_PAGER", "cat"), ("NO_COLOR", "1")], "status web").unwrap();
    assert!(shown.contains("● web.service - Web") && !shown.contains('\x1b'), "{shown:?}");
    let shown = on_tty(&r, &[("SYSTEMD_PAGER", "cat"), ("SYSTEMD_COLORS", "0")], "status web").unwrap();
    assert!(!shown.contains('\x1b'), "{shown:?}");

    // The pager gets the output (SYSTEMD_PAGER before PAGER); not with
    // --no-pager, and never when stdout is no terminal.
    let paged = r.path.join("paged");
    let pager = format!("tee {}", paged.display());
    let shown = on_tty(&r, &[("SYSTEMD_PAGER", &pager), ("PAGER", "false")], "list-units web.service").unwrap();
    assert!(shown.contains("web.service"), "{shown:?}");
    assert!(std::fs::read_to_string(&paged).unwrap().contains("1 loaded units listed."));
    std::fs::remove_file(&paged).unwrap();
    on_tty(&r, &[("PAGER", &pager)], "list-units --no-pager web.service").unwrap();
    assert!(!paged.exists(), "--no-pager");
    let o = with_env(&r, &[("PAGER", &pager)], &["list-units", "web.service"]);
    assert!(stdout(&o).contains("web.service"));
    assert!(!paged.exists(), "no pager into a pipe");
}

#[test]
fn halt_stops_every_unit_and_ends_the_manager() {
    let r = root_with("halt", &[("web.service", "[Service]\nExecStart=/bin/sleep 300\n")]);
    assert_eq!(r.vigil(&["start", "web"]).status.code(), Some(0));
    let main: i32 = prop(&r, "web", "MainPID").parse().unwrap();
    let pid = r.manager_pid().unwrap();
    let o = r.vigil(&["--no-autostart", "halt"]);
    assert_eq!((o.status.code(), stderr(&o)), (Some(0), String::new()));
    assert!(wait_until(Duration::from_secs(10), || !pid_alive(pid)), "manager still running");
    assert!(!pid_alive(main), "the service was stopped");
    let log = std::fs::read_to_string(r.path.join("run/vigil/manager.log")).unwrap_or_default();
    assert!(log.contains("Stopped web.service."), "{log}");
    // A fresh manager answers poweroff and reboot the same way.
    for verb in ["poweroff", "reboot"] {
        assert_eq!(r.vigil(&["start", "web"]).status.code(), Some(0));
        let pid = r.manager_pid().unwrap();
        assert_eq!(r.vigil(&[verb]).status.code(), Some(0), "{verb}");
        assert!(wait_until(Duration::from_secs(10), || !pid_alive(pid)), "{verb}");
    }
}

#[test]
fn job_modes_isolate_and_unknown_units() {
    let r = root_with("jm", &[("web.service", "[Service]\nExecStart=/bin/sleep 300\n")]);
    let o = r.vigil(&["start", "--job-mode=bogus", "web"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Job mode bogus invalid.\n"));
    let o = r.vigil(&["--job-mode=help", "start", "web"]);
    assert!(stdout(&o).starts_with("fail\nreplace\nreplace-irreversibly\nisolate\n"), "{}", stdout(&o));
    assert_eq!(r.vigil(&["start", "--job-mode=fail", "web"]).status.code(), Some(0));
    let o = r.vigil(&["isolate", "nosuch.target"]);
    // systemd checks AllowIsolate= before the load state (exit 4), and
    // says "start": isolate is a start in isolate mode (oracle).
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (
            Some(4),
            "Failed to start nosuch.target: Operation refused, unit may not be isolated.\n\
             See system logs and 'systemctl status nosuch.target' for details.\n"
        )
    );
    // Units that do not exist: systemctl's words and exit 5 for every job.
    let o = r.vigil(&["stop", "nosuch"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(5), "Failed to stop nosuch.service: Unit nosuch.service not loaded.\n"));
    let o = r.vigil(&["restart", "nosuch.service"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(5), "Failed to restart nosuch.service: Unit nosuch.service not found.\n"));
    // default = isolate default.target: what it does not pull in stops.
    assert_eq!(r.vigil(&["default"]).status.code(), Some(0));
    let o = r.vigil(&["is-active", "web", "default.target"]);
    assert_eq!(stdout(&o), "inactive\nactive\n");
    let o = r.vigil(&["isolate", "web"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (
            Some(4),
            "Failed to start web.service: Operation refused, unit may not be isolated.\n\
             See system logs and 'systemctl status web.service' for details.\n"
        )
    );
    let o = r.vigil(&["isolate"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Too few arguments.\n"));
}

#[test]
fn unprivileged_users_get_access_denied_with_systemctls_codes() {
    if !is_root() {
        eprintln!("skipped: needs root to run a client as another user");
        return;
    }
    let r = root_with("deny", &[("web.service", "[Service]\nExecStart=/bin/sleep 300\n")]);
    assert_eq!(r.vigil(&["start", "web"]).status.code(), Some(0));
    Command::new("chmod").args(["-R", "a+rX", r.path.to_str().unwrap()]).status().unwrap();
    let as_nobody = |args: &[&str]| vigil_as_nobody(&r, args);
    let o = as_nobody(&["stop", "web"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(4), "Failed to stop web.service: Access denied\nSee system logs and 'systemctl status web.service' for details.\n"));
    let o = as_nobody(&["start", "web"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(4), "Failed to start web.service: Access denied\nSee system logs and 'systemctl status web.service' for details.\n"));
    let o = as_nobody(&["kill", "web"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to kill unit web.service: Access denied\n"));
    let o = as_nobody(&["reset-failed", "web"]);
    assert_eq!(o.status.code(), Some(1));
    let o = as_nobody(&["set-environment", "A=b"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to set environment: Access denied\n"));
    let o = as_nobody(&["poweroff"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(4), "Failed to start poweroff.target: Access denied\nSee system logs and 'systemctl status poweroff.target' for details.\n"));
    // Reading is allowed.
    let o = as_nobody(&["is-active", "web"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("active\n", Some(0)));
    let o = as_nobody(&["list-jobs"]);
    assert_eq!(stdout(&o), "No jobs running.\n");
    let o = as_nobody(&["show-environment"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(prop(&r, "web", "ActiveState"), "active");
}

/// `import-environment` and systemctl's old verb names, as systemd 252
/// answers them (oracle container: same steps).
#[test]
fn import_environment_and_verb_aliases() {
    let r = root_with("ctl-import", &[("web.service", "[Service]\nExecStart=/bin/sleep 1000\n")]);
    let o = with_env(&r, &[("FOO", "bar"), ("BAZ", "a b")], &["import-environment", "FOO", "BAZ", "NOPE"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), "Environment variable $NOPE not set, ignoring.\n"));
    let path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n";
    assert_eq!(stdout(&r.vigil(&["show-environment"])), format!("{path}BAZ=$'a b'\nFOO=bar\n"));
    let o = r.vigil(&["import-environment", "9x"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Not a valid environment variable name: 9x\n"));
    // check = is-active; condrestart = try-restart (nothing to do on an
    // inactive unit); force-reload = try-reload-or-restart; condstop = stop.
    let o = r.vigil(&["check", "web"]);
    assert_eq!((stdout(&o).as_str(), o.status.code()), ("inactive\n", Some(3)));
    assert_eq!(r.vigil(&["condrestart", "web"]).status.code(), Some(0));
    assert_eq!(prop(&r, "web", "ActiveState"), "inactive");
    assert_eq!(r.vigil(&["start", "web"]).status.code(), Some(0));
    let pid = prop(&r, "web", "MainPID");
    assert_eq!(r.vigil(&["force-reload", "web"]).status.code(), Some(0));
    assert_ne!(prop(&r, "web", "MainPID"), pid, "no ExecReload=: restarted");
    assert_eq!(r.vigil(&["condstop", "web"]).status.code(), Some(0));
    assert_eq!(prop(&r, "web", "ActiveState"), "inactive");
}

/// `systemctl cancel`, the oracle's steps: canceling a running start job
/// leaves the service starting and fails the job waiting for it.
#[test]
fn cancel_ends_jobs_and_their_dependents() {
    let r = root_with(
        "ctl-cancel",
        &[
            ("hang.service", "[Service]\nType=oneshot\nExecStart=/bin/sleep 100\n"),
            ("dep.service", "[Unit]\nRequires=hang.service\nAfter=hang.service\n[Service]\nExecStart=/bin/sleep 100\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "--no-block", "dep.service"]).status.code(), Some(0));
    let jobs = stdout(&r.vigil(&["list-jobs", "--no-legend"]));
    let hang = jobs.lines().find(|l| l.contains("hang.service")).and_then(|l| l.split_whitespace().next()).expect(&jobs).to_string();
    let o = r.vigil(&["cancel", &hang]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(0), ""));
    assert_eq!(stdout(&r.vigil(&["list-jobs"])), "No jobs running.\n");
    let o = r.vigil(&["is-active", "hang.service", "dep.service"]);
    assert_eq!(stdout(&o), "activating\ninactive\n");
    let journal = stdout(&r.vigil(&["logs", "-o", "cat", "--no-pager", "-u", "dep.service"]));
    assert!(journal.contains("Dependency failed for dep.service.\ndep.service: Job dep.service/start failed with result 'dependency'."), "{journal}");
    let o = r.vigil(&["cancel", "9999"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to cancel job 9999: Job 9999 does not exist.\n"));
    let o = r.vigil(&["cancel", "abc"]);
    assert_eq!((o.status.code(), stderr(&o).as_str()), (Some(1), "Failed to parse job id \"abc\": Invalid argument\n"));
    assert_eq!(r.vigil(&["start", "--no-block", "dep.service"]).status.code(), Some(0));
    assert_eq!(r.vigil(&["cancel"]).status.code(), Some(0));
    assert_eq!(stdout(&r.vigil(&["list-jobs"])), "No jobs running.\n");
}

/// `systemctl help UNIT…`, the oracle's messages (man(1) is kept out of
/// reach through PATH, as the oracle container has none).
#[test]
fn help_shows_documentation_or_says_why_not() {
    let r = root_with(
        "ctl-help",
        &[
            ("plain.service", "[Service]\nExecStart=/bin/true\n"),
            ("doc.service", "[Unit]\nDocumentation=https://example.com/x man:nonexist(8)\n[Service]\nExecStart=/bin/true\n"),
        ],
    );
    let o = r.vigil(&["help"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (Some(1), "'help' command expects one or more unit names.\n(Alternatively, help for systemctl itself may be shown with --help)\n")
    );
    let o = r.vigil(&["help", "plain.service", "nothere.service"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (Some(1), "Documentation for plain.service not known.\nUnit nothere.service could not be found.\n")
    );
    let o = with_env(&r, &[("PATH", "/nonexistent")], &["help", "doc.service"]);
    assert_eq!(
        (o.status.code(), stderr(&o).as_str()),
        (Some(0), "Can't show: https://example.com/x\nFailed to execute man: No such file or directory\n")
    );
}
