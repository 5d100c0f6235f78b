//! The child must not inherit the manager's blocked or ignored signals.
//! A separate test binary: it changes process-wide dispositions.

mod common;

use common::*;
use exec::{spawn, ExecPlan, ExitStatus, Stdio};

fn sig_mask(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

fn child_status(ignore_sigpipe: bool) -> String {
    let mut plan = ExecPlan::new("/bin/sleep").args(["1000"]);
    plan.stdout = Stdio::Null;
    plan.stderr = Stdio::Null;
    plan.ignore_sigpipe = ignore_sigpipe;
    let child = spawn(&plan.prepare().unwrap()).unwrap();
    // spawn returned after exec, so the status reflects the new image.
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.pid)).unwrap();
    child.signal(libc::SIGKILL).unwrap();
    assert_eq!(
        wait_exit(child.pid),
        ExitStatus::Killed {
            signal: libc::SIGKILL,
            core_dumped: false
        }
    );
    status
}

#[test]
fn mask_and_dispositions_are_reset() {
    // Like the manager: block what signalfd reads, ignore something.
    // SAFETY: changes only this test binary's own signal state.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGCHLD);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()),
            0
        );
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGUSR2, libc::SIG_IGN);
    }
    let own = std::fs::read_to_string("/proc/thread-self/status").unwrap();
    assert_ne!(
        u64::from_str_radix(status_field(&own, "SigBlk").unwrap(), 16).unwrap(),
        0
    );

    let status = child_status(true);
    let blocked = u64::from_str_radix(status_field(&status, "SigBlk").unwrap(), 16).unwrap();
    let ignored = u64::from_str_radix(status_field(&status, "SigIgn").unwrap(), 16).unwrap();
    assert_eq!(blocked, 0, "{status}");
    assert_eq!(
        ignored,
        sig_mask(libc::SIGPIPE),
        "IgnoreSIGPIPE=yes leaves only SIGPIPE ignored"
    );

    // The Rust runtime ignores SIGPIPE in this process; IgnoreSIGPIPE=no
    // must still give the service the default action.
    let status = child_status(false);
    let ignored = u64::from_str_radix(status_field(&status, "SigIgn").unwrap(), 16).unwrap();
    assert_eq!(ignored, 0, "{status}");
}

#[test]
fn recorded_dispositions_are_the_ones_reset() {
    // The manager's way: settle dispositions, record them once, then the
    // child resets only the recorded signals. The same two signals as the
    // test above are ignored (tests of one binary may share the process).
    // SAFETY: changes only this test binary's own signal state.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGUSR2, libc::SIG_IGN);
    }
    let set = exec::record_signal_dispositions();
    assert_ne!(set & sig_mask(libc::SIGHUP), 0, "{set:x}");
    assert_ne!(set & sig_mask(libc::SIGUSR2), 0, "{set:x}");
    // Rust's test runtime ignores SIGPIPE.
    assert_ne!(set & sig_mask(libc::SIGPIPE), 0, "{set:x}");
    assert_eq!(set & sig_mask(libc::SIGTERM), 0, "{set:x}");
    assert_eq!(set & sig_mask(libc::SIGCHLD), 0, "{set:x}");

    let status = child_status(false);
    let ignored = u64::from_str_radix(status_field(&status, "SigIgn").unwrap(), 16).unwrap();
    assert_eq!(ignored, 0, "{status}");
    let status = child_status(true);
    let ignored = u64::from_str_radix(status_field(&status, "SigIgn").unwrap(), 16).unwrap();
    assert_eq!(ignored, sig_mask(libc::SIGPIPE), "{status}");
}
