//! Job types and their algebra: collapsing the conditional types against
//! a unit's state, merging two jobs for one unit, redundancy, and which of
//! two jobs on ordered units runs first.
//!
//! The conditional types (`try-restart`, `try-reload`, `reload-or-start`)
//! never live in a transaction: they collapse to a plain type (or `nop`)
//! as soon as the unit's state is known. Among the plain types, two jobs
//! for one unit merge into the type that does both (start + verify-active
//! → start, start + reload → reload-or-start, anything but stop +
//! restart → restart); a stop merges with nothing but a stop: those pairs
//! *conflict*, and a transaction holding both must drop one.

use std::fmt;

use crate::service::ActiveState;

/// What a job does to its unit (systemd's job types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JobType {
    Start,
    VerifyActive,
    Stop,
    Reload,
    Restart,
    /// Restart if the unit is up, else nothing.
    TryRestart,
    /// Reload if the unit is up, else nothing.
    TryReload,
    /// Reload if the unit is up, else start it.
    ReloadOrStart,
    Nop,
}

impl JobType {
    /// systemd's name, used in "Job x.service/start …" messages.
    pub fn as_str(self) -> &'static str {
        match self {
            JobType::Start => "start",
            JobType::VerifyActive => "verify-active",
            JobType::Stop => "stop",
            JobType::Reload => "reload",
            JobType::Restart => "restart",
            JobType::TryRestart => "try-restart",
            JobType::TryReload => "try-reload",
            JobType::ReloadOrStart => "reload-or-start",
            JobType::Nop => "nop",
        }
    }

    /// The plain type a conditional type becomes for a unit in `state`.
    pub fn collapse(self, state: ActiveState) -> JobType {
        let down = matches!(state, ActiveState::Inactive | ActiveState::Failed | ActiveState::Deactivating);
        match self {
            JobType::TryRestart if down => JobType::Nop,
            JobType::TryRestart => JobType::Restart,
            JobType::TryReload if down => JobType::Nop,
            JobType::TryReload => JobType::Reload,
            JobType::ReloadOrStart if down => JobType::Start,
            JobType::ReloadOrStart => JobType::Reload,
            other => other,
        }
    }

    /// The type doing both `self` and `other`, if there is one (systemd's
    /// merge table; `nop` merges with anything). Result may need
    /// [`JobType::collapse`].
    pub fn merge(self, other: JobType) -> Option<JobType> {
        use JobType::*;
        if self == other {
            return Some(self);
        }
        let pair = |a, b| (self == a && other == b) || (self == b && other == a);
        Some(match () {
            _ if self == Nop => other,
            _ if other == Nop => self,
            _ if self == Stop || other == Stop => return None,
            _ if pair(Start, VerifyActive) => Start,
            _ if pair(Start, Reload) => ReloadOrStart,
            _ if pair(VerifyActive, Reload) => Reload,
            _ if self == Restart || other == Restart => Restart,
            _ => return None,
        })
    }

    /// Merge and collapse against the unit's state.
    pub fn merge_collapse(self, other: JobType, state: ActiveState) -> Option<JobType> {
        self.merge(other).map(|t| t.collapse(state))
    }

    pub fn is_mergeable(self, other: JobType) -> bool {
        self.merge(other).is_some()
    }

    pub fn is_conflicting(self, other: JobType) -> bool {
        !self.is_mergeable(other)
    }

    /// `self` already does everything `other` does.
    pub fn is_superset(self, other: JobType) -> bool {
        self.merge(other) == Some(self)
    }

    /// The job would change nothing for a unit in `state`.
    pub fn is_redundant(self, state: ActiveState) -> bool {
        match self {
            JobType::Start | JobType::VerifyActive => state.is_active_or_reloading(),
            JobType::Stop => state.is_inactive_or_failed(),
            JobType::Reload => state == ActiveState::Reloading,
            JobType::Nop => true,
            // Restart jobs are always kept; the conditional types are
            // collapsed before anybody asks.
            JobType::Restart | JobType::TryRestart | JobType::TryReload | JobType::ReloadOrStart => false,
        }
    }

    /// Runs as a stop as far as ordering goes (a restart is a stop first).
    pub fn is_stop_like(self) -> bool {
        matches!(self, JobType::Stop | JobType::Restart)
    }
}

impl fmt::Display for JobType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Must job `a` finish before job `b` may run, given that `a`'s unit is
/// ordered `Before=` `b`'s unit (`a_unit_before` true) or `After=` it
/// (false)? `systemd.unit(5)`, "Before=, After=": for starts the order is
/// as written; a stop of either unit always runs first, and when both
/// stop, in reverse order. `nop` jobs order against nothing.
pub fn runs_before(a: JobType, b: JobType, a_unit_before: bool) -> bool {
    if a == JobType::Nop || b == JobType::Nop {
        return false;
    }
    if a_unit_before {
        !b.is_stop_like()
    } else {
        a.is_stop_like()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JobType::*;

    #[test]
    fn merge_table_is_systemds() {
        assert_eq!(Start.merge(VerifyActive), Some(Start));
        assert_eq!(VerifyActive.merge(Start), Some(Start));
        assert_eq!(Start.merge(Reload), Some(ReloadOrStart));
        assert_eq!(VerifyActive.merge(Reload), Some(Reload));
        assert_eq!(Start.merge(Restart), Some(Restart));
        assert_eq!(Reload.merge(Restart), Some(Restart));
        assert_eq!(VerifyActive.merge(Restart), Some(Restart));
        for t in [Start, VerifyActive, Reload, Restart] {
            assert_eq!(Stop.merge(t), None, "stop+{t}");
            assert_eq!(t.merge(Stop), None, "{t}+stop");
        }
        assert_eq!(Stop.merge(Stop), Some(Stop));
        assert_eq!(Nop.merge(Stop), Some(Stop));
    }

    #[test]
    fn merge_then_collapse_depends_on_state() {
        assert_eq!(Start.merge_collapse(Reload, ActiveState::Active), Some(Reload));
        assert_eq!(Start.merge_collapse(Reload, ActiveState::Inactive), Some(Start));
    }

    #[test]
    fn superset_and_redundancy() {
        assert!(Restart.is_superset(Start));
        assert!(!Start.is_superset(Restart));
        assert!(Start.is_redundant(ActiveState::Active));
        assert!(!Start.is_redundant(ActiveState::Activating));
        assert!(Stop.is_redundant(ActiveState::Failed));
        assert!(!Restart.is_redundant(ActiveState::Active));
        assert!(Nop.is_redundant(ActiveState::Inactive));
    }

    #[test]
    fn collapse_follows_state() {
        assert_eq!(TryRestart.collapse(ActiveState::Inactive), Nop);
        assert_eq!(TryRestart.collapse(ActiveState::Active), Restart);
        assert_eq!(TryReload.collapse(ActiveState::Failed), Nop);
        assert_eq!(TryReload.collapse(ActiveState::Activating), Reload);
        assert_eq!(ReloadOrStart.collapse(ActiveState::Inactive), Start);
        assert_eq!(ReloadOrStart.collapse(ActiveState::Active), Reload);
    }

    #[test]
    fn stops_run_first_and_in_reverse() {
        // a Before= b.
        assert!(runs_before(Start, Start, true));
        assert!(!runs_before(Stop, Stop, true));
        assert!(runs_before(Stop, Stop, false));
        assert!(runs_before(Stop, Start, true));
        assert!(!runs_before(Start, Stop, true));
        assert!(runs_before(Stop, Start, false));
        assert!(!runs_before(Nop, Start, true));
    }
}
