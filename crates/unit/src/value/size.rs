//! Byte sizes and percentages (`systemd.resource-control(5)`, "MemoryMax=";
//! `systemd.exec(5)`, the `Limit*=` table).
//!
//! Sizes follow systemd's `parse_size()` with base 1024: a number, an
//! optional fraction, optional blanks, then one suffix of `B K M G T P E`
//! (1024-based; no `Ki`, and the suffixes are case-sensitive). Several
//! components may follow each other in strictly decreasing unit order
//! (`1G 512M` is fine, `512M 1G` is not). Fractions are computed in
//! `double` exactly like the C code (`1.5K` is 1536, `0.1K` is 102), so
//! rounding matches systemd to the byte.
//!
//! Percentages have three spellings in `MemoryMax=`-style settings, all
//! normalized here to *permyriad* (1/10000): `12.34%` (at most two
//! decimals), `123.4‰` (at most one decimal) and `1234‱`. The integer part
//! goes through `safe_atoi()`, so it inherits C's base prefixes.
//!
//! Main types: [`Size`] (bytes or infinity) and [`MemoryLimit`] (bytes,
//! share of RAM, or infinity).

use super::error::ValueError;
use super::number::{c_strto, is_ws, safe_atoi};

/// A byte count, or no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    Bytes(u64),
    Infinity,
}

/// What `MemoryMax=`, `MemoryHigh=`, `MemoryLow=`, … accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MemoryLimit {
    Bytes(u64),
    /// A share of physical memory in 1/10000 (`50%` is 5000), at most 100%.
    /// Scaling to bytes needs the machine's RAM size, so it is left to the
    /// caller.
    Permyriad(u32),
    Infinity,
}

const IEC: [(&str, u64); 8] = [
    ("E", 1 << 60),
    ("P", 1 << 50),
    ("T", 1 << 40),
    ("G", 1 << 30),
    ("M", 1 << 20),
    ("K", 1 << 10),
    ("B", 1),
    ("", 1),
];

const SI: [(&str, u64); 8] = [
    ("E", 1_000_000_000_000_000_000),
    ("P", 1_000_000_000_000_000),
    ("T", 1_000_000_000_000),
    ("G", 1_000_000_000),
    ("M", 1_000_000),
    ("K", 1_000),
    ("B", 1),
    ("", 1),
];

/// systemd's `parse_size()`. `base` is 1024 (IEC, what unit files use) or
/// 1000 (SI); anything else is treated as 1024.
pub fn parse_size(t: &str, base: u64) -> Result<u64, ValueError> {
    let table: &[(&str, u64)] = if base == 1000 { &SI } else { &IEC };
    let invalid = || ValueError::Size(t.to_string());
    let range = || ValueError::SizeRange(t.to_string());
    let s = t.as_bytes();
    let mut p = 0usize;
    let mut total: u64 = 0;
    let mut start_pos = 0usize;
    loop {
        while p < s.len() && is_ws(s[p]) {
            p += 1;
        }
        let rest = &s[p..];
        let r = c_strto(rest, 10);
        if r.overflow {
            return Err(range());
        }
        if r.end == 0 {
            return Err(invalid());
        }
        if rest.first() == Some(&b'-') {
            return Err(range());
        }
        let l = if r.negative { r.magnitude.wrapping_neg() } else { r.magnitude };
        let mut e = p + r.end;
        let mut frac: f64 = 0.0;
        if s.get(e) == Some(&b'.') {
            e += 1;
            if s.get(e).is_some_and(u8::is_ascii_digit) {
                let r2 = c_strto(&s[e..], 10);
                if r2.overflow {
                    return Err(range());
                }
                // Like C: convert to double once, then divide by ten per
                // digit, so that rounding is identical.
                frac = r2.magnitude as f64;
                for _ in 0..r2.end {
                    frac /= 10.0;
                }
                e += r2.end;
            }
        }
        while e < s.len() && is_ws(s[e]) {
            e += 1;
        }
        let tail = &s[e..];
        let Some(i) = (start_pos..table.len()).find(|&i| tail.starts_with(table[i].0.as_bytes())) else {
            return Err(invalid());
        };
        let (suffix, factor) = table[i];
        if l.wrapping_add(u64::from(frac > 0.0)) > u64::MAX / factor {
            return Err(range());
        }
        let tmp = l.wrapping_mul(factor).wrapping_add((frac * factor as f64) as u64);
        if tmp > u64::MAX - total {
            return Err(range());
        }
        total += tmp;
        p = e + suffix.len();
        start_pos = i + 1;
        if p >= s.len() {
            return Ok(total);
        }
    }
}

/// `Kind::Size`: bytes with 1024-based suffixes, or `infinity`.
pub fn parse_size_or_infinity(s: &str) -> Result<Size, ValueError> {
    if s == "infinity" {
        return Ok(Size::Infinity);
    }
    parse_size(s, 1024).map(Size::Bytes)
}

/// `Kind::SizeOrPercent`, as `config_parse_memory_limit()` reads it: the
/// word `infinity`, a percentage (tried first), or a size. A size of
/// 2⁶⁴-1 bytes is refused, since it is the "unset" marker.
pub fn parse_memory_limit(s: &str) -> Result<MemoryLimit, ValueError> {
    if s == "infinity" {
        return Ok(MemoryLimit::Infinity);
    }
    if let Ok(p) = parse_permyriad(s) {
        return Ok(MemoryLimit::Permyriad(p));
    }
    let bytes = parse_size(s, 1024)?;
    if bytes == u64::MAX {
        return Err(ValueError::SizeRange(s.to_string()));
    }
    Ok(MemoryLimit::Bytes(bytes))
}

fn atoi_nonneg(whole: &str, original: &str) -> Result<u32, ValueError> {
    match safe_atoi(whole) {
        Ok(v) if v >= 0 => Ok(v as u32),
        Ok(_) => Err(ValueError::PercentRange(original.to_string())),
        Err(super::number::AtoError::Range) => Err(ValueError::PercentRange(original.to_string())),
        Err(super::number::AtoError::Invalid) => Err(ValueError::Percent(original.to_string())),
    }
}

/// A number followed by `symbol`, with up to `places` decimals, scaled by
/// 10^places (`parse_parts_value_*()`).
fn parts_value(s: &str, symbol: &str, places: u32) -> Result<u32, ValueError> {
    let Some(body) = s.strip_suffix(symbol) else {
        return Err(ValueError::Percent(s.to_string()));
    };
    let (whole, frac) = match body.find('.') {
        None => (body, 0u32),
        Some(dot) => {
            let digits = &body.as_bytes()[dot + 1..];
            let n = digits.len();
            if n == 0 || n > places as usize || !digits.iter().all(u8::is_ascii_digit) {
                return Err(ValueError::Percent(s.to_string()));
            }
            let mut q = 0u32;
            for &d in digits {
                q = q * 10 + u32::from(d - b'0');
            }
            (&body[..dot], q * 10u32.pow(places - n as u32))
        }
    };
    let v = atoi_nonneg(whole, s)?;
    let scale = 10u32.pow(places);
    if v > (i32::MAX as u32 - frac) / scale {
        return Err(ValueError::PercentRange(s.to_string()));
    }
    Ok(v * scale + frac)
}

/// A whole percentage, 0…100 (`parse_percent()`).
pub fn parse_percent(s: &str) -> Result<u32, ValueError> {
    let v = parts_value(s, "%", 0)?;
    if v > 100 {
        return Err(ValueError::PercentRange(s.to_string()));
    }
    Ok(v)
}

/// `12.5%` or `125‰` in permille, unbounded (`parse_permille_unbounded()`).
pub fn parse_permille_unbounded(s: &str) -> Result<u32, ValueError> {
    if s.ends_with('‰') {
        return parts_value(s, "‰", 0);
    }
    parts_value(s, "%", 1)
}

/// `12.34%`, `123.4‰` or `1234‱` in permyriad, unbounded
/// (`parse_permyriad_unbounded()`).
pub fn parse_permyriad_unbounded(s: &str) -> Result<u32, ValueError> {
    if s.ends_with('‱') {
        return parts_value(s, "‱", 0);
    }
    if s.ends_with('‰') {
        return parts_value(s, "‰", 1);
    }
    parts_value(s, "%", 2)
}

/// Like [`parse_permyriad_unbounded`], at most 100% (`parse_permyriad()`).
pub fn parse_permyriad(s: &str) -> Result<u32, ValueError> {
    let v = parse_permyriad_unbounded(s)?;
    if v > 10000 {
        return Err(ValueError::PercentRange(s.to_string()));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iec_suffixes() {
        assert_eq!(parse_size("0", 1024), Ok(0));
        assert_eq!(parse_size("512", 1024), Ok(512));
        assert_eq!(parse_size("1B", 1024), Ok(1));
        assert_eq!(parse_size("1K", 1024), Ok(1024));
        assert_eq!(parse_size("1M", 1024), Ok(1 << 20));
        assert_eq!(parse_size("2G", 1024), Ok(2 << 30));
        assert_eq!(parse_size("1T", 1024), Ok(1 << 40));
        assert_eq!(parse_size("1P", 1024), Ok(1 << 50));
        assert_eq!(parse_size("15E", 1024), Ok(15 << 60));
        assert_eq!(parse_size("1K", 1000), Ok(1000));
    }

    #[test]
    fn fractions_blanks_and_components() {
        assert_eq!(parse_size("1.5K", 1024), Ok(1536));
        assert_eq!(parse_size("0.1K", 1024), Ok(102));
        assert_eq!(parse_size("10.M", 1024), Ok(10 << 20));
        assert_eq!(parse_size(" 5 K", 1024), Ok(5120));
        assert_eq!(parse_size("1G 512M", 1024), Ok((1 << 30) + (512 << 20)));
        assert_eq!(parse_size("+5", 1024), Ok(5));
        assert!(parse_size("512M 1G", 1024).is_err(), "units must decrease");
        assert!(parse_size("1 2", 1024).is_err());
    }

    #[test]
    fn size_errors() {
        assert_eq!(parse_size("", 1024), Err(ValueError::Size(String::new())));
        assert_eq!(parse_size("1k", 1024), Err(ValueError::Size("1k".into())), "suffixes are case-sensitive");
        assert!(matches!(parse_size("1KiB", 1024), Err(ValueError::Size(_))));
        assert!(matches!(parse_size("-1", 1024), Err(ValueError::SizeRange(_))));
        assert!(matches!(parse_size("16E", 1024), Err(ValueError::SizeRange(_))));
        assert!(matches!(parse_size("18446744073709551616", 1024), Err(ValueError::SizeRange(_))));
        assert!(matches!(parse_size(".5K", 1024), Err(ValueError::Size(_))));
        assert!(matches!(parse_size("K", 1024), Err(ValueError::Size(_))));
    }

    #[test]
    fn size_or_infinity() {
        assert_eq!(parse_size_or_infinity("infinity"), Ok(Size::Infinity));
        assert_eq!(parse_size_or_infinity("4K"), Ok(Size::Bytes(4096)));
        assert!(parse_size_or_infinity("Infinity").is_err());
    }

    #[test]
    fn percent_forms() {
        assert_eq!(parse_permyriad("50%"), Ok(5000));
        assert_eq!(parse_permyriad("12.5%"), Ok(1250));
        assert_eq!(parse_permyriad("12.34%"), Ok(1234));
        assert_eq!(parse_permyriad("123.4‰"), Ok(1234));
        assert_eq!(parse_permyriad("1234‱"), Ok(1234));
        assert_eq!(parse_permyriad("100%"), Ok(10000));
        assert!(matches!(parse_permyriad("100.01%"), Err(ValueError::PercentRange(_))));
        assert!(matches!(parse_permyriad("1.234%"), Err(ValueError::Percent(_))));
        assert!(matches!(parse_permyriad("1.%"), Err(ValueError::Percent(_))));
        assert!(matches!(parse_permyriad("-1%"), Err(ValueError::PercentRange(_))));
        assert!(matches!(parse_permyriad("50"), Err(ValueError::Percent(_))));
        assert_eq!(parse_percent("42%"), Ok(42));
        assert!(parse_percent("101%").is_err());
        assert_eq!(parse_permille_unbounded("12.5%"), Ok(125));
    }

    #[test]
    fn memory_limits() {
        assert_eq!(parse_memory_limit("infinity"), Ok(MemoryLimit::Infinity));
        assert_eq!(parse_memory_limit("50%"), Ok(MemoryLimit::Permyriad(5000)));
        assert_eq!(parse_memory_limit("1G"), Ok(MemoryLimit::Bytes(1 << 30)));
        assert!(parse_memory_limit("150%").is_err());
        assert!(parse_memory_limit("18446744073709551615").is_err());
        assert!(parse_memory_limit("lots").is_err());
    }
}
