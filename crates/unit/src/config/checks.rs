//! The consistency checks systemd 252 makes once a unit's files are read,
//! before the unit may be used: each unit type's `*_verify()` step
//! (`service_verify()`, `timer_verify()`, `path_verify()`,
//! `mount_verify()`, `automount_verify()`, `swap_verify()`, the slice
//! checks) and the generic ones of `unit_load()`.
//!
//! Every setting can be fine on its own and the combination still make no
//! sense: a service with nothing to run, a timer with nothing to wait for,
//! a mount whose `Where=` is not the path its name encodes. systemd logs
//! one line naming the unit ("x.service: Service has no ExecStart=, …
//! Refusing.") and puts the unit in the `bad-setting` load state; starting
//! it then fails with "Unit x.service has a bad unit file setting.". Some
//! combinations are only worth a warning ("RuntimeMaxSec= has no effect in
//! combination with Type=oneshot. Ignoring.") and the unit loads.
//!
//! A unit goes through at most one refusal: the checks run in systemd's
//! order and stop at the first one that refuses, so that `vigil verify`
//! prints the same single line as `systemd-analyze verify`. The outcome,
//! per unit, is one of
//!
//! | outcome      | load state    | printed                                   |
//! |--------------|---------------|-------------------------------------------|
//! | accepted     | `loaded`      | warnings, if any                          |
//! | refused      | `bad-setting` | warnings so far, then the refusal         |
//! | load failure | `error`       | nothing: systemd fails before verify runs |
//!
//! and the lines are [`Check`]s in [`UnitConfig::checks`] — they are about
//! the unit as a whole, not about one line of a file, so they carry no
//! span; callers print them as `"{unit}: {message}"`, as systemd does.
//! A load failure records systemd's errno text in
//! [`UnitConfig::load_error`] ("Invalid argument"). A `.scope` file is
//! not read at all (`scope_load()`: scopes are made by the manager, for
//! processes it is handed) and the unit is `not-found`.
//!
//! Two things systemd checks at load time are not here: socket units'
//! `socket_verify()` lives with the typed socket settings the manager
//! builds (`vigil`'s `daemon::sockets::settings`), which need the parsed
//! ports; and `ExitType=cgroup` on a cgroup v1 host, which depends on the
//! host rather than on the unit.

use crate::config::service::ServiceView;
use crate::config::UnitConfig;
use crate::diag::{Diagnostic, Severity};
use crate::directive::{self, SectionKind as S};
use crate::load::LoadState;
use crate::name::{self, UnitName, UnitType};
use crate::value::{Usec, Value};

/// One finding about a unit as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// `Error` for a refusal, `Warning` for a combination that is ignored.
    pub severity: Severity,
    /// systemd's words, without the unit name.
    pub message: String,
}

/// Why a type's verify step did not accept the unit.
enum Refusal {
    /// `-ENOEXEC`: `bad-setting`, with the line systemd logs.
    BadSetting(String),
    /// Another errno before verify ran: `error`, with its text.
    Error(&'static str),
}

type Verdict = Result<(), Refusal>;

fn refuse(msg: impl Into<String>) -> Verdict {
    Err(Refusal::BadSetting(msg.into()))
}

/// Run every check for a freshly assembled unit: record findings, and
/// turn the load state to `bad-setting` or `error` when systemd would.
pub(crate) fn run(cfg: &mut UnitConfig) {
    if cfg.id.unit_type() == UnitType::Scope && cfg.load_state == LoadState::Loaded {
        // scope_load(): only the manager makes scopes (transient units,
        // from a running process); a scope file is never read.
        cfg.load_state = LoadState::NotFound;
        cfg.settings = Default::default();
        cfg.diagnostics.clear();
        cfg.unsupported.clear();
        return;
    }
    slice_assignment(cfg);
    let calendars = calendar_specs(cfg);
    if cfg.load_state == LoadState::BadSetting && cfg.has_errors() {
        // A fatal assignment (load-fragment's -ENOEXEC): systemd stops
        // loading there and says so once for the unit.
        cfg.checks.push(Check {
            severity: Severity::Error,
            message: "Unit configuration has fatal error, unit will not be started.".into(),
        });
        return;
    }
    if cfg.load_state != LoadState::Loaded {
        return;
    }
    let mut warnings = Vec::new();
    let verdict = match cfg.id.unit_type() {
        UnitType::Service => service(cfg, &mut warnings),
        UnitType::Timer => timer(cfg, calendars),
        UnitType::Path => path(cfg),
        UnitType::Mount => mount(cfg),
        UnitType::Automount => automount(cfg),
        UnitType::Swap => swap(cfg),
        UnitType::Slice => slice(cfg),
        UnitType::Socket | UnitType::Target | UnitType::Device | UnitType::Scope => Ok(()),
    }
    .and_then(|()| generic(cfg, &mut warnings));
    let warn = |message: String| Check { severity: Severity::Warning, message };
    cfg.checks.extend(warnings.into_iter().map(warn));
    match verdict {
        Ok(()) => {}
        Err(Refusal::BadSetting(message)) => {
            cfg.checks.push(Check { severity: Severity::Error, message });
            cfg.load_state = LoadState::BadSetting;
        }
        Err(Refusal::Error(errno)) => {
            cfg.load_error = Some(errno);
            cfg.load_state = LoadState::Error;
        }
    }
}

/// `service_verify()`, in its order (systemd.service(5) explains each
/// rule at the directive it concerns).
fn service(cfg: &UnitConfig, warnings: &mut Vec<String>) -> Verdict {
    let view = ServiceView::new(cfg);
    let ty = view.service_type();
    let oneshot = ty == "oneshot";
    let start = view.exec("ExecStart");
    let has_stop = !view.exec("ExecStop").is_empty();
    // "SuccessAction= will be executed unconditionally if no commands are
    // specified": such a service is valid (systemd-reboot.service).
    let success_action = cfg.string(S::Unit, "SuccessAction").is_some_and(|a| a != "none");
    if start.is_empty() && !has_stop && !success_action {
        return refuse("Service has no ExecStart=, ExecStop=, or SuccessAction=. Refusing.");
    }
    if !oneshot && start.is_empty() {
        return refuse("Service has no ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.");
    }
    if !view.remain_after_exit() && start.is_empty() && !success_action {
        return refuse(
            "Service has no ExecStart= and no SuccessAction= settings and does not have RemainAfterExit=yes set. Refusing.",
        );
    }
    if !oneshot && start.len() > 1 {
        return refuse(
            "Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing.",
        );
    }
    if oneshot && matches!(view.restart(), "always" | "on-success") {
        return refuse(
            "Service has Restart= set to either always or on-success, which isn't allowed for Type=oneshot services. Refusing.",
        );
    }
    if oneshot && !cfg.settings.get(S::Service, "RestartForceExitStatus").is_empty() {
        return refuse(
            "Service has RestartForceExitStatus= set, which isn't allowed for Type=oneshot services. Refusing.",
        );
    }
    if oneshot && cfg.string(S::Service, "ExitType") == Some("cgroup") {
        return refuse("Service has ExitType=cgroup set, which isn't allowed for Type=oneshot services. Refusing.");
    }
    if ty == "dbus" && cfg.string(S::Service, "BusName").is_none() {
        return refuse("Service is of type D-Bus but no D-Bus service name has been specified. Refusing.");
    }
    if pam(cfg) && !matches!(view.kill_mode(), "control-group" | "mixed") {
        return refuse("Service has PAM enabled. Kill mode must be set to 'control-group' or 'mixed'. Refusing.");
    }
    let descriptors = cfg.string(S::Service, "USBFunctionDescriptors").is_some();
    let strings = cfg.string(S::Service, "USBFunctionStrings").is_some();
    if descriptors && !strings {
        warnings.push("Service has USBFunctionDescriptors= setting, but no USBFunctionStrings=. Ignoring.".into());
    }
    if !descriptors && strings {
        warnings.push("Service has USBFunctionStrings= setting, but no USBFunctionDescriptors=. Ignoring.".into());
    }
    // The raw value: unlike the Timeout…Sec= family, RuntimeMaxSec=0 is a
    // limit here (systemd warns about it too).
    let runtime_max = timespan(cfg, S::Service, "RuntimeMaxSec").unwrap_or(Usec::INFINITY);
    if runtime_max != Usec::INFINITY && oneshot {
        warnings.push("RuntimeMaxSec= has no effect in combination with Type=oneshot. Ignoring.".into());
    }
    let extra = timespan(cfg, S::Service, "RuntimeRandomizedExtraSec").unwrap_or(Usec(0));
    if runtime_max == Usec::INFINITY && extra != Usec(0) {
        warnings.push("Service has RuntimeRandomizedExtraSec= setting, but no RuntimeMaxSec=. Ignoring.".into());
    }
    Ok(())
}

/// `config_parse_timer()` for `OnCalendar=`: a spec that does not parse
/// is ignored with a warning at its line. The directive table keeps the
/// text (the timer runtime parses it again); here it only stops counting
/// as a value. Returns how many specs parse.
fn calendar_specs(cfg: &mut UnitConfig) -> usize {
    if cfg.id.unit_type() != UnitType::Timer {
        return 0;
    }
    let mut valid = 0;
    let mut bad = Vec::new();
    for a in cfg.settings.get(S::Timer, "OnCalendar") {
        let Value::String(text) = &a.value else { continue };
        match crate::calendar::CalendarSpec::parse(text) {
            Ok(_) => valid += 1,
            Err(_) => bad.push(Diagnostic::warning(
                a.span.clone(),
                format!("Failed to parse calendar specification, ignoring: {text}"),
            )),
        }
    }
    cfg.diagnostics.extend(bad);
    valid
}

/// `timer_verify()`: something must make the timer elapse.
fn timer(cfg: &UnitConfig, calendars: usize) -> Verdict {
    const VALUES: [&str; 5] = ["OnActiveSec", "OnBootSec", "OnStartupSec", "OnUnitActiveSec", "OnUnitInactiveSec"];
    let has_value = calendars > 0 || VALUES.iter().any(|d| !cfg.settings.get(S::Timer, d).is_empty());
    if !has_value && !cfg.bool_or(S::Timer, "OnClockChange", false) && !cfg.bool_or(S::Timer, "OnTimezoneChange", false)
    {
        return refuse("Timer unit lacks value setting. Refusing.");
    }
    Ok(())
}

/// `path_verify()`: something to watch.
fn path(cfg: &UnitConfig) -> Verdict {
    const SPECS: [&str; 5] = ["PathExists", "PathExistsGlob", "PathChanged", "PathModified", "DirectoryNotEmpty"];
    if SPECS.iter().all(|d| cfg.settings.get(S::Path, d).is_empty()) {
        return refuse("Path unit lacks path setting. Refusing.");
    }
    Ok(())
}

/// `Where=`, or the path the unit's name encodes (`mount_add_extras()`).
fn where_of(cfg: &UnitConfig, section: S) -> String {
    match cfg.string(section, "Where") {
        Some(w) => simplify(w),
        None => name::unescape_path(cfg.id.stem()),
    }
}

/// `path_simplify()`: no duplicate or trailing slashes, no `.` components.
fn simplify(p: &str) -> String {
    let parts: Vec<&str> = p.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    if p.starts_with('/') {
        format!("/{}", parts.join("/"))
    } else {
        parts.join("/")
    }
}

/// Whether one of the unit's names is the one `path` encodes
/// (`unit_name_from_path()` + `unit_has_name()`).
fn named_after(cfg: &UnitConfig, path: &str, suffix: &str) -> bool {
    name::from_path(path, suffix).is_some_and(|n| cfg.names().any(|m| m.as_str() == n))
}

/// systemd's `mount_point_is_api()` and `mount_point_ignore()`: the file
/// systems the manager mounts itself (mount-setup.c's table, as Debian
/// builds it: with SMACK and EFI) and those a container manager passes in.
fn api_mount_point(p: &str) -> bool {
    const API: [&str; 14] = [
        "/proc",
        "/sys",
        "/dev",
        "/sys/kernel/security",
        "/sys/fs/smackfs",
        "/dev/shm",
        "/dev/pts",
        "/run",
        "/sys/fs/cgroup",
        "/sys/fs/cgroup/unified",
        "/sys/fs/cgroup/systemd",
        "/sys/fs/pstore",
        "/sys/firmware/efi/efivars",
        "/sys/fs/bpf",
    ];
    const IGNORED: [&str; 5] =
        ["/sys/fs/selinux", "/dev/console", "/proc/kmsg", "/proc/sys", "/proc/sys/kernel/random/boot_id"];
    API.contains(&p) || IGNORED.contains(&p) || p.starts_with("/sys/fs/cgroup/") || p.starts_with("/run/host")
}

/// The type's own section (`[Service]` for a service…).
fn own_section(cfg: &UnitConfig) -> Option<S> {
    cfg.id.unit_type().section_names().get(1).and_then(|n| S::from_name(n))
}

fn pam(cfg: &UnitConfig) -> bool {
    own_section(cfg).and_then(|s| cfg.string(s, "PAMName")).is_some_and(|p| !p.is_empty())
}

/// `mount_verify()`.
fn mount(cfg: &UnitConfig) -> Verdict {
    let at = where_of(cfg, S::Mount);
    if !named_after(cfg, &at, ".mount") {
        return refuse("Where= setting doesn't match unit name. Refusing.");
    }
    if api_mount_point(&at) {
        return refuse(format!("Cannot create mount unit for API file system {at}. Refusing."));
    }
    if cfg.fragment.is_some() && !cfg.perpetual && cfg.string(S::Mount, "What").is_none_or(str::is_empty) {
        return refuse("What= setting is missing. Refusing.");
    }
    if pam(cfg) && !kill_mode_is_control_group(cfg) {
        return refuse("Unit has PAM enabled. Kill mode must be set to control-group'. Refusing.");
    }
    Ok(())
}

fn kill_mode_is_control_group(cfg: &UnitConfig) -> bool {
    own_section(cfg).and_then(|s| cfg.string(s, "KillMode")).unwrap_or("control-group") == "control-group"
}

/// `automount_verify()`. An automount for `/` does not get that far: its
/// mount dependencies fail first, with `EADDRNOTAVAIL`.
fn automount(cfg: &UnitConfig) -> Verdict {
    let at = where_of(cfg, S::Automount);
    if at == "/" {
        return Err(Refusal::Error("Cannot assign requested address"));
    }
    if !named_after(cfg, &at, ".automount") {
        return refuse("Where= setting doesn't match unit name. Refusing.");
    }
    // The options the manager passes to autofs itself.
    const RESERVED: [&str; 6] = ["fd", "pgrp", "minproto", "maxproto", "direct", "indirect"];
    let extra = cfg.string(S::Automount, "ExtraOptions").unwrap_or("");
    let has = |o: &str| extra.split(',').any(|e| e == o || e.strip_prefix(o).is_some_and(|v| v.starts_with('=')));
    if let Some(o) = RESERVED.iter().find(|o| has(o)) {
        return refuse(format!("ExtraOptions= setting may not contain reserved option {o}."));
    }
    Ok(())
}

/// `swap_verify()`.
fn swap(cfg: &UnitConfig) -> Verdict {
    let what = match cfg.string(S::Swap, "What") {
        Some(w) => simplify(w),
        None => name::unescape_path(cfg.id.stem()),
    };
    if !named_after(cfg, &what, ".swap") {
        return refuse("Value of What= and unit name do not match, not loading.");
    }
    if pam(cfg) && !kill_mode_is_control_group(cfg) {
        return refuse("Unit has PAM enabled. Kill mode must be set to 'control-group'. Refusing to load.");
    }
    Ok(())
}

/// `slice_name_is_valid()`: dash-separated non-empty parts (the root
/// slice is `-.slice`).
pub fn slice_name_is_valid(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".slice") else { return false };
    if stem == "-" {
        return true;
    }
    UnitName::parse(name).is_ok_and(|n| !n.is_template() && !n.is_instance())
        && !stem.is_empty()
        && stem.split('-').all(|p| !p.is_empty())
}

/// A slice's parent is computed from its name before its verify step runs
/// (`slice_add_parent_slice()`); a name with an empty part fails there.
fn slice(cfg: &UnitConfig) -> Verdict {
    if !slice_name_is_valid(cfg.id.as_str()) {
        return Err(Refusal::Error("Invalid argument"));
    }
    Ok(())
}

/// `config_parse_unit_slice()` → `unit_set_slice()`: a slice cannot be put
/// in another by `Slice=` (its parent is its name's), and a unit can only
/// be put in a slice. Such an assignment is ignored with a warning at its
/// line.
fn slice_assignment(cfg: &mut UnitConfig) {
    let Some(section) = own_section(cfg) else { return };
    let Some(a) = cfg.settings.get(section, "Slice").last() else { return };
    let Value::String(target) = &a.value else { return };
    let is_slice = UnitName::parse(target).is_ok_and(|n| n.unit_type() == UnitType::Slice);
    if is_slice && cfg.id.unit_type() != UnitType::Slice {
        return;
    }
    let (span, msg) =
        (a.span.clone(), format!("Failed to assign slice {target} to unit {}, ignoring: Invalid argument", cfg.id));
    cfg.diagnostics.push(Diagnostic::warning(span.clone(), msg));
    if let Some(d) = directive::lookup(section, "Slice") {
        cfg.settings.apply(d, Value::Empty, span);
    }
}

/// The checks of `unit_load()` every type goes through after its own
/// (OnSuccess= is validated before OnFailure=).
fn generic(cfg: &UnitConfig, warnings: &mut Vec<String>) -> Verdict {
    for (deps, mode, isolate) in
        [("OnSuccess", "OnSuccessJobMode", None), ("OnFailure", "OnFailureJobMode", Some("OnFailureIsolate"))]
    {
        let mut units = cfg.strings(S::Unit, deps);
        units.sort_unstable();
        units.dedup();
        if units.len() > 1 && job_mode_isolate(cfg, mode, isolate) {
            return refuse(format!("More than one {deps}= dependencies specified but {mode}=isolate set. Refusing."));
        }
    }
    let running = timespan(cfg, S::Unit, "JobRunningTimeoutSec").unwrap_or(Usec::INFINITY);
    let job = timespan(cfg, S::Unit, "JobTimeoutSec").unwrap_or(Usec::INFINITY);
    if running != Usec::INFINITY && running > job {
        warnings.push("JobRunningTimeoutSec= is greater than JobTimeoutSec=, it has no effect.".into());
    }
    Ok(())
}

/// `OnFailureJobMode=isolate`, or the older `OnFailureIsolate=yes` — the
/// later assignment of the two wins, as both set the same field.
fn job_mode_isolate(cfg: &UnitConfig, mode: &str, isolate: Option<&str>) -> bool {
    let by_mode = cfg.settings.get(S::Unit, mode).last().map(|a| (a.seq, matches!(a.value, Value::Enum("isolate"))));
    let by_bool = isolate
        .and_then(|n| cfg.settings.get(S::Unit, n).last())
        .map(|a| (a.seq, matches!(a.value, Value::Bool(true))));
    [by_mode, by_bool].into_iter().flatten().max_by_key(|(seq, _)| *seq).is_some_and(|(_, isolate)| isolate)
}

fn timespan(cfg: &UnitConfig, section: S, name: &str) -> Option<Usec> {
    match cfg.value(section, name) {
        Some(Value::Timespan(u)) => Some(*u),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
