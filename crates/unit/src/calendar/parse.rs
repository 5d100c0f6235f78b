//! The calendar-event parser: `calendar_spec_from_string()` step by step,
//! then normalization and validation (see the module essay of
//! [`super`] for the language). Each step works on a byte cursor and
//! returns the errno-like [`CalendarErrorKind`] systemd would return.

use std::path::Path;

use super::civil::civil_from_secs;
use super::tz::TimeZone;
use super::{CalendarErrorKind as E, CalendarSpec, Component, SpecZone, MAX_YEAR, MIN_YEAR, USEC_PER_SEC};
use crate::value::number::c_strto;

type R<T> = Result<T, E>;

/// systemd refuses lists longer than this in one field
/// (`CALENDARSPEC_COMPONENTS_MAX`).
const COMPONENTS_MAX: usize = 240;
const INT_MAX: i64 = i32::MAX as i64;
const ALL_WEEKDAYS: i32 = 127;

fn ends_with_no_case(s: &str, suffix: &str) -> Option<usize> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then_some(cut)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn at(&self, k: usize) -> u8 {
        self.s.get(self.i + k).copied().unwrap_or(0)
    }
    fn cur(&self) -> u8 {
        self.at(0)
    }
    fn skip_spaces(&mut self) {
        while self.cur() == b' ' {
            self.i += 1;
        }
    }
    fn rest(&self) -> &[u8] {
        self.s.get(self.i..).unwrap_or(&[])
    }
}

/// The spec being built, before normalization. Weekdays are a raw bit set
/// (0: none given), and the zone's `dst` is -1 when not pinned.
struct Draft {
    weekdays: i32,
    end_of_month: bool,
    utc: bool,
    dst: Option<(bool, String)>,
    named: Option<Box<TimeZone>>,
    year: Vec<Component>,
    month: Vec<Component>,
    day: Vec<Component>,
    hour: Vec<Component>,
    minute: Vec<Component>,
    microsecond: Vec<Component>,
}

fn one(v: i64) -> Vec<Component> {
    vec![Component { start: v, stop: -1, repeat: 0 }]
}

pub(super) fn parse(text: &str, local: &TimeZone, zoneinfo: &Path) -> R<CalendarSpec> {
    let mut d = Draft {
        weekdays: 0,
        end_of_month: false,
        utc: false,
        dst: None,
        named: None,
        year: Vec::new(),
        month: Vec::new(),
        day: Vec::new(),
        hour: Vec::new(),
        minute: Vec::new(),
        microsecond: Vec::new(),
    };
    let mut p: &str = text;
    if let Some(cut) = ends_with_no_case(p, " UTC") {
        d.utc = true;
        p = &p[..cut];
    } else {
        let (std, dst) = local.tzname();
        let pinned = [std, dst].iter().enumerate().find_map(|(j, name)| {
            if name.is_empty() {
                return None;
            }
            let cut = ends_with_no_case(p, name)?;
            (cut > 0 && p.as_bytes().get(cut - 1) == Some(&b' ')).then_some((j, cut))
        });
        if let Some((j, cut)) = pinned {
            d.dst = Some((j == 1, if j == 1 { dst } else { std }.to_string()));
            p = &p[..cut - 1];
        } else if let Some(space) = p.rfind(' ') {
            if let Ok(z) = TimeZone::named(&p[space + 1..], zoneinfo) {
                d.named = Some(Box::new(z));
                p = &p[..space];
            }
        }
    }
    if p.is_empty() {
        return Err(E::Invalid);
    }
    if !shorthand(p, &mut d) {
        let mut c = Cursor { s: p.as_bytes(), i: 0 };
        parse_weekdays(&mut c, &mut d)?;
        if !parse_date(&mut c, &mut d)? {
            parse_time(&mut c, &mut d)?;
        }
        if c.cur() != 0 {
            return Err(E::Invalid);
        }
    }
    normalize(d)
}

/// The shorthand words; `false` if `p` is none of them.
fn shorthand(p: &str, d: &mut Draft) -> bool {
    let is = |w: &str| p.eq_ignore_ascii_case(w);
    let midnight = |d: &mut Draft| {
        d.hour = one(0);
        d.minute = one(0);
        d.microsecond = one(0);
    };
    if is("minutely") {
        d.microsecond = one(0);
    } else if is("hourly") {
        d.minute = one(0);
        d.microsecond = one(0);
    } else if is("daily") {
        midnight(d);
    } else if is("monthly") {
        d.day = one(1);
        midnight(d);
    } else if is("annually") || is("yearly") || is("anually") {
        d.month = one(1);
        d.day = one(1);
        midnight(d);
    } else if is("weekly") {
        d.weekdays = 1;
        midnight(d);
    } else if is("quarterly") {
        d.month = [1, 4, 7, 10].iter().map(|&m| Component { start: m, stop: -1, repeat: 0 }).collect();
        d.day = one(1);
        midnight(d);
    } else if is("biannually") || is("bi-annually") || is("semiannually") || is("semi-annually") {
        d.month = [1, 7].iter().map(|&m| Component { start: m, stop: -1, repeat: 0 }).collect();
        d.day = one(1);
        midnight(d);
    } else {
        return false;
    }
    true
}

const DAY_NAMES: [(&str, i32); 14] = [
    ("Monday", 0),
    ("Mon", 0),
    ("Tuesday", 1),
    ("Tue", 1),
    ("Wednesday", 2),
    ("Wed", 2),
    ("Thursday", 3),
    ("Thu", 3),
    ("Friday", 4),
    ("Fri", 4),
    ("Saturday", 5),
    ("Sat", 5),
    ("Sunday", 6),
    ("Sun", 6),
];

fn parse_weekdays(c: &mut Cursor<'_>, d: &mut Draft) -> R<()> {
    let mut range_from: Option<i32> = None;
    let mut first = true;
    loop {
        let found = DAY_NAMES.iter().find(|(name, _)| {
            c.rest().get(..name.len()).is_some_and(|head| head.eq_ignore_ascii_case(name.as_bytes()))
        });
        let Some(&(name, nr)) = found else {
            // Not a weekday: the spec starts with the date, unless we were
            // in the middle of a list.
            return if first { Ok(()) } else { Err(E::Invalid) };
        };
        if !matches!(c.at(name.len()), 0 | b'-' | b'.' | b',' | b' ') {
            return Err(E::Invalid);
        }
        d.weekdays |= 1 << nr;
        if let Some(l) = range_from {
            if l > nr {
                return Err(E::Invalid);
            }
            for j in l + 1..nr {
                d.weekdays |= 1 << j;
            }
        }
        c.i += name.len();
        match c.cur() {
            0 => return Ok(()),
            b' ' => {
                c.skip_spaces();
                return Ok(());
            }
            b'.' => {
                if range_from.is_some() || c.at(1) != b'.' {
                    return Err(E::Invalid);
                }
                range_from = Some(nr);
                c.i += 2;
            }
            // The old range syntax, kept by systemd for compatibility.
            b'-' => {
                if range_from.is_some() {
                    return Err(E::Invalid);
                }
                range_from = Some(nr);
                c.i += 1;
            }
            b',' => {
                range_from = None;
                c.i += 1;
            }
            _ => {}
        }
        // A trailing comma is fine, an open range is not.
        if matches!(c.cur(), 0 | b' ') {
            c.skip_spaces();
            return if range_from.is_none() { Ok(()) } else { Err(E::Invalid) };
        }
        first = false;
    }
}

/// `strtoul()` in base 10 at the cursor: `(value, bytes consumed)`.
fn strtoul(c: &Cursor<'_>) -> R<(u64, usize)> {
    let r = c_strto(c.rest(), 10);
    if r.overflow {
        return Err(E::OutOfRange);
    }
    if r.end == 0 {
        return Err(E::Invalid);
    }
    Ok((if r.negative { r.magnitude.wrapping_neg() } else { r.magnitude }, r.end))
}

/// `parse_component_decimal()`: digits, and for seconds an optional
/// fraction of up to six digits (a seventh rounds). A `..` is a range, not
/// a fraction.
fn decimal(c: &mut Cursor<'_>, usec: bool) -> R<i64> {
    if !c.cur().is_ascii_digit() {
        return Err(E::Invalid);
    }
    let (mut value, n) = strtoul(c)?;
    c.i += n;
    if usec {
        value = value.checked_mul(USEC_PER_SEC as u64).ok_or(E::OutOfRange)?;
        if c.cur() == b'.' && c.at(1) != b'.' {
            c.i += 1;
            let mut add: u64 = 0;
            let mut k = 0;
            while k < 6 {
                let b = c.cur();
                if !b.is_ascii_digit() {
                    if k == 0 {
                        return Err(E::Invalid);
                    }
                    break;
                }
                add = add * 10 + u64::from(b - b'0');
                c.i += 1;
                k += 1;
            }
            add *= 10u64.pow(6 - k);
            if (b'5'..=b'9').contains(&c.cur()) {
                add += 1;
            }
            while c.cur().is_ascii_digit() {
                c.i += 1;
            }
            value = value.checked_add(add).ok_or(E::OutOfRange)?;
        }
    }
    if value > INT_MAX as u64 {
        return Err(E::OutOfRange);
    }
    Ok(value as i64)
}

/// A comma list of `start[..stop][/repeat]` (`prepend_component()`).
fn components(c: &mut Cursor<'_>, usec: bool) -> R<Vec<Component>> {
    let mut out = Vec::new();
    loop {
        if out.len() > COMPONENTS_MAX {
            return Err(E::TooManyComponents);
        }
        let start = decimal(c, usec)?;
        let mut stop = -1;
        let mut repeat = 0;
        if c.cur() == b'.' && c.at(1) == b'.' {
            c.i += 2;
            stop = decimal(c, usec)?;
            repeat = if usec { USEC_PER_SEC } else { 1 };
        }
        if c.cur() == b'/' {
            c.i += 1;
            repeat = decimal(c, usec)?;
            if repeat == 0 {
                return Err(E::OutOfRange);
            }
        } else {
            if start > INT_MAX - repeat {
                return Err(E::OutOfRange);
            }
            // Without an explicit repetition a seconds range steps by whole
            // seconds, so it must span at least one.
            if usec && stop >= 0 && start + repeat > stop {
                return Err(E::Invalid);
            }
        }
        if !matches!(c.cur(), 0 | b' ' | b',' | b'-' | b'~' | b':') {
            return Err(E::Invalid);
        }
        out.push(Component { start, stop, repeat });
        if c.cur() != b',' {
            return Ok(out);
        }
        c.i += 1;
    }
}

/// `parse_chain()`: `*` or a list. A seconds `*` is "every whole second".
fn chain(c: &mut Cursor<'_>, usec: bool) -> R<Vec<Component>> {
    if c.cur() == b'*' {
        c.i += 1;
        return Ok(if usec { vec![Component { start: 0, stop: -1, repeat: USEC_PER_SEC }] } else { Vec::new() });
    }
    components(c, usec)
}

/// The date part. `Ok(true)` means `@SECONDS` filled in everything and no
/// time may follow.
fn parse_date(c: &mut Cursor<'_>, d: &mut Draft) -> R<bool> {
    if c.cur() == 0 {
        return Ok(false);
    }
    if c.cur() == b'@' {
        c.i += 1;
        let (value, n) = strtoul(c)?;
        c.i += n;
        let t = civil_from_secs(value as i64);
        if t.year - 1900 > INT_MAX {
            return Err(E::OutOfRange);
        }
        d.utc = true;
        d.year = one(t.year);
        d.month = one(t.month);
        d.day = one(t.day);
        d.hour = one(t.hour);
        d.minute = one(t.minute);
        d.microsecond = one(t.second * USEC_PER_SEC);
        return Ok(true);
    }
    // Work on a copy: if this turns out to be a time, the time parser
    // starts over from here.
    let mut t = Cursor { s: c.s, i: c.i };
    let first = chain(&mut t, false)?;
    if matches!(t.cur(), 0 | b':') {
        return Ok(false);
    }
    match t.cur() {
        b'~' => d.end_of_month = true,
        b'-' => {}
        _ => return Err(E::Invalid),
    }
    t.i += 1;
    let second = chain(&mut t, false)?;
    if matches!(t.cur(), 0 | b' ') {
        t.skip_spaces();
        c.i = t.i;
        d.month = first;
        d.day = second;
        return Ok(false);
    }
    if d.end_of_month {
        return Err(E::Invalid);
    }
    match t.cur() {
        b'~' => d.end_of_month = true,
        b'-' => {}
        _ => return Err(E::Invalid),
    }
    t.i += 1;
    let third = chain(&mut t, false)?;
    if !matches!(t.cur(), 0 | b' ') {
        return Err(E::Invalid);
    }
    t.skip_spaces();
    c.i = t.i;
    d.year = first;
    d.month = second;
    d.day = third;
    Ok(false)
}

/// `HOUR:MINUTE[:SECOND]`, or nothing for midnight.
fn parse_time(c: &mut Cursor<'_>, d: &mut Draft) -> R<()> {
    if c.cur() == 0 {
        d.hour = one(0);
        d.minute = one(0);
        d.microsecond = one(0);
        return Ok(());
    }
    let h = chain(c, false)?;
    if c.cur() != b':' {
        return Err(E::Invalid);
    }
    c.i += 1;
    let m = chain(c, false)?;
    let s = if c.cur() == 0 {
        one(0)
    } else {
        if c.cur() != b':' {
            return Err(E::Invalid);
        }
        c.i += 1;
        let s = chain(c, true)?;
        if c.cur() != 0 {
            return Err(E::Invalid);
        }
        s
    };
    d.hour = h;
    d.minute = m;
    d.microsecond = s;
    Ok(())
}

/// `normalize_chain()`: trim ranges to their last hit, drop repetitions
/// that cannot fire twice, sort and de-duplicate.
fn normalize_chain(chain: &mut Vec<Component>) {
    for i in chain.iter_mut() {
        if i.stop > i.start && i.repeat > 0 {
            i.stop -= (i.stop - i.start) % i.repeat;
        }
        if (i.stop > i.start && i.repeat > 0 && i.start + i.repeat > i.stop) || i.start == i.stop {
            i.repeat = 0;
            i.stop = -1;
        }
    }
    chain.sort();
    chain.dedup();
}

/// `chain_valid()`: every element inside `from..=to` (28 days less for
/// end-of-month days) and able to repeat at least once.
fn chain_valid(chain: &[Component], from: i64, to: i64, end_of_month: bool) -> bool {
    let to = if end_of_month { to - 3 } else { to };
    chain.iter().all(|c| {
        if c.start < from || c.start > to || c.repeat > to - from {
            return false;
        }
        if c.stop >= 0 {
            c.stop >= from && c.stop <= to && c.start + c.repeat <= c.stop
        } else if end_of_month {
            c.start - c.repeat >= from
        } else {
            c.start + c.repeat <= to
        }
    })
}

fn normalize(mut d: Draft) -> R<CalendarSpec> {
    for c in d.year.iter_mut() {
        for v in [&mut c.start, &mut c.stop] {
            if (0..70).contains(v) {
                *v += 2000;
            } else if (70..100).contains(v) {
                *v += 1900;
            }
        }
    }
    for chain in [&mut d.year, &mut d.month, &mut d.day, &mut d.hour, &mut d.minute, &mut d.microsecond] {
        normalize_chain(chain);
    }
    let end_of_month = d.end_of_month && !d.day.is_empty();
    let valid = chain_valid(&d.year, MIN_YEAR, MAX_YEAR, false)
        && chain_valid(&d.month, 1, 12, false)
        && chain_valid(&d.day, 1, 31, end_of_month)
        && chain_valid(&d.hour, 0, 23, false)
        && chain_valid(&d.minute, 0, 59, false)
        && chain_valid(&d.microsecond, 0, 60 * USEC_PER_SEC - 1, false);
    if !valid {
        return Err(E::Invalid);
    }
    let weekdays = (d.weekdays > 0 && d.weekdays < ALL_WEEKDAYS).then_some(d.weekdays as u8);
    let zone = if d.utc {
        SpecZone::Utc
    } else if let Some(z) = d.named {
        SpecZone::Named(z)
    } else {
        SpecZone::Local { dst: d.dst }
    };
    Ok(CalendarSpec {
        weekdays,
        end_of_month,
        zone,
        year: d.year,
        month: d.month,
        day: d.day,
        hour: d.hour,
        minute: d.minute,
        microsecond: d.microsecond,
    })
}
