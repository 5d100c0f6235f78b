//! Jobs: turning a request into a transaction and running its jobs
//! (`systemd.unit(5)`, "[Unit] Section Options"; `systemctl(1)`,
//! "--job-mode=").
//!
//! The engine ([`engine::transaction::build`]) decides which jobs a
//! request needs — what it pulls in, merging, job modes, ordering cycles
//! — over [`super::graph::View`]. This module installs the plan (replacing
//! or merging into the jobs already installed, one per unit) and runs the
//! jobs as ordering allows.
//!
//! **Ordering** (`After=`/`Before=`): a job waits while a unit ordered
//! against it has a job that must run first ([`runs_before`]: starts in
//! the written order, stops first and in reverse). Units without ordering
//! between them run in parallel. A finished job wakes only the jobs of
//! its ordering neighbours, so a boot of N units costs time proportional
//! to its edges, not N².
//!
//! A start (or verify-active) job that does not end `done` fails the
//! waiting start jobs of the units that require, requisite or are bound
//! to its unit with result `dependency` ("Dependency failed for …"). A
//! unit that fails triggers its `OnFailure=` units, one that finishes
//! cleanly its `OnSuccess=` units; a unit going down stops the units
//! `BindsTo=` it, and lets `StopWhenUnneeded=yes` units it pulled in go.
//! `JobTimeoutSec=` finishes a job with result `timeout`, and so does
//! `JobRunningTimeoutSec=` counted from when the job runs; then
//! `JobTimeoutAction=` takes the manager down if it says so. A job that
//! ends `timeout` or `dependency` is a failed job as systemd's
//! `job_finish_and_invalidate()` has it: "Job x/start failed with result
//! '…'." and the unit's `OnFailure=` units start, though the unit itself
//! did not fail. Conditions and asserts are tested when a start job runs
//! (`checks.rs`): unmet conditions skip the unit (`done`), unmet asserts
//! fail the job (`assert`).
//!
//! A verify-active job (`Requisite=`) on an activating unit waits for its
//! outcome: it is tried again at each state change of the unit, `done`
//! once active, `skipped` (failing the requisite's dependents) once down.
//!
//! `Upholds=`: a unit that changes state, and what it upholds, is queued;
//! once the events of a loop turn are handled, [`Manager::dispatch_upheld`]
//! starts those that are down while an upholding unit is up.

use engine::service::{Event, JobKind, LogLevel, ServiceState};
use engine::transaction::{self as tx, runs_before, Dep, JobType, Mode, Request};
use proto::msg::{JobMode, JobVerb};
use proto::ErrorKind;
use unit::load::LoadState;

use super::checks::Gate;
use super::messages;
use super::graph::View;
use super::{FinishedJob, Manager};

/// A job of the current transactions, one per unit.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: u32,
    /// What the client asked for (reported back in `JobDone`).
    pub verb: JobVerb,
    pub ty: JobType,
    /// Handed to the unit (service machine fed, or passive unit switched).
    pub running: bool,
    pub irreversible: bool,
    pub ignore_order: bool,
    /// The unit whose job last held this one back (and whether it is
    /// ordered before this one): checked first at the next wake-up, so a
    /// job waiting for many (a target after every service) is not
    /// rescanned against all of them each time one finishes.
    pub blocker: Option<(String, bool)>,
}

impl Job {
    pub fn new(id: u32, verb: JobVerb, ty: JobType) -> Job {
        Job { id, verb, ty, running: false, irreversible: false, ignore_order: false, blocker: None }
    }

    /// Is a service machine's `JobDone` of `kind` the answer to this job
    /// (fed as the event of the same kind in `try_run`)?
    pub fn answered_by(&self, kind: JobKind) -> bool {
        matches!(
            (self.ty, kind),
            (JobType::Start, JobKind::Start)
                | (JobType::Stop, JobKind::Stop)
                | (JobType::Restart, JobKind::Restart)
                | (JobType::Reload, JobKind::Reload)
        )
    }
}

/// Units to look at for `Upholds=` ([`Manager::dispatch_upheld`]), and
/// each upheld unit's automatic-start rate limit.
#[derive(Default)]
pub struct Uphold {
    queue: std::collections::VecDeque<String>,
    queued: engine::name_hash::NameSet,
    limits: super::graph::NameMap<tx::AutoStartLimit>,
}

impl Uphold {
    /// Give back the room of the queue the boot filled (after boot).
    pub(super) fn shrink(&mut self) {
        self.queue.shrink_to_fit();
        self.queued.shrink_to_fit();
        self.limits.shrink_to_fit();
    }
}

/// The verb a pulled-in job is reported under.
fn verb_of(ty: JobType, anchor: JobVerb) -> JobVerb {
    match ty {
        JobType::Start => JobVerb::Start,
        JobType::Stop => JobVerb::Stop,
        JobType::Restart => JobVerb::Restart,
        JobType::Reload => JobVerb::Reload,
        JobType::VerifyActive => JobVerb::VerifyActive,
        _ => anchor,
    }
}

fn mode_of(m: JobMode) -> Mode {
    match m {
        JobMode::Fail => Mode::Fail,
        JobMode::Replace => Mode::Replace,
        JobMode::ReplaceIrreversibly => Mode::ReplaceIrreversibly,
        JobMode::Isolate => Mode::Isolate,
        JobMode::Flush => Mode::Flush,
        JobMode::IgnoreDependencies => Mode::IgnoreDependencies,
        JobMode::IgnoreRequirements => Mode::IgnoreRequirements,
        JobMode::Triggering => Mode::Triggering,
    }
}

fn error_kind(e: &tx::TxError) -> ErrorKind {
    use tx::TxError as E;
    match e {
        E::InvalidName(_) | E::IsolateNotStart | E::TriggeringNotStop | E::BadSetting(_) | E::LoadFailed(_) => {
            ErrorKind::InvalidRequest
        }
        E::NotFound(_) => ErrorKind::NoSuchUnit,
        E::Masked(_) => ErrorKind::UnitMasked,
        E::NotApplicable { .. } | E::OnlyByDependency(_) | E::NoIsolation => ErrorKind::Refused,
        E::OrderIsCyclic | E::JobsConflicting { .. } | E::Destructive { .. } => ErrorKind::Transaction,
    }
}

const START_FAILURE_TO: [Dep; 3] = [Dep::RequiredBy, Dep::RequisiteOf, Dep::BoundBy];

impl Manager {
    /// Queue a job in the default mode (`replace`); returns its id. The
    /// result arrives in `finished`.
    pub fn job(&mut self, name: &str, verb: JobVerb) -> Result<(u32, String), (ErrorKind, String)> {
        self.job_mode(name, verb, JobMode::Replace)
    }

    /// Queue a job as `systemctl VERB --job-mode=MODE NAME` does.
    pub fn job_mode(&mut self, name: &str, verb: JobVerb, mode: JobMode) -> Result<(u32, String), (ErrorKind, String)> {
        let id = self.unit_id(name).map_err(|e| (ErrorKind::InvalidRequest, e))?;
        if self.shutting_down && verb != JobVerb::Stop {
            // systemd refuses the same way once its shutdown transaction
            // is queued ("Transaction … is destructive").
            return Err((
                ErrorKind::Transaction,
                format!("Transaction for {id}/{verb:?} is destructive (the manager is shutting down)."),
            ));
        }
        let unit = self.units.get(&id).ok_or((ErrorKind::NoSuchUnit, format!("Unit {name} not found.")))?;
        match unit.cfg.load_state {
            // systemd's bus_unit_queue_job(): stopping a unit that did not
            // load and runs nothing is "not loaded" (systemctl exits 5).
            LoadState::NotFound | LoadState::BadSetting | LoadState::Error
                if verb == JobVerb::Stop && matches!(unit.active_state(), "inactive" | "failed") =>
            {
                return Err((ErrorKind::NoSuchUnit, format!("Unit {id} not loaded.")));
            }
            LoadState::NotFound | LoadState::BadSetting | LoadState::Error
                if matches!(verb, JobVerb::TryRestart | JobVerb::TryReloadOrRestart)
                    && matches!(unit.active_state(), "inactive" | "failed") =>
            {
                // Nothing loaded, nothing running: nothing to do.
                let job_id = self.next_job;
                self.next_job += 1;
                self.finished.push(FinishedJob { id: job_id, unit: id.clone(), verb, result: "done" });
                return Ok((job_id, id));
            }
            LoadState::BadSetting | LoadState::Error => {
                let message = super::props::load_error_pair(&unit.cfg).map(|(_, m)| m).unwrap_or_default();
                return Err((ErrorKind::InvalidRequest, message));
            }
            _ => {}
        }
        let can_reload = self.unit_info_can_reload(&id);
        let (ty, mode) = match verb {
            JobVerb::Start => (JobType::Start, mode_of(mode)),
            JobVerb::Isolate => (JobType::Start, Mode::Isolate),
            JobVerb::Stop => (JobType::Stop, mode_of(mode)),
            JobVerb::Restart => (JobType::Restart, mode_of(mode)),
            JobVerb::TryRestart => (JobType::TryRestart, mode_of(mode)),
            JobVerb::Reload => (JobType::Reload, mode_of(mode)),
            // systemctl(1): reload if the unit supports it, else restart.
            JobVerb::ReloadOrRestart if can_reload => (JobType::ReloadOrStart, mode_of(mode)),
            JobVerb::ReloadOrRestart => (JobType::Restart, mode_of(mode)),
            JobVerb::TryReloadOrRestart if can_reload => (JobType::TryReload, mode_of(mode)),
            JobVerb::TryReloadOrRestart => (JobType::TryRestart, mode_of(mode)),
            JobVerb::VerifyActive => (JobType::VerifyActive, mode_of(mode)),
        };
        self.request(Request { ty, unit: id.clone(), mode, manual: true }, verb).map(|j| (j, id))
    }

    fn unit_info_can_reload(&self, id: &str) -> bool {
        self.units.get(id).is_some_and(|u| {
            u.svc.is_some() && !unit::config::service::ServiceView::new(&u.cfg).exec("ExecReload").is_empty()
        })
    }

    /// Build the transaction for `req`, log what the engine says, install
    /// the plan. Returns the anchor job's id.
    pub(super) fn request(&mut self, req: Request, verb: JobVerb) -> Result<u32, (ErrorKind, String)> {
        let outcome = tx::build(&mut View(self, 0), &req);
        for line in &outcome.log {
            self.journal.console(&[&line.message]);
            self.journal.send(Some(&line.unit), line.priority, &line.message);
        }
        let plan = match outcome.result {
            Ok(p) => p,
            Err(e) => {
                let mut message = e.to_string();
                if e == tx::TxError::OrderIsCyclic {
                    // Name the cycle for the client too, after systemd's
                    // sentence, as the journal has it.
                    for l in outcome.log.iter().filter(|l| l.message.contains(": Found ")) {
                        message.push('\n');
                        message.push_str(&l.message);
                    }
                }
                return Err((error_kind(&e), message));
            }
        };
        for unit in &plan.cancel {
            self.cancel_job(unit);
        }
        let now = self.now();
        let mut anchor_job = 0;
        let (mut new_jobs, mut rerun) = (Vec::new(), Vec::new());
        for pj in plan.jobs {
            let is_anchor = pj.unit == plan.anchor;
            let job_verb = if is_anchor { verb } else { verb_of(pj.ty, verb) };
            if pj.replaces {
                self.cancel_job(&pj.unit);
            }
            let job_id = match self.jobs.get_mut(&pj.unit) {
                Some(j) => {
                    // Merged into the installed job. A running job whose
                    // type changed runs again as the merged type.
                    if j.ty != pj.ty {
                        j.ty = pj.ty;
                        if j.running {
                            j.running = false;
                            rerun.push(pj.unit.clone());
                        }
                    }
                    j.irreversible |= pj.irreversible;
                    j.id
                }
                None => {
                    let job_id = self.next_job;
                    self.next_job += 1;
                    let mut j = Job::new(job_id, job_verb, pj.ty);
                    j.irreversible = pj.irreversible;
                    j.ignore_order = pj.ignore_order;
                    self.jobs.insert(pj.unit.clone(), j);
                    if let Some(t) = pj.timeout_usec {
                        self.job_timers.arm(job_id, now, t);
                    }
                    new_jobs.push(pj.unit.clone());
                    job_id
                }
            };
            if is_anchor {
                anchor_job = job_id;
            }
        }
        self.spawn_burst(new_jobs.iter().filter(|u| u.ends_with(".service") && self.jobs.get(*u).is_some_and(|j| j.ty == JobType::Start)).count());
        // A merged job that runs again: the machine's answer to the job
        // it was running no longer counts.
        for id in &rerun {
            if let Some(u) = self.units.get_mut(id) {
                u.job = None;
            }
        }
        for id in new_jobs.into_iter().chain(rerun) {
            self.schedule(&id);
        }
        Ok(anchor_job)
    }

    /// Cancel the installed job of `unit` (replaced, isolate, flush).
    fn cancel_job(&mut self, unit: &str) {
        let Some(old) = self.jobs.remove(unit) else { return };
        self.job_timers.cancel(old.id);
        if let Some(u) = self.units.get_mut(unit) {
            u.job = None;
        }
        self.finished.push(FinishedJob { id: old.id, unit: unit.to_string(), verb: old.verb, result: "canceled" });
    }

    /// Does a unit ordered relative to `id` still have a job that must run
    /// before `job`? `Some(None)`: the one it remembers
    /// ([`Job::blocker`]) still does; `Some(Some(..))`: another one (the
    /// unit, and whether it is ordered before `id`).
    fn blocked(&self, id: &str, job: &Job) -> Option<Option<(String, bool)>> {
        if job.ignore_order || job.ty == JobType::Nop {
            return None;
        }
        // Runs for every job a finished job wakes: no allocation per edge.
        let first = |other: &str, other_before: bool| {
            let other = self.known_id(other).unwrap_or(other);
            other != id
                && self.jobs.get(other).is_some_and(|o| !o.ignore_order && runs_before(o.ty, job.ty, other_before))
        };
        if let Some((unit, before)) = &job.blocker {
            if first(unit, *before) {
                return Some(None);
            }
        }
        // From the end of each list: units named last were mostly queued
        // last and finish last, so the one found keeps blocking for most
        // of the wake-ups that follow.
        let names = self.names_of(id);
        for before in [true, false] {
            for n in names.clone().rev() {
                let found = if before {
                    self.edges.after_of(n).rev().find(|o| first(o, before))
                } else {
                    self.edges.before_of(n).rev().find(|o| first(o, before))
                };
                if let Some(o) = found {
                    return Some(Some((o.to_string(), before)));
                }
            }
        }
        None
    }

    /// Run a new job now, or once the current batch of requests is queued
    /// (`systemctl start a b` is one transaction: `b` ordered before `a`
    /// must hold `a` back even though `a` was named first).
    fn schedule(&mut self, id: &str) {
        match self.batch.as_mut() {
            Some(list) => list.push(id.to_string()),
            None => self.try_run(id),
        }
    }

    /// Queue several requests as one transaction: jobs created until
    /// [`Manager::end_batch`] run only then, in ordering order.
    pub fn begin_batch(&mut self) {
        self.batch.get_or_insert_with(Vec::new);
    }

    pub fn end_batch(&mut self) {
        for id in self.batch.take().unwrap_or_default() {
            self.try_run(&id);
        }
    }

    /// Hand a waiting job to its unit if ordering allows.
    pub(super) fn try_run(&mut self, id: &str) {
        let Some(job) = self.jobs.get(id) else { return };
        if job.running {
            return;
        }
        // Checked before the job is copied: a target waiting for many
        // units is woken (and found still blocked) once per unit.
        if let Some(found) = self.blocked(id, job) {
            if let (Some(b), Some(j)) = (found, self.jobs.get_mut(id)) {
                j.blocker = Some(b);
            }
            return;
        }
        let job = job.clone();
        if let Some(j) = self.jobs.get_mut(id) {
            j.running = true;
        }
        let state = self.units.get(id).map_or("inactive", |u| u.active_state());
        match job.ty {
            JobType::Nop => return self.complete(id, "done"),
            // systemd's job_perform_on_unit(): active → done; activating
            // → the job waits for the outcome (re-run on the unit's next
            // state change, `recheck_waiting`, which services report);
            // anything else → skipped, which fails the Requisite=
            // dependents ("dependency"). A socket's own start is short and
            // reports no state changes here: activating counts as up.
            JobType::VerifyActive => {
                let waits = self.units.get(id).is_some_and(|u| u.svc.is_some());
                return match state {
                    "active" | "reloading" => self.complete(id, "done"),
                    "activating" if !waits => self.complete(id, "done"),
                    "activating" => {
                        if let Some(j) = self.jobs.get_mut(id) {
                            j.running = false;
                        }
                    }
                    _ => self.complete(id, "skipped"),
                };
            }
            _ => {}
        }
        self.arm_running_timeout(id, job.id);
        // systemd.unit(5), "Conditions and Asserts": checked when the start
        // job runs. A failed condition skips the unit (the job is done and
        // units ordered after it proceed); a failed assert fails the job.
        let starting = matches!(job.ty, JobType::Start) || (job.ty == JobType::Restart && !matches!(state, "active" | "reloading"));
        if starting && !matches!(state, "active" | "reloading") {
            match self.check_conditions(id) {
                Gate::Open => {}
                Gate::Skipped(msg) => {
                    self.say_at(id, 6, &msg, Some(messages::UNIT_STARTED));
                    return self.complete(id, "done");
                }
                Gate::AssertFailed => {
                    // unit_start()'s notice, then the job's done message.
                    self.log(id, LogLevel::Notice, "Starting requested but asserts failed.");
                    let desc = self.units.get(id).map(|u| super::messages::status_ident(&u.cfg)).unwrap_or_default();
                    self.say_at(id, 4, &format!("Assertion failed for {desc}."), Some(messages::UNIT_FAILED));
                    return self.complete(id, "assert");
                }
            }
        }
        if self.units.get(id).is_some_and(|u| u.sock().is_some()) {
            match job.ty {
                JobType::Start => self.run_socket_job(id, JobVerb::Start),
                JobType::Stop => self.run_socket_job(id, JobVerb::Stop),
                // Restart (sockets cannot reload: the engine refuses).
                _ => {
                    let _ = self.socket_verb(job.id, id, JobVerb::Restart);
                }
            }
            return;
        }
        if self.units.get(id).is_some_and(|u| u.timer().is_some()) {
            return self.run_timer_job(id, job.ty);
        }
        let now = self.now();
        let Some(u) = self.units.get_mut(id) else { return };
        if u.svc.is_none() {
            // Targets, slices…: no processes; the job completes at once.
            let start = job.ty != JobType::Stop;
            let was = u.passive_active;
            u.passive_active = start;
            let state = |b: bool| if b { "active" } else { "inactive" };
            if was != start {
                u.stamps.record(state(was), state(start));
            }
            let desc = super::messages::status_ident(&u.cfg);
            if u.cfg.id.unit_type() == unit::UnitType::Target {
                if was && matches!(job.ty, JobType::Stop | JobType::Restart) {
                    self.say_at(id, 6, &format!("Stopped target {desc}."), Some(messages::UNIT_STOPPED));
                }
                if matches!(job.ty, JobType::Start | JobType::Restart) {
                    self.say_at(id, 6, &format!("Reached target {desc}."), Some(messages::UNIT_STARTED));
                    self.target_reached(id);
                }
            }
            self.complete(id, "done");
            if !start && was {
                self.unit_went_down(id, false);
            }
            if was != start {
                self.timer_trigger_changed(id);
            }
            self.uphold_queue(id);
            return;
        }
        if matches!(job.ty, JobType::Start | JobType::Restart) && !matches!(state, "active" | "reloading" | "activating") {
            u.invocation_id = super::invocation_id();
        }
        u.job = Some((job.id, job.verb));
        let ev = match job.ty {
            JobType::Stop => Event::Stop,
            JobType::Restart => Event::Restart,
            JobType::Reload => Event::Reload,
            _ => Event::Start,
        };
        if matches!(ev, Event::Start | Event::Restart) {
            self.dbus_before_start(id);
        }
        self.feed(id, now, ev);
    }

    /// Test the unit's conditions and asserts, recording what was found
    /// (`checks.rs`).
    fn check_conditions(&mut self, id: &str) -> Gate {
        let (root, scope) = (&self.loader.lookup.root, self.loader.lookup.scope);
        let Some(u) = self.units.get_mut(id) else { return Gate::Open };
        let env = || unit::condition::CheckEnv::current(root, scope);
        u.stamps.checks.test(&u.cfg, env, super::props::Instant2::now())
    }

    /// A transaction job ended (from the machine's `JobDone` or at once for
    /// passive units): record it, propagate failure, wake waiters.
    pub(super) fn complete(&mut self, id: &str, result: &'static str) {
        let Some(job) = self.jobs.remove(id) else { return };
        self.job_timers.cancel(job.id);
        self.gc.queue(id);
        // The unit no longer carries the job (a socket restart set it).
        if let Some(u) = self.units.get_mut(id) {
            if u.job.is_some_and(|(j, _)| j == job.id) {
                u.job = None;
            }
        }
        self.finished.push(FinishedJob { id: job.id, unit: id.to_string(), verb: job.verb, result });
        if result == "failed" {
            self.failed_jobs += 1;
        }
        // job_finish_and_invalidate(): a job that timed out or whose
        // dependency failed is logged as failed and triggers the unit's
        // OnFailure= (a failing unit does that itself; checked against
        // systemd 252's journal, both results, a start job).
        let failed_job = matches!(result, "timeout" | "dependency");
        if result == "timeout" {
            if let Some(done) = self.timed_out_message(id, job.ty) {
                self.say_at(id, 3, &done, Some(messages::UNIT_FAILED));
            }
        }
        if failed_job {
            self.log(id, LogLevel::Notice, &format!("Job {id}/{} failed with result '{result}'.", job.ty));
        }
        // A start refused by the start limit leaves a failed unit failed
        // (no state change): systemd still looks at it again for Upholds=.
        self.uphold_queue(id);
        if matches!(job.ty, JobType::Start | JobType::VerifyActive) && result != "done" {
            for dep in self.related(id, &START_FAILURE_TO) {
                let waiting = self.jobs.get(&dep).is_some_and(|j| {
                    matches!(j.ty, JobType::Start | JobType::VerifyActive | JobType::Restart) && !j.running
                });
                if waiting {
                    let desc = self.units.get(&dep).map(|u| super::messages::status_ident(&u.cfg)).unwrap_or_default();
                    self.say_at(&dep, 4, &format!("Dependency failed for {desc}."), Some(messages::UNIT_FAILED));
                    self.complete(&dep, "dependency");
                }
            }
        }
        // Wake the jobs ordered against this one: those after it always,
        // those before it when this was a stop (they stop after it).
        // The index's shared names (a count bumped, no copy); an alias is
        // resolved to its unit's id, copied only then.
        let mut wake: Vec<super::graph::Name> = Vec::new();
        for n in self.names_of(id) {
            wake.extend(self.edges.before_of(n).cloned());
            if job.ty.is_stop_like() {
                wake.extend(self.edges.after_of(n).cloned());
            }
        }
        for w in wake {
            match self.names.get(&*w).cloned() {
                Some(alias_of) => self.try_run(&alias_of),
                None => self.try_run(&w),
            }
        }
        if failed_job {
            self.trigger(id, true);
        }
    }

    /// The done message of a job that timed out (`job.c`'s
    /// `generic_finished_*_job[JOB_TIMEOUT]`): a restart job that has not
    /// yet become a start is still stopping; a verify-active job has none.
    fn timed_out_message(&self, id: &str, ty: JobType) -> Option<String> {
        let verb = match ty {
            JobType::Start => "starting",
            JobType::Stop | JobType::Restart => "stopping",
            JobType::Reload => "reloading",
            _ => return None,
        };
        let desc = self.units.get(id).map(|u| messages::status_ident(&u.cfg)).unwrap_or_else(|| id.to_string());
        Some(format!("Timed out {verb} {desc}."))
    }

    /// `JobTimeoutSec=` deadlines that passed: those jobs end `timeout`.
    pub(super) fn fire_job_timers(&mut self, now: u64) {
        for job_id in self.job_timers.expired(now) {
            let Some(unit) = self.jobs.iter().find(|(_, j)| j.id == job_id).map(|(u, _)| u.clone()) else { continue };
            let ty = self.jobs[&unit].ty;
            self.log(&unit, LogLevel::Warning, &format!("Job {unit}/{ty} timed out."));
            if let Some(u) = self.units.get_mut(&unit) {
                u.job = None;
            }
            self.complete(&unit, "timeout");
            let action = self.unit_setting(&unit, "JobTimeoutAction").and_then(|a| a.parse().ok());
            if let Some(a) = action {
                self.emergency_action(&unit, a, None, true, "job timed out");
            }
        }
    }

    /// `JobRunningTimeoutSec=` (`systemd.unit(5)`): once the job runs, it
    /// may run that long — never past its `JobTimeoutSec=` deadline.
    fn arm_running_timeout(&mut self, id: &str, job: u32) {
        let t = match self.units.get(id).and_then(|u| u.cfg.value(unit::directive::SectionKind::Unit, "JobRunningTimeoutSec")) {
            Some(unit::value::Value::Timespan(t)) if t.0 != 0 && t.0 != u64::MAX => t.0,
            _ => return,
        };
        let now = self.now();
        self.job_timers.arm_running(job, now, t);
    }

    fn unit_setting(&self, id: &str, name: &str) -> Option<&str> {
        self.units.get(id).and_then(|u| u.cfg.string(unit::directive::SectionKind::Unit, name))
    }

    /// The unit changed state: look at it (and what it upholds) for
    /// `Upholds=`, and give a verify-active job waiting on it its answer.
    fn recheck_waiting(&mut self, id: &str) {
        self.uphold_queue(id);
        let waiting = self.jobs.get(id).is_some_and(|j| j.ty == JobType::VerifyActive && !j.running);
        if waiting {
            self.try_run(id);
        }
    }

    /// Queue `id` if something upholds it, and the units it upholds, for
    /// [`Manager::dispatch_upheld`]. Runs at every state change, so it
    /// only walks `id`'s own edges: units without `Upholds=` cost nothing
    /// more.
    fn uphold_queue(&mut self, id: &str) {
        // Going down, nothing is started for Upholds= (`dispatch_upheld`
        // drops what is queued): at a stop-all, each unit's state changes
        // would walk its edges for nothing.
        if self.shutting_down {
            return;
        }
        let mut found: Vec<String> = Vec::new();
        for n in self.names_of(id) {
            for (kind, other) in self.edges.deps.get(n).into_iter().flatten() {
                match kind {
                    Dep::UpheldBy if !found.iter().any(|f| f == id) => found.push(id.to_string()),
                    Dep::Upholds => found.push(self.resolve(other)),
                    _ => {}
                }
            }
        }
        for u in found {
            if self.units.contains_key(&u) && self.uphold.queued.insert(u.clone()) {
                self.uphold.queue.push_back(u);
            }
        }
    }

    /// `Upholds=` (`engine::transaction::upheld_by_active`): start the
    /// queued units that are down while a unit upholding them is up, in
    /// job mode `fail`, at most 16 times per 10 s each. Called by the
    /// event loop once the events of a turn are handled (never from inside
    /// a unit's own state change, which would feed its machine re-entrantly).
    pub fn dispatch_upheld(&mut self) {
        while let Some(id) = self.uphold.queue.pop_front() {
            self.uphold.queued.remove(&id);
            if self.shutting_down || !self.units.contains_key(&id) {
                continue;
            }
            let Some(culprit) = tx::upheld_by_active(&mut View(self, 0), &id) else { continue };
            let now = self.now();
            if !self.uphold.limits.entry(id.clone()).or_default().allow(now) {
                self.log(&id, LogLevel::Warning, &format!("Unit needs to be started because active unit {culprit} upholds it, but not doing so since we tried this too often recently."));
                continue;
            }
            self.log(&id, LogLevel::Debug, &format!("Unit is started because upheld by active unit {culprit}."));
            let req = Request { ty: JobType::Start, unit: id.clone(), mode: Mode::Fail, manual: false };
            if let Err((_, e)) = self.request(req, JobVerb::Start) {
                self.log(&id, LogLevel::Warning, &format!("Failed to enqueue start job to upheld unit, ignoring: {e}"));
            }
        }
    }

    /// A service changed state (from `transition`): `OnFailure=`,
    /// `OnSuccess=`, `BindsTo=` and `StopWhenUnneeded=` follow.
    pub(super) fn unit_state_changed(&mut self, id: &str, from: ServiceState, to: ServiceState, auto_restart: bool) {
        self.recheck_waiting(id);
        let was_up = !matches!(from, ServiceState::Dead | ServiceState::Failed | ServiceState::AutoRestart);
        match to {
            ServiceState::Failed if !auto_restart => {
                self.trigger(id, true);
                self.unit_went_down(id, true);
            }
            ServiceState::Dead if was_up => {
                self.trigger(id, false);
                self.unit_went_down(id, false);
            }
            _ => {}
        }
    }

    /// Queue the `OnFailure=` (or `OnSuccess=`) units of `id`.
    fn trigger(&mut self, id: &str, failed: bool) {
        let Some(u) = self.units.get(id) else { return };
        let mut info = engine::transaction::UnitInfo::new(id);
        info.deps = std::rc::Rc::new(self.deps_of(id));
        info.on_failure_mode = match u.cfg.string(unit::directive::SectionKind::Unit, if failed { "OnFailureJobMode" } else { "OnSuccessJobMode" }) {
            Some(m) => super::graph::job_mode(m),
            None if failed && u.cfg.bool_or(unit::directive::SectionKind::Unit, "OnFailureIsolate", false) => Mode::Isolate,
            None => Mode::Replace,
        };
        let requests = tx::triggered_requests(&info, failed);
        if requests.is_empty() {
            return;
        }
        let what = if failed { "OnFailure=" } else { "OnSuccess=" };
        self.log(id, LogLevel::Info, &format!("Triggering {what} dependencies."));
        for r in requests {
            let name = r.unit.clone();
            let resolved = match self.unit_id(&name) {
                Ok(rid) => Request { unit: rid, ..r },
                Err(_) => r,
            };
            if let Err((_, e)) = self.request(resolved, JobVerb::Start) {
                self.log(id, LogLevel::Warning, &format!("Failed to enqueue {what} job, ignoring: {e}"));
            }
        }
    }

    /// Unit `id` went down: stop the units bound to it, and let units it
    /// pulled in that are `StopWhenUnneeded=yes` go if nobody needs them.
    pub(super) fn unit_went_down(&mut self, id: &str, _failed: bool) {
        // While the manager goes down every unit that was up already has
        // its stop job (`stop_all`) and nothing may start: what is bound
        // to `id` or was pulled in by it stops anyway. Skipping the walk
        // keeps a target that wants every service from costing a look at
        // each of them.
        if self.shutting_down {
            return;
        }
        for b in self.related(id, &[Dep::BoundBy]) {
            let up = self.units.get(&b).is_some_and(|u| !matches!(u.active_state(), "inactive" | "failed"));
            if up && !self.jobs.contains_key(&b) {
                self.log(&b, LogLevel::Info, &format!("Unit {b} is bound to inactive unit {id}. Stopping, too."));
                let _ = self.request(Request { ty: JobType::Stop, unit: b, mode: Mode::Fail, manual: false }, JobVerb::Stop);
            }
        }
        let pulled = [Dep::Requires, Dep::Requisite, Dep::Wants, Dep::BindsTo, Dep::Upholds];
        for p in self.related(id, &pulled) {
            // Only a unit with StopWhenUnneeded= can be unneeded; asking the
            // engine builds the unit's whole dependency view (for a target
            // every service pulls in, all of them: quadratic at stop-all).
            let stops_when_unneeded =
                self.units.get(&p).is_some_and(|u| u.cfg.bool_or(unit::directive::SectionKind::Unit, "StopWhenUnneeded", false));
            if stops_when_unneeded && tx::unneeded(&mut View(self, 0), &p) {
                self.log(&p, LogLevel::Info, "Unit not needed anymore. Stopping.");
                let _ = self.request(Request { ty: JobType::Stop, unit: p, mode: Mode::Fail, manual: false }, JobVerb::Stop);
            }
        }
    }

    /// Stop every unit that is up (manager shutdown), as stop jobs so the
    /// order is the reverse of the start order; the event loop keeps
    /// running until all are down.
    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    pub fn stop_all(&mut self) {
        self.shutting_down = true;
        let up: Vec<String> = self
            .units
            .iter()
            .filter(|(_, u)| !matches!(u.active_state(), "inactive" | "failed"))
            .map(|(id, _)| id.to_string())
            .collect();
        // Jobs of units that are down (a start waiting for the units it is
        // ordered after) are canceled: nothing starts while going down,
        // and a job left waiting would keep the manager from ending.
        let waiting: Vec<String> = self.jobs.keys().filter(|id| !up.contains(id)).cloned().collect();
        for id in waiting {
            self.cancel_job(&id);
        }
        let mut new = Vec::new();
        for id in up {
            self.cancel_job(&id);
            let job_id = self.next_job;
            self.next_job += 1;
            self.jobs.insert(id.clone(), Job::new(job_id, JobVerb::Stop, JobType::Stop));
            new.push(id);
        }
        for id in new {
            self.try_run(&id);
        }
    }
}
