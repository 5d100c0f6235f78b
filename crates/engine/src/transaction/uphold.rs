//! `Upholds=` at runtime (`systemd.unit(5)`, "Upholds="): "a continuous
//! version of `Wants=`". Starting the upholding unit pulls the upheld one
//! in like `Wants=` (the transaction does that); afterwards, whenever the
//! upheld unit is found inactive or failed while a unit upholding it is
//! active, the manager starts it again, in job mode `fail`.
//!
//! The daemon keeps a queue of units to look at — a unit that went down,
//! and the units an upholding unit upholds when it comes up — and for
//! each asks [`upheld_by_active`]: `Some(culprit)` means "start it". A
//! unit with a job is left to its job, and an upholding unit with a job
//! pending (about to stop, say) does not count, as in systemd's
//! `unit_is_upheld_by_active()`.
//!
//! A unit that fails at once would be started again and again: besides
//! the unit's own start limit (`StartLimitBurst=`, which fails the start
//! with `start-limit-hit`), systemd rate-limits these automatic starts per
//! unit, 16 per 10 s ("…but not doing so since we tried this too often
//! recently"). [`AutoStartLimit`] is that limit on the caller's clock.

use super::{Dep, Graph};
use crate::service::ActiveState;

/// The active unit that upholds `id` if `id` should be started now: `id`
/// is inactive or failed and has no job, and some unit with `Upholds=id`
/// is active (or reloading) and has no job. Names that do not resolve to
/// a loaded unit are skipped (an upholding unit that is not loaded cannot
/// be active).
pub fn upheld_by_active<G: Graph>(graph: &mut G, id: &str) -> Option<String> {
    let info = graph.unit(id).ok()?;
    if graph.installed_job(&info.id).is_some() || !matches!(info.active, ActiveState::Inactive | ActiveState::Failed) {
        return None;
    }
    for name in info.deps_of(&[Dep::UpheldBy]) {
        let Some(other) = graph.resolve(name) else { continue };
        if graph.installed_job(&other).is_some() {
            continue;
        }
        let Ok(o) = graph.unit(&other) else { continue };
        if matches!(o.active, ActiveState::Active | ActiveState::Reloading) {
            return Some(o.id);
        }
    }
    None
}

/// systemd's per-unit `auto_start_stop_ratelimit`: 16 automatic starts
/// per 10 s window (the window opens at the first start in it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AutoStartLimit {
    begin: Option<u64>,
    num: u32,
}

impl AutoStartLimit {
    pub const INTERVAL_USEC: u64 = 10_000_000;
    pub const BURST: u32 = 16;

    /// May another automatic start happen at `now` (usec)? Counts it if so.
    pub fn allow(&mut self, now: u64) -> bool {
        let open = self.begin.is_some_and(|b| now.saturating_sub(b) < Self::INTERVAL_USEC);
        if !open {
            *self = AutoStartLimit { begin: Some(now), num: 0 };
        }
        if self.num >= Self::BURST {
            return false;
        }
        self.num += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::tests::Fake;
    use crate::transaction::JobType;

    #[test]
    fn an_inactive_unit_upheld_by_an_active_one_is_started() {
        let mut g = Fake::default();
        g.dep("a", Dep::Upholds, "b").active("a");
        assert_eq!(upheld_by_active(&mut g, "b"), Some("a".to_string()));
        g.unit("b").active = ActiveState::Failed;
        assert_eq!(upheld_by_active(&mut g, "b"), Some("a".to_string()));
    }

    #[test]
    fn nothing_to_do_when_up_or_busy_or_not_upheld() {
        let mut g = Fake::default();
        g.dep("a", Dep::Upholds, "b").dep("c", Dep::Wants, "d").active("a").active("c");
        // Wants= is not continuous.
        assert_eq!(upheld_by_active(&mut g, "d"), None);
        // Already on its way up or up.
        g.unit("b").active = ActiveState::Activating;
        assert_eq!(upheld_by_active(&mut g, "b"), None);
        g.unit("b").active = ActiveState::Active;
        assert_eq!(upheld_by_active(&mut g, "b"), None);
        // The upheld unit has a job: left to it.
        g.unit("b").active = ActiveState::Inactive;
        g.job("b", JobType::Stop);
        assert_eq!(upheld_by_active(&mut g, "b"), None);
        g.jobs.clear();
        // The upholding unit is going down (a stop job), or is down.
        g.job("a", JobType::Stop);
        assert_eq!(upheld_by_active(&mut g, "b"), None);
        g.jobs.clear();
        g.unit("a").active = ActiveState::Inactive;
        assert_eq!(upheld_by_active(&mut g, "b"), None);
        // A second upholder that is up is enough.
        g.dep("e", Dep::Upholds, "b").active("e");
        assert_eq!(upheld_by_active(&mut g, "b"), Some("e".to_string()));
    }

    #[test]
    fn auto_starts_are_limited_to_16_per_10s_on_the_fake_clock() {
        let mut l = AutoStartLimit::default();
        for i in 0..16 {
            assert!(l.allow(1_000 + i), "start {i}");
        }
        assert!(!l.allow(9_999_999));
        // The window (opened at 1000 µs) closes 10 s later.
        assert!(l.allow(10_001_000));
    }
}
