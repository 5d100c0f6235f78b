//! What the execution context asks of the manager at the edges of a
//! service's life, outside any one command: one call from
//! `Manager::transition` for every state change.
//!
//! - **Starting** (from dead, failed or auto-restart into the first start
//!   state): every setting of the unit that vigil parses but does not apply
//!   is named in the journal, so that nothing is dropped silently —
//!   confinement settings (`PrivateTmp=`, `ProtectSystem=`…) as a warning
//!   that the service runs without them. (`Type=dbus` without a bus is
//!   said by `bus_watch.rs`.) The job that starts the cycle is noted
//!   (`Runs::started_by`): a oneshot that is dead again under that same
//!   job has finished it ("Finished X.", `messages.rs`).
//! - **Down** (dead, failed, or auto-restart): the runtime directories are
//!   removed unless `RuntimeDirectoryPreserve=` keeps them
//!   ([`exec_dirs::stopped`]), and the commands' records of this cycle
//!   are marked over (`exec_status.rs`).

use engine::service::{LogLevel, ServiceState};
use proto::msg::JobVerb;

use super::{exec_dirs, Manager};

impl Manager {
    /// Called on every transition of a service's state machine;
    /// `auto_restart` is set on the entry into dead/failed that an
    /// automatic restart follows.
    pub(super) fn exec_transition(&mut self, id: &str, from: ServiceState, to: ServiceState, auto_restart: bool) {
        let down = |s: ServiceState| matches!(s, ServiceState::Dead | ServiceState::Failed | ServiceState::AutoRestart);
        // Simple services go from dead straight to running.
        if down(from) && !down(to) {
            if let Some(u) = self.units.get_mut(id) {
                u.runs.started_by = u.job.and_then(|(j, _)| std::num::NonZeroU32::new(j));
            }
            self.say_unapplied(id);
        }
        if down(to) {
            if let Some(u) = self.units.get_mut(id) {
                u.runs.cycle_over();
            }
            let Some(u) = self.units.get(id) else { return };
            let restart_job =
                matches!(u.job, Some((_, JobVerb::Restart | JobVerb::TryRestart | JobVerb::ReloadOrRestart | JobVerb::TryReloadOrRestart)));
            // Leaving auto-restart for dead is the restart itself, unless
            // a stop job cut it short.
            let restart_itself = from == ServiceState::AutoRestart && !matches!(u.job, Some((_, JobVerb::Stop)));
            let restarting = auto_restart || to == ServiceState::AutoRestart || restart_job || restart_itself;
            exec_dirs::stopped(&u.cfg, &self.dir_bases, restarting);
            super::sandbox::stopped(&u.cfg, &u.invocation_id);
        }
    }

    fn say_unapplied(&self, id: &str) {
        let Some(u) = self.units.get(id) else { return };
        let mut security: Vec<String> = Vec::new();
        let mut other: Vec<String> = Vec::new();
        for (d, _) in &u.cfg.unsupported {
            let name = format!("{}=", d.name);
            let list = if d.security { &mut security } else { &mut other };
            if !list.contains(&name) {
                list.push(name);
            }
        }
        // Sandboxing vigil applies, but only with the privilege to make
        // namespaces (`sandbox.rs`).
        for name in super::sandbox::unapplied(&u.cfg) {
            let name = format!("{name}=");
            if !security.contains(&name) {
                security.push(name);
            }
        }
        if !security.is_empty() {
            let msg = format!("{} not applied by vigil: the service runs without this confinement.", security.join(", "));
            self.log(id, LogLevel::Warning, &msg);
        }
        if !other.is_empty() {
            self.log(id, LogLevel::Notice, &format!("{} not applied by vigil yet.", other.join(", ")));
        }
    }
}
