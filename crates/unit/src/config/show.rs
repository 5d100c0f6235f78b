//! A unit's settings as `systemctl show` prints properties: systemd's
//! property names ([`Directive::property`], e.g. `TimeoutStartUSec` for
//! `TimeoutStartSec=`) and its value formats, for `vigil show --offline`.
//!
//! Formats, per `org.freedesktop.systemd1(5)` and what systemctl prints:
//! booleans `yes`/`no`; time spans like `1min 30s` (`infinity`); lists
//! space-separated; commands as `{ path=… ; argv[]=… ; ignore_errors=no ;
//! start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ;
//! status=0/0 }`; environment as `K=V K2=V2`; signals and exit statuses as
//! numbers; modes in octal. Properties systemd derives rather than reads
//! (`ActiveState`, `MainPID`…) are the manager's, not shown offline.

use crate::config::service::ServiceView;
use crate::config::UnitConfig;
use crate::directive::Directive;
use crate::value::time::format_timespan;
use crate::value::{ExecCommand, Value};

fn command(c: &ExecCommand) -> String {
    format!(
        "{{ path={} ; argv[]={} ; ignore_errors={} ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }}",
        c.path,
        c.argv.join(" "),
        if c.flags.ignore_failure { "yes" } else { "no" }
    )
}

/// One value in systemctl's format, as systemd 252 prints the property it
/// sets (read off `systemctl show` there): signals, syslog levels and
/// facilities as numbers, capabilities as names in bit order, exit-status
/// sets as codes then signal names without `SIG`, environment words
/// quoted as a shell would need them, `MemoryMax=50%` as the bytes it
/// stands for on this machine (capped by the root group's limit, as
/// systemd's `physical_memory_scale()`), standard streams by their kind's word
/// (`file`; the path is not a property of its own in 252).
pub fn format_value(v: &Value) -> String {
    use crate::value::{MemoryLimit, Size, StdInput, Weight};
    match v {
        Value::Empty => String::new(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Unsigned(u) => u.to_string(),
        Value::Timespan(u) => format_timespan(u.0, 1),
        Value::Nsec(n) if *n == u64::MAX => "infinity".into(),
        Value::Nsec(n) => n.to_string(),
        Value::Size(Size::Bytes(b)) | Value::MemoryLimit(MemoryLimit::Bytes(b)) => b.to_string(),
        Value::Size(Size::Infinity) | Value::MemoryLimit(MemoryLimit::Infinity) => "infinity".into(),
        Value::MemoryLimit(MemoryLimit::Permyriad(p)) => match crate::condition::physical_memory(std::path::Path::new("/")) {
            Some(m) => (m / 10_000 * u64::from(*p)).to_string(),
            None => format!("{}.{:02}%", p / 100, p % 100),
        },
        Value::Permyriad(p) => format!("{}%", p / 100),
        Value::Mode(m) => format!("{m:04o}"),
        Value::Signal(s) => s.to_string(),
        Value::String(s) => s.clone(),
        Value::Enum(s) => (*s).to_string(),
        Value::Strings(v) => v.join(" "),
        Value::Paths(v) => v
            .iter()
            .map(|p| format!("{}{}{}", if p.ignore_missing { "-" } else { "" }, if p.root_relative { "+" } else { "" }, p.path))
            .collect::<Vec<_>>()
            .join(" "),
        Value::Exec(cmds) => cmds.iter().map(command).collect::<Vec<_>>().join(" "),
        Value::Environment(env) => {
            let words: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            super::service::quote_command_line(&words)
        }
        Value::EnvironmentFile { path, optional } => format!("{path} ({})", if *optional { "ignore_errors=yes" } else { "ignore_errors=no" }),
        Value::Condition(c) => format!("{}{}{}", if c.trigger { "|" } else { "" }, if c.negate { "!" } else { "" }, c.arg),
        Value::Limit(l) => {
            let f = |x: u64| if x == u64::MAX { "infinity".to_string() } else { x.to_string() };
            f(l.hard)
        }
        Value::Weight(Weight::Idle) => "idle".into(),
        Value::Weight(Weight::Value(n)) => n.to_string(),
        Value::CpuSet(c) => c.to_string(),
        Value::CpuAffinityNuma => "numa".into(),
        Value::Capabilities(c) => crate::value::CapabilitySet::names(c.effective()).collect::<Vec<_>>().join(" "),
        Value::SecureBits(s) => s.0.to_string(),
        Value::SyslogFacility(f) => f.to_string(),
        Value::SyslogLevel(l) => l.to_string(),
        Value::Input(i) => match i {
            StdInput::Null => "null",
            StdInput::Tty => "tty",
            StdInput::TtyForce => "tty-force",
            StdInput::TtyFail => "tty-fail",
            StdInput::Socket => "socket",
            StdInput::Data => "data",
            StdInput::Fd(_) => "fd",
            StdInput::File(_) => "file",
        }
        .into(),
        Value::Output(o) => output_word(o).into(),
        Value::Listen(l) => format!("{l:?}"),
        Value::ExitStatusSet(s) => {
            let codes = s.statuses().map(|c| c.to_string());
            let sigs = s.signals().map(|n| crate::value::signal::name_of(n).trim_start_matches("SIG").to_string());
            codes.chain(sigs).collect::<Vec<_>>().join(" ")
        }
    }
}

/// `StandardOutput=`/`StandardError=` as the word of its kind.
pub fn output_word(o: &crate::value::StdOutput) -> &'static str {
    use crate::value::StdOutput;
    match o {
        StdOutput::Inherit => "inherit",
        StdOutput::Null => "null",
        StdOutput::Tty => "tty",
        StdOutput::Journal => "journal",
        StdOutput::JournalConsole => "journal+console",
        StdOutput::Kmsg => "kmsg",
        StdOutput::KmsgConsole => "kmsg+console",
        StdOutput::Socket => "socket",
        StdOutput::Fd(_) => "fd",
        StdOutput::File(_) => "file",
        StdOutput::Append(_) => "append",
        StdOutput::Truncate(_) => "truncate",
    }
}

fn property_name(d: &Directive) -> Option<&'static str> {
    (!d.property.is_empty()).then_some(d.property)
}

/// Every property the unit's files set, plus the identity and the
/// service defaults systemd always shows, sorted like `systemctl show`
/// (by name).
pub fn properties(cfg: &UnitConfig, scope: crate::Scope) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![
        ("Id".into(), cfg.id.to_string()),
        ("Names".into(), cfg.names().map(|n| n.as_str()).collect::<Vec<_>>().join(" ")),
        ("LoadState".into(), cfg.load_state.as_str().into()),
        ("FragmentPath".into(), cfg.fragment.as_ref().map(|p| p.display().to_string()).unwrap_or_default()),
        (
            "DropInPaths".into(),
            cfg.dropin_paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "),
        ),
    ];
    for (d, assignments) in cfg.settings.iter() {
        let Some(name) = property_name(d) else { continue };
        let value = match d.merge {
            crate::directive::Merge::Override | crate::directive::Merge::First => {
                assignments.last().map(|a| format_value(&a.value)).unwrap_or_default()
            }
            _ => assignments.iter().map(|a| format_value(&a.value)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" "),
        };
        // Exec properties are listed once per command in systemctl.
        out.push((name.to_string(), value));
    }
    if cfg.id.unit_type() == crate::UnitType::Service && cfg.load_state == crate::load::LoadState::Loaded {
        let v = ServiceView::new(cfg);
        let ts = |u: crate::value::Usec| format_timespan(u.0, 1);
        for (k, val) in [
            ("Type", v.service_type().to_string()),
            ("Restart", v.restart().to_string()),
            ("RestartUSec", ts(v.restart_sec())),
            ("TimeoutStartUSec", ts(v.timeout_start())),
            ("TimeoutStopUSec", ts(v.timeout_stop())),
            ("RuntimeMaxUSec", ts(v.runtime_max())),
            ("WatchdogUSec", ts(v.watchdog())),
            ("NotifyAccess", v.notify_access().to_string()),
            ("KillMode", v.kill_mode().to_string()),
            ("RemainAfterExit", if v.remain_after_exit() { "yes" } else { "no" }.to_string()),
        ] {
            // The effective value: defaults and systemd's special cases
            // (`TimeoutStopSec=0` is infinity) applied.
            out.retain(|(n, _)| n != k);
            out.push((k.to_string(), val));
        }
    }
    // Dependencies as the manager sees them: explicit, implicit and
    // default ones (systemctl show lists them all).
    let mut deps: std::collections::BTreeMap<&'static str, Vec<String>> = std::collections::BTreeMap::new();
    for d in super::deps::unit_deps(cfg, scope) {
        deps.entry(d.kind.as_str()).or_default().push(d.other);
    }
    for (k, mut v) in deps {
        v.dedup();
        out.retain(|(n, _)| n != k);
        out.push((k.to_string(), v.join(" ")));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}
