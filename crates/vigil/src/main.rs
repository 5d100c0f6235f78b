//! vigil: one binary, many personalities.
//!
//! The name the binary is started under picks what it is (DESIGN.md, "Fixed
//! interface"): `systemctl`, `journalctl`, `service`, `systemd-analyze`,
//! `vigild`, `systemd-journald`, `halt`/`poweroff`/`reboot`/`shutdown`. Started as `vigil`, the
//! first word that is not an option picks the personality (`vigil analyze
//! …`, `vigil verify …`), and any other word is a `systemctl` verb, so
//! `vigil --root=DIR list-unit-files` works like
//! `systemctl --root=DIR list-unit-files`.
//!
//! Each personality module returns an exit code; errors are printed by the
//! personality itself in the shape the real tool prints them, because
//! scripts parse those messages.

mod analyze;
mod ctl;
mod daemon;
mod journalctl;
mod journald;
mod personality;
mod rundir;
mod self_install;
mod service;
mod startup;

use std::process::ExitCode;

use personality::Personality;

/// Parse a personality's arguments with clap; on `--help`/`--version` or
/// an error, print what clap says and give the exit code (0 or 2).
pub(crate) fn parse_args<T: clap::Parser>(args: &[String]) -> Result<T, u8> {
    T::try_parse_from(args).map_err(|e| {
        let _ = e.print();
        if e.use_stderr() {
            2
        } else {
            0
        }
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (personality, rest) = personality::pick(&args);
    if !matches!(personality, Personality::Daemon | Personality::Init | Personality::Journald) {
        // A CLI whose reader went away (`systemctl status | head`) ends
        // quietly, as C tools do, instead of panicking on EPIPE.
        // SAFETY: signal(2) with a valid signal number and SIG_DFL.
        unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    }
    let code = match personality {
        Personality::Analyze => analyze::main(rest),
        Personality::Ctl => ctl::main(rest),
        Personality::Daemon => daemon::main(rest),
        Personality::Init => daemon::init_main(rest),
        Personality::Service => service::main(rest),
        Personality::Journald => journald::main(rest),
        Personality::Journalctl => journalctl::main(rest),
        Personality::Install => self_install::main(rest),
        Personality::Runlevel => personality::runlevel(rest),
        Personality::Vigil => personality::vigil_help(rest),
    };
    ExitCode::from(code)
}
