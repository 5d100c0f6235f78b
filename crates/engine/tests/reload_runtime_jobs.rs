//! Reloads, `RuntimeMaxSec=`, `reset-failed`, and how jobs end.

mod common;
use common::*;

use engine::service::{
    Action, ActiveState, CommandParams, Event, JobKind, JobResult, KillTarget, OomPolicy, Phase, Role,
    ServiceParams, ServiceResult, ServiceState as S, ServiceType, TimerKind,
};

fn reloadable() -> ServiceParams {
    let mut p = ServiceParams::default();
    p.commands.set(engine::service::Phase::Reload, vec![CommandParams::PLAIN]);
    p.timeout_start = Some(10 * SEC);
    p
}

fn running(p: ServiceParams) -> World {
    let mut w = World::new(p);
    w.send(Event::Start);
    assert_eq!(w.state(), S::Running);
    w
}

#[test]
fn reload_runs_exec_reload() {
    let mut w = running(reloadable());
    let main = w.main_pid();
    let a = w.send(Event::Reload);
    assert_eq!(spawns(&a), vec![(Phase::Reload, 0, Role::Control)]);
    assert_eq!(w.svc.active_state(), ActiveState::Reloading);
    let a = w.exit_control(exited(0));
    assert_eq!(path(&a), vec![S::Reload, S::Running]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Reload, JobResult::Done)]);
    assert_eq!(w.svc.main_pid(), Some(main));
}

#[test]
fn failed_reload_fails_the_job_not_the_service() {
    let mut w = running(reloadable());
    w.send(Event::Reload);
    let a = w.exit_control(exited(1));
    assert_eq!(w.state(), S::Running);
    assert_eq!(jobs_done(&a), vec![(JobKind::Reload, JobResult::Failed)]);
    assert_eq!(w.svc.reload_result(), ServiceResult::ExitCode);
    assert_eq!(w.svc.result(), ServiceResult::Success);
    // The next reload starts afresh.
    w.send(Event::Reload);
    let a = w.exit_control(exited(0));
    assert_eq!(jobs_done(&a), vec![(JobKind::Reload, JobResult::Done)]);
}

#[test]
fn reload_timeout_kills_the_reload_process() {
    let mut w = running(reloadable());
    w.send(Event::Reload);
    let control = w.control_pid();
    let a = w.advance(10 * SEC);
    assert!(has_log(&a, "Reload operation timed out. Killing reload process."));
    assert_eq!(kills(&a), vec![(KillTarget::Control(control), SIGKILL)]);
    assert_eq!(w.state(), S::Running);
    assert_eq!(jobs_done(&a), vec![(JobKind::Reload, JobResult::Failed)]);
    // Its late exit changes nothing.
    let a = w.exit(control, killed(SIGKILL));
    assert!(a.is_empty());
}

#[test]
fn reload_without_exec_reload_is_skipped() {
    let mut w = running(ServiceParams::default());
    let a = w.send(Event::Reload);
    assert_eq!(jobs_done(&a), vec![(JobKind::Reload, JobResult::Skipped)]);
    assert!(transitions(&a).is_empty());
}

#[test]
fn reload_of_an_inactive_unit_is_invalid() {
    let mut w = World::new(reloadable());
    let a = w.send(Event::Reload);
    assert!(has_log(&a, "Unit cannot be reloaded because it is inactive."));
    assert_eq!(jobs_done(&a), vec![(JobKind::Reload, JobResult::Invalid)]);
}

#[test]
fn reload_during_a_reload_joins_it() {
    let mut p = reloadable();
    p.commands.set(engine::service::Phase::Reload, vec![CommandParams::PLAIN, CommandParams::PLAIN]);
    let mut w = running(p);
    w.send(Event::Reload);
    assert!(w.send(Event::Reload).is_empty());
    let a = w.exit_control(exited(0));
    assert_eq!(spawns(&a), vec![(Phase::Reload, 1, Role::Control)]);
    let a = w.exit_control(exited(0));
    assert_eq!(jobs_done(&a), vec![(JobKind::Reload, JobResult::Done)]);
}

#[test]
fn main_exit_during_reload_waits_for_the_reload_process() {
    let mut w = running(reloadable());
    w.send(Event::Reload);
    let a = w.exit_main(exited(0));
    assert!(transitions(&a).is_empty());
    let a = w.exit_control(exited(0));
    // Back to "running", which finds nothing running and stops.
    assert_eq!(path(&a), vec![S::Reload, S::Dead]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Reload, JobResult::Done)]);
}

#[test]
fn forking_reload_rereads_the_pid_file() {
    let mut p = reloadable();
    p.service_type = ServiceType::Forking;
    p.pid_file = true;
    let mut w = World::new(p);
    w.send(Event::Start);
    let old = w.fork();
    w.pid_file = Some(old);
    w.exit_control(exited(0));
    assert_eq!(w.svc.main_pid(), Some(old));
    w.send(Event::Reload);
    let new = w.fork();
    w.pid_file = Some(new);
    let a = w.exit_control(exited(0));
    assert!(a.contains(&Action::ReadPidFile));
    assert!(a.contains(&Action::SetMainPid(new)));
    assert_eq!(w.svc.main_pid(), Some(new));
    assert_eq!(w.state(), S::Running);
}

#[test]
fn runtime_max_stops_the_service_with_timeout() {
    let mut p = ServiceParams { runtime_max: Some(30 * SEC), ..ServiceParams::default() };
    p.commands.set(engine::service::Phase::StartPost, vec![CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    w.advance(5 * SEC);
    w.exit_control(exited(0));
    // Counted from when the unit became active, not from the fork.
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 30 * SEC));
    let a = w.advance(30 * SEC);
    assert!(has_log(&a, "Service reached runtime time limit. Stopping."));
    assert_eq!(w.state(), S::StopSigterm);
    let a = w.exit_main(killed(SIGTERM));
    assert!(has_log(&a, "Failed with result 'timeout'."));
    assert_eq!(w.svc.result(), ServiceResult::Timeout);
}

#[test]
fn runtime_max_survives_a_reload() {
    let mut p = reloadable();
    p.runtime_max = Some(30 * SEC);
    let mut w = running(p);
    let start = w.now;
    w.advance(10 * SEC);
    w.send(Event::Reload);
    w.exit_control(exited(0));
    assert_eq!(w.deadline(TimerKind::State), Some(start + 30 * SEC));
}

#[test]
fn runtime_max_does_not_apply_to_exited() {
    let p = ServiceParams {
        service_type: ServiceType::Oneshot,
        remain_after_exit: true,
        runtime_max: Some(SEC),
        ..ServiceParams::default()
    };
    let mut w = World::new(p);
    w.send(Event::Start);
    w.exit_main(exited(0));
    assert_eq!(w.state(), S::Exited);
    assert!(w.advance(10 * SEC).is_empty());
}

#[test]
fn reset_failed_turns_failed_into_dead() {
    let mut w = running(ServiceParams::default());
    w.exit_main(exited(1));
    assert_eq!(w.state(), S::Failed);
    let a = w.send(Event::ResetFailed);
    assert_eq!(path(&a), vec![S::Failed, S::Dead]);
    assert_eq!(w.svc.result(), ServiceResult::Success);
    assert_eq!(w.svc.active_state(), ActiveState::Inactive);
    // On a running unit it only clears counters.
    let mut w = running(ServiceParams::default());
    assert!(w.send(Event::ResetFailed).is_empty());
    assert_eq!(w.state(), S::Running);
}

#[test]
fn start_is_canceled_by_a_stop() {
    let p = ServiceParams {
        service_type: ServiceType::Notify,
        notify_access: engine::service::NotifyAccess::Main,
        ..ServiceParams::default()
    };
    let mut w = World::new(p);
    w.send(Event::Start);
    let a = w.send(Event::Stop);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Canceled)]);
    let a = w.exit_main(killed(SIGTERM));
    assert_eq!(jobs_done(&a), vec![(JobKind::Stop, JobResult::Done)]);
    assert_eq!(w.state(), S::Dead);
}

#[test]
fn start_while_stopping_waits_then_starts() {
    let mut w = running(ServiceParams::default());
    w.send(Event::Stop);
    let a = w.send(Event::Start);
    assert_eq!(jobs_done(&a), vec![(JobKind::Stop, JobResult::Canceled)]);
    assert_eq!(w.state(), S::StopSigterm);
    let a = w.exit_main(killed(SIGTERM));
    assert_eq!(path(&a), vec![S::StopSigterm, S::Dead, S::Running]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
}

#[test]
fn restart_of_an_inactive_unit_just_starts_it() {
    let mut w = World::new(ServiceParams::default());
    let a = w.send(Event::Restart);
    assert_eq!(path(&a), vec![S::Dead, S::Running]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Restart, JobResult::Done)]);
}

#[test]
fn restart_that_fails_to_start_reports_failed() {
    let mut p = ServiceParams::default();
    p.commands.set(engine::service::Phase::StartPre, vec![CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    w.exit_control(exited(0));
    w.send(Event::Restart);
    w.exit_main(killed(SIGTERM));
    let a = w.exit_control(exited(1));
    assert_eq!(jobs_done(&a), vec![(JobKind::Restart, JobResult::Failed)]);
}

#[test]
fn oom_kill_follows_oom_policy() {
    for (policy, state, result) in [
        (OomPolicy::Stop, S::StopSigterm, ServiceResult::OomKill),
        (OomPolicy::Kill, S::StopSigkill, ServiceResult::OomKill),
        (OomPolicy::Continue, S::Running, ServiceResult::Success),
    ] {
        let p = ServiceParams { oom_policy: policy, ..ServiceParams::default() };
        let mut w = running(p);
        let a = w.send(Event::OomKilled);
        assert!(has_log(&a, "A process of this unit has been killed by the OOM killer."));
        assert_eq!(w.state(), state, "{policy:?}");
        assert_eq!(w.svc.result(), result, "{policy:?}");
    }
}

#[test]
fn the_clock_going_backwards_does_not_pull_deadlines_in() {
    let p = ServiceParams { runtime_max: Some(10 * SEC), ..ServiceParams::default() };
    let mut w = World::new(p);
    let t = w.now;
    w.svc.handle(t, Event::Start);
    let actions = w.svc.handle(t - 5 * SEC, Event::Spawned { role: Role::Main, pid: 999 });
    assert!(actions.is_empty());
    assert_eq!(w.svc.timer_deadline(), Some(t + 10 * SEC));
}
