//! Three tables the manager asks per unit, kept indexed by unit so that a
//! question about one unit costs time proportional to that unit, not to
//! every process or timer of the manager.
//!
//! - [`PidTable`]: the processes the manager tracks (main and control
//!   processes, socket units' commands), by pid — a reaped child's unit —
//!   and by unit — what a unit going down forgets, whether a unit still
//!   has a tracked process, which tracked processes vanished unreaped.
//!   With one lookup table only, each of those was a scan of all tracked
//!   pids: at stop-all of N services, N scans of N entries (the largest
//!   share of the stop phase's instructions before this table).
//! - [`EngineTimers`]: which entry of the manager's deadline-ordered timer
//!   table holds a unit's state or watchdog timer, so re-arming and
//!   disarming one (every stop arms a `TimeoutStopSec=` timer, every state
//!   change disarms) removes the old entry directly instead of filtering
//!   the whole table. A fired timer's token is still checked by the
//!   service machine (`engine::service`), so the index is only about cost.
//! - [`UnitTable`]: the loaded units by id, keyed by the id's interned
//!   copy (`graph::Name`) and looked up by `&str`.
//!
//! A unit's pids are kept under its name in the by-unit table, the first
//! inline ([`Pids`]); the by-pid table holds the unit's name per pid. Both
//! hold the manager's interned copy of the name ([`Names`]), so tracking a
//! process allocates nothing of its own. A record per tracked unit (the
//! pids and a pointer to the name, shared by both tables) was a heap block
//! made in the spawn path: at a boot of 1000 services those blocks, with
//! the services' first run records, lay among the burst's short-lived
//! ones and kept its pages resident (the burst's 1.1 MB of heap held 243
//! kB of live data, most of it theirs; `bench/heap_trace.sh`,
//! `HOLES_PROFILE=1`). The two tables cost ~100 bytes per tracked unit at
//! 1000 services (they hold about twice their length in slots).

use std::collections::HashMap;

use engine::service::TimerKind;

use super::graph::{Name, NameMap, NameRcMap, Names};
use super::Unit;

/// A unit's tracked pids, oldest first; the first kept inline. Most units
/// track one process at a time (their main process): a list was one more
/// 32-byte heap block per running service, made in the spawn path among
/// the unit's long-lived blocks (1000 services: 32 kB and a thousand
/// blocks). The same size as the list it replaces (the list's capacity
/// has room for the tag).
enum Pids {
    /// None or one pid (`len` 0 or 1).
    Inline { len: u8, pid: u32 },
    Heap(Vec<u32>),
}

impl Default for Pids {
    fn default() -> Pids {
        Pids::NONE
    }
}

impl Pids {
    const NONE: Pids = Pids::Inline { len: 0, pid: 0 };

    fn as_slice(&self) -> &[u32] {
        match self {
            Pids::Inline { len: 0, .. } => &[],
            Pids::Inline { pid, .. } => std::slice::from_ref(pid),
            Pids::Heap(v) => v,
        }
    }

    fn push(&mut self, p: u32) {
        match self {
            Pids::Inline { len: 0, .. } => *self = Pids::Inline { len: 1, pid: p },
            Pids::Inline { pid, .. } => *self = Pids::Heap(vec![*pid, p]),
            Pids::Heap(v) => v.push(p),
        }
    }

    /// Remove `p` (every copy); whether none is left.
    fn remove(&mut self, p: u32) -> bool {
        match self {
            Pids::Inline { len, pid } => {
                if *pid == p {
                    *len = 0;
                }
            }
            Pids::Heap(v) => v.retain(|x| *x != p),
        }
        self.as_slice().is_empty()
    }
}

/// Tracked pids, by pid and by unit.
#[derive(Default)]
pub(super) struct PidTable {
    owner: HashMap<u32, Name>,
    by_unit: NameRcMap<Pids>,
}

impl PidTable {
    /// Track `pid` as a process of `unit` (a pid reused by another unit
    /// moves to it).
    pub fn insert(&mut self, pid: u32, unit: Name) {
        self.remove(pid);
        self.by_unit.entry(unit.clone()).or_insert(Pids::NONE).push(pid);
        self.owner.insert(pid, unit);
    }

    /// Stop tracking `pid`; returns its unit.
    pub fn remove(&mut self, pid: u32) -> Option<String> {
        let unit = self.owner.remove(&pid)?;
        if self.by_unit.get_mut(&*unit).is_some_and(|p| p.remove(pid)) {
            self.by_unit.remove(&*unit);
        }
        Some(unit.to_string())
    }

    /// The unit `pid` is tracked for.
    pub fn get(&self, pid: u32) -> Option<&str> {
        self.owner.get(&pid).map(|u| &**u)
    }

    /// The tracked pids of `unit`, oldest first.
    pub fn of_unit(&self, unit: &str) -> &[u32] {
        self.by_unit.get(unit).map_or(&[], Pids::as_slice)
    }

    /// Forget every tracked pid of `unit`.
    pub fn remove_unit(&mut self, unit: &str) {
        if let Some(p) = self.by_unit.remove(unit) {
            for pid in p.as_slice() {
                self.owner.remove(pid);
            }
        }
    }

    /// Every tracked pid with its unit.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.owner.iter().map(|(p, u)| (*p, &**u))
    }
}

/// The loaded units by id. The key is the id's interned copy
/// ([`Names`]: the edge index holds it anyway): a `String` key was a
/// 24-byte slot and a heap copy of the id per unit (1000 units: ~65 kB).
/// Looked up by `&str` (a `&String` derefs to it), which a map keyed by
/// [`Name`] cannot offer for `&String` itself.
#[derive(Default)]
pub(super) struct UnitTable(NameRcMap<Box<Unit>>);

impl UnitTable {
    pub fn get(&self, id: &str) -> Option<&Unit> {
        self.0.get(id).map(|u| &**u)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Unit> {
        self.0.get_mut(id).map(|u| &mut **u)
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.0.contains_key(id)
    }

    /// Add (or replace) the unit of `id`, interned in `names`.
    pub fn insert(&mut self, names: &mut Names, id: &str, unit: Box<Unit>) {
        self.0.insert(names.intern(id), unit);
    }

    /// The shared copy of `id` (the key of its unit), for other tables
    /// keyed by unit; a new one if no unit of that id is loaded.
    pub fn name(&self, id: &str) -> Name {
        self.0.get_key_value(id).map_or_else(|| Name::new(id), |(k, _)| k.clone())
    }

    pub fn remove(&mut self, id: &str) -> Option<Box<Unit>> {
        self.0.remove(id)
    }

    /// Take every key from `names` again (daemon-reload starts a new name
    /// table: the keys would otherwise stay second copies of the names).
    pub fn reintern(&mut self, names: &mut Names) {
        let old = std::mem::take(&mut self.0);
        self.0.reserve(old.len());
        for (k, u) in old {
            self.0.insert(names.intern(&k), u);
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(|k| &**k)
    }

    pub fn values(&self) -> impl Iterator<Item = &Unit> {
        self.0.values().map(|u| &**u)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Unit)> {
        self.0.iter().map(|(k, u)| (&**k, &**u))
    }
}

impl std::ops::Index<&str> for UnitTable {
    type Output = Unit;
    /// The unit of `id`, which must be loaded.
    fn index(&self, id: &str) -> &Unit {
        &self.0[id]
    }
}

/// Where each unit's engine timers sit in the manager's timer table:
/// unit → the `(deadline, sequence)` key of its state and watchdog timer.
#[derive(Default)]
pub(super) struct EngineTimers {
    keys: NameMap<[Option<(u64, u64)>; 2]>,
}

fn slot(kind: TimerKind) -> usize {
    match kind {
        TimerKind::State => 0,
        TimerKind::Watchdog => 1,
    }
}

impl EngineTimers {
    /// Record `key` as `unit`'s timer of `kind`; returns the key it
    /// replaces (to be removed from the table).
    pub fn set(&mut self, unit: &str, kind: TimerKind, key: (u64, u64)) -> Option<(u64, u64)> {
        match self.keys.get_mut(unit) {
            Some(slots) => slots[slot(kind)].replace(key),
            None => {
                let mut slots = [None, None];
                slots[slot(kind)] = Some(key);
                self.keys.insert(unit.to_string(), slots);
                None
            }
        }
    }

    /// Forget `unit`'s timer of `kind` — any, or only the one under
    /// `key` (a timer that fired); returns the key it had.
    pub fn take(&mut self, unit: &str, kind: TimerKind, only: Option<(u64, u64)>) -> Option<(u64, u64)> {
        let slots = self.keys.get_mut(unit)?;
        let s = &mut slots[slot(kind)];
        if only.is_some() && *s != only {
            return None;
        }
        let key = s.take();
        if slots.iter().all(Option::is_none) {
            self.keys.remove(unit);
        }
        key
    }

    /// Forget every timer of `unit` (unloaded).
    pub fn remove_unit(&mut self, unit: &str) {
        self.keys.remove(unit);
    }

    /// Give back the room of timers disarmed since (after boot).
    pub fn shrink(&mut self) {
        self.keys.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_are_found_by_pid_and_by_unit() {
        let mut t = PidTable::default();
        t.insert(10, "a.service".into());
        t.insert(11, "a.service".into());
        t.insert(20, "b.service".into());
        assert_eq!(t.get(11), Some("a.service"));
        assert_eq!(t.of_unit("a.service"), &[10, 11]);
        assert_eq!(t.remove(10).as_deref(), Some("a.service"));
        assert_eq!(t.of_unit("a.service"), &[11]);
        // A reused pid moves to its new unit.
        t.insert(11, "b.service".into());
        assert!(t.of_unit("a.service").is_empty());
        assert_eq!(t.of_unit("b.service"), &[20, 11]);
        t.remove_unit("b.service");
        assert_eq!(t.get(20), None);
        assert_eq!(t.iter().count(), 0);
        assert_eq!(t.remove(20), None);
        assert!(t.by_unit.is_empty(), "a unit without pids has no entry");
        // A unit tracked again after it was forgotten starts a new list.
        t.insert(30, "b.service".into());
        assert_eq!(t.of_unit("b.service"), &[30]);
        assert_eq!(t.remove(30).as_deref(), Some("b.service"));
        assert!(t.by_unit.is_empty() && t.owner.is_empty());
    }

    #[test]
    fn one_pid_is_kept_inline_and_more_in_a_list() {
        let mut p = Pids::default();
        assert!(p.as_slice().is_empty());
        p.push(7);
        assert!(matches!(p, Pids::Inline { len: 1, pid: 7 }));
        assert!(p.remove(7), "none left");
        assert!(p.as_slice().is_empty());
        p.push(8);
        assert!(!p.remove(9), "another pid: 8 stays");
        p.push(9);
        p.push(10);
        assert_eq!(p.as_slice(), &[8, 9, 10]);
        assert!(!p.remove(9));
        assert_eq!(p.as_slice(), &[8, 10]);
        // No bigger than the list it replaced: a by-unit slot is 32 bytes.
        assert_eq!(std::mem::size_of::<Pids>(), std::mem::size_of::<Vec<u32>>());
        assert!(std::mem::size_of::<(Name, Pids)>() <= 32);
    }

    #[test]
    fn engine_timers_replace_and_take() {
        let mut t = EngineTimers::default();
        assert_eq!(t.set("a", TimerKind::State, (5, 1)), None);
        assert_eq!(t.set("a", TimerKind::State, (7, 2)), Some((5, 1)));
        assert_eq!(t.set("a", TimerKind::Watchdog, (9, 3)), None);
        // A firing of an older key does not forget the current one.
        assert_eq!(t.take("a", TimerKind::State, Some((5, 1))), None);
        assert_eq!(t.take("a", TimerKind::State, Some((7, 2))), Some((7, 2)));
        assert_eq!(t.take("a", TimerKind::State, None), None);
        assert_eq!(t.take("a", TimerKind::Watchdog, None), Some((9, 3)));
        assert!(t.keys.is_empty());
    }
}
