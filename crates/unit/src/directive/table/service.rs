//! `[Service]`-only settings (`systemd.service(5)`); the execution,
//! resource-control and kill families are added by the layout.
//!
//! `TimeoutSec=` is not an alias: it sets both `TimeoutStartSec=` and
//! `TimeoutStopSec=`. `StartLimitInterval=`, `StartLimitBurst=`,
//! `StartLimitAction=`, `FailureAction=` and `RebootArgument=` moved to
//! `[Unit]` long ago; systemd still accepts them here, silently, as the
//! `[Unit]` settings.

use super::words::{
    EXIT_TYPES, NOTIFY_ACCESS, OOM_POLICIES, RESTARTS, SERVICE_TYPES, TIMEOUT_FAILURE_MODES,
};
use super::{Def, Note, alias_in, implemented, planned, removed};
use crate::directive::{Kind as K, SectionKind};

pub(in crate::directive) const SERVICE: &[Def] = &[
    implemented("PIDFile", K::Path),
    implemented("ExecCondition", K::Exec).list(),
    implemented("ExecStartPre", K::Exec).list(),
    implemented("ExecStart", K::Exec).list(),
    implemented("ExecStartPost", K::Exec).list(),
    implemented("ExecReload", K::Exec).list(),
    implemented("ExecStop", K::Exec).list(),
    implemented("ExecStopPost", K::Exec).list(),
    implemented("RestartSec", K::Seconds).property("RestartUSec"),
    implemented("TimeoutSec", K::Seconds).no_property(),
    implemented("TimeoutStartSec", K::Seconds).property("TimeoutStartUSec"),
    implemented("TimeoutStopSec", K::Seconds).property("TimeoutStopUSec"),
    implemented("TimeoutAbortSec", K::Seconds).property("TimeoutAbortUSec"),
    implemented("TimeoutStartFailureMode", K::Enum(TIMEOUT_FAILURE_MODES)),
    implemented("TimeoutStopFailureMode", K::Enum(TIMEOUT_FAILURE_MODES)),
    implemented("RuntimeMaxSec", K::Seconds).property("RuntimeMaxUSec"),
    planned("RuntimeRandomizedExtraSec", K::Seconds).property("RuntimeRandomizedExtraUSec"),
    implemented("WatchdogSec", K::Seconds).property("WatchdogUSec"),
    alias_in("StartLimitInterval", SectionKind::Unit, "StartLimitIntervalSec"),
    alias_in("StartLimitBurst", SectionKind::Unit, "StartLimitBurst"),
    alias_in("StartLimitAction", SectionKind::Unit, "StartLimitAction"),
    alias_in("FailureAction", SectionKind::Unit, "FailureAction"),
    alias_in("RebootArgument", SectionKind::Unit, "RebootArgument"),
    implemented("Type", K::Enum(SERVICE_TYPES)),
    planned("ExitType", K::Enum(EXIT_TYPES)),
    implemented("Restart", K::Enum(RESTARTS)),
    // Deprecated in the manual, but 252 logs nothing and has no property.
    planned("PermissionsStartOnly", K::Bool).no_property(),
    planned("RootDirectoryStartOnly", K::Bool),
    implemented("RemainAfterExit", K::Bool),
    implemented("GuessMainPID", K::Bool),
    implemented("RestartPreventExitStatus", K::ExitStatusSet).list(),
    implemented("RestartForceExitStatus", K::ExitStatusSet).list(),
    implemented("SuccessExitStatus", K::ExitStatusSet).list(),
    removed("SysVStartPriority", Note::SysVStartPriorityRemoved),
    planned("NonBlocking", K::Bool),
    implemented("BusName", K::String),
    planned("FileDescriptorStoreMax", K::Unsigned),
    implemented("NotifyAccess", K::Enum(NOTIFY_ACCESS)),
    // Each listed socket becomes a Wants=/After= dependency, which cannot
    // be taken back: an empty assignment is accepted and does nothing.
    implemented("Sockets", K::Units).no_reset().no_property(),
    removed("BusPolicy", Note::BusPolicyRemoved),
    planned("USBFunctionDescriptors", K::Path),
    planned("USBFunctionStrings", K::Path),
    implemented("OOMPolicy", K::Enum(OOM_POLICIES)),
];
