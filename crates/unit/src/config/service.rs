//! The `[Service]` settings of a unit with systemd's defaults applied —
//! what the manager acts on and what `show`/`status` print.
//!
//! Defaults follow `systemd.service(5)` and `systemd.kill(5)` with the
//! manager's own defaults of `systemd-system.conf(5)`
//! (`DefaultTimeoutStartSec=90s`, `DefaultTimeoutStopSec=90s`,
//! `DefaultRestartSec=100ms`):
//!
//! - `Type=` unset: `dbus` if `BusName=` is set, `oneshot` if there is no
//!   `ExecStart=`, `simple` otherwise;
//! - `TimeoutStartSec=` unset: infinity for `oneshot`, else 90 s; a value
//!   of 0 means infinity for the `Timeout…Sec=` and `RuntimeMaxSec=`
//!   settings ("Pass 0 to disable the timeout logic");
//! - `NotifyAccess=` unset: `main` for `Type=notify` or with a watchdog,
//!   `none` otherwise.

use crate::config::UnitConfig;
use crate::directive::SectionKind as S;
use crate::value::env::env_replace;
use crate::value::{ExecCommand, Usec, Value};

/// `DefaultTimeoutStartSec=`/`DefaultTimeoutStopSec=` of systemd 252.
pub const DEFAULT_TIMEOUT: Usec = Usec(90_000_000);
/// `DefaultRestartSec=`.
pub const DEFAULT_RESTART: Usec = Usec(100_000);

/// The exec phases of a service, in the order they run.
pub const EXEC_PHASES: [&str; 7] =
    ["ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost"];

/// A read-only view of a service unit's settings with defaults.
#[derive(Clone, Copy)]
pub struct ServiceView<'a> {
    cfg: &'a UnitConfig,
}

impl<'a> ServiceView<'a> {
    pub fn new(cfg: &'a UnitConfig) -> ServiceView<'a> {
        ServiceView { cfg }
    }

    fn word(&self, name: &str) -> Option<&'a str> {
        self.cfg.string(S::Service, name)
    }

    fn span(&self, name: &str) -> Option<Usec> {
        match self.cfg.value(S::Service, name) {
            Some(Value::Timespan(u)) => Some(*u),
            _ => None,
        }
    }

    /// A `Timeout…Sec=`-style setting where 0 means "no timeout".
    fn timeout(&self, name: &str, default: Usec) -> Usec {
        match self.span(name) {
            Some(Usec(0)) => Usec::INFINITY,
            Some(u) => u,
            None => default,
        }
    }

    pub fn service_type(&self) -> &'a str {
        match self.word("Type") {
            Some(t) => t,
            None if self.word("BusName").is_some() => "dbus",
            None if !self.has_exec("ExecStart") => "oneshot",
            None => "simple",
        }
    }

    pub fn restart(&self) -> &'a str {
        self.word("Restart").unwrap_or("no")
    }

    pub fn restart_sec(&self) -> Usec {
        self.span("RestartSec").unwrap_or(DEFAULT_RESTART)
    }

    pub fn timeout_start(&self) -> Usec {
        let default = if self.service_type() == "oneshot" { Usec::INFINITY } else { DEFAULT_TIMEOUT };
        self.timeout("TimeoutStartSec", default)
    }

    pub fn timeout_stop(&self) -> Usec {
        self.timeout("TimeoutStopSec", DEFAULT_TIMEOUT)
    }

    pub fn timeout_abort(&self) -> Usec {
        self.timeout("TimeoutAbortSec", self.timeout_stop())
    }

    pub fn runtime_max(&self) -> Usec {
        self.timeout("RuntimeMaxSec", Usec::INFINITY)
    }

    pub fn watchdog(&self) -> Usec {
        self.span("WatchdogSec").unwrap_or(Usec(0))
    }

    pub fn remain_after_exit(&self) -> bool {
        self.cfg.bool_or(S::Service, "RemainAfterExit", false)
    }

    pub fn guess_main_pid(&self) -> bool {
        self.cfg.bool_or(S::Service, "GuessMainPID", true)
    }

    pub fn notify_access(&self) -> &'a str {
        match self.word("NotifyAccess") {
            Some(n) => n,
            None if self.service_type() == "notify" || self.watchdog() != Usec(0) => "main",
            None => "none",
        }
    }

    pub fn pid_file(&self) -> Option<&'a str> {
        self.word("PIDFile")
    }

    pub fn kill_mode(&self) -> &'a str {
        self.word("KillMode").unwrap_or("control-group")
    }

    /// A signal setting, or `default`.
    pub fn signal(&self, name: &str, default: i32) -> i32 {
        match self.cfg.value(S::Service, name) {
            Some(Value::Signal(s)) => *s,
            _ => default,
        }
    }

    pub fn user(&self) -> Option<&'a str> {
        self.word("User")
    }

    pub fn group(&self) -> Option<&'a str> {
        self.word("Group")
    }

    /// `Environment=` assignments in effect, later ones replacing earlier
    /// ones of the same name.
    pub fn environment(&self) -> Vec<(String, String)> {
        let mut env = Vec::new();
        for a in self.cfg.settings.get(S::Service, "Environment") {
            if let Value::Environment(list) = &a.value {
                for (k, v) in list {
                    env_replace(&mut env, k.clone(), v.clone());
                }
            }
        }
        env
    }

    /// `EnvironmentFile=` entries: (path, optional).
    pub fn environment_files(&self) -> Vec<(&'a str, bool)> {
        self.cfg
            .settings
            .get(S::Service, "EnvironmentFile")
            .iter()
            .filter_map(|a| match &a.value {
                Value::EnvironmentFile { path, optional } => Some((&**path, *optional)),
                _ => None,
            })
            .collect()
    }

    /// The commands of one phase (`ExecStart`, …), in order.
    /// Whether [`ServiceView::exec`] would list any command, without
    /// building the list (asked for `Type=`'s default at each spawn).
    pub fn has_exec(&self, phase: &str) -> bool {
        self.cfg.settings.get(S::Service, phase).iter().any(|a| matches!(&a.value, Value::Exec(cmds) if !cmds.is_empty()))
    }

    pub fn exec(&self, phase: &str) -> Vec<&'a ExecCommand> {
        self.cfg
            .settings
            .get(S::Service, phase)
            .iter()
            .flat_map(|a| match &a.value {
                Value::Exec(cmds) => cmds.iter().collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect()
    }
}

/// Quote a command line the way systemd prints one (`quote_command_line()`
/// with `shell_maybe_quote()` per word): words with shell-special
/// characters are put in double quotes, with `"`, `\`, `` ` `` and `$`
/// escaped; empty words become `""`.
pub fn quote_command_line(argv: &[String]) -> String {
    const SPECIAL: &str = "\"\\`$*?[ \t\n\r'()<>|&;!";
    argv.iter()
        .map(|w| {
            if !w.is_empty() && !w.chars().any(|c| SPECIAL.contains(c) || c.is_control()) {
                return w.clone();
            }
            let mut q = String::with_capacity(w.len() + 2);
            q.push('"');
            for c in w.chars() {
                if matches!(c, '"' | '\\' | '`' | '$') {
                    q.push('\\');
                }
                q.push(c);
            }
            q.push('"');
            q
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> UnitConfig {
        crate::config::load_for_test("service-view", name, text)
    }

    #[test]
    fn type_defaults_to_oneshot_only_without_a_start_command() {
        let ty = |text: &str| {
            let cfg = load("t.service", text);
            let v = ServiceView::new(&cfg);
            (v.service_type().to_string(), v.has_exec("ExecStart"), v.exec("ExecStart").is_empty())
        };
        assert_eq!(ty("[Service]\nExecStart=/bin/true\n"), ("simple".into(), true, false));
        assert_eq!(ty("[Service]\nExecStop=/bin/true\n"), ("oneshot".into(), false, true));
        // An empty assignment resets the list (systemd.service(5), "ExecStart=").
        assert_eq!(ty("[Service]\nExecStart=/bin/true\nExecStart=\n"), ("oneshot".into(), false, true));
        assert_eq!(ty("[Service]\nType=forking\nExecStart=/bin/true\n"), ("forking".into(), true, false));
    }

    #[test]
    fn quoting_like_systemd() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(quote_command_line(&v(&["/usr/sbin/sshd", "-D", "$SSHD_OPTS"])), "/usr/sbin/sshd -D \"\\$SSHD_OPTS\"");
        assert_eq!(
            quote_command_line(&v(&["/usr/sbin/nginx", "-g", "daemon on; master_process on;"])),
            "/usr/sbin/nginx -g \"daemon on; master_process on;\""
        );
        assert_eq!(quote_command_line(&v(&["a", ""])), "a \"\"");
    }
}
