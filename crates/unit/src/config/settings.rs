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
    /// The canonical directive it assigns: the settings' sort key.
    key: &'static Directive,
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

/// Sorted by (section, name); a directive's assignments are consecutive,
/// in the order they took effect. One vector of assignments, each with
/// its directive, so a unit's settings are one allocation however many
/// directives it sets (a list per directive was one more allocation each:
/// ~150 bytes per unit with its malloc header and slack; a second vector
/// of the keys, parallel to the assignments, one more: ~40 bytes). A unit
/// sets a handful of directives: a sorted vector has
/// no empty slots (a hash map took ~470 bytes per unit, most of it empty
/// buckets). Reads of settings are hot (every transaction reads dozens of
/// settings of every unit it touches): a binary search over a few
/// entries, comparing a section byte and a short name, is about the work
/// of hashing the name (FNV, which replaced SipHash here for that reason).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    values: Vec<Assignment>,
    seq: u32,
}

impl Settings {
    /// The index range of the assignments of (section, name); empty (at
    /// the place they would go) when it has none.
    fn range(&self, section: SectionKind, name: &str) -> std::ops::Range<usize> {
        let start = self
            .values
            .partition_point(|a| a.key.section.cmp(&section).then_with(|| bytewise(a.key.name, name)).is_lt());
        let len = self.values[start..].iter().take_while(|a| a.key.section == section && a.key.name == name).count();
        start..start + len
    }

    /// Replace the assignments of `d` with `a` alone.
    fn set(&mut self, d: &'static Directive, a: Assignment) {
        let r = self.range(d.section, d.name);
        if r.len() == 1 {
            self.values[r.start] = a;
        } else {
            self.remove(d);
            self.values.insert(r.start, a);
        }
    }

    fn remove(&mut self, d: &Directive) {
        let r = self.range(d.section, d.name);
        if !r.is_empty() {
            self.values.drain(r);
        }
    }

    /// Apply one parsed assignment of canonical directive `d`.
    pub fn apply(&mut self, d: &'static Directive, value: Value, span: Span) -> Applied {
        let empty = matches!(value, Value::Empty);
        self.seq += 1;
        let a = Assignment { value, span, key: d, seq: self.seq };
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
                self.values.retain(|a| !(a.key.section == d.section && a.key.merge == Merge::Shared(group)));
                Applied::Reset
            }
            (Merge::List, false) | (Merge::ListNoReset, false) | (Merge::Shared(_), false) => {
                let end = self.range(d.section, d.name).end;
                self.values.insert(end, a);
                Applied::Set
            }
        }
    }

    /// Give back the room a growing list kept (once a unit is loaded).
    pub fn shrink_to_fit(&mut self) {
        self.values.shrink_to_fit();
    }

    fn get_canonical(&self, d: &Directive) -> &[Assignment] {
        &self.values[self.range(d.section, d.name)]
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
        if self.values.len() <= 16 {
            let same = |a: &Assignment| a.key.section == section && a.key.name.len() == name.len() && a.key.name == name;
            let Some(start) = self.values.iter().position(same) else { return &[] };
            let len = self.values[start..].iter().take_while(|a| same(a)).count();
            return &self.values[start..start + len];
        }
        &self.values[self.range(section, name)]
    }

    /// The value in effect for a single-valued directive.
    pub fn value(&self, section: SectionKind, name: &str) -> Option<&Value> {
        self.get(section, name).last().map(|a| &a.value)
    }

    /// All directives that have a value, with their assignments, sorted by
    /// section and name (stable output for `show` and tests).
    pub fn iter(&self) -> Vec<(&'static Directive, &[Assignment])> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.values.len() {
            let d = self.values[i].key;
            let n = self.values[i..].iter().take_while(|a| (a.key.section, a.key.name) == (d.section, d.name)).count();
            out.push((d, &self.values[i..i + n]));
            i += n;
        }
        out
    }

    /// Every assignment of the directives matching `pred`, in file order
    /// (for shared groups such as conditions).
    pub fn in_order(&self, pred: impl Fn(&Directive) -> bool) -> Vec<(&'static Directive, &Assignment)> {
        let mut v: Vec<_> = self.values.iter().filter(|a| pred(a.key)).map(|a| (a.key, a)).collect();
        v.sort_by_key(|(_, a)| a.seq);
        v
    }
}

#[cfg(test)]
mod tests {
    /// A loaded unit keeps its settings for its life: one block of
    /// assignments (a service of four directives: 4 × 72 bytes, a 304-byte
    /// malloc chunk; at 80 bytes each it was 336). A value is at most 32
    /// bytes: payloads larger than three words are boxed or use `Box<str>`
    /// (`Condition::arg`, `EnvironmentFile=`'s path, the standard streams'
    /// names), so one rare kind does not set the size of every value.
    #[test]
    fn an_assignment_is_small() {
        use std::mem::size_of;
        assert!(size_of::<crate::value::Value>() <= 32, "{}", size_of::<crate::value::Value>());
        assert!(size_of::<super::Assignment>() <= 72, "{}", size_of::<super::Assignment>());
    }
}
