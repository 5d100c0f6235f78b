use super::*;

const S: u64 = 1_000_000;
/// 2026-11-27 10:00:00 UTC.
const NOW_RT: u64 = 1_795_773_600 * S;

struct Env {
    tz: TimeZone,
    now: Dual,
    own_exit: Dual,
    trig_exit: u64,
    trig_enter: u64,
    userspace: u64,
    container: bool,
}

impl Env {
    fn new() -> Env {
        Env {
            tz: TimeZone::utc(),
            now: Dual { realtime: NOW_RT, monotonic: 500 * S },
            own_exit: Dual::default(),
            trig_exit: 0,
            trig_enter: 0,
            userspace: 2 * S,
            container: false,
        }
    }

    fn run(&mut self, t: &mut Timer, ev: TimerEvent) -> Outcome {
        let mut rnd = || 7 * S + 3;
        let mut ctx = Context {
            now: self.now,
            own_inactive_exit: self.own_exit,
            trigger_inactive_exit: self.trig_exit,
            trigger_inactive_enter: self.trig_enter,
            userspace: self.userspace,
            in_container: self.container,
            local: &self.tz,
            random: &mut rnd,
        };
        let was_dead = t.state().active_state() != "active";
        let out = t.handle(ev, &mut ctx);
        if was_dead && t.state().active_state() == "active" {
            self.own_exit = self.now;
        }
        out
    }

    /// A second later the timer elapses, its unit is queued and, a second
    /// after that, is done.
    fn one_run(&mut self, t: &mut Timer) {
        self.advance(S);
        self.run(t, TimerEvent::Elapse);
        self.run(t, TimerEvent::Queued);
        self.advance(S);
        self.run(t, TimerEvent::TriggerChanged { trigger_inactive: true });
    }

    fn advance(&mut self, usec: u64) {
        self.now.realtime += usec;
        self.now.monotonic += usec;
    }
}

fn timer(values: Vec<TimerValue>) -> Timer {
    Timer::new(TimerParams { values, remain_after_elapse: true, ..TimerParams::default() })
}

fn cal(text: &str) -> Base {
    Base::Calendar(Box::new(CalendarSpec::parse_in(text, &TimeZone::utc(), std::path::Path::new("/nonexistent")).unwrap()))
}

#[test]
fn on_active_fires_once_then_elapsed() {
    let mut e = Env::new();
    let mut t = timer(vec![TimerValue::new(Base::Active, 10 * S)]);
    assert_eq!(e.run(&mut t, TimerEvent::Start { stamp: None }), Outcome::Arm { monotonic: Some(510 * S), realtime: None });
    assert_eq!(t.state(), TimerState::Waiting);
    e.advance(10 * S);
    assert_eq!(e.run(&mut t, TimerEvent::Elapse), Outcome::StartTrigger);
    assert_eq!(e.run(&mut t, TimerEvent::Queued), Outcome::Disarm);
    assert_eq!(t.state(), TimerState::Running);
    assert_eq!(t.last_trigger(), e.now);
    // The service is still running: nothing to do yet.
    assert_eq!(e.run(&mut t, TimerEvent::TriggerChanged { trigger_inactive: false }), Outcome::Nothing);
    e.advance(S);
    assert_eq!(e.run(&mut t, TimerEvent::TriggerChanged { trigger_inactive: true }), Outcome::Disarm);
    assert_eq!(t.state(), TimerState::Elapsed);
    assert_eq!(t.state().active_state(), "active");
}

#[test]
fn remain_after_elapse_no_goes_dead() {
    let mut e = Env::new();
    let mut t = Timer::new(TimerParams { values: vec![TimerValue::new(Base::Active, S)], ..TimerParams::default() });
    e.run(&mut t, TimerEvent::Start { stamp: None });
    e.one_run(&mut t);
    assert_eq!(t.state(), TimerState::Dead);
    assert_eq!(t.result(), TimerResult::Success);
}

#[test]
fn boot_and_unit_active_repeat() {
    let mut e = Env::new();
    e.now.monotonic = S / 2;
    let mut t = timer(vec![TimerValue::new(Base::Boot, S), TimerValue::new(Base::UnitActive, 5 * S)]);
    // The unit never ran: only OnBootSec= counts.
    assert_eq!(e.run(&mut t, TimerEvent::Start { stamp: None }), Outcome::Arm { monotonic: Some(S), realtime: None });
    e.advance(S / 2);
    assert_eq!(e.run(&mut t, TimerEvent::Elapse), Outcome::StartTrigger);
    e.run(&mut t, TimerEvent::Queued);
    e.advance(1000);
    e.trig_exit = e.now.monotonic;
    e.run(&mut t, TimerEvent::TriggerChanged { trigger_inactive: false });
    e.advance(1000);
    e.trig_enter = e.now.monotonic;
    // Back to waiting: 5 s after the unit's activation, the boot trigger
    // is past and disabled.
    let out = e.run(&mut t, TimerEvent::TriggerChanged { trigger_inactive: true });
    assert_eq!(out, Outcome::Arm { monotonic: Some(e.trig_exit + 5 * S), realtime: None });
    assert_eq!(t.next_monotonic(), Some(e.trig_exit + 5 * S));
}

#[test]
fn boot_in_a_container_counts_from_the_manager() {
    let mut e = Env::new();
    e.container = true;
    let mut t = timer(vec![TimerValue::new(Base::Boot, 15 * 60 * S)]);
    let out = e.run(&mut t, TimerEvent::Start { stamp: None });
    assert_eq!(out, Outcome::Arm { monotonic: Some(2 * S + 15 * 60 * S), realtime: None });
}

#[test]
fn calendar_next_and_persistent_catch_up() {
    let mut e = Env::new();
    let mut t = timer(vec![TimerValue::new(cal("daily"), 0)]);
    let midnight = NOW_RT - 10 * 3600 * S + 86_400 * S;
    assert_eq!(e.run(&mut t, TimerEvent::Start { stamp: None }), Outcome::Arm { monotonic: None, realtime: Some(midnight) });
    assert_eq!(t.next_realtime(), Some(midnight));
    // Persistent: last run two days ago, so yesterday's midnight was
    // missed; it is due at once — no earlier than the manager's start.
    let mut t = timer(vec![TimerValue::new(cal("daily"), 0)]);
    let started = NOW_RT - (500 - 2) * S;
    let out = e.run(&mut t, TimerEvent::Start { stamp: Some(NOW_RT - 2 * 86_400 * S) });
    assert_eq!(out, Outcome::Arm { monotonic: None, realtime: Some(started) });
    assert_eq!(t.last_trigger().realtime, NOW_RT - 2 * 86_400 * S);
}

#[test]
fn a_stamp_in_the_future_is_not_used() {
    let mut e = Env::new();
    let mut t = timer(vec![TimerValue::new(cal("hourly"), 0)]);
    let out = e.run(&mut t, TimerEvent::Start { stamp: Some(NOW_RT + 3600 * S) });
    assert_eq!(out, Outcome::StampInFuture { monotonic: None, realtime: Some(NOW_RT + 3600 * S) });
    assert_eq!(t.last_trigger(), Dual::default());
}

#[test]
fn randomized_delay_fixed_and_random() {
    let mut e = Env::new();
    let mut t = Timer::new(TimerParams {
        values: vec![TimerValue::new(Base::Active, 10 * S)],
        randomized_delay: 60 * S,
        fixed_delay_hash: Some(61 * S),
        remain_after_elapse: true,
        ..TimerParams::default()
    });
    assert_eq!(e.run(&mut t, TimerEvent::Start { stamp: None }), Outcome::Arm { monotonic: Some(510 * S + S), realtime: None });
    let mut t = Timer::new(TimerParams {
        values: vec![TimerValue::new(Base::Active, 10 * S)],
        randomized_delay: 60 * S,
        fixed_delay_hash: None,
        remain_after_elapse: true,
        ..TimerParams::default()
    });
    assert_eq!(e.run(&mut t, TimerEvent::Start { stamp: None }), Outcome::Arm { monotonic: Some(517 * S + 3), realtime: None });
}

#[test]
fn stop_fail_and_reset() {
    let mut e = Env::new();
    let mut t = timer(vec![TimerValue::new(Base::Active, S)]);
    assert_eq!(e.run(&mut t, TimerEvent::Stop), Outcome::Nothing);
    e.run(&mut t, TimerEvent::Start { stamp: None });
    assert_eq!(e.run(&mut t, TimerEvent::Start { stamp: None }), Outcome::Nothing);
    assert_eq!(e.run(&mut t, TimerEvent::Stop), Outcome::Disarm);
    assert_eq!(t.state(), TimerState::Dead);
    assert_eq!(t.next_monotonic(), None);
    assert_eq!(e.run(&mut t, TimerEvent::Elapse), Outcome::Nothing);
    e.run(&mut t, TimerEvent::Start { stamp: None });
    assert_eq!(e.run(&mut t, TimerEvent::QueueFailed), Outcome::Disarm);
    assert_eq!((t.state(), t.result()), (TimerState::Failed, TimerResult::Resources));
    assert_eq!(t.state().active_state(), "failed");
    e.run(&mut t, TimerEvent::ResetFailed);
    assert_eq!((t.state(), t.result()), (TimerState::Dead, TimerResult::Success));
}

#[test]
fn restarting_rearms_on_active() {
    let mut e = Env::new();
    let mut t = timer(vec![TimerValue::new(Base::Active, S)]);
    e.run(&mut t, TimerEvent::Start { stamp: None });
    e.one_run(&mut t);
    assert_eq!(t.state(), TimerState::Elapsed);
    e.run(&mut t, TimerEvent::Stop);
    let out = e.run(&mut t, TimerEvent::Start { stamp: None });
    assert_eq!(out, Outcome::Arm { monotonic: Some(e.now.monotonic + S), realtime: None });
}

#[test]
fn clock_and_zone_changes() {
    let mut e = Env::new();
    // A clock set back: the last trigger, now in the future, counts from
    // now again; the next calendar elapse is computed anew.
    let mut t = timer(vec![TimerValue::new(cal("hourly"), 0)]);
    e.run(&mut t, TimerEvent::Start { stamp: None });
    e.run(&mut t, TimerEvent::Elapse);
    e.run(&mut t, TimerEvent::Queued);
    e.run(&mut t, TimerEvent::TriggerChanged { trigger_inactive: true });
    assert_eq!(t.state(), TimerState::Waiting);
    e.now.realtime -= 2 * 3600 * S;
    let out = e.run(&mut t, TimerEvent::ClockChanged);
    assert_eq!(t.last_trigger().realtime, e.now.realtime);
    assert_eq!(out, Outcome::Arm { monotonic: None, realtime: Some(e.now.realtime + 3600 * S) });
    // OnClockChange=yes elapses at once, and with no other trigger the
    // timer still waits for the next change instead of being elapsed.
    let mut t = Timer::new(TimerParams { on_clock_change: true, remain_after_elapse: true, ..TimerParams::default() });
    assert_eq!(e.run(&mut t, TimerEvent::Start { stamp: None }), Outcome::Arm { monotonic: None, realtime: None });
    assert_eq!(t.state(), TimerState::Waiting);
    assert_eq!(e.run(&mut t, TimerEvent::TimezoneChanged), Outcome::Arm { monotonic: None, realtime: None });
    assert_eq!(e.run(&mut t, TimerEvent::ClockChanged), Outcome::StartTrigger);
    // Not waiting: nothing.
    e.run(&mut t, TimerEvent::Queued);
    assert_eq!(e.run(&mut t, TimerEvent::ClockChanged), Outcome::Nothing);
}

#[test]
fn new_settings_take_effect_at_once() {
    let mut e = Env::new();
    let mut t = timer(vec![TimerValue::new(Base::Active, 3600 * S)]);
    e.run(&mut t, TimerEvent::Start { stamp: None });
    t.set_params(TimerParams { values: vec![TimerValue::new(Base::Active, 60 * S)], remain_after_elapse: true, ..TimerParams::default() });
    // Counted from the timer's start, as before the reload.
    assert_eq!(e.run(&mut t, TimerEvent::Reloaded), Outcome::Arm { monotonic: Some(e.own_exit.monotonic + 60 * S), realtime: None });
    e.run(&mut t, TimerEvent::Stop);
    assert_eq!(e.run(&mut t, TimerEvent::Reloaded), Outcome::Nothing);
}
