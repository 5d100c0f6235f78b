//! `Restart=` against the man page's table, its exceptions, and the start
//! limit that bounds it.

mod common;
use common::*;

use engine::service::{
    Action, EmergencyAction, Event, ExitStatusSet, JobKind, JobResult, NotifyAccess, RestartPolicy,
    ServiceParams, ServiceResult, ServiceState as S, ServiceType, StartLimit,
};

/// `systemd.service(5)`, "Table 2. Exit causes and the effect of the
/// Restart= settings", transcribed.
const TABLE: &str = "
cause      no always on-success on-failure on-abnormal on-abort on-watchdog
clean      -  X      X          -          -           -        -
exit-code  -  X      -          X          -           -        -
signal     -  X      -          X          X           X        -
timeout    -  X      -          X          X           -        -
watchdog   -  X      -          X          X           -        X
";

#[derive(Clone, Copy, Debug)]
enum Cause {
    Exit(u8),
    Signal(i32),
    CoreDump(i32),
    Timeout,
    Watchdog,
}

/// The causes that fall in each row of the table.
fn causes(row: &str) -> Vec<Cause> {
    match row {
        "clean" => vec![
            Cause::Exit(0),
            Cause::Signal(SIGTERM),
            Cause::Signal(SIGHUP),
            Cause::Signal(SIGINT),
            Cause::Signal(SIGPIPE),
        ],
        "exit-code" => vec![Cause::Exit(1), Cause::Exit(255)],
        "signal" => vec![Cause::Signal(SIGKILL), Cause::Signal(SIGUSR1), Cause::CoreDump(SIGSEGV)],
        "timeout" => vec![Cause::Timeout],
        "watchdog" => vec![Cause::Watchdog],
        other => panic!("unknown row {other}"),
    }
}

fn base(policy: RestartPolicy) -> ServiceParams {
    ServiceParams {
        service_type: ServiceType::Simple,
        restart: policy,
        runtime_max: Some(60 * SEC),
        watchdog: Some(10 * SEC),
        notify_access: NotifyAccess::Main,
        ..ServiceParams::default()
    }
}

/// Run the service into `cause` and down; return the world afterwards.
fn run_into(params: ServiceParams, cause: Cause) -> World {
    let mut w = World::new(params);
    w.send(Event::Start);
    assert_eq!(w.state(), S::Running);
    let main = w.main_pid();
    // Keep the watchdog fed unless the watchdog is the cause.
    let ping = |w: &mut World| {
        w.notify(main, |n| n.watchdog = Some(engine::service::WatchdogNotify::Ping));
    };
    match cause {
        Cause::Exit(code) => {
            w.exit_main(exited(code));
        }
        Cause::Signal(sig) => {
            w.exit_main(killed(sig));
        }
        Cause::CoreDump(sig) => {
            w.exit_main(dumped(sig));
        }
        Cause::Timeout => {
            // Fed every 5s, the service runs into RuntimeMaxSec=60s.
            for _ in 0..12 {
                ping(&mut w);
                w.advance(5 * SEC);
            }
            assert_eq!(w.state(), S::StopSigterm, "runtime limit stops the service");
            w.exit_main(killed(SIGTERM));
        }
        Cause::Watchdog => {
            w.advance(10 * SEC);
            assert_eq!(w.state(), S::StopWatchdog);
            w.exit_main(dumped(SIGABRT));
        }
    }
    w
}

fn expected_result(cause: Cause) -> ServiceResult {
    match cause {
        Cause::Exit(0) => ServiceResult::Success,
        Cause::Exit(_) => ServiceResult::ExitCode,
        Cause::Signal(SIGTERM | SIGHUP | SIGINT | SIGPIPE) => ServiceResult::Success,
        Cause::Signal(_) => ServiceResult::Signal,
        Cause::CoreDump(_) => ServiceResult::CoreDump,
        Cause::Timeout => ServiceResult::Timeout,
        Cause::Watchdog => ServiceResult::Watchdog,
    }
}

#[test]
fn restart_table_of_the_man_page() {
    let mut lines = TABLE.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().skip(1).collect();
    let mut checked = 0;
    for line in lines {
        let mut cols = line.split_whitespace();
        let row = cols.next().unwrap();
        let marks: Vec<bool> = cols.map(|c| c == "X").collect();
        assert_eq!(marks.len(), header.len());
        for (policy_name, &restarts) in header.iter().zip(&marks) {
            let policy: RestartPolicy = policy_name.parse().unwrap();
            for cause in causes(row) {
                let w = run_into(base(policy), cause);
                assert_eq!(w.svc.result(), expected_result(cause), "{policy_name} × {cause:?}: result");
                let ended =
                    if expected_result(cause) == ServiceResult::Success { S::Dead } else { S::Failed };
                let auto = w.state() == S::AutoRestart;
                assert_eq!(auto, restarts, "Restart={policy_name} × {cause:?} (row {row})");
                let entered_end = w.trace.iter().any(|a| {
                    matches!(a, Action::Transition { to, auto_restart, .. } if *to == ended && *auto_restart == restarts)
                });
                assert!(entered_end, "{policy_name} × {cause:?}: passes through {ended} first");
                if !restarts {
                    assert_eq!(w.state(), ended);
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 7 * 12);
}

#[test]
fn auto_restart_waits_restart_sec_then_starts_again() {
    let mut p = base(RestartPolicy::OnFailure);
    p.restart_usec = 3 * SEC;
    let mut w = run_into(p, Cause::Exit(1));
    assert_eq!(w.state(), S::AutoRestart);
    let a = w.advance(3 * SEC - 1);
    assert!(a.is_empty());
    let a = w.advance(1);
    assert!(a.contains(&Action::RequestRestartJob));
    assert!(has_log(&a, "Scheduled restart job, restart counter is at 1."));
    assert_eq!(path(&a), vec![S::AutoRestart, S::Dead, S::Running]);
    assert_eq!(w.svc.n_restarts(), 1);
    assert_eq!(jobs_done(&a), vec![(JobKind::Restart, JobResult::Done)]);
    // The new run starts with a clean result.
    assert_eq!(w.svc.result(), ServiceResult::Success);
}

#[test]
fn restart_counter_grows_and_resets_on_a_manual_start() {
    let mut p = base(RestartPolicy::Always);
    p.start_limit.burst = 0;
    let mut w = World::new(p);
    w.send(Event::Start);
    for n in 1..=3 {
        w.exit_main(exited(1));
        let a = w.advance(100 * MSEC);
        assert!(has_log(&a, &format!("Scheduled restart job, restart counter is at {n}.")));
    }
    assert_eq!(w.svc.n_restarts(), 3);
    // A manual stop keeps the counter visible, the next manual start
    // resets it.
    w.send(Event::Stop);
    w.exit_main(killed(SIGTERM));
    assert_eq!(w.state(), S::Dead);
    assert_eq!(w.svc.n_restarts(), 3);
    w.send(Event::Start);
    assert_eq!(w.svc.n_restarts(), 0);
}

#[test]
fn manual_stop_never_restarts() {
    let mut w = World::new(base(RestartPolicy::Always));
    w.send(Event::Start);
    w.send(Event::Stop);
    let a = w.exit_main(killed(SIGKILL));
    assert_eq!(w.state(), S::Failed, "SIGKILL is unclean even when stopping");
    assert!(!a.contains(&Action::RequestRestartJob));
    assert!(w.deadline(engine::service::TimerKind::State).is_none());
}

#[test]
fn restart_prevent_exit_status_wins_over_restart_always() {
    let mut p = base(RestartPolicy::Always);
    p.restart_prevent = ExitStatusSet::EMPTY.with_code(3).with_signal(SIGKILL);
    let w = run_into(p.clone(), Cause::Exit(3));
    assert_eq!(w.state(), S::Failed);
    let w = run_into(p.clone(), Cause::Signal(SIGKILL));
    assert_eq!(w.state(), S::Failed);
    let w = run_into(p, Cause::Exit(4));
    assert_eq!(w.state(), S::AutoRestart);
}

#[test]
fn restart_force_exit_status_wins_over_restart_no() {
    let mut p = base(RestartPolicy::No);
    p.restart_force = ExitStatusSet::EMPTY.with_code(0).with_signal(SIGTERM);
    let w = run_into(p.clone(), Cause::Exit(0));
    assert_eq!(w.state(), S::AutoRestart);
    let w = run_into(p.clone(), Cause::Signal(SIGTERM));
    assert_eq!(w.state(), S::AutoRestart);
    let w = run_into(p, Cause::Exit(1));
    assert_eq!(w.state(), S::Failed);
}

#[test]
fn restart_prevent_beats_restart_force() {
    let mut p = base(RestartPolicy::No);
    p.restart_force = ExitStatusSet::EMPTY.with_code(7);
    p.restart_prevent = ExitStatusSet::EMPTY.with_code(7);
    let w = run_into(p, Cause::Exit(7));
    assert_eq!(w.state(), S::Failed);
}

#[test]
fn success_exit_status_makes_an_exit_clean() {
    let mut p = base(RestartPolicy::OnFailure);
    p.success_exit_status = ExitStatusSet::EMPTY.with_code(75).with_signal(SIGKILL);
    let w = run_into(p.clone(), Cause::Exit(75));
    assert_eq!(w.state(), S::Dead);
    assert_eq!(w.svc.result(), ServiceResult::Success);
    assert!(has_log(&w.trace, "Main process exited, code=exited, status=75/TEMPFAIL (success)"));
    let w = run_into(p.clone(), Cause::Signal(SIGKILL));
    assert_eq!(w.state(), S::Dead);
    // A core dump is never clean, listed or not.
    let mut p2 = p;
    p2.success_exit_status = ExitStatusSet::EMPTY.with_signal(SIGSEGV);
    let w = run_into(p2, Cause::CoreDump(SIGSEGV));
    assert_eq!(w.svc.result(), ServiceResult::CoreDump);
    assert_eq!(w.state(), S::AutoRestart);
}

#[test]
fn oneshot_counts_sigterm_as_failure() {
    let mut p = base(RestartPolicy::No);
    p.service_type = ServiceType::Oneshot;
    let mut w = World::new(p);
    w.send(Event::Start);
    w.exit_main(killed(SIGTERM));
    assert_eq!(w.svc.result(), ServiceResult::Signal);
    assert_eq!(w.state(), S::Failed);
}

#[test]
fn start_limit_hit_after_burst_within_interval() {
    let mut p = base(RestartPolicy::Always);
    p.watchdog = None;
    p.runtime_max = None;
    p.start_limit = StartLimit { interval: 10 * SEC, burst: 5, action: EmergencyAction::Reboot };
    let mut w = World::new(p);
    w.send(Event::Start);
    for _ in 0..4 {
        w.exit_main(exited(1));
        w.advance(100 * MSEC);
        assert_eq!(w.state(), S::Running);
    }
    // The fifth restart is the sixth start within 10s.
    w.exit_main(exited(1));
    let a = w.advance(100 * MSEC);
    assert!(has_log(&a, "Scheduled restart job, restart counter is at 5."));
    assert!(has_log(&a, "Start request repeated too quickly."));
    assert!(a.contains(&Action::StartLimitAction(EmergencyAction::Reboot)));
    // The run's result stays the first failure, as in systemd.
    assert!(has_log(&a, "Failed with result 'exit-code'."));
    assert_eq!(w.state(), S::Failed);
    assert_eq!(jobs_done(&a), vec![(JobKind::Restart, JobResult::Failed)]);
    // And no more restarts.
    assert!(w.advance(60 * SEC).is_empty());
    assert_eq!(w.state(), S::Failed);
}

#[test]
fn start_limit_hit_on_a_clean_run_reports_start_limit_hit() {
    let mut p = base(RestartPolicy::Always);
    p.watchdog = None;
    p.runtime_max = None;
    p.start_limit = StartLimit { interval: 10 * SEC, burst: 2, action: EmergencyAction::None };
    let mut w = World::new(p);
    w.send(Event::Start);
    w.exit_main(exited(0));
    w.advance(100 * MSEC);
    w.exit_main(exited(0));
    let a = w.advance(100 * MSEC);
    assert!(has_log(&a, "Failed with result 'start-limit-hit'."));
    assert_eq!(w.svc.result(), ServiceResult::StartLimitHit);
    assert!(!a.iter().any(|x| matches!(x, Action::StartLimitAction(_))));
}

#[test]
fn start_limit_window_resets_after_the_interval() {
    let mut p = base(RestartPolicy::No);
    p.watchdog = None;
    p.runtime_max = None;
    p.start_limit = StartLimit { interval: 10 * SEC, burst: 2, action: EmergencyAction::None };
    let mut w = World::new(p);
    let cycle = |w: &mut World| {
        let a = w.send(Event::Start);
        w.exit_main(exited(0));
        a
    };
    cycle(&mut w);
    w.advance(SEC);
    cycle(&mut w);
    w.advance(SEC);
    let a = cycle_expect_limit(&mut w);
    assert!(has_log(&a, "Start request repeated too quickly."));
    // Past the interval (counted from the first start) a start passes.
    w.advance(9 * SEC);
    let a = w.send(Event::Start);
    assert_eq!(w.state(), S::Running, "{a:?}");
}

fn cycle_expect_limit(w: &mut World) -> Vec<Action> {
    let a = w.send(Event::Start);
    assert_eq!(w.state(), S::Failed);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Failed)]);
    a
}

#[test]
fn reset_failed_clears_the_start_limit() {
    let mut p = base(RestartPolicy::No);
    p.start_limit = StartLimit { interval: 10 * SEC, burst: 1, action: EmergencyAction::None };
    let mut w = World::new(p);
    w.send(Event::Start);
    w.exit_main(exited(1));
    cycle_expect_limit(&mut w);
    let a = w.send(Event::ResetFailed);
    assert_eq!(path(&a), vec![S::Failed, S::Dead]);
    assert_eq!(w.svc.result(), ServiceResult::Success);
    w.send(Event::Start);
    assert_eq!(w.state(), S::Running);
}

#[test]
fn restart_interval_zero_disables_the_limit() {
    let mut p = base(RestartPolicy::Always);
    p.watchdog = None;
    p.runtime_max = None;
    p.restart_usec = 0;
    p.start_limit.interval = 0;
    let mut w = World::new(p);
    w.send(Event::Start);
    for _ in 0..20 {
        w.exit_main(exited(1));
        let a = w.advance(0);
        assert!(has_log(&a, "Service has no hold-off time (RestartSec=0), scheduling restart."));
        assert_eq!(w.state(), S::Running);
    }
    assert_eq!(w.svc.n_restarts(), 20);
}

#[test]
fn stop_during_auto_restart_cancels_it() {
    let mut p = base(RestartPolicy::Always);
    p.restart_usec = 5 * SEC;
    let mut w = run_into(p, Cause::Exit(1));
    assert_eq!(w.state(), S::AutoRestart);
    let a = w.send(Event::Stop);
    assert_eq!(path(&a), vec![S::AutoRestart, S::Dead]);
    assert_eq!(jobs_done(&a), vec![(JobKind::Stop, JobResult::Done)]);
    assert!(w.advance(10 * SEC).is_empty());
}

#[test]
fn start_during_auto_restart_waits_for_the_restart() {
    let mut p = base(RestartPolicy::Always);
    p.restart_usec = 5 * SEC;
    let mut w = run_into(p, Cause::Exit(1));
    let a = w.send(Event::Start);
    assert!(a.is_empty(), "the start job waits: {a:?}");
    assert_eq!(w.svc.job(), Some(JobKind::Start));
    w.auto_restart_job = false;
    let a = w.advance(5 * SEC);
    assert!(a.contains(&Action::RequestRestartJob));
    // The restart job replaces the waiting start (a job engine would
    // merge the two before they reach the unit).
    let a = w.send(Event::Restart);
    assert_eq!(path(&a), vec![S::AutoRestart, S::Dead, S::Running]);
    assert_eq!(
        jobs_done(&a),
        vec![(JobKind::Start, JobResult::Canceled), (JobKind::Restart, JobResult::Done)]
    );
}

#[test]
fn skipped_condition_is_never_restarted() {
    let mut p = base(RestartPolicy::Always);
    p.commands.set(engine::service::Phase::Condition, vec![engine::service::CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    let a = w.exit_control(exited(1));
    assert!(has_log(&a, "Condition check process exited, code=exited, status=1/FAILURE (success)"));
    assert!(has_log(&a, "Skipped due to 'exec-condition'."));
    assert_eq!(w.state(), S::Dead);
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Skipped)]);
}
