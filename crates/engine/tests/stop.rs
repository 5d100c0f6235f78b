//! The way down: `ExecStop=`, the kill sequence of `systemd.kill(5)`,
//! `TimeoutStopSec=` escalation, `ExecStopPost=`.

mod common;
use common::*;

use engine::service::{
    Action, CommandParams, Event, JobKind, JobResult, KillMode, KillTarget, Phase, Role, ServiceParams,
    ServiceResult, ServiceState as S, ServiceType, TimeoutFailureMode, TimerKind,
};

fn simple() -> ServiceParams {
    ServiceParams { timeout_stop: Some(5 * SEC), ..ServiceParams::default() }
}

fn running(p: ServiceParams) -> World {
    let mut w = World::new(p);
    w.send(Event::Start);
    assert_eq!(w.state(), S::Running);
    w
}

#[test]
fn stop_runs_exec_stop_then_kill_signal_then_exec_stop_post() {
    let mut p = simple();
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN]);
    p.commands.set(engine::service::Phase::StopPost, vec![CommandParams::PLAIN]);
    let mut w = running(p);
    let main = w.main_pid();
    let a = w.send(Event::Stop);
    assert_eq!(spawns(&a), vec![(Phase::Stop, 0, Role::Control)]);
    assert_eq!(w.state(), S::Stop);
    assert!(kills(&a).is_empty(), "ExecStop= runs before any signal");
    let a = w.exit_control(exited(0));
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGTERM), (KillTarget::Group, SIGTERM)]);
    assert_eq!(w.state(), S::StopSigterm);
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 5 * SEC));
    let a = w.exit_main(killed(SIGTERM));
    assert_eq!(spawns(&a), vec![(Phase::StopPost, 0, Role::Control)]);
    let a = w.exit_control(exited(0));
    assert_eq!(w.state(), S::Dead);
    assert!(has_log(&a, "Deactivated successfully."));
    assert_eq!(jobs_done(&a), vec![(JobKind::Stop, JobResult::Done)]);
    assert_eq!(path(&w.trace), vec![S::Dead, S::Running, S::Stop, S::StopSigterm, S::StopPost, S::Dead]);
}

#[test]
fn stop_timeout_escalates_to_sigkill() {
    let mut w = running(simple());
    let main = w.main_pid();
    w.send(Event::Stop);
    let a = w.advance(5 * SEC);
    assert!(has_log(&a, "State 'stop-sigterm' timed out. Killing."));
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGKILL), (KillTarget::Group, SIGKILL)]);
    assert!(a.iter().any(|x| matches!(x, Action::Kill { signal: SIGKILL, notice: true, .. })));
    assert_eq!(w.state(), S::StopSigkill);
    let a = w.exit_main(killed(SIGKILL));
    assert!(has_log(&a, "Main process exited, code=killed, status=9/KILL"));
    assert!(has_log(&a, "Failed with result 'timeout'."));
    assert_eq!(w.state(), S::Failed);
    // The stop job still completed: the unit is down.
    assert_eq!(jobs_done(&a), vec![(JobKind::Stop, JobResult::Done)]);
}

#[test]
fn processes_surviving_sigkill_are_given_up_on() {
    let mut w = running(simple());
    w.send(Event::Stop);
    w.advance(5 * SEC);
    let a = w.advance(5 * SEC);
    assert!(has_log(&a, "Processes still around after SIGKILL. Ignoring."));
    // stop-post has nothing to run; final-sigterm signals again.
    assert_eq!(w.state(), S::FinalSigterm);
    w.advance(5 * SEC);
    let a = w.advance(5 * SEC);
    assert!(has_log(&a, "Processes still around after final SIGKILL. Entering failed mode."));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::Timeout);
}

#[test]
fn send_sigkill_no_gives_up_without_killing() {
    let mut p = simple();
    p.kill.send_sigkill = false;
    let mut w = running(p);
    w.send(Event::Stop);
    let a = w.advance(5 * SEC);
    assert!(has_log(&a, "State 'stop-sigterm' timed out. Skipping SIGKILL."));
    assert!(kills(&a).iter().all(|(_, s)| *s != SIGKILL));
    assert_eq!(w.state(), S::FinalSigterm);
    let a = w.advance(5 * SEC);
    assert!(has_log(&a, "State 'final-sigterm' timed out. Skipping SIGKILL. Entering failed mode."));
    assert!(kills(&w.trace).iter().all(|(_, s)| *s != SIGKILL));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::Timeout);
}

#[test]
fn final_kill_signal_replaces_sigkill() {
    let mut p = simple();
    p.kill.final_kill_signal = SIGQUIT;
    let mut w = running(p);
    let main = w.main_pid();
    w.send(Event::Stop);
    let a = w.advance(5 * SEC);
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGQUIT), (KillTarget::Group, SIGQUIT)]);
}

#[test]
fn kill_signal_is_configurable() {
    let mut p = simple();
    p.kill.kill_signal = SIGINT;
    let mut w = running(p);
    let main = w.main_pid();
    let a = w.send(Event::Stop);
    assert_eq!(kills(&a)[0], (KillTarget::Main(main), SIGINT));
}

#[test]
fn kill_mode_control_group_signals_everything() {
    let mut w = running(simple());
    let main = w.main_pid();
    let child = w.fork();
    let a = w.send(Event::Stop);
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGTERM), (KillTarget::Group, SIGTERM)]);
    // The main process is gone but a child lingers: the final round
    // signals the group again and waits for it to empty.
    let a = w.exit_main(killed(SIGTERM));
    assert_eq!(path(&a), vec![S::StopSigterm, S::FinalSigterm]);
    assert_eq!(kills(&a), vec![(KillTarget::Group, SIGTERM)]);
    let a = w.exit(child, killed(SIGTERM));
    assert_eq!(path(&a), vec![S::FinalSigterm, S::Dead]);
}

#[test]
fn kill_mode_mixed_terms_the_main_process_and_kills_the_rest() {
    let mut p = simple();
    p.kill.mode = KillMode::Mixed;
    let mut w = running(p);
    let main = w.main_pid();
    let child = w.fork();
    let a = w.send(Event::Stop);
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGTERM)]);
    // Once the main process is gone, what remains gets SIGKILL at once.
    let a = w.exit_main(exited(0));
    assert_eq!(kills(&a), vec![(KillTarget::Group, SIGKILL)]);
    assert_eq!(w.state(), S::FinalSigkill);
    w.exit(child, killed(SIGKILL));
    assert_eq!(w.state(), S::Dead);
    // A timeout instead: both get the final signal.
    let mut p = simple();
    p.kill.mode = KillMode::Mixed;
    let mut w = running(p);
    let main = w.main_pid();
    w.fork();
    w.send(Event::Stop);
    let a = w.advance(5 * SEC);
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGKILL), (KillTarget::Group, SIGKILL)]);
}

#[test]
fn kill_mode_process_only_signals_the_main_process() {
    let mut p = simple();
    p.kill.mode = KillMode::Process;
    let mut w = running(p);
    let main = w.main_pid();
    let child = w.fork();
    let a = w.send(Event::Stop);
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGTERM)]);
    let a = w.exit_main(killed(SIGTERM));
    assert!(kills(&a).is_empty());
    // The child is left behind and the unit counts as stopped.
    assert_eq!(w.state(), S::Dead);
    assert!(w.procs.contains(&child));
}

#[test]
fn kill_mode_none_signals_nobody() {
    let mut p = simple();
    p.kill.mode = KillMode::None;
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN]);
    let mut w = running(p);
    let a = w.send(Event::Stop);
    assert_eq!(spawns(&a), vec![(Phase::Stop, 0, Role::Control)]);
    let a = w.exit_control(exited(0));
    assert!(kills(&a).is_empty());
    assert_eq!(w.state(), S::Dead);
    // The main process was left running and is no longer tracked.
    assert_eq!(w.svc.main_pid(), None);
}

#[test]
fn send_sighup_follows_the_kill_signal() {
    let mut p = simple();
    p.kill.send_sighup = true;
    let mut w = running(p);
    let main = w.main_pid();
    let a = w.send(Event::Stop);
    assert_eq!(
        kills(&a),
        vec![
            (KillTarget::Main(main), SIGTERM),
            (KillTarget::Main(main), SIGHUP),
            (KillTarget::Group, SIGTERM),
            (KillTarget::Group, SIGHUP),
        ]
    );
    // Not after SIGKILL.
    let a = w.advance(5 * SEC);
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGKILL), (KillTarget::Group, SIGKILL)]);
}

#[test]
fn send_sighup_is_not_doubled_when_the_kill_signal_is_sighup() {
    let mut p = simple();
    p.kill.send_sighup = true;
    p.kill.kill_signal = SIGHUP;
    let mut w = running(p);
    let main = w.main_pid();
    let a = w.send(Event::Stop);
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGHUP), (KillTarget::Group, SIGHUP)]);
}

#[test]
fn restart_job_uses_restart_kill_signal_then_starts_again() {
    let mut p = simple();
    p.kill.restart_kill_signal = Some(SIGUSR1);
    p.commands.set(engine::service::Phase::StopPost, vec![CommandParams::PLAIN]);
    let mut w = running(p);
    let main = w.main_pid();
    let a = w.send(Event::Restart);
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGUSR1), (KillTarget::Group, SIGUSR1)]);
    w.exit_main(killed(SIGUSR1));
    let a = w.exit_control(exited(0));
    // ExecStopPost= ran; then the same job starts the service again.
    assert_eq!(path(&a), vec![S::StopPost, S::Failed, S::Running]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Restart, JobResult::Done)]);
    assert_ne!(w.main_pid(), main);
    // SIGUSR1 is not a clean signal, but the restart was asked for: the
    // failure is recorded and the start goes ahead anyway.
    assert!(has_log(&a, "Failed with result 'signal'."));
}

#[test]
fn stop_timeout_failure_mode_abort_sends_the_watchdog_signal() {
    let mut p = simple();
    p.timeout_stop_failure_mode = TimeoutFailureMode::Abort;
    p.timeout_abort = Some(Some(30 * SEC));
    let mut w = running(p);
    let main = w.main_pid();
    w.send(Event::Stop);
    let a = w.advance(5 * SEC);
    assert!(has_log(&a, "State 'stop-sigterm' timed out. Aborting."));
    assert_eq!(kills(&a), vec![(KillTarget::Main(main), SIGABRT), (KillTarget::Group, SIGABRT)]);
    assert_eq!(w.state(), S::StopWatchdog);
    // TimeoutAbortSec= applies in the watchdog state.
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 30 * SEC));
    let a = w.advance(30 * SEC);
    assert!(has_log(&a, "State 'stop-watchdog' timed out. Killing."));
    assert_eq!(w.state(), S::StopSigkill);
}

#[test]
fn exec_stop_timeout_modes() {
    for (mode, next, message) in [
        (TimeoutFailureMode::Terminate, S::StopSigterm, "Stopping timed out. Terminating."),
        (TimeoutFailureMode::Abort, S::StopWatchdog, "Stopping timed out. Aborting."),
        (TimeoutFailureMode::Kill, S::StopSigkill, "Stopping timed out. Killing."),
    ] {
        let mut p = simple();
        p.timeout_stop_failure_mode = mode;
        p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN, CommandParams::PLAIN]);
        let mut w = running(p);
        w.send(Event::Stop);
        let control = w.control_pid();
        let a = w.advance(5 * SEC);
        assert!(has_log(&a, message), "{mode:?}: {a:?}");
        assert_eq!(w.state(), next, "{mode:?}");
        // The hung ExecStop= is signalled too, and the second is skipped.
        assert!(kills(&a).iter().any(|(t, _)| *t == KillTarget::Control(control)));
        let a = w.exit_control(killed(SIGTERM));
        assert!(spawns(&a).is_empty());
        assert_eq!(w.svc.result(), ServiceResult::Timeout);
    }
}

#[test]
fn each_exec_stop_gets_its_own_timeout() {
    let mut p = simple();
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN, CommandParams::PLAIN]);
    let mut w = running(p);
    w.send(Event::Stop);
    w.advance(4 * SEC);
    let a = w.exit_control(exited(0));
    assert_eq!(spawns(&a), vec![(Phase::Stop, 1, Role::Control)]);
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 5 * SEC));
}

#[test]
fn failing_exec_stop_fails_the_unit_and_skips_the_rest() {
    let mut p = simple();
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN, CommandParams::PLAIN]);
    let mut w = running(p);
    w.send(Event::Stop);
    let a = w.exit_control(exited(3));
    assert!(spawns(&a).is_empty());
    assert_eq!(w.state(), S::StopSigterm);
    w.exit_main(killed(SIGTERM));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::ExitCode);
}

#[test]
fn exec_stop_post_runs_after_a_crash() {
    let mut p = simple();
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN]);
    p.commands.set(engine::service::Phase::StopPost, vec![CommandParams::PLAIN]);
    let mut w = running(p);
    let a = w.exit_main(dumped(SIGSEGV));
    assert!(has_log(&a, "Main process exited, code=dumped, status=11/SEGV"));
    // A crash skips ExecStop= (nothing to talk to) but not ExecStopPost=.
    assert_eq!(spawns(&a), vec![(Phase::StopPost, 0, Role::Control)]);
    w.exit_control(exited(0));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::CoreDump);
}

#[test]
fn exec_stop_runs_when_the_service_exited_by_itself() {
    let mut p = simple();
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN]);
    let mut w = running(p);
    // A clean exit of a started service is stopped the normal way,
    // including ExecStop= (`systemd.service(5)`, "ExecStop=").
    let a = w.exit_main(exited(0));
    assert_eq!(spawns(&a), vec![(Phase::Stop, 0, Role::Control)]);
    w.exit_control(exited(0));
    assert_eq!(w.state(), S::Dead);
}

#[test]
fn stop_during_start_pre_kills_it_and_skips_exec_stop() {
    let mut p = simple();
    p.commands.set(engine::service::Phase::StartPre, vec![CommandParams::PLAIN]);
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN]);
    p.commands.set(engine::service::Phase::StopPost, vec![CommandParams::PLAIN]);
    let mut w = World::new(p);
    let a = w.send(Event::Start);
    assert_eq!(w.state(), S::StartPre);
    let control = w.control_pid();
    let b = w.send(Event::Stop);
    assert_eq!(jobs_done(&b), vec![(JobKind::Start, JobResult::Canceled)]);
    assert_eq!(kills(&b), vec![(KillTarget::Control(control), SIGTERM), (KillTarget::Group, SIGTERM)]);
    let c = w.exit_control(killed(SIGTERM));
    // Control commands are judged as commands: SIGTERM is not clean.
    assert!(has_log(&c, "Control process exited, code=killed, status=15/TERM"));
    assert_eq!(spawns(&c), vec![(Phase::StopPost, 0, Role::Control)]);
    let d = w.exit_control(exited(0));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(jobs_done(&d), vec![(JobKind::Stop, JobResult::Done)]);
    assert!(spawns(&a).iter().all(|(p, _, _)| *p != Phase::Stop));
}

#[test]
fn a_second_stop_joins_the_first() {
    let mut w = running(simple());
    w.send(Event::Stop);
    let a = w.send(Event::Stop);
    assert!(a.is_empty());
    let a = w.exit_main(killed(SIGTERM));
    assert_eq!(jobs_done(&a), vec![(JobKind::Stop, JobResult::Done)]);
}

#[test]
fn stop_of_an_inactive_unit_is_done_at_once() {
    let mut w = World::new(simple());
    let a = w.send(Event::Stop);
    assert_eq!(jobs_done(&a), vec![(JobKind::Stop, JobResult::Done)]);
    assert!(transitions(&a).is_empty());
}

#[test]
fn infinite_stop_timeout_arms_nothing() {
    let mut p = simple();
    p.timeout_stop = None;
    let mut w = running(p);
    w.send(Event::Stop);
    assert_eq!(w.deadline(TimerKind::State), None);
    assert!(w.advance(1_000_000 * SEC).is_empty());
    assert_eq!(w.state(), S::StopSigterm);
}

#[test]
fn oneshot_stop_post_after_failure_sees_the_result() {
    let mut p = simple();
    p.service_type = ServiceType::Oneshot;
    p.commands.set(engine::service::Phase::StopPost, vec![CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    w.exit_main(exited(1));
    // ExecStopPost= gets $SERVICE_RESULT/$EXIT_CODE/$EXIT_STATUS from these.
    assert_eq!(w.state(), S::StopPost);
    assert_eq!(w.svc.result(), ServiceResult::ExitCode);
    assert_eq!(w.svc.main_exit(), Some(exited(1)));
}

/// A clean exit is worded at debug level: not at all when the owner keeps
/// no debug messages (`Service::with_debug_logs`), and only that line.
#[test]
fn debug_exit_line_only_when_debug_logs_are_kept() {
    for keep in [true, false] {
        let mut w = World::new(simple());
        w.svc = std::mem::replace(&mut w.svc, engine::service::Service::new(simple())).with_debug_logs(keep);
        w.send(Event::Start);
        w.send(Event::Stop);
        let a = w.exit_main(killed(SIGTERM));
        let clean = "Main process exited, code=killed, status=15/TERM (success)";
        assert_eq!(has_log(&a, clean), keep, "keep={keep}: {:?}", logs(&a));
        assert!(has_log(&a, "Deactivated successfully."), "keep={keep}: {:?}", logs(&a));
        assert_eq!(w.state(), S::Dead);
    }
}
