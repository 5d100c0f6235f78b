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
//!   socket ([`runtime`], [`connect`]): `exit`, `is-system-running`.
//!
//! Options may stand before or after the verb ([`cli`]). Exit codes follow
//! `systemctl(1)`, "Exit status": 0 success, 1 failure (and "not
//! enabled" for `is-enabled`, "not running" for `is-system-running`).
//! `--now` is not offered yet: it needs the runtime verbs `start`/`stop`.
//!
//! Start-up cost matters (`systemctl is-enabled` runs in loops): each verb
//! does only its own work — `is-enabled` looks up its names along the
//! search path, only `cat` scans all unit directories, and only verbs that
//! print arrows ask for the locale.

mod cat;
mod cli;
mod connect;
mod context;
mod install;
mod query;
mod runtime;
mod states;
mod sysv;

use std::path::Path;

use proto::msg::JobVerb;

use clap::Parser;
use unit::install::Dependency;

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
    let cli = match Ctl::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => return cli::parse_error(e, &prog),
    };
    if cli.opts.version {
        println!("vigil {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let resolved = match cli.opts.resolve() {
        Ok(r) => r,
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
    let cx = Context::new(&cli.opts, resolved);
    match verb {
        Verb::ListUnitFiles { patterns } => query::list_unit_files(&cx, &patterns),
        Verb::IsEnabled { units } => query::is_enabled(&cx, &units),
        Verb::Enable { units } => {
            let code = install::run(&cx, Op::Enable, &units);
            now_too(&cli.opts, code, JobVerb::Start, units)
        }
        Verb::Disable { units } => {
            let code = install::run(&cx, Op::Disable, &units);
            now_too(&cli.opts, code, JobVerb::Stop, units)
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
        Verb::Show { units } if cli.opts.offline => show_offline(&cli.opts, &units),
        other => {
            let t = runtime::Target {
                root: cli.opts.root.as_deref(),
                user: cli.opts.user,
                autostart: !cli.opts.no_autostart,
                quiet: cli.opts.quiet,
            };
            let job = |verb, units| runtime::Call::Job { verb, units, no_block: cli.opts.no_block };
            let call = match other {
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
                Verb::IsActive { units } => runtime::Call::IsActive(units),
                Verb::IsFailed { units } => runtime::Call::IsFailed(units),
                Verb::Show { units } => runtime::Call::Show {
                    units,
                    properties: cli.opts.property.clone(),
                    value: cli.opts.value,
                    all: cli.opts.all,
                },
                Verb::Status { units } => runtime::Call::Status(units),
                Verb::ListUnits { .. } => {
                    let mut states = cli.opts.state.iter().flat_map(|s| s.split(',')).map(str::to_string).collect::<Vec<_>>();
                    if cli.opts.failed {
                        states.push("failed".into());
                    }
                    runtime::Call::ListUnits { all: cli.opts.all, states, legend: !cli.opts.no_legend }
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
    runtime::run(&t, runtime::Call::Job { verb, units, no_block: opts.no_block })
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
