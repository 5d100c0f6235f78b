//! The exit-code convention of `systemd.exec(5)`, "PROCESS EXIT CODES".
//!
//! A setup step that fails in the child makes it `_exit()` with the code
//! systemd uses for that step (200 `CHDIR` … 245), so that `systemctl
//! status` can print `status=203/EXEC` exactly as systemd does. The table
//! also names the libc, LSB and BSD codes, each with its class, because the
//! manager shows names only for some classes.
//!
//! The names themselves live in ONE table, `unit::value::exit_status`
//! (the lowest crate: the unit parser needs them for
//! `SuccessExitStatus=`, the engine for "status=203/EXEC" messages, this
//! crate for its setup-step codes); it is re-exported here as
//! [`EXIT_CODES`]. The differential test in this crate checks it against
//! `systemd-analyze exit-status` of systemd 252.

pub use unit::value::exit_status::{ExitClass, EXIT_STATUSES as EXIT_CODES};

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
pub const EXIT_RUNTIME_DIRECTORY: u8 = 233;
pub const EXIT_STATE_DIRECTORY: u8 = 238;
pub const EXIT_CACHE_DIRECTORY: u8 = 239;
pub const EXIT_LOGS_DIRECTORY: u8 = 240;
pub const EXIT_CONFIGURATION_DIRECTORY: u8 = 241;

/// Name and class of an exit code, e.g. `203 → ("EXEC", Systemd)`.
pub fn exit_code_name(code: i32) -> Option<(&'static str, ExitClass)> {
    unit::value::exit_status::exit_status_entry(code).map(|&(_, n, k)| (n, k))
}
