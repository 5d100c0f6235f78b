//! `systemd-analyze time` and `blame`: how long the boot took, and how
//! long each unit took to start, read from the running manager
//! (`systemd-analyze(1)`).
//!
//! Both rest on the manager's start-up instants (`show` without a unit:
//! `UserspaceTimestampMonotonic`, `FinishTimestampMonotonic`) and on each
//! unit's own state changes (`InactiveExitTimestampMonotonic` when it began
//! to start, `ActiveEnterTimestampMonotonic` when it was up). vigil knows
//! no firmware, loader, kernel or initrd times (it starts as a container's
//! init would, or beside another one), so `time` reports the userspace
//! part only, as systemd-analyze does in a container.
//!
//! Before the boot's jobs are done both refuse, as systemd-analyze does,
//! with its three lines and exit status 1.

use unit::value::time::format_timespan;

use crate::ctl::{boot_data, get, BootData, Target};

const MANAGER: [&str; 2] = ["UserspaceTimestampMonotonic", "FinishTimestampMonotonic"];
const UNIT: [&str; 5] = [
    "Id",
    "InactiveExitTimestampMonotonic",
    "ActiveEnterTimestampMonotonic",
    "InactiveEnterTimestampMonotonic",
    "LoadState",
];

/// A `…Monotonic` property as a number (0 when unset).
pub(super) fn usec(p: &[(String, String)], k: &str) -> u64 {
    get(p, k).parse().unwrap_or(0)
}

/// The manager's data (with `default.target`'s for `time`), or the exit
/// status after saying why there is none.
fn acquire(t: &Target<'_>, default_target: bool) -> Result<BootData, u8> {
    let data = boot_data(t, &MANAGER, &UNIT, default_target).map_err(|e| {
        eprintln!("{e:#}");
        1
    })?;
    if usec(&data.manager, "FinishTimestampMonotonic") == 0 {
        return Err(not_finished());
    }
    Ok(data)
}

/// systemd-analyze's three lines while the boot's jobs run; exit status 1.
pub(super) fn not_finished() -> u8 {
    eprintln!("Bootup is not yet finished (org.freedesktop.systemd1.Manager.FinishTimestampMonotonic=0).");
    eprintln!("Please try again later.");
    eprintln!("Hint: Use 'systemctl list-jobs' to see active jobs");
    1
}

/// `systemd-analyze time`.
pub fn time(t: &Target<'_>) -> u8 {
    let data = match acquire(t, true) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let start = usec(&data.manager, "UserspaceTimestampMonotonic");
    let finish = usec(&data.manager, "FinishTimestampMonotonic");
    // systemd-analyze's line ends in a blank after "(userspace)".
    let mut out = format!("Startup finished in {} (userspace) ", format_timespan(finish.saturating_sub(start), 1000));
    // The boot's target as the manager resolved `default.target` (the
    // unit it is an alias of), when there is one.
    let p = &data.default_target;
    if get(p, "LoadState") == "loaded" {
        let reached = usec(p, "ActiveEnterTimestampMonotonic");
        let id = get(p, "Id");
        if reached > 0 {
            out.push_str(&format!("\n{id} reached after {} in userspace.", format_timespan(reached.saturating_sub(start), 1000)));
        } else {
            out.push_str(&format!("\n{id} was never reached."));
        }
    }
    println!("{out}");
    0
}

/// How long a unit took to start: from leaving the inactive state to
/// becoming active, or — if it never did — to becoming inactive again
/// (`acquire_time_data()`); nothing for a unit that did not start.
fn start_time(p: &[(String, String)]) -> Option<u64> {
    let activating = usec(p, "InactiveExitTimestampMonotonic");
    if activating == 0 {
        return None;
    }
    let activated = usec(p, "ActiveEnterTimestampMonotonic");
    let deactivated = usec(p, "InactiveEnterTimestampMonotonic");
    let time = if activated >= activating { activated - activating } else { deactivated.saturating_sub(activating) };
    (time > 0).then_some(time)
}

/// `systemd-analyze blame`: the units that took time to start, slowest
/// first, the time right-aligned.
pub fn blame(t: &Target<'_>) -> u8 {
    let data = match acquire(t, false) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let mut rows: Vec<(u64, &str)> = data.units.iter().filter_map(|(_, p)| Some((start_time(p)?, get(p, "Id")))).collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let shown: Vec<(String, &str)> = rows.iter().map(|(us, id)| (format_timespan(*us, 1000), *id)).collect();
    let width = shown.iter().map(|(s, _)| s.chars().count()).max().unwrap_or(0);
    for (time, id) in shown {
        println!("{time:>width$} {id}");
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(kv: &[(&str, u64)]) -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn start_time_as_systemd_analyze_counts_it() {
        let up = props(&[("InactiveExitTimestampMonotonic", 100), ("ActiveEnterTimestampMonotonic", 350)]);
        assert_eq!(start_time(&up), Some(250));
        // Failed while starting: until it was inactive again.
        let failed = props(&[("InactiveExitTimestampMonotonic", 100), ("InactiveEnterTimestampMonotonic", 180)]);
        assert_eq!(start_time(&failed), Some(80));
        assert_eq!(start_time(&props(&[("ActiveEnterTimestampMonotonic", 5)])), None);
        let instant = props(&[("InactiveExitTimestampMonotonic", 100), ("ActiveEnterTimestampMonotonic", 100)]);
        assert_eq!(start_time(&instant), None);
    }
}
