//! A set of loaded units and the dependency edges between them — what the
//! manager holds after loading a transaction's units, and what the oracle
//! tests compare with `systemd --test`.
//!
//! [`Graph::load_closure`] loads the given units and, transitively, every
//! unit any of their dependencies names (systemd loads every referenced
//! unit, even through `After=`), so cross-unit rules can be applied:
//! dependency names are normalised to the other unit's id (an edge to the
//! alias `syslog.service` lands on `rsyslog.service`), and targets get
//! their default `After=` on the units they pull in
//! ([`deps::target_default_after`]).

use std::collections::{BTreeMap, HashMap, VecDeque};

use super::deps::{self, Dep, DepKind, Origin};
use super::{Loader, UnitConfig};
use crate::name::UnitName;

#[derive(Default)]
pub struct Graph {
    /// By unit id.
    pub units: BTreeMap<String, UnitConfig>,
    /// Forward edges by unit id, names normalised to ids.
    pub deps: BTreeMap<String, Vec<Dep>>,
    /// Every name (ids and aliases) to the unit id.
    pub names: HashMap<String, String>,
}

impl Graph {
    pub fn load_closure(loader: &Loader, roots: &[UnitName]) -> Graph {
        let scope = loader.lookup.scope;
        let mut g = Graph::default();
        let mut queue: VecDeque<UnitName> = roots.iter().cloned().collect();
        while let Some(name) = queue.pop_front() {
            if g.names.contains_key(name.as_str()) {
                continue;
            }
            let cfg = loader.load(&name);
            let id = cfg.id.as_str().to_string();
            g.names.insert(name.as_str().to_string(), id.clone());
            for n in cfg.names() {
                g.names.insert(n.as_str().to_string(), id.clone());
            }
            if g.units.contains_key(&id) {
                continue;
            }
            let list = deps::unit_deps(&cfg, scope);
            for d in &list {
                if let Some(n) = deps::dep_name(d) {
                    if !g.names.contains_key(n.as_str()) {
                        queue.push_back(n);
                    }
                }
            }
            g.deps.insert(id.clone(), list);
            g.units.insert(id, cfg);
        }
        // Normalise names to ids.
        for list in g.deps.values_mut() {
            for d in list.iter_mut() {
                if let Some(id) = g.names.get(&d.other) {
                    d.other = id.clone();
                }
            }
            list.sort();
            list.dedup();
        }
        // Cross-unit default: targets order after what they pull in.
        let mut extra: Vec<(String, Dep)> = Vec::new();
        for (id, cfg) in &g.units {
            let Some(list) = g.deps.get(id) else { continue };
            for d in list {
                if let Some(other) = g.units.get(&d.other) {
                    let other_deps = g.deps.get(&d.other).map(Vec::as_slice).unwrap_or(&[]);
                    if deps::target_default_after(cfg, list, other, other_deps) {
                        extra.push((
                            id.clone(),
                            Dep { kind: DepKind::After, other: d.other.clone(), origin: Origin::Default },
                        ));
                    }
                }
            }
        }
        for (id, d) in extra {
            if let Some(list) = g.deps.get_mut(&id) {
                list.push(d);
                list.sort();
                list.dedup();
            }
        }
        g
    }

    /// Every edge touching `unit`, as `systemd --test` lists them: the
    /// forward ones (`origin-…`) and the inverse ones other units point at
    /// it (`destination-…`), merged per (kind word, other unit).
    pub fn edges_of(&self, unit: &str) -> BTreeMap<(String, String), Vec<String>> {
        let mut m: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        if let Some(list) = self.deps.get(unit) {
            for d in list {
                m.entry((d.kind.as_str().to_string(), d.other.clone()))
                    .or_default()
                    .push(format!("origin-{}", d.origin.as_str()));
            }
        }
        for (from, list) in &self.deps {
            for d in list.iter().filter(|d| d.other == unit) {
                m.entry((d.kind.inverse().to_string(), from.clone()))
                    .or_default()
                    .push(format!("destination-{}", d.origin.as_str()));
            }
        }
        for v in m.values_mut() {
            v.sort_by_key(|w| origin_rank(w));
            v.dedup();
        }
        m
    }
}

/// The order systemd prints origin words in: all `origin-` before all
/// `destination-`, each in its `UnitDependencyMask` bit order.
pub fn origin_rank(word: &str) -> (u8, u8) {
    let (side, what) = match word.split_once('-') {
        Some(("origin", w)) => (0, w),
        Some(("destination", w)) => (1, w),
        _ => (2, word),
    };
    let bit = match what {
        "file" => 0,
        "implicit" => 1,
        "default" => 2,
        "udev" => 3,
        "path" => 4,
        "mountinfo" => 5,
        "mount-file" => 6,
        "proc-swap" => 7,
        "slice-property" => 8,
        _ => 9,
    };
    (side, bit)
}
