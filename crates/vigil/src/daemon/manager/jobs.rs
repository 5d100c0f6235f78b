//! Jobs and transactions: what `systemctl start x` sets in motion besides
//! `x` itself (`systemd.unit(5)`, "[Unit] Section Options").
//!
//! A **start** pulls in what the unit requires and wants (`Requires=`,
//! `Requisite=`, `BindsTo=`, `Wants=`, `.wants/` links, default
//! dependencies), transitively. A required unit that does not exist makes
//! the whole request fail before anything starts ("Unit b.service not
//! found."), a merely wanted one is left out. Units already active get no
//! job.
//!
//! A **stop** pulls in the units that require or are bound to or part of
//! the unit: they cannot stay up without it.
//!
//! **Ordering** (`After=`/`Before=`) decides when a job may run: a start
//! job waits while a unit it is ordered after still has a start job; a
//! stop job waits while a unit ordered after it still has a stop job
//! (stops run in reverse). Units without ordering between them run in
//! parallel. The edges are indexed both ways when units load, and each
//! finished job wakes only the jobs that waited for it, so a boot of N
//! units costs time proportional to its edges, not N².
//!
//! A start job that fails (the unit failed, or a condition failed is
//! *skipped*, not failed) fails the pending start jobs of the units that
//! require it with result `dependency`, as systemd does ("Dependency
//! failed for …").

use std::collections::{HashMap, HashSet, VecDeque};

use engine::service::Event;
use proto::msg::JobVerb;
use unit::config::deps::{self, DepKind};
use unit::load::LoadState;

use super::{FinishedJob, Manager};

/// A job of the current transactions.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: u32,
    pub verb: JobVerb,
    /// Handed to the unit (service machine fed, or passive unit switched).
    pub running: bool,
}

/// The verdict of a unit's conditions and asserts.
enum Gate {
    Open,
    Skipped(String),
    AssertFailed(String),
}

/// Ordering and requirement edges of loaded units, both directions.
#[derive(Default)]
pub struct Edges {
    /// unit → names it must start after.
    pub after: HashMap<String, Vec<String>>,
    /// name → units that must start after it.
    pub before_of: HashMap<String, Vec<String>>,
    /// unit → names it requires (Requires/Requisite/BindsTo).
    pub requires: HashMap<String, Vec<String>>,
    /// unit → names it wants.
    pub wants: HashMap<String, Vec<String>>,
    /// name → units requiring, bound to or part of it (stop propagation).
    pub required_by: HashMap<String, Vec<String>>,
}

impl Manager {
    /// Record a freshly loaded unit's edges.
    pub(super) fn index_edges(&mut self, id: &str) {
        let Some(u) = self.units.get(id) else { return };
        let scope = self.loader.lookup.scope;
        for d in deps::unit_deps(&u.cfg, scope) {
            let other = d.other.clone();
            match d.kind {
                DepKind::After => {
                    self.edges.after.entry(id.to_string()).or_default().push(other.clone());
                    self.edges.before_of.entry(other).or_default().push(id.to_string());
                }
                DepKind::Before => {
                    self.edges.after.entry(other.clone()).or_default().push(id.to_string());
                    self.edges.before_of.entry(id.to_string()).or_default().push(other);
                }
                DepKind::Requires | DepKind::Requisite | DepKind::BindsTo => {
                    self.edges.requires.entry(id.to_string()).or_default().push(other.clone());
                    self.edges.required_by.entry(other).or_default().push(id.to_string());
                }
                DepKind::PartOf => {
                    self.edges.required_by.entry(other).or_default().push(id.to_string());
                }
                DepKind::Wants => {
                    self.edges.wants.entry(id.to_string()).or_default().push(other);
                }
                _ => {}
            }
        }
    }

    /// All names a unit is known under (for edges recorded by name).
    fn names_of(&self, id: &str) -> Vec<String> {
        match self.units.get(id) {
            Some(u) => u.cfg.names.iter().map(|n| n.as_str().to_string()).collect(),
            None => vec![id.to_string()],
        }
    }

    fn resolve(&self, name: &str) -> String {
        self.names.get(name).cloned().unwrap_or_else(|| name.to_string())
    }

    fn is_up(&self, id: &str) -> bool {
        self.units.get(id).is_some_and(|u| matches!(u.active_state(), "active" | "reloading"))
    }

    /// Start `anchor` and what it pulls in. Returns the anchor's job id.
    pub(super) fn transaction_start(&mut self, anchor: &str) -> Result<u32, (proto::ErrorKind, String)> {
        // 1. The closure over requirements and wants.
        let mut members: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut queue: VecDeque<(String, bool)> = VecDeque::from([(anchor.to_string(), true)]);
        while let Some((name, required)) = queue.pop_front() {
            let id = match self.unit_id(&name) {
                Ok(id) => id,
                Err(e) if required => return Err((proto::ErrorKind::Transaction, e)),
                Err(_) => continue,
            };
            if !seen.insert(id.clone()) {
                continue;
            }
            let state = self.units.get(&id).map(|u| u.cfg.load_state);
            match state {
                Some(LoadState::Loaded) => {}
                Some(LoadState::Masked) if required => {
                    return Err((proto::ErrorKind::UnitMasked, format!("Unit {id} is masked.")))
                }
                Some(_) if required => {
                    return Err((proto::ErrorKind::NoSuchUnit, format!("Unit {id} not found.")))
                }
                _ => continue,
            }
            members.push(id.clone());
            for r in self.edges.requires.get(&id).cloned().unwrap_or_default() {
                queue.push_back((r, true));
            }
            for w in self.edges.wants.get(&id).cloned().unwrap_or_default() {
                queue.push_back((w, false));
            }
        }
        self.add_target_default_edges(&members);
        // 2. Jobs for the members that are not up (the anchor always gets
        //    one so the client has something to wait for).
        let mut anchor_job = 0;
        let mut new_jobs = Vec::new();
        for id in members {
            let is_anchor = id == anchor;
            if !is_anchor && (self.is_up(&id) || self.jobs.contains_key(&id)) {
                continue;
            }
            let job_id = match self.jobs.get(&id) {
                Some(j) if j.verb == JobVerb::Start => j.id,
                _ => {
                    let job_id = self.next_job;
                    self.next_job += 1;
                    self.jobs.insert(id.clone(), super::jobs::Job { id: job_id, verb: JobVerb::Start, running: false });
                    new_jobs.push(id.clone());
                    job_id
                }
            };
            if is_anchor {
                anchor_job = job_id;
            }
        }
        for id in new_jobs {
            self.schedule(&id);
        }
        Ok(anchor_job)
    }

    /// The cross-unit default dependency (`systemd.target(5)`): a target
    /// with default dependencies is ordered after the units it requires or
    /// wants that have default dependencies themselves — unless that would
    /// invert an ordering already there. Needs both units loaded, so it is
    /// added when a transaction has loaded its members.
    fn add_target_default_edges(&mut self, members: &[String]) {
        let mut add = Vec::new();
        for t in members {
            let Some(tu) = self.units.get(t) else { continue };
            if tu.cfg.id.unit_type() != unit::UnitType::Target || !deps::default_dependencies(&tu.cfg) {
                continue;
            }
            let pulled = self.edges.requires.get(t).into_iter().chain(self.edges.wants.get(t)).flatten();
            for w in pulled {
                let w = self.resolve(w);
                let Some(wu) = self.units.get(&w) else { continue };
                if wu.cfg.load_state != LoadState::Loaded || !deps::default_dependencies(&wu.cfg) {
                    continue;
                }
                let t_names = self.names_of(t);
                let inverted = self.edges.after.get(&w).is_some_and(|a| a.iter().any(|x| t_names.contains(x)))
                    || self.names_of(&w).iter().any(|n| self.edges.after.get(n).is_some_and(|a| a.iter().any(|x| t_names.contains(x))));
                let present = self.edges.after.get(t).is_some_and(|a| a.contains(&w));
                if !inverted && !present {
                    add.push((t.clone(), w));
                }
            }
        }
        for (t, w) in add {
            self.edges.after.entry(t.clone()).or_default().push(w.clone());
            self.edges.before_of.entry(w).or_default().push(t);
        }
    }

    /// Stop `anchor` and the units that cannot run without it.
    pub(super) fn transaction_stop(&mut self, anchor: &str) -> u32 {
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        let mut queue = VecDeque::from([anchor.to_string()]);
        while let Some(id) = queue.pop_front() {
            if !seen.insert(id.clone()) {
                continue;
            }
            for n in self.names_of(&id) {
                for dep in self.edges.required_by.get(&n).cloned().unwrap_or_default() {
                    queue.push_back(dep);
                }
            }
            members.push(id);
        }
        let mut anchor_job = 0;
        let mut new_jobs = Vec::new();
        for id in members {
            let is_anchor = id == anchor;
            let up = self.units.get(&id).is_some_and(|u| u.active_state() != "inactive" && u.active_state() != "failed");
            if !is_anchor && !up {
                continue;
            }
            let job_id = self.next_job;
            self.next_job += 1;
            // A stop replaces a pending start (job mode "replace").
            if let Some(old) = self.jobs.insert(id.clone(), Job { id: job_id, verb: JobVerb::Stop, running: false }) {
                if old.verb == JobVerb::Start && !old.running {
                    self.finished.push(FinishedJob { id: old.id, unit: id.clone(), verb: old.verb, result: "canceled" });
                }
            }
            new_jobs.push(id.clone());
            if is_anchor {
                anchor_job = job_id;
            }
        }
        for id in new_jobs {
            self.schedule(&id);
        }
        anchor_job
    }

    /// Does a unit ordered relative to `id` still have a job of the same
    /// kind that must finish first?
    fn blocked(&self, id: &str, verb: JobVerb) -> bool {
        // Runs for every job a finished job wakes: no allocation per edge.
        let pending = |other: &str| {
            let other = self.names.get(other).map(String::as_str).unwrap_or(other);
            other != id && self.jobs.get(other).is_some_and(|j| j.verb == verb)
        };
        let names = self.names_of(id);
        let keys = std::iter::once(id).chain(names.iter().map(String::as_str));
        let edges = match verb {
            JobVerb::Start => &self.edges.after,
            JobVerb::Stop => &self.edges.before_of,
            _ => return false,
        };
        keys.filter_map(|n| edges.get(n)).flatten().any(|o| pending(o))
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
        let Some(job) = self.jobs.get(id).cloned() else { return };
        if job.running || self.blocked(id, job.verb) {
            return;
        }
        if let Some(j) = self.jobs.get_mut(id) {
            j.running = true;
        }
        // systemd.unit(5), "Conditions and Asserts": checked when the start
        // job runs. A failed condition skips the unit (the job is done and
        // units ordered after it proceed); a failed assert fails the job.
        if job.verb == JobVerb::Start && !self.is_up(id) {
            match self.check_conditions(id) {
                Gate::Open => {}
                Gate::Skipped(msg) => {
                    self.say(id, &msg);
                    self.complete(id, "done");
                    return;
                }
                Gate::AssertFailed(msg) => {
                    self.say(id, &msg);
                    self.complete(id, "assert");
                    return;
                }
            }
        }
        if self.units.get(id).is_some_and(|u| u.sock.is_some()) {
            self.run_socket_job(id, job.verb);
            return;
        }
        let now = self.now();
        let up = self.is_up(id);
        let Some(u) = self.units.get_mut(id) else { return };
        if u.svc.is_none() {
            u.passive_active = job.verb == JobVerb::Start;
            let desc = super::describe(&u.cfg);
            let ty = u.cfg.id.unit_type();
            if ty == unit::UnitType::Target {
                self.say(id, &if job.verb == JobVerb::Start {
                    format!("Reached target {desc}.")
                } else {
                    format!("Stopped target {desc}.")
                });
            }
            self.complete(id, "done");
            return;
        }
        if job.verb == JobVerb::Start && !up {
            u.invocation_id = super::invocation_id();
        }
        u.job = Some((job.id, job.verb));
        let ev = if job.verb == JobVerb::Start { Event::Start } else { Event::Stop };
        self.feed(id, now, ev);
    }

    fn check_conditions(&self, id: &str) -> Gate {
        use unit::value::{Condition, Value};
        let Some(u) = self.units.get(id) else { return Gate::Open };
        let list = |prefix: &str| -> Vec<(&'static str, &Condition)> {
            u.cfg
                .settings
                .in_order(|d| d.section == unit::directive::SectionKind::Unit && d.name.starts_with(prefix))
                .into_iter()
                .filter_map(|(d, a)| match &a.value {
                    Value::Condition(c) => Some((d.name, c)),
                    _ => None,
                })
                .collect()
        };
        let (conditions, asserts) = (list("Condition"), list("Assert"));
        if conditions.is_empty() && asserts.is_empty() {
            return Gate::Open;
        }
        let env = unit::condition::CheckEnv::current(&self.loader.lookup.root, self.loader.lookup.scope);
        let desc = super::describe(&u.cfg);
        if !asserts.is_empty() && !unit::condition::evaluate_all(&asserts, &env).met {
            return Gate::AssertFailed(format!("Assertion failed for {desc}."));
        }
        let outcome = unit::condition::evaluate_all(&conditions, &env);
        if outcome.met {
            return Gate::Open;
        }
        let why = outcome.failed().map(|(_, o)| format!(" ({})", o.status_line())).unwrap_or_default();
        Gate::Skipped(format!("{id}: Condition check resulted in {desc} being skipped.{why}"))
    }

    /// A transaction job ended (from the machine's `JobDone` or at once for
    /// passive units): record it, propagate failure, wake waiters.
    pub(super) fn complete(&mut self, id: &str, result: &'static str) {
        let Some(job) = self.jobs.remove(id) else { return };
        self.gc.queue(id);
        self.finished.push(FinishedJob { id: job.id, unit: id.to_string(), verb: job.verb, result });
        if job.verb == JobVerb::Start && !matches!(result, "done" | "skipped") {
            for n in self.names_of(id) {
                for dep in self.edges.required_by.get(&n).cloned().unwrap_or_default() {
                    let waiting = self.jobs.get(&dep).is_some_and(|j| j.verb == JobVerb::Start && !j.running);
                    if waiting {
                        let desc = self.units.get(&dep).map(|u| super::describe(&u.cfg)).unwrap_or_default();
                        self.say(&dep, &format!("Dependency failed for {desc}."));
                        self.complete(&dep, "dependency");
                    }
                }
            }
        }
        // Wake the jobs ordered against this one.
        let mut wake: Vec<String> = Vec::new();
        for n in self.names_of(id) {
            match job.verb {
                JobVerb::Start => wake.extend(self.edges.before_of.get(&n).cloned().unwrap_or_default()),
                _ => wake.extend(self.edges.after.get(&n).cloned().unwrap_or_default()),
            }
        }
        for w in wake {
            let w = self.resolve(&w);
            self.try_run(&w);
        }
    }
}
