//! The manager's answers to the control verbs that are not jobs:
//! `kill`, `reset-failed`, `list-jobs`, `show-environment`,
//! `set-environment`, `unset-environment`, `list-dependencies` and
//! `list-sockets`, plus the properties `status` needs beyond
//! [`super::props`]: `TriggeredBy`, `ControlGroup` and `TasksCurrent`
//! (the unit's cgroup, relative to the cgroup2 mount, and its task
//! count; empty and `[not set]` without one, as systemctl shows an
//! unset value), `TasksMax` (the tightest `pids.max` on the way from the
//! unit's group up to the mount, `infinity` when there is none; vigil
//! does not write `TasksMax=` itself yet, so this is the limit the
//! hierarchy imposes), `ExecCondition`…`ExecStopPost` (each command with
//! its last run, `exec_status.rs`), `UnitFileState` and `UnitFilePreset`
//! (what `is-enabled` and the preset policy say; empty when the lookup
//! fails, as systemd sends them).
//!
//! Each answer is systemd 252's D-Bus method of the same name in small:
//!
//! - `KillUnit` and `ResetFailedUnit` look the unit up without loading it
//!   (`manager_get_unit()`), so a unit that is not in memory is an error
//!   ("Unit x.service not loaded."), as is a unit that did not load and
//!   has nothing running;
//! - kill (`unit_kill_common()`, systemd.kill(5)): `main` and `control`
//!   signal one process and fail when there is none ("No main process to
//!   kill"); `all` signals main, control and every other process of the
//!   unit and is content when there is nothing to signal. The main and
//!   control processes get a SIGCONT after the signal (unless it was
//!   SIGCONT or SIGKILL), as `kill_and_sigcont()` does;
//! - reset-failed clears the failed state, the result, the restart
//!   counter and the start limit (the engine's `ResetFailed`); socket
//!   units leave `failed` for `dead`;
//! - the environment block (`systemd.exec(5)`, "Environment variables in
//!   spawned processes"; `systemctl(1)`, "set-environment") starts as
//!   `PATH=` and is passed to every process started afterwards; assignments
//!   and names are checked as systemd checks them ("Invalid environment
//!   assignments");
//! - dependencies follow systemctl's lists (`unit_get_dependencies()`):
//!   forward = Requires, Requisite, Wants, BindsTo, ConsistsOf; reverse =
//!   RequiredBy, RequisiteOf, WantedBy, PartOf, BoundBy; or After/Before.
//!   Inverse edges are found among the loaded units only, as in systemd.

use engine::service::{Event, KillTarget, LogLevel};
use proto::msg::{DepDirection, JobRow, JobVerb, KillWhom, SocketRow, UnitState};
use proto::ErrorKind;
use unit::config::deps::{self, DepKind};
use unit::load::LoadState;

use engine::transaction::Dep;

use super::Manager;

type Failure = (ErrorKind, String);

/// systemd's job type names (`job_type_to_string()`).
fn job_type(v: JobVerb) -> &'static str {
    match v {
        JobVerb::Start | JobVerb::Isolate => "start",
        JobVerb::Stop => "stop",
        JobVerb::Restart => "restart",
        JobVerb::TryRestart => "try-restart",
        JobVerb::Reload => "reload",
        JobVerb::ReloadOrRestart => "reload-or-start",
        JobVerb::TryReloadOrRestart => "try-reload",
        JobVerb::VerifyActive => "verify-active",
    }
}

/// `env_name_is_valid()`.
fn env_name_ok(n: &str) -> bool {
    !n.is_empty()
        && n.len() < 4096
        && !n.starts_with(|c: char| c.is_ascii_digit())
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `env_assignment_is_valid()`: a valid name, and a value without control
/// characters other than tab and newline.
fn env_assignment_ok(a: &str) -> bool {
    match a.split_once('=') {
        Some((n, v)) => env_name_ok(n) && !v.chars().any(|c| c.is_control() && c != '\t' && c != '\n'),
        None => false,
    }
}

impl Manager {
    /// A unit that is in memory, by the name the user typed; never loads.
    fn loaded_id(&self, name: &str) -> Result<String, Failure> {
        let mangled = unit::name::mangle(name).ok_or_else(|| (ErrorKind::InvalidRequest, format!("Invalid unit name \"{name}\"")))?;
        let not_loaded = || (ErrorKind::NoSuchUnit, format!("Unit {mangled} not loaded."));
        let id = self.known_id(&mangled).map(str::to_string).ok_or_else(not_loaded)?;
        let u = self.units.get(&id).ok_or_else(not_loaded)?;
        if u.cfg.load_state != LoadState::Loaded && matches!(u.active_state(), "inactive" | "failed") {
            return Err(not_loaded());
        }
        Ok(id)
    }

    /// `systemctl kill` (`KillUnit`).
    pub fn kill_unit(&mut self, name: &str, whom: KillWhom, signal: i32) -> Result<(), Failure> {
        if !(1..=libc::SIGRTMAX()).contains(&signal) {
            return Err((ErrorKind::InvalidRequest, format!("Signal number out of range: {signal}")));
        }
        let id = self.loaded_id(name)?;
        let u = &self.units[&id];
        let kind = u.cfg.id.unit_type().as_str();
        let (main, control) = match &u.svc {
            Some(s) => (s.main_pid(), s.control_pid()),
            None => (None, None),
        };
        let has_pids = u.svc.is_some();
        let no_such = |m: String| Err((ErrorKind::Refused, m));
        let cont = signal != libc::SIGCONT && signal != libc::SIGKILL;
        match whom {
            KillWhom::Main if !has_pids => return no_such(format!("{kind} units have no main processes")),
            KillWhom::Control if !has_pids => return no_such(format!("{kind} units have no control processes")),
            KillWhom::Main if main.is_none() => return no_such("No main process to kill".into()),
            KillWhom::Control if control.is_none() => return no_such("No control process to kill".into()),
            _ => {}
        }
        // unit_kill_common(): the control process, then the main one,
        // each said, then (for `all`) the rest of the group.
        let all = whom == KillWhom::All;
        if let Some(pid) = control.filter(|_| all || whom == KillWhom::Control) {
            self.kill_on_request(&id, KillTarget::Control(pid), "control", signal, cont);
        }
        if let Some(pid) = main.filter(|_| all || whom == KillWhom::Main) {
            self.kill_on_request(&id, KillTarget::Main(pid), "main", signal, cont);
        }
        if all && has_pids {
            self.kill(&id, KillTarget::Group, signal, false, false);
        }
        Ok(())
    }

    /// Signal one process of a unit for `systemctl kill`, with the line
    /// systemd 252 logs ("Sent signal SIGKILL to main process 214 (sleep)
    /// on client request.", read off its journal).
    fn kill_on_request(&mut self, id: &str, target: KillTarget, role: &str, signal: i32, cont: bool) {
        let (KillTarget::Main(pid) | KillTarget::Control(pid)) = target else { return };
        let comm = crate::daemon::cgroup::read_proc(format!("/proc/{pid}/comm"))
            .and_then(|b| String::from_utf8(b).ok())
            .map_or_else(|| "n/a".to_string(), |c| c.trim_end().to_string());
        self.kill(id, target, signal, cont, false);
        let name = unit::value::signal::name_of(signal);
        self.log(id, LogLevel::Info, &format!("Sent signal {name} to {role} process {pid} ({comm}) on client request."));
    }

    /// `systemctl reset-failed [UNIT]` (`ResetFailedUnit`; no unit: every
    /// unit, `ResetFailed`).
    pub fn reset_failed(&mut self, name: Option<&str>) -> Result<(), Failure> {
        let ids: Vec<String> = match name {
            Some(n) => vec![self.loaded_id(n)?],
            None => self.units.keys().map(str::to_string).collect(),
        };
        let now = self.now();
        for id in ids {
            let Some(u) = self.units.get_mut(&id) else { continue };
            if let Some(s) = u.sock_mut() {
                s.reset_failed();
            }
            if u.svc.is_some() {
                self.feed(&id, now, Event::ResetFailed);
            }
            self.timer_reset_failed(&id);
        }
        Ok(())
    }

    /// `systemctl cancel [JOB…]`: each job ends as `canceled` (a start's
    /// dependents fail with `dependency`, as after any failed start); the
    /// unit itself is left as it is (a service still starting goes on), as
    /// systemd's `job_finish_and_invalidate(JOB_CANCELED)`. No id: every
    /// job.
    pub fn cancel_jobs(&mut self, ids: &[u32]) -> Result<(), Failure> {
        let all: Vec<(u32, String)> = self.jobs.iter().map(|(unit, j)| (j.id, unit.to_string())).collect();
        let wanted: Vec<(u32, String)> = if ids.is_empty() {
            all
        } else {
            let mut v = Vec::new();
            for id in ids {
                match all.iter().find(|(j, _)| j == id) {
                    Some(found) => v.push(found.clone()),
                    None => return Err((ErrorKind::InvalidRequest, format!("Job {id} does not exist."))),
                }
            }
            v
        };
        for (id, unit) in wanted {
            // A job canceled by an earlier one's dependents is gone.
            if self.jobs.get(&unit).is_some_and(|j| j.id == id) {
                self.complete(&unit, "canceled");
            }
        }
        Ok(())
    }

    /// `systemctl list-jobs`: the pending and running jobs, by id.
    pub fn job_rows(&self) -> Vec<JobRow> {
        let mut rows: Vec<JobRow> = self
            .jobs
            .iter()
            .map(|(unit, j)| JobRow {
                id: j.id,
                unit: unit.clone(),
                verb: job_type(j.verb).into(),
                state: if j.running { "running" } else { "waiting" }.into(),
            })
            .collect();
        // Jobs handed straight to a unit (restart, reload…).
        for (id, u) in self.units.iter() {
            if let Some((jid, verb)) = u.job {
                if !rows.iter().any(|r| r.id == jid) {
                    rows.push(JobRow { id: jid, unit: id.to_string(), verb: job_type(verb).into(), state: "running".into() });
                }
            }
        }
        rows.sort_by_key(|r| r.id);
        rows
    }

    /// The job pending or running on a unit, by systemd's job type name
    /// (the JOB column of `list-units`).
    pub fn unit_job(&self, id: &str) -> Option<String> {
        let verb = self.jobs.get(id).map(|j| j.verb).or_else(|| self.units.get(id).and_then(|u| u.job.map(|(_, v)| v)))?;
        Some(job_type(verb).to_string())
    }

    /// The environment block (`show-environment`), in systemd's order:
    /// the manager's own block first, then what clients set, each sorted
    /// (systemd 252 keeps a sorted transient and a sorted client
    /// environment and lists the one, then the other; seen in the oracle
    /// after `set-environment ZZ=1 AA=2`: `LANG`, `PATH`, `AA`, `ZZ`).
    /// vigil's own block is `PATH` alone ([`Manager::new`]); a client's
    /// `PATH` keeps that place, as systemd's merge replaces in place.
    pub fn environment_block(&self) -> Vec<String> {
        let mut v: Vec<String> = self.environment.iter().map(|(k, v)| format!("{k}={v}")).collect();
        v.sort_by(|a, b| (!a.starts_with("PATH="), a).cmp(&(!b.starts_with("PATH="), b)));
        v
    }

    /// `set-environment NAME=VALUE…`: all or nothing.
    pub fn set_environment(&mut self, assignments: &[String]) -> Result<(), Failure> {
        if !assignments.iter().all(|a| env_assignment_ok(a)) {
            return Err((ErrorKind::InvalidRequest, "Invalid environment assignments".into()));
        }
        for a in assignments {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            match self.environment.iter_mut().find(|(n, _)| n == k) {
                Some(e) => e.1 = v.to_string(),
                None => self.environment.push((k.to_string(), v.to_string())),
            }
        }
        Ok(())
    }

    /// `unset-environment NAME…`: a bare name removes the variable, an
    /// assignment only a variable with exactly that value.
    pub fn unset_environment(&mut self, names: &[String]) -> Result<(), Failure> {
        if !names.iter().all(|n| env_name_ok(n) || env_assignment_ok(n)) {
            return Err((ErrorKind::InvalidRequest, "Invalid environment variable names or assignments".into()));
        }
        self.environment.retain(|(k, v)| {
            !names.iter().any(|n| match n.split_once('=') {
                Some((nk, nv)) => nk == k && nv == v,
                None => n == k,
            })
        });
        Ok(())
    }

    /// The direct dependencies of a unit in one direction, each with its
    /// active state. Loads the unit (as asking systemd for its properties
    /// does).
    pub fn dependencies(&mut self, name: &str, dir: DepDirection) -> Result<Vec<UnitState>, Failure> {
        let id = self.unit_id(name).map_err(|e| (ErrorKind::InvalidRequest, e))?;
        let scope = self.loader.lookup.scope;
        let me: Vec<String> = match self.units.get(&id) {
            Some(u) => u.cfg.names().map(|n| n.as_str().to_string()).collect(),
            None => vec![id.clone()],
        };
        let own = |k: DepKind| match dir {
            DepDirection::Forward => matches!(k, DepKind::Requires | DepKind::Requisite | DepKind::Wants | DepKind::BindsTo),
            DepDirection::Reverse => k == DepKind::PartOf,
            DepDirection::After => k == DepKind::After,
            DepDirection::Before => k == DepKind::Before,
        };
        let inverse = |k: DepKind| match dir {
            DepDirection::Forward => k == DepKind::PartOf,
            DepDirection::Reverse => matches!(k, DepKind::Requires | DepKind::Requisite | DepKind::Wants | DepKind::BindsTo),
            DepDirection::After => k == DepKind::Before,
            DepDirection::Before => k == DepKind::After,
        };
        let mut names: Vec<String> = Vec::new();
        if let Some(u) = self.units.get(&id) {
            names.extend(deps::unit_deps(&u.cfg, scope).into_iter().filter(|d| own(d.kind)).map(|d| d.other));
        }
        for (other, u) in self.units.iter() {
            if *other == id {
                continue;
            }
            if deps::unit_deps(&u.cfg, scope).iter().any(|d| inverse(d.kind) && me.contains(&d.other)) {
                names.push(other.to_string());
            }
        }
        let mut out: Vec<UnitState> = Vec::new();
        for n in names {
            // Asking for a unit's state loads it, as in systemd (a unit the
            // garbage collector dropped is loaded again).
            let n = self.unit_id(&n).unwrap_or(n);
            if n == id || out.iter().any(|s| s.name == n) {
                continue;
            }
            let u = self.units.get(&n);
            let active = u.map_or("inactive", |u| u.active_state()).to_string();
            let load = u.map_or("not-found", |u| u.cfg.load_state.as_str()).to_string();
            let sub = u.map_or("dead", |u| u.sub_state()).to_string();
            out.push(UnitState { name: n, active, load, sub });
        }
        Ok(out)
    }

    /// The tightest `pids.max` from `group` up to the cgroup2 mount.
    fn tasks_limit(&self, group: &std::path::Path) -> Option<u64> {
        // Below the mount only (its root has no pids.max): MOUNT/a,
        // MOUNT/a/b… up to the group, cut from the group's path at each
        // `/` past the mount's (byte offsets, not `Path` components, which
        // cost a `status` ~5 k instructions to compare).
        use std::os::unix::ffi::OsStrExt;
        let mount = self.cgroups.mount_point()?.as_os_str().as_bytes();
        let g = group.as_os_str().as_bytes();
        if !g.starts_with(mount) || g.get(mount.len()) != Some(&b'/') {
            return None;
        }
        let ends = (mount.len() + 1..=g.len()).filter(|&i| i == g.len() || g[i] == b'/');
        tightest_pids_max(ends.map(|i| std::path::Path::new(std::ffi::OsStr::from_bytes(&g[..i]))))
    }

    /// `systemctl list-sockets` rows.
    pub fn socket_list(&self, all: bool) -> Vec<SocketRow> {
        self.socket_rows(all)
            .into_iter()
            .map(|r| SocketRow { listen: r.listen, kind: r.kind.to_string(), unit: r.unit, activates: r.activates })
            .collect()
    }

    /// What `Show` answers: [`super::props::properties`] and the units
    /// that trigger this one (`TriggeredBy`: the socket units of an
    /// `Accept=no` service, the accepting socket of an instance).
    /// `wanted` names the properties asked for (empty: all); only those
    /// are computed, the costly ones above all (`UnitFileState`/
    /// `UnitFilePreset` read the unit directories, `TasksMax` walks the
    /// cgroup tree, `ExecStart`… format every command, `TasksCurrent` reads
    /// a file, the timestamps re-read the time zone), so `show -p MainPID`
    /// and `is-active` stay cheap. `brief` leaves out the settings
    /// (`show_all.rs`): what `status` asks for.
    pub fn unit_properties(&mut self, id: &str, wanted: &[String], brief: bool) -> Vec<super::props::Prop> {
        let want = |k: &str| wanted.is_empty() || wanted.iter().any(|w| w == k);
        let settings = |k: &str| !brief && want(k);
        // One look at the time zone for all of this answer's timestamps.
        let _zone = crate::journalctl::time::ZoneScope::enter();
        // Computed first, while `self` may be borrowed mutably for the
        // cache (`file_state.rs`: stamps instead of a scan per question).
        let files = match self.unit(id).and_then(|u| u.cfg.fragment.clone()) {
            Some(fragment) if want("UnitFileState") || want("UnitFilePreset") => {
                let lookup = &self.loader.lookup;
                self.file_states.get(lookup, id, &fragment, || {
                    let inst = unit::install::Installer::new(lookup);
                    let state = inst.state(id).result.map(|s| s.as_str().to_string()).unwrap_or_default();
                    let preset = inst.query_preset(id).result.map(|e| if e { "enabled" } else { "disabled" }.to_string());
                    (state, preset.unwrap_or_default())
                })
            }
            _ => (String::new(), String::new()),
        };
        let Some(u) = self.unit(id) else { return Vec::new() };
        let mut p = super::props::properties(u, &want);
        self.timer_properties(u, &want, brief, &mut p);
        if want("TriggeredBy") {
            let mut by: Vec<String> = self.sockets.sockets_for(u.cfg.names().map(|n| n.as_str()));
            by.extend(self.timers_for(u.cfg.names().map(|n| n.as_str())));
            if let Some(c) = self.sockets.connection(id) {
                by.push(c.socket.clone());
            }
            by.sort();
            by.dedup();
            p.push(("TriggeredBy".into(), by.join(" ")));
        }
        // Only the unit types with a cgroup context have these (a target's
        // `show` lists none of them).
        use unit::UnitType as T;
        let cgroup_context = matches!(u.cfg.id.unit_type(), T::Service | T::Socket | T::Mount | T::Swap | T::Scope | T::Slice);
        let counter = |k: &str| {
            matches!(
                k,
                "ControlGroup" | "ControlGroupId" | "TasksCurrent" | "TasksMax" | "MemoryCurrent" | "MemoryAvailable"
                    | "CPUUsageNSec" | "EffectiveCPUs" | "EffectiveMemoryNodes"
            )
        };
        let want = |k: &str| want(k) && (cgroup_context || !counter(k));
        let group = if cgroup_context && (wanted.is_empty() || wanted.iter().any(|k| counter(k))) { self.cgroup_of(id) } else { None };
        let group = group.as_deref();
        if want("ControlGroup") {
            p.push(("ControlGroup".into(), group.and_then(|g| self.cgroups.relative(g)).unwrap_or_default()));
        }
        // `status` (brief) shows none of these four: not read for it.
        if !brief && want("ControlGroupId") {
            // cgroup v2's id of a group is its directory's inode number.
            use std::os::unix::fs::MetadataExt;
            let ino = group.and_then(|g| std::fs::metadata(g).ok()).map_or(0, |m| m.ino());
            p.push(("ControlGroupId".into(), ino.to_string()));
        }
        for (name, file) in [("EffectiveCPUs", "cpuset.cpus.effective"), ("EffectiveMemoryNodes", "cpuset.mems.effective")] {
            if !brief && want(name) {
                let list = group.and_then(|g| crate::daemon::cgroup::read_proc(g.join(file)));
                p.push((name.into(), list.map(|b| String::from_utf8_lossy(&b).trim().to_string()).unwrap_or_default()));
            }
        }
        if want("TasksCurrent") {
            let tasks = group.and_then(|g| self.cgroups.tasks(g));
            p.push(("TasksCurrent".into(), tasks.map_or_else(|| "[not set]".to_string(), |n| n.to_string())));
        }
        if want("TasksMax") {
            let limit = group.and_then(|g| self.tasks_limit(g));
            p.push(("TasksMax".into(), super::show_all::limit_word(limit)));
        }
        if u.svc.is_some() && !brief {
            self.usage_properties(&u.cfg, group, &settings, &mut p);
        }
        let exec_wanted = |k: &str| want(k) && (!brief || !k.ends_with("Ex"));
        if super::exec_status::PHASES.iter().any(|ph| exec_wanted(ph.directive()) || exec_wanted(super::exec_status::ex_name(*ph))) {
            p.extend(self.exec_properties(id, &exec_wanted));
        }
        if !brief {
            let lists: Vec<&str> = if wanted.is_empty() {
                DEPENDENCY_NAMES.split_whitespace().collect()
            } else {
                wanted.iter().map(String::as_str).filter(|w| dependency_kind(w).is_some()).collect()
            };
            for name in lists {
                let Some(kind) = dependency_kind(name) else { continue };
                // A socket answers `Triggers` itself (`sockets/`).
                if !(kind == Dep::Triggers && u.sock().is_some()) {
                    p.push((name.to_string().into(), self.dependency_names(id, kind).join(" ")));
                }
            }
            super::show_all::extra(u, self.loader.lookup.scope == unit::Scope::System, wanted, &mut p);
        }
        if !brief && u.svc.is_some() && (want("WatchdogTimestamp") || want("WatchdogTimestampMonotonic")) {
            // The engine's clock is the manager's (µs since it started).
            let at = u.svc.as_ref().and_then(|s| s.watchdog_reset_at()).map(|t| {
                let now = super::props::Instant2::now();
                let ago = self.now().saturating_sub(t);
                super::props::Instant2 { wall: now.wall.saturating_sub(ago), mono: now.mono.saturating_sub(ago) }
            });
            let named = [("WatchdogTimestamp", "WatchdogTimestampMonotonic", at.unwrap_or_default())];
            super::props::push_stamps(&named, &want, &mut p);
        }
        if !brief {
            self.reverse_properties(id, &want, &mut p);
        }
        // The installed job's id (systemd's `(uo)`: the id, empty
        // without one).
        if !brief && want("Job") {
            let job = self.jobs.get(id).map(|j| j.id).or_else(|| u.job.map(|(j, _)| j));
            p.push(("Job".into(), job.map_or_else(String::new, |j| j.to_string())));
        }
        if want("NeedDaemonReload") {
            let lookup = &self.loader.lookup;
            let (dropins, loaded) = (&u.cfg.dropin_paths, u.stamps.loaded_ns);
            // `status` asked for UnitFileState too: the stamps just checked
            // for it answer without a system call.
            let kept = if want("UnitFileState") && u.cfg.fragment.is_some() { self.file_states.changed_since(lookup, id, dropins, loaded) } else { None };
            let changed =
                kept.unwrap_or_else(|| super::file_state::changed_since(lookup, id, u.cfg.fragment.as_deref(), dropins, loaded));
            p.push(("NeedDaemonReload".into(), if changed { "yes" } else { "no" }.into()));
        }
        let (file_state, preset) = files;
        if want("UnitFileState") {
            p.push(("UnitFileState".into(), file_state));
        }
        if want("UnitFilePreset") {
            p.push(("UnitFilePreset".into(), preset));
        }
        // An Accept=yes socket triggers its live instances.
        if want("Triggers") && u.sock().is_some_and(|s| s.settings.accept) {
            p.retain(|(k, _)| k != "Triggers");
            p.push(("Triggers".into(), self.sockets.instances_of(id).join(" ")));
        }
        // `status` (brief) reads by name; one property has no order.
        if !brief && p.len() > 1 {
            super::show_all::order(&mut p);
            if u.timer().is_some() {
                super::timer_units::place_result(&mut p);
            }
        }
        p
    }

    /// `OnSuccessOf`, `OnFailureOf` (the units whose `OnSuccess=`/
    /// `OnFailure=` name this one) and a slice's `SliceOf` (the loaded
    /// units in it): the graph keeps no reverse edges of these, so each is
    /// a look at every loaded unit, paid only when asked for.
    fn reverse_properties(&self, id: &str, want: &dyn Fn(&str) -> bool, p: &mut Vec<super::props::Prop>) {
        use engine::transaction::Dep;
        for (name, kind) in [("OnSuccessOf", Dep::OnSuccess), ("OnFailureOf", Dep::OnFailure)] {
            if want(name) {
                let of: Vec<&str> = self.units().filter(|(other, _)| self.has_dep_on(other, kind, id)).map(|(o, _)| o).collect();
                p.push((name.into(), of.join(" ")));
            }
        }
        if want("SliceOf") && id.ends_with(".slice") {
            use unit::UnitType as T;
            let system = self.loader.lookup.scope == unit::Scope::System;
            let of: Vec<&str> = self
                .units()
                .filter(|(_, u)| matches!(u.cfg.id.unit_type(), T::Service | T::Socket | T::Scope | T::Mount | T::Swap))
                .filter(|(_, u)| super::show_all::slice_of(u, system) == id)
                .map(|(o, _)| o)
                .collect();
            p.push(("SliceOf".into(), of.join(" ")));
        } else if want("SliceOf") {
            p.push(("SliceOf".into(), String::new()));
        }
    }

    /// `MemoryCurrent`, `MemoryAvailable` and `CPUUsageNSec` of a service,
    /// read from its group as systemd reads them: memory where
    /// `MemoryAccounting=` is on (the default), CPU time only with
    /// `CPUAccounting=yes`; `[not set]` otherwise or without a group.
    fn usage_properties(&self, cfg: &unit::config::UnitConfig, group: Option<&std::path::Path>, want: &dyn Fn(&str) -> bool, p: &mut Vec<super::props::Prop>) {
        use unit::directive::SectionKind::Service as S;
        let not_set = || "[not set]".to_string();
        let memory = group.filter(|_| cfg.bool_or(S, "MemoryAccounting", true)).and_then(|g| self.cgroups.number(g, "memory.current", None));
        if want("MemoryCurrent") {
            p.push(("MemoryCurrent".into(), memory.map_or_else(not_set, |n| n.to_string())));
        }
        if want("MemoryAvailable") {
            // The tightest of the unit's own `MemoryMax=`/`MemoryHigh=`
            // less what it uses (systemd also looks at its slices, which
            // vigil does not make).
            let limit = ["MemoryMax", "MemoryHigh"]
                .iter()
                .filter_map(|k| super::show_all::setting(cfg, S, k)?.parse::<u64>().ok())
                .min();
            let available = match (limit, memory) {
                (Some(l), Some(m)) => l.saturating_sub(m).to_string(),
                _ => "infinity".to_string(),
            };
            p.push(("MemoryAvailable".into(), available));
        }
        if want("CPUUsageNSec") {
            let cpu = group.filter(|_| cfg.bool_or(S, "CPUAccounting", false)).and_then(|g| self.cgroups.number(g, "cpu.stat", Some("usage_usec")));
            p.push(("CPUUsageNSec".into(), cpu.map_or_else(not_set, |us| us.saturating_mul(1000).to_string())));
        }
    }
}

/// The dependency lists `show` prints from the manager's edges, in
/// systemd's order of the unit interface (text, not a table of `&str`:
/// nothing for the loader to relocate at each start of the binary).
pub const DEPENDENCY_NAMES: &str = "Requires Requisite Wants BindsTo PartOf Upholds RequiredBy RequisiteOf WantedBy \
    BoundBy UpheldBy ConsistsOf Conflicts ConflictedBy Before After OnSuccess OnFailure Triggers PropagatesReloadTo \
    ReloadPropagatedFrom PropagatesStopTo StopPropagatedFrom";

/// The edge kind of a dependency-list property (`WantedBy` → `WantedBy`):
/// a `match`, so that `show -p X` of any other property costs a few
/// length compares.
pub fn dependency_kind(name: &str) -> Option<Dep> {
    Some(match name {
        "Requires" => Dep::Requires,
        "Requisite" => Dep::Requisite,
        "Wants" => Dep::Wants,
        "BindsTo" => Dep::BindsTo,
        "PartOf" => Dep::PartOf,
        "Upholds" => Dep::Upholds,
        "RequiredBy" => Dep::RequiredBy,
        "RequisiteOf" => Dep::RequisiteOf,
        "WantedBy" => Dep::WantedBy,
        "BoundBy" => Dep::BoundBy,
        "UpheldBy" => Dep::UpheldBy,
        "ConsistsOf" => Dep::ConsistsOf,
        "Conflicts" => Dep::Conflicts,
        "ConflictedBy" => Dep::ConflictedBy,
        "Before" => Dep::Before,
        "After" => Dep::After,
        "OnSuccess" => Dep::OnSuccess,
        "OnFailure" => Dep::OnFailure,
        "Triggers" => Dep::Triggers,
        "PropagatesReloadTo" => Dep::PropagatesReloadTo,
        "ReloadPropagatedFrom" => Dep::ReloadPropagatedFrom,
        "PropagatesStopTo" => Dep::PropagatesStopTo,
        "StopPropagatedFrom" => Dep::StopPropagatedFrom,
        _ => return None,
    })
}

/// The smallest numeric `pids.max` among `dirs` (`max` means none).
fn tightest_pids_max<'a>(dirs: impl Iterator<Item = &'a std::path::Path>) -> Option<u64> {
    let read = |d: &std::path::Path| String::from_utf8(crate::daemon::cgroup::read_proc(d.join("pids.max"))?).ok();
    dirs.filter_map(|d| read(d)?.trim().parse::<u64>().ok()).min()
}


impl Manager {
    /// A snapshot of the manager's state on the console (SIGUSR2, or SIGUSR1), for
    /// debugging a stuck boot or stop: units, jobs, tracked pids, timers.
    pub fn dump(&self) {
        let mut out = String::from("-> vigil state dump\n");
        let mut ids: Vec<&str> = self.units.keys().collect();
        ids.sort();
        for id in ids {
            let Some(u) = self.units.get(id) else { continue };
            out.push_str(&format!(
                "\t{id}: {} {} job={:?} main={:?} control={:?}\n",
                u.active_state(),
                u.sub_state(),
                self.jobs.get(id),
                u.svc.as_ref().and_then(|s| s.main_pid()),
                u.svc.as_ref().and_then(|s| s.control_pid())
            ));
        }
        for (pid, unit) in self.pids.iter() {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_else(|_| "gone".into());
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
            let sig: Vec<&str> = status.lines().filter(|l| l.starts_with("Sig")).collect();
            out.push_str(&format!("\tpid {pid} ({unit}): {} {:?} cgroup={:?}\n", stat.trim(), sig, std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default().trim()));
        }
        out.push_str(&format!("\tcgroup pids: {:?}\n", self.units.keys().map(|k| (k, self.cgroups.pids(k))).filter(|(_, p)| !p.is_empty()).collect::<Vec<_>>()));
        for r in self.socket_rows(true) {
            out.push_str(&format!("\tlisten {} ({}) {} -> {:?}\n", r.listen, r.kind, r.unit, r.activates));
        }
        out.push_str(&format!("\ttimers: {:?} now={}\n", self.timers, self.now()));
        out.push_str(&format!("\t{}\n", self.execs.describe()));
        eprint!("{out}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_limit_is_the_tightest_on_the_way_up() {
        let tmp = std::env::temp_dir().join(format!("vigil-pidsmax-{}", std::process::id()));
        let leaf = tmp.join("a/b");
        std::fs::create_dir_all(&leaf).unwrap();
        std::fs::write(leaf.join("pids.max"), "max\n").unwrap();
        assert_eq!(tightest_pids_max(leaf.ancestors().take(3)), None);
        std::fs::write(tmp.join("a/pids.max"), "40\n").unwrap();
        std::fs::write(tmp.join("pids.max"), "90\n").unwrap();
        assert_eq!(tightest_pids_max(leaf.ancestors().take(3)), Some(40));
        std::fs::write(leaf.join("pids.max"), "7\n").unwrap();
        assert_eq!(tightest_pids_max(leaf.ancestors().take(3)), Some(7));
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn environment_checks_like_systemd() {
        assert!(env_assignment_ok("A=b c"));
        assert!(env_assignment_ok("_X1="));
        assert!(!env_assignment_ok("1A=b"));
        assert!(!env_assignment_ok("A-B=c"));
        assert!(!env_assignment_ok("NOEQUALS"));
        assert!(!env_assignment_ok("A=\u{1b}x"));
        assert!(env_name_ok("FOO") && !env_name_ok("") && !env_name_ok("F O"));
    }
}
