//! The manager's own log threshold and how its lines are written.
//!
//! systemd's manager drops messages above its maximum level before they
//! reach the console or the journal (`systemd(1)`, `LogLevel=`, default
//! `info`). vigil does the same, so a debug message — "Main process
//! exited, code=exited, status=0/SUCCESS", which systemd 252 logs at
//! `LOG_DEBUG` for every clean exit, once per `Accept=yes` connection — is
//! not written anywhere unless asked for. The level comes from
//! `$SYSTEMD_LOG_LEVEL` (a name or a number, as `log_level_from_string()`
//! reads it), read once at start; `LogLevel=` in system.conf and
//! `systemd.log_level=` on the kernel command line are not read yet.
//!
//! [`console_line`] writes one line with one `write(2)`: `eprintln!` on
//! the unbuffered stderr issues a write per formatted piece (four for
//! "unit: message\n").

use std::io::Write;
use std::sync::OnceLock;

/// The highest syslog priority number the manager writes (6 = info).
pub fn max_level() -> u8 {
    static LEVEL: OnceLock<u8> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        std::env::var("SYSTEMD_LOG_LEVEL")
            .ok()
            .and_then(|v| unit::value::syslog::parse_syslog_level(v.trim()).ok())
            .unwrap_or(6)
    })
}

/// Whether a message of syslog priority `priority` is written.
pub fn enabled(priority: u8) -> bool {
    priority <= max_level()
}

/// One line on the manager's console (stderr), in one write.
pub fn console_line(parts: &[&str]) {
    let mut line = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 1);
    for p in parts {
        line.push_str(p);
    }
    line.push('\n');
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
