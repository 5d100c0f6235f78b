//! Building a transaction: the prospective jobs, the links saying who
//! pulled whom in, and the passes of [`build`] over them (see the module
//! essay in `mod.rs` for the steps and why).
//!
//! Jobs are never removed from `jobs`, only marked dead, so indices stay
//! valid; `by_unit` lists the live jobs of each unit, newest last (the
//! "head" job systemd's cycle search looks at).

use std::collections::VecDeque;

use crate::name_hash::NameMap;

use super::cycle::{self, OrderCheck};
use super::{
    Dep, Graph, JobType, Load, LogLine, Mode, Name, Outcome, Plan, PlannedJob, Request, TxError, UnitInfo,
};
use crate::service::ActiveState;

pub(super) struct TxJob {
    pub unit: String,
    pub ty: JobType,
    pub matters: bool,
    pub ignore_order: bool,
    pub alive: bool,
    /// Links where this job pulled another in.
    subj: Vec<usize>,
    /// Links where another job (or the request) pulled this one in.
    obj: Vec<usize>,
}

struct Link {
    subject: Option<usize>,
    object: usize,
    matters: bool,
    conflicts: bool,
    alive: bool,
}

pub(super) struct Tx<'g, G: Graph> {
    pub graph: &'g mut G,
    pub jobs: Vec<TxJob>,
    links: Vec<Link>,
    pub by_unit: NameMap<Vec<usize>>,
    /// Units in the order they got their first job.
    order: Vec<String>,
    infos: NameMap<UnitInfo>,
    /// Each unit of `infos`, with the graph's load count once it was read.
    read_at: Vec<(String, Option<u64>)>,
    /// Names other than an id, with the id they stand for ([`Tx::info`]).
    names: NameMap<String>,
    pub anchor: usize,
    pub log: Vec<LogLine>,
}

/// Compute the jobs systemd would queue for `req` on `graph`.
pub fn build<G: Graph>(graph: &mut G, req: &Request) -> Outcome {
    // Sized for a start that pulls in a dozen units (a connection's
    // instance and the targets it needs): each doubling of a map rehashes
    // every key, a sixth of the hashing a socket-activated start did.
    let mut tx = Tx {
        graph,
        jobs: Vec::new(),
        links: Vec::new(),
        by_unit: NameMap::with_capacity_and_hasher(16, Default::default()),
        order: Vec::new(),
        infos: NameMap::with_capacity_and_hasher(16, Default::default()),
        read_at: Vec::new(),
        names: NameMap::default(),
        anchor: 0,
        log: Vec::new(),
    };
    let result = tx.run(req);
    Outcome { result, log: tx.log }
}

/// The ordering edges among a unit's `edges`: (other name, the unit is
/// `Before=` it), the `Before=` ones first.
pub(super) fn ordering(edges: &[(Dep, Name)]) -> impl Iterator<Item = (&str, bool)> {
    let before = edges.iter().filter(|(k, _)| *k == Dep::Before).map(|(_, n)| (&**n, true));
    let after = edges.iter().filter(|(k, _)| *k == Dep::After).map(|(_, n)| (&**n, false));
    before.chain(after)
}

fn is_up(s: ActiveState) -> bool {
    matches!(s, ActiveState::Active | ActiveState::Reloading | ActiveState::Activating)
}

impl<'g, G: Graph> Tx<'g, G> {
    /// The unit known as `name`, loaded and cached.
    pub fn info(&mut self, name: &str) -> Result<&UnitInfo, TxError> {
        // An id is found in `infos` itself; `names` holds only the other
        // names (aliases, unmangled) — an entry per id was four strings
        // per unit a connection's transaction touches.
        if self.infos.contains_key(name) {
            return Ok(&self.infos[name]);
        }
        if let Some(id) = self.names.get(name) {
            return Ok(&self.infos[id]);
        }
        let info = self.graph.unit(name).map_err(TxError::InvalidName)?;
        let id = info.id.clone();
        if name != id {
            self.names.insert(name.to_string(), id.clone());
        }
        if !self.infos.contains_key(&id) {
            self.read_at.push((id.clone(), self.graph.loads()));
        }
        Ok(self.infos.entry(id).or_insert(info))
    }

    /// Read every unit's info again: loading units while pulling in may
    /// have added edges to units seen earlier (`b` loaded with `After=a`
    /// gives the already cached `a` a `Before=b`), and ordering must see
    /// all of them. A unit read after the graph's latest load already has
    /// them (`Graph::loads`).
    fn refresh(&mut self) {
        let now = self.graph.loads();
        let stale = |at: &Option<u64>| match (at, now) {
            (Some(at), Some(now)) => *at < now,
            _ => true,
        };
        let ids: Vec<String> = self.read_at.iter().filter(|(_, at)| stale(at)).map(|(id, _)| id.clone()).collect();
        for id in ids {
            if let Ok(info) = self.graph.unit(&id) {
                self.infos.insert(id, info);
            }
        }
    }

    /// The id of `name` if it is loaded (no loading: ordering only
    /// matters between units that have jobs, and those are loaded).
    pub fn resolve(&self, name: &str) -> Option<String> {
        if self.infos.contains_key(name) {
            return Some(name.to_string());
        }
        self.names.get(name).cloned().or_else(|| self.graph.resolve(name))
    }

    fn run(&mut self, req: &Request) -> Result<Plan, TxError> {
        let info = self.info(&req.unit)?.clone();
        let ty = req.ty.collapse(info.active);
        match req.mode {
            Mode::Isolate if req.ty != JobType::Start => return Err(TxError::IsolateNotStart),
            Mode::Isolate if !info.allow_isolate => return Err(TxError::NoIsolation),
            Mode::Triggering if req.ty != JobType::Stop => return Err(TxError::TriggeringNotStop),
            _ => {}
        }
        if req.manual {
            let refused = match req.ty {
                JobType::Start => info.refuse_manual_start,
                JobType::Stop => info.refuse_manual_stop,
                JobType::Restart | JobType::TryRestart => info.refuse_manual_start || info.refuse_manual_stop,
                JobType::ReloadOrStart => ty == JobType::Start && info.refuse_manual_start,
                _ => false,
            };
            if refused {
                return Err(TxError::OnlyByDependency(info.id));
            }
        }
        let ignore_req = matches!(req.mode, Mode::IgnoreDependencies | Mode::IgnoreRequirements);
        let ignore_order = req.mode == Mode::IgnoreDependencies;
        self.anchor = self.add(ty, &req.unit, None, true, false, ignore_req, ignore_order)?;
        match req.mode {
            Mode::Isolate => self.add_isolate_jobs(),
            Mode::Triggering => self.add_triggering_jobs(&info),
            _ => {}
        }
        self.refresh();
        self.mark_matters();
        if req.mode == Mode::Fail {
            self.minimize_impact();
        }
        self.drop_redundant();
        loop {
            if req.mode != Mode::Isolate {
                self.collect_garbage();
            }
            match cycle::verify_order(self) {
                OrderCheck::Acyclic => break,
                OrderCheck::Broken => continue,
                OrderCheck::Cyclic => return Err(TxError::OrderIsCyclic),
            }
        }
        let merged = loop {
            match self.merge() {
                Ok(m) => break m,
                Err(None) => {
                    if req.mode != Mode::Isolate {
                        self.collect_garbage();
                    }
                }
                Err(Some(e)) => return Err(e),
            }
        };
        self.plan(req, merged)
    }

    /// Add a job of type `ty` for `name` (and what it pulls in), linked
    /// from `by`. Returns the job's index.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        ty: JobType,
        name: &str,
        by: Option<usize>,
        matters: bool,
        conflicts: bool,
        ignore_req: bool,
        ignore_order: bool,
    ) -> Result<usize, TxError> {
        let info = self.info(name)?;
        let id = info.id.clone();
        let ty = ty.collapse(info.active);
        if ty != JobType::Stop {
            match info.load {
                Load::Loaded => {}
                Load::NotFound => return Err(TxError::NotFound(id)),
                Load::Masked => return Err(TxError::Masked(id)),
                Load::BadSetting => return Err(TxError::BadSetting(id)),
                Load::Error => return Err(TxError::LoadFailed(id)),
            }
        }
        if matches!(ty, JobType::Reload | JobType::TryReload | JobType::ReloadOrStart) && !info.can_reload {
            return Err(TxError::NotApplicable { ty, unit: id });
        }
        let deps = info.deps.clone();
        let existing = self.by_unit.get(&id).and_then(|l| l.iter().copied().find(|&j| self.jobs[j].ty == ty));
        let (job, is_new) = match existing {
            Some(j) => (j, false),
            None => {
                let j = self.jobs.len();
                self.jobs.push(TxJob {
                    unit: id.clone(),
                    ty,
                    matters: false,
                    ignore_order: false,
                    alive: true,
                    subj: Vec::new(),
                    obj: Vec::new(),
                });
                // `order` holds exactly the units that have a `by_unit`
                // entry (entries are never removed), so a new entry is a
                // unit's first job — no scan of `order` (quadratic in a
                // boot transaction of 1000 units).
                match self.by_unit.entry(id.clone()) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut().push(j),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        self.order.push(id.clone());
                        e.insert(vec![j]);
                    }
                }
                (j, true)
            }
        };
        self.jobs[job].ignore_order |= ignore_order;
        let l = self.links.len();
        self.links.push(Link { subject: by, object: job, matters, conflicts, alive: true });
        self.jobs[job].obj.push(l);
        if let Some(s) = by {
            self.jobs[s].subj.push(l);
        }
        if !is_new || ignore_req || ty == JobType::Nop {
            return Ok(job);
        }
        // The names are borrowed from the unit's shared edge list, not
        // copied per pull-in (a `String` each, freed right after).
        let of = |kinds: &'static [Dep]| deps.iter().filter(move |(k, _)| kinds.contains(k)).map(|(_, n)| &**n);
        if matches!(ty, JobType::Start | JobType::Restart) {
            for d in of(&[Dep::Requires, Dep::BindsTo]) {
                self.add_required(JobType::Start, d, job, false, ignore_order)?;
            }
            for d in of(&[Dep::Wants, Dep::Upholds]) {
                self.add_wanted(JobType::Start, d, job, ignore_order);
            }
            for d in of(&[Dep::Requisite]) {
                self.add_required(JobType::VerifyActive, d, job, false, ignore_order)?;
            }
            for d in of(&[Dep::Conflicts]) {
                self.add_required(JobType::Stop, d, job, true, ignore_order)?;
            }
            for d in of(&[Dep::ConflictedBy]) {
                self.add_wanted(JobType::Stop, d, job, ignore_order);
            }
        }
        if matches!(ty, JobType::Stop | JobType::Restart) {
            // A restart try-restarts what depends on the unit (so nothing
            // that was down comes up); a stop stops it.
            const PROPAGATE: &[Dep] = &[Dep::RequiredBy, Dep::RequisiteOf, Dep::BoundBy, Dep::ConsistsOf, Dep::PropagatesStopTo];
            let mut restarted: Vec<&str> = Vec::new();
            if ty == JobType::Restart {
                for d in of(&[Dep::RequiredBy, Dep::RequisiteOf, Dep::BoundBy, Dep::ConsistsOf]) {
                    restarted.push(d);
                    self.add_required(JobType::TryRestart, d, job, false, ignore_order)?;
                }
            }
            for d in of(PROPAGATE) {
                if !restarted.contains(&d) {
                    self.add_required(JobType::Stop, d, job, false, ignore_order)?;
                }
            }
        }
        if ty == JobType::Reload {
            for d in of(&[Dep::PropagatesReloadTo]) {
                self.add_wanted(JobType::TryReload, d, job, ignore_order);
            }
        }
        Ok(job)
    }

    /// A mattering pull-in: its failure fails the request, unless the job
    /// type does not apply to that unit.
    fn add_required(&mut self, ty: JobType, name: &str, by: usize, conflicts: bool, io: bool) -> Result<(), TxError> {
        match self.add(ty, name, Some(by), true, conflicts, false, io) {
            Ok(_) | Err(TxError::NotApplicable { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// A best-effort pull-in: failures are logged and ignored (quietly
    /// for a missing or masked unit, as systemd logs those at debug).
    fn add_wanted(&mut self, ty: JobType, name: &str, by: usize, io: bool) {
        match self.add(ty, name, Some(by), false, false, false, io) {
            Ok(_) | Err(TxError::NotFound(_) | TxError::Masked(_) | TxError::NotApplicable { .. }) => {}
            Err(e) => self.log.push(LogLine {
                unit: name.to_string(),
                priority: 4,
                message: format!("{name}: Cannot add dependency job, ignoring: {e}"),
            }),
        }
    }

    /// Mode isolate: stop every unit that is up (or has a job) and got no
    /// job here, unless it is `IgnoreOnIsolate=yes`.
    fn add_isolate_jobs(&mut self) {
        let mut ids = self.graph.loaded_units();
        ids.sort();
        for id in ids {
            let Ok(info) = self.info(&id) else { continue };
            let (ignore, down) = (info.ignore_on_isolate, info.active.is_inactive_or_failed());
            if ignore || self.by_unit.get(&id).is_some_and(|l| !l.is_empty()) {
                continue;
            }
            if down && self.graph.installed_job(&id).is_none() {
                continue;
            }
            if let Err(e) = self.add(JobType::Stop, &id, Some(self.anchor), true, false, false, false) {
                self.log.push(LogLine { unit: id.clone(), priority: 4, message: format!("{id}: Cannot add isolate job, ignoring: {e}") });
            }
        }
    }

    /// Mode triggering: also stop the units that trigger this one.
    fn add_triggering_jobs(&mut self, info: &UnitInfo) {
        for name in info.deps_of(&[Dep::TriggeredBy]).map(str::to_string).collect::<Vec<_>>() {
            let Ok(t) = self.info(&name) else { continue };
            let id = t.id.clone();
            if (t.active.is_inactive_or_failed() && self.graph.installed_job(&id).is_none())
                || self.by_unit.get(&id).is_some_and(|l| !l.is_empty())
            {
                continue;
            }
            if let Err(e) = self.add(JobType::Stop, &id, Some(self.anchor), true, false, false, false) {
                self.log.push(LogLine { unit: id.clone(), priority: 4, message: format!("{id}: Cannot add triggered by job, ignoring: {e}") });
            }
        }
    }

    fn mark_matters(&mut self) {
        let mut queue = VecDeque::from([self.anchor]);
        self.jobs[self.anchor].matters = true;
        while let Some(j) = queue.pop_front() {
            for &l in &self.jobs[j].subj.clone() {
                let link = &self.links[l];
                if link.alive && link.matters && !self.jobs[link.object].matters {
                    let o = link.object;
                    self.jobs[o].matters = true;
                    queue.push_back(o);
                }
            }
        }
    }

    /// Delete a job; with `deps`, also the jobs that pulled it in through
    /// a mattering link (they cannot do without it).
    pub fn delete(&mut self, job: usize, deps: bool) {
        let mut stack = vec![job];
        while let Some(j) = stack.pop() {
            if !self.jobs[j].alive {
                continue;
            }
            self.jobs[j].alive = false;
            // Borrowed field by field: no copy of the unit's name or of
            // the link lists per deleted job.
            if let Some(list) = self.by_unit.get_mut(&self.jobs[j].unit) {
                list.retain(|&x| x != j);
            }
            for &l in &self.jobs[j].subj {
                self.links[l].alive = false;
            }
            for &l in &self.jobs[j].obj {
                let link = &mut self.links[l];
                if !link.alive {
                    continue;
                }
                link.alive = false;
                if let (true, true, Some(s)) = (deps, link.matters, link.subject) {
                    stack.push(s);
                }
            }
        }
    }

    /// Every live job of `unit`.
    pub fn jobs_of(&self, unit: &str) -> Vec<usize> {
        self.by_unit.get(unit).cloned().unwrap_or_default()
    }

    fn installed_conflicts(&self, j: usize) -> bool {
        let job = &self.jobs[j];
        self.graph.installed_job(&job.unit).is_some_and(|i| i.ty.is_conflicting(job.ty))
    }

    fn active(&self, unit: &str) -> ActiveState {
        self.infos.get(unit).map_or(ActiveState::Inactive, |i| i.active)
    }

    /// Mode fail: drop what would stop a running unit or reverse an
    /// installed job, unless the anchor needs it.
    fn minimize_impact(&mut self) {
        for j in 0..self.jobs.len() {
            let job = &self.jobs[j];
            if !job.alive || job.matters {
                continue;
            }
            let stops_running = job.ty == JobType::Stop && is_up(self.active(&job.unit));
            if stops_running || self.installed_conflicts(j) {
                self.delete(j, true);
            }
        }
    }

    /// Drop the jobs of units whose every job changes nothing.
    fn drop_redundant(&mut self) {
        // Only `add` pushes onto `order`, and nothing here adds: it is
        // lent out of `self` for the walk instead of copied.
        let order = std::mem::take(&mut self.order);
        for unit in &order {
            let list = self.jobs_of(unit);
            let keep = list.iter().any(|&j| {
                j == self.anchor || !self.jobs[j].ty.is_redundant(self.active(unit)) || self.installed_conflicts(j)
            });
            if !keep {
                for j in list {
                    self.delete(j, false);
                }
            }
        }
        self.order = order;
    }

    /// Drop jobs nobody pulls in any more.
    fn collect_garbage(&mut self) {
        loop {
            let orphan = (0..self.jobs.len()).find(|&j| {
                j != self.anchor && self.jobs[j].alive && !self.jobs[j].obj.iter().any(|&l| self.links[l].alive)
            });
            match orphan {
                Some(j) => self.delete(j, true),
                None => return,
            }
        }
    }

    fn conflicted_by(&self, j: usize) -> bool {
        self.jobs[j].obj.iter().any(|&l| self.links[l].alive && self.links[l].conflicts)
    }

    /// Merge each unit's jobs into one. `Err(None)`: a job was deleted to
    /// make that possible, collect garbage and try again.
    fn merge(&mut self) -> Result<Vec<(String, JobType, bool)>, Option<TxError>> {
        // Lent out of `self` as in `drop_redundant`, and put back before
        // any return.
        let order = std::mem::take(&mut self.order);
        let checked = self.merge_each(&order);
        self.order = order;
        checked?;
        let mut out = Vec::new();
        for unit in &self.order {
            let list = self.by_unit.get(unit).map_or(&[][..], Vec::as_slice);
            let Some((&first, rest)) = list.split_first() else { continue };
            let t = rest.iter().fold(self.jobs[first].ty, |t, &k| {
                t.merge_collapse(self.jobs[k].ty, self.active(unit)).unwrap_or(t)
            });
            let ignore_order = list.iter().any(|&j| self.jobs[j].ignore_order);
            out.push((unit.clone(), t, ignore_order));
        }
        Ok(out)
    }

    /// [`Tx::merge`]'s check that each unit's jobs merge, over `order`.
    fn merge_each(&mut self, order: &[String]) -> Result<(), Option<TxError>> {
        for unit in order {
            let list = self.jobs_of(unit);
            let Some((&first, rest)) = list.split_first() else { continue };
            let mut t = self.jobs[first].ty;
            for &k in rest {
                match t.merge_collapse(self.jobs[k].ty, self.active(unit)) {
                    Some(m) => t = m,
                    None => {
                        return match self.delete_one_unmergeable(&list) {
                            true => Err(None),
                            false => Err(Some(TxError::JobsConflicting { a: t, b: self.jobs[k].ty, unit: unit.clone() })),
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Two jobs of a unit cannot merge: delete the one that does not
    /// matter — of two such, the stop, unless the stop comes from a
    /// `Conflicts=`, then the start.
    fn delete_one_unmergeable(&mut self, list: &[usize]) -> bool {
        for (i, &j) in list.iter().enumerate() {
            for &k in &list[i + 1..] {
                if self.jobs[j].ty.is_mergeable(self.jobs[k].ty) {
                    continue;
                }
                let (mj, mk) = (self.jobs[j].matters, self.jobs[k].matters);
                let d = match (mj, mk) {
                    (false, false) if self.jobs[j].ty == JobType::Stop => {
                        if self.conflicted_by(j) {
                            k
                        } else {
                            j
                        }
                    }
                    (false, false) if self.jobs[k].ty == JobType::Stop => {
                        if self.conflicted_by(k) {
                            j
                        } else {
                            k
                        }
                    }
                    (false, _) => j,
                    (true, false) => k,
                    (true, true) => return false,
                };
                self.delete(d, true);
                return true;
            }
        }
        false
    }

    fn plan(&mut self, req: &Request, merged: Vec<(String, JobType, bool)>) -> Result<Plan, TxError> {
        let anchor_unit = self.jobs[self.anchor].unit.clone();
        let anchor_ty = merged.iter().find(|(u, _, _)| *u == anchor_unit).map_or(self.jobs[self.anchor].ty, |m| m.1);
        let mut jobs = Vec::new();
        for (unit, ty, ignore_order) in merged {
            let active = self.active(&unit);
            let installed = self.graph.installed_job(&unit);
            let conflicting = installed.is_some_and(|i| i.ty.is_conflicting(ty));
            // Redundant again after merging? (The anchor always stays.)
            if unit != anchor_unit && ty.is_redundant(active) && !conflicting {
                continue;
            }
            if let Some(i) = installed {
                if conflicting && (req.mode == Mode::Fail || i.irreversible) {
                    return Err(TxError::Destructive { anchor: anchor_unit, anchor_ty, unit, queued: i.ty, new: ty });
                }
            }
            let (ty, irreversible) = match installed {
                Some(i) if !conflicting => (i.ty.merge_collapse(ty, active).unwrap_or(ty), i.irreversible),
                _ => (ty, false),
            };
            let timeout_usec = self.infos.get(&unit).and_then(|i| i.job_timeout_usec);
            let job = PlannedJob {
                unit,
                ty,
                replaces: conflicting,
                irreversible: irreversible || req.mode == Mode::ReplaceIrreversibly,
                ignore_order,
                timeout_usec,
            };
            if job.unit == anchor_unit {
                jobs.insert(0, job);
            } else {
                jobs.push(job);
            }
        }
        let mut cancel = Vec::new();
        if matches!(req.mode, Mode::Isolate | Mode::Flush) {
            let mut ids = self.graph.loaded_units();
            ids.sort();
            for id in ids {
                if self.graph.installed_job(&id).is_none() || jobs.iter().any(|j| j.unit == id) {
                    continue;
                }
                if self.info(&id).is_ok_and(|i| !i.ignore_on_isolate) {
                    cancel.push(id);
                }
            }
        }
        Ok(Plan { anchor: anchor_unit, jobs, cancel })
    }

    /// The type of the job ordering sees for `unit`: its newest live
    /// transaction job, else its installed job; with its ignore-order flag.
    pub fn order_job(&self, unit: &str) -> Option<(JobType, bool, bool)> {
        if let Some(&j) = self.by_unit.get(unit).and_then(|l| l.last()) {
            return Some((self.jobs[j].ty, self.jobs[j].ignore_order, true));
        }
        self.graph.installed_job(unit).map(|i| (i.ty, false, false))
    }

    /// Some live job of `unit` matters to the anchor.
    pub fn unit_matters(&self, unit: &str) -> bool {
        self.by_unit.get(unit).is_some_and(|l| l.iter().any(|&j| self.jobs[j].matters))
    }

    /// The edges of `unit` (shared, not copied), for [`ordering`]; empty
    /// when it cannot be loaded.
    pub fn edges(&mut self, unit: &str) -> std::rc::Rc<Vec<(Dep, Name)>> {
        self.info(unit).map(|i| i.deps.clone()).unwrap_or_default()
    }

    /// The live units with jobs, in the order they joined.
    pub fn units_in_order(&self) -> Vec<String> {
        self.order.iter().filter(|u| self.by_unit.get(*u).is_some_and(|l| !l.is_empty())).cloned().collect()
    }

    pub fn delete_unit(&mut self, unit: &str) {
        for j in self.jobs_of(unit) {
            self.delete(j, true);
        }
    }
}
