//! The SysV step of `enable`, `disable` and `is-enabled` on Debian
//! (systemctl's `enable_sysv_units()`): for a `NAME.service` with an
//! `/etc/init.d/NAME` script in the root, run
//! `/lib/systemd/systemd-sysv-install [--root=DIR] VERB NAME` and, when
//! no native unit file exists, drop the name from the list so the unit
//! file logic never sees it.
//!
//! `unit::install` decides which scripts qualify
//! ([`Installer::sysv_check`]) and what to print before running the
//! helper; running it is ours. Its exit status means "enabled" for
//! `is-enabled` (printed as `enabled`/`disabled`); for the other verbs a
//! failure ends the command with exit 1 and no message of our own (the
//! helper explained itself). A helper that cannot be executed fails like
//! systemd's forked child does: "Failed to execute …", status 1. Only the
//! system scope has this step, and `SYSTEMCTL_SKIP_SYSV=1` turns it off,
//! as in systemd.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use unit::install::output;
use unit::install::{Errno, Installer};
use unit::Scope;

use super::context::{emit, env_bool, err, err_line, flush_stdout, out, Context};

/// Run the helper; `Ok(success)`, or `Err` when it died of a signal
/// (systemd then fails the whole command).
fn run_helper(argv: &[String]) -> Result<bool, ()> {
    let Some((prog, rest)) = argv.split_first() else { return Ok(false) };
    flush_stdout();
    match Command::new(prog).args(rest).status() {
        Ok(st) => match st.signal() {
            Some(sig) => {
                let name = nix::sys::signal::Signal::try_from(sig)
                    .map(|s| s.as_str().trim_start_matches("SIG").to_string())
                    .unwrap_or_else(|_| sig.to_string());
                err_line(&format!("sysv-install terminated by signal {name}."));
                Err(())
            }
            None => Ok(st.success()),
        },
        Err(e) => {
            err_line(&format!("Failed to execute {prog}: {}", Errno::from(&e)));
            Ok(false)
        }
    }
}

/// The SysV step for `verb` on `names` (already mangled). Removes the
/// names handled entirely by init scripts. Returns whether any script
/// counted as enabled (for `is-enabled`), or the exit code to stop with.
pub fn step(cx: &Context, inst: &Installer, verb: &str, names: &mut Vec<String>) -> Result<bool, u8> {
    if cx.scope != Scope::System || env_bool("SYSTEMCTL_SKIP_SYSV") == Some(true) {
        return Ok(false);
    }
    let checked = inst.sysv_check(verb, names);
    let p = output::sysv_check(&checked);
    if p.exit_code != 0 {
        return Err(emit(&p));
    }
    err(&p.stderr);
    let Ok(scripts) = checked.result else { return Err(1) };
    // Only `quiet` matters to these messages: no glyphs, no locale.
    let style = cx.style(false);
    let shown_root = cx.root.as_ref().map(|r| r.display().to_string());
    let mut enabled = false;
    let mut removed: Vec<String> = Vec::new();
    for script in scripts {
        // A name given twice was removed after its first script run.
        if removed.contains(&script.unit) {
            continue;
        }
        let (p, argv) = output::sysv_redirect(&script, verb, shown_root.as_deref(), style);
        err(&p.stderr);
        let ok = run_helper(&argv).map_err(|()| 1u8)?;
        if verb == "is-enabled" {
            enabled |= ok;
            if !cx.quiet {
                out(if ok { "enabled\n" } else { "disabled\n" });
            }
        } else if !ok {
            return Err(1);
        }
        if !script.native {
            names.retain(|n| *n != script.unit);
            removed.push(script.unit);
        }
    }
    Ok(enabled)
}
