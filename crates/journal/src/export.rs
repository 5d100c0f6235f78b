//! The Journal Export Format, byte for byte as `journalctl -o export` prints it.
//!
//! systemd documents the format in JOURNAL_EXPORT_FORMATS.md ("Journal
//! Export Format") and `journalctl(1)` (`-o export`). Per entry:
//!
//! ```text
//! __CURSOR=s=…;i=…;b=…;m=…;t=…;x=…
//! __REALTIME_TIMESTAMP=<decimal µs>
//! __MONOTONIC_TIMESTAMP=<decimal µs>
//! _BOOT_ID=<32 hex>
//! NAME=value                       (for each field, in stored order)
//! NAME\n<le64 length><raw value>   (for values that are not "printable")
//! <empty line>
//! ```
//!
//! Details that matter for byte equality with systemd 252:
//! - `_BOOT_ID` comes from the ENTRY object's header; a `_BOOT_ID=` field
//!   stored with the entry is not printed again.
//! - A field whose name is not a valid journal field name is skipped.
//! - "Printable" is systemd's `utf8_is_printable_newline(…, false)` applied
//!   to the whole `NAME=value`: valid UTF-8 (systemd's decoder, which also
//!   rejects surrogates, U+FDD0–U+FDEF and U+xxFFFE/F), no C0 control other
//!   than TAB, no DEL or C1 control, and no newline. Anything else uses the
//!   binary form.

use std::io::{self, Write};

use crate::format::check_field_name;
use crate::reader::Entry;

/// Writes one entry in export format, including the blank line after it.
pub fn write_entry(entry: &Entry, out: &mut impl Write) -> io::Result<()> {
    write!(
        out,
        "__CURSOR={}\n__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID={}\n",
        entry.cursor(),
        entry.realtime,
        entry.monotonic,
        entry.boot_id
    )?;
    for payload in &entry.data {
        if payload.starts_with(b"_BOOT_ID=") {
            continue;
        }
        let Some(eq) = payload.iter().position(|&b| b == b'=') else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "journal field without '='",
            ));
        };
        let (name, value) = (&payload[..eq], &payload[eq + 1..]);
        if check_field_name(name).is_err() {
            continue;
        }
        if is_printable(payload) {
            out.write_all(payload)?;
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

/// One entry in export format as bytes.
pub fn entry_to_vec(entry: &Entry) -> Vec<u8> {
    let mut v = Vec::new();
    // Writing into a Vec cannot fail except on a field without '=', which
    // journalctl also refuses to print; such an entry exports as nothing.
    if write_entry(entry, &mut v).is_err() {
        v.clear();
    }
    v
}

/// systemd's `utf8_is_printable_newline(data, len, false)`.
pub fn is_printable(data: &[u8]) -> bool {
    let mut rest = data;
    while let Some(&lead) = rest.first() {
        let Some((ch, len)) = decode_char(rest, lead) else {
            return false;
        };
        if is_control(ch) || ch == u32::from(b'\n') {
            return false;
        }
        rest = &rest[len..];
    }
    true
}

/// Decodes one character the way systemd's `utf8_encoded_valid_unichar()`
/// does: lead bytes announce 1–6 byte sequences, continuation bytes must be
/// `10xxxxxx`, the encoding must be the shortest one, and the value must be
/// a valid, non-reserved code point.
fn decode_char(bytes: &[u8], lead: u8) -> Option<(u32, usize)> {
    let (len, initial) = match lead {
        0x00..=0x7f => return Some((u32::from(lead), 1)),
        _ if lead & 0xe0 == 0xc0 => (2, u32::from(lead & 0x1f)),
        _ if lead & 0xf0 == 0xe0 => (3, u32::from(lead & 0x0f)),
        _ if lead & 0xf8 == 0xf0 => (4, u32::from(lead & 0x07)),
        _ if lead & 0xfc == 0xf8 => (5, u32::from(lead & 0x03)),
        _ if lead & 0xfe == 0xfc => (6, u32::from(lead & 0x01)),
        _ => return None,
    };
    let seq = bytes.get(..len)?;
    let mut ch = initial;
    for &b in &seq[1..] {
        if b & 0xc0 != 0x80 {
            return None;
        }
        ch = (ch << 6) | u32::from(b & 0x3f);
    }
    if encoded_len(ch) != len || !is_valid_char(ch) {
        return None;
    }
    Some((ch, len))
}

fn encoded_len(ch: u32) -> usize {
    match ch {
        0..=0x7f => 1,
        0x80..=0x7ff => 2,
        0x800..=0xffff => 3,
        0x1_0000..=0x1f_ffff => 4,
        0x20_0000..=0x3ff_ffff => 5,
        _ => 6,
    }
}

fn is_valid_char(ch: u32) -> bool {
    ch < 0x11_0000
        && ch & 0xffff_f800 != 0xd800
        && !(0xfdd0..=0xfdef).contains(&ch)
        && ch & 0xfffe != 0xfffe
}

/// C0 controls except TAB and newline, DEL, and the C1 range.
fn is_control(ch: u32) -> bool {
    (ch < 0x20 && ch != u32::from(b'\t') && ch != u32::from(b'\n')) || (0x7f..=0x9f).contains(&ch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_rules() {
        assert!(is_printable(b"MESSAGE=hello world"));
        assert!(is_printable(b"MESSAGE=tab\there"));
        assert!(is_printable("MESSAGE=grüße €".as_bytes()));
        assert!(is_printable(b"MESSAGE="));
        assert!(!is_printable(b"MESSAGE=a\nb"));
        assert!(!is_printable(b"MESSAGE=nul\0"));
        assert!(!is_printable(b"MESSAGE=bell\x07"));
        assert!(!is_printable(b"MESSAGE=del\x7f"));
        assert!(!is_printable("MESSAGE=c1\u{85}".as_bytes()));
        assert!(!is_printable(b"MESSAGE=\xff"));
        assert!(!is_printable(b"MESSAGE=\xc3"));
        assert!(!is_printable(b"MESSAGE=\xc0\x80"));
        assert!(!is_printable(b"MESSAGE=\xed\xa0\x80"));
        assert!(!is_printable("MESSAGE=\u{fdd0}".as_bytes()));
        assert!(!is_printable("MESSAGE=\u{fffe}".as_bytes()));
    }
}
