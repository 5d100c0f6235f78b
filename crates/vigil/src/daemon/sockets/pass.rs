//! Handing sockets to a service's process, as systemd 252's
//! `service_spawn()` and `exec_spawn()` do:
//!
//! - a service instance of an `Accept=yes` socket gets its connection
//!   (named `connection`); any other service gets the open ports of every
//!   socket unit that triggers it, in order, each named by that unit's
//!   `FileDescriptorName=`;
//! - only the main command (`ExecStart=`) gets them as `LISTEN_FDS`
//!   (systemd's `EXEC_PASS_FDS`); `NonBlocking=` sets `O_NONBLOCK` on them,
//!   otherwise it is cleared;
//! - `StandardInput=socket`, `StandardOutput=socket` or
//!   `StandardError=socket` instead put the socket on those streams for
//!   every command, and then *no* `LISTEN_FDS` are passed. There must be
//!   exactly one socket ("Got more than one socket." / "Got no socket."
//!   otherwise, and the command fails to start). With standard input on
//!   the socket, an output left unset (or `inherit`) goes to the socket
//!   too (`service_fix_stdio()` keeps `inherit`, which copies stdin);
//! - `REMOTE_ADDR` and `REMOTE_PORT` name an instance's peer.
//!
//! Main type: [`Activation`].

use exec::{ExecPlan, ListenFd, Stdio};
use unit::config::UnitConfig;
use unit::directive::SectionKind as S;
use unit::value::{StdInput, StdOutput, Value};

/// What socket activation gives one command of a service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Activation {
    /// The sockets, in order (borrowed: the manager keeps them open).
    pub fds: Vec<ListenFd>,
    /// Pass `fds` as `LISTEN_FDS` (the main command only).
    pub pass_fds: bool,
    /// `REMOTE_ADDR`, `REMOTE_PORT`.
    pub env: Vec<(String, String)>,
}

/// Put the sockets of `act` into `plan` for a command of service `cfg`.
/// `Err` carries systemd's message; the command then fails to start.
pub fn apply(plan: &mut ExecPlan, cfg: &UnitConfig, act: &Activation) -> Result<(), String> {
    let input = matches!(cfg.value(S::Service, "StandardInput"), Some(Value::Input(StdInput::Socket)));
    let output = cfg.value(S::Service, "StandardOutput");
    let error = cfg.value(S::Service, "StandardError");
    let out_socket = matches!(output, Some(Value::Output(StdOutput::Socket)));
    let err_socket = matches!(error, Some(Value::Output(StdOutput::Socket)));
    if input || out_socket || err_socket {
        let fd = match act.fds.as_slice() {
            [one] => one.fd,
            [] => return Err("Got no socket.".into()),
            _ => return Err("Got more than one socket.".into()),
        };
        let inherits = |v: Option<&Value>| matches!(v, None | Some(Value::Output(StdOutput::Inherit)));
        if input {
            plan.stdin = Stdio::Socket(fd);
        }
        let stdout_socket = out_socket || (input && inherits(output));
        if stdout_socket {
            plan.stdout = Stdio::Socket(fd);
        }
        if err_socket || (stdout_socket && inherits(error)) {
            plan.stderr = Stdio::Socket(fd);
        }
        return Ok(());
    }
    if act.pass_fds {
        plan.listen_fds = act.fds.clone();
        plan.non_blocking = cfg.bool_or(S::Service, "NonBlocking", false);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> UnitConfig {
        let dir = std::env::temp_dir().join(format!("vigil-pass-{}-{}", std::process::id(), text.len()));
        let units = dir.join("etc/systemd/system");
        std::fs::create_dir_all(&units).unwrap();
        std::fs::write(units.join("x.service"), format!("[Service]\nExecStart=/bin/true\n{text}")).unwrap();
        let lookup = unit::LookupPaths::system(&dir);
        let host = unit::specifier::Host::detect(&dir, unit::Scope::System, 0, 0);
        let loader = unit::config::Loader::new(lookup, host);
        let c = loader.load(&unit::UnitName::parse("x.service").unwrap());
        let _ = std::fs::remove_dir_all(&dir);
        c
    }

    fn act(n: usize) -> Activation {
        Activation {
            fds: (0..n).map(|i| ListenFd { fd: 10 + i as i32, name: format!("n{i}") }).collect(),
            pass_fds: true,
            env: Vec::new(),
        }
    }

    #[test]
    fn listen_fds_for_main_command_only() {
        let c = cfg("NonBlocking=yes\n");
        let mut p = ExecPlan::new(std::path::PathBuf::from("/bin/true"));
        apply(&mut p, &c, &act(2)).unwrap();
        assert_eq!(p.listen_fds.len(), 2);
        assert!(p.non_blocking);
        let mut p = ExecPlan::new(std::path::PathBuf::from("/bin/true"));
        apply(&mut p, &c, &Activation { pass_fds: false, ..act(2) }).unwrap();
        assert!(p.listen_fds.is_empty());
    }

    #[test]
    fn stdin_socket_takes_outputs_and_no_listen_fds() {
        let c = cfg("StandardInput=socket\n");
        let mut p = ExecPlan::new(std::path::PathBuf::from("/bin/true"));
        apply(&mut p, &c, &act(1)).unwrap();
        assert_eq!((&p.stdin, &p.stdout, &p.stderr), (&Stdio::Socket(10), &Stdio::Socket(10), &Stdio::Socket(10)));
        assert!(p.listen_fds.is_empty(), "systemd passes the socket on stdio only");
        let c = cfg("StandardInput=socket\nStandardError=null\n");
        let mut p = ExecPlan::new(std::path::PathBuf::from("/bin/true"));
        let before = p.stderr.clone();
        apply(&mut p, &c, &act(1)).unwrap();
        assert_eq!(p.stderr, before, "an explicit StandardError= is left to the plan builder");
        assert_eq!(apply(&mut p, &c, &act(2)).unwrap_err(), "Got more than one socket.");
        assert_eq!(apply(&mut p, &c, &act(0)).unwrap_err(), "Got no socket.");
    }
}
