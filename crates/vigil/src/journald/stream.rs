//! systemd's stdout stream protocol, as a pure state machine.
//!
//! A client connects to the stream socket and first sends a header of
//! seven newline-terminated lines (this is what systemd's service manager
//! and `systemd-cat(1)` send to `/run/systemd/journal/stdout`):
//!
//! 1. the syslog identifier (empty: none),
//! 2. the unit id (empty: none; whether it is believed is the server's
//!    decision — see [`Header::unit_line`]),
//! 3. the priority, a syslog priority that may include the facility
//!    (`30` = `daemon.info`), 0…999,
//! 4. level prefix (boolean): whether lines may start with `<N>`
//!    (`SyslogLevelPrefix=` in `systemd.exec(5)`),
//! 5. forward to syslog, 6. forward to kmsg, 7. forward to console
//!    (booleans; accepted and ignored — we forward nowhere).
//!
//! Header lines are stripped of surrounding whitespace and may be at most
//! [`SETUP_LINE_MAX`] bytes; a header line cut by a NUL, by length or by
//! the end of the stream is a protocol error and ends the stream.
//!
//! Then every line becomes an entry. A line ends at `\n`, at a NUL byte
//! (`_LINE_BREAK=nul`), after `LineMax=` bytes (`_LINE_BREAK=line-max`), at
//! the end of the stream (`_LINE_BREAK=eof`) or when a different process
//! starts writing into the same stream (`_LINE_BREAK=pid-change`), exactly
//! as journald 252 splits them. With the level prefix on, `<N>` (one digit
//! 0–7, optionally zero-padded to three) replaces the level but keeps the
//! header's facility. Empty lines (after the prefix) are dropped, lines of
//! blanks are kept verbatim; bytes are not checked for UTF-8 (the journal
//! stores binary-safe values).
//!
//! The buffer never holds more than one line's worth of bytes
//! ([`Stream::read_limit`]): the caller reads at most that much, so a
//! client that writes faster than we store is read at our pace through the
//! socket's back-pressure, and memory per stream stays bounded.

use std::rc::Rc;

/// Longest header line: a unit name (255) plus an invocation id and a
/// separator, so the manager's extended unit line fits.
pub const SETUP_LINE_MAX: usize = 255 + 1 + 32;

/// Why a line ended, when not at a plain newline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineBreak {
    Newline,
    Nul,
    LineMax,
    Eof,
    PidChange,
}

impl LineBreak {
    /// The `_LINE_BREAK=` value journald stores, if any.
    pub fn field(self) -> Option<&'static str> {
        match self {
            LineBreak::Newline => None,
            LineBreak::Nul => Some("nul"),
            LineBreak::LineMax => Some("line-max"),
            LineBreak::Eof => Some("eof"),
            LineBreak::PidChange => Some("pid-change"),
        }
    }
}

/// The parsed header.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Shared (`Rc`): a thousand services mostly log under a handful of
    /// identifiers, and the server hands every stream the one copy of its
    /// identifier it already holds (`server.rs`, interning).
    pub identifier: Option<Rc<[u8]>>,
    /// The unit line as sent (stripped), if not empty. The server decides
    /// whether to believe it.
    pub unit_line: Option<Box<str>>,
    /// Syslog priority including the facility.
    pub priority: i32,
    pub level_prefix: bool,
}

/// One log line ready to become an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub message: Vec<u8>,
    /// Priority including the facility.
    pub priority: i32,
    pub line_break: LineBreak,
}

/// A header that cannot be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("stream header line {0} not properly terminated")]
    Unterminated(usize),
    #[error("failed to parse log priority line {0:?}")]
    Priority(String),
    #[error("failed to parse {what} line {value:?}")]
    Boolean { what: &'static str, value: String },
}

/// What was expected next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Header line `n` (0-based) of 7.
    Header(u8),
    Running,
}

/// One stream connection's protocol state.
#[derive(Debug)]
pub struct Stream {
    phase: Phase,
    pub header: Header,
    buf: Vec<u8>,
    /// `LineMax=`, at most 4 GiB here (a stream's state is kept small:
    /// one per running service).
    line_max: u32,
}

impl Stream {
    pub fn new(line_max: usize) -> Stream {
        Stream {
            phase: Phase::Header(0),
            header: Header {
                priority: 6,
                ..Header::default()
            },
            buf: Vec::new(),
            line_max: u32::try_from(line_max).unwrap_or(u32::MAX).max(1),
        }
    }

    fn line_max(&self) -> usize {
        usize::try_from(self.line_max).unwrap_or(usize::MAX)
    }

    pub fn running(&self) -> bool {
        self.phase == Phase::Running
    }

    fn max(&self) -> usize {
        match self.phase {
            Phase::Running => self.line_max(),
            Phase::Header(_) => SETUP_LINE_MAX,
        }
    }

    /// How many bytes the next read may add.
    pub fn read_limit(&self) -> usize {
        self.line_max()
            .max(SETUP_LINE_MAX)
            .saturating_sub(self.buf.len())
            .max(1)
    }

    /// Bytes read from the socket; complete lines are appended to `out`.
    /// Lines do not depend on the unit, so the caller may decide about the
    /// header's unit after this returns and before it stores the lines.
    ///
    /// Lines are cut from `data` itself when nothing is pending, and only
    /// an unfinished last line is kept: an idle stream holds no buffer
    /// (a thousand services mostly write nothing after their header).
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Line>) -> Result<(), ProtocolError> {
        if self.buf.is_empty() {
            let (used, result) = self.scan(data, None, out);
            self.buf.extend_from_slice(&data[used..]);
            return result;
        }
        let mut buf = std::mem::take(&mut self.buf);
        buf.extend_from_slice(data);
        let (used, result) = self.scan(&buf, None, out);
        self.keep(buf, used);
        result
    }

    /// The stream ended (or another process began writing): whatever is
    /// buffered becomes a line of its own.
    pub fn flush(&mut self, why: LineBreak, out: &mut Vec<Line>) -> Result<(), ProtocolError> {
        let buf = std::mem::take(&mut self.buf);
        let (used, result) = self.scan(&buf, Some(why), out);
        self.keep(buf, used);
        result
    }

    /// Bytes buffered but not yet a line.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// `buf` without its first `used` bytes becomes the pending buffer;
    /// an empty one is freed.
    fn keep(&mut self, mut buf: Vec<u8>, used: usize) {
        buf.drain(..used);
        self.buf = if buf.is_empty() { Vec::new() } else { buf };
    }

    /// Cuts the lines of `bytes` (`self.buf` is empty meanwhile); with
    /// `force`, the unfinished rest is a line too. Returns how many bytes
    /// became lines.
    fn scan(
        &mut self,
        bytes: &[u8],
        force: Option<LineBreak>,
        out: &mut Vec<Line>,
    ) -> (usize, Result<(), ProtocolError>) {
        let mut start = 0;
        let result = loop {
            let rest = &bytes[start..];
            let max = self.max();
            let window = &rest[..rest.len().min(max)];
            let nl = window.iter().position(|&b| b == b'\n');
            let nul = window[..nl.unwrap_or(window.len())]
                .iter()
                .position(|&b| b == 0);
            let (found, skip, brk) = if let Some(z) = nul {
                (z, z + 1, LineBreak::Nul)
            } else if let Some(n) = nl {
                (n, n + 1, LineBreak::Newline)
            } else if rest.len() >= max {
                (max, max, LineBreak::LineMax)
            } else {
                break Ok(());
            };
            let line = rest[..found].to_vec();
            start += skip;
            if let Err(e) = self.line(line, brk, out) {
                break Err(e);
            }
        };
        if result.is_ok() {
            if let Some(brk) = force {
                if start < bytes.len() {
                    let line = bytes[start..].to_vec();
                    return (bytes.len(), self.line(line, brk, out));
                }
            }
        }
        (start, result)
    }

    fn line(
        &mut self,
        line: Vec<u8>,
        brk: LineBreak,
        out: &mut Vec<Line>,
    ) -> Result<(), ProtocolError> {
        let n = match self.phase {
            Phase::Running => {
                self.message(line, brk, out);
                return Ok(());
            }
            Phase::Header(n) => n,
        };
        if brk != LineBreak::Newline {
            return Err(ProtocolError::Unterminated(usize::from(n) + 1));
        }
        let text = strip(&line);
        let boolean = |what: &'static str| -> Result<bool, ProtocolError> {
            let s = String::from_utf8_lossy(text);
            unit::value::boolean::parse_boolean(&s).map_err(|_| ProtocolError::Boolean {
                what,
                value: s.into_owned(),
            })
        };
        match n {
            0 => self.header.identifier = (!text.is_empty()).then(|| Rc::from(text)),
            1 => {
                self.header.unit_line =
                    (!text.is_empty()).then(|| String::from_utf8_lossy(text).into())
            }
            2 => {
                let s = String::from_utf8_lossy(text);
                match s.parse::<i32>() {
                    Ok(p) if (0..=999).contains(&p) => self.header.priority = p,
                    _ => return Err(ProtocolError::Priority(s.into_owned())),
                }
            }
            3 => self.header.level_prefix = boolean("level prefix")?,
            4 => {
                boolean("forward to syslog")?;
            }
            5 => {
                boolean("forward to kmsg")?;
            }
            _ => {
                boolean("forward to console")?;
            }
        }
        self.phase = if n >= 6 {
            Phase::Running
        } else {
            Phase::Header(n + 1)
        };
        Ok(())
    }

    /// `line` becomes the message itself (no copy), its level prefix cut
    /// off in place.
    fn message(&self, mut line: Vec<u8>, brk: LineBreak, out: &mut Vec<Line>) {
        let mut priority = self.header.priority;
        if self.header.level_prefix {
            if let Some((level, len)) = parse_level_prefix(&line) {
                priority = (priority & !7) | level;
                line.drain(..len);
            }
        }
        if line.is_empty() {
            return;
        }
        out.push(Line {
            message: line,
            priority,
            line_break: brk,
        });
    }
}

/// systemd's `strstrip()` on bytes: removes leading and trailing blanks.
fn strip(b: &[u8]) -> &[u8] {
    let ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let start = b.iter().position(|c| !ws(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|c| !ws(c)).map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

/// `<N>` at the start of a stream line: journald's
/// `syslog_parse_priority(…, with_facility=false)`: one to three decimal
/// digits whose value is a level 0–7 (so `<3>`, `<03>`, `<003>`). Returns
/// the level and the prefix length.
pub fn parse_level_prefix(b: &[u8]) -> Option<(i32, usize)> {
    let (digits, len) = syslog_pri_digits(b)?;
    let value = digits.iter().fold(0i32, |acc, d| acc * 10 + i32::from(*d));
    (value <= 7).then_some((value, len))
}

/// The digits of a `<…>` prefix of one to three digits, and its length.
pub fn syslog_pri_digits(b: &[u8]) -> Option<(Vec<u8>, usize)> {
    if b.first() != Some(&b'<') || !b.contains(&b'>') {
        return None;
    }
    let close = (2..=4).find(|&i| b.get(i) == Some(&b'>'))?;
    let digits = &b[1..close];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((digits.iter().map(|d| d - b'0').collect(), close + 1))
}

/// A new stream's `_STREAM_ID=`: a random v4 id, as
/// [`journal::Id128::random`] makes them, from the pool of
/// `crate::random` (one `getrandom(2)` for many streams).
pub(super) fn stream_id() -> Option<journal::Id128> {
    let mut b = crate::random::bytes16()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    Some(journal::Id128(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_are_fresh_v4_ids_across_refills() {
        let ids: std::collections::HashSet<[u8; 16]> =
            (0..48).filter_map(|_| stream_id()).map(|i| i.0).collect();
        assert_eq!(ids.len(), 48);
        assert!(ids.iter().all(|b| b[6] >> 4 == 4 && b[8] >> 6 == 2));
    }

    fn run(input: &[u8], line_max: usize) -> (Stream, Vec<Line>, Result<(), ProtocolError>) {
        let mut s = Stream::new(line_max);
        let mut out = Vec::new();
        let mut r = Ok(());
        for chunk in input.chunks(7) {
            r = s.feed(chunk, &mut out);
            if r.is_err() {
                break;
            }
        }
        if r.is_ok() {
            r = s.flush(LineBreak::Eof, &mut out);
        }
        (s, out, r)
    }

    #[test]
    fn header_then_lines() {
        let (s, out, r) = run(
            b"ident\nweb.service\n30\n1\n0\n0\n0\nhello\n<3>bad\n\n   \nnul\0after\npartial",
            48 * 1024,
        );
        r.unwrap();
        assert_eq!(s.header.identifier.as_deref(), Some(&b"ident"[..]));
        assert_eq!(s.header.unit_line.as_deref(), Some("web.service"));
        assert_eq!(s.header.priority, 30);
        let msgs: Vec<(&[u8], i32, LineBreak)> = out
            .iter()
            .map(|l| (&l.message[..], l.priority, l.line_break))
            .collect();
        assert_eq!(
            msgs,
            vec![
                (&b"hello"[..], 30, LineBreak::Newline),
                (&b"bad"[..], 27, LineBreak::Newline),
                (&b"   "[..], 30, LineBreak::Newline),
                (&b"nul"[..], 30, LineBreak::Nul),
                (&b"after"[..], 30, LineBreak::Newline),
                (&b"partial"[..], 30, LineBreak::Eof),
            ]
        );
    }

    #[test]
    fn only_an_unfinished_line_holds_a_buffer() {
        let mut s = Stream::new(16);
        let mut out = Vec::new();
        s.feed(b"id\nweb.service\n6\n0\n0\n0\n0\n", &mut out).unwrap();
        assert!(s.running());
        assert_eq!(s.buf.capacity(), 0);
        s.feed(b"one\ntw", &mut out).unwrap();
        assert_eq!(s.pending(), 2);
        s.feed(b"o\n", &mut out).unwrap();
        assert_eq!(s.buf.capacity(), 0);
        // A pending part still counts towards LineMax= across reads.
        s.feed(b"0123456789", &mut out).unwrap();
        s.feed(b"abcdefghij\n", &mut out).unwrap();
        assert_eq!(s.buf.capacity(), 0);
        let msgs: Vec<(&[u8], LineBreak)> =
            out.iter().map(|l| (&l.message[..], l.line_break)).collect();
        assert_eq!(
            msgs,
            vec![
                (&b"one"[..], LineBreak::Newline),
                (&b"two"[..], LineBreak::Newline),
                (&b"0123456789abcdef"[..], LineBreak::LineMax),
                (&b"ghij"[..], LineBreak::Newline),
            ]
        );
    }

    #[test]
    fn long_lines_split_at_line_max() {
        let mut input = b"\n\n6\n0\n0\n0\n0\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 250));
        input.push(b'\n');
        let (_, out, r) = run(&input, 100);
        r.unwrap();
        let lens: Vec<(usize, LineBreak)> = out
            .iter()
            .map(|l| (l.message.len(), l.line_break))
            .collect();
        assert_eq!(
            lens,
            vec![
                (100, LineBreak::LineMax),
                (100, LineBreak::LineMax),
                (50, LineBreak::Newline)
            ]
        );
    }

    #[test]
    fn prefixes_follow_journald() {
        assert_eq!(parse_level_prefix(b"<3>x"), Some((3, 3)));
        assert_eq!(parse_level_prefix(b"<03>x"), Some((3, 4)));
        assert_eq!(parse_level_prefix(b"<8>x"), None);
        assert_eq!(parse_level_prefix(b"<13>x"), None);
        assert_eq!(parse_level_prefix(b"<x>"), None);
        assert_eq!(parse_level_prefix(b"<3"), None);
        // Without the level prefix flag, `<3>` is text.
        let (_, out, _) = run(b"\n\n6\n0\n0\n0\n0\n<3>x\n", 1000);
        assert_eq!(out[0].message, b"<3>x");
    }

    #[test]
    fn bad_headers_are_errors() {
        assert!(matches!(
            run(b"a\nb\nzz\n", 100).2,
            Err(ProtocolError::Priority(_))
        ));
        assert!(matches!(
            run(b"a\nb\n1000\n", 100).2,
            Err(ProtocolError::Priority(_))
        ));
        assert!(matches!(
            run(b"a\nb\n6\nmaybe\n", 100).2,
            Err(ProtocolError::Boolean { .. })
        ));
        assert!(matches!(
            run(b"a\0b\n", 100).2,
            Err(ProtocolError::Unterminated(1))
        ));
        assert!(matches!(
            run(b"a", 100).2,
            Err(ProtocolError::Unterminated(1))
        ));
        let long = vec![b'u'; SETUP_LINE_MAX + 5];
        assert!(matches!(
            run(&long, 100).2,
            Err(ProtocolError::Unterminated(1))
        ));
    }
}
