//! The verbs that talk to a running manager over its control socket
//! (starting one for the root unless `--no-autostart`): jobs (`start`,
//! `stop`, `restart`, `try-restart`, `reload`, `reload-or-restart`,
//! `try-reload-or-restart`, `isolate`), queries (`is-active`,
//! `is-failed`, `show`, `status`, `list-units`), `daemon-reload`,
//! `is-system-running` and `exit`. The other runtime verbs live in
//! [`super::manage`] and [`super::deps`].
//!
//! Output and exit codes follow `systemctl(1)`:
//!
//! - a job that fails prints "Job for X failed because …" and exits 1; a
//!   refused job prints "Failed to start X: …" and exits with the LSB code
//!   systemctl maps the error to ([`job_error_code`]): 5 for a unit that
//!   cannot be found, 4 for "Access denied", 3 for a job type that does
//!   not apply; unless the unit is unknown, masked or the job type does
//!   not apply, a second line points to "system logs and 'systemctl
//!   status X'";
//! - `is-active` prints one state per unit and exits 0 if any is active,
//!   else 3; `is-failed` exits 0 if any is failed, else 1;
//! - `status` exits 0 for an active unit, 3 when inactive or failed, 4 when
//!   there is no such unit (not found and inactive); a unit that did not
//!   load shows `Loaded: STATE (Reason: …)`; its dot and state are colored
//!   as systemctl colors them, and socket units get `Listen:`, `Accepted:`
//!   and `Triggers:` lines, services `TriggeredBy:`;
//! - `list-units` prints systemctl's table and legend, or `-o json`.

use anyhow::Result;
use proto::client::Client;
use proto::msg::{JobMode, JobVerb, ShutdownKind};
use proto::{ErrorKind, Request, Response};

use super::connect;
use crate::rundir::RunDir;

/// A request for the manager.
pub enum Call {
    Exit(u8),
    IsSystemRunning,
    DaemonReload,
    Job { verb: JobVerb, units: Vec<String>, no_block: bool, mode: JobMode },
    IsActive(Vec<String>),
    IsFailed(Vec<String>),
    Show { units: Vec<String>, properties: Vec<String>, value: bool, all: bool },
    /// `lines`: `-n`, the journal lines to show (systemctl's default 10).
    Status { units: Vec<String>, lines: Option<u32> },
    ListUnits(ListUnits),
}

/// `list-units` and its options.
pub struct ListUnits {
    pub patterns: Vec<String>,
    pub types: Vec<String>,
    pub all: bool,
    pub states: Vec<String>,
    pub legend: bool,
    pub plain: bool,
    /// `-o json` (`Some(false)`) or `-o json-pretty` (`Some(true)`).
    pub json: Option<bool>,
}

pub struct Target<'a> {
    pub root: Option<&'a std::path::Path>,
    pub user: bool,
    pub autostart: bool,
    pub quiet: bool,
}

pub fn run(t: &Target<'_>, call: Call) -> u8 {
    match call_manager(t, call) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

pub(super) fn client(t: &Target<'_>) -> Result<Client> {
    let rundir = RunDir::new(t.root, t.user)?;
    connect::connect(&rundir, t.autostart)
}

/// What `systemd-analyze time` and `blame` read of a running manager.
pub struct BootData {
    /// The manager's properties asked for.
    pub manager: Vec<(String, String)>,
    /// Each loaded unit's id and properties asked for.
    pub units: Vec<(String, Vec<(String, String)>)>,
    /// The same properties of `default.target` (of the unit it is an
    /// alias of: its `Id` says which), when asked for; empty otherwise.
    pub default_target: Vec<(String, String)>,
}

/// The manager's properties `manager` and, for every loaded unit (and
/// `default.target` with `default_target`), its `unit_props`, over one
/// connection (one `Show` for all the units). No manager is started for
/// this.
pub fn boot_data(t: &Target<'_>, manager: &[&str], unit_props: &[&str], default_target: bool) -> Result<BootData> {
    let mut c = client(t)?;
    let manager = properties_of(&mut c, Vec::new(), manager, false, false)?;
    let default_target = if default_target {
        properties_of(&mut c, vec!["default.target".into()], unit_props, false, false)?
    } else {
        Vec::new()
    };
    let first = c.call(&Request::ListUnits { patterns: vec![], types: vec![], states: vec![], all: true })?;
    let Response::Units { units } = first else { anyhow::bail!("unexpected reply from the manager: {first:?}") };
    let ids: Vec<String> = units.into_iter().map(|u| u.name).collect();
    let req = Request::Show { units: ids, properties: unit_props.iter().map(|s| s.to_string()).collect(), all: false, brief: false };
    let first = c.call_last(&req)?;
    let units = collect(&mut c, first)?
        .into_iter()
        .filter_map(|r| match r {
            Response::Properties { unit, properties } => Some((unit, properties)),
            _ => None,
        })
        .collect();
    Ok(BootData { manager, units, default_target })
}

/// Read a streamed answer up to `End`.
pub(super) fn collect(c: &mut Client, first: Response) -> Result<Vec<Response>> {
    let mut out = Vec::new();
    let mut r = first;
    loop {
        match r {
            Response::End => return Ok(out),
            Response::Error { .. } => {
                out.push(r);
                return Ok(out);
            }
            other => out.push(other),
        }
        r = c.next_response()?;
    }
}

pub(super) fn verb_word(v: JobVerb) -> &'static str {
    match v {
        JobVerb::Start => "start",
        JobVerb::Stop => "stop",
        JobVerb::Restart => "restart",
        JobVerb::TryRestart => "try-restart",
        JobVerb::Reload => "reload",
        JobVerb::ReloadOrRestart => "reload-or-restart",
        JobVerb::TryReloadOrRestart => "try-reload-or-restart",
        JobVerb::VerifyActive => "verify-active",
        // systemctl isolates by starting in isolate mode, and says so:
        // "Failed to start X: Operation refused, unit may not be isolated."
        JobVerb::Isolate => "start",
    }
}

/// systemctl's `translate_bus_error_to_exit_status()` (systemd 252,
/// `src/systemctl/systemctl-util.c`): the LSB codes — 4 (no permission:
/// access denied, refused manual start/stop, no isolation, a destructive
/// transaction), 5 (not installed: no such unit), 3 (not implemented: the
/// job type does not apply to the unit), 6 (not configured: the unit
/// failed to load), 1 for everything else (masked, bad setting, cyclic or
/// conflicting transaction). The bus error is told apart by the
/// manager's message where one kind covers several.
pub(super) fn job_error_code(kind: ErrorKind, message: &str) -> u8 {
    let not_applicable = not_applicable(message);
    match kind {
        ErrorKind::NoSuchUnit => 5,
        ErrorKind::AccessDenied => 4,
        _ if not_applicable => 3,
        ErrorKind::Refused => 4,
        ErrorKind::Transaction if message.starts_with("Transaction for ") && message.contains(" is destructive") => 4,
        // unit_load_error(): "…reload service manager: ERRNO".
        ErrorKind::InvalidRequest if message.contains("failed to load properly, please adjust/correct and reload service manager") => 6,
        _ => 1,
    }
}

/// The manager's words for `BUS_ERROR_JOB_TYPE_NOT_APPLICABLE`.
fn not_applicable(message: &str) -> bool {
    message.starts_with("Job type ") && message.contains(" is not applicable for unit ")
}

/// The line systemctl 252 adds after "Failed to VERB X: …"
/// (`src/systemctl/systemctl-start-unit.c`, start_unit_one()): a pointer
/// to the logs and to `status`, except when the unit does not exist, is
/// masked, or the job type does not apply to it — there is nothing more
/// to read about those.
pub(super) fn refusal_hint(kind: ErrorKind, message: &str, unit: &str, user: bool) -> Option<String> {
    if matches!(kind, ErrorKind::NoSuchUnit | ErrorKind::UnitMasked) || not_applicable(message) {
        return None;
    }
    let (logs, scope) = if user { ("user", " --user") } else { ("system", "") };
    let dashes = if unit.starts_with('-') { " --" } else { "" };
    Some(format!("See {logs} logs and 'systemctl{scope} status{dashes} {unit}' for details."))
}

/// Report a job the manager refused as systemctl's start_unit_one()
/// does — "Failed to VERB UNIT: MESSAGE", then [`refusal_hint`] — and
/// return the exit code ([`job_error_code`]).
pub(super) fn refused(verb: &str, unit: &str, kind: ErrorKind, message: &str, user: bool) -> u8 {
    eprintln!("Failed to {verb} {unit}: {message}");
    if let Some(hint) = refusal_hint(kind, message, unit, user) {
        eprintln!("{hint}");
    }
    job_error_code(kind, message)
}

/// What systemctl 252 prints for a job that ended with `result`
/// (`src/shared/bus-wait-for-jobs.c`, check_wait_response()); `None` for
/// `done` and `skipped`, which are success (exit 0). Every other result
/// makes `systemctl start` exit 1. A failed service job is explained from
/// the unit's `Result` (`service_result`, asked for only then); for the
/// user manager the commands it points to say `--user`.
pub(super) fn job_result_line(unit: &str, result: &str, user: bool, service_result: impl FnOnce() -> String) -> Option<String> {
    Some(match result {
        "done" | "skipped" => return None,
        "canceled" => format!("Job for {unit} canceled."),
        "timeout" => format!("Job for {unit} timed out."),
        "dependency" => format!("A dependency job for {unit} failed. See 'journalctl -xe' for details."),
        "invalid" => format!("{unit} is not active, cannot reload."),
        "assert" => format!("Assertion failed on job for {unit}."),
        "unsupported" => format!("Operation on or unit type of {unit} not supported on this system."),
        "collected" => format!("Queued job for {unit} was garbage collected."),
        "once" => format!("Unit {unit} was started already once and can't be started again."),
        _ if unit.ends_with(".service") => {
            let scope = if user { " --user" } else { "" };
            let see = format!("See \"systemctl{scope} status {unit}\" and \"journalctl{scope} -xeu {unit}\" for details.");
            match why(&service_result()) {
                Some(w) => format!("Job for {unit} failed because {w}.\n{see}"),
                None => format!("Job for {unit} failed.\n{see}"),
            }
        }
        _ => "Job failed. See \"journalctl -xe\" for details.".to_string(),
    })
}

/// systemctl 252's explanation of a failed service job, from the unit's
/// `Result` (log_job_error_with_service_result(); "siutation" is its
/// spelling). Other results get the plain "Job for X failed.".
fn why(result: &str) -> Option<&'static str> {
    Some(match result {
        "resources" => "of unavailable resources or another system error",
        "protocol" => "the service did not take the steps required by its unit configuration",
        "timeout" => "a timeout was exceeded",
        "exit-code" => "the control process exited with error code",
        "signal" => "a fatal signal was delivered to the control process",
        "core-dump" => "a fatal signal was delivered causing the control process to dump core",
        "watchdog" => "the service failed to send watchdog ping",
        "start-limit-hit" => "start of the service was attempted too often",
        "oom-kill" => "of an out-of-memory (OOM) siutation",
        _ => return None,
    })
}

/// `unit`'s properties `props` (all when empty). `last`: nothing more is
/// asked on this connection, so `Bye` goes with the request (the manager
/// closes its end after the answer; `proto::Request::Bye`).
pub(super) fn show(c: &mut Client, unit: &str, props: &[&str], last: bool) -> Result<Vec<(String, String)>> {
    show_as(c, unit, props, false, last)
}

/// `show`, or with `brief` the properties of the unit's state without its
/// settings (`Request::Show`).
fn show_as(c: &mut Client, unit: &str, props: &[&str], brief: bool, last: bool) -> Result<Vec<(String, String)>> {
    properties_of(c, vec![unit.to_string()], props, brief, last)
}

/// The manager's properties `props` (all when empty).
fn show_manager(c: &mut Client, props: &[&str]) -> Result<Vec<(String, String)>> {
    properties_of(c, Vec::new(), props, false, true)
}

/// One `Show` request: the properties of one unit, or of the manager when
/// `units` is empty.
fn properties_of(c: &mut Client, units: Vec<String>, props: &[&str], brief: bool, last: bool) -> Result<Vec<(String, String)>> {
    let req = Request::Show { units, properties: props.iter().map(|s| s.to_string()).collect(), all: false, brief };
    let first = if last { c.call_last(&req)? } else { c.call(&req)? };
    for r in collect(c, first)? {
        if let Response::Properties { properties, .. } = r {
            return Ok(properties);
        }
    }
    Ok(Vec::new())
}

/// `show`'s lines for one unit (or the manager): `NAME=VALUE`, or the
/// value alone with `--value`; empty ones only when named or with `--all`.
fn print_properties(props: &[(String, String)], named: &[String], value: bool, all: bool) {
    for (k, v) in props {
        if v.is_empty() && !all && named.is_empty() {
            continue;
        }
        // An array of structs on the bus (`Conditions`, `Asserts`:
        // `a(sbbsi)`; the manager's `ExitCode`: `(yy)`): systemctl 252
        // shows it only when named or with --all, as `NAME=[unprintable]`
        // even with --value.
        if matches!(k.as_str(), "Conditions" | "Asserts" | "ExitCode") {
            if named.is_empty() && !all {
                continue;
            }
            println!("{k}=[unprintable]");
        } else if value {
            println!("{v}");
        } else {
            println!("{k}={v}");
        }
    }
}

pub(crate) fn get<'a>(p: &'a [(String, String)], k: &str) -> &'a str {
    p.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.as_str()).unwrap_or("")
}

fn call_manager(t: &Target<'_>, call: Call) -> Result<u8> {
    let mut c = client(t)?;
    match call {
        Call::Exit(code) => simple(&mut c, Request::Shutdown { kind: ShutdownKind::Exit, code }, t.quiet),
        Call::IsSystemRunning => simple(&mut c, Request::IsSystemRunning, t.quiet),
        Call::DaemonReload => simple(&mut c, Request::DaemonReload, t.quiet),
        Call::Job { verb, units, no_block, mode } => job(&mut c, t, verb, units, no_block, mode),
        Call::IsActive(units) => state_query(&mut c, &units, t.quiet, |s| s == "active" || s == "reloading", 3),
        Call::IsFailed(units) => state_query(&mut c, &units, t.quiet, |s| s == "failed", 1),
        Call::Show { units, properties, value, all } => {
            let names: Vec<&str> = properties.iter().map(String::as_str).collect();
            // No unit: the manager's own properties.
            if units.is_empty() {
                print_properties(&show_manager(&mut c, &names)?, &properties, value, all);
            }
            for (i, u) in units.iter().enumerate() {
                let last = i + 1 == units.len();
                let props = show(&mut c, u, &names, last)?;
                if i > 0 && !value {
                    println!();
                }
                print_properties(&props, &properties, value, all);
            }
            Ok(0)
        }
        Call::Status { units, .. } if units.is_empty() => system_status(&mut c),
        Call::Status { units, lines } => status(&mut c, &units, lines.unwrap_or(10), t),
        Call::ListUnits(l) => list_units(&mut c, &l),
    }
}

fn simple(c: &mut Client, req: Request, quiet: bool) -> Result<u8> {
    match c.call(&req)? {
        Response::Ok => Ok(0),
        Response::SystemState { state } => {
            if !quiet {
                println!("{state}");
            }
            // systemctl(1): is-system-running exits 0 only when "running".
            Ok(if state == "running" { 0 } else { 1 })
        }
        Response::Error { message, .. } => {
            eprintln!("{message}");
            Ok(1)
        }
        other => anyhow::bail!("unexpected reply from the manager: {other:?}"),
    }
}

fn job(c: &mut Client, t: &Target<'_>, verb: JobVerb, units: Vec<String>, no_block: bool, mode: JobMode) -> Result<u8> {
    let mut code = 0;
    for u in &units {
        if show(c, u, &["NeedDaemonReload"], false).is_ok_and(|p| get(&p, "NeedDaemonReload") == "yes") {
            warn_unit_file_changed(u, t.user);
        }
    }
    // One request: the manager queues all of them as one transaction.
    let first = c.call(&Request::Job { verb, units: units.clone(), mode, wait: !no_block })?;
    let unit = units.first().cloned().unwrap_or_default();
    {
        for r in collect(c, first)? {
            match r {
                Response::Error { kind, message } => {
                    // The unit the manager refused is named in its message.
                    let mangled: Vec<String> = units.iter().map(|u| unit::name::mangle(u).unwrap_or_else(|| u.clone())).collect();
                    let shown = mangled
                        .iter()
                        .find(|m| message.contains(m.as_str()))
                        .or(mangled.first())
                        .cloned()
                        .unwrap_or_else(|| unit.clone());
                    code = refused(verb_word(verb), &shown, kind, &message, t.user);
                }
                Response::JobDone { unit, result, .. } => {
                    if matches!(result.as_str(), "done" | "skipped") {
                        continue;
                    }
                    code = 1;
                    // `-q` silences the result line, not the exit code.
                    if !t.quiet {
                        let line = job_result_line(&unit, &result, t.user, || {
                            show(c, &unit, &["Result"], false).map(|p| get(&p, "Result").to_string()).unwrap_or_default()
                        });
                        eprintln!("{}", line.unwrap_or_default());
                    }
                }
                _ => {}
            }
        }
    }
    Ok(code)
}

fn state_query(c: &mut Client, units: &[String], quiet: bool, hit: impl Fn(&str) -> bool, miss: u8) -> Result<u8> {
    let mut any = false;
    for (i, u) in units.iter().enumerate() {
        let p = show(c, u, &["ActiveState"], i + 1 == units.len())?;
        let state = get(&p, "ActiveState");
        let state = if state.is_empty() { "inactive" } else { state };
        if !quiet {
            println!("{state}");
        }
        any |= hit(state);
    }
    Ok(if any { 0 } else { miss })
}

/// `writeln!` into the `String` a unit's status is gathered in (writing
/// to a `String` cannot fail).
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// The lines `status` shows between `Active:` and `Main PID:`:
/// `TriggeredBy:`, `Triggers:`, a socket's `Listen:` addresses and, with
/// `Accept=yes`, its counters (systemd 252's `print_status_info()`).
fn socket_lines(c: &mut Client, p: &[(String, String)], g: super::term::Glyphs, out: &mut String) -> Result<()> {
    use super::term::{paint, state_color};
    let words = |k: &str| get(p, k).split_whitespace().map(str::to_string).collect::<Vec<_>>();
    for (i, t) in words("TriggeredBy").iter().enumerate() {
        let st = get(&show(c, t, &["ActiveState"], false)?, "ActiveState").to_string();
        let label = if i == 0 { "TriggeredBy:" } else { "            " };
        say!(out, "{label} {} {t}", paint(state_color(&st), g.state(&st)));
    }
    if get(p, "Id").ends_with(".timer") {
        say!(out, "{}", super::timers::trigger_line(p));
    }
    for (i, t) in words("Triggers").iter().enumerate() {
        let st = get(&show(c, t, &["ActiveState"], false)?, "ActiveState").to_string();
        let label = if i == 0 { "   Triggers:" } else { "            " };
        say!(out, "{label} {} {t}", paint(state_color(&st), g.black_circle()));
    }
    for (i, d) in super::status_lines::documentation(p).iter().enumerate() {
        say!(out, "{:>12} {d}", if i == 0 { "Docs:" } else { "" });
    }
    let listen: Vec<&str> = p.iter().filter(|(k, _)| k == "Listen").map(|(_, v)| v.as_str()).collect();
    for (i, l) in listen.iter().enumerate() {
        say!(out, "   {:>9} {l}", if i == 0 { "Listen:" } else { "" });
    }
    if get(p, "Accept") == "yes" {
        use std::fmt::Write as _;
        let _ = write!(out, "   Accepted: {}; Connected: {};", get(p, "NAccepted"), get(p, "NConnections"));
        let refused = get(p, "NRefused");
        if !refused.is_empty() && refused != "0" {
            let _ = write!(out, "   Refused: {refused}");
        }
        say!(out, "");
    }
    Ok(())
}

/// `systemctl status`, systemd's layout (the computed lines are
/// [`super::status_lines`]). Each unit's lines are gathered and written
/// at once: one `write` instead of one per line (stdout is line
/// buffered), and nothing of a unit is left half-printed out of order
/// with the messages on stderr.
fn status(c: &mut Client, units: &[String], lines: u32, t: &Target<'_>) -> Result<u8> {
    let mut code = 0;
    for (i, u) in units.iter().enumerate() {
        let mut out = String::new();
        if i > 0 {
            out.push('\n');
        }
        let shown = status_one(c, u, &mut out);
        print!("{out}");
        let Some((id, active, changed)) = shown? else {
            let name = unit::name::mangle(u).unwrap_or_else(|| u.clone());
            eprintln!("Unit {name} could not be found.");
            code = code.max(4);
            continue;
        };
        if !active {
            code = code.max(3);
        }
        // The unit's last journal lines, as systemctl shows them: after a
        // blank line, and no blank line when there are none
        // (`OUTPUT_BEGIN_NEWLINE`). `-n0` opens no journal at all.
        if lines > 0 {
            status_journal(&id, lines, t);
        }
        if changed {
            warn_unit_file_changed(u, t.user);
        }
    }
    Ok(code)
}

/// `systemctl status` without a unit: the system's state and the tree of
/// the manager's processes, as `show_system_status()` prints them. The
/// version line names vigil (systemctl's says `systemd:`).
fn system_status(c: &mut Client) -> Result<u8> {
    use super::term::{ansi, paint};
    let names = ["Version", "Tainted", "UserspaceTimestamp", "NNames", "NFailedUnits", "NJobs", "ControlGroup", "SystemState"];
    let p = show_manager(c, &names)?;
    let g = super::term::Glyphs::detect();
    let state = get(&p, "SystemState");
    let color = match state {
        "running" => ansi::GREEN,
        "degraded" => ansi::RED,
        _ => ansi::HIGHLIGHT_YELLOW,
    };
    // The kernel's host name (`uname(2)`'s nodename), as systemctl's.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim_end();
    let mut out = String::new();
    say!(out, "{} {host}", paint(color, g.black_circle()));
    say!(out, "    State: {}", paint(color, state));
    say!(out, "    Units: {} loaded (incl. loaded aliases)", get(&p, "NNames"));
    say!(out, "     Jobs: {} queued", get(&p, "NJobs"));
    let failed = get(&p, "NFailedUnits");
    say!(out, "   Failed: {} units", paint(if failed == "0" { "" } else { ansi::RED }, failed));
    if let Some(since) = super::status_lines::stamp_and_ago(get(&p, "UserspaceTimestamp")) {
        say!(out, "    Since: {since}");
    }
    say!(out, "    vigil: {}", get(&p, "Version"));
    let tainted = get(&p, "Tainted");
    if !tainted.is_empty() {
        say!(out, "  Tainted: {}", paint(ansi::HIGHLIGHT_YELLOW, tainted));
    }
    // A manager without a cgroup of its own (no writable cgroup2
    // hierarchy) has no tree to show.
    let group = get(&p, "ControlGroup");
    if !group.is_empty() {
        say!(out, "   CGroup: {group}");
        let mut tree = Vec::new();
        super::status_lines::cgroup_tree(group, "           ", g, &mut tree);
        tree.iter().for_each(|l| say!(out, "{l}"));
    }
    print!("{out}");
    Ok(0)
}

/// The unit's last `lines` journal lines under its status, as systemctl
/// prints them: after a blank line, none when there are none
/// (`OUTPUT_BEGIN_NEWLINE`).
fn status_journal(id: &str, lines: u32, t: &Target<'_>) {
    let mut args = vec!["journalctl".to_string()];
    if let Some(r) = t.root {
        args.push(format!("--root={}", r.display()));
    }
    if t.user {
        args.push("--user".into());
    }
    args.extend(["-u".into(), id.to_string(), "-n".into(), lines.to_string(), "--no-pager".into(), "-q".into()]);
    let journal = captured(|| {
        crate::journalctl::main(args);
    });
    if !journal.is_empty() {
        println!();
        print!("{journal}");
    }
}

/// systemctl's warning for a unit whose files changed on disk since the
/// manager loaded them (`NeedDaemonReload`), on stderr after what was
/// printed so far: before a job on it, after its status.
fn warn_unit_file_changed(unit: &str, user: bool) {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let name = unit::name::mangle(unit).unwrap_or_else(|| unit.to_string());
    let scope = if user { " --user" } else { "" };
    eprintln!(
        "Warning: The unit file, source configuration file or drop-ins of {name} changed on disk. Run 'systemctl{scope} daemon-reload' to reload units."
    );
}

/// One unit's status lines into `out`: its id, whether it is active
/// (`active` or `reloading`) and whether its files changed on disk since
/// they were loaded, or `None` when there is no such unit.
fn status_one(c: &mut Client, u: &str, out: &mut String) -> Result<Option<(String, bool, bool)>> {
    // Every property of the unit's state (`brief`: none of the ~300
    // settings of a bare `show`): naming the ~40 it shows was measured
    // dearer, on both sides (the names are sent, decoded and matched one
    // by one; callgrind, BENCHMARKS.md).
    let p = show_as(c, u, &[], true, false)?;
    let load = get(&p, "LoadState");
    let id = get(&p, "Id");
    let active = get(&p, "ActiveState");
    // show_one(): only a unit that is not found *and* inactive is "not
    // found" (exit 4); one still running after its file went away, a
    // masked or a bad-setting unit is shown with the reason instead.
    if (load == "not-found" && matches!(active, "inactive" | "")) || id.is_empty() {
        return Ok(None);
    }
    let sub = get(&p, "SubState");
    let g = super::term::Glyphs::detect();
    let color = super::term::state_color(active);
    let description = get(&p, "Description");
    // The description only when it says more than the name.
    let description = if description.is_empty() || description == id { String::new() } else { format!(" - {description}") };
    say!(out, "{} {id}{description}", super::term::paint(color, g.state(active)));
    say!(out, "     Loaded: {}", super::status_lines::loaded(&p));
    let dropins = get(&p, "DropInPaths");
    if !dropins.is_empty() {
        say!(out, "    Drop-In: {dropins}");
    }
    let result = get(&p, "Result");
    let extra = if active == "failed" && !result.is_empty() { format!(" (Result: {result})") } else { String::new() };
    let since = super::status_lines::since(&p);
    // The sub-state only when it says more (`systemctl status`: a failed
    // service is "failed (Result: …)", not "failed (failed)").
    let state = if sub == active || sub.is_empty() { active.to_string() } else { format!("{active} ({sub})") };
    say!(out, "     Active: {}{extra}{since}", super::term::paint(color, &state));
    if let Some(l) = super::status_lines::duration(&p) {
        say!(out, "{l}");
    }
    super::status_lines::checks(&p, g).iter().for_each(|l| say!(out, "{l}"));
    socket_lines(c, &p, g, out)?;
    super::status_lines::processes(&p).iter().for_each(|l| say!(out, "{l}"));
    let main = get(&p, "MainPID");
    if !main.is_empty() && main != "0" {
        let comm = crate::daemon::cgroup::read_proc(format!("/proc/{main}/comm")).and_then(|b| String::from_utf8(b).ok());
        say!(out, "   Main PID: {main} ({})", comm.unwrap_or_default().trim());
    } else if let Some(line) = super::status_lines::exited_main(&p) {
        say!(out, "{line}");
    }
    let status_text = get(&p, "StatusText");
    if !status_text.is_empty() {
        say!(out, "     Status: \"{status_text}\"");
    }
    for line in super::status_lines::tasks_and_cgroup(&p, g) {
        say!(out, "{line}");
    }
    let unsupported = get(&p, "VigilUnsupported");
    if !unsupported.is_empty() {
        say!(out, "    Not yet: {unsupported} (parsed, not applied by vigil)");
    }
    Ok(Some((id.to_string(), matches!(active, "active" | "reloading"), get(&p, "NeedDaemonReload") == "yes")))
}

/// What `f` writes to stdout, caught in a memory file (no pipe that a
/// long output could fill while nobody reads it).
fn captured(f: impl FnOnce()) -> String {
    use std::io::{Read, Seek, Write};
    use std::os::fd::{AsRawFd, FromRawFd};
    let _ = std::io::stdout().flush();
    // SAFETY: memfd_create with a static name; the descriptor is owned
    // by the File below.
    let fd = unsafe { libc::memfd_create(c"status-journal".as_ptr(), libc::MFD_CLOEXEC) };
    let saved = nix::unistd::dup(1);
    let (Ok(saved), true) = (saved, fd >= 0) else {
        // Cannot capture: let it print straight through.
        f();
        return String::new();
    };
    // SAFETY: both descriptors are ours and open.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    unsafe { libc::dup2(file.as_raw_fd(), 1) };
    f();
    let _ = std::io::stdout().flush();
    // SAFETY: restores the saved stdout, then closes the duplicate.
    unsafe {
        libc::dup2(saved, 1);
        libc::close(saved);
    }
    let mut s = String::new();
    let _ = file.rewind();
    let _ = file.read_to_string(&mut s);
    s
}

fn list_units(c: &mut Client, l: &ListUnits) -> Result<u8> {
    use super::table::{Cell, Table};
    use super::term::{ansi, Glyphs};
    let first = c.call(&Request::ListUnits { patterns: vec![], types: vec![], states: l.states.clone(), all: l.all })?;
    let Response::Units { units } = first else { anyhow::bail!("unexpected reply from the manager: {first:?}") };
    let flags = unit::condition::compare::MatchFlags::default();
    let rows: Vec<_> = units
        .into_iter()
        .filter(|u| l.all || !l.states.is_empty() || u.active != "inactive" || u.job.is_some())
        .filter(|u| l.states.is_empty() || l.states.iter().any(|s| *s == u.active || *s == u.sub || *s == u.load))
        .filter(|u| l.types.is_empty() || l.types.iter().any(|t| u.name.rsplit('.').next() == Some(t.as_str())))
        .filter(|u| l.patterns.is_empty() || l.patterns.iter().any(|p| unit::condition::compare::fnmatch(p, &u.name, flags)))
        .collect();
    let with_jobs = rows.iter().any(|r| r.job.is_some());
    let mut cols = vec!["", "unit", "load", "active", "sub"];
    if with_jobs {
        cols.push("job");
    }
    cols.push("description");
    let mut t = Table::new(&cols);
    let g = Glyphs::detect();
    for r in &rows {
        let bad_load = r.load != "loaded";
        let failed = r.active == "failed";
        let red = |b: bool| if b { ansi::RED } else { "" };
        let dot = if bad_load || failed { g.black_circle() } else { " " };
        let mut row = vec![
            Cell::colored(dot, red(bad_load || failed)),
            Cell::colored(r.name.clone(), red(bad_load || failed)),
            Cell::colored(r.load.clone(), red(bad_load)),
            Cell::colored(r.active.clone(), red(failed)),
            Cell::colored(r.sub.clone(), red(failed)),
        ];
        if with_jobs {
            row.push(Cell::new(r.job.clone().unwrap_or_default()));
        }
        row.push(Cell::new(r.description.clone()));
        t.push(row);
    }
    // The status dot is no column of the JSON rows, nor with --plain.
    if l.json.is_some() || l.plain {
        t.remove_column(0);
    }
    if let Some(pretty) = l.json {
        print!("{}", t.json(pretty));
        return Ok(0);
    }
    print!("{}", t.render(l.legend));
    if l.legend {
        // systemd 252's legend: no blank line between it and the count
        // unless a JOB line was printed.
        if !rows.is_empty() {
            println!();
            println!("LOAD   = Reflects whether the unit definition was properly loaded.");
            println!("ACTIVE = The high-level unit activation state, i.e. generalization of SUB.");
            println!("SUB    = The low-level unit activation state, values depend on unit type.");
            if with_jobs {
                println!("JOB    = Pending job for the unit.\n");
            }
        }
        let color = if rows.is_empty() { ansi::RED } else { ansi::HIGHLIGHT };
        let n = super::term::paint(color, &format!("{} loaded units listed.", rows.len()));
        if l.all || l.states.iter().any(|s| s == "inactive") {
            println!("{n}\nTo show all installed unit files use 'systemctl list-unit-files'.");
        } else if l.states.is_empty() {
            println!("{n} Pass --all to see loaded but inactive units, too.\nTo show all installed unit files use 'systemctl list-unit-files'.");
        } else {
            println!("{} loaded units listed.", rows.len());
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_errors_map_to_systemctls_exit_codes() {
        let code = job_error_code;
        assert_eq!(code(ErrorKind::NoSuchUnit, "Unit x.service not found."), 5);
        assert_eq!(code(ErrorKind::AccessDenied, "Access denied"), 4);
        assert_eq!(code(ErrorKind::Refused, "Job type reload is not applicable for unit x.service."), 3);
        assert_eq!(code(ErrorKind::Refused, "Operation refused, unit may not be isolated."), 4);
        let destructive = "Transaction for x.service/stop is destructive (y.service has 'start' job queued, but 'stop' is included in transaction).";
        assert_eq!(code(ErrorKind::Transaction, destructive), 4);
        assert_eq!(code(ErrorKind::Transaction, "Transaction order is cyclic. See system logs for details."), 1);
        let load = "Unit x.service failed to load properly, please adjust/correct and reload service manager: Invalid argument";
        assert_eq!(code(ErrorKind::InvalidRequest, load), 6);
        assert_eq!(code(ErrorKind::UnitMasked, "Unit x.service is masked."), 1);
        assert_eq!(code(ErrorKind::InvalidRequest, "Unit x.service has a bad unit file setting."), 1);
    }

    #[test]
    fn refused_jobs_point_to_the_logs_unless_there_is_nothing_to_read() {
        let hint = |k, m: &str, u: &str, user| refusal_hint(k, m, u, user);
        let bad = "Unit x.service has a bad unit file setting.";
        let see = "See system logs and 'systemctl status x.service' for details.";
        assert_eq!(hint(ErrorKind::InvalidRequest, bad, "x.service", false).as_deref(), Some(see));
        assert_eq!(
            hint(ErrorKind::AccessDenied, "Access denied", "x.service", true).as_deref(),
            Some("See user logs and 'systemctl --user status x.service' for details.")
        );
        assert_eq!(
            hint(ErrorKind::InvalidRequest, bad, "-.slice", false).as_deref(),
            Some("See system logs and 'systemctl status -- -.slice' for details.")
        );
        assert_eq!(hint(ErrorKind::NoSuchUnit, "Unit x.service not found.", "x.service", false), None);
        assert_eq!(hint(ErrorKind::UnitMasked, "Unit x.service is masked.", "x.service", false), None);
        let na = "Job type reload is not applicable for unit x.service.";
        assert_eq!(hint(ErrorKind::Refused, na, "x.service", false), None);
    }

    #[test]
    fn job_results_read_as_systemctl_252_prints_them() {
        let never = || -> String { panic!("the service result is asked for failed service jobs only") };
        assert_eq!(job_result_line("x.service", "done", false, never), None);
        assert_eq!(job_result_line("x.service", "skipped", false, never), None);
        assert_eq!(job_result_line("x.service", "timeout", false, never).unwrap(), "Job for x.service timed out.");
        assert_eq!(job_result_line("x.service", "invalid", false, never).unwrap(), "x.service is not active, cannot reload.");
        assert_eq!(job_result_line("x.service", "assert", false, never).unwrap(), "Assertion failed on job for x.service.");
        assert_eq!(job_result_line("x.target", "failed", false, never).unwrap(), "Job failed. See \"journalctl -xe\" for details.");
        let see = "See \"systemctl status x.service\" and \"journalctl -xeu x.service\" for details.";
        assert_eq!(
            job_result_line("x.service", "failed", false, || "oom-kill".into()).unwrap(),
            format!("Job for x.service failed because of an out-of-memory (OOM) siutation.\n{see}")
        );
        assert_eq!(job_result_line("x.service", "failed", false, || "success".into()).unwrap(), format!("Job for x.service failed.\n{see}"));
        assert_eq!(
            job_result_line("x.service", "failed", true, || "exit-code".into()).unwrap(),
            "Job for x.service failed because the control process exited with error code.\n\
             See \"systemctl --user status x.service\" and \"journalctl --user -xeu x.service\" for details."
        );
    }
}
