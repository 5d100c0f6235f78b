//! The manager proper: loaded units, their state machines, and the
//! executor that carries out what the machines decide.
//!
//! The engine ([`engine::service::Service`]) decides; this module acts.
//! Every input — a job request, a reaped child, a notify datagram, a timer
//! — becomes an engine event for one unit; the returned actions are run in
//! order, and actions that must be answered before anything else
//! (`Spawn` → `Spawned`, `ReadPidFile` → `PidFileRead`…) are answered at
//! once by feeding the answer back, through a work queue rather than
//! recursion so a long chain cannot grow the stack.
//!
//! Bookkeeping kept here, each indexed so no event scans all units:
//!
//! - `units` by id and `names` (aliases → id);
//! - `pids`: main/control pid → unit, for reaping and notify messages;
//! - `timers`: deadline-ordered, so the event loop sleeps exactly until
//!   the next one;
//! - `jobs`: job id → (unit, verb), finished jobs are handed to the event
//!   loop, which answers the waiting clients.
//!
//! Units other than services (targets, slices…) have no engine machine
//! yet: they are active once started and inactive once stopped.

mod actions;
mod bus_watch;
mod checks;
mod deadlines;
mod exec_dirs;
mod exec_hooks;
mod exec_plan;
mod exec_status;
mod file_state;
mod gc;
mod graph;
mod index;
mod invocation;
mod jobs;
mod messages;
mod params;
mod proc_tree;
mod processes;
pub mod props;
mod query;
mod sandbox;
mod show_all;
pub mod show_manager;
mod socket_exec;
mod socket_units;
mod spawn;
mod timer_units;
mod turn;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Instant;

use engine::service::{
    Action, ActiveState, Event, ExitStatus as EngineExit, JobKind, JobResult, KillTarget, LogLevel, Phase, Role,
    Service, ServiceState, TimerToken,
};
use proto::msg::JobVerb;
use unit::config::service::ServiceView;
use unit::config::{Loader, UnitConfig};
use unit::load::LoadState;
use unit::UnitName;

use super::cgroup::Cgroups;
use super::journal_link::JournalLink;
pub use actions::Ending;
pub use messages::STARTUP_FINISHED;
use exec_plan::SpawnContext;
pub use invocation::InvocationId;
pub(super) use invocation::invocation_id;

/// A job a client asked for and may be waiting on.
#[derive(Clone, Debug)]
pub struct FinishedJob {
    pub id: u32,
    pub unit: String,
    pub verb: JobVerb,
    pub result: &'static str,
}

pub struct Unit {
    pub cfg: UnitConfig,
    pub invocation_id: InvocationId,
    pub svc: Option<Service>,
    /// A socket's or a timer's runtime (`sockets/`, `timer_units.rs`):
    /// one boxed field for both, as most units are neither and a field
    /// each cost every unit 8 bytes more (`size_tests.rs`); read through
    /// [`Unit::sock`] and [`Unit::timer`].
    runtime: Option<Box<Runtime>>,
    /// For units without a state machine: started or not.
    pub passive_active: bool,
    pub job: Option<(u32, JobVerb)>,
    /// The unit has its control group (`Cgroups::create` made it). Its
    /// path is not kept: it is always the manager's base joined with the
    /// id ([`Manager::cgroup_of`]), and a path per unit was ~100 bytes.
    pub in_cgroup: bool,
    /// The engine asked for its automatic restart job: the stop half
    /// about to run (auto-restart → dead) keeps the cgroup for the start.
    pub restart_job: bool,
    pub stamps: props::Stamps,
    /// The last main process, kept after it exited (`ExecMainPID`).
    pub exec_main_pid: u32,
    /// PIDFile= watch, polled while set.
    pid_file_watch: bool,
    /// What each command did in this start cycle (`exec_status.rs`).
    pub runs: exec_status::Runs,
    /// What its file decides of its edges and job flags, from its
    /// indexing (`graph.rs`).
    own: Option<graph::Own>,
}

/// What a socket or timer unit has beyond its configuration. Boxed whole
/// in the unit: a timer's box is a socket's size (~0.7 kB), which the few
/// timers of a system afford; one more box per socket would cost more.
#[allow(clippy::large_enum_variant)]
pub enum Runtime {
    Socket(crate::daemon::sockets::SocketUnit),
    Timer(timer_units::TimerUnit),
}

impl Unit {
    pub fn sock(&self) -> Option<&crate::daemon::sockets::SocketUnit> {
        match self.runtime.as_deref() {
            Some(Runtime::Socket(s)) => Some(s),
            _ => None,
        }
    }

    pub fn sock_mut(&mut self) -> Option<&mut crate::daemon::sockets::SocketUnit> {
        match self.runtime.as_deref_mut() {
            Some(Runtime::Socket(s)) => Some(s),
            _ => None,
        }
    }

    pub fn timer(&self) -> Option<&timer_units::TimerUnit> {
        match self.runtime.as_deref() {
            Some(Runtime::Timer(t)) => Some(t),
            _ => None,
        }
    }

    pub fn timer_mut(&mut self) -> Option<&mut timer_units::TimerUnit> {
        match self.runtime.as_deref_mut() {
            Some(Runtime::Timer(t)) => Some(t),
            _ => None,
        }
    }

    pub fn active_state(&self) -> &'static str {
        match &self.svc {
            Some(s) => s.active_state().as_str(),
            None if self.sock().is_some() => self.sock().map_or("inactive", |s| s.state().active_state()),
            None if self.timer().is_some() => self.timer().map_or("inactive", |t| t.machine.state().active_state()),
            None if self.passive_active => "active",
            None => "inactive",
        }
    }

    pub fn sub_state(&self) -> &'static str {
        match &self.svc {
            Some(s) => s.state().as_str(),
            None if self.sock().is_some() => self.sock().map_or("dead", |s| s.state().as_str()),
            None if self.timer().is_some() => self.timer().map_or("dead", |t| t.machine.state().as_str()),
            None if self.passive_active => "active",
            None => "dead",
        }
    }
}

/// Timer owners: a unit's engine timer, or the manager's PID-file poll.
#[derive(Clone, Debug)]
enum TimerOwner {
    Engine(String, TimerToken),
    PidFilePoll(String),
    /// A socket unit's control command may run until then (`socket_exec`).
    SocketControl(String, u32),
    /// A timer unit's next elapse (`timer_units.rs`).
    TimerUnit(String),
}

pub struct Manager {
    pub loader: Loader,
    /// `UnitFileState`/`UnitFilePreset` answers and what they rest on.
    file_states: file_state::FileStates,
    /// Boxed: a `Unit` is large, and the table keeps ~2x its length in
    /// slots; inline, 1000 units cost 3.7 MB of mostly empty slots.
    units: index::UnitTable,
    /// Name → id, for the names that are not the id of a loaded unit
    /// (aliases, the names a user typed): a unit's own id is found in
    /// `units` ([`Manager::known_id`]). An entry per id was a second table
    /// the size of `units` and two strings per unit (1000 units: ~160 kB).
    names: graph::NameMap<String>,
    pids: index::PidTable,
    timers: BTreeMap<(u64, u64), TimerOwner>,
    /// Triggered unit → the timer units that start it (`timer_units.rs`).
    timer_triggers: std::collections::HashMap<String, Vec<String>>,
    /// When calendar timers were last held against the wall clock
    /// (`deadlines.rs`).
    wall_checked: u64,
    /// The local time zone calendar timers count in, read at the first
    /// timer event and again after the zone changes (`timer_units.rs`).
    local_zone: Option<unit::calendar::tz::TimeZone>,
    /// Where each unit's engine timers are in `timers`.
    engine_timers: index::EngineTimers,
    timer_seq: u64,
    cgroups: Cgroups,
    epoch: Instant,
    notify_socket: PathBuf,
    next_job: u32,
    /// Jobs that ended `failed` since the manager started (`NFailedJobs`;
    /// systemd counts that result only, not `dependency` or `timeout`).
    failed_jobs: u32,
    /// The instants of the manager's start-up (`show_manager.rs`).
    pub boot: show_manager::BootTimes,
    /// Pending and running transaction jobs, one per unit.
    jobs: graph::NameMap<jobs::Job>,
    edges: graph::Edges,
    /// `JobTimeoutSec=` deadlines of installed jobs.
    job_timers: engine::transaction::JobTimers,
    /// Jobs created while a multi-unit request is being queued.
    batch: Option<Vec<String>>,
    pub finished: Vec<FinishedJob>,
    pub environment: Vec<(String, String)>,
    /// How the manager is to end, once asked (`actions.rs`); taken by the
    /// event loop.
    pub ending: Option<Ending>,
    /// The exit status the manager leaves with, as `exit`/`exit-force`
    /// actions set it (systemd's "return value").
    pub return_value: u8,
    pub journal: JournalLink,
    /// Socket units' ports, triggers and held connections (`sockets/`).
    sockets: crate::daemon::sockets::Registry,
    /// Where `RuntimeDirectory=` and friends live for this manager's
    /// scope and root (fixed for its lifetime; not recomputed per spawn).
    dir_bases: exec_dirs::Bases,
    /// Where sandboxes' inaccessible nodes and `/dev` staging live.
    sandbox_base: sandbox::Base,
    /// `Type=dbus`: the bus connection and watched names (`bus_watch.rs`).
    bus: bus_watch::BusWatch,
    /// The highest syslog level written (`messages::max_level`).
    log_max: u8,
    /// Set by [`Manager::stop_all`]: the manager is going down, and no
    /// unit may start any more (socket activation, a `systemctl start`
    /// racing the shutdown), or the last stop would never come.
    pub(super) shutting_down: bool,
    /// Children forked whose exec report is not read yet (`spawn.rs`).
    execs: spawn::Execs,
    /// What a manager started after a crash of this one must clean up
    /// (`leftovers.rs`); removed at a clean exit.
    pub(in crate::daemon) recorder: Option<super::leftovers::Recorder>,
    /// Units to look at for unloading (`gc`).
    gc: gc::Gc,
    /// `Upholds=` work (`jobs.rs`).
    uphold: jobs::Uphold,
    /// Emptiness checks put off until the end of the turn (`turn.rs`).
    empty_checks: turn::EmptyChecks,
}

/// How often a watched `PIDFile=` is re-read while the service starts.
pub(super) const PID_FILE_POLL_USEC: u64 = 20_000;

impl Manager {
    pub fn new(loader: Loader, notify_socket: PathBuf, cgroups: Cgroups, journal: JournalLink) -> Manager {
        let dir_bases = exec_dirs::Bases::new(&loader.lookup);
        let sandbox_base = sandbox::Base::new(notify_socket.parent().unwrap_or(Path::new("/run/vigil")));
        Manager {
            dir_bases,
            sandbox_base,
            bus: bus_watch::BusWatch::new(),
            log_max: messages::max_level(&loader.lookup.root, loader.lookup.scope),
            loader,
            units: Default::default(),
            names: Default::default(),
            pids: index::PidTable::default(),
            engine_timers: index::EngineTimers::default(),
            timers: BTreeMap::new(),
            timer_triggers: Default::default(),
            wall_checked: 0,
            local_zone: None,
            timer_seq: 0,
            cgroups,
            epoch: Instant::now(),
            notify_socket,
            next_job: 1,
            failed_jobs: 0,
            boot: show_manager::BootTimes::default(),
            jobs: graph::NameMap::default(),
            edges: graph::Edges::default(),
            job_timers: engine::transaction::JobTimers::new(),
            batch: None,
            finished: Vec::new(),
            // systemctl show-environment: the block starts as PATH=.
            environment: vec![("PATH".into(), exec_plan::DEFAULT_PATH.into())],
            ending: None,
            return_value: 0,
            journal,
            sockets: crate::daemon::sockets::Registry::new(),
            shutting_down: false,
            execs: spawn::Execs::new(),
            recorder: None,
            gc: gc::Gc::default(),
            uphold: jobs::Uphold::default(),
            empty_checks: None,
            file_states: file_state::FileStates::default(),
        }
    }

    /// Monotonic microseconds since the manager started.
    pub fn now(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// The unit's id for a name the user typed (`nginx` → `nginx.service`),
    /// loading it on first use.
    pub fn unit_id(&mut self, name: &str) -> Result<String, String> {
        let mangled = unit::name::mangle(name).ok_or_else(|| format!("Invalid unit name \"{name}\""))?;
        if let Some(id) = self.known_id(&mangled).filter(|id| self.units.contains_key(id)).map(str::to_string) {
            // A unit that was not found is looked for again once the unit
            // directories changed (systemd 252 retries such loads too), so
            // a package that just installed its unit file can be started
            // without daemon-reload.
            let missing = self.units.get(&id).is_some_and(|u| u.cfg.load_state == LoadState::NotFound && u.job.is_none());
            if !(missing && self.loader.index_stale()) {
                return Ok(id);
            }
            self.loader.reindex();
            self.forget(&id);
        }
        let un = UnitName::parse(&mangled).map_err(|e| e.to_string())?;
        let mut cfg = self.loader.load(&un);
        let id = cfg.id.as_str().to_string();
        for d in &cfg.diagnostics {
            self.log(&id, LogLevel::Warning, &d.to_string());
        }
        for c in &cfg.checks {
            let level = if c.severity == unit::Severity::Error { LogLevel::Error } else { LogLevel::Warning };
            self.log(&id, level, &c.message);
        }
        for (d, span) in &cfg.unsupported {
            if d.security {
                self.log(&id, LogLevel::Warning, &format!("{span}: {}= is not applied by vigil yet", d.name));
            }
        }
        for n in cfg.names() {
            self.record_name(n.as_str(), &id);
        }
        self.record_name(&mangled, &id);
        let runtime = match self.socket_runtime(&mut cfg) {
            Some(s) => Some(Box::new(Runtime::Socket(s))),
            None => self.timer_runtime(&cfg).map(|t| Box::new(Runtime::Timer(t))),
        };
        let svc = (cfg.load_state == LoadState::Loaded && cfg.id.unit_type() == unit::UnitType::Service)
            .then(|| Service::new(params::service_params(&cfg)).with_debug_logs(messages::wanted(LogLevel::Debug, self.log_max)));
        let runs = if svc.is_some() { exec_status::Runs::for_service() } else { exec_status::Runs::default() };
        self.units.insert(
            &mut self.edges.names,
            &id,
            Box::new(Unit {
                cfg,
                invocation_id: InvocationId::default(),
                svc,
                runtime,
                passive_active: false,
                job: None,
                in_cgroup: false,
                restart_job: false,
                stamps: props::Stamps::loaded_now(),
                exec_main_pid: 0,
                pid_file_watch: false,
                runs,
                own: None,
            }),
        );
        self.index_edges(&id);
        Ok(id)
    }

    /// Drop a unit that has no processes and no job, so the next reference
    /// loads it afresh.
    fn forget(&mut self, id: &str) {
        self.unload(id);
    }

    /// `daemon-reload`: re-read the unit directories; units that are not
    /// running are reloaded on their next use, running ones get their new
    /// settings for what comes next (their processes are not touched).
    pub fn daemon_reload(&mut self) {
        self.loader.reindex();
        self.file_states.forget();
        let ids: Vec<String> = self.units.keys().map(str::to_string).collect();
        for id in ids {
            let idle = self.units.get(&id).is_some_and(|u| {
                u.job.is_none() && matches!(u.active_state(), "inactive" | "failed") && u.sock().is_none()
            });
            if idle {
                self.forget(&id);
            } else if let Ok(name) = UnitName::parse(&id) {
                let cfg = self.loader.load(&name);
                if let Some(u) = self.units.get_mut(&id) {
                    if let Some(svc) = u.svc.as_mut() {
                        svc.set_params(params::service_params(&cfg));
                    }
                    u.cfg = cfg;
                    u.stamps.loaded_ns = props::file_clock_ns();
                }
                self.bus_fix_params(&id);
                self.timer_reloaded(&id);
            }
        }
        self.edges = graph::Edges::default();
        self.units.reintern(&mut self.edges.names);
        self.gc.clear_references();
        let ids: Vec<String> = self.units.keys().map(str::to_string).collect();
        for id in ids {
            self.index_edges(&id);
        }
        self.console("Reloading finished.");
    }

    /// Give back the capacity the boot left unused: the edge lists grown
    /// by doubling, the job table sized for every unit at once. Called
    /// once the boot's jobs are done, before the heap is trimmed.
    ///
    /// A hash table never gives back its buckets as entries leave, so the
    /// tables the boot filled and emptied again (every unit's start
    /// timeout, each child's exec report, the collector's queue) keep
    /// room for every unit at once — 1000 units: ~150 kB for the timer
    /// index alone — unless shrunk here. Shrinking an empty table frees
    /// it; the next insert allocates again, so this only costs time if
    /// they fill up again, and then no more than they cost at boot.
    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    pub fn compact(&mut self) {
        self.edges.shrink();
        self.gc.shrink();
        if self.jobs.is_empty() {
            self.jobs = graph::NameMap::default();
        }
        self.engine_timers.shrink();
        self.execs.shrink();
        self.uphold.shrink();
        self.names.shrink_to_fit();
    }

    /// The control group of a unit that has one (see [`Unit::in_cgroup`]).
    pub fn cgroup_of(&self, id: &str) -> Option<PathBuf> {
        self.units.get(id).filter(|u| u.in_cgroup).and_then(|_| self.cgroups.path(id))
    }

    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.get(id)
    }

    pub fn units(&self) -> impl Iterator<Item = (&str, &Unit)> {
        self.units.iter()
    }

    /// Whether any unit is in the failed state (`is-system-running`).
    pub fn any_failed(&self) -> bool {
        self.units.values().any(|u| u.active_state() == "failed")
    }

    /// Log a line for a unit the way systemd words it ("x.service: …"),
    /// to the manager's console for now.
    pub fn log(&self, unit: &str, level: LogLevel, message: &str) {
        self.log_id(unit, level, message, messages::engine_message_id(message));
    }

    /// [`Manager::log`] with the `MESSAGE_ID=` given.
    pub(super) fn log_id(&self, unit: &str, level: LogLevel, message: &str, id: Option<&str>) {
        if !messages::wanted(level, self.log_max) {
            return;
        }
        self.journal.console(&[unit, ": ", message]);
        self.journal.send_parts(Some(unit), level.priority(), &[unit, ": ", message], id);
    }

    /// A status line about a unit ("Started web.service - Web."), on the console and in
    /// the journal with `UNIT=`.
    pub(super) fn say(&self, unit: &str, message: &str) {
        self.say_at(unit, 6, message, None);
    }

    /// [`Manager::say`] at a priority, with systemd's `MESSAGE_ID=`
    /// (`messages.rs`): job done messages have the level systemd gives
    /// their result (`job_done_messages[]`: failed and timed out `err`,
    /// dependency and assert `warning`, the rest `info` as 252 logs them).
    pub(super) fn say_at(&self, unit: &str, priority: u8, message: &str, id: Option<&str>) {
        self.journal.console(&[message]);
        self.journal.send_id(Some(unit), priority, message, id);
    }

    pub(super) fn console(&self, message: &str) {
        self.journal.console(&[message]);
        self.journal.send(None, 6, message);
    }

    /// Feed one event to a unit's machine and carry out the actions, and
    /// the actions those cause, until the machine is quiet.
    pub(super) fn feed(&mut self, id: &str, now: u64, event: Event) {
        let mut queue: VecDeque<Event> = VecDeque::from([event]);
        while let Some(ev) = queue.pop_front() {
            let actions = match self.units.get_mut(id).and_then(|u| u.svc.as_mut()) {
                Some(svc) => svc.handle(now, ev),
                None => return,
            };
            for a in actions {
                if let Some(answer) = self.act(id, now, a) {
                    queue.push_back(answer);
                }
            }
        }
    }

    /// Carry out one action; some are answered with an event at once.
    fn act(&mut self, id: &str, now: u64, action: Action) -> Option<Event> {
        match action {
            Action::Spawn { phase, index, role } => Some(self.spawn(id, phase, index, role)),
            // A group's signals wait for the end of the turn (`turn.rs`).
            Action::Kill { target: KillTarget::Group, signal, cont, .. } => self.kill_group(id, signal, cont),
            Action::Kill { target, signal, cont, notice } => {
                self.kill(id, target, signal, cont, notice);
                None
            }
            Action::ArmTimer { token, at } => {
                self.timer_seq += 1;
                let key = (at, self.timer_seq);
                if let Some(old) = self.engine_timers.set(id, token.kind, key) {
                    self.timers.remove(&old);
                }
                self.timers.insert(key, TimerOwner::Engine(id.to_string(), token));
                None
            }
            Action::DisarmTimer { kind } => {
                if let Some(old) = self.engine_timers.take(id, kind, None) {
                    self.timers.remove(&old);
                }
                None
            }
            Action::ReadPidFile => Some(self.read_pid_file(id)),
            Action::WatchPidFile => {
                if let Some(u) = self.units.get_mut(id) {
                    u.pid_file_watch = true;
                }
                self.timer_seq += 1;
                self.timers.insert((now + PID_FILE_POLL_USEC, self.timer_seq), TimerOwner::PidFilePoll(id.to_string()));
                Some(self.read_pid_file(id))
            }
            Action::UnwatchPidFile => {
                if let Some(u) = self.units.get_mut(id) {
                    u.pid_file_watch = false;
                }
                self.timers.retain(|_, o| !matches!(o, TimerOwner::PidFilePoll(u) if u == id));
                None
            }
            Action::RemovePidFile => {
                if let Some(p) = self.units.get(id).and_then(|u| ServiceView::new(&u.cfg).pid_file().map(PathBuf::from)) {
                    let _ = std::fs::remove_file(p);
                }
                None
            }
            Action::GuessMainPid => Some(Event::MainPidGuessed { pid: self.guess_main_pid(id) }),
            Action::SetMainPid(pid) => {
                self.pids.insert(pid, self.units.name(id));
                None
            }
            Action::Log { level, message } => {
                self.log(id, level, &message);
                None
            }
            Action::JobDone { job, result } => {
                self.job_done(id, job, result);
                None
            }
            Action::Transition { from, to, auto_restart } => {
                self.transition(id, from, to, auto_restart);
                None
            }
            // No dependencies to propagate to yet: restart this unit.
            Action::RequestRestartJob => {
                if let Some(u) = self.units.get_mut(id) {
                    u.restart_job = true;
                }
                Some(Event::Restart)
            }
            Action::StartLimitAction(a) => {
                self.emergency_action(id, a, None, true, &format!("unit {id} failed"));
                None
            }
        }
    }

    fn transition(&mut self, id: &str, from: ServiceState, to: ServiceState, auto_restart: bool) {
        // Only the first transition after the request is the restart job's.
        let restart_job = self.units.get_mut(id).is_some_and(|u| std::mem::take(&mut u.restart_job));
        if let Some(u) = self.units.get_mut(id) {
            let idle = u.svc.as_ref().is_some_and(|s| s.params().service_type == engine::service::ServiceType::Idle);
            u.stamps.record(from.active_state(idle).as_str(), to.active_state(idle).as_str());
        }
        self.gc.queue(id);
        self.socket_service_changed(id, Some(to));
        self.timer_trigger_changed(id);
        self.exec_transition(id, from, to, auto_restart);
        self.unit_actions(id, from, to, auto_restart);
        let Some(u) = self.units.get(id) else { return };
        let desc = messages::status_ident(&u.cfg);
        let was_active = matches!(from, ServiceState::Running | ServiceState::Exited | ServiceState::Reload);
        let starting = matches!(from, ServiceState::Dead | ServiceState::Failed | ServiceState::AutoRestart);
        match to {
            ServiceState::Condition | ServiceState::StartPre | ServiceState::Start if starting => {
                self.say_at(id, 6, &format!("Starting {desc}..."), Some(messages::UNIT_STARTING));
            }
            ServiceState::Running | ServiceState::Exited if !was_active => {
                let oneshot = u.svc.as_ref().is_some_and(|s| s.params().service_type == engine::service::ServiceType::Oneshot);
                self.say_at(id, 6, &messages::start_done(&desc, oneshot), Some(messages::UNIT_STARTED));
            }
            // systemd announces a stop when a stop (or restart) job runs,
            // not when a main process exits on its own.
            ServiceState::Stop | ServiceState::StopSigterm
                if was_active && matches!(u.job, Some((_, JobVerb::Stop | JobVerb::Restart | JobVerb::TryRestart))) =>
            {
                self.say_at(id, 6, &format!("Stopping {desc}..."), Some(messages::UNIT_STOPPING));
            }
            // A oneshot's start job ends when its command has run (and its
            // leftovers are killed): the job that began this cycle is done,
            // "Finished X." (systemd's `service_finished_job()`).
            ServiceState::Dead
                if u.job.is_some_and(|(j, _)| u.runs.started_by.is_some_and(|s| s.get() == j))
                    && u.svc.as_ref().is_some_and(|s| s.params().service_type == engine::service::ServiceType::Oneshot) =>
            {
                self.say_at(id, 6, &messages::start_done(&desc, true), Some(messages::UNIT_STARTED));
                self.release(id, auto_restart);
            }
            // "Stopped X." closes a stop job; a service ending on its own
            // has said "Deactivated successfully." (messages.rs).
            ServiceState::Dead if !starting => {
                if matches!(u.job, Some((_, verb)) if verb != JobVerb::Start) || self.shutting_down {
                    self.say_at(id, 6, &format!("Stopped {desc}."), Some(messages::UNIT_STOPPED));
                }
                self.release(id, auto_restart);
            }
            // Stopped while waiting to restart: the group kept for the
            // restart goes now — unless this is the restart job's own
            // stop half, whose start follows at once. Either job is done:
            // "Stopped X." (systemd 252 says it between "Scheduled restart
            // job…" and the next "Started").
            ServiceState::Dead if from == ServiceState::AutoRestart => {
                if restart_job || u.job.is_some() || self.shutting_down {
                    self.say_at(id, 6, &format!("Stopped {desc}."), Some(messages::UNIT_STOPPED));
                }
                self.release(id, restart_job)
            }
            ServiceState::Failed => {
                // "Failed to start" is said when a start job fails, not when a
                // running service dies. Failing straight from dead is a start
                // refused (the start limit), the automatic restart's too.
                let start_job = matches!(u.job, Some((_, JobVerb::Start | JobVerb::Restart | JobVerb::ReloadOrRestart)));
                if start_job || from == ServiceState::Dead {
                    self.say_at(id, 3, &format!("Failed to start {desc}."), Some(messages::UNIT_FAILED));
                }
                self.release(id, auto_restart);
            }
            _ => {}
        }
        self.unit_state_changed(id, from, to, auto_restart);
    }

    /// The unit is down: forget its pids and remove its empty cgroup —
    /// unless it restarts on its own, which reuses the group (no rmdir,
    /// mkdir and inotify watch per restart).
    /// A group that still holds processes stays (the kernel refuses its
    /// removal, `EBUSY`); its removal is tried again at unload.
    /// While the manager goes down every group stays until its exit
    /// ([`Cgroups::cleanup`]): a stop-all's 1000 `rmdir`s (the kernel's
    /// `cgroup_rmdir` was a fifth of the manager's time in the stop phase)
    /// then no longer compete for the CPUs with the services still dying.
    fn release(&mut self, id: &str, restarting: bool) {
        self.pids.remove_unit(id);
        if !restarting && !self.shutting_down && self.cgroups.remove(id) {
            if let Some(u) = self.units.get_mut(id) {
                u.in_cgroup = false;
            }
        }
    }

    fn job_done(&mut self, id: &str, kind: JobKind, result: JobResult) {
        // The machine's answer to a job that a newer one replaced (its
        // start canceled by a stop…) is not the newer job's result.
        if self.jobs.get(id).is_some_and(|j| !j.answered_by(kind)) {
            return;
        }
        let Some(u) = self.units.get_mut(id) else { return };
        let Some((job_id, verb)) = u.job.take() else { return };
        self.gc.queue(id);
        if self.jobs.get(id).is_some_and(|j| j.id == job_id) {
            self.complete(id, result.as_str());
        } else {
            self.finished.push(FinishedJob { id: job_id, unit: id.to_string(), verb, result: result.as_str() });
        }
        self.socket_service_changed(id, None);
    }

    fn spawn(&mut self, id: &str, phase: Phase, index: usize, role: Role) -> Event {
        // Signals put off for this group go out before anything new is in it.
        self.group_kills_now(id);
        let Some(u) = self.units.get(id) else {
            return Event::SpawnFailed { role, error: "unit vanished".into() };
        };
        let view = ServiceView::new(&u.cfg);
        let cmds = view.exec(phase.directive());
        let Some(cmd) = cmds.get(index).copied() else {
            return Event::SpawnFailed { role, error: format!("{} command {index} does not exist", phase.directive()) };
        };
        let cgroup = if u.in_cgroup { self.cgroups.path(id) } else { self.cgroups.create(id) };
        let svc = u.svc.as_ref();
        let main_pid = svc.and_then(|s| s.main_pid());
        let exit_info = matches!(phase, Phase::Stop | Phase::StopPost).then(|| {
            let result = svc.map(|s| s.result().as_str().to_string()).unwrap_or_default();
            let (code, status) = match svc.and_then(|s| s.main_exit()) {
                Some(EngineExit::Exited(c)) => ("exited".to_string(), c.to_string()),
                Some(EngineExit::Killed { signal, core_dumped }) => (
                    if core_dumped { "dumped" } else { "killed" }.to_string(),
                    unit::value::signal::name_of(signal).trim_start_matches("SIG").to_string(),
                ),
                None => (String::new(), String::new()),
            };
            (result, code, status)
        });
        let notify = (view.notify_access() != "none").then_some(self.notify_socket.as_path());
        // The journal stream is ours until the child has its copy.
        let stream = if exec_plan::wants_journal(&u.cfg) {
            let (ident, prio, prefix) = exec_plan::journal_identity(&u.cfg, cmd);
            self.journal.stream(&ident, id, &u.invocation_id, prio, prefix)
        } else {
            None
        };
        let activation = self.socket_activation(id, phase);
        let ctx = SpawnContext {
            journal: stream.as_ref().map(std::os::fd::AsRawFd::as_raw_fd),
            invocation_id: &u.invocation_id,
            notify_socket: notify,
            main_pid: if role == Role::Control { main_pid } else { None },
            watchdog_usec: svc.and_then(|s| s.watchdog_usec()),
            exit_info,
            cgroup: cgroup.clone(),
            manager_env: &self.environment,
            activation: &activation,
            dirs: &self.dir_bases,
            sandbox: &self.sandbox_base,
        };
        let mut plan = match exec_plan::build(&u.cfg, cmd, &ctx) {
            Ok(p) => p,
            Err(e) => {
                self.log(id, LogLevel::Error, &e.0);
                return Event::SpawnFailed { role, error: e.0 };
            }
        };
        if let Some(u) = self.units.get_mut(id) {
            u.in_cgroup = cgroup.is_some();
        }
        // Open until the spawn below has returned.
        let group_dir = self.cgroups.open_dir_for(&mut plan, id);
        let prepared = match plan.prepare() {
            Ok(p) => p,
            Err(e) => {
                let msg = format!("Failed to set up process: {e}");
                self.log(id, LogLevel::Error, &msg);
                return Event::SpawnFailed { role, error: msg };
            }
        };
        // What the manager said before this fork: sent first outside a
        // turn, at the turn's end within one (`journal_link.rs`).
        self.journal.before_fork();
        // Not waiting for exec: a failing step is reported later and the
        // child's exit status (203/EXEC…) fails the unit (spawn.rs). Only
        // a `Type=exec` main process needs to be told of its exec at once.
        let watched = self.exec_watched(id, role);
        let spawned = exec::spawn_async(prepared, watched);
        drop(group_dir);
        // The child is in the group now: watched from here (`cgroup.rs`).
        self.cgroups.watch(self.units.name(id));
        match spawned {
            Ok(spawning) => {
                self.exec_run_started(id, phase, index, spawning.pid());
                let ev = self.spawn_started(id, role, spawning, watched);
                self.connection_spawned(id, phase, index);
                ev
            }
            Err(e) => Event::SpawnFailed { role, error: e.to_string() },
        }
    }

    /// True when no job is queued or running.
    pub fn no_jobs(&self) -> bool {
        self.jobs.is_empty()
    }

    /// True when no unit has processes or pending work.
    pub fn all_down(&self) -> bool {
        self.jobs.is_empty()
            && self.units.values().all(|u| {
                u.svc.as_ref().is_none_or(|s| matches!(s.active_state(), ActiveState::Inactive | ActiveState::Failed))
            })
    }

    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    pub fn cleanup(&mut self) {
        self.cgroups.cleanup();
        if let Some(r) = self.recorder.take() {
            r.finish();
        }
    }
}

/// `Description=` or the unit name.
pub fn describe(cfg: &UnitConfig) -> String {
    cfg.string(unit::directive::SectionKind::Unit, "Description").map(str::to_string).unwrap_or_else(|| cfg.id.to_string())
}

#[cfg(test)]
mod size_tests;
