//! The execution context (`systemd.exec(5)`), shared by `[Service]`,
//! `[Socket]`, `[Mount]` and `[Swap]`: how processes are spawned —
//! identity, environment, I/O, limits, scheduling and sandboxing.
//!
//! Most list settings here clear on an empty assignment. Two quirks
//! verified with `systemd --test`: `SecureBits=` does *not* accumulate
//! (the last assignment wins, although the manual says the bits are
//! ORed), and `CPUAffinity=`, `NUMAMask=`, `CoredumpFilter=` do
//! accumulate. The `…Directories=` spellings of the namespace path lists
//! are aliases of the `…Paths=` ones and share their list.
//!
//! `security` marks what confines the process: ignoring `User=` runs it as
//! root, ignoring `ProtectSystem=` lets it write `/usr`, ignoring a mode
//! leaves a directory world-readable. Resource limits are not counted as
//! security: ignoring them changes capacity, not privilege.

use super::words::{
    KEYRING_MODES, MOUNT_PROPAGATION, NUMA_POLICIES, PROC_SUBSETS, PROTECT_PROC, UTMP_MODES,
};
use super::{Def, Note, alias, implemented, planned, removed};
use crate::directive::{Kind as K, LimitUnit as L, ResetGroup as G};

pub(in crate::directive) const EXEC: &[Def] = &[
    // "-" prefix (missing is fine) and "~" (home) make this more than a path.
    implemented("WorkingDirectory", K::Raw),
    implemented("RootDirectory", K::Path).security(),
    planned("RootImage", K::Path).security(),
    planned("RootImageOptions", K::Raw).list().security(),
    planned("RootHash", K::Raw).security(),
    planned("RootHashSignature", K::Raw).security(),
    planned("RootVerity", K::Path).security(),
    planned("ExtensionDirectories", K::Paths).list(),
    planned("ExtensionImages", K::Raw).list(),
    planned("MountImages", K::Raw).list(),
    implemented("User", K::String).security(),
    implemented("Group", K::String).security(),
    implemented("SupplementaryGroups", K::Strings).list().security(),
    implemented("Nice", K::Nice),
    implemented("OOMScoreAdjust", K::OomScoreAdjust),
    planned("CoredumpFilter", K::Raw).list(),
    // A class name or its number 0…3.
    planned("IOSchedulingClass", K::Raw),
    // 0…7.
    planned("IOSchedulingPriority", K::Raw),
    // other|batch|idle|fifo|rr or a policy number.
    planned("CPUSchedulingPolicy", K::Raw),
    // 0…99, the valid range depending on the policy.
    planned("CPUSchedulingPriority", K::Raw),
    planned("CPUSchedulingResetOnFork", K::Bool),
    // A CPU set, or "numa" to follow NUMAMask=.
    planned("CPUAffinity", K::Raw).list(),
    planned("NUMAPolicy", K::Enum(NUMA_POLICIES)),
    // A node set, or "all".
    planned("NUMAMask", K::Raw).list(),
    implemented("UMask", K::Mode).security(),
    implemented("Environment", K::Environment).list(),
    implemented("EnvironmentFile", K::EnvironmentFile).list().property("EnvironmentFiles"),
    implemented("PassEnvironment", K::EnvNames).list(),
    implemented("UnsetEnvironment", K::EnvNames).list(),
    planned("DynamicUser", K::Bool).security(),
    planned("RemoveIPC", K::Bool).security(),
    implemented("StandardInput", K::Input),
    implemented("StandardOutput", K::Output),
    implemented("StandardError", K::Output),
    // C-escaped text, one line per assignment.
    implemented("StandardInputText", K::Raw).shared(G::StdinData).property("StandardInputData"),
    // Base64.
    implemented("StandardInputData", K::Raw).shared(G::StdinData),
    implemented("TTYPath", K::Path),
    planned("TTYReset", K::Bool),
    planned("TTYVHangup", K::Bool),
    planned("TTYVTDisallocate", K::Bool),
    planned("TTYRows", K::Unsigned),
    planned("TTYColumns", K::Unsigned),
    implemented("SyslogIdentifier", K::String),
    implemented("SyslogFacility", K::SyslogFacility),
    implemented("SyslogLevel", K::SyslogLevel),
    implemented("SyslogLevelPrefix", K::Bool),
    planned("LogLevelMax", K::SyslogLevel),
    planned("LogRateLimitIntervalSec", K::Seconds).property("LogRateLimitIntervalUSec"),
    planned("LogRateLimitBurst", K::Unsigned),
    // FIELD=value words, each a journal field.
    planned("LogExtraFields", K::Raw).list(),
    removed("Capabilities", Note::CapabilitiesRemoved),
    // Last assignment wins in 252 (see the module essay).
    implemented("SecureBits", K::SecureBits).security(),
    implemented("CapabilityBoundingSet", K::Capabilities).list().security(),
    implemented("AmbientCapabilities", K::Capabilities).list().security(),
    planned("TimerSlackNSec", K::Nsec),
    implemented("NoNewPrivileges", K::Bool).security(),
    planned("KeyringMode", K::Enum(KEYRING_MODES)).security(),
    implemented("ProtectProc", K::Enum(PROTECT_PROC)).security(),
    implemented("ProcSubset", K::Enum(PROC_SUBSETS)).security(),
    // Syscall names, @groups, optional "~" and ":errno".
    planned("SystemCallFilter", K::Raw).list().security(),
    planned("SystemCallArchitectures", K::Strings).list().security(),
    // An errno name or number, or "kill".
    planned("SystemCallErrorNumber", K::Raw).security(),
    planned("SystemCallLog", K::Raw).list(),
    planned("MemoryDenyWriteExecute", K::Bool).security(),
    // A boolean, or namespace type names with optional "~".
    planned("RestrictNamespaces", K::Raw).list().security(),
    planned("RestrictRealtime", K::Bool).security(),
    planned("RestrictSUIDSGID", K::Bool).security(),
    // Family names with optional "~", or "none".
    planned("RestrictAddressFamilies", K::Raw).list().security(),
    planned("LockPersonality", K::Bool).security(),
    planned("RestrictFileSystems", K::Raw).list().security(),
    // `systemd.exec(5)`, "Process Properties": the rlimit table.
    implemented("LimitCPU", K::Limit(L::Seconds)),
    implemented("LimitFSIZE", K::Limit(L::Bytes)),
    implemented("LimitDATA", K::Limit(L::Bytes)),
    implemented("LimitSTACK", K::Limit(L::Bytes)),
    implemented("LimitCORE", K::Limit(L::Bytes)),
    implemented("LimitRSS", K::Limit(L::Bytes)),
    implemented("LimitNOFILE", K::Limit(L::Count)),
    implemented("LimitAS", K::Limit(L::Bytes)),
    implemented("LimitNPROC", K::Limit(L::Count)),
    implemented("LimitMEMLOCK", K::Limit(L::Bytes)),
    implemented("LimitLOCKS", K::Limit(L::Count)),
    implemented("LimitSIGPENDING", K::Limit(L::Count)),
    implemented("LimitMSGQUEUE", K::Limit(L::Bytes)),
    implemented("LimitNICE", K::Limit(L::Nice)),
    implemented("LimitRTPRIO", K::Limit(L::Count)),
    implemented("LimitRTTIME", K::Limit(L::Usec)),
    alias("ReadWriteDirectories", "ReadWritePaths"),
    alias("ReadOnlyDirectories", "ReadOnlyPaths"),
    alias("InaccessibleDirectories", "InaccessiblePaths"),
    implemented("ReadWritePaths", K::Paths).list().security(),
    implemented("ReadOnlyPaths", K::Paths).list().security(),
    implemented("InaccessiblePaths", K::Paths).list().security(),
    planned("ExecPaths", K::Paths).list().security(),
    planned("NoExecPaths", K::Paths).list().security(),
    // Colon-separated, accumulating.
    planned("ExecSearchPath", K::Raw).list(),
    // SRC[:DEST[:OPTIONS]] words, "-" prefix allowed.
    implemented("BindPaths", K::Raw).list().security(),
    implemented("BindReadOnlyPaths", K::Raw).list().security(),
    // PATH[:OPTIONS] words.
    implemented("TemporaryFileSystem", K::Raw).list().security(),
    implemented("PrivateTmp", K::Bool).security(),
    implemented("PrivateDevices", K::Bool).security(),
    implemented("ProtectKernelTunables", K::Bool).security(),
    implemented("ProtectKernelModules", K::Bool).security(),
    implemented("ProtectKernelLogs", K::Bool).security(),
    planned("ProtectClock", K::Bool).security(),
    implemented("ProtectControlGroups", K::Bool).security(),
    planned("NetworkNamespacePath", K::Path).security(),
    planned("IPCNamespacePath", K::Path).security(),
    planned("LogNamespace", K::String),
    implemented("PrivateNetwork", K::Bool).security(),
    planned("PrivateUsers", K::Bool).security(),
    implemented("PrivateMounts", K::Bool).security(),
    implemented("PrivateIPC", K::Bool).security(),
    // A boolean, "full" or "strict".
    implemented("ProtectSystem", K::Raw).security(),
    // A boolean, "read-only" or "tmpfs".
    implemented("ProtectHome", K::Raw).security(),
    planned("MountFlags", K::Enum(MOUNT_PROPAGATION)),
    planned("MountAPIVFS", K::Bool),
    // Architecture names valid for this machine's personality.
    planned("Personality", K::Raw),
    // A boolean or "restart".
    implemented("RuntimeDirectoryPreserve", K::Raw),
    implemented("RuntimeDirectoryMode", K::Mode).security(),
    implemented("RuntimeDirectory", K::Strings).list(),
    implemented("StateDirectoryMode", K::Mode).security(),
    implemented("StateDirectory", K::Strings).list(),
    implemented("CacheDirectoryMode", K::Mode).security(),
    implemented("CacheDirectory", K::Strings).list(),
    implemented("LogsDirectoryMode", K::Mode).security(),
    implemented("LogsDirectory", K::Strings).list(),
    implemented("ConfigurationDirectoryMode", K::Mode).security(),
    implemented("ConfigurationDirectory", K::Strings).list(),
    // ID:DATA / ID[:PATH]; the encrypted spellings share the plain lists.
    planned("SetCredential", K::Raw).shared(G::SetCredentials),
    planned("SetCredentialEncrypted", K::Raw).shared(G::SetCredentials),
    planned("LoadCredential", K::Raw).shared(G::LoadCredentials),
    planned("LoadCredentialEncrypted", K::Raw).shared(G::LoadCredentials),
    planned("TimeoutCleanSec", K::Seconds).property("TimeoutCleanUSec"),
    planned("PAMName", K::String),
    implemented("IgnoreSIGPIPE", K::Bool),
    planned("UtmpIdentifier", K::String),
    planned("UtmpMode", K::Enum(UTMP_MODES)),
    // Labels with an optional "-" prefix (ignore failure).
    planned("SELinuxContext", K::String).security(),
    planned("AppArmorProfile", K::String).security(),
    planned("SmackProcessLabel", K::String).security(),
    implemented("ProtectHostname", K::Bool).security(),
];
