//! Starts that go wrong: failing and `-`-prefixed `ExecStartPre=`,
//! `ExecCondition=`, start timeouts and their failure modes, fork
//! failures, left-over processes.

mod common;
use common::*;

use engine::service::{
    CommandParams, Event, JobKind, JobResult, KillTarget, Phase, Role, ServiceParams, ServiceResult,
    ServiceState as S, ServiceType, TimeoutFailureMode, TimerKind,
};

fn with_pre(pre: Vec<CommandParams>) -> ServiceParams {
    let mut p = ServiceParams::default();
    p.commands.set(engine::service::Phase::StartPre, pre);
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN]);
    p.commands.set(engine::service::Phase::StopPost, vec![CommandParams::PLAIN]);
    p.timeout_start = Some(10 * SEC);
    p
}

#[test]
fn start_pre_failure_fails_the_start_and_runs_only_stop_post() {
    let mut w = World::new(with_pre(vec![CommandParams::PLAIN, CommandParams::PLAIN]));
    w.send(Event::Start);
    let a = w.exit_control(exited(1));
    assert!(has_log(&a, "Control process exited, code=exited, status=1/FAILURE"));
    // Neither the second ExecStartPre=, nor ExecStart=, nor ExecStop=.
    assert_eq!(spawns(&a), vec![(Phase::StopPost, 0, Role::Control)]);
    let a = w.exit_control(exited(0));
    assert!(has_log(&a, "Failed with result 'exit-code'."));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Failed)]);
    assert_eq!(path(&w.trace), vec![S::Dead, S::StartPre, S::StopPost, S::Failed]);
}

#[test]
fn dash_prefixed_start_pre_failure_is_ignored() {
    let mut w = World::new(with_pre(vec![CommandParams::IGNORE_FAILURE, CommandParams::PLAIN]));
    w.send(Event::Start);
    let a = w.exit_control(exited(1));
    assert!(has_log(&a, "Control process exited, code=exited, status=1/FAILURE (success)"));
    assert_eq!(spawns(&a), vec![(Phase::StartPre, 1, Role::Control)]);
    let a = w.exit_control(exited(0));
    assert_eq!(spawns(&a), vec![(Phase::Start, 0, Role::Main)]);
    assert_eq!(w.state(), S::Running);
    assert_eq!(w.svc.result(), ServiceResult::Success);
}

#[test]
fn dash_prefix_also_excuses_a_signal() {
    let mut w = World::new(with_pre(vec![CommandParams::IGNORE_FAILURE]));
    w.send(Event::Start);
    w.exit_control(dumped(SIGSEGV));
    assert_eq!(w.state(), S::Running);
}

#[test]
fn start_pre_killed_by_a_signal_is_a_signal_failure() {
    let mut w = World::new(with_pre(vec![CommandParams::PLAIN]));
    w.send(Event::Start);
    let a = w.exit_control(killed(SIGKILL));
    assert!(has_log(&a, "Control process exited, code=killed, status=9/KILL"));
    w.exit_control(exited(0));
    assert_eq!(w.svc.result(), ServiceResult::Signal);
}

#[test]
fn exec_condition_outcomes() {
    // (exit status, prefix, final state, result)
    let cases = [
        (exited(0), false, S::Running, ServiceResult::Success),
        (exited(1), false, S::Dead, ServiceResult::SkipCondition),
        (exited(254), false, S::Dead, ServiceResult::SkipCondition),
        (exited(255), false, S::Failed, ServiceResult::ExitCode),
        (killed(SIGTERM), false, S::Failed, ServiceResult::Signal),
        (exited(255), true, S::Running, ServiceResult::Success),
    ];
    for (status, dash, state, result) in cases {
        let mut p = ServiceParams::default();
        p.commands.set(engine::service::Phase::Condition, vec![if dash { CommandParams::IGNORE_FAILURE } else { CommandParams::PLAIN }]);
        p.commands.set(engine::service::Phase::StopPost, vec![CommandParams::PLAIN]);
        let mut w = World::new(p);
        let a = w.send(Event::Start);
        assert_eq!(spawns(&a), vec![(Phase::Condition, 0, Role::Control)]);
        assert_eq!(w.state(), S::Condition);
        w.exit_control(status);
        if state != S::Running {
            // ExecStopPost= runs after a skip or failure of the condition.
            assert_eq!(w.state(), S::StopPost, "{status:?}");
            w.exit_control(exited(0));
        }
        assert_eq!(w.state(), state, "{status:?} dash={dash}");
        assert_eq!(w.svc.result(), result, "{status:?} dash={dash}");
        let expected_job = match (state, result) {
            (S::Failed, _) => JobResult::Failed,
            (_, ServiceResult::SkipCondition) => JobResult::Skipped,
            _ => JobResult::Done,
        };
        assert_eq!(jobs_done(&w.trace), vec![(JobKind::Start, expected_job)], "{status:?}");
    }
}

#[test]
fn start_timeout_terminates_by_default() {
    let mut w = World::new(with_pre(vec![CommandParams::PLAIN]));
    w.send(Event::Start);
    let control = w.control_pid();
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 10 * SEC));
    let a = w.advance(10 * SEC);
    assert!(has_log(&a, "start-pre operation timed out. Terminating."));
    assert_eq!(kills(&a), vec![(KillTarget::Control(control), SIGTERM), (KillTarget::Group, SIGTERM)]);
    assert_eq!(w.state(), S::StopSigterm);
    w.exit_control(killed(SIGTERM));
    w.exit_control(exited(0));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::Timeout);
}

#[test]
fn start_timeout_failure_modes() {
    for (mode, state, signal, message) in [
        (TimeoutFailureMode::Abort, S::StopWatchdog, SIGABRT, "start operation timed out. Aborting."),
        (TimeoutFailureMode::Kill, S::StopSigkill, SIGKILL, "start operation timed out. Killing."),
    ] {
        let mut p = ServiceParams {
            service_type: ServiceType::Notify,
            timeout_start: Some(10 * SEC),
            timeout_start_failure_mode: mode,
            ..ServiceParams::default()
        };
        p.notify_access = engine::service::NotifyAccess::Main;
        let mut w = World::new(p);
        w.send(Event::Start);
        let main = w.main_pid();
        let a = w.advance(10 * SEC);
        assert!(has_log(&a, message), "{mode:?}");
        assert_eq!(w.state(), state);
        assert_eq!(kills(&a)[0], (KillTarget::Main(main), signal));
    }
}

#[test]
fn start_timeout_kill_mode_without_sigkill_skips_the_kill() {
    let mut p = ServiceParams {
        service_type: ServiceType::Notify,
        timeout_start: Some(10 * SEC),
        timeout_start_failure_mode: TimeoutFailureMode::Kill,
        ..ServiceParams::default()
    };
    p.kill.send_sigkill = false;
    p.notify_access = engine::service::NotifyAccess::Main;
    let mut w = World::new(p);
    w.send(Event::Start);
    let a = w.advance(10 * SEC);
    assert!(has_log(&a, "start operation timed out. Skipping SIGKILL."));
    assert!(kills(&a).iter().all(|(_, s)| *s != SIGKILL));
}

#[test]
fn start_post_failure_skips_exec_stop() {
    let mut p = ServiceParams::default();
    p.commands.set(engine::service::Phase::StartPost, vec![CommandParams::PLAIN]);
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    let main = w.main_pid();
    let a = w.exit_control(exited(1));
    assert!(spawns(&a).is_empty());
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGTERM), (KillTarget::Group, SIGTERM)]);
    let a = w.exit_main(killed(SIGTERM));
    assert!(has_log(&a, "Failed with result 'exit-code'."));
    assert_eq!(jobs_done(&w.trace), vec![(JobKind::Start, JobResult::Failed)]);
}

#[test]
fn fork_failure_of_start_pre_is_a_resources_failure() {
    let mut w = World::new(with_pre(vec![CommandParams::PLAIN]));
    w.fail_next_spawn = Some("Cannot allocate memory".into());
    let a = w.send(Event::Start);
    assert!(has_log(&a, "Failed to run 'start-pre' task: Cannot allocate memory"));
    assert!(has_log(&a, "Failed with result 'resources'."));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Failed)]);
}

#[test]
fn fork_failure_of_the_main_process() {
    let mut p = ServiceParams::default();
    p.commands.set(engine::service::Phase::StopPost, vec![CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.fail_next_spawn = Some("Resource temporarily unavailable".into());
    let a = w.send(Event::Start);
    assert!(has_log(&a, "Failed to run 'start' task: Resource temporarily unavailable"));
    assert_eq!(spawns(&a)[1], (Phase::StopPost, 0, Role::Control));
    w.exit_control(exited(0));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::Resources);
}

#[test]
fn fork_failure_of_a_later_start_pre() {
    let mut w = World::new(with_pre(vec![CommandParams::PLAIN, CommandParams::PLAIN]));
    w.send(Event::Start);
    w.fail_next_spawn = Some("Cannot allocate memory".into());
    let a = w.exit_control(exited(0));
    assert!(has_log(&a, "Failed to run next control task: Cannot allocate memory"));
    assert_eq!(w.state(), S::StopPost);
}

#[test]
fn leftover_processes_block_a_send_sigkill_no_start() {
    let mut p = ServiceParams::default();
    p.kill.send_sigkill = false;
    let mut w = World::new(p);
    w.send(Event::Start);
    let main = w.main_pid();
    w.fork();
    w.send(Event::Stop);
    w.exit(main, killed(SIGTERM));
    w.advance(90 * SEC);
    assert_eq!(w.state(), S::Failed, "gave up on the leftover process");
    let a = w.send(Event::Start);
    assert!(has_log(
        &a,
        "Will not start SendSIGKILL=no service of type KillMode=control-group or mixed while processes exist"
    ));
    assert!(has_log(&a, "Failed to run 'start' task: Device or resource busy"));
    // The failed start takes the usual way down, which signals the
    // leftovers once more.
    assert_eq!(kills(&a), vec![(KillTarget::Group, SIGTERM)]);
    assert_eq!(w.state(), S::StopSigterm);
    let a = w.kill_all(killed(SIGTERM));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::Resources);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Failed)]);
}

#[test]
fn leftover_processes_do_not_block_a_normal_start() {
    let mut p = ServiceParams::default();
    p.kill.mode = engine::service::KillMode::Process;
    let mut w = World::new(p);
    w.send(Event::Start);
    w.fork();
    w.send(Event::Stop);
    w.exit_main(killed(SIGTERM));
    assert_eq!(w.state(), S::Dead);
    w.send(Event::Start);
    assert_eq!(w.state(), S::Running);
}
