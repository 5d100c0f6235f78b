//! The SysV compatibility step `systemctl` runs before `enable`, `disable`
//! and `is-enabled` on Debian (`enable_sysv_units()` in
//! `systemctl-sysv-compat.c`).
//!
//! For every `NAME.service` argument (not a path), in the system scope,
//! systemctl first checks whether a native unit file exists — looking
//! along the search path *without* generator directories, following no
//! configuration aliases — and aborts the whole command if that lookup
//! fails for any reason other than the unit being a config link, masked or
//! generated ("Failed to look up unit file state: …"). Then, if
//! `/etc/init.d/NAME` exists in the root, the script is handed to
//! `systemd-sysv-install` (for `is-enabled` only when there is no native
//! unit). [`Installer::sysv_check`] does the lookups and says which
//! scripts to hand over; running the helper is the caller's business.

use std::path::PathBuf;

use super::errno::Errno;
use super::{Installer, Outcome, Run};
use crate::paths::Scope;

/// An init script `systemctl` would hand to `systemd-sysv-install`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysvScript {
    /// The unit name asked for (`foo.service`).
    pub unit: String,
    /// The script's name (`foo`), the argument of `systemd-sysv-install`.
    pub script: String,
    /// In-root path of the script.
    pub path: PathBuf,
    /// Whether a native unit file exists as well (then both are handled).
    pub native: bool,
}

impl Installer {
    /// The SysV step for `verb` (`enable`, `disable`, `is-enabled`; other
    /// verbs and scopes have none). An error aborts the command.
    pub fn sysv_check<S: AsRef<str>>(&self, verb: &str, names: &[S]) -> Outcome<Vec<SysvScript>> {
        let mut scripts = Vec::new();
        if self.scope != Scope::System || !matches!(verb, "enable" | "disable" | "is-enabled") {
            return Outcome { log: Vec::new(), changes: Vec::new(), result: Ok(scripts) };
        }
        // LOOKUP_PATHS_EXCLUDE_GENERATED: the same paths minus generators.
        let mut lp = self.lp.clone();
        let gens = [lp.generator.take(), lp.generator_early.take(), lp.generator_late.take()];
        lp.search.retain(|d| !gens.iter().flatten().any(|g| g == d));
        let mut without = self.clone();
        without.lp = lp;
        let mut run = Run { inst: &without, log: Vec::new(), changes: Vec::new() };
        let r = (|| {
            for n in names {
                let n = n.as_ref();
                let Some(script) = n.strip_suffix(".service") else { continue };
                if n.starts_with('/') {
                    continue;
                }
                let native = match run.unit_exists(n) {
                    Ok(found) => found,
                    Err(Errno::ELOOP | Errno::ERFKILL | Errno::EADDRNOTAVAIL) => true,
                    Err(e) => return Err(e),
                };
                if native && verb == "is-enabled" {
                    continue;
                }
                let path = PathBuf::from("/etc/init.d").join(script);
                // access(F_OK) on the host path: follows symlinks.
                if !run.root().host(&path).exists() {
                    continue;
                }
                scripts.push(SysvScript { unit: n.to_string(), script: script.to_string(), path, native });
            }
            Ok(())
        })();
        Outcome { log: run.log, changes: Vec::new(), result: r.map(|()| scripts) }
    }
}
