//! End-to-end spawns of real processes: argv, environment, standard
//! streams, working directory, umask, nice, limits, OOM score, session,
//! failure reporting, pidfd signalling. Every child is reaped here.

mod common;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};

use common::*;
use exec::{
    spawn, ExecPlan, ExitStatus, FileMode, Resource, Rlimit, SpawnError, Stdio, Step, WorkDirPath,
    WorkingDirectory,
};

#[test]
fn argv0_and_arguments_are_exact() {
    let mut plan = ExecPlan::new("/bin/cat").args(["/proc/self/cmdline"]);
    plan.argv0 = OsString::from("custom name");
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, "custom name\0/proc/self/cmdline\0");

    let (status, out) = run_capture(ExecPlan::new("/bin/sh").args([
        "-c",
        "printf '[%s]' \"$0\" \"$@\"",
        "zero",
        "a b",
        "",
        "c",
    ]));
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, "[zero][a b][][c]");
}

#[test]
fn environment_is_exactly_the_given_list() {
    let mut plan = ExecPlan::new("/usr/bin/env").args(["-0"]);
    plan.environment = vec![
        "A=1".into(),
        "EMPTY=".into(),
        "WITH SPACE=x y".into(),
        "PATH=/nowhere".into(),
    ];
    let (status, out, pid) = run_capture_pid(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    // systemd.exec(5), "$SYSTEMD_EXEC_PID": the forked process's own PID,
    // added to every command's environment.
    let want = format!("A=1\0EMPTY=\0WITH SPACE=x y\0PATH=/nowhere\0SYSTEMD_EXEC_PID={pid}\0");
    assert_eq!(out, want);
}

#[test]
fn systemd_exec_pid_set_by_the_caller_wins() {
    let mut plan = ExecPlan::new("/usr/bin/env");
    plan.environment = vec!["SYSTEMD_EXEC_PID=7".into()];
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, "SYSTEMD_EXEC_PID=7\n");
}

#[test]
fn stdin_null_and_stderr_inherit_follow_stdout() {
    // stdin is /dev/null (cat sees EOF at once); stderr inherits stdout.
    let (status, out) = run_capture(sh("cat; echo out; echo err >&2"));
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, "out\nerr\n");
}

#[test]
fn stdout_null_discards() {
    let (r, w) = pipe();
    let mut plan = sh("echo to-null; echo to-stderr >&2");
    plan.stdout = Stdio::Null;
    plan.stderr = Stdio::Fd(w.as_raw_fd());
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    drop(w);
    assert_eq!(read_to_end(r), "to-stderr\n");
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
}

fn run_to_file(mode: FileMode, initial: Option<&str>, script: &str) -> String {
    let dir = TempDir::new("file");
    let path = dir.path().join("out");
    if let Some(s) = initial {
        std::fs::write(&path, s).unwrap();
    }
    let mut plan = sh(script);
    plan.stdout = Stdio::File {
        path: path.clone(),
        mode,
    };
    plan.stderr = Stdio::Inherit;
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn stdout_file_write_overwrites_without_truncating() {
    assert_eq!(
        run_to_file(FileMode::Write, Some("----------"), "printf ab"),
        "ab--------"
    );
}

#[test]
fn stdout_file_append_appends() {
    assert_eq!(
        run_to_file(FileMode::Append, Some("one\n"), "echo two; echo three >&2"),
        "one\ntwo\nthree\n"
    );
}

#[test]
fn stdout_file_truncate_truncates() {
    assert_eq!(
        run_to_file(
            FileMode::Truncate,
            Some("a much longer old content\n"),
            "echo new"
        ),
        "new\n"
    );
}

#[test]
fn stdout_file_is_created_with_umask_mode() {
    let dir = TempDir::new("mode");
    let path = dir.path().join("created");
    let mut plan = sh("echo x");
    plan.umask = 0o077;
    plan.stdout = Stdio::File {
        path: path.clone(),
        mode: FileMode::Write,
    };
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn stdin_file_is_read() {
    let dir = TempDir::new("in");
    let path = dir.path().join("input");
    std::fs::write(&path, "line one\nline two\n").unwrap();
    let mut plan = ExecPlan::new("/bin/cat");
    plan.stdin = Stdio::File {
        path,
        mode: FileMode::Read,
    };
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, "line one\nline two\n");
}

#[test]
fn stdout_file_path_that_is_a_unix_socket_is_connected() {
    let dir = TempDir::new("sock");
    let path = dir.path().join("log.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let mut plan = sh("echo via-socket");
    plan.stdout = Stdio::File {
        path: path.clone(),
        mode: FileMode::Append,
    };
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "via-socket\n");
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
}

#[test]
fn socket_stdin_is_blocking_and_inherited_by_stdout() {
    let (mut ours, theirs) = UnixStream::pair().unwrap();
    theirs.set_nonblocking(true).unwrap();
    let mut plan = sh("read line; echo \"got $line\"");
    plan.stdin = Stdio::Socket(theirs.as_raw_fd());
    plan.stdout = Stdio::Inherit;
    plan.stderr = Stdio::Inherit;
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    // systemd clears O_NONBLOCK on a socket handed over as stdio; the flag
    // lives on the shared open file description, so our copy shows it.
    // SAFETY: F_GETFL only queries.
    let flags = unsafe { libc::fcntl(theirs.as_raw_fd(), libc::F_GETFL) };
    assert_eq!(flags & libc::O_NONBLOCK, 0);
    drop(theirs);
    ours.write_all(b"hello\n").unwrap();
    let mut got = String::new();
    ours.read_to_string(&mut got).unwrap();
    assert_eq!(got, "got hello\n");
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
}

#[test]
fn working_directory_is_applied() {
    let dir = TempDir::new("cwd");
    let mut plan = ExecPlan::new("/bin/pwd");
    plan.working_directory = WorkingDirectory {
        path: WorkDirPath::Path(dir.path().to_path_buf()),
        missing_ok: false,
    };
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out.trim_end(), dir.path().to_str().unwrap());
}

#[test]
fn working_directory_default_is_root_and_home_is_resolved() {
    let (_, out) = run_capture(ExecPlan::new("/bin/pwd"));
    assert_eq!(out, "/\n");
    let mut plan = ExecPlan::new("/bin/pwd");
    plan.working_directory = WorkingDirectory {
        path: WorkDirPath::Home,
        missing_ok: false,
    };
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    let home = exec::creds::own_home().unwrap();
    assert_eq!(out.trim_end(), home.to_str().unwrap());
}

#[test]
fn missing_working_directory_fails_with_200_unless_missing_ok() {
    let mut plan = ExecPlan::new("/bin/pwd");
    plan.working_directory = WorkingDirectory {
        path: WorkDirPath::Path("/nonexistent/vigil".into()),
        missing_ok: false,
    };
    let err = spawn(&plan.prepare().unwrap()).unwrap_err();
    let SpawnError::Setup {
        pid,
        step,
        errno,
        exit_code,
    } = err
    else {
        panic!("unexpected error {err}")
    };
    assert_eq!(
        (step, errno, exit_code),
        (Step::WorkingDirectory, libc::ENOENT, 200)
    );
    assert_eq!(wait_exit(pid), ExitStatus::Exited(200));

    plan.working_directory.missing_ok = true;
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    // The failed chdir leaves the child where fork left it: the test's cwd.
    assert_eq!(
        out.trim_end(),
        std::env::current_dir().unwrap().to_str().unwrap()
    );
}

#[test]
fn missing_executable_fails_with_203_enoent() {
    let plan = ExecPlan::new("/nonexistent/vigil-binary");
    let err = spawn(&plan.prepare().unwrap()).unwrap_err();
    assert!(err.to_string().contains("execve"), "{err}");
    let SpawnError::Setup {
        pid,
        step,
        errno,
        exit_code,
    } = err
    else {
        panic!("unexpected error")
    };
    assert_eq!((step, errno, exit_code), (Step::Exec, libc::ENOENT, 203));
    assert_eq!(wait_exit(pid), ExitStatus::Exited(203));
}

#[test]
fn bad_stdin_file_fails_with_208() {
    let mut plan = ExecPlan::new("/bin/true");
    plan.stdin = Stdio::File {
        path: "/nonexistent/input".into(),
        mode: FileMode::Read,
    };
    let err = spawn(&plan.prepare().unwrap()).unwrap_err();
    let SpawnError::Setup {
        pid,
        step,
        exit_code,
        ..
    } = err
    else {
        panic!("unexpected error {err}")
    };
    assert_eq!((step, exit_code), (Step::Stdin, 208));
    assert_eq!(wait_exit(pid), ExitStatus::Exited(208));
}

#[test]
fn umask_is_applied() {
    let mut plan = sh("umask");
    plan.umask = 0o027;
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out.trim(), "0027");
}

#[test]
fn nice_is_applied() {
    let mut plan = ExecPlan::new("/usr/bin/nice");
    plan.nice = Some(7);
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out.trim(), "7");
}

#[test]
fn rlimits_are_applied() {
    let mut plan = sh("ulimit -Sn; ulimit -Hn; ulimit -Sc");
    plan.rlimits = vec![
        Rlimit {
            resource: Resource::Nofile,
            soft: 100,
            hard: 200,
        },
        Rlimit {
            resource: Resource::Core,
            soft: 0,
            hard: 0,
        },
    ];
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out, "100\n200\n0\n");
}

#[test]
fn invalid_rlimit_fails_with_205() {
    let mut plan = ExecPlan::new("/bin/true");
    plan.rlimits = vec![Rlimit {
        resource: Resource::Nofile,
        soft: 300,
        hard: 200,
    }];
    let err = spawn(&plan.prepare().unwrap()).unwrap_err();
    let SpawnError::Setup {
        pid,
        step,
        errno,
        exit_code,
    } = err
    else {
        panic!("unexpected error {err}")
    };
    assert_eq!((step, errno, exit_code), (Step::Rlimits, libc::EINVAL, 205));
    assert_eq!(wait_exit(pid), ExitStatus::Exited(205));
}

#[test]
fn oom_score_adjust_is_applied() {
    let mut plan = ExecPlan::new("/bin/cat").args(["/proc/self/oom_score_adj"]);
    plan.oom_score_adjust = Some(500);
    let (status, out) = run_capture(plan);
    assert_eq!(status, ExitStatus::Exited(0));
    assert_eq!(out.trim(), "500");
}

/// Session ID and PID of the process whose `/proc/<pid>/stat` is `stat`.
fn pid_and_sid(stat: &str) -> (i64, i64) {
    let pid: i64 = stat.split_whitespace().next().unwrap().parse().unwrap();
    let after_comm = &stat[stat.rfind(')').unwrap() + 2..];
    // Fields after comm: state ppid pgrp session …
    let sid: i64 = after_comm
        .split_whitespace()
        .nth(3)
        .unwrap()
        .parse()
        .unwrap();
    (pid, sid)
}

#[test]
fn new_session_makes_the_child_a_session_leader() {
    let (status, out) = run_capture(ExecPlan::new("/bin/cat").args(["/proc/self/stat"]));
    assert_eq!(status, ExitStatus::Exited(0));
    let (pid, sid) = pid_and_sid(&out);
    assert_eq!(pid, sid);

    let mut plan = ExecPlan::new("/bin/cat").args(["/proc/self/stat"]);
    plan.new_session = false;
    let (_, out) = run_capture(plan);
    let (pid, sid) = pid_and_sid(&out);
    // SAFETY: getsid(0) cannot fail for ourselves.
    let own_sid = i64::from(unsafe { libc::getsid(0) });
    assert_ne!(pid, sid);
    assert_eq!(sid, own_sid);
}

#[test]
fn relative_path_is_refused_before_fork() {
    let err = ExecPlan::new("true").prepare().unwrap_err();
    assert!(err.to_string().contains("not absolute"), "{err}");
}

#[test]
fn stdin_data_is_a_sealed_readonly_file() {
    // systemd.exec(5), "StandardInput=data": the bytes of
    // StandardInputText=/StandardInputData=, binary-safe; a write to the
    // descriptor fails (it is sealed).
    let mut plan = sh("cat; printf '|'; printf x >&0 2>/dev/null && echo WROTE || echo sealed");
    plan.stdin = Stdio::Data(b"line one\n\0bin\xff\n".to_vec());
    let (r, w) = pipe();
    plan.stdout = Stdio::Fd(w.as_raw_fd());
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    drop(w);
    let mut out = Vec::new();
    std::fs::File::from(r).read_to_end(&mut out).unwrap();
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
    assert_eq!(out, b"line one\n\0bin\xff\n|sealed\n");
}

#[test]
fn stdin_data_is_refused_for_outputs() {
    let mut plan = sh("true");
    plan.stdout = Stdio::Data(b"x".to_vec());
    assert!(plan.prepare().is_err());
}

#[test]
fn exec_directory_failures_exit_with_systemds_codes() {
    // systemd-analyze exit-status: 233 RUNTIME_DIRECTORY, 238 STATE_DIRECTORY,
    // 239 CACHE_DIRECTORY, 240 LOGS_DIRECTORY, 241 CONFIGURATION_DIRECTORY.
    for (kind, code) in [
        (exec::ExecDirectory::Runtime, 233),
        (exec::ExecDirectory::State, 238),
        (exec::ExecDirectory::Cache, 239),
        (exec::ExecDirectory::Logs, 240),
        (exec::ExecDirectory::Configuration, 241),
    ] {
        let mut plan = ExecPlan::new("/bin/true");
        plan.exec_directory_failure = Some((kind, libc::EACCES));
        let err = spawn(&plan.prepare().unwrap()).unwrap_err();
        let SpawnError::Setup { pid, errno, exit_code, .. } = err else { panic!("{err:?}") };
        assert_eq!((errno, exit_code), (libc::EACCES, code), "{kind:?}");
        assert_eq!(wait_exit(pid), ExitStatus::Exited(i32::from(code)), "{kind:?}");
    }
}
