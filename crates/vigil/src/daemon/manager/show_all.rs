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
//! **Cost.** None of this is needed by `status` or `is-active`: `status`
//! asks with `Request::Show`'s `brief` and gets none of it, `is-active`
//! names `ActiveState`, which [`extra`] passes over without looking at
//! the tables, so a control round trip does not pay for ~300 formatted
//! values. The tables are text, not arrays of pointers (see [`SERVICE`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use unit::config::show::{format_value, output_word};
use unit::config::UnitConfig;
use unit::directive::{Directive, Merge, SectionKind};
use unit::value::{StdInput, StdOutput, Value};

use super::props::{Instant2, Prop};
use super::Unit;

/// A value [`live`] computes, not a fixed default.
const LIVE: &str = "\u{0}";

/// The service, cgroup, exec and kill properties systemd 252 lists, in its
/// order, with the text it shows when the unit does not set them
/// (`NAME=DEFAULT` lines, [`LIVE`] for a computed one). Those `props.rs`
/// and `query.rs` answer are in the list for the order only. One string,
/// not a table of pairs: every `&str` in a static table is a pointer the
/// dynamic loader relocates at each start of the binary — every
/// `systemctl is-active` — and 740 of them were ~11k instructions and five
/// copy-on-write page faults per start (`bench/client_cost.py`).
pub const SERVICE: &str = "\
Type=\n\
ExitType=main\n\
Restart=\n\
PIDFile=\n\
NotifyAccess=\n\
RestartUSec=\n\
TimeoutStartUSec=\n\
TimeoutStopUSec=\n\
TimeoutAbortUSec=\u{0}\n\
TimeoutStartFailureMode=terminate\n\
TimeoutStopFailureMode=terminate\n\
RuntimeMaxUSec=\n\
RuntimeRandomizedExtraUSec=0\n\
WatchdogUSec=\n\
WatchdogTimestamp=\n\
WatchdogTimestampMonotonic=\n\
RootDirectoryStartOnly=no\n\
RemainAfterExit=\n\
GuessMainPID=yes\n\
RestartPreventExitStatus=\n\
RestartForceExitStatus=\n\
SuccessExitStatus=\n\
MainPID=\n\
ControlPID=\n\
BusName=\n\
FileDescriptorStoreMax=0\n\
NFileDescriptorStore=0\n\
StatusText=\n\
StatusErrno=\n\
Result=\n\
ReloadResult=\n\
CleanResult=success\n\
USBFunctionDescriptors=\n\
USBFunctionStrings=\n\
UID=\u{0}\n\
GID=\u{0}\n\
NRestarts=\n\
OOMPolicy=stop\n\
ExecMainStartTimestamp=\u{0}\n\
ExecMainStartTimestampMonotonic=\u{0}\n\
ExecMainExitTimestamp=\u{0}\n\
ExecMainExitTimestampMonotonic=\u{0}\n\
ExecMainPID=\n\
ExecMainCode=\n\
ExecMainStatus=\n\
ExecCondition=\n\
ExecConditionEx=\n\
ExecStartPre=\n\
ExecStartPreEx=\n\
ExecStart=\n\
ExecStartEx=\n\
ExecStartPost=\n\
ExecStartPostEx=\n\
ExecReload=\n\
ExecReloadEx=\n\
ExecStop=\n\
ExecStopEx=\n\
ExecStopPost=\n\
ExecStopPostEx=\n\
Slice=\u{0}\n\
ControlGroup=\n\
ControlGroupId=\n\
MemoryCurrent=\u{0}\n\
MemoryAvailable=\u{0}\n\
CPUUsageNSec=\u{0}\n\
EffectiveCPUs=\n\
EffectiveMemoryNodes=\n\
TasksCurrent=\n\
IPIngressBytes=[no data]\n\
IPIngressPackets=[no data]\n\
IPEgressBytes=[no data]\n\
IPEgressPackets=[no data]\n\
IOReadBytes=18446744073709551615\n\
IOReadOperations=18446744073709551615\n\
IOWriteBytes=18446744073709551615\n\
IOWriteOperations=18446744073709551615\n\
Delegate=no\n\
DelegateControllers=\u{0}\n\
CPUAccounting=no\n\
CPUWeight=[not set]\n\
StartupCPUWeight=[not set]\n\
CPUShares=[not set]\n\
StartupCPUShares=[not set]\n\
CPUQuotaPerSecUSec=\u{0}\n\
CPUQuotaPeriodUSec=infinity\n\
AllowedCPUs=\n\
StartupAllowedCPUs=\n\
AllowedMemoryNodes=\n\
StartupAllowedMemoryNodes=\n\
IOAccounting=no\n\
IOWeight=[not set]\n\
StartupIOWeight=[not set]\n\
BlockIOAccounting=no\n\
BlockIOWeight=[not set]\n\
StartupBlockIOWeight=[not set]\n\
MemoryAccounting=yes\n\
DefaultMemoryLow=0\n\
DefaultMemoryMin=0\n\
MemoryMin=0\n\
MemoryLow=0\n\
MemoryHigh=infinity\n\
MemoryMax=infinity\n\
MemorySwapMax=infinity\n\
MemoryLimit=infinity\n\
DevicePolicy=auto\n\
TasksAccounting=yes\n\
TasksMax=\n\
IPAccounting=no\n\
IPAddressAllow=\n\
IPAddressDeny=\n\
IPIngressFilterPath=\n\
IPEgressFilterPath=\n\
DisableControllers=\n\
ManagedOOMSwap=auto\n\
ManagedOOMMemoryPressure=auto\n\
ManagedOOMMemoryPressureLimit=0\n\
ManagedOOMPreference=none\n\
RestrictNetworkInterfaces=~\n\
Environment=\n\
PassEnvironment=\n\
UnsetEnvironment=\n\
UMask=0022\n\
LimitCPU=\u{0}\n\
LimitCPUSoft=\u{0}\n\
LimitFSIZE=\u{0}\n\
LimitFSIZESoft=\u{0}\n\
LimitDATA=\u{0}\n\
LimitDATASoft=\u{0}\n\
LimitSTACK=\u{0}\n\
LimitSTACKSoft=\u{0}\n\
LimitCORE=\u{0}\n\
LimitCORESoft=\u{0}\n\
LimitRSS=\u{0}\n\
LimitRSSSoft=\u{0}\n\
LimitNOFILE=\u{0}\n\
LimitNOFILESoft=\u{0}\n\
LimitAS=\u{0}\n\
LimitASSoft=\u{0}\n\
LimitNPROC=\u{0}\n\
LimitNPROCSoft=\u{0}\n\
LimitMEMLOCK=\u{0}\n\
LimitMEMLOCKSoft=\u{0}\n\
LimitLOCKS=\u{0}\n\
LimitLOCKSSoft=\u{0}\n\
LimitSIGPENDING=\u{0}\n\
LimitSIGPENDINGSoft=\u{0}\n\
LimitMSGQUEUE=\u{0}\n\
LimitMSGQUEUESoft=\u{0}\n\
LimitNICE=\u{0}\n\
LimitNICESoft=\u{0}\n\
LimitRTPRIO=\u{0}\n\
LimitRTPRIOSoft=\u{0}\n\
LimitRTTIME=\u{0}\n\
LimitRTTIMESoft=\u{0}\n\
WorkingDirectory=\n\
RootDirectory=\n\
RootImage=\n\
RootHash=\n\
RootHashPath=\n\
RootHashSignature=\n\
RootHashSignaturePath=\n\
RootVerity=\n\
ExtensionDirectories=\n\
ExtensionImages=\n\
MountImages=\n\
OOMScoreAdjust=\u{0}\n\
CoredumpFilter=\u{0}\n\
Nice=\u{0}\n\
IOSchedulingClass=\u{0}\n\
IOSchedulingPriority=\u{0}\n\
CPUSchedulingPolicy=\u{0}\n\
CPUSchedulingPriority=\u{0}\n\
CPUAffinity=\n\
CPUAffinityFromNUMA=\u{0}\n\
NUMAPolicy=n/a\n\
NUMAMask=\n\
TimerSlackNSec=\u{0}\n\
CPUSchedulingResetOnFork=no\n\
NonBlocking=no\n\
StandardInput=\u{0}\n\
StandardInputFileDescriptorName=\u{0}\n\
StandardInputData=\n\
StandardOutput=\u{0}\n\
StandardOutputFileDescriptorName=\u{0}\n\
StandardError=\u{0}\n\
StandardErrorFileDescriptorName=\u{0}\n\
TTYPath=\n\
TTYReset=no\n\
TTYVHangup=no\n\
TTYVTDisallocate=no\n\
TTYRows=[unprintable]\n\
TTYColumns=[unprintable]\n\
SyslogPriority=\u{0}\n\
SyslogIdentifier=\n\
SyslogLevelPrefix=yes\n\
SyslogLevel=6\n\
SyslogFacility=3\n\
LogLevelMax=-1\n\
LogRateLimitIntervalUSec=0\n\
LogRateLimitBurst=0\n\
LogExtraFields=\n\
LogNamespace=\n\
SecureBits=0\n\
CapabilityBoundingSet=\u{0}\n\
AmbientCapabilities=\u{0}\n\
User=\n\
Group=\n\
DynamicUser=no\n\
RemoveIPC=no\n\
SetCredential=[unprintable]\n\
SetCredentialEncrypted=[unprintable]\n\
LoadCredential=[unprintable]\n\
LoadCredentialEncrypted=[unprintable]\n\
SupplementaryGroups=\n\
PAMName=\n\
ReadWritePaths=\n\
ReadOnlyPaths=\n\
InaccessiblePaths=\n\
ExecPaths=\n\
NoExecPaths=\n\
ExecSearchPath=\n\
MountFlags=\n\
PrivateTmp=no\n\
PrivateDevices=no\n\
ProtectClock=no\n\
ProtectKernelTunables=no\n\
ProtectKernelModules=no\n\
ProtectKernelLogs=no\n\
ProtectControlGroups=no\n\
PrivateNetwork=no\n\
PrivateUsers=no\n\
PrivateMounts=no\n\
PrivateIPC=no\n\
ProtectHome=no\n\
ProtectSystem=no\n\
SameProcessGroup=no\n\
UtmpIdentifier=\n\
UtmpMode=init\n\
SELinuxContext=\n\
AppArmorProfile=\n\
SmackProcessLabel=\n\
IgnoreSIGPIPE=yes\n\
NoNewPrivileges=no\n\
SystemCallFilter=~\n\
SystemCallArchitectures=\n\
SystemCallErrorNumber=2147483646\n\
SystemCallLog=~\n\
Personality=\n\
LockPersonality=no\n\
RestrictAddressFamilies=~\n\
RuntimeDirectoryPreserve=no\n\
RuntimeDirectoryMode=0755\n\
RuntimeDirectory=\n\
StateDirectoryMode=0755\n\
StateDirectory=\n\
CacheDirectoryMode=0755\n\
CacheDirectory=\n\
LogsDirectoryMode=0755\n\
LogsDirectory=\n\
ConfigurationDirectoryMode=0755\n\
ConfigurationDirectory=\n\
TimeoutCleanUSec=infinity\n\
MemoryDenyWriteExecute=no\n\
RestrictRealtime=no\n\
RestrictSUIDSGID=no\n\
RestrictNamespaces=no\n\
RestrictFileSystems=~\n\
BindPaths=\n\
BindReadOnlyPaths=\n\
TemporaryFileSystem=\n\
MountAPIVFS=no\n\
KeyringMode=\u{0}\n\
ProtectProc=default\n\
ProcSubset=all\n\
ProtectHostname=no\n\
NetworkNamespacePath=\n\
IPCNamespacePath=\n\
KillMode=\n\
KillSignal=15\n\
RestartKillSignal=\u{0}\n\
FinalKillSignal=9\n\
SendSIGKILL=yes\n\
SendSIGHUP=no\n\
WatchdogSignal=6
";

/// The unit interface's properties, in systemd 252's order, with their
/// texts when unset, as [`SERVICE`]. The dependency lists are the
/// manager's (`query.rs`).
pub const UNIT: &str = "\
Id=\n\
Names=\n\
Following=\n\
Requires=\n\
Requisite=\n\
Wants=\n\
BindsTo=\n\
PartOf=\n\
Upholds=\n\
RequiredBy=\n\
RequisiteOf=\n\
WantedBy=\n\
BoundBy=\n\
UpheldBy=\n\
ConsistsOf=\n\
Conflicts=\n\
ConflictedBy=\n\
Before=\n\
After=\n\
OnSuccess=\n\
OnSuccessOf=\n\
OnFailure=\n\
OnFailureOf=\n\
Triggers=\n\
TriggeredBy=\n\
PropagatesReloadTo=\n\
ReloadPropagatedFrom=\n\
PropagatesStopTo=\n\
StopPropagatedFrom=\n\
JoinsNamespaceOf=\n\
SliceOf=\n\
RequiresMountsFor=\n\
Documentation=\n\
Description=\n\
AccessSELinuxContext=\n\
LoadState=\n\
ActiveState=\n\
FreezerState=running\n\
SubState=\n\
FragmentPath=\n\
SourcePath=\n\
DropInPaths=\n\
UnitFileState=\n\
UnitFilePreset=\n\
StateChangeTimestamp=\n\
StateChangeTimestampMonotonic=\n\
InactiveExitTimestamp=\n\
InactiveExitTimestampMonotonic=\n\
ActiveEnterTimestamp=\n\
ActiveEnterTimestampMonotonic=\n\
ActiveExitTimestamp=\n\
ActiveExitTimestampMonotonic=\n\
InactiveEnterTimestamp=\n\
InactiveEnterTimestampMonotonic=\n\
CanStart=\n\
CanStop=\n\
CanReload=\n\
CanIsolate=\n\
CanClean=\u{0}\n\
CanFreeze=no\n\
Job=\n\
StopWhenUnneeded=no\n\
RefuseManualStart=no\n\
RefuseManualStop=no\n\
AllowIsolate=no\n\
DefaultDependencies=yes\n\
OnSuccessJobMode=fail\n\
OnFailureJobMode=replace\n\
IgnoreOnIsolate=\u{0}\n\
NeedDaemonReload=\n\
Markers=\n\
JobTimeoutUSec=infinity\n\
JobRunningTimeoutUSec=\u{0}\n\
JobTimeoutAction=none\n\
JobTimeoutRebootArgument=\n\
ConditionResult=\n\
AssertResult=\n\
ConditionTimestamp=\n\
ConditionTimestampMonotonic=\n\
AssertTimestamp=\n\
AssertTimestampMonotonic=\n\
Conditions=\n\
Asserts=\n\
LoadError=\n\
Transient=no\n\
Perpetual=\u{0}\n\
StartLimitIntervalUSec=10s\n\
StartLimitBurst=5\n\
StartLimitAction=none\n\
FailureAction=none\n\
FailureActionExitStatus=[not set]\n\
SuccessAction=none\n\
SuccessActionExitStatus=[not set]\n\
RebootArgument=\n\
InvocationID=\n\
CollectMode=inactive\n\
Refs=\n\
ActivationDetails=[unprintable]
";

/// The `(name, default)` pairs of a table ([`SERVICE`], [`UNIT`]).
fn entries(table: &'static str) -> impl Iterator<Item = (&'static str, &'static str)> {
    table.lines().filter_map(|l| l.split_once('='))
}

/// Sort a `show`'s answer (bare, or the names of its `-p`s) into
/// systemd's order (stable: repeated
/// properties such as `ExecStartPre` keep theirs): a service's own
/// interface first, the unit's after; anything else (a socket's own
/// properties) keeps its place between the two, and vigil's
/// `VigilUnsupported` comes last. The ranks are a table of this answer's,
/// freed with it: the manager keeps nothing for a `show` once.
pub fn order(props: &mut [Prop]) {
    // A few names asked for by `-p`: each looked for in the tables, which
    // costs less than building the table of every rank.
    if props.len() <= 8 {
        let service = entries(SERVICE).count() as u16;
        let rank = |k: &str| -> u16 {
            if k == "VigilUnsupported" {
                return u16::MAX;
            }
            if let Some(i) = entries(SERVICE).position(|(n, _)| n == k) {
                return i as u16;
            }
            entries(UNIT).position(|(n, _)| n == k).map_or(service, |i| service + 1 + i as u16)
        };
        props.sort_by_cached_key(|(k, _)| rank(k));
        return;
    }
    let mut rank: HashMap<&str, u16> = HashMap::with_capacity(400);
    let mut n = 0u16;
    for (name, _) in entries(SERVICE) {
        rank.insert(name, n);
        n += 1;
    }
    let between = n;
    for (name, _) in entries(UNIT) {
        n += 1;
        rank.insert(name, n);
    }
    rank.insert("VigilUnsupported", u16::MAX);
    props.sort_by_key(|(k, _)| rank.get(k.as_ref()).copied().unwrap_or(between));
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
pub(super) fn own_limit(resource: exec::Resource) -> (Option<u64>, Option<u64>) {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(resource.as_raw(), &mut rl) } != 0 {
        return (None, None);
    }
    let v = |x: libc::rlim_t| (x != libc::RLIM_INFINITY).then_some(x);
    (v(rl.rlim_cur), v(rl.rlim_max))
}

/// A limit as systemctl shows one: the number, or `infinity` for none.
pub(super) fn limit_word(v: Option<u64>) -> String {
    v.map_or_else(|| "infinity".to_string(), |n| n.to_string())
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
    Some(limit_word(v))
}

/// One of the manager's own `/proc/self` files, trimmed.
pub(super) fn own_proc(file: &str) -> Option<String> {
    let bytes = crate::daemon::cgroup::read_proc(format!("/proc/self/{file}"))?;
    String::from_utf8(bytes).ok().map(|s| s.trim().to_string())
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
            StdOutput::Fd(n) => n.as_deref().unwrap_or_default().to_string(),
            _ => String::new(),
        };
        (output_word(o), name)
    };
    let input = match cfg.value(SectionKind::Service, "StandardInput") {
        Some(v @ Value::Input(i)) => {
            let name = match i {
                StdInput::Fd(n) => n.as_deref().unwrap_or_default().to_string(),
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
        "Slice" => slice_of(u, system).to_string(),
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
        // A timer's persistent stamp is its state (`systemd.timer(5)`).
        "CanClean" if cfg.id.unit_type() == unit::UnitType::Timer => {
            (if cfg.bool_or(unit::directive::SectionKind::Timer, "Persistent", false) { "state" } else { "" }).into()
        }
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
        // `Delegate=yes` hands over every controller systemd knows that
        // the kernel offers (cgroup v2's, in systemd's order); a list, the
        // controllers it names.
        "DelegateControllers" => {
            let words = set("Delegate").unwrap_or_default();
            match unit::value::boolean::parse_boolean(&words).ok() {
                Some(true) => {
                    let offered = crate::daemon::cgroup::mount()
                        .and_then(|m| crate::daemon::cgroup::read_proc(m.join("cgroup.controllers")))
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    let offered: Vec<&str> = offered.split_whitespace().collect();
                    let known = ["cpu", "cpuset", "io", "memory", "pids"];
                    known.iter().filter(|c| offered.contains(c)).copied().collect::<Vec<_>>().join(" ")
                }
                Some(false) => String::new(),
                None => words,
            }
        }
        _ => return None,
    })
}

/// The slice a unit is in: its `Slice=`, else the manager's default
/// slice (`systemd.slice(5)`); vigil keeps no slice hierarchy of its own,
/// but the dependency on it is the same (`deps.rs`).
pub(super) fn slice_of(u: &Unit, system: bool) -> &str {
    u.cfg.string(SectionKind::Unit, "Slice").unwrap_or(if system { "system.slice" } else { "app.slice" })
}

/// `CoredumpFilter=`'s words as the bit mask of `core(5)`'s
/// `/proc/PID/coredump_filter` (`default` is 0x33, `all` every bit).
fn coredump_mask(words: &str) -> u64 {
    words.split_whitespace().fold(0, |m, w| {
        m | match w {
            "default" => 0x33,
            "all" => 0x1ff,
            "private-anonymous" => 1,
            "shared-anonymous" => 1 << 1,
            "private-file-backed" => 1 << 2,
            "shared-file-backed" => 1 << 3,
            "elf-headers" => 1 << 4,
            "private-huge" => 1 << 5,
            "shared-huge" => 1 << 6,
            "private-dax" => 1 << 7,
            "shared-dax" => 1 << 8,
            _ => 0,
        }
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
/// `props.rs` does not answer: all of them for a bare `show` (`wanted`
/// empty), else only those named — a scan per name not answered
/// elsewhere, nothing at all for `is-active`'s `ActiveState`.
pub fn extra(u: &Unit, system: bool, wanted: &[String], out: &mut Vec<Prop>) {
    let service = u.svc.is_some();
    let mut add = |name: &'static str, default: &'static str, section: SectionKind| {
        if answered_elsewhere(name) || (section == SectionKind::Service && !service) {
            return;
        }
        let value = if default == LIVE {
            live(u, name, system)
        } else {
            Some(setting(&u.cfg, section, name).unwrap_or_else(|| default.to_string()))
        };
        if let Some(v) = value {
            out.push((Cow::Borrowed(name), v));
        }
    };
    let tables = [(SERVICE, SectionKind::Service), (UNIT, SectionKind::Unit)];
    if wanted.is_empty() {
        for (table, section) in tables {
            entries(table).for_each(|(name, default)| add(name, default, section));
        }
        return;
    }
    for w in wanted.iter().filter(|w| !answered_elsewhere(w)) {
        let found = tables.iter().find_map(|&(t, section)| entries(t).find(|(n, _)| n == w).map(|(n, d)| (n, d, section)));
        if let Some((name, default, section)) = found {
            add(name, default, section);
        }
    }
}

/// Whether `props.rs` or `query.rs` computes `name` from the unit's state
/// (a `match`, not a set: no table, and no pointers to relocate).
fn answered_elsewhere(name: &str) -> bool {
    matches!(
        name,
        "Type" | "Restart" | "NotifyAccess" | "RestartUSec" | "TimeoutStartUSec" | "TimeoutStopUSec" | "RuntimeMaxUSec"
            | "WatchdogUSec" | "RemainAfterExit" | "MainPID" | "ControlPID" | "StatusText" | "StatusErrno" | "Result"
            | "NRestarts" | "ExecMainPID" | "ExecMainCode" | "ExecMainStatus" | "ControlGroup" | "TasksCurrent"
            | "TasksMax" | "User" | "Group" | "KillMode" | "Id" | "Names" | "Documentation" | "Description"
            | "LoadState" | "ActiveState" | "SubState" | "FragmentPath" | "DropInPaths" | "UnitFileState"
            | "UnitFilePreset" | "CanStart" | "CanStop" | "CanReload" | "CanIsolate" | "ConditionResult"
            | "AssertResult" | "Conditions" | "Asserts" | "LoadError" | "InvocationID" | "TriggeredBy"
            | "NeedDaemonReload" | "MemoryCurrent" | "MemoryAvailable" | "CPUUsageNSec" | "Job" | "ReloadResult"
            | "ControlGroupId" | "EffectiveCPUs" | "EffectiveMemoryNodes" | "OnSuccessOf" | "OnFailureOf" | "SliceOf"
    ) || name.starts_with("Exec") && !name.starts_with("ExecMain") && name != "ExecSearchPath" && name != "ExecPaths"
        || (name.ends_with("Timestamp") || name.ends_with("TimestampMonotonic")) && !name.starts_with("ExecMain")
        || super::query::dependency_kind(name).is_some()
}
