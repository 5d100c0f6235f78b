//! How the manager ends, and the unit settings that end it:
//! `SuccessAction=`, `FailureAction=`, `StartLimitAction=` and their
//! `*ActionExitStatus=` (`systemd.unit(5)`).
//!
//! An [`Ending`] is what the event loop carries out: stop every unit in
//! reverse order, then leave with a kind (halt, poweroff, reboot, exit) and
//! an exit status. Where it comes from:
//!
//! - `systemctl halt|poweroff|reboot|exit [N]` (the control protocol);
//! - signals (`systemd(1)`, "Signals": SIGTERM, SIGINT in a user manager,
//!   SIGRTMIN+3…+5, SIGRTMIN+13…+16);
//! - the emergency actions below, and reaching one of vigil's built-in
//!   `halt|poweroff|reboot|exit.target` (a root without systemd's units has
//!   no `systemd-reboot.service` to carry the `SuccessAction=` that
//!   systemd's own `reboot.target` relies on).
//!
//! The actions, as `systemd.unit(5)` defines them:
//!
//! | action | what happens |
//! |---|---|
//! | `none` | nothing |
//! | `reboot`, `poweroff`, `exit` | start `reboot.target` (…) with `replace-irreversibly`: the normal shutdown, through the units |
//! | `*-force` | the manager ends at once: every unit is stopped, no target's units run |
//! | `*-immediate` | as PID 1 of a machine: `reboot(2)` without stopping anything; elsewhere as `-force` (a manager beside another init must not leave its services running unsupervised) |
//!
//! `exit`/`exit-force` set the manager's exit status: the unit's
//! `*ActionExitStatus=` if set, otherwise the exit code of its main process
//! (when it exited rather than being killed). A user manager accepts only
//! `none`, `exit` and `exit-force`; anything else is said and ignored.
//! A system manager that is a real machine's PID 1 cannot "exit": as
//! systemd does, it powers off instead (`finish.rs`).
//!
//! When the actions fire (systemd's rule for a unit's state change): the
//! failure action when a unit enters `failed` from another state; the
//! success action when it enters `inactive` from a state that was neither
//! `inactive` nor `failed`. A service between automatic restarts is
//! `activating`, so neither fires until the restarts are over.

use engine::service::{EmergencyAction, ExitStatus as EngineExit, LogLevel, ServiceState};
use proto::msg::{JobMode, JobVerb, ShutdownKind};
use unit::directive::SectionKind as S;

use super::Manager;

/// How the manager ends; the event loop carries it out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ending {
    pub kind: ShutdownKind,
    /// The manager's exit status (`systemctl exit N`, `*ActionExitStatus=`).
    pub code: u8,
    /// `*-immediate`: nothing is stopped first (honoured only by a real
    /// PID 1, see the module text).
    pub immediate: bool,
}

impl Ending {
    pub fn new(kind: ShutdownKind, code: u8) -> Ending {
        Ending { kind, code, immediate: false }
    }
}

/// Which of the two unit actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Success,
    Failure,
}

impl Which {
    fn key(self) -> &'static str {
        match self {
            Which::Success => "SuccessAction",
            Which::Failure => "FailureAction",
        }
    }

    fn status_key(self) -> &'static str {
        match self {
            Which::Success => "SuccessActionExitStatus",
            Which::Failure => "FailureActionExitStatus",
        }
    }
}

/// The target a non-forced action starts, and the kind a forced one ends with.
fn target_of(a: EmergencyAction) -> Option<(&'static str, ShutdownKind)> {
    use EmergencyAction as E;
    Some(match a {
        E::None => return None,
        E::Reboot | E::RebootForce | E::RebootImmediate => ("reboot.target", ShutdownKind::Reboot),
        E::Poweroff | E::PoweroffForce | E::PoweroffImmediate => ("poweroff.target", ShutdownKind::Poweroff),
        E::Exit | E::ExitForce => ("exit.target", ShutdownKind::Exit),
    })
}

/// systemd's words for each action, logged with the reason
/// ("Rebooting: unit foo.service failed").
fn wording(a: EmergencyAction) -> &'static str {
    use EmergencyAction as E;
    match a {
        E::None => "",
        E::Reboot => "Rebooting",
        E::RebootForce => "Forcibly rebooting",
        E::RebootImmediate => "Rebooting immediately",
        E::Poweroff => "Powering off",
        E::PoweroffForce => "Forcibly powering off",
        E::PoweroffImmediate => "Powering off immediately",
        E::Exit => "Exiting",
        E::ExitForce => "Forcibly exiting",
    }
}

/// The built-in targets whose arrival ends the manager (`unit::config::builtin`).
pub(super) fn builtin_ending(fragment: Option<&std::path::Path>, id: &str) -> Option<ShutdownKind> {
    if fragment != Some(std::path::Path::new("/builtin").join(id).as_path()) {
        return None;
    }
    Some(match id {
        "halt.target" => ShutdownKind::Halt,
        "poweroff.target" => ShutdownKind::Poweroff,
        "reboot.target" | "ctrl-alt-del.target" => ShutdownKind::Reboot,
        "exit.target" => ShutdownKind::Exit,
        _ => return None,
    })
}

impl Manager {
    /// A system manager (not `--user`): SIGINT means Ctrl-Alt-Del.
    pub fn is_system(&self) -> bool {
        self.loader.lookup.scope != unit::Scope::User
    }

    /// Ask the event loop to end the manager (the first request wins, as
    /// a second `systemctl poweroff` during a shutdown changes nothing).
    pub fn request_ending(&mut self, ending: Ending) {
        self.ending.get_or_insert(ending);
    }

    /// A service changed state: `SuccessAction=`/`FailureAction=`.
    pub(super) fn unit_actions(&mut self, id: &str, from: ServiceState, to: ServiceState, auto_restart: bool) {
        if auto_restart || from == to {
            return;
        }
        let which = match to {
            ServiceState::Failed => Which::Failure,
            ServiceState::Dead if from != ServiceState::Failed => Which::Success,
            _ => return,
        };
        let Some(u) = self.units.get(id) else { return };
        let action = match u.cfg.string(S::Unit, which.key()).map(str::parse::<EmergencyAction>) {
            None | Some(Ok(EmergencyAction::None)) => return,
            Some(Ok(a)) => a,
            // The loader said so already (file:line); nothing to carry out.
            Some(Err(_)) => return,
        };
        let status = match u.cfg.string(S::Unit, which.status_key()).filter(|s| !s.is_empty()) {
            Some(s) => match s.parse::<u8>() {
                Ok(n) => Some(n),
                Err(_) => {
                    let msg = format!("{}={s} is not an exit status (0…255), using the main process's.", which.status_key());
                    self.log(id, LogLevel::Warning, &msg);
                    main_status(u)
                }
            },
            None => main_status(u),
        };
        let verb = if which == Which::Failure { "failed" } else { "succeeded" };
        self.emergency_action(id, action, status, which == Which::Failure, &format!("unit {id} {verb}"));
    }

    /// Carry out one emergency action for `id`; `warn` for the failure
    /// kinds (systemd logs a success action at debug level only).
    pub(super) fn emergency_action(&mut self, id: &str, action: EmergencyAction, status: Option<u8>, warn: bool, reason: &str) {
        let Some((target, kind)) = target_of(action) else { return };
        use EmergencyAction as E;
        if self.loader.lookup.scope == unit::Scope::User && kind != ShutdownKind::Exit {
            self.log(id, LogLevel::Warning, &format!("{action} is not supported by user service managers, ignoring."));
            return;
        }
        let level = if warn { LogLevel::Warning } else { LogLevel::Debug };
        self.log(id, level, &format!("{}: {reason}", wording(action)));
        if kind == ShutdownKind::Exit {
            if let Some(s) = status {
                self.return_value = s;
            }
        }
        let code = self.return_value;
        match action {
            E::None => {}
            E::Reboot | E::Poweroff | E::Exit => {
                // The normal shutdown, through the target's units.
                if let Err((_, e)) = self.job_mode(target, JobVerb::Start, JobMode::ReplaceIrreversibly) {
                    self.log(id, LogLevel::Warning, &format!("Failed to start {target}: {e}; ending the manager directly."));
                    self.request_ending(Ending::new(kind, code));
                }
            }
            E::RebootForce | E::PoweroffForce | E::ExitForce => self.request_ending(Ending::new(kind, code)),
            E::RebootImmediate | E::PoweroffImmediate => {
                self.request_ending(Ending { kind, code, immediate: true });
            }
        }
    }

    /// A start job of a target completed: vigil's built-in
    /// `halt|poweroff|reboot|exit.target` end the manager (see the module
    /// text); systemd's own unit files do it through their services.
    pub(super) fn target_reached(&mut self, id: &str) {
        let Some(u) = self.units.get(id) else { return };
        if let Some(kind) = builtin_ending(u.cfg.fragment.as_deref(), id) {
            let code = self.return_value;
            self.request_ending(Ending::new(kind, code));
        }
    }
}

/// The main process's exit code, when it exited (not when it was killed).
fn main_status(u: &super::Unit) -> Option<u8> {
    match u.svc.as_ref()?.main_exit()? {
        EngineExit::Exited(c) => Some(c),
        EngineExit::Killed { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_maps_to_its_target_and_kind() {
        use EmergencyAction as E;
        assert_eq!(target_of(E::None), None);
        assert_eq!(target_of(E::Reboot), Some(("reboot.target", ShutdownKind::Reboot)));
        assert_eq!(target_of(E::PoweroffImmediate), Some(("poweroff.target", ShutdownKind::Poweroff)));
        assert_eq!(target_of(E::ExitForce), Some(("exit.target", ShutdownKind::Exit)));
        assert_eq!(wording(E::RebootForce), "Forcibly rebooting");
    }

    #[test]
    fn only_builtin_targets_end_the_manager_by_being_reached() {
        let builtin = std::path::Path::new("/builtin/reboot.target");
        assert_eq!(builtin_ending(Some(builtin), "reboot.target"), Some(ShutdownKind::Reboot));
        // systemd's reboot.target ends the manager through
        // systemd-reboot.service's SuccessAction=, not by being reached.
        let shipped = std::path::Path::new("/lib/systemd/system/reboot.target");
        assert_eq!(builtin_ending(Some(shipped), "reboot.target"), None);
        assert_eq!(builtin_ending(Some(std::path::Path::new("/builtin/multi-user.target")), "multi-user.target"), None);
    }
}
