//! `ForwardToSyslog=`: every stored entry is also sent, as a classic
//! syslog datagram, to `/run/systemd/journal/syslog` — the socket
//! `syslog.socket` listens on and hands to the syslog daemon (rsyslog's
//! imuxsock picks it up when `/run/systemd/system` exists). This is how
//! `logger` text and service output reach `/var/log/syslog` on a Debian
//! machine (`journald.conf(5)`, "ForwardToSyslog="; Debian's default is
//! yes, as its shipped `journald.conf` documents).
//!
//! A send either goes out or is dropped. Nobody listening (no syslog
//! daemon, `ENOENT`/`ECONNREFUSED`) and a full receive queue (`EAGAIN`)
//! drop the datagram silently, as journald does: the journal itself
//! already holds the entry, and the journal never blocks on a slow syslog
//! daemon. Two things keep the per-entry cost small (it is paid for every
//! line a service writes): the timestamp is formatted once per second,
//! and after "nobody listening" the next second's entries are dropped
//! without a try — a syslog daemon that starts listening misses at most
//! that second.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

pub struct SyslogForward {
    sock: UnixDatagram,
    path: PathBuf,
    /// `time(2)` second and its RFC 3164 timestamp.
    stamp: (libc::time_t, String),
    /// Until this `time(2)` second nobody listens (see the module docs).
    absent_until: libc::time_t,
    buf: Vec<u8>,
}

impl SyslogForward {
    /// A forwarder to `path`; `None` if no socket could be made.
    pub fn new(path: PathBuf) -> Option<SyslogForward> {
        let sock = UnixDatagram::unbound().ok()?;
        sock.set_nonblocking(true).ok()?;
        Some(SyslogForward {
            sock,
            path,
            stamp: (libc::time_t::MIN, String::new()),
            absent_until: libc::time_t::MIN,
            buf: Vec::new(),
        })
    }

    /// Sends `<PRI>Mmm dd hh:mm:ss IDENT[PID]: MESSAGE`, the format
    /// journald's `server_forward_syslog()` writes. `priority` carries
    /// the facility.
    pub fn send(&mut self, priority: i32, identifier: Option<&[u8]>, pid: Option<i32>, message: &[u8]) {
        use std::io::Write;
        // SAFETY: time(2) with a null pointer.
        let now = unsafe { libc::time(std::ptr::null_mut()) };
        if now < self.absent_until {
            return;
        }
        if self.stamp.0 != now {
            self.stamp = (now, timestamp(now));
        }
        let d = &mut self.buf;
        d.clear();
        let _ = write!(d, "<{priority}>{} ", self.stamp.1);
        if let Some(ident) = identifier {
            d.extend_from_slice(ident);
            if let Some(pid) = pid {
                let _ = write!(d, "[{pid}]");
            }
            d.extend_from_slice(b": ");
        }
        d.extend_from_slice(message);
        if let Err(e) = self.sock.send_to(d, &self.path) {
            if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused) {
                self.absent_until = now + 1;
            }
        }
    }
}

/// The local time as RFC 3164 wants it: `Nov  5 18:02:03`.
fn timestamp(t: libc::time_t) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    // SAFETY: time(2) with a null pointer and localtime_r(3) into a
    // zeroed struct we own.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm
    };
    let month = MONTHS.get(tm.tm_mon as usize).copied().unwrap_or("Jan");
    format!("{month} {:>2} {:02}:{:02}:{:02}", tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagram_has_syslog_format() {
        let dir = std::env::temp_dir().join(format!("vigil-fwd-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("syslog");
        let rx = UnixDatagram::bind(&path).unwrap();
        let mut f = SyslogForward::new(path).unwrap();
        f.send(13, Some(b"tester"), Some(42), b"hello there");
        let mut buf = [0u8; 256];
        let n = rx.recv(&mut buf).unwrap();
        let s = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(s.starts_with("<13>"), "{s}");
        assert!(s.ends_with(" tester[42]: hello there"), "{s}");
        // "<13>Mmm dd hh:mm:ss " is 4 + 16 bytes.
        assert_eq!(&s[19..20], " ", "{s}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_listener_that_appears_later_gets_messages_again() {
        let dir = std::env::temp_dir().join(format!("vigil-fwd2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("syslog");
        let mut f = SyslogForward::new(path.clone()).unwrap();
        f.send(13, None, None, b"nobody hears this");
        assert!(f.absent_until > libc::time_t::MIN, "a failed send pauses forwarding");
        let rx = UnixDatagram::bind(&path).unwrap();
        rx.set_nonblocking(true).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut buf = [0u8; 256];
        let got = loop {
            f.send(13, None, None, b"heard");
            if let Ok(n) = rx.recv(&mut buf) {
                break String::from_utf8_lossy(&buf[..n]).to_string();
            }
            assert!(std::time::Instant::now() < deadline, "forwarding never resumed");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert!(got.ends_with("heard"), "{got}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
