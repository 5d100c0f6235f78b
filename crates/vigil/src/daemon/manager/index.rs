//! Two tables the manager asks per unit, kept indexed by unit so that a
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
//!
//! Unit names are shared (`Rc<str>`) between a unit's pids and its entry
//! in the by-unit side, so a tracked pid costs no string of its own.

use std::collections::HashMap;
use std::rc::Rc;

use engine::service::TimerKind;

/// Tracked pids, by pid and by unit.
#[derive(Default)]
pub(super) struct PidTable {
    owner: HashMap<u32, Rc<str>>,
    by_unit: HashMap<Rc<str>, Vec<u32>>,
}

impl PidTable {
    /// Track `pid` as a process of `unit` (a pid reused by another unit
    /// moves to it).
    pub fn insert(&mut self, pid: u32, unit: &str) {
        self.remove(pid);
        let key = match self.by_unit.get_key_value(unit) {
            Some((k, _)) => k.clone(),
            None => Rc::from(unit),
        };
        self.by_unit.entry(key.clone()).or_default().push(pid);
        self.owner.insert(pid, key);
    }

    /// Stop tracking `pid`; returns its unit.
    pub fn remove(&mut self, pid: u32) -> Option<String> {
        let unit = self.owner.remove(&pid)?;
        if let Some(list) = self.by_unit.get_mut(&*unit) {
            list.retain(|p| *p != pid);
            if list.is_empty() {
                self.by_unit.remove(&*unit);
            }
        }
        Some(unit.to_string())
    }

    /// The unit `pid` is tracked for.
    pub fn get(&self, pid: u32) -> Option<&str> {
        self.owner.get(&pid).map(|u| &**u)
    }

    /// The tracked pids of `unit`, oldest first.
    pub fn of_unit(&self, unit: &str) -> &[u32] {
        self.by_unit.get(unit).map_or(&[], Vec::as_slice)
    }

    /// Forget every tracked pid of `unit`.
    pub fn remove_unit(&mut self, unit: &str) {
        if let Some(list) = self.by_unit.remove(unit) {
            for pid in list {
                self.owner.remove(&pid);
            }
        }
    }

    /// Every tracked pid with its unit.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        self.owner.iter().map(|(p, u)| (*p, &**u))
    }
}

/// Where each unit's engine timers sit in the manager's timer table:
/// unit → the `(deadline, sequence)` key of its state and watchdog timer.
#[derive(Default)]
pub(super) struct EngineTimers {
    keys: HashMap<String, [Option<(u64, u64)>; 2]>,
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
        t.insert(10, "a.service");
        t.insert(11, "a.service");
        t.insert(20, "b.service");
        assert_eq!(t.get(11), Some("a.service"));
        assert_eq!(t.of_unit("a.service"), &[10, 11]);
        assert_eq!(t.remove(10).as_deref(), Some("a.service"));
        assert_eq!(t.of_unit("a.service"), &[11]);
        // A reused pid moves to its new unit.
        t.insert(11, "b.service");
        assert!(t.of_unit("a.service").is_empty());
        assert_eq!(t.of_unit("b.service"), &[20, 11]);
        t.remove_unit("b.service");
        assert_eq!(t.get(20), None);
        assert_eq!(t.iter().count(), 0);
        assert_eq!(t.remove(20), None);
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
