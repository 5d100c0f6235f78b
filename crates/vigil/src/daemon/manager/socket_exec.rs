//! Control commands of socket units (`systemd.socket(5)`: `ExecStartPre=`,
//! `ExecStartPost=`, `ExecStopPre=`, `ExecStopPost=`).
//!
//! A socket with commands does not start or stop at once: its job runs
//! through the phases below, one command at a time, each the next when the
//! previous exited successfully (or failed with the `-` prefix). The unit
//! shows the phase as its sub-state (`start-pre`…) and is `activating` or
//! `deactivating` meanwhile.
//!
//! | phase done | success | failure |
//! |---|---|---|
//! | `start-pre` | bind the ports → `start-post` (a bind error → `stop-pre`) | kill what is left → `failed` |
//! | `start-post` | watch the ports → `listening`, the start job is done | `stop-pre` |
//! | `stop-pre` | kill what is left, close the ports → `stop-post` | the same, result recorded |
//! | `stop-post` | kill what is left → `dead` (or `failed` if anything failed) | → `failed` |
//!
//! This is systemd's `socket_sigchld_event()` without its `*-sigterm`
//! states: vigil sends `SIGKILL` to whatever a phase left behind instead
//! of waiting. A command still running after `TimeoutSec=` (default 90 s)
//! fails the unit with `timeout`: it gets `SIGTERM`, `SIGKILL` after as long
//! again, and its exit moves on as a failure of its phase
//! (`socket_dispatch_timer()`). A start that fails after `start-pre` goes
//! through the stop phases, so `ExecStopPost=` can clean up; the start job
//! then fails with the unit `failed` and its result (`exit-code`,
//! `signal`, `core-dump`, `resources`).
//!
//! The commands run with the defaults of `systemd.exec(5)`: the execution
//! settings of a `[Socket]` section (`User=`, `Environment=`…) are not
//! applied by vigil yet, so a unit that sets a security-relevant one has
//! its commands refused (the phase fails with `resources`) rather than
//! run with more privileges than asked for.

use unit::directive::SectionKind;
use unit::value::{ExecCommand, Value};

use super::exec_plan::{self, SpawnContext};
use super::messages::status_ident;
use super::{FinishedJob, Manager, TimerOwner};
use crate::daemon::sockets::{Activation, Control, ControlStep, SocketResult};
use engine::service::LogLevel;
use proto::msg::JobVerb;

/// The commands of one phase, in order.
fn commands(cfg: &unit::config::UnitConfig, step: ControlStep) -> Vec<ExecCommand> {
    cfg.settings
        .get(SectionKind::Socket, step.directive())
        .iter()
        .flat_map(|a| match &a.value {
            Value::Exec(cmds) => cmds.clone(),
            _ => Vec::new(),
        })
        .collect()
}

impl Manager {
    /// Run command `index` of `step`, or finish the phase if there is none.
    pub(super) fn socket_step(&mut self, id: &str, step: ControlStep, index: usize) {
        let Some(cmd) = self.units.get(id).and_then(|u| commands(&u.cfg, step).into_iter().nth(index)) else {
            self.socket_step_done(id, step, SocketResult::Success);
            return;
        };
        match self.socket_spawn(id, &cmd) {
            Ok(pid) => {
                self.pids.insert(pid, self.units.name(id));
                self.socket_arm_timeout(id, pid);
                if let Some(s) = self.units.get_mut(id).and_then(|u| u.sock_mut()) {
                    s.enter_control(&mut self.sockets, step.state());
                    s.control = Some(Control { step, index, pid, terminated: false });
                }
            }
            Err(msg) => {
                self.log(id, LogLevel::Error, &format!("Failed to run '{}' task: {msg}", step.directive()));
                self.socket_step_done(id, step, SocketResult::Resources);
            }
        }
    }

    /// `TimeoutSec=` from now for control process `pid`.
    fn socket_arm_timeout(&mut self, id: &str, pid: u32) {
        let timeout = self.units.get(id).and_then(|u| u.sock()).map_or(0, |s| s.settings.timeout.0);
        if timeout == 0 || timeout == u64::MAX {
            return;
        }
        self.timer_seq += 1;
        let at = self.now().saturating_add(timeout);
        self.timers.insert((at, self.timer_seq), TimerOwner::SocketControl(id.to_string(), pid));
    }

    /// `TimeoutSec=` passed while control process `pid` still runs: the
    /// unit fails with `timeout`; the process gets `SIGTERM`, and `SIGKILL`
    /// if it is still there after another `TimeoutSec=`. Its exit then
    /// moves the machine on as a failure (`socket_dispatch_timer()`).
    pub(super) fn socket_control_timeout(&mut self, id: &str, pid: u32) {
        let Some(s) = self.sock_mut(id) else { return };
        let Some(c) = s.control.as_mut().filter(|c| c.pid == pid) else { return };
        let first = !c.terminated;
        c.terminated = true;
        let step = c.step;
        s.record(SocketResult::Timeout);
        let what = match step {
            ControlStep::StartPre | ControlStep::StartPost => "Starting",
            ControlStep::StopPre | ControlStep::StopPost => "Stopping",
        };
        let signal = if first { libc::SIGTERM } else { libc::SIGKILL };
        if first {
            self.log(id, LogLevel::Warning, &format!("{what} timed out. Terminating."));
            self.socket_arm_timeout(id, pid);
        } else {
            self.log(id, LogLevel::Warning, "Processes still around after SIGTERM. Killing.");
        }
        // SAFETY: kill(2) with plain integers.
        unsafe { libc::kill(pid as i32, signal) };
    }

    /// A process of socket unit `id` was reaped.
    pub(super) fn socket_child_exited(&mut self, id: &str, pid: u32, status: exec::ExitStatus) {
        let Some(c) = self.sock_mut(id).and_then(|s| s.control.filter(|c| c.pid == pid)) else { return };
        if let Some(s) = self.sock_mut(id) {
            s.control = None;
        }
        let ignore = self
            .units
            .get(id)
            .and_then(|u| commands(&u.cfg, c.step).into_iter().nth(c.index))
            .is_some_and(|cmd| cmd.flags.ignore_failure);
        let (result, how) = match status {
            exec::ExitStatus::Exited(0) => (SocketResult::Success, String::new()),
            exec::ExitStatus::Exited(code) => {
                let name = exec::exit_code_name(code).map(|(n, _)| n).unwrap_or("n/a");
                (SocketResult::ExitCode, format!("code=exited, status={code}/{name}"))
            }
            exec::ExitStatus::Killed { signal, core_dumped } => (
                if core_dumped { SocketResult::CoreDump } else { SocketResult::Signal },
                format!(
                    "code={}, status={signal}/{}",
                    if core_dumped { "dumped" } else { "killed" },
                    unit::value::signal::name_of(signal)
                ),
            ),
        };
        // A command that timed out fails its phase however it ended.
        if c.terminated {
            self.socket_step_done(id, c.step, SocketResult::Timeout);
            return;
        }
        if result == SocketResult::Success || ignore {
            self.socket_step(id, c.step, c.index + 1);
            return;
        }
        self.log(id, LogLevel::Warning, &format!("Control process exited, {how}"));
        self.socket_step_done(id, c.step, result);
    }

    /// A phase ended with `result`: on to the next (see the module table).
    fn socket_step_done(&mut self, id: &str, step: ControlStep, result: SocketResult) {
        let ok = result == SocketResult::Success;
        if !ok {
            if let Some(s) = self.sock_mut(id) {
                s.record(result);
            }
        }
        match (step, ok) {
            (ControlStep::StartPre, true) => {
                let mut log = Vec::new();
                let opened = self.sock_mut(id).map(|s| s.open(&mut log));
                for l in log {
                    self.say(id, &format!("{id}: {l}"));
                }
                match opened {
                    Some(Ok(())) => self.socket_step(id, ControlStep::StartPost, 0),
                    Some(Err(r)) => {
                        if let Some(s) = self.sock_mut(id) {
                            s.record(r);
                        }
                        self.socket_step(id, ControlStep::StopPre, 0);
                    }
                    None => {}
                }
            }
            (ControlStep::StartPre, false) => self.socket_finish(id),
            (ControlStep::StartPost, true) => {
                let watched = match self.units.get_mut(id).and_then(|u| u.sock_mut()) {
                    Some(s) => s.enter_listening(&mut self.sockets),
                    None => return,
                };
                match watched {
                    Ok(()) => {
                        if let Some(s) = self.sock_mut(id) {
                            s.starting = false;
                        }
                        let desc = self.units.get(id).map(|u| status_ident(&u.cfg)).unwrap_or_default();
                        self.console(&format!("Listening on {desc}."));
                        self.socket_job_done(id, "done");
                    }
                    Err(e) => {
                        self.console(&format!("{id}: Failed to watch sockets: {e}"));
                        if let Some(s) = self.sock_mut(id) {
                            s.record(SocketResult::Resources);
                        }
                        self.socket_step(id, ControlStep::StopPre, 0);
                    }
                }
            }
            (ControlStep::StartPost, false) => self.socket_step(id, ControlStep::StopPre, 0),
            (ControlStep::StopPre, _) => {
                self.socket_kill_rest(id);
                if let Some(u) = self.units.get_mut(id) {
                    if let Some(s) = u.sock_mut() {
                        s.close_ports(&mut self.sockets);
                    }
                }
                self.socket_step(id, ControlStep::StopPost, 0);
            }
            (ControlStep::StopPost, _) => self.socket_finish(id),
        }
    }

    /// The last phase is over: `dead` or `failed`, and the job's answer.
    fn socket_finish(&mut self, id: &str) {
        self.socket_kill_rest(id);
        let Some(u) = self.units.get_mut(id) else { return };
        let desc = status_ident(&u.cfg);
        let Some(s) = u.sock_mut() else { return };
        let result = s.finish(&mut self.sockets);
        let starting = std::mem::take(&mut s.starting);
        u.invocation_id.clear();
        self.release(id, false);
        self.gc.queue(id);
        if result != SocketResult::Success {
            self.say(id, &format!("{id}: Failed with result '{}'.", result.as_str()));
        }
        if starting {
            self.console(&format!("Failed to listen on {desc}."));
            self.socket_job_done(id, "failed");
            return;
        }
        self.console(&format!("Closed {desc}."));
        if self.units.get(id).is_some_and(|u| u.job.is_some_and(|(_, v)| v != JobVerb::Stop)) {
            self.socket_restart_stopped(id);
        } else {
            self.socket_job_done(id, "done");
        }
    }

    /// The stop half of a restart is over: start again, and answer the
    /// job if that finished at once.
    pub(super) fn socket_restart_stopped(&mut self, id: &str) {
        if let Some(result) = self.socket_start(id) {
            self.socket_job_done(id, result);
        }
    }

    /// Answer the job that ran the commands: a transaction job, or a
    /// restart held by the unit.
    fn socket_job_done(&mut self, id: &str, result: &'static str) {
        self.gc.queue(id);
        if self.jobs.get(id).is_some_and(|j| j.running) {
            self.complete(id, result);
        } else if let Some((job_id, verb)) = self.units.get_mut(id).and_then(|u| u.job.take()) {
            self.finished.push(FinishedJob { id: job_id, unit: id.to_string(), verb, result });
        }
    }

    /// Processes a phase left behind are killed (systemd would send
    /// `SIGTERM` and wait first).
    fn socket_kill_rest(&mut self, id: &str) {
        if self.cgroups.base().is_some() {
            self.cgroups.kill(id, libc::SIGKILL, false, &[]);
        }
    }

    /// Spawn one command of a socket unit with the execution defaults.
    fn socket_spawn(&mut self, id: &str, cmd: &ExecCommand) -> Result<u32, String> {
        let u = self.units.get(id).ok_or("unit vanished")?;
        if let Some((d, _)) = u.cfg.unsupported.iter().find(|(d, _)| d.security && d.section == SectionKind::Socket) {
            return Err(format!("{}= of socket units is not applied by vigil yet, refusing to run the command", d.name));
        }
        let cgroup = if u.in_cgroup { self.cgroups.path(id) } else { self.cgroups.create(id) };
        let stream = if exec_plan::wants_journal(&u.cfg) {
            let (ident, prio, prefix) = exec_plan::journal_identity(&u.cfg, cmd);
            self.journal.stream(&ident, id, &u.invocation_id, prio, prefix)
        } else {
            None
        };
        let activation = Activation::default();
        let ctx = SpawnContext {
            journal: stream.as_ref().map(std::os::fd::AsRawFd::as_raw_fd),
            invocation_id: &u.invocation_id,
            notify_socket: None,
            main_pid: None,
            watchdog_usec: None,
            exit_info: None,
            cgroup: cgroup.clone(),
            manager_env: &self.environment,
            activation: &activation,
            dirs: &self.dir_bases,
            sandbox: &self.sandbox_base,
        };
        let mut plan = exec_plan::build(&u.cfg, cmd, &ctx).map_err(|e| e.0)?;
        if let Some(u) = self.units.get_mut(id) {
            u.in_cgroup = cgroup.is_some();
        }
        // Open until the spawn below has returned.
        let group_dir = self.cgroups.open_dir_for(&mut plan, id);
        let prepared = plan.prepare().map_err(|e| format!("Failed to set up process: {e}"))?;
        // Held messages: as before every fork (`journal_link.rs`).
        self.journal.before_fork();
        let spawned = exec::spawn(&prepared);
        drop(group_dir);
        // The child is in the group now: watched from here (`cgroup.rs`).
        self.cgroups.watch(self.units.name(id));
        match spawned {
            Ok(child) => Ok(child.pid as u32),
            // The child exists and exits with the step's code (203/EXEC…).
            Err(e) => match e.pid() {
                Some(pid) => {
                    self.log(id, LogLevel::Error, &e.to_string());
                    Ok(pid as u32)
                }
                None => Err(e.to_string()),
            },
        }
    }
}
