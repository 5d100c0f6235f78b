//! The next elapse of a [`CalendarSpec`]: systemd's `find_next()` over C
//! broken-down times, with glibc's `mktime()`/`timegm()` modelled exactly
//! enough that normalization, daylight-saving gaps and overlaps come out
//! as they do in systemd.
//!
//! Why a model of `mktime()` and not "just compute": `find_next()` writes
//! candidate field values into a `struct tm` (hour 25, day 31 of
//! February, 02:30 inside a spring-forward gap) and relies on `mktime()`
//! to normalize them, comparing before and after to decide whether a field
//! overflowed and the search must restart. The result depends on how
//! `mktime()` resolves times that do not exist or exist twice, and on the
//! `tm_isdst` hint (-1, or pinned by a `CET`/`CEST` suffix). glibc resolves
//! them by iterating on a guessed UTC offset, starting from the offset of
//! its previous call; [`Clock::mktime`] follows `__mktime_internal()` step
//! for step, keeping that previous offset for the duration of one search.

use std::cell::Cell;

use super::civil::{civil_from_secs, days_from_civil, SECS_PER_DAY};
use super::tz::TimeZone;
use super::{CalendarSpec, Component, SpecZone, MAX_YEAR, USEC_PER_SEC};

/// The last instant systemd can format (9999-12-30 23:59:59 UTC); later
/// base times are refused.
const USEC_TIMESTAMP_FORMATTABLE_MAX: u64 = 253_402_214_399_000_000;

/// systemd's guard against endless searches.
const MAX_CALENDAR_ITERATIONS: usize = 1000;

/// A C `struct tm` with a full year. Fields may be out of range until
/// normalized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tm {
    year: i64,
    /// 0…11 once normalized.
    mon: i64,
    mday: i64,
    hour: i64,
    min: i64,
    sec: i64,
    /// -1 unknown, 0 standard time, 1 daylight time.
    isdst: i32,
    /// 0 is Sunday.
    wday: i64,
}

impl Tm {
    /// The broken-down time as if it were UTC, in seconds, with every
    /// field taken at face value (`ydhms_diff()` against the epoch).
    fn wall_secs(&self) -> i64 {
        let year = self.year + self.mon.div_euclid(12);
        let mon = self.mon.rem_euclid(12);
        (days_from_civil(year, mon + 1, 1) + self.mday - 1) * SECS_PER_DAY + self.hour * 3600 + self.min * 60 + self.sec
    }

    fn from_secs(wall: i64, isdst: i32) -> Tm {
        let c = civil_from_secs(wall);
        Tm {
            year: c.year,
            mon: c.month - 1,
            mday: c.day,
            hour: c.hour,
            min: c.minute,
            sec: c.second,
            isdst,
            wday: c.weekday,
        }
    }

    /// `tm_compare()`: year, month, day, hour, minute, second.
    fn key(&self) -> (i64, i64, i64, i64, i64, i64) {
        (self.year, self.mon, self.mday, self.hour, self.min, self.sec)
    }
}

/// The clock a search runs on: UTC (`timegm()`/`gmtime_r()`), or a zone
/// (`mktime()`/`localtime_r()`) with glibc's remembered offset guess.
struct Clock<'a> {
    zone: Option<&'a TimeZone>,
    /// glibc's `localtime_offset`: `t - wall` of the last `mktime()`.
    offset_guess: Cell<i64>,
}

impl Clock<'_> {
    /// `localtime_r()` / `gmtime_r()`.
    fn convert(&self, t: i64) -> Tm {
        match self.zone {
            None => Tm::from_secs(t, 0),
            Some(z) => {
                let info = z.at(t);
                Tm::from_secs(t + info.offset, i32::from(info.is_dst))
            }
        }
    }

    /// `mktime()` / `timegm()`: normalize `tm` in place and return the
    /// time, or `None` where glibc returns -1 with `EOVERFLOW`.
    fn mktime(&self, tm: &mut Tm) -> Option<i64> {
        if self.zone.is_none() {
            let t = tm.wall_secs();
            *tm = Tm::from_secs(t, 0);
            return Some(t);
        }
        let isdst = tm.isdst;
        // glibc clamps the seconds for its leap-second handling and adds
        // the difference back at the end.
        let sec_requested = tm.sec;
        let mut req = *tm;
        req.sec = req.sec.clamp(0, 59);
        let wall = req.wall_secs();
        let diff = |got: &Tm| wall - got.wall_secs();

        let t0 = wall + self.offset_guess.get();
        let (mut t, mut t1, mut t2) = (t0, t0, t0);
        let mut dst2 = false;
        let mut remaining_probes = 6;
        let mut got;
        let mut found = false;
        loop {
            got = self.convert(t);
            let dt = diff(&got);
            if dt == 0 {
                break;
            }
            let got_dst = got.isdst != 0;
            let settle = if isdst < 0 { !dst2 || got_dst } else { (isdst != 0) != got_dst };
            if t == t1 && t != t2 && settle {
                // Oscillating around a spring-forward gap: glibc keeps a
                // time `dt` away from the request, preferring the other
                // tm_isdst (or, without a hint, the daylight one).
                found = true;
                break;
            }
            remaining_probes -= 1;
            if remaining_probes == 0 {
                return None;
            }
            t1 = t2;
            t2 = t;
            t += dt;
            dst2 = got_dst;
        }
        if !found && isdst >= 0 && (isdst != 0) != (got.isdst != 0) {
            // The wall time exists but with the other tm_isdst: borrow the
            // offset of the nearest time that has the requested one.
            const STRIDE: i64 = 601_200;
            const DELTA_BOUND: i64 = 536_454_000 / 2 + STRIDE;
            let mut delta = STRIDE;
            let mut hit = None;
            'probe: while delta < DELTA_BOUND {
                for direction in [-1, 1] {
                    let ot = t + delta * direction;
                    let otm = self.convert(ot);
                    if (isdst != 0) == (otm.isdst != 0) {
                        hit = Some(ot + diff(&otm));
                        break 'probe;
                    }
                }
                delta += STRIDE;
            }
            t = hit?;
            got = self.convert(t);
        }
        self.offset_guess.set(t - wall);
        if sec_requested != got.sec {
            let adjust = i64::from(req.sec == 0 && got.sec == 60) - req.sec + sec_requested;
            t += adjust;
            got = self.convert(t);
        }
        *tm = got;
        Some(t)
    }
}

/// `tm_within_bounds()`: `Ok(true)` if `tm` is already normal, `Ok(false)`
/// if normalizing moved it forward (and `tm` now holds the normalized time
/// with the next smaller field reset), `Err(())` if it is past year 2199,
/// unrepresentable, or normalizing moved it backward.
fn within_bounds(clock: &Clock<'_>, tm: &mut Tm) -> Result<bool, ()> {
    if tm.year > MAX_YEAR {
        return Err(());
    }
    let mut t = *tm;
    // systemd treats any negative time as a failure of mktime().
    match clock.mktime(&mut t) {
        Some(secs) if secs >= 0 => {}
        _ => return Err(()),
    }
    let cmp;
    if t.year != tm.year {
        cmp = t.year.cmp(&tm.year);
        t.mon = 0;
    } else if t.mon != tm.mon {
        cmp = t.mon.cmp(&tm.mon);
        t.mday = 1;
    } else if t.mday != tm.mday {
        cmp = t.mday.cmp(&tm.mday);
        t.hour = 0;
    } else if t.hour != tm.hour {
        cmp = t.hour.cmp(&tm.hour);
        t.min = 0;
    } else if t.min != tm.min {
        cmp = t.min.cmp(&tm.min);
        t.sec = 0;
    } else {
        cmp = t.sec.cmp(&tm.sec);
    }
    match cmp {
        std::cmp::Ordering::Less => Err(()),
        std::cmp::Ordering::Equal => Ok(true),
        std::cmp::Ordering::Greater => {
            *tm = t;
            Ok(false)
        }
    }
}

/// `find_end_of_month()`: the day of month that is `day` days before the
/// first of the next month, or -1 if that falls outside `tm`'s month.
fn end_of_month(clock: &Clock<'_>, tm: &Tm, day: i64) -> i64 {
    let mut t = *tm;
    t.mon += 1;
    t.mday = 1 - day;
    match clock.mktime(&mut t) {
        Some(secs) if secs >= 0 && t.mon == tm.mon => t.mday,
        _ => -1,
    }
}

/// `find_matching_component()`: the earliest value ≥ `*val` that one of
/// the chain's elements produces. `Ok(changed)`, or `Err(())` if none.
fn matching(clock: &Clock<'_>, chain: &[Component], eom: bool, tm: &Tm, val: &mut i64) -> Result<bool, ()> {
    if chain.is_empty() {
        return Ok(false);
    }
    let mut best: Option<i64> = None;
    for c in chain {
        let (mut start, mut stop) = (c.start, c.stop);
        if eom {
            start = end_of_month(clock, tm, c.start);
            stop = end_of_month(clock, tm, c.stop);
            if stop > 0 {
                std::mem::swap(&mut start, &mut stop);
            }
        }
        if start >= *val {
            if best.is_none_or(|d| start < d) {
                best = Some(start);
            }
        } else if c.repeat > 0 {
            let k = start + c.repeat * (*val - start + c.repeat - 1).div_euclid(c.repeat);
            if best.is_none_or(|d| k < d) && (stop < 0 || k <= stop) {
                best = Some(k);
            }
        }
    }
    let d = best.ok_or(())?;
    let changed = *val != d;
    *val = d;
    Ok(changed)
}

fn matches_weekday(clock: &Clock<'_>, bits: Option<u8>, tm: &Tm) -> bool {
    let Some(bits) = bits else { return true };
    let mut t = *tm;
    match clock.mktime(&mut t) {
        Some(secs) if secs >= 0 => {
            let k = if t.wday == 0 { 6 } else { t.wday - 1 };
            bits & (1 << k) != 0
        }
        _ => false,
    }
}

enum Stop {
    /// `ENOENT`: never again.
    Never,
    /// `EDEADLK`: the iteration guard tripped.
    Stuck,
}

/// `find_next()`: the first matching broken-down time at or after
/// `tm`+`usec`.
fn find_next(spec: &CalendarSpec, clock: &Clock<'_>, tm: &mut Tm, usec: &mut i64) -> Result<(), Stop> {
    let dst = match &spec.zone {
        SpecZone::Local { dst: Some((d, _)) } => i32::from(*d),
        _ => -1,
    };
    let mut c = *tm;
    let mut tm_usec = *usec;
    let mut invalidate_dst = false;
    for _ in 0..MAX_CALENDAR_ITERATIONS {
        let _ = clock.mktime(&mut c);
        if !invalidate_dst {
            c.isdst = dst;
        }

        let snapshot = c;
        let r = matching(clock, &spec.year, false, &snapshot, &mut c.year).map_err(|()| Stop::Never)?;
        if r {
            c.mon = 0;
            c.mday = 1;
            (c.hour, c.min, c.sec, tm_usec) = (0, 0, 0, 0);
        }
        if !matches!(within_bounds(clock, &mut c), Ok(true)) {
            return Err(Stop::Never);
        }

        let snapshot = c;
        let mut mon1 = c.mon + 1;
        let r = matching(clock, &spec.month, false, &snapshot, &mut mon1);
        c.mon = mon1 - 1;
        if let Ok(true) = r {
            c.mday = 1;
            (c.hour, c.min, c.sec, tm_usec) = (0, 0, 0, 0);
        }
        match r.and_then(|_| within_bounds(clock, &mut c)) {
            Err(()) => {
                c.year += 1;
                c.mon = 0;
                c.mday = 1;
                (c.hour, c.min, c.sec, tm_usec) = (0, 0, 0, 0);
                continue;
            }
            Ok(false) => continue,
            Ok(true) => {}
        }

        let snapshot = c;
        let r = matching(clock, &spec.day, spec.end_of_month, &snapshot, &mut c.mday);
        if let Ok(true) = r {
            (c.hour, c.min, c.sec, tm_usec) = (0, 0, 0, 0);
        }
        match r.and_then(|_| within_bounds(clock, &mut c)) {
            Err(()) => {
                c.mon += 1;
                c.mday = 1;
                (c.hour, c.min, c.sec, tm_usec) = (0, 0, 0, 0);
                continue;
            }
            Ok(false) => continue,
            Ok(true) => {}
        }

        if !matches_weekday(clock, spec.weekdays, &c) {
            c.mday += 1;
            (c.hour, c.min, c.sec, tm_usec) = (0, 0, 0, 0);
            continue;
        }

        let snapshot = c;
        let r = matching(clock, &spec.hour, false, &snapshot, &mut c.hour);
        if let Ok(true) = r {
            (c.min, c.sec, tm_usec) = (0, 0, 0);
        }
        match r.and_then(|_| within_bounds(clock, &mut c)) {
            Err(()) => {
                c.mday += 1;
                (c.hour, c.min, c.sec, tm_usec) = (0, 0, 0, 0);
                continue;
            }
            // The hour may not exist (a DST gap): start over from the
            // normalized time.
            Ok(false) => continue,
            Ok(true) => {}
        }

        let snapshot = c;
        let r = matching(clock, &spec.minute, false, &snapshot, &mut c.min);
        if let Ok(true) = r {
            (c.sec, tm_usec) = (0, 0);
        }
        match r.and_then(|_| within_bounds(clock, &mut c)) {
            Err(()) => {
                c.hour += 1;
                (c.min, c.sec, tm_usec) = (0, 0, 0);
                continue;
            }
            Ok(false) => continue,
            Ok(true) => {}
        }

        let snapshot = c;
        let mut us = c.sec * USEC_PER_SEC + tm_usec;
        let r = matching(clock, &spec.microsecond, false, &snapshot, &mut us);
        tm_usec = us % USEC_PER_SEC;
        c.sec = us / USEC_PER_SEC;
        match r.and_then(|_| within_bounds(clock, &mut c)) {
            Err(()) => {
                c.min += 1;
                (c.sec, tm_usec) = (0, 0);
                continue;
            }
            Ok(false) => continue,
            Ok(true) => {}
        }

        let not_after = match tm.key().cmp(&c.key()) {
            std::cmp::Ordering::Equal => *usec > tm_usec,
            o => o == std::cmp::Ordering::Greater,
        };
        if not_after {
            // Stuck (typically in a DST overlap): step on and let mktime()
            // pick the offset from now on.
            invalidate_dst = true;
            c.hour += 1;
            continue;
        }
        *tm = c;
        *usec = tm_usec;
        return Ok(());
    }
    Err(Stop::Stuck)
}

/// `calendar_spec_next_usec()`.
pub(super) fn next_usec(spec: &CalendarSpec, after: u64, local: &TimeZone) -> Option<u64> {
    if after > USEC_TIMESTAMP_FORMATTABLE_MAX {
        return None;
    }
    let zone = match &spec.zone {
        SpecZone::Utc => None,
        SpecZone::Named(z) => Some(&**z),
        SpecZone::Local { .. } => Some(local),
    };
    let clock = Clock { zone, offset_guess: Cell::new(0) };
    let usec = after + 1;
    let t = (usec / USEC_PER_SEC as u64) as i64;
    let mut tm = clock.convert(t);
    let mut tm_usec = (usec % USEC_PER_SEC as u64) as i64;
    match find_next(spec, &clock, &mut tm, &mut tm_usec) {
        Ok(()) => {}
        Err(Stop::Never) | Err(Stop::Stuck) => return None,
    }
    let t = clock.mktime(&mut tm).filter(|t| *t >= 0)?;
    Some(t as u64 * USEC_PER_SEC as u64 + tm_usec as u64)
}
