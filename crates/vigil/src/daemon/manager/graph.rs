//! The manager's unit graph as the transaction engine sees it
//! ([`engine::transaction::Graph`]), and the edge index behind it.
//!
//! Edges are indexed when a unit loads, keyed by the names written in the
//! unit files (a unit may be referenced before it loads, or under an
//! alias), in both directions: `a` with `Requires=b` records
//! `(Requires, b)` under `a` and `(RequiredBy, a)` under `b`. Ordering is
//! kept twice more as plain lists (`after`, `before_of`) for the job
//! runner's wake-ups, so a finished job touches only its neighbours and a
//! boot of N units costs time proportional to its edges.
//!
//! One rule needs both units loaded (`systemd.target(5)`, "Default
//! Dependencies"): a target with default dependencies is ordered after
//! the units it requires or wants that have default dependencies
//! themselves, unless that would invert an ordering already there. It is
//! applied when the second of the two units is indexed.
//!
//! Indexing also keeps, per loaded unit, what only its file decides
//! ([`Own`]): the dependencies it declares (`unit_deps()`, needed again by
//! the garbage collector when it unloads the unit) and the engine's
//! [`UnitInfo`] flags. A transaction asks for a unit's info several times
//! (every unit it touches, then again after pulling in); with the flags
//! kept, each ask is a lookup plus the live parts — state and edges —
//! instead of a dozen settings lookups. The cache follows the unit: made
//! when it is indexed (load, daemon-reload, which re-indexes every unit
//! from its new file), dropped when it is unloaded.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use engine::service::ActiveState;
use engine::transaction::{Dep, Graph, InstalledJob, Load, Mode, UnitInfo};
use unit::config::deps::{self, DepKind};
use unit::directive::SectionKind;
use unit::load::LoadState;
use unit::value::Value;

use super::Manager;

/// A map keyed by unit names. Every connection of an `Accept=yes` socket
/// looks its units up a few hundred times (loading, the transaction, the
/// job runner, collection), and SipHash over 50-byte instance names was a
/// fifth of the manager's instructions; this hashes eight bytes per step
/// (the multiply-rotate scheme of rustc's FxHash) from a per-process
/// random start, so the bucket of a name cannot be known in advance by a
/// peer choosing its port.
pub type NameMap<V> = HashMap<String, V, NameHash>;

/// The [`BuildHasher`] of [`NameMap`].
#[derive(Clone, Copy)]
pub struct NameHash(u64);

impl Default for NameHash {
    fn default() -> NameHash {
        static SEED: OnceLock<u64> = OnceLock::new();
        NameHash(*SEED.get_or_init(|| {
            let mut b = [0u8; 8];
            // SAFETY: getrandom(2) writes at most 8 bytes into the local buffer.
            unsafe { libc::getrandom(b.as_mut_ptr().cast(), b.len(), libc::GRND_NONBLOCK) };
            u64::from_ne_bytes(b) | 1
        }))
    }
}

impl BuildHasher for NameHash {
    type Hasher = NameHasher;
    fn build_hasher(&self) -> NameHasher {
        NameHasher(self.0)
    }
}

/// The hasher of [`NameHash`].
pub struct NameHasher(u64);

impl NameHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        // The multiply leaves its best bits high; the table indexes by the
        // low ones.
        self.0.rotate_left(26)
    }
}

#[derive(Default)]
pub struct Edges {
    /// name → names it must start after.
    pub after: NameMap<Vec<String>>,
    /// name → names that must start after it.
    pub before_of: NameMap<Vec<String>>,
    /// name → every edge, both directions, ordering included.
    pub deps: NameMap<Vec<(Dep, String)>>,
    /// Loaded unit id → what its file decides (module essay).
    pub own: NameMap<Own>,
}

/// What one loaded unit's file decides, kept from its indexing.
pub struct Own {
    /// Its declared dependencies, as `unit_deps()` gave them when indexed.
    pub deps: Vec<deps::Dep>,
    /// Its [`UnitInfo`] but for the live parts (`active`, `deps`).
    info: UnitInfo,
}

/// Append to the list of `key`; the key is copied only when it is new
/// (`entry()` would take an owned key for every edge of every unit).
fn push_to<T>(map: &mut NameMap<Vec<T>>, key: &str, value: T) {
    match map.get_mut(key) {
        Some(list) => list.push(value),
        None => {
            map.insert(key.to_string(), vec![value]);
        }
    }
}

impl Edges {
    fn add(&mut self, a: &str, kind: Dep, b: &str) {
        push_to(&mut self.deps, a, (kind, b.to_string()));
    }

    fn order(&mut self, first: &str, then: &str) {
        push_to(&mut self.after, then, first.to_string());
        push_to(&mut self.before_of, first, then.to_string());
        self.add(first, Dep::Before, then);
        self.add(then, Dep::After, first);
    }

    /// Undo what [`Manager::index_edges`] recorded for one of `id`'s own
    /// dependencies (the unit is being garbage-collected).
    ///
    /// The edge lists are sets: an entry is removed by swapping the last
    /// one into its place. Keeping the order would shift the rest of the
    /// list at each removal — for a target every service is ordered
    /// against, a copy of the whole list per unloaded unit (quadratic at
    /// stop-all).
    pub fn unindex(&mut self, id: &str, kind: DepKind, other: &str) {
        fn drop_one<T>(map: &mut NameMap<Vec<T>>, key: &str, is: impl Fn(&T) -> bool) {
            if let Some(v) = map.get_mut(key) {
                if let Some(i) = v.iter().rposition(is) {
                    v.swap_remove(i);
                }
                if v.is_empty() {
                    map.remove(key);
                }
            }
        }
        let mut unorder = |first: &str, then: &str| {
            drop_one(&mut self.after, then, |x| x == first);
            drop_one(&mut self.before_of, first, |x| x == then);
            drop_one(&mut self.deps, first, |(k, x)| *k == Dep::Before && x == then);
            drop_one(&mut self.deps, then, |(k, x)| *k == Dep::After && x == first);
        };
        match kind {
            DepKind::After => unorder(other, id),
            DepKind::Before => unorder(id, other),
            kind => {
                if let Some((fwd, inv)) = pair(kind) {
                    drop_one(&mut self.deps, id, |(k, x)| *k == fwd && x == other);
                    if fwd != inv {
                        drop_one(&mut self.deps, other, |(k, x)| *k == inv && x == id);
                    }
                }
            }
        }
    }
}

/// A forward kind and its inverse as recorded on the other unit.
fn pair(kind: DepKind) -> Option<(Dep, Dep)> {
    Some(match kind {
        DepKind::Requires => (Dep::Requires, Dep::RequiredBy),
        DepKind::Requisite => (Dep::Requisite, Dep::RequisiteOf),
        DepKind::Wants => (Dep::Wants, Dep::WantedBy),
        DepKind::BindsTo => (Dep::BindsTo, Dep::BoundBy),
        DepKind::PartOf => (Dep::PartOf, Dep::ConsistsOf),
        DepKind::Upholds => (Dep::Upholds, Dep::UpheldBy),
        DepKind::Conflicts => (Dep::Conflicts, Dep::ConflictedBy),
        DepKind::OnFailure | DepKind::OnSuccess => {
            let k = if kind == DepKind::OnFailure { Dep::OnFailure } else { Dep::OnSuccess };
            (k, k)
        }
        DepKind::PropagatesReloadTo => (Dep::PropagatesReloadTo, Dep::ReloadPropagatedFrom),
        DepKind::ReloadPropagatedFrom => (Dep::ReloadPropagatedFrom, Dep::PropagatesReloadTo),
        DepKind::PropagatesStopTo => (Dep::PropagatesStopTo, Dep::StopPropagatedFrom),
        DepKind::StopPropagatedFrom => (Dep::StopPropagatedFrom, Dep::PropagatesStopTo),
        DepKind::Triggers => (Dep::Triggers, Dep::TriggeredBy),
        DepKind::TriggeredBy => (Dep::TriggeredBy, Dep::Triggers),
        DepKind::Before | DepKind::After | DepKind::JoinsNamespaceOf | DepKind::InSlice => return None,
    })
}

/// The kinds that make a target pull a unit in, for the target rule.
const PULLS: [Dep; 4] = [Dep::Requires, Dep::Requisite, Dep::BindsTo, Dep::Wants];

pub fn active_state(s: &str) -> ActiveState {
    match s {
        "active" => ActiveState::Active,
        "reloading" => ActiveState::Reloading,
        "activating" => ActiveState::Activating,
        "deactivating" => ActiveState::Deactivating,
        "failed" => ActiveState::Failed,
        _ => ActiveState::Inactive,
    }
}

pub fn job_mode(word: &str) -> Mode {
    match word {
        "fail" => Mode::Fail,
        "replace-irreversibly" => Mode::ReplaceIrreversibly,
        "isolate" => Mode::Isolate,
        "flush" => Mode::Flush,
        "ignore-dependencies" => Mode::IgnoreDependencies,
        "ignore-requirements" => Mode::IgnoreRequirements,
        "triggering" => Mode::Triggering,
        _ => Mode::Replace,
    }
}

impl Manager {
    /// Record a freshly loaded unit's edges.
    pub(super) fn index_edges(&mut self, id: &str) {
        let Some(u) = self.units.get(id) else { return };
        let scope = self.loader.lookup.scope;
        let own = deps::unit_deps(&u.cfg, scope);
        for d in &own {
            match d.kind {
                DepKind::After => self.edges.order(&d.other, id),
                DepKind::Before => self.edges.order(id, &d.other),
                kind => {
                    if let Some((fwd, inv)) = pair(kind) {
                        self.edges.add(id, fwd, &d.other);
                        if fwd != inv {
                            self.edges.add(&d.other, inv, id);
                        }
                    }
                }
            }
        }
        let info = self.file_info(id);
        self.edges.own.insert(id.to_string(), Own { deps: own, info });
        self.target_default_edges(id);
    }

    /// All names a unit is known under (edges are recorded by name).
    pub(super) fn names_of(&self, id: &str) -> Vec<String> {
        match self.units.get(id) {
            Some(u) => {
                let mut v: Vec<String> = u.cfg.names.iter().map(|n| n.as_str().to_string()).collect();
                if !v.iter().any(|n| n == id) {
                    v.push(id.to_string());
                }
                v
            }
            None => vec![id.to_string()],
        }
    }

    pub(super) fn resolve(&self, name: &str) -> String {
        self.names.get(name).cloned().unwrap_or_else(|| name.to_string())
    }

    /// Every edge of unit `id`, under all its names (in [`Self::names_of`]'s
    /// order, without building that list).
    pub(super) fn deps_of(&self, id: &str) -> Vec<(Dep, String)> {
        let mut out = Vec::new();
        self.each_dep(id, |k, n| out.push((k, n.to_string())));
        out
    }

    /// Visit every edge of unit `id` as [`Self::deps_of`] lists them,
    /// without copying them.
    fn each_dep(&self, id: &str, mut f: impl FnMut(Dep, &str)) {
        let mut add = |n: &str| {
            for (k, other) in self.edges.deps.get(n).into_iter().flatten() {
                f(*k, other);
            }
        };
        match self.units.get(id) {
            Some(u) => {
                for n in u.cfg.names.iter() {
                    add(n.as_str());
                }
                if !u.cfg.names.iter().any(|n| n.as_str() == id) {
                    add(id);
                }
            }
            None => add(id),
        }
    }

    /// The loaded units on the other end of `id`'s edges of these kinds.
    pub(super) fn related(&self, id: &str, kinds: &[Dep]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.each_dep(id, |k, n| {
            if !kinds.contains(&k) {
                return;
            }
            let other = self.names.get(n).map_or(n, String::as_str);
            if self.units.contains_key(other) && !out.iter().any(|o| o == other) {
                out.push(other.to_string());
            }
        });
        out
    }

    /// The target rule of the module essay, for a unit just indexed.
    fn target_default_edges(&mut self, id: &str) {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let is_target = |m: &Manager, t: &str| {
            m.units.get(t).is_some_and(|u| {
                u.cfg.id.unit_type() == unit::UnitType::Target && deps::default_dependencies(&u.cfg)
            })
        };
        if is_target(self, id) {
            for w in self.related(id, &PULLS) {
                pairs.push((id.to_string(), w));
            }
        }
        let pulled_by: [Dep; 4] = [Dep::RequiredBy, Dep::RequisiteOf, Dep::BoundBy, Dep::WantedBy];
        for t in self.related(id, &pulled_by) {
            if is_target(self, &t) {
                pairs.push((t, id.to_string()));
            }
        }
        for (t, w) in pairs {
            let Some(wu) = self.units.get(&w) else { continue };
            if t == w || wu.cfg.load_state != LoadState::Loaded || !deps::default_dependencies(&wu.cfg) {
                continue;
            }
            let t_names = self.names_of(&t);
            let ordered = |m: &Manager, a: &str, b_names: &[String]| {
                let mut found = false;
                m.each_dep(a, |k, n| found |= matches!(k, Dep::After | Dep::Before) && b_names.iter().any(|b| b == n));
                found
            };
            // Any ordering between the two already (either way) wins.
            if !ordered(self, &w, &t_names) {
                self.edges.order(&w, &t);
            }
        }
    }

    /// The engine's view of unit `id`: the file's part from the index,
    /// the live state and edges read now.
    fn unit_info(&self, id: &str) -> UnitInfo {
        let Some(u) = self.units.get(id) else { return UnitInfo { load: Load::NotFound, ..UnitInfo::new(id) } };
        let mut info = match self.edges.own.get(id) {
            Some(own) => own.info.clone(),
            None => self.file_info(id),
        };
        info.active = active_state(u.active_state());
        info.deps = self.deps_of(id);
        info
    }

    /// What unit `id`'s file (and type) decide of its [`UnitInfo`];
    /// `active` and `deps` are left empty.
    fn file_info(&self, id: &str) -> UnitInfo {
        let Some(u) = self.units.get(id) else { return UnitInfo { load: Load::NotFound, ..UnitInfo::new(id) } };
        let cfg = &u.cfg;
        let flag = |name: &str| cfg.bool_or(SectionKind::Unit, name, false);
        let job_timeout_usec = match cfg.value(SectionKind::Unit, "JobTimeoutSec") {
            Some(Value::Timespan(t)) if t.0 != 0 && t.0 != u64::MAX => Some(t.0),
            _ => None,
        };
        let on_failure_mode = match cfg.string(SectionKind::Unit, "OnFailureJobMode") {
            Some(m) => job_mode(m),
            None if flag("OnFailureIsolate") => Mode::Isolate,
            None => Mode::Replace,
        };
        let can_reload = match (&u.svc, &u.sock) {
            (Some(_), _) => !unit::config::service::ServiceView::new(cfg).exec("ExecReload").is_empty(),
            _ => false,
        };
        UnitInfo {
            id: id.to_string(),
            load: match cfg.load_state {
                LoadState::Loaded => Load::Loaded,
                LoadState::Masked => Load::Masked,
                LoadState::NotFound => Load::NotFound,
                LoadState::BadSetting => Load::BadSetting,
                _ => Load::Error,
            },
            active: ActiveState::Inactive,
            deps: Vec::new(),
            refuse_manual_start: flag("RefuseManualStart"),
            refuse_manual_stop: flag("RefuseManualStop"),
            allow_isolate: flag("AllowIsolate"),
            // Slices, scopes, mounts, automounts and devices default to
            // yes (as `systemd --test` dumps them): isolating must not take
            // down the slice tree or the file systems.
            ignore_on_isolate: cfg.bool_or(
                SectionKind::Unit,
                "IgnoreOnIsolate",
                cfg.perpetual
                    || matches!(
                        cfg.id.unit_type(),
                        unit::UnitType::Slice
                            | unit::UnitType::Scope
                            | unit::UnitType::Mount
                            | unit::UnitType::Automount
                            | unit::UnitType::Device
                    ),
            ),
            stop_when_unneeded: flag("StopWhenUnneeded"),
            can_reload,
            job_timeout_usec,
            on_failure_mode,
        }
    }
}

/// The engine's view of the manager: loads units on demand.
pub struct View<'a>(pub &'a mut Manager);

impl Graph for View<'_> {
    fn unit(&mut self, name: &str) -> Result<UnitInfo, String> {
        // A name already known for a loaded unit needs no mangling and no
        // load (unit_id's other checks concern units that were not found).
        let m = &*self.0;
        let known = m.names.get(name).filter(|id| m.units.get(*id).is_some_and(|u| u.cfg.load_state != LoadState::NotFound));
        if let Some(id) = known {
            return Ok(m.unit_info(id));
        }
        let id = self.0.unit_id(name)?;
        Ok(self.0.unit_info(&id))
    }

    fn resolve(&self, name: &str) -> Option<String> {
        self.0.names.get(name).cloned()
    }

    fn installed_job(&self, id: &str) -> Option<InstalledJob> {
        self.0.jobs.get(id).map(|j| InstalledJob { ty: j.ty, running: j.running, irreversible: j.irreversible })
    }

    fn loaded_units(&self) -> Vec<String> {
        self.0.units.keys().cloned().collect()
    }
}
