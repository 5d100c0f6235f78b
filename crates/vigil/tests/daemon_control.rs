//! The manager's control socket end to end: auto-start, the handshake,
//! `exit` with a code, one manager per root, authorisation, and hostile
//! input that must never take the manager down.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;

use common::*;

#[test]
fn autostart_answers_and_exit_stops_the_manager() {
    let r = TestRoot::new("autostart");
    let o = r.vigil(&["is-system-running"]);
    assert_eq!(stdout(&o), "running\n", "stderr: {}", stderr(&o));
    assert_eq!(o.status.code(), Some(0));
    let pid = r.manager_pid().expect("manager wrote its pid");
    assert!(pid_alive(pid));

    // A second command reaches the same manager.
    let o = r.vigil(&["--no-autostart", "is-system-running"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(r.manager_pid(), Some(pid));

    let o = r.vigil(&["exit", "3"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(wait_until(Duration::from_secs(5), || !pid_alive(pid)), "manager did not exit");
    assert!(!r.control().exists(), "control socket left behind");
}

#[test]
fn no_autostart_fails_without_a_manager() {
    let r = TestRoot::new("noauto");
    let o = r.vigil(&["--no-autostart", "is-system-running"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--no-autostart"), "stderr: {}", stderr(&o));
    assert!(r.manager_pid().is_none());
}

#[test]
fn foreground_daemon_exit_code_and_single_manager_per_root() {
    let r = TestRoot::new("fg");
    let mut child = Command::new(vigil()).args(["daemon", &r.root_arg()]).spawn().unwrap();
    assert!(wait_until(Duration::from_secs(5), || std::os::unix::net::UnixStream::connect(r.control()).is_ok()));
    // A second manager for the same root refuses to start.
    let o = Command::new(vigil()).args(["daemon", &r.root_arg()]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already running"), "stderr: {}", stderr(&o));
    // `exit 7` makes the manager exit with 7 (a container's exit code).
    let o = r.vigil(&["--no-autostart", "exit", "7"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(child.wait().unwrap().code(), Some(7));
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut v = (payload.len() as u32).to_le_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

/// Read one framed reply (length-prefixed JSON) as a string.
fn reply(s: &mut UnixStream) -> Option<String> {
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut len = [0u8; 4];
    s.read_exact(&mut len).ok()?;
    let mut body = vec![0u8; u32::from_le_bytes(len) as usize];
    s.read_exact(&mut body).ok()?;
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// The manager answers what a client sent before its connection was
/// accepted in the same turn as the accept; a client that is slow to
/// speak, or sends its frames in pieces, must be served all the same (the
/// connection waits in epoll, and a short read does not lose later bytes).
#[test]
fn slow_and_piecemeal_clients_are_answered() {
    let r = TestRoot::new("slowclient");
    assert_eq!(r.vigil(&["is-system-running"]).status.code(), Some(0));

    // Nothing sent until well after the manager accepted the connection.
    let mut s = UnixStream::connect(r.control()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut bytes = frame(br#"{"type":"hello","version":1,"client":"slow"}"#);
    bytes.extend(frame(br#"{"type":"ping"}"#));
    s.write_all(&bytes).unwrap();
    let rep = reply(&mut s).expect("a hello reply");
    assert!(rep.contains("\"hello\""), "{rep}");
    let rep = reply(&mut s).expect("a pong");
    assert!(rep.contains("pong"), "{rep}");

    // The same frames a few bytes at a time, with pauses between them.
    let mut s = UnixStream::connect(r.control()).unwrap();
    for piece in bytes.chunks(7) {
        s.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    let rep = reply(&mut s).expect("a hello reply");
    assert!(rep.contains("\"hello\""), "{rep}");
    let rep = reply(&mut s).expect("a pong");
    assert!(rep.contains("pong"), "{rep}");

    // A second request on the same connection, after the first was answered.
    s.write_all(&frame(br#"{"type":"ping"}"#)).unwrap();
    let rep = reply(&mut s).expect("a second pong");
    assert!(rep.contains("pong"), "{rep}");
}

#[test]
fn hostile_frames_get_errors_and_never_kill_the_manager() {
    let r = TestRoot::new("fuzz");
    assert_eq!(r.vigil(&["is-system-running"]).status.code(), Some(0));
    let pid = r.manager_pid().unwrap();

    // A request before Hello.
    let mut s = UnixStream::connect(r.control()).unwrap();
    s.write_all(&frame(br#"{"type":"ping"}"#)).unwrap();
    let rep = reply(&mut s).expect("an error reply");
    assert!(rep.contains("\"error\"") && rep.contains("Hello"), "{rep}");

    // Not JSON at all.
    let mut s = UnixStream::connect(r.control()).unwrap();
    s.write_all(&frame(b"\xff\xfe garbage")).unwrap();
    let rep = reply(&mut s).expect("an error reply");
    assert!(rep.contains("invalid-request"), "{rep}");

    // An announced 4 GiB frame.
    let mut s = UnixStream::connect(r.control()).unwrap();
    s.write_all(&u32::MAX.to_le_bytes()).unwrap();
    let rep = reply(&mut s).expect("an error reply");
    assert!(rep.contains("exceeds the limit"), "{rep}");

    // Pseudo-random byte soup, many connections, some half-closed mid-frame.
    let mut x: u32 = 0x1234_5678;
    for i in 0..200 {
        let mut s = UnixStream::connect(r.control()).unwrap();
        let n = (i * 37) % 300;
        let bytes: Vec<u8> = (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let _ = s.write_all(&bytes);
    }
    // A wrong protocol version is answered, then the connection closed.
    let mut s = UnixStream::connect(r.control()).unwrap();
    s.write_all(&frame(br#"{"type":"hello","version":999,"client":"x"}"#)).unwrap();
    let rep = reply(&mut s).expect("a hello reply");
    assert!(rep.contains("\"version\":1"), "{rep}");

    assert!(pid_alive(pid), "manager died");
    let o = r.vigil(&["--no-autostart", "is-system-running"]);
    assert_eq!(stdout(&o), "running\n");
}

#[test]
fn unprivileged_users_may_read_but_not_control() {
    if !is_root() {
        eprintln!("skipped: needs root to run a client as another user");
        return;
    }
    let r = TestRoot::new("auth");
    assert_eq!(r.vigil(&["is-system-running"]).status.code(), Some(0));
    // The test root must be traversable by nobody.
    Command::new("chmod").args(["-R", "a+rX", r.path.to_str().unwrap()]).status().unwrap();
    let as_nobody = |args: &[&str]| vigil_as_nobody(&r, args);
    let o = as_nobody(&["is-system-running"]);
    assert_eq!(stdout(&o), "running\n", "stderr: {}", stderr(&o));
    let o = as_nobody(&["exit", "0"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("Access denied"), "stderr: {}", stderr(&o));
    assert!(r.manager_pid().map(pid_alive).unwrap_or(false));
}

/// kB of the process's own code mapped in its page tables (the `Rss:` of
/// the executable mapping of `/proc/PID/exe` in `smaps`; its relocated
/// data stays, and is large in a debug build).
fn code_rss_kb(pid: i32) -> u64 {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    let exe = exe.to_str().unwrap().to_string();
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap();
    let mut ours = false;
    let mut kb = 0;
    for line in smaps.lines() {
        if line.split_whitespace().next().is_some_and(|f| f.contains('-') && !f.ends_with(':')) {
            let f: Vec<&str> = line.split_whitespace().collect();
            ours = f.get(1) == Some(&"r-xp") && f.get(5) == Some(&exe.as_str());
        } else if let Some(v) = line.strip_prefix("Rss:").filter(|_| ours) {
            kb += v.trim().trim_end_matches("kB").trim().parse::<u64>().unwrap();
        }
    }
    kb
}

/// Serving requests maps code the idle manager does not run; once it has
/// been idle a while after them (10 s, `event_loop.rs` `release_due`) it
/// drops those pages again, and it still answers afterwards. The journal
/// process likewise after a whole 10 s window without input
/// (`journald/server.rs`, `IDLE_CODE_USEC`).
#[test]
fn an_idle_manager_and_journal_give_back_the_code_their_work_mapped() {
    let unit = "[Service]\nExecStart=/bin/sh -c 'echo up; exec sleep 600'\n";
    let r = TestRoot::with_units("idle-release", &[("a.service", unit)]);
    let o = r.vigil(&["start", "a.service"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let pid = r.manager_pid().expect("manager wrote its pid");
    // The journal process is the manager's child.
    let journal = journal_of(pid);
    // Its first quiet moment after the start drops its start-up code once
    // (`drop_code_once`): wait for that, so that what follows is the
    // idle drop's doing.
    let mut most = 0;
    assert!(
        wait_until(Duration::from_secs(20), || {
            let now = code_rss_kb(journal);
            most = most.max(now);
            now * 4 < most * 3
        }),
        "the journal never dropped its start-up code ({most} kB)"
    );
    // Work for both: the restart's messages and a new stream for the
    // journal, requests for the manager.
    let o = r.vigil(&["restart", "a.service"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    for args in [&["status", "--no-pager", "a.service"][..], &["show", "a.service"], &["list-units", "--no-pager"]] {
        r.vigil(args);
    }
    let (busy, journal_busy) = (code_rss_kb(pid), code_rss_kb(journal));
    assert!(
        wait_until(Duration::from_secs(40), || code_rss_kb(pid) * 2 < busy),
        "the manager's code stayed mapped: {busy} kB after the requests, {} kB now",
        code_rss_kb(pid)
    );
    // What the journal runs to go back to sleep after the drop comes back
    // at once (in a debug build about half of a restart's code).
    assert!(
        wait_until(Duration::from_secs(40), || code_rss_kb(journal) * 4 < journal_busy * 3),
        "the journal's code stayed mapped: {journal_busy} kB after the restart, {} kB now",
        code_rss_kb(journal)
    );
    let o = r.vigil(&["is-active", "a.service"]);
    assert_eq!(stdout(&o), "active\n", "stderr: {}", stderr(&o));
    r.vigil(&["exit"]);
}

/// A root whose one service, `NAME.service`, is wanted by the boot and
/// writes its pid into `ROOT/pid` (`EXEC_TAIL` runs after that in the same
/// shell; the unit's `$$$$` is the shell's `$$`: `$$` in a command line is
/// a `$`), booted by a manager with no control request (`daemon --boot`;
/// a request would put the releases off by `IDLE_RELEASE_USEC`). `f` gets
/// the manager's pid and reads the service's pid with `service()`; its
/// answer is checked once the manager is gone.
fn with_booted_service(name: &str, extra: &str, exec_tail: &str, f: impl FnOnce(i32, &dyn Fn() -> Option<i32>) -> Result<(), String>) {
    let unit = format!("[Service]\nExecStart=/bin/sh -c 'echo $$$$ > @ROOT@/pid.tmp && mv @ROOT@/pid.tmp @ROOT@/pid; {exec_tail}'\n{extra}");
    let file = format!("{name}.service");
    let r = TestRoot::with_units(name, &[(&file, &unit)]);
    let wants = r.path.join("etc/systemd/system/multi-user.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    std::os::unix::fs::symlink(format!("../{file}"), wants.join(&file)).unwrap();
    let mut manager = Command::new(vigil())
        .args(["daemon", &r.root_arg(), "--boot"])
        .env("VIGIL_JOURNAL", "off")
        .stderr(std::fs::File::create(r.path.join("console.log")).unwrap())
        .spawn()
        .unwrap();
    let pid_file = r.path.join("pid");
    let service = || std::fs::read_to_string(&pid_file).ok().and_then(|s| s.trim().parse::<i32>().ok());
    let outcome = f(manager.id() as i32, &service);
    let _ = r.vigil(&["exit"]);
    if !wait_until(Duration::from_secs(20), || matches!(manager.try_wait(), Ok(Some(_)))) {
        let _ = manager.kill();
        let _ = manager.wait();
    }
    outcome.unwrap();
}

/// The pid `service()` reads, once there is one other than `not`.
fn service_pid(service: &dyn Fn() -> Option<i32>, not: Option<i32>) -> Option<i32> {
    let mut seen = None;
    let found = wait_until(Duration::from_secs(20), || {
        seen = service().filter(|p| Some(*p) != not);
        seen.is_some()
    });
    if found { seen } else { None }
}

/// Whether the manager's code RSS falls below half of `busy` within 30 s;
/// the error says how far it got.
fn code_given_back(manager: i32, busy: u64, what: &str) -> Result<(), String> {
    if wait_until(Duration::from_secs(30), || code_rss_kb(manager) * 2 < busy) {
        return Ok(());
    }
    Err(format!("the code {what} stayed mapped: {busy} kB after it, {} kB now", code_rss_kb(manager)))
}

/// A booted manager gives back memory once more a little after its boot's
/// end, with no control request to prompt it (`event_loop.rs`,
/// `AFTER_BOOT_RELEASE_USEC`). The boot's own release comes as soon as its
/// jobs are done; what the manager runs after that (here: a service that
/// exits 0.3 s into the boot, then the reap and the messages) mapped its
/// code back, and without a request nothing dropped it again.
#[test]
fn a_booted_manager_gives_back_what_ran_after_its_boot_without_a_request() {
    with_booted_service("brief", "", "sleep 0.3", |manager, service| {
        let pid = service_pid(service, None).ok_or("brief.service never ran")?;
        // Reaped: the manager has handled the exit.
        if !wait_until(Duration::from_secs(20), || !pid_alive(pid)) {
            return Err("brief.service never exited".into());
        }
        code_given_back(manager, code_rss_kb(manager), "run after the boot")
    });
}

/// Work that no control request asked for — a service that dies and is
/// restarted — is given back too, a while after it (`event_loop.rs`,
/// `owe_release_after_work`): the manager drops the code it ran for it
/// with no request to prompt it. Twice, so that the second restart comes
/// after the boot's own releases whatever the timing.
#[test]
fn a_manager_gives_back_what_a_restart_ran_without_a_request() {
    with_booted_service("again", "Restart=always\nRestartSec=0\n", "exec sleep 600", |manager, service| {
        for round in 1..=2 {
            let old = service_pid(service, None).ok_or(format!("round {round}: again.service never ran"))?;
            // SAFETY: kill(2) on the pid this test's service wrote.
            unsafe { libc::kill(old, libc::SIGKILL) };
            service_pid(service, Some(old)).ok_or(format!("round {round}: again.service was not restarted"))?;
            code_given_back(manager, code_rss_kb(manager), &format!("round {round}'s restart ran"))?;
        }
        Ok(())
    });
}

/// The manager's journal process (its child).
fn journal_of(pid: i32) -> i32 {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .find(|p| std::fs::read_to_string(format!("/proc/{p}/cmdline")).unwrap().contains("journald"))
        .expect("the manager's journal process")
}

/// The environment a process was executed with, as `/proc/PID/environ`
/// shows it: NUL-separated, and `GLIBC_TUNABLES` cut at its colons (the
/// loader parses it in place).
fn exec_environ(pid: i32) -> String {
    String::from_utf8_lossy(&std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default()).into_owned()
}

/// The manager runs with glibc's malloc cache kept small
/// (`malloc_cache.rs`): it executed itself again, under the same name,
/// with the tunable added to the `GLIBC_TUNABLES` it was given, and then
/// put its environment back: the journal process, which it starts with
/// its own environment plus the tunable, gets the given value with the
/// tunable added once and none of the re-execution's own variable. The
/// autostart's start-up pipe survived the re-execution (the client was
/// told the manager is up).
#[test]
fn the_manager_runs_with_the_small_malloc_cache_and_gives_on_the_environment_it_was_given() {
    let r = TestRoot::with_units("malloc-cache", &[("a.service", "[Service]\nExecStart=/bin/sleep 600\n")]);
    let given = "glibc.malloc.trim_threshold=131072";
    let o = Command::new(vigil())
        .arg(r.root_arg())
        .args(["start", "a.service"])
        .env("GLIBC_TUNABLES", given)
        .output()
        .expect("run vigil");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let pid = r.manager_pid().expect("manager wrote its pid");
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm.trim_end(), "vigil", "executed again under its own name");
    let tunable = "glibc.malloc.tcache_max=128";
    let env = exec_environ(pid);
    assert!(env.contains(&format!("\0VIGIL_GLIBC_TUNABLES_WAS=={given}\0")), "{env:?}");
    assert!(env.contains(&format!("\0GLIBC_TUNABLES={given}")) && env.contains(tunable), "{env:?}");
    let journal = journal_of(pid);
    let env = exec_environ(journal);
    assert_eq!(env.matches("GLIBC_TUNABLES=").count(), 1, "{env:?}");
    assert!(env.contains(&format!("GLIBC_TUNABLES={given}")), "{env:?}");
    assert_eq!(env.matches(tunable).count(), 1, "{env:?}");
    assert!(!env.contains("VIGIL_GLIBC_TUNABLES_WAS"), "{env:?}");
    let o = r.vigil(&["is-active", "a.service"]);
    assert_eq!(stdout(&o), "active\n", "stderr: {}", stderr(&o));
    r.vigil(&["exit"]);
}
