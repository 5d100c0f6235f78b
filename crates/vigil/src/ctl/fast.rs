//! The fast path for the queries scripts and monitors run in loops:
//! `is-active`, `is-failed`, `show` and `status` with the handful of
//! options they are called with.
//!
//! Why: building clap's command tree for the whole `systemctl` grammar
//! (every verb, every global option, their help texts) and dropping it
//! again costs about 3.8 M instructions — nine tenths of a
//! `systemctl is-active x` round trip, more than connecting to the
//! manager and asking it (issue 8: a control round trip within 1 ms).
//! This module reads such a command line by hand and goes straight to
//! [`super::runtime`].
//!
//! What: [`parse`] accepts only command lines it understands completely
//! — the verbs above, unit names, and the options `--root`, `--user`,
//! `--system`, `--no-autostart`, `-q`/`--quiet`, `--no-pager`,
//! `-p`/`--property`, `--value`, `-a`/`--all`, `-l`/`--full`,
//! `--no-legend`, `-n`/`--lines` in the forms `getopt_long()` takes
//! (`--root=DIR`, `--root DIR`, `-pX`, `-p X`). Anything else — another
//! verb, another option, `--`, grouped short options, an empty value,
//! `--help` — returns `None`, and clap parses the line as before, with
//! its checks and messages. So the fast path never changes what a
//! command means or how it fails; the test below holds it to clap's
//! reading of the same lines.

use std::path::PathBuf;

use super::runtime;
use super::term;

/// One query command line, as clap would have read it.
#[derive(Debug, PartialEq, Eq)]
pub struct Fast {
    pub verb: Query,
    pub units: Vec<String>,
    pub root: Option<PathBuf>,
    pub user: bool,
    pub no_autostart: bool,
    pub quiet: bool,
    pub no_pager: bool,
    pub property: Vec<String>,
    pub value: bool,
    pub all: bool,
    pub lines: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Query {
    IsActive,
    IsFailed,
    Show,
    Status,
}

/// Run the command line if it is one of the fast path's; `None` leaves
/// it to the full parser.
pub fn try_run(args: &[String]) -> Option<u8> {
    let f = parse(args)?;
    let t = runtime::Target { root: f.root.as_deref(), user: f.user, autostart: !f.no_autostart, quiet: f.quiet };
    let call = match f.verb {
        Query::IsActive => runtime::Call::IsActive(f.units),
        Query::IsFailed => runtime::Call::IsFailed(f.units),
        Query::Show => runtime::Call::Show { units: f.units, properties: f.property, value: f.value, all: f.all },
        Query::Status => runtime::Call::Status { units: f.units, lines: f.lines },
    };
    // The same pager decision as the full path (`super::pages`).
    let pager = match f.verb {
        Query::Show | Query::Status => term::Pager::open(f.no_pager),
        Query::IsActive | Query::IsFailed => term::Pager::none(),
    };
    let code = runtime::run(&t, call);
    pager.close();
    Some(code)
}

/// Read `args` (program name first) if every word is one the fast path
/// knows; see the module essay.
pub fn parse(args: &[String]) -> Option<Fast> {
    let mut f = Fast {
        verb: Query::IsActive,
        units: Vec::new(),
        root: None,
        user: false,
        no_autostart: false,
        quiet: false,
        no_pager: false,
        property: Vec::new(),
        value: false,
        all: false,
        lines: None,
    };
    let mut verb = None;
    let mut words = args.iter().skip(1);
    while let Some(a) = words.next() {
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let takes_value = matches!(name, "root" | "property" | "lines");
            let value = match (takes_value, inline) {
                (true, Some(v)) => Some(v),
                (true, None) => Some(words.next()?.as_str()),
                // A flag with `=value`: clap's error, not ours.
                (false, Some(_)) => return None,
                (false, None) => None,
            };
            flag_or_value(&mut f, name, value)?;
        } else if let Some(short) = a.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let c = chars.next()?;
            let name = match c {
                'q' => "quiet",
                'a' => "all",
                'l' => "full",
                'p' => "property",
                'n' => "lines",
                _ => return None,
            };
            let rest = chars.as_str();
            let value = match (matches!(c, 'p' | 'n'), rest.is_empty()) {
                (true, false) => Some(rest),
                (true, true) => Some(words.next()?.as_str()),
                (false, true) => None,
                // Grouped flags (`-qa`): left to clap.
                (false, false) => return None,
            };
            flag_or_value(&mut f, name, value)?;
        } else if a.starts_with('-') {
            // `-` alone.
            return None;
        } else if verb.is_none() {
            verb = Some(match a.as_str() {
                "is-active" => Query::IsActive,
                "is-failed" => Query::IsFailed,
                "show" => Query::Show,
                "status" => Query::Status,
                _ => return None,
            });
        } else {
            f.units.push(a.clone());
        }
    }
    f.verb = verb?;
    // `is-active` and `is-failed` need a unit: without one, clap says "Too
    // few arguments." in systemctl's words (`show` and `status` without
    // one are the manager's properties and the system's status).
    if f.units.is_empty() && matches!(f.verb, Query::IsActive | Query::IsFailed) {
        return None;
    }
    Some(f)
}

/// Apply one option; `None` for one the fast path does not take.
fn flag_or_value(f: &mut Fast, name: &str, value: Option<&str>) -> Option<()> {
    match (name, value) {
        // An empty value gets clap's treatment.
        (_, Some("")) => return None,
        ("root", Some(v)) => f.root = Some(PathBuf::from(v)),
        ("property", Some(v)) => {
            // clap splits on commas (`value_delimiter`); an empty piece
            // is left to it.
            if v.split(',').any(str::is_empty) {
                return None;
            }
            f.property.extend(v.split(',').map(str::to_string));
        }
        ("lines", Some(v)) => f.lines = Some(v.parse().ok()?),
        ("user", None) => f.user = true,
        ("system", None) => f.user = false,
        ("no-autostart", None) => f.no_autostart = true,
        ("quiet", None) => f.quiet = true,
        ("no-pager", None) => f.no_pager = true,
        ("value", None) => f.value = true,
        ("all", None) => f.all = true,
        // Accepted and without effect on these verbs, as in the full path.
        ("full" | "no-legend", None) => {}
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::super::cli::{Ctl, Verb};
    use super::*;
    use clap::Parser;

    fn argv(line: &str) -> Vec<String> {
        std::iter::once("systemctl").chain(line.split_whitespace()).map(str::to_string).collect()
    }

    /// What clap makes of the same line, in the fast path's terms.
    fn by_clap(args: &[String]) -> Option<Fast> {
        let c = Ctl::try_parse_from(args).ok()?;
        let (verb, units) = match c.verb? {
            Verb::IsActive { units } => (Query::IsActive, units),
            Verb::IsFailed { units } => (Query::IsFailed, units),
            Verb::Show { units } => (Query::Show, units),
            Verb::Status { units } => (Query::Status, units),
            _ => return None,
        };
        let o = c.opts;
        Some(Fast {
            verb,
            units,
            root: o.root,
            user: o.user,
            no_autostart: o.no_autostart,
            quiet: o.quiet,
            no_pager: o.no_pager,
            property: o.property,
            value: o.value,
            all: o.all,
            lines: o.lines,
        })
    }

    #[test]
    fn reads_what_clap_reads() {
        for line in [
            "is-active s1",
            "--root=/tmp/r is-active s1 s2",
            "--root /tmp/r is-failed -q s1",
            "is-active --user --system x.service",
            "--user status --no-pager s1",
            "status -n0 --no-pager s1",
            "status --lines 5 s1",
            "status --lines=0 s1 s2",
            "show -p MainPID s1",
            "show -pMainPID,ActiveState --value s1",
            "show --property=Id -p MainPID -a s1",
            "show --property Id --no-autostart -l --no-legend s1",
            "show",
            "show -p Version --value",
            "status --no-pager",
            "s1 is-active",
        ] {
            let a = argv(line);
            let fast = parse(&a);
            let clap = by_clap(&a);
            if line == "s1 is-active" {
                // Not a query verb first: clap's business.
                assert_eq!(fast, None, "{line}");
                continue;
            }
            assert!(fast.is_some(), "fast path refused {line:?}");
            assert_eq!(fast, clap, "{line}");
        }
    }

    #[test]
    fn leaves_everything_else_to_clap() {
        for line in [
            "is-active",
            "is-failed",
            "start s1",
            "list-units",
            "is-active -- s1",
            "is-active -qa s1",
            "--help",
            "status --help s1",
            "show --offline s1",
            "show -p , s1",
            "show --property= s1",
            "show -p",
            "status -n -1 s1",
            "status -n x s1",
            "is-active --quiet=yes s1",
            "is-active --global s1",
            "is-active - s1",
            "--root= is-active s1",
        ] {
            assert_eq!(parse(&argv(line)), None, "{line}");
        }
    }
}
