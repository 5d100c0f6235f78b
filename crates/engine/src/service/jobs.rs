//! The job a service holds, and the start limit.
//!
//! A job first *waits* until the unit is in a state it can act on, then
//! *runs*; it finishes when the unit reaches a state that settles it
//! (systemd's `job_run_and_invalidate()` and `unit_process_job()`):
//!
//! - start: done once active (at once if already active); failed if the
//!   unit fails while the job runs; done if it ends up inactive (a oneshot
//!   that ran and stopped), skipped if it ends up inactive because
//!   `ExecCondition=` said so (systemd's `unit_process_job()` with
//!   `UNIT_NOTIFY_SKIP_CONDITION`: a result other than done, so units
//!   requiring it fail with `dependency`). Waits while the unit is stopping
//!   or between automatic restarts.
//! - stop: done once inactive or failed (at once if already).
//! - reload: skipped without `ExecReload=`, invalid unless the service is
//!   up, waits while another reload runs; done or failed by the reload's
//!   own result once active again.
//! - restart: a stop; when the unit is down, it turns into a start with
//!   the same identity.
//!
//! The start limit (`systemd.unit(5)`, "StartLimitIntervalSec=,
//! StartLimitBurst=") counts every start that acts on a dead or failed
//! unit — manual or automatic — in a window that opens at the first start
//! and resets when a start comes later than the interval. The start after
//! `burst` starts in the window fails with `start-limit-hit` and is not
//! restarted. `reset-failed` clears the count.

use super::enter::KillState;
use super::params::ServiceType;
use super::types::{Action, ActiveState, JobKind, JobResult, LogLevel, Phase, ServiceResult, ServiceState};
use super::{Job, RateLimit, Service};

impl Service {
    /// A job event arrived. One of the same kind joins the job already
    /// held (one `JobDone` answers both); a restart also absorbs a start or
    /// a reload, since it ends with the service freshly started (systemd's
    /// job merge table folds these into one restart job). Anything else
    /// replaces the held job, which ends as canceled.
    pub(super) fn install_job(&mut self, kind: JobKind) {
        if let Some(old) = self.job {
            let joins = old.origin == kind
                || (old.origin == JobKind::Restart && matches!(kind, JobKind::Start | JobKind::Reload));
            if joins {
                return;
            }
            self.finish_job(JobResult::Canceled);
        }
        self.job = Some(Job { kind, origin: kind, running: false });
        self.job_retry = true;
    }

    pub(super) fn finish_job(&mut self, result: JobResult) {
        if let Some(job) = self.job.take() {
            self.out.push(Action::JobDone { job: job.origin, result });
        }
    }

    fn mark_job_running(&mut self) {
        if let Some(job) = self.job.as_mut() {
            job.running = true;
        }
    }

    /// Give a waiting job its chance after the state changed. Bounded: a
    /// restart whose stop half completes becomes a start that may act in
    /// the same step, nothing more.
    pub(super) fn run_waiting_job(&mut self) {
        for _ in 0..4 {
            if !self.job_retry {
                return;
            }
            self.job_retry = false;
            match self.job {
                Some(job) if !job.running => self.perform(job.kind),
                Some(_) | None => return,
            }
        }
    }

    fn perform(&mut self, kind: JobKind) {
        match kind {
            JobKind::Start => self.perform_start(),
            JobKind::Stop | JobKind::Restart => self.perform_stop(kind),
            JobKind::Reload => self.perform_reload(),
        }
    }

    fn perform_start(&mut self) {
        use ServiceState as S;
        if self.active_state().is_active_or_reloading() {
            self.finish_job(JobResult::Done);
            return;
        }
        match self.state {
            // Already on its way up (the idle variant counted as active above).
            S::Condition | S::StartPre | S::Start | S::StartPost => self.mark_job_running(),
            // Not now: a restart must pass through dead first, so that
            // dependencies see the unit go down; the start waits for it.
            S::Stop
            | S::StopWatchdog
            | S::StopSigterm
            | S::StopSigkill
            | S::StopPost
            | S::FinalWatchdog
            | S::FinalSigterm
            | S::FinalSigkill
            | S::AutoRestart => {}
            S::Dead | S::Failed => {
                self.mark_job_running();
                if self.start_limit_passes() {
                    self.begin_run();
                } else {
                    self.log(LogLevel::Warning, "Start request repeated too quickly.");
                    let action = self.params.start_limit.action;
                    if action != super::params::EmergencyAction::None {
                        self.out.push(Action::StartLimitAction(action));
                    }
                    self.enter_dead(ServiceResult::StartLimitHit, false);
                    self.finish_job(JobResult::Failed);
                }
            }
            S::Running | S::Exited | S::Reload => self.finish_job(JobResult::Done),
        }
    }

    /// A stop job, or the stop half of a restart.
    fn perform_stop(&mut self, kind: JobKind) {
        use ServiceState as S;
        match self.state {
            S::Dead | S::Failed => self.stop_half_done(kind),
            S::Stop
            | S::StopSigterm
            | S::StopSigkill
            | S::StopPost
            | S::FinalWatchdog
            | S::FinalSigterm
            | S::FinalSigkill => self.begin_stop(),
            S::AutoRestart => {
                self.begin_stop();
                self.set_state(S::Dead);
            }
            // Something is running that is not the finished service:
            // straight to the kill, ExecStop= is for services that came up.
            S::Condition | S::StartPre | S::Start | S::StartPost | S::Reload | S::StopWatchdog => {
                self.begin_stop();
                self.enter_signal(KillState::StopSigterm, ServiceResult::Success);
            }
            S::Running | S::Exited => {
                self.begin_stop();
                self.enter_stop(ServiceResult::Success);
            }
        }
    }

    fn begin_stop(&mut self) {
        self.mark_job_running();
        // Whatever happens next was asked for: no Restart= after it.
        self.forbid_restart = true;
    }

    fn stop_half_done(&mut self, kind: JobKind) {
        match kind {
            JobKind::Restart => self.turn_restart_into_start(),
            JobKind::Start | JobKind::Stop | JobKind::Reload => self.finish_job(JobResult::Done),
        }
    }

    fn turn_restart_into_start(&mut self) {
        if let Some(job) = self.job.as_mut() {
            job.kind = JobKind::Start;
            job.running = false;
            self.job_retry = true;
        }
    }

    fn perform_reload(&mut self) {
        use ServiceState as S;
        if self.params.commands.get(Phase::Reload).is_empty() {
            self.finish_job(JobResult::Skipped);
            return;
        }
        match self.state {
            S::Running | S::Exited => {
                self.mark_job_running();
                self.enter_reload();
            }
            S::Reload => {}
            // Type=idle counts as active while starting; let the reload wait
            // for the start to finish rather than interrupt it.
            S::Condition | S::StartPre | S::Start | S::StartPost
                if self.params.service_type == ServiceType::Idle => {}
            S::Dead
            | S::Condition
            | S::StartPre
            | S::Start
            | S::StartPost
            | S::Stop
            | S::StopWatchdog
            | S::StopSigterm
            | S::StopSigkill
            | S::StopPost
            | S::FinalWatchdog
            | S::FinalSigterm
            | S::FinalSigkill
            | S::Failed
            | S::AutoRestart => {
                self.log(LogLevel::Warning, "Unit cannot be reloaded because it is inactive.");
                self.finish_job(JobResult::Invalid);
            }
        }
    }

    /// The unit entered a state with active state `ns`: does that settle
    /// the job?
    pub(super) fn process_job(&mut self, ns: ActiveState) {
        let Some(job) = self.job else { return };
        if !job.running {
            self.job_retry = true;
        }
        match job.kind {
            JobKind::Start => {
                if ns.is_active_or_reloading() {
                    self.finish_job(JobResult::Done);
                } else if job.running && ns != ActiveState::Activating && ns.is_inactive_or_failed() {
                    let result = if ns == ActiveState::Failed {
                        JobResult::Failed
                    } else if self.result == ServiceResult::SkipCondition {
                        JobResult::Skipped
                    } else {
                        JobResult::Done
                    };
                    self.finish_job(result);
                }
            }
            JobKind::Reload => {
                if !job.running {
                    return;
                }
                if ns == ActiveState::Active {
                    let result = if self.reload_result == ServiceResult::Success {
                        JobResult::Done
                    } else {
                        JobResult::Failed
                    };
                    self.finish_job(result);
                } else if ns.is_inactive_or_failed() {
                    let result = if ns == ActiveState::Failed { JobResult::Failed } else { JobResult::Done };
                    self.finish_job(result);
                }
            }
            JobKind::Stop | JobKind::Restart => {
                if ns.is_inactive_or_failed() {
                    self.stop_half_done(job.kind);
                } else if job.running && ns != ActiveState::Deactivating {
                    self.finish_job(JobResult::Failed);
                }
            }
        }
    }

    /// systemd's `ratelimit_below()` on the start limit.
    fn start_limit_passes(&mut self) -> bool {
        let limit = self.params.start_limit;
        if limit.interval == 0 || limit.burst == 0 {
            return true;
        }
        let now = self.now;
        let begin = self.start_limit.begin;
        let window_open = begin != RateLimit::NOT_STARTED && now.saturating_sub(begin) <= limit.interval;
        if !window_open {
            self.start_limit = RateLimit { begin: now, num: 0 };
        }
        let passes = self.start_limit.num < limit.burst;
        self.start_limit.num = self.start_limit.num.saturating_add(1);
        passes
    }

    pub(super) fn reset_failed(&mut self) {
        if self.state == ServiceState::Failed {
            self.set_state(ServiceState::Dead);
        }
        self.result = ServiceResult::Success;
        self.reload_result = ServiceResult::Success;
        self.n_restarts = 0;
        self.flush_n_restarts = false;
        self.start_limit = RateLimit::default();
    }
}
