//! `systemctl list-dependencies [UNIT…]` (default: `default.target`), as
//! systemd 252 draws it (`systemctl-list-dependencies.c`):
//!
//! ```text
//! web.service
//! ● ├─db.service
//! ○ └─basic.target
//! ●   └─sysinit.target
//! ```
//!
//! The first line is the unit; below it each dependency gets a dot for
//! its active state (`●` green when active or activating, `○` when
//! inactive, `×` red when failed) and the tree drawing of its depth.
//! Dependencies are sorted with targets last, otherwise by name ignoring
//! case. Only targets are expanded further unless `--all`. A unit already
//! on the current path is shown as `...` and not expanded again (cycles).
//! `--plain` prints the names indented by two spaces, without dots and
//! tree, and then every unit is shown once only (systemctl keeps its
//! visited list then). `--type=` and `--state=` filter what is shown
//! (and expanded) and imply `--plain`, as the tree cannot be kept. Lines longer than the terminal (`COLUMNS`, else 80)
//! are shortened with `…`, unless `--full`.
//!
//! The edges come from the manager ([`proto::Request::Dependencies`]), one
//! request per expanded unit: forward (`Requires=`, `Requisite=`,
//! `Wants=`, `BindsTo=`, `ConsistsOf=`), `--reverse`, `--after`,
//! `--before`.

use anyhow::Result;
use proto::client::Client;
use proto::msg::{DepDirection, UnitState};
use proto::{Request, Response};

use super::runtime::{client, Target};
use super::term::{paint, state_color, Glyphs};

pub struct Opts {
    pub direction: DepDirection,
    pub all: bool,
    pub plain: bool,
    pub full: bool,
    /// `--type=`: only units of these types (unit type suffixes).
    pub types: Vec<String>,
    /// `--state=`: only units in one of these active, load or sub states.
    pub states: Vec<String>,
}

struct Walk<'a> {
    c: &'a mut Client,
    o: &'a Opts,
    g: Glyphs,
    width: usize,
    /// The units on the current path (all visited ones with --plain).
    stack: Vec<String>,
    out: String,
}

fn is_target(n: &str) -> bool {
    n.ends_with(".target")
}

impl Walk<'_> {
    fn deps(&mut self, unit: &str) -> Result<Vec<UnitState>> {
        let r = self.c.call(&Request::Dependencies { unit: unit.to_string(), direction: self.o.direction })?;
        let mut deps = match r {
            Response::Dependencies { deps, .. } => deps,
            Response::Error { message, .. } => anyhow::bail!("Failed to get dependencies of {unit}: {message}"),
            other => anyhow::bail!("unexpected reply from the manager: {other:?}"),
        };
        deps.sort_by(|a, b| {
            is_target(&a.name).cmp(&is_target(&b.name)).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Ok(deps)
    }

    /// `list_dependencies_print()`.
    fn line(&mut self, name: &str, level: usize, branches: u64, last: bool) {
        let max = self.width.max(20);
        let mut len = 0;
        if !self.o.plain {
            for i in (0..level).rev() {
                len += 2;
                if len > max - 3 && !self.o.full {
                    self.out.push_str(if max % 2 == 1 { "...\n" } else { " ...\n" });
                    return;
                }
                let on = i < 64 && branches & (1 << i) != 0;
                self.out.push_str(if on { self.g.tree_vertical() } else { self.g.tree_space() });
            }
            len += 2;
            if len > max - 3 && !self.o.full {
                self.out.push_str(if max % 2 == 1 { "...\n" } else { " ...\n" });
                return;
            }
            self.out.push_str(if last { self.g.tree_right() } else { self.g.tree_branch() });
        }
        let room = max - len;
        if self.o.full || name.chars().count() <= room {
            self.out.push_str(name);
        } else {
            let keep: String = name.chars().take(room.saturating_sub(1)).collect();
            self.out.push_str(&keep);
            self.out.push('…');
        }
        self.out.push('\n');
    }

    /// `list_dependencies_one()`.
    fn one(&mut self, name: &str, level: usize, branches: u64) -> Result<()> {
        self.stack.push(name.to_string());
        let deps = self.deps(name)?;
        let n = deps.len();
        for (i, d) in deps.iter().enumerate() {
            let last = i + 1 == n;
            let below = (branches << 1) | u64::from(!last);
            if self.stack.contains(&d.name) {
                if !self.o.plain {
                    self.out.push_str("  ");
                    self.line("...", level + 1, below, true);
                }
                continue;
            }
            if !self.o.types.is_empty() && !self.o.types.iter().any(|t| d.name.rsplit('.').next() == Some(t.as_str())) {
                continue;
            }
            if !self.o.states.is_empty() && !self.o.states.iter().any(|st| *st == d.active || *st == d.load || *st == d.sub) {
                continue;
            }
            if self.o.plain {
                self.out.push_str("  ");
            } else {
                self.out.push_str(&paint(state_color_tree(&d.active), self.g.state(&d.active)));
                self.out.push(' ');
            }
            self.line(&d.name, level, branches, last);
            if self.o.all || is_target(&d.name) {
                self.one(&d.name, level + 1, below)?;
            }
        }
        if !self.o.plain {
            self.stack.retain(|s| s != name);
        }
        Ok(())
    }
}

/// The tree's dots: green also while activating, red for every state that
/// is not active, inactive or in transition (the switch in
/// `list_dependencies_one()`).
fn state_color_tree(active: &str) -> &'static str {
    match active {
        "active" | "reloading" | "activating" => super::term::ansi::GREEN,
        "inactive" | "deactivating" => "",
        _ => state_color("failed"),
    }
}

pub fn list_dependencies(t: &Target<'_>, units: &[String], o: &Opts) -> u8 {
    let names: Vec<String> = if units.is_empty() {
        vec!["default.target".into()]
    } else {
        units.iter().map(|u| unit::name::mangle(u).unwrap_or_else(|| u.clone())).collect()
    };
    let res = client(t).and_then(|mut c| {
        let mut w = Walk { c: &mut c, o, g: Glyphs::detect(), width: super::term::columns(), stack: Vec::new(), out: String::new() };
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                w.out.push('\n');
            }
            w.out.push_str(n);
            w.out.push('\n');
            w.one(n, 0, 0)?;
        }
        Ok(w.out)
    });
    match res {
        Ok(out) => {
            super::context::out(&out);
            0
        }
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}
