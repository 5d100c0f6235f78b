//! Timer units in the CLI: `systemctl list-timers` and the `Trigger:`
//! line of a timer's `status`, as systemd 252's systemctl prints them.
//!
//! A timer's next elapse is known on up to two clocks (a calendar one on
//! the wall clock, a monotonic one counted from boot); systemctl shows the
//! sooner, the monotonic one moved onto the wall clock through the
//! current time on both (`calc_next_elapse()`). The manager sends both
//! as `show` prints them (`NextElapseUSecRealtime` a timestamp,
//! `NextElapseUSecMonotonic` a time span), and they are read back here.
//!
//! `list-timers` lists the timer units that are active (with `--all`,
//! loaded and inactive ones too), soonest first, those with no next elapse
//! last: NEXT, LEFT, LAST, PASSED, UNIT, ACTIVATES, `-` where a time is
//! unknown.

use anyhow::Result;
use proto::client::Client;
use proto::{Request, Response};

use super::status_lines::{parse_stamp, realtime_now, relative};
use super::table::{Cell, Table};

/// `CLOCK_MONOTONIC` now, µs.
fn monotonic_now() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000
}

/// The next elapse on the wall clock, from a timer's properties (0 = none).
pub fn next_elapse(p: &[(String, String)]) -> u64 {
    let get = |k: &str| p.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str());
    let now = realtime_now();
    let real = parse_stamp(get("NextElapseUSecRealtime"), now).unwrap_or(0);
    let mono = unit::value::time::parse_sec(get("NextElapseUSecMonotonic")).map_or(0, |u| u.0);
    let mono = if mono == 0 { 0 } else { now.saturating_add(mono).saturating_sub(monotonic_now()) };
    match (real, mono) {
        (0, m) => m,
        (r, 0) => r,
        (r, m) => r.min(m),
    }
}

/// `status`'s `    Trigger: TIMESTAMP; N left` (`n/a` when not waiting).
pub fn trigger_line(p: &[(String, String)]) -> String {
    match next_elapse(p) {
        0 => "    Trigger: n/a".to_string(),
        t => format!("    Trigger: {}; {}", crate::journalctl::time::format_timestamp(t, false), relative(t, realtime_now())),
    }
}

/// `systemctl list-timers [PATTERN…]`.
pub fn list_timers(c: &mut Client, patterns: &[String], l: &super::manage::Listing) -> Result<u8> {
    let first = c.call(&Request::ListUnits { patterns: vec![], types: vec!["timer".into()], states: vec![], all: l.all })?;
    let Response::Units { units } = first else { anyhow::bail!("unexpected reply from the manager: {first:?}") };
    let flags = unit::condition::compare::MatchFlags::default();
    // Patterns name timer units (`expand_unit_names(…, ".timer")`).
    let pats: Vec<String> =
        patterns.iter().map(|p| if p.contains('.') || p.contains(['*', '?', '[']) { p.clone() } else { format!("{p}.timer") }).collect();
    let names: Vec<String> = units
        .into_iter()
        .filter(|u| u.name.ends_with(".timer") && u.load == "loaded")
        .filter(|u| l.all || u.active != "inactive" || u.job.is_some())
        .filter(|u| pats.is_empty() || pats.iter().any(|p| unit::condition::compare::fnmatch(p, &u.name, flags)))
        .map(|u| u.name)
        .collect();
    let props = ["NextElapseUSecRealtime", "NextElapseUSecMonotonic", "LastTriggerUSec", "Triggers"];
    let mut rows = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let p = super::runtime::show(c, name, &props, i + 1 == names.len())?;
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map_or(String::new(), |(_, v)| v.clone());
        let last = parse_stamp(&get("LastTriggerUSec"), realtime_now()).unwrap_or(0);
        let triggers: Vec<String> = get("Triggers").split_whitespace().map(str::to_string).collect();
        rows.push((next_elapse(&p), last, name.clone(), triggers));
    }
    // Soonest first; no next elapse last (`timer_info_compare()`).
    rows.sort_by(|a, b| (a.0 == 0, a.0, &a.2).cmp(&(b.0 == 0, b.0, &b.2)));
    let now = realtime_now();
    let when = |t: u64| if t == 0 { "-".to_string() } else { crate::journalctl::time::format_timestamp(t, false) };
    let ago = |t: u64| if t == 0 { "-".to_string() } else { relative(t, now) };
    let mut tb = Table::new(&["next", "left", "last", "passed", "unit", "activates"]);
    for (next, last, name, triggers) in &rows {
        tb.push(vec![
            Cell::new(when(*next)),
            Cell::new(ago(*next)),
            Cell::new(when(*last)),
            Cell::new(ago(*last)),
            Cell::new(name.clone()),
            Cell::many(triggers.clone()),
        ]);
    }
    // JSON has the times as µs since the epoch, and `left`/`passed` the
    // same numbers as `next`/`last` (systemd 252 prints them so).
    if let Some(pretty) = l.json {
        let json: Vec<Vec<(String, serde_json::Value)>> = rows
            .iter()
            .map(|(next, last, name, triggers)| {
                let activates = match triggers.as_slice() {
                    [one] => serde_json::Value::from(one.clone()),
                    many => serde_json::Value::from(many.to_vec()),
                };
                vec![
                    ("next".into(), (*next).into()),
                    ("left".into(), (*next).into()),
                    ("last".into(), (*last).into()),
                    ("passed".into(), (*last).into()),
                    ("unit".into(), name.clone().into()),
                    ("activates".into(), activates),
                ]
            })
            .collect();
        print!("{}", super::table::json_array(&json, pretty));
        return Ok(0);
    }
    print!("{}", tb.render(l.legend));
    if l.legend {
        println!("\n{} timers listed.", rows.len());
        if !l.all {
            println!("Pass --all to see loaded but inactive timers, too.");
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(real: &str, mono: &str) -> Vec<(String, String)> {
        vec![("NextElapseUSecRealtime".into(), real.into()), ("NextElapseUSecMonotonic".into(), mono.into())]
    }

    #[test]
    fn next_elapse_takes_the_sooner_clock() {
        assert_eq!(next_elapse(&props("", "0")), 0);
        assert_eq!(trigger_line(&props("", "0")), "    Trigger: n/a");
        let real = parse_stamp("Sat 2100-01-02 00:00:00 UTC", realtime_now()).unwrap();
        assert_eq!(next_elapse(&props("Sat 2100-01-02 00:00:00 UTC", "0")), real);
        // A monotonic elapse an hour from now is sooner than 2100.
        let in_an_hour = unit::value::time::format_timespan(monotonic_now() + 3_600_000_000, 1);
        let t = next_elapse(&props("Sat 2100-01-02 00:00:00 UTC", &in_an_hour));
        let now = realtime_now();
        assert!(t > now + 3_590_000_000 && t < now + 3_610_000_000, "{t} vs {now}");
        assert!(trigger_line(&props("", &in_an_hour)).ends_with("left"));
    }
}
