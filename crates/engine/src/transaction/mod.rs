//! Transactions: what `systemctl start x` (or stop, restart, isolate…)
//! turns into — the set of jobs systemd would queue, computed without
//! touching anything.
//!
//! The daemon describes its unit graph through [`Graph`] (names,
//! dependency edges in both directions, active states, the installed
//! jobs, per-unit flags) and asks [`build`] for a [`Request`]. The answer
//! is a [`Plan`] — one merged job per affected unit, each saying whether
//! it replaces an installed job — or a [`TxError`] worded as systemd's
//! bus errors, plus the [`LogLine`]s systemd would write to the journal
//! on the way (ordering cycles above all).
//!
//! # How a transaction is built (`systemd.unit(5)`, `systemctl(1)`)
//!
//! 1. **Pull in.** The anchor job is added, then recursively: a start (or
//!    restart) starts what the unit `Requires=`/`BindsTo=` (these
//!    *matter*: failing to add them fails the request), `Wants=`/`Upholds=`
//!    (best effort), adds verify-active jobs for `Requisite=`, and stops
//!    what it `Conflicts=` (mattering) or is `ConflictedBy=` (best effort).
//!    A stop stops what requires, requisites, is bound to or part of the
//!    unit (`RequiredBy`, `RequisiteOf`, `BoundBy`, `ConsistsOf`,
//!    `PropagatesStopTo=`); a restart try-restarts those instead. A reload
//!    try-reloads `PropagatesReloadTo=` targets (and the inverse of
//!    `ReloadPropagatedFrom=`). Each pulled job remembers who pulled it
//!    and whether that link matters. Mode `ignore-requirements` and
//!    `ignore-dependencies` pull in nothing; the latter also ignores
//!    ordering. Mode `isolate` then adds stop jobs for every other unit
//!    that is up, except `IgnoreOnIsolate=yes` ones.
//! 2. **Matters.** Jobs reachable from the anchor through mattering links
//!    matter; the others may be sacrificed.
//! 3. **Mode `fail`** drops non-mattering jobs that would stop a running
//!    unit or contradict an installed job.
//! 4. **Redundant** jobs (start of an active unit…) are dropped, except
//!    the anchor, and jobs no longer pulled in by anybody are
//!    garbage-collected (not in isolate mode).
//! 5. **Ordering cycles** ([`cycle`]) are searched among the jobs along
//!    the direction jobs will actually run (stops first and reversed); a
//!    cycle is broken by deleting a non-mattering job on it, with
//!    systemd's three journal lines, or the request fails with
//!    "Transaction order is cyclic. See system logs for details."
//! 6. **Merge.** Several jobs for one unit merge ([`JobType::merge`]); if
//!    two cannot, a non-mattering one is deleted (a start rather than a
//!    stop pulled in by `ConflictedBy=`…), else the request fails.
//! 7. **Destructive?** In mode `fail`, and against an irreversible
//!    installed job in any mode, a job contradicting an installed one
//!    fails the request.
//!
//! Runtime rules live here too, as pure functions the daemon calls when
//! something changes: [`unneeded`] (`StopWhenUnneeded=`),
//! [`triggered_requests`] (`OnFailure=`/`OnSuccess=`), [`upheld_by_active`]
//! (`Upholds=`, with its [`AutoStartLimit`]) and [`JobTimers`]
//! (`JobTimeoutSec=`) on the caller's clock.

mod build;
pub mod cycle;
mod jobtype;
mod timers;
mod uphold;

#[cfg(test)]
pub(crate) mod tests;

pub use build::build;
pub use jobtype::{runs_before, JobType};
pub use timers::JobTimers;
pub use uphold::{upheld_by_active, AutoStartLimit};

use std::rc::Rc;

use crate::service::ActiveState;
pub use crate::name::Name;

/// Dependency kinds as the graph reports them, both directions: a unit
/// with `Requires=b` lists `(Requires, b)` and `b` lists
/// `(RequiredBy, a)`; `Before=`/`After=` likewise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dep {
    Requires,
    Requisite,
    Wants,
    BindsTo,
    PartOf,
    Upholds,
    Conflicts,
    ConflictedBy,
    Before,
    After,
    OnFailure,
    OnSuccess,
    PropagatesReloadTo,
    ReloadPropagatedFrom,
    PropagatesStopTo,
    StopPropagatedFrom,
    RequiredBy,
    RequisiteOf,
    WantedBy,
    BoundBy,
    ConsistsOf,
    UpheldBy,
    Triggers,
    TriggeredBy,
}

/// A unit's load state (`systemctl show -p LoadState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    Loaded,
    NotFound,
    Masked,
    BadSetting,
    Error,
}

/// `--job-mode=` (`systemctl(1)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    Fail,
    #[default]
    Replace,
    ReplaceIrreversibly,
    Isolate,
    Flush,
    IgnoreDependencies,
    IgnoreRequirements,
    Triggering,
}

/// What the engine needs to know about one unit.
#[derive(Clone, Debug)]
pub struct UnitInfo {
    pub id: String,
    pub load: Load,
    pub active: ActiveState,
    /// Every edge, both directions (see [`Dep`]), by the names written.
    /// Shared: the transaction keeps a unit's edges while it adds jobs
    /// for them, and a copy of every name per added unit was a tenth of
    /// an Accept=yes connection's instructions in the manager. The names
    /// are the daemon's interned ones ([`Name`]), so a unit's list is one
    /// block, not one more per edge.
    pub deps: Rc<Vec<(Dep, Name)>>,
    pub refuse_manual_start: bool,
    pub refuse_manual_stop: bool,
    pub allow_isolate: bool,
    pub ignore_on_isolate: bool,
    pub stop_when_unneeded: bool,
    /// The unit type knows how to reload (a service with `ExecReload=`).
    pub can_reload: bool,
    /// `JobTimeoutSec=`, none for infinity.
    pub job_timeout_usec: Option<u64>,
    /// `OnFailureJobMode=`.
    pub on_failure_mode: Mode,
}

impl UnitInfo {
    /// A loaded, inactive unit with no edges (tests and defaults).
    pub fn new(id: &str) -> UnitInfo {
        UnitInfo {
            id: id.to_string(),
            load: Load::Loaded,
            active: ActiveState::Inactive,
            deps: Rc::default(),
            refuse_manual_start: false,
            refuse_manual_stop: false,
            allow_isolate: false,
            ignore_on_isolate: false,
            stop_when_unneeded: false,
            can_reload: false,
            job_timeout_usec: None,
            on_failure_mode: Mode::Replace,
        }
    }

    pub fn deps_of<'a>(&'a self, kinds: &'a [Dep]) -> impl Iterator<Item = &'a str> + 'a {
        self.deps.iter().filter(move |(k, _)| kinds.contains(k)).map(|(_, n)| &**n)
    }
}

/// A job already installed in the manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstalledJob {
    pub ty: JobType,
    pub running: bool,
    pub irreversible: bool,
}

/// The daemon's unit graph, read-only but for loading units on demand.
pub trait Graph {
    /// The unit known under `name`, loaded if needed. `Err` carries the
    /// message for a name that is not a valid unit name.
    fn unit(&mut self, name: &str) -> Result<UnitInfo, String>;
    /// The id of an already loaded unit known under `name`, without
    /// loading anything.
    fn resolve(&self, name: &str) -> Option<String>;
    /// The job installed for unit `id`, if any.
    fn installed_job(&self, id: &str) -> Option<InstalledJob>;
    /// The ids of all loaded units (isolate).
    fn loaded_units(&self) -> Vec<String>;
    /// How many answers of [`Graph::unit`] so far may have loaded a unit
    /// (and so added edges to units answered before). `None`: the graph
    /// cannot tell, and the transaction reads every unit again before
    /// ordering; with a count it reads again only the units answered
    /// before the latest load.
    fn loads(&self) -> Option<u64> {
        None
    }
}

/// One request: a job type for a unit, in a mode.
#[derive(Clone, Debug)]
pub struct Request {
    pub ty: JobType,
    pub unit: String,
    pub mode: Mode,
    /// Asked for by a client (checked against `RefuseManualStart=`/`Stop=`).
    pub manual: bool,
}

/// A journal line the daemon should write for a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub unit: String,
    /// syslog priority (3 err, 4 warning, 6 info…).
    pub priority: u8,
    pub message: String,
}

/// A job of the plan, merged with the installed job of its unit if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedJob {
    pub unit: String,
    pub ty: JobType,
    /// The unit's installed job conflicts with this one and is canceled.
    pub replaces: bool,
    pub irreversible: bool,
    /// Mode `ignore-dependencies`: runs regardless of ordering.
    pub ignore_order: bool,
    pub timeout_usec: Option<u64>,
}

/// What to install.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub anchor: String,
    /// Anchor first, then the other jobs in the order they were pulled in.
    pub jobs: Vec<PlannedJob>,
    /// Installed jobs to cancel besides those replaced (isolate, flush).
    pub cancel: Vec<String>,
}

/// The answer to a request: a plan or systemd's error, and the journal
/// lines either way.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub result: Result<Plan, TxError>,
    pub log: Vec<LogLine>,
}

/// Why a request is refused, worded as systemd's bus errors (systemctl
/// prints "Failed to start x.service: <this>").
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("{0}")]
    InvalidName(String),
    #[error("Unit {0} not found.")]
    NotFound(String),
    #[error("Unit {0} is masked.")]
    Masked(String),
    #[error("Unit {0} has a bad unit file setting.")]
    BadSetting(String),
    #[error("Unit {0} failed to load properly, please adjust/correct and reload service manager.")]
    LoadFailed(String),
    #[error("Job type {ty} is not applicable for unit {unit}.")]
    NotApplicable { ty: JobType, unit: String },
    #[error("Operation refused, unit {0} may be requested by dependency only (it is configured to refuse manual start/stop).")]
    OnlyByDependency(String),
    #[error("Operation refused, unit may not be isolated.")]
    NoIsolation,
    #[error("Isolate is only valid for start.")]
    IsolateNotStart,
    #[error("--job-mode=triggering is only valid for stop.")]
    TriggeringNotStop,
    #[error("Transaction order is cyclic. See system logs for details.")]
    OrderIsCyclic,
    #[error("Transaction contains conflicting jobs '{a}' and '{b}' for {unit}. Probably contradicting requirement dependencies configured.")]
    JobsConflicting { a: JobType, b: JobType, unit: String },
    #[error("Transaction for {anchor}/{anchor_ty} is destructive ({unit} has '{queued}' job queued, but '{new}' is included in transaction).")]
    Destructive { anchor: String, anchor_ty: JobType, unit: String, queued: JobType, new: JobType },
}

/// The dependency kinds that keep a `StopWhenUnneeded=yes` unit up while
/// the unit on the other end is active or about to start.
const PINS: [Dep; 5] = [Dep::RequiredBy, Dep::RequisiteOf, Dep::WantedBy, Dep::BoundBy, Dep::UpheldBy];

/// `StopWhenUnneeded=` (`systemd.unit(5)`): is unit `id` up, without a
/// job, and no longer needed by any unit that is up or has a start job?
/// Then the daemon stops it ("Unit not needed anymore. Stopping.").
pub fn unneeded<G: Graph>(graph: &mut G, id: &str) -> bool {
    let Ok(info) = graph.unit(id) else { return false };
    if !info.stop_when_unneeded || graph.installed_job(&info.id).is_some() {
        return false;
    }
    if !matches!(info.active, ActiveState::Active | ActiveState::Reloading | ActiveState::Activating) {
        return false;
    }
    for name in info.deps_of(&PINS) {
        let Some(other) = graph.resolve(name) else { continue };
        let Ok(o) = graph.unit(&other) else { continue };
        let up = matches!(o.active, ActiveState::Active | ActiveState::Reloading | ActiveState::Activating);
        let starting = graph.installed_job(&other).is_some_and(|j| !j.ty.is_stop_like() && j.ty != JobType::Nop);
        if up || starting {
            return false;
        }
    }
    true
}

/// `OnFailure=`/`OnSuccess=` (`systemd.unit(5)`): the start requests a
/// unit triggers on entering the failed state (`failed` true) or on
/// going inactive after success, in `OnFailureJobMode=`.
pub fn triggered_requests(info: &UnitInfo, failed: bool) -> Vec<Request> {
    let kind = if failed { Dep::OnFailure } else { Dep::OnSuccess };
    info.deps_of(&[kind])
        .map(|n| Request { ty: JobType::Start, unit: n.to_string(), mode: info.on_failure_mode, manual: false })
        .collect()
}
