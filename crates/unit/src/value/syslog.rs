//! `SyslogFacility=` and `SyslogLevel=`/`LogLevelMax=` (`systemd.exec(5)`,
//! "LOGGING AND STANDARD INPUT/OUTPUT").
//!
//! Both take the syslog(3) names, case-sensitive, or a number: systemd's
//! string tables fall back to `safe_atou()` with an upper bound (127 for
//! facilities — any value that fits the facility bits, named or not — and
//! 7 for levels).

use super::error::ValueError;
use super::number::safe_atou32;

/// Facility names by (unshifted) number; 12…15 have no name.
pub const FACILITIES: [(&str, u8); 20] = [
    ("kern", 0),
    ("user", 1),
    ("mail", 2),
    ("daemon", 3),
    ("auth", 4),
    ("syslog", 5),
    ("lpr", 6),
    ("news", 7),
    ("uucp", 8),
    ("cron", 9),
    ("authpriv", 10),
    ("ftp", 11),
    ("local0", 16),
    ("local1", 17),
    ("local2", 18),
    ("local3", 19),
    ("local4", 20),
    ("local5", 21),
    ("local6", 22),
    ("local7", 23),
];

/// Level names by number.
pub const LEVELS: [&str; 8] = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

/// `log_facility_unshifted_from_string()`: the facility number (not
/// shifted by 3).
pub fn parse_syslog_facility(s: &str) -> Result<u8, ValueError> {
    if let Some(&(_, n)) = FACILITIES.iter().find(|(name, _)| *name == s) {
        return Ok(n);
    }
    match safe_atou32(s) {
        Ok(n) if n <= 127 => Ok(n as u8),
        _ => Err(ValueError::SyslogFacility(s.to_string())),
    }
}

/// `log_level_from_string()`: 0 (`emerg`) … 7 (`debug`).
pub fn parse_syslog_level(s: &str) -> Result<u8, ValueError> {
    if let Some(n) = LEVELS.iter().position(|&l| l == s) {
        return Ok(n as u8);
    }
    match safe_atou32(s) {
        Ok(n) if n <= 7 => Ok(n as u8),
        _ => Err(ValueError::SyslogLevel(s.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facilities() {
        assert_eq!(parse_syslog_facility("daemon"), Ok(3));
        assert_eq!(parse_syslog_facility("local7"), Ok(23));
        assert_eq!(parse_syslog_facility("authpriv"), Ok(10));
        assert_eq!(parse_syslog_facility("13"), Ok(13));
        assert_eq!(parse_syslog_facility("127"), Ok(127));
        for s in ["128", "Daemon", "local8", "", "-1", "security"] {
            assert!(parse_syslog_facility(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn levels() {
        assert_eq!(parse_syslog_level("emerg"), Ok(0));
        assert_eq!(parse_syslog_level("warning"), Ok(4));
        assert_eq!(parse_syslog_level("debug"), Ok(7));
        assert_eq!(parse_syslog_level("6"), Ok(6));
        for s in ["8", "warn", "error", "INFO", "", "panic"] {
            assert!(parse_syslog_level(s).is_err(), "{s:?}");
        }
    }
}
