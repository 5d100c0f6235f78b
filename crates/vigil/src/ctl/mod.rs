//! The `systemctl` personality (`systemctl …`, `vigil ctl …`, `vigil VERB …`).
//!
//! Two kinds of verbs live here:
//!
//! - **Unit file verbs**, done offline on the unit files of `/` or
//!   `--root=DIR`, for the system, `--user` or `--global` scope, exactly
//!   as `systemctl --root=DIR` (systemd 252) does them, with its output and
//!   exit codes: `enable`, `disable`, `reenable`, `link`, `preset`,
//!   `preset-all`, `mask`, `unmask`, `revert`, `add-wants`,
//!   `add-requires`, `set-default`, `get-default`, `is-enabled`,
//!   `list-unit-files` ([`install`], [`query`], on `unit::install`), and
//!   `cat` ([`cat`], on `unit::load`, which also works under a root).
//! - **Runtime verbs**, which ask the manager of the root over its control
//!   socket ([`runtime`], [`manage`], [`deps`], [`connect`]): jobs
//!   (`start` … `isolate`, `default`, with `--job-mode=`), `kill`,
//!   `reset-failed`, `is-active`, `is-failed`, `show`, `status`,
//!   `list-units`, `list-jobs`, `list-sockets`, `list-dependencies`, the
//!   environment verbs, `daemon-reload`, `is-system-running`, `halt`,
//!   `poweroff`, `reboot`, `exit`, and `enable --now`/`disable --now`.
//!
//! Options may stand before or after the verb ([`cli`]). Exit codes follow
//! `systemctl(1)`, "Exit status": 0 success, 1 failure (and "not
//! enabled" for `is-enabled`, "not running" for `is-system-running`); job
//! errors use the LSB codes systemctl maps bus errors to (4 access denied,
//! 5 no such unit, 3 not applicable). Tables, JSON, colors and the pager:
//! [`table`], [`term`]; the pager runs for the verbs systemctl pages, only
//! on a terminal.
//!
//! Start-up cost matters (`systemctl is-enabled` runs in loops): each verb
//! does only its own work — `is-enabled` looks up its names along the
//! search path, only `cat` scans all unit directories, and only verbs that
//! print arrows ask for the locale. The queries monitors run in loops
//! (`is-active`, `is-failed`, `show`, `status`) skip clap altogether when
//! their command line is a plain one ([`fast`]): building clap's tree for
//! this grammar costs more than the round trip to the manager.

mod cat;
mod cli;
mod connect;
mod context;
mod deps;
mod edit;
mod fast;
mod install;
mod manage;
mod query;
mod runtime;
mod states;
mod status_lines;
mod sysv;
mod table;
mod term;
mod timers;

use std::path::Path;

use proto::msg::{DepDirection, JobMode, JobVerb, KillWhom, ShutdownKind};
use proto::Request;

use clap::Parser;
use unit::install::Dependency;

pub(crate) use runtime::{boot_data, get, BootData, Target};
pub(crate) use status_lines::relative;
pub(crate) use term::{colors_enabled, Glyphs};

use cli::{Ctl, Stop, Verb};
use context::Context;
use install::Op;

pub fn main(args: Vec<String>) -> u8 {
    let prog = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .and_then(|s| s.to_str())
        .unwrap_or("systemctl")
        .to_string();
    // `is-active`, `show -p`, `status`: without building clap's tree.
    if let Some(code) = fast::try_run(&args) {
        return code;
    }
    let cli = match Ctl::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => return cli::parse_error(e, &prog, &args),
    };
    if cli.opts.version {
        println!("vigil {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let (resolved, extra) = match cli.opts.resolve().and_then(|r| Ok((r, Extra::parse(&cli.opts)?))) {
        Ok(x) => x,
        Err(Stop::Help(text)) => {
            context::out(&text);
            return 0;
        }
        Err(Stop::Error(msg)) => {
            context::err_line(&msg);
            return 1;
        }
    };
    // systemctl(1): with no command, list-units.
    let verb = cli.verb.unwrap_or(Verb::ListUnits { patterns: Vec::new() });
    let pager = if pages(&verb) { term::Pager::open(cli.opts.no_pager) } else { term::Pager::none() };
    let code = dispatch(&cli.opts, resolved, extra, verb);
    pager.close();
    code
}

/// Verbs whose output systemctl pipes through the pager.
fn pages(v: &Verb) -> bool {
    matches!(
        v,
        Verb::ListUnits { .. }
            | Verb::ListUnitFiles { .. }
            | Verb::ListDependencies { .. }
            | Verb::ListJobs { .. }
            | Verb::ListSockets { .. }
            | Verb::ListTimers { .. }
            | Verb::ShowEnvironment
            | Verb::Status { .. }
            | Verb::Show { .. }
            | Verb::Cat { .. }
    )
}

/// The options systemctl checks as it reads them, beyond [`cli::Resolved`].
struct Extra {
    signal: i32,
    /// `--kill-whom=`, or the manager's refusal of an unknown word.
    whom: Result<KillWhom, String>,
    mode: JobMode,
    /// `-o json` → `Some(false)`, `-o json-pretty` → `Some(true)`.
    json: Option<bool>,
}

/// `--job-mode=` values, in systemd's order.
const JOB_MODES: &[(&str, JobMode)] = &[
    ("fail", JobMode::Fail),
    ("replace", JobMode::Replace),
    ("replace-irreversibly", JobMode::ReplaceIrreversibly),
    ("isolate", JobMode::Isolate),
    ("flush", JobMode::Flush),
    ("ignore-dependencies", JobMode::IgnoreDependencies),
    ("ignore-requirements", JobMode::IgnoreRequirements),
    ("triggering", JobMode::Triggering),
];

/// `-o` values: systemd's journal output modes.
const OUTPUT_MODES: &[&str] = &[
    "short", "short-full", "short-iso", "short-iso-precise", "short-precise", "short-monotonic", "short-delta",
    "short-unix", "verbose", "export", "json", "json-pretty", "json-sse", "json-seq", "cat", "with-unit",
];

impl Extra {
    fn parse(o: &cli::Opts) -> Result<Extra, Stop> {
        let signal = match o.signal.as_deref() {
            None => libc::SIGTERM,
            Some("help") => {
                let names: String = (1..=libc::SIGRTMAX()).map(|n| unit::value::signal::signal_to_string(n) + "\n").collect();
                return Err(Stop::Help(names));
            }
            Some(s) => unit::value::signal::signal_from_string(s)
                .map_err(|_| Stop::Error(format!("Failed to parse signal string {s}.")))?,
        };
        let whom = match o.kill_whom.as_deref() {
            None | Some("all") => Ok(KillWhom::All),
            Some("main") => Ok(KillWhom::Main),
            Some("control") => Ok(KillWhom::Control),
            Some("help") => return Err(Stop::Help("main\ncontrol\nall\n".into())),
            // systemctl passes the word on; the manager refuses it per unit.
            Some(w) => Err(format!("Invalid who argument {w}")),
        };
        let mode = if let Some(m) = o.job_mode.as_deref() {
            if m == "help" {
                return Err(Stop::Help(JOB_MODES.iter().map(|(n, _)| format!("{n}\n")).collect()));
            }
            JOB_MODES.iter().find(|(n, _)| *n == m).map(|(_, v)| *v).ok_or_else(|| Stop::Error(format!("Job mode {m} invalid.")))?
        } else if o.fail {
            JobMode::Fail
        } else if o.irreversible {
            JobMode::ReplaceIrreversibly
        } else if o.ignore_dependencies {
            JobMode::IgnoreDependencies
        } else {
            JobMode::Replace
        };
        let json = match o.output.as_deref() {
            None => None,
            Some("help") => return Err(Stop::Help(OUTPUT_MODES.iter().map(|m| format!("{m}\n")).collect())),
            Some(m) if !OUTPUT_MODES.contains(&m) => return Err(Stop::Error(format!("Unknown output '{m}'."))),
            Some("json-pretty") => Some(true),
            Some(m) if m.starts_with("json") => Some(false),
            Some(_) => None,
        };
        Ok(Extra { signal, whom, mode, json })
    }
}

fn dispatch(opts: &cli::Opts, resolved: cli::Resolved, extra: Extra, verb: Verb) -> u8 {
    let types: Vec<String> = resolved.types.iter().map(|t| t.as_str().to_string()).collect();
    let cx = Context::new(opts, resolved);
    match verb {
        Verb::ListUnitFiles { patterns } => query::list_unit_files(&cx, &patterns),
        Verb::IsEnabled { units } => query::is_enabled(&cx, &units),
        Verb::Enable { units } => {
            let code = install::run(&cx, Op::Enable, &units);
            now_too(opts, code, JobVerb::Start, units)
        }
        Verb::Disable { units } => {
            let code = install::run(&cx, Op::Disable, &units);
            now_too(opts, code, JobVerb::Stop, units)
        }
        Verb::Reenable { units } => install::run(&cx, Op::Reenable, &units),
        Verb::Preset { units } => install::run(&cx, Op::Preset, &units),
        Verb::Mask { units } => install::run(&cx, Op::Mask, &units),
        Verb::Unmask { units } => install::run(&cx, Op::Unmask, &units),
        Verb::Link { paths } => install::run(&cx, Op::Link, &paths),
        Verb::Revert { units } => install::run(&cx, Op::Revert, &units),
        Verb::PresetAll => install::preset_all(&cx),
        Verb::AddWants { target, units } => install::add_dependency(&cx, Dependency::Wants, &target, &units),
        Verb::AddRequires { target, units } => {
            install::add_dependency(&cx, Dependency::Requires, &target, &units)
        }
        Verb::GetDefault => install::get_default(&cx),
        Verb::SetDefault { target } => install::set_default(&cx, &target),
        Verb::Cat { units } => cat::cat(&cx, &units),
        Verb::Edit { units } => {
            let (code, changed) = edit::edit(&cx, &units, opts.user);
            // A running manager reloads its units, as systemctl asks for;
            // none is started for it.
            let t = runtime::Target { root: opts.root.as_deref(), user: opts.user, autostart: false, quiet: true };
            if changed && runtime::client(&t).is_ok() {
                return runtime::run(&t, runtime::Call::DaemonReload).max(code);
            }
            code
        }
        Verb::Show { units } if opts.offline => show_offline(opts, &units),
        other => {
            let t = runtime::Target {
                root: opts.root.as_deref(),
                user: opts.user,
                autostart: !opts.no_autostart,
                quiet: opts.quiet,
            };
            let listing = manage::Listing {
                legend: !opts.no_legend && !opts.quiet,
                json: extra.json,
                all: opts.all,
            };
            let job = |verb, units| runtime::Call::Job { verb, units, no_block: opts.no_block, mode: extra.mode };
            let call = match other {
                Verb::Kill { units } => return manage::kill(&t, &units, extra.whom.clone(), extra.signal),
                Verb::ResetFailed { units } => return manage::reset_failed(&t, &units),
                Verb::ListJobs { patterns } => return manage::list_jobs(&t, &patterns, &listing),
                Verb::Cancel { jobs } => return manage::cancel(&t, &jobs),
                Verb::Help { units } => return manage::help(&t, &units),
                Verb::ListSockets { patterns } => return manage::list_sockets(&t, &patterns, opts.show_types, &listing),
                Verb::ListTimers { patterns } => return manage::run(&t, |c| timers::list_timers(c, &patterns, &listing)),
                Verb::ShowEnvironment => return manage::show_environment(&t, extra.json),
                Verb::SetEnvironment { assignments } => {
                    return manage::change_environment(&t, Request::SetEnvironment { assignments })
                }
                Verb::UnsetEnvironment { names } => return manage::change_environment(&t, Request::UnsetEnvironment { names }),
                Verb::ImportEnvironment { names } => match manage::imported(&names) {
                    Ok(assignments) => return manage::change_environment(&t, Request::SetEnvironment { assignments }),
                    Err(code) => return code,
                },
                Verb::Halt => return manage::shutdown(&t, ShutdownKind::Halt),
                Verb::Poweroff => return manage::shutdown(&t, ShutdownKind::Poweroff),
                Verb::Reboot => return manage::shutdown(&t, ShutdownKind::Reboot),
                Verb::ListDependencies { units } => {
                    let direction = if opts.reverse {
                        DepDirection::Reverse
                    } else if opts.after {
                        DepDirection::After
                    } else if opts.before {
                        DepDirection::Before
                    } else {
                        DepDirection::Forward
                    };
                    let filtered = !types.is_empty() || !cx.states.is_empty();
                    let o = deps::Opts {
                        direction,
                        all: opts.all,
                        plain: opts.plain || filtered,
                        full: opts.full,
                        types: types.clone(),
                        states: cx.states.clone(),
                    };
                    return deps::list_dependencies(&t, &units, &o);
                }
                Verb::Exit { code } => runtime::Call::Exit(code),
                Verb::IsSystemRunning => runtime::Call::IsSystemRunning,
                Verb::DaemonReload => runtime::Call::DaemonReload,
                Verb::Start { units } => job(JobVerb::Start, units),
                Verb::Stop { units } => job(JobVerb::Stop, units),
                Verb::Restart { units } => job(JobVerb::Restart, units),
                Verb::TryRestart { units } => job(JobVerb::TryRestart, units),
                Verb::Reload { units } => job(JobVerb::Reload, units),
                Verb::ReloadOrRestart { units } => job(JobVerb::ReloadOrRestart, units),
                Verb::TryReloadOrRestart { units } => job(JobVerb::TryReloadOrRestart, units),
                // systemctl(1): isolate = start with --job-mode=isolate;
                // default = isolate default.target.
                Verb::Isolate { .. } | Verb::Default => {
                    let unit = match other {
                        Verb::Isolate { unit } => unit,
                        _ => "default.target".into(),
                    };
                    runtime::Call::Job { verb: JobVerb::Isolate, units: vec![unit], no_block: opts.no_block, mode: JobMode::Isolate }
                }
                Verb::IsActive { units } => runtime::Call::IsActive(units),
                Verb::IsFailed { units } => runtime::Call::IsFailed(units),
                Verb::Show { units } => runtime::Call::Show {
                    units,
                    properties: opts.property.clone(),
                    value: opts.value,
                    all: opts.all,
                },
                Verb::Status { units } => runtime::Call::Status { units, lines: opts.lines },
                Verb::ListUnits { patterns } => {
                    let mut states = cx.states.clone();
                    if opts.failed {
                        states.push("failed".into());
                    }
                    runtime::Call::ListUnits(runtime::ListUnits {
                        patterns,
                        types,
                        all: opts.all,
                        states,
                        legend: listing.legend,
                        plain: opts.plain,
                        json: extra.json,
                    })
                }
                _ => unreachable!("offline verbs are handled above"),
            };
            runtime::run(&t, call)
        }
    }
}

/// `enable --now` / `disable --now`: after the unit files changed, start or
/// stop the units through the manager (systemctl(1), "--now").
fn now_too(opts: &cli::Opts, code: u8, verb: JobVerb, units: Vec<String>) -> u8 {
    if code != 0 || !opts.now {
        return code;
    }
    let t = runtime::Target { root: opts.root.as_deref(), user: opts.user, autostart: !opts.no_autostart, quiet: opts.quiet };
    runtime::run(&t, runtime::Call::Job { verb, units, no_block: opts.no_block, mode: JobMode::Replace })
}

/// `show --offline`: the unit as the files define it, without a manager.
fn show_offline(opts: &cli::Opts, units: &[String]) -> u8 {
    let root = opts.root.clone().unwrap_or_else(|| std::path::PathBuf::from("/"));
    let scope = if opts.user { unit::Scope::User } else { unit::Scope::System };
    let lookup = match scope {
        unit::Scope::User => unit::LookupPaths::user(&root, &unit::paths::UserEnv::from_env()),
        _ => unit::LookupPaths::system(&root),
    };
    let (uid, gid) = (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw());
    let loader = unit::config::Loader::new(lookup, unit::specifier::Host::detect(&root, scope, uid, gid));
    let mut code = 0;
    for (i, name) in units.iter().enumerate() {
        let Some(mangled) = unit::name::mangle(name) else {
            eprintln!("Invalid unit name \"{name}\"");
            code = 1;
            continue;
        };
        let Ok(un) = unit::UnitName::parse(&mangled) else {
            eprintln!("Invalid unit name \"{name}\"");
            code = 1;
            continue;
        };
        let cfg = loader.load(&un);
        if i > 0 && !opts.value {
            println!();
        }
        for (k, v) in unit::config::show::properties(&cfg, scope) {
            if !opts.property.is_empty() && !opts.property.contains(&k) {
                continue;
            }
            if opts.value {
                println!("{v}");
            } else {
                println!("{k}={v}");
            }
        }
    }
    code
}
