//! Time zones: a small TZif reader (RFC 8536, versions 1–4) and POSIX `TZ`
//! rules ([`posix`]), enough to turn seconds since the epoch into local
//! time the way glibc's `localtime_r()` does.
//!
//! Main type: [`TimeZone`]. Where one comes from:
//!
//! - [`TimeZone::local`]: the zone of this process, chosen the way glibc
//!   chooses it — `$TZ` unset means `/etc/localtime`; `$TZ` empty means
//!   UTC; `$TZ=:NAME` or `$TZ=NAME` names a file under
//!   `/usr/share/zoneinfo` (an absolute name is a path); a `$TZ` that is no
//!   file is tried as a POSIX rule string; anything unusable is UTC.
//! - [`TimeZone::named`]: a zone named in a calendar expression
//!   (`… Europe/Berlin`), checked the way systemd's `verify_timezone()`
//!   checks it (letters, digits, `-_+/`, no leading, trailing or doubled
//!   slash, a regular file starting with the `TZif` magic).
//! - [`TimeZone::utc`].
//!
//! Lookup follows glibc's `__tzfile_compute()`: before the first
//! transition the first non-DST type applies, between transitions the type
//! of the last one passed, after the last one the footer's POSIX rule (or,
//! without a footer, the last type). `tzname[0]`/`tzname[1]` — which
//! calendar expressions may name as a suffix — are chosen as
//! `__tzfile_read()` chooses them: the abbreviations of the newest standard
//! and daylight types that transitions lead to. Leap-second records
//! (`right/…` zones) are read past but not applied: systemd's calendar
//! code never sees leap seconds on a normal system.

pub mod posix;

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::civil::{civil_from_secs, Civil};
use posix::PosixTz;

/// Where IANA zone files live, as glibc and systemd expect them.
pub const ZONEINFO_DIR: &str = "/usr/share/zoneinfo";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TzError {
    #[error("invalid time zone name '{0}'")]
    InvalidName(String),
    #[error("failed to read time zone file '{path}': {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("time zone file '{0}' is not a regular file")]
    NotRegular(PathBuf),
    #[error("time zone file '{0}' is not in TZif format")]
    BadFormat(PathBuf),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct LocalType {
    /// Seconds east of UTC.
    offset: i64,
    is_dst: bool,
    abbrev: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Tzif {
    transitions: Vec<i64>,
    /// For each transition, the index into `types` it switches to.
    type_of: Vec<usize>,
    types: Vec<LocalType>,
    footer: Option<PosixTz>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rules {
    Utc,
    Tzif(Tzif),
    Posix(PosixTz),
}

/// A time zone: offsets from UTC over time, and its `tzname` pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZone {
    name: String,
    tzname: (String, String),
    rules: Rules,
}

/// What a zone says about one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalInfo<'a> {
    /// Seconds east of UTC.
    pub offset: i64,
    pub is_dst: bool,
    pub abbrev: &'a str,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be64(b: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

struct Counts {
    isut: usize,
    isstd: usize,
    leap: usize,
    time: usize,
    types: usize,
    chars: usize,
}

fn header(b: &[u8], at: usize) -> Option<(u8, Counts)> {
    if b.get(at..at + 4)? != b"TZif" {
        return None;
    }
    let version = *b.get(at + 4)?;
    let c = |i: usize| be32(b, at + 20 + 4 * i).map(|v| v as usize);
    Some((version, Counts { isut: c(0)?, isstd: c(1)?, leap: c(2)?, time: c(3)?, types: c(4)?, chars: c(5)? }))
}

/// Parse one data block starting at `at`, with `tsize`-byte times.
/// Returns the zone data and the offset just past the block.
fn data_block(b: &[u8], at: usize, n: &Counts, tsize: usize) -> Option<(Tzif, usize)> {
    let mut p = at;
    let mut transitions = Vec::with_capacity(n.time);
    for i in 0..n.time {
        let t = if tsize == 8 { be64(b, p + 8 * i)? } else { i64::from(be32(b, p + 4 * i)? as i32) };
        transitions.push(t);
    }
    p += n.time * tsize;
    let mut type_of = Vec::with_capacity(n.time);
    for i in 0..n.time {
        let idx = usize::from(*b.get(p + i)?);
        if idx >= n.types {
            return None;
        }
        type_of.push(idx);
    }
    p += n.time;
    let chars_at = p + 6 * n.types;
    let chars = b.get(chars_at..chars_at + n.chars)?;
    let mut types = Vec::with_capacity(n.types);
    for i in 0..n.types {
        let q = p + 6 * i;
        let offset = i64::from(be32(b, q)? as i32);
        let is_dst = *b.get(q + 4)? != 0;
        let idx = usize::from(*b.get(q + 5)?);
        let rest = chars.get(idx..)?;
        let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        let abbrev = String::from_utf8_lossy(rest.get(..end)?).into_owned();
        types.push(LocalType { offset, is_dst, abbrev });
    }
    if types.is_empty() {
        return None;
    }
    p = chars_at + n.chars + n.leap * (tsize + 4) + n.isstd + n.isut;
    if p > b.len() {
        return None;
    }
    Some((Tzif { transitions, type_of, types, footer: None }, p))
}

fn parse_tzif(b: &[u8]) -> Option<Tzif> {
    let (version, v1) = header(b, 0)?;
    if version == 0 {
        return data_block(b, 44, &v1, 4).map(|(z, _)| z);
    }
    // Version 2+: skip the 32-bit block, read the 64-bit one and the footer.
    let v1_len = v1.time * 5 + v1.types * 6 + v1.chars + v1.leap * 8 + v1.isstd + v1.isut;
    let second = 44 + v1_len;
    let (_, v2) = header(b, second)?;
    let (mut zone, end) = data_block(b, second + 44, &v2, 8)?;
    if let Some(rest) = b.get(end..) {
        if let Some(body) = rest.strip_prefix(b"\n") {
            if let Some(nl) = body.iter().position(|&c| c == b'\n') {
                let text = std::str::from_utf8(body.get(..nl)?).ok()?;
                zone.footer = if text.is_empty() { None } else { PosixTz::parse(text) };
            }
        }
    }
    Some(zone)
}

/// glibc's choice of `tzname[0]`/`tzname[1]` for a zone file.
fn tzif_names(z: &Tzif) -> (String, String) {
    let mut names: [Option<&str>; 2] = [None, None];
    for &ty in z.type_of.iter().rev() {
        let Some(t) = z.types.get(ty) else { continue };
        let slot = usize::from(t.is_dst);
        if names[slot].is_none() {
            names[slot] = Some(&t.abbrev);
            if names[1 - slot].is_some() {
                break;
            }
        }
    }
    let first = z.types.first().map_or("", |t| t.abbrev.as_str());
    let std = names[0].unwrap_or(first).to_string();
    let dst = names[1].map_or_else(|| std.clone(), str::to_string);
    (std, dst)
}

impl TimeZone {
    pub fn utc() -> TimeZone {
        TimeZone { name: "UTC".into(), tzname: ("UTC".into(), "UTC".into()), rules: Rules::Utc }
    }

    /// A zone from the bytes of a TZif file; `name` is only for display.
    pub fn from_tzif(name: &str, bytes: &[u8]) -> Option<TimeZone> {
        let z = parse_tzif(bytes)?;
        let tzname = tzif_names(&z);
        Some(TimeZone { name: name.to_string(), tzname, rules: Rules::Tzif(z) })
    }

    /// A zone from a POSIX rule string such as `CET-1CEST,M3.5.0,M10.5.0/3`.
    pub fn from_posix(rule: &str) -> Option<TimeZone> {
        let p = PosixTz::parse(rule)?;
        let (a, b) = p.names();
        let tzname = (a.to_string(), b.to_string());
        Some(TimeZone { name: rule.to_string(), tzname, rules: Rules::Posix(p) })
    }

    /// The zone of this process (`$TZ`, else `/etc/localtime`).
    pub fn local() -> TimeZone {
        let tz = std::env::var("TZ").ok();
        TimeZone::from_tz_value(tz.as_deref(), Path::new(ZONEINFO_DIR), Path::new("/etc/localtime"))
    }

    /// The zone glibc would use for `$TZ` = `tz` (`None`: unset), with zone
    /// files under `zoneinfo` and the default zone file `localtime`.
    pub fn from_tz_value(tz: Option<&str>, zoneinfo: &Path, localtime: &Path) -> TimeZone {
        let Some(tz) = tz else {
            return std::fs::read(localtime)
                .ok()
                .and_then(|b| TimeZone::from_tzif("localtime", &b))
                .unwrap_or_else(TimeZone::utc);
        };
        let name = tz.strip_prefix(':').unwrap_or(tz);
        if name.is_empty() {
            return TimeZone::utc();
        }
        let file = if name.starts_with('/') { PathBuf::from(name) } else { zoneinfo.join(name) };
        if let Some(z) = std::fs::read(&file).ok().and_then(|b| TimeZone::from_tzif(name, &b)) {
            return z;
        }
        TimeZone::from_posix(name).unwrap_or_else(TimeZone::utc)
    }

    /// The zone file `zoneinfo/NAME`, validated like systemd's
    /// `verify_timezone()`. `UTC` is always valid.
    pub fn named(name: &str, zoneinfo: &Path) -> Result<TimeZone, TzError> {
        if name == "UTC" {
            return Ok(TimeZone::utc());
        }
        let invalid = || TzError::InvalidName(name.to_string());
        if name.is_empty() || name.starts_with('/') || name.ends_with('/') || name.contains("//") {
            return Err(invalid());
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+' | b'/')) {
            return Err(invalid());
        }
        let path = zoneinfo.join(name);
        let meta = std::fs::metadata(&path).map_err(|e| TzError::Read { path: path.clone(), reason: e.to_string() })?;
        if !meta.is_file() {
            return Err(TzError::NotRegular(path));
        }
        let bytes = std::fs::read(&path).map_err(|e| TzError::Read { path: path.clone(), reason: e.to_string() })?;
        if !bytes.starts_with(b"TZif") {
            return Err(TzError::BadFormat(path));
        }
        TimeZone::from_tzif(name, &bytes).ok_or(TzError::BadFormat(path))
    }

    /// The name the zone was made from (`UTC`, `Europe/Berlin`, `localtime`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// glibc's `tzname[0]` (standard) and `tzname[1]` (daylight).
    pub fn tzname(&self) -> (&str, &str) {
        (&self.tzname.0, &self.tzname.1)
    }

    /// Whether this zone is UTC under any name (no offset, ever).
    pub fn is_utc(&self) -> bool {
        match &self.rules {
            Rules::Utc => true,
            Rules::Tzif(z) => z.types.iter().all(|t| t.offset == 0 && !t.is_dst) && z.footer.as_ref().is_none_or(|f| f.at(0).0 == 0 && f.names().0 == f.names().1),
            Rules::Posix(p) => p.at(0).0 == 0 && p.names().0 == p.names().1,
        }
    }

    /// The offset, DST flag and abbreviation in effect at `t` (seconds
    /// since the epoch).
    pub fn at(&self, t: i64) -> LocalInfo<'_> {
        match &self.rules {
            Rules::Utc => LocalInfo { offset: 0, is_dst: false, abbrev: "UTC" },
            Rules::Posix(p) => {
                let (offset, is_dst, abbrev) = p.at(t);
                LocalInfo { offset, is_dst, abbrev }
            }
            Rules::Tzif(z) => {
                fn of(ty: &LocalType) -> LocalInfo<'_> {
                    LocalInfo { offset: ty.offset, is_dst: ty.is_dst, abbrev: &ty.abbrev }
                }
                let first_std = || z.types.iter().find(|t| !t.is_dst).or(z.types.first());
                match z.transitions.last() {
                    None => first_std().map_or(UTC_INFO, of),
                    Some(&last) if t >= last => match &z.footer {
                        Some(f) => {
                            let (offset, is_dst, abbrev) = f.at(t);
                            LocalInfo { offset, is_dst, abbrev }
                        }
                        None => z.type_of.last().and_then(|&i| z.types.get(i)).map_or(UTC_INFO, of),
                    },
                    Some(_) => {
                        // Index of the first transition after `t`.
                        let after = z.transitions.partition_point(|&tr| tr <= t);
                        if after == 0 {
                            first_std().map_or(UTC_INFO, of)
                        } else {
                            z.type_of.get(after - 1).and_then(|&i| z.types.get(i)).map_or(UTC_INFO, of)
                        }
                    }
                }
            }
        }
    }

    /// `localtime_r()`: the local date and time at `t`, and the zone facts.
    pub fn localtime(&self, t: i64) -> (Civil, LocalInfo<'_>) {
        let info = self.at(t);
        (civil_from_secs(t + info.offset), info)
    }
}

const UTC_INFO: LocalInfo<'static> = LocalInfo { offset: 0, is_dst: false, abbrev: "UTC" };

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal version-2 TZif file: one transition at `at` from type 0
    /// (`STD`, +1h) to type 1 (`DST`, +2h), with `footer`.
    fn tzif(at: i64, footer: &str) -> Vec<u8> {
        let mut v = Vec::new();
        let head = |v: &mut Vec<u8>, time: u32| {
            v.extend_from_slice(b"TZif2");
            v.extend_from_slice(&[0; 15]);
            for c in [0u32, 0, 0, time, 2, 8] {
                v.extend_from_slice(&c.to_be_bytes());
            }
        };
        let types = |v: &mut Vec<u8>| {
            v.extend_from_slice(&3600i32.to_be_bytes());
            v.extend_from_slice(&[0, 0]);
            v.extend_from_slice(&7200i32.to_be_bytes());
            v.extend_from_slice(&[1, 4]);
            v.extend_from_slice(b"STD\0DST\0");
        };
        head(&mut v, 1);
        v.extend_from_slice(&(at as i32).to_be_bytes());
        v.push(1);
        types(&mut v);
        head(&mut v, 1);
        v.extend_from_slice(&at.to_be_bytes());
        v.push(1);
        types(&mut v);
        v.push(b'\n');
        v.extend_from_slice(footer.as_bytes());
        v.push(b'\n');
        v
    }

    #[test]
    fn tzif_lookup_and_footer() {
        let z = TimeZone::from_tzif("test", &tzif(1000, "STD-1DST,M3.5.0,M10.5.0/3")).unwrap();
        assert_eq!(z.tzname(), ("STD", "DST"));
        assert_eq!(z.at(0), LocalInfo { offset: 3600, is_dst: false, abbrev: "STD" });
        assert_eq!(z.at(999).abbrev, "STD");
        // After the last transition the footer rule decides: January is
        // standard time, July daylight time.
        assert_eq!(z.at(1_704_067_200).abbrev, "STD");
        assert_eq!(z.at(1_719_792_000).abbrev, "DST");
        let no_footer = TimeZone::from_tzif("test", &tzif(1000, "")).unwrap();
        assert_eq!(no_footer.at(1_704_067_200).abbrev, "DST");
    }

    #[test]
    fn bad_files() {
        assert!(TimeZone::from_tzif("x", b"TZif2").is_none());
        assert!(TimeZone::from_tzif("x", b"nope").is_none());
        let mut f = tzif(1000, "");
        f.truncate(60);
        assert!(TimeZone::from_tzif("x", &f).is_none());
    }

    #[test]
    fn names_are_checked_like_systemd() {
        let dir = Path::new("/nonexistent-zoneinfo");
        assert_eq!(TimeZone::named("UTC", dir), Ok(TimeZone::utc()));
        for bad in ["", "/etc/localtime", "Europe/", "Europe//Berlin", "Euro pe", "a.b"] {
            assert_eq!(TimeZone::named(bad, dir), Err(TzError::InvalidName(bad.into())), "{bad:?}");
        }
        assert!(matches!(TimeZone::named("Europe/Berlin", dir), Err(TzError::Read { .. })));
    }

    #[test]
    fn tz_variable() {
        let dir = Path::new("/nonexistent-zoneinfo");
        let lt = Path::new("/nonexistent-localtime");
        assert!(TimeZone::from_tz_value(Some(""), dir, lt).is_utc());
        assert!(TimeZone::from_tz_value(None, dir, lt).is_utc());
        let z = TimeZone::from_tz_value(Some("CET-1CEST,M3.5.0,M10.5.0/3"), dir, lt);
        assert_eq!(z.tzname(), ("CET", "CEST"));
        assert!(!z.is_utc());
    }
}
