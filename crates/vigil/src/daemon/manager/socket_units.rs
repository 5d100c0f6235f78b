//! Socket units in the manager: the glue between the transaction engine,
//! the service machines and [`crate::daemon::sockets`].
//!
//! - loading a `.socket` unit builds its [`SocketUnit`] (a unit systemd
//!   would refuse becomes `bad-setting`) and indexes the service it
//!   triggers;
//! - a start job opens and watches the ports ("Listening on …."), a stop
//!   job closes them ("Closed …."); both finish at once when the unit has
//!   no control commands, otherwise when the last one is done
//!   ([`super::socket_exec`]); a start is refused while the triggered service is already active
//!   (systemd: "Socket service … already active, refusing.");
//! - readiness ([`Manager::socket_events`]): `Accept=no` starts the
//!   service through a normal start job and stops watching until the
//!   service is down again; `Accept=yes` starts `PREFIX@INSTANCE.service`
//!   through [`Manager::job`] (which loads the instance from the
//!   template), the connection held in the registry until the instance
//!   ends;
//! - every state change and finished job of a service is reported back
//!   ([`Manager::socket_service_changed`], systemd's
//!   `socket_trigger_notify()`), which re-arms `Accept=no` sockets and
//!   releases `Accept=yes` connections;
//! - spawning a service command asks [`Manager::socket_activation`] for
//!   its descriptors.

use std::os::fd::AsRawFd;

use engine::service::{Phase, RestartPolicy, ServiceResult, ServiceState};
use unit::config::service::ServiceView;
use proto::msg::JobVerb;
use unit::load::LoadState;

use super::messages::status_ident;
use super::Manager;
use crate::daemon::sockets::{Activation, ControlStep, ListenRow, SocketResult, SocketState, SocketUnit, Wake};

impl Manager {
    /// The run-time state of a freshly loaded unit, if it is a socket.
    pub(super) fn socket_runtime(&mut self, cfg: &mut unit::config::UnitConfig) -> Option<SocketUnit> {
        if cfg.id.unit_type() != unit::UnitType::Socket || cfg.load_state != LoadState::Loaded {
            return None;
        }
        let id = cfg.id.to_string();
        let mut log = Vec::new();
        let made = SocketUnit::new(cfg, &self.loader.lookup.root, &mut log);
        for l in log {
            self.say(&id, &format!("{id}: {l}"));
        }
        match made {
            Ok(s) => {
                if let Some(svc) = &s.settings.service {
                    self.sockets.index_service(svc, &id);
                }
                Some(s)
            }
            Err(msg) => {
                self.say(&id, &format!("{id}: {msg}"));
                cfg.load_state = LoadState::BadSetting;
                None
            }
        }
    }

    /// The descriptor of the sockets' epoll, for the event loop.
    pub fn sockets_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.sockets.fd()
    }

    pub(super) fn sock_mut(&mut self, id: &str) -> Option<&mut SocketUnit> {
        self.units.get_mut(id).and_then(|u| u.sock_mut())
    }

    /// Run a start or stop job of a socket unit; it completes at once, or
    /// through [`Manager::socket_job_done`] once its commands ran.
    pub(super) fn run_socket_job(&mut self, id: &str, verb: JobVerb) {
        let result = if verb == JobVerb::Start { self.socket_start(id) } else { self.socket_stop(id) };
        if let Some(result) = result {
            self.complete(id, result);
        }
    }

    /// Start the socket: `Some(result)` when done at once, `None` while
    /// its control commands run.
    pub(super) fn socket_start(&mut self, id: &str) -> Option<&'static str> {
        let Some(sock) = self.units.get(id).and_then(|u| u.sock()) else { return Some("failed") };
        if sock.is_open() {
            return Some("done");
        }
        let service = sock.settings.service.clone();
        let has_exec = sock.settings.has_exec;
        if let Some(service) = service {
            let sid = self.unit_id(&service).ok();
            let svc_unit = sid.as_deref().and_then(|s| self.units.get(s));
            match svc_unit {
                Some(u) if u.cfg.load_state == LoadState::Loaded => {
                    let busy = u.svc.as_ref().is_some_and(|s| {
                        !matches!(s.state(), ServiceState::Dead | ServiceState::Failed | ServiceState::AutoRestart)
                    });
                    if busy {
                        self.say(id, &format!("{id}: Socket service {service} already active, refusing."));
                        return Some("failed");
                    }
                }
                _ => {
                    self.say(id, &format!("{id}: Socket service {service} not loaded, refusing."));
                    return Some("failed");
                }
            }
        }
        let mut log = Vec::new();
        let Some(u) = self.units.get_mut(id) else { return Some("failed") };
        if u.invocation_id.is_empty() {
            u.invocation_id = super::invocation_id();
        }
        let desc = status_ident(&u.cfg);
        if has_exec {
            if let Some(s) = u.sock_mut() {
                s.reset_result();
                s.starting = true;
            }
            self.socket_step(id, ControlStep::StartPre, 0);
            return None;
        }
        let started = match u.sock_mut() {
            Some(s) => s.start(&mut self.sockets, &mut log),
            None => return Some("failed"),
        };
        for l in log {
            self.say(id, &format!("{id}: {l}"));
        }
        Some(match started {
            Ok(()) => {
                self.console(&format!("Listening on {desc}."));
                "done"
            }
            Err(result) => {
                self.say(id, &format!("{id}: Failed with result '{}'.", result.as_str()));
                self.console(&format!("Failed to listen on {desc}."));
                "failed"
            }
        })
    }

    /// Stop the socket: `Some(result)` when done at once, `None` while
    /// its control commands run.
    pub(super) fn socket_stop(&mut self, id: &str) -> Option<&'static str> {
        let Some(u) = self.units.get_mut(id) else { return Some("done") };
        let desc = status_ident(&u.cfg);
        let Some(sock) = u.sock_mut() else { return Some("done") };
        if sock.settings.has_exec && !matches!(sock.state(), SocketState::Dead | SocketState::Failed) {
            // A start still running its commands is cut short.
            if let Some(c) = sock.control.take() {
                self.pids.remove(c.pid);
                // SAFETY: kill(2) with plain integers.
                unsafe { libc::kill(c.pid as i32, libc::SIGKILL) };
            }
            sock.starting = false;
            self.socket_step(id, ControlStep::StopPre, 0);
            return None;
        }
        let was_open = sock.is_open();
        sock.stop(&mut self.sockets);
        u.invocation_id.clear();
        if was_open {
            self.console(&format!("Closed {desc}."));
        }
        Some("done")
    }

    /// `restart`, `try-restart`, `reload-or-restart` of a socket unit:
    /// close and reopen. Sockets cannot reload.
    pub(super) fn socket_verb(&mut self, job_id: u32, id: &str, verb: JobVerb) -> Result<(u32, String), (proto::ErrorKind, String)> {
        if verb == JobVerb::Reload {
            return Err((proto::ErrorKind::InvalidRequest, format!("Job type reload is not applicable for unit {id}.")));
        }
        if let Some(u) = self.units.get_mut(id) {
            u.job = Some((job_id, verb));
        }
        if self.socket_stop(id).is_some() {
            self.socket_restart_stopped(id);
        }
        Ok((job_id, id.to_string()))
    }

    /// A socket failed while up: close it and say so.
    fn socket_fail(&mut self, id: &str, result: SocketResult) {
        let Some(sock) = self.units.get_mut(id).and_then(|u| u.sock_mut()) else { return };
        let r = sock.fail(&mut self.sockets, result);
        self.gc.queue(id);
        self.say(id, &format!("{id}: Failed with result '{}'.", r.as_str()));
    }

    /// The sockets' epoll is readable: serve every ready port.
    pub fn socket_events(&mut self) {
        for (id, port, events) in self.sockets.ready() {
            let now = self.now();
            let mut log = Vec::new();
            let wake = match self.sock_mut(&id) {
                Some(s) => s.on_ready(port, events, now, &mut log),
                None => continue,
            };
            for l in log {
                self.say(&id, &format!("{id}: {l}"));
            }
            match wake {
                Wake::Nothing => {}
                Wake::Fail(result) => self.socket_fail(&id, result),
                Wake::Trigger => self.socket_trigger(&id),
                Wake::Accepted(conns) => {
                    for c in conns {
                        let instance = c.instance.clone();
                        self.sockets.hold(c);
                        if let Err((_, e)) = self.job(&instance, JobVerb::Start) {
                            if let Some(c) = self.sockets.release(&instance) {
                                if let Some(s) = self.sock_mut(&id) {
                                    s.connection_closed(&c.peer);
                                }
                            }
                            self.console(&format!(
                                "{id}: Failed to queue service startup job (Maybe the service file is missing or not a template unit?): {e}"
                            ));
                            self.socket_fail(&id, SocketResult::Resources);
                            break;
                        }
                    }
                }
            }
        }
    }

    /// `Accept=no` traffic: start the service unless it is up or has a
    /// job, and hand it the traffic. The socket goes to `running` first,
    /// so a service that fails at once re-arms it through
    /// [`Manager::socket_service_changed`].
    fn socket_trigger(&mut self, id: &str) {
        let Some(service) = self.units.get(id).and_then(|u| u.sock()).and_then(|s| s.settings.service.clone()) else {
            return;
        };
        let pending = match self.unit_id(&service) {
            Ok(sid) => {
                self.jobs.contains_key(&sid)
                    || self.units.get(&sid).is_some_and(|u| {
                        u.job.is_some() || matches!(u.active_state(), "active" | "activating" | "reloading" | "deactivating")
                    })
            }
            Err(_) => false,
        };
        if let Some(s) = self.units.get_mut(id).and_then(|u| u.sock_mut()) {
            s.enter_running(&mut self.sockets);
        }
        // Going down: the socket stops being watched (running) but its
        // service is not started again, which would undo its stop; the
        // traffic stays queued until the socket's own stop job closes it.
        if pending || self.shutting_down {
            return;
        }
        if let Err((_, e)) = self.job(&service, JobVerb::Start) {
            self.console(&format!(
                "{id}: Failed to queue service startup job (Maybe the service file is missing or not a non-template unit?): {e}"
            ));
            self.socket_fail(id, SocketResult::Resources);
        }
    }

    /// A service changed state (`to`) or finished a job (`None`):
    /// `socket_trigger_notify()` for the sockets that trigger it, and the
    /// end of an `Accept=yes` instance's connection.
    pub(super) fn socket_service_changed(&mut self, id: &str, to: Option<ServiceState>) {
        if self.sockets.is_idle() {
            return;
        }
        let Some(u) = self.units.get(id) else { return };
        let Some(svc) = u.svc.as_ref() else { return };
        let state = to.unwrap_or_else(|| svc.state());
        let pending = u.job.is_some() || self.jobs.contains_key(id);
        let start_limit_hit = state == ServiceState::Failed && svc.result() == ServiceResult::StartLimitHit;
        if self.sockets.connection(id).is_some() {
            let done = matches!(state, ServiceState::Failed | ServiceState::AutoRestart | ServiceState::Exited)
                || (state == ServiceState::Dead && !pending);
            if done {
                if let Some(c) = self.sockets.release(id) {
                    if let Some(s) = self.sock_mut(&c.socket) {
                        s.connection_closed(&c.peer);
                    }
                }
            }
            return;
        }
        let names: Vec<String> = u.cfg.names().map(|n| n.as_str().to_string()).collect();
        let mut sockets = self.sockets.sockets_for(names.iter().map(String::as_str));
        sockets.retain(|s| s != id);
        for sid in sockets {
            let Some(sock) = self.units.get(&sid).and_then(|u| u.sock()) else { continue };
            if !sock.is_open() || sock.settings.accept {
                continue;
            }
            if start_limit_hit {
                self.socket_fail(&sid, SocketResult::ServiceStartLimitHit);
                continue;
            }
            if pending {
                continue;
            }
            let Some(sock) = self.units.get_mut(&sid).and_then(|u| u.sock_mut()) else { continue };
            match state {
                ServiceState::Dead
                | ServiceState::Failed
                | ServiceState::FinalSigterm
                | ServiceState::FinalSigkill
                | ServiceState::AutoRestart => {
                    if let Err(e) = sock.enter_listening(&mut self.sockets) {
                        self.console(&format!("{sid}: Failed to watch sockets: {e}"));
                        self.socket_fail(&sid, SocketResult::Resources);
                    }
                }
                ServiceState::Running => sock.enter_running(&mut self.sockets),
                _ => {}
            }
        }
    }

    /// Command `index` of `phase` of service `id` was spawned. When it is
    /// an `Accept=yes` instance's last `ExecStart=` and nothing later can
    /// need the connection (no `ExecStartPost=`, `ExecReload=`,
    /// `ExecStop=`, `ExecStopPost=`, and `Restart=no`), the manager closes
    /// its copy now, as inetd does after its fork: the client sees the end
    /// of the stream when the service closes it, not only once the manager
    /// has reaped the service. systemd keeps its copy until the service is
    /// dead; with no command left to hand it to, only that wait differs.
    /// The connection still counts for `MaxConnections=` until then.
    pub(super) fn connection_spawned(&mut self, id: &str, phase: Phase, index: usize) {
        if phase != Phase::Start || self.sockets.connection(id).is_none() {
            return;
        }
        let Some(u) = self.units.get(id) else { return };
        let view = ServiceView::new(&u.cfg);
        let later = ["ExecStartPost", "ExecReload", "ExecStop", "ExecStopPost"];
        if index + 1 < view.exec("ExecStart").len()
            || later.iter().any(|d| !view.exec(d).is_empty())
            || u.svc.as_ref().is_none_or(|s| s.params().restart != RestartPolicy::No)
        {
            return;
        }
        self.sockets.close_connection(id);
    }

    /// The sockets a command of service `id` gets.
    pub(super) fn socket_activation(&self, id: &str, phase: Phase) -> Activation {
        let pass_fds = phase == Phase::Start;
        if let Some(c) = self.sockets.connection(id) {
            return Activation {
                fds: c.fd.iter().map(|fd| exec::ListenFd { fd: fd.as_raw_fd(), name: "connection".into() }).collect(),
                pass_fds,
                env: c.peer.env(),
            };
        }
        let Some(u) = self.units.get(id) else { return Activation::default() };
        let names: Vec<&str> = u.cfg.names().map(|n| n.as_str()).collect();
        let mut sockets = self.sockets.sockets_for(names);
        // `Sockets=` of the service names more (systemd.service(5)).
        for s in u.cfg.strings(unit::directive::SectionKind::Service, "Sockets") {
            let s = self.known_id(s).unwrap_or(s).to_string();
            if !sockets.contains(&s) {
                sockets.push(s);
            }
        }
        let mut fds = Vec::new();
        for s in &sockets {
            if let Some(sock) = self.units.get(s).and_then(|u| u.sock()).filter(|s| s.is_open()) {
                fds.extend(sock.listen_fds());
            }
        }
        Activation { fds, pass_fds, env: Vec::new() }
    }

    /// `systemctl list-sockets` rows, sorted by address.
    pub fn socket_rows(&self, all: bool) -> Vec<ListenRow> {
        let mut rows: Vec<ListenRow> = self
            .units
            .values()
            .filter_map(|u| u.sock())
            .flat_map(|s| {
                let mut r = s.listen_rows(all);
                if s.settings.accept {
                    let live = self.sockets.instances_of(&r.first().map(|x| x.unit.clone()).unwrap_or_default());
                    for row in &mut r {
                        row.activates = live.clone();
                    }
                }
                r
            })
            .collect();
        rows.sort_by(|a, b| a.listen.cmp(&b.listen));
        rows
    }
}
