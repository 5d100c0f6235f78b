//! The `sd_notify(3)` wire format: what services tell us on
//! `$NOTIFY_SOCKET`.
//!
//! A datagram is newline-separated `KEY=VALUE` assignments, several per
//! datagram, at most [`NOTIFY_BUFFER_MAX`] bytes (systemd reads 4 KiB and
//! drops longer messages as truncated). Keys we act on are parsed into a
//! [`Notify`]; a value that does not parse is reported (with the key) and
//! skipped, the rest of the datagram still counts — systemd logs "Failed to
//! parse MAINPID= field in notification message, ignoring" and carries on.
//! Unknown keys are kept for `status` display (`X_…` keys are a documented
//! extension point) and otherwise ignored.
//!
//! Who sent it is not in the payload: the daemon takes the sender's pid
//! from `SCM_CREDENTIALS` and checks `NotifyAccess=` before using any of it.

/// Largest datagram accepted, as systemd's `NOTIFY_BUFFER_MAX` (PIPE_BUF).
pub const NOTIFY_BUFFER_MAX: usize = 4096;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notify {
    pub ready: bool,
    pub reloading: bool,
    pub stopping: bool,
    pub status: Option<String>,
    pub errno: Option<i32>,
    pub main_pid: Option<u32>,
    /// `WATCHDOG=1`: a keep-alive ping.
    pub watchdog_ping: bool,
    /// `WATCHDOG=trigger`: the service asks to be treated as hung.
    pub watchdog_trigger: bool,
    pub watchdog_usec: Option<u64>,
    pub extend_timeout_usec: Option<u64>,
    pub fdstore: bool,
    pub fdstore_remove: bool,
    pub fdname: Option<String>,
    pub barrier: bool,
    /// Lines we do not interpret, kept verbatim.
    pub other: Vec<String>,
    /// Problems with individual fields: `(line, reason)`.
    pub invalid: Vec<(String, &'static str)>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum NotifyError {
    TooLong(usize),
    NotUtf8,
    Empty,
}

impl std::fmt::Display for NotifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotifyError::TooLong(n) => write!(f, "notification message of {n} bytes is too long"),
            NotifyError::NotUtf8 => f.write_str("notification message is not valid UTF-8"),
            NotifyError::Empty => f.write_str("empty notification message"),
        }
    }
}

pub fn parse(datagram: &[u8]) -> Result<Notify, NotifyError> {
    if datagram.len() > NOTIFY_BUFFER_MAX {
        return Err(NotifyError::TooLong(datagram.len()));
    }
    let text = std::str::from_utf8(datagram).map_err(|_| NotifyError::NotUtf8)?;
    if text.trim().is_empty() {
        return Err(NotifyError::Empty);
    }
    let mut n = Notify::default();
    for line in text.split('\n').filter(|l| !l.is_empty()) {
        let Some((key, value)) = line.split_once('=') else {
            n.invalid.push((line.to_string(), "not an assignment"));
            continue;
        };
        let mut bad = |why: &'static str| n.invalid.push((line.to_string(), why));
        match key {
            "READY" => match value {
                "1" => n.ready = true,
                _ => bad("READY= only accepts 1"),
            },
            "RELOADING" => match value {
                "1" => n.reloading = true,
                _ => bad("RELOADING= only accepts 1"),
            },
            "STOPPING" => match value {
                "1" => n.stopping = true,
                _ => bad("STOPPING= only accepts 1"),
            },
            "STATUS" => n.status = Some(value.to_string()),
            "ERRNO" => match value.parse::<i32>() {
                Ok(e) if e >= 0 => n.errno = Some(e),
                _ => bad("ERRNO= is not a non-negative integer"),
            },
            "MAINPID" => match value.parse::<u32>() {
                Ok(p) if p > 1 => n.main_pid = Some(p),
                _ => bad("MAINPID= is not a valid process id"),
            },
            "WATCHDOG" => match value {
                "1" => n.watchdog_ping = true,
                "trigger" => n.watchdog_trigger = true,
                _ => bad("WATCHDOG= accepts 1 or trigger"),
            },
            "WATCHDOG_USEC" => match value.parse::<u64>() {
                Ok(u) => n.watchdog_usec = Some(u),
                Err(_) => bad("WATCHDOG_USEC= is not a number"),
            },
            "EXTEND_TIMEOUT_USEC" => match value.parse::<u64>() {
                Ok(u) => n.extend_timeout_usec = Some(u),
                Err(_) => bad("EXTEND_TIMEOUT_USEC= is not a number"),
            },
            "FDSTORE" => match value {
                "1" => n.fdstore = true,
                _ => bad("FDSTORE= only accepts 1"),
            },
            "FDSTOREREMOVE" => match value {
                "1" => n.fdstore_remove = true,
                _ => bad("FDSTOREREMOVE= only accepts 1"),
            },
            "FDNAME" => n.fdname = Some(value.to_string()),
            "BARRIER" => match value {
                "1" => n.barrier = true,
                _ => bad("BARRIER= only accepts 1"),
            },
            _ => n.other.push(line.to_string()),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_assignments_per_datagram() {
        let n = parse(b"READY=1\nSTATUS=Serving 3 clients\nMAINPID=4242\n").unwrap();
        assert!(n.ready);
        assert_eq!(n.status.as_deref(), Some("Serving 3 clients"));
        assert_eq!(n.main_pid, Some(4242));
        assert!(n.invalid.is_empty() && n.other.is_empty());
    }

    #[test]
    fn bad_fields_are_reported_and_the_rest_still_counts() {
        let n = parse(b"MAINPID=abc\nREADY=1\nWATCHDOG=2\nX_CUSTOM=7\nnonsense").unwrap();
        assert!(n.ready);
        assert_eq!(n.main_pid, None);
        assert_eq!(n.other, vec!["X_CUSTOM=7".to_string()]);
        let keys: Vec<&str> = n.invalid.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(keys, vec!["MAINPID=abc", "WATCHDOG=2", "nonsense"]);
    }

    #[test]
    fn watchdog_and_timeouts() {
        let n = parse(b"WATCHDOG=1\nWATCHDOG_USEC=5000000\nEXTEND_TIMEOUT_USEC=20000000\nERRNO=2").unwrap();
        assert!(n.watchdog_ping && !n.watchdog_trigger);
        assert_eq!((n.watchdog_usec, n.extend_timeout_usec, n.errno), (Some(5_000_000), Some(20_000_000), Some(2)));
        assert!(parse(b"WATCHDOG=trigger").unwrap().watchdog_trigger);
        assert_eq!(parse(b"MAINPID=1").unwrap().main_pid, None, "PID 1 is never a service's main pid");
    }

    #[test]
    fn whole_datagram_errors() {
        assert_eq!(parse(&[b'A'; NOTIFY_BUFFER_MAX + 1]), Err(NotifyError::TooLong(NOTIFY_BUFFER_MAX + 1)));
        assert_eq!(parse(b"READY=1\n\xff"), Err(NotifyError::NotUtf8));
        assert_eq!(parse(b"\n\n"), Err(NotifyError::Empty));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..600 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 7;
                    x ^= x >> 9;
                    // Bias towards the interesting characters.
                    match x % 6 {
                        0 => b'\n',
                        1 => b'=',
                        2 => b'1',
                        _ => x as u8,
                    }
                })
                .collect();
            let _ = parse(&bytes);
        }
    }
}
