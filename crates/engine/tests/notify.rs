//! `sd_notify(3)` messages: `NotifyAccess=`, `MAINPID=` hand-over,
//! `RELOADING=1`/`STOPPING=1`, the watchdog, `EXTEND_TIMEOUT_USEC=`.

mod common;
use common::*;

use engine::service::{
    Action, Event, JobKind, JobResult, KillTarget, NotifyAccess, NotifyLifecycle, ServiceParams,
    ServiceResult, ServiceState as S, ServiceType, TimerKind, WatchdogNotify,
};

fn notify_service() -> ServiceParams {
    ServiceParams {
        service_type: ServiceType::Notify,
        notify_access: NotifyAccess::Main,
        timeout_start: Some(10 * SEC),
        ..ServiceParams::default()
    }
}

fn ready(w: &mut World) {
    let main = w.main_pid();
    w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Ready));
}

#[test]
fn mainpid_hands_over_to_the_real_daemon() {
    let mut w = World::new(notify_service());
    w.send(Event::Start);
    let launcher = w.main_pid();
    let daemon = w.fork();
    let a = w.notify(launcher, |n| {
        n.main_pid = Some(daemon);
        n.lifecycle = Some(NotifyLifecycle::Ready);
    });
    assert!(a.contains(&Action::SetMainPid(daemon)));
    assert_eq!(w.state(), S::Running);
    assert_eq!(w.svc.main_pid(), Some(daemon));
    // The launcher's exit is no longer the service's business.
    let a = w.exit(launcher, exited(0));
    assert!(a.is_empty(), "{a:?}");
    assert_eq!(w.state(), S::Running);
    // Only the new main process may talk now (NotifyAccess=main).
    let daemon_now = w.main_pid();
    assert_eq!(daemon_now, daemon);
    let a = w.exit(daemon, exited(1));
    assert!(has_log(&a, "Main process exited, code=exited, status=1/FAILURE"));
    assert_eq!(w.state(), S::Failed);
}

#[test]
fn mainpid_naming_the_control_process_is_refused() {
    let mut p = notify_service();
    p.commands.set(engine::service::Phase::StartPost, vec![engine::service::CommandParams::PLAIN]);
    p.notify_access = NotifyAccess::All;
    let mut w = World::new(p);
    w.send(Event::Start);
    ready(&mut w);
    assert_eq!(w.state(), S::StartPost);
    let control = w.control_pid();
    let main = w.main_pid();
    let a = w.notify(main, |n| n.main_pid = Some(control));
    assert!(has_log(&a, &format!("New main PID {control} is the control process, refusing.")));
    assert_eq!(w.svc.main_pid(), Some(main));
}

#[test]
fn mainpid_outside_running_states_is_ignored() {
    let mut p = notify_service();
    p.notify_access = NotifyAccess::All;
    p.commands.set(engine::service::Phase::StartPre, vec![engine::service::CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    let control = w.control_pid();
    let other = w.fork();
    let a = w.notify(control, |n| n.main_pid = Some(other));
    assert!(a.is_empty());
    assert_eq!(w.svc.main_pid(), None);
}

#[test]
fn notify_access_rules() {
    // none: nobody.
    let mut p = notify_service();
    p.notify_access = NotifyAccess::None;
    let mut w = World::new(p);
    w.send(Event::Start);
    let main = w.main_pid();
    let a = w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Ready));
    assert!(has_log(&a, &format!("Got notification message from PID {main}, but reception is disabled.")));
    assert_eq!(w.state(), S::Start);

    // main: only the main process.
    let mut w = World::new(notify_service());
    w.send(Event::Start);
    let main = w.main_pid();
    let other = w.fork();
    let a = w.notify(other, |n| n.lifecycle = Some(NotifyLifecycle::Ready));
    assert!(has_log(
        &a,
        &format!(
            "Got notification message from PID {other}, but reception only permitted for main PID {main}"
        )
    ));
    assert_eq!(w.state(), S::Start);

    // exec: main or control.
    let mut p = notify_service();
    p.notify_access = NotifyAccess::Exec;
    p.commands.set(engine::service::Phase::StartPost, vec![engine::service::CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    ready(&mut w);
    let control = w.control_pid();
    let a = w.notify(control, |n| n.status = Some("post".into()));
    assert!(a.is_empty());
    assert_eq!(w.svc.status_text(), Some("post"));
    let other = w.fork();
    let a = w.notify(other, |n| n.status = Some("intruder".into()));
    assert_eq!(logs(&a).len(), 1);
    assert_eq!(w.svc.status_text(), Some("post"));

    // all: anyone in the unit.
    let mut p = notify_service();
    p.notify_access = NotifyAccess::All;
    let mut w = World::new(p);
    w.send(Event::Start);
    let helper = w.fork();
    w.notify(helper, |n| n.lifecycle = Some(NotifyLifecycle::Ready));
    assert_eq!(w.state(), S::Running);
}

#[test]
fn reloading_then_ready_is_a_reload() {
    let mut w = World::new(notify_service());
    w.send(Event::Start);
    ready(&mut w);
    let main = w.main_pid();
    let a = w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Reloading));
    assert_eq!(path(&a), vec![S::Running, S::Reload]);
    assert_eq!(w.svc.active_state(), engine::service::ActiveState::Reloading);
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 10 * SEC));
    let a = w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Ready));
    assert_eq!(path(&a), vec![S::Reload, S::Running]);
}

#[test]
fn reload_by_notify_that_never_finishes_times_out_and_stays_reloading() {
    let mut w = World::new(notify_service());
    w.send(Event::Start);
    ready(&mut w);
    let main = w.main_pid();
    w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Reloading));
    let a = w.advance(10 * SEC);
    assert!(has_log(&a, "Reload operation timed out. Killing reload process."));
    assert!(kills(&a).is_empty(), "there is no reload process to kill");
    assert_eq!(w.svc.reload_result(), ServiceResult::Timeout);
    assert_eq!(w.svc.result(), ServiceResult::Success);
    // The service still says RELOADING=1, and systemd 252 believes it:
    // the reload starts over until READY=1 comes.
    assert_eq!(w.state(), S::Reload);
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 10 * SEC));
    w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Ready));
    assert_eq!(w.state(), S::Running);
}

#[test]
fn reloading_during_start_post_acts_once_running() {
    let mut p = notify_service();
    p.commands.set(engine::service::Phase::StartPost, vec![engine::service::CommandParams::PLAIN]);
    let mut w = World::new(p);
    w.send(Event::Start);
    ready(&mut w);
    assert_eq!(w.state(), S::StartPost);
    let main = w.main_pid();
    let a = w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Reloading));
    assert!(a.is_empty());
    let a = w.exit_control(exited(0));
    assert_eq!(path(&a), vec![S::StartPost, S::Reload]);
}

#[test]
fn stopping_means_it_is_going_down_by_itself() {
    let mut p = notify_service();
    p.timeout_stop = Some(5 * SEC);
    let mut w = World::new(p);
    w.send(Event::Start);
    ready(&mut w);
    let main = w.main_pid();
    let a = w.notify(main, |n| n.lifecycle = Some(NotifyLifecycle::Stopping));
    assert_eq!(path(&a), vec![S::Running, S::StopSigterm]);
    assert!(kills(&a).is_empty(), "no signal: it is stopping on its own");
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 5 * SEC));
    w.exit_main(exited(0));
    assert_eq!(w.state(), S::Dead);
    assert_eq!(w.svc.result(), ServiceResult::Success);
}

#[test]
fn watchdog_pings_keep_it_alive_and_silence_kills_it() {
    let mut p = notify_service();
    p.watchdog = Some(10 * SEC);
    p.timeout_abort = Some(Some(20 * SEC));
    let mut w = World::new(p);
    w.send(Event::Start);
    assert_eq!(w.deadline(TimerKind::Watchdog), None, "the watchdog starts once started");
    ready(&mut w);
    assert_eq!(w.deadline(TimerKind::Watchdog), Some(w.now + 10 * SEC));
    let main = w.main_pid();
    for _ in 0..5 {
        w.advance(9 * SEC);
        w.notify(main, |n| n.watchdog = Some(WatchdogNotify::Ping));
    }
    assert_eq!(w.state(), S::Running);
    let a = w.advance(10 * SEC);
    assert!(has_log(&a, "Watchdog timeout (limit 10s)!"));
    assert_eq!(kills(&a)[0], (KillTarget::Main(main), SIGABRT));
    assert_eq!(w.state(), S::StopWatchdog);
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 20 * SEC));
    let a = w.exit_main(dumped(SIGABRT));
    assert!(has_log(&a, "Main process exited, code=dumped, status=6/ABRT"));
    assert!(has_log(&a, "Failed with result 'watchdog'."));
}

#[test]
fn watchdog_trigger_acts_at_once() {
    let mut p = notify_service();
    p.watchdog = Some(10 * SEC);
    let mut w = World::new(p);
    w.send(Event::Start);
    ready(&mut w);
    let main = w.main_pid();
    let a = w.notify(main, |n| {
        n.status = Some("wedged".into());
        n.watchdog = Some(WatchdogNotify::Trigger);
    });
    assert!(has_log(&a, "Watchdog request (last status: wedged)!"));
    assert_eq!(w.state(), S::StopWatchdog);
}

#[test]
fn watchdog_usec_overrides_watchdog_sec() {
    let mut p = notify_service();
    p.watchdog = Some(10 * SEC);
    let mut w = World::new(p);
    w.send(Event::Start);
    ready(&mut w);
    let main = w.main_pid();
    w.notify(main, |n| n.watchdog_usec = Some(30 * SEC));
    assert_eq!(w.svc.watchdog_usec(), Some(30 * SEC));
    assert_eq!(w.deadline(TimerKind::Watchdog), Some(w.now + 30 * SEC));
    assert!(w.advance(29 * SEC).is_empty());
    let a = w.advance(SEC);
    assert!(has_log(&a, "Watchdog timeout (limit 30s)!"));
}

#[test]
fn watchdog_pings_while_stopping_do_not_rearm_it() {
    let mut p = notify_service();
    p.watchdog = Some(10 * SEC);
    let mut w = World::new(p);
    w.send(Event::Start);
    ready(&mut w);
    let main = w.main_pid();
    w.send(Event::Stop);
    assert_eq!(w.deadline(TimerKind::Watchdog), None);
    w.notify(main, |n| n.watchdog = Some(WatchdogNotify::Ping));
    assert_eq!(w.deadline(TimerKind::Watchdog), None);
}

#[test]
fn extend_timeout_pushes_the_start_deadline_out() {
    let mut w = World::new(notify_service());
    w.send(Event::Start);
    let main = w.main_pid();
    w.advance(8 * SEC);
    w.notify(main, |n| n.extend_timeout_usec = Some(20 * SEC));
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 20 * SEC));
    // Never pulls a deadline in.
    w.notify(main, |n| n.extend_timeout_usec = Some(SEC));
    assert_eq!(w.deadline(TimerKind::State), Some(w.now + 20 * SEC));
    assert!(w.advance(19 * SEC).is_empty());
    assert_eq!(w.state(), S::Start);
    let a = w.advance(SEC);
    assert!(has_log(&a, "start operation timed out. Terminating."));
}

#[test]
fn status_and_errno_are_kept_and_cleared() {
    let mut w = World::new(notify_service());
    w.send(Event::Start);
    let main = w.main_pid();
    w.notify(main, |n| {
        n.status = Some("Starting up".into());
        n.errno = Some(2);
    });
    assert_eq!(w.svc.status_text(), Some("Starting up"));
    assert_eq!(w.svc.status_errno(), 2);
    w.notify(main, |n| n.status = Some(String::new()));
    assert_eq!(w.svc.status_text(), None);
}

#[test]
fn notify_with_remain_after_exit_and_access_all_may_become_ready_after_exiting() {
    let mut p = notify_service();
    p.remain_after_exit = true;
    p.notify_access = NotifyAccess::All;
    let mut w = World::new(p);
    w.send(Event::Start);
    let helper = w.fork();
    w.exit_main(exited(0));
    assert_eq!(w.state(), S::Start, "still waiting for READY=1 from someone");
    let a = w.notify(helper, |n| n.lifecycle = Some(NotifyLifecycle::Ready));
    assert_eq!(jobs_done(&a), vec![(JobKind::Start, JobResult::Done)]);
    // The main process is known to be gone: exited, not running.
    assert_eq!(w.state(), S::Exited);
}
