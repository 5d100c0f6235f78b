//! Control connections: bytes in, requests handled, responses out.
//!
//! Each connection is a small state machine — `greeted` false until a
//! compatible `Hello`, then requests in order — over a non-blocking
//! socket. Anything a peer sends that we cannot use (bad framing, an
//! oversized frame, JSON that is not a request, a request before `Hello`)
//! gets an `Error` reply naming the problem and the connection is closed;
//! the manager itself never notices beyond that.
//!
//! Authorisation (`SO_PEERCRED`, taken once at accept): root and the
//! manager's own user may do everything; anybody else may only read
//! (`Hello`, `Ping`, `Show`, `ListUnits`, `ListJobs`, `ShowEnvironment`,
//! `IsSystemRunning`, `ListSockets`, `Dependencies`) and gets "Access
//! denied" for the rest, as systemd's polkit-less default answers.
//!
//! A `Bye` (the CLI sends it in the same write as its last request)
//! closes the connection once the answers before it are out: the client
//! then needs no answer to its own close, and the manager no wake-up.
//!
//! `Shutdown` of every kind stops all units in reverse order and then
//! ends the manager: `exit` with its code; `halt`, `poweroff` and
//! `reboot` with 0, as `vigil init` answers SIGRTMIN+3/+4/+5 (vigil does
//! not power off or reboot a machine).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
use proto::frame::{encode_into, encode_properties_into, Decoder};
use proto::msg::ShutdownKind;
use proto::{ErrorKind, ProtoError, Request, Response, PROTOCOL_VERSION};

use super::event_loop::EventLoop;
use super::manager::Ending;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Close,
}

pub struct Conn {
    pub stream: UnixStream,
    dec: Decoder,
    out: Vec<u8>,
    peer_uid: u32,
    greeted: bool,
    /// Whether the connection's epoll registration includes `EPOLLOUT`:
    /// the event loop changes it only when [`Conn::wants_write`] differs,
    /// so a request answered at once costs no `epoll_ctl`.
    pub out_armed: bool,
}

/// The manager's pid for `Hello` replies, asked of the kernel once (every
/// `systemctl` call begins with a `Hello`).
fn own_pid() -> u32 {
    static PID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *PID.get_or_init(std::process::id)
}

impl Conn {
    /// A freshly accepted connection; `stream` must already be
    /// non-blocking (the event loop accepts with `SOCK_NONBLOCK`).
    pub fn new(stream: UnixStream) -> std::io::Result<Conn> {
        let cred = getsockopt(&stream, PeerCredentials).map_err(std::io::Error::from)?;
        Ok(Conn {
            stream,
            dec: Decoder::new(),
            out: Vec::new(),
            peer_uid: cred.uid(),
            greeted: false,
            out_armed: false,
        })
    }

    pub fn wants_write(&self) -> bool {
        !self.out.is_empty()
    }

    fn queue(&mut self, resp: &Response) {
        // Only an over-limit reply can fail to encode; say so instead.
        if let Err(e) = encode_into(&mut self.out, resp) {
            let err = Response::Error { kind: ErrorKind::Internal, message: e.to_string() };
            let _ = encode_into(&mut self.out, &err);
        }
    }

    /// A `Properties` answer, written straight from the manager's pairs
    /// (`encode_properties_into`: the bytes of `Response::Properties`
    /// without building one).
    fn queue_properties(&mut self, unit: &str, props: &[super::manager::props::Prop]) {
        if let Err(e) = encode_properties_into(&mut self.out, unit, props) {
            let err = Response::Error { kind: ErrorKind::Internal, message: e.to_string() };
            let _ = encode_into(&mut self.out, &err);
        }
    }

    /// Write as much of the queue as the socket takes now.
    pub fn flush(&mut self) -> Flow {
        while !self.out.is_empty() {
            match self.stream.write(&self.out) {
                Ok(0) => return Flow::Close,
                Ok(n) => {
                    self.out.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return Flow::Close,
            }
        }
        Flow::Continue
    }

    /// Last words before closing: give a slow reader a short grace period.
    pub fn flush_blocking(&mut self) {
        // What the socket takes at once needs no switch to blocking mode
        // and no timeout (two syscalls): the usual case, a short answer
        // followed by the client's `Bye`.
        if self.flush() == Flow::Close || self.out.is_empty() {
            self.out.clear();
            return;
        }
        let _ = self.stream.set_nonblocking(false);
        let _ = self.stream.set_write_timeout(Some(Duration::from_millis(200)));
        let _ = self.stream.write_all(&self.out);
        self.out.clear();
    }

    pub fn read_and_handle(&mut self, el: &mut EventLoop, token: u64) -> Flow {
        let mut eof = false;
        loop {
            // The manager has one thread: one scratch buffer, zeroed once,
            // instead of 8 KiB cleared on the stack at every read (a
            // quarter of the manager's instructions per `is-active`).
            thread_local! {
                static BUF: std::cell::RefCell<[u8; 8192]> = const { std::cell::RefCell::new([0; 8192]) };
            }
            let got = BUF.with_borrow_mut(|buf| {
                let r = self.stream.read(buf);
                if let Ok(n) = r {
                    self.dec.push(buf.get(..n).unwrap_or_default());
                }
                r.map(|n| (n, n < buf.len()))
            });
            match got {
                Ok((0, _)) => {
                    eof = true;
                    break;
                }
                Ok((_, short)) => {
                    // A short read emptied the socket's queue: asking
                    // again would only return EAGAIN (epoll is
                    // level-triggered, so later bytes wake us again).
                    if short {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return Flow::Close,
            }
        }
        loop {
            let payload = match self.dec.next_frame() {
                Ok(Some(p)) => p,
                Ok(None) => break,
                Err(e) => return self.fail(ErrorKind::InvalidRequest, e),
            };
            let req = match Request::from_json(&payload) {
                Ok(r) => r,
                Err(e) => return self.fail(ErrorKind::InvalidRequest, ProtoError::Malformed(e.to_string())),
            };
            if self.handle(req, el, token) == Flow::Close {
                return Flow::Close;
            }
        }
        if eof {
            return Flow::Close;
        }
        self.flush()
    }

    fn fail(&mut self, kind: ErrorKind, e: ProtoError) -> Flow {
        self.queue(&Response::Error { kind, message: e.to_string() });
        Flow::Close
    }

    fn may_modify(&self) -> bool {
        self.peer_uid == 0 || self.peer_uid == nix::unistd::getuid().as_raw()
    }

    /// A job this connection waits for has finished.
    pub fn job_finished(&mut self, job: &super::manager::FinishedJob, last: bool) {
        self.queue(&Response::JobDone { id: job.id, unit: job.unit.clone(), verb: job.verb, result: job.result.to_string() });
        if last {
            self.queue(&Response::End);
        }
    }

    /// `Ok` or the error, for requests with nothing else to say.
    fn answer(&mut self, res: Result<(), (ErrorKind, String)>) {
        match res {
            Ok(()) => self.queue(&Response::Ok),
            Err((kind, message)) => self.queue(&Response::Error { kind, message }),
        }
    }

    fn handle(&mut self, req: Request, el: &mut EventLoop, token: u64) -> Flow {
        if !self.greeted {
            return match req {
                Request::Hello { version, .. } => {
                    self.queue(&Response::Hello {
                        version: PROTOCOL_VERSION,
                        server: format!("vigil {}", env!("CARGO_PKG_VERSION")),
                        pid: own_pid(),
                    });
                    if version == PROTOCOL_VERSION {
                        self.greeted = true;
                        Flow::Continue
                    } else {
                        Flow::Close
                    }
                }
                _ => {
                    self.queue(&Response::Error {
                        kind: ErrorKind::Version,
                        message: "the first message must be Hello".into(),
                    });
                    Flow::Close
                }
            };
        }
        let read_only = matches!(
            req,
            Request::Hello { .. }
                | Request::Ping
                | Request::Show { .. }
                | Request::ListUnits { .. }
                | Request::ListJobs
                | Request::ShowEnvironment
                | Request::IsSystemRunning
                | Request::ListSockets { .. }
                | Request::Dependencies { .. }
                | Request::Bye
        );
        if !read_only && !self.may_modify() {
            self.queue(&Response::Error {
                kind: ErrorKind::AccessDenied,
                message: "Access denied".into(),
            });
            return Flow::Continue;
        }
        match req {
            Request::Hello { .. } => {
                self.queue(&Response::Error {
                    kind: ErrorKind::InvalidRequest,
                    message: "Hello was already received".into(),
                });
            }
            Request::Ping => self.queue(&Response::Pong),
            // What the client's close would say, one wake-up earlier: the
            // answers queued so far go out, then the connection closes
            // (requests after it in the same read are not looked at).
            Request::Bye => return Flow::Close,
            Request::IsSystemRunning => {
                self.queue(&Response::SystemState { state: el.system_state().into() });
            }
            Request::Job { verb, units, mode, wait } => {
                let mut queued = Vec::new();
                el.manager.begin_batch();
                for u in &units {
                    match el.manager.job_mode(u, verb, mode) {
                        Ok(q) => queued.push(q),
                        Err((kind, message)) => {
                            el.manager.end_batch();
                            self.queue(&Response::Error { kind, message });
                            return Flow::Continue;
                        }
                    }
                }
                el.manager.end_batch();
                for (id, unit) in queued {
                    self.queue(&Response::JobQueued { id, unit, verb });
                    if wait {
                        el.waiters.insert(id, token);
                    }
                }
                if !wait {
                    self.queue(&Response::End);
                }
            }
            // No unit: the manager's own properties (`show_manager.rs`).
            Request::Show { units, properties, .. } if units.is_empty() => {
                let props = el.manager.manager_properties(&properties, el.system_state());
                self.queue_properties("", &props);
                self.queue(&Response::End);
            }
            Request::Show { units, properties, all: _, brief } => {
                for name in &units {
                    let props = match el.manager.unit_id(name) {
                        Ok(id) => el.manager.unit_properties(&id, &properties, brief),
                        Err(message) => {
                            self.queue(&Response::Error { kind: ErrorKind::InvalidRequest, message });
                            return Flow::Continue;
                        }
                    };
                    // Only the names asked for, in the manager's order:
                    // systemctl 252 prints a unit's properties in the bus's
                    // order whatever the order of its `-p`s, and nothing
                    // for a name the unit does not have (checked against
                    // the oracle). One that occurs more than once (Listen)
                    // is sent once per value.
                    let props = if properties.is_empty() {
                        props
                    } else {
                        props.into_iter().filter(|(k, _)| properties.iter().any(|p| p == k)).collect()
                    };
                    self.queue_properties(name, &props);
                }
                self.queue(&Response::End);
            }
            Request::ListUnits { .. } => {
                let mut rows: Vec<proto::msg::UnitRow> = el
                    .manager
                    .units()
                    .map(|(id, u)| proto::msg::UnitRow {
                        name: id.to_string(),
                        load: u.cfg.load_state.as_str().into(),
                        active: u.active_state().into(),
                        sub: u.sub_state().into(),
                        description: super::manager::describe(&u.cfg),
                        job: None,
                    })
                    .collect();
                for r in &mut rows {
                    r.job = el.manager.unit_job(&r.name);
                }
                rows.sort_by(|a, b| a.name.cmp(&b.name));
                self.queue(&Response::Units { units: rows });
            }
            Request::DaemonReload => {
                el.manager.daemon_reload();
                self.queue(&Response::Ok);
            }
            Request::Shutdown { kind, code } => {
                // `systemctl exit N` sets the exit status; halt, poweroff
                // and reboot leave with the one actions may have set.
                let code = if kind == ShutdownKind::Exit { code } else { el.manager.return_value };
                el.manager.request_ending(Ending::new(kind, code));
                self.queue(&Response::Ok);
            }
            Request::Kill { units, whom, signal } => {
                let res = units.iter().try_for_each(|u| el.manager.kill_unit(u, whom, signal));
                self.answer(res);
            }
            Request::ResetFailed { units } => {
                let res = if units.is_empty() {
                    el.manager.reset_failed(None)
                } else {
                    units.iter().try_for_each(|u| el.manager.reset_failed(Some(u)))
                };
                self.answer(res);
            }
            Request::ListJobs => {
                let jobs = el.manager.job_rows();
                self.queue(&Response::Jobs { jobs });
            }
            Request::CancelJobs { ids } => {
                let res = el.manager.cancel_jobs(&ids);
                self.answer(res);
            }
            Request::ShowEnvironment => {
                let assignments = el.manager.environment_block();
                self.queue(&Response::Environment { assignments });
            }
            Request::SetEnvironment { assignments } => {
                let res = el.manager.set_environment(&assignments);
                self.answer(res);
            }
            Request::UnsetEnvironment { names } => {
                let res = el.manager.unset_environment(&names);
                self.answer(res);
            }
            Request::ListSockets { all } => {
                let sockets = el.manager.socket_list(all);
                self.queue(&Response::Sockets { sockets });
            }
            Request::Dependencies { unit, direction } => match el.manager.dependencies(&unit, direction) {
                Ok(deps) => self.queue(&Response::Dependencies { unit, deps }),
                Err((kind, message)) => self.queue(&Response::Error { kind, message }),
            },
        }
        Flow::Continue
    }
}
