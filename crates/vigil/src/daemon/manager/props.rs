//! Unit properties by systemd's D-Bus names, as `systemctl show` prints
//! them (`org.freedesktop.systemd1(5)`): the manager's answer to `Show`.
//! Values are formatted the way systemctl formats them (`yes`/`no`,
//! timespans like `1min 30s`, `[not set]` for unset timestamps is the
//! client's business: we send raw strings).
//!
//! The state-change timestamps are kept as systemd's `unit_notify()`
//! keeps them: every state change (of the sub-state too) stamps
//! `StateChangeTimestamp`; leaving `inactive`/`failed` stamps
//! `InactiveExitTimestamp`, entering them `InactiveEnterTimestamp`;
//! entering `active`/`reloading` from anything else stamps
//! `ActiveEnterTimestamp`, leaving them `ActiveExitTimestamp`. They are
//! wall-clock times, shown as `format_timestamp()` does (empty when
//! unset, as `systemctl show` prints an unset timestamp).
//!
//! `LoadError` is systemd's `(ss)` pair — the D-Bus error a job on the
//! unit would get (`bus_unit_validate_load_state()`) — sent as systemctl
//! prints it, `NAME "MESSAGE"`, and empty for a loaded unit:
//! `org.freedesktop.systemd1.NoSuchUnit`, `…UnitMasked`,
//! `…BadUnitSetting`, and for the `error` state the name `sd-bus` derives
//! from the errno (`org.freedesktop.DBus.Error.InvalidArgs` for `EINVAL`,
//! `System.Error.ENOEXEC` for one without a fixed name).

use std::borrow::Cow;

use unit::config::service::ServiceView;
use unit::config::UnitConfig;
use unit::load::LoadState;
use unit::value::time::format_timespan;

use super::{describe, Unit};

/// One instant on both clocks systemd keeps (`dual_timestamp`): wall-clock
/// µs for `…Timestamp`, `CLOCK_MONOTONIC` µs for `…TimestampMonotonic`;
/// 0 = never.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Instant2 {
    pub wall: u64,
    pub mono: u64,
}

impl Instant2 {
    pub fn now() -> Instant2 {
        let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64);
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes into the timespec we own.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        Instant2 { wall, mono: ts.tv_sec as u64 * 1_000_000 + ts.tv_nsec as u64 / 1000 }
    }
}

/// Now on `CLOCK_REALTIME_COARSE`, the clock the kernel stamps file times
/// with, in ns (a unit's load instant, `NeedDaemonReload`).
pub fn file_clock_ns() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) };
    ts.tv_sec.saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec)
}

/// The last state changes; [`Instant2::default`] = never.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stamps {
    state_change: Instant2,
    inactive_exit: Instant2,
    active_enter: Instant2,
    active_exit: Instant2,
    inactive_enter: Instant2,
    /// What the last start found of its conditions and asserts.
    pub checks: super::checks::Checks,
    /// When its files were read, in ns on the clock file times are
    /// stamped with (`NeedDaemonReload`, `file_state::changed_since`).
    pub loaded_ns: i64,
}

fn inactive(s: &str) -> bool {
    matches!(s, "inactive" | "failed")
}

fn up(s: &str) -> bool {
    matches!(s, "active" | "reloading")
}

impl Stamps {
    /// A unit's stamps as its files are read: `CLOCK_REALTIME_COARSE`,
    /// the clock the kernel stamps file times with.
    pub fn loaded_now() -> Stamps {
        Stamps { loaded_ns: file_clock_ns(), ..Stamps::default() }
    }

    /// A state change, given as the active states before and after
    /// (equal when only the sub-state changed).
    /// The last inactive → active change (never: zeros).
    pub fn inactive_exit(&self) -> Instant2 {
        self.inactive_exit
    }

    /// The last active → inactive change (never: zeros).
    pub fn inactive_enter(&self) -> Instant2 {
        self.inactive_enter
    }

    pub fn record(&mut self, from: &str, to: &str) {
        self.record_at(from, to, Instant2::now());
    }

    fn record_at(&mut self, from: &str, to: &str, now: Instant2) {
        self.state_change = now;
        match (inactive(from), inactive(to)) {
            (true, false) => self.inactive_exit = now,
            (false, true) => self.inactive_enter = now,
            _ => {}
        }
        match (up(from), up(to)) {
            (false, true) => self.active_enter = now,
            (true, false) => self.active_exit = now,
            _ => {}
        }
    }

    /// `…Timestamp` and `…TimestampMonotonic` of each, as systemctl
    /// show lists them; only those `want` names.
    fn properties(&self, want: &dyn Fn(&str) -> bool) -> Vec<Prop> {
        let named = [
            ("StateChangeTimestamp", "StateChangeTimestampMonotonic", self.state_change),
            ("InactiveExitTimestamp", "InactiveExitTimestampMonotonic", self.inactive_exit),
            ("ActiveEnterTimestamp", "ActiveEnterTimestampMonotonic", self.active_enter),
            ("ActiveExitTimestamp", "ActiveExitTimestampMonotonic", self.active_exit),
            ("InactiveEnterTimestamp", "InactiveEnterTimestampMonotonic", self.inactive_enter),
        ];
        let mut out = Vec::new();
        push_stamps(&named, want, &mut out);
        out
    }
}

/// `NAME` and `NAME…Monotonic` of each instant, as systemctl show lists
/// them (the wall-clock time empty when never); only those `want` names.
pub fn push_stamps(named: &[(&'static str, &'static str, Instant2)], want: &dyn Fn(&str) -> bool, out: &mut Vec<Prop>) {
    let wall = |t: u64| if t == 0 { String::new() } else { crate::journalctl::time::format_timestamp(t, false) };
    // Both names spelled out: asking `want` costs no allocation when
    // neither is wanted (`is-active` wants neither).
    for &(name, mono, t) in named {
        if want(name) {
            out.push((name.into(), wall(t.wall)));
        }
        if want(mono) {
            out.push((mono.into(), t.mono.to_string()));
        }
    }
}

/// The errno text of a unit in the `error` load state: what the checks
/// recorded, else systemd's `-EBADMSG` of a fatal syntax error, else the
/// `-EINVAL` of a refused file.
fn load_errno(cfg: &UnitConfig) -> &'static str {
    cfg.load_error.unwrap_or(if cfg.has_errors() { "Bad message" } else { "Invalid argument" })
}

/// The D-Bus error name `sd_bus_error_set_errnof()` gives an errno, told
/// by its `strerror()` text: the fixed names of `errno_to_bus_error_const()`,
/// else `System.Error.` and the errno's symbolic name.
fn errno_bus_name(text: &str) -> String {
    use nix::errno::Errno;
    // The C library's strerror() (nix's own texts differ for some).
    let strerror = |n: i32| {
        let s = std::io::Error::from_raw_os_error(n).to_string();
        s.split(" (os error ").next().unwrap_or_default().to_string()
    };
    let Some(e) = (1..200).find(|&n| strerror(n) == text).map(Errno::from_raw) else {
        return "org.freedesktop.DBus.Error.Failed".to_string();
    };
    let fixed = match e {
        Errno::ENOMEM => "NoMemory",
        Errno::EPERM | Errno::EACCES => "AccessDenied",
        Errno::EINVAL => "InvalidArgs",
        Errno::ESRCH => "UnixProcessIdUnknown",
        Errno::ENOENT => "FileNotFound",
        Errno::EEXIST => "FileExists",
        Errno::ETIMEDOUT | Errno::ETIME => "Timeout",
        Errno::EIO => "IOError",
        Errno::ENETRESET | Errno::ECONNABORTED | Errno::ECONNRESET => "Disconnected",
        Errno::EOPNOTSUPP => "NotSupported",
        Errno::EADDRNOTAVAIL => "BadAddress",
        Errno::ENOBUFS => "LimitsExceeded",
        Errno::EADDRINUSE => "AddressInUse",
        Errno::EBADMSG => "InconsistentMessage",
        other => return format!("System.Error.{other:?}"),
    };
    format!("org.freedesktop.DBus.Error.{fixed}")
}

/// `LoadError` as `systemctl show` prints it, empty for a loaded unit
/// (systemd 252's `bus_unit_validate_load_state()` and `print_property()`).
pub fn load_error(cfg: &UnitConfig) -> String {
    match load_error_pair(cfg) {
        Some((name, message)) => format!("{name} \"{message}\""),
        None => String::new(),
    }
}

/// The D-Bus error name and message of a unit that did not load (the
/// message is also what a refused job says).
pub fn load_error_pair(cfg: &UnitConfig) -> Option<(String, String)> {
    let id = &cfg.id;
    Some(match cfg.load_state {
        LoadState::Loaded => return None,
        LoadState::NotFound => ("org.freedesktop.systemd1.NoSuchUnit".to_string(), format!("Unit {id} not found.")),
        LoadState::Masked => ("org.freedesktop.systemd1.UnitMasked".to_string(), format!("Unit {id} is masked.")),
        LoadState::BadSetting => {
            ("org.freedesktop.systemd1.BadUnitSetting".to_string(), format!("Unit {id} has a bad unit file setting."))
        }
        LoadState::Error => {
            let errno = load_errno(cfg);
            let message =
                format!("Unit {id} failed to load properly, please adjust/correct and reload service manager: {errno}");
            (errno_bus_name(errno), message)
        }
    })
}

fn yn(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// `CanStart`, `CanStop`, `CanReload`, `CanIsolate` as systemd 252's
/// `unit_can_*_refuse_manual()` decide them: a unit starts when it loaded
/// and its type has a start (a device has none), unless
/// `RefuseManualStart=`; it stops unless it is perpetual (`-.slice`,
/// `init.scope`, `-.mount`), its type has no stop, or
/// `RefuseManualStop=`; a service reloads with an `ExecReload=`, any unit
/// that propagates reloads (`PropagatesReloadTo=`); isolating needs a
/// start and `AllowIsolate=`.
fn abilities(cfg: &UnitConfig) -> (bool, bool, bool, bool) {
    use unit::directive::SectionKind::Unit as U;
    use unit::UnitType;
    let ty = cfg.id.unit_type();
    let has_methods = ty != UnitType::Device;
    let can_start = cfg.load_state == LoadState::Loaded && has_methods;
    let perpetual = matches!(cfg.id.as_str(), "-.slice" | "init.scope" | "-.mount");
    let start = can_start && !cfg.bool_or(U, "RefuseManualStart", false);
    let stop = has_methods && !perpetual && !cfg.bool_or(U, "RefuseManualStop", false);
    let reload = (ty == UnitType::Service && !ServiceView::new(cfg).exec("ExecReload").is_empty())
        || !cfg.strings(U, "PropagatesReloadTo").is_empty();
    let isolate = start && cfg.bool_or(U, "AllowIsolate", false);
    (start, stop, reload, isolate)
}

/// One property: its name (nearly always one of the names written in this
/// file, so borrowed: a `status` answer is a hundred of them, and an owned
/// copy of each was one allocation and one free per name) and its value.
pub type Prop = (Cow<'static, str>, String);

/// The properties a `Show` request names, as they are added: each value
/// is computed only when its name is wanted.
struct Props<'w> {
    want: &'w dyn Fn(&str) -> bool,
    out: Vec<Prop>,
}

impl Props<'_> {
    fn add(&mut self, name: &'static str, value: impl FnOnce() -> String) {
        if (self.want)(name) {
            self.out.push((Cow::Borrowed(name), value()));
        }
    }
}

/// The properties of a unit that `want` names (all of them for a bare
/// `show`), in a stable order. A value is computed only when it is
/// wanted: `is-active` asks for `ActiveState` alone, and formatting the
/// rest — a wall-clock time re-reads the time zone, a timespan or an enum
/// allocates — would be thrown away by the filter in `control.rs`.
pub fn properties(u: &Unit, want: &dyn Fn(&str) -> bool) -> Vec<Prop> {
    let cfg = &u.cfg;
    // Room for all of a service's at once (a bare `show`, `status`): grown
    // by doubling from nothing, the vector was reallocated seven times.
    let mut p = Props { want, out: Vec::with_capacity(if want("Id") { 128 } else { 4 }) };
    p.add("Id", || cfg.id.to_string());
    p.add("Names", || cfg.names().map(|n| n.as_str()).collect::<Vec<_>>().join(" "));
    p.add("Description", || describe(cfg));
    // An `as` on the bus: systemctl show quotes each word that needs it
    // (`shell_maybe_quote()`), as a command line is quoted.
    p.add("Documentation", || {
        let docs: Vec<String> = cfg.strings(unit::directive::SectionKind::Unit, "Documentation").into_iter().map(String::from).collect();
        unit::config::service::quote_command_line(&docs)
    });
    p.add("LoadState", || cfg.load_state.as_str().into());
    p.add("LoadError", || load_error(cfg));
    p.add("ActiveState", || u.active_state().into());
    p.add("SubState", || u.sub_state().into());
    p.add("FragmentPath", || cfg.fragment.as_ref().map(|f| f.display().to_string()).unwrap_or_default());
    p.add("DropInPaths", || cfg.dropin_paths.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" "));
    p.add("InvocationID", || u.invocation_id.to_string());
    let (start, stop, reload, isolate) = abilities(cfg);
    p.add("CanStart", || yn(start));
    p.add("CanStop", || yn(stop));
    p.add("CanReload", || yn(reload));
    p.add("CanIsolate", || yn(isolate));
    p.out.extend(u.stamps.properties(want));
    u.stamps.checks.properties(cfg, want, &mut p.out);
    if let Some(svc) = &u.svc {
        let v = ServiceView::new(cfg);
        let ts = |x: unit::value::Usec| format_timespan(x.0, 1);
        let (code, status) = match svc.main_exit() {
            Some(engine::service::ExitStatus::Exited(c)) => ("1", c.to_string()),
            Some(engine::service::ExitStatus::Killed { signal, core_dumped }) => {
                (if core_dumped { "3" } else { "2" }, signal.to_string())
            }
            None => ("0", "0".to_string()),
        };
        p.add("Type", || v.service_type().to_string());
        p.add("Restart", || v.restart().to_string());
        p.add("RestartUSec", || ts(v.restart_sec()));
        p.add("TimeoutStartUSec", || ts(v.timeout_start()));
        p.add("TimeoutStopUSec", || ts(v.timeout_stop()));
        p.add("RuntimeMaxUSec", || ts(v.runtime_max()));
        p.add("WatchdogUSec", || ts(v.watchdog()));
        p.add("RemainAfterExit", || yn(v.remain_after_exit()));
        p.add("NotifyAccess", || v.notify_access().to_string());
        p.add("KillMode", || v.kill_mode().to_string());
        p.add("Result", || svc.result().as_str().to_string());
        p.add("ReloadResult", || svc.reload_result().as_str().to_string());
        p.add("MainPID", || svc.main_pid().unwrap_or(0).to_string());
        p.add("ExecMainPID", || svc.main_pid().unwrap_or(u.exec_main_pid).to_string());
        p.add("ControlPID", || svc.control_pid().unwrap_or(0).to_string());
        p.add("ExecMainCode", || code.to_string());
        p.add("ExecMainStatus", || status);
        p.add("NRestarts", || svc.n_restarts().to_string());
        p.add("StatusText", || svc.status_text().unwrap_or("").to_string());
        p.add("StatusErrno", || svc.status_errno().to_string());
        p.add("User", || v.user().unwrap_or("").to_string());
        p.add("Group", || v.group().unwrap_or("").to_string());
    }
    if let Some(sock) = u.sock() {
        p.out.extend(sock.properties().into_iter().filter(|(k, _)| want(k)).map(|(k, v)| (Cow::Owned(k), v)));
    }
    // What vigil parses but does not apply, and the sandboxing a manager
    // without the privilege for namespaces cannot apply (`sandbox.rs`).
    p.add("VigilUnsupported", || {
        let mut unapplied: Vec<&str> = u.cfg.unsupported.iter().map(|(d, _)| d.name).collect();
        unapplied.extend(super::sandbox::unapplied(&u.cfg));
        unapplied.join(" ")
    });
    p.out
}

#[cfg(test)]
mod tests {
    use super::{errno_bus_name, Instant2, Stamps};

    #[test]
    fn errnos_get_sd_bus_names() {
        assert_eq!(errno_bus_name("Invalid argument"), "org.freedesktop.DBus.Error.InvalidArgs");
        assert_eq!(errno_bus_name("Cannot assign requested address"), "org.freedesktop.DBus.Error.BadAddress");
        assert_eq!(errno_bus_name("Bad message"), "org.freedesktop.DBus.Error.InconsistentMessage");
        assert_eq!(errno_bus_name("Exec format error"), "System.Error.ENOEXEC");
    }

    #[test]
    fn stamps_follow_unit_notify() {
        let at = |t: u64| Instant2 { wall: t, mono: t + 1 };
        let mut s = Stamps::default();
        s.record_at("inactive", "activating", at(10));
        s.record_at("activating", "active", at(20));
        s.record_at("active", "active", at(25));
        assert_eq!((s.inactive_exit, s.active_enter, s.state_change), (at(10), at(20), at(25)));
        s.record_at("active", "deactivating", at(30));
        s.record_at("deactivating", "failed", at(40));
        assert_eq!((s.active_exit, s.inactive_enter, s.state_change), (at(30), at(40), at(40)));
        assert_eq!(s.active_enter, at(20));
        let p = s.properties(&|_| true);
        assert!(p.contains(&("ActiveEnterTimestampMonotonic".into(), "21".to_string())));
        assert_eq!(p.len(), 10);
        // Only what is asked for: `status` wants four of the ten.
        let p = s.properties(&|k| k == "ActiveEnterTimestampMonotonic" || k == "InactiveExitTimestamp");
        let names: Vec<&str> = p.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(names, ["InactiveExitTimestamp", "ActiveEnterTimestampMonotonic"]);
        assert_eq!(p[1].1, "21");
    }
}
