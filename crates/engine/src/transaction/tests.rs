//! Transactions against a fake graph: one test per dependency kind, job
//! mode, merging rule, cycle case, isolate, Conflicts= and OnFailure=.

use std::collections::HashMap;

use super::*;
use crate::service::ActiveState as S;

/// A unit graph in memory. Edges are declared forward with [`Fake::dep`],
/// which records the inverse on the other unit, as the daemon's index does.
#[derive(Default)]
pub(crate) struct Fake {
    units: HashMap<String, UnitInfo>,
    aliases: HashMap<String, String>,
    pub(crate) jobs: HashMap<String, InstalledJob>,
}

impl Fake {
    pub(crate) fn unit(&mut self, id: &str) -> &mut UnitInfo {
        self.units.entry(id.to_string()).or_insert_with(|| UnitInfo::new(id))
    }

    pub(crate) fn dep(&mut self, a: &str, kind: Dep, b: &str) -> &mut Self {
        let inverse = inverse(kind);
        std::rc::Rc::make_mut(&mut self.unit(a).deps).push((kind, b.into()));
        self.unit(b);
        if let Some(inv) = inverse {
            std::rc::Rc::make_mut(&mut self.unit(b).deps).push((inv, a.into()));
        }
        self
    }

    pub(crate) fn active(&mut self, id: &str) -> &mut Self {
        self.unit(id).active = S::Active;
        self
    }

    pub(crate) fn job(&mut self, id: &str, ty: JobType) -> &mut Self {
        self.jobs.insert(id.to_string(), InstalledJob { ty, running: false, irreversible: false });
        self
    }
}

impl Graph for Fake {
    fn unit(&mut self, name: &str) -> Result<UnitInfo, String> {
        if name.contains(' ') {
            return Err(format!("Invalid unit name \"{name}\""));
        }
        let id = self.aliases.get(name).cloned().unwrap_or_else(|| name.to_string());
        Ok(self.units.get(&id).cloned().unwrap_or_else(|| UnitInfo { load: Load::NotFound, ..UnitInfo::new(&id) }))
    }

    fn resolve(&self, name: &str) -> Option<String> {
        let id = self.aliases.get(name).cloned().unwrap_or_else(|| name.to_string());
        self.units.contains_key(&id).then_some(id)
    }

    fn installed_job(&self, id: &str) -> Option<InstalledJob> {
        self.jobs.get(id).copied()
    }

    fn loaded_units(&self) -> Vec<String> {
        self.units.keys().cloned().collect()
    }
}

/// The edge the other unit gets for a declared one.
fn inverse(kind: Dep) -> Option<Dep> {
    Some(match kind {
        Dep::Requires => Dep::RequiredBy,
        Dep::Requisite => Dep::RequisiteOf,
        Dep::Wants => Dep::WantedBy,
        Dep::BindsTo => Dep::BoundBy,
        Dep::PartOf => Dep::ConsistsOf,
        Dep::Upholds => Dep::UpheldBy,
        Dep::Conflicts => Dep::ConflictedBy,
        Dep::Before => Dep::After,
        Dep::After => Dep::Before,
        Dep::PropagatesReloadTo => Dep::ReloadPropagatedFrom,
        Dep::ReloadPropagatedFrom => Dep::PropagatesReloadTo,
        Dep::PropagatesStopTo => Dep::StopPropagatedFrom,
        Dep::Triggers => Dep::TriggeredBy,
        _ => return None,
    })
}

fn req(ty: JobType, unit: &str, mode: Mode) -> Request {
    Request { ty, unit: unit.to_string(), mode, manual: true }
}

fn run(g: &mut Fake, ty: JobType, unit: &str, mode: Mode) -> Outcome {
    build(g, &req(ty, unit, mode))
}

/// The plan's jobs as "unit/type", sorted, anchor included.
fn jobs(o: &Outcome) -> Vec<String> {
    let plan = o.result.as_ref().unwrap_or_else(|e| panic!("transaction failed: {e}"));
    let mut v: Vec<String> = plan.jobs.iter().map(|j| format!("{}/{}", j.unit, j.ty)).collect();
    v.sort();
    v
}

fn start(g: &mut Fake, unit: &str) -> Vec<String> {
    jobs(&run(g, JobType::Start, unit, Mode::Replace))
}

fn messages(o: &Outcome) -> Vec<String> {
    o.log.iter().map(|l| l.message.clone()).collect()
}

#[test]
fn requires_and_bindsto_pull_in_starts_and_missing_ones_fail() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "b").dep("a", Dep::BindsTo, "c");
    assert_eq!(start(&mut g, "a"), ["a/start", "b/start", "c/start"]);
    g.dep("a", Dep::Requires, "gone");
    g.units.remove("gone");
    let o = run(&mut g, JobType::Start, "a", Mode::Replace);
    assert_eq!(o.result.unwrap_err().to_string(), "Unit gone not found.");
}

#[test]
fn wants_is_best_effort() {
    let mut g = Fake::default();
    g.dep("a", Dep::Wants, "b").dep("a", Dep::Wants, "masked").dep("a", Dep::Wants, "gone");
    g.unit("masked").load = Load::Masked;
    g.units.remove("gone");
    assert_eq!(start(&mut g, "a"), ["a/start", "b/start"]);
}

#[test]
fn upholds_pulls_in_like_wants() {
    let mut g = Fake::default();
    g.dep("a", Dep::Upholds, "b");
    assert_eq!(start(&mut g, "a"), ["a/start", "b/start"]);
}

#[test]
fn requisite_adds_verify_active() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requisite, "b");
    assert_eq!(start(&mut g, "a"), ["a/start", "b/verify-active"]);
    // Already active: verify-active is redundant and dropped.
    g.active("b");
    assert_eq!(start(&mut g, "a"), ["a/start"]);
}

#[test]
fn active_units_get_no_job_but_the_anchor_always_does() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "b").active("a").active("b");
    assert_eq!(start(&mut g, "a"), ["a/start"]);
}

#[test]
fn stop_propagates_to_required_by_bound_by_part_of() {
    let mut g = Fake::default();
    g.dep("r", Dep::Requires, "x").dep("b", Dep::BindsTo, "x").dep("p", Dep::PartOf, "x").dep("w", Dep::Wants, "x");
    g.dep("q", Dep::Requisite, "x");
    for u in ["r", "b", "p", "w", "q", "x"] {
        g.active(u);
    }
    assert_eq!(jobs(&run(&mut g, JobType::Stop, "x", Mode::Replace)), ["b/stop", "p/stop", "q/stop", "r/stop", "x/stop"]);
}

#[test]
fn propagates_stop_to() {
    let mut g = Fake::default();
    g.dep("a", Dep::PropagatesStopTo, "b").active("a").active("b");
    assert_eq!(jobs(&run(&mut g, JobType::Stop, "a", Mode::Replace)), ["a/stop", "b/stop"]);
    // Declared from the other side: StopPropagatedFrom=.
    let mut g = Fake::default();
    g.dep("d", Dep::StopPropagatedFrom, "c").active("c").active("d");
    std::rc::Rc::make_mut(&mut g.unit("c").deps).push((Dep::PropagatesStopTo, "d".into()));
    assert_eq!(jobs(&run(&mut g, JobType::Stop, "c", Mode::Replace)), ["c/stop", "d/stop"]);
    assert_eq!(jobs(&run(&mut g, JobType::Stop, "d", Mode::Replace)), ["d/stop"]);
}

#[test]
fn restart_try_restarts_dependents_that_are_up() {
    let mut g = Fake::default();
    g.dep("up", Dep::Requires, "x").dep("down", Dep::Requires, "x").active("up").active("x");
    assert_eq!(jobs(&run(&mut g, JobType::Restart, "x", Mode::Replace)), ["up/restart", "x/restart"]);
}

#[test]
fn reload_propagates_to_active_units_only() {
    let mut g = Fake::default();
    g.dep("a", Dep::PropagatesReloadTo, "b").dep("c", Dep::ReloadPropagatedFrom, "a").dep("a", Dep::PropagatesReloadTo, "off");
    for u in ["a", "b", "c", "off"] {
        g.unit(u).can_reload = true;
    }
    g.active("a").active("b").active("c");
    assert_eq!(jobs(&run(&mut g, JobType::Reload, "a", Mode::Replace)), ["a/reload", "b/reload", "c/reload"]);
}

#[test]
fn reload_without_reload_support_is_not_applicable() {
    let mut g = Fake::default();
    g.active("t");
    let o = run(&mut g, JobType::Reload, "t", Mode::Replace);
    assert_eq!(o.result.unwrap_err().to_string(), "Job type reload is not applicable for unit t.");
}

#[test]
fn try_and_reload_or_start_collapse() {
    let mut g = Fake::default();
    g.unit("a").can_reload = true;
    assert_eq!(jobs(&run(&mut g, JobType::TryRestart, "a", Mode::Replace)), ["a/nop"]);
    assert_eq!(jobs(&run(&mut g, JobType::ReloadOrStart, "a", Mode::Replace)), ["a/start"]);
    g.active("a");
    assert_eq!(jobs(&run(&mut g, JobType::ReloadOrStart, "a", Mode::Replace)), ["a/reload"]);
    assert_eq!(jobs(&run(&mut g, JobType::TryReload, "a", Mode::Replace)), ["a/reload"]);
    assert_eq!(jobs(&run(&mut g, JobType::VerifyActive, "a", Mode::Replace)), ["a/verify-active"]);
}

#[test]
fn conflicts_stops_the_other_side_both_ways() {
    let mut g = Fake::default();
    g.dep("a", Dep::Conflicts, "b").active("b");
    assert_eq!(start(&mut g, "a"), ["a/start", "b/stop"]);
    // Starting b stops a (ConflictedBy), best effort.
    g.unit("b").active = S::Inactive;
    g.active("a");
    assert_eq!(start(&mut g, "b"), ["a/stop", "b/start"]);
}

#[test]
fn conflicting_requirements_cannot_merge() {
    // a requires b and conflicts with b: start and stop for b, both matter.
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "b").dep("a", Dep::Conflicts, "b");
    // (b's stop also stops a, which requires it: a has both too.)
    let o = run(&mut g, JobType::Start, "a", Mode::Replace);
    let e = o.result.unwrap_err().to_string();
    assert!(e.starts_with("Transaction contains conflicting jobs 'start' and 'stop' for "), "{e}");
    assert!(e.ends_with(". Probably contradicting requirement dependencies configured."), "{e}");
}

#[test]
fn unmergeable_non_mattering_job_is_dropped() {
    // a wants b, c conflicts with b (c is required): b/start goes.
    let mut g = Fake::default();
    g.dep("a", Dep::Wants, "b").dep("a", Dep::Requires, "c").dep("c", Dep::Conflicts, "b");
    assert_eq!(start(&mut g, "a"), ["a/start", "c/start"]);
}

#[test]
fn merging_start_with_verify_active_and_reload() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "x").dep("a", Dep::Requisite, "x");
    assert_eq!(start(&mut g, "a"), ["a/start", "x/start"]);
    // Merged with an installed job: reload + start → reload-or-start → start.
    let mut g = Fake::default();
    g.unit("x").can_reload = true;
    g.job("x", JobType::Reload);
    let o = run(&mut g, JobType::Start, "x", Mode::Replace);
    let plan = o.result.unwrap();
    assert_eq!((plan.jobs[0].ty, plan.jobs[0].replaces), (JobType::Start, false));
}

#[test]
fn replace_mode_replaces_conflicting_installed_job() {
    let mut g = Fake::default();
    g.active("x").job("x", JobType::Stop);
    let plan = run(&mut g, JobType::Start, "x", Mode::Replace).result.unwrap();
    assert_eq!((plan.jobs[0].ty, plan.jobs[0].replaces), (JobType::Start, true));
}

#[test]
fn fail_mode_refuses_destructive_transactions() {
    let mut g = Fake::default();
    g.unit("x");
    g.job("x", JobType::Stop);
    let o = run(&mut g, JobType::Start, "x", Mode::Fail);
    assert_eq!(
        o.result.unwrap_err().to_string(),
        "Transaction for x/start is destructive (x has 'stop' job queued, but 'start' is included in transaction)."
    );
}

#[test]
fn fail_mode_drops_non_mattering_jobs_that_would_stop_running_units() {
    let mut g = Fake::default();
    g.dep("b", Dep::Conflicts, "a").active("b");
    // Starting a would stop b through ConflictedBy (not mattering).
    assert_eq!(start(&mut g, "a"), ["a/start", "b/stop"]);
    assert_eq!(jobs(&run(&mut g, JobType::Start, "a", Mode::Fail)), ["a/start"]);
}

#[test]
fn irreversible_jobs_are_not_replaced() {
    let mut g = Fake::default();
    g.unit("x");
    g.jobs.insert("x".into(), InstalledJob { ty: JobType::Stop, running: false, irreversible: true });
    assert!(matches!(run(&mut g, JobType::Start, "x", Mode::Replace).result, Err(TxError::Destructive { .. })));
    let mut g = Fake::default();
    g.unit("x");
    let plan = run(&mut g, JobType::Start, "x", Mode::ReplaceIrreversibly).result.unwrap();
    assert!(plan.jobs[0].irreversible);
}

#[test]
fn ignore_requirements_and_ignore_dependencies() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "b").dep("a", Dep::After, "b");
    assert_eq!(jobs(&run(&mut g, JobType::Start, "a", Mode::IgnoreRequirements)), ["a/start"]);
    let plan = run(&mut g, JobType::Start, "a", Mode::IgnoreDependencies).result.unwrap();
    assert_eq!(plan.jobs.len(), 1);
    assert!(plan.jobs[0].ignore_order);
    assert!(!run(&mut g, JobType::Start, "a", Mode::IgnoreRequirements).result.unwrap().jobs[0].ignore_order);
}

#[test]
fn isolate_stops_everything_else_but_ignore_on_isolate() {
    let mut g = Fake::default();
    g.dep("t", Dep::Wants, "a").active("old").active("keep").active("a");
    g.unit("t").allow_isolate = true;
    g.unit("keep").ignore_on_isolate = true;
    g.unit("idle");
    g.unit("pending");
    g.job("pending", JobType::Start);
    let plan = run(&mut g, JobType::Start, "t", Mode::Isolate).result.unwrap();
    let mut v: Vec<String> = plan.jobs.iter().map(|j| format!("{}/{}", j.unit, j.ty)).collect();
    v.sort();
    assert_eq!(v, ["old/stop", "pending/stop", "t/start"]);
    assert_eq!(plan.cancel, Vec::<String>::new());
}

#[test]
fn isolate_cancels_other_installed_jobs_and_needs_allow_isolate() {
    let mut g = Fake::default();
    g.unit("t").allow_isolate = true;
    g.unit("keep").ignore_on_isolate = true;
    g.job("keep", JobType::Start);
    let o = run(&mut g, JobType::Start, "t", Mode::Isolate);
    assert_eq!(o.result.unwrap().cancel, Vec::<String>::new());
    let mut g = Fake::default();
    g.unit("t");
    assert_eq!(run(&mut g, JobType::Start, "t", Mode::Isolate).result.unwrap_err(), TxError::NoIsolation);
    assert_eq!(run(&mut g, JobType::Stop, "t", Mode::Isolate).result.unwrap_err(), TxError::IsolateNotStart);
}

#[test]
fn flush_cancels_installed_jobs_outside_the_transaction() {
    let mut g = Fake::default();
    g.unit("a");
    g.unit("other");
    g.job("other", JobType::Start);
    assert_eq!(run(&mut g, JobType::Start, "a", Mode::Flush).result.unwrap().cancel, ["other"]);
}

#[test]
fn triggering_stops_the_triggers() {
    let mut g = Fake::default();
    g.dep("x.socket", Dep::Triggers, "x.service").active("x.socket").active("x.service");
    assert_eq!(jobs(&run(&mut g, JobType::Stop, "x.service", Mode::Triggering)), ["x.service/stop", "x.socket/stop"]);
    assert_eq!(jobs(&run(&mut g, JobType::Stop, "x.service", Mode::Replace)), ["x.service/stop"]);
    assert_eq!(run(&mut g, JobType::Start, "x.service", Mode::Triggering).result.unwrap_err(), TxError::TriggeringNotStop);
}

#[test]
fn refuse_manual_start_and_stop() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "r");
    g.unit("r").refuse_manual_start = true;
    assert_eq!(
        run(&mut g, JobType::Start, "r", Mode::Replace).result.unwrap_err().to_string(),
        "Operation refused, unit r may be requested by dependency only (it is configured to refuse manual start/stop)."
    );
    // As a dependency it starts fine.
    assert_eq!(start(&mut g, "a"), ["a/start", "r/start"]);
    g.unit("s").refuse_manual_stop = true;
    assert!(run(&mut g, JobType::Stop, "s", Mode::Replace).result.is_err());
    assert!(run(&mut g, JobType::Restart, "s", Mode::Replace).result.is_err());
    let mut r = req(JobType::Stop, "s", Mode::Replace);
    r.manual = false;
    assert!(build(&mut g, &r).result.is_ok());
}

#[test]
fn masked_and_not_found_anchor() {
    let mut g = Fake::default();
    g.unit("m").load = Load::Masked;
    assert_eq!(run(&mut g, JobType::Start, "m", Mode::Replace).result.unwrap_err().to_string(), "Unit m is masked.");
    assert_eq!(run(&mut g, JobType::Start, "nope", Mode::Replace).result.unwrap_err().to_string(), "Unit nope not found.");
    // Stopping an unknown unit is fine (nothing to do).
    assert!(run(&mut g, JobType::Stop, "nope", Mode::Replace).result.is_ok());
    assert!(matches!(run(&mut g, JobType::Start, "bad name", Mode::Replace).result, Err(TxError::InvalidName(_))));
}

#[test]
fn aliases_resolve_to_one_job() {
    let mut g = Fake::default();
    g.aliases.insert("alias".into(), "real".into());
    g.dep("a", Dep::Requires, "alias").dep("a", Dep::Wants, "real");
    g.unit("alias");
    g.units.remove("alias");
    assert_eq!(start(&mut g, "a"), ["a/start", "real/start"]);
}

#[test]
fn ordering_cycle_is_broken_by_deleting_a_wanted_job() {
    let mut g = Fake::default();
    g.dep("a", Dep::Wants, "b").dep("a", Dep::After, "b").dep("b", Dep::After, "a");
    let o = run(&mut g, JobType::Start, "a", Mode::Replace);
    assert_eq!(jobs(&o), ["a/start"]);
    assert_eq!(
        messages(&o),
        [
            "a: Found ordering cycle on b/start",
            "a: Found dependency on a/start",
            "a: Job b/start deleted to break ordering cycle starting with a/start",
        ]
    );
    assert_eq!(o.log.iter().map(|l| l.priority).collect::<Vec<_>>(), [4, 4, 3]);
}

#[test]
fn longer_cycle_names_every_unit() {
    // a requires b, b wants c; a after b after c after a.
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "b").dep("b", Dep::Wants, "c");
    g.dep("a", Dep::After, "b").dep("b", Dep::After, "c").dep("c", Dep::After, "a");
    let o = run(&mut g, JobType::Start, "a", Mode::Replace);
    assert_eq!(jobs(&o), ["a/start", "b/start"]);
    let m = messages(&o);
    assert_eq!(m.len(), 4, "{m:?}");
    assert!(m[0].contains("Found ordering cycle on"), "{m:?}");
    assert_eq!(m.iter().filter(|l| l.contains("Found dependency on")).count(), 2);
    assert!(m[3].contains("Job c/start deleted to break ordering cycle starting with"), "{m:?}");
}

#[test]
fn unbreakable_cycle_fails_the_request() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "b").dep("a", Dep::After, "b").dep("b", Dep::After, "a");
    let o = run(&mut g, JobType::Start, "a", Mode::Replace);
    assert_eq!(o.result.clone().unwrap_err().to_string(), "Transaction order is cyclic. See system logs for details.");
    assert!(messages(&o).iter().any(|m| m == "a: Unable to break cycle starting with a/start"), "{:?}", messages(&o));
}

#[test]
fn stop_jobs_order_in_reverse_so_no_cycle_from_mixed_directions() {
    // a After b; stopping both is not a cycle (b's stop waits for a's).
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "b").dep("a", Dep::After, "b").active("a").active("b");
    let o = run(&mut g, JobType::Stop, "b", Mode::Replace);
    assert_eq!(jobs(&o), ["a/stop", "b/stop"]);
    assert!(o.log.is_empty());
}

#[test]
fn cycle_through_an_installed_job() {
    // b has a start job already; starting a (after b) with b after a.
    let mut g = Fake::default();
    g.dep("a", Dep::After, "b").dep("b", Dep::After, "a").dep("a", Dep::Wants, "c");
    g.job("b", JobType::Start);
    let o = run(&mut g, JobType::Start, "a", Mode::Replace);
    // Only a is in the transaction and it matters: nothing may go.
    assert_eq!(o.result.unwrap_err(), TxError::OrderIsCyclic);
}

#[test]
fn wide_graph_builds_in_linear_passes() {
    // A target wanting 2000 services, each after a common base: one job each.
    let mut g = Fake::default();
    for i in 0..2000 {
        let s = format!("s{i}");
        g.dep("t", Dep::Wants, &s).dep("t", Dep::After, &s).dep(&s, Dep::Requires, "base").dep(&s, Dep::After, "base");
    }
    let o = run(&mut g, JobType::Start, "t", Mode::Replace);
    assert_eq!(o.result.unwrap().jobs.len(), 2002);
}

#[test]
fn job_timeout_is_carried_into_the_plan() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "b");
    g.unit("b").job_timeout_usec = Some(3_000_000);
    let plan = run(&mut g, JobType::Start, "a", Mode::Replace).result.unwrap();
    let b = plan.jobs.iter().find(|j| j.unit == "b").unwrap();
    assert_eq!(b.timeout_usec, Some(3_000_000));
    // On the fake clock: the timer fires at now + timeout.
    let mut t = JobTimers::new();
    t.arm(9, 1_000, b.timeout_usec.unwrap());
    assert!(t.expired(3_000_999).is_empty());
    assert_eq!(t.expired(3_001_000), vec![9]);
}

#[test]
fn on_failure_and_on_success_requests() {
    let mut g = Fake::default();
    g.dep("a", Dep::OnFailure, "rescue").dep("a", Dep::OnSuccess, "next");
    g.unit("a").on_failure_mode = Mode::Fail;
    let info = g.units["a"].clone();
    let f = triggered_requests(&info, true);
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].unit.as_str(), f[0].ty, f[0].mode, f[0].manual), ("rescue", JobType::Start, Mode::Fail, false));
    let s = triggered_requests(&info, false);
    assert_eq!(s[0].unit, "next");
}

#[test]
fn stop_when_unneeded() {
    let mut g = Fake::default();
    g.dep("a", Dep::Requires, "helper").active("helper");
    g.unit("helper").stop_when_unneeded = true;
    assert!(unneeded(&mut g, "helper"));
    g.active("a");
    assert!(!unneeded(&mut g, "helper"), "a is up and requires it");
    g.unit("a").active = S::Inactive;
    g.job("a", JobType::Start);
    assert!(!unneeded(&mut g, "helper"), "a is about to start");
    g.jobs.clear();
    g.job("helper", JobType::Stop);
    assert!(!unneeded(&mut g, "helper"), "has a job already");
    g.jobs.clear();
    g.unit("helper").stop_when_unneeded = false;
    assert!(!unneeded(&mut g, "helper"));
}

/// A graph that, like the daemon, learns a unit's edges only when the
/// unit is loaded: inverse edges appear on units loaded earlier.
struct Lazy {
    declared: Vec<(String, Dep, String)>,
    loaded: Vec<String>,
    /// Report the load count (`Graph::loads`), as the daemon does.
    counts_loads: bool,
}

impl Graph for Lazy {
    fn unit(&mut self, name: &str) -> Result<UnitInfo, String> {
        if !self.loaded.iter().any(|l| l == name) {
            self.loaded.push(name.to_string());
        }
        let mut info = UnitInfo::new(name);
        for (a, k, b) in &self.declared {
            if a == name {
                std::rc::Rc::make_mut(&mut info.deps).push((*k, b.as_str().into()));
            }
            if b == name && self.loaded.contains(a) {
                if let Some(inv) = inverse(*k) {
                    std::rc::Rc::make_mut(&mut info.deps).push((inv, a.as_str().into()));
                }
            }
        }
        Ok(info)
    }

    fn resolve(&self, name: &str) -> Option<String> {
        self.loaded.iter().any(|l| l == name).then(|| name.to_string())
    }

    fn installed_job(&self, _id: &str) -> Option<InstalledJob> {
        None
    }

    fn loaded_units(&self) -> Vec<String> {
        self.loaded.clone()
    }

    fn loads(&self) -> Option<u64> {
        self.counts_loads.then_some(self.loaded.len() as u64)
    }
}

#[test]
fn cycle_found_when_the_closing_edge_comes_from_a_unit_loaded_later() {
    // a is loaded first and learns Before=b only once b is loaded; with
    // a load count the transaction reads a again because b's load came
    // after it.
    for counts_loads in [false, true] {
        let declared = [("a", Dep::Wants, "b"), ("a", Dep::After, "b"), ("b", Dep::After, "a")];
        let mut g = Lazy {
            declared: declared.iter().map(|(a, k, b)| (a.to_string(), *k, b.to_string())).collect(),
            loaded: Vec::new(),
            counts_loads,
        };
        let o = build(&mut g, &req(JobType::Start, "a", Mode::Replace));
        assert_eq!(jobs(&o), ["a/start"], "{:?}", messages(&o));
        assert_eq!(o.log.len(), 3);
    }
}
