//! The `systemctl` command line: one clap definition per option and verb
//! (which also feeds `--help`), and the checks systemctl makes while it
//! reads its options, with its messages.
//!
//! systemctl parses with `getopt_long()`, so options may stand before or
//! after the verb and its arguments, and `--` ends them. clap gives the
//! same with `global = true` options. Where systemctl validates an
//! option's value as it reads it (`--type=`, `--state=`,
//! `--preset-mode=`, each with a `help` value that lists what is
//! accepted), [`Opts::resolve`] does the same checks afterwards and prints
//! systemctl's messages. Argument-count and unknown-verb errors are
//! reported in systemctl's words too ("Too few arguments.", "Unknown
//! command verb foo."), because scripts match on them; other parse errors
//! keep clap's wording.

use std::path::{Path, PathBuf};

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand};
use unit::install::PresetMode;
use unit::{Scope, UnitType};

use super::states;

#[derive(Parser, Debug)]
#[command(
    name = "systemctl",
    about = "Query or send control commands to the vigil manager, or change unit file state",
    disable_version_flag = true,
    disable_help_subcommand = true,
    args_override_self = true,
    after_help = "Unit file commands work without a running manager, on / or on --root=DIR.\n\
                  Unlike systemctl, `cat` also works with --root=DIR (a vigil extension)."
)]
pub struct Ctl {
    #[command(flatten)]
    pub opts: Opts,
    #[command(subcommand)]
    pub verb: Option<Verb>,
}

/// Options valid with every verb (systemctl accepts them anywhere).
#[derive(Args, Debug, Default)]
pub struct Opts {
    /// Operate on the unit files (and the manager) of this root directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Operate on the calling user's units and manager.
    #[arg(long, global = true, overrides_with_all = ["system", "global"])]
    pub user: bool,
    /// Operate on the system's units and manager (the default).
    #[arg(long, global = true, overrides_with_all = ["user", "global"])]
    pub system: bool,
    /// Operate on the user units shared by all users.
    #[arg(long, global = true, overrides_with_all = ["user", "system"])]
    pub global: bool,
    /// Fail instead of starting a manager when none is running.
    #[arg(long, global = true)]
    pub no_autostart: bool,
    /// Suppress informational output.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Change unit files only until the next reboot (under /run).
    #[arg(long, global = true)]
    pub runtime: bool,
    /// Replace conflicting symlinks when enabling.
    #[arg(short, long, global = true)]
    pub force: bool,
    /// With preset and preset-all: full, enable-only or disable-only.
    #[arg(long, global = true, value_name = "MODE")]
    pub preset_mode: Option<String>,
    /// Only list units of these types (comma-separated; `help` lists them).
    #[arg(short = 't', long = "type", global = true, value_name = "TYPE")]
    pub types: Vec<String>,
    /// Only list units in these states (comma-separated; `help` lists them).
    #[arg(long, global = true, value_name = "STATE")]
    pub state: Vec<String>,
    /// Accepted for compatibility: offline there is nothing to reload.
    #[arg(long, global = true)]
    pub no_reload: bool,
    /// Print tables without header and footer.
    #[arg(long, global = true)]
    pub no_legend: bool,
    /// Do not pipe output into a pager (there is none when stdout is not
    /// a terminal anyway).
    #[arg(long, global = true)]
    pub no_pager: bool,
    /// Accepted for compatibility: output is never shortened.
    #[arg(short = 'l', long, global = true)]
    pub full: bool,
    /// With list-dependencies: a flat list instead of a tree; with
    /// list-units: no status dots.
    #[arg(long, global = true)]
    pub plain: bool,
    /// With kill: the signal to send (a name like TERM or SIGHUP, or a
    /// number; `help` lists them).
    #[arg(short = 's', long, global = true, value_name = "SIGNAL")]
    pub signal: Option<String>,
    /// With kill: which processes get the signal: main, control or all.
    #[arg(long, global = true, value_name = "WHOM")]
    pub kill_whom: Option<String>,
    /// How queued jobs deal with jobs already queued (`help` lists them).
    #[arg(long, global = true, value_name = "MODE")]
    pub job_mode: Option<String>,
    /// Same as --job-mode=fail.
    #[arg(long, global = true)]
    pub fail: bool,
    /// Same as --job-mode=replace-irreversibly.
    #[arg(long, global = true)]
    pub irreversible: bool,
    /// Same as --job-mode=ignore-dependencies.
    #[arg(long, global = true)]
    pub ignore_dependencies: bool,
    /// With list-dependencies: the units that depend on the unit.
    #[arg(long, global = true)]
    pub reverse: bool,
    /// With list-dependencies: the units ordered before the unit.
    #[arg(long, global = true)]
    pub after: bool,
    /// With list-dependencies: the units ordered after the unit.
    #[arg(long, global = true)]
    pub before: bool,
    /// With list-sockets: also the socket type.
    #[arg(long, global = true)]
    pub show_types: bool,
    /// Output format: json or json-pretty for tables (list-units,
    /// list-sockets, list-jobs, show-environment); journal formats are
    /// accepted for status.
    #[arg(short = 'o', long, global = true, value_name = "FORMAT")]
    pub output: Option<String>,
    /// Print the version.
    #[arg(long)]
    pub version: bool,
    /// Do not wait for jobs to finish.
    #[arg(long, global = true)]
    pub no_block: bool,
    /// With enable/disable/mask: also start/stop the units.
    #[arg(long, global = true)]
    pub now: bool,
    /// With show: read the unit files instead of asking the manager (the
    /// fully parsed unit, every property it sets, systemd's names).
    #[arg(long, global = true)]
    pub offline: bool,
    /// With list-units: only failed units (same as --state=failed).
    #[arg(long, global = true)]
    pub failed: bool,
    /// With show: only these properties (comma-separated or repeated).
    #[arg(short = 'p', long = "property", global = true, value_name = "NAME", value_delimiter = ',')]
    pub property: Vec<String>,
    /// With show: print values only.
    #[arg(long, global = true)]
    pub value: bool,
    /// With show: also empty properties; with list-units: also inactive units.
    #[arg(short = 'a', long, global = true)]
    pub all: bool,
    /// With status: how many journal lines to show (10 by default, 0 for none).
    #[arg(short = 'n', long, global = true, value_name = "N")]
    pub lines: Option<u32>,
}

#[derive(Subcommand, Debug)]
pub enum Verb {
    /// List installed unit files, their state and preset
    ListUnitFiles {
        #[arg(value_name = "PATTERN")]
        patterns: Vec<String>,
    },
    /// Enable unit files: create the symlinks their [Install] section asks for
    Enable {
        #[arg(value_name = "UNIT|PATH", required = true)]
        units: Vec<String>,
    },
    /// Disable unit files: remove the symlinks pointing to them
    Disable {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Disable, then enable unit files again
    Reenable {
        #[arg(value_name = "UNIT|PATH", required = true)]
        units: Vec<String>,
    },
    /// Enable or disable unit files as the preset policy says
    Preset {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Enable or disable every unit file as the preset policy says
    PresetAll,
    /// Print whether unit files are enabled
    IsEnabled {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Mask units: link them to /dev/null so they cannot be started
    Mask {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Remove the masks of units
    Unmask {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Link unit files from outside the search path into it
    Link {
        #[arg(value_name = "PATH", required = true)]
        paths: Vec<String>,
    },
    /// Return unit files to their vendor version: drop overrides and drop-ins
    Revert {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Make a target want units (a .wants/ symlink)
    AddWants {
        #[arg(value_name = "TARGET")]
        target: String,
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Make a target require units (a .requires/ symlink)
    AddRequires {
        #[arg(value_name = "TARGET")]
        target: String,
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Print the default target
    GetDefault,
    /// Set the default target
    SetDefault {
        #[arg(value_name = "TARGET")]
        target: String,
    },
    /// Print the unit files and drop-ins of units (also with --root, unlike systemctl)
    Cat {
        #[arg(value_name = "UNIT|PATTERN", required = true)]
        units: Vec<String>,
    },
    /// Edit a drop-in of units (with --full the unit files) in an editor
    Edit {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Ask the manager to exit (with an exit code, for a container's PID 1)
    Exit {
        #[arg(value_name = "EXIT_CODE", default_value_t = 0)]
        code: u8,
    },
    /// Print the state of the manager: running, degraded, stopping…
    IsSystemRunning,
    /// Start units (and what they require and want)
    Start {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Stop units (and what requires them)
    #[command(alias = "condstop")]
    Stop {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Stop and start units
    Restart {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Restart units that are running
    #[command(alias = "condrestart")]
    TryRestart {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Reload units' configuration (ExecReload=)
    Reload {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Reload units if they support it, restart them otherwise
    ReloadOrRestart {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Reload or restart units that are running
    #[command(aliases = ["force-reload", "condreload", "reload-or-try-restart"])]
    TryReloadOrRestart {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Print whether units are active (exit 0 if any is)
    #[command(alias = "check")]
    IsActive {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Print whether units failed (exit 0 if any did)
    IsFailed {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Show properties of units, or of the manager when no unit is named,
    /// by systemd's property names
    Show {
        #[arg(value_name = "UNIT")]
        units: Vec<String>,
    },
    /// Show the runtime status of units, or of the whole system when no
    /// unit is named
    Status {
        #[arg(value_name = "UNIT")]
        units: Vec<String>,
    },
    /// Re-read unit files (running services keep running)
    DaemonReload,
    /// List units the manager has loaded
    ListUnits {
        #[arg(value_name = "PATTERN")]
        patterns: Vec<String>,
    },
    /// Send a signal to the processes of units
    Kill {
        #[arg(value_name = "UNIT", required = true)]
        units: Vec<String>,
    },
    /// Reset the failed state of units (all units without arguments)
    ResetFailed {
        #[arg(value_name = "UNIT")]
        units: Vec<String>,
    },
    /// Show the manual pages of units (their Documentation=)
    Help {
        #[arg(value_name = "UNIT")]
        units: Vec<String>,
    },
    /// Cancel jobs by id (all jobs when none is named)
    Cancel {
        #[arg(value_name = "JOB")]
        jobs: Vec<String>,
    },
    /// List queued and running jobs
    ListJobs {
        #[arg(value_name = "PATTERN")]
        patterns: Vec<String>,
    },
    /// List socket units and what they listen on
    ListSockets {
        #[arg(value_name = "PATTERN")]
        patterns: Vec<String>,
    },
    /// List timer units: when each elapses next and last did
    ListTimers {
        #[arg(value_name = "PATTERN")]
        patterns: Vec<String>,
    },
    /// Show the units a unit depends on (or, with --reverse, that depend on it) as a tree
    ListDependencies {
        #[arg(value_name = "UNIT")]
        units: Vec<String>,
    },
    /// Print the manager's environment block
    ShowEnvironment,
    /// Set variables of the manager's environment block
    SetEnvironment {
        #[arg(value_name = "VARIABLE=VALUE", required = true)]
        assignments: Vec<String>,
    },
    /// Copy variables of this environment into the manager's block
    ImportEnvironment {
        #[arg(value_name = "VARIABLE")]
        names: Vec<String>,
    },
    /// Remove variables from the manager's environment block
    UnsetEnvironment {
        #[arg(value_name = "VARIABLE", required = true)]
        names: Vec<String>,
    },
    /// Start a unit and stop every unit it does not pull in
    Isolate {
        #[arg(value_name = "UNIT")]
        unit: String,
    },
    /// Isolate default.target
    Default,
    /// Stop every unit and end the manager (halt)
    Halt,
    /// Stop every unit and end the manager (power-off)
    Poweroff,
    /// Stop every unit and end the manager (reboot)
    Reboot,
}

/// The options after systemctl's checks.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub scope: Scope,
    /// `--root=`, made absolute and simplified as systemctl does.
    pub root: Option<PathBuf>,
    pub types: Vec<UnitType>,
    /// `--state=` (and load states given to `--type=`), as typed.
    pub states: Vec<String>,
    pub preset_mode: PresetMode,
}

/// What option checking decided when it did not produce options: print
/// this (a `help` listing on stdout, or an error on stderr) and exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    Help(String),
    Error(String),
}

/// systemctl's `extract_first_word(…, ",", 0)` loop: empty words between
/// commas are skipped.
fn comma_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|w| !w.is_empty())
}

impl Opts {
    /// Check the option values the way systemctl's option parser does.
    pub fn resolve(&self) -> Result<Resolved, Stop> {
        let scope = if self.user {
            Scope::User
        } else if self.global {
            Scope::Global
        } else {
            Scope::System
        };
        let mut types = Vec::new();
        let mut states = Vec::new();
        for raw in &self.types {
            if raw.is_empty() {
                return Err(Stop::Error("--type= requires arguments.".into()));
            }
            for w in comma_words(raw) {
                if w == "help" {
                    return Err(Stop::Help(states::type_help(!self.no_legend)));
                }
                if let Some(t) = UnitType::from_word(w) {
                    types.push(t);
                } else if states::LOAD_STATES.contains(&w) {
                    // Old systemctl took load states in --type=; it still does.
                    states.push(w.to_string());
                } else {
                    return Err(Stop::Error(format!(
                        "Unknown unit type or load state '{w}'.\nUse -t help to see a list of allowed values."
                    )));
                }
            }
        }
        for raw in &self.state {
            if raw.is_empty() {
                return Err(Stop::Error("--state= requires arguments.".into()));
            }
            for w in comma_words(raw) {
                if w == "help" {
                    return Err(Stop::Help(states::state_help(!self.no_legend)));
                }
                states.push(w.to_string());
            }
        }
        let preset_mode = match self.preset_mode.as_deref() {
            None => PresetMode::Full,
            Some("help") => return Err(Stop::Help("full\nenable-only\ndisable-only\n".into())),
            Some(m) => PresetMode::parse(m)
                .ok_or_else(|| Stop::Error(format!("Failed to parse preset mode: {m}.")))?,
        };
        let root = self.root.as_deref().map(absolute_root);
        Ok(Resolved { scope, root, types, states, preset_mode })
    }
}

/// `--root=` as systemctl keeps it (`parse_path_argument()`): absolute
/// against the current directory, duplicate slashes, `.` components and
/// trailing slashes removed; symlinks and `..` are left alone.
fn absolute_root(p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map(|c| c.join(p)).unwrap_or_else(|_| p.to_path_buf())
    };
    let s = joined.to_string_lossy();
    let parts: Vec<&str> = s.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    PathBuf::from(format!("/{}", parts.join("/")))
}

/// Report a clap error as systemctl would (getopt_long()'s words) and
/// return the exit code. `args` is the command line, for the word as
/// typed: clap's error drops an option's `=value` and its short spelling.
pub fn parse_error(e: clap::Error, prog: &str, args: &[String]) -> u8 {
    let invalid = |kind: ContextKind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        Some(ContextValue::Strings(v)) => v.first().cloned(),
        _ => None,
    };
    let msg = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return 0;
        }
        ErrorKind::MissingRequiredArgument => Some("Too few arguments.".to_string()),
        // An option that takes a value came last (getopt would take the
        // next word otherwise).
        ErrorKind::InvalidValue if args.len() > 1 && args.last().is_some_and(|a| a.starts_with('-') && !a.contains('=')) => {
            let last = args.last().map(String::as_str).unwrap_or_default();
            Some(match last.strip_prefix("--") {
                Some(_) => format!("{prog}: option '{last}' requires an argument"),
                None => format!("{prog}: option requires an argument -- '{}'", last.chars().last().unwrap_or('-')),
            })
        }
        ErrorKind::InvalidSubcommand => {
            invalid(ContextKind::InvalidSubcommand).map(|v| format!("Unknown command verb {v}."))
        }
        ErrorKind::UnknownArgument => invalid(ContextKind::InvalidArg).map(|a| {
            if a.starts_with("--") {
                // getopt_long() names the whole word, value included
                // (`systemctl --kill-value=1` on 252, which lacks it:
                // "unrecognized option '--kill-value=1'").
                let typed = args.iter().skip(1).find(|w| w.split('=').next() == Some(a.as_str())).unwrap_or(&a);
                format!("{prog}: unrecognized option '{typed}'")
            } else if let Some(short) = a.strip_prefix('-') {
                let c = short.chars().next().unwrap_or('-');
                format!("{prog}: invalid option -- '{c}'")
            } else {
                // A word where the verb takes no more arguments.
                "Too many arguments.".to_string()
            }
        }),
        _ => None,
    };
    match msg {
        Some(m) => eprintln!("{m}"),
        None => {
            let _ = e.print();
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Ctl, clap::Error> {
        let mut v = vec!["systemctl"];
        v.extend_from_slice(args);
        Ctl::try_parse_from(v)
    }

    #[test]
    fn options_before_and_after_the_verb() {
        let a = parse(&["--root=/r", "-q", "enable", "x", "--runtime", "y", "-f"]).unwrap();
        assert!(a.opts.quiet && a.opts.runtime && a.opts.force);
        assert_eq!(a.opts.root.as_deref(), Some(Path::new("/r")));
        match a.verb {
            Some(Verb::Enable { units }) => assert_eq!(units, ["x", "y"]),
            v => panic!("{v:?}"),
        }
        let b = parse(&["enable", "--", "-.mount"]).unwrap();
        assert!(matches!(b.verb, Some(Verb::Enable { units }) if units == ["-.mount"]));
    }

    #[test]
    fn last_scope_wins_and_repeats_are_fine() {
        let a = parse(&["--user", "--system", "-q", "-q", "get-default"]).unwrap();
        assert_eq!(a.opts.resolve().unwrap().scope, Scope::System);
        let a = parse(&["--system", "--global", "get-default"]).unwrap();
        assert_eq!(a.opts.resolve().unwrap().scope, Scope::Global);
    }

    #[test]
    fn type_state_and_preset_mode_checks() {
        let r = parse(&["list-unit-files", "-t", "service,,socket", "--type=masked", "--state=bogus"])
            .unwrap()
            .opts
            .resolve()
            .unwrap();
        assert_eq!(r.types, [UnitType::Service, UnitType::Socket]);
        assert_eq!(r.states, ["masked", "bogus"]);
        let e = parse(&["-t", "foo", "list-unit-files"]).unwrap().opts.resolve().unwrap_err();
        assert_eq!(
            e,
            Stop::Error("Unknown unit type or load state 'foo'.\nUse -t help to see a list of allowed values.".into())
        );
        let e = parse(&["--type=", "list-unit-files"]).unwrap().opts.resolve().unwrap_err();
        assert_eq!(e, Stop::Error("--type= requires arguments.".into()));
        let e = parse(&["--preset-mode=bogus", "preset-all"]).unwrap().opts.resolve().unwrap_err();
        assert_eq!(e, Stop::Error("Failed to parse preset mode: bogus.".into()));
        let r = parse(&["--preset-mode=enable-only", "preset-all"]).unwrap().opts.resolve().unwrap();
        assert_eq!(r.preset_mode, PresetMode::EnableOnly);
    }

    #[test]
    fn root_is_made_absolute_and_simplified() {
        assert_eq!(absolute_root(Path::new("/a//b/./c/")), Path::new("/a/b/c"));
        assert_eq!(absolute_root(Path::new("/a/../b")), Path::new("/a/../b"));
        assert_eq!(absolute_root(Path::new("/")), Path::new("/"));
        assert!(absolute_root(Path::new("rel")).is_absolute());
    }

    #[test]
    fn argument_count_errors_have_systemctl_kinds() {
        assert_eq!(parse(&["enable"]).unwrap_err().kind(), ErrorKind::MissingRequiredArgument);
        assert_eq!(parse(&["get-default", "x"]).unwrap_err().kind(), ErrorKind::UnknownArgument);
        assert_eq!(parse(&["frobnicate"]).unwrap_err().kind(), ErrorKind::InvalidSubcommand);
    }
}
