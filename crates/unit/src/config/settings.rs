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

use crate::diag::Span;
use crate::directive::{Directive, Merge, SectionKind};
use crate::value::Value;

/// `a.cmp(b)` for the short directive names, compared inline: the names
/// mostly differ in their first bytes, and `str`'s `Ord` calls `memcmp`.
fn bytewise(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return x.cmp(y);
        }
    }
    a.len().cmp(&b.len())
}

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

/// Sorted by (section, name), one entry per directive with a value. A
/// unit sets a handful of directives: a sorted vector is one allocation
/// with no empty slots (a hash map took ~470 bytes per unit, most of it
/// empty buckets). Reads of settings are hot (every transaction reads
/// dozens of settings of every unit it touches): a binary search over a
/// few entries, comparing a section byte and a short name, is about the
/// work of hashing the name (FNV, which replaced SipHash here for that
/// reason).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    list: Vec<(&'static Directive, Vec<Assignment>)>,
    seq: u32,
}

impl Settings {
    fn find(&self, section: SectionKind, name: &str) -> Result<usize, usize> {
        self.list
            .binary_search_by(|(d, _)| d.section.cmp(&section).then_with(|| bytewise(d.name, name)))
    }

    /// Replace the assignments of `d` with `a` alone.
    fn set(&mut self, d: &'static Directive, a: Assignment) {
        match self.find(d.section, d.name) {
            Ok(i) => self.list[i] = (d, vec![a]),
            Err(i) => self.list.insert(i, (d, vec![a])),
        }
    }

    fn remove(&mut self, d: &Directive) {
        if let Ok(i) = self.find(d.section, d.name) {
            self.list.remove(i);
        }
    }

    /// Apply one parsed assignment of canonical directive `d`.
    pub fn apply(&mut self, d: &'static Directive, value: Value, span: Span) -> Applied {
        let empty = matches!(value, Value::Empty);
        self.seq += 1;
        let a = Assignment { value, span, seq: self.seq };
        match (d.merge, empty) {
            (Merge::Override, false) => {
                self.set(d, a);
                Applied::Set
            }
            (Merge::Override, true) => {
                self.remove(d);
                Applied::Reset
            }
            (Merge::First, false) => {
                if !self.get_canonical(d).is_empty() {
                    Applied::IgnoredAlreadySet
                } else {
                    self.set(d, a);
                    Applied::Set
                }
            }
            (Merge::First, true) | (Merge::ListNoReset, true) => Applied::IgnoredEmpty,
            (Merge::List, true) => {
                self.remove(d);
                Applied::Reset
            }
            (Merge::Shared(group), true) => {
                self.list.retain(|(dd, _)| !(dd.section == d.section && dd.merge == Merge::Shared(group)));
                Applied::Reset
            }
            (Merge::List, false) | (Merge::ListNoReset, false) | (Merge::Shared(_), false) => {
                match self.find(d.section, d.name) {
                    Ok(i) => self.list[i].1.push(a),
                    // Most lists hold one value: room for exactly one
                    // (a growing Vec would take four).
                    Err(i) => self.list.insert(i, (d, vec![a])),
                }
                Applied::Set
            }
        }
    }

    /// Give back the room a growing list kept (once a unit is loaded).
    pub fn shrink_to_fit(&mut self) {
        self.list.shrink_to_fit();
    }

    fn get_canonical(&self, d: &Directive) -> &[Assignment] {
        self.find(d.section, d.name).map(|i| self.list[i].1.as_slice()).unwrap_or(&[])
    }

    /// Every assignment in effect for a directive, in order. Only
    /// canonical directives are ever stored, under their own section and
    /// name, so `(section, name)` finds them without asking the directive
    /// table (an alias or unknown name finds nothing, as it did through
    /// the table). Hot: a transaction reads dozens of settings of each
    /// unit it touches.
    pub fn get(&self, section: SectionKind, name: &str) -> &[Assignment] {
        // A unit sets a handful of directives: a scan rejecting on the
        // section and the name's length is cheaper than a binary search's
        // string comparisons.
        if self.list.len() <= 16 {
            return self
                .list
                .iter()
                .find(|(d, _)| d.section == section && d.name.len() == name.len() && d.name == name)
                .map(|(_, a)| a.as_slice())
                .unwrap_or(&[]);
        }
        self.find(section, name).map(|i| self.list[i].1.as_slice()).unwrap_or(&[])
    }

    /// The value in effect for a single-valued directive.
    pub fn value(&self, section: SectionKind, name: &str) -> Option<&Value> {
        self.get(section, name).last().map(|a| &a.value)
    }

    /// All directives that have a value, with their assignments, sorted by
    /// section and name (stable output for `show` and tests).
    pub fn iter(&self) -> Vec<(&'static Directive, &[Assignment])> {
        self.list.iter().map(|(d, a)| (*d, a.as_slice())).collect()
    }

    /// Every assignment of the directives matching `pred`, in file order
    /// (for shared groups such as conditions).
    pub fn in_order(&self, pred: impl Fn(&Directive) -> bool) -> Vec<(&'static Directive, &Assignment)> {
        let mut v: Vec<_> = self
            .list
            .iter()
            .filter(|(d, _)| pred(d))
            .flat_map(|(d, list)| list.iter().map(move |a| (*d, a)))
            .collect();
        v.sort_by_key(|(_, a)| a.seq);
        v
    }
}
