//! `[Timer]` (`systemd.timer(5)`). All `On…=` settings feed one list of
//! triggers: an empty assignment of any of them clears every trigger
//! assigned before it. `Unit=` can be given once; systemd ignores later
//! assignments with a warning.

use super::{planned, Def};
use crate::directive::{Kind as K, ResetGroup as G};

pub(in crate::directive) const TIMER: &[Def] = &[
    planned("OnCalendar", K::Calendar).shared(G::Timers).property("TimersCalendar"),
    planned("OnActiveSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    planned("OnBootSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    planned("OnStartupSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    planned("OnUnitActiveSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    planned("OnUnitInactiveSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    planned("OnClockChange", K::Bool),
    planned("OnTimezoneChange", K::Bool),
    planned("Persistent", K::Bool),
    planned("WakeSystem", K::Bool),
    planned("RemainAfterElapse", K::Bool),
    planned("FixedRandomDelay", K::Bool),
    planned("AccuracySec", K::Seconds).property("AccuracyUSec"),
    planned("RandomizedDelaySec", K::Seconds).property("RandomizedDelayUSec"),
    planned("Unit", K::Unit).first(),
];
