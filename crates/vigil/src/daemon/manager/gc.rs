//! Unit garbage collection: forgetting units nobody needs any more, as
//! systemd does (`systemd.unit(5)`, `CollectMode=`; systemd's
//! `unit_may_gc()` and `unit_gc_sweep()`).
//!
//! Every unit the manager looks at is loaded and kept in `units`; without
//! collection the table only grows — each `Accept=yes` connection creates
//! a `foo@N-LOCAL-REMOTE.service` that would stay forever, and every
//! `systemctl status` of a unit that does not exist would leave an entry.
//!
//! # When a unit may go
//!
//! A unit is *collectable* when, by itself, nothing keeps it:
//!
//! - it has no job (neither the transaction's nor the machine's own);
//! - it is `inactive` — or also `failed` with `CollectMode=inactive-or-failed`
//!   (a failed unit is otherwise kept so its result can be inspected until
//!   it is restarted); a service waiting to auto-restart is `activating`,
//!   so a pending restart keeps it;
//! - it has no process: no main or control pid, an empty cgroup;
//! - it holds no `Accept=yes` connection, and as a socket has none live.
//!
//! A collectable unit still stays while a unit that is *not* collectable
//! refers to it through any of its dependencies (`Requires=`, `Wants=`,
//! `After=`, the socket → service trigger…: systemd records a reference
//! for each). The check follows referrers transitively, so a chain of
//! idle units referring to one another goes together, and a cycle of them
//! too (a referrer being examined counts as collectable).
//!
//! # When collection runs
//!
//! Not by scanning: a unit is put on the queue when it is loaded, changes
//! state or finishes a job, and when a unit referring to it is unloaded.
//! [`Manager::collect_garbage`] runs once per turn of the event loop,
//! after jobs were answered, and looks only at the queued units. A unit in
//! the queue that is still needed simply leaves the queue; the next
//! change of its state puts it back.
//!
//! # Unloading
//!
//! [`Manager::unload`] removes the unit and everything indexed under it:
//! its names, the ordering/requirement edges its own file contributed
//! (edges other units declared towards it stay: they are theirs), its
//! reverse references, its socket trigger index, timers and its empty
//! cgroup. The next reference loads it afresh from its file, in state
//! `inactive`.

use std::collections::hash_map::Entry;
use std::collections::HashSet;

use super::graph::{Name, NameHash, NameRcMap, Names};

use unit::config::deps;
use unit::directive::SectionKind;
use unit::value::Value;

use super::{Manager, TimerOwner};

/// The collector's state: the queue and who refers to whom.
#[derive(Default)]
pub struct Gc {
    queue: HashSet<String, NameHash>,
    /// Name → loaded units whose dependencies name it, once per
    /// dependency (one unit may name another under several kinds). Names
    /// interned in the edge index's table (`graph.rs`). A list, not a set:
    /// most names have one referrer, and a hash set of one entry took
    /// ~120 bytes (1000 services: 370 kB); removing one referrer of a
    /// target that 1000 units name compares 1000 pointers.
    referrers: NameRcMap<Refs>,
}

/// The referrers of one name, the first inline: most names have one (a
/// service wanted by one target), and a list of one was a 32-byte heap
/// block per loaded unit (1000 services: 32 kB). The same size as the
/// list (its capacity has room for the tag).
enum Refs {
    One(Name),
    Many(Vec<Name>),
}

impl Refs {
    fn as_slice(&self) -> &[Name] {
        match self {
            Refs::One(n) => std::slice::from_ref(n),
            Refs::Many(v) => v,
        }
    }

    fn push(&mut self, n: Name) {
        match self {
            Refs::One(first) => *self = Refs::Many(vec![first.clone(), n]),
            Refs::Many(v) => v.push(n),
        }
    }

    /// Remove one reference by `id` (the last); whether none is left.
    fn remove(&mut self, id: &str) -> bool {
        match self {
            Refs::One(n) => &**n == id,
            Refs::Many(v) => {
                if let Some(i) = v.iter().rposition(|r| &**r == id) {
                    v.swap_remove(i);
                }
                v.is_empty()
            }
        }
    }

    /// No slack: a list of one goes back inline.
    fn shrink(&mut self) {
        if let Refs::Many(v) = self {
            match v.as_slice() {
                [one] => *self = Refs::One(one.clone()),
                _ => v.shrink_to_fit(),
            }
        }
    }
}

impl Gc {
    /// Forget every reference (daemon-reload re-indexes all units).
    pub fn clear_references(&mut self) {
        self.referrers.clear();
    }

    /// Give back the slack of the reference lists (after boot).
    pub fn shrink(&mut self) {
        for v in self.referrers.values_mut() {
            v.shrink();
        }
        // Drained at every sweep, but its table stays sized for the boot.
        self.queue.shrink_to_fit();
    }

    /// Look at `id` at the next sweep.
    pub fn queue(&mut self, id: &str) {
        if !self.queue.contains(id) {
            self.queue.insert(id.to_string());
        }
    }

    /// Record who the freshly loaded unit `id` refers to — `others`, its
    /// dependencies as [`Manager::index_edges`] indexes them, names
    /// interned in `names` — and queue it: a unit that was loaded only to
    /// be looked at (`status`, `show`) is collected after the answer.
    pub fn loaded<'a>(&mut self, names: &mut Names, id: &str, others: impl Iterator<Item = &'a str>) {
        let me = names.intern(id);
        for other in others {
            match self.referrers.entry(names.intern(other)) {
                Entry::Occupied(mut e) => e.get_mut().push(me.clone()),
                Entry::Vacant(e) => {
                    e.insert(Refs::One(me.clone()));
                }
            }
        }
        self.queue(id);
    }
}

impl Manager {
    /// Unload every queued unit that nothing needs.
    pub fn collect_garbage(&mut self) {
        // Going down (`stop_all`): every unit goes with the manager; unloading
        // them one by one as they stop only costs (a third of the stop phase
        // at 1000 units, most of it unindexing their edges).
        if self.shutting_down {
            self.gc.queue.clear();
            return;
        }
        while !self.gc.queue.is_empty() {
            let batch: Vec<String> = self.gc.queue.drain().collect();
            for id in batch {
                if self.units.contains_key(&id) && !self.needed(&id, &mut HashSet::new()) {
                    self.unload(&id);
                }
            }
        }
    }

    /// Whether `id` is kept by itself or by a referrer that is.
    fn needed(&self, id: &str, visiting: &mut HashSet<String>) -> bool {
        if !self.may_gc(id) {
            return true;
        }
        visiting.insert(id.to_string());
        let Some(u) = self.units.get(id) else { return false };
        let names = std::iter::once(id).chain(u.cfg.names().map(|n| n.as_str()));
        for n in names {
            for r in self.gc.referrers.get(n).map_or(&[][..], Refs::as_slice).iter().map(|r| &**r) {
                if self.units.contains_key(r) && !visiting.contains(r) && self.needed(r, visiting) {
                    return true;
                }
            }
        }
        false
    }

    /// `unit_may_gc()`: nothing of the unit itself keeps it loaded.
    fn may_gc(&self, id: &str) -> bool {
        let Some(u) = self.units.get(id) else { return true };
        if u.job.is_some() || self.jobs.contains_key(id) || u.pid_file_watch {
            return false;
        }
        let failed_too = matches!(
            u.cfg.value(SectionKind::Unit, "CollectMode"),
            Some(Value::Enum("inactive-or-failed"))
        );
        match u.active_state() {
            "inactive" => {}
            "failed" if failed_too => {}
            _ => return false,
        }
        if let Some(svc) = &u.svc {
            if svc.main_pid().is_some() || svc.control_pid().is_some() {
                return false;
            }
        }
        if u.sock().is_some_and(|s| s.connections() > 0) || self.sockets.connection(id).is_some() {
            return false;
        }
        // A group that still has processes (or cannot be read) keeps it.
        !u.in_cgroup || self.cgroups.populated(id) == Some(false)
    }

    /// Remove a unit and what is indexed under it; the units it referred
    /// to are looked at again.
    pub(super) fn unload(&mut self, id: &str) {
        let Some(mut u) = self.units.remove(id) else { return };
        for n in u.cfg.names().map(|n| n.as_str()).chain(std::iter::once(id)) {
            if self.names.get(n).is_some_and(|v| v == id) {
                self.names.remove(n);
            }
        }
        // The dependencies indexed when it loaded: those are what is undone.
        // Its settings are the ones it was indexed with (a daemon-reload
        // re-indexes every unit from the settings it installs).
        // Instances kept the list they were indexed with (`graph::Own`).
        // Taken, not cloned: a name is released below only once no list
        // holds it.
        let kept = u.own.as_mut().and_then(|o| o.deps.take()).map(Vec::from);
        let deps: Vec<(deps::DepKind, Name)> = kept.unwrap_or_else(|| {
            deps::unit_deps_ref(&u.cfg, self.loader.lookup.scope)
                .iter()
                .map(|d| (d.kind, self.edges.names.intern(&d.other)))
                .collect()
        });
        for (kind, other) in &deps {
            self.edges.unindex(id, *kind, other);
            if self.gc.referrers.get_mut(&**other).is_some_and(|m| m.remove(id)) {
                self.gc.referrers.remove(&**other);
            }
        }
        if let Some(svc) = u.sock().and_then(|s| s.settings.service.as_deref()) {
            self.sockets.unindex_service(svc, id);
        }
        if let Some(t) = u.timer() {
            self.timer_unindex(id, &t.trigger);
        }
        if !self.timers.is_empty() {
            self.engine_timers.remove_unit(id);
            self.timers.retain(|_, o| match o {
                TimerOwner::Engine(u, _) | TimerOwner::PidFilePoll(u) | TimerOwner::SocketControl(u, _) | TimerOwner::TimerUnit(u) => u != id,
            });
        }
        if u.in_cgroup && !self.shutting_down {
            // Refused (and kept) if it still holds a process. Going down,
            // removed at exit (`Manager::release`).
            self.cgroups.remove(id);
        }
        for (_, other) in &deps {
            let other = self.known_id(other).unwrap_or(other);
            if self.units.contains_key(other) {
                let other = other.to_string();
                self.gc.queue(&other);
            }
        }
        // Names no edge holds any more leave the table.
        let mut name = String::new();
        for (_, other) in deps {
            name.clear();
            name.push_str(&other);
            drop(other);
            self.edges.names.release(&name);
        }
        for n in u.cfg.names().map(|n| n.as_str()).chain(std::iter::once(id)) {
            self.edges.names.release(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_referrer_is_kept_inline() {
        let (a, b): (Name, Name) = ("a.target".into(), "b.target".into());
        let mut r = Refs::One(a.clone());
        assert_eq!(r.as_slice().len(), 1);
        r.push(b.clone());
        r.push(a.clone());
        assert_eq!(r.as_slice().iter().map(|n| &**n).collect::<Vec<_>>(), ["a.target", "b.target", "a.target"]);
        assert!(!r.remove("a.target"), "the last reference by a goes, one stays");
        assert_eq!(r.as_slice().iter().map(|n| &**n).collect::<Vec<_>>(), ["a.target", "b.target"]);
        assert!(!r.remove("b.target"));
        r.shrink();
        assert!(matches!(r, Refs::One(_)), "a list of one goes back inline");
        assert!(!r.remove("c.target"), "not a referrer");
        assert!(r.remove("a.target"));
        assert_eq!(std::mem::size_of::<Refs>(), std::mem::size_of::<Vec<Name>>());
    }
}
