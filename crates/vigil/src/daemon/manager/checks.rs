//! Conditions and asserts (`systemd.unit(5)`, "Conditions and Asserts"):
//! what the last start job found, as systemd keeps it per unit
//! (`condition_result`, `assert_result`, their `dual_timestamp`s and each
//! check's own result) and shows it in `systemctl show`
//! (`ConditionResult=`, `ConditionTimestamp=`…) and `systemctl status`
//! (`Condition: start condition failed at …` with the checks not met).
//!
//! The order is systemd's `unit_start()`: the conditions are tested first;
//! when they do not hold, the unit is skipped and its asserts are not
//! looked at, so `AssertResult=`/`AssertTimestamp=` keep what an earlier
//! start found (never tested: `no` and no timestamp). Only when the
//! conditions hold are the asserts tested; failing, they fail the job
//! (`assert`) after the notice "Starting requested but asserts failed.".
//!
//! A list is evaluated by `unit::condition::evaluate_all` with systemd's
//! rules (last assignment first, stopping at the first failing non-trigger
//! check), so some checks stay untested. Each check's state is kept in two
//! bits of a word, in assignment order (systemd keeps it on the condition
//! itself, `Condition.result`): 0 untested, 1 succeeded, 2 failed or could
//! not be determined (systemd's `CONDITION_ERROR` shows as failed on the
//! bus too). A unit's 33rd and later checks of one kind are reported as
//! untested. The record is `Copy` and lives in the unit's
//! [`super::props::Stamps`]: no allocation per unit.
//!
//! The `Conditions`/`Asserts` properties carry every check as
//! `STATE\tTRIGGER\tNEGATE\tNAME\tPARAM` lines (STATE `1`, `-1` or `0` as
//! systemd's bus `(sbbsi)` tuple has it, the flags `0`/`1`), in assignment
//! order; `systemctl show` prints them as `[unprintable]`, as systemctl
//! does for that D-Bus type, and `status` draws its lines from them.

use unit::condition::{CheckEnv, CheckResult, ListOutcome};
use unit::config::UnitConfig;
use unit::directive::SectionKind;
use unit::value::{Condition, Value};

use super::props::{Instant2, Prop};

/// Checks of one kind that get a state of their own (two bits each).
const TRACKED: usize = 32;

/// What the last tests of a unit's conditions and asserts found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    condition: Instant2,
    assert: Instant2,
    condition_ok: bool,
    assert_ok: bool,
    condition_states: u64,
    assert_states: u64,
}

/// The verdict of a unit's conditions and asserts at its start.
pub enum Gate {
    Open,
    /// Conditions not met: the unit is skipped (job `done`), with the
    /// line systemd logs.
    Skipped(String),
    /// Asserts not met: the job fails with `assert`.
    AssertFailed,
}

/// A unit's `Condition…=` (or `Assert…=`) checks, in assignment order.
pub fn list<'a>(cfg: &'a UnitConfig, prefix: &str) -> Vec<(&'static str, &'a Condition)> {
    cfg.settings
        .in_order(|d| d.section == SectionKind::Unit && d.name.starts_with(prefix))
        .into_iter()
        .filter_map(|(d, a)| match &a.value {
            Value::Condition(c) => Some((d.name, c)),
            _ => None,
        })
        .collect()
}

/// Two bits per check, from the outcome of its list.
fn states(outcome: &ListOutcome) -> u64 {
    outcome.checks.iter().filter(|(i, _)| *i < TRACKED).fold(0, |acc, (i, o)| {
        let s = if o.result == CheckResult::Succeeded { 1 } else { 2 };
        acc | s << (2 * i)
    })
}

fn state_of(states: u64, i: usize) -> i8 {
    if i >= TRACKED {
        return 0;
    }
    match states >> (2 * i) & 3 {
        1 => 1,
        2 => -1,
        _ => 0,
    }
}

impl Checks {
    /// Test the conditions, then (if they hold) the asserts of `cfg`,
    /// recording what was found at `now`.
    pub fn test(&mut self, cfg: &UnitConfig, env: impl FnOnce() -> CheckEnv, now: Instant2) -> Gate {
        let conditions = list(cfg, "Condition");
        let asserts = list(cfg, "Assert");
        if conditions.is_empty() && asserts.is_empty() {
            *self = Checks { condition: now, assert: now, condition_ok: true, assert_ok: true, ..Checks::default() };
            return Gate::Open;
        }
        let env = env();
        let outcome = unit::condition::evaluate_all(&conditions, &env);
        self.condition = now;
        self.condition_ok = outcome.met;
        self.condition_states = states(&outcome);
        if !outcome.met {
            // systemd 252's words, checked against its journal:
            // "x.service - X was skipped because of an unmet condition
            // check (ConditionPathExists=/nonexistent)." and, when only
            // triggers (`|`) failed, "… was skipped because no trigger
            // condition checks were met."
            let desc = super::messages::status_ident(cfg);
            return Gate::Skipped(match outcome.failed() {
                Some((_, o)) => format!("{desc} was skipped because of an unmet condition check ({}).", o.assignment),
                None => format!("{desc} was skipped because no trigger condition checks were met."),
            });
        }
        let outcome = unit::condition::evaluate_all(&asserts, &env);
        self.assert = now;
        self.assert_ok = outcome.met;
        self.assert_states = states(&outcome);
        if outcome.met {
            Gate::Open
        } else {
            Gate::AssertFailed
        }
    }

    /// `ConditionResult`, `AssertResult`, their timestamps (empty when
    /// never tested, as `Stamps` gives them) and, when the unit has
    /// checks of that kind, `Conditions`/`Asserts`; only those `want`
    /// names.
    pub fn properties(&self, cfg: &UnitConfig, want: &dyn Fn(&str) -> bool, out: &mut Vec<Prop>) {
        let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
        if want("ConditionResult") {
            out.push(("ConditionResult".into(), yn(self.condition_ok)));
        }
        if want("AssertResult") {
            out.push(("AssertResult".into(), yn(self.assert_ok)));
        }
        let stamps = [
            ("ConditionTimestamp", "ConditionTimestampMonotonic", self.condition),
            ("AssertTimestamp", "AssertTimestampMonotonic", self.assert),
        ];
        super::props::push_stamps(&stamps, want, out);
        for (name, prefix, states) in [("Conditions", "Condition", self.condition_states), ("Asserts", "Assert", self.assert_states)] {
            if !want(name) {
                continue;
            }
            // Sent even when the unit has none: `show --all` prints the
            // property of every unit (unprintable, as systemctl does).
            let checks = list(cfg, prefix);
            let mut v = String::new();
            for (i, (kind, c)) in checks.iter().enumerate() {
                if i > 0 {
                    v.push('\n');
                }
                let flag = |b: bool| if b { '1' } else { '0' };
                v.push_str(&format!("{}\t{}\t{}\t{kind}\t{}", state_of(states, i), flag(c.trigger), flag(c.negate), c.arg));
            }
            out.push((name.into(), v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A fresh directory of its own under the temporary directory,
    /// removed when dropped.
    struct Dir(std::path::PathBuf);

    impl Dir {
        fn new(tag: &str) -> Dir {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let d = std::env::temp_dir().join(format!("vigil-checks-{}-{tag}-{n}", std::process::id()));
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn cfg(body: &str) -> UnitConfig {
        let dir = Dir::new("unit");
        let units = dir.path().join("etc/systemd/system");
        std::fs::create_dir_all(&units).unwrap();
        std::fs::write(units.join("c.service"), format!("[Unit]\n{body}\n[Service]\nExecStart=/bin/true\n")).unwrap();
        let lookup = unit::LookupPaths::system(dir.path());
        let host = unit::specifier::Host::detect(dir.path(), unit::Scope::System, 0, 0);
        unit::config::Loader::new(lookup, host).load(&unit::UnitName::parse("c.service").unwrap())
    }

    fn env(root: &Path) -> CheckEnv {
        CheckEnv::current(root, unit::Scope::System)
    }

    fn props(c: &Checks, cfg: &UnitConfig) -> Vec<(String, String)> {
        let mut out = Vec::new();
        c.properties(cfg, &|_| true, &mut out);
        out.into_iter().map(|(k, v)| (k.into_owned(), v)).collect()
    }

    fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
        p.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.as_str())
    }

    const AT: Instant2 = Instant2 { wall: 1_700_000_000_000_000, mono: 5_000_000 };

    #[test]
    fn a_failed_condition_skips_and_leaves_asserts_untested() {
        let root = Dir::new("root");
        let c = cfg("ConditionPathExists=|/nonexistent1\nConditionPathExists=/nonexistent3\nAssertPathExists=/nonexistent");
        let mut k = Checks::default();
        let gate = k.test(&c, || env(root.path()), AT);
        let Gate::Skipped(msg) = gate else { panic!("not skipped") };
        assert_eq!(msg, "c.service was skipped because of an unmet condition check (ConditionPathExists=/nonexistent3).");
        let p = props(&k, &c);
        assert_eq!(get(&p, "ConditionResult"), Some("no"));
        assert_eq!(get(&p, "AssertResult"), Some("no"));
        assert_eq!(get(&p, "ConditionTimestampMonotonic"), Some("5000000"));
        assert_eq!(get(&p, "AssertTimestampMonotonic"), Some("0"));
        assert_eq!(get(&p, "AssertTimestamp"), Some(""));
        // The last assignment is tested first and fails: the trigger
        // before it stays untested (0), as systemd's bus shows it.
        assert_eq!(
            get(&p, "Conditions"),
            Some("0\t1\t0\tConditionPathExists\t/nonexistent1\n-1\t0\t0\tConditionPathExists\t/nonexistent3")
        );
        assert_eq!(get(&p, "Asserts"), Some("0\t0\t0\tAssertPathExists\t/nonexistent"));
    }

    #[test]
    fn asserts_are_tested_once_conditions_hold() {
        let root = Dir::new("root");
        std::fs::create_dir(root.path().join("here")).unwrap();
        let c = cfg("ConditionPathExists=/here\nAssertPathExists=!/here");
        let mut k = Checks::default();
        assert!(matches!(k.test(&c, || env(root.path()), AT), Gate::AssertFailed));
        let p = props(&k, &c);
        assert_eq!(get(&p, "ConditionResult"), Some("yes"));
        assert_eq!(get(&p, "AssertResult"), Some("no"));
        assert_eq!(get(&p, "AssertTimestampMonotonic"), Some("5000000"));
        assert_eq!(get(&p, "Conditions"), Some("1\t0\t0\tConditionPathExists\t/here"));
        assert_eq!(get(&p, "Asserts"), Some("-1\t0\t1\tAssertPathExists\t/here"));
        // A later start whose conditions fail keeps the asserts' last
        // verdict and time.
        std::fs::remove_dir(root.path().join("here")).unwrap();
        let later = Instant2 { wall: AT.wall + 1, mono: AT.mono + 1 };
        assert!(matches!(k.test(&c, || env(root.path()), later), Gate::Skipped(_)));
        let p = props(&k, &c);
        assert_eq!(get(&p, "ConditionTimestampMonotonic"), Some("5000001"));
        assert_eq!(get(&p, "AssertTimestampMonotonic"), Some("5000000"));
        assert_eq!(get(&p, "AssertResult"), Some("no"));
    }

    #[test]
    fn a_unit_without_checks_passes_with_both_stamped_and_empty_lists() {
        let root = Dir::new("root");
        let c = cfg("Description=Plain");
        let mut k = Checks::default();
        let p = props(&k, &c);
        assert_eq!(get(&p, "ConditionResult"), Some("no"), "never tested");
        assert!(matches!(k.test(&c, || panic!("no environment needed"), AT), Gate::Open));
        let p = props(&k, &c);
        assert_eq!(get(&p, "ConditionResult"), Some("yes"));
        assert_eq!(get(&p, "AssertResult"), Some("yes"));
        assert_eq!(get(&p, "AssertTimestampMonotonic"), Some("5000000"));
        assert_eq!(get(&p, "Conditions"), Some(""), "an empty list, for show --all");
        let _ = root;
    }

    #[test]
    fn only_failed_triggers_give_the_trigger_message() {
        let root = Dir::new("root");
        let c = cfg("ConditionPathExists=|/nonexistent1\nConditionDirectoryNotEmpty=|/nonexistent2");
        let mut k = Checks::default();
        let Gate::Skipped(msg) = k.test(&c, || env(root.path()), AT) else { panic!("not skipped") };
        assert_eq!(msg, "c.service was skipped because no trigger condition checks were met.");
        let p = props(&k, &c);
        assert_eq!(
            get(&p, "Conditions"),
            Some("-1\t1\t0\tConditionPathExists\t/nonexistent1\n-1\t1\t0\tConditionDirectoryNotEmpty\t/nonexistent2")
        );
    }
}
