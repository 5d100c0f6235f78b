//! `systemd-analyze critical-chain [UNIT…]`: the chain of units, each
//! ordered after the next, that the start of UNIT (default: the target
//! `default.target` is) waited for, as systemd 252's
//! `analyze-critical-chain.c` walks it, from the running manager's data.
//!
//! For each unit: its `After=` units that became active during the boot
//! (an `ActiveEnterTimestampMonotonic` set, no later than the boot's
//! finish), latest first; only those within `--fuzz` of the latest one
//! are followed (with the default `--fuzz=0`, the latest alone). Each
//! line shows `@` when the unit became active (or began to start, when
//! it took time) counted from the manager's start, and `+` how long it
//! took to start, the line then highlighted; a unit met again is
//! followed by `...`.
//!
//! Times are the ones `blame` uses (`boot.rs`): a `Type=simple` service
//! is active the moment it is started, so it shows `@` only.

use std::collections::HashMap;

use unit::value::time::format_timespan;

use super::boot::usec;
use crate::ctl::{boot_data, get, Target};

const MANAGER: [&str; 2] = ["UserspaceTimestampMonotonic", "FinishTimestampMonotonic"];
const UNIT: [&str; 6] = [
    "Id",
    "InactiveExitTimestampMonotonic",
    "ActiveEnterTimestampMonotonic",
    "InactiveEnterTimestampMonotonic",
    "After",
    "LoadState",
];

const RED: &str = "\x1b[0;1;31m";
const NORMAL: &str = "\x1b[0m";

/// One unit's start: when it began and became active, and how long that
/// took (`struct unit_times`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Times {
    pub activating: u64,
    pub activated: u64,
    pub time: u64,
}

/// The walk's input: each unit's times and `After=` list, the manager's
/// start and the boot's finish, the fuzz, and how to draw.
pub struct Chain {
    pub times: HashMap<String, Times>,
    pub after: HashMap<String, Vec<String>>,
    pub userspace: u64,
    pub finish: u64,
    pub fuzz: u64,
    pub utf8: bool,
    pub color: bool,
}

impl Chain {
    fn in_range(&self, t: Option<&Times>) -> Option<Times> {
        t.copied().filter(|t| t.activated > 0 && t.activated <= self.finish)
    }

    /// ` @X +Y` / ` @X` of one line (`list_dependencies_print()`).
    fn line(&self, name: &str, t: Option<Times>) -> String {
        let span = |u: u64| format_timespan(u, 1000);
        match t {
            Some(t) if t.time > 0 => {
                let text = format!("{name} @{} +{}", span(t.activating.saturating_sub(self.userspace)), span(t.time));
                if self.color {
                    format!("{RED}{text}{NORMAL}")
                } else {
                    text
                }
            }
            Some(t) if t.activated > self.userspace => format!("{name} @{}", span(t.activated - self.userspace)),
            _ => name.to_string(),
        }
    }

    fn prefix(&self, level: u32, branches: u64, last: bool) -> String {
        let (vertical, space, right, branch) = if self.utf8 { ("│ ", "  ", "└─", "├─") } else { ("| ", "  ", "`-", "|-") };
        let mut s = String::new();
        for i in (1..=level).rev() {
            s.push_str(if branches & (1 << (i - 1)) != 0 { vertical } else { space });
        }
        s.push_str(if last { right } else { branch });
        s
    }

    /// The root unit's line and its chain.
    pub fn render(&self, root: &str, out: &mut String) {
        // The root shows `+` alone when it took time (systemd's own line).
        match self.times.get(root) {
            Some(t) if t.time > 0 => {
                let text = format!("{root} +{}", format_timespan(t.time, 1000));
                out.push_str(&if self.color { format!("{RED}{text}{NORMAL}") } else { text });
            }
            Some(t) if t.activated > self.userspace => {
                out.push_str(&format!("{root} @{}", format_timespan(t.activated - self.userspace, 1000)));
            }
            _ => out.push_str(root),
        }
        out.push('\n');
        let mut seen = vec![root.to_string()];
        self.one(root, 1, 0, &mut seen, out);
    }

    /// `list_dependencies_one()`.
    fn one(&self, name: &str, level: u32, branches: u64, seen: &mut Vec<String>, out: &mut String) {
        let mut deps: Vec<&String> = self.after.get(name).map(|v| v.iter().collect()).unwrap_or_default();
        let at = |d: &str| self.times.get(d).map_or(0, |t| t.activated);
        deps.sort_by_key(|d| std::cmp::Reverse(at(d)));
        let longest = deps.iter().filter_map(|d| self.in_range(self.times.get(*d))).map(|t| t.activated).max().unwrap_or(0);
        if longest == 0 {
            return;
        }
        let near = |t: &Times| longest - t.activated <= self.fuzz;
        let mut to_print = deps.iter().filter(|d| self.in_range(self.times.get(**d)).is_some_and(|t| near(&t))).count();
        for d in deps {
            let Some(t) = self.in_range(self.times.get(d)).filter(near) else { continue };
            to_print -= 1;
            out.push_str(&self.prefix(level - 1, branches, to_print == 0));
            out.push_str(&self.line(d, Some(t)));
            out.push('\n');
            let next = (branches << 1) | u64::from(to_print > 0);
            if seen.iter().any(|s| s == d) {
                out.push_str(&self.prefix(level, next, true));
                out.push_str("...\n");
                continue;
            }
            seen.push(d.clone());
            self.one(d, level + 1, next, seen, out);
            if to_print == 0 {
                break;
            }
        }
    }
}

/// `systemd-analyze critical-chain [UNIT…]`.
pub fn critical_chain(t: &Target<'_>, units: &[String], fuzz: u64) -> u8 {
    let data = match boot_data(t, &MANAGER, &UNIT, units.is_empty()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e:#}");
            return 1;
        }
    };
    let finish = usec(&data.manager, "FinishTimestampMonotonic");
    if finish == 0 {
        return super::boot::not_finished();
    }
    let mut chain = Chain {
        times: HashMap::new(),
        after: HashMap::new(),
        userspace: usec(&data.manager, "UserspaceTimestampMonotonic"),
        finish,
        fuzz,
        utf8: crate::ctl::Glyphs::detect().is_utf8(),
        color: crate::ctl::colors_enabled(),
    };
    for (_, p) in &data.units {
        let id = get(p, "Id").to_string();
        let activating = usec(p, "InactiveExitTimestampMonotonic");
        chain.after.insert(id.clone(), get(p, "After").split_whitespace().map(str::to_string).collect());
        if activating == 0 {
            continue;
        }
        let activated = usec(p, "ActiveEnterTimestampMonotonic");
        let deactivated = usec(p, "InactiveEnterTimestampMonotonic");
        let time = if activated >= activating { activated - activating } else { deactivated.saturating_sub(activating) };
        chain.times.insert(id, Times { activating, activated, time });
    }
    let roots: Vec<String> = if units.is_empty() { vec![get(&data.default_target, "Id").to_string()] } else { units.to_vec() };
    let mut out = String::from(
        "The time when unit became active or started is printed after the \"@\" character.\n\
         The time the unit took to start is printed after the \"+\" character.\n\n",
    );
    for r in roots.iter().filter(|r| !r.is_empty()) {
        chain.render(r, &mut out);
    }
    print!("{out}");
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1000;

    fn chain(units: &[(&str, u64, u64, &[&str])]) -> Chain {
        let mut c = Chain {
            times: HashMap::new(),
            after: HashMap::new(),
            userspace: 1_000 * MS,
            finish: 3_000 * MS,
            fuzz: 0,
            utf8: true,
            color: false,
        };
        for (name, activating, activated, after) in units {
            c.after.insert(name.to_string(), after.iter().map(|s| s.to_string()).collect());
            if *activating > 0 {
                let time = activated.saturating_sub(*activating);
                c.times.insert(name.to_string(), Times { activating: *activating, activated: *activated, time });
            }
        }
        c
    }

    #[test]
    fn follows_the_latest_dependency_as_systemd_analyze_draws_it() {
        let c = chain(&[
            ("graphical.target", 2_015 * MS, 2_015 * MS, &["multi-user.target"]),
            ("multi-user.target", 2_015 * MS, 2_015 * MS, &["basic.target", "getty.target", "never.service"]),
            ("getty.target", 2_015 * MS, 2_015 * MS, &[]),
            ("basic.target", 1_994 * MS, 1_994 * MS, &["web.service"]),
            ("web.service", 1_800 * MS, 1_990 * MS, &[]),
            ("never.service", 0, 0, &[]),
        ]);
        let mut out = String::new();
        c.render("graphical.target", &mut out);
        assert_eq!(out, "graphical.target @1.015s\n└─multi-user.target @1.015s\n  └─getty.target @1.015s\n");
        // With a fuzz that takes in basic.target too: both, the earlier
        // with the chain below it, drawn with the branch glyphs.
        let c = Chain { fuzz: 1_000 * MS, ..c };
        let mut out = String::new();
        c.render("multi-user.target", &mut out);
        assert_eq!(
            out,
            "multi-user.target @1.015s\n├─getty.target @1.015s\n└─basic.target @994ms\n  └─web.service @800ms +190ms\n"
        );
    }

    #[test]
    fn a_unit_met_again_ends_in_dots() {
        let c = chain(&[
            ("a.target", 2_000 * MS, 2_000 * MS, &["b.target"]),
            ("b.target", 1_900 * MS, 1_900 * MS, &["a.target"]),
        ]);
        let mut out = String::new();
        c.render("a.target", &mut out);
        assert_eq!(out, "a.target @1s\n└─b.target @900ms\n  └─a.target @1s\n    └─...\n");
    }
}
