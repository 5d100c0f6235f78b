//! The native journal protocol (`sd_journal_sendv(3)`, systemd's
//! "Native Journal Protocol"): parsing one datagram into entries.
//!
//! A datagram holds one or more entries separated by an empty line. Each
//! field is either `NAME=value\n` (value without newlines) or
//! `NAME\n` + 64-bit little-endian length + value bytes + `\n` (any bytes).
//! Rules journald 252 applies, and so do we:
//!
//! - Field names must be valid journal field names; names starting with
//!   `_` are trusted fields the client may not set: such fields (and
//!   invalid names) are silently dropped, the rest of the entry is kept.
//! - Lines starting with `.` or `#` are ignored (reserved/comments).
//! - A line without a terminating newline is trailing noise: the entry
//!   collected so far is kept and parsing stops. A binary field whose
//!   length runs past the datagram, or that lacks its closing newline,
//!   ends parsing the same way.
//! - An entry with more than 1024 fields, or larger than [`ENTRY_SIZE_MAX`],
//!   is refused whole and parsing stops.
//! - `PRIORITY=` (one digit) and `SYSLOG_FACILITY=` (one or two digits)
//!   set the priority used for `MaxLevelStore=` and rate limiting;
//!   `OBJECT_PID=` is noted (the server only honours it from root).
//!
//! Large entries arrive as a file descriptor (a sealed memfd, or a file in
//! `/dev/shm`, `/tmp` or `/var/tmp`) passed with `SCM_RIGHTS` and an empty
//! datagram; the server reads the file and hands its bytes here.

/// journald's `ENTRY_FIELD_COUNT_MAX`.
pub const ENTRY_FIELD_COUNT_MAX: usize = 1024;
/// Largest entry (and largest passed file) we accept. journald allows
/// 768 MiB; we keep an entry well within what one process should buffer.
pub const ENTRY_SIZE_MAX: usize = 64 * 1024 * 1024;

/// One parsed entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NativeEntry {
    /// `(name, value)` in the order sent.
    pub fields: Vec<(String, Vec<u8>)>,
    /// Priority including the facility; journald's default for native
    /// entries is `LOG_INFO` with no facility.
    pub priority: i32,
    pub object_pid: Option<i32>,
}

/// Why parsing stopped early (for the daemon's stderr); entries parsed
/// before are still returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeProblem(pub String);

/// Parses a datagram. Never fails as a whole: bad parts are skipped as
/// journald skips them, and the first problem is reported.
pub fn parse(buf: &[u8]) -> (Vec<NativeEntry>, Option<NativeProblem>) {
    let mut entries = Vec::new();
    let mut p = 0usize;
    let mut problem = None;
    while p < buf.len() {
        let mut e = NativeEntry {
            priority: 6,
            ..NativeEntry::default()
        };
        let mut size = 0usize;
        let mut stop = false;
        loop {
            let rest = &buf[p..];
            if rest.is_empty() {
                break;
            }
            let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                problem.get_or_insert(NativeProblem("trailing noise after the last field".into()));
                stop = true;
                break;
            };
            if nl == 0 {
                p += 1;
                break;
            }
            if matches!(rest[0], b'.' | b'#') {
                p += nl + 1;
                continue;
            }
            if e.fields.len() >= ENTRY_FIELD_COUNT_MAX {
                problem.get_or_insert(NativeProblem(format!(
                    "entry has more than {ENTRY_FIELD_COUNT_MAX} fields, ignoring it"
                )));
                return (entries, problem);
            }
            let line = &rest[..nl];
            let (name, value, consumed) = match line.iter().position(|&b| b == b'=') {
                Some(eq) => (&line[..eq], line[eq + 1..].to_vec(), nl + 1),
                None => {
                    let after = &rest[nl + 1..];
                    let Some(len_bytes) = after.get(..8) else {
                        problem.get_or_insert(NativeProblem("binary field without length".into()));
                        stop = true;
                        break;
                    };
                    let mut le = [0u8; 8];
                    le.copy_from_slice(len_bytes);
                    let len = u64::from_le_bytes(le);
                    if len > ENTRY_SIZE_MAX as u64 {
                        problem.get_or_insert(NativeProblem(format!(
                            "binary field of {len} bytes is too large, ignoring entry"
                        )));
                        return (entries, problem);
                    }
                    let len = len as usize;
                    match after.get(8..8 + len + 1) {
                        Some(v) if v.last() == Some(&b'\n') => {
                            (line, v[..len].to_vec(), nl + 1 + 8 + len + 1)
                        }
                        _ => {
                            problem.get_or_insert(NativeProblem(
                                "binary field runs past the end of the message".into(),
                            ));
                            stop = true;
                            break;
                        }
                    }
                }
            };
            p += consumed;
            size += name.len() + 1 + value.len();
            if size + e.fields.len() + 1 > ENTRY_SIZE_MAX {
                problem.get_or_insert(NativeProblem("entry is too big, ignoring it".into()));
                return (entries, problem);
            }
            if !valid_client_field(name) {
                continue;
            }
            let name = String::from_utf8_lossy(name).into_owned();
            note_meta(&mut e, &name, &value);
            e.fields.push((name, value));
        }
        if !e.fields.is_empty() {
            entries.push(e);
        }
        if stop {
            break;
        }
    }
    (entries, problem)
}

/// The fields journald reads while parsing (`manager_process_entry_meta`).
fn note_meta(e: &mut NativeEntry, name: &str, value: &[u8]) {
    match (name, value) {
        ("PRIORITY", [d]) if d.is_ascii_digit() => {
            e.priority = (e.priority & !7) | i32::from(d - b'0')
        }
        ("SYSLOG_FACILITY", [d]) if d.is_ascii_digit() => {
            e.priority = (e.priority & 7) | (i32::from(d - b'0') << 3)
        }
        ("SYSLOG_FACILITY", [a, b]) if a.is_ascii_digit() && b.is_ascii_digit() => {
            e.priority = (e.priority & 7) | ((i32::from(a - b'0') * 10 + i32::from(b - b'0')) << 3)
        }
        ("OBJECT_PID", v) => {
            e.object_pid = std::str::from_utf8(v)
                .ok()
                .and_then(|s| s.parse().ok())
                .filter(|&p: &i32| p > 0)
        }
        _ => {}
    }
}

/// A field name a client may send: `systemd.journal-fields(7)` rules
/// (`A-Z`, `0-9`, `_`, not starting with a digit, at most 64 bytes) and not
/// starting with `_` (trusted fields are ours to set).
pub fn valid_client_field(name: &[u8]) -> bool {
    valid_field(name) && name.first() != Some(&b'_')
}

/// Any valid field name, trusted ones included.
pub fn valid_field(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name[0].is_ascii_digit()
        && name
            .iter()
            .all(|&c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

/// Fields of the manager's registration datagram (see the `journald`
/// module essay): `_VIGIL_REGISTER_PID=`, `_VIGIL_FORGET_PID=`,
/// `_SYSTEMD_UNIT=`, `_SYSTEMD_INVOCATION_ID=`. Returns `None` when the
/// datagram is not a registration. Only `NAME=value` lines are read.
pub fn registration(buf: &[u8]) -> Option<Vec<(String, String)>> {
    if !buf.starts_with(b"_VIGIL_") {
        return None;
    }
    let text = std::str::from_utf8(buf).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(name: &str, v: &[u8]) -> Vec<u8> {
        let mut b = name.as_bytes().to_vec();
        b.push(b'\n');
        b.extend((v.len() as u64).to_le_bytes());
        b.extend(v);
        b.push(b'\n');
        b
    }

    #[test]
    fn text_binary_and_trusted_fields() {
        let mut d =
            b"MESSAGE=hi\nFOO=bar\n_PID=5\nlower=x\n#comment\nPRIORITY=3\nSYSLOG_FACILITY=10\n"
                .to_vec();
        d.extend(binary("BIN", b"a\0b\nc"));
        d.extend(b"\nMESSAGE=second\n");
        let (entries, problem) = parse(&d);
        assert_eq!(problem, None);
        assert_eq!(entries.len(), 2);
        let names: Vec<&str> = entries[0].fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            ["MESSAGE", "FOO", "PRIORITY", "SYSLOG_FACILITY", "BIN"]
        );
        assert_eq!(entries[0].fields[4].1, b"a\0b\nc");
        assert_eq!(entries[0].priority, (10 << 3) | 3);
        assert_eq!(
            entries[1].fields,
            vec![("MESSAGE".into(), b"second".to_vec())]
        );
        assert_eq!(entries[1].priority, 6);
    }

    #[test]
    fn broken_input_keeps_what_came_before() {
        let (e, p) = parse(b"MESSAGE=a\nnoise");
        assert_eq!(e.len(), 1);
        assert!(p.is_some());
        let mut d = b"MESSAGE=a\nBIN\n".to_vec();
        d.extend(1000u64.to_le_bytes());
        d.extend(b"short\n");
        let (e, p) = parse(&d);
        assert_eq!(e.len(), 1);
        assert!(p.is_some());
        let mut d = b"MESSAGE=a\nBIN\n".to_vec();
        d.extend(u64::MAX.to_le_bytes());
        let (e, p) = parse(&d);
        assert!(e.is_empty() && p.is_some());
        let (e, _) = parse(b"\n\n\n");
        assert!(e.is_empty());
    }

    #[test]
    fn too_many_fields_refuse_the_entry() {
        let mut d = Vec::new();
        for i in 0..=ENTRY_FIELD_COUNT_MAX {
            d.extend(format!("F{i}=x\n").bytes());
        }
        let (e, p) = parse(&d);
        assert!(e.is_empty() && p.is_some());
    }

    #[test]
    fn field_names() {
        assert!(valid_client_field(b"MESSAGE"));
        assert!(!valid_client_field(b"_PID"));
        assert!(!valid_client_field(b"1A"));
        assert!(!valid_client_field(b"a"));
        assert!(!valid_client_field(&[b'A'; 65]));
    }
}
