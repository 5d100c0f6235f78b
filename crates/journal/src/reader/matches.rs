//! Field matches, combined the way `sd_journal_add_match(3)` combines them.
//!
//! [`Matches`] is built like sd-journal's match tree:
//!
//! - [`Matches::add`] adds `FIELD=value`. Within the current group, matches
//!   on the *same* field are OR'ed and matches on *different* fields are
//!   AND'ed (`journalctl _SYSTEMD_UNIT=a.service _SYSTEMD_UNIT=b.service
//!   PRIORITY=3` means "(unit a or b) and priority 3").
//! - [`Matches::add_disjunction`] (journalctl's `+`) closes the current
//!   group; the next match starts a new group OR'ed with it.
//! - [`Matches::add_conjunction`] closes the whole OR of groups; what follows
//!   is AND'ed with it.
//!
//! So the expression is AND over conjunction levels of (OR over groups of
//! (AND over fields of (OR over values))), and adding the exact same match
//! twice to a group is a no-op, as in sd-journal.
//!
//! Evaluation never scans entries. Per file, each `FIELD=value` is looked up
//! in the DATA hash table and becomes that DATA object's sorted entry list
//! ([`Chain`]); OR takes the nearest answer of its children, AND leapfrogs
//! its children until they agree on one entry offset (JOURNAL_FILE_FORMAT.md,
//! "Reading": "multiple chains of entry arrays should be traversed in
//! parallel"). A value absent from the file matches nothing there.

use crate::error::{Error, Result};

use super::chain::Chain;
use super::core::Core;

/// OR of values of one field.
type FieldGroup = Vec<Vec<u8>>;
/// AND of field groups.
type Group = Vec<FieldGroup>;
/// OR of groups.
type Level = Vec<Group>;

/// A match expression (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Matches {
    /// AND of levels.
    levels: Vec<Level>,
    level_open: bool,
    group_open: bool,
}

impl Matches {
    /// No matches: everything matches.
    pub fn new() -> Matches {
        Matches::default()
    }

    /// True when no match has been added.
    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Adds a `FIELD=value` match. The field name follows sd-journal's
    /// rule: `A-Z`, `0-9`, `_`, not starting with `__`, followed by `=`.
    pub fn add(&mut self, m: &[u8]) -> Result<()> {
        if !match_is_valid(m) {
            return Err(Error::BadMatch(String::from_utf8_lossy(m).into_owned()));
        }
        if !self.level_open {
            self.levels.push(Vec::new());
            self.level_open = true;
        }
        let Some(level) = self.levels.last_mut() else {
            return Ok(());
        };
        if !self.group_open {
            level.push(Vec::new());
            self.group_open = true;
        }
        let Some(group) = level.last_mut() else {
            return Ok(());
        };
        let field = field_of(m);
        for values in group.iter_mut() {
            if values.iter().any(|v| v == m) {
                return Ok(());
            }
            if values.first().is_some_and(|v| field_of(v) == field) {
                values.push(m.to_vec());
                return Ok(());
            }
        }
        group.push(vec![m.to_vec()]);
        Ok(())
    }

    /// Starts a new group OR'ed with the previous ones (journalctl's `+`).
    pub fn add_disjunction(&mut self) {
        if self.level_open && self.levels.last().is_some_and(|l| !l.is_empty()) {
            self.group_open = false;
        }
    }

    /// Closes the current OR of groups; later matches are AND'ed with it.
    pub fn add_conjunction(&mut self) {
        if self.level_open && self.levels.last().is_some_and(|l| !l.is_empty()) {
            self.level_open = false;
            self.group_open = false;
        }
    }

    /// Compiles the expression against one file (`None`: no matches).
    pub(crate) fn compile(&self, core: &mut Core) -> Result<Option<Node>> {
        if self.levels.is_empty() {
            return Ok(None);
        }
        let mut levels = Vec::new();
        for level in &self.levels {
            let mut groups = Vec::new();
            for group in level {
                let mut fields = Vec::new();
                for values in group {
                    let mut alternatives = Vec::new();
                    for value in values {
                        if let Some(data) = core.find_data(value)? {
                            alternatives.push(Node::Discrete(Chain::for_data(core, data)?));
                        }
                    }
                    fields.push(Node::any(alternatives));
                }
                groups.push(Node::all(fields));
            }
            levels.push(Node::any(groups));
        }
        Ok(Some(Node::all(levels)))
    }
}

fn field_of(m: &[u8]) -> &[u8] {
    match m.iter().position(|&b| b == b'=') {
        Some(eq) => &m[..eq],
        None => m,
    }
}

/// sd-journal's `match_is_valid()`.
fn match_is_valid(m: &[u8]) -> bool {
    if m.len() < 2 || m.starts_with(b"__") {
        return false;
    }
    for (i, &c) in m.iter().enumerate() {
        match c {
            b'=' => return i > 0,
            b'_' | b'A'..=b'Z' | b'0'..=b'9' => {}
            _ => return false,
        }
    }
    false
}

/// A match expression bound to one file's entry lists.
#[derive(Clone, Debug)]
pub(crate) enum Node {
    /// Matches nothing in this file.
    Never,
    Discrete(Chain),
    And(Vec<Node>),
    Or(Vec<Node>),
}

impl Node {
    fn any(mut children: Vec<Node>) -> Node {
        children.retain(|c| !matches!(c, Node::Never));
        match children.len() {
            0 => Node::Never,
            1 => children.pop().unwrap_or(Node::Never),
            _ => Node::Or(children),
        }
    }

    fn all(mut children: Vec<Node>) -> Node {
        if children.is_empty() || children.iter().any(|c| matches!(c, Node::Never)) {
            return Node::Never;
        }
        if children.len() == 1 {
            return children.pop().unwrap_or(Node::Never);
        }
        Node::And(children)
    }

    /// Forward: the first matching entry offset ≥ `p`; backward: the last ≤ `p`.
    pub(crate) fn seek(&mut self, core: &mut Core, p: u64, forward: bool) -> Result<Option<u64>> {
        match self {
            Node::Never => Ok(None),
            Node::Discrete(chain) => chain.seek(core, p, forward),
            Node::Or(children) => {
                let mut best: Option<u64> = None;
                for child in children.iter_mut() {
                    if let Some(q) = child.seek(core, p, forward)? {
                        best = Some(match best {
                            Some(b) if forward => b.min(q),
                            Some(b) => b.max(q),
                            None => q,
                        });
                    }
                }
                Ok(best)
            }
            Node::And(children) => {
                // Leapfrog: every child must land on the same entry; the
                // target only moves in the search direction, so this ends.
                let mut target = p;
                loop {
                    let mut agreed = true;
                    for child in children.iter_mut() {
                        let Some(q) = child.seek(core, target, forward)? else {
                            return Ok(None);
                        };
                        if q != target {
                            target = q;
                            agreed = false;
                        }
                    }
                    if agreed {
                        return Ok(Some(target));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouping_follows_sd_journal() {
        let mut m = Matches::new();
        m.add(b"_SYSTEMD_UNIT=a.service").unwrap();
        m.add(b"_SYSTEMD_UNIT=b.service").unwrap();
        m.add(b"PRIORITY=3").unwrap();
        m.add(b"PRIORITY=3").unwrap();
        assert_eq!(
            m.levels,
            vec![vec![vec![
                vec![
                    b"_SYSTEMD_UNIT=a.service".to_vec(),
                    b"_SYSTEMD_UNIT=b.service".to_vec()
                ],
                vec![b"PRIORITY=3".to_vec()],
            ]]]
        );
        m.add_disjunction();
        m.add(b"MESSAGE=x").unwrap();
        assert_eq!(m.levels[0].len(), 2);
        m.add_conjunction();
        m.add(b"MESSAGE=y").unwrap();
        assert_eq!(m.levels.len(), 2);
    }

    #[test]
    fn disjunction_without_matches_is_ignored() {
        let mut m = Matches::new();
        m.add_disjunction();
        m.add_conjunction();
        assert!(m.is_empty());
        m.add(b"A=1").unwrap();
        m.add_disjunction();
        m.add_disjunction();
        m.add(b"B=1").unwrap();
        assert_eq!(m.levels[0].len(), 2);
    }

    #[test]
    fn invalid_matches() {
        let mut m = Matches::new();
        for bad in [&b""[..], b"=x", b"A", b"a=b", b"__CURSOR=x", b"A B=c"] {
            assert!(m.add(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(m.add(b"A=").is_ok());
    }
}
