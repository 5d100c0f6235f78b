//! The runtime verbs that are not jobs or unit queries: `kill`,
//! `reset-failed`, `list-jobs`, `list-sockets`, `show-environment`,
//! `set-environment`, `unset-environment`, and `halt`/`poweroff`/`reboot`.
//!
//! Messages and exit codes are systemctl 252's (`systemctl(1)`, "Exit
//! status"): these verbs report a refused request as "Failed to kill unit
//! x.service: …", "Failed to reset failed state of unit x.service: …" or
//! "Failed to set environment: …" and exit 1 — systemctl maps only job
//! errors onto the LSB codes. `kill` and `reset-failed` go on with the
//! next unit after an error, as systemctl does. Tables: [`super::table`].

use anyhow::Result;
use proto::client::Client;
use proto::msg::{KillWhom, ShutdownKind};
use proto::{Request, Response};

use super::runtime::{client, Target};
use super::table::{Cell, Table};
use super::term::{ansi, paint};

/// How a list verb prints: text (`legend` = header and footer) or JSON.
pub struct Listing {
    pub legend: bool,
    pub json: Option<bool>,
    pub all: bool,
}

pub(super) fn run(t: &Target<'_>, f: impl FnOnce(&mut Client) -> Result<u8>) -> u8 {
    match client(t).and_then(|mut c| f(&mut c)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

/// Send one request answered by `Ok`; the error's message otherwise.
fn ok_or_message(c: &mut Client, req: &Request) -> Result<Result<(), String>> {
    Ok(match c.call(req)? {
        Response::Ok => Ok(()),
        Response::Error { message, .. } => Err(message),
        other => anyhow::bail!("unexpected reply from the manager: {other:?}"),
    })
}

fn mangled(name: &str) -> String {
    unit::name::mangle(name).unwrap_or_else(|| name.to_string())
}

/// `systemctl kill UNIT…`.
pub fn kill(t: &Target<'_>, units: &[String], whom: Result<KillWhom, String>, signal: i32) -> u8 {
    run(t, |c| {
        let mut code = 0;
        for u in units {
            let name = mangled(u);
            let whom = match &whom {
                Ok(w) => *w,
                Err(m) => {
                    eprintln!("Failed to kill unit {name}: {m}");
                    code = 1;
                    continue;
                }
            };
            if let Err(m) = ok_or_message(c, &Request::Kill { units: vec![name.clone()], whom, signal })? {
                eprintln!("Failed to kill unit {name}: {m}");
                code = 1;
            }
        }
        Ok(code)
    })
}

/// `systemctl reset-failed [UNIT…]`.
pub fn reset_failed(t: &Target<'_>, units: &[String]) -> u8 {
    run(t, |c| {
        if units.is_empty() {
            return Ok(match ok_or_message(c, &Request::ResetFailed { units: vec![] })? {
                Ok(()) => 0,
                Err(m) => {
                    eprintln!("Failed to reset failed state: {m}");
                    1
                }
            });
        }
        let mut code = 0;
        for u in units {
            let name = mangled(u);
            if let Err(m) = ok_or_message(c, &Request::ResetFailed { units: vec![name.clone()] })? {
                eprintln!("Failed to reset failed state of unit {name}: {m}");
                code = 1;
            }
        }
        Ok(code)
    })
}

fn matches_any(patterns: &[String], name: &str) -> bool {
    let flags = unit::condition::compare::MatchFlags::default();
    patterns.is_empty() || patterns.iter().any(|p| unit::condition::compare::fnmatch(p, name, flags))
}

/// `systemctl list-jobs [PATTERN…]`.
pub fn list_jobs(t: &Target<'_>, patterns: &[String], l: &Listing) -> u8 {
    run(t, |c| {
        let r = c.call(&Request::ListJobs)?;
        let Response::Jobs { jobs } = r else { anyhow::bail!("unexpected reply from the manager: {r:?}") };
        let total = jobs.len();
        let jobs: Vec<_> = jobs.into_iter().filter(|j| matches_any(patterns, &j.unit)).collect();
        let mut tb = Table::new(&["job", "unit", "type", "state"]);
        for j in &jobs {
            let on = if j.state == "running" { ansi::HIGHLIGHT } else { "" };
            tb.push(vec![Cell::new(j.id.to_string()), Cell::colored(j.unit.clone(), on), Cell::new(j.verb.clone()), Cell::colored(j.state.clone(), on)]);
        }
        if let Some(pretty) = l.json {
            print!("{}", tb.json(pretty));
            return Ok(0);
        }
        if jobs.is_empty() {
            if l.legend {
                let what = if total > 0 { "listed" } else { "running" };
                println!("{}", paint(ansi::GREEN, &format!("No jobs {what}.")));
            }
            return Ok(0);
        }
        print!("{}", tb.render(l.legend));
        if l.legend {
            println!("\n{}", paint(ansi::HIGHLIGHT, &format!("{} jobs listed.", jobs.len())));
        }
        Ok(0)
    })
}

/// `systemctl help UNIT…`: each unit's `Documentation=`, `man:` pages
/// shown with man(1), other addresses only named (systemd 252's
/// `show_man_page()` and its messages).
pub fn help(t: &Target<'_>, units: &[String]) -> u8 {
    if units.is_empty() {
        eprintln!("'help' command expects one or more unit names.\n(Alternatively, help for systemctl itself may be shown with --help)");
        return 1;
    }
    run(t, |c| {
        let mut code = 0;
        for (i, u) in units.iter().enumerate() {
            let name = mangled(u);
            let p = super::runtime::show(c, &name, &["Id", "LoadState", "Documentation"], i + 1 == units.len())?;
            let get = |k: &str| p.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str()).to_string();
            if get("LoadState") == "not-found" || get("Id").is_empty() {
                eprintln!("Unit {name} could not be found.");
                code = 1;
                continue;
            }
            let docs = get("Documentation");
            if docs.is_empty() {
                eprintln!("Documentation for {} not known.", get("Id"));
                continue;
            }
            // `show` quotes a URI with parentheses ("man:foo(8)"); URIs hold no blanks.
            for doc in docs.split_whitespace().map(|w| w.trim_matches('"')) {
                let Some(page) = doc.strip_prefix("man:") else {
                    eprintln!("Can't show: {doc}");
                    continue;
                };
                // "foo(8)" is `man 8 foo`.
                let args: Vec<&str> = match page.strip_suffix(')').and_then(|p| p.split_once('(')) {
                    Some((name, section)) => vec![section, name],
                    None => vec![page],
                };
                super::context::flush_stdout();
                if let Err(e) = std::process::Command::new("man").args(&args).status() {
                    eprintln!("Failed to execute man: {}", unit::install::Errno::from(&e).message());
                }
            }
        }
        Ok(code)
    })
}

/// `systemctl cancel [JOB…]`: one request per job, as systemctl calls
/// `CancelJob` per id; a word that is no job id stops there.
pub fn cancel(t: &Target<'_>, jobs: &[String]) -> u8 {
    run(t, |c| {
        if jobs.is_empty() {
            return Ok(match ok_or_message(c, &Request::CancelJobs { ids: Vec::new() })? {
                Ok(()) => 0,
                Err(m) => {
                    eprintln!("{m}");
                    1
                }
            });
        }
        let mut code = 0;
        for word in jobs {
            let Ok(id) = word.parse::<u32>() else {
                eprintln!("Failed to parse job id \"{word}\": Invalid argument");
                return Ok(1);
            };
            if let Err(m) = ok_or_message(c, &Request::CancelJobs { ids: vec![id] })? {
                eprintln!("Failed to cancel job {id}: {m}");
                code = 1;
            }
        }
        Ok(code)
    })
}

/// systemctl's socket order: addresses before paths, then by text, then
/// by type.
fn socket_order(a: &proto::msg::SocketRow, b: &proto::msg::SocketRow) -> std::cmp::Ordering {
    let abs = |r: &proto::msg::SocketRow| r.listen.starts_with('/');
    abs(a).cmp(&abs(b)).then_with(|| a.listen.cmp(&b.listen)).then_with(|| a.kind.cmp(&b.kind))
}

/// `systemctl list-sockets [PATTERN…]`.
pub fn list_sockets(t: &Target<'_>, patterns: &[String], show_types: bool, l: &Listing) -> u8 {
    run(t, |c| {
        let r = c.call(&Request::ListSockets { all: l.all })?;
        let Response::Sockets { mut sockets } = r else { anyhow::bail!("unexpected reply from the manager: {r:?}") };
        // Patterns name socket units (`expand_unit_names(…, ".socket")`).
        let pats: Vec<String> = patterns
            .iter()
            .map(|p| if p.contains('.') || p.contains(['*', '?', '[']) { p.clone() } else { format!("{p}.socket") })
            .collect();
        sockets.retain(|s| matches_any(&pats, &s.unit));
        sockets.sort_by(socket_order);
        let mut cols = vec!["listen"];
        if show_types {
            cols.push("type");
        }
        cols.extend(["unit", "activates"]);
        let mut tb = Table::new(&cols);
        for s in &sockets {
            let mut row = vec![Cell::new(s.listen.clone())];
            if show_types {
                row.push(Cell::new(s.kind.clone()));
            }
            row.push(Cell::new(s.unit.clone()));
            row.push(Cell::many(s.activates.clone()));
            tb.push(row);
        }
        if let Some(pretty) = l.json {
            print!("{}", tb.json(pretty));
            return Ok(0);
        }
        print!("{}", tb.render(l.legend));
        if l.legend {
            let color = if sockets.is_empty() { ansi::RED } else { ansi::HIGHLIGHT };
            println!("\n{}", paint(color, &format!("{} sockets listed.", sockets.len())));
            if !l.all {
                println!("Pass --all to see loaded but inactive sockets, too.");
            }
        }
        Ok(0)
    })
}

/// `shell_maybe_quote(…, SHELL_ESCAPE_POSIX)`: the value as is when the
/// shell would read it back unchanged, else in `$'…'` with escapes.
fn shell_quote(v: &str) -> String {
    const SPECIAL: &str = " \t\n\r\"\\`$*?['()<>|&;!";
    if !v.chars().any(|c| c.is_control() || SPECIAL.contains(c)) {
        return v.to_string();
    }
    let mut out = String::from("$'");
    for c in v.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `systemctl import-environment [NAME…]`: `NAME=VALUE` of each named
/// variable of this process's environment (a name that is not set is
/// noted and skipped); with no name, all of them, which systemd 252 does
/// with a deprecation warning.
pub fn imported(names: &[String]) -> Result<Vec<String>, u8> {
    if names.is_empty() {
        eprintln!("Calling import-environment without a list of variable names is deprecated.");
        return Ok(std::env::vars_os().filter_map(|(k, v)| Some(format!("{}={}", k.into_string().ok()?, v.into_string().ok()?))).collect());
    }
    let mut out = Vec::new();
    for n in names {
        let valid = !n.is_empty() && !n.starts_with(|c: char| c.is_ascii_digit()) && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            eprintln!("Not a valid environment variable name: {n}");
            return Err(1);
        }
        match std::env::var_os(n).and_then(|v| v.into_string().ok()) {
            Some(v) => out.push(format!("{n}={v}")),
            None => eprintln!("Environment variable ${n} not set, ignoring."),
        }
    }
    Ok(out)
}

/// `systemctl show-environment`.
pub fn show_environment(t: &Target<'_>, json: Option<bool>) -> u8 {
    run(t, |c| {
        let r = c.call(&Request::ShowEnvironment)?;
        let Response::Environment { assignments } = r else { anyhow::bail!("unexpected reply from the manager: {r:?}") };
        if let Some(pretty) = json {
            let fields: Vec<(String, serde_json::Value)> = assignments
                .iter()
                .filter_map(|a| a.split_once('='))
                .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
                .collect();
            print!("{}", super::table::json_object(&fields, pretty));
            return Ok(0);
        }
        for a in &assignments {
            match a.split_once('=') {
                Some((k, v)) => println!("{k}={}", shell_quote(v)),
                None => {
                    eprintln!("Invalid environment block");
                    return Ok(1);
                }
            }
        }
        Ok(0)
    })
}

/// `systemctl set-environment` / `unset-environment`.
pub fn change_environment(t: &Target<'_>, req: Request) -> u8 {
    run(t, |c| {
        Ok(match ok_or_message(c, &req)? {
            Ok(()) => 0,
            Err(m) => {
                eprintln!("Failed to set environment: {m}");
                1
            }
        })
    })
}

/// `systemctl halt|poweroff|reboot`: every unit is stopped, then the
/// manager ends. A refusal is reported as systemctl reports the start of
/// the special target failing (exit 4 for "Access denied").
pub fn shutdown(t: &Target<'_>, kind: ShutdownKind) -> u8 {
    run(t, |c| {
        let r = c.call(&Request::Shutdown { kind, code: 0 })?;
        Ok(match r {
            Response::Ok => 0,
            Response::Error { kind: ek, message } => {
                let target = match kind {
                    ShutdownKind::Halt => "halt.target",
                    ShutdownKind::Poweroff => "poweroff.target",
                    ShutdownKind::Reboot => "reboot.target",
                    ShutdownKind::Exit => "exit.target",
                };
                super::runtime::refused("start", target, ek, &message, t.user)
            }
            other => anyhow::bail!("unexpected reply from the manager: {other:?}"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_values_quoted_as_systemd_does() {
        assert_eq!(shell_quote("/usr/bin:/bin"), "/usr/bin:/bin");
        assert_eq!(shell_quote("a b"), "$'a b'");
        assert_eq!(shell_quote("it's"), "$'it\\'s'");
        assert_eq!(shell_quote("x\ny"), "$'x\\ny'");
        assert_eq!(shell_quote(""), "");
    }
}
