//! Just enough of a D-Bus client for `Type=dbus` (`systemd.service(5)`):
//! a service of that type is started once its `BusName=` has an owner.
//!
//! The manager connects to the bus when the first such service starts
//! (the bus is itself a service, started later in boot than the manager),
//! authenticates with `EXTERNAL` (its uid), says `Hello`, and for each
//! watched name adds a match on the bus's `NameOwnerChanged` signal with
//! `arg0` = the name, then asks `GetNameOwner` once for the name's present
//! state. What comes back is turned into [`BusEvent`]s; everything else on
//! the connection is ignored. The wire format is the D-Bus specification's
//! ("Message Format"): a 16-byte fixed header, header fields as an array
//! of `(byte, variant)` structs aligned to 8, the body; every value
//! aligned to its size from the start of the message.
//!
//! The handshake blocks (at most [`TIMEOUT`]; a bus that does not answer
//! is treated as no bus); afterwards the socket is non-blocking and read
//! from the manager's event loop. A message the client cannot parse ends
//! the connection (the manager says so and carries on without a bus).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long the connection handshake may take.
const TIMEOUT: Duration = Duration::from_secs(1);
/// A message larger than this is not one the bus daemon would send us.
const MAX_MESSAGE: usize = 1 << 20;

const METHOD_CALL: u8 = 1;
const METHOD_RETURN: u8 = 2;
const ERROR: u8 = 3;
const SIGNAL: u8 = 4;

const FIELD_PATH: u8 = 1;
const FIELD_INTERFACE: u8 = 2;
const FIELD_MEMBER: u8 = 3;
const FIELD_REPLY_SERIAL: u8 = 5;
const FIELD_DESTINATION: u8 = 6;
const FIELD_SIGNATURE: u8 = 8;

/// What the bus told us about a watched name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BusEvent {
    pub name: String,
    /// The name has an owner now.
    pub owned: bool,
}

pub struct Bus {
    sock: UnixStream,
    buf: Vec<u8>,
    serial: u32,
    /// Serial of a `GetNameOwner` call → the name it asked about.
    owner_calls: HashMap<u32, String>,
    /// The handshake is done and the socket non-blocking.
    connected: bool,
}

/// The bus socket for a manager: `unix:path=` of the environment's
/// address if set, else the standard place under the manager's root.
pub fn address(root: &Path, user: bool) -> std::path::PathBuf {
    let var = if user { "DBUS_SESSION_BUS_ADDRESS" } else { "DBUS_SYSTEM_BUS_ADDRESS" };
    if let Some(p) = std::env::var(var).ok().and_then(|a| a.split(';').find_map(|x| x.strip_prefix("unix:path=").map(str::to_string))) {
        return p.into();
    }
    if user {
        if let Ok(dir) = std::env::var("XDG_RUNTIME_DIR") {
            return Path::new(&dir).join("bus");
        }
    }
    root.join("run/dbus/system_bus_socket")
}

impl Bus {
    /// Connect, authenticate and say `Hello`.
    pub fn connect(path: &Path) -> std::io::Result<Bus> {
        let mut sock = UnixStream::connect(path)?;
        sock.set_read_timeout(Some(TIMEOUT))?;
        sock.set_write_timeout(Some(TIMEOUT))?;
        let uid = nix::unistd::geteuid().as_raw().to_string();
        let hex: String = uid.bytes().map(|b| format!("{b:02x}")).collect();
        sock.write_all(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes())?;
        let line = read_line(&mut sock)?;
        if !line.starts_with("OK ") {
            return Err(std::io::Error::other(format!("the bus refused authentication: {line}")));
        }
        sock.write_all(b"BEGIN\r\n")?;
        let mut bus = Bus { sock, buf: Vec::new(), serial: 0, owner_calls: HashMap::new(), connected: false };
        let hello = bus.call("Hello", None)?;
        // The reply to Hello comes first (the bus sends nothing else before).
        loop {
            let mut chunk = [0u8; 4096];
            let n = bus.sock.read(&mut chunk)?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            bus.buf.extend_from_slice(&chunk[..n]);
            if let Some(m) = bus.next_message()? {
                if m.reply_serial == Some(hello) && m.kind == METHOD_RETURN {
                    break;
                }
                if m.reply_serial == Some(hello) {
                    return Err(std::io::Error::other("the bus refused Hello"));
                }
            }
        }
        bus.sock.set_nonblocking(true)?;
        bus.connected = true;
        Ok(bus)
    }

    pub fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.sock.as_fd()
    }

    fn rule(name: &str) -> String {
        format!(
            "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',\
             interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='{name}'"
        )
    }

    /// Follow `name`: its present owner comes back as an event, and (with
    /// `add_match`, once per name) every change after it.
    pub fn watch(&mut self, name: &str, add_match: bool) -> std::io::Result<()> {
        if add_match {
            self.call("AddMatch", Some(&Self::rule(name)))?;
        }
        let serial = self.call("GetNameOwner", Some(name))?;
        self.owner_calls.insert(serial, name.to_string());
        Ok(())
    }

    /// Read what has arrived; `Err` when the connection is gone or broken.
    pub fn read(&mut self) -> std::io::Result<Vec<BusEvent>> {
        let mut chunk = [0u8; 4096];
        loop {
            match self.sock.read(&mut chunk) {
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let mut events = Vec::new();
        while let Some(m) = self.next_message()? {
            match m.kind {
                METHOD_RETURN | ERROR => {
                    if let Some(name) = m.reply_serial.and_then(|s| self.owner_calls.remove(&s)) {
                        events.push(BusEvent { name, owned: m.kind == METHOD_RETURN });
                    }
                }
                SIGNAL if m.member.as_deref() == Some("NameOwnerChanged") && m.signature.as_deref() == Some("sss") => {
                    let strings = body_strings(&m.bytes, m.body_at, 3).ok_or_else(|| bad("NameOwnerChanged body"))?;
                    if let [name, _old, new] = &strings[..] {
                        events.push(BusEvent { name: name.clone(), owned: !new.is_empty() });
                    }
                }
                _ => {}
            }
        }
        Ok(events)
    }

    /// Send a method call to the bus itself; returns its serial.
    fn call(&mut self, member: &str, arg: Option<&str>) -> std::io::Result<u32> {
        self.serial = self.serial.wrapping_add(1).max(1);
        let msg = method_call(self.serial, member, arg);
        // Calls are small; a full socket buffer is waited out (the bus
        // daemon reads promptly), with the handshake's timeout.
        if self.connected {
            self.sock.set_nonblocking(false)?;
        }
        let r = self.sock.write_all(&msg);
        if self.connected {
            self.sock.set_nonblocking(true)?;
        }
        r.map(|()| self.serial)
    }

    /// One whole message off the front of the buffer, if there is one.
    fn next_message(&mut self) -> std::io::Result<Option<Message>> {
        let Some(total) = message_len(&self.buf)? else { return Ok(None) };
        if self.buf.len() < total {
            return Ok(None);
        }
        let bytes: Vec<u8> = self.buf.drain(..total).collect();
        parse(bytes).map(Some)
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, format!("malformed D-Bus message: {what}"))
}

fn read_line(sock: &mut UnixStream) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if sock.read(&mut b)? == 0 || line.len() > 512 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        line.push(b[0]);
    }
    Ok(String::from_utf8_lossy(&line[..line.len() - 2]).into_owned())
}

// ---- the wire format ----

struct Writer(Vec<u8>);

impl Writer {
    fn pad(&mut self, to: usize) {
        while !self.0.len().is_multiple_of(to) {
            self.0.push(0);
        }
    }
    fn u32(&mut self, v: u32) {
        self.pad(4);
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn string(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
    }
    fn signature(&mut self, s: &str) {
        self.0.push(s.len() as u8);
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
    }
    /// One header field: `(code, variant of type sig)`.
    fn field(&mut self, code: u8, sig: &str, value: &str) {
        self.pad(8);
        self.0.push(code);
        self.signature(sig);
        match sig {
            "g" => self.signature(value),
            _ => self.string(value),
        }
    }
}

/// A little-endian method call to `org.freedesktop.DBus` with at most one
/// string argument.
fn method_call(serial: u32, member: &str, arg: Option<&str>) -> Vec<u8> {
    let mut body = Writer(Vec::new());
    if let Some(a) = arg {
        body.string(a);
    }
    let mut w = Writer(vec![b'l', METHOD_CALL, 0, 1]);
    w.u32(body.0.len() as u32);
    w.u32(serial);
    w.u32(0); // the fields' length, filled in below
    w.field(FIELD_PATH, "o", "/org/freedesktop/DBus");
    w.field(FIELD_INTERFACE, "s", "org.freedesktop.DBus");
    w.field(FIELD_MEMBER, "s", member);
    w.field(FIELD_DESTINATION, "s", "org.freedesktop.DBus");
    if arg.is_some() {
        w.field(FIELD_SIGNATURE, "g", "s");
    }
    let fields_len = (w.0.len() - 16) as u32;
    w.0[12..16].copy_from_slice(&fields_len.to_le_bytes());
    w.pad(8);
    w.0.extend_from_slice(&body.0);
    w.0
}

struct Message {
    kind: u8,
    reply_serial: Option<u32>,
    member: Option<String>,
    signature: Option<String>,
    body_at: usize,
    bytes: Vec<u8>,
}

fn align(pos: usize, to: usize) -> usize {
    pos.div_ceil(to) * to
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let raw: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(match b.first() {
        Some(b'B') => u32::from_be_bytes(raw),
        _ => u32::from_le_bytes(raw),
    })
}

/// The whole length of the message at the front of `b`, once its fixed
/// header is in.
fn message_len(b: &[u8]) -> std::io::Result<Option<usize>> {
    if b.len() < 16 {
        return Ok(None);
    }
    if !matches!(b[0], b'l' | b'B') || b[3] != 1 {
        return Err(bad("header"));
    }
    let body = read_u32(b, 4).unwrap_or(0) as usize;
    let fields = read_u32(b, 12).unwrap_or(0) as usize;
    let total = align(16 + fields, 8) + body;
    if total > MAX_MESSAGE {
        return Err(bad("too large"));
    }
    Ok(Some(total))
}

/// A string-like value (`s`, `o`) at `pos`: the string and the position after it.
fn read_string(b: &[u8], pos: usize) -> Option<(String, usize)> {
    let pos = align(pos, 4);
    let len = read_u32(b, pos)? as usize;
    let s = b.get(pos + 4..pos + 4 + len)?;
    Some((String::from_utf8_lossy(s).into_owned(), pos + 4 + len + 1))
}

fn read_signature(b: &[u8], pos: usize) -> Option<(String, usize)> {
    let len = *b.get(pos)? as usize;
    let s = b.get(pos + 1..pos + 1 + len)?;
    Some((String::from_utf8_lossy(s).into_owned(), pos + 1 + len + 1))
}

fn parse(bytes: Vec<u8>) -> std::io::Result<Message> {
    let fields_end = 16 + read_u32(&bytes, 12).ok_or_else(|| bad("header"))? as usize;
    let mut m = Message { kind: bytes[1], reply_serial: None, member: None, signature: None, body_at: align(fields_end, 8), bytes: Vec::new() };
    let mut pos = 16;
    while pos < fields_end {
        pos = align(pos, 8);
        let code = *bytes.get(pos).ok_or_else(|| bad("field"))?;
        let (sig, after) = read_signature(&bytes, pos + 1).ok_or_else(|| bad("field signature"))?;
        pos = match sig.as_str() {
            "s" | "o" => {
                let (v, after) = read_string(&bytes, after).ok_or_else(|| bad("field value"))?;
                if code == FIELD_MEMBER {
                    m.member = Some(v);
                }
                after
            }
            "g" => {
                let (v, after) = read_signature(&bytes, after).ok_or_else(|| bad("field value"))?;
                if code == FIELD_SIGNATURE {
                    m.signature = Some(v);
                }
                after
            }
            "u" | "h" => {
                let at = align(after, 4);
                let v = read_u32(&bytes, at).ok_or_else(|| bad("field value"))?;
                if code == FIELD_REPLY_SERIAL {
                    m.reply_serial = Some(v);
                }
                at + 4
            }
            _ => return Err(bad("field type")),
        };
    }
    m.bytes = bytes;
    Ok(m)
}

/// The first `n` strings of a body of strings.
fn body_strings(b: &[u8], mut pos: usize, n: usize) -> Option<Vec<String>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (s, after) = read_string(b, pos)?;
        out.push(s);
        pos = after;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_method_call_parses_back() {
        let msg = method_call(7, "GetNameOwner", Some("org.example.X"));
        assert_eq!(message_len(&msg).unwrap(), Some(msg.len()));
        let m = parse(msg).unwrap();
        assert_eq!(m.kind, METHOD_CALL);
        assert_eq!(m.member.as_deref(), Some("GetNameOwner"));
        assert_eq!(m.signature.as_deref(), Some("s"));
        assert_eq!(body_strings(&m.bytes, m.body_at, 1), Some(vec!["org.example.X".to_string()]));
    }

    #[test]
    fn truncated_and_hostile_headers_are_refused_not_panicked_on() {
        assert_eq!(message_len(b"l\x01\x00\x01").unwrap(), None);
        assert!(message_len(b"x\x01\x00\x01\0\0\0\0\x01\0\0\0\0\0\0\0").is_err());
        let huge = [b'l', 2, 0, 1, 0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0, 0, 0, 0, 0];
        assert!(message_len(&huge).is_err());
        // Fields that run past the end of the message.
        let mut m = method_call(1, "Hello", None);
        m[12] = 200;
        assert!(parse(m).is_err());
    }
}
