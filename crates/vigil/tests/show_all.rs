//! `systemctl show` beyond the unit's state: every setting of a
//! service's exec, kill and cgroup contexts and of its `[Unit]` section,
//! spelled as systemd 252 spells it, in its order (`show_all.rs`). Every
//! expected value below was read off Debian's systemd 252 as PID 1 of the
//! `vigil-test-systemd:bookworm` container (the Docker tests' oracle
//! image) with the same unit file, by `systemctl show --all`. Values that
//! depend on the machine (limits the manager inherits, TasksMax from
//! pid_max, cgroup counters) or on vigil's own dependency graph are not
//! among them.

mod common;

use common::*;

const RICH: &str = r#"[Unit]
Description=Rich
StopWhenUnneeded=yes
RefuseManualStop=yes
OnFailureJobMode=isolate
JobTimeoutSec=30s
StartLimitIntervalSec=20s
StartLimitBurst=3
FailureAction=reboot
CollectMode=inactive-or-failed

[Service]
Type=exec
ExitType=cgroup
PIDFile=/run/rich.pid
Restart=on-failure
RestartSec=2s
TimeoutStopSec=5s
TimeoutAbortSec=7s
RuntimeMaxSec=1h
RemainAfterExit=yes
GuessMainPID=no
SuccessExitStatus=3 SIGUSR1
RestartPreventExitStatus=4
ExecStart=/bin/sleep 1000
Environment=A=1 "B=two words"
PassEnvironment=PATH HOME
UMask=0027
LimitNOFILE=4096:8192
LimitCORE=infinity
LimitNPROC=100
WorkingDirectory=/tmp
Nice=5
OOMScoreAdjust=100
IOSchedulingClass=best-effort
IOSchedulingPriority=2
CPUSchedulingPolicy=batch
TimerSlackNSec=1000
StandardOutput=file:/tmp/rich.out
StandardError=journal
SyslogIdentifier=richie
SyslogFacility=local0
SyslogLevel=debug
LogLevelMax=notice
CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_CHOWN
AmbientCapabilities=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths=/var/lib/rich -/var/cache/rich
SupplementaryGroups=adm users
RuntimeDirectory=rich
RuntimeDirectoryMode=0750
StateDirectory=rich
KillMode=mixed
KillSignal=SIGINT
SendSIGHUP=yes
FinalKillSignal=SIGQUIT
MemoryMax=100M
MemoryHigh=80M
CPUWeight=50
TasksMax=33
CPUAccounting=yes
CPUQuota=20%
IOWeight=200
Delegate=yes
OOMPolicy=continue
WatchdogSec=0
KeyringMode=shared
CoredumpFilter=default private-dax
"#;

/// `rich.service`'s settings as systemd 252 shows them.
const RICH_SHOWN: &[(&str, &str)] = &[
    ("Type", "exec"),
    ("ExitType", "cgroup"),
    ("Restart", "on-failure"),
    ("PIDFile", "/run/rich.pid"),
    ("RestartUSec", "2s"),
    ("TimeoutStopUSec", "5s"),
    ("TimeoutAbortUSec", "7s"),
    ("RuntimeMaxUSec", "1h"),
    ("RemainAfterExit", "yes"),
    ("GuessMainPID", "no"),
    ("RestartPreventExitStatus", "4"),
    ("SuccessExitStatus", "3 USR1"),
    ("OOMPolicy", "continue"),
    ("Slice", "system.slice"),
    ("Delegate", "yes"),
    ("CPUAccounting", "yes"),
    ("CPUWeight", "50"),
    ("CPUQuotaPerSecUSec", "200ms"),
    ("IOWeight", "200"),
    ("MemoryHigh", "83886080"),
    ("MemoryMax", "104857600"),
    ("Environment", r#"A=1 "B=two words""#),
    ("PassEnvironment", "PATH HOME"),
    ("UMask", "0027"),
    ("LimitCORE", "infinity"),
    ("LimitCORESoft", "infinity"),
    ("LimitNOFILE", "8192"),
    ("LimitNOFILESoft", "4096"),
    ("LimitNPROC", "100"),
    ("LimitNPROCSoft", "100"),
    ("WorkingDirectory", "/tmp"),
    ("OOMScoreAdjust", "100"),
    ("CoredumpFilter", "0xb3"),
    ("Nice", "5"),
    ("IOSchedulingClass", "2"),
    ("IOSchedulingPriority", "2"),
    ("CPUSchedulingPolicy", "3"),
    ("TimerSlackNSec", "1000"),
    ("StandardInput", "null"),
    ("StandardOutput", "file"),
    ("StandardError", "journal"),
    ("SyslogPriority", "135"),
    ("SyslogIdentifier", "richie"),
    ("SyslogLevel", "7"),
    ("SyslogFacility", "16"),
    ("LogLevelMax", "5"),
    ("CapabilityBoundingSet", "cap_chown cap_net_bind_service"),
    ("AmbientCapabilities", "cap_net_bind_service"),
    ("SupplementaryGroups", "adm users"),
    ("ReadWritePaths", "/var/lib/rich -/var/cache/rich"),
    ("PrivateTmp", "yes"),
    ("ProtectHome", "read-only"),
    ("ProtectSystem", "strict"),
    ("NoNewPrivileges", "yes"),
    ("RuntimeDirectoryMode", "0750"),
    ("RuntimeDirectory", "rich"),
    ("StateDirectory", "rich"),
    ("KeyringMode", "shared"),
    ("KillMode", "mixed"),
    ("KillSignal", "2"),
    ("RestartKillSignal", "2"),
    ("FinalKillSignal", "3"),
    ("SendSIGKILL", "yes"),
    ("SendSIGHUP", "yes"),
    ("WatchdogSignal", "6"),
    ("CanClean", "runtime state"),
    ("StopWhenUnneeded", "yes"),
    ("RefuseManualStop", "yes"),
    ("OnFailureJobMode", "isolate"),
    ("JobTimeoutUSec", "30s"),
    ("JobRunningTimeoutUSec", "30s"),
    ("StartLimitIntervalUSec", "20s"),
    ("StartLimitBurst", "3"),
    ("FailureAction", "reboot"),
    ("CollectMode", "inactive-or-failed"),
    ("Transient", "no"),
    ("Perpetual", "no"),
    ("FailureActionExitStatus", "[not set]"),
    ("ActivationDetails", "[unprintable]"),
    ("TTYRows", "[unprintable]"),
    ("IPIngressBytes", "[no data]"),
    ("IOReadBytes", "18446744073709551615"),
    ("NFileDescriptorStore", "0"),
];

/// What systemd 252 shows for a running `ExecStart=/bin/sleep 1000`
/// service that sets nothing else: its defaults.
const PLAIN_SHOWN: &[(&str, &str)] = &[
    ("ExitType", "main"),
    ("PIDFile", ""),
    ("TimeoutAbortUSec", "1min 30s"),
    ("TimeoutStartFailureMode", "terminate"),
    ("RuntimeRandomizedExtraUSec", "0"),
    ("RootDirectoryStartOnly", "no"),
    ("GuessMainPID", "yes"),
    ("FileDescriptorStoreMax", "0"),
    ("UID", "[not set]"),
    ("GID", "[not set]"),
    ("OOMPolicy", "stop"),
    ("Slice", "system.slice"),
    ("CPUUsageNSec", "[not set]"),
    ("CPUWeight", "[not set]"),
    ("CPUQuotaPerSecUSec", "infinity"),
    ("MemoryAccounting", "yes"),
    ("MemoryHigh", "infinity"),
    ("TasksAccounting", "yes"),
    ("UMask", "0022"),
    ("StandardInput", "null"),
    ("StandardOutput", "journal"),
    ("StandardError", "inherit"),
    ("SyslogPriority", "30"),
    ("SyslogLevelPrefix", "yes"),
    ("SyslogLevel", "6"),
    ("SyslogFacility", "3"),
    ("LogLevelMax", "-1"),
    ("SecureBits", "0"),
    ("CapabilityBoundingSet", "cap_chown cap_dac_override cap_dac_read_search cap_fowner cap_fsetid cap_kill cap_setgid cap_setuid cap_setpcap cap_linux_immutable cap_net_bind_service cap_net_broadcast cap_net_admin cap_net_raw cap_ipc_lock cap_ipc_owner cap_sys_module cap_sys_rawio cap_sys_chroot cap_sys_ptrace cap_sys_pacct cap_sys_admin cap_sys_boot cap_sys_nice cap_sys_resource cap_sys_time cap_sys_tty_config cap_mknod cap_lease cap_audit_write cap_audit_control cap_setfcap cap_mac_override cap_mac_admin cap_syslog cap_wake_alarm cap_block_suspend cap_audit_read cap_perfmon cap_bpf cap_checkpoint_restore"),
    ("AmbientCapabilities", ""),
    ("DynamicUser", "no"),
    ("PrivateTmp", "no"),
    ("ProtectHome", "no"),
    ("ProtectSystem", "no"),
    ("UtmpMode", "init"),
    ("IgnoreSIGPIPE", "yes"),
    ("SystemCallFilter", "~"),
    ("SystemCallErrorNumber", "2147483646"),
    ("RestrictAddressFamilies", "~"),
    ("RuntimeDirectoryMode", "0755"),
    ("TimeoutCleanUSec", "infinity"),
    ("KeyringMode", "private"),
    ("ProtectProc", "default"),
    ("ProcSubset", "all"),
    ("KillSignal", "15"),
    ("RestartKillSignal", "15"),
    ("FinalKillSignal", "9"),
    ("SendSIGKILL", "yes"),
    ("SendSIGHUP", "no"),
    ("WatchdogSignal", "6"),
    ("Requires", "sysinit.target system.slice"),
    ("Wants", ""),
    ("Conflicts", "shutdown.target"),
    ("Before", "shutdown.target"),
    ("FreezerState", "running"),
    ("CanClean", ""),
    ("StopWhenUnneeded", "no"),
    ("DefaultDependencies", "yes"),
    ("OnSuccessJobMode", "fail"),
    ("OnFailureJobMode", "replace"),
    ("JobTimeoutUSec", "infinity"),
    ("JobRunningTimeoutUSec", "infinity"),
    ("JobTimeoutAction", "none"),
    ("StartLimitIntervalUSec", "10s"),
    ("StartLimitBurst", "5"),
    ("StartLimitAction", "none"),
    ("FailureAction", "none"),
    ("SuccessAction", "none"),
    ("CollectMode", "inactive"),
    ("ExecMainExitTimestampMonotonic", "0"),
];

/// `show -p` of each name, one request per unit.
fn shown(r: &TestRoot, unit: &str, names: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut args = vec!["show".to_string()];
    for (k, _) in names {
        args.push("-p".into());
        args.push(k.to_string());
    }
    args.push(unit.into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = r.vigil(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn settings_read_as_systemd_252_shows_them() {
    let r = TestRoot::with_units(
        "show-all",
        &[
            ("rich.service", RICH),
            ("plain.service", "[Unit]\nDescription=Plain\n[Service]\nExecStart=/bin/sleep 1000\n"),
            ("holder.target", "[Unit]\nWants=rich.service plain.service\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "plain"]).status.code(), Some(0));
    // `-p` answers in systemd's order, not the order asked
    // (`named_properties_come_in_systemds_order`): compared by name.
    let sorted = |mut v: Vec<(String, String)>| {
        v.sort();
        v
    };
    assert_eq!(sorted(shown(&r, "rich.service", RICH_SHOWN)), sorted(expect(RICH_SHOWN)));
    let plain = sorted(shown(&r, "plain.service", PLAIN_SHOWN));
    // Requires=/Wants=/Conflicts=/Before= of a plain service are the
    // default dependencies, in the graph's own order (systemd's is its
    // hash table's): compared as sets.
    let words = |s: &str| {
        let mut v: Vec<String> = s.split_whitespace().map(str::to_string).collect();
        v.sort();
        v
    };
    for ((k, got), (_, want)) in plain.iter().zip(sorted(expect(PLAIN_SHOWN))) {
        assert_eq!(words(got), words(&want), "{k}");
    }
    assert_eq!(plain.len(), PLAIN_SHOWN.len());

    // The main process's times: started now, not ended.
    let start: u64 = r.prop("plain", "ExecMainStartTimestampMonotonic").parse().unwrap();
    assert!(start > 0 && r.prop("plain", "ExecMainStartTimestamp").ends_with("UTC"));
    assert_eq!(r.prop("plain", "ExecMainPID"), r.prop("plain", "MainPID"));

    // A bare `show` is in systemd's order: the service's own interface,
    // then the unit's; nothing twice but the commands.
    let bare = stdout(&r.vigil(&["show", "plain"]));
    let names: Vec<&str> = bare.lines().filter_map(|l| l.split_once('=')).map(|(k, _)| k).collect();
    assert_eq!(names.first(), Some(&"Type"), "{bare}");
    let at = |n: &str| names.iter().position(|x| *x == n).unwrap_or_else(|| panic!("{n} missing:\n{bare}"));
    assert!(at("Restart") < at("MainPID") && at("MainPID") < at("ExecStart") && at("ExecStart") < at("LimitNOFILE"));
    assert!(at("LimitNOFILE") < at("KillSignal") && at("KillSignal") < at("Id") && at("Id") < at("Description"));
    assert!(at("Description") < at("ActiveState") && at("ActiveState") < at("InvocationID"));
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "a property twice:\n{bare}");
    // With --all, the empty ones too, and the checks as systemctl 252
    // prints an array of structs.
    let all = stdout(&r.vigil(&["show", "--all", "plain"]));
    for line in ["Conditions=[unprintable]", "Asserts=[unprintable]", "PIDFile=", "StatusText=", "TTYRows=[unprintable]"] {
        assert!(all.lines().any(|l| l == line), "{line} missing:\n{all}");
    }
    assert!(!bare.lines().any(|l| l.starts_with("Conditions=") || l.starts_with("PIDFile=")), "{bare}");
    // A target has no cgroup context: none of its properties.
    let target = stdout(&r.vigil(&["show", "--all", "holder.target"]));
    assert!(target.lines().any(|l| l == "Id=holder.target"), "{target}");
    assert!(!target.lines().any(|l| l.starts_with("ControlGroup=") || l.starts_with("TasksMax=")), "{target}");
    // `status` asks for the unit's state only, and still shows it all.
    let status = stdout(&r.vigil(&["status", "--no-pager", "-n0", "plain"]));
    assert!(status.contains("Active: active (running)") && status.contains("Main PID:"), "{status}");
    r.vigil(&["exit"]);
}

/// A unit file edited after the manager loaded it: `NeedDaemonReload=yes`,
/// and systemctl 252's warning after `status` and before a job, until
/// `daemon-reload` (read off systemd 252 with the same steps).
#[test]
fn a_changed_unit_file_asks_for_daemon_reload() {
    let r = TestRoot::with_units("show-reload", &[("w.service", "[Service]\nExecStart=/bin/sleep 1000\n")]);
    assert_eq!(r.vigil(&["start", "w"]).status.code(), Some(0));
    assert_eq!(r.prop("w", "NeedDaemonReload"), "no");
    let warning = "Warning: The unit file, source configuration file or drop-ins of w.service changed on disk. Run 'systemctl daemon-reload' to reload units.";
    assert!(!stderr(&r.vigil(&["status", "--no-pager", "-n0", "w"])).contains("Warning"));
    // Edited: its time is set past the load's clock tick, as any edit a
    // moment later would be.
    let file = r.path.join("etc/systemd/system/w.service");
    std::fs::write(&file, "[Service]\nExecStart=/bin/sleep 1001\n").unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(2);
    std::fs::File::options().write(true).open(&file).unwrap().set_modified(later).unwrap();
    assert_eq!(r.prop("w", "NeedDaemonReload"), "yes");
    let status = r.vigil(&["status", "--no-pager", "-n0", "w"]);
    assert_eq!(stderr(&status).trim_end(), warning);
    assert!(stdout(&status).contains("Active: active (running)"));
    let restart = r.vigil(&["restart", "w"]);
    assert_eq!((restart.status.code(), stderr(&restart).trim_end()), (Some(0), warning));
    // A new drop-in counts too; daemon-reload clears it (the file's time
    // set back to before the reload first, where an edit's would be).
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options().write(true).open(&file).unwrap().set_modified(before).unwrap();
    assert_eq!(r.vigil(&["daemon-reload"]).status.code(), Some(0));
    assert_eq!(r.prop("w", "NeedDaemonReload"), "no");
    let dir = r.path.join("etc/systemd/system/w.service.d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.conf"), "[Unit]\nDescription=W\n").unwrap();
    for p in [dir.join("a.conf"), dir.clone()] {
        std::fs::File::open(&p).unwrap().set_modified(later).unwrap();
    }
    assert_eq!(r.prop("w", "NeedDaemonReload"), "yes");
    r.vigil(&["exit"]);
}


/// `show -p`: a unit's properties come in systemd's order whatever the
/// order asked, a name the unit does not have prints nothing, and `Job`
/// is the installed job's id — all as systemctl 252 prints them (read off
/// the oracle with `-p ActiveState -p Id -p Foo -p PIDFile -p Job`).
#[test]
fn named_properties_come_in_systemds_order() {
    let r = TestRoot::with_units(
        "show-order",
        &[
            ("a.service", "[Service]\nExecStart=/bin/sleep 1000\n"),
            ("slow.service", "[Service]\nType=oneshot\nExecStart=/bin/sleep 1000\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "a"]).status.code(), Some(0));
    assert_eq!(r.vigil(&["start", "--no-block", "slow"]).status.code(), Some(0));
    let o = r.vigil(&["show", "-p", "ActiveState", "-p", "Id", "-p", "Foo", "-p", "PIDFile", "-p", "Job", "a", "slow"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let job = stdout(&r.vigil(&["list-jobs", "--no-legend"])).split_whitespace().next().unwrap_or_default().to_string();
    assert!(job.parse::<u32>().is_ok(), "no job listed for slow");
    let want = format!(
        "PIDFile=\nId=a.service\nActiveState=active\nJob=\n\nPIDFile=\nId=slow.service\nActiveState=activating\nJob={job}\n"
    );
    assert_eq!(stdout(&o), want);
    // --value: one line per property the unit has, in the same order.
    let v = stdout(&r.vigil(&["show", "-p", "ActiveState,Id", "--value", "a"]));
    assert_eq!(v, "a.service\nactive\n");
    r.vigil(&["exit"]);
}

/// The properties systemd 252 lists that vigil computes from its own
/// state: results, the group's id, reverse edges, a slice's units and the
/// watchdog's last reset (names and empty values read off the oracle).
#[test]
fn results_reverse_edges_and_the_watchdog() {
    let r = TestRoot::with_units(
        "show-rev",
        &[
            ("del.service", "[Service]\nExecStart=/bin/sleep 1000\n"),
            ("of.service", "[Unit]\nOnFailure=del.service\n[Service]\nExecStart=/bin/sleep 1000\n"),
            (
                "dog.service",
                "[Service]\nType=notify\nNotifyAccess=all\nWatchdogSec=30s\nExecStart=/bin/sh -c 'systemd-notify READY=1; exec sleep 1000'\n",
            ),
            ("holder.target", "[Unit]\nWants=of.service\n"),
        ],
    );
    assert_eq!(r.vigil(&["start", "holder.target", "del", "dog"]).status.code(), Some(0));
    let o = r.vigil(&["show", "-p", "OnFailureOf,OnSuccessOf,ReloadResult,CleanResult,WatchdogTimestampMonotonic", "del"]);
    assert_eq!(
        stdout(&o),
        "WatchdogTimestampMonotonic=0\nReloadResult=success\nCleanResult=success\nOnSuccessOf=\nOnFailureOf=of.service\n"
    );
    let slice: Vec<String> = r.prop("system.slice", "SliceOf").split(' ').map(str::to_string).collect();
    for u in ["del.service", "of.service", "dog.service"] {
        assert!(slice.iter().any(|s| s == u), "{u} not in {slice:?}");
    }
    assert_eq!(r.prop("del", "SliceOf"), "");
    // A group's id is its directory's inode: none without a group.
    let id: u64 = r.prop("del", "ControlGroupId").parse().unwrap();
    assert_eq!(id == 0, r.prop("del", "ControlGroup").is_empty());
    // The watchdog was reset as the service became active.
    let dog: u64 = r.prop("dog", "WatchdogTimestampMonotonic").parse().unwrap();
    let up: u64 = r.prop("dog", "ActiveEnterTimestampMonotonic").parse().unwrap();
    assert!(dog > 0 && dog.abs_diff(up) < 1_000_000, "watchdog {dog}, active {up}");
    assert!(r.prop("dog", "WatchdogTimestamp").ends_with("UTC"));
    r.vigil(&["exit"]);
}
