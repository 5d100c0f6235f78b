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
//! A unit's name and its pids are one shared record ([`Tracked`]): the
//! by-pid table holds a pointer to it per pid, the by-unit set holds one
//! pointer per unit, looked up by the name inside. Two maps keyed by
//! `Rc<str>` with a `Vec` per unit cost 183 bytes per tracked unit at 1000
//! services (their tables hold about twice their length in slots, and a
//! by-unit slot was a name and a list header, 40 bytes); this costs ~145.

use std::borrow::Borrow;
use std::cell::{Ref, RefCell};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use engine::service::TimerKind;

use super::graph::{Name, NameHash, NameMap, NameRcMap, Names};
use super::Unit;

/// One unit's tracked pids, oldest first, with the unit's name: the
/// manager's interned copy ([`UnitTable::name`]), not one of its own (a
/// `Box<str>` was one more heap block per tracked unit).
struct Tracked {
    unit: Name,
    pids: RefCell<Pids>,
}

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

/// A [`Tracked`] in the by-unit set: hashed and compared as its name, so
/// the set is looked up by `&str`.
struct ByName(Rc<Tracked>);

impl Borrow<str> for ByName {
    fn borrow(&self) -> &str {
        &self.0.unit
    }
}

impl Hash for ByName {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.unit.hash(h)
    }
}

impl PartialEq for ByName {
    fn eq(&self, other: &ByName) -> bool {
        self.0.unit == other.0.unit
    }
}

impl Eq for ByName {}

/// Tracked pids, by pid and by unit.
#[derive(Default)]
pub(super) struct PidTable {
    owner: HashMap<u32, Rc<Tracked>>,
    by_unit: HashSet<ByName, NameHash>,
    /// What [`PidTable::of_unit`] lends for a unit without pids.
    none: RefCell<Pids>,
}

impl PidTable {
    /// Track `pid` as a process of `unit` (a pid reused by another unit
    /// moves to it).
    pub fn insert(&mut self, pid: u32, unit: Name) {
        self.remove(pid);
        let t = match self.by_unit.get(&*unit) {
            Some(t) => t.0.clone(),
            None => {
                let t = Rc::new(Tracked { unit, pids: RefCell::new(Pids::NONE) });
                self.by_unit.insert(ByName(t.clone()));
                t
            }
        };
        t.pids.borrow_mut().push(pid);
        self.owner.insert(pid, t);
    }

    /// Stop tracking `pid`; returns its unit.
    pub fn remove(&mut self, pid: u32) -> Option<String> {
        let t = self.owner.remove(&pid)?;
        let empty = t.pids.borrow_mut().remove(pid);
        if empty {
            self.by_unit.remove(&*t.unit);
        }
        Some(t.unit.to_string())
    }

    /// The unit `pid` is tracked for.
    pub fn get(&self, pid: u32) -> Option<&str> {
        self.owner.get(&pid).map(|t| &*t.unit)
    }

    /// The tracked pids of `unit`, oldest first.
    pub fn of_unit(&self, unit: &str) -> Ref<'_, [u32]> {
        match self.by_unit.get(unit) {
            Some(t) => Ref::map(t.0.pids.borrow(), Pids::as_slice),
            None => Ref::map(self.none.borrow(), Pids::as_slice),
        }
    }

    /// Forget every tracked pid of `unit`.
    pub fn remove_unit(&mut self, unit: &str) {
        if let Some(t) = self.by_unit.take(unit) {
            for pid in t.0.pids.borrow().as_slice() {
                self.owner.remove(pid);
            }
        }
    }

    /// Every tracked pid with its unit.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.owner.iter().map(|(p, t)| (*p, &*t.unit))
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
        assert_eq!(&*t.of_unit("a.service"), &[10, 11]);
        assert_eq!(t.remove(10).as_deref(), Some("a.service"));
        assert_eq!(&*t.of_unit("a.service"), &[11]);
        // A reused pid moves to its new unit.
        t.insert(11, "b.service".into());
        assert!(t.of_unit("a.service").is_empty());
        assert_eq!(&*t.of_unit("b.service"), &[20, 11]);
        t.remove_unit("b.service");
        assert_eq!(t.get(20), None);
        assert_eq!(t.iter().count(), 0);
        assert_eq!(t.remove(20), None);
        assert!(t.by_unit.is_empty(), "a unit without pids has no entry");
        // A unit tracked again after it was forgotten starts a new list.
        t.insert(30, "b.service".into());
        assert_eq!(&*t.of_unit("b.service"), &[30]);
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
        // No bigger than the list it replaced: a `Tracked` is a 64-byte
        // chunk with its `Rc` counts.
        assert_eq!(std::mem::size_of::<Pids>(), std::mem::size_of::<Vec<u32>>());
        assert!(std::mem::size_of::<Tracked>() <= 40);
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
