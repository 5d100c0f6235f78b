//! The merged value of every directive of one unit, after the fragment and
//! all drop-ins were applied in order.
//!
//! Keys are the *canonical* directives (aliases resolved), so
//! `BindTo=a.service` and `BindsTo=b.service` end up in one list. How an
//! assignment combines with earlier ones is the directive's
//! [`Merge`] rule (see the directive table's essay for what systemd 252
//! does per directive); this module only executes it:
//!
//! | merge          | non-empty value               | empty value                        |
//! |----------------|-------------------------------|------------------------------------|
//! | `Override`     | replaces                      | removes (back to the default)      |
//! | `First`        | kept only if none yet         | ignored                            |
//! | `List`         | appended                      | clears the list                    |
//! | `ListNoReset`  | appended                      | ignored                            |
//! | `Shared(g)`    | appended                      | clears every list of group `g`     |
//!
//! Every assignment keeps its [`Span`] and a sequence number, so members of
//! a shared group (conditions, `Listen*=`) can be put back in file order.

use std::collections::HashMap;

use crate::diag::Span;
use crate::directive::{Directive, Merge, SectionKind};
use crate::value::Value;

/// One assignment that took effect.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub value: Value,
    pub span: Span,
    /// Order of application across all directives of the unit.
    pub seq: u32,
}

/// What happened to an assignment, for the caller's diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Set,
    Reset,
    /// `Merge::First` and a value was already there.
    IgnoredAlreadySet,
    /// An empty value for a list that empty values do not reset.
    IgnoredEmpty,
}

// FNV (see [`crate::directive::Fnv`]) rather than SipHash: SipHash over
// these keys was a fifth of the manager's instructions per `Accept=yes`
// connection (every transaction reads dozens of settings of every unit it
// touches).
type Key = (SectionKind, &'static str);

#[derive(Clone, Debug, Default)]
pub struct Settings {
    map: HashMap<Key, (&'static Directive, Vec<Assignment>), std::hash::BuildHasherDefault<crate::directive::Fnv>>,
    seq: u32,
}

impl Settings {
    /// Apply one parsed assignment of canonical directive `d`.
    pub fn apply(&mut self, d: &'static Directive, value: Value, span: Span) -> Applied {
        let key = (d.section, d.name);
        let empty = matches!(value, Value::Empty);
        self.seq += 1;
        let a = Assignment { value, span, seq: self.seq };
        match (d.merge, empty) {
            (Merge::Override, false) => {
                self.map.insert(key, (d, vec![a]));
                Applied::Set
            }
            (Merge::Override, true) => {
                self.map.remove(&key);
                Applied::Reset
            }
            (Merge::First, false) => {
                if self.map.get(&key).is_some_and(|(_, v)| !v.is_empty()) {
                    Applied::IgnoredAlreadySet
                } else {
                    self.map.insert(key, (d, vec![a]));
                    Applied::Set
                }
            }
            (Merge::First, true) | (Merge::ListNoReset, true) => Applied::IgnoredEmpty,
            (Merge::List, true) => {
                self.map.remove(&key);
                Applied::Reset
            }
            (Merge::Shared(group), true) => {
                self.map.retain(|(sec, _), (dd, _)| {
                    !(*sec == d.section && dd.merge == Merge::Shared(group))
                });
                Applied::Reset
            }
            (Merge::List, false) | (Merge::ListNoReset, false) | (Merge::Shared(_), false) => {
                // Most lists hold one value: room for exactly one (a
                // growing Vec would take four).
                self.map.entry(key).or_insert_with(|| (d, Vec::with_capacity(1))).1.push(a);
                Applied::Set
            }
        }
    }

    /// Every assignment in effect for a directive, in order.
    pub fn get(&self, section: SectionKind, name: &str) -> &[Assignment] {
        crate::directive::lookup(section, name)
            .and_then(|d| self.map.get(&(section, d.name)))
            .map(|(_, v)| v.as_slice())
            .unwrap_or(&[])
    }

    /// The value in effect for a single-valued directive.
    pub fn value(&self, section: SectionKind, name: &str) -> Option<&Value> {
        self.get(section, name).last().map(|a| &a.value)
    }

    /// All directives that have a value, with their assignments, sorted by
    /// section and name (stable output for `show` and tests).
    pub fn iter(&self) -> Vec<(&'static Directive, &[Assignment])> {
        let mut v: Vec<_> = self.map.values().map(|(d, a)| (*d, a.as_slice())).collect();
        v.sort_by_key(|(d, _)| (d.section, d.name));
        v
    }

    /// Every assignment of the directives matching `pred`, in file order
    /// (for shared groups such as conditions).
    pub fn in_order(&self, pred: impl Fn(&Directive) -> bool) -> Vec<(&'static Directive, &Assignment)> {
        let mut v: Vec<_> = self
            .map
            .values()
            .filter(|(d, _)| pred(d))
            .flat_map(|(d, list)| list.iter().map(move |a| (*d, a)))
            .collect();
        v.sort_by_key(|(_, a)| a.seq);
        v
    }
}
