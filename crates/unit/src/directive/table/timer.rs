//! `[Timer]` (`systemd.timer(5)`). All `On…=` settings feed one list of
//! triggers: an empty assignment of any of them clears every trigger
//! assigned before it. `Unit=` can be given once; systemd ignores later
//! assignments with a warning.
//!
//! Not acted on yet: `WakeSystem=` (no alarm clocks).

use super::{implemented, planned, Def};
use crate::directive::{Kind as K, ResetGroup as G};

pub(in crate::directive) const TIMER: &[Def] = &[
    implemented("OnCalendar", K::Calendar).shared(G::Timers).property("TimersCalendar"),
    implemented("OnActiveSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    implemented("OnBootSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    implemented("OnStartupSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    implemented("OnUnitActiveSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    implemented("OnUnitInactiveSec", K::Seconds).shared(G::Timers).property("TimersMonotonic"),
    implemented("OnClockChange", K::Bool),
    implemented("OnTimezoneChange", K::Bool),
    implemented("Persistent", K::Bool),
    planned("WakeSystem", K::Bool),
    implemented("RemainAfterElapse", K::Bool),
    implemented("FixedRandomDelay", K::Bool),
    implemented("AccuracySec", K::Seconds).property("AccuracyUSec"),
    implemented("RandomizedDelaySec", K::Seconds).property("RandomizedDelayUSec"),
    implemented("Unit", K::Unit).first(),
];
