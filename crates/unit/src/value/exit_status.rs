//! Exit statuses and their names (`systemd.exec(5)`, "PROCESS EXIT CODES";
//! `systemd.service(5)`, "SuccessExitStatus=").
//!
//! `SuccessExitStatus=`, `RestartPreventExitStatus=` and
//! `RestartForceExitStatus=` take a list of words, each either an exit
//! status or a signal. systemd 252 tries the exit status first — a number
//! 0…255 or one of the symbolic names below — and only then a signal name
//! or number, so `15` is exit status 15, never SIGTERM.
//!
//! The names are systemd's own table (what `systemd-analyze exit-status`
//! lists), *without* the `EXIT_`/`EX_` prefix the man page shows, and
//! case-sensitive. Where the man page and the binary disagree the binary
//! wins: the AppArmor code is named `APPARMOR` (not `APPARMOR_PROFILE`),
//! NUMA is `NUMA_POLICY`, and `BPF` is 244 (the man page says 245). Codes
//! 0…7 come from libc and LSB, 64…78 from BSD's `sysexits.h`, 200 and up
//! are systemd's.
//!
//! This is the workspace's ONE exit-status table: the exec crate
//! re-exports it (its setup steps exit with these codes) and the engine
//! names statuses with it ("status=203/EXEC").
//!
//! Main type: [`ExitStatusSet`].

use super::error::ValueError;
use super::number::safe_atou8;
use super::signal::{signal_from_string, NSIG};
use super::words::{ExtractFlags, Words, WHITESPACE};

/// Who defined an exit code (the CLASS column of
/// `systemd-analyze exit-status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitClass {
    Libc,
    Lsb,
    Bsd,
    Systemd,
}

impl ExitClass {
    /// The class as `systemd-analyze exit-status` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitClass::Libc => "libc",
            ExitClass::Lsb => "LSB",
            ExitClass::Bsd => "BSD",
            ExitClass::Systemd => "systemd",
        }
    }
}

/// `(code, name, class)` in code order.
pub const EXIT_STATUSES: &[(u8, &str, ExitClass)] = &[
    (0, "SUCCESS", ExitClass::Libc),
    (1, "FAILURE", ExitClass::Libc),
    (2, "INVALIDARGUMENT", ExitClass::Lsb),
    (3, "NOTIMPLEMENTED", ExitClass::Lsb),
    (4, "NOPERMISSION", ExitClass::Lsb),
    (5, "NOTINSTALLED", ExitClass::Lsb),
    (6, "NOTCONFIGURED", ExitClass::Lsb),
    (7, "NOTRUNNING", ExitClass::Lsb),
    (64, "USAGE", ExitClass::Bsd),
    (65, "DATAERR", ExitClass::Bsd),
    (66, "NOINPUT", ExitClass::Bsd),
    (67, "NOUSER", ExitClass::Bsd),
    (68, "NOHOST", ExitClass::Bsd),
    (69, "UNAVAILABLE", ExitClass::Bsd),
    (70, "SOFTWARE", ExitClass::Bsd),
    (71, "OSERR", ExitClass::Bsd),
    (72, "OSFILE", ExitClass::Bsd),
    (73, "CANTCREAT", ExitClass::Bsd),
    (74, "IOERR", ExitClass::Bsd),
    (75, "TEMPFAIL", ExitClass::Bsd),
    (76, "PROTOCOL", ExitClass::Bsd),
    (77, "NOPERM", ExitClass::Bsd),
    (78, "CONFIG", ExitClass::Bsd),
    (200, "CHDIR", ExitClass::Systemd),
    (201, "NICE", ExitClass::Systemd),
    (202, "FDS", ExitClass::Systemd),
    (203, "EXEC", ExitClass::Systemd),
    (204, "MEMORY", ExitClass::Systemd),
    (205, "LIMITS", ExitClass::Systemd),
    (206, "OOM_ADJUST", ExitClass::Systemd),
    (207, "SIGNAL_MASK", ExitClass::Systemd),
    (208, "STDIN", ExitClass::Systemd),
    (209, "STDOUT", ExitClass::Systemd),
    (210, "CHROOT", ExitClass::Systemd),
    (211, "IOPRIO", ExitClass::Systemd),
    (212, "TIMERSLACK", ExitClass::Systemd),
    (213, "SECUREBITS", ExitClass::Systemd),
    (214, "SETSCHEDULER", ExitClass::Systemd),
    (215, "CPUAFFINITY", ExitClass::Systemd),
    (216, "GROUP", ExitClass::Systemd),
    (217, "USER", ExitClass::Systemd),
    (218, "CAPABILITIES", ExitClass::Systemd),
    (219, "CGROUP", ExitClass::Systemd),
    (220, "SETSID", ExitClass::Systemd),
    (221, "CONFIRM", ExitClass::Systemd),
    (222, "STDERR", ExitClass::Systemd),
    (224, "PAM", ExitClass::Systemd),
    (225, "NETWORK", ExitClass::Systemd),
    (226, "NAMESPACE", ExitClass::Systemd),
    (227, "NO_NEW_PRIVILEGES", ExitClass::Systemd),
    (228, "SECCOMP", ExitClass::Systemd),
    (229, "SELINUX_CONTEXT", ExitClass::Systemd),
    (230, "PERSONALITY", ExitClass::Systemd),
    (231, "APPARMOR", ExitClass::Systemd),
    (232, "ADDRESS_FAMILIES", ExitClass::Systemd),
    (233, "RUNTIME_DIRECTORY", ExitClass::Systemd),
    (235, "CHOWN", ExitClass::Systemd),
    (236, "SMACK_PROCESS_LABEL", ExitClass::Systemd),
    (237, "KEYRING", ExitClass::Systemd),
    (238, "STATE_DIRECTORY", ExitClass::Systemd),
    (239, "CACHE_DIRECTORY", ExitClass::Systemd),
    (240, "LOGS_DIRECTORY", ExitClass::Systemd),
    (241, "CONFIGURATION_DIRECTORY", ExitClass::Systemd),
    (242, "NUMA_POLICY", ExitClass::Systemd),
    (243, "CREDENTIALS", ExitClass::Systemd),
    (244, "BPF", ExitClass::Systemd),
    (255, "EXCEPTION", ExitClass::Systemd),
];

/// `exit_status_from_string()`: a symbolic name, else a number 0…255
/// (C base prefixes apply).
pub fn exit_status_from_string(s: &str) -> Result<u8, ValueError> {
    if let Some(&(code, _, _)) = EXIT_STATUSES.iter().find(|(_, n, _)| *n == s) {
        return Ok(code);
    }
    safe_atou8(s).map_err(|_| ValueError::ExitStatus(s.to_string()))
}

fn entry(code: u8) -> Option<&'static (u8, &'static str, ExitClass)> {
    EXIT_STATUSES.iter().find(|(c, _, _)| *c == code)
}

/// The table row of `code` (any class), `None` outside 0…255 or unnamed.
pub fn exit_status_entry(code: i32) -> Option<&'static (u8, &'static str, ExitClass)> {
    entry(u8::try_from(code).ok()?)
}

/// The symbolic name of `code` in any class (`USAGE` for 64), as
/// `systemd-analyze exit-status` shows it.
pub fn exit_status_name(code: u8) -> Option<&'static str> {
    entry(code).map(|e| e.1)
}

/// The name `systemctl status` appends to a status (`203/EXEC`): only the
/// libc and systemd classes are named there, so 2 or 64 stay bare.
pub fn name_of(code: i32) -> Option<&'static str> {
    let code = u8::try_from(code).ok()?;
    entry(code).filter(|e| matches!(e.2, ExitClass::Libc | ExitClass::Systemd)).map(|e| e.1)
}

/// `203/EXEC`, `0/SUCCESS`, or just `2` — the part after `status=` in
/// `systemctl status` output.
pub fn format_exit_status(code: i32) -> String {
    match name_of(code) {
        Some(name) => format!("{code}/{name}"),
        None => code.to_string(),
    }
}

/// A set of exit statuses (0…255) and signals (1…64).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ExitStatusSet {
    status: [u64; 4],
    signals: u64,
}

impl ExitStatusSet {
    pub fn new() -> ExitStatusSet {
        ExitStatusSet::default()
    }

    pub fn is_empty(&self) -> bool {
        self.status == [0; 4] && self.signals == 0
    }

    pub fn add_status(&mut self, code: u8) {
        self.status[usize::from(code / 64)] |= 1 << (code % 64);
    }

    /// Signals outside 1…64 are ignored.
    pub fn add_signal(&mut self, signo: i32) {
        if (1..NSIG).contains(&signo) {
            self.signals |= 1 << (signo - 1);
        }
    }

    pub fn contains_status(&self, code: i32) -> bool {
        u8::try_from(code).is_ok_and(|c| self.status[usize::from(c / 64)] & (1 << (c % 64)) != 0)
    }

    pub fn contains_signal(&self, signo: i32) -> bool {
        (1..NSIG).contains(&signo) && self.signals & (1 << (signo - 1)) != 0
    }

    /// Statuses in ascending order.
    pub fn statuses(&self) -> impl Iterator<Item = u8> + '_ {
        (0..=255u8).filter(|&c| self.contains_status(i32::from(c)))
    }

    /// Signals in ascending order.
    pub fn signals(&self) -> impl Iterator<Item = i32> + '_ {
        (1..NSIG).filter(|&s| self.contains_signal(s))
    }

    /// Everything in `other` added to `self` (several assignments add up).
    pub fn merge(&mut self, other: &ExitStatusSet) {
        for (a, b) in self.status.iter_mut().zip(other.status) {
            *a |= b;
        }
        self.signals |= other.signals;
    }
}

/// `config_parse_set_status()`: words are split without quote handling;
/// a word that is neither an exit status nor a signal is reported in
/// `warnings` and skipped, as systemd does ("Failed to parse value,
/// ignoring"). Only a syntax error in the splitting itself is an error.
pub fn parse_exit_status_set(s: &str, warnings: &mut Vec<ValueError>) -> Result<ExitStatusSet, ValueError> {
    let mut set = ExitStatusSet::new();
    let mut words = Words::new(s, WHITESPACE, ExtractFlags::NONE);
    while let Some(word) = words.next_word()? {
        if let Ok(code) = exit_status_from_string(&word) {
            set.add_status(code);
        } else if let Ok(sig) = signal_from_string(&word) {
            set.add_signal(sig);
        } else {
            warnings.push(ValueError::ExitStatus(word));
        }
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(exit_status_from_string("EXEC"), Ok(203));
        assert_eq!(exit_status_from_string("SUCCESS"), Ok(0));
        assert_eq!(exit_status_from_string("NOTRUNNING"), Ok(7));
        assert_eq!(exit_status_from_string("USAGE"), Ok(64));
        assert_eq!(exit_status_from_string("BPF"), Ok(244));
        assert_eq!(exit_status_from_string("EXCEPTION"), Ok(255));
        assert_eq!(exit_status_from_string("255"), Ok(255));
        assert_eq!(exit_status_from_string("0x10"), Ok(16));
        assert_eq!(exit_status_from_string("010"), Ok(8));
        for s in ["256", "-1", "exec", "EXIT_EXEC", "NUMA", "APPARMOR_PROFILE", "", "1.0"] {
            assert!(exit_status_from_string(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn printing() {
        assert_eq!(format_exit_status(203), "203/EXEC");
        assert_eq!(format_exit_status(0), "0/SUCCESS");
        assert_eq!(format_exit_status(1), "1/FAILURE");
        assert_eq!(format_exit_status(2), "2", "LSB codes are not named by systemctl");
        assert_eq!(format_exit_status(64), "64");
        assert_eq!(format_exit_status(300), "300");
        assert_eq!(exit_status_name(64), Some("USAGE"));
        assert_eq!(exit_status_name(223), None);
    }

    #[test]
    fn sets_with_signals() {
        let mut w = Vec::new();
        let set = parse_exit_status_set("0 75 SIGTERM  EXEC KILL 15 SIGRTMIN+1", &mut w).unwrap();
        assert!(w.is_empty());
        assert_eq!(set.statuses().collect::<Vec<_>>(), [0, 15, 75, 203]);
        assert_eq!(set.signals().collect::<Vec<_>>(), [9, 15, 35]);
        assert!(set.contains_status(15), "numbers are statuses first");
        assert!(!set.contains_status(-1));
    }

    #[test]
    fn bad_words_are_warnings() {
        let mut w = Vec::new();
        let set = parse_exit_status_set("1 bogus 300 2", &mut w).unwrap();
        assert_eq!(set.statuses().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(w, [ValueError::ExitStatus("bogus".into()), ValueError::ExitStatus("300".into())]);
    }

    #[test]
    fn quotes_are_not_special() {
        let mut w = Vec::new();
        let set = parse_exit_status_set("\"1 2\"", &mut w).unwrap();
        assert!(set.is_empty());
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn merge_adds_up() {
        let mut w = Vec::new();
        let mut a = parse_exit_status_set("1 SIGHUP", &mut w).unwrap();
        a.merge(&parse_exit_status_set("2 SIGINT", &mut w).unwrap());
        assert_eq!(a.statuses().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(a.signals().collect::<Vec<_>>(), [1, 2]);
    }
}
