//! The exit-code convention of `systemd.exec(5)`, "PROCESS EXIT CODES".
//!
//! A setup step that fails in the child makes it `_exit()` with the code
//! systemd uses for that step (200 `CHDIR` … 245), so that `systemctl
//! status` can print `status=203/EXEC` exactly as systemd does. The table
//! also names the libc, LSB and BSD codes, each with its class, because the
//! manager shows names only for some classes.
//!
//! The table was checked against `systemd-analyze exit-status` of systemd
//! 252 (the man page of that release lists `BPF` as 245; the binary says
//! 244, and the binary wins). The differential test in this crate keeps it
//! that way.

/// Which standard defines an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

pub const EXIT_FAILURE: u8 = 1;
pub const EXIT_CHDIR: u8 = 200;
pub const EXIT_NICE: u8 = 201;
pub const EXIT_FDS: u8 = 202;
pub const EXIT_EXEC: u8 = 203;
pub const EXIT_MEMORY: u8 = 204;
pub const EXIT_LIMITS: u8 = 205;
pub const EXIT_OOM_ADJUST: u8 = 206;
pub const EXIT_SIGNAL_MASK: u8 = 207;
pub const EXIT_STDIN: u8 = 208;
pub const EXIT_STDOUT: u8 = 209;
pub const EXIT_CHROOT: u8 = 210;
pub const EXIT_SECUREBITS: u8 = 213;
pub const EXIT_GROUP: u8 = 216;
pub const EXIT_USER: u8 = 217;
pub const EXIT_CAPABILITIES: u8 = 218;
pub const EXIT_CGROUP: u8 = 219;
pub const EXIT_SETSID: u8 = 220;
pub const EXIT_STDERR: u8 = 222;
pub const EXIT_NETWORK: u8 = 225;
pub const EXIT_NAMESPACE: u8 = 226;
pub const EXIT_NO_NEW_PRIVILEGES: u8 = 227;

/// Every named exit code: (code, name, class).
pub const EXIT_CODES: &[(u8, &str, ExitClass)] = &[
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

/// Name and class of an exit code, e.g. `203 → ("EXEC", Systemd)`.
pub fn exit_code_name(code: i32) -> Option<(&'static str, ExitClass)> {
    EXIT_CODES
        .iter()
        .find(|(c, _, _)| i32::from(*c) == code)
        .map(|(_, n, k)| (*n, *k))
}
