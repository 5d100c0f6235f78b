//! The verbs that talk to a running manager over its control socket
//! (starting one for the root unless `--no-autostart`): `exit` and
//! `is-system-running`.

use anyhow::Result;
use proto::msg::ShutdownKind;
use proto::{Request, Response};

use super::connect;
use crate::rundir::RunDir;

/// A request for the manager.
pub enum Call {
    Exit(u8),
    IsSystemRunning,
}

pub fn run(root: Option<&std::path::Path>, user: bool, autostart: bool, quiet: bool, call: Call) -> u8 {
    match call_manager(root, user, autostart, quiet, call) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e:#}");
            1
        }
    }
}

fn call_manager(root: Option<&std::path::Path>, user: bool, autostart: bool, quiet: bool, call: Call) -> Result<u8> {
    let rundir = RunDir::new(root, user)?;
    let mut client = connect::connect(&rundir, autostart)?;
    let req = match call {
        Call::Exit(code) => Request::Shutdown { kind: ShutdownKind::Exit, code },
        Call::IsSystemRunning => Request::IsSystemRunning,
    };
    match client.call(&req)? {
        Response::Ok => Ok(0),
        Response::SystemState { state } => {
            if !quiet {
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
