//! How each `Type=` gets from a start job to active (`systemd.service(5)`,
//! "Type=", "ExecStartPost=" on what "started" means per type).

mod common;
use common::*;

use engine::service::{
    Action, ActiveState, CommandParams, Commands, Event, JobKind, JobResult, NotifyAccess, NotifyLifecycle,
    Phase, Role, ServiceParams, ServiceResult, ServiceState as S, ServiceType,
};

fn params(ty: ServiceType) -> ServiceParams {
    ServiceParams { service_type: ty, ..ServiceParams::default() }
}

fn with_post(mut p: ServiceParams) -> ServiceParams {
    p.commands.set(engine::service::Phase::StartPost, vec![CommandParams::PLAIN]);
    p
}

#[test]
fn simple_is_active_right_after_the_fork() {
    let mut w = World::new(params(ServiceType::Simple));
    let a = w.send(Event::Start);
    assert_eq!(spawns(&a), vec![(Phase::Start, 0, Role::Main)]);
    assert_eq!(path(&a), vec![S::Dead, S::Running]);
    assert_eq!(w.svc.active_state(), ActiveState::Active);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
    assert!(w.svc.main_pid().is_some());
    // No start timeout for the main process of a simple service.
    assert_eq!(w.deadline(engine::service::TimerKind::State), None);
}

#[test]
fn simple_runs_start_pre_then_start_then_start_post() {
    let mut p = with_post(params(ServiceType::Simple));
    p.commands.set(engine::service::Phase::StartPre, vec![CommandParams::PLAIN, CommandParams::PLAIN]);
    let mut w = World::new(p);
    let a = w.send(Event::Start);
    assert_eq!(spawns(&a), vec![(Phase::StartPre, 0, Role::Control)]);
    assert_eq!(w.state(), S::StartPre);
    let a = w.exit_control(exited(0));
    assert_eq!(spawns(&a), vec![(Phase::StartPre, 1, Role::Control)]);
    let a = w.exit_control(exited(0));
    assert_eq!(spawns(&a), vec![(Phase::Start, 0, Role::Main), (Phase::StartPost, 0, Role::Control)]);
    assert_eq!(w.state(), S::StartPost);
    assert_eq!(w.svc.active_state(), ActiveState::Activating);
    let a = w.exit_control(exited(0));
    assert_eq!(path(&a), vec![S::StartPost, S::Running]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
}

#[test]
fn exec_waits_for_execve() {
    let mut w = World::new(params(ServiceType::Exec));
    let a = w.send(Event::Start);
    assert_eq!(path(&a), vec![S::Dead, S::Start]);
    assert!(jobs_done(&a).is_empty());
    // The start timeout covers the time until execve().
    assert_eq!(w.deadline(engine::service::TimerKind::State), Some(w.now + 90 * SEC));
    let a = w.send(Event::ExecSucceeded);
    assert_eq!(path(&a), vec![S::Start, S::Running]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
}

#[test]
fn exec_whose_binary_is_missing_fails_with_exit_code() {
    let mut w = World::new(params(ServiceType::Exec));
    w.send(Event::Start);
    let a = w.exit_main(exited(203));
    assert!(has_log(&a, "Main process exited, code=exited, status=203/EXEC"));
    assert!(has_log(&a, "Failed with result 'exit-code'."));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Failed)]);
}

#[test]
fn forking_with_pid_file() {
    let mut p = params(ServiceType::Forking);
    p.pid_file = true;
    let mut w = World::new(p);
    let a = w.send(Event::Start);
    assert_eq!(spawns(&a), vec![(Phase::Start, 0, Role::Control)]);
    assert_eq!(w.state(), S::Start);
    assert_eq!(w.svc.main_pid(), None);
    // The parent forks the daemon, which writes its PID file, then exits.
    let daemon = w.fork();
    w.pid_file = Some(daemon);
    let a = w.exit_control(exited(0));
    assert!(a.contains(&Action::ReadPidFile));
    assert!(a.contains(&Action::SetMainPid(daemon)));
    assert_eq!(w.svc.main_pid(), Some(daemon));
    assert_eq!(w.state(), S::Running);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
    // And the daemon's own exit is the service's end.
    let a = w.exit(daemon, exited(0));
    assert!(a.contains(&Action::ReadPidFile), "main exit consults the PID file first");
    assert_eq!(w.state(), S::Dead);
    assert!(a.contains(&Action::RemovePidFile));
}

#[test]
fn forking_parent_failure_fails_the_start() {
    let mut w = World::new(params(ServiceType::Forking));
    w.send(Event::Start);
    let a = w.exit_control(exited(1));
    assert!(has_log(&a, "Control process exited, code=exited, status=1/FAILURE"));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::ExitCode);
}

#[test]
fn forking_pid_file_written_late_is_watched() {
    let mut p = params(ServiceType::Forking);
    p.pid_file = true;
    let mut w = World::new(p);
    w.send(Event::Start);
    let daemon = w.fork();
    // The parent exits before the daemon wrote the file.
    let a = w.exit_control(exited(0));
    assert!(a.contains(&Action::ReadPidFile));
    assert!(a.contains(&Action::WatchPidFile));
    assert_eq!(w.state(), S::Start);
    assert!(w.pid_file_watched);
    // The file appears; the watch reports it.
    w.pid_file = Some(daemon);
    let a = w.send(Event::PidFileRead { pid: daemon });
    assert_eq!(path(&a), vec![S::Start, S::Running]);
    assert_eq!(w.svc.main_pid(), Some(daemon));
    assert!(a.contains(&Action::UnwatchPidFile));
    assert!(!w.pid_file_watched);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
}

#[test]
fn forking_pid_file_never_written_and_nothing_left_is_a_protocol_failure() {
    let mut p = params(ServiceType::Forking);
    p.pid_file = true;
    let mut w = World::new(p);
    w.send(Event::Start);
    // Parent exits, its child died already: the unit is empty.
    let a = w.exit_control(exited(0));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::Protocol);
    assert!(has_log(&a, "Failed with result 'protocol'."));
}

#[test]
fn forking_pid_file_still_missing_keeps_waiting_until_start_timeout() {
    let mut p = params(ServiceType::Forking);
    p.pid_file = true;
    p.timeout_start = Some(5 * SEC);
    let mut w = World::new(p);
    w.send(Event::Start);
    let daemon = w.fork();
    w.exit_control(exited(0));
    // An unrelated modification of the file: still not acceptable.
    let a = w.send(Event::PidFileMissing);
    assert!(a.is_empty());
    assert_eq!(w.state(), S::Start);
    let a = w.advance(5 * SEC);
    assert!(has_log(&a, "start operation timed out. Terminating."));
    assert_eq!(kills(&a), vec![(engine::service::KillTarget::Group, SIGTERM)]);
    w.procs.remove(&daemon);
    w.send(Event::AllProcessesGone);
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::Timeout);
}

#[test]
fn forking_pid_file_may_be_written_by_start_post() {
    let mut p = with_post(params(ServiceType::Forking));
    p.pid_file = true;
    let mut w = World::new(p);
    w.send(Event::Start);
    let daemon = w.fork();
    let a = w.exit_control(exited(0));
    // Missing now is fine: ExecStartPost= runs, then we look again.
    assert_eq!(spawns(&a), vec![(Phase::StartPost, 0, Role::Control)]);
    assert_eq!(w.state(), S::StartPost);
    w.pid_file = Some(daemon);
    let a = w.exit_control(exited(0));
    assert!(a.contains(&Action::SetMainPid(daemon)));
    assert_eq!(w.state(), S::Running);
}

#[test]
fn forking_without_pid_file_guesses_the_main_pid() {
    let mut w = World::new(params(ServiceType::Forking));
    w.send(Event::Start);
    let daemon = w.fork();
    w.guess = Some(daemon);
    let a = w.exit_control(exited(0));
    assert!(a.contains(&Action::GuessMainPid));
    assert_eq!(w.svc.main_pid(), Some(daemon));
    assert_eq!(w.state(), S::Running);
    // With the main pid known, its death ends the service even if other
    // processes remain.
    w.fork();
    w.exit(daemon, killed(SIGSEGV));
    assert_eq!(w.state(), S::StopSigterm);
    assert_eq!(w.svc.result(), ServiceResult::Signal);
}

#[test]
fn forking_without_main_pid_lives_as_long_as_the_unit_has_processes() {
    let mut p = params(ServiceType::Forking);
    p.guess_main_pid = false;
    let mut w = World::new(p);
    w.send(Event::Start);
    let daemon = w.fork();
    let a = w.exit_control(exited(0));
    assert!(!a.contains(&Action::GuessMainPid));
    assert_eq!(w.state(), S::Running);
    assert_eq!(w.svc.main_pid(), None);
    // The daemon's exit is not ours to see; the unit emptying is.
    let a = w.exit(daemon, exited(0));
    assert_eq!(path(&a), vec![S::Running, S::Dead]);
    assert_eq!(w.svc.result(), ServiceResult::Success);
}

#[test]
fn forking_daemon_moving_to_a_new_pid_is_followed() {
    let mut p = params(ServiceType::Forking);
    p.pid_file = true;
    let mut w = World::new(p);
    w.send(Event::Start);
    let old = w.fork();
    w.pid_file = Some(old);
    w.exit_control(exited(0));
    assert_eq!(w.svc.main_pid(), Some(old));
    // Re-exec: the new process writes the PID file, then the old exits.
    let new = w.fork();
    w.pid_file = Some(new);
    let a = w.exit(old, exited(0));
    assert!(a.contains(&Action::SetMainPid(new)));
    assert_eq!(w.state(), S::Running);
    assert_eq!(w.svc.main_pid(), Some(new));
    assert!(logs(&a).iter().all(|m| !m.starts_with("Main process exited")));
}

#[test]
fn oneshot_runs_every_exec_start_then_stops() {
    let mut p = params(ServiceType::Oneshot);
    p.commands.set(engine::service::Phase::Start, vec![CommandParams::PLAIN; 3]);
    p.timeout_start = None;
    let mut w = World::new(p);
    let a = w.send(Event::Start);
    assert_eq!(path(&a), vec![S::Dead, S::Start]);
    assert_eq!(w.svc.active_state(), ActiveState::Activating);
    let a = w.exit_main(exited(0));
    assert_eq!(spawns(&a), vec![(Phase::Start, 1, Role::Main)]);
    w.exit_main(exited(0));
    let a = w.exit_main(exited(0));
    // Without RemainAfterExit= a finished oneshot goes inactive, and the
    // start job counts as done.
    assert_eq!(w.state(), S::Dead);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
    assert!(has_log(&a, "Deactivated successfully."));
    assert_eq!(count(&w.trace, |a| matches!(a, Action::Spawn { phase: Phase::Start, .. })), 3);
}

#[test]
fn oneshot_failure_skips_the_remaining_commands() {
    let mut p = params(ServiceType::Oneshot);
    p.commands.set(engine::service::Phase::Start, vec![CommandParams::PLAIN; 3]);
    let mut w = World::new(p);
    w.send(Event::Start);
    let a = w.exit_main(exited(2));
    assert!(spawns(&a).is_empty());
    assert_eq!(w.state(), S::Failed);
    assert!(has_log(&a, "Main process exited, code=exited, status=2/INVALIDARGUMENT"));
}

#[test]
fn oneshot_dash_prefix_ignores_a_failure_and_goes_on() {
    let mut p = params(ServiceType::Oneshot);
    p.commands.set(engine::service::Phase::Start, vec![CommandParams::IGNORE_FAILURE, CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    let a = w.exit_main(exited(1));
    assert!(has_log(&a, "Main process exited, code=exited, status=1/FAILURE (success)"));
    assert_eq!(spawns(&a), vec![(Phase::Start, 1, Role::Main)]);
}

#[test]
fn oneshot_remain_after_exit_stays_active() {
    let mut p = params(ServiceType::Oneshot);
    p.remain_after_exit = true;
    p.commands.set(engine::service::Phase::Stop, vec![CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    let a = w.exit_main(exited(0));
    assert_eq!(path(&a), vec![S::Start, S::Exited]);
    assert_eq!(w.svc.active_state(), ActiveState::Active);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
    // Stopping it runs ExecStop=.
    let a = w.send(Event::Stop);
    assert_eq!(spawns(&a), vec![(Phase::Stop, 0, Role::Control)]);
    let a = w.exit_control(exited(0));
    assert_eq!(w.state(), S::Dead);
    assert_eq!(jobs_done(&a), vec![(JobKind::Stop, JobResult::Done)]);
}

#[test]
fn oneshot_without_exec_start_passes_through_start() {
    let mut p = params(ServiceType::Oneshot);
    p.commands = Commands::from_fn(|ph| if ph == engine::service::Phase::Stop { vec![CommandParams::PLAIN] } else { Vec::new() });
    p.remain_after_exit = true;
    let mut w = World::new(p);
    let a = w.send(Event::Start);
    assert_eq!(path(&a), vec![S::Dead, S::Start, S::Exited]);
}

#[test]
fn notify_waits_for_ready() {
    let mut p = params(ServiceType::Notify);
    p.notify_access = NotifyAccess::Main;
    let mut w = World::new(p);
    w.send(Event::Start);
    assert_eq!(w.state(), S::Start);
    let main = w.main_pid();
    let a = w.notify(main, |n| n.status = Some("Loading…".into()));
    assert!(a.is_empty());
    assert_eq!(w.svc.status_text(), Some("Loading…"));
    let a = w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Ready));
    assert_eq!(path(&a), vec![S::Start, S::Running]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
}

#[test]
fn notify_exiting_cleanly_before_ready_is_a_protocol_failure() {
    let mut p = params(ServiceType::Notify);
    p.notify_access = NotifyAccess::Main;
    let mut w = World::new(p);
    w.send(Event::Start);
    let a = w.exit_main(exited(0));
    assert!(has_log(&a, "Failed with result 'protocol'."));
    assert_eq!(w.state(), S::Failed);
}

#[test]
fn idle_counts_as_active_while_starting() {
    let mut p = params(ServiceType::Idle);
    p.commands.set(engine::service::Phase::StartPre, vec![CommandParams::PLAIN]);
    let mut w = World::new(p);
    let a = w.send(Event::Start);
    assert_eq!(w.state(), S::StartPre);
    assert_eq!(w.svc.active_state(), ActiveState::Active);
    // Type=idle never holds up other jobs: its start job is done at once.
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
    w.exit_control(exited(0));
    assert_eq!(w.state(), S::Running);
}

#[test]
fn dbus_waits_for_its_bus_name() {
    let mut w = World::new(params(ServiceType::Dbus));
    w.send(Event::Start);
    assert_eq!(w.state(), S::Start);
    let a = w.send(Event::BusName { acquired: true });
    assert_eq!(path(&a), vec![S::Start, S::Running]);
    // Dropping the name while running takes the service down.
    let a = w.send(Event::BusName { acquired: false });
    assert_eq!(path(&a), vec![S::Running, S::StopSigterm]);
    let main = w.main_pid();
    assert_eq!(
        kills(&a),
        vec![
            (engine::service::KillTarget::Main(main), SIGTERM),
            (engine::service::KillTarget::Group, SIGTERM)
        ]
    );
}

#[test]
fn start_while_running_is_done_at_once() {
    let mut w = World::new(params(ServiceType::Simple));
    w.send(Event::Start);
    let a = w.send(Event::Start);
    assert!(spawns(&a).is_empty());
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
}

#[test]
fn non_oneshot_without_exec_start_fails_with_resources() {
    let mut p = params(ServiceType::Simple);
    p.commands.set(engine::service::Phase::Start, Vec::new());
    let mut w = World::new(p);
    let a = w.send(Event::Start);
    assert!(has_log(&a, "There's no 'start' task anymore we could start."));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(w.svc.result(), ServiceResult::Resources);
}
