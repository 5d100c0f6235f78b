//! The manager's unit graph as the transaction engine sees it
//! ([`engine::transaction::Graph`]), and the edge index behind it.
//!
//! Edges are indexed when a unit loads, keyed by the names written in the
//! unit files (a unit may be referenced before it loads, or under an
//! alias), in both directions: `a` with `Requires=b` records
//! `(Requires, b)` under `a` and `(RequiredBy, a)` under `b`. The job
//! runner's wake-ups read the ordering edges of a unit from the same list
//! ([`Edges::after_of`], [`Edges::before_of`]), so a finished job touches
//! only its neighbours and a boot of N units costs time proportional to its
//! edges. (Ordering was once kept twice more, as two maps of plain lists:
//! two more tables with a slot and a list per unit, ~220 bytes per unit at
//! 1000 services, to save skipping the other kinds of a short list.)
//!
//! One rule needs both units loaded (`systemd.target(5)`, "Default
//! Dependencies"): a target with default dependencies is ordered after
//! the units it requires or wants that have default dependencies
//! themselves, unless that would invert an ordering already there. It is
//! applied when the second of the two units is indexed.
//!
//! Indexing also keeps, per loaded unit, what only its file decides
//! ([`Own`]): the engine's [`UnitInfo`] flags. (The dependencies it
//! declares are not kept: the collector, which needs them again to undo the
//! indexing when it unloads the unit, computes them again from the unit's
//! file settings, which are the same until a daemon-reload re-indexes every
//! unit. Kept, they were ~170 bytes per unit, for one more `unit_deps()`
//! per unloaded unit. Template instances are the exception: an
//! `Accept=yes` socket loads and unloads one per connection, and the
//! second `unit_deps()` was ~9k of the manager's ~330k instructions per
//! connection; they keep their list, as interned names, while loaded.) A transaction asks for a unit's info several times
//! (every unit it touches, then again after pulling in); with the flags
//! kept, each ask is a lookup plus the live parts — state and edges —
//! instead of a dozen settings lookups. The cache follows the unit: made
//! when it is indexed (load, daemon-reload, which re-indexes every unit
//! from its new file), dropped when it is unloaded.
//!
//! # Memory
//!
//! Every name in the index is interned ([`Names`]): an edge holds a
//! reference-counted pointer to the one copy of the name, not a string of
//! its own. With 1000 services each ordered against the same few targets,
//! the names `sysinit.target` or `s1.service` were otherwise copied tens of
//! thousands of times (a heap block each, with its malloc header). A name
//! leaves the table when the last edge naming it does ([`Names::release`],
//! called as units are unloaded).
//!
//! A transaction's copy of a unit's edges ([`UnitInfo::deps`]) is made of
//! clones of the same names, in one list sized once: the boot transaction
//! asks for every unit's list while the units load, and a string per edge
//! plus a list grown by doubling (~1 KB per unit) outlived nothing but the
//! transaction, leaving holes between the units' own heap blocks that
//! `malloc_trim(3)` cannot give back (1000 services: ~0.5 MB resident).

use std::collections::{HashMap, HashSet};

use engine::service::ActiveState;
use engine::transaction::{Dep, Graph, InstalledJob, Load, Mode, UnitInfo};
use unit::config::deps::{self, DepKind};
use unit::directive::SectionKind;
use unit::load::LoadState;
use unit::value::Value;

use super::Manager;

/// A map keyed by unit names, with the hasher the engine's transactions
/// use ([`engine::name_hash`]: SipHash over 50-byte instance names was a
/// fifth of an `Accept=yes` connection's instructions).
pub use engine::name_hash::{NameHash, NameMap};

/// An interned unit name (module essay, "Memory"): one pointer wide.
/// The engine's type, so a transaction's edge lists are clones of the
/// index's names (`UnitInfo::deps`).
pub use engine::name::Name;

/// A map keyed by interned names; looked up by `&str` like [`NameMap`].
pub type NameRcMap<V> = HashMap<Name, V, NameHash>;

/// The one copy of every name the index holds.
#[derive(Default)]
pub struct Names(HashSet<Name, NameHash>);

impl Names {
    /// The interned copy of `s`, made on first use.
    pub fn intern(&mut self, s: &str) -> Name {
        if let Some(n) = self.0.get(s) {
            return n.clone();
        }
        let n = Name::new(s);
        self.0.insert(n.clone());
        n
    }

    /// Forget `s` once nothing but this table holds it.
    pub fn release(&mut self, s: &str) {
        if self.0.get(s).is_some_and(Name::is_unique) {
            self.0.remove(s);
        }
    }
}

/// Push onto the list under `key`, interning the key only when the list
/// is new (the common case is a name already listed).
fn push_under<T>(map: &mut NameRcMap<Vec<T>>, names: &mut Names, key: &str, item: T) {
    match map.get_mut(key) {
        Some(v) => v.push(item),
        None => {
            map.insert(names.intern(key), vec![item]);
        }
    }
}

#[derive(Default)]
pub struct Edges {
    /// name → every edge, both directions, ordering included.
    pub deps: NameRcMap<Vec<(Dep, Name)>>,
    /// The names all of the above (and the collector's references) hold.
    pub names: Names,
}

/// What one loaded unit's file decides, kept from its indexing, in the
/// unit itself ([`super::Unit::own`]: no table of its own, no key).
pub struct Own {
    /// Its [`UnitInfo`] but for the live parts (`id`, `active`, `deps`).
    info: FileFlags,
    /// The dependencies it was indexed with, kept for template instances
    /// only (module essay): what [`Manager::unload`] undoes.
    pub(super) deps: Option<Box<[(DepKind, Name)]>>,
}

/// The parts of a [`UnitInfo`] a unit's file decides: without its id and
/// edge list (a string and a list, 48 bytes kept empty in every unit).
#[derive(Clone, Copy)]
struct FileFlags {
    load: Load,
    refuse_manual_start: bool,
    refuse_manual_stop: bool,
    allow_isolate: bool,
    ignore_on_isolate: bool,
    stop_when_unneeded: bool,
    can_reload: bool,
    /// Never `Some(0)` ([`Manager::file_info`]): no tag beside the value,
    /// 8 bytes less in every unit (see the unit's size test).
    job_timeout_usec: Option<std::num::NonZeroU64>,
    on_failure_mode: Mode,
}

impl FileFlags {
    fn of(i: &UnitInfo) -> FileFlags {
        FileFlags {
            load: i.load,
            refuse_manual_start: i.refuse_manual_start,
            refuse_manual_stop: i.refuse_manual_stop,
            allow_isolate: i.allow_isolate,
            ignore_on_isolate: i.ignore_on_isolate,
            stop_when_unneeded: i.stop_when_unneeded,
            can_reload: i.can_reload,
            job_timeout_usec: i.job_timeout_usec.and_then(std::num::NonZeroU64::new),
            on_failure_mode: i.on_failure_mode,
        }
    }

    /// The unit's info with these flags, inactive and without edges.
    fn info(self, id: &str) -> UnitInfo {
        UnitInfo {
            id: id.to_string(),
            load: self.load,
            active: ActiveState::Inactive,
            deps: Default::default(),
            refuse_manual_start: self.refuse_manual_start,
            refuse_manual_stop: self.refuse_manual_stop,
            allow_isolate: self.allow_isolate,
            ignore_on_isolate: self.ignore_on_isolate,
            stop_when_unneeded: self.stop_when_unneeded,
            can_reload: self.can_reload,
            job_timeout_usec: self.job_timeout_usec.map(std::num::NonZeroU64::get),
            on_failure_mode: self.on_failure_mode,
        }
    }
}

impl Edges {
    fn add(&mut self, a: &str, kind: Dep, b: &str) {
        let b = self.names.intern(b);
        push_under(&mut self.deps, &mut self.names, a, (kind, b));
    }

    fn order(&mut self, first: &str, then: &str) {
        self.add(first, Dep::Before, then);
        self.add(then, Dep::After, first);
    }

    /// The names `name` must start after, in the order they were indexed.
    pub fn after_of<'a>(&'a self, name: &str) -> impl DoubleEndedIterator<Item = &'a Name> + 'a {
        self.ordered(name, Dep::After)
    }

    /// The names that must start after `name`, in the order they were
    /// indexed.
    pub fn before_of<'a>(&'a self, name: &str) -> impl DoubleEndedIterator<Item = &'a Name> + 'a {
        self.ordered(name, Dep::Before)
    }

    fn ordered<'a>(&'a self, name: &str, kind: Dep) -> impl DoubleEndedIterator<Item = &'a Name> + 'a {
        self.deps.get(name).into_iter().flatten().filter(move |(k, _)| *k == kind).map(|(_, n)| n)
    }

    /// Give back the slack of every list and table (after boot: lists grown
    /// by doubling keep up to half their capacity unused).
    pub fn shrink(&mut self) {
        for v in self.deps.values_mut() {
            v.shrink_to_fit();
        }
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
        fn drop_one<T>(map: &mut NameRcMap<Vec<T>>, key: &str, is: impl Fn(&T) -> bool) {
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
            drop_one(&mut self.deps, first, |(k, x)| *k == Dep::Before && &**x == then);
            drop_one(&mut self.deps, then, |(k, x)| *k == Dep::After && &**x == first);
        };
        match kind {
            DepKind::After => unorder(other, id),
            DepKind::Before => unorder(id, other),
            kind => {
                if let Some((fwd, inv)) = pair(kind) {
                    drop_one(&mut self.deps, id, |(k, x)| *k == fwd && &**x == other);
                    if fwd != inv {
                        drop_one(&mut self.deps, other, |(k, x)| *k == inv && &**x == id);
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
    /// Record a freshly loaded unit's edges, and its own dependencies as
    /// the collector's references (`gc::Gc::loaded`).
    ///
    /// The dependencies are borrowed from the unit's settings
    /// (`unit_deps_ref()`): this runs for every unit as it loads, and a
    /// list with a string per edge was a dozen heap blocks per unit made
    /// and freed here among the unit's own.
    pub(super) fn index_edges(&mut self, id: &str) {
        let Some(u) = self.units.get(id) else { return };
        let scope = self.loader.lookup.scope;
        let own = deps::unit_deps_ref(&u.cfg, scope);
        for d in own.iter() {
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
        let kept = u.cfg.id.is_instance().then(|| {
            own.iter().map(|d| (d.kind, self.edges.names.intern(&d.other))).collect::<Box<[_]>>()
        });
        self.gc.loaded(&mut self.edges.names, id, own.iter().map(|d| &*d.other));
        drop(own);
        let info = FileFlags::of(&self.file_info(id));
        if let Some(u) = self.units.get_mut(id) {
            u.own = Some(Own { info, deps: kept });
        }
        self.target_default_edges(id);
    }

    /// Load every unit a start of `root` pulls in, before the boot's
    /// transaction is built.
    ///
    /// The transaction loads the units it does not know as it meets them,
    /// and what it keeps of each (its info, its edge list) lives until the
    /// transaction is done: built that way, the units' own heap blocks lay
    /// between a thousand of the transaction's, whose freeing left holes
    /// in every page (module essay, "Memory"). Loaded first, the units lie
    /// together, and the transaction's blocks come after them: at 1000
    /// services the manager's heap is ~400 kB smaller once the boot is
    /// over (`bench/mem.sh`; with glibc's malloc cache kept small,
    /// `malloc_cache.rs`, without which the freed room stayed resident
    /// anyway). It follows the kinds the transaction pulls
    /// units in by (`Requires=`, `Requisite=`, `Wants=`, `BindsTo=`,
    /// `Upholds=`) and `Conflicts=`; a unit it misses is loaded by the
    /// transaction as before.
    pub fn preload(&mut self, root: &str) {
        const PULL: [Dep; 6] = [Dep::Requires, Dep::Requisite, Dep::Wants, Dep::BindsTo, Dep::Upholds, Dep::Conflicts];
        let Ok(id) = self.unit_id(root) else { return };
        // Sized once: grown by doubling, its outgrown blocks were holes
        // among the units'.
        let mut todo: Vec<Name> = Vec::with_capacity(self.loader.index.len());
        todo.push(self.edges.names.intern(&id));
        while let Some(name) = todo.pop() {
            let loaded = self.known_id(&name).is_some_and(|id| self.units.contains_key(id));
            if !loaded && self.unit_id(&name).is_err() {
                continue;
            }
            let Some(id) = self.known_id(&name) else { continue };
            for (kind, other) in self.edges.deps.get(id).into_iter().flatten() {
                if PULL.contains(kind) && self.known_id(other).is_none() {
                    todo.push(other.clone());
                }
            }
        }
    }

    /// All names a unit is known under (edges are recorded by name): its
    /// id, its aliases, then `id` itself unless it is one of them.
    /// Borrowed, not copied: every job that finishes, and every state
    /// change, asks (at a stop of 1000 units, ~5 times per unit).
    pub(super) fn names_of<'a>(&'a self, id: &'a str) -> impl DoubleEndedIterator<Item = &'a str> + Clone + 'a {
        let (own_id, aliases): (Option<&'a str>, &'a [unit::name::UnitName]) = match self.units.get(id) {
            Some(u) => (Some(u.cfg.id.as_str()), &u.cfg.aliases),
            None => (None, &[]),
        };
        let extra = (own_id != Some(id) && !aliases.iter().any(|n| n.as_str() == id)).then_some(id);
        own_id.into_iter().chain(aliases.iter().map(|n| n.as_str())).chain(extra)
    }

    /// The id a name stands for: an alias's unit, or the name itself when
    /// it is the id of a loaded unit; `None` for a name never loaded. An
    /// alias entry wins over a loaded unit of that id, as the one table
    /// holding both did (the later load overwrote the entry).
    pub(super) fn known_id<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        match self.names.get(name) {
            Some(id) => Some(id),
            None => self.units.contains_key(name).then_some(name),
        }
    }

    /// Record that `name` stands for `id` (see `names`): only a name other
    /// than the id takes an entry; the id's own name drops a stale one.
    pub(super) fn record_name(&mut self, name: &str, id: &str) {
        if name == id {
            self.names.remove(name);
        } else if self.names.get(name).is_none_or(|v| v != id) {
            self.names.insert(name.to_string(), id.to_string());
        }
    }

    pub(super) fn resolve(&self, name: &str) -> String {
        self.known_id(name).unwrap_or(name).to_string()
    }

    /// Every edge of unit `id`, under all its names (in [`Self::names_of`]'s
    /// order, without building that list).
    pub(super) fn deps_of(&self, id: &str) -> Vec<(Dep, Name)> {
        // Sized once: the boot transaction asks for every unit's list
        // while the units load, and a list grown by doubling left the
        // blocks it outgrew as holes between theirs.
        let mut n = 0;
        self.each_dep(id, |_, _| n += 1);
        let mut out = Vec::with_capacity(n);
        self.each_dep(id, |k, n| out.push((k, n.clone())));
        out
    }

    /// Visit every edge of unit `id` as [`Self::deps_of`] lists them,
    /// without copying them.
    fn each_dep(&self, id: &str, mut f: impl FnMut(Dep, &Name)) {
        let mut add = |n: &str| {
            for (k, other) in self.edges.deps.get(n).into_iter().flatten() {
                f(*k, other);
            }
        };
        match self.units.get(id) {
            Some(u) => {
                for n in u.cfg.names() {
                    add(n.as_str());
                }
                if !u.cfg.names().any(|n| n.as_str() == id) {
                    add(id);
                }
            }
            None => add(id),
        }
    }

    /// The names on the other end of `id`'s edges of one kind, each once
    /// and by its unit's id where it is an alias, as `show` lists them
    /// (`Requires=`, `WantedBy=`…).
    pub(super) fn dependency_names(&self, id: &str, kind: Dep) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.each_dep(id, |k, n| {
            if k != kind {
                return;
            }
            let other = self.known_id(n).unwrap_or(n);
            if !out.iter().any(|o| o == other) {
                out.push(other.to_string());
            }
        });
        out
    }

    /// Whether `from` has an edge of `kind` to `to` (an alias resolved to
    /// its unit's id), without copying any name.
    pub(super) fn has_dep_on(&self, from: &str, kind: Dep, to: &str) -> bool {
        let mut found = false;
        self.each_dep(from, |k, n| found |= k == kind && self.known_id(n).unwrap_or(n) == to);
        found
    }

    /// The loaded units on the other end of `id`'s edges of these kinds.
    pub(super) fn related(&self, id: &str, kinds: &[Dep]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.each_dep(id, |k, n| {
            if !kinds.contains(&k) {
                return;
            }
            let other = self.known_id(n).unwrap_or(n);
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
            let t_names: Vec<String> = self.names_of(&t).map(str::to_string).collect();
            let ordered = |m: &Manager, a: &str, b_names: &[String]| {
                let mut found = false;
                m.each_dep(a, |k, n| found |= matches!(k, Dep::After | Dep::Before) && b_names.iter().any(|b| *b == **n));
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
        let mut info = match &u.own {
            Some(own) => own.info.info(id),
            None => self.file_info(id),
        };
        info.active = active_state(u.active_state());
        info.deps = std::rc::Rc::new(self.deps_of(id));
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
        let can_reload = match (&u.svc, u.sock()) {
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
            deps: Default::default(),
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

/// The engine's view of the manager: loads units on demand, and counts
/// the answers that may have loaded one ([`Graph::loads`]).
pub struct View<'a>(pub &'a mut Manager, pub u64);

impl Graph for View<'_> {
    fn unit(&mut self, name: &str) -> Result<UnitInfo, String> {
        // A name already known for a loaded unit needs no mangling and no
        // load (unit_id's other checks concern units that were not found).
        let m = &*self.0;
        let known = m.known_id(name).filter(|id| m.units.get(id).is_some_and(|u| u.cfg.load_state != LoadState::NotFound));
        if let Some(id) = known {
            return Ok(m.unit_info(id));
        }
        // Whether or not this loads the unit (it may be loaded under
        // another name), count it: a load adds edges to units answered
        // before, which the transaction then reads again.
        self.1 += 1;
        let id = self.0.unit_id(name)?;
        Ok(self.0.unit_info(&id))
    }

    fn loads(&self) -> Option<u64> {
        Some(self.1)
    }

    fn resolve(&self, name: &str) -> Option<String> {
        self.0.known_id(name).map(str::to_string)
    }

    fn installed_job(&self, id: &str) -> Option<InstalledJob> {
        self.0.jobs.get(id).map(|j| InstalledJob { ty: j.ty, running: j.running, irreversible: j.irreversible })
    }

    fn loaded_units(&self) -> Vec<String> {
        self.0.units.keys().map(str::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_interned_once_and_leaves_with_its_last_holder() {
        let mut names = Names::default();
        let a = names.intern("a.service");
        let b = names.intern("a.service");
        assert!(a.same(&b), "one copy per name");
        assert_eq!(&*a, "a.service");
        let mut map: NameRcMap<u32> = HashMap::default();
        map.insert(a.clone(), 7);
        assert_eq!(map.get("a.service"), Some(&7), "looked up by &str");
        names.release("a.service");
        assert!(names.intern("a.service").same(&a), "still held: kept");
        drop((a, b, map));
        names.release("a.service");
        assert_eq!(names.0.len(), 0, "released once nothing holds it");
    }
}
