//! The lines of `systemctl status` that are computed on the client side
//! from the unit's properties (systemd 252's `print_status_info()`):
//!
//! - `Loaded:` names the unit file and, when the manager knows it, its
//!   enablement state and the vendor preset (`; enabled; vendor preset:
//!   enabled` — the preset only for `enabled`/`disabled`, as systemctl's
//!   `show_preset_for_state()` decides); a unit that did not load gives
//!   the reason instead, the message of its `LoadError` (`not-found
//!   (Reason: Unit x.service not found.)`), its state in red for
//!   `error`, `not-found` and `bad-setting` (not for `masked`);
//! - `Active:` ends in `since TIMESTAMP; RELATIVE` with the timestamp the
//!   state calls for: entering active for `active`/`reloading`, entering
//!   inactive for `inactive`/`failed`, leaving inactive for `activating`,
//!   leaving active otherwise; RELATIVE is `format_timestamp_relative()`
//!   ("5s ago", "2min 3s ago", "1h 2min ago", "1 day 3h ago"…);
//! - `Duration:` of an inactive or failed unit that had been active;
//! - `Docs:` with one `Documentation=` URI per line (after `Triggers:`,
//!   before `Listen:`);
//! - `Condition:`/`Assert:` when the last start found the unit's
//!   conditions (asserts) not met: `start condition failed at TIMESTAMP;
//!   RELATIVE`, then every condition whose check failed, drawn as a tree
//!   (`├─ ConditionPathExists=|/x was not met`), in assignment order; for
//!   asserts only one line, the failed non-trigger assert, else the first
//!   failed trigger's `none of the trigger assertions were met` (systemctl
//!   picks it from the bus list, which is in reverse assignment order);
//! - `Main PID:` of a main process that exited: its pid and how it ended
//!   (`code=exited, status=0/SUCCESS`), from `ExecMainPID`,
//!   `ExecMainCode` and `ExecMainStatus`;
//! - `Process:` for every command of the current start cycle that has
//!   exited (`ExecStartPre=`…`ExecStopPost=`, in that order, the main
//!   `ExecStart=` process included): `PID NAME=ARGV (code=exited,
//!   status=0/SUCCESS)` or `(code=killed, signal=TERM)`, parsed from the
//!   `{ path=… ; … }` values `show` gives for those properties;
//! - `Tasks:` when the manager counts them (`TasksCurrent` set), with
//!   `(limit: N)` when `TasksMax` is finite;
//! - `CGroup:` the group's path, then one line per process in it, drawn as
//!   a tree (`├─PID CMDLINE`, the last with `└─`), the command line quoted
//!   as systemd quotes it (`quote_command_line()`: an argument with
//!   whitespace, quotes or shell specials goes in double quotes) or
//!   `[comm]` when it has none (a kernel thread, a zombie). The processes
//!   are read from the cgroup file system, as systemctl reads them.
//!
//! The output is not a terminal's width: systemctl prints full lines when
//! stdout is not a terminal, which is how scripts and tests read it; on a
//! terminal vigil does not ellipsize command lines yet.

use super::runtime::get;
use crate::daemon::cgroup::read_proc;
use super::term::Glyphs;

const SEC: u64 = 1_000_000;
const MINUTE: u64 = 60 * SEC;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;
const MONTH: u64 = 2_629_800 * SEC;
const YEAR: u64 = 31_557_600 * SEC;

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// systemd's `format_timestamp_relative()` of `t` seen at `now` (µs).
pub fn relative(t: u64, now: u64) -> String {
    let (d, s) = if now > t { (now - t, "ago") } else { (t - now, "left") };
    if d >= YEAR {
        format!("{} {} {s}", plural(d / YEAR, "year", "years"), plural(d % YEAR / MONTH, "month", "months"))
    } else if d >= MONTH {
        format!("{} {} {s}", plural(d / MONTH, "month", "months"), plural(d % MONTH / DAY, "day", "days"))
    } else if d >= WEEK {
        format!("{} {} {s}", plural(d / WEEK, "week", "weeks"), plural(d % WEEK / DAY, "day", "days"))
    } else if d >= 2 * DAY {
        format!("{} days {s}", d / DAY)
    } else if d >= 25 * HOUR {
        format!("1 day {}h {s}", (d - DAY) / HOUR)
    } else if d >= 6 * HOUR {
        format!("{}h {s}", d / HOUR)
    } else if d >= HOUR {
        format!("{}h {}min {s}", d / HOUR, d % HOUR / MINUTE)
    } else if d >= 5 * MINUTE {
        format!("{}min {s}", d / MINUTE)
    } else if d >= MINUTE {
        format!("{}min {}s {s}", d / MINUTE, d % MINUTE / SEC)
    } else if d >= SEC {
        format!("{}s {s}", d / SEC)
    } else if d >= 1000 {
        format!("{}ms {s}", d / 1000)
    } else if d > 0 {
        format!("{d}us {s}")
    } else {
        "now".to_string()
    }
}

pub fn realtime_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64)
}

/// `Duration:` of an inactive or failed unit that was active: from
/// entering active to leaving it, to the millisecond (`print_status_info()`).
pub fn duration(p: &[(String, String)]) -> Option<String> {
    if !matches!(get(p, "ActiveState"), "inactive" | "failed") {
        return None;
    }
    let enter: u64 = get(p, "ActiveEnterTimestampMonotonic").parse().ok().filter(|t| *t > 0)?;
    let exit: u64 = get(p, "ActiveExitTimestampMonotonic").parse().ok().filter(|t| *t >= enter)?;
    Some(format!("   Duration: {}", unit::value::time::format_timespan(exit - enter, 1000)))
}

/// The `Documentation` URIs, from `show`'s words (each in double quotes
/// when it has shell specials, such as `"man:sshd(8)"`; a URI has no
/// blank, so the words split on blanks).
pub fn documentation(p: &[(String, String)]) -> Vec<String> {
    get(p, "Documentation")
        .split_whitespace()
        .map(|w| {
            let Some(inner) = w.strip_prefix('"').and_then(|w| w.strip_suffix('"')) else { return w.to_string() };
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                out.push(if c == '\\' { chars.next().unwrap_or(c) } else { c });
            }
            out
        })
        .collect()
}

/// One check of a `Conditions`/`Asserts` value (`checks.rs` in the
/// manager): state (1, -1 or 0), trigger, negate, name, parameter.
fn parse_checks(v: &str) -> Vec<(i8, bool, bool, &str, &str)> {
    v.lines()
        .filter_map(|l| {
            let mut f = l.splitn(5, '\t');
            let state = f.next()?.parse().ok()?;
            let (trigger, negate) = (f.next()? == "1", f.next()? == "1");
            Some((state, trigger, negate, f.next()?, f.next()?))
        })
        .collect()
}

/// The `Condition:` and `Assert:` lines (systemd 252's
/// `print_status_info()`), when the last start's checks failed.
pub fn checks(p: &[(String, String)], g: Glyphs) -> Vec<String> {
    let mut out = Vec::new();
    let yellow = super::term::ansi::HIGHLIGHT_YELLOW;
    let at = |key: &str| stamp_and_ago(get(p, key)).unwrap_or_else(|| get(p, key).to_string());
    if get(p, "ConditionResult") == "no" && !get(p, "ConditionTimestamp").is_empty() {
        let failed: Vec<_> = parse_checks(get(p, "Conditions")).into_iter().filter(|c| c.0 < 0).collect();
        out.push(format!("  Condition: start {} at {}", super::term::paint(yellow, "condition failed"), at("ConditionTimestamp")));
        for (i, (_, trigger, negate, name, param)) in failed.iter().enumerate() {
            let glyph = if i + 1 < failed.len() { g.tree_branch() } else { g.tree_right() };
            let (t, n) = (if *trigger { "|" } else { "" }, if *negate { "!" } else { "" });
            out.push(format!("             {glyph} {name}={t}{n}{param} was not met"));
        }
    }
    if get(p, "AssertResult") == "no" && !get(p, "AssertTimestamp").is_empty() {
        out.push(format!("     Assert: start {} at {}", super::term::paint(yellow, "assertion failed"), at("AssertTimestamp")));
        // map_asserts(): the bus order is the reverse of the file's; the
        // first failed one is kept unless a non-trigger one comes later.
        let mut picked: Option<(bool, bool, &str, &str)> = None;
        for (state, trigger, negate, name, param) in parse_checks(get(p, "Asserts")).into_iter().rev() {
            if state < 0 && (!trigger || picked.is_none()) {
                picked = Some((trigger, negate, name, param));
            }
        }
        match picked {
            Some((true, ..)) => out.push("             none of the trigger assertions were met".to_string()),
            Some((false, negate, name, param)) => {
                out.push(format!("             {name}={}{param} was not met", if negate { "!" } else { "" }))
            }
            None => {}
        }
    }
    out
}

/// The message of a `LoadError` value as `show` prints it
/// (`NAME "MESSAGE"`), or nothing.
fn load_error_message(v: &str) -> &str {
    v.split_once(' ').map_or("", |(_, m)| m.strip_prefix('"').and_then(|m| m.strip_suffix('"')).unwrap_or(m))
}

/// `Loaded: STATE (PATH; FILE-STATE; vendor preset: PRESET)`, or
/// `Loaded: STATE (Reason: WHY)` for a unit that did not load, after the
/// label.
pub fn loaded(p: &[(String, String)]) -> String {
    let state = get(p, "LoadState");
    let color = if matches!(state, "error" | "not-found" | "bad-setting") { super::term::ansi::RED } else { "" };
    let load = super::term::paint(color, state);
    let frag = get(p, "FragmentPath");
    let file_state = get(p, "UnitFileState");
    let preset = get(p, "UnitFilePreset");
    let reason = load_error_message(get(p, "LoadError"));
    if !reason.is_empty() {
        return format!("{load} (Reason: {reason})");
    }
    if frag.is_empty() {
        return load.to_string();
    }
    if file_state.is_empty() {
        return format!("{load} ({frag})");
    }
    let show_preset = !preset.is_empty() && matches!(file_state, "enabled" | "disabled");
    let preset = if show_preset { format!("; vendor preset: {preset}") } else { String::new() };
    format!("{load} ({frag}; {file_state}{preset})")
}

/// ` since TIMESTAMP; RELATIVE` for the `Active:` line, or nothing.
pub fn since(p: &[(String, String)]) -> String {
    let key = match get(p, "ActiveState") {
        "active" | "reloading" => "ActiveEnterTimestamp",
        "inactive" | "failed" => "InactiveEnterTimestamp",
        "activating" => "InactiveExitTimestamp",
        _ => "ActiveExitTimestamp",
    };
    match stamp_and_ago(get(p, key)) {
        Some(s) => format!(" since {s}"),
        None => String::new(),
    }
}

/// `TIMESTAMP; RELATIVE` for a timestamp as the manager sent it, or
/// nothing when it is unset or cannot be read back.
pub fn stamp_and_ago(stamp: &str) -> Option<String> {
    let now = realtime_now();
    let t = parse_stamp(stamp, now).filter(|_| !stamp.is_empty())?;
    Some(format!("{stamp}; {}", relative(t, now)))
}

/// A timestamp as the manager formats it: `… UTC`, or in the local time
/// zone with its abbreviation (`Thu 2026-11-26 11:05:59 CET`), which
/// `parse_timestamp` (systemd's, for `--since`) does not take. The
/// abbreviation is checked against this process's zone for that instant:
/// a stamp from a manager in another zone is left unread rather than
/// misread.
pub fn parse_stamp(stamp: &str, now: u64) -> Option<u64> {
    use crate::journalctl::time::{parse_timestamp, strftime};
    if let Some(t) = parse_timestamp(stamp, now) {
        return Some(t);
    }
    let (local, zone) = stamp.rsplit_once(' ')?;
    let t = parse_timestamp(local, now)?;
    (strftime("%Z", t, false) == zone).then_some(t)
}

/// systemd's `quote_command_line()` for one argument.
fn quote(arg: &str) -> String {
    const SPECIAL: &str = "\"\\`$*?['()<>|&;! \t\n\r";
    if !arg.is_empty() && !arg.chars().any(|c| SPECIAL.contains(c) || c.is_control()) {
        return arg.to_string();
    }
    let mut out = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '\\' | '`' | '$') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// A process's command line as the CGroup tree shows it.
fn cmdline(pid: u32) -> String {
    let raw = read_proc(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<String> =
        raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| quote(&String::from_utf8_lossy(a))).collect();
    if args.is_empty() {
        let comm = read_proc(format!("/proc/{pid}/comm")).and_then(|b| String::from_utf8(b).ok()).unwrap_or_default();
        return format!("[{}]", comm.trim());
    }
    args.join(" ")
}

/// `Main PID: N (code=…, status=…)` for a main process that is gone.
pub fn exited_main(p: &[(String, String)]) -> Option<String> {
    let pid: u32 = get(p, "ExecMainPID").parse().ok().filter(|n| *n > 0)?;
    let code = match get(p, "ExecMainCode") {
        "1" => "exited",
        "2" => "killed",
        "3" => "dumped",
        _ => return None,
    };
    let how = ended(code, get(p, "ExecMainStatus"))?;
    Some(format!("   Main PID: {pid} (code={code}, {how})"))
}

/// How a process ended, as `print_status_info()` words it for `Main PID:`
/// and `Process:`: `status=N/NAME` with only the libc and systemd names
/// (`exit_status_to_string(…, EXIT_STATUS_LIBC | EXIT_STATUS_SYSTEMD)`:
/// 3 is a bare `status=3` here, though the journal's "Main process
/// exited" line calls it `3/NOTIMPLEMENTED`), or `signal=NAME`.
fn ended(code: &str, status: &str) -> Option<String> {
    let number = status.split('/').next().unwrap_or(status);
    Some(match code {
        "exited" => match number.parse::<i32>().ok().and_then(unit::value::exit_status::name_of) {
            Some(n) => format!("status={number}/{n}"),
            None => format!("status={number}"),
        },
        "killed" | "dumped" => {
            let sig = number.parse::<i32>().map_or_else(|_| number.to_string(), engine::service::status::signal_name);
            format!("signal={sig}")
        }
        _ => return None,
    })
}

/// The properties whose values are commands with their last run.
const EXEC_PROPERTIES: [&str; 7] =
    ["ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost"];

/// One field of a `{ path=… ; argv[]=… ; … }` value. `argv[]` may itself
/// hold " ; ", so it is the text up to the last " ; ignore_errors=".
fn exec_field<'a>(v: &'a str, key: &str) -> Option<&'a str> {
    let body = v.strip_prefix("{ ")?.strip_suffix(" }")?;
    if key == "argv[]" {
        let start = body.find(" ; argv[]=")? + " ; argv[]=".len();
        let end = body.rfind(" ; ignore_errors=")?;
        return body.get(start..end);
    }
    let tail = &body[body.rfind(" ; ignore_errors=")?..];
    tail.split(" ; ").find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
}

/// The `Process:` lines (systemd's `print_status_info()`): commands that
/// ran in this cycle and exited.
pub fn processes(p: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (name, v) in p.iter().filter(|(k, _)| EXEC_PROPERTIES.contains(&k.as_str())) {
        // Not exited (yet): systemctl shows only exited processes. Told by
        // the code before the other fields are looked for.
        let Some(code) = exec_field(v, "code").filter(|c| matches!(*c, "exited" | "killed" | "dumped")) else {
            continue;
        };
        let (Some(pid), Some(status), Some(argv)) = (exec_field(v, "pid"), exec_field(v, "status"), exec_field(v, "argv[]"))
        else {
            continue;
        };
        // Not exited (yet): systemctl shows only exited processes.
        let Some(how) = ended(code, status) else { continue };
        out.push(format!("    Process: {pid} {name}={argv} (code={code}, {how})"));
    }
    out
}

/// The `Tasks:` and `CGroup:` lines (each with its label), none when the
/// manager reports neither.
pub fn tasks_and_cgroup(p: &[(String, String)], g: Glyphs) -> Vec<String> {
    let mut out = Vec::new();
    let tasks = get(p, "TasksCurrent");
    if tasks.parse::<u64>().is_ok() {
        match get(p, "TasksMax").parse::<u64>() {
            Ok(limit) => out.push(format!("      Tasks: {tasks} (limit: {limit})")),
            Err(_) => out.push(format!("      Tasks: {tasks}")),
        }
    }
    let group = get(p, "ControlGroup");
    if group.is_empty() {
        return out;
    }
    out.push(format!("     CGroup: {group}"));
    cgroup_tree(group, "             ", g, &mut out);
    out
}

/// The processes of the cgroup `group` (a path below the cgroup2 mount)
/// and of its groups below, as systemd's `show_cgroup()` draws them under
/// a `CGroup:` line: the group's own processes by pid, then each group
/// below that has any process, by name, its own drawn one level in.
/// Each line starts with `prefix`.
pub fn cgroup_tree(group: &str, prefix: &str, g: Glyphs, out: &mut Vec<String>) {
    if let Some(dir) = crate::daemon::cgroup::mount().map(|m| m.join(group.trim_start_matches('/'))) {
        draw_group(&dir, prefix, g, out);
    }
}

/// One level of [`cgroup_tree`].
fn draw_group(dir: &std::path::Path, prefix: &str, g: Glyphs, out: &mut Vec<String>) {
    enum Item {
        Pid(u32),
        Group(String),
    }
    let mut pids = group_pids(dir);
    pids.sort_unstable();
    let mut groups: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| populated(&e.path()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    groups.sort_unstable();
    let items: Vec<Item> = pids.into_iter().map(Item::Pid).chain(groups.into_iter().map(Item::Group)).collect();
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        let glyph = if last { g.tree_right() } else { g.tree_branch() };
        match item {
            Item::Pid(pid) => out.push(format!("{prefix}{glyph}{pid} {}", cmdline(*pid))),
            Item::Group(name) => {
                out.push(format!("{prefix}{glyph}{name}"));
                let inner = format!("{prefix}{}", if last { g.tree_space() } else { g.tree_vertical() });
                draw_group(&dir.join(name), &inner, g, out);
            }
        }
    }
}

/// The processes of one cgroup (`cgroup.procs`).
fn group_pids(dir: &std::path::Path) -> Vec<u32> {
    let procs = read_proc(dir.join("cgroup.procs")).and_then(|b| String::from_utf8(b).ok()).unwrap_or_default();
    procs.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Whether a cgroup or one below it has a process: `cgroup.events`'
/// `populated 1` (`cgroups(7)`), else a look at each group's processes.
fn populated(dir: &std::path::Path) -> bool {
    match read_proc(dir.join("cgroup.events")).and_then(|b| String::from_utf8(b).ok()) {
        Some(events) => events.lines().any(|l| l == "populated 1"),
        None => {
            !group_pids(dir).is_empty()
                || std::fs::read_dir(dir).into_iter().flatten().flatten().any(|e| e.file_type().is_ok_and(|t| t.is_dir()) && populated(&e.path()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_like_systemd() {
        let now = 1_000 * DAY;
        assert_eq!(relative(now - 5 * SEC, now), "5s ago");
        assert_eq!(relative(now - 2 * MINUTE - 3 * SEC, now), "2min 3s ago");
        assert_eq!(relative(now - 7 * MINUTE, now), "7min ago");
        assert_eq!(relative(now - HOUR - 2 * MINUTE, now), "1h 2min ago");
        assert_eq!(relative(now - 7 * HOUR, now), "7h ago");
        assert_eq!(relative(now - DAY - 3 * HOUR, now), "1 day 3h ago");
        assert_eq!(relative(now - 3 * DAY, now), "3 days ago");
        assert_eq!(relative(now - WEEK - DAY, now), "1 week 1 day ago");
        assert_eq!(relative(now + 5 * SEC, now), "5s left");
        assert_eq!(relative(now, now), "now");
    }

    #[test]
    fn quoting_like_systemd() {
        assert_eq!(quote("/bin/sh"), "/bin/sh");
        assert_eq!(quote("while :; do echo $x; done"), "\"while :; do echo \\$x; done\"");
        assert_eq!(quote(""), "\"\"");
    }

    #[test]
    fn process_lines_like_systemctl() {
        let p = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        let props = p(&[
            ("ExecStartPre", "{ path=/bin/true ; argv[]=/bin/true ; ignore_errors=no ; start_time=[x] ; stop_time=[y] ; pid=10 ; code=exited ; status=0 }"),
            ("ExecStartPre", "{ path=/bin/sh ; argv[]=/bin/sh -c a ; b ; ignore_errors=yes ; start_time=[x] ; stop_time=[y] ; pid=11 ; code=exited ; status=2 }"),
            ("ExecStart", "{ path=/bin/sleep ; argv[]=sleep 9 ; ignore_errors=no ; start_time=[x] ; stop_time=[y] ; pid=12 ; code=killed ; status=15/TERM }"),
            ("ExecStop", "{ path=/bin/kill ; argv[]=/bin/kill $MAINPID ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }"),
            ("ExecStopPost", "{ path=/bin/false ; argv[]=/bin/false ; ignore_errors=no ; start_time=[x] ; stop_time=[y] ; pid=13 ; code=exited ; status=203 }"),
        ]);
        assert_eq!(
            processes(&props),
            [
                "    Process: 10 ExecStartPre=/bin/true (code=exited, status=0/SUCCESS)",
                "    Process: 11 ExecStartPre=/bin/sh -c a ; b (code=exited, status=2)",
                "    Process: 12 ExecStart=sleep 9 (code=killed, signal=TERM)",
                "    Process: 13 ExecStopPost=/bin/false (code=exited, status=203/EXEC)",
            ]
        );
    }

    #[test]
    fn loaded_line() {
        let p = |kv: &[(&str, &str)]| kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        let base = [("LoadState", "loaded"), ("FragmentPath", "/x.service")];
        assert_eq!(loaded(&p(&base)), "loaded (/x.service)");
        let mut full = base.to_vec();
        full.extend([("UnitFileState", "enabled"), ("UnitFilePreset", "disabled")]);
        assert_eq!(loaded(&p(&full)), "loaded (/x.service; enabled; vendor preset: disabled)");
        full[2].1 = "static";
        assert_eq!(loaded(&p(&full)), "loaded (/x.service; static)");
        // A unit that did not load: the reason replaces path and state.
        let bad = [
            ("LoadState", "bad-setting"),
            ("FragmentPath", "/x.service"),
            ("UnitFileState", "static"),
            ("LoadError", "org.freedesktop.systemd1.BadUnitSetting \"Unit x.service has a bad unit file setting.\""),
        ];
        assert_eq!(loaded(&p(&bad)), "bad-setting (Reason: Unit x.service has a bad unit file setting.)");
    }
}
