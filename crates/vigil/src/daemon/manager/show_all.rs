//! The rest of what `systemctl show` prints for a service, and the order
//! systemd prints it in.
//!
//! `props.rs` answers the properties vigil keeps state for (active state,
//! pids, results, timestamps). A bare `systemctl show x.service` on
//! systemd 252 prints about 240 more, and `--all` about 370: every
//! setting of the service's exec, kill and cgroup contexts and of its
//! `[Unit]` section, whether the unit sets it or not. Scripts read them
//! one at a time (`show -p LimitNOFILE`, `-p KillSignal --value`), so each
//! must be there with systemd's spelling of its value.
//!
//! **Where a value comes from.** Most properties are a directive's
//! setting: the directive table names the property each directive is
//! exposed as (`TimeoutCleanSec=` → `TimeoutCleanUSec`), so
//! [`setting`] finds the directive by property and formats its typed
//! value as systemctl prints that type (booleans `yes`/`no`, signals and
//! syslog levels as numbers, modes as four octal digits, sizes in bytes,
//! time spans as `1min 30s`). An unset one prints systemd's default, the
//! text 252 shows for a unit that does not set it ([`SERVICE`],
//! [`UNIT`]). A few are what the service actually gets from vigil rather
//! than a default of systemd's ([`live`]): an unset `Limit*=`, `Nice=`,
//! `OOMScoreAdjust=`, `TimerSlackNSec=` or `CoredumpFilter=` is the
//! manager's own, which the service inherits (systemd too reports its
//! own defaults there); memory and CPU use are read from the unit's
//! cgroup. Accounting vigil does not do (IP and IO counters) reads as
//! systemd's "no data" values, which is the truth.
//!
//! **Order.** systemd prints a service's own interface first (service,
//! then cgroup, exec and kill contexts), then the unit's; [`order`] sorts
//! an answer that way. Only a bare `show` is sorted: a `-p` list is
//! answered in the order asked, and `status` reads by name.
//!
//! **Cost.** None of this is needed by `status` or `is-active`, which ask
//! for nothing here (`Selection` in `query.rs`), so a control round trip
//! does not pay for ~300 formatted values.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use unit::config::show::{format_value, output_word};
use unit::config::UnitConfig;
use unit::directive::{Directive, Merge, SectionKind};
use unit::value::{StdInput, StdOutput, Value};

use super::props::{Instant2, Prop};
use super::Unit;

/// A property and what it prints when nothing sets it.
type Default = (&'static str, &'static str);

/// A value [`live`] computes, not a fixed default.
const LIVE: &str = "\u{0}";

/// The service, cgroup, exec and kill properties systemd 252 lists, in its
/// order, with the text it shows when the unit does not set them. Those
/// `props.rs` and `query.rs` answer are in the list for the order only.
pub const SERVICE: &[Default] = &[
    ("Type", ""), ("ExitType", "main"), ("Restart", ""), ("PIDFile", ""), ("NotifyAccess", ""),
    ("RestartUSec", ""), ("TimeoutStartUSec", ""), ("TimeoutStopUSec", ""), ("TimeoutAbortUSec", LIVE),
    ("TimeoutStartFailureMode", "terminate"), ("TimeoutStopFailureMode", "terminate"), ("RuntimeMaxUSec", ""),
    ("RuntimeRandomizedExtraUSec", "0"), ("WatchdogUSec", ""), ("RootDirectoryStartOnly", "no"),
    ("RemainAfterExit", ""), ("GuessMainPID", "yes"), ("RestartPreventExitStatus", ""),
    ("RestartForceExitStatus", ""), ("SuccessExitStatus", ""), ("MainPID", ""), ("ControlPID", ""),
    ("BusName", ""), ("FileDescriptorStoreMax", "0"), ("NFileDescriptorStore", "0"), ("StatusText", ""), ("StatusErrno", ""), ("Result", ""),
    ("USBFunctionDescriptors", ""), ("USBFunctionStrings", ""), ("UID", LIVE), ("GID", LIVE), ("NRestarts", ""),
    ("OOMPolicy", "stop"), ("ExecMainStartTimestamp", LIVE), ("ExecMainStartTimestampMonotonic", LIVE),
    ("ExecMainExitTimestamp", LIVE), ("ExecMainExitTimestampMonotonic", LIVE), ("ExecMainPID", ""),
    ("ExecMainCode", ""), ("ExecMainStatus", ""), ("ExecCondition", ""), ("ExecConditionEx", ""),
    ("ExecStartPre", ""), ("ExecStartPreEx", ""), ("ExecStart", ""), ("ExecStartEx", ""), ("ExecStartPost", ""),
    ("ExecStartPostEx", ""), ("ExecReload", ""), ("ExecReloadEx", ""), ("ExecStop", ""), ("ExecStopEx", ""),
    ("ExecStopPost", ""), ("ExecStopPostEx", ""), ("Slice", LIVE), ("ControlGroup", ""), ("MemoryCurrent", LIVE),
    ("MemoryAvailable", LIVE), ("CPUUsageNSec", LIVE), ("TasksCurrent", ""), ("IPIngressBytes", "[no data]"),
    ("IPIngressPackets", "[no data]"), ("IPEgressBytes", "[no data]"), ("IPEgressPackets", "[no data]"),
    ("IOReadBytes", "18446744073709551615"), ("IOReadOperations", "18446744073709551615"),
    ("IOWriteBytes", "18446744073709551615"), ("IOWriteOperations", "18446744073709551615"), ("Delegate", "no"),
    ("CPUAccounting", "no"), ("CPUWeight", "[not set]"), ("StartupCPUWeight", "[not set]"),
    ("CPUShares", "[not set]"), ("StartupCPUShares", "[not set]"), ("CPUQuotaPerSecUSec", LIVE),
    ("CPUQuotaPeriodUSec", "infinity"), ("AllowedCPUs", ""), ("StartupAllowedCPUs", ""),
    ("AllowedMemoryNodes", ""), ("StartupAllowedMemoryNodes", ""), ("IOAccounting", "no"),
    ("IOWeight", "[not set]"), ("StartupIOWeight", "[not set]"), ("BlockIOAccounting", "no"),
    ("BlockIOWeight", "[not set]"), ("StartupBlockIOWeight", "[not set]"), ("MemoryAccounting", "yes"),
    ("DefaultMemoryLow", "0"), ("DefaultMemoryMin", "0"), ("MemoryMin", "0"), ("MemoryLow", "0"),
    ("MemoryHigh", "infinity"), ("MemoryMax", "infinity"), ("MemorySwapMax", "infinity"),
    ("MemoryLimit", "infinity"), ("DevicePolicy", "auto"), ("TasksAccounting", "yes"), ("TasksMax", ""),
    ("IPAccounting", "no"), ("IPAddressAllow", ""), ("IPAddressDeny", ""), ("IPIngressFilterPath", ""),
    ("IPEgressFilterPath", ""), ("DisableControllers", ""), ("ManagedOOMSwap", "auto"),
    ("ManagedOOMMemoryPressure", "auto"), ("ManagedOOMMemoryPressureLimit", "0"),
    ("ManagedOOMPreference", "none"), ("RestrictNetworkInterfaces", "~"), ("Environment", ""), ("PassEnvironment", ""), ("UnsetEnvironment", ""),
    ("UMask", "0022"), ("LimitCPU", LIVE), ("LimitCPUSoft", LIVE), ("LimitFSIZE", LIVE), ("LimitFSIZESoft", LIVE),
    ("LimitDATA", LIVE), ("LimitDATASoft", LIVE), ("LimitSTACK", LIVE), ("LimitSTACKSoft", LIVE),
    ("LimitCORE", LIVE), ("LimitCORESoft", LIVE), ("LimitRSS", LIVE), ("LimitRSSSoft", LIVE), ("LimitNOFILE", LIVE),
    ("LimitNOFILESoft", LIVE), ("LimitAS", LIVE), ("LimitASSoft", LIVE), ("LimitNPROC", LIVE),
    ("LimitNPROCSoft", LIVE), ("LimitMEMLOCK", LIVE), ("LimitMEMLOCKSoft", LIVE), ("LimitLOCKS", LIVE),
    ("LimitLOCKSSoft", LIVE), ("LimitSIGPENDING", LIVE), ("LimitSIGPENDINGSoft", LIVE), ("LimitMSGQUEUE", LIVE),
    ("LimitMSGQUEUESoft", LIVE), ("LimitNICE", LIVE), ("LimitNICESoft", LIVE), ("LimitRTPRIO", LIVE),
    ("LimitRTPRIOSoft", LIVE), ("LimitRTTIME", LIVE), ("LimitRTTIMESoft", LIVE), ("WorkingDirectory", ""),
    ("RootDirectory", ""), ("RootImage", ""), ("RootHash", ""), ("RootHashPath", ""), ("RootHashSignature", ""),
    ("RootHashSignaturePath", ""), ("RootVerity", ""), ("ExtensionDirectories", ""), ("ExtensionImages", ""),
    ("MountImages", ""), ("OOMScoreAdjust", LIVE), ("CoredumpFilter", LIVE), ("Nice", LIVE),
    ("IOSchedulingClass", LIVE), ("IOSchedulingPriority", LIVE), ("CPUSchedulingPolicy", LIVE),
    ("CPUSchedulingPriority", LIVE), ("CPUAffinity", ""), ("CPUAffinityFromNUMA", LIVE), ("NUMAPolicy", "n/a"),
    ("NUMAMask", ""), ("TimerSlackNSec", LIVE), ("CPUSchedulingResetOnFork", "no"), ("NonBlocking", "no"),
    ("StandardInput", LIVE), ("StandardInputFileDescriptorName", LIVE), ("StandardInputData", ""),
    ("StandardOutput", LIVE), ("StandardOutputFileDescriptorName", LIVE), ("StandardError", LIVE),
    ("StandardErrorFileDescriptorName", LIVE), ("TTYPath", ""), ("TTYReset", "no"), ("TTYVHangup", "no"),
    ("TTYVTDisallocate", "no"), ("TTYRows", "[unprintable]"), ("TTYColumns", "[unprintable]"),
    ("SyslogPriority", LIVE), ("SyslogIdentifier", ""), ("SyslogLevelPrefix", "yes"), ("SyslogLevel", "6"),
    ("SyslogFacility", "3"), ("LogLevelMax", "-1"), ("LogRateLimitIntervalUSec", "0"), ("LogRateLimitBurst", "0"),
    ("LogExtraFields", ""), ("LogNamespace", ""), ("SecureBits", "0"), ("CapabilityBoundingSet", LIVE),
    ("AmbientCapabilities", LIVE), ("User", ""), ("Group", ""), ("DynamicUser", "no"), ("RemoveIPC", "no"),
    ("SetCredential", "[unprintable]"), ("SetCredentialEncrypted", "[unprintable]"),
    ("LoadCredential", "[unprintable]"), ("LoadCredentialEncrypted", "[unprintable]"),
    ("SupplementaryGroups", ""), ("PAMName", ""), ("ReadWritePaths", ""), ("ReadOnlyPaths", ""),
    ("InaccessiblePaths", ""), ("ExecPaths", ""), ("NoExecPaths", ""), ("ExecSearchPath", ""), ("MountFlags", ""),
    ("PrivateTmp", "no"), ("PrivateDevices", "no"), ("ProtectClock", "no"), ("ProtectKernelTunables", "no"),
    ("ProtectKernelModules", "no"), ("ProtectKernelLogs", "no"), ("ProtectControlGroups", "no"),
    ("PrivateNetwork", "no"), ("PrivateUsers", "no"), ("PrivateMounts", "no"), ("PrivateIPC", "no"),
    ("ProtectHome", "no"), ("ProtectSystem", "no"), ("SameProcessGroup", "no"), ("UtmpIdentifier", ""),
    ("UtmpMode", "init"), ("SELinuxContext", ""), ("AppArmorProfile", ""), ("SmackProcessLabel", ""),
    ("IgnoreSIGPIPE", "yes"), ("NoNewPrivileges", "no"), ("SystemCallFilter", "~"),
    ("SystemCallArchitectures", ""), ("SystemCallErrorNumber", "2147483646"), ("SystemCallLog", "~"),
    ("Personality", ""), ("LockPersonality", "no"), ("RestrictAddressFamilies", "~"),
    ("RuntimeDirectoryPreserve", "no"), ("RuntimeDirectoryMode", "0755"), ("RuntimeDirectory", ""),
    ("StateDirectoryMode", "0755"), ("StateDirectory", ""), ("CacheDirectoryMode", "0755"), ("CacheDirectory", ""),
    ("LogsDirectoryMode", "0755"), ("LogsDirectory", ""), ("ConfigurationDirectoryMode", "0755"),
    ("ConfigurationDirectory", ""), ("TimeoutCleanUSec", "infinity"), ("MemoryDenyWriteExecute", "no"),
    ("RestrictRealtime", "no"), ("RestrictSUIDSGID", "no"), ("RestrictNamespaces", "no"),
    ("RestrictFileSystems", "~"), ("BindPaths", ""), ("BindReadOnlyPaths", ""), ("TemporaryFileSystem", ""),
    ("MountAPIVFS", "no"), ("KeyringMode", LIVE), ("ProtectProc", "default"), ("ProcSubset", "all"),
    ("ProtectHostname", "no"), ("NetworkNamespacePath", ""), ("IPCNamespacePath", ""), ("KillMode", ""),
    ("KillSignal", "15"), ("RestartKillSignal", LIVE), ("FinalKillSignal", "9"), ("SendSIGKILL", "yes"),
    ("SendSIGHUP", "no"), ("WatchdogSignal", "6"),
];

/// The unit interface's properties, in systemd 252's order, with their
/// texts when unset. The dependency lists are the manager's (`query.rs`).
pub const UNIT: &[Default] = &[
    ("Id", ""), ("Names", ""), ("Following", ""), ("Requires", ""), ("Requisite", ""), ("Wants", ""),
    ("BindsTo", ""), ("PartOf", ""), ("Upholds", ""), ("RequiredBy", ""), ("RequisiteOf", ""), ("WantedBy", ""),
    ("BoundBy", ""), ("UpheldBy", ""), ("ConsistsOf", ""), ("Conflicts", ""), ("ConflictedBy", ""), ("Before", ""),
    ("After", ""), ("OnSuccess", ""), ("OnFailure", ""), ("Triggers", ""), ("TriggeredBy", ""),
    ("PropagatesReloadTo", ""), ("ReloadPropagatedFrom", ""), ("PropagatesStopTo", ""), ("StopPropagatedFrom", ""),
    ("JoinsNamespaceOf", ""), ("RequiresMountsFor", ""), ("Documentation", ""), ("Description", ""),
    ("AccessSELinuxContext", ""), ("LoadState", ""), ("ActiveState", ""), ("FreezerState", "running"), ("SubState", ""), ("FragmentPath", ""),
    ("SourcePath", ""), ("DropInPaths", ""), ("UnitFileState", ""), ("UnitFilePreset", ""),
    ("StateChangeTimestamp", ""), ("StateChangeTimestampMonotonic", ""), ("InactiveExitTimestamp", ""),
    ("InactiveExitTimestampMonotonic", ""), ("ActiveEnterTimestamp", ""), ("ActiveEnterTimestampMonotonic", ""),
    ("ActiveExitTimestamp", ""), ("ActiveExitTimestampMonotonic", ""), ("InactiveEnterTimestamp", ""),
    ("InactiveEnterTimestampMonotonic", ""), ("CanStart", ""), ("CanStop", ""), ("CanReload", ""),
    ("CanIsolate", ""), ("CanClean", LIVE), ("CanFreeze", "no"), ("StopWhenUnneeded", "no"),
    ("RefuseManualStart", "no"), ("RefuseManualStop", "no"), ("AllowIsolate", "no"),
    ("DefaultDependencies", "yes"), ("OnSuccessJobMode", "fail"), ("OnFailureJobMode", "replace"),
    ("IgnoreOnIsolate", LIVE), ("NeedDaemonReload", ""), ("Markers", ""), ("JobTimeoutUSec", "infinity"), ("JobRunningTimeoutUSec", LIVE),
    ("JobTimeoutAction", "none"), ("JobTimeoutRebootArgument", ""), ("ConditionResult", ""),
    ("AssertResult", ""), ("ConditionTimestamp", ""), ("ConditionTimestampMonotonic", ""),
    ("AssertTimestamp", ""), ("AssertTimestampMonotonic", ""), ("Conditions", ""), ("Asserts", ""),
    ("LoadError", ""), ("Transient", "no"), ("Perpetual", LIVE), ("StartLimitIntervalUSec", "10s"),
    ("StartLimitBurst", "5"), ("StartLimitAction", "none"), ("FailureAction", "none"),
    ("FailureActionExitStatus", "[not set]"), ("SuccessAction", "none"), ("SuccessActionExitStatus", "[not set]"),
    ("RebootArgument", ""), ("InvocationID", ""), ("CollectMode", "inactive"), ("Refs", ""),
    ("ActivationDetails", "[unprintable]"),
];

/// Property → its rank in systemd's order: a service's own interface
/// first, the unit's after; anything else (a socket's own properties,
/// vigil's `VigilUnsupported`) keeps its place between the two, and
/// `VigilUnsupported` comes last.
static RANK: LazyLock<HashMap<&'static str, u16>> = LazyLock::new(|| {
    let unit_base = u16::try_from(SERVICE.len()).unwrap_or(u16::MAX).saturating_add(1);
    let own = SERVICE.iter().enumerate().map(|(i, (n, _))| (*n, i as u16));
    let unit = UNIT.iter().enumerate().map(|(i, (n, _))| (*n, unit_base.saturating_add(i as u16)));
    own.chain(unit).chain([("VigilUnsupported", u16::MAX)]).collect()
});

/// Sort a bare `show`'s answer into systemd's order (stable: repeated
/// properties such as `ExecStartPre` keep theirs).
pub fn order(props: &mut [Prop]) {
    let between = u16::try_from(SERVICE.len()).unwrap_or(u16::MAX);
    props.sort_by_key(|(k, _)| RANK.get(k.as_ref()).copied().unwrap_or(between));
}

/// Property name → the directive exposed as it, per section: the table's
/// `property` of each canonical directive (its own name when empty).
static BY_PROPERTY: LazyLock<HashMap<(SectionKind, &'static str), &'static Directive>> = LazyLock::new(|| {
    let mut m = HashMap::new();
    for d in unit::directive::all() {
        if d.canonical() != d {
            continue;
        }
        let prop = if d.property.is_empty() { d.name } else { d.property };
        // Where two directives set one property (`OnFailureIsolate=` and
        // `OnFailureJobMode=`), the one of the property's name speaks.
        let slot = m.entry((d.section, prop)).or_insert(d);
        if d.name == prop {
            *slot = d;
        }
    }
    m
});

/// A set of bits as systemctl lists capabilities: names in bit order.
fn capability_names(mask: u64) -> String {
    unit::value::CapabilitySet::names(mask).collect::<Vec<_>>().join(" ")
}

/// The unit's setting of the directive exposed as `prop` in `section`, as
/// systemctl prints it; `None` when the unit does not set it. A list
/// directive gathers its assignments (an empty one clears the list).
pub fn setting(cfg: &UnitConfig, section: SectionKind, prop: &str) -> Option<String> {
    let d = BY_PROPERTY.get(&(section, prop))?;
    let all = cfg.settings.get(section, d.name);
    let last = all.last()?;
    match d.merge {
        Merge::List | Merge::ListNoReset | Merge::Shared(_) => {
            let from = all.iter().rposition(|a| matches!(a.value, Value::Empty) && d.merge != Merge::ListNoReset);
            let words: Vec<String> =
                all[from.map_or(0, |i| i + 1)..].iter().map(|a| format_value(&a.value)).filter(|s| !s.is_empty()).collect();
            Some(words.join(" "))
        }
        Merge::Override | Merge::First => {
            let a = if d.merge == Merge::First { all.first()? } else { last };
            match a.value {
                Value::Empty => None,
                _ => Some(format_value(&a.value)),
            }
        }
    }
}

/// The manager's own limit of one resource, which a service that sets no
/// `Limit*=` inherits: `(soft, hard)`, `None` = infinity.
fn own_limit(resource: exec::Resource) -> (Option<u64>, Option<u64>) {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(resource.as_raw(), &mut rl) } != 0 {
        return (None, None);
    }
    let v = |x: libc::rlim_t| (x != libc::RLIM_INFINITY).then_some(x);
    (v(rl.rlim_cur), v(rl.rlim_max))
}

/// `LimitNOFILE`/`LimitNOFILESoft`…: the unit's `Limit*=`, else the
/// manager's own.
fn limit(cfg: &UnitConfig, name: &str) -> Option<String> {
    let (base, soft) = match name.strip_suffix("Soft") {
        Some(b) => (b, true),
        None => (name, false),
    };
    let resource = exec::Resource::ALL.iter().copied().find(|r| r.directive() == base)?;
    let inf = |x: u64| x == u64::MAX || x == libc::RLIM_INFINITY;
    let (s, h) = match cfg.value(SectionKind::Service, base) {
        Some(Value::Limit(l)) => ((!inf(l.soft)).then_some(l.soft), (!inf(l.hard)).then_some(l.hard)),
        _ => own_limit(resource),
    };
    let v = if soft { s } else { h };
    Some(v.map_or_else(|| "infinity".to_string(), |n| n.to_string()))
}

/// A line of one of the calling process's `/proc/self` files, trimmed.
fn own_proc(file: &str) -> Option<String> {
    std::fs::read_to_string(format!("/proc/self/{file}")).ok().map(|s| s.trim().to_string())
}

/// `StandardInput`… as systemd's bus shows them: the type's word
/// (`file`, `fd`), the name or path apart.
fn stdio(cfg: &UnitConfig, prop: &str) -> String {
    // Output as the service gets it (an `Accept=yes` instance's is its
    // socket); an unset `StandardError=` is shown as `inherit`, which it
    // is, not as what it inherits.
    let (out, _) = unit::config::deps::effective_output(cfg, SectionKind::Service);
    let err = match cfg.value(SectionKind::Service, "StandardError") {
        Some(Value::Output(o)) => o.clone(),
        _ => StdOutput::Inherit,
    };
    let out_word = |o: &StdOutput| -> (&'static str, String) {
        let name = match o {
            StdOutput::Fd(n) => n.clone().unwrap_or_default(),
            _ => String::new(),
        };
        (output_word(o), name)
    };
    let input = match cfg.value(SectionKind::Service, "StandardInput") {
        Some(v @ Value::Input(i)) => {
            let name = match i {
                StdInput::Fd(n) => n.clone().unwrap_or_default(),
                _ => String::new(),
            };
            (format_value(v), name)
        }
        _ => ("null".to_string(), String::new()),
    };
    match prop {
        "StandardInput" => input.0,
        "StandardInputFileDescriptorName" => input.1,
        "StandardOutput" => out_word(&out).0.to_string(),
        "StandardOutputFileDescriptorName" => out_word(&out).1,
        "StandardError" => out_word(&err).0.to_string(),
        _ => out_word(&err).1,
    }
}

/// What a service's process gets, or what systemd derives from other
/// settings: the [`LIVE`] entries of [`SERVICE`] and [`UNIT`].
fn live(u: &Unit, prop: &str, system: bool) -> Option<String> {
    use SectionKind::{Service as S, Unit as U};
    let cfg = &u.cfg;
    let set = |p: &str| setting(cfg, S, p);
    let stamp = |t: Instant2, mono: bool| -> String {
        match (mono, t.wall) {
            (true, _) => t.mono.to_string(),
            (false, 0) => String::new(),
            (false, w) => crate::journalctl::time::format_timestamp(w, false),
        }
    };
    let running = !matches!(u.active_state(), "inactive" | "failed");
    Some(match prop {
        "TimeoutAbortUSec" => set(prop).or_else(|| set("TimeoutStopUSec")).unwrap_or_else(|| "1min 30s".into()),
        // The ids the running service has: `User=` resolved (its group
        // unless `Group=` names one), as the spawn resolved them.
        "UID" | "GID" => {
            let user = cfg.string(S, "User").filter(|_| running).and_then(|n| exec::resolve_user(n).ok());
            let id = match (prop, cfg.string(S, "Group").filter(|_| running)) {
                ("UID", _) => user.map(|u| u.uid),
                (_, Some(g)) => exec::resolve_group(g).ok().map(|g| g.gid),
                (_, None) => user.map(|u| u.gid),
            };
            id.map_or_else(|| "[not set]".to_string(), |n| n.to_string())
        }
        "ExecMainStartTimestamp" => stamp(u.runs.main_times().0, false),
        "ExecMainStartTimestampMonotonic" => stamp(u.runs.main_times().0, true),
        "ExecMainExitTimestamp" => stamp(u.runs.main_times().1, false),
        "ExecMainExitTimestampMonotonic" => stamp(u.runs.main_times().1, true),
        // Services without `Slice=` go into the manager's default slice
        // (`systemd.slice(5)`); vigil keeps no slice hierarchy of its own,
        // but the dependency on it is the same (`deps.rs`).
        "Slice" => cfg
            .string(U, "Slice")
            .map_or_else(|| if system { "system.slice" } else { "app.slice" }.to_string(), str::to_string),
        "CPUQuotaPerSecUSec" => match cfg.value(S, "CPUQuota") {
            Some(Value::Permyriad(p)) => unit::value::time::format_timespan(u64::from(*p) * 100, 1),
            _ => "infinity".into(),
        },
        "KeyringMode" => set(prop).unwrap_or_else(|| if system { "private" } else { "inherit" }.into()),
        "RestartKillSignal" => set(prop).or_else(|| set("KillSignal")).unwrap_or_else(|| "15".into()),
        "CapabilityBoundingSet" => {
            let all = unit::value::caps::CAP_MASK_ALL;
            capability_names(super::exec_plan::capability_set(cfg, "CapabilityBoundingSet", all) & all)
        }
        "AmbientCapabilities" => capability_names(super::exec_plan::capability_set(cfg, "AmbientCapabilities", 0)),
        "OOMScoreAdjust" => set(prop).or_else(|| own_proc("oom_score_adj"))?,
        "CoredumpFilter" => {
            let mask = match set(prop) {
                Some(words) => coredump_mask(&words),
                None => u64::from_str_radix(&own_proc("coredump_filter")?, 16).ok()?,
            };
            format!("{mask:#x}")
        }
        "Nice" => set(prop).unwrap_or_else(|| {
            // SAFETY: getpriority reads the caller's own nice value.
            unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }.to_string()
        }),
        // An unset class is the kernel's "none", which it runs as
        // best-effort at level 4 (`ioprio_normalize()`).
        "IOSchedulingClass" => set(prop).map_or_else(|| "2".into(), |c| io_class(&c)),
        "IOSchedulingPriority" => set(prop).unwrap_or_else(|| "4".into()),
        "CPUSchedulingPolicy" => set(prop).map_or_else(|| "0".into(), |p| cpu_policy(&p)),
        "CPUSchedulingPriority" => set(prop).unwrap_or_else(|| "0".into()),
        "CPUAffinityFromNUMA" => (if matches!(cfg.value(S, "CPUAffinity"), Some(Value::CpuAffinityNuma)) { "yes" } else { "no" }).into(),
        "TimerSlackNSec" => set(prop).unwrap_or_else(|| {
            // SAFETY: PR_GET_TIMERSLACK only reads the caller's slack.
            unsafe { libc::prctl(libc::PR_GET_TIMERSLACK) }.to_string()
        }),
        p if p.starts_with("Standard") => stdio(cfg, p),
        p if p.starts_with("Limit") => limit(cfg, p)?,
        "SyslogPriority" => super::exec_plan::syslog_priority(cfg).to_string(),
        "CanClean" => {
            let kinds = ["RuntimeDirectory", "StateDirectory", "CacheDirectory", "LogsDirectory", "ConfigurationDirectory"];
            let words = ["runtime", "state", "cache", "logs", "configuration"];
            let has = kinds.iter().zip(words).filter(|(k, _)| !cfg.strings(S, k).is_empty()).map(|(_, w)| w);
            has.collect::<Vec<_>>().join(" ")
        }
        "IgnoreOnIsolate" => setting(cfg, U, prop).unwrap_or_else(|| "no".into()),
        "JobRunningTimeoutUSec" => {
            setting(cfg, U, prop).or_else(|| setting(cfg, U, "JobTimeoutUSec")).unwrap_or_else(|| "infinity".into())
        }
        "Perpetual" => (if cfg.perpetual { "yes" } else { "no" }).into(),
        _ => return None,
    })
}

/// `CoredumpFilter=`'s words as the bit mask of `core(5)`'s
/// `/proc/PID/coredump_filter` (`default` is 0x33, `all` every bit).
fn coredump_mask(words: &str) -> u64 {
    const BITS: [&str; 9] = [
        "private-anonymous", "shared-anonymous", "private-file-backed", "shared-file-backed", "elf-headers",
        "private-huge", "shared-huge", "private-dax", "shared-dax",
    ];
    words.split_whitespace().fold(0, |m, w| match w {
        "default" => m | 0x33,
        "all" => m | 0x1ff,
        _ => m | BITS.iter().position(|b| *b == w).map_or(0, |i| 1 << i),
    })
}

/// `IOSchedulingClass=` as the number systemd prints.
fn io_class(word: &str) -> String {
    match word {
        "realtime" | "1" => "1",
        "best-effort" | "2" => "2",
        "idle" | "3" => "3",
        _ => "0",
    }
    .into()
}

/// `CPUSchedulingPolicy=` as the number systemd prints (`sched(7)`).
fn cpu_policy(word: &str) -> String {
    match word {
        "fifo" => "1",
        "rr" => "2",
        "batch" => "3",
        "idle" => "5",
        _ => "0",
    }
    .into()
}

/// The properties of [`SERVICE`] and [`UNIT`] that the unit's state in
/// `props.rs` does not answer, each only when `want` names it.
pub fn extra(u: &Unit, system: bool, want: &dyn Fn(&str) -> bool, out: &mut Vec<Prop>) {
    let service = u.svc.is_some();
    let lists: [(&[Default], SectionKind, bool); 2] =
        [(SERVICE, SectionKind::Service, service), (UNIT, SectionKind::Unit, true)];
    for (table, section, applies) in lists {
        if !applies {
            continue;
        }
        for &(name, default) in table {
            // Answered elsewhere ("" default and not a setting) or not wanted.
            if !want(name) || answered_elsewhere(name) {
                continue;
            }
            let value = if default == LIVE {
                live(u, name, system)
            } else {
                Some(setting(&u.cfg, section, name).or_else(|| limit(&u.cfg, name)).unwrap_or_else(|| default.to_string()))
            };
            if let Some(v) = value {
                out.push((Cow::Borrowed(name), v));
            }
        }
    }
}

/// Whether `props.rs` or `query.rs` computes `name` from the unit's state.
fn answered_elsewhere(name: &str) -> bool {
    static OWN: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
        [
            "Type", "Restart", "NotifyAccess", "RestartUSec", "TimeoutStartUSec", "TimeoutStopUSec", "RuntimeMaxUSec",
            "WatchdogUSec", "RemainAfterExit", "MainPID", "ControlPID", "StatusText", "StatusErrno", "Result",
            "NRestarts", "ExecMainPID", "ExecMainCode", "ExecMainStatus", "ControlGroup", "TasksCurrent", "TasksMax",
            "User", "Group", "KillMode", "Id", "Names", "Documentation", "Description", "LoadState", "ActiveState",
            "SubState", "FragmentPath", "DropInPaths", "UnitFileState", "UnitFilePreset", "CanStart", "CanStop",
            "CanReload", "CanIsolate", "ConditionResult", "AssertResult", "ConditionTimestamp",
            "ConditionTimestampMonotonic", "AssertTimestamp", "AssertTimestampMonotonic", "Conditions", "Asserts",
            "LoadError", "InvocationID", "TriggeredBy", "NeedDaemonReload", "MemoryCurrent", "MemoryAvailable", "CPUUsageNSec",
        ]
        .into_iter()
        .collect()
    });
    OWN.contains(name)
        || name.starts_with("Exec") && !name.starts_with("ExecMain") && name != "ExecSearchPath" && name != "ExecPaths"
        || name.ends_with("Timestamp") && !name.starts_with("ExecMain")
        || name.ends_with("TimestampMonotonic") && !name.starts_with("ExecMain")
        || super::query::DEPENDENCY_LISTS.iter().any(|(n, _)| *n == name)
}
