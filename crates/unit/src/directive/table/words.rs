//! The fixed word sets of [`Kind::Enum`](super::Kind::Enum) directives.
//!
//! Only directives whose systemd parser accepts exactly a list of words
//! (and the empty string, which restores the default) get an `Enum`. Where
//! systemd also takes a boolean or a number in place of a word —
//! `ProtectSystem=yes`, `BindIPv6Only=false`, `IOSchedulingClass=2`,
//! `CPUSchedulingPolicy=1`, `Timestamping=off|no` — the directive is
//! [`Kind::Raw`](super::Kind::Raw) instead, so no valid value is refused.
//! Each list was checked against systemd 252 by assigning every word (and
//! a wrong one) in a unit and reading the `systemd --test` output.

/// `OnSuccessJobMode=`, `OnFailureJobMode=`: the job modes of
/// `systemctl --job-mode=` (`systemd.unit(5)`).
pub(super) const JOB_MODES: &[&str] = &[
    "fail",
    "replace",
    "replace-irreversibly",
    "isolate",
    "flush",
    "ignore-dependencies",
    "ignore-requirements",
    "triggering",
];

/// `FailureAction=`, `SuccessAction=`, `StartLimitAction=`,
/// `JobTimeoutAction=` (`systemd.unit(5)`, "FailureAction="). A user
/// manager accepts only `none`, `exit` and `exit-force`; that check belongs
/// to the loader, which knows the manager's mode.
pub(super) const EMERGENCY_ACTIONS: &[&str] = &[
    "none",
    "reboot",
    "reboot-force",
    "reboot-immediate",
    "poweroff",
    "poweroff-force",
    "poweroff-immediate",
    "exit",
    "exit-force",
];

/// `CollectMode=`.
pub(super) const COLLECT_MODES: &[&str] = &["inactive", "inactive-or-failed"];

/// `[Service] Type=` (`systemd.service(5)`).
pub(super) const SERVICE_TYPES: &[&str] =
    &["simple", "exec", "forking", "oneshot", "dbus", "notify", "idle"];

/// `ExitType=`.
pub(super) const EXIT_TYPES: &[&str] = &["main", "cgroup"];

/// `Restart=`.
pub(super) const RESTARTS: &[&str] =
    &["no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always"];

/// `NotifyAccess=`.
pub(super) const NOTIFY_ACCESS: &[&str] = &["none", "main", "exec", "all"];

/// `OOMPolicy=` of services and scopes.
pub(super) const OOM_POLICIES: &[&str] = &["continue", "stop", "kill"];

/// `TimeoutStartFailureMode=`, `TimeoutStopFailureMode=`.
pub(super) const TIMEOUT_FAILURE_MODES: &[&str] = &["terminate", "abort", "kill"];

/// `KillMode=` (`systemd.kill(5)`).
pub(super) const KILL_MODES: &[&str] = &["control-group", "mixed", "process", "none"];

/// `DevicePolicy=` (`systemd.resource-control(5)`).
pub(super) const DEVICE_POLICIES: &[&str] = &["auto", "closed", "strict"];

/// `ManagedOOMSwap=`, `ManagedOOMMemoryPressure=`.
pub(super) const MANAGED_OOM_MODES: &[&str] = &["auto", "kill"];

/// `ManagedOOMPreference=`.
pub(super) const MANAGED_OOM_PREFERENCES: &[&str] = &["none", "avoid", "omit"];

/// `[Socket] SocketProtocol=`.
pub(super) const SOCKET_PROTOCOLS: &[&str] = &["udplite", "sctp"];

/// `MountFlags=` (`systemd.exec(5)`): mount propagation.
pub(super) const MOUNT_PROPAGATION: &[&str] = &["shared", "slave", "private"];

/// `ProtectProc=`.
pub(super) const PROTECT_PROC: &[&str] = &["noaccess", "invisible", "ptraceable", "default"];

/// `ProcSubset=`.
pub(super) const PROC_SUBSETS: &[&str] = &["all", "pid"];

/// `KeyringMode=`.
pub(super) const KEYRING_MODES: &[&str] = &["inherit", "private", "shared"];

/// `UtmpMode=`.
pub(super) const UTMP_MODES: &[&str] = &["init", "login", "user"];

/// `NUMAPolicy=`.
pub(super) const NUMA_POLICIES: &[&str] = &["default", "preferred", "bind", "interleave", "local"];

/// Every list above, indexed by the entries that use one (a
/// [`Def`](super::Def) holds no pointer; see there). A list used by an
/// entry but missing here fails to compile.
pub(super) const ALL: &[&[&str]] = &[
    JOB_MODES,
    EMERGENCY_ACTIONS,
    COLLECT_MODES,
    SERVICE_TYPES,
    EXIT_TYPES,
    RESTARTS,
    NOTIFY_ACCESS,
    OOM_POLICIES,
    TIMEOUT_FAILURE_MODES,
    KILL_MODES,
    DEVICE_POLICIES,
    MANAGED_OOM_MODES,
    MANAGED_OOM_PREFERENCES,
    SOCKET_PROTOCOLS,
    MOUNT_PROPAGATION,
    PROTECT_PROC,
    PROC_SUBSETS,
    KEYRING_MODES,
    UTMP_MODES,
    NUMA_POLICIES,
];
