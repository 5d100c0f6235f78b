//! `systemd-analyze dot [PATTERN…]`: the running manager's dependency
//! graph in Graphviz's language, as systemd 252's `analyze-dot.c` writes
//! it: one edge per entry of each loaded unit's `After=` (green), and of
//! its `Requires=` (black), `Requisite=` (dark blue), `Wants=` (grey66),
//! `Conflicts=` (red); `--order` keeps the first kind only, `--require`
//! the others. With patterns, an edge is shown when either end matches
//! one; `--from-pattern=`/`--to-pattern=` filter the edge's source and
//! target. The colour legend goes to stderr.
//!
//! systemd lists the units in the order its bus hands them out (a hash
//! order); vigil sorts them by name, so the output is the same each time.

use unit::condition::compare::{fnmatch, MatchFlags};

use crate::ctl::{boot_data, get, Target};

/// Which edges (`--order`, `--require`, both by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kinds {
    All,
    Order,
    Require,
}

const UNIT: [&str; 6] = ["Id", "After", "Requires", "Requisite", "Wants", "Conflicts"];

pub struct Filter<'a> {
    pub patterns: &'a [String],
    pub from: &'a [String],
    pub to: &'a [String],
}

fn any(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| fnmatch(p, name, MatchFlags::default()))
}

/// The edges of one unit (`graph_one()`), appended to `out`.
fn edges(id: &str, p: &[(String, String)], kinds: Kinds, f: &Filter<'_>, out: &mut String) {
    if !f.from.is_empty() && !any(f.from, id) {
        return;
    }
    let mut lists: Vec<(&str, &str)> = Vec::new();
    if kinds != Kinds::Require {
        lists.push(("After", "green"));
    }
    if kinds != Kinds::Order {
        lists.extend([("Requires", "black"), ("Requisite", "darkblue"), ("Wants", "grey66"), ("Conflicts", "red")]);
    }
    for (prop, color) in lists {
        for to in get(p, prop).split_whitespace() {
            if !f.to.is_empty() && !any(f.to, to) {
                continue;
            }
            if !f.patterns.is_empty() && !any(f.patterns, id) && !any(f.patterns, to) {
                continue;
            }
            out.push_str(&format!("\t\"{id}\"->\"{to}\" [color=\"{color}\"];\n"));
        }
    }
}

/// The whole graph, `digraph systemd { … }`.
pub fn graph(units: &[(String, Vec<(String, String)>)], kinds: Kinds, f: &Filter<'_>) -> String {
    let mut sorted: Vec<&(String, Vec<(String, String)>)> = units.iter().collect();
    sorted.sort_by(|a, b| get(&a.1, "Id").cmp(get(&b.1, "Id")));
    let mut out = String::from("digraph systemd {\n");
    for (_, p) in sorted {
        edges(get(p, "Id"), p, kinds, f, &mut out);
    }
    out.push_str("}\n");
    out
}

/// `systemd-analyze dot`.
pub fn dot(t: &Target<'_>, kinds: Kinds, f: &Filter<'_>) -> u8 {
    let data = match boot_data(t, &["Version"], &UNIT, false) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e:#}");
            return 1;
        }
    };
    print!("{}", graph(&data.units, kinds, f));
    eprintln!(
        "   Color legend: black     = Requires\n                 dark blue = Requisite\n                 dark grey = Wants\n                 red       = Conflicts\n                 green     = After"
    );
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: &str, after: &str, requires: &str, conflicts: &str) -> (String, Vec<(String, String)>) {
        let p = [("Id", id), ("After", after), ("Requires", requires), ("Requisite", ""), ("Wants", ""), ("Conflicts", conflicts)];
        (id.to_string(), p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn edges_as_systemd_analyze_writes_them() {
        let units = vec![
            unit("tick.timer", "sysinit.target time-sync.target", "sysinit.target", "shutdown.target"),
            unit("tick.service", "tick.timer sysinit.target", "sysinit.target", "shutdown.target"),
        ];
        let none = Filter { patterns: &[], from: &[], to: &[] };
        let pat = vec!["tick.timer".to_string()];
        let by = Filter { patterns: &pat, from: &[], to: &[] };
        assert_eq!(
            graph(&units, Kinds::All, &by),
            "digraph systemd {\n\
             \t\"tick.service\"->\"tick.timer\" [color=\"green\"];\n\
             \t\"tick.timer\"->\"sysinit.target\" [color=\"green\"];\n\
             \t\"tick.timer\"->\"time-sync.target\" [color=\"green\"];\n\
             \t\"tick.timer\"->\"sysinit.target\" [color=\"black\"];\n\
             \t\"tick.timer\"->\"shutdown.target\" [color=\"red\"];\n}\n"
        );
        let req = graph(&units, Kinds::Require, &none);
        assert!(!req.contains("green") && req.matches("[color=\"black\"]").count() == 2, "{req}");
        let to = vec!["*.target".to_string()];
        let from = vec!["tick.s*".to_string()];
        let f = Filter { patterns: &[], from: &from, to: &to };
        assert_eq!(
            graph(&units, Kinds::Order, &f),
            "digraph systemd {\n\t\"tick.service\"->\"sysinit.target\" [color=\"green\"];\n}\n"
        );
    }
}
