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
use super::{alias_in, planned, removed, Def};
use crate::directive::{Kind as K, SectionKind};

pub(in crate::directive) const SERVICE: &[Def] = &[
    planned("PIDFile", K::Path),
    planned("ExecCondition", K::Exec).list(),
    planned("ExecStartPre", K::Exec).list(),
    planned("ExecStart", K::Exec).list(),
    planned("ExecStartPost", K::Exec).list(),
    planned("ExecReload", K::Exec).list(),
    planned("ExecStop", K::Exec).list(),
    planned("ExecStopPost", K::Exec).list(),
    planned("RestartSec", K::Seconds).property("RestartUSec"),
    planned("TimeoutSec", K::Seconds).no_property(),
    planned("TimeoutStartSec", K::Seconds).property("TimeoutStartUSec"),
    planned("TimeoutStopSec", K::Seconds).property("TimeoutStopUSec"),
    planned("TimeoutAbortSec", K::Seconds).property("TimeoutAbortUSec"),
    planned("TimeoutStartFailureMode", K::Enum(TIMEOUT_FAILURE_MODES)),
    planned("TimeoutStopFailureMode", K::Enum(TIMEOUT_FAILURE_MODES)),
    planned("RuntimeMaxSec", K::Seconds).property("RuntimeMaxUSec"),
    planned("RuntimeRandomizedExtraSec", K::Seconds).property("RuntimeRandomizedExtraUSec"),
    planned("WatchdogSec", K::Seconds).property("WatchdogUSec"),
    alias_in("StartLimitInterval", SectionKind::Unit, "StartLimitIntervalSec"),
    alias_in("StartLimitBurst", SectionKind::Unit, "StartLimitBurst"),
    alias_in("StartLimitAction", SectionKind::Unit, "StartLimitAction"),
    alias_in("FailureAction", SectionKind::Unit, "FailureAction"),
    alias_in("RebootArgument", SectionKind::Unit, "RebootArgument"),
    planned("Type", K::Enum(SERVICE_TYPES)),
    planned("ExitType", K::Enum(EXIT_TYPES)),
    planned("Restart", K::Enum(RESTARTS)),
    // Deprecated in the manual, but 252 logs nothing and has no property.
    planned("PermissionsStartOnly", K::Bool).no_property(),
    planned("RootDirectoryStartOnly", K::Bool),
    planned("RemainAfterExit", K::Bool),
    planned("GuessMainPID", K::Bool),
    planned("RestartPreventExitStatus", K::ExitStatusSet).list(),
    planned("RestartForceExitStatus", K::ExitStatusSet).list(),
    planned("SuccessExitStatus", K::ExitStatusSet).list(),
    removed!("SysVStartPriority"),
    planned("NonBlocking", K::Bool),
    planned("BusName", K::String),
    planned("FileDescriptorStoreMax", K::Unsigned),
    planned("NotifyAccess", K::Enum(NOTIFY_ACCESS)),
    // Each listed socket becomes a Wants=/After= dependency, which cannot
    // be taken back: an empty assignment is accepted and does nothing.
    planned("Sockets", K::Units).no_reset().no_property(),
    removed!("BusPolicy"),
    planned("USBFunctionDescriptors", K::Path),
    planned("USBFunctionStrings", K::Path),
    planned("OOMPolicy", K::Enum(OOM_POLICIES)),
];
