//! The manager's own words: which status line a unit's state change
//! earns, its `MESSAGE_ID=`, and which log levels are written at all.
//!
//! # Job messages (systemd 252, `job_emit_done_message()`)
//!
//! A status line belongs to a *job*, not to a state change:
//!
//! | job, outcome | line | MESSAGE_ID |
//! |---|---|---|
//! | start begins | `Starting X...` | `7d4958e8…` (unit starting) |
//! | start done | `Started X.` | `39f53479…` (unit started) |
//! | start done, `Type=oneshot` | `Finished X.` (`service_finished_job()`) | `39f53479…` |
//! | start failed | `Failed to start X.` | `be02cf68…` (unit failed) |
//! | stop begins | `Stopping X...` | `de5b426a…` (unit stopping) |
//! | stop done | `Stopped X.` | `9d1aaa27…` (unit stopped) |
//!
//! `X` is the unit as systemd 252 names it there ([`status_ident`]):
//! `x.service - Description`, or the name alone without a description —
//! "Started ssh.service - OpenBSD Secure Shell server.", "Reached target
//! multi-user.target - Multi-User System.", "Started nodesc.service." (read
//! off Debian's systemd 252 journal). The same holds for "Reached target",
//! "Stopped target", "Listening on", "Closed", "Dependency failed for",
//! "Assertion failed for" and "X was skipped because of an unmet condition
//! check (ConditionPathExists=…)."
//!
//! A service that ends on its own (no stop job) gets no "Stopped" line:
//! its own `X: Deactivated successfully.` (`7ad2d189…`) or `X: Failed with
//! result '…'.` (`d9b373ed…`) says it, as does `X: Main process exited,
//! code=…` (`98e32220…`), all three logged by the engine. The identifiers
//! are systemd's `sd-messages.h` values; `systemd-analyze`'s catalog and
//! `journalctl -x` look them up, and `journalctl MESSAGE_ID=…` filters on
//! them.
//!
//! # Levels (`systemd-system.conf(5)`, "LogLevel=")
//!
//! The manager writes messages up to its maximum level, `info` unless
//! `[Manager] LogLevel=` in `system.conf` (`user.conf` for `--user`, and
//! their `.conf.d` drop-ins, later wins) or `$SYSTEMD_LOG_LEVEL` (which
//! wins, as in systemd) says otherwise. So the engine's `debug` lines
//! ("Main process exited, code=exited, status=0/SUCCESS (success)") reach
//! neither the console nor the journal by default, as with systemd.

use std::path::Path;

use engine::service::LogLevel;
use unit::paths::Scope;

pub const UNIT_STARTING: &str = "7d4958e842da4a758f6c1cdc7b36dcc5";
pub const UNIT_STARTED: &str = "39f53479d3a045ac8e11786248231fbf";
pub const UNIT_FAILED: &str = "be02cf6855d2428ba40df7e9d022f03d";
pub const UNIT_STOPPING: &str = "de5b426a63be47a7b6ac3eaac82e2f6f";
pub const UNIT_STOPPED: &str = "9d1aaa27d60140bd96365438aad20286";
pub const UNIT_SUCCESS: &str = "7ad2d189f7e94e70a38c781354912448";
pub const UNIT_FAILURE_RESULT: &str = "d9b373ed55a64feb8242e02dbe79a49c";
pub const UNIT_PROCESS_EXIT: &str = "98e322203f7a4ed290d09fe03c09fe15";
pub const UNIT_RESTART_SCHEDULED: &str = "5eb03494b6584870a536b337290809b3";
pub const SPAWN_FAILED: &str = "641257651c1b4ec9a8624d7a40a9e1e7";
/// "Startup finished in …." (`SD_MESSAGE_STARTUP_FINISHED`).
pub const STARTUP_FINISHED: &str = "eed00a68ffd84e31882105fd973abdd1";

/// The `MESSAGE_ID=` of one of the engine's unit messages (the text after
/// "unit: "), for the three that systemd logs with one.
pub fn engine_message_id(message: &str) -> Option<&'static str> {
    if message == "Deactivated successfully." {
        Some(UNIT_SUCCESS)
    } else if message.starts_with("Failed with result '") {
        Some(UNIT_FAILURE_RESULT)
    } else if message.contains(" exited, code=") {
        Some(UNIT_PROCESS_EXIT)
    } else if message.starts_with("Scheduled restart job, ") {
        Some(UNIT_RESTART_SCHEDULED)
    } else {
        None
    }
}

/// How a job message names its unit ("Started x.service - X.", "Reached
/// target multi-user.target - Multi-User System."): systemd 252's
/// `unit_status_string()` in the combined format Debian's build uses
/// (`StatusUnitFormat=`, `systemd-system.conf(5)`), checked against its
/// journal: the name, " - ", the description; the name alone when there is
/// no `Description=` or it is the name itself ("Started nodesc.service.").
pub fn status_ident(cfg: &unit::config::UnitConfig) -> String {
    match cfg.string(unit::directive::SectionKind::Unit, "Description") {
        Some(d) if d != cfg.id.as_str() => format!("{} - {d}", cfg.id),
        _ => cfg.id.to_string(),
    }
}

/// `Started X.`, or `Finished X.` for a oneshot service, whose start job
/// ends when its command has run (`service_finished_job()`).
pub fn start_done(desc: &str, oneshot: bool) -> String {
    if oneshot {
        format!("Finished {desc}.")
    } else {
        format!("Started {desc}.")
    }
}

/// `log_level_from_string()`: a syslog level name or a number 0…7.
fn parse_level(s: &str) -> Option<u8> {
    unit::value::syslog::parse_syslog_level(s.trim()).ok()
}

/// The last `LogLevel=` of the `[Manager]` section of `text`, if any.
fn log_level_in(text: &str) -> Option<u8> {
    let mut in_manager = false;
    let mut found = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_manager = line == "[Manager]";
        } else if in_manager {
            if let Some(v) = line.strip_prefix("LogLevel").map(str::trim_start).and_then(|r| r.strip_prefix('=')) {
                found = parse_level(v).or(found);
            }
        }
    }
    found
}

/// The manager's maximum log level (a syslog priority: 6 is `info`).
pub fn max_level(root: &Path, scope: Scope) -> u8 {
    if let Some(l) = std::env::var("SYSTEMD_LOG_LEVEL").ok().as_deref().and_then(parse_level) {
        return l;
    }
    let name = match scope {
        Scope::System => "system.conf",
        Scope::User | Scope::Global => "user.conf",
    };
    let dir = root.join("etc/systemd");
    let mut level = std::fs::read_to_string(dir.join(name)).ok().as_deref().and_then(log_level_in);
    // Drop-ins in lexical order, each overriding what came before.
    let mut dropins: Vec<_> = std::fs::read_dir(dir.join(format!("{name}.d")))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "conf"))
        .collect();
    dropins.sort();
    for p in dropins {
        if let Some(l) = std::fs::read_to_string(&p).ok().as_deref().and_then(log_level_in) {
            level = Some(l);
        }
    }
    level.unwrap_or(6)
}

/// Whether a message at `level` is written under `max`.
pub fn wanted(level: LogLevel, max: u8) -> bool {
    level.priority() <= max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_like_systemd() {
        assert_eq!(parse_level("debug"), Some(7));
        assert_eq!(parse_level("err"), Some(3));
        assert_eq!(parse_level("5"), Some(5));
        assert_eq!(parse_level("8"), None);
        assert_eq!(parse_level("verbose"), None);
        assert_eq!(log_level_in("[Manager]\nLogLevel=debug\n"), Some(7));
        assert_eq!(log_level_in("[Other]\nLogLevel=debug\n"), None);
        assert_eq!(log_level_in("[Manager]\nLogLevel = notice\nLogLevel=bogus\n"), Some(5));
        assert!(!wanted(LogLevel::Debug, 6));
        assert!(wanted(LogLevel::Info, 6));
    }

    #[test]
    fn engine_ids() {
        assert_eq!(engine_message_id("Deactivated successfully."), Some(UNIT_SUCCESS));
        assert_eq!(engine_message_id("Failed with result 'exit-code'."), Some(UNIT_FAILURE_RESULT));
        assert_eq!(engine_message_id("Main process exited, code=exited, status=1/FAILURE"), Some(UNIT_PROCESS_EXIT));
        assert_eq!(engine_message_id("Scheduled restart job."), None);
        assert_eq!(engine_message_id("Scheduled restart job, restart counter is at 3."), Some(UNIT_RESTART_SCHEDULED));
    }
}
