//! Integers the way systemd 252 reads them, and the small numeric
//! directives built on them (`Nice=`, `OOMScoreAdjust=`, weights,
//! `CPUQuota=`).
//!
//! systemd parses integers with its `safe_ato*()` family, thin wrappers
//! around the C library's `strtol()`/`strtoul()` with base 0. That choice
//! leaks into the unit-file language, and real units depend on it:
//!
//! - leading whitespace is skipped, a `+` sign is accepted (`Nice=+7`);
//! - base prefixes work: `0x10` is 16, `010` is **8** (C octal), and
//!   systemd adds Python-style `0b101` and `0o17`;
//! - unsigned parsers refuse a leading `-` with "out of range" rather than
//!   "invalid", except `-0`, which is 0.
//!
//! We emulate `strtoul()`/`strtol()` byte for byte ([`c_strto`]) instead of
//! using Rust's `str::parse`, which would reject `0x10` and read `010` as
//! ten. All functions are pure and allocate only for error messages.
//!
//! Directive-level ranges (from `systemd.exec(5)` and
//! `systemd.resource-control(5)`):
//!
//! | directive          | range            | notes                          |
//! |--------------------|------------------|--------------------------------|
//! | `Nice=`            | -20…19           |                                |
//! | `OOMScoreAdjust=`  | -1000…1000       |                                |
//! | `CPUWeight=` etc.  | 1…10000          | `CPUWeight=idle` means 0       |
//! | `CPUQuota=`        | > 0%             | may exceed 100%, ≤ 2 decimals  |

use super::error::ValueError;
use super::size::parse_permyriad_unbounded;

/// systemd's WHITESPACE set, which `safe_ato*()` skip before calling libc.
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// C `isspace()` in the C locale, which `strtol()` skips on its own.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The outcome of a C `strtoul()`/`strtol()` call, before any range check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Strto {
    /// Absolute value of the digits read, saturated at `u64::MAX`.
    pub magnitude: u64,
    /// A `-` sign preceded the digits.
    pub negative: bool,
    /// The digits did not fit in 64 bits (`errno == ERANGE`).
    pub overflow: bool,
    /// Index just past the last byte consumed; 0 if no digits were read
    /// (C sets `endptr = nptr` then).
    pub end: usize,
}

fn digit_value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'z' => Some(u32::from(b - b'a') + 10),
        b'A'..=b'Z' => Some(u32::from(b - b'A') + 10),
        _ => None,
    }
}

/// glibc's `strtoul()`/`strtoull()` core: whitespace, sign, base prefix
/// (`0x` for base 0/16, leading `0` means octal for base 0), digits.
pub(crate) fn c_strto(s: &[u8], base: u32) -> Strto {
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let mut negative = false;
    if let Some(&b) = s.get(i) {
        if b == b'+' || b == b'-' {
            negative = b == b'-';
            i += 1;
        }
    }
    let mut base = base;
    let hex_prefix = s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x') | Some(b'X'))
        && s.get(i + 2).and_then(|&b| digit_value(b)).is_some_and(|d| d < 16);
    if (base == 0 || base == 16) && hex_prefix {
        i += 2;
        base = 16;
    } else if base == 0 {
        base = if s.get(i) == Some(&b'0') { 8 } else { 10 };
    }
    let start = i;
    let mut magnitude: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).and_then(|&b| digit_value(b)) {
        if d >= base {
            break;
        }
        match magnitude.checked_mul(u64::from(base)).and_then(|m| m.checked_add(u64::from(d))) {
            Some(m) => magnitude = m,
            None => {
                overflow = true;
                magnitude = u64::MAX;
            }
        }
        i += 1;
    }
    if i == start {
        return Strto { magnitude: 0, negative: false, overflow: false, end: 0 };
    }
    Strto { magnitude, negative, overflow, end: i }
}

/// Why a `safe_ato*()` call failed: `EINVAL` (not a number) or `ERANGE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AtoError {
    Invalid,
    Range,
}

/// systemd's `mangle_base()`: `0b`/`0o` prefixes select base 2/8 when the
/// caller did not fix a base.
fn mangle_base(s: &[u8], base: u32) -> (&[u8], u32) {
    if base != 0 {
        return (s, base);
    }
    match s {
        [b'0', b'b' | b'B', rest @ ..] => (rest, 2),
        [b'0', b'o' | b'O', rest @ ..] => (rest, 8),
        _ => (s, 0),
    }
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| is_ws(b)).count();
    &s[n..]
}

/// `safe_atollu_full(s, base)`: an unsigned 64-bit number. With
/// `refuse_sign`, a leading `+`/`-` is invalid (`SAFE_ATO_REFUSE_PLUS_MINUS`).
pub(crate) fn safe_atou64_full(s: &str, base: u32, refuse_sign: bool) -> Result<u64, AtoError> {
    let s = skip_ws(s.as_bytes());
    if refuse_sign && matches!(s.first(), Some(b'+') | Some(b'-')) {
        return Err(AtoError::Invalid);
    }
    let (s, base) = mangle_base(s, base);
    let r = c_strto(s, base);
    if r.overflow {
        return Err(AtoError::Range);
    }
    if r.end == 0 || r.end != s.len() {
        return Err(AtoError::Invalid);
    }
    let value = if r.negative { r.magnitude.wrapping_neg() } else { r.magnitude };
    if value != 0 && s.first() == Some(&b'-') {
        return Err(AtoError::Range);
    }
    Ok(value)
}

/// `safe_atou64()`.
pub(crate) fn safe_atou64(s: &str) -> Result<u64, AtoError> {
    safe_atou64_full(s, 0, false)
}

/// `safe_atou()`: like [`safe_atou64`], limited to 32 bits.
pub(crate) fn safe_atou32(s: &str) -> Result<u32, AtoError> {
    let v = safe_atou64(s)?;
    u32::try_from(v).map_err(|_| AtoError::Range)
}

/// `safe_atou16()`.
pub(crate) fn safe_atou16(s: &str) -> Result<u16, AtoError> {
    let v = safe_atou64(s)?;
    u16::try_from(v).map_err(|_| AtoError::Range)
}

/// `safe_atou8()`.
pub(crate) fn safe_atou8(s: &str) -> Result<u8, AtoError> {
    let v = safe_atou64(s)?;
    u8::try_from(v).map_err(|_| AtoError::Range)
}

/// `safe_atolli()`: a signed 64-bit number.
pub(crate) fn safe_atoi64(s: &str) -> Result<i64, AtoError> {
    let (s, base) = mangle_base(skip_ws(s.as_bytes()), 0);
    let r = c_strto(s, base);
    // strtol() sets ERANGE for anything beyond LONG_MIN…LONG_MAX, and
    // systemd looks at errno before it looks at endptr.
    let limit = if r.negative { i64::MIN.unsigned_abs() } else { i64::MAX as u64 };
    if r.overflow || r.magnitude > limit {
        return Err(AtoError::Range);
    }
    if r.end == 0 || r.end != s.len() {
        return Err(AtoError::Invalid);
    }
    Ok(if r.negative { 0i64.wrapping_sub_unsigned(r.magnitude) } else { r.magnitude as i64 })
}

/// `safe_atoi()`: a C `int`.
pub(crate) fn safe_atoi(s: &str) -> Result<i32, AtoError> {
    let v = safe_atoi64(s)?;
    i32::try_from(v).map_err(|_| AtoError::Range)
}

fn number_error(s: &str, e: AtoError, min: i128, max: i128) -> ValueError {
    match e {
        AtoError::Invalid => ValueError::Number(s.to_string()),
        AtoError::Range => ValueError::Range { text: s.to_string(), min, max },
    }
}

/// A signed integer (`Kind::Int`), 64-bit, base prefixes as in C.
pub fn parse_int(s: &str) -> Result<i64, ValueError> {
    safe_atoi64(s).map_err(|e| number_error(s, e, i64::MIN.into(), i64::MAX.into()))
}

/// An unsigned integer (`Kind::Unsigned`), 64-bit. A leading `-` is out of
/// range (except `-0`).
pub fn parse_unsigned(s: &str) -> Result<u64, ValueError> {
    safe_atou64(s).map_err(|e| number_error(s, e, 0, u64::MAX.into()))
}

/// A C `int` with systemd's `safe_atoi()` rules.
pub fn parse_int32(s: &str) -> Result<i32, ValueError> {
    safe_atoi(s).map_err(|e| number_error(s, e, i32::MIN.into(), i32::MAX.into()))
}

/// A C `unsigned` with systemd's `safe_atou()` rules.
pub fn parse_unsigned32(s: &str) -> Result<u32, ValueError> {
    safe_atou32(s).map_err(|e| number_error(s, e, 0, u32::MAX.into()))
}

fn ranged(s: &str, min: i32, max: i32) -> Result<i32, ValueError> {
    let v = safe_atoi(s).map_err(|e| number_error(s, e, min.into(), max.into()))?;
    if v < min || v > max {
        return Err(ValueError::Range { text: s.to_string(), min: min.into(), max: max.into() });
    }
    Ok(v)
}

/// `Nice=`: -20…19 (`parse_nice()`).
pub fn parse_nice(s: &str) -> Result<i32, ValueError> {
    ranged(s, -20, 19)
}

/// `OOMScoreAdjust=`: -1000…1000 (`parse_oom_score_adjust()`).
pub fn parse_oom_score_adjust(s: &str) -> Result<i32, ValueError> {
    ranged(s, -1000, 1000)
}

/// A cgroup weight as `CPUWeight=` accepts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weight {
    /// `CPUWeight=idle` (cgroup `cpu.idle`, weight 0). Only `CPUWeight=`
    /// and `StartupCPUWeight=` accept it; `IOWeight=idle` is invalid.
    Idle,
    Value(u64),
}

/// The weight range of `systemd.resource-control(5)`.
pub const WEIGHT_MIN: u64 = 1;
pub const WEIGHT_MAX: u64 = 10000;

/// `IOWeight=`-style weight, 1…10000 (`cg_weight_parse()`).
pub fn parse_weight(s: &str) -> Result<u64, ValueError> {
    let range = |s: &str| ValueError::Range {
        text: s.to_string(),
        min: WEIGHT_MIN.into(),
        max: WEIGHT_MAX.into(),
    };
    let v = safe_atou64(s).map_err(|e| match e {
        AtoError::Invalid => ValueError::Number(s.to_string()),
        AtoError::Range => range(s),
    })?;
    if !(WEIGHT_MIN..=WEIGHT_MAX).contains(&v) {
        return Err(range(s));
    }
    Ok(v)
}

/// `CPUWeight=`: a weight or `idle` (`cg_cpu_weight_parse()`).
pub fn parse_cpu_weight(s: &str) -> Result<Weight, ValueError> {
    if s == "idle" {
        return Ok(Weight::Idle);
    }
    parse_weight(s).map(Weight::Value)
}

/// `CPUQuota=`: a percentage with up to two decimals, possibly above 100,
/// returned in permyriad (1% = 100). Zero is refused, as systemd does
/// ("Invalid CPU quota").
pub fn parse_cpu_quota(s: &str) -> Result<u32, ValueError> {
    let v = parse_permyriad_unbounded(s)?;
    if v == 0 {
        return Err(ValueError::PercentRange(s.to_string()));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strto_follows_glibc() {
        assert_eq!(c_strto(b"  +12x", 10), Strto { magnitude: 12, negative: false, overflow: false, end: 5 });
        assert_eq!(c_strto(b"0x", 0).end, 1, "0x without digits parses the 0 only");
        assert_eq!(c_strto(b"0x1f", 0).magnitude, 31);
        assert_eq!(c_strto(b"017", 0).magnitude, 15);
        assert_eq!(c_strto(b"-", 10).end, 0);
        assert_eq!(c_strto(b"+ 3", 10).end, 0, "no blank between sign and digits");
        assert!(c_strto(b"99999999999999999999", 10).overflow);
    }

    #[test]
    fn signed_ints_like_safe_atoi() {
        assert_eq!(parse_int32("010"), Ok(8));
        assert_eq!(parse_int32("0x5"), Ok(5));
        assert_eq!(parse_int32("0b11"), Ok(3));
        assert_eq!(parse_int32("0o17"), Ok(15));
        assert_eq!(parse_int32(" +7"), Ok(7));
        assert_eq!(parse_int32("-2147483648"), Ok(i32::MIN));
        assert!(matches!(parse_int32("2147483648"), Err(ValueError::Range { .. })));
        assert!(matches!(parse_int32("1e1"), Err(ValueError::Number(_))));
        assert!(matches!(parse_int32(""), Err(ValueError::Number(_))));
        assert!(matches!(parse_int32("08"), Err(ValueError::Number(_))), "8 is no octal digit");
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert!(matches!(parse_int("9223372036854775808"), Err(ValueError::Range { .. })));
    }

    #[test]
    fn unsigned_refuses_minus_but_not_minus_zero() {
        assert_eq!(parse_unsigned("-0"), Ok(0));
        assert!(matches!(parse_unsigned("-1"), Err(ValueError::Range { .. })));
        assert!(matches!(parse_unsigned(" -1"), Err(ValueError::Range { .. })));
        assert_eq!(parse_unsigned("18446744073709551615"), Ok(u64::MAX));
        assert!(matches!(parse_unsigned("18446744073709551616"), Err(ValueError::Range { .. })));
        assert_eq!(parse_unsigned32("4294967295"), Ok(u32::MAX));
        assert!(matches!(parse_unsigned32("4294967296"), Err(ValueError::Range { .. })));
        assert!(matches!(parse_unsigned("12 "), Err(ValueError::Number(_))), "trailing blank is garbage");
    }

    #[test]
    fn nice_and_oom_ranges() {
        assert_eq!(parse_nice("-20"), Ok(-20));
        assert_eq!(parse_nice("19"), Ok(19));
        assert_eq!(parse_nice("010"), Ok(8));
        assert!(matches!(parse_nice("20"), Err(ValueError::Range { min: -20, max: 19, .. })));
        assert!(matches!(parse_nice("-21"), Err(ValueError::Range { .. })));
        assert_eq!(parse_oom_score_adjust("-1000"), Ok(-1000));
        assert!(matches!(parse_oom_score_adjust("1001"), Err(ValueError::Range { .. })));
        assert!(parse_oom_score_adjust("x").is_err());
    }

    #[test]
    fn weights() {
        assert_eq!(parse_cpu_weight("idle"), Ok(Weight::Idle));
        assert_eq!(parse_cpu_weight("0x10"), Ok(Weight::Value(16)));
        assert_eq!(parse_weight("10000"), Ok(10000));
        assert!(parse_weight("idle").is_err());
        assert!(matches!(parse_weight("0"), Err(ValueError::Range { .. })));
        assert!(matches!(parse_weight("10001"), Err(ValueError::Range { .. })));
        assert!(matches!(parse_weight("-1"), Err(ValueError::Range { .. })));
    }

    #[test]
    fn cpu_quota() {
        assert_eq!(parse_cpu_quota("20%"), Ok(2000));
        assert_eq!(parse_cpu_quota("150.5%"), Ok(15050));
        assert_eq!(parse_cpu_quota("0.01%"), Ok(1));
        assert!(parse_cpu_quota("0%").is_err());
        assert!(parse_cpu_quota("1.234%").is_err());
        assert!(parse_cpu_quota("20").is_err());
    }
}
