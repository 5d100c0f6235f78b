//! Descriptor hygiene: socket activation (`sd_listen_fds(3)`), no leaked
//! descriptors, and signalling through the pidfd.

mod common;

use std::collections::BTreeSet;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixListener;
use std::time::Instant;

use common::*;
use exec::{spawn, ExecPlan, ExitStatus, ListenFd, Stdio};

fn socket_inode(fd: &impl AsRawFd) -> u64 {
    std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .unwrap()
        .ino()
}

#[test]
fn listen_fds_are_placed_at_3_with_listen_env() {
    let dir = TempDir::new("listen");
    let a = UnixListener::bind(dir.path().join("a")).unwrap();
    let b = UnixListener::bind(dir.path().join("b")).unwrap();
    a.set_nonblocking(true).unwrap();
    let script = "echo \"$LISTEN_FDS $LISTEN_PID $$ $LISTEN_FDNAMES\"; \
                  for fd in 3 4; do [ -S /proc/$$/fd/$fd ] && stat -L -c %i /proc/$$/fd/$fd; done; \
                  [ -e /proc/$$/fd/5 ] && echo leaked-5; true";
    let mut plan = sh(script);
    plan.environment = vec!["PATH=/usr/bin:/bin".into(), "LISTEN_FDS=7".into()];
    plan.listen_fds = vec![
        ListenFd {
            fd: a.as_raw_fd(),
            name: "web".into(),
        },
        ListenFd {
            fd: b.as_raw_fd(),
            name: "admin".into(),
        },
    ];
    let (r, w) = pipe();
    plan.stdout = Stdio::Fd(w.as_raw_fd());
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    drop(w);
    let out = read_to_end(r);
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out:?}");
    assert_eq!(lines[0], format!("2 {0} {0} web:admin", child.pid));
    assert_eq!(lines[1], socket_inode(&a).to_string());
    assert_eq!(lines[2], socket_inode(&b).to_string());
    // NonBlocking=no (the default) clears O_NONBLOCK on the shared description.
    // SAFETY: F_GETFL only queries.
    assert_eq!(
        unsafe { libc::fcntl(a.as_raw_fd(), libc::F_GETFL) } & libc::O_NONBLOCK,
        0
    );
}

#[test]
fn non_blocking_sets_o_nonblock_on_listen_fds() {
    let dir = TempDir::new("nb");
    let a = UnixListener::bind(dir.path().join("a")).unwrap();
    let mut plan = ExecPlan::new("/bin/true");
    plan.listen_fds = vec![ListenFd {
        fd: a.as_raw_fd(),
        name: "a".into(),
    }];
    plan.non_blocking = true;
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
    // SAFETY: F_GETFL only queries.
    assert_ne!(
        unsafe { libc::fcntl(a.as_raw_fd(), libc::F_GETFL) } & libc::O_NONBLOCK,
        0
    );
}

fn open_fds(pid: i32) -> BTreeSet<i32> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn child_sees_only_stdio_and_listen_fds_and_pidfd_signals_it() {
    // A descriptor without O_CLOEXEC that a careless spawn would leak.
    // SAFETY: plain open; ownership passes to OwnedFd.
    let leaky = unsafe { OwnedFd::from_raw_fd(libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY)) };
    assert!(leaky.as_raw_fd() > 2);
    let dir = TempDir::new("leak");
    let sock = UnixListener::bind(dir.path().join("s")).unwrap();
    let mut plan = ExecPlan::new("/bin/sleep").args(["1000"]);
    plan.stdout = Stdio::Null;
    plan.stderr = Stdio::Null;
    plan.listen_fds = vec![ListenFd {
        fd: sock.as_raw_fd(),
        name: "s".into(),
    }];
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    assert!(child.pidfd.is_some(), "pidfd_open must work on this kernel");
    let want: BTreeSet<i32> = [0, 1, 2, 3].into();
    // The dynamic loader of `sleep` opens and closes libraries right after
    // exec; wait (with a deadline) until the set settles on what we passed.
    let start = Instant::now();
    let mut seen = open_fds(child.pid);
    while seen != want && start.elapsed() < DEADLINE {
        std::thread::yield_now();
        seen = open_fds(child.pid);
    }
    assert_eq!(seen, want);

    child.signal(libc::SIGTERM).unwrap();
    assert_eq!(
        wait_exit(child.pid),
        ExitStatus::Killed {
            signal: libc::SIGTERM,
            core_dumped: false
        }
    );
    // The process is gone and reaped: the pidfd now refuses signals.
    let err = child.signal(libc::SIGTERM).unwrap_err();
    assert_eq!(err.source.raw_os_error(), Some(libc::ESRCH));
    drop(leaky);
}

#[test]
fn stdio_fd_given_as_a_low_number_survives_the_shuffle() {
    // The caller passes the same pipe for stdout and stderr, and stdin from
    // a descriptor that would collide with listen target 3 or 4 if it were
    // not lifted first.
    let dir = TempDir::new("shuffle");
    let l1 = UnixListener::bind(dir.path().join("1")).unwrap();
    let l2 = UnixListener::bind(dir.path().join("2")).unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, "from-input\n").unwrap();
    let input_file = std::fs::File::open(&input).unwrap();
    let (r, w) = pipe();
    let mut plan = sh("cat; [ -S /proc/$$/fd/3 ] && [ -S /proc/$$/fd/4 ] && echo sockets-ok");
    plan.stdin = Stdio::Fd(input_file.as_raw_fd());
    plan.stdout = Stdio::Fd(w.as_raw_fd());
    plan.stderr = Stdio::Fd(w.as_raw_fd());
    // Listen fds in reverse numeric order, so placing #0 at 3 must not
    // clobber #1 if that happened to be 3.
    plan.listen_fds = vec![
        ListenFd {
            fd: l2.as_raw_fd(),
            name: "two".into(),
        },
        ListenFd {
            fd: l1.as_raw_fd(),
            name: "one".into(),
        },
    ];
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    drop(w);
    assert_eq!(read_to_end(r), "from-input\nsockets-ok\n");
    assert_eq!(wait_exit(child.pid), ExitStatus::Exited(0));
}
