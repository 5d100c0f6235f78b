//! `[Unit]`: description, dependencies, conditions and failure handling
//! (`systemd.unit(5)`, "[Unit] Section Options" and "Conditions and
//! Asserts").
//!
//! Dependency directives never reset: an empty `After=` is accepted and
//! does nothing, so a drop-in cannot remove a vendor dependency this way.
//! Conditions share one list and asserts another; an empty assignment of
//! any `Condition…=` clears every condition assigned before it.

use super::words::{COLLECT_MODES, EMERGENCY_ACTIONS, JOB_MODES};
use super::{alias, implemented, planned, removed, Def};
use crate::directive::{Kind as K, ResetGroup as G};

const COND: G = G::Conditions;
const ASSERT: G = G::Asserts;

pub(in crate::directive) const UNIT: &[Def] = &[
    implemented("Description", K::String),
    implemented("Documentation", K::Strings).list(),
    implemented("SourcePath", K::Path),
    // Dependencies (`systemd.unit(5)`, "Mapping of unit properties to
    // their inverses" lists what each implies on the other side).
    implemented("Requires", K::Units).no_reset(),
    implemented("Requisite", K::Units).no_reset(),
    implemented("Wants", K::Units).no_reset(),
    implemented("BindsTo", K::Units).no_reset(),
    alias("BindTo", "BindsTo"),
    implemented("Upholds", K::Units).no_reset(),
    implemented("Conflicts", K::Units).no_reset(),
    implemented("Before", K::Units).no_reset(),
    implemented("After", K::Units).no_reset(),
    implemented("OnSuccess", K::Units).no_reset(),
    implemented("OnFailure", K::Units).no_reset(),
    implemented("PropagatesReloadTo", K::Units).no_reset(),
    alias("PropagateReloadTo", "PropagatesReloadTo"),
    implemented("ReloadPropagatedFrom", K::Units).no_reset(),
    alias("PropagateReloadFrom", "ReloadPropagatedFrom"),
    implemented("PropagatesStopTo", K::Units).no_reset(),
    implemented("StopPropagatedFrom", K::Units).no_reset(),
    implemented("PartOf", K::Units).no_reset(),
    implemented("JoinsNamespaceOf", K::Units).no_reset(),
    // The "overridable" variants lost their meaning in systemd 209; 252
    // treats them as the plain dependency and says so.
    alias("RequiresOverridable", "Requires").deprecated(
        "Unit dependency type RequiresOverridable= is obsolete, replacing by Requires=, please update your unit file",
    ),
    alias("RequisiteOverridable", "Requisite").deprecated(
        "Unit dependency type RequisiteOverridable= is obsolete, replacing by Requisite=, please update your unit file",
    ),
    planned("RequiresMountsFor", K::Paths).no_reset(),
    implemented("StopWhenUnneeded", K::Bool),
    implemented("RefuseManualStart", K::Bool),
    implemented("RefuseManualStop", K::Bool),
    implemented("AllowIsolate", K::Bool),
    implemented("DefaultDependencies", K::Bool),
    implemented("OnSuccessJobMode", K::Enum(JOB_MODES)),
    implemented("OnFailureJobMode", K::Enum(JOB_MODES)),
    // Legacy boolean spelling of OnFailureJobMode=isolate|replace: not a
    // plain alias (the value changes type), so kept as its own entry.
    implemented("OnFailureIsolate", K::Bool).property("OnFailureJobMode"),
    implemented("IgnoreOnIsolate", K::Bool),
    removed!("IgnoreOnSnapshot"),
    implemented("JobTimeoutSec", K::Seconds).property("JobTimeoutUSec"),
    planned("JobRunningTimeoutSec", K::Seconds).property("JobRunningTimeoutUSec"),
    planned("JobTimeoutAction", K::Enum(EMERGENCY_ACTIONS)),
    planned("JobTimeoutRebootArgument", K::String),
    implemented("StartLimitIntervalSec", K::Seconds).property("StartLimitIntervalUSec"),
    alias("StartLimitInterval", "StartLimitIntervalSec"),
    implemented("StartLimitBurst", K::Unsigned),
    implemented("StartLimitAction", K::Enum(EMERGENCY_ACTIONS)),
    implemented("FailureAction", K::Enum(EMERGENCY_ACTIONS)),
    implemented("SuccessAction", K::Enum(EMERGENCY_ACTIONS)),
    // 0…255 or empty; no range-checked integer kind exists yet.
    implemented("FailureActionExitStatus", K::Raw),
    implemented("SuccessActionExitStatus", K::Raw),
    planned("RebootArgument", K::String),
    planned("ConditionPathExists", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionPathExistsGlob", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionPathIsDirectory", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionPathIsSymbolicLink", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionPathIsMountPoint", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionPathIsReadWrite", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionPathIsEncrypted", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionDirectoryNotEmpty", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionFileNotEmpty", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionFileIsExecutable", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionNeedsUpdate", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionFirstBoot", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionArchitecture", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionFirmware", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionVirtualization", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionHost", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionKernelCommandLine", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionKernelVersion", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionCredential", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionSecurity", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionCapability", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionACPower", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionMemory", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionCPUFeature", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionCPUs", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionEnvironment", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionUser", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionGroup", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionControlGroupController", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionOSRelease", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionMemoryPressure", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionCPUPressure", K::Condition).shared(COND).property("Conditions"),
    planned("ConditionIOPressure", K::Condition).shared(COND).property("Conditions"),
    planned("AssertPathExists", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertPathExistsGlob", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertPathIsDirectory", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertPathIsSymbolicLink", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertPathIsMountPoint", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertPathIsReadWrite", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertPathIsEncrypted", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertDirectoryNotEmpty", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertFileNotEmpty", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertFileIsExecutable", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertNeedsUpdate", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertFirstBoot", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertArchitecture", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertVirtualization", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertHost", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertKernelCommandLine", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertKernelVersion", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertCredential", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertSecurity", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertCapability", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertACPower", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertMemory", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertCPUFeature", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertCPUs", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertEnvironment", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertUser", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertGroup", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertControlGroupController", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertOSRelease", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertMemoryPressure", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertCPUPressure", K::Condition).shared(ASSERT).property("Asserts"),
    planned("AssertIOPressure", K::Condition).shared(ASSERT).property("Asserts"),
    // Which inactive units the manager unloads (crates/vigil/src/daemon/manager/gc.rs).
    implemented("CollectMode", K::Enum(COLLECT_MODES)),
];
