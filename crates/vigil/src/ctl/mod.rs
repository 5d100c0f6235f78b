//! The `systemctl` personality (`vigil <verb>`, `vigil ctl <verb>`).
//!
//! Options may stand before or after the verb, as with systemctl. Exit
//! codes follow `systemctl(1)`, "Exit status": 0 success, 1 generic
//! failure, 3 for `is-active`-style "not in that state", 4 no such unit.
//! Each verb lives in its own module once it grows beyond a few lines.

mod connect;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use proto::msg::ShutdownKind;
use proto::{Request, Response};

use crate::rundir::RunDir;

#[derive(Parser, Debug)]
#[command(name = "systemctl", about = "Query or send control commands to the vigil manager", disable_version_flag = true)]
pub struct Ctl {
    /// Operate on the units of an alternate root directory.
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Talk to the calling user's manager.
    #[arg(long, global = true, conflicts_with = "system")]
    user: bool,
    /// Talk to the system manager (default).
    #[arg(long, global = true)]
    system: bool,
    /// Fail instead of starting a manager when none is running.
    #[arg(long, global = true)]
    no_autostart: bool,
    /// Suppress informational output.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Print the version.
    #[arg(long)]
    version: bool,
    #[command(subcommand)]
    verb: Option<Verb>,
}

#[derive(Subcommand, Debug)]
enum Verb {
    /// Ask the manager to exit (with an exit code, for a container's PID 1).
    Exit {
        #[arg(value_name = "EXIT_CODE", default_value_t = 0)]
        code: u8,
    },
    /// Print the state of the manager: running, degraded, stopping…
    IsSystemRunning,
}

pub fn main(args: Vec<String>) -> u8 {
    let cli = match Ctl::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 1 } else { 0 };
        }
    };
    if cli.version {
        println!("vigil {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    let Some(verb) = cli.verb.as_ref() else {
        eprintln!("Too few arguments.");
        return 1;
    };
    match run(&cli, verb) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

fn run(cli: &Ctl, verb: &Verb) -> anyhow::Result<u8> {
    let rundir = RunDir::new(cli.root.as_deref(), cli.user)?;
    let mut client = connect::connect(&rundir, !cli.no_autostart)?;
    let req = match verb {
        Verb::Exit { code } => Request::Shutdown { kind: ShutdownKind::Exit, code: *code },
        Verb::IsSystemRunning => Request::IsSystemRunning,
    };
    match client.call(&req)? {
        Response::Ok => Ok(0),
        Response::SystemState { state } => {
            if !cli.quiet {
                println!("{state}");
            }
            // systemctl(1): is-system-running exits 0 only when "running".
            Ok(if state == "running" { 0 } else { 1 })
        }
        Response::Error { message, .. } => {
            eprintln!("{message}");
            Ok(1)
        }
        other => anyhow::bail!("unexpected reply from the manager: {other:?}"),
    }
}
