//! Exit statuses as systemd names and judges them.
//!
//! - [`exit_status_name`]: the symbolic names of `systemd.exec(5)`,
//!   "Process Exit Codes" (libc, LSB, BSD `sysexits.h`, systemd's own
//!   200…244 and 255), the table `systemd-analyze exit-status` prints.
//! - [`signal_name`]: signal names without the `SIG` prefix, as in
//!   "status=9/KILL"; real-time signals as `RTMIN+n`.
//! - [`is_clean_exit`]: the "clean exit" rule of `systemd.service(5)`,
//!   "Restart=": exit code 0; for anything but `Type=oneshot` and plain
//!   commands also death by SIGHUP, SIGINT, SIGTERM or SIGPIPE (daemons
//!   commonly do not handle these and still count as stopped cleanly);
//!   plus whatever `SuccessExitStatus=` lists. A core dump is never clean.
//! - [`format_timespan`]: systemd's `format_timespan()` (the inverse of
//!   `systemd.time(7)` "Parsing Time Spans"), for messages such as
//!   "Watchdog timeout (limit 3s)!".

use super::params::{signal, ExitStatusSet};
use super::types::{ExitStatus, Usec};

/// The name systemd gives an exit code, if any (the one table in
/// `unit::value::exit_status`).
pub fn exit_status_name(code: u8) -> Option<&'static str> {
    unit::value::exit_status::exit_status_name(code)
}

/// glibc reserves 32 and 33 for itself, so `SIGRTMIN` is 34.
const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// The signal's name without `SIG`, as systemd's `signal_to_string()`.
pub fn signal_name(sig: i32) -> String {
    const NAMES: [&str; 31] = [
        "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
        "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
    ];
    let named = usize::try_from(sig).ok().and_then(|i| i.checked_sub(1)).and_then(|i| NAMES.get(i));
    match named {
        Some(name) => (*name).to_string(),
        None if (SIGRTMIN..=SIGRTMAX).contains(&sig) => format!("RTMIN+{}", sig - SIGRTMIN),
        None => sig.to_string(),
    }
}

/// Whether the exit counts as clean. `daemon` selects the daemon rule
/// (the four "clean" signals count); systemd uses the command rule for
/// `Type=oneshot` and for every control process other than the
/// `Type=forking` start command.
pub fn is_clean_exit(status: ExitStatus, daemon: bool, success: &ExitStatusSet) -> bool {
    match status {
        ExitStatus::Exited(code) => code == 0 || success.contains_code(code),
        ExitStatus::Killed { signal: sig, core_dumped: false } => {
            (daemon && matches!(sig, signal::SIGHUP | signal::SIGINT | signal::SIGTERM | signal::SIGPIPE))
                || success.contains_signal(sig)
        }
        ExitStatus::Killed { core_dumped: true, .. } => false,
    }
}

/// `code=…, status=…/…` as systemd prints it: "code=exited,
/// status=1/FAILURE", "code=killed, status=9/KILL", "code=dumped,
/// status=11/SEGV"; unnamed exit codes print as "42/n/a".
pub fn describe_exit(status: ExitStatus) -> String {
    match status {
        ExitStatus::Exited(code) => {
            format!("code=exited, status={}/{}", code, exit_status_name(code).unwrap_or("n/a"))
        }
        ExitStatus::Killed { signal: sig, core_dumped } => format!(
            "code={}, status={}/{}",
            if core_dumped { "dumped" } else { "killed" },
            sig,
            signal_name(sig)
        ),
    }
}

/// systemd's `format_timespan(t, accuracy)`.
pub fn format_timespan(t: Option<Usec>, accuracy: Usec) -> String {
    const MINUTE: Usec = 60_000_000;
    const TABLE: [(&str, Usec); 9] = [
        ("y", 31_557_600_000_000),
        ("month", 2_629_800_000_000),
        ("w", 604_800_000_000),
        ("d", 86_400_000_000),
        ("h", 3_600_000_000),
        ("min", MINUTE),
        ("s", 1_000_000),
        ("ms", 1_000),
        ("us", 1),
    ];
    let Some(mut t) = t else { return "infinity".to_string() };
    if t == 0 {
        return "0".to_string();
    }
    let mut out = String::new();
    for (suffix, unit) in TABLE {
        if t == 0 || (t < accuracy && !out.is_empty()) {
            break;
        }
        if t < unit {
            continue;
        }
        let sep = if out.is_empty() { "" } else { " " };
        let (a, mut b) = (t / unit, t % unit);
        // Below a minute, a remainder is shown as decimals of this unit,
        // as many as the accuracy allows.
        if t < MINUTE && b > 0 {
            let mut digits: i32 = 0;
            let mut cc = unit;
            while cc > 1 {
                digits += 1;
                cc /= 10;
            }
            let mut cc = accuracy;
            while cc > 1 {
                b /= 10;
                digits -= 1;
                cc /= 10;
            }
            if digits > 0 {
                let width = usize::try_from(digits).unwrap_or(0);
                out.push_str(&format!("{sep}{a}.{b:0width$}{suffix}"));
                break;
            }
        }
        out.push_str(&format!("{sep}{a}{suffix}"));
        t = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names_match_systemd() {
        assert_eq!(signal_name(9), "KILL");
        assert_eq!(signal_name(15), "TERM");
        assert_eq!(signal_name(31), "SYS");
        assert_eq!(signal_name(34), "RTMIN+0");
        assert_eq!(signal_name(40), "RTMIN+6");
        assert_eq!(signal_name(32), "32");
        assert_eq!(signal_name(0), "0");
        assert_eq!(signal_name(-3), "-3");
    }

    #[test]
    fn exit_descriptions() {
        assert_eq!(describe_exit(ExitStatus::Exited(1)), "code=exited, status=1/FAILURE");
        assert_eq!(describe_exit(ExitStatus::Exited(42)), "code=exited, status=42/n/a");
        assert_eq!(
            describe_exit(ExitStatus::Killed { signal: 11, core_dumped: true }),
            "code=dumped, status=11/SEGV"
        );
    }

    #[test]
    fn timespans_like_systemd() {
        assert_eq!(format_timespan(Some(3_000_000), 1), "3s");
        assert_eq!(format_timespan(Some(90_000_000), 1), "1min 30s");
        assert_eq!(format_timespan(Some(1_500_000), 1), "1.500000s");
        assert_eq!(format_timespan(Some(1_500_000), 1_000), "1.500s");
        assert_eq!(format_timespan(Some(100_000), 1_000_000), "100ms");
        assert_eq!(format_timespan(Some(0), 1), "0");
        assert_eq!(format_timespan(None, 1), "infinity");
        assert_eq!(format_timespan(Some(3_600_000_001), 1), "1h 1us");
    }

    #[test]
    fn clean_exit_rules() {
        let none = ExitStatusSet::EMPTY;
        let term = ExitStatus::Killed { signal: 15, core_dumped: false };
        assert!(is_clean_exit(ExitStatus::Exited(0), false, &none));
        assert!(!is_clean_exit(ExitStatus::Exited(1), true, &none));
        assert!(is_clean_exit(term, true, &none));
        assert!(!is_clean_exit(term, false, &none));
        let dumped = ExitStatus::Killed { signal: 15, core_dumped: true };
        assert!(!is_clean_exit(dumped, true, &ExitStatusSet::EMPTY.with_signal(15)));
        let tempfail = ExitStatusSet::EMPTY.with_code(75).with_signal(9);
        assert!(is_clean_exit(ExitStatus::Exited(75), false, &tempfail));
        assert!(is_clean_exit(ExitStatus::Killed { signal: 9, core_dumped: false }, false, &tempfail));
    }
}
