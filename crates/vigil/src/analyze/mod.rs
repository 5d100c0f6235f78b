//! The `systemd-analyze` personality (`vigil analyze`, and `vigil verify`).
//!
//! Verbs are added here as they are implemented; each prints what
//! `systemd-analyze` prints and exits as it does.

mod boot;
mod calendar;
mod chain;
mod dot;
mod verify;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use unit::paths::{LookupPaths, UserEnv};

#[derive(Parser, Debug)]
#[command(name = "systemd-analyze", disable_version_flag = true)]
struct Analyze {
    /// Operate on an alternate root directory.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Operate on the user manager's units.
    #[arg(long, global = true, conflicts_with = "global")]
    user: bool,
    /// Operate on the system manager (default).
    #[arg(long, global = true)]
    system: bool,
    /// Operate on the units shared by all users.
    #[arg(long, global = true)]
    global: bool,
    /// Accepted for compatibility: the output is never paged.
    #[arg(long, global = true)]
    no_pager: bool,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// List the directories unit files are loaded from, highest priority first.
    UnitPaths,
    /// Check unit files for errors; exits non-zero when systemd-analyze
    /// verify would (missing executables, unknown required units, masked
    /// units, bad syntax).
    Verify {
        /// Unit names, or paths of unit files.
        #[arg(required = true, value_name = "UNIT|FILE")]
        units: Vec<String>,
        /// Accepted for compatibility; man pages are never looked up.
        #[arg(long, value_name = "BOOL", default_value = "no")]
        man: String,
        /// Accepted for compatibility; generators are not run by verify.
        #[arg(long, value_name = "BOOL", default_value = "no")]
        generators: String,
    },
    /// Print how long the boot took in userspace, and when the default
    /// target was reached.
    Time,
    /// List the units by the time they took to start, slowest first.
    Blame,
    /// Print the chain of units the start of UNIT (default.target) waited
    /// for, each with when it became active and how long it took.
    CriticalChain {
        #[arg(value_name = "UNIT")]
        units: Vec<String>,
        /// Also follow units that became active this long before the
        /// latest one.
        #[arg(long, value_name = "TIMESPAN", default_value = "0")]
        fuzz: String,
    },
    /// Print the dependency graph in Graphviz's dot language.
    Dot {
        #[arg(value_name = "PATTERN")]
        patterns: Vec<String>,
        /// Only ordering edges (After=).
        #[arg(long, conflicts_with = "require")]
        order: bool,
        /// Only requirement edges (Requires=, Requisite=, Wants=, Conflicts=).
        #[arg(long)]
        require: bool,
        /// Only edges from units matching this pattern.
        #[arg(long = "from-pattern", value_name = "GLOB")]
        from_pattern: Vec<String>,
        /// Only edges to units matching this pattern.
        #[arg(long = "to-pattern", value_name = "GLOB")]
        to_pattern: Vec<String>,
    },
    /// Normalize calendar expressions and show when they next elapse.
    Calendar {
        #[arg(required = true, value_name = "EXPR")]
        exprs: Vec<String>,
        /// How many elapses to show of each.
        #[arg(long, value_name = "N", default_value_t = 1)]
        iterations: u32,
        /// Count from this time instead of now (`@EPOCH`, a date…).
        #[arg(long, value_name = "TIMESTAMP")]
        base_time: Option<String>,
    },
    /// Parse time spans and print them normalized.
    Timespan {
        #[arg(required = true, value_name = "SPAN")]
        spans: Vec<String>,
    },
}

pub fn main(args: Vec<String>) -> u8 {
    let cli = match Analyze::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    let root = cli.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    let root = std::path::absolute(&root).unwrap_or(root);
    // The running manager's (never started for these).
    let t = crate::ctl::Target { root: cli.root.as_deref().map(|_| root.as_path()), user: cli.user, autostart: false, quiet: false };
    match cli.verb {
        Verb::Verify { units, .. } => {
            let scope = if cli.user {
                unit::Scope::User
            } else if cli.global {
                unit::Scope::Global
            } else {
                unit::Scope::System
            };
            verify::run(&verify::VerifyArgs { root, scope, units })
        }
        Verb::Timespan { spans } => timespan(&spans),
        Verb::Calendar { exprs, iterations, base_time } => match calendar::base_time(base_time.as_deref()) {
            Some(base) => calendar::run(&exprs, iterations, base),
            None => {
                eprintln!("Failed to parse --base-time= parameter: {}", base_time.unwrap_or_default());
                1
            }
        },
        Verb::Dot { patterns, order, require, from_pattern, to_pattern } => {
            let kinds = if order {
                dot::Kinds::Order
            } else if require {
                dot::Kinds::Require
            } else {
                dot::Kinds::All
            };
            dot::dot(&t, kinds, &dot::Filter { patterns: &patterns, from: &from_pattern, to: &to_pattern })
        }
        Verb::CriticalChain { units, fuzz } => {
            let Ok(fuzz) = unit::value::time::parse_sec(&fuzz) else {
                eprintln!("Failed to parse --fuzz= parameter: {fuzz}");
                return 1;
            };
            chain::critical_chain(&t, &units, fuzz.0)
        }
        Verb::Time | Verb::Blame => {
            if matches!(cli.verb, Verb::Time) {
                boot::time(&t)
            } else {
                boot::blame(&t)
            }
        }
        Verb::UnitPaths => {
            let lp = if cli.user {
                LookupPaths::user(&root, &UserEnv::from_env())
            } else if cli.global {
                LookupPaths::global(&root)
            } else {
                LookupPaths::system(&root)
            };
            // systemd-analyze prints the paths without the root prefix.
            for d in &lp.dirs {
                println!("{}", d.path.display());
            }
            0
        }
    }
}

/// `systemd-analyze timespan`: each span as written, in microseconds, and
/// normalized; a blank line between spans; exit 1 at the first bad one.
fn timespan(spans: &[String]) -> u8 {
    use unit::value::time::{format_timespan, parse_sec};
    for (i, s) in spans.iter().enumerate() {
        match parse_sec(s) {
            Ok(u) => {
                if i > 0 {
                    println!();
                }
                println!("Original: {s}");
                println!("      μs: {}", u.0);
                println!("   Human: {}", format_timespan(u.0, 1));
            }
            Err(_) => {
                eprintln!("Failed to parse time span '{s}': Invalid argument");
                return 1;
            }
        }
    }
    0
}
