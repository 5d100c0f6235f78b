//! Syslog datagrams on `dev-log`, parsed exactly as journald 252 does.
//!
//! journald is deliberately lenient (`systemd-journald.service(8)`): it
//! reads the BSD syslog shape of RFC 3164,
//! `<PRI>Mmm dd hh:mm:ss ident[pid]: message`, piece by piece, and whatever
//! piece is missing is simply not stored:
//!
//! 1. Surrounding whitespace is stripped from the datagram.
//! 2. `<PRI>`: one to three digits, facility × 8 + level
//!    (default `user.info`, 14). `PRIORITY=` gets the level,
//!    `SYSLOG_FACILITY=` the facility when it is not 0 (`kern`).
//! 3. The RFC 3164 timestamp `Mmm dd hh:mm:ss ` (space or digit in the
//!    padded places) — stored verbatim, *including its trailing blank*, as
//!    `SYSLOG_TIMESTAMP=`.
//! 4. The identifier: the first word if it ends in `:`, split into
//!    `SYSLOG_IDENTIFIER=` and, from a trailing `[…]`, `SYSLOG_PID=`. One
//!    blank after the colon is the separator; further blanks belong to the
//!    message.
//! 5. The rest is `MESSAGE=`.
//!
//! `SYSLOG_RAW=` keeps the datagram as received whenever something was
//! stripped, the timestamp was missing, or the datagram contains NUL
//! bytes — so nothing the sender wrote is lost.
//!
//! RFC 5424 (`<PRI>1 2003-10-11T22:14:15.003Z host app procid msgid [sd] msg`)
//! gets no special treatment in journald 252: there is no 3164 timestamp
//! and the first word does not end in `:`, so everything after `<PRI>` is
//! the message and the raw datagram is kept. We do the same, so that logs
//! read the same under the real journald and under vigil (checked
//! against the real systemd-journald 252).

use std::borrow::Cow;

use super::dispatch::{level_value, Field};

/// The fields of one syslog datagram, ready for the trusted fields to be added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyslogMessage {
    /// Priority including the facility.
    pub priority: i32,
    pub identifier: Option<Vec<u8>>,
    pub pid: Option<Vec<u8>>,
    pub timestamp: Option<Vec<u8>>,
    pub message: Vec<u8>,
    pub raw: Option<Vec<u8>>,
}

impl SyslogMessage {
    /// The entry fields in journald's order (before trusted fields),
    /// borrowing the message's parts.
    pub fn fields(&self) -> Vec<Field<'_>> {
        let mut f: Vec<Field> = vec![
            ("_TRANSPORT", Cow::Borrowed(b"syslog")),
            ("PRIORITY", level_value(self.priority)),
        ];
        if self.priority >> 3 != 0 {
            f.push((
                "SYSLOG_FACILITY",
                Cow::Owned((self.priority >> 3).to_string().into_bytes()),
            ));
        }
        if let Some(i) = &self.identifier {
            f.push(("SYSLOG_IDENTIFIER", Cow::Borrowed(i)));
        }
        if let Some(p) = &self.pid {
            f.push(("SYSLOG_PID", Cow::Borrowed(p)));
        }
        if let Some(t) = &self.timestamp {
            f.push(("SYSLOG_TIMESTAMP", Cow::Borrowed(t)));
        }
        f.push(("MESSAGE", Cow::Borrowed(&self.message)));
        if let Some(r) = &self.raw {
            f.push(("SYSLOG_RAW", Cow::Borrowed(r)));
        }
        f
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Parses one datagram (see the module docs).
pub fn parse(raw: &[u8]) -> SyslogMessage {
    // journald strips blanks around the whole datagram, then works on a
    // C string: a NUL ends the text (the raw field keeps the rest).
    let end = raw.iter().rposition(|&b| !is_ws(b)).map_or(0, |e| e + 1);
    let lead = raw[..end].iter().position(|&b| !is_ws(b)).unwrap_or(end);
    let stripped = &raw[lead..end];
    let nul = stripped.iter().position(|&b| b == 0);
    let mut msg = &stripped[..nul.unwrap_or(stripped.len())];
    let mut store_raw = lead != 0 || end != raw.len() || nul.is_some();

    let mut priority = (1 << 3) | 6;
    if let Some((digits, len)) = crate::journald::stream::syslog_pri_digits(msg) {
        priority = digits.iter().fold(0i32, |acc, d| acc * 10 + i32::from(*d));
        msg = &msg[len..];
    }

    let ts_len = timestamp_len(msg);
    let timestamp = (ts_len > 0).then(|| msg[..ts_len].to_vec());
    if ts_len == 0 {
        store_raw = true;
    }
    msg = &msg[ts_len..];

    let (identifier, pid, consumed) = parse_identifier(msg);
    msg = &msg[consumed..];

    SyslogMessage {
        priority,
        identifier,
        pid,
        timestamp,
        message: msg.to_vec(),
        raw: store_raw.then(|| raw.to_vec()),
    }
}

/// Length of an RFC 3164 timestamp with its trailing blank, or 0.
fn timestamp_len(b: &[u8]) -> usize {
    #[derive(Clone, Copy)]
    enum K {
        Letter,
        Space,
        Number,
        SpaceOrNumber,
        Colon,
    }
    use K::*;
    const SEQ: [K; 16] = [
        Letter,
        Letter,
        Letter,
        Space,
        SpaceOrNumber,
        Number,
        Space,
        SpaceOrNumber,
        Number,
        Colon,
        SpaceOrNumber,
        Number,
        Colon,
        SpaceOrNumber,
        Number,
        Space,
    ];
    for (i, k) in SEQ.iter().enumerate() {
        let Some(&c) = b.get(i) else { return 0 };
        let ok = match k {
            Letter => c.is_ascii_alphabetic(),
            Space => c == b' ',
            Number => c.is_ascii_digit(),
            SpaceOrNumber => c == b' ' || c.is_ascii_digit(),
            Colon => c == b':',
        };
        if !ok {
            return 0;
        }
    }
    SEQ.len()
}

/// journald's `syslog_parse_identifier()`: returns identifier, pid and
/// how many bytes were consumed (0 when there is no identifier).
pub fn parse_identifier(b: &[u8]) -> (Option<Vec<u8>>, Option<Vec<u8>>, usize) {
    let lead = b.iter().position(|&c| !is_ws(c)).unwrap_or(b.len());
    let p = &b[lead..];
    let word = p.iter().position(|&c| is_ws(c)).unwrap_or(p.len());
    if word == 0 || p[word - 1] != b':' {
        return (None, None, 0);
    }
    let mut l = word - 1;
    let mut pid = None;
    if l > 0 && p[l - 1] == b']' {
        if let Some(k) = p[..l - 1].iter().rposition(|&c| c == b'[') {
            pid = Some(p[k + 1..l - 1].to_vec());
            l = k;
        }
    }
    let identifier = Some(p[..l].to_vec());
    let mut e = word;
    if p.get(e).is_some_and(|&c| is_ws(c)) {
        e += 1;
    }
    (identifier, pid, lead + e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &Option<Vec<u8>>) -> Option<&str> {
        b.as_deref().map(|v| std::str::from_utf8(v).unwrap())
    }

    // Expected values are what systemd-journald 252 stored for the same
    // datagrams.
    #[test]
    fn rfc3164() {
        let m = parse(b"<13>Nov 25 16:05:53 myapp[123]: hello 3164");
        assert_eq!(m.priority, 13);
        assert_eq!(s(&m.identifier), Some("myapp"));
        assert_eq!(s(&m.pid), Some("123"));
        assert_eq!(s(&m.timestamp), Some("Nov 25 16:05:53 "));
        assert_eq!(m.message, b"hello 3164");
        assert_eq!(m.raw, None);
    }

    #[test]
    fn rfc5424_is_kept_raw() {
        let d = b"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 77 ID47 - An application event";
        let m = parse(d);
        assert_eq!(m.priority, 165);
        assert_eq!(m.identifier, None);
        assert_eq!(m.message, &d[5..]);
        assert_eq!(m.raw.as_deref(), Some(&d[..]));
        let f = m.fields();
        assert!(f.contains(&("SYSLOG_FACILITY", Cow::from(&b"20"[..]))));
        assert!(f.contains(&("PRIORITY", Cow::from(&b"5"[..]))));
    }

    #[test]
    fn blanks_nul_and_missing_parts() {
        let m = parse(b"<14>  spaced:  two spaces  ");
        assert_eq!(s(&m.identifier), Some("spaced"));
        assert_eq!(m.message, b" two spaces");
        assert!(m.raw.is_some());
        let m = parse(b"plain");
        assert_eq!(m.priority, 14);
        assert_eq!(m.message, b"plain");
        assert_eq!(m.raw.as_deref(), Some(&b"plain"[..]));
        let m = parse(b"<13>Nov  5 01:02:03 x: y\0z");
        assert_eq!(s(&m.timestamp), Some("Nov  5 01:02:03 "));
        assert_eq!(m.message, b"y");
        assert_eq!(m.raw.as_deref(), Some(&b"<13>Nov  5 01:02:03 x: y\0z"[..]));
        let m = parse(b"<30>noident message");
        assert_eq!(m.identifier, None);
        assert_eq!(m.message, b"noident message");
        let m = parse(b"");
        assert_eq!(m.message, b"");
        let m = parse(b"<1");
        assert_eq!(m.message, b"<1");
    }
}
