//! The messages.
//!
//! A connection is a conversation: the client sends `Hello`, then any
//! number of requests, each answered by one or more responses. Most requests
//! are answered by exactly one response; job requests that the client waits
//! for (`systemctl start` without `--no-block`) are answered by
//! `JobQueued` for each job and later `JobDone` for each, then `End`.
//! Following the journal (`journalctl -f`) streams `LogLine`s until the
//! client hangs up.
//!
//! Unit names travel as the user typed them; the manager mangles them
//! (`nginx` → `nginx.service`) as systemctl does, so every client gets the
//! same behaviour.
//!
//! Compatibility: adding an optional field (`#[serde(default)]`) or a new
//! variant is a minor change; anything else bumps [`PROTOCOL_VERSION`].

use serde::{Deserialize, Serialize};

/// Bumped on any incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// What a job does to a unit (`systemctl(1)`, "Unit Commands").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobVerb {
    Start,
    Stop,
    Restart,
    TryRestart,
    Reload,
    ReloadOrRestart,
    TryReloadOrRestart,
    VerifyActive,
    Isolate,
}

/// `--job-mode=` (`systemctl(1)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobMode {
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

/// `--kill-whom=`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KillWhom {
    Main,
    Control,
    #[default]
    All,
}

/// `halt`, `poweroff`, `reboot`, `exit` (the last with an exit code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShutdownKind {
    Halt,
    Poweroff,
    Reboot,
    Exit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Request {
    /// Must be the first message on a connection.
    Hello { version: u32, client: String },
    Ping,
    /// Queue jobs; with `wait`, stream their results before `End`.
    Job { verb: JobVerb, units: Vec<String>, mode: JobMode, wait: bool },
    Kill { units: Vec<String>, whom: KillWhom, signal: i32 },
    ResetFailed { units: Vec<String> },
    /// Properties of units, by systemd's property names. Empty `properties`
    /// means all (non-empty ones unless `all`).
    Show { units: Vec<String>, properties: Vec<String>, all: bool },
    ListUnits {
        patterns: Vec<String>,
        types: Vec<String>,
        states: Vec<String>,
        all: bool,
    },
    ListJobs,
    DaemonReload,
    ShowEnvironment,
    SetEnvironment { assignments: Vec<String> },
    UnsetEnvironment { names: Vec<String> },
    IsSystemRunning,
    Shutdown { kind: ShutdownKind, code: u8 },
    /// `list-sockets`: the listening addresses of socket units (with
    /// `all`, also of units that are not listening).
    ListSockets { all: bool },
    /// The direct dependencies of one unit in one direction, as
    /// `list-dependencies` walks them (the client recurses).
    Dependencies { unit: String, direction: DepDirection },
}

/// Which edges `list-dependencies` follows (`--reverse`, `--after`,
/// `--before`; `systemctl(1)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DepDirection {
    /// Requires=, Requisite=, Wants=, BindsTo=, ConsistsOf=.
    #[default]
    Forward,
    /// RequiredBy=, RequisiteOf=, WantedBy=, PartOf=, BoundBy=.
    Reverse,
    After,
    Before,
}

/// One row of `list-sockets`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocketRow {
    pub listen: String,
    /// `Stream`, `Datagram`, `FIFO`… (`--show-types`).
    pub kind: String,
    pub unit: String,
    pub activates: Vec<String>,
}

/// A unit with its states (for the tree's dots and `--state=`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitState {
    pub name: String,
    pub active: String,
    #[serde(default)]
    pub load: String,
    #[serde(default)]
    pub sub: String,
}

/// Why a request failed. The CLI maps these onto systemctl's exit codes
/// and messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    AccessDenied,
    NoSuchUnit,
    UnitMasked,
    InvalidRequest,
    /// The transaction cannot be built (ordering cycle that cannot be
    /// broken, conflicting jobs in `fail` mode, missing requirement…).
    Transaction,
    /// The unit refuses the operation (`RefuseManualStart=`, no
    /// `ExecReload=`…).
    Refused,
    Version,
    Internal,
}

/// One row of `list-units`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRow {
    pub name: String,
    pub load: String,
    pub active: String,
    pub sub: String,
    pub description: String,
    /// The job pending on the unit, if any (`start`, `stop`…).
    #[serde(default)]
    pub job: Option<String>,
}

/// One row of `list-jobs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRow {
    pub id: u32,
    pub unit: String,
    pub verb: String,
    pub state: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Response {
    Hello { version: u32, server: String, pid: u32 },
    Pong,
    /// The request succeeded and has nothing else to say.
    Ok,
    Error { kind: ErrorKind, message: String },
    JobQueued { id: u32, unit: String, verb: JobVerb },
    /// `result` is systemd's job result word: done, canceled, timeout,
    /// failed, dependency, skipped, invalid, assert, unsupported, collected,
    /// once.
    JobDone { id: u32, unit: String, verb: JobVerb, result: String },
    /// Properties of one unit in the order the client asked for them (or
    /// the manager's order for "all").
    Properties { unit: String, properties: Vec<(String, String)> },
    Units { units: Vec<UnitRow> },
    Jobs { jobs: Vec<JobRow> },
    Environment { assignments: Vec<String> },
    /// `is-system-running`: initializing, starting, running, degraded,
    /// maintenance, stopping, offline, unknown.
    SystemState { state: String },
    Sockets { sockets: Vec<SocketRow> },
    /// The direct dependencies of `unit`, unsorted.
    Dependencies { unit: String, deps: Vec<UnitState> },
    /// End of a multi-message answer.
    End,
}
