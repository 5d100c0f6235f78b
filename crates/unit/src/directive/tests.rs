//! Checks of the directive table against systemd 252 itself: its
//! `--dump-configuration-items` output, the D-Bus interface description
//! in `org.freedesktop.systemd1(5)`, and the directives real unit files use.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::process::Command;

use super::*;

/// `shared/corpus`, found by walking up from the crate: the worktree and
/// the CI checkout both keep `shared/` beside (or above) the repository.
fn corpus_dir() -> PathBuf {
    let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for dir in start.ancestors() {
        let candidate = dir.join("shared").join("corpus");
        if candidate.is_dir() {
            return candidate;
        }
    }
    panic!("no shared/corpus directory above {}: the test corpus is required", start.display());
}

fn read_corpus(name: &str) -> String {
    let path = corpus_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// (section, name, placeholder) triples of the configuration-items dump.
fn items() -> Vec<(SectionKind, String, String)> {
    let text = read_corpus("systemd252-configuration-items.txt");
    let mut section = None;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = Some(
                SectionKind::from_name(name)
                    .unwrap_or_else(|| panic!("items file names unknown section [{name}]")),
            );
            continue;
        }
        let (key, placeholder) =
            line.split_once('=').unwrap_or_else(|| panic!("items line without '=': {line}"));
        let section = section.unwrap_or_else(|| panic!("item before any section: {line}"));
        out.push((section, key.to_string(), placeholder.to_string()));
    }
    assert!(out.len() > 1000, "items file looks truncated: {} entries", out.len());
    out
}

#[test]
fn table_matches_systemd_configuration_items_exactly() {
    let expected: BTreeSet<(SectionKind, String)> =
        items().into_iter().map(|(s, k, _)| (s, k)).collect();
    let actual: BTreeSet<(SectionKind, String)> = all()
        .iter()
        .filter(|d| !matches!(d.support, Support::Obsolete { .. }))
        .map(|d| (d.section, d.name.to_string()))
        .collect();
    let missing: Vec<_> = expected.difference(&actual).collect();
    let extra: Vec<_> = actual.difference(&expected).collect();
    assert!(missing.is_empty(), "directives systemd knows but the table lacks: {missing:?}");
    assert!(extra.is_empty(), "directives in the table that systemd does not dump: {extra:?}");

    // Removed options are recognised by systemd only to warn; its dump
    // leaves them out, so they must not collide with a dumped item.
    for d in all().iter().filter(|d| matches!(d.support, Support::Obsolete { .. })) {
        assert!(
            !expected.contains(&(d.section, d.name.to_string())),
            "{}.{} is marked obsolete but systemd dumps it as a live item",
            d.section.name(),
            d.name
        );
    }
}

#[test]
fn table_has_no_duplicates_and_is_sorted() {
    let table = all();
    for pair in table.windows(2) {
        if let [a, b] = pair {
            assert!(
                (a.section, a.name) < (b.section, b.name),
                "table not strictly sorted at {}.{} / {}.{}",
                a.section.name(),
                a.name,
                b.section.name(),
                b.name
            );
        }
    }
}

/// Which kinds fit each placeholder of the dump. `OTHER` covers parsers
/// systemd did not label, so any kind fits it.
fn kind_fits(placeholder: &str, d: &Directive) -> bool {
    use Kind as K;
    let k = d.kind;
    match placeholder {
        "OTHER" => true,
        "BOOLEAN" => k == K::Bool,
        "STRING" | "LABEL" | "NETWORKINTERFACE" => k == K::String,
        "URL" => k == K::Strings,
        "PATH" => matches!(k, K::Path | K::Raw),
        "PATH [...]" => k == K::Paths,
        "UNIT [...]" | "SOCKETS" => k == K::Units,
        "UNIT" | "SLICE" | "SERVICE" => k == K::Unit,
        "SECONDS" => k == K::Seconds,
        "NANOSECONDS" => k == K::Nsec,
        "TIMER" => matches!(k, K::Calendar | K::Seconds),
        "UNSIGNED" => k == K::Unsigned,
        "INTEGER" | "LONG" => k == K::Int,
        "SIZE" => k == K::Size,
        "MODE" => matches!(k, K::Mode | K::Enum(_)),
        "SIGNAL" => k == K::Signal,
        "STATUS" => k == K::ExitStatusSet,
        "CONDITION" => k == K::Condition,
        "PATH [ARGUMENT [...]]" => k == K::Exec,
        "ENVIRON" => k == K::Environment,
        "FILE" => k == K::EnvironmentFile,
        "INPUT" => k == K::Input,
        "OUTPUT" => k == K::Output,
        "LEVEL" => k == K::SyslogLevel,
        "FACILITY" => k == K::SyslogFacility,
        "BOUNDINGSET" => k == K::Capabilities,
        "SECUREBITS" => k == K::SecureBits,
        "NICE" => k == K::Nice,
        "OOMSCOREADJUST" => k == K::OomScoreAdjust,
        "CPUWEIGHT" => k == K::Weight,
        // IOWeight= is 1…10000 like CPUWeight=; BlockIOWeight= is 10…1000.
        "WEIGHT" => {
            if d.name.starts_with("BlockIO") || d.name.starts_with("StartupBlockIO") {
                k == K::Raw
            } else {
                k == K::Weight
            }
        }
        "LIMIT" => {
            if d.name.starts_with("Limit") {
                matches!(k, K::Limit(_))
            } else if d.name.contains("Memory") {
                matches!(k, K::Size | K::SizeOrPercent)
            } else {
                // IO…Max=: "DEVICE BYTES|IOPS".
                k == K::Raw
            }
        }
        "SOCKET [...]" => matches!(k, K::Listen | K::Path | K::Raw),
        "CPUAFFINITY" => matches!(k, K::CpuSet | K::Raw),
        "ACTION" | "KILLMODE" | "POLICY" | "SERVICETYPE" | "SERVICERESTART" | "SERVICEEXITTYPE"
        | "ACCESS" | "TIMEOUTMODE" | "CPUSCHEDPOLICY" | "IOCLASS" | "SOCKETBIND"
        | "PERSONALITY" | "MOUNTFLAG [...]" => matches!(k, K::Enum(_) | K::Raw),
        "SHARES"
        | "IOPRIORITY"
        | "CPUSCHEDPRIO"
        | "TOS"
        | "DEVICEWEIGHT"
        | "DEVICELATENCY"
        | "BANDWIDTH"
        | "DEVICE"
        | "SYSCALLS"
        | "ERRNO"
        | "NAMESPACES"
        | "FAMILIES"
        | "FILESYSTEMS"
        | "PATH[:PATH[:OPTIONS]] [...]" => {
            matches!(k, K::Raw | K::Unsigned | K::Int)
        }
        "ARCHS" => matches!(k, K::Strings | K::Raw),
        other => {
            panic!("placeholder {other:?} of {}.{} has no kind rule", d.section.name(), d.name)
        }
    }
}

#[test]
fn kinds_agree_with_systemd_placeholders() {
    let mut wrong = Vec::new();
    for (section, key, placeholder) in items() {
        let Some(d) = lookup(section, &key) else { continue };
        if !kind_fits(&placeholder, d) {
            wrong.push(format!("{}.{}={placeholder} has {:?}", section.name(), key, d.kind));
        }
    }
    assert!(wrong.is_empty(), "kinds that contradict systemd's placeholder:\n{}", wrong.join("\n"));
}

#[test]
fn aliases_resolve_and_obsolete_entries_carry_systemds_message() {
    for d in all() {
        match d.support {
            Support::Alias { of, section } => {
                let target = lookup(section.unwrap_or(d.section), of).unwrap_or_else(|| {
                    panic!("alias {}.{} points at missing {of}", d.section.name(), d.name)
                });
                assert!(
                    !matches!(target.support, Support::Alias { .. } | Support::Obsolete { .. }),
                    "alias {}.{} must point at a live directive",
                    d.section.name(),
                    d.name
                );
                assert!(std::ptr::eq(d.canonical(), target));
                assert_eq!(d.kind, target.kind, "alias {} kind", d.name);
                assert_eq!(d.merge, target.merge, "alias {} merge", d.name);
                assert_eq!(d.property, target.property, "alias {} property", d.name);
                assert_eq!(d.security, target.security, "alias {} security", d.name);
            }
            Support::Obsolete { message } => {
                assert!(!message.is_empty());
                assert!(message.contains(&format!("{}=", d.name)), "{message}");
                assert_eq!(d.property, "", "obsolete {} has no property", d.name);
            }
            Support::Implemented | Support::Planned => {
                assert!(std::ptr::eq(d.canonical(), d));
            }
        }
        if let Some(message) = d.deprecated {
            assert!(message.contains(&format!("{}=", d.name)), "{message}");
        }
    }
}

#[test]
fn known_aliases_follow_systemd() {
    let cases = [
        (SectionKind::Unit, "BindTo", SectionKind::Unit, "BindsTo"),
        (SectionKind::Unit, "PropagateReloadTo", SectionKind::Unit, "PropagatesReloadTo"),
        (SectionKind::Unit, "PropagateReloadFrom", SectionKind::Unit, "ReloadPropagatedFrom"),
        (SectionKind::Unit, "RequiresOverridable", SectionKind::Unit, "Requires"),
        (SectionKind::Unit, "StartLimitInterval", SectionKind::Unit, "StartLimitIntervalSec"),
        (SectionKind::Service, "StartLimitInterval", SectionKind::Unit, "StartLimitIntervalSec"),
        (SectionKind::Service, "FailureAction", SectionKind::Unit, "FailureAction"),
        (SectionKind::Socket, "ReadOnlyDirectories", SectionKind::Socket, "ReadOnlyPaths"),
    ];
    for (section, name, target_section, target) in cases {
        let d = lookup(section, name).unwrap_or_else(|| panic!("{name} missing"));
        let c = d.canonical();
        assert_eq!((c.section, c.name), (target_section, target), "{name}");
    }
    // TimeoutSec= sets two settings, so it must not be an alias of either.
    let t = lookup(SectionKind::Service, "TimeoutSec").map(|d| d.support);
    assert_eq!(t, Some(Support::Implemented));
}

#[test]
fn lookup_finds_every_entry_and_is_case_sensitive() {
    for d in all() {
        let found = lookup(d.section, d.name);
        assert!(found.is_some_and(|f| std::ptr::eq(f, d)), "{}.{}", d.section.name(), d.name);
        let lower = d.name.to_ascii_lowercase();
        if lower != d.name {
            assert!(lookup(d.section, &lower).is_none(), "{lower} must not match {}", d.name);
        }
        let upper = d.name.to_ascii_uppercase();
        if upper != d.name {
            assert!(lookup(d.section, &upper).is_none(), "{upper} must not match {}", d.name);
        }
    }
    assert!(lookup(SectionKind::Service, "NoSuchKey").is_none());
    assert!(lookup(SectionKind::Unit, "ExecStart").is_none(), "sections are separate");
    assert!(lookup(SectionKind::Target, "Description").is_none());
}

#[test]
fn in_section_lists_exactly_that_section() {
    let mut total = 0;
    for section in SectionKind::ALL {
        let listed: Vec<&Directive> = in_section(section).collect();
        assert!(listed.iter().all(|d| d.section == section));
        assert_eq!(listed.len(), all().iter().filter(|d| d.section == section).count());
        total += listed.len();
    }
    assert_eq!(total, all().len());
    assert_eq!(in_section(SectionKind::Device).count(), 0);
    assert_eq!(in_section(SectionKind::Install).count(), 5);
}

#[test]
fn every_directive_used_by_real_units_is_known() {
    let text = read_corpus("directive-frequency.tsv");
    let mut checked = 0;
    let mut unknown = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut cols = line.split('\t');
        let (Some(_tier), Some(section), Some(key)) = (cols.next(), cols.next(), cols.next())
        else {
            panic!("malformed frequency line: {line}");
        };
        let section = SectionKind::from_name(section)
            .unwrap_or_else(|| panic!("unknown section {section} in frequency table"));
        if lookup(section, key).is_none() {
            unknown.push(format!("{}.{key}", section.name()));
        }
        checked += 1;
    }
    assert!(checked > 100, "frequency table looks truncated: {checked} rows");
    assert!(unknown.is_empty(), "directives used in the corpus but unknown: {unknown:?}");
}

/// Property names per D-Bus interface, read from the installed
/// `org.freedesktop.systemd1(5)` man page (systemd's own interface
/// description).
fn dbus_properties() -> HashMap<String, HashSet<String>> {
    let page = "/usr/share/man/man5/org.freedesktop.systemd1.5.gz";
    let out = Command::new("zcat").arg(page).output().unwrap_or_else(|e| {
        panic!("cannot run zcat on {page}: {e} (systemd's man pages are required)")
    });
    assert!(out.status.success(), "zcat {page} failed: the systemd man pages are required");
    let text = String::from_utf8_lossy(&out.stdout).replace("\\&", "");
    let mut props: HashMap<String, HashSet<String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("interface org.freedesktop.systemd1.") {
            current = rest.strip_suffix(" {").map(str::to_string);
            continue;
        }
        if line.starts_with("};") {
            current = None;
            continue;
        }
        let Some(iface) = &current else { continue };
        let mut words = line.split_whitespace();
        if let (Some("readonly" | "readwrite"), Some(_sig), Some(name), Some("=")) =
            (words.next(), words.next(), words.next(), words.next())
        {
            props.entry(iface.clone()).or_default().insert(name.to_string());
        }
    }
    assert!(
        props.get("Service").is_some_and(|p| p.len() > 200),
        "could not read the Service interface from {page}"
    );
    props
}

#[test]
fn properties_exist_on_the_matching_dbus_interface() {
    let props = dbus_properties();
    let mut wrong = Vec::new();
    for d in all().iter().filter(|d| !d.property.is_empty()) {
        // A cross-section alias shows up where its target lives.
        let iface = match d.canonical().section {
            SectionKind::Unit | SectionKind::Install => "Unit",
            s => s.name(),
        };
        if !props.get(iface).is_some_and(|p| p.contains(d.property)) {
            wrong.push(format!("{}.{} -> {}.{}", d.section.name(), d.name, iface, d.property));
        }
    }
    assert!(wrong.is_empty(), "properties systemd does not expose:\n{}", wrong.join("\n"));
    // The [Install] keys are read by the installer only.
    assert!(in_section(SectionKind::Install).all(|d| d.property.is_empty()));
}

/// Merge rules observed with `systemd --test` and `systemctl --root
/// enable` (see the module essay); pinned here so a table edit cannot
/// silently change them.
#[test]
fn merge_rules_match_observed_systemd_behaviour() {
    let merge = |s: SectionKind, k: &str| lookup(s, k).map(|d| d.merge);
    use Merge as M;
    use SectionKind as S;
    assert_eq!(merge(S::Unit, "After"), Some(M::ListNoReset));
    assert_eq!(merge(S::Unit, "Wants"), Some(M::ListNoReset));
    assert_eq!(merge(S::Unit, "RequiresMountsFor"), Some(M::ListNoReset));
    assert_eq!(merge(S::Unit, "Documentation"), Some(M::List));
    assert_eq!(merge(S::Unit, "ConditionHost"), Some(M::Shared(ResetGroup::Conditions)));
    assert_eq!(merge(S::Unit, "AssertHost"), Some(M::Shared(ResetGroup::Asserts)));
    assert_eq!(merge(S::Install, "WantedBy"), Some(M::List));
    assert_eq!(merge(S::Install, "Alias"), Some(M::List));
    assert_eq!(merge(S::Install, "Also"), Some(M::ListNoReset));
    assert_eq!(merge(S::Service, "ExecStart"), Some(M::List));
    assert_eq!(merge(S::Service, "Environment"), Some(M::List));
    assert_eq!(merge(S::Service, "Sockets"), Some(M::ListNoReset));
    assert_eq!(merge(S::Service, "SecureBits"), Some(M::Override));
    assert_eq!(merge(S::Service, "CoredumpFilter"), Some(M::List));
    assert_eq!(merge(S::Socket, "ListenDatagram"), Some(M::Shared(ResetGroup::Listen)));
    assert_eq!(merge(S::Timer, "OnBootSec"), Some(M::Shared(ResetGroup::Timers)));
    assert_eq!(merge(S::Timer, "Unit"), Some(M::First));
    assert_eq!(merge(S::Path, "PathChanged"), Some(M::Shared(ResetGroup::PathSpecs)));
    // Every condition and assert belongs to its group, and nothing else does.
    for d in in_section(S::Unit) {
        let expect = if d.name.starts_with("Condition") {
            Some(ResetGroup::Conditions)
        } else if d.name.starts_with("Assert") {
            Some(ResetGroup::Asserts)
        } else {
            None
        };
        let got = match d.merge {
            M::Shared(g) => Some(g),
            _ => None,
        };
        assert_eq!(got, expect, "{}", d.name);
    }
}

#[test]
fn implemented_set_is_the_agreed_one() {
    let implemented: BTreeSet<String> = all()
        .iter()
        .filter(|d| d.support == Support::Implemented)
        .map(|d| format!("{}.{}", d.section.name(), d.name))
        .collect();
    let mut expected: BTreeSet<String> = [
        "Description",
        "Documentation",
        "SourcePath",
        "Requires",
        "Requisite",
        "Wants",
        "BindsTo",
        "PartOf",
        "Upholds",
        "Conflicts",
        "Before",
        "After",
        "OnFailure",
        "OnSuccess",
        "PropagatesReloadTo",
        "ReloadPropagatedFrom",
        "PropagatesStopTo",
        "StopPropagatedFrom",
        "JoinsNamespaceOf",
        "DefaultDependencies",
    ]
    .iter()
    .map(|n| format!("Unit.{n}"))
    .collect();
    expected.extend(in_section(SectionKind::Install).map(|d| format!("Install.{}", d.name)));
    // What the manager acts on for services (see crates/vigil/src/daemon).
    for n in [
        "StartLimitIntervalSec",
        "StartLimitBurst",
        "StartLimitAction",
        "CollectMode",
        "SuccessAction",
        "FailureAction",
        "SuccessActionExitStatus",
        "FailureActionExitStatus",
    ] {
        expected.insert(format!("Unit.{n}"));
    }
    // Conditions and asserts, tested when a start job runs
    // (crates/vigil/src/daemon/manager/checks.rs, with crate::condition).
    for d in in_section(SectionKind::Unit) {
        let own = !matches!(d.support, Support::Alias { .. } | Support::Obsolete { .. });
        if (d.name.starts_with("Condition") || d.name.starts_with("Assert")) && own {
            expected.insert(format!("Unit.{}", d.name));
        }
    }
    // What the transaction engine acts on (crates/engine/src/transaction).
    for n in [
        "AllowIsolate",
        "IgnoreOnIsolate",
        "JobTimeoutSec",
        "JobRunningTimeoutSec",
        "JobTimeoutAction",
        "OnFailureIsolate",
        "OnFailureJobMode",
        "OnSuccessJobMode",
        "RefuseManualStart",
        "RefuseManualStop",
        "StopWhenUnneeded",
    ] {
        expected.insert(format!("Unit.{n}"));
    }
    for n in [
        "PIDFile", "ExecCondition", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop",
        "ExecStopPost", "RestartSec", "TimeoutSec", "TimeoutStartSec", "TimeoutStopSec", "TimeoutAbortSec",
        "TimeoutStartFailureMode", "TimeoutStopFailureMode", "RuntimeMaxSec", "WatchdogSec", "Type", "Restart",
        "RemainAfterExit", "GuessMainPID", "RestartPreventExitStatus", "RestartForceExitStatus",
        "SuccessExitStatus", "NotifyAccess", "BusName", "OOMPolicy", "Sockets", "SendSIGKILL", "SendSIGHUP",
        "KillMode", "KillSignal", "RestartKillSignal", "FinalKillSignal", "WatchdogSignal", "WorkingDirectory",
        "RootDirectory", "User", "Group", "SupplementaryGroups", "UMask", "Nice", "OOMScoreAdjust",
        "IgnoreSIGPIPE", "NoNewPrivileges", "Environment", "EnvironmentFile", "StandardOutput",
        "StandardError", "SyslogIdentifier", "SyslogFacility", "SyslogLevel", "SyslogLevelPrefix",
    ] {
        expected.insert(format!("Service.{n}"));
    }
    // The rest of the execution context the manager applies
    // (crates/vigil/src/daemon/manager/exec_plan.rs, exec_dirs.rs).
    for n in [
        "PassEnvironment", "UnsetEnvironment", "StandardInput", "StandardInputText", "StandardInputData", "TTYPath", "SecureBits",
        "CapabilityBoundingSet", "AmbientCapabilities", "RuntimeDirectoryPreserve",
    ] {
        expected.insert(format!("Service.{n}"));
    }
    // The sandboxing vigil applies (crates/vigil/src/daemon/manager/sandbox.rs).
    for n in [
        "ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "BindPaths", "BindReadOnlyPaths",
        "TemporaryFileSystem", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules",
        "ProtectKernelLogs", "ProtectControlGroups", "PrivateNetwork", "PrivateMounts", "ProtectSystem",
        "ProtectHome", "ProtectHostname", "PrivateIPC", "ProtectProc", "ProcSubset",
    ] {
        expected.insert(format!("Service.{n}"));
    }
    for kind in ["Runtime", "State", "Cache", "Logs", "Configuration"] {
        expected.insert(format!("Service.{kind}Directory"));
        expected.insert(format!("Service.{kind}DirectoryMode"));
    }
    for r in [
        "CPU", "FSIZE", "DATA", "STACK", "CORE", "RSS", "NOFILE", "AS", "NPROC", "MEMLOCK", "LOCKS", "SIGPENDING",
        "MSGQUEUE", "NICE", "RTPRIO", "RTTIME",
    ] {
        expected.insert(format!("Service.Limit{r}"));
    }
    // The socket runtime (crates/vigil/src/daemon/sockets) acts on every
    // [Socket] setting but these.
    let socket_planned = [
        "ListenUSBFunction",
        "SmackLabel", "SmackLabelIPIn", "SmackLabelIPOut", "SELinuxContextFromNet",
    ];
    for d in in_section(SectionKind::Socket) {
        let own = !matches!(d.support, Support::Alias { .. } | Support::Obsolete { .. })
            && super::table::is_socket_own(d.name)
            && !socket_planned.contains(&d.name);
        if own {
            expected.insert(format!("Socket.{}", d.name));
        }
    }
    // The timer runtime (crates/vigil/src/daemon/manager/timer_units.rs)
    // acts on every [Timer] setting but waking the system.
    for d in in_section(SectionKind::Timer) {
        if d.name != "WakeSystem" {
            expected.insert(format!("Timer.{}", d.name));
        }
    }
    assert_eq!(implemented, expected);
    assert!(lookup(SectionKind::Timer, "WakeSystem").is_some_and(|d| !d.is_implemented()));
    assert!(lookup(SectionKind::Unit, "BindTo").is_some_and(|d| d.is_implemented()));
    assert!(lookup(SectionKind::Service, "ExecStart").is_some_and(|d| d.is_implemented()));
    assert!(lookup(SectionKind::Socket, "User").is_some_and(|d| !d.is_implemented()));
}

#[test]
fn security_flags_cover_the_sandbox() {
    for name in [
        "User",
        "Group",
        "DynamicUser",
        "SupplementaryGroups",
        "NoNewPrivileges",
        "CapabilityBoundingSet",
        "AmbientCapabilities",
        "SecureBits",
        "SystemCallFilter",
        "SystemCallArchitectures",
        "RestrictAddressFamilies",
        "RestrictNamespaces",
        "RestrictRealtime",
        "RestrictSUIDSGID",
        "LockPersonality",
        "MemoryDenyWriteExecute",
        "IPAddressDeny",
        "IPAddressAllow",
        "DevicePolicy",
        "DeviceAllow",
        "RootDirectory",
        "RootImage",
        "UMask",
        "ReadOnlyPaths",
        "InaccessiblePaths",
        "ReadOnlyDirectories",
    ] {
        let d = lookup(SectionKind::Service, name).unwrap_or_else(|| panic!("{name} missing"));
        assert!(d.security, "{name} must be security-relevant");
    }
    for d in all() {
        if d.name.starts_with("Protect") || d.name.starts_with("Private") {
            assert!(d.security, "{}.{} must be security-relevant", d.section.name(), d.name);
        }
    }
    for name in ["SocketUser", "SocketGroup", "SocketMode"] {
        assert!(lookup(SectionKind::Socket, name).is_some_and(|d| d.security), "{name}");
    }
    for name in ["ExecStart", "Description", "LimitNOFILE", "MemoryMax", "Restart"] {
        let d = all().iter().find(|d| d.name == name).map(|d| d.security);
        assert_eq!(d, Some(false), "{name} is not a confinement setting");
    }
}

#[test]
fn section_and_unit_type_names_round_trip() {
    for s in SectionKind::ALL {
        assert_eq!(SectionKind::from_name(s.name()), Some(s));
    }
    assert_eq!(SectionKind::from_name("unit"), None);
    for t in UnitType::ALL {
        assert_eq!(UnitType::from_suffix(t.suffix()), Some(t));
        let secs = t.sections();
        assert_eq!(secs, &[SectionKind::Unit, t.own_section(), SectionKind::Install]);
        let names: Vec<&str> = secs.iter().map(|s| s.name()).collect();
        assert_eq!(names, t.section_names());
    }
    assert_eq!(UnitType::from_suffix("service"), None);
    assert_eq!(UnitType::from_unit_name("getty@tty1.service"), Some(UnitType::Service));
    assert_eq!(UnitType::from_unit_name("a.b.socket"), Some(UnitType::Socket));
    assert_eq!(UnitType::from_unit_name("noext"), None);
    assert_eq!(UnitType::from_unit_name("x.conf"), None);
}
