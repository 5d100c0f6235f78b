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

/// One value in systemctl's format.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::Empty => String::new(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Int(i) => i.to_string(),
        Value::Unsigned(u) => u.to_string(),
        Value::Timespan(u) => format_timespan(u.0, 1),
        Value::Nsec(n) => n.to_string(),
        Value::Size(s) => match s {
            crate::value::Size::Bytes(b) => b.to_string(),
            crate::value::Size::Infinity => "infinity".into(),
        },
        Value::MemoryLimit(m) => match m {
            crate::value::MemoryLimit::Bytes(b) => b.to_string(),
            crate::value::MemoryLimit::Permyriad(p) => format!("{}.{:02}%", p / 100, p % 100),
            crate::value::MemoryLimit::Infinity => "infinity".into(),
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
        Value::Environment(env) => env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "),
        Value::EnvironmentFile { path, optional } => format!("{path} ({})", if *optional { "ignore_errors=yes" } else { "ignore_errors=no" }),
        Value::Condition(c) => format!("{}{}{}", if c.trigger { "|" } else { "" }, if c.negate { "!" } else { "" }, c.arg),
        Value::Limit(l) => {
            let f = |x: u64| if x == u64::MAX { "infinity".to_string() } else { x.to_string() };
            f(l.hard)
        }
        Value::Weight(w) => match w {
            crate::value::Weight::Idle => "idle".into(),
            crate::value::Weight::Value(n) => n.to_string(),
        },
        Value::CpuSet(c) => c.to_string(),
        Value::CpuAffinityNuma => "numa".into(),
        Value::Capabilities(c) => format!("{}0x{:x}", if c.invert { "~" } else { "" }, c.mask),
        Value::SecureBits(s) => s.0.to_string(),
        Value::SyslogFacility(f) => f.to_string(),
        Value::SyslogLevel(l) => l.to_string(),
        Value::Input(i) => format!("{i:?}").to_lowercase(),
        Value::Output(o) => format!("{o:?}").to_lowercase(),
        Value::Listen(l) => format!("{l:?}"),
        Value::ExitStatusSet(s) => {
            let codes: Vec<String> = (0..=255).filter(|c| s.contains_status(*c)).map(|c| c.to_string()).collect();
            let sigs: Vec<String> = s.signals().map(crate::value::signal::name_of).collect();
            codes.into_iter().chain(sigs).collect::<Vec<_>>().join(" ")
        }
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
