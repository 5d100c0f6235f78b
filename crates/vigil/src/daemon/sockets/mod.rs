//! Socket units at run time (`systemd.socket(5)`): listening on behalf of
//! services and starting them when traffic arrives.
//!
//! # States
//!
//! systemd's socket machine has `dead`, `start-pre`, `start-chown`,
//! `start-post`, `listening`, `running`, `stop-pre…`, `stop-post`,
//! `final-sigterm…`, `failed`. vigil does the chown in-process, so there
//! is no `start-chown`; the `start-*`/`stop-*` states run the unit's
//! control commands (`ExecStartPre=`…, driven by the manager's
//! `socket_exec` module) and are skipped when a phase has none; processes
//! left behind by a failed or finished phase are killed at once instead of
//! through the `*-sigterm`/`*-sigkill` states ([`SocketState`]):
//!
//! ```text
//!          start            ports opened          traffic (Accept=no):
//!   dead ───────▶ start-pre ───────▶ start-post ──▶ listening ──▶ running
//!    ▲  ▲   (ExecStartPre=)       (ExecStartPost=)   │   ▲  service down │
//!    │  │                                            │   └───────────────┘
//!    │  └── stop-post ◀── (ports closed) ◀── stop-pre ◀── stop
//!    │    (ExecStopPost=)                   (ExecStopPre=)
//!    └─ failed ◀── a command failed, bind error, trigger limit,
//!                  service start limit
//! ```
//!
//! A failing `ExecStartPre=` fails the unit at once (nothing was bound); a
//! failing `ExecStartPost=` or a bind error goes through `stop-pre` and
//! `stop-post` first, as systemd does (`socket_sigchld_event()`).
//!
//! - **listening**: the ports are open and watched.
//! - **running** (`Accept=no` only): the service was started (or found
//!   active) and owns the traffic; the ports stay open in the manager but
//!   are not watched, so a client that connects while the service
//!   restarts waits in the backlog — it is never refused. When the service
//!   is dead, failed or waiting to auto-restart and has no job pending, the
//!   socket listens again (`socket_trigger_notify()`).
//! - `Accept=yes` sockets stay **listening**: every connection is accepted
//!   here and handed to a new instance of `PREFIX@.service`
//!   ([`accept`]), after `MaxConnections=`, `MaxConnectionsPerSource=` and
//!   the xinetd rules ([`access`]); refused connections are closed at once
//!   and counted.
//!
//! Activations are rate limited (`TriggerLimitIntervalSec=`,
//! `TriggerLimitBurst=`): a service that never takes its traffic would
//! otherwise be restarted in a busy loop; past the limit the socket fails
//! with result `trigger-limit-hit`.
//!
//! # Event loop
//!
//! The [`Registry`] owns one epoll instance for all ports; the manager's
//! loop watches only its descriptor ([`Registry::fd`]) and asks
//! [`Registry::ready`] which (unit, port) pairs are readable — the token
//! of each port maps back to its unit and index. Nothing here blocks:
//! `accept4`, `recvfrom(MSG_PEEK)` and flushing are non-blocking.
//!
//! # Passing descriptors
//!
//! [`pass::Activation`] is what a service's command gets: all ports of
//! the sockets that trigger it (file order, each named by
//! `FileDescriptorName=`), or its one connection. `StandardInput=socket`
//! moves the single socket to standard input/output instead (see
//! [`pass`]).
//!
//! Main types: [`SocketUnit`], [`Registry`], [`Wake`].

pub mod accept;
pub mod access;
pub mod bind;
pub mod pass;
pub mod settings;
mod sys;

use std::collections::{BTreeSet, HashMap};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;

use engine::name_hash::NameMap;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use unit::config::UnitConfig;

pub use accept::Connection;
pub use bind::BoundSocket;
pub use pass::Activation;
pub use settings::SocketSettings;

/// See the module essay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketState {
    Dead,
    StartPre,
    StartPost,
    Listening,
    Running,
    StopPre,
    StopPost,
    Failed,
}

impl SocketState {
    pub fn as_str(self) -> &'static str {
        match self {
            SocketState::Dead => "dead",
            SocketState::StartPre => "start-pre",
            SocketState::StartPost => "start-post",
            SocketState::StopPre => "stop-pre",
            SocketState::StopPost => "stop-post",
            SocketState::Listening => "listening",
            SocketState::Running => "running",
            SocketState::Failed => "failed",
        }
    }

    /// The shared active state (systemd's `state_translation_table`).
    pub fn active_state(self) -> &'static str {
        match self {
            SocketState::Dead => "inactive",
            SocketState::StartPre | SocketState::StartPost => "activating",
            SocketState::Listening | SocketState::Running => "active",
            SocketState::StopPre | SocketState::StopPost => "deactivating",
            SocketState::Failed => "failed",
        }
    }
}

/// The phases of control commands (`systemd.socket(5)`): `ExecStartPre=`
/// before the ports are bound, `ExecStartPost=` after; `ExecStopPre=`
/// before they are closed, `ExecStopPost=` after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlStep {
    StartPre,
    StartPost,
    StopPre,
    StopPost,
}

impl ControlStep {
    pub fn directive(self) -> &'static str {
        match self {
            ControlStep::StartPre => "ExecStartPre",
            ControlStep::StartPost => "ExecStartPost",
            ControlStep::StopPre => "ExecStopPre",
            ControlStep::StopPost => "ExecStopPost",
        }
    }

    pub fn state(self) -> SocketState {
        match self {
            ControlStep::StartPre => SocketState::StartPre,
            ControlStep::StartPost => SocketState::StartPost,
            ControlStep::StopPre => SocketState::StopPre,
            ControlStep::StopPost => SocketState::StopPost,
        }
    }
}

/// The control command running: its phase, index in the phase, pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Control {
    pub step: ControlStep,
    pub index: usize,
    pub pid: u32,
    /// `TimeoutSec=` passed once and it was sent `SIGTERM`.
    pub terminated: bool,
}

/// Why a socket unit failed (systemd's `SocketResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketResult {
    Success,
    Resources,
    ExitCode,
    Signal,
    CoreDump,
    Timeout,
    TriggerLimitHit,
    ServiceStartLimitHit,
}

impl SocketResult {
    pub fn as_str(self) -> &'static str {
        match self {
            SocketResult::Success => "success",
            SocketResult::Resources => "resources",
            SocketResult::ExitCode => "exit-code",
            SocketResult::Signal => "signal",
            SocketResult::Timeout => "timeout",
            SocketResult::CoreDump => "core-dump",
            SocketResult::TriggerLimitHit => "trigger-limit-hit",
            SocketResult::ServiceStartLimitHit => "service-start-limit-hit",
        }
    }
}

/// What the manager must do after a port became readable.
#[derive(Debug)]
pub enum Wake {
    /// `Accept=no`: start the triggered service unless it is already
    /// active or has a job, then call [`SocketUnit::enter_running`].
    Trigger,
    /// `Accept=yes`: start one instance per connection.
    Accepted(Vec<Connection>),
    /// The socket failed; stop it with this result.
    Fail(SocketResult),
    Nothing,
}

/// A row of `systemctl list-sockets`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenRow {
    pub listen: String,
    /// `Stream`, `Datagram`, `FIFO`… (`--show-types`).
    pub kind: &'static str,
    pub unit: String,
    pub activates: Vec<String>,
}

struct Port {
    bound: BoundSocket,
    /// The epoll token while watched.
    token: Option<u64>,
    /// The local address of every connection this port accepts, once
    /// asked ([`fixed_local`]); `Some(None)`: it varies.
    local: Option<Option<(std::net::IpAddr, u16)>>,
}

/// The local address every connection accepted on the listening socket
/// `fd` has, so `Accept=yes` names its instance without a
/// `getsockname(2)` per connection: the socket's own address, when it is
/// bound to one address and port — a TCP socket accepts only connections
/// made to its address, and a connection's local address is the one it
/// was made to (`ip(7)`, `ipv6(7)`). `None` where connections can differ:
/// a wildcard address (also `::ffff:0.0.0.0`), `Transparent=yes`
/// (`IP_TRANSPARENT`: redirected connections keep the address they were
/// made to), a protocol other than TCP (SCTP associations are multi-homed).
fn fixed_local(fd: i32, transparent: bool, protocol: Option<i32>) -> Option<(std::net::IpAddr, u16)> {
    use std::net::IpAddr;
    if transparent || protocol.is_some_and(|p| p != libc::IPPROTO_TCP) {
        return None;
    }
    let (ip, port) = sys::local_addr(fd).ok()?.ip()?;
    let plain = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    (!plain.is_unspecified() && port != 0).then_some((ip, port))
}

/// One socket unit's run-time state.
pub struct SocketUnit {
    id: String,
    pub settings: SocketSettings,
    access: Option<access::XinetdAccess>,
    state: SocketState,
    result: SocketResult,
    ports: Vec<Port>,
    n_accepted: u64,
    n_connections: u64,
    n_refused: u64,
    /// Live connections per source address (`MaxConnectionsPerSource=`).
    per_source: HashMap<String, u64>,
    /// Trigger rate limit: window start (manager usec) and count.
    trigger_window: Option<(u64, u64)>,
    /// The control command running, if any.
    pub control: Option<Control>,
    /// Whether the control commands running belong to a start (a failure
    /// fails the start job) or to a stop.
    pub starting: bool,
}

/// How many connections one wake-up accepts before yielding to the rest
/// of the event loop.
const ACCEPT_BATCH: usize = 64;

impl SocketUnit {
    /// The runtime of a loaded `.socket` unit; `Err` is systemd's refusal,
    /// which makes the unit `bad-setting`. `log` gets warnings.
    pub fn new(cfg: &UnitConfig, root: &Path, log: &mut Vec<String>) -> Result<SocketUnit, String> {
        let settings = SocketSettings::from_config(cfg, log)?;
        Ok(SocketUnit {
            id: cfg.id.to_string(),
            access: access::XinetdAccess::from_unit(cfg, root),
            settings,
            state: SocketState::Dead,
            result: SocketResult::Success,
            ports: Vec::new(),
            n_accepted: 0,
            n_connections: 0,
            n_refused: 0,
            per_source: HashMap::new(),
            trigger_window: None,
            control: None,
            starting: false,
        })
    }

    pub fn state(&self) -> SocketState {
        self.state
    }

    /// `systemctl reset-failed`: a failed socket becomes dead again.
    pub fn reset_failed(&mut self) {
        if self.state == SocketState::Failed {
            self.state = SocketState::Dead;
        }
        self.result = SocketResult::Success;
    }

    /// Live `Accept=yes` connections (`NConnections=`).
    pub fn connections(&self) -> u64 {
        self.n_connections
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state, SocketState::Listening | SocketState::Running)
    }

    /// Open the ports and listen. On failure everything opened is closed
    /// again and the unit is `failed`; the error lines go to `log`.
    pub fn start(&mut self, reg: &mut Registry, log: &mut Vec<String>) -> Result<(), SocketResult> {
        if self.is_open() {
            return Ok(());
        }
        self.result = SocketResult::Success;
        if let Err(r) = self.open(log) {
            return Err(self.fail(reg, r));
        }
        if let Err(e) = self.enter_listening(reg) {
            log.push(format!("Failed to watch sockets: {e}"));
            return Err(self.fail(reg, SocketResult::Resources));
        }
        Ok(())
    }

    /// Bind the ports (not watched yet): what lies between `start-pre` and
    /// `start-post`. On failure whatever was opened is closed again.
    pub fn open(&mut self, log: &mut Vec<String>) -> Result<(), SocketResult> {
        if let Some(a) = &self.access {
            log.extend(a.notes());
        }
        let mut warn = Vec::new();
        let opened = bind::open_all(&self.id, &self.settings, &mut warn);
        log.append(&mut warn);
        let bound = match opened {
            Ok(b) => b,
            Err(e) => {
                let reason = e.reason.clone();
                log.push(e.to_string());
                log.push(format!("Failed to listen on sockets: {reason}"));
                return Err(SocketResult::Resources);
            }
        };
        self.ports = bound.into_iter().map(|bound| Port { bound, token: None, local: None }).collect();
        bind::make_symlinks(&self.settings, &mut warn);
        log.extend(warn);
        if let Err(msg) = bind::chown_nodes(&self.settings) {
            log.push(msg);
            self.ports.clear();
            return Err(SocketResult::ExitCode);
        }
        Ok(())
    }

    /// Enter a control-command state (`start-pre`…): the manager runs the
    /// phase's commands.
    pub fn enter_control(&mut self, reg: &mut Registry, state: SocketState) {
        self.unwatch(reg);
        self.state = state;
    }

    /// A new start: the previous run's result is forgotten.
    pub fn reset_result(&mut self) {
        self.result = SocketResult::Success;
    }

    /// Remember why the unit is failing (the first failure sticks).
    pub fn record(&mut self, result: SocketResult) {
        if self.result == SocketResult::Success {
            self.result = result;
        }
    }

    /// Close the ports, keeping the state (`stop-pre` → `stop-post`).
    pub fn close_ports(&mut self, reg: &mut Registry) {
        self.close(reg);
    }

    /// The end of `stop-post`: `dead`, or `failed` if anything failed.
    pub fn finish(&mut self, reg: &mut Registry) -> SocketResult {
        self.close(reg);
        self.state = if self.result == SocketResult::Success { SocketState::Dead } else { SocketState::Failed };
        self.result
    }

    /// Back to listening: watch every port (after `FlushPending=`).
    pub fn enter_listening(&mut self, reg: &mut Registry) -> std::io::Result<()> {
        if self.ports.is_empty() {
            return Ok(());
        }
        if !self.settings.accept && self.settings.flush_pending {
            for p in &self.ports {
                sys::flush(p.bound.fd.as_raw_fd());
            }
        }
        for (i, p) in self.ports.iter_mut().enumerate() {
            if p.token.is_none() {
                p.token = Some(reg.watch(&self.id, i, p.bound.fd.as_fd())?);
            }
        }
        self.state = SocketState::Listening;
        Ok(())
    }

    /// The service owns the traffic now: stop watching.
    pub fn enter_running(&mut self, reg: &mut Registry) {
        if !self.is_open() {
            return;
        }
        self.unwatch(reg);
        self.state = SocketState::Running;
    }

    fn unwatch(&mut self, reg: &mut Registry) {
        for p in &mut self.ports {
            if let Some(t) = p.token.take() {
                reg.unwatch(t, p.bound.fd.as_fd());
            }
        }
    }

    fn close(&mut self, reg: &mut Registry) {
        self.unwatch(reg);
        let was_open = !self.ports.is_empty();
        self.ports.clear();
        // systemd removes nodes only on request, and only what it had open.
        if was_open && self.settings.remove_on_stop {
            bind::remove_nodes(&self.settings);
        }
    }

    /// Close the ports: `dead`.
    pub fn stop(&mut self, reg: &mut Registry) {
        self.close(reg);
        self.state = SocketState::Dead;
    }

    /// Close the ports: `failed` with `result` (the first failure sticks).
    pub fn fail(&mut self, reg: &mut Registry, result: SocketResult) -> SocketResult {
        self.close(reg);
        if self.result == SocketResult::Success {
            self.result = result;
        }
        self.state = SocketState::Failed;
        self.result
    }

    /// `ratelimit_below()` over the trigger limit.
    fn trigger_allowed(&mut self, now: u64) -> bool {
        let interval = self.settings.trigger_limit_interval.0;
        let burst = self.settings.trigger_limit_burst;
        if interval == 0 || burst == 0 {
            return true;
        }
        let (start, count) = match self.trigger_window {
            Some((start, count)) if now.saturating_sub(start) < interval => (start, count),
            _ => (now, 0),
        };
        if count < burst {
            self.trigger_window = Some((start, count + 1));
            true
        } else {
            self.trigger_window = Some((start, count));
            false
        }
    }

    /// A watched port is readable (or broken). `now` is the manager's
    /// monotonic clock in usec; `log` gets what should be logged.
    pub fn on_ready(&mut self, port: usize, events: EpollFlags, now: u64, log: &mut Vec<String>) -> Wake {
        if self.state != SocketState::Listening {
            return Wake::Nothing;
        }
        let Some(p) = self.ports.get(port) else { return Wake::Nothing };
        if events.intersects(EpollFlags::EPOLLHUP | EpollFlags::EPOLLERR) {
            if events.contains(EpollFlags::EPOLLHUP) {
                log.push("Got POLLHUP on a listening socket. The service probably invoked shutdown() on it, and should better not do that.".into());
            } else {
                log.push(format!("Got unexpected poll event (0x{:x}) on socket.", events.bits()));
            }
            return Wake::Fail(SocketResult::Resources);
        }
        let fd = p.bound.fd.as_raw_fd();
        if self.settings.accept && p.bound.spec.can_accept() {
            return self.accept_all(fd, port, now, log);
        }
        // Accept=no. With xinetd rules (datagram services), a datagram from
        // a refused source is dropped instead of activating the service.
        if let (Some(rules), settings::PortSpec::Socket { ty: settings::SocketType::Datagram, .. }) = (&self.access, &p.bound.spec) {
            loop {
                let src = match sys::peek_source(fd) {
                    Ok(Some(a)) => a,
                    Ok(None) => return Wake::Nothing,
                    Err(e) => {
                        log.push(format!("Failed to read datagram source: {}", sys::errno_text(&e)));
                        return Wake::Fail(SocketResult::Resources);
                    }
                };
                let ip = src.ip().map(|(a, _)| a);
                match rules.check(ip) {
                    Ok(()) => break,
                    Err(why) => {
                        sys::discard_datagram(fd);
                        self.n_refused += 1;
                        log.push(denied_message(ip.map(sys::ip_text).as_deref(), &why));
                    }
                }
            }
        }
        if !self.trigger_allowed(now) {
            log.push("Trigger limit hit, refusing further activation.".into());
            self.n_refused += 1;
            return Wake::Fail(SocketResult::TriggerLimitHit);
        }
        Wake::Trigger
    }

    fn accept_all(&mut self, fd: i32, port: usize, now: u64, log: &mut Vec<String>) -> Wake {
        let mut out = Vec::new();
        let stream = self.ports.get(port).is_some_and(|p| {
            matches!(p.bound.spec, settings::PortSpec::Socket { ty: settings::SocketType::Stream, .. })
        });
        let known_local = match self.ports.get_mut(port) {
            Some(p) if stream => *p.local.get_or_insert_with(|| fixed_local(fd, self.settings.transparent, self.settings.socket_protocol)),
            _ => None,
        };
        for _ in 0..ACCEPT_BATCH {
            let (cfd, remote) = match sys::accept(fd) {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    log.push(format!("Failed to accept connection socket: {}", sys::errno_text(&e)));
                    if out.is_empty() {
                        return Wake::Fail(SocketResult::Resources);
                    }
                    break;
                }
            };
            if let Some(p) = self.ports.get(port) {
                let mut warn = Vec::new();
                if let settings::PortSpec::Socket { addr, .. } = &p.bound.spec {
                    bind::apply_socket_options(cfd.as_raw_fd(), addr, &self.settings, &mut warn);
                }
                log.extend(warn);
            }
            if !self.trigger_allowed(now) {
                log.push("Trigger limit hit, refusing further activation.".into());
                self.n_refused += 1;
                return if out.is_empty() { Wake::Fail(SocketResult::TriggerLimitHit) } else { Wake::Accepted(out) };
            }
            let Ok(peer) = accept::peer_of(&cfd, &remote) else { continue };
            if let Some(rules) = &self.access {
                if let Err(why) = rules.check(peer.ip()) {
                    self.n_refused += 1;
                    log.push(denied_message(peer.ip().map(sys::ip_text).as_deref(), &why));
                    continue;
                }
            }
            if self.n_connections >= self.settings.max_connections {
                log.push(format!("Too many incoming connections ({}), dropping connection.", self.n_connections));
                self.n_refused += 1;
                continue;
            }
            let source = peer.source();
            if self.settings.max_connections_per_source > 0 {
                if let Some(src) = &source {
                    let live = self.per_source.get(src).copied().unwrap_or(0);
                    if live + 1 > self.settings.max_connections_per_source {
                        log.push(format!("Too many incoming connections ({}) from source {src}, dropping connection.", live + 1));
                        self.n_refused += 1;
                        continue;
                    }
                }
            }
            let Ok(instance) = accept::instance_name(&cfd, self.n_accepted, &peer, known_local) else { continue };
            self.n_accepted += 1;
            self.n_connections += 1;
            if let Some(src) = source {
                *self.per_source.entry(src).or_insert(0) += 1;
            }
            out.push(Connection { instance: accept::instance_unit(&self.id, &instance), fd: Some(cfd), peer, socket: self.id.clone() });
        }
        if out.is_empty() {
            Wake::Nothing
        } else {
            Wake::Accepted(out)
        }
    }

    /// An instance's connection ended (`socket_connection_unref()`).
    pub fn connection_closed(&mut self, peer: &accept::Peer) {
        self.n_connections = self.n_connections.saturating_sub(1);
        if let Some(src) = peer.source() {
            if let Some(n) = self.per_source.get_mut(&src) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.per_source.remove(&src);
                }
            }
        }
    }

    /// The open ports as descriptors for `LISTEN_FDS`, in file order.
    pub fn listen_fds(&self) -> Vec<exec::ListenFd> {
        self.ports.iter().map(|p| exec::ListenFd { fd: p.bound.fd.as_raw_fd(), name: p.bound.name.clone() }).collect()
    }

    /// Properties by systemd's D-Bus names, for `systemctl show`/`status`.
    pub fn properties(&self) -> Vec<(String, String)> {
        let yn = |b: bool| if b { "yes" } else { "no" }.to_string();
        let s = &self.settings;
        let mut p: Vec<(String, String)> = Vec::new();
        for spec in &s.ports {
            p.push(("Listen".into(), format!("{} ({})", spec.address(), spec.type_word())));
        }
        p.extend([
            ("Accept".into(), yn(s.accept)),
            ("Result".into(), self.result.as_str().to_string()),
            ("NAccepted".into(), self.n_accepted.to_string()),
            ("NConnections".into(), self.n_connections.to_string()),
            ("NRefused".into(), self.n_refused.to_string()),
            ("Backlog".into(), s.backlog.to_string()),
            ("BindIPv6Only".into(), s.bind_ipv6_only.as_str().to_string()),
            ("SocketMode".into(), format!("{:04o}", s.socket_mode)),
            ("DirectoryMode".into(), format!("{:04o}", s.directory_mode)),
            ("MaxConnections".into(), s.max_connections.to_string()),
            ("MaxConnectionsPerSource".into(), s.max_connections_per_source.to_string()),
            ("FileDescriptorName".into(), s.fd_name.clone()),
            ("RemoveOnStop".into(), yn(s.remove_on_stop)),
            ("Symlinks".into(), s.symlinks.join(" ")),
            ("TriggerLimitIntervalUSec".into(), unit::value::time::format_timespan(s.trigger_limit_interval.0, 1)),
            ("TriggerLimitBurst".into(), s.trigger_limit_burst.to_string()),
            ("TimeoutUSec".into(), unit::value::time::format_timespan(s.timeout.0, 1)),
            ("SocketUser".into(), s.socket_user.clone().unwrap_or_default()),
            ("SocketGroup".into(), s.socket_group.clone().unwrap_or_default()),
        ]);
        if let Some(svc) = &s.service {
            p.push(("Triggers".into(), svc.clone()));
        }
        p
    }

    /// `systemctl list-sockets` rows: one per configured port, for units
    /// that are listening (or all, with `all`).
    pub fn listen_rows(&self, all: bool) -> Vec<ListenRow> {
        if !all && !self.is_open() {
            return Vec::new();
        }
        let row = |listen: String, spec: &settings::PortSpec| ListenRow {
            listen,
            kind: spec.type_word(),
            unit: self.id.clone(),
            activates: self.settings.service.iter().cloned().collect(),
        };
        if self.ports.is_empty() {
            return self.settings.ports.iter().map(|spec| row(spec.address(), spec)).collect();
        }
        // Open: the addresses really bound (a bare port may have fallen
        // back to IPv4).
        self.ports.iter().map(|p| row(p.bound.address.clone(), &p.bound.spec)).collect()
    }
}

fn denied_message(peer: Option<&str>, why: &access::Denied) -> String {
    let who = peer.unwrap_or("a peer without an IP address");
    match why {
        access::Denied::NotAllowed => format!("Connection from {who} refused by X-Xinetd-OnlyFrom=/X-Xinetd-NoAccess=."),
        access::Denied::Unevaluable => {
            format!("Connection from {who} refused: X-Xinetd-NoAccess= holds patterns that cannot be evaluated.")
        }
    }
}

/// All ports of all socket units under one epoll, the services they
/// trigger, and the connections held for `Accept=yes` instances.
pub struct Registry {
    epoll: Result<Epoll, nix::errno::Errno>,
    tokens: HashMap<u64, (String, usize)>,
    next_token: u64,
    /// Service name → socket units triggering it (`Accept=no`).
    by_service: NameMap<BTreeSet<String>>,
    /// Instance unit → its connection.
    connections: NameMap<Connection>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC),
            tokens: HashMap::new(),
            next_token: 1,
            by_service: NameMap::default(),
            connections: NameMap::default(),
        }
    }

    /// The descriptor the manager's event loop watches for `EPOLLIN`.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.epoll.as_ref().ok().map(|e| e.0.as_fd())
    }

    fn watch(&mut self, unit: &str, index: usize, fd: BorrowedFd<'_>) -> std::io::Result<u64> {
        let epoll = self.epoll.as_ref().map_err(|e| std::io::Error::from_raw_os_error(*e as i32))?;
        let token = self.next_token;
        self.next_token += 1;
        epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, token)).map_err(|e| std::io::Error::from_raw_os_error(e as i32))?;
        self.tokens.insert(token, (unit.to_string(), index));
        Ok(token)
    }

    fn unwatch(&mut self, token: u64, fd: BorrowedFd<'_>) {
        if let Ok(e) = &self.epoll {
            let _ = e.delete(fd);
        }
        self.tokens.remove(&token);
    }

    /// Which watched ports are ready: (socket unit, port index, events).
    pub fn ready(&self) -> Vec<(String, usize, EpollFlags)> {
        let Ok(epoll) = &self.epoll else { return Vec::new() };
        let mut events = vec![EpollEvent::empty(); 64];
        let n = match epoll.wait(&mut events, EpollTimeout::ZERO) {
            Ok(n) => n,
            Err(_) => return Vec::new(),
        };
        events[..n]
            .iter()
            .filter_map(|ev| self.tokens.get(&ev.data()).map(|(u, i)| (u.clone(), *i, ev.events())))
            .collect()
    }

    /// No socket unit triggers anything and no connection is held: a
    /// service's state change needs no look-up here.
    pub fn is_idle(&self) -> bool {
        self.by_service.is_empty() && self.connections.is_empty()
    }

    /// Remember that `socket` triggers `service`.
    pub fn index_service(&mut self, service: &str, socket: &str) {
        self.by_service.entry(service.to_string()).or_default().insert(socket.to_string());
    }

    /// `socket` was unloaded: it triggers `service` no more.
    pub fn unindex_service(&mut self, service: &str, socket: &str) {
        if let Some(set) = self.by_service.get_mut(service) {
            set.remove(socket);
            if set.is_empty() {
                self.by_service.remove(service);
            }
        }
    }

    /// The socket units triggering a service known under `names`, sorted.
    pub fn sockets_for<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        let mut out: BTreeSet<String> = BTreeSet::new();
        for n in names {
            if let Some(s) = self.by_service.get(n) {
                out.extend(s.iter().cloned());
            }
        }
        out.into_iter().collect()
    }

    /// Keep an accepted connection for its instance until it ends.
    pub fn hold(&mut self, conn: Connection) {
        self.connections.insert(conn.instance.clone(), conn);
    }

    pub fn connection(&self, instance: &str) -> Option<&Connection> {
        self.connections.get(instance)
    }

    /// The manager closes its copy of `instance`'s connection, keeping the
    /// record (the socket's connection counts) until [`Sockets::release`].
    pub fn close_connection(&mut self, instance: &str) {
        if let Some(c) = self.connections.get_mut(instance) {
            c.fd = None;
        }
    }

    /// The instance is done with its connection: it is closed here.
    pub fn release(&mut self, instance: &str) -> Option<Connection> {
        self.connections.remove(instance)
    }

    /// Live instances of a socket unit (its dynamic `Triggers=`).
    pub fn instances_of(&self, socket: &str) -> Vec<String> {
        let mut v: Vec<String> = self.connections.values().filter(|c| c.socket == socket).map(|c| c.instance.clone()).collect();
        v.sort();
        v
    }
}
