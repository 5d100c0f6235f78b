//! `journalctl -o MODE`: printing one entry, byte for byte as journalctl
//! 252 prints it (`journalctl(1)`, "Output Options").
//!
//! Rules that matter for equality with the real tool:
//!
//! - The time shown by the short modes and `verbose` is the sender's
//!   `_SOURCE_REALTIME_TIMESTAMP=` when present and valid, else the entry's
//!   own; `short-monotonic` likewise prefers `_SOURCE_MONOTONIC_TIMESTAMP=`.
//! - Short modes show `TIME HOST IDENT[PID]: MESSAGE`. IDENT is
//!   `SYSLOG_IDENTIFIER=`, else `_COMM=`, else `unknown`; PID is `_PID=`,
//!   else `SYSLOG_PID=`. A field that occurs more than once counts with its
//!   last value. A value of 300 bytes or more, or one that is not
//!   printable, is left out. Entries without `MESSAGE=` are skipped.
//! - Unless `--all`, the message has ANSI colour (`ESC [ … m`) and
//!   title (`ESC ] … BEL`) sequences removed, tabs expanded to 8 blanks and
//!   carriage returns before a newline or at the end dropped; what is
//!   still not printable (control characters, bad UTF-8) becomes
//!   `[SIZE blob data]`. Lines after the first are indented to the width
//!   of the prefix (in bytes).
//! - `verbose` prints every field, values that are not printable as
//!   `[SIZE blob data]`; `json` prints values of 4096 bytes or more
//!   (name included) as `null`, non-printable ones as byte arrays, and
//!   repeated fields as arrays. journalctl emits JSON members in hash
//!   order, which changes from run to run; we emit them in stored order.
//! - `cat` prints the raw `MESSAGE=` (or the `--output-fields=`).

use std::io::{self, Write};

use journal::export::is_printable;
use journal::{Entry, Id128};

use super::time::{format_timestamp, format_timestamp_us, strftime};

/// journalctl's `PRINT_CHAR_THRESHOLD`.
const PRINT_CHAR_THRESHOLD: usize = 300;
/// journalctl's `JSON_THRESHOLD`.
const JSON_THRESHOLD: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Short,
    ShortFull,
    ShortIso,
    ShortIsoPrecise,
    ShortPrecise,
    ShortMonotonic,
    ShortDelta,
    ShortUnix,
    WithUnit,
    Verbose,
    Export,
    Json,
    JsonPretty,
    JsonSse,
    JsonSeq,
    Cat,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        Some(match s {
            "short" => Mode::Short,
            "short-full" => Mode::ShortFull,
            "short-iso" => Mode::ShortIso,
            "short-iso-precise" => Mode::ShortIsoPrecise,
            "short-precise" => Mode::ShortPrecise,
            "short-monotonic" => Mode::ShortMonotonic,
            "short-delta" => Mode::ShortDelta,
            "short-unix" => Mode::ShortUnix,
            "with-unit" => Mode::WithUnit,
            "verbose" => Mode::Verbose,
            "export" => Mode::Export,
            "json" => Mode::Json,
            "json-pretty" => Mode::JsonPretty,
            "json-sse" => Mode::JsonSse,
            "json-seq" => Mode::JsonSeq,
            "cat" => Mode::Cat,
            _ => return None,
        })
    }

    /// Modes whose output is data for programs: journalctl turns `--quiet`
    /// on for them (no "-- No entries --", no boot separators).
    pub fn implies_quiet(self) -> bool {
        matches!(
            self,
            Mode::Export
                | Mode::Json
                | Mode::JsonPretty
                | Mode::JsonSse
                | Mode::JsonSeq
                | Mode::Cat
        )
    }
}

/// Output settings besides the mode.
#[derive(Clone, Debug, Default)]
pub struct Flags {
    /// `--all`: print everything, however long or unprintable.
    pub all: bool,
    pub utc: bool,
    pub no_hostname: bool,
    /// `--output-fields=`.
    pub fields: Option<Vec<String>>,
}

/// Prints entries; remembers the previous one for `short-delta`.
pub struct Printer {
    pub mode: Mode,
    pub flags: Flags,
    previous: Option<(u64, u64, Id128)>,
}

/// systemd's `utf8_is_printable()`: valid UTF-8, no control characters
/// other than tab and newline.
pub fn printable_nl(b: &[u8]) -> bool {
    b.split(|&c| c == b'\n').all(is_printable)
}

/// systemd's `FORMAT_BYTES()`: `20B`, `4.8K`, `8.0M`.
pub fn format_bytes(t: u64) -> String {
    const UNITS: [(&str, u32); 6] = [
        ("E", 60),
        ("P", 50),
        ("T", 40),
        ("G", 30),
        ("M", 20),
        ("K", 10),
    ];
    for (i, (suffix, shift)) in UNITS.iter().enumerate() {
        let factor = 1u64 << shift;
        if t >= factor {
            let decimal = if i != UNITS.len() - 1 {
                let next = 1u64 << UNITS[i + 1].1;
                (t / next * 10 / (1u64 << 10)) % 10
            } else {
                (t * 10 / factor) % 10
            };
            return format!("{}.{}{suffix}", t / factor, decimal);
        }
    }
    format!("{t}B")
}

/// journalctl's `strip_tab_ansi()` (see the module docs).
pub fn strip_tab_ansi(msg: &[u8]) -> Vec<u8> {
    #[derive(Clone, Copy)]
    enum S {
        Other,
        Escape,
        Csi(usize),
        Cso(usize),
    }
    let mut out = Vec::with_capacity(msg.len());
    let mut state = S::Other;
    let mut crs = 0usize;
    let mut i = 0usize;
    while i <= msg.len() {
        let c = msg.get(i).copied();
        match state {
            S::Other => {
                let Some(c) = c else { break };
                if c == b'\r' {
                    crs += 1;
                } else {
                    if c == b'\n' {
                        crs = 0;
                    }
                    out.extend(std::iter::repeat_n(b'\r', crs));
                    crs = 0;
                    match c {
                        0x1b => state = S::Escape,
                        b'\t' => out.extend_from_slice(b"        "),
                        _ => out.push(c),
                    }
                }
            }
            S::Escape => match c {
                None => {
                    out.push(0x1b);
                }
                Some(b'[') => state = S::Csi(i + 1),
                Some(b']') => state = S::Cso(i + 1),
                Some(c) => {
                    out.extend_from_slice(&[0x1b, c]);
                    state = S::Other;
                }
            },
            S::Csi(begin) => match c {
                Some(b'm') => state = S::Other,
                Some(c) if c.is_ascii_digit() || c == b';' => {}
                _ => {
                    out.extend_from_slice(b"\x1b[");
                    state = S::Other;
                    i = begin;
                    continue;
                }
            },
            S::Cso(begin) => match c {
                Some(0x07) => state = S::Other,
                Some(c) if (32..=126).contains(&c) => {}
                _ => {
                    out.extend_from_slice(b"\x1b]");
                    state = S::Other;
                    i = begin;
                    continue;
                }
            },
        }
        i += 1;
    }
    out
}

/// journalctl's `print_multiline()` in full-width mode.
fn print_multiline(out: &mut impl Write, prefix: usize, message: &[u8]) -> io::Result<()> {
    if message.is_empty() {
        return out.write_all(b"\n");
    }
    let mut pos = 0;
    let mut line = 0;
    while pos < message.len() {
        let end = message[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(message.len(), |e| pos + e);
        if line > 0 {
            out.write_all(&vec![b' '; prefix])?;
        }
        out.write_all(&message[pos..end])?;
        out.write_all(b"\n")?;
        pos = end + 1;
        line += 1;
    }
    Ok(())
}

fn split(payload: &[u8]) -> (&[u8], &[u8]) {
    match payload.iter().position(|&b| b == b'=') {
        Some(eq) => (&payload[..eq], &payload[eq + 1..]),
        None => (payload, &[]),
    }
}

/// The last value of `name` (journalctl's field parsing keeps the last).
fn last<'a>(e: &'a Entry, name: &str) -> Option<&'a [u8]> {
    e.data
        .iter()
        .rev()
        .map(|d| split(d))
        .find(|(n, _)| *n == name.as_bytes())
        .map(|(_, v)| v)
}

/// `VALID_REALTIME`/`VALID_MONOTONIC`-checked number field.
fn number(v: Option<&[u8]>, max: u64) -> Option<u64> {
    let n: u64 = std::str::from_utf8(v?).ok()?.parse().ok()?;
    (n > 0 && n < max).then_some(n)
}

/// The timestamps journalctl shows: `(realtime, monotonic, boot)`.
pub fn dual_timestamp(e: &Entry) -> (u64, u64, Id128) {
    // USEC_TIMESTAMP_FORMATTABLE_MAX (year 9999) bounds a valid realtime.
    let realtime = number(
        last(e, "_SOURCE_REALTIME_TIMESTAMP"),
        253_402_214_400_000_000,
    )
    .unwrap_or(e.realtime);
    let monotonic =
        number(last(e, "_SOURCE_MONOTONIC_TIMESTAMP"), u64::MAX - 1).unwrap_or(e.monotonic);
    (realtime, monotonic, e.boot_id)
}

impl Printer {
    pub fn new(mode: Mode, flags: Flags) -> Printer {
        Printer {
            mode,
            flags,
            previous: None,
        }
    }

    fn wanted(&self, name: &[u8]) -> bool {
        match &self.flags.fields {
            None => true,
            Some(f) => f.iter().any(|x| x.as_bytes() == name),
        }
    }

    /// Prints one entry.
    pub fn print(&mut self, e: &Entry, out: &mut impl Write) -> io::Result<()> {
        let ts = dual_timestamp(e);
        let r = match self.mode {
            Mode::Verbose => self.verbose(e, ts.0, out),
            Mode::Export => self.export(e, out),
            Mode::Json | Mode::JsonPretty | Mode::JsonSse | Mode::JsonSeq => self.json(e, out),
            Mode::Cat => self.cat(e, out),
            _ => self.short(e, ts, out),
        };
        self.previous = Some(ts);
        r
    }

    fn timestamp(&self, ts: (u64, u64, Id128)) -> String {
        let (rt, mono, boot) = ts;
        let utc = self.flags.utc;
        match self.mode {
            Mode::ShortMonotonic | Mode::ShortDelta => {
                let mut s = format!("[{:5}.{:06}", mono / 1_000_000, mono % 1_000_000);
                if self.mode == Mode::ShortDelta {
                    match self.previous {
                        Some((_, pm, pb)) if pb == boot => {
                            let d = mono.saturating_sub(pm);
                            s.push_str(&format!(" <{:5}.{:06} >", d / 1_000_000, d % 1_000_000));
                        }
                        Some((pr, _, _)) => {
                            let d = rt.saturating_sub(pr);
                            s.push_str(&format!(" <{:5}.{:06}*>", d / 1_000_000, d % 1_000_000));
                        }
                        None => s.push_str(&" ".repeat(16)),
                    }
                }
                s.push(']');
                s
            }
            Mode::ShortFull | Mode::WithUnit => format_timestamp(rt, utc),
            Mode::ShortUnix => format!("{:10}.{:06}", rt / 1_000_000, rt % 1_000_000),
            Mode::ShortIso => strftime("%Y-%m-%dT%H:%M:%S%z", rt, utc),
            Mode::ShortIsoPrecise => {
                let s = strftime("%Y-%m-%dT%H:%M:%S", rt, utc);
                format!("{s}.{:06}{}", rt % 1_000_000, strftime("%z", rt, utc))
            }
            Mode::ShortPrecise => format!(
                "{}.{:06}",
                strftime("%b %d %H:%M:%S", rt, utc),
                rt % 1_000_000
            ),
            _ => strftime("%b %d %H:%M:%S", rt, utc),
        }
    }

    fn short(&self, e: &Entry, ts: (u64, u64, Id128), out: &mut impl Write) -> io::Result<()> {
        let Some(message) = last(e, "MESSAGE") else {
            return Ok(());
        };
        let shall =
            |v: &[u8]| self.flags.all || (v.len() < PRINT_CHAR_THRESHOLD && printable_nl(v));
        let message = if self.flags.all {
            message.to_vec()
        } else {
            strip_tab_ansi(message)
        };
        let mut line = Vec::new();
        let stamp = self.timestamp(ts);
        line.extend_from_slice(stamp.as_bytes());
        let mut n = stamp.len();
        if !self.flags.no_hostname {
            if let Some(h) = last(e, "_HOSTNAME").filter(|h| shall(h)) {
                line.push(b' ');
                line.extend_from_slice(h);
                n += h.len() + 1;
            }
        }
        let unit = last(e, "_SYSTEMD_UNIT").filter(|u| shall(u));
        let user_unit = last(e, "_SYSTEMD_USER_UNIT").filter(|u| shall(u));
        if self.mode == Mode::WithUnit && (unit.is_some() || user_unit.is_some()) {
            if let Some(u) = unit {
                line.push(b' ');
                line.extend_from_slice(u);
                n += u.len() + 1;
            }
            if let Some(uu) = user_unit {
                line.push(if unit.is_some() { b'/' } else { b' ' });
                line.extend_from_slice(uu);
                // journalctl adds the system unit's length here.
                n += unit.map_or(0, <[u8]>::len) + 1;
            }
        } else if let Some(id) = last(e, "SYSLOG_IDENTIFIER").filter(|v| shall(v)) {
            line.push(b' ');
            line.extend_from_slice(id);
            n += id.len() + 1;
        } else if let Some(comm) = last(e, "_COMM").filter(|v| shall(v)) {
            line.push(b' ');
            line.extend_from_slice(comm);
            n += comm.len() + 1;
        } else {
            // Not counted in the indentation, as in journalctl.
            line.extend_from_slice(b" unknown");
        }
        if let Some(pid) = last(e, "_PID")
            .filter(|v| shall(v))
            .or_else(|| last(e, "SYSLOG_PID").filter(|v| shall(v)))
        {
            line.push(b'[');
            line.extend_from_slice(pid);
            line.push(b']');
            n += pid.len() + 2;
        }
        line.extend_from_slice(b": ");
        out.write_all(&line)?;
        if !self.flags.all && !printable_nl(&message) {
            writeln!(out, "[{} blob data]", format_bytes(message.len() as u64))
        } else {
            print_multiline(out, n + 2, &message)
        }
    }

    fn verbose(&self, e: &Entry, realtime: u64, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "{} [{}]",
            format_timestamp_us(realtime, self.flags.utc),
            e.cursor()
        )?;
        for d in &e.data {
            let (name, value) = split(d);
            if !self.wanted(name) {
                continue;
            }
            if self.flags.all || printable_nl(d) {
                out.write_all(b"    ")?;
                out.write_all(name)?;
                out.write_all(b"=")?;
                print_multiline(out, 4 + name.len() + 1, value)?;
            } else {
                out.write_all(b"    ")?;
                out.write_all(name)?;
                writeln!(out, "=[{} blob data]", format_bytes(value.len() as u64))?;
            }
        }
        Ok(())
    }

    fn export(&self, e: &Entry, out: &mut impl Write) -> io::Result<()> {
        if self.flags.fields.is_none() {
            return journal::export::write_entry(e, out);
        }
        write!(
            out,
            "__CURSOR={}\n__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID={}\n",
            e.cursor(),
            e.realtime,
            e.monotonic,
            e.boot_id
        )?;
        for d in &e.data {
            let (name, value) = split(d);
            if d.starts_with(b"_BOOT_ID=") || !self.wanted(name) {
                continue;
            }
            if is_printable(d) {
                out.write_all(d)?;
            } else {
                out.write_all(name)?;
                out.write_all(b"\n")?;
                out.write_all(&(value.len() as u64).to_le_bytes())?;
                out.write_all(value)?;
            }
            out.write_all(b"\n")?;
        }
        out.write_all(b"\n")
    }

    fn json(&self, e: &Entry, out: &mut impl Write) -> io::Result<()> {
        let mut members: Vec<(Vec<u8>, Vec<Vec<u8>>)> = Vec::new();
        let mut add =
            |name: &[u8], value: Vec<u8>| match members.iter_mut().find(|(n, _)| n == name) {
                Some((_, vs)) => vs.push(value),
                None => members.push((name.to_vec(), vec![value])),
            };
        let all = self.flags.all;
        let encode = |name: &[u8], v: &[u8]| -> Vec<u8> {
            if !all && name.len() + 1 + v.len() >= JSON_THRESHOLD {
                b"null".to_vec()
            } else if printable_nl(v) {
                json_string(v)
            } else {
                let nums: Vec<String> = v.iter().map(u8::to_string).collect();
                format!("[{}]", nums.join(",")).into_bytes()
            }
        };
        add(
            b"__CURSOR",
            encode(b"__CURSOR", e.cursor().to_string().as_bytes()),
        );
        add(
            b"__REALTIME_TIMESTAMP",
            encode(b"", e.realtime.to_string().as_bytes()),
        );
        add(
            b"__MONOTONIC_TIMESTAMP",
            encode(b"", e.monotonic.to_string().as_bytes()),
        );
        add(b"_BOOT_ID", encode(b"", e.boot_id.to_hex().as_bytes()));
        for d in &e.data {
            let (name, value) = split(d);
            if d.starts_with(b"_BOOT_ID=") || !self.wanted(name) {
                continue;
            }
            add(name, encode(name, value));
        }
        let pretty = self.mode == Mode::JsonPretty;
        let mut s = Vec::new();
        match self.mode {
            Mode::JsonSse => s.extend_from_slice(b"data: "),
            Mode::JsonSeq => s.push(0x1e),
            _ => {}
        }
        s.push(b'{');
        for (i, (name, values)) in members.iter().enumerate() {
            if i > 0 {
                s.push(b',');
            }
            if pretty {
                s.extend_from_slice(b"\n\t");
            }
            s.extend(json_string(name));
            s.extend_from_slice(if pretty { b" : " } else { b":" });
            if values.len() == 1 {
                s.extend(pretty_value(&values[0], pretty, 1));
            } else {
                s.push(b'[');
                for (k, v) in values.iter().enumerate() {
                    if k > 0 {
                        s.push(b',');
                    }
                    if pretty {
                        s.extend_from_slice(b"\n\t\t");
                    }
                    s.extend(pretty_value(v, pretty, 2));
                }
                if pretty {
                    s.extend_from_slice(b"\n\t");
                }
                s.push(b']');
            }
        }
        if pretty {
            s.push(b'\n');
        }
        s.push(b'}');
        s.push(b'\n');
        if self.mode == Mode::JsonSse {
            s.push(b'\n');
        }
        out.write_all(&s)
    }

    fn cat(&self, e: &Entry, out: &mut impl Write) -> io::Result<()> {
        let fields: Vec<&str> = match &self.flags.fields {
            None => vec!["MESSAGE"],
            Some(f) => f.iter().map(String::as_str).collect(),
        };
        for f in fields {
            if let Some(v) = e.field(f) {
                out.write_all(v)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

/// A JSON value for the pretty printer: byte arrays go one number per line.
fn pretty_value(v: &[u8], pretty: bool, depth: usize) -> Vec<u8> {
    if !pretty || !v.starts_with(b"[") {
        return v.to_vec();
    }
    let inner = &v[1..v.len() - 1];
    let indent = "\t".repeat(depth + 1);
    let items: Vec<String> = inner
        .split(|&b| b == b',')
        .map(|n| format!("\n{indent}{}", String::from_utf8_lossy(n)))
        .collect();
    format!("[{}\n{}]", items.join(","), "\t".repeat(depth)).into_bytes()
}

/// A JSON string the way systemd's JSON writer escapes it.
pub fn json_string(v: &[u8]) -> Vec<u8> {
    let mut s = vec![b'"'];
    for &c in v {
        match c {
            b'"' => s.extend_from_slice(b"\\\""),
            b'\\' => s.extend_from_slice(b"\\\\"),
            0x08 => s.extend_from_slice(b"\\b"),
            0x0c => s.extend_from_slice(b"\\f"),
            b'\n' => s.extend_from_slice(b"\\n"),
            b'\r' => s.extend_from_slice(b"\\r"),
            b'\t' => s.extend_from_slice(b"\\t"),
            c if c < 0x20 => s.extend(format!("\\u{c:04x}").bytes()),
            c => s.push(c),
        }
    }
    s.push(b'"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_like_systemd() {
        assert_eq!(format_bytes(20), "20B");
        assert_eq!(format_bytes(5000), "4.8K");
        assert_eq!(format_bytes(8 << 20), "8.0M");
        assert_eq!(format_bytes(1536 * 1024), "1.5M");
    }

    #[test]
    fn ansi_tabs_and_carriage_returns() {
        assert_eq!(strip_tab_ansi(b"ctl\x1b[31mred\r\n"), b"ctlred\n");
        assert_eq!(strip_tab_ansi(b"a\tb"), b"a        b");
        assert_eq!(strip_tab_ansi(b"x\x1b[3xq"), b"x\x1b[3xq");
        assert_eq!(strip_tab_ansi(b"t\x1b]0;title\x07u"), b"tu");
        assert_eq!(strip_tab_ansi(b"a\rb\r"), b"a\rb");
        assert_eq!(strip_tab_ansi(b"end\x1b"), b"end\x1b");
    }

    #[test]
    fn json_escapes() {
        assert_eq!(
            json_string(b"a\"b\\c\nd\te\x01"),
            b"\"a\\\"b\\\\c\\nd\\te\\u0001\""
        );
    }
}
