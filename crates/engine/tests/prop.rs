//! Random configurations driven by random event sequences: the machine
//! never panics, its bookkeeping stays consistent after every step, and a
//! stop in a cooperative world always brings it down to dead or failed.

mod common;
use common::*;

use engine::service::{
    Action, CommandParams, Commands, EmergencyAction, Event, ExitStatus, KillMode, NotifyAccess,
    NotifyLifecycle, OomPolicy, RestartPolicy, ServiceParams, ServiceState as S, ServiceType, StartLimit,
    TimeoutFailureMode, TimerKind, WatchdogNotify,
};
use proptest::prelude::*;

fn commands(max: usize) -> impl Strategy<Value = Vec<CommandParams>> {
    prop::collection::vec(any::<bool>().prop_map(|ignore_failure| CommandParams { ignore_failure }), 0..=max)
}

fn timeout() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), (1u64..30).prop_map(|s| Some(s * SEC))]
}

fn params() -> impl Strategy<Value = ServiceParams> {
    let types = prop_oneof![
        Just(ServiceType::Simple),
        Just(ServiceType::Exec),
        Just(ServiceType::Forking),
        Just(ServiceType::Oneshot),
        Just(ServiceType::Dbus),
        Just(ServiceType::Notify),
        Just(ServiceType::Idle),
    ];
    let restarts = prop_oneof![
        Just(RestartPolicy::No),
        Just(RestartPolicy::OnSuccess),
        Just(RestartPolicy::OnFailure),
        Just(RestartPolicy::OnAbnormal),
        Just(RestartPolicy::OnWatchdog),
        Just(RestartPolicy::OnAbort),
        Just(RestartPolicy::Always),
    ];
    let modes = prop_oneof![
        Just(TimeoutFailureMode::Terminate),
        Just(TimeoutFailureMode::Abort),
        Just(TimeoutFailureMode::Kill),
    ];
    let kill_modes = prop_oneof![
        Just(KillMode::ControlGroup),
        Just(KillMode::Mixed),
        Just(KillMode::Process),
        Just(KillMode::None)
    ];
    let access = prop_oneof![
        Just(NotifyAccess::None),
        Just(NotifyAccess::Main),
        Just(NotifyAccess::Exec),
        Just(NotifyAccess::All)
    ];
    let oom = prop_oneof![Just(OomPolicy::Continue), Just(OomPolicy::Stop), Just(OomPolicy::Kill)];
    (
        (
            types,
            restarts,
            commands(2),
            commands(2),
            commands(3),
            commands(2),
            commands(2),
            commands(2),
            commands(2),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>(), timeout(), timeout(), timeout(), timeout(), timeout()),
        (modes.clone(), modes, kill_modes, any::<bool>(), any::<bool>(), access, oom, 0u32..4),
    )
        .prop_map(
            |(
                (ty, restart, condition, start_pre, start, start_post, reload, stop, stop_post),
                (remain, pid_file, guess, t_start, t_stop, runtime, watchdog, abort),
                (start_mode, stop_mode, kill_mode, send_sigkill, send_sighup, notify_access, oom, burst),
            )| {
                let mut p = ServiceParams {
                    service_type: ty,
                    commands: {
                        let mut lists = [condition, start_pre, start, start_post, reload, stop, stop_post].into_iter();
                        Commands::from_fn(|_| lists.next().unwrap_or_default())
                    },
                    remain_after_exit: remain,
                    guess_main_pid: guess,
                    pid_file,
                    restart,
                    restart_usec: 100 * MSEC,
                    start_limit: StartLimit { interval: 10 * SEC, burst, action: EmergencyAction::None },
                    timeout_start: t_start,
                    timeout_stop: t_stop,
                    timeout_abort: Some(abort),
                    runtime_max: runtime,
                    watchdog,
                    timeout_start_failure_mode: start_mode,
                    timeout_stop_failure_mode: stop_mode,
                    notify_access,
                    oom_policy: oom,
                    ..ServiceParams::default()
                };
                p.kill.mode = kill_mode;
                p.kill.send_sigkill = send_sigkill;
                p.kill.send_sighup = send_sighup;
                p
            },
        )
}

#[derive(Clone, Debug)]
enum Op {
    Start,
    Stop,
    Reload,
    Restart,
    ResetFailed,
    ExitMain(ExitStatus),
    ExitControl(ExitStatus),
    ExitOther(ExitStatus),
    Fork,
    Notify {
        who: u8,
        lifecycle: Option<NotifyLifecycle>,
        main_pid: bool,
        watchdog: Option<WatchdogNotify>,
        extend: Option<u64>,
    },
    Advance(u64),
    ExecSucceeded,
    BusName(bool),
    Oom,
    KillAll,
    WritePidFile,
    SpuriousPidFile(bool),
    SpuriousGuess,
    FailNextSpawn,
    /// daemon-reload: switch to the other configuration.
    Reconfigure,
}

fn status() -> impl Strategy<Value = ExitStatus> {
    prop_oneof![
        (0u8..=3).prop_map(ExitStatus::Exited),
        Just(ExitStatus::Exited(255)),
        prop_oneof![Just(1), Just(6), Just(9), Just(11), Just(15)]
            .prop_flat_map(|signal| any::<bool>()
                .prop_map(move |core_dumped| ExitStatus::Killed { signal, core_dumped })),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let lifecycle = prop_oneof![
        Just(None),
        Just(Some(NotifyLifecycle::Ready)),
        Just(Some(NotifyLifecycle::Reloading)),
        Just(Some(NotifyLifecycle::Stopping)),
    ];
    let watchdog =
        prop_oneof![Just(None), Just(Some(WatchdogNotify::Ping)), Just(Some(WatchdogNotify::Trigger))];
    prop_oneof![
        3 => Just(Op::Start),
        2 => Just(Op::Stop),
        1 => Just(Op::Reload),
        1 => Just(Op::Restart),
        1 => Just(Op::ResetFailed),
        3 => status().prop_map(Op::ExitMain),
        3 => status().prop_map(Op::ExitControl),
        1 => status().prop_map(Op::ExitOther),
        1 => Just(Op::Fork),
        3 => (0u8..3, lifecycle, any::<bool>(), watchdog, prop::option::of(1u64..20))
            .prop_map(|(who, lifecycle, main_pid, watchdog, extend)| Op::Notify {
                who,
                lifecycle,
                main_pid,
                watchdog,
                extend: extend.map(|s| s * SEC),
            }),
        4 => (0u64..40).prop_map(|s| Op::Advance(s * SEC / 2)),
        1 => Just(Op::ExecSucceeded),
        1 => any::<bool>().prop_map(Op::BusName),
        1 => Just(Op::Oom),
        1 => Just(Op::KillAll),
        1 => Just(Op::WritePidFile),
        1 => any::<bool>().prop_map(Op::SpuriousPidFile),
        1 => Just(Op::SpuriousGuess),
        1 => Just(Op::FailNextSpawn),
        1 => Just(Op::Reconfigure),
    ]
}

fn apply(w: &mut World, op: &Op, configs: &mut [ServiceParams; 2]) {
    match op {
        Op::Start => {
            w.send(Event::Start);
        }
        Op::Stop => {
            w.send(Event::Stop);
        }
        Op::Reload => {
            w.send(Event::Reload);
        }
        Op::Restart => {
            w.send(Event::Restart);
        }
        Op::ResetFailed => {
            w.send(Event::ResetFailed);
        }
        Op::ExitMain(st) => {
            if let Some(pid) = w.svc.main_pid().filter(|p| w.procs.contains(p)) {
                w.exit(pid, *st);
            }
        }
        Op::ExitControl(st) => {
            if let Some(pid) = w.svc.control_pid().filter(|p| w.procs.contains(p)) {
                w.exit(pid, *st);
            }
        }
        Op::ExitOther(st) => {
            let tracked = [w.svc.main_pid(), w.svc.control_pid()];
            if let Some(pid) = w.procs.iter().copied().find(|p| !tracked.contains(&Some(*p))) {
                w.exit(pid, *st);
            }
        }
        Op::Fork => {
            w.fork();
        }
        Op::Notify { who, lifecycle, main_pid, watchdog, extend } => {
            let sender = match who {
                0 => w.svc.main_pid(),
                1 => w.svc.control_pid(),
                _ => w.procs.iter().next().copied(),
            };
            let new_main = if *main_pid { w.procs.iter().next_back().copied() } else { None };
            if let Some(pid) = sender {
                w.notify(pid, |n| {
                    n.lifecycle = *lifecycle;
                    n.main_pid = new_main;
                    n.watchdog = *watchdog;
                    n.extend_timeout_usec = *extend;
                });
            }
        }
        Op::Advance(d) => {
            w.advance(*d);
        }
        Op::ExecSucceeded => {
            w.send(Event::ExecSucceeded);
        }
        Op::BusName(b) => {
            w.send(Event::BusName { acquired: *b });
        }
        Op::Oom => {
            w.send(Event::OomKilled);
        }
        Op::KillAll => {
            w.kill_all(ExitStatus::Killed { signal: 9, core_dumped: false });
        }
        Op::WritePidFile => {
            w.pid_file = w.procs.iter().next_back().copied();
        }
        Op::SpuriousPidFile(read) => {
            let ev = match (read, w.procs.iter().next().copied()) {
                (true, Some(pid)) => Event::PidFileRead { pid },
                _ => Event::PidFileMissing,
            };
            w.send(ev);
        }
        Op::SpuriousGuess => {
            let pid = w.procs.iter().next().copied();
            w.send(Event::MainPidGuessed { pid });
        }
        Op::FailNextSpawn => {
            w.fail_next_spawn = Some("Cannot allocate memory".into());
        }
        Op::Reconfigure => {
            configs.swap(0, 1);
            w.svc.set_params(configs[0].clone());
        }
    }
}

/// Checks across the whole trace that a step-local check cannot see.
fn check_trace(w: &World, job_events: usize) {
    let mut state = S::Dead;
    for a in &w.trace {
        if let Action::Transition { from, to, .. } = a {
            assert_eq!(*from, state, "transition chain broken");
            assert_ne!(from, to, "transition to the same state");
            state = *to;
        }
    }
    assert_eq!(state, w.state(), "trace ends elsewhere than the machine");
    let done = w.trace.iter().filter(|a| matches!(a, Action::JobDone { .. })).count();
    let restarts_requested = w.trace.iter().filter(|a| matches!(a, Action::RequestRestartJob)).count();
    assert!(done <= job_events + restarts_requested, "more JobDone than jobs");
    if w.timers.contains_key(&TimerKind::Watchdog) {
        assert!(
            matches!(w.state(), S::StartPost | S::Running | S::Reload),
            "watchdog armed in {}",
            w.state()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_events_keep_the_machine_consistent(
        p in params(),
        alt in params(),
        ops in prop::collection::vec(op(), 0..80),
    ) {
        let mut configs = [p.clone(), alt];
        let mut w = World::new(p);
        let mut job_events = 0;
        for op in &ops {
            if matches!(op, Op::Start | Op::Stop | Op::Reload | Op::Restart) {
                job_events += 1;
            }
            apply(&mut w, op, &mut configs);
            check_trace(&w, job_events);
        }

        // Now stop it in a cooperative world: every process dies when
        // asked, time passes. It must come to rest, dead or failed.
        w.fail_next_spawn = None;
        w.send(Event::Stop);
        let mut rounds = 0;
        while !matches!(w.state(), S::Dead | S::Failed) {
            rounds += 1;
            prop_assert!(rounds < 50, "never came to rest: {} after {:?}", w.state(), ops);
            w.kill_all(ExitStatus::Killed { signal: 9, core_dumped: false });
            w.advance(3600 * SEC);
        }
        check_trace(&w, job_events + 1);
        prop_assert_eq!(w.svc.main_pid(), None);
        prop_assert_eq!(w.svc.control_pid(), None);
        prop_assert_eq!(w.svc.job(), None);
        prop_assert!(w.svc.active_state().is_inactive_or_failed());
        // And nothing is left armed that could wake it.
        prop_assert!(w.timers.is_empty(), "timers left: {:?}", w.timers);
    }
}
