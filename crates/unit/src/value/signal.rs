//! Linux signal names and numbers, both ways, as systemd 252's
//! `signal_from_string()` and `signal_to_string()` handle them
//! (`systemd.kill(5)`, "KillSignal=").
//!
//! Accepted spellings, all case-sensitive:
//!
//! - a number 1…64 (`15`; C base prefixes apply: `0x9` is SIGKILL);
//! - a name from the kernel's table with or without `SIG` (`SIGTERM`,
//!   `TERM`); only the names systemd's table holds, so `SIGIOT` and
//!   `SIGPOLL` are refused while `SIGIO` works;
//! - `RTMIN`, `RTMIN+n` (0 ≤ n ≤ 30) and `RTMAX`, `RTMAX-n`, with or without
//!   `SIG`. glibc reserves the first two real-time signals, so `SIGRTMIN` is
//!   34, and signals 32 and 33 have no name at all.
//!
//! systemd prints signals as `SIG` + table name (`SIGTERM`), `SIGRTMIN+n`
//! for real-time ones, and `SIG32` for the two nameless ones.

use super::error::ValueError;
use super::number::safe_atoi;

/// glibc's `SIGRTMIN` and `SIGRTMAX` (what systemd sees at run time).
pub const SIGRTMIN: i32 = 34;
pub const SIGRTMAX: i32 = 64;
/// Signals are 1 ≤ n < `NSIG`.
pub const NSIG: i32 = 65;

/// Names of the standard signals, indexed by number (x86-64/generic Linux
/// numbering).
const NAMES: [&str; 32] = [
    "", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
    "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
    "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// `signal_from_string()`: the signal number for `s`.
pub fn signal_from_string(s: &str) -> Result<i32, ValueError> {
    let err = || ValueError::Signal(s.to_string());
    if let Ok(n) = safe_atoi(s) {
        return if n > 0 && n < NSIG { Ok(n) } else { Err(err()) };
    }
    let name = s.strip_prefix("SIG").unwrap_or(s);
    if let Some(n) = NAMES.iter().skip(1).position(|&x| x == name) {
        return Ok(n as i32 + 1);
    }
    if let Some(rest) = name.strip_prefix("RTMIN") {
        if rest.is_empty() {
            return Ok(SIGRTMIN);
        }
        if !rest.starts_with('+') {
            return Err(err());
        }
        let n = safe_atoi(rest).map_err(|_| err())?;
        if !(0..=SIGRTMAX - SIGRTMIN).contains(&n) {
            return Err(err());
        }
        return Ok(SIGRTMIN + n);
    }
    if let Some(rest) = name.strip_prefix("RTMAX") {
        if rest.is_empty() {
            return Ok(SIGRTMAX);
        }
        if !rest.starts_with('-') {
            return Err(err());
        }
        let n = safe_atoi(rest).map_err(|_| err())?;
        if !(SIGRTMIN - SIGRTMAX..=0).contains(&n) {
            return Err(err());
        }
        return Ok(SIGRTMAX + n);
    }
    Err(err())
}

/// `signal_to_string()`: the name without `SIG` (`TERM`, `RTMIN+3`), or
/// the number for signals without a name.
pub fn signal_to_string(signo: i32) -> String {
    if let Some(name) = usize::try_from(signo).ok().and_then(|i| NAMES.get(i)).filter(|n| !n.is_empty()) {
        return (*name).to_string();
    }
    if (SIGRTMIN..=SIGRTMAX).contains(&signo) {
        return format!("RTMIN+{}", signo - SIGRTMIN);
    }
    signo.to_string()
}

/// The name systemd prints in unit dumps and `systemctl show`: `SIGTERM`,
/// `SIGRTMIN+3`, `SIG32`.
pub fn name_of(signo: i32) -> String {
    format!("SIG{}", signal_to_string(signo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_and_without_sig() {
        assert_eq!(signal_from_string("SIGTERM"), Ok(15));
        assert_eq!(signal_from_string("TERM"), Ok(15));
        assert_eq!(signal_from_string("SIGHUP"), Ok(1));
        assert_eq!(signal_from_string("SYS"), Ok(31));
        assert_eq!(signal_from_string("SIGIO"), Ok(29));
        assert_eq!(signal_from_string("STKFLT"), Ok(16));
    }

    #[test]
    fn numbers() {
        assert_eq!(signal_from_string("15"), Ok(15));
        assert_eq!(signal_from_string(" 9"), Ok(9));
        assert_eq!(signal_from_string("0x9"), Ok(9));
        assert_eq!(signal_from_string("64"), Ok(64));
        assert_eq!(signal_from_string("32"), Ok(32));
        assert!(signal_from_string("0").is_err());
        assert!(signal_from_string("65").is_err());
        assert!(signal_from_string("-9").is_err());
    }

    #[test]
    fn realtime() {
        assert_eq!(signal_from_string("SIGRTMIN+3"), Ok(37));
        assert_eq!(signal_from_string("RTMIN+3"), Ok(37));
        assert_eq!(signal_from_string("RTMIN"), Ok(34));
        assert_eq!(signal_from_string("RTMAX"), Ok(64));
        assert_eq!(signal_from_string("SIGRTMAX-2"), Ok(62));
        assert_eq!(signal_from_string("SIGRTMIN+30"), Ok(64));
        assert_eq!(signal_from_string("SIGRTMAX-30"), Ok(34));
        assert_eq!(signal_from_string("RTMIN+0x2"), Ok(36));
        for s in ["SIGRTMIN+31", "SIGRTMAX-31", "RTMIN+ 3", "RTMIN3", "RTMAX+1", "RTMIN-1"] {
            assert!(signal_from_string(s).is_err(), "{s}");
        }
    }

    #[test]
    fn refused() {
        for s in ["", "sigterm", "term", "SIGIOT", "SIGPOLL", "SIGSIGTERM", "SIG", "SIGTERM "] {
            assert_eq!(signal_from_string(s), Err(ValueError::Signal(s.to_string())), "{s:?}");
        }
    }

    #[test]
    fn printing() {
        assert_eq!(name_of(15), "SIGTERM");
        assert_eq!(name_of(9), "SIGKILL");
        assert_eq!(name_of(34), "SIGRTMIN+0");
        assert_eq!(name_of(62), "SIGRTMIN+28");
        assert_eq!(name_of(32), "SIG32");
        assert_eq!(signal_to_string(37), "RTMIN+3");
        // 32 and 33 print as SIG32/SIG33, which systemd cannot read back.
        for n in (1..NSIG).filter(|n| !(32..=33).contains(n)) {
            assert_eq!(signal_from_string(&name_of(n)), Ok(n), "round trip {n}");
        }
        assert!(signal_from_string("SIG32").is_err());
    }
}
